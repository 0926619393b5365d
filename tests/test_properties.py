"""Hostile input, property-tested: anyone can write a mention, so its text, author and URL may
hold right-to-left overrides, zero-width characters, NUL bytes, lone surrogates or a megabyte
of text, and the fields around them may be of any type. Each item is stored exactly or kept
aside with a sentence saying why; it never crashes a collector run, an import or the analysis.

The raw items start from real recorded shapes (the X and Reddit archives in tests/cassettes,
the feed of tests/test_collectors_feeds.py, the canonical line of tests/test_cli.py) with some
of their fields replaced by hostile values or removed.

Examples are derandomized, so every run (and CI) sees the same ones; the last section holds
the minimal examples of the bugs these properties found, fixed since. To hunt for new ones,
run with more, fresh examples: CLAMOR_PROPERTY_SCALE=20 multiplies every example count and
draws new examples each run (or per --hypothesis-seed).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import feedparser
import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, event, example, given, note, reject, settings
from hypothesis import strategies as st

from clamor import cli, pipeline
from clamor.config import DEMO_CONFIG, load_config
from clamor.store import Store
from collectors import jsonl
from collectors.base import ArchiveLine, Mention, UnreadableItem
from collectors.feeds import FeedsCollector, raw_entry
from collectors.reddit import RedditCollector
from collectors.reddit import read_archive as read_reddit_archive
from collectors.x import XCollector, flatten, unescape
from tests.test_collectors_feeds import NEWS

CASSETTES = Path(__file__).parent / "cassettes"
CONFIG = load_config(DEMO_CONFIG)
NOW = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.timezone.utc)
INT64 = (-(2**63), 2**63 - 1)
SENTIMENT_LABELS = {"positive", "negative", "neutral", "unscored"}

# No deadline: a cold DuckDB file, the first model load or a 1 MB text is slow once, not flaky.
SCALE = int(os.environ.get("CLAMOR_PROPERTY_SCALE") or 1)
FULL = settings(deadline=None, derandomize=SCALE == 1, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PURE = settings(FULL, max_examples=150 * SCALE)
STORED = settings(FULL, max_examples=40 * SCALE)
COMMAND = settings(FULL, max_examples=20 * SCALE)


# -- hostile values --------------------------------------------------------------------------

NASTY = [
    "\x00", "\ud800", "\udfff", "\udc80", "\u202e", "\u202d", "\u2066", "\u200b", "\u200c",
    "\u200d", "\u200f", "\ufeff", "\u2028", "\u2029", "\x85", "\r", "\n", "\r\n", "\t",
    "\x0b", "\x0c", "\x1c", "\x1e", "\x1b[31m", "\x7f", "\u0301", "😀", "👩‍👩‍👧", "🏽",
    "\U0010ffff", "\ufffd", "&amp;", "&lt;", "&gt;", "&", "<script>alert(1)</script>",
    "Aerolume", "ایرولوم", "ดีเลย์", "Αερολούμ", "تأخير", " ", "\\", '"', "'", "{", "}",
]
SURROGATES = frozenset(map(chr, range(0xD800, 0xE000)))


def has_surrogate(value: Any) -> bool:
    """Whether a (nested) value holds a lone UTF-16 surrogate, which UTF-8 cannot encode."""
    if isinstance(value, str):
        return not SURROGATES.isdisjoint(value)
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(map(has_surrogate, value))
    return False


def _repeat(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length]


def hostile_texts(*, surrogates: bool = True, lengths: tuple[int, ...] = (4097, 100_000)
                  ) -> st.SearchStrategy[str]:
    """Any text, the characters above, and long texts (built by repetition: hypothesis cannot
    draw 100k characters one by one, and the length is what matters there)."""
    nasty = [n for n in NASTY if surrogates or not has_surrogate(n)]
    chars = st.characters() | st.characters(categories=["Cs"]) if surrogates \
        else st.characters()
    pieces = st.lists(st.sampled_from(nasty), min_size=1, max_size=4).map("".join)
    return st.one_of(
        st.text(chars, max_size=30),
        st.lists(st.sampled_from(nasty), max_size=12).map("".join),
        st.builds(_repeat, pieces, st.sampled_from(lengths)),
    )


HOSTILE_TEXT = hostile_texts()
STORABLE_TEXT = hostile_texts(surrogates=False)
SHORT_TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=8)
HUGE_INTS = st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, -(10**30), 2**1000])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE_INTS,
    st.floats(), st.sampled_from([math.nan, math.inf, -math.inf]),  # json reads NaN, Infinity
    HOSTILE_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SHORT_TEXT, inner, max_size=3),
    max_leaves=6,
)
FIXED_OFFSETS = st.builds(
    dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59),
                               max_value=dt.timedelta(hours=23, minutes=59)))
ISO_TIMES = st.one_of(
    st.datetimes(timezones=FIXED_OFFSETS).map(dt.datetime.isoformat),
    st.datetimes().map(dt.datetime.isoformat),  # naive
    st.sampled_from([
        "2026-11-20T07:54:00.000Z", "2026-11-20T07:54:00", "2026-13-45T25:61:00Z", "Z", "",
        "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "2026-11-20T07:54:00+99:00",
        "Wed Jun 19 15:42:06 +0000 2019", "2026-11-20T07:54:00\x00Z", "२०२६-११-२०T07:54:00Z",
        "NaN", "1732089240",
    ]),
)
DATES = st.one_of(ISO_TIMES, SCALARS)
UNIX_TIMES = st.one_of(
    st.floats(), st.integers(), HUGE_INTS,
    st.sampled_from([1e20, -1e20, 253402300800.0, -62135596801.0, 1732089240.0, math.nan]),
    SCALARS,
)
URLS = st.one_of(
    st.sampled_from([
        "https://x.com/a/status/1", "javascript:alert(1)", "http://[::1", "http://[",
        "https://www.google.com/url?rct=j&url=https://news.example/a&ct=ga",
        "https://www.google.com/url?url=", "https://exa\u202emple.com/\u200b", "//host/path",
        "https://news.example/\x00", "https://\ud800.example/",
    ]),
    HOSTILE_TEXT,
)

DELETE = object()  # a field removed from the item


def mutated(template: dict[str, Any], fields: dict[str, st.SearchStrategy],
            max_changes: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """The template with up to `max_changes` of `fields` replaced (by the field's own hostile
    strategy, or any JSON value) or removed; the other fields as recorded."""
    change = st.one_of(*[
        st.tuples(st.just(key), st.one_of(strategy, JSON_VALUES, st.just(DELETE)))
        for key, strategy in fields.items()
    ])

    def apply(changes: list[tuple[str, Any]]) -> dict[str, Any]:
        out = copy.deepcopy(template)
        for key, value in changes:
            if value is DELETE:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    return st.lists(change, max_size=max_changes).map(apply)


# -- real shapes -----------------------------------------------------------------------------

X_PAGE = json.loads((CASSETTES / "x" / "archive_twarc2.jsonl").read_text("utf-8")
                    .splitlines()[0])  # an X API v2 answer with includes, as twarc2 saved it
X_POST = next(p for p in X_PAGE["data"] if "&amp;" in p["text"])
X_USER = next(u for u in X_PAGE["includes"]["users"] if u["id"] == X_POST["author_id"])
X_V1_POST = json.loads(json.loads((CASSETTES / "x" / "testgetstatus.json").read_text("utf-8"))
                       ["interactions"][0]["response"]["body"]["string"])
_REDDIT = [item for line in read_reddit_archive(CASSETTES / "reddit" / "archive.jsonl")
           for item in line.items]
REDDIT_POST = next(i for i in _REDDIT if i["kind"] == "t3" and i.get("selftext"))
REDDIT_COMMENT = next(i for i in _REDDIT if i["kind"] == "t1")
_FEED = feedparser.parse(NEWS)
FEED_ENTRY = raw_entry(_FEED.entries[0], "https://news.example/news.rss", _FEED.feed.title,
                       "2026-11-24T10:00:00+00:00")
CANONICAL_LINE = {  # as `clamor export --format jsonl` writes it (tests/test_cli.py)
    "id": "x:2123686280034115650", "source": "x", "native_id": "2123686280034115650",
    "url": "https://x.com/tomwhitfield_/status/2123686280034115650",
    "author": "@tomwhitfield_", "author_followers": 842,
    "text": "Aerolume lost my bag & the app says “delivered” 🙃",
    "created_at": "2026-11-20T07:54:00+00:00", "lang": "en", "in_reply_to": None,
    "conversation_id": "x:2123686280034115650", "matched_terms": ["Aerolume"],
    "matched_kinds": ["brand"], "sentiment": -0.4767, "sentiment_label": "negative",
    "complaint": True,
}


def x_v2_items() -> st.SearchStrategy[dict[str, Any]]:
    """A v2 page holding one mutated post and its mutated author, flattened as fetch and the
    archive reader do; the post's text is always hostile."""
    post = mutated(X_POST, {
        "id": st.one_of(st.integers(), st.text(max_size=20), HUGE_INTS),
        "created_at": DATES, "lang": HOSTILE_TEXT, "conversation_id": JSON_VALUES,
        "author_id": JSON_VALUES, "public_metrics": JSON_VALUES,
        "referenced_tweets": st.lists(st.fixed_dictionaries(
            {"type": st.sampled_from(["replied_to", "quoted"]), "id": SCALARS})),
    })
    user = mutated(X_USER, {
        "username": HOSTILE_TEXT, "name": HOSTILE_TEXT, "id": JSON_VALUES,
        "public_metrics": st.fixed_dictionaries({"followers_count": SCALARS}),
    })
    return st.builds(
        lambda p, u, text: flatten({"data": [{**p, "text": text}],
                                    "includes": {"users": [u]}}, "search:prop")[0],
        post.filter(lambda p: p.get("id")), user, HOSTILE_TEXT | JSON_VALUES)


