"""Which watchlist terms a post mentions, in any of the scripts our customers write.

Matching is done on a normalised form of both text and term: case-folded, accents removed
(Greek writers often drop the tonos), Arabic/Persian letter variants unified (ي/ی, ك/ک,
أ/إ/آ/ا). Terms must stand as whole words, except in Thai, which is written without spaces
between words; Arabic-script terms may carry an attached conjunction or preposition
(و، ف، ب، ل، ال), as Arabic and Persian writers attach them to names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from clamor.config import Term

_ARABIC_VARIANTS = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ة": "ه", "ۀ": "ه",
    "\u200c": " ",  # zero-width non-joiner: Persian writers use it or a space interchangeably
    "\u0640": None,  # tatweel (kashida) only stretches letters
    "\u2019": "'", "\u2018": "'", "\u02bc": "'",  # typographic apostrophes: can’t = can't
})
_ARABIC_PROCLITICS = r"(?:و|ف|ب|ل|ک|ال|وال|بال|فال|لل)?"


def normalise(text: str) -> str:
    """The form both text and terms are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Drop combining marks (Greek tonos, Latin accents, Arabic harakat); keep Thai vowel
    # and tone marks, which are combining but change the word.
    stripped = "".join(
        ch for ch in decomposed
        if not (unicodedata.combining(ch) and not "\u0e00" <= ch <= "\u0e7f")
    )
    return unicodedata.normalize("NFC", stripped).translate(_ARABIC_VARIANTS)


def _script(term: str) -> str:
    for ch in term:
        if "\u0e00" <= ch <= "\u0e7f":
            return "thai"
        if "\u0600" <= ch <= "\u06ff":
            return "arabic"
    return "other"


@lru_cache(maxsize=4096)
def _pattern(spelling: str) -> re.Pattern[str]:
    norm = normalise(spelling).strip()
    body = r"\s+".join(re.escape(part) for part in norm.split())
    script = _script(norm)
    if script == "thai":
        return re.compile(body)
    if script == "arabic":
        return re.compile(rf"(?<!\w){_ARABIC_PROCLITICS}{body}(?!\w)")
    # "#Aerolume" and "@Aerolume" count; "Aerolumes" or "myaerolume" do not.
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


def contains(normalised_text: str, phrase: str) -> bool:
    return _pattern(phrase).search(normalised_text) is not None


@dataclass(frozen=True)
class Match:
    terms: tuple[str, ...]
    kinds: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


def match_terms(text: str, terms: tuple[Term, ...], exclusions: tuple[str, ...] = ()) -> Match:
    """The terms (canonical spelling) and their kinds that `text` mentions, exclusions applied.

    A global exclusion drops the whole post; a term's own `exclude` only drops that term.
    """
    norm = normalise(text)
    if any(contains(norm, phrase) for phrase in exclusions):
        return Match((), ())
    found = [
        term for term in terms
        if any(contains(norm, s) for s in term.spellings)
        and not any(contains(norm, phrase) for phrase in term.exclude)
    ]
    kinds = tuple(dict.fromkeys(term.kind for term in found))
    return Match(tuple(term.term for term in found), kinds)
