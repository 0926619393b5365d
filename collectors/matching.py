"""Which watchlist terms a post mentions, in any of the scripts our customers write.

Matching is done on a normalised form of both text and term: case-folded, accents removed
(Greek writers often drop the tonos), Arabic/Persian letter variants unified (ي/ی, ك/ک,
أ/إ/آ/ا). Terms must stand as whole words, except in Thai, which is written without spaces
between words; Arabic-script terms may carry an attached conjunction or preposition
(و، ف، ب، ل، ال), as Arabic and Persian writers attach them to names.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
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
    """The form both text and terms are compared in (the reference: normal_form is the
    same, faster)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Drop combining marks (Greek tonos, Latin accents, Arabic harakat); keep Thai vowel
    # and tone marks, which are combining but change the word.
    stripped = "".join(
        ch for ch in decomposed
        if not (unicodedata.combining(ch) and not "\u0e00" <= ch <= "\u0e7f")
    )
    return unicodedata.normalize("NFC", stripped).translate(_ARABIC_VARIANTS)


@lru_cache(maxsize=1)
def _without_marks() -> dict[int, None]:
    """A str.translate table that drops the combining marks normalise drops: all of them
    but Thai vowel and tone marks."""
    return {c: None for c in range(sys.maxunicode + 1)
            if unicodedata.combining(chr(c)) and not 0x0E00 <= c <= 0x0E7F}


_VARIANTS = re.compile("[" + "".join(re.escape(chr(c)) for c in _ARABIC_VARIANTS) + "]")


def normal_form(text: str) -> str:
    """normalise(text), the same string, faster: ASCII text is only lower-cased (case
    folding is lower-casing there and nothing else applies), combining marks are dropped by
    one str.translate instead of a test per character, and the letter variants are
    translated only in a text that has one (tests/test_analysis_identical.py checks every
    character)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    composed = unicodedata.normalize("NFC", decomposed.translate(_without_marks()))
    return composed.translate(_ARABIC_VARIANTS) if _VARIANTS.search(composed) else composed


def _script(term: str) -> str:
    for ch in term:
        if "\u0e00" <= ch <= "\u0e7f":
            return "thai"
        if "\u0600" <= ch <= "\u06ff":
            return "arabic"
    return "other"


@dataclass(frozen=True)
class _Phrase:
    """A spelling as it is looked for: its pattern, and its words in normal form (longest
    first), which all stand in any text the pattern matches (a substring test costs a
    fraction of a regex search, and most spellings are in no given post)."""

    words: tuple[str, ...]
    pattern: re.Pattern[str]

    def found_in(self, normalised_text: str) -> bool:
        return (not self.words or self.words[0] in normalised_text) \
            and self.pattern.search(normalised_text) is not None


@lru_cache(maxsize=4096)
def _phrase(spelling: str) -> _Phrase:
    norm = normalise(spelling).strip()
    body = r"\s+".join(re.escape(part) for part in norm.split())
    script = _script(norm)
    if script == "thai":
        pattern = re.compile(body)
    elif script == "arabic":
        pattern = re.compile(rf"(?<!\w){_ARABIC_PROCLITICS}{body}(?!\w)")
    else:  # "#Aerolume" and "@Aerolume" count; "Aerolumes" or "myaerolume" do not.
        pattern = re.compile(rf"(?<![^\W_]){body}(?![^\W_])")
    return _Phrase(tuple(sorted(dict.fromkeys(norm.split()), key=len, reverse=True)), pattern)


def contains(normalised_text: str, phrase: str) -> bool:
    return _phrase(phrase).found_in(normalised_text)


@dataclass(frozen=True)
class Match:
    terms: tuple[str, ...]
    kinds: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


# Watchlist._by_word's marks: a term's spelling is the term's index (0, 1, 2…), its own
# exclusion ~index (-1, -2, -3…), a global exclusion _EXCLUDED.
_EXCLUDED = -(2**62)


class Watchlist:
    """Terms and exclusions made ready to look for, once for many posts."""

    def __init__(self, terms: tuple[Term, ...], exclusions: tuple[str, ...] = ()):
        self.exclusions = tuple(map(_phrase, exclusions))
        self.terms = tuple((term, tuple(map(_phrase, term.spellings)),
                            tuple(map(_phrase, term.exclude))) for term in terms)
        # Every phrase under one of its words, the one fewest phrases share (the longest of
        # those): a post holds few of the words, so the phrases worth a regex search are
        # found by a substring test per word, not per phrase, and "aerolume lamp" is not
        # tried on every post naming Aerolume. (An archive import matched 100,000 posts at
        # 29 µs each, testing every phrase.)
        phrases = [(_EXCLUDED, phrase) for phrase in self.exclusions]
        for index, (_, spellings, excluded) in enumerate(self.terms):
            phrases += [(index, phrase) for phrase in spellings]
            phrases += [(~index, phrase) for phrase in excluded]
        sharing = Counter(word for _, phrase in phrases for word in phrase.words)
        by_word: dict[str, list[tuple[int, re.Pattern[str], tuple[str, ...]]]] = {}
        for index, phrase in phrases:
            key = min(phrase.words, key=lambda word: (sharing[word], -len(word)), default="")
            others = tuple(word for word in phrase.words if word != key)
            by_word.setdefault(key, []).append((index, phrase.pattern, others))
        self._by_word = {word: tuple(found) for word, found in by_word.items()}

    def match(self, text: str) -> Match:
        """The terms (canonical spelling) and their kinds that `text` mentions, exclusions
        applied: a global exclusion drops the whole post; a term's own `exclude` only drops
        that term."""
        norm = normal_form(text)
        spelled: set[int] = set()
        unspelled: set[int] = set()  # terms whose own exclusion the text holds
        for word, phrases in self._by_word.items():
            if word not in norm:  # then none of these phrases is in the text
                continue
            for index, pattern, others in phrases:
                if others and not all(other in norm for other in others) \
                        or pattern.search(norm) is None:
                    continue
                if index >= 0:
                    spelled.add(index)
                elif index == _EXCLUDED:
                    return Match((), ())
                else:
                    unspelled.add(~index)
        found = [self.terms[index][0] for index in sorted(spelled - unspelled)]
        kinds = tuple(dict.fromkeys(term.kind for term in found))
        return Match(tuple(term.term for term in found), kinds)


def match_terms(text: str, terms: tuple[Term, ...], exclusions: tuple[str, ...] = ()) -> Match:
    """Watchlist(terms, exclusions).match(text), for one post."""
    return Watchlist(terms, exclusions).match(text)
