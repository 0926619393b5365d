"""Train the Persian, Arabic, Thai and Greek sentiment models that ship in analysis/models/.

    .venv/bin/pip install scikit-learn          # training only; Clamor itself needs numpy
    .venv/bin/python scripts/train_sentiment.py [--langs fa ar th el] [--eval-data DIR]

For each language: read its licensed set from the shared evaluation data (mapping and
de-duplication in analysis/models/training_data.py), set aside the fixed held-out fifth
(training_data.held_out: a salted CRC-32 of each text, never trained on), and on the rest

1. fit a logistic regression over hashed character n-grams (analysis.sentiment's own
   hashing, so training and use see the same features), choosing its regularisation by
   5-fold cross-validation;
2. on the out-of-fold predictions, choose how far the hand-written cues (analysis/models/
   cues.toml) and the Chen & Skiena lexicon move the model's logits (0 = not at all);
3. refit on all training rows, keep the strongest weights (int8), and write
   analysis/models/sentiment_<lang>.npz. The same data gives byte-identical files.

It then loads each written file through analysis.sentiment, the way Clamor will, and prints
accuracy and macro-F1 on the held-out rows (with and without the lexicon blend), macro-F1
on the demo stream's labelled customer posts (another domain, never trained on), the file
size and the throughput on one core.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
import time
import tomllib
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np

try:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
except ImportError:
    sys.exit("Training needs scikit-learn (Clamor itself does not): "
             ".venv/bin/pip install scikit-learn, then run this again.")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analysis import sentiment
from analysis.models import training_data
from analysis.sentiment import CharModel, Lexicon, model_name, ngram_features, prepare

MODELS = REPO / "analysis" / "models"
BITS = 20  # 2^20 hashed features; only the non-zero weights are stored
NGRAMS = (1, 5)
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
KEEP_FEATURES = 60_000  # strongest weights kept per model (file size vs. held-out F1)
BLEND_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)  # logit shift per unit of tanh(lexicon evidence)
LEXICON_WEIGHT_GRID = (0.0, 0.25, 0.5, 1.0)  # Chen & Skiena words, relative to a hand cue
DECISIVE_GRID = (0.0, 0.5, 1.0, 2.0)  # how far clear evidence lowers the neutral logit
# A model trained without a neutral class (Persian) would learn "never neutral" from its
# data; real posts are often neutral, so it calls |P(pos) - P(neg)| < this neutral.
BINARY_NEUTRAL_BAND = 0.3
SEED = 0
DEMO_LABELS = {"complaint": "neg", "praise": "pos", "neutral": "neu"}


def matrix(texts: list[str]) -> sparse.csr_matrix:
    indptr, cols, values = ngram_features([prepare(t) for t in texts], BITS, NGRAMS)
    return sparse.csr_matrix((values, cols, indptr), shape=(len(texts), 1 << BITS))


def classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def as_logits(model: LogisticRegression, x) -> np.ndarray:
    """(texts, classes) logits; a binary model's z becomes (0, z), the same softmax."""
    z = model.decision_function(x)
    return np.column_stack([np.zeros_like(z), z]) if z.ndim == 1 else z


def decide(logits: np.ndarray, evidence: np.ndarray, classes: list[str], blend: float,
           decisive: float = 0.0) -> np.ndarray:
    """Labels (neg/neu/pos) as analysis.sentiment.CharModel.decide gives them, vectorised."""
    logits = logits.copy()
    pos, neg = classes.index("pos"), classes.index("neg")
    e = np.tanh(evidence)
    logits[:, pos] += blend * e
    logits[:, neg] -= blend * e
    if "neu" in classes:
        logits[:, classes.index("neu")] -= decisive * np.abs(e)
    out = np.array(classes, dtype=object)[logits.argmax(axis=1)]
    if "neu" not in classes:
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        out[np.abs(p[:, pos] - p[:, neg]) < BINARY_NEUTRAL_BAND] = "neu"
    return out


def macro_f1(gold, pred, classes) -> float:
    return float(f1_score(gold, pred, labels=classes, average="macro", zero_division=0))