def x_v1_items() -> st.SearchStrategy[dict[str, Any]]:
    return mutated(X_V1_POST, {
        "id_str": JSON_VALUES, "text": HOSTILE_TEXT, "full_text": HOSTILE_TEXT,
        "created_at": DATES, "lang": HOSTILE_TEXT, "in_reply_to_status_id_str": JSON_VALUES,
        "user": st.fixed_dictionaries({"screen_name": HOSTILE_TEXT,
                                       "followers_count": SCALARS}),
    })


def reddit_posts() -> st.SearchStrategy[dict[str, Any]]:
    return mutated(REDDIT_POST, {
        "title": HOSTILE_TEXT, "selftext": HOSTILE_TEXT, "author": HOSTILE_TEXT,
        "created_utc": UNIX_TIMES, "name": JSON_VALUES, "id": JSON_VALUES,
        "kind": st.sampled_from(["t3", "t1", "t2", "more", ""]), "permalink": URLS,
        "subreddit": HOSTILE_TEXT,
    }, max_changes=5)


def reddit_comments() -> st.SearchStrategy[dict[str, Any]]:
    return mutated(REDDIT_COMMENT, {
        "body": HOSTILE_TEXT, "author": HOSTILE_TEXT, "created_utc": UNIX_TIMES,
        "name": JSON_VALUES, "id": JSON_VALUES, "parent_id": JSON_VALUES,
        "link_id": JSON_VALUES, "permalink": URLS, "context": URLS, "subreddit": HOSTILE_TEXT,
    }, max_changes=5)


