"""The company's knowledge base, and the answers it suggests for a case.

Managers keep questions and answers per topic and language (in Clamor, or imported from
Markdown or CSV: `clamor kb import FILE`), each with tags and the team that owns it. For an
open case, `Index.suggest` ranks the entries in the customer's language by how well they
match the mention and the customer's earlier messages — BM25 (bm25s) over the same normal
form the search uses (analysis.tokens: case, accents, Arabic/Persian letter variants; Thai
cut into words), with Snowball stems (PyStemmer) for English, Greek, Arabic and Persian — and
says why each matched (the words it shares with the post). Nothing leaves the machine.

Customers' questions that match no entry are the knowledge base's gaps (`gaps`): what the
FAQ should answer next.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from analysis import tokens
from clamor import auth
from clamor.store import Store, utcnow

LANGUAGES = ("en", "fa", "ar", "th", "el")
FALLBACK = "en"       # a language with no entries is answered from the English ones
# Below this score an entry is no answer. Chosen on the labelled set of bench/faq_suggest.py
# (most right answers score above 7; half the questions no entry answers score below 5).
MIN_SCORE = 5.0
QUESTION_WEIGHT = 2   # a word of the question counts as much as two of the answer
POST_WEIGHT = 2       # a word of the post itself, as much as two of the earlier messages
# Customers spell colloquially ("چمدونم" for چمدانم, "شنطة" beside "الشنطة"): a second BM25
# over the words' 3- and 4-letter pieces adds this much of its score (0.3: the middle of the
# range that helped on the labelled set; 0 is words alone).
SPELLING_WEIGHT = 0.3
# A word in more than half of a language's entries ("Aerolume", "book", "flight") says nothing
# about which one a post asks about: left out, as in most search engines, once there are
# enough entries to tell (MIN_ENTRIES).
COMMON_SHARE, MIN_ENTRIES = 0.5, 8
_STEMMERS = {"en": "english", "el": "greek", "ar": "arabic", "fa": "persian"}
_TOPIC = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_ARABIC_LETTERS = str.maketrans({"ی": "ي", "ک": "ك"})
# Possessive and object pronouns the search's stop words keep (they are searchable there) but
# which say nothing about what a question is about. In the normal form (no accents, σ for ς).
_PRONOUNS = frozenset("""
μου σου του τησ μασ σασ τουσ τουσ μαζι
مرا مرو بهم برام برامون لي لك لنا لهم عندي
""".split())


class KnowledgeError(ValueError):
    """The knowledge base change cannot be made; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One question and its answer, in one language."""

    topic: str
    lang: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    team: str | None = None


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float
    why: tuple[str, ...]       # the post's words the entry shares, strongest first
    other_language: bool = False  # from the FALLBACK language: none in the customer's
    spelled_alike: bool = False   # no word in common: `why` are words spelled like the entry's


# -- reading files ---------------------------------------------------------------------------

def _check(entry: Entry, where: str) -> Entry:
    if not _TOPIC.fullmatch(entry.topic):
        raise KnowledgeError(f"{where}: the topic {entry.topic!r} should be lower-case letters, "
                             "digits and hyphens (like lost-bag)")
    if entry.lang not in LANGUAGES:
        raise KnowledgeError(f"{where}: unknown language {entry.lang!r}; use one of "
                             f"{', '.join(LANGUAGES)}")
    if not entry.question.strip() or not entry.answer.strip():
        raise KnowledgeError(f"{where}: a question and its answer are both needed")
    return entry


_HEADING = re.compile(r"^##\s*([a-z]{2})\s*:\s*(.+?)\s*$")
_META = re.compile(r"^(tags|team)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def read_markdown(text: str) -> tuple[list[Entry], list[str]]:
    """Entries from the knowledge base's Markdown form; (entries, problems by line).

        # lost-bag
        tags: baggage, lost
        team: Care Europe

        ## en: My bag did not arrive. What do I do?
        The answer, one or more paragraphs.

        ## fa: ...
    """
    # A leading comment (who wrote it, what to review) is skipped; its lines still count.
    text = re.sub(r"\A\s*<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text,
                  flags=re.DOTALL)
    entries: list[Entry] = []
    problems: list[str] = []
    topic, tags, team = None, (), None
    current: tuple[int, str, str] | None = None  # (line, lang, question)
    body: list[str] = []

    def finish() -> None:
        if current is None:
            return
        line, lang, question = current
        if topic is None:
            problems.append(f"line {line}: a question before any '# topic' line")
            return
        try:
            entries.append(_check(Entry(topic, lang, question, "\n".join(body).strip(),
                                        tags, team), f"line {line}"))
        except KnowledgeError as exc:
            problems.append(str(exc))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("## "):
            finish()
            found = _HEADING.match(line)
            current, body = None, []
            if found:
                current = (number, found.group(1), found.group(2))
            else:
                problems.append(f"line {number}: a question heading reads '## LANG: question' "
                                "(like '## en: Where is my bag?')")
        elif line.startswith("# "):
            finish()
            current, body = None, []
            topic, tags, team = line[2:].strip(), (), None
        elif current is None and (meta := _META.match(line)) and topic is not None:
            if meta.group(1).lower() == "tags":
                tags = tuple(t.strip() for t in meta.group(2).split(",") if t.strip())
            else:
                team = meta.group(2) or None
        elif current is not None:
            body.append(line)
        elif line.strip():
            problems.append(f"line {number}: text outside a question (answers follow a "
                            "'## LANG: question' heading)")
    finish()
    return entries, problems


CSV_COLUMNS = ("topic", "lang", "question", "answer")  # and optionally tags, team


def read_csv(text: str) -> tuple[list[Entry], list[str]]:
    """Entries from a CSV with the columns topic, lang, question, answer and optionally tags
    (comma-separated) and team; (entries, problems by line)."""
    rows = csv.DictReader(io.StringIO(text))
    missing = set(CSV_COLUMNS) - set(rows.fieldnames or ())
    if missing:
        raise KnowledgeError(f"the header needs the columns {', '.join(CSV_COLUMNS)} "
                             f"(missing {', '.join(sorted(missing))})")
    entries, problems = [], []
    for number, row in enumerate(rows, start=2):
        tags = tuple(t.strip() for t in (row.get("tags") or "").split(",") if t.strip())
        try:
            entries.append(_check(Entry((row["topic"] or "").strip(),
                                        (row["lang"] or "").strip().lower(),
                                        (row["question"] or "").strip(),
                                        (row["answer"] or "").strip(), tags,
                                        (row.get("team") or "").strip() or None),
                                  f"line {number}"))
        except KnowledgeError as exc:
            problems.append(str(exc))
    return entries, problems


def read_file(path: str | Path) -> tuple[list[Entry], list[str]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    if path.suffix.lower() in (".md", ".markdown"):
        return read_markdown(text)
    if path.suffix.lower() == ".csv":
        return read_csv(text)
    raise KnowledgeError(f"{path}: a knowledge base file is Markdown (.md) or CSV (.csv)")


def write_markdown(all_entries: Iterable[Entry]) -> str:
    """The knowledge base in its Markdown form (what read_markdown reads back)."""
    out: list[str] = []
    topic = None
    for entry in sorted(all_entries, key=lambda e: (e.topic, LANGUAGES.index(e.lang))):
        if entry.topic != topic:
            topic = entry.topic
            out += [f"# {topic}"]
            if entry.tags:
                out.append(f"tags: {', '.join(entry.tags)}")
            if entry.team:
                out.append(f"team: {entry.team}")
            out.append("")
        out += [f"## {entry.lang}: {entry.question}", entry.answer, ""]
    return "\n".join(out)


def write_csv(all_entries: Iterable[Entry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "tags", "team"])
    for e in all_entries:
        writer.writerow([e.topic, e.lang, e.question, e.answer, ", ".join(e.tags), e.team or ""])
    return buffer.getvalue()


# -- the stored knowledge base ------------------------------------------------------------------

_CURRENT = """
    SELECT topic, lang, question, answer, tags, team FROM (
        SELECT *, row_number() OVER (PARTITION BY topic, lang
                                     ORDER BY edited_at DESC, rowid DESC) AS newest
        FROM knowledge_edits)
    WHERE newest = 1 AND answer <> ''
    ORDER BY topic, lang
