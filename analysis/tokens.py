"""The words of a mention, as the explorer's search index holds them, and the words of a
search as the explorer looks them up.

Both sides use one normal form (collectors.matching.normalise: case-folded, accents and
Arabic harakat removed, ي/ی and ك/ک unified, ZWNJ as a space), so "Ταξίδι" finds "ταξιδι" and
"كيف" finds "کیف". Thai is written without spaces between words: runs of Thai letters are cut
into words with PyThaiNLP's dictionary tokenizer (newmm, offline), on both sides, so a search
for ล่าช้า finds "เที่ยวบินล่าช้ามาก".

Pure functions; the analysis pass calls `words` for every mention it analyses and the store
writes the result into the index (see clamor/migrations/006_explorer.sql).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from collectors.matching import normal_form, normalise

MAX_WORD = 40         # longer "words" are hashes, base64 or keyboard mashing: not searchable
MAX_WORDS = 400       # per mention; a 1 MB post indexes its first 400 distinct words
INDEXED_CHARS = 4000  # as much of a post as the analysis reads

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# A word: letters, digits, marks (Thai vowels and tone marks are marks) and inner
# apostrophes; a leading # or @ is kept, so hashtags and handles are searchable as such.
_WORD = re.compile(r"[#@]?[^\W_](?:[\w\u0e00-\u0e7f']*[\w\u0e00-\u0e7f])?")
_THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


class ThaiWords:
    """PyThaiNLP's Thai word list (the one newmm cuts by) in a MARISA trie, with the one thing
    newmm asks of its dictionary: the words that start at a place in a text, shortest first.

    PyThaiNLP's own trie is a tree of Python objects: the first Thai text took ~75 MB in
    every process that cuts Thai (the dashboard: its scheduler's analysis and Thai searches;
    each analysis worker); with this one ~18 MB, most of it the word list itself. Same words,
    same order, so the same cuts (tests/test_tokens.py compares them on 5,090 Thai posts)."""

    def __init__(self, words):
        import marisa_trie

        words = [w.strip() for w in words if w.strip()]  # as PyThaiNLP's Trie adds them
        self._trie = marisa_trie.Trie(words)
        self._longest = max(map(len, words))

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        return self._trie.prefixes(text[start:start + self._longest])

    def __bool__(self) -> bool:  # (word_tokenize uses its own dictionary for an empty one)
        return True


@lru_cache(maxsize=1)
def _thai_tokenizer():
    from pythainlp.corpus import thai_words  # imported once, on the first Thai text
    from pythainlp.tokenize import word_tokenize

    words = ThaiWords(thai_words())

    def tokenize(text: str) -> list[str]:
        return word_tokenize(text, custom_dict=words, engine="newmm", keep_whitespace=False)

    return tokenize


def _split_thai(word: str) -> list[str]:
    """A word with Thai letters in it, cut into Thai words (other letters kept apart)."""
    tokenize = _thai_tokenizer()
    out: list[str] = []
    last = 0
    for run in _THAI_RUN.finditer(word):
        if run.start() > last:
            out.append(word[last:run.start()])
        out.extend(t for t in tokenize(run.group()) if t.strip())
        last = run.end()
    if last < len(word):
        out.append(word[last:])
    return out


def _tokens(normalised: str, *, expand: bool = True) -> list[str]:
    """The words of normalised text. With `expand` (indexing), a hashtag or handle also
    yields its bare word, so #refund is found by "refund"; a search for #refund asks for the
    hashtag alone."""
    # (normal form is lower case: a text without "http" or "www." has no link to drop)
    if "http" in normalised or "www." in normalised:
        normalised = _URL.sub(" ", normalised)
    found = _WORD.findall(normalised)
    if not _THAI.search(normalised):  # most posts: no word to cut, maybe tags to expand
        if not expand or ("#" not in normalised and "@" not in normalised):
            return found
        out: list[str] = []
        for word in found:
            out.append(word)
            if word[0] in "#@" and len(word) > 2:
                out.append(word[1:])  # #refund is also found by "refund"
        return out
    out = []
    for word in found:
        if _THAI.search(word):
            prefix = word[0] if word[0] in "#@" else ""
            parts = _split_thai(word[len(prefix):])
            if prefix and parts:
                out.append(prefix + "".join(parts))  # the hashtag whole, and its words
                if not expand:
                    continue
            out.extend(parts)
        else:
            out.append(word)
            if expand and word[0] in "#@" and len(word) > 2:
                out.append(word[1:])
    return out


Runs = dict[str, tuple[tuple[str, ...], ...]]


def name_runs(names: Iterable[str]) -> Runs:
    """Names (the spellings of the watchlist's terms, the company's handles) as the runs of
    words the text holds where they stand ("Nordhavn Air": nordhavn air; "แอโรลูม", which the
    Thai dictionary does not know: แอ โร ลูม), by first word, longest first: what
    `words(..., without=)` leaves out. A hashtag's or handle's run is its bare word, which
    the text's tag also yields."""
    runs: dict[str, set[tuple[str, ...]]] = {}
    for name in names:
        run = tuple(w.lstrip("#@") for w in _tokens(normal_form(name), expand=False))
        run = tuple(w for w in run if w)
        if run:
            runs.setdefault(run[0], set()).add(run)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in runs.items()}