def read_lexicon(lang: str, root: Path) -> dict[str, float]:
    """Chen & Skiena's words, normalised; untranslated English entries, phrases and words of
    fewer than three letters dropped."""
    words: dict[str, float] = {}
    with open(root / "lexicons" / f"{lang}.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            word = prepare(row["word"])
            # Two-letter entries are mostly function words mistranslated (Persian "به", to).
            if len(word) < 3 or " " in word or any("a" <= ch <= "z" for ch in word):
                continue
            words[word] = 1.0 if row["polarity"] == "pos" else -1.0
    return words


def read_cues(lang: str) -> tuple[dict[str, float], list[str], list[str]]:
    tables = tomllib.loads((MODELS / "cues.toml").read_text("utf-8"))
    table = tables[lang]
    cues: dict[str, float] = {}
    for kind, weight in (("neutral", 0.0), ("negative", -1.0), ("positive", 1.0)):
        for cue in tables["all"].get(kind, []) + table.get(kind, []):
            star = cue.endswith("*")
            cues[prepare(cue.rstrip("*")) + ("*" if star else "")] = weight
    return (cues, [prepare(w) for w in table["negators_before"]],
            [prepare(w) for w in table["negators_after"]])


def evidence(lang: str, texts: list[str], cues, words, before, after):
    """(cue evidence, lexicon evidence) per text, so any lexicon weight w gives cue + w * lex."""
    prepared = [prepare(t) for t in texts]
    cue_only = Lexicon.build(lang, cues, {}, before, after)
    both = Lexicon.build(lang, cues, words, before, after)
    e_cue = np.array([cue_only.evidence(t) for t in prepared])
    e_all = np.array([both.evidence(t) for t in prepared])
    return e_cue, e_all - e_cue


def fast_macro_f1(gold: np.ndarray, pred: np.ndarray, classes: list[str]) -> float:
    f1s = []
    for c in classes:
        tp = np.sum((pred == c) & (gold == c))
        fp = np.sum((pred == c) & (gold != c))
        fn = np.sum((pred != c) & (gold == c))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


def standard_error(f1: float, rows: int) -> float:
    """Rough standard error of a macro-F1 measured on `rows` texts (binomial)."""
    return float(np.sqrt(f1 * (1 - f1) / rows))


def choose_blend(gold, logits, e_cue, e_lex, classes):
    """(macro-F1, blend, lexicon weight, decisive) chosen on out-of-fold logits.

    The training sets are political tweets, subtitles and (Thai) product posts; Clamor reads
    customer posts. The n-gram model learns its domain, while the hand-written cues are what
    carries over to another one. So among the settings whose out-of-fold macro-F1 is within
    one standard error of the best, take the one that trusts the cues most (largest blend,
    then decisive), and the smallest weight for the noisier Chen & Skiena words.
    """
    gold = np.asarray(gold)
    results = []
    for blend in BLEND_GRID:
        for weight in LEXICON_WEIGHT_GRID if blend else (0.0,):
            for decisive in DECISIVE_GRID if blend and "neu" in classes else (0.0,):
                pred = decide(logits, e_cue + weight * e_lex, classes, blend, decisive)
                results.append((fast_macro_f1(gold, pred, classes), blend, weight, decisive))
    best = max(r[0] for r in results)
    near = [r for r in results if r[0] >= best - standard_error(best, len(gold))]
    return max(near, key=lambda r: (r[1], r[3], -r[2], r[0]))


def export(path: Path, lang: str, model: LogisticRegression, feature_ids: np.ndarray,
           classes: list[str], cues, words,
           before, after, blend: float, lexicon_weight: float, decisive: float) -> None:
    coef = model.coef_
    bias = model.intercept_
    if len(classes) == 2:  # binary: softmax over (0, z) is the logistic of z
        coef = np.vstack([np.zeros_like(coef), coef])
        bias = np.concatenate([[0.0], bias])
    weights = coef.T  # (features, classes)
    strength = np.abs(weights).max(axis=1)
    keep = np.flatnonzero(strength)
    if keep.size > KEEP_FEATURES:
        keep = keep[np.argsort(strength[keep])[-KEEP_FEATURES:]]
    keep.sort()
    kept = weights[keep]
    scale = np.abs(kept).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    quantised = np.round(kept / scale).astype(np.int8)
    lex_words = {w: v * lexicon_weight for w, v in words.items()} if lexicon_weight else {}
    np.savez_compressed(
        path,
        name=np.array(model_name(lang)), lang=np.array(lang), bits=np.array(BITS),
        ngrams=np.array(NGRAMS), classes=np.array(classes),
        feature_ids=feature_ids[keep].astype(np.uint32), weights=quantised,
        weight_scale=scale.astype(np.float32), bias=bias.astype(np.float32),
        cue_words=np.array(list(cues), dtype=str),
        cue_weights=np.array(list(cues.values()), dtype=np.float32),
        lex_words=np.array(list(lex_words), dtype=str),
        lex_weights=np.array(list(lex_words.values()), dtype=np.float32),
        negators_before=np.array(before, dtype=str), negators_after=np.array(after, dtype=str),
        blend=np.array(blend), decisive=np.array(decisive),
        neutral_band=np.array(0.0 if "neu" in classes else BINARY_NEUTRAL_BAND),
    )


def demo_rows(lang: str) -> list[tuple[str, str]]:
    from collectors.replay import bundled_stream

    return [(line["text"], DEMO_LABELS[line["label"]]) for line in bundled_stream()
            if line["lang"] == lang and line["label"] in DEMO_LABELS]


def measure(model: CharModel, rows: list[tuple[str, str]], classes: list[str]):
    names = {"positive": "pos", "negative": "neg", "neutral": "neu"}
    pred = [names[lab] for _, lab in model.predict([t for t, _ in rows])]
    gold = [g for _, g in rows]
    return accuracy_score(gold, pred), macro_f1(gold, pred, classes)


def throughput(model: CharModel, texts: list[str]) -> float:
    batch = (texts * (4000 // max(len(texts), 1) + 1))[:4000]
    model.predict(batch[:100])
    start = time.process_time()
    model.predict(batch)
    return len(batch) / (time.process_time() - start)


def train(lang: str, root: Path, write: bool) -> dict:
    started = time.time()
    train_rows, test_rows = training_data.split(lang, root)
    texts = [t for t, _ in train_rows]
    gold = np.array([g for _, g in train_rows])
    classes = sorted(set(gold))  # neg, neu, pos  /  neg, pos
    binary = len(classes) == 2
    x_full = matrix(texts)
    # Fit on the hashed features that occur (tens of thousands of 2^20): ~20x faster, and the
    # weights of the others would be zero anyway.
    used = np.unique(x_full.indices)
    x = x_full[:, used]
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, gold))

    def out_of_fold(c: float) -> np.ndarray:
        logits = np.zeros((len(texts), len(classes)))
        for fit, held in folds:
            logits[held] = as_logits(classifier(c).fit(x[fit], gold[fit]), x[held])
        return logits

    cv = {c: out_of_fold(c) for c in C_GRID}
    no_lexicon = np.zeros(len(texts))
    if binary:
        # No neutral class to learn from, so C also sets how sure the model is of texts that
        # are neither (a timetable, a question): the most regularised C within one standard
        # error of the best polarity F1 keeps it from calling those positive or negative.
        cv_f1 = {c: fast_macro_f1(gold, np.array(classes)[cv[c].argmax(axis=1)], classes)
                 for c in C_GRID}
        top = max(cv_f1.values())
        c_best = min(c for c in C_GRID if cv_f1[c] >= top - standard_error(top, len(gold)))
    else:
        cv_f1 = {c: fast_macro_f1(gold, decide(cv[c], no_lexicon, classes, 0.0), classes)
                 for c in C_GRID}
        c_best = max(C_GRID, key=lambda c: cv_f1[c])

    cues, before, after = read_cues(lang)
    words = read_lexicon(lang, root)
    e_cue, e_lex = evidence(lang, texts, cues, words, before, after)
    f1_cv, blend, lex_weight, decisive = choose_blend(gold, cv[c_best], e_cue, e_lex, classes)
    f1_cv0 = fast_macro_f1(gold, decide(cv[c_best], no_lexicon, classes, 0.0), classes)

    final = classifier(c_best).fit(x, gold)
    path = MODELS / f"sentiment_{lang}.npz"
    target = path if write else path.with_suffix(".tmp.npz")
    export(target, lang, final, used, list(final.classes_), cues, words, before, after,
           blend, lex_weight, decisive)
    shipped = CharModel.load(target)
    unblended = dataclasses.replace(shipped, blend=0.0)
    acc, f1 = measure(shipped, test_rows, classes)
    acc0, f10 = measure(unblended, test_rows, classes)
    demo = demo_rows(lang)
    demo_classes = ["neg", "neu", "pos"]
    _, demo_f1 = measure(shipped, demo, demo_classes)
    _, demo_f10 = measure(unblended, demo, demo_classes)
    result = {
        "lang": lang, "set": training_data.SETS[lang].name, "train": len(train_rows),
        "held_out": len(test_rows), "classes": "/".join(classes), "C": c_best,
        "cv_f1": round(f1_cv, 3), "cv_f1_no_lexicon": round(f1_cv0, 3), "blend": blend,
        "lexicon_weight": lex_weight, "decisive": decisive,
        "accuracy": round(acc, 3), "macro_f1": round(f1, 3),
        "accuracy_no_lexicon": round(acc0, 3), "macro_f1_no_lexicon": round(f10, 3),
        "demo_rows": len(demo), "demo_macro_f1": round(demo_f1, 3),
        "demo_macro_f1_no_lexicon": round(demo_f10, 3),
        "kb": round(target.stat().st_size / 1024), "texts_per_s": round(throughput(
            shipped, [t for t, _ in test_rows])),
        "seconds": round(time.time() - started, 1),
    }
    if not write:
        target.unlink()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", nargs="+", default=["fa", "ar", "th", "el"],
                        choices=sorted(training_data.SETS))
    parser.add_argument("--eval-data", type=Path, default=None,
                        help="the shared evaluation folder (default: ../shared/eval)")
    parser.add_argument("--dry-run", action="store_true",
                        help="measure only; leave the shipped model files as they are")
    args = parser.parse_args(argv)
    root = args.eval_data or training_data.eval_root()
    if root is None:
        print("The shared evaluation data was not found: pass --eval-data DIR "
              "(the folder with ar_astd/, th_wisesight/, ...).", file=sys.stderr)
        return 2
    sentiment.load_model.cache_clear()
    results = [train(lang, root, write=not args.dry_run) for lang in args.langs]
    keys = list(results[0])
    print("\t".join(keys))
    for r in results:
        print("\t".join(str(r[k]) for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
