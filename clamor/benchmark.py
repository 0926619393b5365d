"""`clamor bench`: builds a synthetic but realistic store of N mentions and measures, in the
same run, what users wait for — ingest and analysis against VADER alone, the inbox, the
explorer's search and the overview against the bare DuckDB queries they wrap, an analyst's
session through every explorer view and many filters, the dashboard process's peak memory
(its pages, then that session), and how soon a new complaint shows in the inbox.

The store is built in bulk (Arrow chunks made on every core from phrases of the bundled demo
stream, in five languages), never row by row. Results are printed and written to
bench/results/bench-<N>.json. Goals are checked here, never in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000
LANGS = ("en", "fa", "ar", "th", "el")
LANG_SHARE = (0.55, 0.10, 0.12, 0.10, 0.13)
# What customers write about (the demo stream's labels) and how often; the brand's own
# replies are "brand_reply".
LABEL_SHARE = {"complaint": 0.30, "question": 0.17, "praise": 0.20, "neutral": 0.29,
               "spam": 0.04}
OWN_SHARE = 0.03
REPLY_SHARE = 0.12
AUTHORS = 200_000
DAYS = 365
REPS = 20

GOALS_10M = {  # what 10 M mentions should still allow (checked, printed; never in tests)
    "inbox_p95_ms": ("<=", 100.0, "inbox p95 ≤ 100 ms"),
    "inbox_ratio_vs_raw": ("<=", 1.2, "inbox ≤ 1.2× its bare query"),
    "search_p95_ms": ("<=", 300.0, "search p95 ≤ 300 ms"),
    "overview_p95_ms": ("<=", 300.0, "overview p95 ≤ 300 ms"),
    "peak_rss_mb": ("<=", 1024.0, "dashboard RSS ≤ 1 GB"),
    "ingest_ratio_vs_vader": (">=", 0.8, "ingest ≥ 0.8× VADER alone"),
}

# -- deterministic randomness: every attribute of mention number `seq` is a function of it --

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _u(seq: np.ndarray, salt: int) -> np.ndarray:
    """Uniform [0, 1) per seq and salt (splitmix64)."""
    with np.errstate(over="ignore"):
        x = seq.astype(np.uint64) * _GOLD + np.uint64((salt * 0x632BE59BD9B4E019) % 2**64)
        x ^= x >> np.uint64(30)
        x *= _MIX1
        x ^= x >> np.uint64(27)
        x *= _MIX2
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _zipf(u: np.ndarray, n: int) -> np.ndarray:
    """An index in [0, n) with P(k) ~ 1/(k+1): a few phrases and authors are everywhere."""
    return np.minimum((np.power(float(n) + 1.0, u) - 1.0).astype(np.int64), n - 1)


def _pick(u: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    return np.searchsorted(np.cumsum(shares) / sum(shares), u, side="right").clip(
        0, len(shares) - 1)


# -- phrases: the demo stream cut into clauses, each analysed once -------------------------

_CLAUSE = re.compile(r"(?<=[.!?؟…])\s+|\s+\|\s+|\n+")
_HANDLE = re.compile(r"@(?!Aerolume\b|AerolumeHelp\b)[A-Za-z0-9_]{2,}")
_CODE = re.compile(r"\b(?=[A-Z0-9]{6}\b)(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b")
_FLIGHT = re.compile(r"\bAL ?\d{3,4}\b")
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NAMES = ("tom", "helen", "sophie", "jordan", "priya", "sam", "alex", "maria", "nikos",
         "eleni", "giorgos", "katerina", "reza", "maryam", "sara", "ali", "mahsa", "omid",
         "fahad", "layla", "omar", "noura", "khalid", "huda", "ploy", "fern", "aom", "nong",
         "somchai", "mali", "joe", "anna", "luca", "yuki", "chen", "dimitra", "hassan",
         "zahra", "nat", "kim")


def _demo_rows(lang: str) -> list[dict]:
    text = resources.files("clamor.demo").joinpath(f"stream_{lang}.jsonl").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def _template(clause: str) -> str:
    """A clause with its handles, booking codes and flight numbers made slots (\\x01-\\x03),
    filled per mention: they are the rare words of a real stream."""
    clause = _HANDLE.sub("\x01", clause)
    clause = _CODE.sub("\x02", clause)
    return _FLIGHT.sub("AL \x03", clause)


def phrase_pool(config) -> dict:
    """{(lang, label): {"open": [...], "rest": [...]}} of clauses, each with what the analysis
    says about it (sentiment, complaint flag and cues) and the watchlist terms it names; and
    per language the web publications' names. Built once, in the parent process."""
    from analysis import complaints, sentiment
    from clamor.pipeline import listening_terms
    from collectors.matching import match_terms

    terms = listening_terms(config)
    pool: dict[Any, Any] = {}
    items: list[tuple[tuple[str, str], str, str]] = []
    web: dict[str, list[str]] = {}
    for lang in LANGS:
        for row in _demo_rows(lang):
            label = row.get("label")
            if label not in (*LABEL_SHARE, "brand_reply"):
                continue
            if row.get("source") == "web" and row.get("author"):
                web.setdefault(lang, []).append(row["author"])
            parts = [p.strip() for p in _CLAUSE.split(row.get("text") or "") if len(p.strip()) > 2]
            for i, part in enumerate(parts[:4]):
                items.append(((lang, label), "open" if i == 0 else "rest", part))
    texts = [t for _, _, t in items]
    langs = [key[0] for key, _, _ in items]
    scores = sentiment.score(texts, langs)
    own = [key[1] == "brand_reply" for key, _, _ in items]
    verdicts = complaints.judge_batch(texts, langs, [s for s, _, _ in scores], own)
    for (key, where, text), (score, label, model), verdict in zip(items, scores, verdicts,
                                                                 strict=True):
        match = match_terms(text, terms, config.watchlist.exclusions)
        entry = (_template(text), score, label, model, bool(verdict.complaint),
                 float(verdict.score), tuple(verdict.cues), tuple(match.terms),
                 tuple(match.kinds))
        pool.setdefault(key, {"open": [], "rest": []})[where].append(entry)
    for parts in pool.values():
        # A fixed but arbitrary order, so the most frequent phrase is not always the first.
        for where in parts:
            parts[where].sort(key=lambda e: _stable(e[0]))
    brand = {"en": "Aerolume", "fa": "ایرولوم", "ar": "إيرولوم", "th": "แอโรลูม",
             "el": "Aerolume"}
    return {"clauses": pool, "web": {k: sorted(set(v)) for k, v in web.items()},
            "brand": brand, "brand_match": {lang: match_terms(b, terms) for lang, b in
                                            brand.items()}}


def _stable(text: str) -> int:
    import zlib

    return zlib.crc32(text.encode("utf-8"))


# -- one chunk of mentions, their analysis and their words ---------------------------------

_STATE: dict[str, Any] = {}


def _init_worker(pool: dict, n: int, end_epoch_us: int) -> None:
    _STATE.update(pool=pool, n=n, end=end_epoch_us, grid=None, words={})


