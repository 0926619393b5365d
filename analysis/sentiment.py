"""Sentiment per language, with "unscored" kept apart from "neutral".

Each language has its own scorer. English uses VADER (compound score in [-1, 1]), with fixes
for regressions of vaderSentiment 3.3.2 (see ClamorVader). VADER knows no Persian,
Arabic, Thai or Greek words and returns exactly 0.0 for them, so those languages use small
models shipped in analysis/models/ (trained by scripts/train_sentiment.py): a logistic
regression over hashed character n-grams (and word uni/bigrams), plus a polarity lexicon and
hand-written customer-service cues that move the score where they fire. Both need only numpy.
A language without a scorer gets no score and the label "unscored", never a fake "neutral".
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise

import numpy as np

UNSCORED = "unscored"
# VADER's own recommended thresholds for its compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

log = logging.getLogger(__name__)


VADER_MODEL = "vader-3.3.2+clamor-1"
# Cased emoticons VADER's lexicon file lists lower-cased, where a later entry overwrites them:
# "D:" (anguish, rated -2.9) became "d:" and lost to the tongue face "d:" (+1.2).
_CASED_EMOTICONS = {"D:": -2.9, "D=": -3.0}
_HEART_WORD = re.compile(r"\bheart(s?)\b")
_VARIATION = re.compile("[\ufe0e\ufe0f]")
# Where a negation's reach ends (punctuation, as in Pang, Lee & Vaithyanathan 2002): a
# word ending in one of these.
_SENTENCE_END = (".", "!", "?", ";", ",")


class ClamorVader:
    """vaderSentiment 3.3.2's compound score with the regressions that cost it correlation
    on its own tweets fixed (its paper's r = 0.881 is VADER 0.5, 2014; 3.3.2 scores 0.872 on
    the same raw texts):

    - "D:" and "D=" keep their own (negative) ratings, see _CASED_EMOTICONS;
    - "no no no" is negative: a "no" next to another "no" keeps its own valence instead of
      one negating the other into a positive;
    - a negator's reach stops at an earlier sentiment word (in "don't care don't care" the
      second "care" was negated twice, so positive) and at punctuation (3.3.2 strips it off
      the words first, so "Nothing happened! You suck" read as "nothing ... suck");
    - "but" halves what comes before it and boosts what follows, by position (3.3.2 looked
      positions up by value, so equal scores before "but" were scaled as if after it);
    - the word "heart" is not praise ("broke my heart"); it was added in 3.3 for emoji
      descriptions, so only the heart emoji count as positive, and 💔 as "</3".

    Its rules and lexicons are vaderSentiment's own, applied in one pass over the words:
    3.3.2 lower-cases every word of the text again for each rule it checks at each
    sentiment word (quadratic in the text's length) and builds the emoji-free text a
    character at a time; here each word is lower-cased once and the emoji table is consulted
    only for texts with an emoji in them. Same arithmetic in the same order, so the same
    floats: tests/test_analysis_identical.py checks it against the subclass of 3.3.2's
    analyser it replaced, on generated sentences and on every recorded text.
    """

    def __init__(self):
        from vaderSentiment import vaderSentiment as vs

        stock = vs.SentimentIntensityAnalyzer()
        self.lexicon = dict(stock.lexicon)
        for word in ("heart", "hearts"):
            self.lexicon[f"{word}_emoji"] = self.lexicon.pop(word)
        self.emojis = {e: "</3" if d == "broken heart" else _HEART_WORD.sub(r"heart\1_emoji", d)
                       for e, d in stock.emojis.items()}
        # Only one-character keys can match: 3.3.2 looks the text up a character at a time.
        self._emoji_chars = frozenset(e for e in self.emojis if len(e) == 1)
        self._boosters = dict(vs.BOOSTER_DICT)
        self._special = dict(vs.SPECIAL_CASES)
        self._negate = frozenset(vs.NEGATE)
        # Every word of a special case or a two-word booster: an idiom can only be there if
        # one of these is.
        self._idiom_words = frozenset(w for phrase in [*self._special, *self._boosters]
                                      if " " in phrase or phrase in self._special
                                      for w in phrase.split())
        self._punctuation = vs.string.punctuation
        # The words the loop in compound does anything with; every other word scores 0.
        self._scoring = frozenset([*self.lexicon, *self._boosters,
                                   *(e.lower() for e in _CASED_EMOTICONS)])
        self.c_incr, self.n_scalar = vs.C_INCR, vs.N_SCALAR

    def _without_emoji(self, text: str) -> str:
        if text.isascii() or self._emoji_chars.isdisjoint(text):
            return text.strip()
        out = ""
        prev_space = True
        for ch in text:
            if ch in self.emojis:
                if not prev_space:
                    out += " "
                out += self.emojis[ch]
                prev_space = False
            else:
                out += ch
                prev_space = ch == " "
        return out.strip()

    def compound(self, text: str) -> float:
        """The compound score in [-1, 1], rounded to 4 places as VADER rounds it."""
        text = self._without_emoji(text)
        raw = text.split()
        if not raw:
            return 0.0
        punct = self._punctuation
        words = []
        for token in raw:
            stripped = token.strip(punct)
            words.append(token if len(stripped) <= 2 else stripped)
        n = len(words)
        upper = [w.isupper() for w in words]
        capitals = sum(upper)
        cap_diff = 0 < n - capitals < n
        lower = [w.lower() for w in words]
        lexicon, boosters = self.lexicon, self._boosters
        # (position, valence) of the words that have one; the others' 0 changes no sum.
        sentiments: list = []
        scoring = self._scoring
        for i in [i for i, low in enumerate(lower) if low in scoring]:
            item, low = words[i], lower[i]
            if low in boosters or (low == "kind" and i < n - 1 and lower[i + 1] == "of"):
                continue
            if item in _CASED_EMOTICONS:
                sentiments.append((i, _CASED_EMOTICONS[item]))
                continue
            if low == "no" and ((i > 0 and lower[i - 1] == "no")
                                or (i + 1 < n and lower[i + 1] == "no")):
                value = lexicon["no"]
                if upper[i] and cap_diff:
                    value -= self.c_incr
                sentiments.append((i, value))
                continue
            if low not in lexicon:
                continue
            sentiments.append(
                (i, self._valence(i, item, low, raw, words, lower, upper, cap_diff)))
        if "but" in lower:
            at = lower.index("but")
            sentiments = [(k, s * 0.5 if k < at else s * 1.5 if k > at else s)
                          for k, s in sentiments]
        total = float(sum(s for _, s in sentiments))
        emphasis = min(text.count("!"), 4) * 0.292
        questions = text.count("?")
        if questions > 1:
            emphasis += questions * 0.18 if questions <= 3 else 0.96
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        score = total / math.sqrt(total * total + 15)
        return round(max(-1.0, min(1.0, score)), 4)

    def _valence(self, i, item, low, raw, words, lower, upper, cap_diff):
        """A sentiment word's valence after the words before it (and idioms around it)."""
        lexicon = self.lexicon
        # The negation and booster look-back (3 words) ends at the nearest earlier sentiment
        # word other than "no" (which negates), and at punctuation: "Nothing happened! You
        # suck" and "Nope, still clueless" negate nothing. What lies before is hidden ("").
        start = 0
        for back in (1, 2):
            j = i - back
            if j > 0 and lower[j] in lexicon and lower[j] != "no":
                start = j
                break
        for j in range(i - 1, max(start, i - 4), -1):
            if raw[j].endswith(_SENTENCE_END):
                start = j + 1
                break

        # The three words before it as the rules see them (hidden ones are "").
        w1 = lower[i - 1] if i - 1 >= start else ""
        w2 = lower[i - 2] if i - 2 >= start else ""
        w3 = lower[i - 3] if i - 3 >= start else ""
        before = (w1, w2, w3)

        n = len(words)
        valence = lexicon[low]
        if low == "no" and i != n - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (i > 0 and w1 == "no") or (i > 1 and w2 == "no") \
                or (i > 2 and w3 == "no" and w1 in ("or", "nor")):
            valence = lexicon[low] * self.n_scalar
        if upper[i] and cap_diff:
            valence = valence + self.c_incr if valence > 0 else valence - self.c_incr
        for start_i in range(3):
            k = i - (start_i + 1)
            if not (i > start_i and before[start_i] not in lexicon):
                continue
            if k >= start:
                s = self._scalar(words[k], lower[k], upper[k], valence, cap_diff)
                if s != 0:
                    s = s * 0.95 if start_i == 1 else s * 0.9 if start_i == 2 else s
            else:
                s = 0.0
            valence = valence + s
            valence = self._negation(valence, w1, w2, w3, start_i)
            if start_i == 2:
                valence = self._idioms(valence, w3, w2, w1, low, lower, i, n)
        if i > 1 and w1 not in lexicon and w1 == "least":
            if w2 != "at" and w2 != "very":
                valence = valence * self.n_scalar
        elif i > 0 and w1 not in lexicon and w1 == "least":
            valence = valence * self.n_scalar
        return valence

    def _scalar(self, word, low, upper, valence, cap_diff):
        scalar = 0.0
        if low in self._boosters:
            scalar = self._boosters[low]
            if valence < 0:
                scalar *= -1
            if upper and cap_diff:
                scalar = scalar + self.c_incr if valence > 0 else scalar - self.c_incr
        return scalar

    def _negated(self, word: str) -> bool:
        return word in self._negate or "n't" in word

    def _negation(self, valence, w1, w2, w3, start_i):
        if start_i == 0:
            if self._negated(w1):
                valence = valence * self.n_scalar
        elif start_i == 1:
            if w2 == "never" and w1 in ("so", "this"):
                valence = valence * 1.25
            elif w2 == "without" and w1 == "doubt":
                pass
            elif self._negated(w2):
                valence = valence * self.n_scalar
        else:
            if (w3 == "never" and w2 in ("so", "this")) or w1 in ("so", "this"):
                valence = valence * 1.25
            elif w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
                pass
            elif self._negated(w3):
                valence = valence * self.n_scalar
        return valence

    def _idioms(self, valence, w3, w2, w1, w0, lower, i, n):
        """Idioms around the word at i (w0; w1..w3 the words before it as the rules see
        them, the words after it are never hidden)."""
        after = lower[i + 1:min(n, i + 3)]
        if self._idiom_words.isdisjoint((w3, w2, w1, w0, *after)):
            return valence
        special = self._special
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}",
                    f"{w3} {w2}"):
            if seq in special:
                valence = special[seq]
                break
        if n - 1 > i:
            seq = f"{w0} {lower[i + 1]}"
            if seq in special:
                valence = special[seq]
        if n - 1 > i + 1:
            seq = f"{w0} {lower[i + 1]} {lower[i + 2]}"
            if seq in special:
                valence = special[seq]
        for seq in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
            if seq in self._boosters:
                valence = valence + self._boosters[seq]
        return valence


