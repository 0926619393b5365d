"""Sentiment per language, with "unscored" kept apart from "neutral".

Each language has its own scorer. English uses VADER (compound score in [-1, 1]). VADER knows
no Persian, Arabic, Thai or Greek words and returns exactly 0.0 for them; reporting that as
"neutral" would hide every angry customer who does not write in English, so a language
without a scorer gets no score and the label "unscored".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

from analysis.language import clean

UNSCORED = "unscored"
# VADER's own recommended thresholds for its compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _vader_score(text: str) -> float:
    return float(_vader().polarity_scores(clean(text))["compound"])


# language code -> (model name, scorer returning a score in [-1, 1])
SCORERS: dict[str, tuple[str, Callable[[str], float]]] = {
    "en": ("vader-3.3.2", _vader_score),
}


def label(score: float | None) -> str:
    if score is None:
        return UNSCORED
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score(
    texts: Sequence[str], langs: Sequence[str | None]
) -> list[tuple[float | None, str, str | None]]:
    """(score or None, label, model name or None) per text, by its detected language."""
    out: list[tuple[float | None, str, str | None]] = []
    for text, lang in zip(texts, langs, strict=True):
        scorer = SCORERS.get(lang or "")
        if scorer is None:
            out.append((None, UNSCORED, None))
            continue
        model, fn = scorer
        value = round(fn(text), 4)
        out.append((value, label(value), model))
    return out