def _time_grid(end_us: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative mention intensity per minute over the year: a daily rhythm (UTC), quieter
    weekends, slow growth and a few storms."""
    minutes = DAYS * 24 * 60
    start_us = end_us - minutes * 60_000_000
    t = np.arange(minutes, dtype=np.int64)
    moment = (start_us // 60_000_000) + t  # epoch minutes
    hour = (moment // 60) % 24
    weekday = ((moment // 1440) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    daily = np.array([0.35, 0.3, 0.28, 0.3, 0.4, 0.55, 0.75, 0.95, 1.1, 1.2, 1.25, 1.25, 1.2,
                      1.2, 1.25, 1.3, 1.35, 1.35, 1.3, 1.2, 1.05, 0.85, 0.6, 0.45])[hour]
    weekly = np.array([1.1, 1.05, 1.0, 1.0, 1.05, 0.85, 0.8])[weekday]
    growth = 0.8 + 0.4 * t / minutes
    intensity = daily * weekly * growth
    for day in (40, 97, 151, 230, 301, 352):  # storms: a cancelled route, an app outage…
        begin = day * 1440 + 9 * 60
        intensity[begin:begin + 8 * 60] *= 3.5
    cum = np.concatenate([[0.0], np.cumsum(intensity)])
    edges = start_us + np.arange(minutes + 1, dtype=np.int64) * 60_000_000
    return cum, edges.astype(np.float64)


def _created(seq: np.ndarray, n: int, end_us: int) -> np.ndarray:
    if _STATE.get("grid") is None or _STATE.get("grid_end") != end_us:
        _STATE["grid"], _STATE["grid_end"] = _time_grid(end_us), end_us
    cum, edges = _STATE["grid"]
    target = (seq.astype(np.float64) - 0.5) / n * cum[-1]
    return np.interp(target, cum, edges).astype(np.int64)


def _handle(author: int, source: str) -> str:
    name = NAMES[author % len(NAMES)]
    return f"u/{name}_{author // len(NAMES)}" if source == "reddit" \
        else f"@{name}_{author // len(NAMES):x}"


def _followers(author: np.ndarray) -> np.ndarray:
    u = _u(author, 71)
    return np.minimum(30.0 * np.power(1.0 - u, -1.25), 3e7).astype(np.int64)


def _code(value: int) -> str:
    out = []
    for _ in range(6):
        value, r = divmod(value, len(_CODE_CHARS))
        out.append(_CODE_CHARS[r])
    return "".join(out)


def make_rows(start: int, count: int, n: int, end_us: int, pool: dict) -> dict[str, list]:
    """The mentions numbered start+1 .. start+count of a store of n: columns as lists."""
    seq = np.arange(start + 1, start + count + 1, dtype=np.int64)
    lang_i = _pick(_u(seq, 1), LANG_SHARE)
    own = _u(seq, 2) < OWN_SHARE
    label_i = _pick(_u(seq, 3), tuple(LABEL_SHARE.values()))
    labels = list(LABEL_SHARE)
    u_src = _u(seq, 4)
    reply = (_u(seq, 5) < REPLY_SHARE) | own
    parent = seq - 1 - _zipf(_u(seq, 6), 400)
    reply &= parent >= 1
    author = (_zipf(_u(seq, 7), AUTHORS) * 7919) % AUTHORS
    followers = _followers(author)
    created = _created(seq, n, end_us)
    lag = (_u(seq, 8) * 20 * 60_000_000).astype(np.int64)
    collected = np.minimum(created + 60_000_000 + lag, end_us)
    u_open, u_more, u_rest1, u_rest2 = (_u(seq, s) for s in (9, 10, 11, 12))
    u_slot = _u(seq, 13)
    slot_int = (u_slot * 2**40).astype(np.int64)
    clauses = pool["clauses"]
    out: dict[str, list] = {k: [] for k in (
        "id", "source", "native_id", "url", "author", "author_followers", "text",
        "source_lang", "in_reply_to", "conversation_id", "matched_terms", "matched_kinds",
        "is_own", "lang", "sentiment", "sentiment_label", "sentiment_model", "complaint",
        "complaint_score", "complaint_cues", "raw")}
    for i in range(count):
        lang = LANGS[lang_i[i]]
        is_own = bool(own[i])
        label = "brand_reply" if is_own else labels[label_i[i]]
        if is_own:
            source = "x" if u_src[i] < 0.85 else "reddit"
            name = "@AerolumeHelp" if source == "x" else "u/Aerolume_Official"
            fol = 48_000 if source == "x" else 3_100
        else:
            web_share = 0.45 if label == "neutral" else 0.04
            source = "web" if u_src[i] < web_share else (
                "x" if u_src[i] < web_share + (1 - web_share) * 0.78 else "reddit")
            if source == "web":
                pubs = pool["web"].get(lang) or ["News"]
                name = pubs[int(author[i]) % len(pubs)]
                fol = 5_000 + int(author[i]) * 3 % 600_000
            else:
                name = _handle(int(author[i]), source)
                fol = int(followers[i])
        parts = clauses.get((lang, label)) or clauses[("en", label)]
        opening = parts["open"][_zipf(u_open[i:i + 1], len(parts["open"]))[0]]
        chosen = [opening]
        rest = parts["rest"]
        if rest and u_more[i] < 0.5:
            chosen.append(rest[_zipf(u_rest1[i:i + 1], len(rest))[0]])
            if u_more[i] < 0.15:
                chosen.append(rest[_zipf(u_rest2[i:i + 1], len(rest))[0]])
        text = " ".join(c[0] for c in chosen)
        if "\x01" in text:
            text = text.replace("\x01", _handle(int(slot_int[i] % AUTHORS), "x"), 1)
            text = text.replace("\x01", "@" + NAMES[int(slot_int[i]) % len(NAMES)])
        if "\x02" in text:
            text = text.replace("\x02", _code(int(slot_int[i])))
        if "\x03" in text:
            text = text.replace("\x03", str(100 + int(slot_int[i] >> 20) % 900))
        terms = dict.fromkeys(t for c in chosen for t in c[7])
        kinds = dict.fromkeys(k for c in chosen for k in c[8])
        if not terms and not is_own:
            text = f"{pool['brand'][lang]} {text}"
            match = pool["brand_match"][lang]
            terms, kinds = dict.fromkeys(match.terms), dict.fromkeys(match.kinds)
        scored = [c for c in chosen if c[1] is not None]
        votes = [c[2] for c in chosen]
        senti_label = max(dict.fromkeys(votes), key=votes.count)
        flagged = [c for c in chosen if c[4]] if not is_own else []
        s = int(seq[i])
        native = f"b{s}"
        out["id"].append(f"{source}:{native}")
        out["source"].append(source)
        out["native_id"].append(native)
        out["url"].append(
            f"https://x.com/{name.lstrip('@')}/status/{s}" if source == "x" else
            f"https://www.reddit.com/r/aerolume/comments/{native}/" if source == "reddit" else
            f"https://news.example/{lang}/{native}")
        out["author"].append(name)
        out["author_followers"].append(fol)
        out["text"].append(text)
        out["source_lang"].append(lang if source == "x" else None)
        if reply[i]:
            p = int(parent[i])
            psource = "x" if is_own and source == "x" else source
            ref = f"{psource}:b{p}"
        else:
            ref = None
        out["in_reply_to"].append(ref)
        out["conversation_id"].append(ref)
        out["matched_terms"].append(list(terms))
        out["matched_kinds"].append(list(kinds))
        out["is_own"].append(is_own)
        out["lang"].append(lang)
        out["sentiment"].append(
            sum(c[1] for c in scored) / len(scored) if scored else None)
        out["sentiment_label"].append(senti_label if scored else "unscored")
        out["sentiment_model"].append(chosen[0][3])
        out["complaint"].append(bool(flagged))
        out["complaint_score"].append(max((c[5] for c in chosen), default=0.0))
        out["complaint_cues"].append(list(dict.fromkeys(q for c in flagged for q in c[6])))
        out["raw"].append(json.dumps({"id": native, "lang": lang, "bench": True}))
    out["seq"] = seq.tolist()
    out["created_at"] = created
    out["collected_at"] = collected
    return out


_TS = pa.timestamp("us", tz="UTC")


def _tables(rows: dict[str, list], end_us: int) -> tuple[pa.Table, pa.Table]:
    created = pa.array(rows["created_at"], pa.int64()).cast(_TS)
    collected = pa.array(rows["collected_at"], pa.int64()).cast(_TS)
    mentions = pa.table({
        "id": rows["id"], "source": rows["source"], "native_id": rows["native_id"],
        "url": rows["url"], "author": rows["author"],
        "author_followers": pa.array(rows["author_followers"], pa.int64()),
        "text": rows["text"], "created_at": created, "collected_at": collected,
        "source_lang": pa.array(rows["source_lang"], pa.string()),
        "in_reply_to": pa.array(rows["in_reply_to"], pa.string()),
        "conversation_id": pa.array(rows["conversation_id"], pa.string()),
        "matched_terms": pa.array(rows["matched_terms"], pa.list_(pa.string())),
        "matched_kinds": pa.array(rows["matched_kinds"], pa.list_(pa.string())),
        "is_own": rows["is_own"], "collector": [
            "feeds" if s == "web" else s for s in rows["source"]],
        "collector_version": pa.array(["bench"] * len(rows["id"])),
        "query": pa.array(["Aerolume"] * len(rows["id"])),
        "raw": rows["raw"], "seq": pa.array(rows["seq"], pa.int64()),
    })
    analysed = pa.array(np.minimum(np.asarray(rows["collected_at"]) + 30_000_000, end_us),
                        pa.int64()).cast(_TS)
    analysis = pa.table({
        "mention_id": rows["id"], "lang": rows["lang"],
        "lang_confidence": pa.array(0.85 + 0.15 * _u(np.asarray(rows["seq"]), 21)),
        "sentiment": pa.array(rows["sentiment"], pa.float64()),
        "sentiment_label": rows["sentiment_label"],
        "sentiment_model": pa.array(rows["sentiment_model"], pa.string()),
        "complaint": rows["complaint"],
        "complaint_score": pa.array(rows["complaint_score"], pa.float64()),
        "complaint_cues": pa.array(rows["complaint_cues"], pa.list_(pa.string())),
        "analysed_at": analysed,
        "analysis_version": pa.array(["bench"] * len(rows["id"])),
        "seq": pa.array(rows["seq"], pa.int64()),
    })
    return mentions, analysis


def _words_table(texts: list[str], seqs: list[int]) -> pa.Table:
    """(word, seq) for the search index: analysis.tokens.words of every text."""
    from analysis.tokens import words

    from clamor.store import Store

    cache: dict[str, list[str]] = _STATE.setdefault("words", {})
    if len(cache) > 300_000:
        cache.clear()
    found = []
    for text in texts:
        if text not in cache:
            cache[text] = words(text)
        found.append(cache[text])
    return Store.words_table(found, seqs)


def build_chunk(start: int, count: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """One chunk in a worker: (mentions, analysis, words) as Arrow tables."""
    rows = make_rows(start, count, _STATE["n"], _STATE["end"], _STATE["pool"])
    mentions, analysis = _tables(rows, _STATE["end"])
    return mentions, analysis, _words_table(rows["text"], rows["seq"])


def _spawn_pool(workers: int, initializer=None, initargs=()):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, initializer=initializer,
                               initargs=initargs,
                               mp_context=multiprocessing.get_context("spawn"))


# -- the store ------------------------------------------------------------------------------

def build_store(path: Path, n: int, config, *, progress: Callable[[str], Any] = print,
                workers: int | None = None, end: dt.datetime | None = None) -> dict:
    """A store of n analysed, indexed and filed mentions over the year up to `end`."""
    from clamor.store import Store

    workers = workers or os.cpu_count() or 1
    end = (end or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(minutes=5)
    end_us = int(end.timestamp() * 1_000_000)
    started = time.perf_counter()
    pool = phrase_pool(config)
    store = Store(path)
    progress(f"building {n:,} mentions in {path} on {workers} processes…")
    chunks = iter(range(0, n, CHUNK))
    done = 0
    mark = time.perf_counter()
    with _spawn_pool(workers, _init_worker, (pool, n, end_us)) as ex:
        pending: deque = deque()

        def submit() -> None:
            start = next(chunks, None)
            if start is not None:
                pending.append(ex.submit(build_chunk, start, min(CHUNK, n - start)))

        for _ in range(workers + 1):
            submit()
        while pending:
            mentions, analysis, words = pending.popleft().result()
            submit()
            with store.transaction() as con:
                for name, table, target in (("bench_m", mentions, "mentions"),
                                            ("bench_a", analysis, "analysis"),
                                            ("bench_w", words, "search_recent")):
                    con.register(name, table)
                    try:
                        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {name}")
                    finally:
                        con.unregister(name)
            done += mentions.num_rows
            if time.perf_counter() - mark > 10 or done == n:
                mark = time.perf_counter()
                elapsed = mark - started
                progress(f"  {done:,} mentions stored ({done / elapsed:,.0f}/s, "
                         f"{elapsed:.0f} s)")
    timings = {"rows_s": time.perf_counter() - started}
    with store.transaction() as con:
        con.execute("DROP SEQUENCE mention_seq")
        con.execute(f"CREATE SEQUENCE mention_seq START {n + 1}")
    t = time.perf_counter()
    progress("filing cases…")
    cases = _file_cases(store, end)
    timings["cases_s"] = time.perf_counter() - t
    t = time.perf_counter()
    progress("sorting the search index…")
    entries = store.compact_search_words()
    timings["search_index_s"] = time.perf_counter() - t
    t = time.perf_counter()
    progress("counting hours…")
    store.rebuild_hourly()
    store.con.execute("CHECKPOINT")
    timings["hourly_s"] = time.perf_counter() - t
    timings["build_s"] = time.perf_counter() - started
    store.close()
    progress(f"built in {timings['build_s']:.0f} s: {cases['cases']:,} cases "
             f"({cases['waiting']:,} waiting), {entries:,} index entries")
    return {**timings, **cases, "search_entries": entries, "end": end}


_COMPETITOR_ONLY = ("(len(m.matched_kinds) > 0 AND "
                    "list_has_all(['competitor'], m.matched_kinds))")
_AGENTS = {"en": ["Tom Reid", "Eleni Markou", "Joe Park"], "el": ["Eleni Markou"],
           "fa": ["Maryam Rahimi"], "ar": ["Omar Said"], "th": ["Ploy Srisuk"]}
_TEAMS = {"en": "Care Europe", "el": "Care Europe", "fa": "Care Middle East",
          "ar": "Care Middle East", "th": "Care Asia"}


def _file_cases(store, end: dt.datetime) -> dict:
    """Cases as the filing would have made them: a customer's messages on one platform and day
    gather into one case; recent cases are often still open, old ones resolved (answered,
    followed up) or ignored. Brand replies are filed as responses, competitor-only posts
    under no case."""
    def u(expr: str, salt: int) -> str:
        return f"((hash({expr}, {salt}) % 1000003) / 1000003.0)"

    agent = "CASE b.lang " + " ".join(
        f"WHEN '{lang}' THEN {names!r}[1 + (hash(b.first_seq, 5) % {len(names)})::INT]"
        for lang, names in _AGENTS.items()) + " ELSE 'Tom Reid' END"
    team = "CASE b.lang " + " ".join(
        f"WHEN '{lang}' THEN '{t}'" for lang, t in _TEAMS.items()) + " END"
    with store.transaction() as con:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE bench_filing AS
            SELECT m.id, m.seq, m.source, m.author, m.created_at,
                   coalesce(m.conversation_id, m.id) AS conv, a.lang, a.complaint,
                   hash(m.source, m.author, CAST(m.created_at AS DATE)) AS k
            FROM mentions m JOIN analysis a ON a.mention_id = m.id
            WHERE NOT m.is_own AND NOT {_COMPETITOR_ONLY}
        """)
        con.execute("""
            CREATE OR REPLACE TEMP TABLE bench_cases AS
            SELECT k, arg_min(id, seq) AS mention_id, arg_min(source, seq) AS source,
                   arg_min(author, seq) AS author, arg_min(conv, seq) AS conv,
                   min(created_at) AS opened_at, max(created_at) AS last_customer_at,
                   count(*) AS messages, arg_min(lang, seq) AS lang, min(seq) AS first_seq,
                   'C-' || (10000 + row_number() OVER (ORDER BY min(seq)))::VARCHAR AS case_id
            FROM bench_filing GROUP BY k
        """)
        age = "(epoch(?::TIMESTAMPTZ) - epoch(b.last_customer_at)) / 86400.0"
        con.execute(f"""
            INSERT INTO cases
            WITH s AS (
                SELECT b.*, {agent} AS agent, {team} AS team_name,
                       CASE WHEN {u('b.first_seq', 1)} < CASE WHEN {age} < 3 THEN 0.4
                                                              WHEN {age} < 30 THEN 0.05
                                                              ELSE 0.01 END
                            THEN (['new', 'new', 'new', 'acknowledged', 'in_progress',
                                   'in_progress', 'waiting_on_customer']
                                  [1 + (hash(b.first_seq, 2) % 7)::INT])
                            WHEN {u('b.first_seq', 3)} < 0.05 THEN 'ignored'
                            ELSE 'resolved' END AS status,
                       b.opened_at + to_seconds((60 * (2 + 900 * pow({u('b.first_seq', 4)},
                                                                     3)))::BIGINT)
                           AS answered
                FROM bench_cases b
            ), r AS (
                SELECT s.*,
                       CASE WHEN status IN ('new', 'ignored') THEN NULL
                            ELSE least(answered, ?::TIMESTAMPTZ) END AS first_resp,
                       CASE WHEN status = 'resolved'
                            THEN least(greatest(answered, last_customer_at)
                                       + to_seconds(300), ?::TIMESTAMPTZ)
                            WHEN status IN ('new', 'ignored') THEN NULL
                            ELSE least(answered, ?::TIMESTAMPTZ) END AS last_resp
                FROM s
            )
            SELECT case_id, mention_id, source, author, conv, status, opened_at,
                   CASE WHEN status = 'new' THEN NULL ELSE agent END,
                   team_name, NULL, NULL, first_resp, last_resp, last_customer_at, messages,
                   CASE WHEN status = 'resolved' THEN last_resp + to_seconds(1200) END,
                   CASE WHEN status = 'resolved' THEN last_resp + to_seconds(87600) END,
                   CASE WHEN status = 'resolved' AND last_resp < ?::TIMESTAMPTZ - INTERVAL 2 DAY
                             AND {u('first_seq', 6)} < 0.6
                        THEN last_resp + to_seconds(90000) END,
                   0,
                   NULL, NULL, 0, false, [], [], NULL, NULL,  -- waiting: refresh_waiting below
                   NULL  -- last complaint: refresh_complaint_times below
            FROM r
        """, [end] * 6)
        # In mention order, as the filing pass appends them (their numbers then lie in
        # row groups of their own: the inbox reads a week's filings by number).
        con.execute(f"""
            INSERT INTO case_mentions (mention_id, case_id, role, seq)
            WITH customer AS (
                SELECT f.id, b.case_id, f.seq FROM bench_filing f JOIN bench_cases b USING (k))
            SELECT id, case_id, 'customer', seq FROM customer
            UNION ALL
            SELECT m.id, NULL, 'none', m.seq FROM mentions m
            WHERE NOT m.is_own AND {_COMPETITOR_ONLY}
            UNION ALL
            SELECT m.id, f.case_id,
                   CASE WHEN f.case_id IS NULL THEN 'none' ELSE 'response' END, m.seq
            FROM mentions m LEFT JOIN customer f ON f.id = m.in_reply_to
            WHERE m.is_own
            ORDER BY seq
        """)
        (cases,) = con.execute("SELECT count(*) FROM bench_cases").fetchone()
        con.execute("UPDATE counters SET value = ? WHERE name = 'case_number'",
                    [10000 + cases])
        con.execute("DROP TABLE bench_filing")
        con.execute("DROP TABLE bench_cases")
        from clamor import cases as casework

        casework.refresh_waiting(con, None)  # what each case waits on, as filing keeps it
        casework.refresh_complaint_times(con, None)  # and its newest complaint
        (waiting,) = con.execute("""
            SELECT count(*) FROM cases c
            WHERE c.status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_customer')
              AND (c.last_response_at IS NULL OR c.last_customer_at > c.last_response_at)
        """).fetchone()
    return {"cases": int(cases), "waiting": int(waiting)}