def feed_items() -> st.SearchStrategy[dict[str, Any]]:
    return mutated(FEED_ENTRY, {
        "key": HOSTILE_TEXT, "title": HOSTILE_TEXT, "summary": HOSTILE_TEXT, "link": URLS,
        "author": HOSTILE_TEXT, "feed_title": HOSTILE_TEXT, "published": DATES,
        "fetched_at": DATES,
    })


CANONICAL_FIELDS = {
    "text": HOSTILE_TEXT, "created_at": DATES, "url": URLS, "author": HOSTILE_TEXT,
    "author_followers": st.one_of(SCALARS, st.text(max_size=8), st.sampled_from(
        [math.inf, -math.inf, 2**63, "1e400"])), "lang": HOSTILE_TEXT,
    "in_reply_to": JSON_VALUES, "conversation_id": JSON_VALUES,
    "matched_terms": st.one_of(JSON_VALUES, st.integers(), st.floats()),
}


def canonical_lines() -> st.SearchStrategy[dict[str, Any]]:
    return mutated(CANONICAL_LINE, {
        **CANONICAL_FIELDS, "id": JSON_VALUES, "native_id": JSON_VALUES,
        "source": st.sampled_from(["x", "reddit", "web", "**x**", "X", ""]),
    }, max_changes=5)


def _x_text(raw: dict[str, Any]) -> str | None:
    # X escapes & < > in post text; a mention holds what the customer typed (x.unescape) and
    # its `raw` what X sent.
    text = raw.get("text")
    return unescape(text) if isinstance(text, str) else None


def _x_v1_text(raw: dict[str, Any]) -> str | None:
    extended = raw.get("extended_tweet") if isinstance(raw.get("extended_tweet"), dict) else {}
    text = raw.get("full_text") or extended.get("full_text") or raw.get("text")
    return unescape(text) if isinstance(text, str) else None


def _reddit_post_text(raw: dict[str, Any]) -> str | None:
    title, body = raw.get("title"), raw.get("selftext") or ""
    if not isinstance(title, str) or not isinstance(body, str):
        return None
    return f"{title}\n\n{body}" if body else title


def _feed_text(raw: dict[str, Any]) -> str | None:
    parts = [p for p in (raw.get("title"), raw.get("summary")) if p]
    return "\n\n".join(parts) if all(isinstance(p, str) for p in parts) else None


def _field(name: str) -> Callable[[dict[str, Any]], str | None]:
    return lambda raw: raw.get(name) if isinstance(raw.get(name), str) else None


# name: (raw items, map_item, the text a Mention of that item must hold)
CASES: dict[str, tuple[st.SearchStrategy, Callable[[dict], Mention], Callable]] = {
    "x v2 post": (x_v2_items(), XCollector.map_item, _x_text),
    "x v1 post": (x_v1_items(), XCollector.map_item, _x_v1_text),
    "reddit post": (reddit_posts(), RedditCollector.map_item, _reddit_post_text),
    "reddit comment": (reddit_comments(), RedditCollector.map_item, _field("body")),
    "feed entry": (feed_items(), FeedsCollector.map_item, _feed_text),
    "jsonl line": (canonical_lines(), jsonl.map_item, _field("text")),
}


def cases(**marks: pytest.MarkDecorator) -> list:
    """The collector cases, those named in `marks` marked (case names with _ for spaces)."""
    return [pytest.param(name, marks=marks.get(name.replace(" ", "_"), ()))
            for name in CASES]


def unstorable(mention: Mention) -> str | None:
    """How this mention breaks what the store relies on, or None. The store refuses the whole
    batch over any of these, except an in_reply_to or conversation_id that is not a string,
    which it keeps as a junk reference (its str())."""
    strings = {"source": mention.source, "native_id": mention.native_id, "text": mention.text}
    optional = {"url": mention.url, "author": mention.author, "lang": mention.lang,
                "in_reply_to": mention.in_reply_to,
                "conversation_id": mention.conversation_id}
    for name, value in {**strings, **optional}.items():
        if name in strings or value is not None:
            if not isinstance(value, str):
                return f"{name} is a {type(value).__name__}"
            if has_surrogate(value):
                return f"{name} holds a lone surrogate"
    followers = mention.author_followers
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)
                                  or not INT64[0] <= followers <= INT64[1]):
        return f"author_followers {followers!r} is not a 64-bit integer"
    if not all(isinstance(t, str) and not has_surrogate(t) for t in mention.matched_terms):
        return "matched_terms are not all text"
    try:
        mention.created_at.astimezone(dt.timezone.utc)
    except OverflowError:
        return f"created_at {mention.created_at} has no UTC equivalent"
    # (a raw item holding a lone surrogate is stored with U+FFFD in its place: storable)
    try:
        json.dumps(mention.raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError) as exc:
        return f"raw cannot be kept as JSON text ({type(exc).__name__})"
    return None


