"""The team store: DuckLake, DuckDB with its catalog in PostgreSQL and its data as Parquet.

The embedded store (one DuckDB file) can be held by one process only. A team runs collector
workers apart from the dashboard, and several dashboard replicas; they share one DuckLake
store, so the same SQL runs in both modes. This module holds what only the team store needs:

- where the store is: `duckdb:PATH` (or a bare path) or `ducklake:postgres:<libpq conninfo>`
  with a data path for the Parquet files;
- loading the `ducklake` and `postgres` extensions from the PyPI wheels' files (never from
  the network: the extension wheels are pinned with duckdb itself);
- the lake's schema, made from the embedded one (DuckLake has no primary keys, unique
  constraints, indexes or sequences; Clamor's code keeps those rules itself);
- coordination in the catalog's PostgreSQL database (`Coordinator`): one writer at a time
  across every process (a PostgreSQL advisory lock, so a dead process's lock goes with its
  connection), and job leases with an expiry, so one collector job per source runs at a time
  across workers and a dead worker's job is taken over.

A password never belongs in the location: libpq (and so both DuckDB's postgres extension and
psycopg) reads PGPASSWORD or ~/.pgpass.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

LAKE = "clamor"            # the name the lake is attached under
LAKE_PREFIX = "ducklake:postgres:"
# Rows a small insert keeps inside the catalog instead of writing a Parquet file: a triage
# action writes a handful of rows, and a file per action would leave thousands of tiny files.
# `clamor maintain` moves them out to Parquet in bulk.
INLINE_ROWS = 1_000
WRITE_LOCK_KEY = 0x636C616D6F72  # "clamor": the advisory lock every writer takes
OPEN_LOCK_KEY = WRITE_LOCK_KEY + 1  # held while a process opens the store (and may create it)


class LakeError(Exception):
    """The team store cannot be opened or used; the message says why and what to do."""


class LeaseLost(Exception):
    """This worker's lease on a job expired and another worker took it over."""


@dataclass(frozen=True)
class Location:
    """Where a store is: an embedded DuckDB file, or a DuckLake store."""
    kind: str                      # "duckdb" or "ducklake"
    path: Path | None = None       # the DuckDB file (embedded)
    catalog: str | None = None     # libpq conninfo of the PostgreSQL catalog (ducklake)
    data_path: Path | None = None  # where the lake's Parquet files go (ducklake)

    @property
    def is_lake(self) -> bool:
        return self.kind == "ducklake"

    def display(self) -> str:
        """The location as users see it, with any password left out."""
        if not self.is_lake:
            return str(self.path)
        return f"{LAKE_PREFIX}{redact(self.catalog or '')} (data {self.data_path})"


def redact(text: str) -> str:
    """Text that may hold a libpq connection string, with its password left out (both the
    key=value form and the postgresql://user:password@host form)."""
    text = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1…", text,
                  flags=re.IGNORECASE)
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1…@", text)


def parse_location(text: str | os.PathLike, data_path: str | os.PathLike | None = None
                   ) -> Location:
    """Read a store setting: `duckdb:PATH`, a bare PATH, or `ducklake:postgres:CONNINFO`
    (which needs a data path: `data_path`, else CLAMOR_DATA_PATH)."""
    text = str(text)
    if text.startswith("duckdb:"):
        return Location("duckdb", path=Path(text[len("duckdb:"):]))
    if text.startswith("ducklake:"):
        if not text.startswith(LAKE_PREFIX):
            raise LakeError(
                f"{text!r}: Clamor's team store keeps its DuckLake catalog in PostgreSQL; "
                f"write it as {LAKE_PREFIX}dbname=… host=… (a libpq connection string)")
        catalog = text[len(LAKE_PREFIX):].strip()
        if not catalog:
            raise LakeError(f"{text!r} names no PostgreSQL database: add dbname=… host=…")
        data = data_path or os.environ.get("CLAMOR_DATA_PATH")
        if not data:
            raise LakeError(
                "a DuckLake store needs a folder for its Parquet files: give --data-path "
                "FOLDER or set CLAMOR_DATA_PATH (object storage in production, a local "
                "folder here)")
        return Location("ducklake", catalog=catalog, data_path=Path(data))
    return Location("duckdb", path=Path(text))


