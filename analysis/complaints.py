"""A first complaint flag: does this post ask the company to fix something?

A complaint is not the same as negative sentiment: "where is my refund??" is a complaint with
no negative words, while "I hate Mondays, but the Aerolume lounge helps" is negative and no
complaint. So the flag weighs per-language complaint cues (asking for help, waiting, money,
something failed, anger: analysis/complaint_cues.toml) and adds negative sentiment and
questions only as supporting evidence. The company's own posts are never complaints.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

from collectors.matching import normalise

# How much each kind of cue says "complaint". One strong cue is enough; anger alone is not
# (people swear about the weather too), anger with a question or negative tone is.
WEIGHTS = {"help": 0.4, "waiting": 0.4, "money": 0.4, "failure": 0.4, "anger": 0.25}
NEGATIVE_TONE = 0.15  # sentiment at or below NEGATIVE_TONE_AT
NEGATIVE_TONE_AT = -0.3
QUESTION = 0.1
THRESHOLD = 0.35


@dataclass(frozen=True)
class Verdict:
    complaint: bool
    score: float
    cues: tuple[str, ...]  # "category:cue", the evidence shown to agents


@lru_cache(maxsize=1)
def cues() -> dict[str, dict[str, tuple[re.Pattern[str], ...]]]:
    """{lang: {category: cue patterns}} from the bundled cue lexicon.

    A cue must start a word ("error" does not fire inside "terror") but may run on, so one
    cue covers inflected forms ("ακύρωσ" finds ακύρωση and ακυρώσεις). Thai is written
    without spaces, so there a cue may start anywhere.
    """
    text = resources.files("analysis").joinpath("complaint_cues.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return {
        lang: {category: tuple(_cue_pattern(normalise(c), lang) for c in phrases)
               for category, phrases in categories.items()}
        for lang, categories in table.items()
    }


def _cue_pattern(cue: str, lang: str) -> re.Pattern[str]:
    body = re.escape(cue.strip())
    return re.compile(body if lang == "th" else rf"(?<![^\W_]){body}")


def judge(text: str, lang: str | None, sentiment: float | None, *, own: bool = False) -> Verdict:
    if own:
        return Verdict(False, 0.0, ())
    norm = normalise(text)
    lexicon = cues().get(lang or "", {})
    # Cues of English are checked too: customers mix in English words ("refund", "app").
    lexicons = [lexicon] if lang == "en" else [lexicon, cues().get("en", {})]
    # A cue inside a phrase of praise ("no delay at all") does not count; others still do.
    praise = [m.span() for lex in lexicons for p in lex.get("negation_praise", ())
              for m in p.finditer(norm)]

    def counts(match: re.Match[str]) -> bool:
        start, end = match.span()
        return not any(s <= start and end <= e for s, e in praise)

    found: list[str] = []
    total = 0.0
    for category, weight in WEIGHTS.items():
        hit = next((m for lex in lexicons for p in lex.get(category, ())
                    for m in p.finditer(norm) if counts(m)), None)
        if hit:
            total += weight
            found.append(f"{category}:{hit.group(0)}")
    if total and sentiment is not None and sentiment <= NEGATIVE_TONE_AT:
        total += NEGATIVE_TONE
    if total and ("?" in text or "؟" in text):
        total += QUESTION
    total = round(min(total, 1.0), 3)
    return Verdict(total >= THRESHOLD, total, tuple(found))


def judge_batch(
    texts: Sequence[str], langs: Sequence[str | None], sentiments: Sequence[float | None],
    own: Sequence[bool],
) -> list[Verdict]:
    return [judge(t, lang, s, own=o)
            for t, lang, s, o in zip(texts, langs, sentiments, own, strict=True)]