# -- ingest and analysis against VADER alone -------------------------------------------------

def english_mentions(n: int, pool: dict, end: dt.datetime) -> list:
    """n English customer mentions of the synthetic stream, as a collector hands them over."""
    from collectors.base import Mention

    end_us = int(end.timestamp() * 1_000_000)
    rows = make_rows(10_000_000, int(n / LANG_SHARE[0] * 1.2) + 100, 20_000_000, end_us, pool)
    out = []
    for i, text in enumerate(rows["text"]):
        if rows["lang"][i] != "en" or rows["is_own"][i]:
            continue
        out.append(Mention(
            source=rows["source"][i], native_id=f"ingest{i}", text=text,
            created_at=end - dt.timedelta(seconds=len(out)), url=rows["url"][i],
            author=rows["author"][i], author_followers=rows["author_followers"][i],
            lang=rows["source_lang"][i], matched_terms=tuple(rows["matched_terms"][i]),
            matched_kinds=tuple(rows["matched_kinds"][i])))
        if len(out) == n:
            break
    return out


_VADER: list = []


def _vader_init() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    _VADER.append(SentimentIntensityAnalyzer())


def _vader_chunk(texts: list[str]) -> int:
    score = _VADER[0].polarity_scores
    for text in texts:
        score(text)
    return len(texts)