# -- extensions ------------------------------------------------------------------------------

def extension_file(name: str) -> Path:
    """The extension file inside the installed PyPI wheel `duckdb-extension-<name>`."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or spec.origin is None:
        raise LakeError(f"the DuckDB extension wheel duckdb-extension-{name} is not "
                        "installed; `make install` (or pip install -e .) installs it")
    folder = Path(spec.origin).parent / "extensions"
    wanted = folder / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not wanted.is_file():
        found = sorted(p.parent.name for p in folder.glob(f"*/{name}.duckdb_extension"))
        raise LakeError(
            f"duckdb-extension-{name} holds the extension for DuckDB {', '.join(found) or '?'}"
            f" but this is DuckDB v{duckdb.__version__}; extensions load only into the exact "
            "version they were built for: install matching versions (pyproject.toml pins both)")
    return wanted


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        path = str(extension_file(name)).replace("'", "''")
        con.execute(f"INSTALL '{path}'")
        con.execute(f"LOAD {name}")


def attach(con: duckdb.DuckDBPyConnection, location: Location) -> None:
    """Attach the lake as `clamor` and make it this connection's default database."""
    load_extensions(con, "ducklake", "postgres")
    location.data_path.mkdir(parents=True, exist_ok=True)
    catalog = location.catalog.replace("'", "''")
    data = (str(location.data_path.resolve()) + os.sep).replace("'", "''")
    try:
        con.execute(f"ATTACH 'ducklake:postgres:{catalog}' AS {LAKE} "
                    f"(DATA_PATH '{data}', DATA_INLINING_ROW_LIMIT {INLINE_ROWS})")
    except duckdb.Error as exc:
        raise LakeError(f"cannot open the DuckLake store at {location.display()}: "
                        f"{_first_line(exc)}") from None
    con.execute(f"USE {LAKE}")


def _first_line(exc: BaseException) -> str:
    """An error's first line, with any password it quotes left out."""
    text = str(exc).strip()
    return redact(text.splitlines()[0]) if text else type(exc).__name__


# -- schema ----------------------------------------------------------------------------------

def schema_statements(embedded: duckdb.DuckDBPyConnection) -> list[str]:
    """CREATE statements for the lake, read from a migrated embedded database: every table
    with its columns, types, NOT NULL and literal defaults. Keys, indexes and sequences are
    left out (DuckLake has none); the code keeps mention ids unique and numbers things from
    the `counters` table."""
    statements = []
    tables = embedded.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY table_name").fetchall()
    for (table,) in tables:
        columns = []
        for name, data_type, nullable, default in embedded.execute(
                "SELECT column_name, data_type, is_nullable, column_default FROM "
                "duckdb_columns() WHERE database_name = current_database() AND "
                "schema_name = 'main' AND table_name = ? ORDER BY column_index",
                [table]).fetchall():
            column = f'"{name}" {data_type}'
            if not nullable:
                column += " NOT NULL"
            # DuckLake takes literal defaults only, and none for lists (the code that inserts
            # cases spells out its empty lists).
            if default is not None and "nextval" not in default.lower() \
                    and not data_type.endswith("[]"):
                column += f" DEFAULT {default}"
            columns.append(column)
        statements.append(f'CREATE TABLE "{table}" ({", ".join(columns)})')
    return statements


# -- coordination in PostgreSQL --------------------------------------------------------------