def _same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (a raw item may hold NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


# -- 1. map_item: a Mention with the text unchanged, or UnreadableItem -----------------------


@pytest.mark.parametrize("case", cases())
@PURE
@given(data=st.data())
def test_a_mention_holds_its_text_exactly(case, data):
    """Whatever else is wrong with an item, a mention made of it has the text as written."""
    items, map_item, expected_text = CASES[case]
    raw = data.draw(items, label="raw")
    before = copy.deepcopy(raw)
    try:
        mention = map_item(raw)
    except Exception as exc:  # noqa: BLE001 - which exceptions is the next property
        event(f"refused: {type(exc).__name__}")
        return
    event("read")
    assert _same(raw, before), "map_item must not change the raw item"
    expected = expected_text(raw)
    assert isinstance(expected, str), "a mention was made of a text that is not a string"
    assert mention.text.encode("utf-8", "surrogatepass") == \
        expected.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("case", cases())
@PURE
@given(data=st.data())
def test_map_item_refuses_only_with_unreadable_item(case, data):
    """The contract's one "cannot read" exception, with a sentence; anything else is a crash
    (OverflowError and AttributeError are not even caught by pipeline.READ_ERRORS)."""
    items, map_item, _ = CASES[case]
    raw = data.draw(items, label="raw")
    try:
        map_item(raw)
    except UnreadableItem as exc:
        assert str(exc).strip(), "the reason is a sentence, not empty"


@pytest.mark.parametrize("case", cases())
@PURE
@given(data=st.data())
def test_map_item_makes_only_mentions_the_store_can_hold(case, data):
    """A mention the store refuses fails its whole batch later: better refused here."""
    items, map_item, _ = CASES[case]
    raw = data.draw(items, label="raw")
    try:
        mention = map_item(raw)
    except Exception:  # noqa: BLE001 - the previous property
        return
    problem = unstorable(mention)
    assert problem is None, f"map_item made a mention the store refuses: {problem}"


@pytest.mark.parametrize("case", cases())
@STORED
@given(data=st.data())
def test_one_hostile_item_never_costs_its_batch(case, data):
    """The path past map_item (match, store in a real DuckDB file) as an archive import runs
    it: the hostile item is stored exactly or kept aside by its line; the good one is stored."""
    items, map_item, expected_text = CASES[case]
    raw = data.draw(items, label="raw")
    good = {**CANONICAL_LINE, "native_id": "good", "id": "x:good", "text": "Aerolume fine"}
    lines = [ArchiveLine(1, [raw]), ArchiveLine(2, [good])]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "p.duckdb")
        try:
            report = pipeline.import_archive(
                store, "items", CONFIG, source="prop", reader=lambda _: iter(lines),
                map_item=lambda r: jsonl.map_item(r) if r is good else map_item(r),
                version="1")
            texts = dict(store.query_rows("SELECT id, text FROM mentions"))
            reasons = [r for (r,) in store.query_rows("SELECT reason FROM unreadable_items")]
        finally:
            store.close()
    note(f"{report}")
    event("kept aside" if report.unreadable else "stored")
    assert texts.pop("x:good") == "Aerolume fine"
    if report.unreadable:
        assert reasons == [reasons[0]] and reasons[0].startswith("line 1: ")
        assert not texts
    else:
        assert list(texts.values()) == [expected_text(raw)]


# -- 2. the store: byte-exact and idempotent, or the batch refused before anything is written -

_numbers = iter(range(10**9))


@st.composite
def mentions(draw, text=HOSTILE_TEXT) -> Mention:
    """Mentions as collectors can make them: one a source cannot make (a lone surrogate in a
    field) is refused by Mention itself, so it never reaches the store."""
    try:
        return _mention(draw, text)
    except UnreadableItem:
        reject()


def _mention(draw, text) -> Mention:
    return Mention(
        source=draw(st.sampled_from(["x", "reddit", "web"])),
        native_id=f"{next(_numbers)}-{draw(st.text(max_size=6))}",  # fresh in a shared store
        text=draw(text),
        created_at=draw(st.datetimes(
            min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
            timezones=FIXED_OFFSETS)),
        url=draw(st.none() | URLS),
        author=draw(st.none() | HOSTILE_TEXT),
        author_followers=draw(st.none() | st.integers(*INT64)),
        lang=draw(st.none() | st.sampled_from(["en", "fa", "\u202een"])),
        in_reply_to=draw(st.none() | st.text(max_size=8)),
        matched_terms=tuple(draw(st.lists(st.text(max_size=8), max_size=2))),
        raw=draw(st.dictionaries(SHORT_TEXT, JSON_VALUES, max_size=3)),
    )


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("props") / "store.duckdb")
    yield store
    store.close()


def _count(store: Store) -> int:
    return store.query_rows("SELECT count(*) FROM mentions")[0][0]


@STORED
@given(batch=st.lists(mentions(text=hostile_texts(lengths=(100_000, 1_000_000))), min_size=1,
                      max_size=4))
@example(batch=[Mention("x", "ex-1", "a\x00b\u202e\u200b\r\n\u2028\x85", NOW,
                        author="\u202eevil\x00", url="javascript:alert(1)")])
@example(batch=[Mention("x", "ex-2", "fine", NOW, raw={"t": "lone \ud800"})])
def test_the_store_keeps_text_byte_exact(shared_store, batch):
    """Every Mention is storable: every text (NUL, RLO, 1 MB) reads back byte-identical, a
    second insert of the batch adds nothing; a raw item holding a lone surrogate is kept with
    lossless \\u escapes."""
    store = shared_store
    before = _count(store)
    inserted = store.insert_mentions(batch, collector="prop", version="1", query="q")
    assert inserted == len(batch)
    rows = {row[0]: row[1:] for row in store.query_rows(
        "SELECT id, text, author, url, author_followers, created_at, source_lang, "
        "in_reply_to, matched_terms FROM mentions WHERE list_contains(?, id)",
        [[m.id for m in batch]])}
    for m in batch:
        text, author, url, followers, created_at, lang, in_reply_to, terms = rows[m.id]
        assert text.encode("utf-8") == m.text.encode("utf-8")
        assert (author, url, followers, lang) == (m.author, m.url, m.author_followers, m.lang)
        assert created_at == m.created_at
        assert in_reply_to == (f"{m.source}:{m.in_reply_to}" if m.in_reply_to else None)
        assert tuple(terms) == m.matched_terms
    assert store.insert_mentions(batch, collector="prop", version="1") == 0
    assert _count(store) == before + len(batch)