@lru_cache(maxsize=1)
def _vader() -> ClamorVader:
    return ClamorVader()


def _vader_score(text: str) -> float:
    """VADER's compound score of the text as written: VADER reads raw social text itself
    (handles and links are words it does not know; it strips the "#" off "#fail", which
    says something), so only HTML entities (&amp;, &lt;3) and emoji variation selectors
    (❤️ is ❤ + U+FE0F, which VADER's emoji table does not match) are undone first."""
    return float(_vader().compound(_VARIATION.sub("", html.unescape(text))))


def label(score: float | None) -> str:
    if score is None:
        return UNSCORED
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


# --- Character n-gram models --------------------------------------------------------------

MODEL_VERSION = 3
_REPEATS = re.compile(r"(.)\1{3,}", re.DOTALL)
_SPACES = re.compile(r"[\s_]+")
_LINKS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|@[\w.]+")
# Letter forms writers (and keyboards) use interchangeably in Arabic and Persian, and digits
# in three scripts. Diacritics (harakat), tatweel and presentation forms (ﺣﻤﺪﻳﻦ) are handled
# by the compatibility decomposition in normalise.
_LETTER_FORMS = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ۀ": "ه",
    "\u200c": " ", "\u200d": None, "\u0640": None,
    "\u2019": "'", "\u2018": "'", "\u02bc": "'",
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
})


