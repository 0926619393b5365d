"""The DuckDB store: the one writer of Clamor's database file.

DuckDB lets a single process hold a database file, so the dashboard, the scheduler's jobs and
the CLI share one `Store` per process. Every thread reads through its own cursor; writes go
through one lock and are bulk (Arrow) inserts, idempotent on the mention id, with a
collector's cursor saved in the same transaction as the rows it covers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from collectors.base import Mention, is_utf8

DEFAULT_DB = Path("data") / "clamor.duckdb"
DEMO_DB = Path("data") / "demo.duckdb"


class StoreBusy(Exception):
    """Another process holds the database file."""


def db_path(explicit: str | os.PathLike | None = None, *, demo: bool = False) -> Path:
    """Which file to open: `--db`, then `CLAMOR_DB`, then data/clamor.duckdb (demo.duckdb)."""
    if explicit:
        return Path(explicit)
    if os.environ.get("CLAMOR_DB"):
        return Path(os.environ["CLAMOR_DB"])
    return DEMO_DB if demo else DEFAULT_DB


def _raw_json(raw: Any, *, lossless: bool = False) -> str:
    """A raw item as JSON text. Where it holds what UTF-8 cannot (a lone surrogate) the
    surrogate becomes \\u escapes (`lossless`, for text columns) or U+FFFD (for JSON columns,
    which DuckDB checks: an unpaired surrogate is no character at all)."""
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        if lossless:
            return json.dumps(raw, ensure_ascii=True, default=str)
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    except (RecursionError, ValueError) as exc:
        return json.dumps({"unstorable": f"{type(exc).__name__}: {exc}"[:500]})


def _raw_text(raw: str) -> str:
    """A raw line as text the store can hold: as it is, or — when it holds what UTF-8 cannot
    (a lone surrogate) — as a JSON string literal, whose \\u escapes lose nothing."""
    return raw if is_utf8(raw) else json.dumps(raw, ensure_ascii=True)


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal's content (ATTACH takes no parameters)."""
    return str(path.resolve()).replace("'", "''")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_MENTION_SCHEMA = pa.schema([
    ("id", pa.string()), ("source", pa.string()), ("native_id", pa.string()),
    ("url", pa.string()), ("author", pa.string()), ("author_followers", pa.int64()),
    ("text", pa.string()), ("created_at", pa.timestamp("us", tz="UTC")),
    ("collected_at", pa.timestamp("us", tz="UTC")), ("source_lang", pa.string()),
    ("in_reply_to", pa.string()), ("conversation_id", pa.string()),
    ("matched_terms", pa.list_(pa.string())), ("matched_kinds", pa.list_(pa.string())),
    ("is_own", pa.bool_()), ("collector", pa.string()), ("collector_version", pa.string()),
    ("query", pa.string()), ("raw", pa.string()),
])


def _mention_table(
    mentions: Sequence[Mention], own: Sequence[bool], collector: str, version: str, query: str,
    collected_at: dt.datetime,
) -> pa.Table:
    def parent(native: str | None, source: str) -> str | None:
        return f"{source}:{native}" if native else None

    rows = {
        "id": [m.id for m in mentions],
        "source": [m.source for m in mentions],
        "native_id": [m.native_id for m in mentions],
        "url": [m.url for m in mentions],
        "author": [m.author for m in mentions],
        "author_followers": [m.author_followers for m in mentions],
        "text": [m.text for m in mentions],
        "created_at": [m.created_at.astimezone(dt.timezone.utc) for m in mentions],
        "collected_at": [collected_at] * len(mentions),
        "source_lang": [m.lang for m in mentions],
        "in_reply_to": [parent(m.in_reply_to, m.source) for m in mentions],
        "conversation_id": [parent(m.conversation_id, m.source) for m in mentions],
        "matched_terms": [list(m.matched_terms) for m in mentions],
        "matched_kinds": [list(m.matched_kinds) for m in mentions],
        "is_own": list(own),
        "collector": [collector] * len(mentions),
        "collector_version": [version] * len(mentions),
        "query": [query] * len(mentions),
        "raw": [_raw_json(m.raw) for m in mentions],
    }
    return pa.table(rows, schema=_MENTION_SCHEMA)