"""


def entries(store: Store) -> list[Entry]:
    """The knowledge base as it stands: the newest version of every entry not deleted."""
    return [Entry(topic, lang, question, answer, tuple(tags or ()), team)
            for topic, lang, question, answer, tags, team in store.query_rows(_CURRENT)]


def save(store: Store, new: Sequence[Entry], *, actor: str,
         by: str | None = None) -> tuple[int, int]:
    """Add or change entries in one transaction; returns (added, changed). Entries equal to
    what is stored are left alone. `by` is the dashboard user whose role is checked (the
    command line passes none); `actor` is what the audit trail records."""
    added = changed = 0
    with store.transaction() as con:
        if by is not None:
            auth.permit(con, by, "edit_knowledge")
        now = utcnow()
        for entry in new:
            _check(entry, f"{entry.topic} ({entry.lang})")
            row = con.execute(
                "SELECT question, answer, tags, team FROM knowledge_edits WHERE topic = ? "
                "AND lang = ? ORDER BY edited_at DESC, rowid DESC LIMIT 1",
                [entry.topic, entry.lang]).fetchone()
            before = row[1] if row and row[1] else None
            if row and (row[0], row[1], tuple(row[2] or ()), row[3]) == (
                    entry.question, entry.answer, entry.tags, entry.team):
                continue
            con.execute("INSERT INTO knowledge_edits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [entry.topic, entry.lang, entry.question.strip(), entry.answer.strip(),
                         list(entry.tags), entry.team, actor, now, before])
            added, changed = (added + 1, changed) if before is None else (added, changed + 1)
    return added, changed


def delete(store: Store, topic: str, lang: str, *, by: str) -> None:
    with store.transaction() as con:
        auth.permit(con, by, "edit_knowledge")
        row = con.execute("SELECT question, answer, tags, team FROM knowledge_edits "
                          "WHERE topic = ? AND lang = ? ORDER BY edited_at DESC, rowid DESC "
                          "LIMIT 1", [topic, lang]).fetchone()
        if row is None or not row[1]:
            raise KnowledgeError(f"there is no entry {topic} ({lang})")
        con.execute("INSERT INTO knowledge_edits VALUES (?, ?, ?, '', ?, ?, ?, ?, ?)",
                    [topic, lang, row[0], row[2], row[3], by, utcnow(), row[1]])


def history(store: Store, limit: int = 200):
    """The newest changes, for the audit view: who changed which entry when, before → after."""
    return store.query_df(
        "SELECT edited_at AS \"when\", edited_by AS who, topic, lang, question, "
        "before_answer AS before, answer AS after FROM knowledge_edits "
        "ORDER BY edited_at DESC, rowid DESC LIMIT ?", [limit])


def version(store: Store) -> tuple:
    """Changes whenever the knowledge base does (to know when an index is stale)."""
    return tuple(store.query_rows("SELECT count(*), max(edited_at) FROM knowledge_edits")[0])


# -- matching -------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer(_STEMMERS[lang]) if lang in _STEMMERS else None


def terms(text: str, lang: str | None) -> list[tuple[str, str]]:
    """(stem, word) for each content word of a text: the search's normal form and words,
    hashtags read as their word, handles, links, numbers and function words left out."""
    found = []
    for word in tokens.words(text):
        if word[0] == "@" or word.isdigit():
            continue
        word = word.lstrip("#")
        if word and not tokens.is_stop_word(word) and word not in _PRONOUNS:
            found.append(word)
    found = list(dict.fromkeys(found))
    stemmer = _stemmer(lang) if lang else None
    if stemmer is None:
        return [(word, word) for word in found]
    # The normal form writes Arabic's ي and ك as Persian's ی and ک; the Arabic stemmer knows
    # only its own letters.
    spelled = [w.translate(_ARABIC_LETTERS) for w in found] if lang == "ar" else found
    return list(zip(stemmer.stemWords(spelled), found, strict=True))


def _pieces(word: str) -> list[str]:
    """The 3- and 4-letter pieces of a word, its edges marked ("bag" → " ba", "bag", "ag ",
    " bag", "bag ")."""
    marked = f" {word} "
    return [marked[i:i + n] for n in (3, 4) for i in range(len(marked) - n + 1)]


@dataclass
class _Shelf:
    """The entries of one language and their two BM25 indexes: words and word pieces."""

    entries: list[Entry]
    retriever: object = field(repr=False)
    vocabulary: frozenset[str] = frozenset()
    spelling: object = field(default=None, repr=False)
    pieces: list[frozenset[str]] = field(default_factory=list, repr=False)  # per entry
    piece_vocabulary: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()  # stems left out: in most of the entries


def _common(read: list[tuple[list, list]]) -> frozenset[str]:
    """The stems found in more than COMMON_SHARE of the entries."""
    counts: dict[str, int] = {}
    for question, rest in read:
        for stem in {s for s, _ in question} | {s for s, _ in rest}:
            counts[stem] = counts.get(stem, 0) + 1
    return frozenset(s for s, n in counts.items() if n > COMMON_SHARE * len(read))


class Index:
    """The knowledge base ready to match posts against, one BM25 index per language."""

    def __init__(self, all_entries: Iterable[Entry]):
        import bm25s

        by_lang: dict[str, list[Entry]] = {}
        for entry in all_entries:
            by_lang.setdefault(entry.lang, []).append(entry)
        self.shelves: dict[str, _Shelf] = {}
        for lang, group in by_lang.items():
            read = [(terms(e.question, lang), terms(" ".join((*e.tags, e.answer)), lang))
                    for e in group]
            common = _common(read) if len(group) >= MIN_ENTRIES else frozenset()
            corpus, spelled = [], []
            for question, rest in read:
                question = [(s, w) for s, w in question if s not in common]
                rest = [(s, w) for s, w in rest if s not in common]
                corpus.append([s for s, _ in question] * QUESTION_WEIGHT + [s for s, _ in rest])
                spelled.append([p for _, w in question for p in _pieces(w)] * QUESTION_WEIGHT
                               + [p for _, w in rest for p in _pieces(w)])
            retriever = bm25s.BM25(method="lucene")
            retriever.index(corpus, show_progress=False)
            spelling = bm25s.BM25(method="lucene")
            spelling.index(spelled, show_progress=False)
            per_entry = [frozenset(doc) for doc in spelled]
            self.shelves[lang] = _Shelf(group, retriever,
                                        frozenset(s for doc in corpus for s in doc), spelling,
                                        per_entry, frozenset().union(*per_entry), common)

    def __len__(self) -> int:
        return sum(len(shelf.entries) for shelf in self.shelves.values())

    def languages(self) -> list[str]:
        return sorted(self.shelves)

    def suggest(self, text: str, lang: str | None, *, thread: Sequence[str] = (),
                k: int = 3, min_score: float = MIN_SCORE) -> list[Suggestion]:
        """The k entries that best answer `text` (and, weighing less, the customer's earlier
        messages in `thread`), in the customer's language — or in English when the knowledge
        base has nothing in theirs — best first; none below `min_score`."""
        if lang in self.shelves:
            shelf_lang, other = lang, False
        elif FALLBACK in self.shelves:
            shelf_lang, other = FALLBACK, lang is not None and lang != FALLBACK
        else:
            return []
        shelf = self.shelves[shelf_lang]
        asked = [t for t in terms(text, shelf_lang) if t[0] not in shelf.common]
        earlier = [t for message in thread for t in terms(message, shelf_lang)
                   if t[0] not in shelf.common]
        words = {stem: word for stem, word in [*earlier, *asked]}  # the post's own spelling
        stems = [s for s, _ in asked if s in shelf.vocabulary]
        # The earlier messages help find the topic ("any news??" under a lost-bag thread);
        # the post itself counts more (a new question in an old thread).
        context = [s for s in dict.fromkeys(s for s, _ in earlier)
                   if s in shelf.vocabulary and s not in stems]
        pieces = {w: _pieces(w) for _, w in asked}
        spelled = [p for ps in pieces.values() for p in ps if p in shelf.piece_vocabulary]
        if not stems and not context and not spelled:
            return []
        scores = np.zeros(len(shelf.entries))
        if stems or context:
            scores += np.asarray(shelf.retriever.get_scores(stems * POST_WEIGHT + context),
                                 dtype=float)
        if spelled:
            scores += SPELLING_WEIGHT * np.asarray(shelf.spelling.get_scores(spelled),
                                                   dtype=float)
        best = [int(i) for i in np.argsort(-scores, kind="stable")[:k]
                if scores[i] >= min_score]
        out = []
        for i in best:
            shares = {s: float(shelf.retriever.get_scores([s])[i])
                      for s in dict.fromkeys(stems + context)}
            why = tuple(words[s] for s, v in sorted(shares.items(), key=lambda kv: -kv[1])
                        if v > 0)
            alike = not why
            if alike:  # the post's words with most pieces in common with the entry's words
                common = {w: len(set(ps) & shelf.pieces[i]) for w, ps in pieces.items()}
                why = tuple(w for w, n in sorted(common.items(), key=lambda kv: -kv[1])
                            if n >= 2)
            out.append(Suggestion(shelf.entries[i], float(scores[i]), why[:6], other, alike))
        return out


_INDEXES: dict[str, tuple[tuple, Index]] = {}


def index(store: Store) -> Index:
    """The store's knowledge base, indexed; rebuilt only when it has changed."""
    key = store.name
    now = version(store)
    cached = _INDEXES.get(key)
    if cached is None or cached[0] != now:
        cached = (now, Index(entries(store)))
        _INDEXES[key] = cached
    return cached[1]