def _without(found: list[str], runs: Runs) -> list[str]:
    """The words in order, each run of `runs` that stands there whole taken out."""
    out: list[str] = []
    i = 0
    while i < len(found):
        for run in runs.get(found[i], ()):
            if tuple(found[i:i + len(run)]) == run:
                i += len(run)
                break
        else:
            out.append(found[i])
            i += 1
    return out


def words(text: str, norm: str | None = None, *, without: Runs | None = None) -> list[str]:
    """The distinct searchable words of a mention's text, in order of first appearance;
    `norm` is normal_form(text[:INDEXED_CHARS]) if the caller has it already. `without`
    (name_runs): names whose words are left out where they stand together, and only there
    ("air" in "Nordhavn Air" is the name, "the air on board" a word)."""
    if norm is None:
        norm = normal_form(text[:INDEXED_CHARS])
    found = _tokens(norm)
    if without:
        found = _without(found, without)
    if _THAI.search(norm) is None:  # no one-letter Thai word: `indexed` is the length test
        kept = [word for word in found if 1 < len(word) <= MAX_WORD]
    else:
        kept = [word for word in found if indexed(word)]
    return list(dict.fromkeys(kept))[:MAX_WORDS]


def indexed(word: str) -> bool:
    """Whether the search index holds a word (normalised): two letters up to MAX_WORD, or
    a single Thai letter (ก, น: Thai words of one letter). A search finds a word it does
    not hold ("a", "I", a 50-letter hash) in the text itself."""
    return 1 < len(word) <= MAX_WORD or (len(word) == 1 and _THAI.match(word) is not None)


@dataclass(frozen=True)
class Search:
    """A parsed search box: every `words` entry must appear (a word, or a prefix when it
    ended in *), every phrase must appear as written (its words, in order), and no
    `excluded` word nor `excluded_phrases` phrase may appear. Words and excluded words are
    ones the index holds; one it does not ("a") is a phrase of one word, found in the text."""

    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    excluded_phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes or self.phrases or self.excluded
                    or self.excluded_phrases)

    @property
    def required(self) -> tuple[str, ...]:
        """Every word a match must contain that the index holds (the plain words and the
        phrases' words): what a search looks up before testing the phrases on the text."""
        seen = dict.fromkeys(self.words)
        for phrase in self.phrases:
            seen.update(dict.fromkeys(filter(indexed, phrase)))
        return tuple(seen)


_QUERY_PART = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