class Store:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._root = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"{self.path} is open in another Clamor process (DuckDB lets one process "
                    "hold a database file). Stop that process (the dashboard, `clamor run`) "
                    "or use another --db."
                ) from None
            raise
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self.filed_at = float("-inf")  # when the analysis pass last looked for unfiled mentions
        self.migrate()

    # -- connections ---------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared database."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._root.cursor()
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction; only one runs at a time in this process."""
        with self._write_lock:
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        self._root.close()

    def backup(self, target: str | os.PathLike) -> Path:
        """A consistent copy of the whole database in a new file, taken by this process while
        it keeps running (writers wait for it; readers do not)."""
        target = Path(target)
        if target.exists():
            raise FileExistsError(f"{target} exists already; choose a new file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            con = self.con
            (name,) = con.execute("SELECT current_database()").fetchone()
            con.execute(f"ATTACH '{_sql_path(target)}' AS clamor_backup")
            try:
                con.execute(f'COPY FROM DATABASE "{name}" TO clamor_backup')
            finally:
                con.execute("DETACH clamor_backup")
        return target

    def query_df(self, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def query_rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    # -- schema --------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the numbered SQL files in clamor/migrations that this file has not seen."""
        with self._write_lock:
            con = self.con
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
            )
            done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
            files = sorted(
                (f for f in resources.files("clamor.migrations").iterdir()
                 if f.name.endswith(".sql")),
                key=lambda f: f.name,
            )
            new: list[int] = []
            for f in files:
                version = int(f.name.split("_", 1)[0])
                if version in done:
                    continue
                with self.transaction() as tx:
                    tx.execute(f.read_text(encoding="utf-8"))
                    tx.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, f.name, utcnow()],
                    )
                new.append(version)
            if 6 in new:  # the explorer's hourly counts start from what is there
                self.rebuild_hourly()
            if 7 in new:  # what each case waits on, from its messages
                from clamor import cases  # cases builds on the store: import it late

                with self.transaction() as tx:
                    cases.refresh_waiting(tx, None)
            if new:
                # Write the new schema into the database file now. DuckDB 1.5 cannot replay
                # an ALTER TABLE on a table with a DEFAULT nextval(...) column from its
                # write-ahead log: if the process were killed before its next checkpoint,
                # the file would no longer open.
                con.execute("CHECKPOINT")
            return len(files)

    # -- collection ----------------------------------------------------------------------

    def get_cursor(self, source: str, query: str = "") -> str | None:
        row = self.con.execute(
            "SELECT cursor FROM cursors WHERE source = ? AND query = ?", [source, query]
        ).fetchone()
        return row[0] if row else None

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these mention ids are stored already."""
        if not ids:
            return set()
        rows = self.con.execute(
            "SELECT id FROM mentions WHERE list_contains(?, id)", [list(set(ids))]
        ).fetchall()
        return {row[0] for row in rows}

    def insert_mentions(
        self,
        mentions: Sequence[Mention],
        *,
        own: Sequence[bool] | None = None,
        collector: str,
        version: str,
        query: str = "",
        cursor: str | None = None,
        save_cursor: bool = False,
        cursor_query: str = "",
        collected_at: dt.datetime | None = None,
    ) -> int:
        """Store new mentions (ones already stored are left as they are) and, in the same
        transaction, the cursor they were fetched up to. Returns how many were new.

        `query` is provenance, stamped on every row; `cursor_query` names the cursor, for
        sources that keep one cursor per query (the default: one per source)."""
        unique = list({m.id: m for m in mentions}.values())
        own = list(own) if own is not None else [False] * len(mentions)
        own_by_id = dict(zip((m.id for m in mentions), own, strict=True))
        table = _mention_table(
            unique, [own_by_id[m.id] for m in unique], collector, version, query,
            collected_at or utcnow(),
        )
        with self.transaction() as con:
            inserted = 0
            if unique:
                con.register("incoming", table)
                try:
                    inserted = con.execute(  # seq: the mention's number in the search index
                        "INSERT INTO mentions SELECT *, nextval('mention_seq') FROM incoming "
                        "ON CONFLICT DO NOTHING"
                    ).fetchone()[0]
                finally:
                    con.unregister("incoming")
            if save_cursor:
                con.execute(
                    "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?)",
                    [collector, cursor_query, cursor, utcnow()],
                )
        return int(inserted)

    def save_unreadable(self, source: str, items: Sequence[tuple[str, Any]]) -> None:
        """Keep raw items that could not be read, with the reason, so nothing is lost."""
        if not items:
            return
        now = utcnow()
        table = pa.table({
            "source": [source] * len(items),
            "received_at": pa.array([now] * len(items), pa.timestamp("us", tz="UTC")),
            "reason": [_raw_text(reason) for reason, _ in items],
            "raw": [_raw_text(raw) if isinstance(raw, str) else _raw_json(raw, lossless=True)
                    for _, raw in items],
        })
        with self.transaction() as con:
            con.register("incoming", table)
            try:
                con.execute("INSERT INTO unreadable_items SELECT * FROM incoming")
            finally:
                con.unregister("incoming")

    def record_run(
        self, source: str, *, started_at: dt.datetime, status: str, fetched: int = 0,
        inserted: int = 0, duplicates: int = 0, unreadable: int = 0, unmatched: int = 0,
        message: str | None = None, rate_remaining: int | None = None,
        rate_reset_at: dt.datetime | None = None,
    ) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO collector_runs (source, started_at, finished_at, status, fetched, "
                "inserted, duplicates, unreadable, unmatched, message, rate_remaining, "
                "rate_reset_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, started_at, utcnow(), status, fetched, inserted, duplicates,
                 unreadable, unmatched, message, rate_remaining, rate_reset_at],
            )

    def rate_limited_until(self, source: str) -> dt.datetime | None:
        """When the source's rate limit resets, if its latest run was refused for it."""
        row = self.con.execute(
            "SELECT status, rate_reset_at FROM collector_runs WHERE source = ? "
            "AND status <> 'waiting' ORDER BY id DESC LIMIT 1", [source],
        ).fetchone()
        return row[1] if row and row[0] == "rate_limited" else None

    def fetched_since(self, source: str, since: dt.datetime) -> int:
        """Items the source read since `since`: what an X-style monthly budget counts."""
        return int(self.con.execute(
            "SELECT coalesce(sum(fetched), 0) FROM collector_runs "
            "WHERE source = ? AND started_at >= ?", [source, since],
        ).fetchone()[0])

    def paused(self, source: str) -> tuple[str, dt.datetime] | None:
        row = self.con.execute(
            "SELECT paused_by, paused_at FROM source_pauses WHERE source = ?", [source]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def set_paused(self, source: str, paused: bool, actor: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM source_pauses WHERE source = ?", [source])
            if paused:
                con.execute("INSERT INTO source_pauses VALUES (?, ?, ?)",
                            [source, actor, utcnow()])

    # -- analysis ------------------------------------------------------------------------

    def pending_analysis(self, limit: int) -> pd.DataFrame:
        """Mentions not analysed yet, in the order they were stored.

        The analysis pass takes mentions in number order and saves each batch whole, so
        every mention numbered up to the highest analysed one is analysed: what is new is
        the range above it, which DuckDB reads without looking at the older row groups."""
        return self.query_df(
            "SELECT m.id, m.seq, m.text, m.source_lang, m.is_own FROM mentions m "
            "WHERE m.seq > (SELECT coalesce(max(seq), 0) FROM analysis) "
            "ORDER BY m.seq LIMIT ?",
            [limit],
        )

    def save_analysis(self, results: pd.DataFrame) -> int:
        """Write analysis rows (the analysis table's columns) for mentions analysed for the
        first time, with what the explorer keeps beside them: the hourly counts and, when
        `results` has the columns `seq` and `words` (the analysis pass adds them), the
        mentions' words for search. One transaction."""
        if results.empty:
            return 0
        if "seq" not in results.columns:  # callers other than the analysis pass
            numbers = dict(self.query_rows(
                "SELECT id, seq FROM mentions WHERE list_contains(?, id)",
                [results["mention_id"].tolist()]))
            results = results.assign(seq=[numbers.get(i) for i in results["mention_id"]])
        rows = results.drop(columns=["words"], errors="ignore")
        with self.transaction() as con:
            con.register("incoming", rows)
            try:
                con.execute(
                    "INSERT OR REPLACE INTO analysis BY NAME SELECT * FROM incoming"
                )
                self._add_hourly(con, "JOIN incoming a ON a.seq = m.seq")
                # analysed: now to be filed into cases (clamor/cases.py takes them off)
                con.execute("INSERT OR IGNORE INTO filing_queue "
                            "SELECT seq, mention_id FROM incoming WHERE seq IS NOT NULL")
            finally:
                con.unregister("incoming")
            if "words" in results.columns:
                self._add_words(con, results)
                self._flush_search_words(con)
        return len(results)

    # -- the explorer's search index and hourly counts -----------------------------------

    # A mention's hourly facts, from `mentions m` joined to its analysis `a`.
    _HOURLY = """
        SELECT date_trunc('hour', m.created_at) AS hour, m.source,
               coalesce(a.lang, 'und') AS lang, a.sentiment_label, a.complaint, m.is_own,
               m.matched_terms
        FROM mentions m {joined}
    """

    def _add_hourly(self, con: duckdb.DuckDBPyConnection, joined: str) -> None:
        facts = self._HOURLY.format(joined=joined)
        con.execute(f"""
            INSERT INTO hourly_mentions
            SELECT hour, source, lang, sentiment_label, complaint, is_own, count(*)
            FROM ({facts}) GROUP BY ALL
            ON CONFLICT DO UPDATE SET mentions = mentions + EXCLUDED.mentions
        """)
        con.execute(f"""
            INSERT INTO hourly_terms
            SELECT hour, term, source, lang, sentiment_label, complaint, is_own, count(*)
            FROM (SELECT * EXCLUDE (matched_terms), unnest(list_distinct(matched_terms))
                             AS term
                  FROM ({facts}))
            GROUP BY ALL
            ON CONFLICT DO UPDATE SET mentions = mentions + EXCLUDED.mentions
        """)

    def rebuild_hourly(self) -> None:
        """Count every analysed mention again (after a re-analysis, or a restore)."""
        with self.transaction() as con:
            con.execute("DELETE FROM hourly_mentions")
            con.execute("DELETE FROM hourly_terms")
            self._add_hourly(con, "JOIN analysis a ON a.seq = m.seq")

    @staticmethod
    def _add_words(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
        """Index mentions' words (columns seq, words) in search_recent."""
        # One (word, seq) row per word, made here as Arrow: DuckDB reads a pandas column of
        # Python lists an object at a time, five times slower than this.
        words = frame["words"].tolist()
        flat = pa.table({
            "word": pa.array([w for found in words for w in found], pa.string()),
            "seq": pa.array(np.repeat(frame["seq"].to_numpy(dtype=np.int64),
                                      [len(found) for found in words]), pa.int64())})
        con.register("incoming_words", flat)
        try:
            con.execute("INSERT INTO search_recent SELECT word, seq FROM incoming_words")
        finally:
            con.unregister("incoming_words")

    FLUSH_WORDS = 2_000_000  # recent words moved, sorted, into search_words at this many

    def _flush_search_words(self, con: duckdb.DuckDBPyConnection, force: bool = False) -> None:
        (recent,) = con.execute("SELECT count(*) FROM search_recent").fetchone()
        if recent and (force or recent >= self.FLUSH_WORDS):
            # Appended in word order, the batch fills row groups that each hold a narrow
            # range of words, which lookups skip unless the word falls in it.
            con.execute("INSERT INTO search_words "
                        "SELECT word, seq FROM search_recent ORDER BY word, seq")
            con.execute("DELETE FROM search_recent")

    def compact_search_words(self) -> int:
        """Re-sort the whole search index by word (maintenance: after many flushes each
        lookup reads one row group per flushed batch). Returns the number of entries."""
        with self.transaction() as con:
            con.execute("""
                CREATE OR REPLACE TABLE search_words_sorted AS
                SELECT word, seq FROM (SELECT * FROM search_words
                                       UNION ALL SELECT * FROM search_recent)
                ORDER BY word, seq
            """)
            con.execute("DROP TABLE search_words")
            con.execute("ALTER TABLE search_words_sorted RENAME TO search_words")
            con.execute("DELETE FROM search_recent")
            (entries,) = con.execute("SELECT count(*) FROM search_words").fetchone()
        self.con.execute("CHECKPOINT")
        return int(entries)

    def unindexed_mentions(self, limit: int) -> pd.DataFrame | None:
        """Analysed mentions from before the search index existed, next to index (seq,
        text); None once the index holds them all."""
        row = self.con.execute("SELECT next_seq FROM search_backfill").fetchone()
        if row is None:
            return None
        return self.query_df(
            "SELECT m.seq, m.text FROM mentions m JOIN analysis a ON a.seq = m.seq "
            "WHERE m.seq >= ? ORDER BY m.seq LIMIT ?", [row[0], limit])

    def save_backfilled_words(self, words: pd.DataFrame, done: bool) -> None:
        """Index the words of mentions analysed before the index existed (columns seq,
        words) and note how far the backfill got."""
        with self.transaction() as con:
            if len(words):
                self._add_words(con, words)
                con.execute("UPDATE search_backfill SET next_seq = ?",
                            [int(words["seq"].max()) + 1])
            if done:
                con.execute("DELETE FROM search_backfill")
            self._flush_search_words(con, force=done)
