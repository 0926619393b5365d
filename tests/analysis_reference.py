"""The analysis pass's outputs on real texts, recorded once, so a change made for speed can be
shown to change nothing: language and confidence, sentiment score, label and model, complaint
verdict, score and cues, and the search words, for every text of the demo stream and of the
shared evaluation sets in all five languages.

`python -m tests.analysis_reference` records tests/reference/analysis_reference.json.gz from the
code as it is; tests/test_analysis_identical.py compares the code against it. Record again
only for a deliberate change of results (and say so in the commit).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import zlib
from importlib import resources
from pathlib import Path

from analysis import complaints, language, sentiment, tokens
from analysis.models import training_data

LANGS = ("en", "fa", "ar", "th", "el")
FIXTURE = Path(__file__).parent / "reference" / "analysis_reference.json.gz"
# (corpus name, language, path under the eval root)
EVAL_FILES = (
    ("vader_tweets", "en", "vader_tweets/tweets_groundtruth.csv"),
    ("fa_xed", "fa", "fa_xed/xed_fa.csv"),
    ("ar_astd", "ar", "ar_astd/astd_sample5000.csv"),
    ("th_wisesight", "th", "th_wisesight/wisesight_sample5000.csv"),
    ("el_cardiff_politics", "el", "el_cardiff_politics/gr_politics_sentiment.csv"),
    ("el_sentimp21", "el", "el_sentimp21/sentimp21_gr.csv"),
)
# The tone passed to the complaint judge besides the text's own score: no score, and a
# negative one (the branches for thanks and negative tone).
TONES = (None, -0.6)


def corpora() -> dict[str, tuple[str, list[str]]]:
    """{name: (language, texts)}: the demo stream always, the eval sets when present."""
    out: dict[str, tuple[str, list[str]]] = {}
    for lang in LANGS:
        lines = resources.files("clamor.demo").joinpath(f"stream_{lang}.jsonl").read_text(
            "utf-8").splitlines()
        out[f"demo_{lang}"] = (lang, [json.loads(line)["text"] for line in lines
                                      if line.strip()])
    root = training_data.eval_root()
    if root is not None:
        for name, lang, path in EVAL_FILES:
            with open(root / path, encoding="utf-8", newline="") as f:
                out[name] = (lang, [r["text"] for r in csv.DictReader(f)])
    return out


def words_digest(words: list[str]) -> str:
    return hashlib.sha1("\x1f".join(words).encode("utf-8")).hexdigest()[:16]


def outputs(lang: str, texts: list[str]) -> list[list]:
    """One row per text: every result the pass (and its parts) gives for it."""
    texts = [t[:4000] for t in texts]
    detected = language.detect(texts, LANGS)
    langs = [code for code, _ in detected]
    by_detected = sentiment.score(texts, langs)
    by_own = sentiment.score(texts, [lang] * len(texts))
    rows = []
    verdicts = {
        "own": complaints.judge_batch(texts, [lang] * len(texts), [s for s, _, _ in by_own],
                                      [False] * len(texts)),
        "detected": complaints.judge_batch(texts, langs, [s for s, _, _ in by_detected],
                                           [False] * len(texts)),
        **{f"tone{tone}": complaints.judge_batch(texts, [lang] * len(texts),
                                                 [tone] * len(texts), [False] * len(texts))
           for tone in TONES},
    }
    for i, text in enumerate(texts):
        rows.append([
            zlib.crc32(text.encode("utf-8")), detected[i][0], detected[i][1],
            list(by_detected[i]), list(by_own[i]),
            {k: [v[i].complaint, v[i].score, list(v[i].cues)] for k, v in verdicts.items()},
            words_digest(tokens.words(text)),
        ])
    return rows


def record() -> None:
    data = {name: outputs(lang, texts) for name, (lang, texts) in corpora().items()}
    FIXTURE.parent.mkdir(exist_ok=True)
    with gzip.open(FIXTURE, "wt", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{FIXTURE}: {sum(len(v) for v in data.values()):,} texts in {len(data)} corpora")


if __name__ == "__main__":
    record()
