"""Language identification for mentions, offline, among the languages the company expects.

lingua does the work, restricted to the configured languages (fewer candidates, fewer
mistakes). Handles, links and hashtags are removed first: "@AerolumeHelp" is not English.
Short Arabic and Persian posts share most letters, so where lingua says one of the two, the
letters only one of them writes can overrule it: Persian پ چ ژ گ, Arabic ة and a final ى.
Yeh and kaf (ي/ی, ك/ک) depend on the writer's keyboard (much Persian is typed on Arabic
layouts), so they only break a tie when lingua itself is unsure.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from lingua import IsoCode639_1, LanguageDetectorBuilder

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+", re.UNICODE)
_PERSIAN_ONLY = set("پچژگ")
_ARABIC_ONLY = re.compile(r"ة|ى(?!\w)")
_KEYBOARD = {"ي": "ar", "ك": "ar", "ی": "fa", "ک": "fa"}
UNSURE_BELOW = 0.65  # lingua's confidence; set on the demo stream and the eval sets


def clean(text: str) -> str:
    return _NOISE.sub(" ", text)


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]):
    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    if len(codes) == 1:
        return None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def _arabic_or_persian(text: str, unsure: bool) -> str | None:
    arabic = len(_ARABIC_ONLY.findall(text))
    persian = sum(ch in _PERSIAN_ONLY for ch in text)
    if unsure and arabic == persian:
        arabic = sum(_KEYBOARD.get(ch) == "ar" for ch in text)
        persian = sum(_KEYBOARD.get(ch) == "fa" for ch in text)
    if arabic > persian:
        return "ar"
    if persian > arabic:
        return "fa"
    return None


def detect(texts: Sequence[str], languages: Sequence[str]) -> list[tuple[str | None, float]]:
    """(language code, confidence 0..1) per text; (None, 0.0) where the text has no words."""
    languages = tuple(sorted(set(languages)))
    cleaned = [clean(t) for t in texts]
    results: list[tuple[str | None, float]] = [(None, 0.0)] * len(texts)
    todo = [i for i, t in enumerate(cleaned) if any(ch.isalpha() for ch in t)]
    detector = _detector(languages)
    if detector is None:
        return [(languages[0], 1.0) if i in set(todo) else (None, 0.0)
                for i in range(len(texts))]
    values = detector.compute_language_confidence_values_in_parallel([cleaned[i] for i in todo])
    for i, ranked in zip(todo, values, strict=True):
        best = ranked[0]
        if best.value <= 0.0:  # written in none of the expected languages
            continue
        code = best.language.iso_code_639_1.name.lower()
        confidence = best.value
        if code in ("fa", "ar") and {"fa", "ar"} <= set(languages):
            decided = _arabic_or_persian(cleaned[i], unsure=confidence < UNSURE_BELOW)
            if decided and decided != code:
                other = next(r for r in ranked if r.language.iso_code_639_1.name.lower() == decided)
                code, confidence = decided, max(other.value, 0.5)
        results[i] = (code, round(float(confidence), 4))
    return results