# -- gaps -------------------------------------------------------------------------------------

# A customer's question: a question mark (Latin, Arabic/Persian ؟, Greek ;) or, in Thai,
# which has none, a question word. One pattern for Python and for DuckDB (RE2).
QUESTION_PATTERN = "[?؟;]|ไหม|มั้ย|ยังไง|อย่างไร|เมื่อไหร่|ทำไม|ที่ไหน|หรือเปล่า"
_QUESTION = re.compile(QUESTION_PATTERN)


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def gaps(store: Store, idx: Index, *, days: int = 7, now: dt.datetime | None = None,
         limit: int = 2000):
    """Customers' questions of the last `days` that no entry answers: (id, created_at, lang,
    author, text, best_score), newest first. The newest `limit` questions are looked at."""
    import pandas as pd

    since = (now or utcnow()) - dt.timedelta(days=days)
    # joined by number: DuckDB reads only the period's analysis (10 M mentions: 0.21 -> 0.09 s)
    posts = store.query_df(
        "SELECT m.id, m.created_at, a.lang, m.author, m.text FROM mentions m "
        "JOIN analysis a ON a.seq = m.seq WHERE NOT m.is_own AND m.created_at >= ? "
        "AND regexp_matches(m.text, ?) ORDER BY m.created_at DESC LIMIT ?",
        [since, QUESTION_PATTERN, limit])
    if posts.empty:
        return posts.assign(best_score=pd.Series(dtype=float))
    best = []
    for text, lang in zip(posts["text"], posts["lang"], strict=True):
        lang = lang if isinstance(lang, str) else None
        if len(terms(text, lang)) < 2:  # "@AerolumeHelp ???" asks nothing an entry could answer
            best.append(None)
            continue
        found = idx.suggest(text, lang, k=1, min_score=0.0)
        best.append(found[0].score if found else 0.0)
    posts["best_score"] = best
    posts = posts[posts["best_score"].notna()]
    return posts[posts["best_score"] < MIN_SCORE].reset_index(drop=True)
