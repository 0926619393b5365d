"""A first complaint flag: does this post ask the company to fix something?

A complaint is not the same as negative sentiment: "where is my refund??" is a complaint with
no negative words, while "I hate Mondays, but the Aerolume lounge helps" is negative and no
complaint. So the flag weighs per-language complaint cues (asking for help, waiting, money,
something failed, anger, writing again, sarcasm: analysis/complaint_cues.toml) and adds
negative sentiment and questions only as supporting evidence. Cues that say the opposite
lower the score: thanks for a fix ("cancelled, but they rebooked me at once"), a failure as
the one minor point of a review, a question about a policy ("does FlexFare refund a
no-show?"), advice to other customers, a third-person news report, spam. The
company's own posts are never complaints.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from analysis.tokens import normal_form
from collectors.matching import normalise

# How much each kind of cue says "complaint". One strong cue is enough; anger alone is not
# (people swear about the weather too), anger with a question or negative tone is. Writing
# again and asking "why" are weaker still ("flying Aerolume again!" is praise, "why" is
# everyday talk): they need another cue, or a question and a negative tone. Sarcasm counts
# like anger.
WEIGHTS = {"help": 0.4, "waiting": 0.4, "money": 0.4, "failure": 0.4, "anger": 0.25,
           "repeat": 0.15, "demand": 0.15, "sarcasm": 0.25}
NEGATIVE_TONE = 0.15  # sentiment at or below NEGATIVE_TONE_AT
NEGATIVE_TONE_AT = -0.3
QUESTION = 0.1
# Cues against a complaint. Thanks for a fix outweigh one failure whatever the tone, two
# when the tone is not negative; sarcasm ("thanks for nothing 🙃") cancels them. A failure
# named as the one minor point of a review ("the only downside: a 40-minute delay"), advice
# to other customers and a question about a policy weigh about as much as one weak cue;
# scam wording and markup outweigh two strong cues ("refund hack, DM me").
AGAINST = {"thanks": 0.25, "caveat": 0.3, "inquiry": 0.25, "advice": 0.3, "report": 0.3,
           "spam": 0.6}
THANKS_NOT_NEGATIVE = 0.25
THRESHOLD = 0.35
# Not scored: phrases that look like cues but are praise ("no delays"), and the words that
# show a person writes (I, my, you): a post with one is no news report.
CANCELLING = "negation_praise"
PERSON = "person"
_SCORED = frozenset([*WEIGHTS, *AGAINST, CANCELLING])  # what judge looks for (not PERSON)
# The Greek question mark (";" once normalised) ends a sentence.
_GREEK_QUESTION = re.compile(r";(?=\s|$|[\"'»”)])")


@dataclass(frozen=True)
class Verdict:
    complaint: bool
    score: float
    cues: tuple[str, ...]  # "category:cue", the evidence shown to agents, against it too


@lru_cache(maxsize=1)
def cues() -> dict[str, dict[str, tuple[re.Pattern[str], ...]]]:
    """{lang: {category: cue patterns}} from the bundled cue lexicon ("any": every language).

    A cue must start a word ("error" does not fire inside "terror") but may run on, so one
    cue covers inflected forms ("ακύρωσ" finds ακύρωση and ακυρώσεις); a cue written with a
    final space ends a word too ("again " does not fire inside "against"), as person words
    always do ("i" is not the start of "in"). "#" in a cue is any number ("waited # hours").
    Thai is written without spaces, so there a cue may start anywhere. A category's cues are
    one pattern, longest cue first, so where several start at one place the longest wins.
    """
    return {lang: {category: pattern for category, (pattern, _) in table.items()}
            for lang, table in _lexicon().items()}


@dataclass(frozen=True)
class _Opening:
    """How a cue begins: the letters before its first space or number ("please" of "please
    help", "waited" of "waited # hours"), whether it must start a word, and all of it
    before its first number, words one space apart ("please help", "waited")."""

    letters: str
    at_word: bool
    prefix: str


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, dict[str, tuple[tuple[re.Pattern[str], ...],
                                            tuple[_Opening, ...]]]]:
    """{lang: {category: (its pattern, how each of its cues begins)}}."""
    text = resources.files("analysis").joinpath("complaint_cues.toml").read_text("utf-8")
    table = tomllib.loads(text)
    out: dict[str, dict[str, tuple[tuple[re.Pattern[str], ...], tuple[_Opening, ...]]]] = {}
    for lang, categories in table.items():
        out[lang] = {}
        for category, phrases in categories.items():
            forms = sorted({normalise(c) for c in phrases}, key=len, reverse=True)
            anywhere = [_cue_regex(c) for c in forms if _starts_anywhere(c, lang)]
            at_word = [_cue_regex(c, whole=category == PERSON) for c in forms
                       if not _starts_anywhere(c, lang)]
            # The word-start check comes first, so most places fail at once. Arabic writes
            # "and"/"so" onto the next word (وما كانت), so a cue may follow و or ف.
            clitic = "[وف]?" if lang == "ar" else ""
            parts = ([rf"(?<![^\W_]){clitic}(?:{'|'.join(at_word)})"] if at_word else []) \
                + anywhere
            openings = tuple(_Opening(c.split()[0].split("#")[0] if c.split() else "",
                                      not _starts_anywhere(c, lang),
                                      " ".join(c.split()).split("#")[0].strip())
                             for c in forms)
            out[lang][category] = ((re.compile("|".join(parts)),) if parts else (), openings)
    return out


# -- where a cue can match ------------------------------------------------------------------
# Scanning every category's pattern over a whole post costs ~20 regex scans a post, each
# trying dozens of cues at every word. A cue can only match where its opening letters stand:
# at a word start (or after an Arabic و/ف), or, for Thai, emoji, markup and numbers,
# anywhere. So one scan finds the places where a cue's words up to its first number stand
# (all cues of a language in one regex trie, see _places), and each category's pattern
# (unchanged) is tried only at the places where one of its cues opens, left to right, going
# on after a match's end as a scan does: the same matches, for a fraction of the work.
# Openings are looked up by their first 1..KEY letters; a cue that opens with a number at
# the start of every number.
KEY = 3
FEW = 40
# Where a number starts: a cue opening with a number ("# hours on hold") reads all of it
# before anything else, so it matches inside a number only if it matches at its start.
_DIGITS = re.compile(r"\d(?<!\d\d)")  # (the digit first: the engine skips to the next one)


@dataclass(frozen=True)
class _Index:
    """For one language's lexicon: the cues' openings (with their category) by their first
    1..KEY letters, at a word start and anywhere (Thai); the patterns that find those places;
    the openings found as plain substrings (emoji, markup); and the categories with a cue
    opening with a number."""

    at_word: dict[str, frozenset[tuple[str, str]]]  # first letters -> (opening, category)
    at_word_places: re.Pattern[str] | None
    after_clitic: re.Pattern[str] | None
    anywhere: dict[str, frozenset[tuple[str, str]]]
    anywhere_places: re.Pattern[str] | None
    substrings: tuple[tuple[str, str], ...]  # (opening, category)
    numbers: frozenset[str]
    # Any opening of a lexicon of few cues ("any": emoji and markup): one scan tells most
    # posts there is nothing to look for.
    any_opening: re.Pattern[str] | None = None
    # {KEY letters at a place: (opening, category) of every opening they may begin}, filled
    # as places are met (short strings, not posts); one for word starts, one for anywhere
    seen: tuple[dict[str, tuple[tuple[str, str], ...]],
                dict[str, tuple[tuple[str, str], ...]]] = field(default_factory=lambda: ({}, {}))

    def openings(self, letters: str, anywhere: bool) -> tuple[tuple[str, str], ...]:
        seen = self.seen[anywhere]
        found = seen.get(letters)
        if found is None:
            if len(seen) > 100_000:
                seen.clear()
            keys = self.anywhere if anywhere else self.at_word
            found = seen[letters] = tuple(sorted(frozenset().union(
                *(keys.get(letters[:size], ()) for size in range(1, len(letters) + 1)))))
        return found


def _trie(words: set[str]) -> str:
    """One regex alternation for all `words`, their common beginnings factored out ("c" then
    "ancel" or "ompens"), so the engine compares a place's letters once, not once per word;
    a word that is the beginning of a longer one ends the branch (anything may follow). A
    space stands for any run of spaces, as in the cues' patterns."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict) -> str:
        if "" in node:
            return ""
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + branch(child)
                for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return branch(root)


def _places(prefixes: set[str], at_word: bool, clitic: bool = False
            ) -> re.Pattern[str] | None:
    """A pattern matching (empty) each place where one of the cues' `prefixes` (each cue
    up to its first number) stands: at a word start, or after a clitic و/ف at one; with
    `at_word` false, anywhere. Most word starts open no cue ("the", "is" open many cues but
    seldom one of them), and each place found costs Python work, so finding only those where
    a cue may match pays. (Word start first, then the prefixes looked ahead at, measured
    fastest of the orders tried: 5 µs for a 170-letter English post.)"""
    if not prefixes:
        return None
    start = r"(?<![^\W_])" if at_word else ""
    if clitic:
        start += "[وف]"
    return re.compile(f"{start}(?={_trie(prefixes)})")


@lru_cache(maxsize=1)
def _indexes() -> dict[str, _Index]:
    out = {}
    for lang, table in _lexicon().items():
        at_word: dict[str, set[tuple[str, str]]] = {}
        anywhere: dict[str, set[tuple[str, str]]] = {}
        substrings: set[tuple[str, str]] = set()
        numbers: set[str] = set()
        prefixes: tuple[set[str], set[str]] = (set(), set())  # at a word start, anywhere
        for category, (patterns, openings) in table.items():
            if not patterns or category not in _SCORED:
                continue
            for opening in openings:
                key = opening.letters[:KEY]
                if not key:
                    numbers.add(category)
                elif opening.at_word:
                    at_word.setdefault(key, set()).add((opening.letters, category))
                    prefixes[0].add(opening.prefix)
                elif lang == "th":
                    anywhere.setdefault(key, set()).add((opening.letters, category))
                    prefixes[1].add(opening.prefix)
                else:
                    substrings.add((opening.letters, category))
        openings = {o.letters for _, found in table.values() for o in found} - {""}
        alone = None
        if not numbers and 0 < len(openings) <= FEW:
            alone = re.compile(_trie(openings))
        out[lang] = _Index(
            {k: frozenset(v) for k, v in at_word.items()}, _places(prefixes[0], True),
            _places(prefixes[0], True, clitic=True) if lang == "ar" else None,
            {k: frozenset(v) for k, v in anywhere.items()},
            _places(prefixes[1], False),
            tuple(sorted(substrings)), frozenset(numbers), alone)
    return out


def _matches(norm: str, lang: str) -> list[tuple[int, int, str, str]]:
    """(start, end, category, cue) of every category of one lexicon, as `finditer` of each
    category's pattern over the post finds them."""
    idx = _indexes()[lang]
    if idx.any_opening is not None and idx.any_opening.search(norm) is None:
        return []
    table = _lexicon()[lang]
    where: dict[str, set[int]] = {}
    # A place is where a match would start (an Arabic clitic's place is the clitic's); its
    # letters are the KEY letters from where the cue would open.
    for places, anywhere, skip in ((idx.at_word_places, False, 0),
                                   (idx.after_clitic, False, 1),
                                   (idx.anywhere_places, True, 0)):
        if places is None:
            continue
        seen = idx.seen[anywhere]
        for m in places.finditer(norm):
            at = m.start()
            letters = norm[at + skip:at + skip + KEY]
            openings = seen.get(letters)
            if openings is None:
                openings = idx.openings(letters, anywhere)
            for opening, category in openings:
                if norm.startswith(opening, at + skip):
                    found = where.get(category)
                    if found is None:
                        where[category] = {at}
                    else:
                        found.add(at)
    for opening, category in idx.substrings:
        at = norm.find(opening)
        while at >= 0:
            where.setdefault(category, set()).add(at)
            at = norm.find(opening, at + 1)
    if idx.numbers:
        digits = [m.start() for m in _DIGITS.finditer(norm)]
        for category in idx.numbers:
            where.setdefault(category, set()).update(digits)
    out = []
    for category, places_found in where.items():
        (pattern,) = table[category][0]
        end = 0
        for at in sorted(places_found):
            if at < end:
                continue
            m = pattern.match(norm, at)
            if m is not None:
                out.append((m.start(), m.end(), category, m.group(0)))
                end = m.end()
    return out


def _starts_anywhere(cue: str, lang: str) -> bool:
    return lang == "th" or not cue.strip()[:1].isalnum()  # Thai, and emoji or markup


def _cue_regex(cue: str, whole: bool = False) -> str:
    """A cue; it ends a word if `whole` or if it ends in a space ("again ")."""
    # Spaces match any run of spaces; "#" stands for a number in any script ("# hours on hold").
    body = r"\s+".join(r"\d+(?:[.,]\d+)?".join(re.escape(part) for part in word.split("#"))
                       for word in cue.split())
    end = r"(?![^\W_])" if whole or cue.endswith(" ") else ""
    return f"{body}{end}"


def _is_question(text: str, lang: str | None) -> bool:
    if "?" in text or "؟" in text:
        return True
    # In Greek ";" is the question mark; a Greek writer hardly uses it otherwise.
    return lang == "el" and bool(_GREEK_QUESTION.search(text.replace("\u037e", ";")))


def judge(text: str, lang: str | None, sentiment: float | None, *, own: bool = False,
          norm: str | None = None) -> Verdict:
    """The verdict on a post; `norm` is its normal form if the caller has it already."""
    if own:
        return Verdict(False, 0.0, ())
    if norm is None:
        norm = normal_form(text)
    table = _lexicon()
    # Cues of English are checked too: customers mix in English words ("refund", "app").
    names = [lang or ""] + (["en"] if lang != "en" else []) + ["any"]
    names = [name for name in names if name in table]
    matches = [m for name in names for m in _matches(norm, name)]
    if not matches:  # most posts: no cue either way, so nothing to weigh
        return _NO_CUES
    # A cue inside a longer cue of another kind does not count: "no delays at all" is praise,
    # "thanks for nothing" sarcasm, "ما وصلني المبلغ" money, not the thanks inside it.
    kept = [m for m in matches
            if not any(o[2] != m[2] and o[0] <= m[0] and m[1] <= o[1]
                       and o[1] - o[0] > m[1] - m[0] for o in matches)]
    first: dict[str, str] = {}
    # Each kind's first cue in the text, the longest where several start there ("delayed").
    for _, _, category, found in sorted(kept, key=lambda m: (m[0], -m[1])):
        first.setdefault(category, found)

    question = _is_question(text, lang)
    total = sum(WEIGHTS[c] for c in WEIGHTS if c in first)
    if total and sentiment is not None and sentiment <= NEGATIVE_TONE_AT:
        total += NEGATIVE_TONE
    if total and question:
        total += QUESTION
    against: list[str] = []
    if "thanks" in first and "sarcasm" not in first:
        total -= AGAINST["thanks"]
        if sentiment is None or sentiment > NEGATIVE_TONE_AT:
            total -= THANKS_NOT_NEGATIVE
        against.append("thanks")
    for category in ("caveat", "inquiry", "advice"):
        if category in first:
            total -= AGAINST[category]
            against.append(category)
    if "report" in first and not question and "@" not in text \
            and not _personal(norm, [cues()[name] for name in names]):
        total -= AGAINST["report"]
        against.append("report")
    if "spam" in first:
        total -= AGAINST["spam"]
        against.append("spam")
    total = round(min(max(total, 0.0), 1.0), 3)
    found = [f"{c}:{first[c]}" for c in WEIGHTS if c in first]
    found += [f"{c}:{first[c]}" for c in against]
    return Verdict(total >= THRESHOLD, total, tuple(found))


_NO_CUES = Verdict(False, 0.0, ())


def _personal(norm: str, lexicons: list[dict[str, tuple[re.Pattern[str], ...]]]) -> bool:
    return any(p.search(norm) for lex in lexicons for p in lex.get(PERSON, ()))


def judge_batch(
    texts: Sequence[str], langs: Sequence[str | None], sentiments: Sequence[float | None],
    own: Sequence[bool], norms: Sequence[str] | None = None,
) -> list[Verdict]:
    """judge for each post; `norms` are their normal forms if the caller has them."""
    if norms is None:
        return [judge(t, lang, s, own=o)
                for t, lang, s, o in zip(texts, langs, sentiments, own, strict=True)]
    return [judge(t, lang, s, own=o, norm=n)
            for t, lang, s, o, n in zip(texts, langs, sentiments, own, norms, strict=True)]