# -- 3. the analysis pass --------------------------------------------------------------------

ANALYSED_TEXTS = st.one_of(
    st.just(""), st.text(" \t\n\r\x0b\x0c\x85\u2028\u3000\u200b\ufeff", max_size=10),
    STORABLE_TEXT,
    st.builds(_repeat, st.sampled_from(["Aerolume lost my bag ", "ж", "ایرولوم ", "\x00",
                                        "😡", "a\u202eb "]), st.just(1_000_000)),
    st.lists(st.sampled_from(["Aerolume", "lost my bag", "ایرولوم", "تأخير", "ดีเลย์",
                              "Αερολούμ", "😡", "!!!", "\x00", "\u202e", "@AerolumeHelp",
                              "https://x.com/a", "#fail", "&lt;3", "&amp;", "\u200c"]),
             max_size=8).map(" ".join),
)


@settings(FULL, max_examples=80)
@given(data=st.data(), texts=st.lists(ANALYSED_TEXTS, min_size=1, max_size=6))
def test_analysis_gives_one_row_per_mention_with_allowed_labels(data, texts):
    own = data.draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts)))
    languages = CONFIG.watchlist.languages
    frame = pd.DataFrame({"id": [f"x:{n}" for n in range(len(texts))], "text": texts,
                          "source_lang": [None] * len(texts), "is_own": own})
    rows = pipeline.analyse(frame, languages, NOW)
    assert rows["mention_id"].tolist() == frame["id"].tolist()
    for _, row in rows.iterrows():
        assert pd.isna(row["lang"]) or row["lang"] in languages
        assert 0.0 <= row["lang_confidence"] <= 1.0
        assert row["sentiment_label"] in SENTIMENT_LABELS
        if row["sentiment_label"] == "unscored":
            assert pd.isna(row["sentiment"])
        else:
            assert -1.0 <= row["sentiment"] <= 1.0
        assert row["complaint"] in (True, False)
        assert math.isfinite(row["complaint_score"])
        assert all(isinstance(cue, str) for cue in row["complaint_cues"])


@settings(FULL, max_examples=12)
@given(batch=st.lists(mentions(text=ANALYSED_TEXTS), min_size=1, max_size=5))
def test_the_scheduled_analysis_pass_analyses_and_files_every_mention(batch):
    """analyse_pending as the scheduler runs it: analyse, save, file into cases."""
    batch = [Mention(m.source, m.native_id, m.text, m.created_at, author=m.author)
             for m in batch if not has_surrogate(m.author)]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "a.duckdb")
        try:
            store.insert_mentions(batch, collector="prop", version="1")
            assert pipeline.analyse_pending(store, CONFIG, NOW) == len(batch)
            labels = [r for (r,) in store.query_rows("SELECT sentiment_label FROM analysis")]
        finally:
            store.close()
    assert len(labels) == len(batch) and set(labels) <= SENTIMENT_LABELS


# -- the feed collector's fetch, on a hostile feed -------------------------------------------


class _OneFeed(requests.Session):
    """Answers every GET with the same feed document."""

    def __init__(self, body: bytes):
        super().__init__()
        self.body = body

    def get(self, url, **_):  # type: ignore[override]
        response = requests.Response()
        response.status_code, response.reason, response.url = 200, "OK", url
        response.headers["content-type"] = "application/rss+xml; charset=utf-8"
        response._content = self.body
        return response


FEED_DATES = st.one_of(
    st.sampled_from(["Mon, 23 Nov 2026 09:15:00 GMT", "Mon, 01 Jan 0001 00:00:00 +1400",
                     "Fri, 31 Dec 9999 23:59:59 -2359", "2026-11-20T07:54:00+99:00", ""]),
    ISO_TIMES, HOSTILE_TEXT)


@STORED
@given(title=HOSTILE_TEXT, summary=HOSTILE_TEXT, link=URLS, guid=HOSTILE_TEXT,
       author=HOSTILE_TEXT, published=FEED_DATES)
# Found with CLAMOR_PROPERTY_SCALE=6: feedparser reads this as the year 10000, which failed
# the whole feed (ValueError in calendar.timegm).
@example(title="", summary="", link="https://x.com/a/status/1", guid="", author="",
         published="9999-12-31T23:59:59-23:59")
def test_a_hostile_feed_entry_never_fails_the_feed(title, summary, link, guid, author,
                                                   published):
    def tag(name: str, value: str) -> str:
        return f"<{name}>{escape(value)}</{name}>"

    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News'
        f"</title><item>{tag('title', title)}{tag('link', link)}{tag('guid', guid)}"
        f"{tag('author', author)}{tag('pubDate', published)}{tag('description', summary)}"
        "</item><item><title>Aerolume fine</title><link>https://news.example/ok</link>"
        "</item></channel></rss>")
    collector = FeedsCollector(CONFIG, session=_OneFeed(
        document.encode("utf-8", "surrogatepass")), sleep=lambda _: None, now=lambda: NOW)
    collector.urls = ("https://news.example/feed.rss",)
    result = collector.fetch(None)
    mentions_, unreadable = [], []
    for raw in result.raw_items:
        try:
            mentions_.append(FeedsCollector.map_item(raw))
        except UnreadableItem as exc:
            unreadable.append(exc)
    assert "Aerolume fine" in [m.text for m in mentions_]
    assert len(mentions_) + len(unreadable) == len(result.raw_items) == 2
    assert [unstorable(m) for m in mentions_] == [None] * len(mentions_)