def normalise(text: str) -> str:
    """Case folded, accents and harakat dropped (Thai vowel and tone marks kept: they change
    the word), compatibility forms unfolded, Arabic/Persian letter forms and digits unified."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed
                       if not (unicodedata.combining(ch) and not "\u0e00" <= ch <= "\u0e7f"))
    return unicodedata.normalize("NFC", stripped).translate(_LETTER_FORMS)


def prepare(text: str) -> str:
    """The form a model reads, the same in training and in use.

    HTML entities are decoded, links and @handles go, hashtags keep their words (#خدمة_سيئة
    says something), text is normalised (case, accents, Arabic/Persian letter forms, digits)
    and runs of one character are cut to three ("جداااااا", "55555" and "!!!!!!!" all say the
    same thing three times). It is defined here, not borrowed from language identification or
    watchlist matching, so that a change there cannot silently move a shipped model's features.
    """
    text = _LINKS_AND_HANDLES.sub(" ", html.unescape(text)).replace("#", " ")
    text = _REPEATS.sub(r"\1\1\1", normalise(text))
    return _SPACES.sub(" ", text).strip()


# 64-bit FNV-1a over code points, then MurmurHash3's finaliser: deterministic everywhere,
# unlike Python's salted hash(), and computed for all n-grams of a batch at once in numpy.
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)


def _mixed(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, in place (callers silence numpy's overflow)."""
    h ^= h >> np.uint64(33)
    h *= _MIX1
    h ^= h >> np.uint64(33)
    h *= _MIX2
    h ^= h >> np.uint64(33)
    return h


