"""`clamor eval`: measure the analysis pass on labelled CSV files.

Every CSV in a folder (UTF-8, header row, RFC-4180 quoting: texts may hold newlines) is read
with the csv module and measured on whatever its columns allow; one file may allow several:

- ``text,label`` (pos/neu/neg, or positive/neutral/negative, any case): accuracy and macro-F1
  of the sentiment label, overall and per language. "unscored" is a miss. Rows with another
  label (or no text) are left out and counted as ``ignored``.
- ``text,human_score`` (a continuous rating): Pearson r of the sentiment score against it,
  over the rows that got a score (the others are counted as ``unscored``).
- ``text,is_complaint`` (1/0): precision, recall and F1 of the complaint flag.
- ``text,lang``: how often language identification finds the given language.

A row's language is its ``lang`` column where the file has one and the cell is filled, else
what analysis.language.detect finds among en, fa, ar, th, el; sentiment and the complaint flag
both use that language, as the pipeline does with the detected one. Each file's texts are
analysed in one batch (detect, score, judge), cut to the pipeline's ANALYSED_CHARS, and
``texts_per_s`` is that batch's throughput. A file that cannot be read gets an ``error``
sentence instead of figures; the other files are still measured.

    python -m clamor.evaluate --data DIR [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from analysis import complaints, language, sentiment

LANGUAGES = ("en", "fa", "ar", "th", "el")
# The pipeline reads a post's opening only (clamor.pipeline.ANALYSED_CHARS); so does eval.
ANALYSED_CHARS = 4000
LABELS = {"pos": "pos", "positive": "pos", "neu": "neu", "neutral": "neu",
          "neg": "neg", "negative": "neg"}
PREDICTED = {"positive": "pos", "neutral": "neu", "negative": "neg"}
TRUE = {"1", "true", "yes", "y"}
FALSE = {"0", "false", "no", "n"}
UNKNOWN_LANG = "unknown"

# csv refuses fields over 128 KiB by default; a long post is still a post.
csv.field_size_limit(16 * 1024 * 1024)


class EvalError(ValueError):
    """A problem with the folder itself (missing, not a folder, no CSV files)."""


# --- Metrics ------------------------------------------------------------------------------

def accuracy(gold: Sequence[Any], pred: Sequence[Any]) -> float | None:
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float | None:
    """Mean F1 over the classes present in `gold`; a prediction outside them (such as
    "unscored") is a miss. The same definition as tests/test_sentiment_models.py."""
    if not gold:
        return None
    f1s = []
    for c in sorted(set(gold)):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson r; None with fewer than two points or when either side never varies."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def precision_recall_f1(gold: Sequence[bool], pred: Sequence[bool]
                        ) -> tuple[float | None, float | None, float | None]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return precision, recall, f1


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- Reading ------------------------------------------------------------------------------

def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(lower-cased column names, rows) of a CSV; raises ValueError with a sentence."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                raise ValueError("the file is empty (no header row)")
            columns = [h.strip().lower() for h in header]
            rows = []
            for number, values in enumerate(reader, start=2):
                if not values:
                    continue
                if len(values) > len(columns):
                    raise ValueError(f"record {number} has {len(values)} fields, "
                                     f"the header has {len(columns)}")
                rows.append(dict(zip(columns, values, strict=False)))  # short rows: cells missing
    except UnicodeDecodeError as exc:
        raise ValueError(f"it is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    except csv.Error as exc:
        raise ValueError(f"it is not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise ValueError(f"it cannot be opened ({exc.strerror or exc})") from None
    return columns, rows


def _label(value: str) -> str | None:
    return LABELS.get(value.strip().lower())


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in TRUE else False if v in FALSE else None


def _number(value: str) -> float | None:
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


# --- Evaluation ---------------------------------------------------------------------------

@cache
def _warm_up() -> None:
    """Load lingua's and the sentiment models once, so no file's throughput pays for it."""
    samples = ["The flight was great, thank you", "پرواز خیلی خوب بود، ممنون",
               "الرحلة كانت ممتازة شكرا", "เที่ยวบินดีมาก ขอบคุณครับ",
               "Η πτήση ήταν υπέροχη, ευχαριστώ"]
    detected = language.detect(samples, LANGUAGES)
    sentiment.score(samples, [code for code, _ in detected])
    sentiment.score(samples, list(LANGUAGES))


def evaluate_file(path: str | Path) -> dict[str, Any]:
    """The figures a CSV file's columns allow, or {"error": sentence}."""
    path = Path(path)
    try:
        columns, rows = _read(path)
    except ValueError as exc:
        return {"error": f"{path.name} could not be read: {exc}."}
    if "text" not in columns:
        return {"error": f"{path.name} has no text column (its columns: "
                         f"{', '.join(columns) or 'none'})."}
    tasks = [c for c in ("label", "human_score", "is_complaint", "lang") if c in columns]
    if not tasks:
        return {"error": f"{path.name} has a text column but none of label, human_score, "
                         f"is_complaint or lang, so there is nothing to measure."}
    # A row without text says nothing about the analysis: it is counted as ignored.
    read = len(rows)
    rows = [r for r in rows if (r.get("text") or "").strip()]
    texts = [r["text"][:ANALYSED_CHARS] for r in rows]
    given = [(r.get("lang") or "").strip().lower() or None for r in rows]

    _warm_up()
    started = time.perf_counter()
    detected = [code for code, _ in language.detect(texts, LANGUAGES)]
    langs = [g or d for g, d in zip(given, detected, strict=True)]
    scores = sentiment.score(texts, langs)
    verdicts = (complaints.judge_batch(texts, langs, [s for s, _, _ in scores],
                                       [False] * len(texts))
                if "is_complaint" in columns else None)
    elapsed = time.perf_counter() - started

    out: dict[str, Any] = {"rows": len(rows)}
    ignored = read - len(rows)
    if "label" in columns:
        keep = [(i, _label(r.get("label") or "")) for i, r in enumerate(rows)]
        ignored += sum(lab is None for _, lab in keep)
        keep = [(i, lab) for i, lab in keep if lab is not None]
        gold = [lab for _, lab in keep]
        pred = [PREDICTED.get(scores[i][1], scores[i][1]) for i, _ in keep]
        out["accuracy"] = _r(accuracy(gold, pred))
        out["macro_f1"] = _r(macro_f1(gold, pred))
        per_language: dict[str, dict[str, Any]] = {}
        for lang in sorted({langs[i] or UNKNOWN_LANG for i, _ in keep}):
            where = [k for k, (i, _) in enumerate(keep) if (langs[i] or UNKNOWN_LANG) == lang]
            g = [gold[k] for k in where]
            p = [pred[k] for k in where]
            per_language[lang] = {"rows": len(where), "accuracy": _r(accuracy(g, p)),
                                  "macro_f1": _r(macro_f1(g, p))}
        out["per_language"] = per_language
    if "human_score" in columns:
        pairs = [(_number(r.get("human_score") or ""), scores[i][0]) for i, r in enumerate(rows)]
        ignored += sum(h is None for h, _ in pairs)
        rated = [(h, s) for h, s in pairs if h is not None]
        scored = [(h, s) for h, s in rated if s is not None]
        out["pearson_r"] = _r(pearson([s for _, s in scored], [h for h, _ in scored]))
        if len(scored) < len(rated):
            out["unscored"] = len(rated) - len(scored)
    if verdicts is not None:
        flags = [(_flag(r.get("is_complaint") or ""), verdicts[i].complaint)
                 for i, r in enumerate(rows)]
        ignored += sum(g is None for g, _ in flags)
        flags = [(g, p) for g, p in flags if g is not None]
        precision, recall, f1 = precision_recall_f1([g for g, _ in flags],
                                                    [p for _, p in flags])
        out.update(precision=_r(precision), recall=_r(recall), f1=_r(f1))
    if "lang" in columns:
        known = [(g, d) for g, d in zip(given, detected, strict=True) if g]
        out["lang_accuracy"] = _r(accuracy([g for g, _ in known], [d for _, d in known]))
    if ignored:
        out["ignored"] = ignored
    out["texts_per_s"] = round(len(texts) / elapsed) if texts and elapsed > 0 else None
    return out


