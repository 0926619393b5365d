"""Language identification for mentions, offline, among the languages the company expects.

lingua does the work, restricted to the configured languages (fewer candidates, fewer
mistakes), and a few rules around it settle what the letters themselves already say:

- Handles and links are removed first ("@AerolumeHelp" is not English). Hashtags in Latin
  letters go too (mostly brands and shared tags: "#Aerolume" is nothing), while hashtags in
  another script are the writer's own words ("#خدمة_سيئة #مطر" is Arabic).
- The script decides where only one configured language writes it. Thai, Greek and Arabic
  writers mix in English names freely ("มี biotherm มั้ยคะ"), while an English writer adds
  at most a word of another script ("…ευχαριστώ!"): so a script other than Latin wins when
  it has two words, a quarter of the letters, or (Thai, written without spaces) any word.
- Arabic and Persian share most letters, so between the two the letters and the small words
  only one of them writes are counted (Persian پ چ ژ, ZWNJ, است، را، که، می‌…; Arabic ة ى إ,
  في، على، هذا، الذي…) and lingua decides only when they do not.
- Greek written in Latin letters ("pali kathisterisi stin ptisi") is Greek when enough of
  its words are Greek words no English post uses.
- A post without a word in any script, or with fewer than MIN_LETTERS letters in a script
  several languages share ("ok", "?!"), is no language: (None, 0.0), an honest "unknown".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

from lingua import IsoCode639_1, LanguageDetectorBuilder

_LINKS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|@[\w.]+", re.UNICODE)
_HASHTAG = re.compile(r"#([\w\u200c\u200d]+)", re.UNICODE)
_HARAKAT = re.compile("[\u064b-\u0652\u0670\u0640]")  # short vowels, shadda, tatweel

# The scripts of the languages Clamor knows (clamor.config.KNOWN_LANGUAGES); Latin is the rest.
SCRIPT_LANGUAGES = {"ARABIC": ("ar", "fa"), "GREEK": ("el",), "THAI": ("th",),
                    "CYRILLIC": ("ru",)}
UNSPACED_SCRIPTS = {"THAI"}  # a run of letters is a phrase, not one borrowed word
SCRIPT_SHARE = 0.25
SCRIPT_WORDS = 2
MIN_LETTERS = 3  # fewer letters in a shared script say nothing about the language...
UNSURE_BELOW = 0.65  # ...unless the letters and words decide, or lingua is at least this sure
GREEKLISH_CONFIDENCE = 0.9

# --- Arabic or Persian --------------------------------------------------------------------
# Letters: weight per word that holds one. Yeh and kaf depend on the writer's keyboard (much
# Persian is typed with Arabic ي), but Persian ی/ک hardly occur in Arabic and Arabic ك hardly
# in Persian typed on a Persian keyboard; گ is also an Arabic ornament for ك (غيابگ), so it
# counts half.
_PERSIAN_LETTERS = {"پ": 1.0, "چ": 1.0, "ژ": 1.0, "\u200c": 1.0, "ۀ": 1.0, "ی": 1.0, "ک": 1.0,
                    "گ": 0.5, **{chr(c): 1.0 for c in range(0x06F0, 0x06FA)}}
_ARABIC_LETTERS = {"ة": 1.0, "إ": 1.0, "ك": 0.5, "أ": 0.5,
                   **{chr(c): 1.0 for c in range(0x0660, 0x066A)}}
_FINAL_ALEF_MAKSURA = re.compile(r"ى$")
# Small words only one of the two languages writes, in the spellings of both keyboards
# (ی/ي, ک/ك). Words both share (من، ما، هم، به، تو، یا) are left out.
_PERSIAN_WORDS = frozenset("""
است هست هستم هستی هستیم هستید هستن نیست نیستم را رو که این اون آن اینا اونا اینجا اونجا
چی چه چرا چطور چطوری چجوری کجا کو نه آره اره بله خیلی برای ولی از در با تا یه یک
دیگه دیگر باید شاید هیچ همه همین همون بود بودم بودی بودیم شد شده شدم کردم کردن کردید
کنید کنین کنم میشه نمیشه داره دارم داری دارید ندارم نداره بده بگو میخوام میدونم
نمیدونم خدا خدای خدایا خب خوب شما ایشون درسته اینو اونو چیه کیه
""".split())
_ARABIC_WORDS = frozenset("""
في فى على الى إلى عن مع هذا هذه هذي ذلك تلك هؤلاء الذي التي الذين اللي أن إن أنا انا أنت انت
انتي إنتي نحن احنا لا لم لن قد كان كانت يكون ليس لكن إلا الا ولا أو ثم اذا إذا لو
مش ليش ليه ايش إيش وش كيف وين فين عشان علشان كده كدا أبي عندي عندنا فيه فيها منها
انه أنه إنه
""".split())
# Words Persian writes with the Arabic article; any other ال… word counts half for Arabic.
_PERSIAN_AL_WORDS = frozenset(
    "الان الآن البته الکی الكي الهام الگو الماس الکل الو الاغ الهی".split())
_FOLD_KEYBOARD = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی"})


def clean(text: str) -> str:
    """The text without links, handles and hashtags (what is left is the writer's own)."""
    return _HASHTAG.sub(" ", _LINKS_AND_HANDLES.sub(" ", text))


def _prepare(text: str) -> str:
    """The words lingua and the rules look at: presentation forms (ﻭﺍﻗﻮﻝ) unfolded, harakat
    and tatweel dropped, links and handles gone. Hashtags go too, but those in a script other
    than Latin come back as words (#خدمة_سيئة is the writer's Arabic; #Aerolume is a brand)."""
    text = _HARAKAT.sub("", unicodedata.normalize("NFKC", text))
    text = _LINKS_AND_HANDLES.sub(" ", text)
    tags = [t.replace("_", " ") for t in _HASHTAG.findall(text)]
    tags = [t for t in tags if any(_script(ch) not in (None, "LATIN") for ch in t)]
    return " ".join([_HASHTAG.sub(" ", text), *tags])


# Combining marks that continue a word (Thai vowels and tone marks, Arabic harakat, Latin
# accents typed apart) and ZWNJ/ZWJ (Persian), after a first letter.
_MARKS = "\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed" \
         "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u200c\u200d"
# A letter, then letters and marks: runs of letters between the marks, which the regex
# engine takes at C speed (a repeated choice of one character at a time is several times
# slower).
_WORD = re.compile(f"[^\\W\\d_]+(?:[{_MARKS}]+[^\\W\\d_]*)*")


def _words(text: str) -> list[str]:
    """Runs of letters; combining marks (Thai vowels) and ZWNJ/ZWJ (Persian) stay inside."""
    words = (w.strip("\u200c\u200d") for w in _WORD.findall(text))
    return [w for w in words if w]


@lru_cache(maxsize=1 << 16)  # a character's script never changes; looking it up by name is slow
def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    if first in SCRIPT_LANGUAGES:
        return first
    return "LATIN" if first == "LATIN" else "OTHER"


@lru_cache(maxsize=16)
def _detector(languages: tuple[str, ...]):
    codes = [getattr(IsoCode639_1, code.upper()) for code in languages]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


# Letters of every script but Latin (and the symbols, punctuation and emoji around it): a
# text without one is written in Latin letters, which the fast path counts at once.
_NOT_LATIN = re.compile("[^\x00-\u024f\u1e00-\u1eff\u2000-\u2bff\ufe00-\ufe0f"
                        "\U0001f000-\U0001faff]")
_LETTERS = re.compile(r"[^\W\d_]+")
_ENOUGH_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){%d}" % (MIN_LETTERS - 1))