def worker_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Coordinator:
    """One writer at a time across processes, and leases on jobs, in the catalog database."""

    def __init__(self, conninfo: str):
        import psycopg  # only the team store needs it

        self._psycopg = psycopg
        self.conninfo = conninfo
        self.holder = worker_name()
        self._lock_con = None
        self._lease_con = None
        self._lease_mutex = threading.Lock()
        self._depth = 0
        self._connect().close()  # say now, in a sentence, if the catalog is out of reach

    @contextmanager
    def opening(self) -> Iterator[None]:
        """One process at a time opens the store: two starting at once on an empty catalog
        would both create DuckLake's tables (and the lease table), and one would fail."""
        with self._connect() as con:
            con.execute("SELECT pg_advisory_lock(%s)", [OPEN_LOCK_KEY])
            try:
                con.execute("""
                    CREATE TABLE IF NOT EXISTS clamor_leases (
                        job         TEXT PRIMARY KEY,
                        holder      TEXT NOT NULL,
                        taken_at    TIMESTAMPTZ NOT NULL,
                        expires_at  TIMESTAMPTZ NOT NULL)""")
                yield
            finally:
                con.execute("SELECT pg_advisory_unlock(%s)", [OPEN_LOCK_KEY])

    def _connect(self):
        try:
            return self._psycopg.connect(self.conninfo, autocommit=True,
                                         application_name="clamor")
        except self._psycopg.Error as exc:
            raise LakeError(f"cannot reach the team store's PostgreSQL catalog: "
                            f"{_first_line(exc)}") from None

    def close(self) -> None:
        for con in (self._lock_con, self._lease_con):
            if con is not None:
                con.close()
        self._lock_con = self._lease_con = None

    # The caller (Store.transaction) serialises this process's writers; the advisory lock
    # serialises processes. Re-entrant, as the store's own lock is.
    @contextmanager
    def writing(self) -> Iterator[None]:
        if self._depth == 0:
            if self._lock_con is None or self._lock_con.closed:
                self._lock_con = self._connect()
            try:
                self._lock_con.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
            except self._psycopg.OperationalError:  # the server restarted: connect again
                self._lock_con = self._connect()
                self._lock_con.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                try:
                    self._lock_con.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])
                except self._psycopg.Error:
                    # The connection is gone, and the lock with it.
                    self._lock_con = None

    def _lease_sql(self, sql: str, params: list) -> list[tuple]:
        with self._lease_mutex:
            if self._lease_con is None or self._lease_con.closed:
                self._lease_con = self._connect()
            try:
                return self._lease_con.execute(sql, params).fetchall()
            except self._psycopg.OperationalError:
                self._lease_con = self._connect()
                return self._lease_con.execute(sql, params).fetchall()

    def take(self, job: str, seconds: float) -> bool:
        """Take (or renew) the lease on `job` for `seconds`; False while another live worker
        holds it. An expired lease is taken over."""
        rows = self._lease_sql("""
            INSERT INTO clamor_leases AS l VALUES (%s, %s, now(), now() + %s)
            ON CONFLICT (job) DO UPDATE
                SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
                    taken_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.taken_at
                                    ELSE EXCLUDED.taken_at END
                WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
            RETURNING holder""", [job, self.holder, dt.timedelta(seconds=seconds)])
        return bool(rows)

    def holds(self, job: str) -> bool:
        return bool(self._lease_sql(
            "SELECT 1 FROM clamor_leases WHERE job = %s AND holder = %s AND expires_at > now()",
            [job, self.holder]))

    def release(self, job: str) -> None:
        """Let the job go (it expires now); the row stays, saying who ran it last."""
        self._lease_sql("UPDATE clamor_leases SET expires_at = now() WHERE job = %s "
                        "AND holder = %s RETURNING 1", [job, self.holder])

    def leases(self) -> list[tuple]:
        """Every job's lease: job, holder (the last one when idle), taken_at, expires_at,
        running (held now)."""
        return self._lease_sql(
            "SELECT job, holder, taken_at, expires_at, expires_at > now() AS running "
            "FROM clamor_leases ORDER BY job", [])
