"""Tone check before a reply is sent: blaming or curt wording, and promises with no time.

`check` flags phrases from clamor/tone_phrases.toml (a data file the team extends) in English,
Persian, Arabic, Thai and Greek; `promised_minutes` reads the time a reply promises ("within 2
hours", "ظرف ۲ ساعت آینده", "خلال ساعتين") so a holding reply can set the case's due time.
Both are pure functions of the text.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

KINDS = ("blaming", "curt", "no_time")
# Lists in a language table of tone_phrases.toml that are not groups of flagged phrases.
_IGNORE, _TIME = "ignore", "time"
# Words of a phrase may be joined by spaces, commas or nothing: "unfortunately, there is nothing"
# and the Persian "به‌زودی" (half-space, folded to a space) must match as typed.
_SEP = r"[\s,،]*"


@dataclass(frozen=True)
class Finding:
    kind: str     # "blaming" | "curt" | "no_time"
    phrase: str   # the span of the reply as the agent wrote it (accents, case and all)
    advice: str   # one English sentence: what to write instead


def check(text: str, lang: str | None) -> list[Finding]:
    """Blaming or curt phrases in a reply, and promises that name no time, in text order.

    `lang` is the reply's language; English phrases are checked too, because agents mix them
    in. An unknown or missing language checks every language: the phrases are written in
    different scripts, so one language's list does not fire on another's text.
    A "no_time" phrase ("we'll get back to you", "soon") is flagged only when the reply names
    no time anywhere: no duration ("within 2 hours"), clock time ("by 5pm") or day word
    ("tomorrow morning").
    """
    folded, origin = _fold_with_origin(text)
    codes = _languages(lang)
    rules = _rules()
    hits: list[tuple[int, int, str, str]] = []
    ignored: list[tuple[int, int]] = []
    for code in codes:
        language = rules[code]
        if language.ignore is not None:
            ignored.extend(m.span() for m in language.ignore.finditer(folded))
        for kind, advice, pattern in language.groups:
            hits.extend((m.start(), m.end(), kind, advice) for m in pattern.finditer(folded))
    hits = [h for h in hits if not any(a <= h[0] and h[1] <= b for a, b in ignored)]
    if any(h[2] == "no_time" for h in hits) and _names_a_time(folded, codes):
        hits = [h for h in hits if h[2] != "no_time"]
    # Phrases overlap ("there is nothing we can do" holds "nothing we can do"); the agent
    # needs each stretch of text flagged once, by the longest phrase that starts there.
    findings = []
    taken_until = 0
    for start, end, kind, advice in sorted(hits, key=lambda h: (h[0], -h[1])):
        if start < taken_until:
            continue
        findings.append(Finding(kind, _original_span(text, origin, start, end), advice))
        taken_until = end
    return findings


def promised_minutes(text: str, lang: str | None) -> int | None:
    """The time the reply promises, in minutes from now, or None when it promises none.

    Reads durations that follow a word for "within"/"in" ("within 2 hours", "in an hour",
    "ظرف ۲ ساعت آینده", "خلال ساعتين", "ภายใน 30 นาที", "μέσα σε μία ώρα") or, in Persian and
    Arabic, that precede a word for "coming" ("۲ ساعت دیگه", "الساعتين القادمتين"); a bare
    duration ("sorry you waited 3 hours") is not a promise. Persian, Arabic-Indic and Thai
    digits count. Days are calendar days (x 1440); business or working days give None, because
    when they run out depends on the team's calendar. With several durations, the earliest.
    Languages are chosen as in `check`.
    """
    minutes = [m for m in _durations(_fold(text), _languages(lang)) if m is not None]
    return min(minutes) if minutes else None


# ---------------------------------------------------------------- folding text for matching

_THAI = range(0x0E00, 0x0E80)
# Letters that Arabic and Persian keyboards write differently, and marks that carry no meaning
# for matching; hamza forms (أ إ آ ؤ ئ) fold through NFD plus dropping the combining hamza.
_LETTERS = {
    "\u064a": "\u06cc", "\u0649": "\u06cc",   # ي ى -> ی
    "\u0643": "\u06a9",                       # ك -> ک
    "\u0629": "\u0647", "\u06d5": "\u0647",   # ة ە -> ه
    "\u0671": "\u0627",                       # ٱ -> ا
    "\u0640": "",                             # tatweel
    "\u200c": " ",                            # ZWNJ (Persian half-space) counts as a space
    "\u200d": "",
    "\u2019": "'", "\u2018": "'", "\u02bc": "'",
}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """One character as matching sees it: lower case, no accents or vowel marks, one letter
    form, ASCII digits. Thai vowel and tone marks are letters of the word and stay."""
    out = []
    for c in unicodedata.normalize("NFD", unicodedata.normalize("NFD", char).casefold()):
        if unicodedata.category(c) == "Mn" and ord(c) not in _THAI:
            continue
        if unicodedata.category(c) == "Nd":
            c = str(unicodedata.digit(c))
        out.append(_LETTERS.get(c, c))
    return "".join(out)


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def _fold_with_origin(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        origin.extend([i] * len(piece))
    return "".join(folded), origin


def _original_span(text: str, origin: list[int], start: int, end: int) -> str:
    begin, stop = origin[start], origin[end - 1] + 1
    # Keep the marks that belong to the last letter ("قريباً" with its tanween, not "قريبا").
    while stop < len(text) and unicodedata.category(text[stop]) == "Mn" \
            and not _fold_char(text[stop]):
        stop += 1
    return text[begin:stop]


# ---------------------------------------------------------------- boundaries and patterns

def _left(code: str) -> str:
    if code == "th":
        return ""
    if code == "ar":
        # The conjunctions و/ف are written joined to the next word ("وحسب سياستنا").
        return r"(?:(?<!\w)|(?<=(?<!\w)[وف]))"
    return r"(?<!\w)"


def _right(code: str) -> str:
    # Thai runs words together, so a phrase may end where the next word begins.
    return "" if code == "th" else r"(?!\w)"


def _words(folded: str, sep: str = _SEP) -> str:
    """Regex for a folded phrase: words joined by `sep`, "*" standing for the rest of a word."""
    words = [r"\w*".join(re.escape(piece) for piece in word.split("*"))
             for word in folded.split()]
    # Thai writers put a space before the repetition mark or not ("เร็วๆ" / "เร็ว ๆ").
    return sep.join(words).replace("ๆ", r"\s*ๆ")


def _alternation(phrases: Iterable[str], sep: str = _SEP) -> str:
    folded = sorted({_fold(p).strip() for p in phrases}, key=len, reverse=True)
    return "|".join(_words(f, sep) for f in folded if f)


def _phrase_pattern(code: str, phrases: Iterable[str]) -> re.Pattern | None:
    body = _alternation(phrases)
    return re.compile(f"{_left(code)}(?:{body}){_right(code)}") if body else None


# ---------------------------------------------------------------- the phrase lists

@dataclass(frozen=True)
class _Language:
    groups: tuple[tuple[str, str, re.Pattern], ...]   # (kind, advice, pattern)
    ignore: re.Pattern | None
    time: re.Pattern | None


@lru_cache(maxsize=1)
def _rules() -> dict[str, _Language]:
    text = resources.files("clamor").joinpath("tone_phrases.toml").read_text("utf-8")
    data = tomllib.loads(text)
    groups = data.pop("group", {})
    for name, group in groups.items():
        if group.get("kind") not in KINDS or not str(group.get("advice", "")).strip():
            raise ValueError(
                f"tone_phrases.toml: [group.{name}] needs a kind (one of {', '.join(KINDS)}) "
                "and a one-sentence advice.")
    rules = {}
    for code, table in data.items():
        compiled = []
        for key, phrases in table.items():
            if key in (_IGNORE, _TIME):
                continue
            if key not in groups:
                raise ValueError(
                    f"tone_phrases.toml: [{code}] has a list '{key}' but there is no "
                    f"[group.{key}]; add the group with a kind and advice, or fix the name.")
            pattern = _phrase_pattern(code, phrases)
            if pattern is not None:
                compiled.append((groups[key]["kind"], groups[key]["advice"].strip(), pattern))
        rules[code] = _Language(tuple(compiled), _phrase_pattern(code, table.get(_IGNORE, [])),
                                _phrase_pattern(code, table.get(_TIME, [])))
    return rules


def _languages(lang: str | None) -> tuple[str, ...]:
    rules = _rules()
    if lang in rules:
        return tuple(dict.fromkeys((lang, "en"))) if "en" in rules else (lang,)
    return tuple(rules)


def _names_a_time(folded: str, codes: tuple[str, ...]) -> bool:
    """Whether the reply names a concrete time: a duration, a clock time or a day word."""
    rules = _rules()
    for code in codes:
        if code in rules and rules[code].time is not None and rules[code].time.search(folded):
            return True
        grammar = _grammar(code)
        if grammar is not None and grammar.clock.search(folded):
            return True
    return any(True for _ in _durations(folded, codes))


# ---------------------------------------------------------------- durations

@dataclass(frozen=True)
class _Spoken:
    """How one language says "within N units" (all words as written; they are folded)."""
    before: tuple[str, ...]                  # words that open a promise: "within", "ظرف"
    filler: tuple[tuple[str, ...], ...]      # optional words, in order, before the number
    after: tuple[str, ...]                   # words after the unit that mean "from now"
    numbers: dict[str, float]
    # unit word -> (minutes per unit or None for business days, count the word itself
    # carries or None): Arabic ساعتين is 2 hours on its own, "hours" needs a number.
    units: dict[str, tuple[int | None, float | None]]
    half: tuple[str, ...]                    # "and a half"
    clock: tuple[str, ...]                   # regexes (folded) for a clock time: "5pm"
    # Words for "next", and the units that mean one of them after it: "within the next hour"
    # is a promise, "in the hour before departure" and "σε ώρα γραφείου" are not.
    next: tuple[str, ...] = ()
    singular: tuple[str, ...] = ()
    number_prefix: str = ""                  # a word the number may carry: Arabic "الـ 24"


_HOUR, _DAY, _WEEK = 60, 1440, 10080

_SPOKEN = {
    "en": _Spoken(
        before=("within", "in", "inside", "over the next", "no later than"),
        filler=(("the",), ("next",),
                ("about", "around", "approximately", "roughly", "under", "less than", "just",
                 "another")),
        after=(),
        numbers={"a": 1, "an": 1, "one": 1, "a couple of": 2, "two": 2, "three": 3, "four": 4,
                 "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                 "twelve": 12, "fifteen": 15, "twenty": 20, "twenty-four": 24,
                 "twenty four": 24, "thirty": 30, "forty-five": 45, "forty five": 45,
                 "forty-eight": 48, "forty eight": 48},
        units={"minutes": (1, None), "minute": (1, None), "mins": (1, None), "min": (1, None),
               "hours": (_HOUR, None), "hour": (_HOUR, None), "hrs": (_HOUR, None),
               "hr": (_HOUR, None), "h": (_HOUR, None),
               "half an hour": (30, 1), "half hour": (30, 1), "half-hour": (30, 1),
               "days": (_DAY, None), "day": (_DAY, None),
               "business days": (None, None), "business day": (None, None),
               "working days": (None, None), "working day": (None, None),
               "weeks": (_WEEK, None), "week": (_WEEK, None)},
        half=("and a half",),
        clock=(r"(?<!\w)\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.|o'clock)", ),
        next=("next",),
        singular=("hour", "minute", "day", "week")),
    "fa": _Spoken(
        before=("ظرف", "طی", "در طی", "در عرض", "تا", "حداکثر", "حداکثر تا", "نهایتاً"),
        filler=(("مدت",), ("حداکثر",)),
        after=("آینده", "دیگه", "دیگر", "بعد"),
        numbers={"یک": 1, "یه": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "شیش": 6,
                 "هفت": 7, "هشت": 8, "نه": 9, "ده": 10, "دوازده": 12, "پانزده": 15,
                 "پونزده": 15, "بیست": 20, "بیست و چهار": 24, "سی": 30, "چهل و پنج": 45,
                 "چهل و هشت": 48},
        units={"ساعت": (_HOUR, None), "دقیقه": (1, None), "نیم ساعت": (30, 1),
               "ربع ساعت": (15, 1), "روز": (_DAY, None), "روز کاری": (None, None),
               "هفته": (_WEEK, None)},
        half=("و نیم",),
        clock=(r"ساعت\s*\d",),
        singular=("ساعت", "روز", "هفته")),
    "ar": _Spoken(
        before=("خلال", "في خلال", "في غضون", "غضون", "بعد", "في مدة أقصاها", "في حدود",
                "بحد أقصى"),
        filler=(("مدة",), ("أقصاها", "لا تتجاوز")),
        after=("القادمة", "القادمتين", "القادم", "القادمين", "المقبلة", "المقبلتين", "المقبل"),
        numbers={"ثلاث": 3, "ثلاثة": 3, "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6,
                 "ستة": 6, "سبع": 7, "سبعة": 7, "ثماني": 8, "ثمان": 8, "ثمانية": 8, "تسع": 9,
                 "تسعة": 9, "عشر": 10, "عشرة": 10, "اثنتي عشرة": 12, "خمس عشرة": 15,
                 "عشرين": 20, "أربع وعشرين": 24, "ثلاثين": 30, "ثمان وأربعين": 48},
        units={"ساعة": (_HOUR, 1), "الساعة": (_HOUR, None), "ساعتين": (_HOUR, 2),
               "ساعتان": (_HOUR, 2), "الساعتين": (_HOUR, 2), "ساعات": (_HOUR, None),
               "دقيقة": (1, 1), "دقيقتين": (1, 2), "دقيقتان": (1, 2), "دقائق": (1, None),
               "نصف ساعة": (30, 1), "ربع ساعة": (15, 1), "ثلث ساعة": (20, 1),
               "يوم": (_DAY, 1), "يومين": (_DAY, 2), "يومان": (_DAY, 2), "أيام": (_DAY, None),
               "يوم عمل": (None, None), "يومي عمل": (None, None), "أيام عمل": (None, None),
               "أيام العمل": (None, None),
               "أسبوع": (_WEEK, 1), "أسبوعين": (_WEEK, 2), "أسابيع": (_WEEK, None)},
        half=("ونصف", "و نصف"),
        clock=(r"(?<!\w)الساعه\s*\d",),
        singular=("الساعة",),
        number_prefix="ال"),
    "th": _Spoken(
        before=("ภายใน", "ใน", "อีก", "ไม่เกิน", "ภายในเวลา"),
        filler=(("อีก",), ("ประมาณ", "ไม่เกิน")),
        after=(),
        numbers={"หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7,
                 "แปด": 8, "เก้า": 9, "สิบ": 10, "สิบสอง": 12, "สิบห้า": 15, "ยี่สิบ": 20,
                 "ยี่สิบสี่": 24, "สามสิบ": 30, "สี่สิบห้า": 45, "สี่สิบแปด": 48},
        units={"ชั่วโมง": (_HOUR, None), "ชม.": (_HOUR, None), "ชม": (_HOUR, None),
               "ครึ่งชั่วโมง": (30, 1), "นาที": (1, None), "วันทำการ": (None, None),
               "วัน": (_DAY, None), "สัปดาห์": (_WEEK, None), "อาทิตย์": (_WEEK, None)},
        half=("ครึ่ง",),
        clock=(r"เวลา\s*\d",)),
    "el": _Spoken(
        before=("μέσα σε", "σε", "εντός", "το πολύ σε", "μέσα στις", "μέσα στην", "μέσα στο",
                "μέσα στα", "στις", "στην", "στο"),
        filler=(("τις", "την", "το", "τα", "των", "της"),
                ("επόμενες", "επόμενη", "επόμενο", "επόμενα", "επόμενων"),
                ("περίπου", "το πολύ")),
        after=(),
        numbers={"ένα": 1, "ένας": 1, "μία": 1, "δύο": 2, "τρεις": 3, "τρία": 3,
                 "τέσσερις": 4, "τέσσερα": 4, "πέντε": 5, "έξι": 6, "επτά": 7, "εφτά": 7,
                 "οκτώ": 8, "οχτώ": 8, "εννέα": 9, "εννιά": 9, "δέκα": 10, "δώδεκα": 12,
                 "δεκαπέντε": 15, "είκοσι": 20, "είκοσι τέσσερις": 24, "τριάντα": 30,
                 "σαράντα πέντε": 45, "σαράντα οκτώ": 48, "ενάμιση": 1.5, "ενάμισι": 1.5,
                 "μιάμιση": 1.5, "μιάμισι": 1.5, "δυόμισι": 2.5, "τρεισήμισι": 3.5},
        units={"ώρα": (_HOUR, None), "ώρες": (_HOUR, None), "ωρών": (_HOUR, None),
               "ώρας": (_HOUR, None), "ωρο": (_HOUR, None), "ώρου": (_HOUR, None),
               "μισή ώρα": (30, 1), "μισάωρο": (30, 1), "τέταρτο": (15, 1),
               "εικοσιτετράωρο": (_DAY, 1),
               "λεπτά": (1, None), "λεπτό": (1, None), "λεπτών": (1, None),
               "ημέρα": (_DAY, None), "ημέρες": (_DAY, None), "ημερών": (_DAY, None),
               "μέρα": (_DAY, None), "μέρες": (_DAY, None), "μερών": (_DAY, None),
               "εργάσιμες ημέρες": (None, None), "εργάσιμων ημερών": (None, None),
               "εργάσιμες": (None, None),
               "εβδομάδα": (_WEEK, None), "εβδομάδες": (_WEEK, None), "εβδομάδων": (_WEEK, None)},
        half=("και μισή", "και μισό"),
        clock=(r"(?<!\w)(?:στις|τις)\s*\d",),
        next=("επόμενη", "επόμενο", "επόμενες", "επόμενα", "επόμενων"),
        singular=("ώρα", "λεπτό", "ημέρα", "μέρα", "εβδομάδα")),
}
# A clock time reads the same in every language ("17:00", Thai "17.00 น.").
_ANY_CLOCK = r"(?<!\d)\d{1,2}[:.]\d{2}(?!\d)"


@dataclass(frozen=True)
class _Grammar:
    patterns: tuple[tuple[re.Pattern, bool], ...]   # (pattern, ends with a word for "coming")
    numbers: dict[str, float]
    units: dict[str, tuple[int | None, float | None]]
    singular: frozenset[str]
    next: re.Pattern | None
    clock: re.Pattern


@cache
def _grammar(code: str) -> _Grammar | None:
    spoken = _SPOKEN.get(code)
    if spoken is None:
        return None
    gap = r"\s*"
    word_gap = r"\s*" if code == "th" else r"\s+"
    left, right = _left(code), _right(code)
    filler = "".join(f"(?:(?:{_alternation(words, gap)}){gap})?" for words in spoken.filler)
    half = f"(?:{gap}(?:{_alternation(spoken.half, gap)}))" if spoken.half else "(?!)"
    prefix = f"(?:{_alternation([spoken.number_prefix], gap)}){gap}" if spoken.number_prefix else ""
    number = (rf"(?:(?:{prefix})?(?P<num>\d+(?:[.,]\d+)?)(?P<h1>{half})?{gap}"
              rf"|(?P<word>{_alternation(spoken.numbers, gap)})(?P<h2>{half})?{word_gap})")
    quantity = rf"(?:{number})?(?P<unit>{_alternation(spoken.units, gap)})(?P<h3>{half})?"
    patterns = [(re.compile(
        rf"{left}(?:{_alternation(spoken.before, gap)}){gap}{filler}{quantity}{right}"), False)]
    if spoken.after:
        patterns.append((re.compile(
            rf"{left}{quantity}{gap}(?:{_alternation(spoken.after, gap)}){right}"), True))
    return _Grammar(
        patterns=tuple(patterns),
        numbers={_key(k): v for k, v in spoken.numbers.items()},
        units={_key(k): v for k, v in spoken.units.items()},
        singular=frozenset(_key(k) for k in spoken.singular),
        next=_phrase_pattern(code, spoken.next) if spoken.next else None,
        clock=re.compile("|".join((_ANY_CLOCK, *spoken.clock))),
    )


def _key(words: str) -> str:
    # The patterns let words run together ("twentyfour", "نیم‌ساعت"), so look them up unspaced.
    return re.sub(r"\s+", "", _fold(words))


def _durations(folded: str, codes: tuple[str, ...]) -> Iterator[int | None]:
    """Minutes of each promised duration in the folded text; None for business days."""
    for code in codes:
        grammar = _grammar(code)
        if grammar is None:
            continue
        for pattern, coming in grammar.patterns:
            for m in pattern.finditer(folded):
                minutes = _minutes(m, grammar, folded, coming)
                if minutes is not False:
                    yield minutes


def _minutes(m: re.Match, grammar: _Grammar, folded: str, coming: bool) -> int | None | bool:
    """The match's minutes, None for business days, False when it is not a duration."""
    unit = _key(m["unit"])
    per_unit, implied = grammar.units[unit]
    if m["num"] is not None:
        count = float(m["num"].replace(",", "."))
    elif m["word"] is not None:
        count = grammar.numbers[_key(m["word"])]
    else:
        if implied is None and unit in grammar.singular and (
                coming or (grammar.next is not None and grammar.next.search(m[0]))):
            implied = 1
        # "بعد الساعة 5", "تا ساعت ۵": a unit word followed by a number is a clock time.
        if implied is None or folded[m.end():].lstrip()[:1].isdigit():
            return False
        count = implied
    if m["h1"] or m["h2"] or m["h3"]:
        count += 0.5
    return None if per_unit is None else round(count * per_unit)