def parse(query: str) -> Search:
    """What a search box asks for: `refund "lost bag" -delay -"lost luggage" #aerolume
    deliver*`."""
    plain: list[str] = []
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    excluded_phrases: list[tuple[str, ...]] = []

    def add(parts: tuple[str, ...], words: list[str], phrases_: list[tuple[str, ...]]) -> None:
        # one word the index holds is looked up; more words, or one it does not hold ("a"),
        # are a phrase found in the text
        if len(parts) == 1 and indexed(parts[0]):
            words.append(parts[0])
        elif parts:
            phrases_.append(parts)

    for quoted_not, quoted, word_not, word in _QUERY_PART.findall(query or ""):
        if quoted:
            parts = tuple(_tokens(normalise(quoted), expand=False))
            if quoted_not:
                add(parts, excluded, excluded_phrases)
            else:
                add(parts, plain, phrases)
            continue
        if not word:
            continue
        prefix = word.endswith("*") and len(word.rstrip("*")) >= 2
        parts = tuple(_tokens(normalise(word.rstrip("*")), expand=False))
        if word_not:
            # -al-213 leaves out al-213, not every post with "al" or "213"
            add(parts, excluded, excluded_phrases)
        elif prefix and len(parts) == 1:
            prefixes.extend(parts)
        else:
            # al-213, or a Thai word the dictionary cuts in pieces (แอโรลูม): its words,
            # together and in order
            add(parts, plain, phrases)
    dedupe = lambda items: tuple(dict.fromkeys(items))  # noqa: E731
    return Search(dedupe(plain), dedupe(prefixes), dedupe(phrases), dedupe(excluded),
                  dedupe(excluded_phrases))


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """For each normalised letter, the lower-case letters that normalise to it (ά and ὰ for
    α, ي and ى for ی, ς for σ): what a phrase pattern must accept in the raw text."""
    found: dict[str, set[str]] = {}
    for lo, hi in ((0x00C0, 0x024F), (0x0370, 0x03FF), (0x1F00, 0x1FFF), (0x0600, 0x06FF)):
        for cp in range(lo, hi + 1):
            raw = chr(cp).lower()
            norm = normalise(raw)
            if len(raw) == 1 and len(norm) == 1 and norm != raw:
                found.setdefault(norm, set()).add(raw)
    return {norm: "".join(sorted(raws)) for norm, raws in found.items()}


_GAP = r"[^\p{L}\p{N}]+"       # what stands between a phrase's words in the raw text
_EDGE = r"(?:^|[^\p{L}\p{N}])"


def phrase_pattern(phrase: tuple[str, ...]) -> str:
    """A regular expression (RE2, for DuckDB's regexp_matches over lower(text)) that finds the
    phrase's words in order in the raw text, whatever accents, harakat or Arabic letter
    variants the writer used."""
    variants = _variants()

    def letter(ch: str) -> str:
        choices = ch + variants.get(ch, "")
        body = re.escape(ch) if len(choices) == 1 else \
            "[" + "".join(re.escape(c) for c in choices) + "]"
        # raw text may carry combining accents or harakat the normal form dropped
        return body if _THAI.match(ch) else body + r"\p{Mn}*"

    words = ["".join(letter(ch) for ch in word) for word in phrase]
    if any(_THAI.search(word) for word in phrase):
        # Thai words follow each other with no space, and have no edges to anchor on
        return r"[^\p{L}\p{N}]*".join(words)
    body = _GAP.join(words)
    return _EDGE + body + r"(?:$|[^\p{L}\p{N}])"


# Function words left out of "top words" (they are still searchable). Short hand-made lists
# for en/fa/ar/el in normal form; Thai from PyThaiNLP's bundled list.
_STOP_WORDS = set("""
a an the and or but if of to in on at by for from with about as into over after before
is are was were be been being am do does did done have has had having will would can could
should shall may might must not no yes so than then too very just also only even still
i me my mine we us our ours you your yours he him his she her hers it its they them their
this that these those there here what which who whom whose when where why how all any both
each few more most other some such own same up down out off again once ever never now
im i'm it's don't doesn't didn't can't won't isn't aren't wasn't you're we're they're i've
rt via amp get got go going one two
و در به از که این آن را با برای است هم تا بر یا اما اگر هر چه چی من تو او ما شما انها
ایشان هست نیست بود شد شده میشه می نمی ها های یک دو رو ام ای ان ون
في من على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين ما ماذا لا لم لن قد كان كانت
يا انا أنا انت أنت هو هي نحن هم كل او أو ثم اي أي ان أن إن بعد قبل عند حتى
και να το τα της του των την τον η ο οι σε με για απο από στο στη στην στον στα στις
που θα δεν μη μην ειναι είναι ηταν ήταν ενα ένα μια μία αλλα αλλά ή αν οτι ότι πως
μου σου μας σας τους τη εγω εσυ αυτο αυτος αυτη αυτα ολα πολυ ηδη ακομα
""".split())


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    words = {normalise(w) for w in _STOP_WORDS}
    try:
        from pythainlp.corpus import thai_stopwords

        words |= set(thai_stopwords())
    except Exception:  # noqa: BLE001 - the list is a nicety; top words still work without it
        pass
    return frozenset(words)


def is_stop_word(word: str) -> bool:
    """Whether a (normalised) word is a function word too common to be news."""
    return word in _stop_words()
