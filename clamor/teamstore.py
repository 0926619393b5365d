"""Moving a desk from its embedded DuckDB file into a team store (`clamor migrate --to`).

The file is brought up to the current schema first, then read from inside the team store's
own DuckDB (attached read-only), table by table, in one write transaction: a copy that fails
half-way leaves the team store as empty as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import duckdb

from clamor import lake
from clamor.store import Store, StoreBusy

# Kept by the team store itself: its schema versions, and its counters (set from the copy).
_NOT_COPIED = ("schema_migrations", "counters")


class NotEmpty(Exception):
    """The team store holds a desk already; copying into it would mix two desks."""


def copy_into_lake(source: Path, to: str, data_path: str | os.PathLike | None = None,
                   progress: Callable[[str], Any] = lambda _: None) -> dict[str, Any]:
    """Copy the embedded database `source` into the new team store `to`. Returns the rows
    copied per table."""
    if not source.is_file():
        raise lake.LakeError(f"{source}: no such database file")
    location = lake.parse_location(to, data_path)
    if not location.is_lake:
        raise lake.LakeError(f"--to {to!r}: give a team store, ducklake:postgres:CONNINFO")
    Store(source).close()  # brings the file to this Clamor's schema (and says if it is busy)
    target = Store(location)
    copied: dict[str, int] = {}
    path = str(source.resolve()).replace("'", "''")
    try:
        try:  # attached outside the transaction: a database is detached only after it
            target.con.execute(f"ATTACH '{path}' AS embedded (READ_ONLY)")
        except duckdb.IOException as exc:
            raise StoreBusy(f"{source} is open in another Clamor process; stop it (the "
                            f"dashboard, `clamor run`) and migrate again ({exc})") from None
        with target.transaction() as con:
            held = con.execute("SELECT (SELECT count(*) FROM mentions) + "
                               "(SELECT count(*) FROM cases)").fetchone()[0]
            if held:
                raise NotEmpty(f"{target.name} holds a desk already ({held:,} mentions and "
                               "cases); migrate into a new, empty team store")
            tables = [t for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'embedded' "
                "AND schema_name = 'main' ORDER BY table_name").fetchall()
                if t not in _NOT_COPIED]
            for table in tables:
                progress(f"copying {table}…")
                (rows,) = con.execute(
                    f'INSERT INTO "{table}" BY NAME SELECT * FROM embedded.main."{table}"'
                ).fetchone()
                copied[table] = int(rows)
            # The counters go on from where the file's left off; mentions are numbered by a
            # sequence in the file, so their counter is the highest number there.
            con.execute("DELETE FROM counters")
            con.execute("INSERT INTO counters SELECT * FROM embedded.main.counters")
            con.execute("UPDATE counters SET value = (SELECT coalesce(max(seq), 0) "
                        "FROM mentions) WHERE name = 'mention_seq'")
    finally:
        try:
            target.con.execute("DETACH DATABASE IF EXISTS embedded")
        finally:
            target.close()
    return {"to": location.display(), "tables": copied,
            "rows": sum(copied.values())}