def ngram_features(
    prepared: Sequence[str], bits: int, ngrams: tuple[int, int] = (1, 5)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashed character n-grams inside words (scikit-learn's "char_wb"), as CSR parts
    (indptr, indices, values): log-scaled counts, each text's row scaled to unit length."""
    count = len(prepared)
    padded = [f" {t} " for t in prepared]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=count)
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(count, dtype=np.int64), lengths)
    space = codes == 32
    hashes, rows = [], []
    with np.errstate(over="ignore"):
        for n in range(ngrams[0], ngrams[1] + 1):
            m = codes.size - n + 1
            if m <= 0:
                continue
            keep = owner[:m] == owner[n - 1:]
            for k in range(1, n - 1):  # spaces may only pad a word's n-grams, not split them
                keep &= ~space[k:k + m]
            if n == 1:
                keep &= ~space[:m]
            h = np.full(m, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
            for k in range(n):
                h = (h ^ codes[k:k + m]) * _FNV_PRIME
            hashes.append(h[keep])
            rows.append(owner[:m][keep])
        h = _mixed(np.concatenate(hashes) if hashes else np.zeros(0, np.uint64))
    cols = (h >> np.uint64(64 - bits)).astype(np.int64)
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return _csr(row, cols, count, bits)


_WORD_MARK = np.uint64(0x5745 << 32)  # keeps word hashes apart from character n-grams


def word_features(prepared: Sequence[str], bits: int) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """Hashed word unigrams and bigrams (CRC-32 of the UTF-8, then the same finaliser), as
    CSR parts with the same scaling as ngram_features: log counts, rows of unit length."""
    count = len(prepared)
    hashes, owners = [], []
    for row, text in enumerate(prepared):
        words = _WORD.findall(text)
        grams = words + [f"{a} {b}" for a, b in pairwise(words)]
        hashes.extend(zlib.crc32(g.encode("utf-8")) for g in grams)
        owners.extend([row] * len(grams))
    with np.errstate(over="ignore"):
        h = _mixed(np.array(hashes, dtype=np.uint64) | _WORD_MARK)
    cols = (h >> np.uint64(64 - bits)).astype(np.int64)
    return _csr(np.array(owners, dtype=np.int64), cols, count, bits)


def _csr(row: np.ndarray, cols: np.ndarray, count: int, bits: int):
    keys, counts = np.unique((row << bits) | cols, return_counts=True)
    row, cols = keys >> bits, keys & ((1 << bits) - 1)
    values = 1.0 + np.log(counts)
    norms = np.sqrt(np.bincount(row, weights=values * values, minlength=count))
    values = values / np.where(norms > 0, norms, 1.0)[row]
    indptr = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=count), out=indptr[1:])
    return indptr, cols, values