# -- 4. the import and export commands -------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    """`clamor ...` in this process; an exception escaping it is a traceback for the user."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _line(n: int, text: str, author: str | None) -> dict[str, Any]:
    return {"id": f"x:{n}", "source": "x", "native_id": str(n), "url": None, "author": author,
            "author_followers": n, "text": text, "created_at": "2026-11-20T10:00:00+03:30"}


BAD_LINES = st.one_of(
    st.sampled_from([
        "this line is not JSON", "{", '{"source": "x"', "[1, 2]", "null", "42", '"text"',
        '{"source": "x", "text": "Aerolume no id or time"}',
        '{"source": "x", "native_id": "1", "text": 5, "created_at": "2026-11-20T10:00:00Z"}',
        '{"source": "x", "native_id": "1", "text": "a", "created_at": "yesterday"}',
        '{"source": "x", "native_id": "1", "text": "a", "created_at": "2026-11-20T10:00:00"}',
        '{"source": "**x**", "native_id": "1", "text": "a", "created_at": "2026-11-20T10:00Z"}',
        ('{"source": "x", "native_id": "1", "text": "a", "created_at": "2026-11-20T10:00Z", '
         '"author_followers": "many"}'),
    ]),
    st.text(st.characters(exclude_characters="\n\r"), min_size=1, max_size=40).filter(
        lambda s: s.strip() and not s.lstrip().startswith("{")),  # not a JSON object
    st.builds(_repeat, st.sampled_from(["{", '{"text": "ж', "[{", "\u202e\x00"]),
              st.just(300_000)),  # a huge broken line
)


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="")


def _imported(db: Path) -> tuple[dict[str, str], set[int]]:
    """Stored texts by id, and the line numbers kept aside in unreadable_items."""
    store = Store(db)
    try:
        stored = dict(store.query_rows("SELECT id, text FROM mentions"))
        reasons = [r for (r,) in store.query_rows(
            "SELECT reason FROM unreadable_items WHERE source = 'import:jsonl'")]
    finally:
        store.close()
    assert all(r.startswith("line ") and ": " in r for r in reasons), reasons
    return stored, {int(r.split(":", 1)[0].removeprefix("line ")) for r in reasons}


@COMMAND
@given(kinds=st.lists(st.sampled_from(["good", "bad"]), min_size=1, max_size=8),
       data=st.data())
def test_import_keeps_every_good_line_and_numbers_every_bad_one(kinds, data):
    lines, good, bad = [], {}, set()
    for n, kind in enumerate(kinds, start=1):
        if kind == "good":
            good[f"x:{n}"] = text = data.draw(STORABLE_TEXT, label=f"text {n}")
            obj = _line(n, text, data.draw(st.none() | STORABLE_TEXT, label=f"author {n}"))
            lines.append(json.dumps(obj, ensure_ascii=data.draw(st.booleans())))
        else:
            bad.add(n)
            lines.append(data.draw(BAD_LINES, label=f"line {n}"))
    with tempfile.TemporaryDirectory() as folder:
        path, db = Path(folder) / "in.jsonl", Path(folder) / "c.duckdb"
        _write_lines(path, lines)
        code, out, err = _run("import", str(path), "--source", "jsonl", "--demo",
                              "--db", str(db))
        note(f"exit {code}; stdout {out!r}; stderr {err[:300]!r}")
        stored, kept_aside = _imported(db)
    assert code in (0, 1)
    assert stored == good, "every good line is imported with its text unchanged"
    assert kept_aside == bad, "every bad line is kept aside under its number"
    assert f"{len(bad)} unreadable" in out
    if bad:
        assert f"the first: line {min(bad)}: " in err


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@COMMAND
@given(objects=st.lists(mutated(CANONICAL_LINE, CANONICAL_FIELDS, max_changes=3),
                        min_size=1, max_size=5),
       broken=st.lists(st.one_of(
           st.lists(st.sampled_from(NASTY), min_size=1, max_size=6).map("".join)
           .filter(lambda s: not has_surrogate(s))  # a UTF-8 file cannot hold one
           .map(lambda s: "{" + s.replace("\n", " ")),
           st.builds(_repeat, st.sampled_from(["[", '{"a":']), st.just(100_000))), max_size=2))
def test_import_of_hostile_lines_never_crashes_and_accounts_for_every_line(objects, broken):
    """Lines as Python's json writes them (NaN, Infinity, \\ud800 escapes, wrong types), a
    lone \\r in a broken line, deep nesting: each line is imported with its text or kept aside
    under its number."""
    lines = []
    for n, obj in enumerate(objects, start=1):
        obj = {k: v for k, v in obj.items() if k != "id"}
        lines.append(json.dumps({**obj, "source": "x", "native_id": f"L{n}"}))
    lines += broken
    with tempfile.TemporaryDirectory() as folder:
        path, db = Path(folder) / "in.jsonl", Path(folder) / "c.duckdb"
        _write_lines(path, lines)
        code, out, err = _run("import", str(path), "--source", "jsonl", "--demo",
                              "--db", str(db))
        note(f"exit {code}; stdout {out!r}; stderr {err[:300]!r}")
        stored, kept_aside = _imported(db)
    assert code in (0, 1)
    imported = {int(key.removeprefix("x:L")) for key in stored}
    assert imported.isdisjoint(kept_aside)
    assert imported | kept_aside == set(range(1, len(lines) + 1))
    for n in imported:
        assert stored[f"x:L{n}"] == json.loads(lines[n - 1])["text"]


@settings(COMMAND, max_examples=10 * SCALE)  # four commands an example: the file's slowest
@given(rows=st.lists(st.tuples(STORABLE_TEXT, st.none() | STORABLE_TEXT),
                     min_size=1, max_size=5))