def evaluate_dir(path: str | Path) -> dict[str, dict[str, Any]]:
    """{file name: figures} for every CSV file in a folder, in name order."""
    folder = Path(path)
    if not folder.exists():
        raise EvalError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise EvalError(f"{folder}: is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise EvalError(f"{folder}: holds no CSV files")
    return {p.name: evaluate_file(p) for p in files}


# --- Output -------------------------------------------------------------------------------

COLUMNS = (("rows", "rows"), ("accuracy", "acc"), ("macro_f1", "macro-F1"),
           ("pearson_r", "r"), ("precision", "P"), ("recall", "R"), ("f1", "F1"),
           ("lang_accuracy", "lang acc"), ("texts_per_s", "texts/s"))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """A plain-text table: one line per file, one indented line per language of a sentiment
    file, and notes (errors, ignored and unscored rows) below."""
    header = ["file", *(title for _, title in COLUMNS)]
    lines: list[list[str]] = []
    notes: list[str] = []
    for name, figures in results.items():
        if "error" in figures:
            lines.append([name, *(["-"] * len(COLUMNS))])
            notes.append(f"{name}: {figures['error']}")
            continue
        lines.append([name, *(_cell(figures.get(key)) if key in figures else ""
                              for key, _ in COLUMNS)])
        for lang, sub in figures.get("per_language", {}).items():
            lines.append([f"  {lang}", *(_cell(sub.get(key)) if key in sub else ""
                                         for key, _ in COLUMNS)])
        if figures.get("ignored"):
            notes.append(f"{name}: {figures['ignored']} row(s) ignored (a label, score or "
                         f"flag Clamor does not know)")
        if figures.get("unscored"):
            notes.append(f"{name}: {figures['unscored']} row(s) unscored, left out of r")
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    out = [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in lines)]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def run(data: str | Path, as_json: bool = False, out: TextIO | None = None) -> int:
    """What `clamor eval` does: 0 when every file was measured, 1 when one could not be read.
    Raises EvalError for a missing or empty folder."""
    out = out or sys.stdout
    results = evaluate_dir(data)
    if as_json:
        out.write(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_table(results) + "\n")
    return 1 if any("error" in figures for figures in results.values()) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clamor.evaluate",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, metavar="DIR")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        return run(args.data, args.json)
    except EvalError as exc:
        print(f"clamor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