def vader_alone(texts: list[str], workers: int) -> dict:
    """VADER's polarity_scores over the texts on `workers` processes: texts/s once the
    processes run (warm), and counting their start and model load (cold)."""
    chunks = [texts[i::workers] for i in range(workers)]
    cold = time.perf_counter()
    with _spawn_pool(workers, _vader_init) as pool:
        list(pool.map(_vader_chunk, [texts[:20]] * workers))
        runs: list[float] = []
        first = 0.0
        for _ in range(3):  # a run of well under a second: the median of three
            warm = time.perf_counter()
            done = sum(pool.map(_vader_chunk, chunks))
            finished = time.perf_counter()
            first = first or finished - cold
            runs.append(finished - warm)
    return {"vader_alone_per_s": done / statistics.median(runs),
            "vader_cold_per_s": done / first}


# What the workers read before the clock starts: English, like the mentions measured (an
# English batch never loads the other languages' models or lingua).
_WARM_TEXTS = ("@AerolumeHelp where is my refund?? 3 hours on hold, thanks for nothing 🙃",
               "Lovely crew on AL 212 today, thank you Aerolume!")


def _posts(texts):
    """Customer posts as the analysis pass reads them (id, text, source_lang, is_own, seq)."""
    import pandas as pd

    texts = list(texts)
    return pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts,
                         "source_lang": None, "is_own": False, "seq": range(len(texts))})


def _warm_worker(languages: tuple[str, ...]) -> int:
    """In an analysis worker: load what the analysis of English needs (VADER, the cues), as
    VADER's warm processes have loaded its lexicon; busy a moment, so each worker gets one."""
    from clamor.pipeline import analyse

    analyse(_posts(_WARM_TEXTS), languages, dt.datetime.now(dt.timezone.utc))
    time.sleep(0.3)
    return os.getpid()


def ingest(mentions: list, path: Path, config, workers: int) -> dict:
    """Store.insert_mentions then analyse_pending (language, sentiment, complaints, words,
    the store's writes) on `workers` processes, into a fresh store, then the filing into
    cases, each timed.

    Compared with VADER alone (warm processes, the texts in memory, nothing stored), the
    headline `ingest_per_s` counts the insert, the analysis and its writes on workers
    started and loaded beforehand, as VADER's are; it used to count the workers' start-up
    (~2 s of interpreters, pandas and models, against VADER's warm processes) and the filing
    into cases (clamor/cases.py: case management, not ingest or analysis), which the base
    does neither of. Both are still measured: `ingest_filed_per_s` includes the filing, and
    `ingest_cold_per_s` the workers' start as well (against `vader_cold_per_s`)."""
    from clamor import cases
    from clamor.pipeline import _pool, analyse_pending
    from clamor.store import Store

    store = Store(path)
    cold = time.perf_counter()
    pool = _pool(workers)
    try:
        list(pool.map(_warm_worker, [config.watchlist.languages] * workers))
        start = time.perf_counter()
        store.insert_mentions(mentions, collector="bench", version="bench", query="Aerolume")
        inserted = time.perf_counter()
        analysed = analyse_pending(store, config, workers=workers, pool=pool, file=False)
        finished = time.perf_counter()
        cases.file_new(store, config)
        filed_at = time.perf_counter()
        (filed,) = store.query_rows("SELECT count(*) FROM case_mentions")[0]
    finally:
        pool.shutdown()
        store.close()
    return {"ingest_per_s": analysed / (finished - start),
            "ingest_filed_per_s": analysed / (filed_at - start),
            "ingest_cold_per_s": analysed / (filed_at - cold),
            "ingest_start_s": start - cold, "ingest_insert_s": inserted - start,
            "ingest_analyse_s": finished - inserted, "ingest_file_s": filed_at - finished,
            "ingest_mentions": analysed, "ingest_filed": int(filed)}