@example(rows=[("Aerolume line one\r\nline two\u2028line three\x85 \u200f\u200c tab\t end ",
                "\u202e@evil\x00"),
               ("ایرولوم\u200cها چرا جواب نمی‌دین؟ 🙏🏽", None), ("   ", "   "),
               ("\x00\ufeff\u202e", ""), ("", "@only_an_image")])
def test_export_import_export_is_byte_identical(rows):
    """(The 1 MB text is tests/test_cli.py's; here 100k-character texts come up.)"""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source, first, second = folder / "in.jsonl", folder / "1.jsonl", folder / "2.jsonl"
        _write_lines(source, [json.dumps(_line(n, text, author), ensure_ascii=False)
                              for n, (text, author) in enumerate(rows, start=1)])
        for argv in (("import", source, "a"), ("export", first, "a"), ("import", first, "b"),
                     ("export", second, "b")):
            command, path, db = argv
            flag = ("-o",) if command == "export" else ()
            assert _run(command, *flag, str(path), "--demo",
                        "--db", str(folder / f"{db}.duckdb"))[0] == 0
        assert first.read_bytes() == second.read_bytes()
        exported = [json.loads(line) for line in first.read_bytes().split(b"\n") if line]
    assert {r["id"]: (r["text"], r["author"]) for r in exported} == {
        f"x:{n}": (text, author or None) for n, (text, author) in enumerate(rows, start=1)}


# -- minimal examples of the bugs found (hypothesis shrank to these) -------------------------

GOOD = {"source": "x", "native_id": "2", "text": "Aerolume fine",
        "created_at": "2026-11-20T10:00:00Z"}


def _canonical(**fields: Any) -> str:
    """A canonical line with `fields` set, as Python's json writes it (NaN, Infinity, \\ud800)."""
    return json.dumps({"source": "x", "native_id": "1", "text": "a",
                       "created_at": "2026-11-20T10:00:00Z", **fields})


@pytest.mark.parametrize("line", [
    pytest.param(_canonical(text="\ud800"), id="text-lone-surrogate"),
    pytest.param(_canonical(author="\udc80"), id="author-lone-surrogate"),
    pytest.param(_canonical(url=5), id="url-number"),
    pytest.param(_canonical(author={"a": 1}), id="author-object"),
    pytest.param(_canonical(author_followers=2**63), id="followers-2**63"),
    pytest.param(_canonical(author_followers=math.inf), id="followers-Infinity"),
    pytest.param(_canonical(created_at="0001-01-01T00:00:00+14:00"), id="time-before-year-1"),
    pytest.param(_canonical(matched_terms=5), id="terms-number"),
])
def test_one_bad_line_is_kept_aside_and_the_good_one_imported(line, tmp_path):
    path = tmp_path / "in.jsonl"
    _write_lines(path, [line, json.dumps(GOOD)])
    code, _, _ = _run("import", str(path), "--demo", "--db", str(tmp_path / "c.duckdb"))
    stored, kept_aside = _imported(tmp_path / "c.duckdb")
    assert code in (0, 1)
    assert stored == {"x:2": "Aerolume fine"} and kept_aside == {1}


def test_a_lone_carriage_return_does_not_start_a_new_line(tmp_path):
    path = tmp_path / "in.jsonl"
    _write_lines(path, ["broken\rline", json.dumps(GOOD)])
    _, out, _ = _run("import", str(path), "--demo", "--db", str(tmp_path / "c.duckdb"))
    stored, kept_aside = _imported(tmp_path / "c.duckdb")
    assert stored == {"x:2": "Aerolume fine"} and kept_aside == {1}
    assert "2 line(s)" in out


@pytest.mark.parametrize("fmt", ["jsonl", "x", "reddit"])
@pytest.mark.parametrize("line", [
    pytest.param("[" * 100_000, id="nested-100k-deep"),
    # json.loads raises ValueError (not JSONDecodeError) on an int of more than 4300 digits
    pytest.param(_canonical(author_followers=0).replace('"author_followers": 0',
                                                        '"author_followers": ' + "9" * 5000),
                 id="number-of-5000-digits"),
])
def test_a_line_json_cannot_read_is_kept_aside(fmt, line, tmp_path):
    path = tmp_path / "in.jsonl"
    _write_lines(path, [line, json.dumps(GOOD)])
    code, _, err = _run("import", str(path), "--source", fmt, "--demo",
                        "--db", str(tmp_path / "c.duckdb"))
    assert code in (0, 1) and "line 1: " in err
    if fmt == "jsonl":
        assert _imported(tmp_path / "c.duckdb") == ({"x:2": "Aerolume fine"}, {1})


# Python's own words for a wrong type, which mean nothing to the person reading the reason.
JARGON = re.compile(r"'\w+' object|NoneType|not iterable|not subscriptable|unhashable|"
                    r"has no attribute|codec can't|Invalid isoformat|invalid literal")