# A word's letters per script, and a word's votes below, are worked out once per distinct
# word: words repeat (a language's few hundred commonest make up most of its text), and
# counting a word's letters a character at a time cost more than lingua itself. Only words
# of up to CACHED_WORD letters are kept: a stream of long unique runs (a hostile post reads
# as 4,000 letters) would otherwise fill the caches with hundreds of MB.
CACHED_WORD = 40
T = TypeVar("T")


def _kept_for_short_words(per_word: Callable[[str], T]) -> Callable[[str], T]:
    """`per_word`, its answers kept for words of up to CACHED_WORD letters (`.cache`)."""
    cache = lru_cache(maxsize=1 << 16)(per_word)

    def lookup(word: str) -> T:
        return cache(word) if len(word) <= CACHED_WORD else per_word(word)

    lookup.cache = cache  # type: ignore[attr-defined]
    return lookup


@_kept_for_short_words
def _word_scripts(word: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """(letters per script, in the order first met, and the script the word belongs to): a
    word belongs to its non-Latin script if it has one letter of it ("ΤΟΟ" typed with Greek
    capitals, "APXIΣAN" with Latin look-alikes)."""
    scripts = Counter(s for s in map(_script, word) if s)
    return tuple(scripts.items()), next((s for s in scripts if s != "LATIN"), "LATIN")


def _script_of(text: str) -> tuple[str | None, int, str]:
    """(the writer's script, letters in it, its words joined): the non-Latin script that has
    enough of the text, else Latin; (None, 0, "") without letters. Latin letters are counted
    up to MIN_LETTERS only (more tell nothing more, and most posts have them at once)."""
    if not _NOT_LATIN.search(text):  # most posts: nothing but Latin letters
        letters = MIN_LETTERS if _ENOUGH_LETTERS.search(text) else \
            sum(map(len, _LETTERS.findall(text)))
        return ("LATIN", letters, text) if letters else (None, 0, "")
    letters: Counter[str] = Counter()
    words: dict[str, list[str]] = {}
    for word in _words(text):
        counts, own = _word_scripts(word)
        for script, n in counts:
            letters[script] += n
        words.setdefault(own, []).append(word)
    if not letters:
        return None, 0, ""
    total = sum(letters.values())
    for script, n in letters.most_common():
        if script == "LATIN":
            continue
        runs = words.get(script, [])
        longest = max((dict(_word_scripts(w)[0]).get(script, 0) for w in runs), default=0)
        if (n / total >= SCRIPT_SHARE or len(runs) >= SCRIPT_WORDS
                or (script in UNSPACED_SCRIPTS and longest >= 2)):
            return script, n, " ".join(runs)
    return "LATIN", letters["LATIN"], text


def arabic_or_persian_votes(text: str) -> tuple[float, float]:
    """(Arabic votes, Persian votes) from the letters and words only one of them writes."""
    arabic = persian = 0.0
    for word in _words(text):
        a, p = _word_votes(word)
        arabic += a
        persian += p
    return arabic, persian


@_kept_for_short_words
def _word_votes(word: str) -> tuple[float, float]:
    """One word's (Arabic, Persian) votes. (Every vote is a multiple of 0.5, so a word's
    votes summed apart add up to what they did one by one.)"""
    if not any(_script(ch) == "ARABIC" for ch in word):
        return 0.0, 0.0
    persian = max((_PERSIAN_LETTERS.get(ch, 0.0) for ch in word), default=0.0)
    arabic = max((_ARABIC_LETTERS.get(ch, 0.0) for ch in word), default=0.0)
    if _FINAL_ALEF_MAKSURA.search(word):
        arabic += 1.0
    folded = word.replace("\u200c", "").translate(_FOLD_KEYBOARD)
    if word in _ARABIC_WORDS:
        arabic += 1.0
    elif folded in _PERSIAN_WORDS or (folded.startswith(("می", "نمی")) and "\u200c" in word):
        persian += 1.0
    elif word.startswith("ال") and len(word) >= 4 and folded not in _PERSIAN_AL_WORDS:
        arabic += 0.5
    return arabic, persian


# Greek words as written in Latin letters ("Greeklish"). Strong ones are no English, German,
# French, Spanish, Italian or Dutch word; the short ones (to, sto, ti, na) are, so they only
# add to strong ones.
_GREEKLISH = frozenset("""
kai einai den tha stin stis stous tou toy ths mou moy sou soy apo gia giati pou poy pws
akoma akomi pali pleon ores wres simera avrio xthes paidia oxi kala poli poly tipota kati
exw exo eixa eixame prepei mporw mporei thelw thelo ela malaka
kathisterisi kathysterisi kathysterhsh kathisterhsh akyrosi akyrwsi akirosi ptisi ptish
efxaristw eyxaristw euxaristw euxaristo efharisto
""".split())
_GREEKLISH_SHORT = frozenset("to ta ti na re se sto sta stn mas sas ola alla".split())


# Runs of ASCII letters in case-folded text. No character outside a word (a letter run, marks
# included) case-folds to an ASCII letter (tests/test_analysis_identical.py checks every
# one), so a word that case-folds to a Greeklish word is one of these runs whole.
_ASCII_RUN = re.compile("[a-z]+")


def _greeklish(text: str) -> bool:
    folded = text.lower() if text.isascii() else text.casefold()  # the same, for ASCII
    if _GREEKLISH.isdisjoint(_ASCII_RUN.findall(folded)):
        return False  # no strong word: most posts in Latin letters stop here
    words = [w.casefold() for w in _words(text)]
    strong = {w for w in words if w in _GREEKLISH}
    weak = [w for w in words if w in _GREEKLISH_SHORT]
    enough = len(strong) >= 2 or (strong and len(weak) >= 2)
    return bool(enough) and sum(w in strong for w in words) + len(weak) >= 0.25 * len(words)


def detect(texts: Sequence[str], languages: Sequence[str]) -> list[tuple[str | None, float]]:
    """(language code, confidence 0..1) per text; (None, 0.0) where the text has no words,
    or too few letters to tell (see the module docstring)."""
    languages = tuple(sorted(set(languages)))
    non_latin = {c for codes in SCRIPT_LANGUAGES.values() for c in codes}
    latin = tuple(c for c in languages if c not in non_latin) or languages
    greek = "el" in languages
    results: list[tuple[str | None, float]] = [(None, 0.0)] * len(texts)
    # The languages lingua chooses among (those that write the text's script) and what it
    # reads (only the words in that script), per text.
    asks: dict[tuple[str, ...], list[tuple[int, str, bool]]] = {}
    for i, text in enumerate(texts):
        prepared = _prepare(text)
        script, letters, words = _script_of(prepared)
        if script is None or script == "OTHER":  # no words, or none in an expected script
            continue
        if script == "LATIN":
            if letters < MIN_LETTERS:  # "ok", "no": every Latin-script language says them
                continue
            if greek and _greeklish(prepared):
                results[i] = ("el", GREEKLISH_CONFIDENCE)
                continue
            candidates = latin
        else:
            candidates = tuple(c for c in SCRIPT_LANGUAGES[script] if c in languages)
            if not candidates:
                continue
        if len(candidates) == 1 and script != "LATIN":
            results[i] = (candidates[0], 1.0)
            continue
        asks.setdefault(candidates, []).append((i, words, letters < MIN_LETTERS))
    for candidates, todo in asks.items():
        if len(candidates) == 1:
            values = [None] * len(todo)
        else:
            values = _detector(candidates).compute_language_confidence_values_in_parallel(
                [t for _, t, _ in todo])
        for (i, text, short), ranked in zip(todo, values, strict=True):
            results[i] = _decide(text, ranked, candidates, short)
    return results


def _decide(text: str, ranked, candidates: tuple[str, ...], short: bool
            ) -> tuple[str | None, float]:
    if ranked is None:  # one candidate: lingua has nothing to choose
        return candidates[0], 1.0
    confidence = {r.language.iso_code_639_1.name.lower(): float(r.value) for r in ranked}
    code = max(confidence, key=confidence.get)
    if confidence[code] <= 0.0:  # written in none of the expected languages
        return None, 0.0
    if {"fa", "ar"} <= set(candidates):
        arabic, persian = arabic_or_persian_votes(text)
        if abs(arabic - persian) >= 1.0:
            decided = "ar" if arabic > persian else "fa"
            return decided, round(max(confidence.get(decided, 0.0), 0.5), 4)
    if short and confidence[code] < UNSURE_BELOW:
        return None, 0.0
    return code, round(confidence[code], 4)
