"""The store: Clamor's one way into its database, embedded or shared by a team.

Embedded (the default, `duckdb:PATH`): DuckDB lets a single process hold a database file, so
the dashboard, the scheduler's jobs and the CLI share one `Store` per process. Team
(`ducklake:postgres:…`, clamor/lake.py): several processes share a DuckLake store, and the
same SQL runs on it; where the lake lacks what the file has (keys, indexes, sequences) the
store keeps the rule itself, and says so where it does.

Every thread reads through its own cursor; writes go through one lock (in a team, one
PostgreSQL advisory lock across processes) and are bulk (Arrow) inserts, idempotent on the
mention id, with a collector's cursor saved in the same transaction as the rows it covers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import threading
from contextlib import contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from clamor import lake
from clamor.lake import LakeError, LeaseLost, Location  # noqa: F401 (callers catch these here)
from collectors.base import Mention, is_utf8

DEFAULT_DB = Path("data") / "clamor.duckdb"
DEMO_DB = Path("data") / "demo.duckdb"
# What the dashboard's process lets DuckDB hold: its cache of the store's blocks and its
# queries' working memory (beyond it, DuckDB evicts cached blocks and spills to a temp
# folder beside the store). DuckDB's own default is 80 % of the machine's memory, and at 10 M
# mentions an analyst trying the explorer's filters took the process to 3.7 GB; at this
# limit 0.9-1.0 GB, the same answers at p50 as fast and p95 1.2x slower (README, Performance).
DASHBOARD_MEMORY_LIMIT = "512MB"
# Within a memory limit, memory a query frees in one piece larger than this goes back to the
# system at once (see Store._database_settings).
FLUSH_FREED_ABOVE = "16MiB"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)
_UNIT = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
LEAST_MEMORY_MB = 128  # below it DuckDB cannot open the store and run its migrations


def memory_limit(text: str) -> str:
    """A size for DuckDB's memory limit ("512MB", "2GB", "1.5GiB"), checked; ValueError with
    a sentence for the user otherwise."""
    found = _SIZE.fullmatch(text or "")
    if not found:
        raise ValueError(f"memory limit {text!r} is not a size: write it like 512MB or 2GB")
    if float(found[1]) * _UNIT[found[2].lower()] < LEAST_MEMORY_MB * 1e6:
        raise ValueError(f"memory limit {text!r} is too small: give DuckDB at least "
                         f"{LEAST_MEMORY_MB}MB")
    return text.strip()


class StoreBusy(Exception):
    """Another process holds the database file."""


def store_location(explicit: str | os.PathLike | None = None, *, demo: bool = False) -> str:
    """Which store to open: `--db`, then `CLAMOR_DB`, then data/clamor.duckdb (demo.duckdb).
    A DuckDB file path (optionally `duckdb:PATH`) or a team store `ducklake:postgres:…`."""
    if explicit:
        return str(explicit)
    if os.environ.get("CLAMOR_DB"):
        return os.environ["CLAMOR_DB"]
    return str(DEMO_DB if demo else DEFAULT_DB)


def db_path(explicit: str | os.PathLike | None = None, *, demo: bool = False) -> Path:
    """The embedded database file a command works on (see store_location)."""
    setting = store_location(explicit, demo=demo)
    if setting.startswith("ducklake:"):
        raise LakeError("this command works on an embedded DuckDB file, not a team store")
    return lake.parse_location(setting).path


def take_numbers(con: duckdb.DuckDBPyConnection, name: str, count: int = 1) -> list[int]:
    """The next `count` numbers of a counter (case and alert references, row ids), taken
    inside the caller's write transaction: no gaps, and in a team no two processes get the
    same number, since one writer runs at a time (DuckLake has no sequences)."""
    if count <= 0:
        return []
    con.execute("UPDATE counters SET value = value + ? WHERE name = ?", [count, name])
    row = con.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
    if row is None:
        raise KeyError(f"no counter {name!r}")
    return list(range(row[0] - count + 1, row[0] + 1))


# Dates and dataclasses as the json module writes them with default=str (orjson has its own)
_AS_JSON_MODULE = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _raw_json(raw: Any, *, lossless: bool = False) -> str:
    """A raw item as JSON text. Where it holds what UTF-8 cannot (a lone surrogate) the
    surrogate becomes \\u escapes (`lossless`, for text columns) or U+FFFD (for JSON columns,
    which DuckDB checks: an unpaired surrogate is no character at all)."""
    try:  # orjson: ~10x faster on a real API item; what it will not write goes the long way
        return orjson.dumps(raw, default=str, option=_AS_JSON_MODULE).decode()
    except orjson.JSONEncodeError:  # a lone surrogate, a key not a string, a huge int
        pass
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
    count = len(mentions)
    rows = {
        "id": [m.id for m in mentions],
        "source": [m.source for m in mentions],
        "native_id": [m.native_id for m in mentions],
        "url": [m.url for m in mentions],
        "author": [m.author for m in mentions],
        "author_followers": [m.author_followers for m in mentions],
        "text": [m.text for m in mentions],
        # in UTC first: Arrow reads a zone's offset to the second (+00:00:00.000001 is lost)
        "created_at": [m.created_at.astimezone(dt.timezone.utc) for m in mentions],
        "collected_at": [collected_at] * count,
        "source_lang": [m.lang for m in mentions],
        # a reply's parent, and its thread, as mention ids
        "in_reply_to": [f"{m.source}:{m.in_reply_to}" if m.in_reply_to else None
                        for m in mentions],
        "conversation_id": [f"{m.source}:{m.conversation_id}" if m.conversation_id else None
                            for m in mentions],
        "matched_terms": [m.matched_terms for m in mentions],
        "matched_kinds": [m.matched_kinds for m in mentions],
        "is_own": list(own),
        "collector": [collector] * count,
        "collector_version": [version] * count,
        "query": [query] * count,
        "raw": [_raw_json(m.raw) for m in mentions],
    }
    return pa.table(rows, schema=_MENTION_SCHEMA)


class Store:
    def __init__(self, location: str | os.PathLike | Location, *,
                 data_path: str | os.PathLike | None = None, memory: str | None = None):
        """Open (creating if need be) the store at `location`: a DuckDB file path, or a
        team store `ducklake:postgres:CONNINFO` whose Parquet files go to `data_path` (else
        CLAMOR_DATA_PATH). `memory`: DuckDB's memory limit in this process (see
        DASHBOARD_MEMORY_LIMIT; default DuckDB's own). Raises StoreBusy or LakeError with a
        sentence for the user, ValueError for a memory limit that is no size."""
        memory = memory_limit(memory) if memory else None
        if not isinstance(location, Location):
            location = lake.parse_location(location, data_path)
        self.location = location
        self.lake = location.is_lake
        self.path = location.path  # the embedded file; None for a team store
        self._coordinator = lake.Coordinator(location.catalog) if self.lake else None
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self.filed_at = float("-inf")  # when the analysis pass last looked for unfiled mentions
        # per inbox filter, the last customer message of the newest cases it ranked
        # (queries._newest_waiting): where to look first on its next draw
        self.inbox_cuts: dict[tuple, dt.datetime] = {}
        # per inbox filter and length, the urgency every case shown reached on its last draw,
        # less a margin (queries.inbox): which cases its next draw need look at
        self.inbox_bounds: dict[tuple, float] = {}
        if self.lake:
            self.name = location.display()
            self._root = duckdb.connect()  # in memory: the lake is attached to it
            self._database_settings(memory)
            try:
                # (one process at a time: the first to open an empty catalog creates it)
                with self._coordinator.opening():
                    lake.attach(self._root, location)
                    self.migrate()
            except BaseException:
                self.close()
                raise
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.name = str(self.path.resolve())
        try:
            self._root = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    f"{self.path} is open in another Clamor process (DuckDB lets one "
                    "process hold a database file). Stop that process (the dashboard, "
                    "`clamor run`), use another --db, or run a team store (README, "
                    "\"Running a team\")."
                ) from None
            raise
        self._database_settings(memory)
        self.migrate()

    def _database_settings(self, memory: str | None) -> None:
        """The database's settings in this process: UTC, and DuckDB's memory limit."""
        # Set, not given to connect(): a setting is the database's, for every connection in
        # this process, and DuckDB refuses a second connect() to a file with other settings.
        # The store's SQL counts hours and days in UTC (date_trunc, the hourly counts) and
        # buckets in other zones by naming them: DuckDB's own default is the machine's zone,
        # and on a server set to Tehran time an hour's counts began at :30 UTC.
        self._root.execute("SET GLOBAL TimeZone = 'UTC'")
        if memory:
            self._root.execute(f"SET memory_limit = '{memory}'")  # (checked: a size)
            # The limit bounds DuckDB's buffers, not what its allocator keeps of memory a
            # query freed: after the explorer's top authors of all time (a hash table of
            # every author) a 512 MB process held ~190 MB more than DuckDB counted, and the
            # dashboard's peak at 10 M mentions was 944-1,069 MB in ten runs of the bench's
            # dashboard child. Handing each large release back at once (DuckDB's default:
            # only above 512 MB) made it 898-945 MB in five, the analyst's views ~9 % slower
            # at p50 and ~1 % at p95, the inbox as fast.
            self._root.execute(
                f"SET allocator_bulk_deallocation_flush_threshold = '{FLUSH_FREED_ABOVE}'")

    # -- connections ---------------------------------------------------------------------

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared database."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._cursor()
        return cursor

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared database (on the lake, for a team store)."""
        cursor = self._root.cursor()
        if self.lake:  # a cursor starts on the in-memory database, not the lake
            cursor.execute(f"USE {lake.LAKE}")
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction; only one runs at a time in this process, and in a team
        store only one across all processes (so it starts from every write before it)."""
        with self._write_lock, (self._coordinator.writing() if self.lake else nullcontext()):
            con = self.con
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                self._check_lease()
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- leases (team store) -------------------------------------------------------------

    @contextmanager
    def leased(self, job: str, seconds: float) -> Iterator[bool]:
        """Run a job only where no other process runs it (team store): yields False when
        another worker holds `job`'s lease, else True while this thread holds it; the lease
        is renewed in the background, and a transaction that commits after it was lost (this
        worker stalled past `seconds` and another took over) is rolled back with LeaseLost.
        In an embedded store there is one process: always True."""
        if not self.lake:
            yield True
            return
        coordinator = self._coordinator
        if not coordinator.take(job, seconds):
            yield False
            return
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(seconds / 3):
                try:
                    if not coordinator.take(job, seconds):
                        return  # taken over: the next commit fails in _check_lease
                except LakeError:
                    pass  # the catalog is unreachable now; try again at the next beat

        beat = threading.Thread(target=renew, name=f"lease {job}", daemon=True)
        beat.start()
        self._local.lease = job
        try:
            yield True
        finally:
            self._local.lease = None
            stop.set()
            beat.join()
            coordinator.release(job)

    def _check_lease(self) -> None:
        job = getattr(self._local, "lease", None)
        if job and not self._coordinator.holds(job):
            raise LeaseLost(f"the lease on {job} expired and another worker took it over; "
                            "this worker's uncommitted work is dropped (that worker redoes it)")

    def leases(self) -> list[tuple]:
        """Job leases in a team store: job, holder, taken_at, expires_at, running."""
        return self._coordinator.leases() if self.lake else []

    def close(self) -> None:
        self._root.close()
        if self._coordinator is not None:
            self._coordinator.close()

    def backup(self, target: str | os.PathLike) -> Path:
        """A consistent copy of the whole database in a new file, taken by this process while
        it keeps running (writers wait for it; readers do not).

        The write-ahead log is checkpointed into the file, and the file is copied while no
        write can start: a copy of the bytes needs no memory, where DuckDB's COPY FROM
        DATABASE rebuilt every table and index and ran out of memory at 10 M mentions under
        the dashboard's limit (and at 2 GB; 8.4 GB and 99 s without one). The copy is
        written beside the target and renamed when whole, so a failed backup leaves no file
        that looks like one."""
        if self.lake:
            raise LakeError(
                "a team store is backed up where it lives: pg_dump of the catalog database "
                "plus a copy of the data folder (README, \"Running a team\")")
        target = Path(target)
        if target.exists():
            raise FileExistsError(f"{target} exists already; choose a new file name")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = "a file stands where a folder should be" if isinstance(
                exc, (FileExistsError, NotADirectoryError)) else exc.strerror or str(exc)
            raise OSError(f"cannot make the folder {target.parent}: {why}") from None
        partial = target.with_name(target.name + ".partial")
        try:
            with self._write_lock:
                self.con.execute("FORCE CHECKPOINT")  # waits for running transactions
                shutil.copyfile(self.path, partial)
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def query_df(self, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def query_rows(self, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] | dict | None = None,
                    **tables: pa.Table) -> pa.Table:
        """A query's rows as an Arrow table; `tables` (name=Arrow table) are read by name
        in it."""
        con = self.con
        for name, table in tables.items():
            con.register(name, table)
        try:
            return con.execute(sql, params or []).fetch_arrow_table()
        finally:
            for name in tables:
                con.unregister(name)

    @contextmanager
    def stream(self, sql: str, params: Sequence[Any] | dict | None, size: int
               ) -> Iterator[pa.RecordBatchReader]:
        """A query's rows as Arrow batches of `size`, read as they are taken (DuckDB sorts
        what does not fit in its memory limit on disk), on a cursor of their own, so this
        thread's other queries may run meanwhile."""
        cursor = self._cursor()
        try:
            yield cursor.execute(sql, params or []).fetch_record_batch(size)
        finally:
            cursor.close()

    # -- schema --------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the numbered SQL files in clamor/migrations that this file has not seen."""
        if self.lake:
            return self._migrate_lake()
        with self._write_lock:
            con = self.con
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)"
            )
            done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
            files = self._migration_files()
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
            if 6 in new or 12 in new or (15 in new and self._hours_off_utc()):
                self.rebuild_hourly()  # the explorer's hourly counts, from what is there
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

    def _hours_off_utc(self) -> bool:
        """Whether hourly counts begin off a UTC hour: counted before the store set DuckDB's
        zone to UTC, on a machine set to a zone off the whole hour (Tehran, India), they
        began at :30. Counted again, they are UTC hours with their quarters."""
        return self.con.execute(
            "SELECT count(*) > 0 FROM hourly_mentions WHERE epoch(hour) % 3600 <> 0"
        ).fetchone()[0]

    @staticmethod
    def _migration_files() -> list:
        return sorted((f for f in resources.files("clamor.migrations").iterdir()
                       if f.name.endswith(".sql")), key=lambda f: f.name)

    def _migrate_lake(self) -> int:
        """A new team store gets the schema an embedded database has after every migration
        (read from one made in memory, less keys, indexes and sequences) and the counters
        it starts from; a store made by an older Clamor gets the migrations it lacks, which
        from 012 on must run on DuckLake as written (no keys, indexes or sequences)."""
        files = self._migration_files()
        with self.transaction() as con:
            made = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
                "AND table_name = 'schema_migrations'", [lake.LAKE]).fetchone()[0]
            if not made:
                model = Store(":memory:")
                try:
                    for statement in lake.schema_statements(model.con):
                        con.execute(statement)
                    for table in ("schema_migrations", "counters"):
                        con.register("model_rows", model.query_df(f"SELECT * FROM {table}"))
                        try:
                            con.execute(f"INSERT INTO {table} SELECT * FROM model_rows")
                        finally:
                            con.unregister("model_rows")
                finally:
                    model.close()
                return len(files)
            done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
            new = []
            for f in files:
                version = int(f.name.split("_", 1)[0])
                if version not in done:
                    con.execute(f.read_text(encoding="utf-8"))
                    con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                                [version, f.name, utcnow()])
                    new.append(version)
        if 12 in new or (15 in new and self._hours_off_utc()):
            self.rebuild_hourly()
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
        # (IN a list's rows: the key's index for a few ids, a hash join for many;
        # list_contains tests every stored id against the whole list: 83 s for 20,000 ids
        # at 10 M mentions, against 0.15 s)
        rows = self.con.execute(
            "SELECT id FROM mentions WHERE id IN (SELECT unnest(?))", [list(set(ids))]
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
                    inserted = self._insert_new_mentions(con)
                finally:
                    con.unregister("incoming")
            if save_cursor:
                con.execute("DELETE FROM cursors WHERE source = ? AND query = ?",
                            [collector, cursor_query])
                con.execute("INSERT INTO cursors VALUES (?, ?, ?, ?)",
                            [collector, cursor_query, cursor, utcnow()])
        return int(inserted)

    def _insert_new_mentions(self, con: duckdb.DuckDBPyConnection) -> int:
        """Insert the mentions in `incoming` that are not stored yet, each numbered (seq: its
        number in the search index and the analysis pass's order)."""
        if not self.lake:  # the primary key's index finds the stored ones
            return con.execute("INSERT INTO mentions SELECT *, nextval('mention_seq') "
                               "FROM incoming ON CONFLICT DO NOTHING").fetchone()[0]
        # No keys in a lake: leave out the stored ones by an anti-join. Numbers are taken in
        # the one write transaction running, so they grow in commit order, which the
        # analysis pass relies on (it takes what is numbered above the last one analysed).
        con.execute("CREATE OR REPLACE TEMP TABLE new_mentions AS SELECT * FROM incoming i "
                    "WHERE NOT EXISTS (SELECT 1 FROM mentions m WHERE m.id = i.id)")
        try:
            (count,) = con.execute("SELECT count(*) FROM new_mentions").fetchone()
            if count:
                first = take_numbers(con, "mention_seq", count)[0]
                con.execute("INSERT INTO mentions SELECT *, ? - 1 + row_number() OVER () "
                            "FROM new_mentions", [first])
            return int(count)
        finally:
            con.execute("DROP TABLE temp.new_mentions")

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
                "INSERT INTO collector_runs (id, source, started_at, finished_at, status, "
                "fetched, inserted, duplicates, unreadable, unmatched, message, "
                "rate_remaining, rate_reset_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [take_numbers(con, "collector_runs_id")[0], source, started_at, utcnow(),
                 status, fetched, inserted, duplicates,
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

    def pending_analysis(self, limit: int, after: int = 0) -> pd.DataFrame:
        """Mentions not analysed yet, in the order they were stored; numbered above `after`
        only, if given (those up to it are being analysed already).

        The analysis pass takes mentions in number order and saves each batch whole, so
        every mention numbered up to the highest analysed one is analysed: what is new is
        the range above it, which DuckDB reads without looking at the older row groups."""
        return self.query_df(
            "SELECT m.id, m.seq, m.text, m.source_lang, m.is_own FROM mentions m "
            "WHERE m.seq > greatest(?, (SELECT coalesce(max(seq), 0) FROM analysis)) "
            "ORDER BY m.seq LIMIT ?",
            [after, limit],
        )

    def save_analysis(self, results: pd.DataFrame | pa.Table, words: pa.Table | None = None
                      ) -> int:
        """Write analysis rows (the analysis table's columns) for mentions analysed for the
        first time, with what the explorer keeps beside them: the hourly counts and, when
        `results` has the columns `seq` and `words` (the analysis pass adds them), the
        mentions' words for search, or those given apart as `words` (words_table). One
        transaction. The analysis pass's workers send `results` as Arrow (with `seq`, without
        `words`): DuckDB reads its list column of cues some times faster than pandas'."""
        if len(results) == 0:
            return 0
        if isinstance(results, pa.Table):
            rows = results
        else:
            if "seq" not in results.columns:  # callers other than the analysis pass
                numbers = dict(self.query_rows(
                    "SELECT id, seq FROM mentions WHERE id IN (SELECT unnest(?))",
                    [results["mention_id"].tolist()]))
                results = results.assign(seq=[numbers.get(i) for i in results["mention_id"]])
            if words is None and "words" in results.columns:
                words = self.words_table(results["words"].tolist(), results["seq"])
            rows = results.drop(columns=["words"], errors="ignore")
        with self.transaction() as con:
            con.register("incoming", rows)
            try:
                if self.lake:  # no key to replace on: a re-analysed mention's row goes first
                    con.execute("DELETE FROM analysis WHERE mention_id IN "
                                "(SELECT mention_id FROM incoming)")
                    con.execute("INSERT INTO analysis BY NAME SELECT * FROM incoming")
                else:
                    # A plain INSERT: rows are first analyses (the pending mentions have none;
                    # the hourly counts and words below could not be added twice either), and
                    # the key's check costs a tenth of OR REPLACE's lookup (10,000 rows at 10 M
                    # mentions: 0.02 s against 0.2 s); a second one fails the transaction.
                    con.execute("INSERT INTO analysis BY NAME SELECT * FROM incoming")
                self._add_hourly(con, "JOIN incoming a ON a.seq = m.seq")
                # analysed: now to be filed into cases (clamor/cases.py takes them off)
                con.execute("INSERT INTO filing_queue SELECT seq, mention_id FROM incoming i "
                            "WHERE seq IS NOT NULL AND NOT EXISTS "
                            "(SELECT 1 FROM filing_queue q WHERE q.seq = i.seq)")
            finally:
                con.unregister("incoming")
            if words is not None:
                self._add_words(con, words)
                self._flush_search_words(con)
        return len(results)

    # -- re-scoring after a model change --------------------------------------------------

    # (mentions and analysis joined by number, in order: a batch reads only its row groups)
    _STALE = """
        FROM analysis a JOIN mentions m ON m.seq = a.seq
        JOIN (SELECT unnest(?) AS lang, unnest(?) AS model) c ON c.lang = a.lang
        WHERE a.sentiment_model IS DISTINCT FROM c.model
    """

    def stale_scores(self, current: dict[str, str]) -> dict[str, int]:
        """Analysed mentions per language whose sentiment came from another model than
        `current` (language → model name) names."""
        return dict(self.query_rows(
            f"SELECT a.lang, count(*) {self._STALE} GROUP BY a.lang ORDER BY a.lang",
            [list(current), list(current.values())]))

    def stale_batch(self, current: dict[str, str], after_seq: int, limit: int
                    ) -> pd.DataFrame:
        """The next stale mentions by number (id, seq, text, source_lang, is_own, and
        their stored language, lang)."""
        return self.query_df(
            f"SELECT m.id, m.seq, m.text, m.source_lang, m.is_own, a.lang {self._STALE} "
            "AND a.seq > ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
            [list(current), list(current.values()), after_seq, after_seq, limit])

    def save_rescored(self, results: pd.DataFrame) -> int:
        """Replace the sentiment and complaint columns of analysed mentions (results: the
        analysis table's columns and `seq`); their language and search words stay."""
        columns = ("sentiment", "sentiment_label", "sentiment_model", "complaint",
                   "complaint_score", "complaint_cues", "analysed_at", "analysis_version")
        with self.transaction() as con:
            con.register("rescored", results[["seq", *columns]])
            try:
                # by number: a batch's rows lie together (by id, every update of 5,000
                # hashed all 10 M analysis rows: 0.47 s)
                con.execute(
                    f"UPDATE analysis SET {', '.join(f'{c} = r.{c}' for c in columns)} "
                    "FROM rescored r WHERE analysis.seq = r.seq")
            finally:
                con.unregister("rescored")
        return len(results)

    # -- the explorer's search index and hourly counts -----------------------------------

    # A mention's hourly facts, from `mentions m` joined to its analysis `a`, and which
    # quarter of its hour it falls in (0-3, counted from 1970: no session time zone).
    _HOURLY = """
        SELECT date_trunc('hour', m.created_at) AS hour,
               (floor(epoch_us(m.created_at) / 900000000)::BIGINT % 4)::INTEGER AS quarter,
               m.source, coalesce(a.lang, 'und') AS lang, a.sentiment_label, a.complaint,
               m.is_own, m.matched_terms
        FROM mentions m {joined}
    """
    # The counts an hourly table keeps per row: all of the hour's mentions, and those in
    # its second, third and fourth quarter (migration 015: zones off the hour add quarters).
    _QUARTER_SUMS = """sum(mentions)::BIGINT AS mentions,
        coalesce(sum(mentions) FILTER (WHERE quarter = 1), 0)::BIGINT AS q1,
        coalesce(sum(mentions) FILTER (WHERE quarter = 2), 0)::BIGINT AS q2,
        coalesce(sum(mentions) FILTER (WHERE quarter = 3), 0)::BIGINT AS q3"""
    _QUARTERED = ("mentions", "q1", "q2", "q3")

    _HOURLY_TABLES = ("hourly_mentions", "hourly_terms", "hourly_termsets",
                      "hourly_termset_totals")

    def _add_hourly(self, con: duckdb.DuckDBPyConnection, joined: str, empty: bool = False
                    ) -> None:
        """Add the mentions `joined` to their analysis to the hourly counts; with `empty`
        (the tables are known to be empty), insert the counts without merging them."""
        # The mentions are counted once, by every key of every table, into a few hundred
        # rows; each table's counts are sums over those (four counts over the mentions cost
        # four times as much, and the MERGEs read the few rows, not the mentions).
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE hourly_batch AS
            SELECT hour, quarter, source, lang, sentiment_label, complaint, is_own,
                   list_sort(list_distinct(matched_terms)) AS terms, count(*) AS mentions
            FROM ({self._HOURLY.format(joined=joined)}) GROUP BY ALL""")
        # MERGE, not ON CONFLICT: the same statement runs on a team store (no keys).
        keys = ("hour", "source", "lang", "sentiment_label", "complaint", "is_own")
        add = self._insert_counts if empty else self._merge_counts
        add(con, "hourly_mentions", keys, f"""
            SELECT {", ".join(keys)}, {self._QUARTER_SUMS}
            FROM temp.hourly_batch GROUP BY ALL""", self._QUARTERED)
        add(con, "hourly_terms", keys[:1] + ("term",) + keys[1:], f"""
            SELECT hour, term, {", ".join(keys[1:])}, sum(mentions)::BIGINT AS mentions
            FROM (SELECT * EXCLUDE (terms), unnest(terms) AS term FROM temp.hourly_batch)
            GROUP BY ALL""")
        add(con, "hourly_termsets", keys[:1] + ("terms",) + keys[1:], f"""
            SELECT hour, terms, {", ".join(keys[1:])}, {self._QUARTER_SUMS}
            FROM temp.hourly_batch GROUP BY ALL""", self._QUARTERED)
        add(con, "hourly_termset_totals", ("hour", "terms", "is_own"), f"""
            SELECT hour, terms, is_own, {self._QUARTER_SUMS}
            FROM temp.hourly_batch GROUP BY ALL""", self._QUARTERED)
        # Not in a `finally`: after a failed statement the transaction refuses any other
        # (the DROP's error would hide the first), and its rollback drops the table anyway.
        con.execute("DROP TABLE temp.hourly_batch")

    @staticmethod
    def _merge_counts(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...],
                      counted: str, counts: tuple[str, ...] = ("mentions",)) -> None:
        """Add `counted` (the key columns and the `counts` columns) to the counts in
        `table`."""
        on = " AND ".join(f"t.{k} = c.{k}" for k in keys)  # key columns are NOT NULL
        columns = ", ".join(keys + counts)
        values = ", ".join(f"c.{k}" for k in keys + counts)
        added = ", ".join(f"{n} = t.{n} + c.{n}" for n in counts)
        con.execute(f"""
            MERGE INTO {table} t USING ({counted}) c ON {on}
            WHEN MATCHED THEN UPDATE SET {added}
            WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})""")

    @staticmethod
    def _insert_counts(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...],
                       counted: str, counts: tuple[str, ...] = ("mentions",)) -> None:
        """Write `counted` (as _merge_counts takes it) into `table`, which is empty."""
        columns = ", ".join(keys + counts)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ({counted})")

    def rebuild_hourly(self) -> None:
        """Count every analysed mention again (after a re-analysis, or a restore)."""
        with self.transaction() as con:
            if self.lake:  # no keys there: deleting the rows is cheap
                for table in self._HOURLY_TABLES:
                    con.execute(f"DELETE FROM {table}")
            else:
                # Deleting every row of a table with a primary key costs DuckDB an index
                # delete per row, and its commit more still (10 M mentions: 38 s of DELETE,
                # 52 s of COMMIT, 123 s in all); a table made again as it was is empty at
                # no cost (25 s in all, with the counts inserted, not merged).
                made = dict(con.execute(
                    "SELECT table_name, sql FROM duckdb_tables() WHERE database_name = "
                    "current_database() AND schema_name = 'main' AND table_name IN "
                    "(SELECT unnest(?))", [list(self._HOURLY_TABLES)]).fetchall())
                for table in self._HOURLY_TABLES:
                    con.execute(f"DROP TABLE {table}")
                    con.execute(made[table])
            self._add_hourly(con, "JOIN analysis a ON a.seq = m.seq", empty=True)

    @staticmethod
    def words_table(words: Sequence[Sequence[str]], seqs: Sequence[int]) -> pa.Table:
        """Mentions' words for search (a list per mention, and the mentions' numbers) as one
        (word, seq) row per word, in Arrow: DuckDB reads a pandas column of Python lists an
        object at a time, five times slower, and a worker process sends this back to the
        writer ten times faster than the lists."""
        return pa.table({
            "word": pa.array([w for found in words for w in found], pa.string()),
            "seq": pa.array(np.repeat(np.asarray(seqs, dtype=np.int64),
                                      [len(found) for found in words]), pa.int64())})

    @staticmethod
    def _add_words(con: duckdb.DuckDBPyConnection, flat: pa.Table) -> None:
        """Index mentions' words (a words_table) in search_recent."""
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
        if not self.lake:  # (a lake's files are rewritten by `clamor maintain`)
            with self._write_lock:  # (a backup copies the file meanwhile)
                self.con.execute("CHECKPOINT")
        return int(entries)

    # -- maintenance ---------------------------------------------------------------------

    KEEP_SNAPSHOTS = dt.timedelta(hours=1)  # a team store's history kept for readers under way
    # A team store's file is rewritten without its deleted rows once this share of them is
    # deleted: cases and counters change all day, so their files would otherwise carry a
    # delete file per night for ever (DuckLake's default waits for 95 %).
    REWRITE_DELETED = 0.05

    def maintain(self, keep_snapshots: dt.timedelta | None = None) -> dict[str, Any]:
        """Nightly upkeep (`clamor maintain`, and the scheduler at 03:30 UTC): re-sort the
        search index; in a team store also move small writes kept in the catalog out to
        Parquet, merge small files, forget snapshots older than `keep_snapshots` and delete
        the files no snapshot reads any more. Returns what it found and did."""
        report: dict[str, Any] = {"search_entries": self.compact_search_words()}
        if not self.lake:
            return report
        keep = self.KEEP_SNAPSHOTS if keep_snapshots is None else keep_snapshots
        report["parquet_files_before"] = self.parquet_files()
        with self._write_lock, self._coordinator.writing():  # writers wait; readers do not
            con = self.con
            # In DuckLake's recommended order: small writes out of the catalog, old
            # snapshots forgotten, files with deleted rows rewritten, small files merged,
            # and then the files no snapshot reads any more deleted.
            con.execute(f"CALL ducklake_flush_inlined_data('{lake.LAKE}')")
            con.execute(f"CALL ducklake_expire_snapshots('{lake.LAKE}', older_than => ?)",
                        [utcnow() - keep])
            con.execute(f"CALL ducklake_rewrite_data_files('{lake.LAKE}', "
                        f"delete_threshold => {self.REWRITE_DELETED})")
            con.execute(f"CALL ducklake_merge_adjacent_files('{lake.LAKE}')")
            con.execute(f"CALL ducklake_expire_snapshots('{lake.LAKE}', older_than => ?)",
                        [utcnow() - keep])
            con.execute(f"CALL ducklake_cleanup_old_files('{lake.LAKE}', older_than => ?)",
                        [utcnow() - keep])
        report["parquet_files_after"] = self.parquet_files()
        return report

    def parquet_files(self) -> int:
        """How many Parquet files a team store's data folder holds (0 for a DuckDB file)."""
        if not self.lake:
            return 0
        return sum(1 for _ in self.location.data_path.rglob("*.parquet"))

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
                self._add_words(con, self.words_table(words["words"].tolist(), words["seq"]))
                con.execute("UPDATE search_backfill SET next_seq = ?",
                            [int(words["seq"].max()) + 1])
            if done:
                con.execute("DELETE FROM search_backfill")
            self._flush_search_words(con, force=done)