def _analysis_chunk(texts: list[str], languages: tuple[str, ...]):
    """In an analysis worker: the analysis pass (language, sentiment, complaint verdict,
    search words) over texts, its rows made and sent back as the pass sends them."""
    from clamor.pipeline import _analyse_to_save

    return _analyse_to_save(_posts(texts), languages, dt.datetime.now(dt.timezone.utc))


def analysis_alone(texts: list[str], languages: tuple[str, ...], workers: int) -> float:
    """The analysis pass over the texts on `workers` warm processes, as vader_alone runs
    VADER (texts/s, the median of three runs): the analysis without the store's reads and
    writes, which `ingest` adds."""
    chunks = [texts[i::workers] for i in range(workers)]
    with _spawn_pool(workers) as pool:
        list(pool.map(_warm_worker, [languages] * workers))
        runs: list[float] = []
        for _ in range(3):
            start = time.perf_counter()
            done = sum(len(rows) for rows, _ in
                       pool.map(_analysis_chunk, chunks, [languages] * workers))
            runs.append(time.perf_counter() - start)
    return done / statistics.median(runs)


def ingest_vs_vader(mentions: list, root: Path, config, workers: int, repeats: int = 3
                    ) -> dict:
    """VADER alone, the analysis pass alone and the ingest in turn, `repeats` times (the
    machine may be shared: load then moves all three); the median of each figure, and the
    ratios of the medians."""
    runs: list[dict] = []
    for i in range(repeats):
        run_ = vader_alone([m.text for m in mentions], workers)
        run_["analysis_alone_per_s"] = analysis_alone(
            [m.text for m in mentions], config.watchlist.languages, workers)
        db = root / f"ingest-{i}.duckdb"
        for old in root.glob(db.name + "*"):
            old.unlink()
        run_.update(ingest(mentions, db, config, workers))
        for old in root.glob(db.name + "*"):
            old.unlink()
        runs.append(run_)
    out = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    out["ingest_repeats"] = repeats
    out["ingest_ratio_vs_vader"] = out["ingest_per_s"] / out["vader_alone_per_s"]
    out["analysis_ratio_vs_vader"] = out["analysis_alone_per_s"] / out["vader_alone_per_s"]
    out["ingest_filed_ratio_vs_vader"] = out["ingest_filed_per_s"] / out["vader_alone_per_s"]
    out["ingest_ratio_vs_vader_cold"] = out["ingest_cold_per_s"] / out["vader_cold_per_s"]
    return out


# -- query timings --------------------------------------------------------------------------

def _timed(calls: list[Callable[[], Any]]) -> list[float]:
    calls[0]()  # warm: the first read of a column pulls it from disk
    out = []
    for call in calls:
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


_INBOX_RAW = """
    WITH waiting AS (
        SELECT c.id, c.last_customer_at, c.last_response_at FROM cases c
        WHERE c.status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_customer')
          AND (c.last_response_at IS NULL OR c.last_customer_at > c.last_response_at)
        ORDER BY c.last_customer_at DESC LIMIT 5000
    ), newest AS (
        SELECT w.id AS case_id, w.last_customer_at,
               arg_max(m.id, m.created_at) AS mention_id, count(*) AS messages_waiting
        FROM waiting w JOIN case_mentions f ON f.case_id = w.id AND f.role = 'customer'
        JOIN mentions m ON m.id = f.mention_id
        WHERE w.last_response_at IS NULL OR m.created_at > w.last_response_at
        GROUP BY ALL
    )
    SELECT n.case_id, m.id, m.source, m.author, m.author_followers, m.text, m.created_at,
           m.matched_terms, a.lang, a.sentiment_label, a.complaint, a.complaint_cues,
           n.messages_waiting
    FROM newest n JOIN mentions m ON m.id = n.mention_id
    LEFT JOIN analysis a ON a.mention_id = m.id
    WHERE {where}
    ORDER BY n.last_customer_at DESC LIMIT 50
"""


def _inbox_raw(store, flt) -> list:
    where, params = ["true"], []
    if flt.languages:
        where.append("list_contains(?, a.lang)")
        params.append(list(flt.languages))
    if flt.sources:
        where.append("list_contains(?, m.source)")
        params.append(list(flt.sources))
    if flt.kinds:
        where.append("list_has_any(m.matched_kinds, ?)")
        params.append(list(flt.kinds))
    if flt.complaints_only:
        where.append("a.complaint")
    return store.query_rows(_INBOX_RAW.format(where=" AND ".join(where)), params)


# The inbox's filtered views the bench draws (queries.InboxFilter's fields), as agents use them.
INBOX_VIEWS: tuple[dict, ...] = (
    {}, {"languages": ("fa",)}, {"complaints_only": True}, {"sources": ("reddit",)},
    {"languages": ("th",)}, {"kinds": ("staff",)}, {"languages": ("el",), "complaints_only": True},
    {"languages": ("ar",)}, {"sources": ("x",), "complaints_only": True}, {"languages": ("en",)},
)


def _inbox_views() -> tuple[list, list]:
    """INBOX_VIEWS as queries' filters, and the REPS draws of them in turn."""
    from clamor import queries

    variants = [queries.InboxFilter(**view) for view in INBOX_VIEWS]
    return variants, [variants[i % len(variants)] for i in range(REPS)]


def inbox_draws(store, config) -> tuple[list[float], list[float]]:
    """The inbox's ten views (INBOX_VIEWS) each drawn once, then REPS draws of them in
    turn: the times of both, in ms."""
    from clamor import queries

    variants, chosen = _inbox_views()
    first = _timed([lambda f=f: queries.inbox(store, f, config=config) for f in variants])
    return first, _timed([lambda f=f: queries.inbox(store, f, config=config) for f in chosen])


def measure_inbox(store, config) -> dict:
    from clamor import queries

    variants, chosen = _inbox_views()
    shown = queries.inbox(store, queries.InboxFilter(), config=config)
    # An agent's inbox is redrawn all day by a long-running process: timed once each view
    # has been drawn (its rows are in DuckDB's buffers), the same for the bare query. The
    # first draws, which read those rows from the file, are reported beside.
    first, app = inbox_draws(store, config)
    _timed([lambda f=f: _inbox_raw(store, f) for f in variants])
    raw = _timed([lambda f=f: _inbox_raw(store, f) for f in chosen])
    return {"inbox_p50_ms": _p(app, 50), "inbox_p95_ms": _p(app, 95),
            "inbox_raw_p50_ms": _p(raw, 50), "inbox_raw_p95_ms": _p(raw, 95),
            "inbox_ratio_vs_raw": _p(app, 95) / _p(raw, 95), "inbox_rows": len(shown),
            "inbox_first_draw_p95_ms": _p(first, 95),
            "inbox_measured": f"{len(variants)} filtered views, each drawn once first; "
                              f"then {REPS} draws timed"}


_SCRIPTS = {"th": re.compile(r"^[\u0e00-\u0e7f]+$"), "el": re.compile(r"^[\u0370-\u03ff]+$"),
            "fa": re.compile(r"^[\u0600-\u06ff]*[پچژگکی][\u0600-\u06ff]*$"),
            "ar": re.compile(r"^[\u0621-\u064a]+$"), "en": re.compile(r"^[a-z]{3,}$")}