@pytest.mark.parametrize("map_item, raw, reason", [
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "created_utc": 1e20},
                 "created_utc 1e+20 is not a Unix time", id="reddit-created_utc-1e20"),
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "created_utc": math.nan},
                 "created_utc nan is not a Unix time", id="reddit-created_utc-NaN"),
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "created_utc": 253402300800.0},
                 "is not a Unix time", id="reddit-created_utc-year-10000"),
    pytest.param(XCollector.map_item, {**X_POST, "referenced_tweets": 5},
                 "referenced_tweets is not a list", id="x-referenced_tweets-number"),
    pytest.param(RedditCollector.map_item, {**REDDIT_POST, "kind": {}},
                 "kind {} is not a post or a comment", id="reddit-kind-object"),
    pytest.param(RedditCollector.map_item, {**REDDIT_POST, "name": None, "kind": ["t3"]},
                 "a Reddit item without an id", id="reddit-kind-list-no-name"),
    pytest.param(RedditCollector.map_item, {**REDDIT_POST, "selftext": ["a"]},
                 "its selftext is a list, not text", id="reddit-selftext-list"),
    pytest.param(RedditCollector.map_item, {**REDDIT_POST, "title": 5},
                 "its title is the number 5, not text", id="reddit-title-number"),
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "body": {"a": 1}},
                 "its body is an object, not text", id="reddit-body-object"),
    pytest.param(FeedsCollector.map_item, {**FEED_ENTRY, "key": 5},
                 "key (its link or id) is the number 5, not text", id="feed-key-number"),
    pytest.param(FeedsCollector.map_item, {**FEED_ENTRY, "title": ["a"]},
                 "its title is a list, not text", id="feed-title-list"),
    pytest.param(FeedsCollector.map_item, {**FEED_ENTRY, "published": "yesterday"},
                 "its published 'yesterday' is not an ISO 8601 time with a time zone",
                 id="feed-published-not-a-time"),
    pytest.param(FeedsCollector.map_item, {**FEED_ENTRY, "published": None, "fetched_at": 5},
                 "its fetched_at 5 is not an ISO 8601 time", id="feed-fetched_at-number"),
    pytest.param(FeedsCollector.map_item, {**FEED_ENTRY, "published": None,
                                           "fetched_at": None},
                 "has no date", id="feed-no-date"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "matched_terms": 5},
                 "matched_terms is the number 5, not a list of terms", id="jsonl-terms-number"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "matched_terms": ["a", None]},
                 "matched_terms holds null, not only terms", id="jsonl-terms-null"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "author_followers": math.inf},
                 "author_followers inf is not a whole number", id="jsonl-followers-Infinity"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "author_followers": 1.5},
                 "author_followers 1.5 is not a whole number", id="jsonl-followers-fraction"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "native_id": {"a": 1}},
                 "native_id is an object, not an id", id="jsonl-native_id-object"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "in_reply_to": [1]},
                 "in_reply_to is a list, not an id", id="jsonl-in_reply_to-list"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "source": 5},
                 "source 5 is not a short name", id="jsonl-source-number"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "text": None, "id": ["x", "1"]},
                 "missing text", id="jsonl-no-text"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "url": 5},
                 "url is the number 5, not text", id="jsonl-url-number"),
    pytest.param(jsonl.map_item, {**CANONICAL_LINE, "matched_terms": ["\ud800"]},
                 "matched_terms holds a lone UTF-16 surrogate", id="jsonl-terms-surrogate"),
])
def test_an_unreadable_shape_raises_unreadable_item_with_a_sentence(map_item, raw, reason):
    with pytest.raises(UnreadableItem) as caught:
        map_item(raw)
    assert reason in str(caught.value) and not JARGON.search(str(caught.value))


def test_a_feed_entry_with_a_malformed_link_is_read_without_a_link():
    """A link no browser can open ("http://[::1": an unclosed IPv6 host) is no link to show,
    as a javascript: link is none; the article is still a mention and raw keeps the link."""
    mention = FeedsCollector.map_item({**FEED_ENTRY, "link": "http://[::1"})
    assert mention.url is None and mention.text.startswith(FEED_ENTRY["title"])
    assert mention.raw["link"] == "http://[::1"


@pytest.mark.parametrize("map_item, raw", [
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "parent_id": 5},
                 id="reddit-parent_id-number"),
    pytest.param(RedditCollector.map_item, {**REDDIT_COMMENT, "link_id": ["t3_x"]},
                 id="reddit-link_id-list"),
    pytest.param(XCollector.map_item, {**X_V1_POST, "in_reply_to_status_id_str": 5},
                 id="x-v1-in_reply_to-number"),
    pytest.param(XCollector.map_item, {**X_POST, "_author": {
        **X_USER, "public_metrics": {"followers_count": 2**63}}},
                 id="x-followers-2**63"),
    pytest.param(XCollector.map_item, {**X_POST, "created_at": "9999-12-31T23:59:59-23:59"},
                 id="x-time-after-year-9999-in-utc"),
    pytest.param(XCollector.map_item, {**X_POST, "_author": {**X_USER, "name": "\ud800"}},
                 id="x-author-name-lone-surrogate"),
])
def test_a_mention_the_store_cannot_hold_is_unreadable(map_item, raw):
    try:
        mention = map_item(raw)
    except UnreadableItem:
        return
    assert unstorable(mention) is None


def test_a_mention_with_an_empty_text_survives_export_and_import(tmp_path):
    """A post that is only an image has an empty text: collected (here from an X archive, as
    `clamor import --source x` reads one), analysed, exported, imported and exported again, it
    comes out the same. (This test used to store the mention without the analysis and term
    matching every collected mention gets, so its first export had no sentiment and its
    second had one: the difference was the test's, not a loss.)"""
    archive = tmp_path / "x.jsonl"
    _write_lines(archive, [json.dumps({**X_POST, "text": ""})])
    assert _run("import", str(archive), "--source", "x", "--demo",
                "--db", str(tmp_path / "a.duckdb"))[0] == 0
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert _run("export", "--demo", "--db", str(tmp_path / "a.duckdb"), "-o", str(first))[0] == 0
    assert _run("import", str(first), "--demo", "--db", str(tmp_path / "b.duckdb"))[0] == 0
    assert _run("export", "--demo", "--db", str(tmp_path / "b.duckdb"), "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    (line,) = map(json.loads, first.read_text("utf-8").splitlines())
    assert line["text"] == "" and line["sentiment_label"] == "unscored"
