"""The labelled sets the sentiment models learn from, and the fixed split that keeps a fifth of
each set for measuring them. scripts/train_sentiment.py and tests/test_sentiment_models.py
both read the data through here, so the held-out rows are the same for both.

Each set is mapped to three labels (neg, neu, pos) and de-duplicated on the text as the model
sees it (links and handles gone, case and accents folded): a retweet with another t.co link
is the same text. Where copies disagree the majority label wins; a tie drops the text.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from analysis.sentiment import prepare

# Bump the salt only together with retraining every model: it decides which rows are held out.
SPLIT_SALT = b"clamor-sentiment-split-1\x00"
HELD_OUT_PERCENT = 20


@dataclass(frozen=True)
class LabelledSet:
    lang: str
    name: str
    path: str  # relative to the eval root
    labels: dict[str, str | None]  # source label -> neg/neu/pos, None = dropped
    note: str


# One set per language. Greek: el_cardiff_politics only (MIT, 965 rows). el_sentimp21 repeats
# 490 of its tweets, so it is neither trained on nor tested on; never mix the two.
SETS: dict[str, LabelledSet] = {
    "ar": LabelledSet(
        "ar", "ar_astd", "ar_astd/astd_sample5000.csv",
        {"POS": "pos", "NEG": "neg", "NEUTRAL": "neu", "OBJ": "neu"},
        "ASTD: objective (OBJ) and subjective-mixed (NEUTRAL) are both neutral: neither leans"),
    "th": LabelledSet(
        "th", "th_wisesight", "th_wisesight/wisesight_sample5000.csv",
        {"pos": "pos", "neu": "neu", "neg": "neg", "q": "neu"},
        "Wisesight: questions (q) are neutral - Clamor's inbox is full of plain questions"),
    "el": LabelledSet(
        "el", "el_cardiff_politics", "el_cardiff_politics/gr_politics_sentiment.csv",
        {"-1": "neg", "0": "neu", "1": "pos"},
        "Cardiff Greek MP tweets; SentiMP-21 (same tweets) is not used"),
    "fa": LabelledSet(
        "fa", "fa_xed", "fa_xed/xed_fa.csv",
        {"pos": "pos", "neg": "neg", "mixed": None, "other": None},
        "XED subtitles, polarity derived from emotions; mixed and surprise-only rows dropped, "
        "so there is no neutral class"),
}


def eval_root() -> Path | None:
    """The shared evaluation folder ($CLAMOR_EVAL_DATA, else ../shared/eval), if present."""
    env = os.environ.get("CLAMOR_EVAL_DATA")
    candidates = [Path(env)] if env else []
    repo = Path(__file__).resolve().parents[2]
    candidates.append(repo.parent / "shared" / "eval")
    return next((p for p in candidates if (p / "README.md").is_file()), None)


def held_out(text: str) -> bool:
    """True for the fifth of texts kept for measuring: a salted CRC-32 of the text itself.

    The raw text (whitespace-trimmed) is hashed rather than its normalised form, so a change
    to normalisation elsewhere cannot move rows between training and held-out.
    """
    return zlib.crc32(SPLIT_SALT + text.strip().encode("utf-8")) % 100 < HELD_OUT_PERCENT


def rows(lang: str, root: Path | None = None) -> list[tuple[str, str]]:
    """(text, label) for a language's set, labels mapped, duplicates merged, in file order."""
    spec = SETS[lang]
    root = root or eval_root()
    if root is None:
        raise FileNotFoundError("the shared evaluation data (../shared/eval) is not here")
    with open(root / spec.path, encoding="utf-8", newline="") as f:
        raw = [(r["text"], spec.labels[r["label"].strip()]) for r in csv.DictReader(f)]
    first: dict[str, str] = {}
    votes: dict[str, Counter[str]] = {}
    for text, lab in raw:
        if lab is None or not text.strip():
            continue
        key = prepare(text)
        first.setdefault(key, text)
        votes.setdefault(key, Counter())[lab] += 1
    out = []
    for key, text in first.items():
        (top, n), *rest = votes[key].most_common()
        if rest and rest[0][1] == n:
            continue
        out.append((text, top))
    return out


Rows = list[tuple[str, str]]


def split(lang: str, root: Path | None = None) -> tuple[Rows, Rows]:
    """(training rows, held-out rows) for a language."""
    data = rows(lang, root)
    return ([r for r in data if not held_out(r[0])], [r for r in data if held_out(r[0])])