def features(prepared: Sequence[str], bits: int, ngrams: tuple[int, int],
             word_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character n-grams, plus word uni/bigrams `word_weight` times (0: none), in one hashed
    space, as CSR parts. A character and a word feature that share a column both count."""
    indptr, cols, values = ngram_features(prepared, bits, ngrams)
    if not word_weight:
        return indptr, cols, values
    w_indptr, w_cols, w_values = word_features(prepared, bits)
    rows = np.concatenate([np.repeat(np.arange(len(prepared)), np.diff(indptr)),
                           np.repeat(np.arange(len(prepared)), np.diff(w_indptr))])
    order = np.argsort(rows, kind="stable")
    cols = np.concatenate([cols, w_cols])[order]
    values = np.concatenate([values, word_weight * w_values])[order]
    merged = np.zeros(len(prepared) + 1, dtype=np.int64)
    merged[1:] = indptr[1:] + w_indptr[1:]
    return merged, cols, values


# --- Lexicon and cues ---------------------------------------------------------------------

_WORD = re.compile(r"\w+")
# Arabic writers attach "and", "with", "the" to the next word: وشكرا، بالتوفيق.
_ARABIC_PROCLITICS = "(?:وال|بال|فال|لل|ال|و|ف|ب|ل)?"
_THAI_LONGEST = 12

# Light stemming so a lexicon entry finds its inflected forms. A stem must keep 3 letters.
_SUFFIXES = {
    "el": ("ουμε", "ουνε", "ειτε", "ουσα", "ετε", "ουν", "εισ", "οσ", "ησ", "εσ", "ασ", "ου",
           "ων", "οι", "αι", "ει", "α", "η", "ο", "ε", "ι", "υ"),
    "fa": ("هایی", "های", "ترین", "ها", "تر", "یم", "ید", "ند", "ام", "ای", "اش", "مان",
           "تان", "شان", "ی", "م", "ت", "ش", "ه"),
    "ar": ("هما", "کما", "ها", "هم", "هن", "کم", "نا", "ات", "ون", "ین", "ان", "ه", "ی"),
}
_PREFIXES = {
    "ar": ("وال", "بال", "فال", "کال", "لل", "ال", "و", "ف", "ب", "ل"),
    "fa": ("می", "نمی", "بی"),
}


def _stem(word: str, lang: str) -> str:
    for p in _PREFIXES.get(lang, ()):
        if word.startswith(p) and len(word) - len(p) >= 3:
            word = word[len(p):]
            break
    for s in _SUFFIXES.get(lang, ()):
        if word.endswith(s) and len(word) - len(s) >= 3:
            return word[:-len(s)]
    return word


@dataclass(frozen=True)
class Lexicon:
    """Polarity evidence: hand-written cues (phrases, weight ±1) first, then the word lexicon
    (weight ±lexicon_weight) on the words no cue covered. A negator up to two words before
    (or, in Persian, a negated verb right after it: "خوب نبود") flips a cue or word. Cues of
    weight 0 only block: "รับผิดชอบ" (responsible) keeps "ชอบ" (like) from firing inside it."""

    lang: str
    cues: dict[str, float]  # normalised phrase -> signed weight
    cue_pattern: re.Pattern[str] | None
    words: dict[str, float]  # normalised word or stem -> signed weight
    negators_before: frozenset[str]
    negators_after: frozenset[str]

    @classmethod
    def build(cls, lang: str, cues: dict[str, float], words: dict[str, float],
              before: Sequence[str], after: Sequence[str]) -> Lexicon:
        # A cue ending in "*" may run on ("ممنون*" finds ممنونم); others are whole words.
        # Thai has no spaces between words, so there a cue may sit anywhere.
        parts = []
        for cue in sorted(cues, key=len, reverse=True):
            body = re.escape(cue.rstrip("*"))
            if lang == "th":
                parts.append(body)
            else:
                parts.append(body + ("" if cue.endswith("*") else r"(?!\w)"))
        start = {"th": "", "ar": r"(?<!\w)" + _ARABIC_PROCLITICS}.get(lang, r"(?<!\w)")
        pattern = re.compile(start + "(" + "|".join(parts) + ")") if parts else None
        plain = {c.rstrip("*"): w for c, w in cues.items()}
        index: dict[str, float] = {}
        if lang != "th":
            stems: dict[str, set[float]] = {}
            for word, weight in words.items():
                stems.setdefault(_stem(word, lang), set()).add(weight)
            # A stem shared by words of both signs says nothing.
            index = {s: ws.pop() for s, ws in stems.items() if len(ws) == 1 and len(s) >= 3}
        index.update(words)
        return cls(lang, plain, pattern, index, frozenset(before), frozenset(after))

    def evidence(self, text: str) -> float:
        """Signed sum of the cues and lexicon words in a prepared text."""
        total = 0.0
        covered: list[tuple[int, int]] = []
        if self.cue_pattern is not None:
            for m in self.cue_pattern.finditer(text):
                weight = self.cues[m.group(1)]
                total += -weight if self._negated(text, m.start(), m.end()) else weight
                covered.append(m.span())
        if not self.words:
            return total
        if self.lang == "th":
            return total + self._thai_words(text, covered)
        for m in _WORD.finditer(text):
            if any(s <= m.start() < e for s, e in covered):
                continue
            token = m.group(0)
            weight = self.words.get(token)
            if weight is None:
                weight = self.words.get(_stem(token, self.lang))
            if weight:
                total += -weight if self._negated(text, m.start(), m.end()) else weight
        return total

    def _negated(self, text: str, start: int, end: int) -> bool:
        if self.lang == "th":
            return any(text[:start].rstrip().endswith(n) for n in self.negators_before)
        # Two words back: "δεν ήταν καλή", "مش هيك كويس".
        before = _WORD.findall(text[max(0, start - 30):start])[-2:]
        if any(w in self.negators_before for w in before):
            return True
        after = _WORD.match(text, end + 1) if end < len(text) and text[end] == " " else None
        return after is not None and after.group(0) in self.negators_after

    def _thai_words(self, text: str, covered: list[tuple[int, int]]) -> float:
        # Longest entry first at each position, so "ดีเลย์" (delay) is not read as "ดี" (good).
        total, i, n = 0.0, 0, len(text)
        while i < n:
            if any(s <= i < e for s, e in covered):
                i += 1
                continue
            for j in range(min(n, i + _THAI_LONGEST), i + 2, -1):
                weight = self.words.get(text[i:j])
                if weight:
                    total += -weight if self._negated(text, i, j) else weight
                    i = j
                    break
            else:
                i += 1
        return total


# --- Shipped models -----------------------------------------------------------------------

@dataclass(frozen=True)
class CharModel:
    """A trained model as shipped: sparse hashed-feature weights per class, a lexicon, and how
    far the lexicon moves the model, chosen on the training rows (scripts/train_sentiment.py).

    Features are character n-grams inside words plus, `word_weight` times, word uni- and
    bigrams. The lexicon's evidence e (tanh of the signed cue/word sum) is added to the
    positive logit and taken from the negative one, `blend` times, and |e| is taken from the
    neutral logit `decisive` times (clear cues make "neutral" less likely). `offsets` are
    added to the class logits last: class weights balance the training classes, the offsets
    set where macro-F1 wants the borders between them. The label is the likeliest class and
    the score P(pos) - P(neg). A model trained without a neutral class calls a text neutral
    when its score is within `neutral_band` of 0.
    """

    name: str
    bits: int
    ngrams: tuple[int, int]
    classes: tuple[str, ...]  # ("neg", "neu", "pos") or ("neg", "pos")
    feature_ids: np.ndarray  # sorted hashed feature ids with a non-zero weight
    weights: np.ndarray  # (len(feature_ids), classes) float32
    bias: np.ndarray
    lexicon: Lexicon
    blend: float
    decisive: float
    neutral_band: float
    word_weight: float
    offsets: np.ndarray  # (classes,) added to the logits after the blend

    @classmethod
    def load(cls, path) -> CharModel:
        with np.load(path, allow_pickle=False) as z:
            f = {k: z[k] for k in z.files}
        lang = str(f["lang"])
        cue_weights = dict(zip(f["cue_words"].tolist(), f["cue_weights"].astype(float).tolist(),
                               strict=True))
        words = dict(zip(f["lex_words"].tolist(), f["lex_weights"].astype(float).tolist(),
                         strict=True))
        lexicon = Lexicon.build(lang, cue_weights, words, f["negators_before"].tolist(),
                                f["negators_after"].tolist())
        scale = f["weight_scale"].astype(np.float32)
        return cls(
            name=str(f["name"]), bits=int(f["bits"]),
            ngrams=(int(f["ngrams"][0]), int(f["ngrams"][1])),
            classes=tuple(f["classes"].tolist()),
            feature_ids=f["feature_ids"].astype(np.int64),
            weights=f["weights"].astype(np.float32) * scale,
            bias=f["bias"].astype(np.float32), lexicon=lexicon,
            blend=float(f["blend"]), decisive=float(f["decisive"]),
            neutral_band=float(f["neutral_band"]), word_weight=float(f["word_weight"]),
            offsets=f["offsets"].astype(np.float64),
        )

    def logits(self, prepared: Sequence[str]) -> np.ndarray:
        """The n-gram model's class logits, (texts, classes)."""
        indptr, cols, values = features(prepared, self.bits, self.ngrams, self.word_weight)
        where = np.minimum(np.searchsorted(self.feature_ids, cols), len(self.feature_ids) - 1)
        known = self.feature_ids[where] == cols
        rows = np.repeat(np.arange(len(prepared)), np.diff(indptr))[known]
        logits = np.tile(self.bias.astype(np.float64), (len(prepared), 1))
        np.add.at(logits, rows, self.weights[where[known]] * values[known, None])
        return logits

    def decide(self, logits: np.ndarray, evidence: np.ndarray) -> list[tuple[float, str]]:
        """(score, label) from model logits and lexicon evidence (raw signed sums)."""
        pos, neg = self.classes.index("pos"), self.classes.index("neg")
        logits = logits.copy()
        if self.blend:
            e = np.tanh(evidence)
            logits[:, pos] += self.blend * e
            logits[:, neg] -= self.blend * e
            if "neu" in self.classes:
                logits[:, self.classes.index("neu")] -= self.decisive * np.abs(e)
        logits += self.offsets
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        values = (probs[:, pos] - probs[:, neg]).round(4)
        names = {"pos": "positive", "neg": "negative", "neu": "neutral"}
        labels = [names[self.classes[i]] for i in probs.argmax(axis=1)]
        if "neu" not in self.classes:
            labels = ["neutral" if abs(v) < self.neutral_band else lab
                      for v, lab in zip(values, labels, strict=True)]
        return [(float(v), lab) for v, lab in zip(values, labels, strict=True)]

    def predict(self, texts: Sequence[str]) -> list[tuple[float, str]]:
        prepared = [prepare(t) for t in texts]
        evidence = (np.array([self.lexicon.evidence(t) for t in prepared]) if self.blend
                    else np.zeros(len(prepared)))
        return self.decide(self.logits(prepared), evidence)


def model_name(lang: str) -> str:
    return f"charlr-{lang}-{MODEL_VERSION}"


@cache
def load_model(lang: str) -> CharModel | None:
    """The shipped model for a language, read once; None (and a log line) if it is missing
    or of another version (its name is read first: another version's fields may differ)."""
    path = resources.files("analysis").joinpath("models", f"sentiment_{lang}.npz")
    try:
        with resources.as_file(path) as file:
            with np.load(file, allow_pickle=False) as z:
                name = str(z["name"])
            if name != model_name(lang):
                log.warning("The %s sentiment model is %s, this Clamor expects %s: %s texts "
                            "stay unscored. Run scripts/train_sentiment.py.", lang, name,
                            model_name(lang), lang)
                return None
            return CharModel.load(file)
    except FileNotFoundError:
        log.warning("The %s sentiment model file is missing (%s): %s texts stay unscored. "
                    "Reinstall Clamor or run scripts/train_sentiment.py.", lang, path, lang)
        return None


# --- Registry -----------------------------------------------------------------------------

BatchScorer = Callable[[list[str]], list[tuple[float, str]] | None]


def _vader_batch(texts: list[str]) -> list[tuple[float, str]]:
    values = [round(_vader_score(t), 4) for t in texts]
    return [(v, label(v)) for v in values]


def _model_batch(lang: str) -> BatchScorer:
    def scorer(texts: list[str]) -> list[tuple[float, str]] | None:
        model = load_model(lang)
        return None if model is None else model.predict(texts)
    return scorer


# language code -> (model name, batch scorer returning (score in [-1, 1], label) per text;
# None when its model cannot be loaded, and those texts stay unscored)
SCORERS: dict[str, tuple[str, BatchScorer]] = {
    "en": (VADER_MODEL, _vader_batch),
    **{lang: (model_name(lang), _model_batch(lang)) for lang in ("fa", "ar", "th", "el")},
}


def score(
    texts: Sequence[str], langs: Sequence[str | None]
) -> list[tuple[float | None, str, str | None]]:
    """(score or None, label, model name or None) per text, by its detected language.

    Texts are scored a language at a time, so each model sees one batch.
    """
    out: list[tuple[float | None, str, str | None]] = [(None, UNSCORED, None)] * len(texts)
    by_lang: dict[str, list[int]] = {}
    for i, (_, lang) in enumerate(zip(texts, langs, strict=True)):
        if (lang or "") in SCORERS:
            by_lang.setdefault(lang or "", []).append(i)
    for lang, where in by_lang.items():
        model, fn = SCORERS[lang]
        results = fn([texts[i] for i in where])
        if results is None:
            continue
        for i, (value, lab) in zip(where, results, strict=True):
            out[i] = (value, lab, model)
    return out