def search_words(store) -> dict[str, list[str]]:
    """Per language, words to search for: two common, one middling, one rare (from a sample
    of the index, so as many as a real stream's vocabulary gives)."""
    rows = store.query_rows(
        "SELECT word, count(*) AS n FROM "
        "(SELECT word FROM search_words USING SAMPLE 200000 ROWS) "
        "GROUP BY word ORDER BY n DESC, word")
    out: dict[str, list[str]] = {}
    for lang, script in _SCRIPTS.items():
        found = [(w, n) for w, n in rows if script.match(w) and len(w) >= 3]
        if lang == "ar":  # Arabic letters Persian also uses: keep words Persian lacks
            found = [(w, n) for w, n in found if not _SCRIPTS["fa"].match(w)]
        if not found:
            continue
        common = [w for w, _ in found[:2]]
        middle = found[len(found) // 8][0]
        rare = found[-1][0]
        out[lang] = list(dict.fromkeys([*common, middle, rare]))
    return out


def measure_search(store, words: dict[str, list[str]]) -> dict:
    from clamor import explorer

    chosen = [w for ws in words.values() for w in ws]
    chosen = (chosen * (REPS // max(len(chosen), 1) + 1))[:REPS]

    def app(word: str) -> None:
        flt = explorer.Filter(text=word)
        explorer.mentions(store, flt, limit=50)
        explorer.count(store, flt)

    def raw(word: str) -> None:
        pattern = f"%{word}%"
        store.query_rows("SELECT id, text, created_at FROM mentions WHERE text ILIKE ? "
                         "ORDER BY created_at DESC LIMIT 50", [pattern])
        store.query_rows("SELECT count(*) FROM mentions WHERE text ILIKE ?", [pattern])

    app_ms = _timed([lambda w=w: app(w) for w in chosen])
    raw_ms = _timed([lambda w=w: raw(w) for w in chosen])
    slowest = max(zip(app_ms, chosen, strict=True))
    return {"search_p50_ms": _p(app_ms, 50), "search_p95_ms": _p(app_ms, 95),
            "search_raw_p50_ms": _p(raw_ms, 50), "search_raw_p95_ms": _p(raw_ms, 95),
            "search_ratio_vs_raw": _p(app_ms, 95) / _p(raw_ms, 95),
            "search_words": words, "search_slowest": [slowest[1], round(slowest[0], 1)]}


def _overview_app(store, days: int | None, companies=None) -> None:
    from clamor import explorer

    flt = explorer.Filter(days=days)
    grain = "hour" if days else "day"
    explorer.trend(store, flt, grain=grain)
    explorer.language_mix(store, flt)
    explorer.share_of_voice(store, flt, grain="day", companies=companies)


def _overview_fallback(store, days: int | None) -> None:
    from clamor import queries

    span = days or DAYS + 1
    queries.daily_volume(store, span)
    queries.daily_sentiment(store, span)
    queries.hourly_complaints(store, span)


def _overview_raw(store, days: int | None, end: dt.datetime) -> None:
    since = end - dt.timedelta(days=days or DAYS + 1)
    store.query_rows(
        "SELECT date_trunc('hour', m.created_at) AS hour, a.sentiment_label, count(*) "
        "FROM mentions m JOIN analysis a ON a.mention_id = m.id "
        "WHERE m.created_at >= ? GROUP BY ALL", [since])


def measure_overview(store, end: dt.datetime, explorer_there: bool, config=None) -> dict:
    """The overview's aggregations; with `config`, share of voice per company as the
    Explore page draws it (else per term)."""
    spans = [7 if i % 2 == 0 else None for i in range(REPS)]
    if explorer_there:
        from clamor import explorer

        companies = explorer.companies(config) if config is not None else None
        app = _timed([lambda d=d: _overview_app(store, d, companies) for d in spans])
    else:
        app = _timed([lambda d=d: _overview_fallback(store, d) for d in spans])
    raw = _timed([lambda d=d: _overview_raw(store, d, end) for d in spans])
    return {"overview_p50_ms": _p(app, 50), "overview_p95_ms": _p(app, 95),
            "overview_raw_p50_ms": _p(raw, 50), "overview_raw_p95_ms": _p(raw, 95),
            "overview_ratio_vs_raw": _p(app, 95) / _p(raw, 95),
            "overview_measured": "explorer trend + language_mix + share_of_voice"
            + (" per company" if config is not None else " per term")
            if explorer_there else "queries.daily_volume + daily_sentiment + "
            "hourly_complaints (clamor.explorer missing)"}


# -- from insert to the inbox ----------------------------------------------------------------

def insert_to_visible(store, config, tries: int = 5) -> dict:
    """A new complaint: stored, analysed and filed (what the scheduler does every
    analysis.every_seconds; its wait is not counted), then polled for in the inbox."""
    from clamor import queries
    from clamor.pipeline import analyse_pending, listening_terms
    from collectors.base import Mention
    from collectors.matching import match_terms

    totals, analyse_ms, ranks = [], [], []
    for k in range(tries):
        text = (f"@AerolumeHelp day {k + 3} and still no refund for booking "
                f"{_code(987_654 + k)}, my bag never arrived either. who do I talk to??")
        match = match_terms(text, listening_terms(config))
        mention = Mention(source="x", native_id=f"visible{k}-{time.time_ns()}", text=text,
                          created_at=dt.datetime.now(dt.timezone.utc),
                          author=f"@visible_customer_{k}", author_followers=250_000,
                          lang="en", matched_terms=match.terms, matched_kinds=match.kinds)
        start = time.perf_counter()
        store.insert_mentions([mention], collector="bench", version="bench", query="Aerolume")
        before = time.perf_counter()
        analyse_pending(store, config)
        analyse_ms.append((time.perf_counter() - before) * 1000)
        rank = None
        # The whole ranked inbox, not only the first page: thousands of older complaints
        # may rightly come before a new one (at 10 M, ~12,000 that have waited longer).
        everything = queries.InboxFilter(limit=max(queries.inbox_count(store), 50))
        while time.perf_counter() - start < 20:
            shown = queries.inbox(store, everything, config=config)
            ids = shown["id"].tolist()
            if mention.id in ids:
                rank = ids.index(mention.id) + 1
                break
        totals.append((time.perf_counter() - start) * 1000 if rank else float("nan"))
        ranks.append(rank)
    return {"insert_to_visible_ms": statistics.median(totals),
            "insert_to_visible_analyse_ms": statistics.median(analyse_ms),
            "insert_to_visible_ranks": ranks,
            "insert_to_visible_note": "insert + analyse_pending + inbox poll (rank in the "
            "whole ranked inbox: every waiting case); the scheduler's wait "
            "(analysis.every_seconds) is not counted"}


def alert_detection(store, config, end: dt.datetime, tries: int = 3) -> dict:
    """The scheduler's alert detection (alerting.detect over its look-back, with the
    explanations: every series' counts, the complaint backlog, the posts behind each
    alert), as each run every alerts.every_minutes does it; the median of `tries`."""
    from clamor import alerting

    times, found = [], 0
    for _ in range(tries):
        start = time.perf_counter()
        found = len(alerting.detect(store, config, end - alerting.LOOKBACK, end))
        times.append((time.perf_counter() - start) * 1000)
    return {"alert_detection_ms": statistics.median(times), "alert_detection_found": found}


# -- the dashboard's memory -------------------------------------------------------------------

def _vm_hwm_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# An analyst's hour in the explorer: each of these filters, and each view of it, once (a
# word, a phrase, a prefix, a Persian word, a language, a tone, a source, a kind, a case
# state, an author, periods and mixes of them), in the dashboard's process after its pages.
def _analyst_filters(author: str | None) -> dict[str, Any]:
    from clamor.explorer import Filter

    return {
        "all": Filter(), "7 days": Filter(days=7), "30 days": Filter(days=30),
        "fa": Filter(languages=("fa",)), "negative": Filter(sentiments=("negative",)),
        "complaints 90 days": Filter(complaint=True, days=90),
        "refund": Filter(text="refund"), '"delayed flight"': Filter(text='"delayed flight"'),
        "bag*": Filter(text="bag*"), "خدمات": Filter(text="خدمات"),
        "refund negative": Filter(text="refund", sentiments=("negative",)),
        "refund 7 days": Filter(text="refund", days=7),
        "reddit": Filter(sources=("reddit",)), "competitor": Filter(kinds=("competitor",)),
        "resolved 30 days": Filter(case_states=("resolved",), days=30),
        "no case 30 days": Filter(case_states=("none",), days=30),
        **({"author": Filter(author=author)} if author else {}),
    }


def analyst_session(store, config) -> dict:
    """Each of _analyst_filters' filters through every explorer view (the list, the count,
    trends by day in UTC and by hour in Tehran, languages, share of voice, terms, top
    authors, top words), each timed once: p50, p95, the slowest and the five slowest."""
    from clamor import explorer

    companies = explorer.companies(config)
    kinds = explorer.term_kinds(config)
    row = store.query_rows("SELECT author FROM mentions WHERE author IS NOT NULL "
                           "ORDER BY seq DESC LIMIT 1")
    views: dict[str, Callable] = {
        "list": lambda f: explorer.mentions(store, f),
        "count": lambda f: explorer.count(store, f),
        "trend by day": lambda f: explorer.trend(store, f, "day"),
        "trend by hour, Tehran": lambda f: explorer.trend(store, f, "hour", "Asia/Tehran"),
        "languages": lambda f: explorer.language_mix(store, f),
        "share of voice": lambda f: explorer.share_of_voice(store, f, "week", companies),
        "terms": lambda f: explorer.term_counts(store, f, kinds),
        "top authors": lambda f: explorer.top_authors(store, f),
        "top words": lambda f: explorer.top_words(store, f),
    }
    times: dict[str, float] = {}
    for name, flt in _analyst_filters(row[0][0] if row else None).items():
        for view, call in views.items():
            start = time.perf_counter()
            call(flt)
            times[f"{view} · {name}"] = (time.perf_counter() - start) * 1000
    values = list(times.values())
    return {"explorer_session_calls": len(values),
            "explorer_session_p50_ms": _p(values, 50), "explorer_session_p95_ms": _p(values, 95),
            "explorer_session_max_ms": max(values),
            "explorer_session_slowest": {k: round(v) for k, v in sorted(
                times.items(), key=lambda kv: -kv[1])[:5]}}


# A post in each language, analysed in the dashboard's process before its pages are drawn.
_POSTS_IN_EACH_LANGUAGE = (
    "@AerolumeHelp where is my refund?? 3 hours on hold",
    "پرواز ایرولوم دو ساعت تاخیر داشت و کسی جواب نداد",
    "رحلة إيرولوم تأخرت ساعتين ولم يرد أحد",
    "เที่ยวบินของแอโรลูมล่าช้าสองชั่วโมง ไม่มีใครตอบเลย",
    "η πτήση της Aerolume καθυστέρησε δύο ώρες και κανείς δεν απαντά",
)


def _analyse_as_the_scheduler_does() -> None:
    """In the dashboard's process: the analysis of a post in each language, as the
    scheduler's analysis pass runs in that process (clamor run) and so holds lingua's models,
    the sentiment models and the Thai word list there. The bench's child runs without the
    scheduler, which would collect; without this, its memory left them out (~50-110 MB)."""
    from clamor.config import load_config
    from clamor.pipeline import analyse

    config = load_config(os.environ["CLAMOR_CONFIG"])
    analyse(_posts(_POSTS_IN_EACH_LANGUAGE), config.watchlist.languages,
            dt.datetime.now(dt.timezone.utc))


def dashboard_child() -> None:
    """In a fresh process (env CLAMOR_DB, CLAMOR_CONFIG): analyse a post in each language as
    the scheduler would, draw the inbox, explorer and overview pages with a signed-in admin
    (Streamlit AppTest), or run their queries where a page is missing or fails; print one
    JSON line with the peak RSS."""
    report: dict[str, Any] = {"pages": {}, "queries": []}
    _analyse_as_the_scheduler_does()
    pages = ["pages/inbox.py", "pages/explore.py", "pages/overview.py"]
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError:
        AppTest = None
    fell_back = False
    for page in pages:
        path = ROOT / page
        if AppTest is None or not path.exists():
            report["pages"][page] = "missing"
            fell_back = True
            continue
        start = time.perf_counter()
        at = AppTest.from_file(str(path), default_timeout=600)
        at.session_state["user"] = {"name": "Admin", "role": "admin",
                                    "since": dt.datetime.now(dt.timezone.utc).isoformat()}
        try:
            at.run()
            problem = [str(e.value) for e in at.exception] if at.exception else None
        except Exception as exc:  # noqa: BLE001 — a page that breaks is reported, not fatal
            problem = [f"{type(exc).__name__}: {exc}"]
        ms = (time.perf_counter() - start) * 1000
        report["pages"][page] = {"ms": round(ms), "problem": problem}
        fell_back |= bool(problem)
    if fell_back:
        from clamor import queries, runtime

        rt = runtime.load(start_scheduler=False)
        queries.inbox(rt.store, queries.InboxFilter(), config=rt.config)
        report["queries"].append("inbox")
        try:
            from clamor import explorer

            flt = explorer.Filter()
            explorer.mentions(rt.store, flt)
            explorer.count(rt.store, flt)
            explorer.mentions(rt.store, explorer.Filter(text="refund"))
            explorer.count(rt.store, explorer.Filter(text="refund"))
            _overview_app(rt.store, 7)
            _overview_app(rt.store, None)
            explorer.top_authors(rt.store, explorer.Filter(days=7))
            explorer.top_words(rt.store, explorer.Filter(days=7))
            report["queries"].append("explorer")
        except ImportError:
            _overview_fallback(rt.store, 7)
            report["queries"].append("overview")
    report["peak_rss_pages_mb"] = _vm_hwm_mb()
    from clamor import runtime

    rt = runtime.load(start_scheduler=False)  # the pages' store (DuckDB shares one per file)
    report["session"] = analyst_session(rt.store, rt.config)
    report["peak_rss_mb"] = _vm_hwm_mb()
    # The inbox as the dashboard draws it, after the analyst's hour: under the process's
    # DuckDB memory limit (store.DASHBOARD_MEMORY_LIMIT), whose cache then holds what the
    # explorer read, where measure_inbox's store has no limit. (After the peak is taken:
    # its draws are not part of the hour.)
    _, app = inbox_draws(rt.store, rt.config)
    report["inbox_dashboard"] = {"inbox_dashboard_p50_ms": _p(app, 50),
                                 "inbox_dashboard_p95_ms": _p(app, 95)}
    print(json.dumps(report))


def dashboard_rss(db: Path, config_file: Path) -> dict:
    env = {**os.environ, "CLAMOR_DB": str(db), "CLAMOR_CONFIG": str(config_file),
           "CLAMOR_SCHEDULER": "0", "CLAMOR_DEMO": ""}
    done = subprocess.run(
        [sys.executable, "-c", "from clamor import benchmark; benchmark.dashboard_child()"],
        env=env, capture_output=True, text=True, cwd=str(ROOT), timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"peak_rss_mb": float("nan"),
                "dashboard_error": (done.stderr or done.stdout)[-2000:]}
    report = json.loads(lines[-1])
    drawn = [p for p, r in report["pages"].items() if isinstance(r, dict) and not r["problem"]]
    how = ("a post in each language analysed, as the scheduler does in the process; "
           + ("AppTest pages: " + ", ".join(drawn) if drawn else "no page drawn"))
    if report["queries"]:
        how += "; queries alone: " + ", ".join(report["queries"])
    how += "; then an analyst's session in the explorer (analyst_session)"
    return {"peak_rss_mb": report["peak_rss_mb"], "peak_rss_pages_mb": report["peak_rss_pages_mb"],
            "dashboard_measured": how, "dashboard_pages": report["pages"], **report["session"],
            **report["inbox_dashboard"]}


# -- the whole run ----------------------------------------------------------------------------

def _explorer_there() -> bool:
    import importlib.util

    return importlib.util.find_spec("clamor.explorer") is not None


def _commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(ROOT),
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def run(mentions: int = 1_000_000, workdir: str | None = None,
        progress: Callable[[str], Any] = print) -> dict:
    """Build a store of `mentions` mentions in `workdir` (kept) or a temp dir (removed) and
    measure everything; returns the figures (see the module docstring)."""
    import duckdb

    from clamor.config import DEMO_CONFIG, load_config
    from clamor.store import Store

    config_file = Path(os.environ["CLAMOR_CONFIG"]) if os.environ.get("CLAMOR_CONFIG") \
        else DEMO_CONFIG
    config = load_config(config_file)
    keep = workdir is not None
    root = Path(workdir) if keep else Path(tempfile.mkdtemp(prefix="clamor-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    workers = os.cpu_count() or 1
    result: dict[str, Any] = {
        "mentions": mentions, "cpu_count": workers, "duckdb": duckdb.__version__,
        "commit": _commit(), "date": dt.datetime.now(dt.timezone.utc).isoformat(
            timespec="seconds"), "workdir": str(root) if keep else None}
    try:
        end = dt.datetime.now(dt.timezone.utc)
        pool = phrase_pool(config)
        n_ingest = min(20_000, max(mentions, 1_000))
        progress(f"ingest: {n_ingest:,} English mentions, VADER alone vs the analysis pass "
                 f"on {workers} processes…")
        sample = english_mentions(n_ingest, pool, end)
        result.update(ingest_vs_vader(sample, root, config, workers))
        progress(f"  analysis pass {result['ingest_per_s']:,.0f}/s, VADER alone "
                 f"{result['vader_alone_per_s']:,.0f}/s (medians of "
                 f"{result['ingest_repeats']})")

        db = root / f"bench-{mentions}.duckdb"
        for old in root.glob(db.name + "*"):
            old.unlink()
        built = build_store(db, mentions, config, progress=progress, workers=workers,
                            end=end)
        end = built.pop("end")
        result.update({f"build_{k}" if not k.startswith("build") else k: v
                       for k, v in built.items()})
        result["store_mb"] = _size(db) / 2**20

        store = Store(db)
        try:
            there = _explorer_there()
            progress("timing the inbox…")
            result.update(measure_inbox(store, config))
            if there:
                progress("timing the explorer search…")
                result.update(measure_search(store, search_words(store)))
            else:
                result.update({"search_p95_ms": None, "search_ratio_vs_raw": None,
                               "search_measured": "clamor.explorer missing"})
            progress("timing the overview…")
            result.update(measure_overview(store, end, there, config))
            progress("timing the alert detection…")
            result.update(alert_detection(store, config, end))
            progress("timing a new complaint's way into the inbox…")
            result.update(insert_to_visible(store, config))
        finally:
            store.close()
        progress("measuring the dashboard process's memory…")
        result.update(dashboard_rss(db, config_file))
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    result["goals_10m"] = {key: _met(result.get(key), op, goal)
                           for key, (op, goal, _) in GOALS_10M.items()}
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()}


def _met(value, op: str, goal: float) -> bool | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value <= goal if op == "<=" else value >= goal


def _table(r: dict) -> str:
    def f(key: str, fmt: str = "{:,.0f}") -> str:
        value = r.get(key)
        return "—" if value is None or value != value else fmt.format(value)

    lines = [
        f"Clamor bench: {r['mentions']:,} mentions, {r['cpu_count']} cores, DuckDB "
        f"{r['duckdb']}, commit {r.get('commit') or '?'}, {r['date']}",
        f"store built in {f('build_s', '{:,.0f}')} s, {f('store_mb')} MB on disk, "
        f"{f('build_cases')} cases ({f('build_waiting')} waiting)",
        "",
        f"{'measure':<34}{'value':>14}{'bare / base':>14}{'ratio':>9}   goal at 10 M",
    ]

    def row(name, key, base_key, ratio_key, unit, fmt="{:,.1f}"):
        goal = "; ".join(text for k, (_, _, text) in GOALS_10M.items()
                         if k in (key, ratio_key))
        met = [r["goals_10m"].get(k) for k in (key, ratio_key) if k in GOALS_10M]
        mark = "" if not met else (" — met" if all(met) else
                                   " — NOT met" if all(m is not None for m in met)
                                   else " — not measured")
        lines.append(f"{name:<34}{f(key, fmt) + unit:>14}"
                     f"{(f(base_key, fmt) + unit) if base_key else '':>14}"
                     f"{f(ratio_key, '{:.2f}×') if ratio_key else '':>9}   {goal}{mark}")

    row("ingest + analysis (English)", "ingest_per_s", "vader_alone_per_s",
        "ingest_ratio_vs_vader", "/s", "{:,.0f}")
    row("analysis pass alone (English)", "analysis_alone_per_s", "vader_alone_per_s",
        "analysis_ratio_vs_vader", "/s", "{:,.0f}")
    row("inbox p95", "inbox_p95_ms", "inbox_raw_p95_ms", "inbox_ratio_vs_raw", " ms")
    row("inbox p50", "inbox_p50_ms", "inbox_raw_p50_ms", None, " ms")
    row("inbox p95, each view's first draw", "inbox_first_draw_p95_ms", None, None, " ms")
    row("inbox p95, dashboard's memory limit", "inbox_dashboard_p95_ms", None, None, " ms")
    row("inbox p50, dashboard's memory limit", "inbox_dashboard_p50_ms", None, None, " ms")
    row("explorer search p95", "search_p95_ms", "search_raw_p95_ms", "search_ratio_vs_raw",
        " ms")
    row("explorer search p50", "search_p50_ms", "search_raw_p50_ms", None, " ms")
    row("overview p95", "overview_p95_ms", "overview_raw_p95_ms", "overview_ratio_vs_raw",
        " ms")
    row("explorer session p95", "explorer_session_p95_ms", None, None, " ms")
    row("explorer session slowest", "explorer_session_max_ms", None, None, " ms", "{:,.0f}")
    row("dashboard peak RSS", "peak_rss_mb", None, None, " MB", "{:,.0f}")
    row("dashboard peak RSS, pages only", "peak_rss_pages_mb", None, None, " MB", "{:,.0f}")
    row("insert → visible in inbox", "insert_to_visible_ms", None, None, " ms", "{:,.0f}")
    row("alert detection (each run)", "alert_detection_ms", None, None, " ms", "{:,.0f}")
    lines += ["",
              "analysis pass alone: language, sentiment, complaint verdict and search "
              "words on the same warm workers, without the store's reads and writes",
              f"ingest: insert + analysis + its writes on warm workers; with the filing "
              f"into cases {f('ingest_filed_per_s')}/s (ratio "
              f"{f('ingest_filed_ratio_vs_vader', '{:.2f}')}); counting the workers' start "
              f"too {f('ingest_cold_per_s')}/s against VADER's {f('vader_cold_per_s')}/s "
              f"(ratio {f('ingest_ratio_vs_vader_cold', '{:.2f}')})",
              f"search: {r.get('search_measured', 'explorer.mentions + explorer.count')}; "
              f"bare: ILIKE page of 50 + count",
              f"overview: {r.get('overview_measured', '')}; bare: GROUP BY hour, sentiment "
              f"joined to analysis (7 days / all)",
              f"dashboard: {r.get('dashboard_measured', r.get('dashboard_error', ''))}",
              f"explorer session: {f('explorer_session_calls', '{:,.0f}')} views of "
              f"filters, p50 {f('explorer_session_p50_ms')} ms; slowest: "
              + "; ".join(f"{k} {v:,} ms" for k, v in
                          r.get("explorer_session_slowest", {}).items()),
              f"insert → visible: {r.get('insert_to_visible_note', '')} (analysis pass "
              f"{f('insert_to_visible_analyse_ms')} ms; ranks {r.get('insert_to_visible_ranks')})"]
    return "\n".join(lines)


def results_dir() -> Path:
    bench = ROOT / "bench"
    return (bench if bench.is_dir() else Path.cwd() / "bench") / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="clamor bench", description="Build a synthetic store of N mentions and measure "
        "ingest, the inbox, search, the overview, memory and insert-to-inbox time.")
    parser.add_argument("--mentions", type=int, default=1_000_000,
                        help="how many mentions the synthetic store holds (default 1,000,000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", metavar="DIR",
                        help="build in DIR and keep the store there (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.mentions < 1000:
        parser.error("--mentions must be at least 1000")

    def progress(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    result = run(args.mentions, args.keep, progress)
    out = results_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench-{args.mentions}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
