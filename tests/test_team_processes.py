"""A team on one DuckLake store, as real processes (issue 10): two `clamor worker`s collect
from one source while a dashboard reads; one worker is killed (SIGKILL) in the middle and the
other takes its job over, with nothing lost or doubled. Also `clamor migrate --to` from an
embedded file and `clamor maintain` on a day of small writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from clamor import actions, cli, queries
from clamor.config import DEMO_CONFIG
from clamor.store import Store

LIVE_LINES = 90          # arriving over the first LIVE_SPAN minutes of the run
LIVE_SPAN = 0.3
PAST_LINES = 30          # there at once


def lake(conninfo: str) -> str:
    return f"ducklake:postgres:{conninfo}"


def stream(path: Path) -> int:
    """A demo stream: past mentions, then mentions arriving over half a minute."""
    lines = []
    for n in range(PAST_LINES + LIVE_LINES):
        offset = -30.0 + n if n < PAST_LINES else (n - PAST_LINES + 1) * LIVE_SPAN / LIVE_LINES
        lines.append({"native_id": f"t-{n:04d}", "source": "x", "author": f"@cust{n % 17}",
                      "author_followers": n, "offset_minutes": round(offset, 4),
                      "text": f"Aerolume where is my refund for booking {n}?? waiting a week",
                      "lang": "en"})
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return len(lines)


def team_config(tmp_path: Path) -> Path:
    """The demo brand, collecting every two seconds from the test stream."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"(\[sources\.demo\]\nenabled = true\n)poll_minutes = [0-9.]+",
                  rf'\1poll_minutes = 0.03\nstream = "{tmp_path / "stream.jsonl"}"', text)
    text = re.sub(r"(\[analysis\]\n)every_seconds = [0-9.]+", r"\1every_seconds = 2", text)
    text = re.sub(r"(\[alerts\]\n)enabled = true", r"\1enabled = false", text)
    assert "poll_minutes = 0.03" in text and "every_seconds = 2" in text
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_worker(location: str, data: Path, config: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, CLAMOR_LEASE_SECONDS="4", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "clamor.cli", "worker", "--demo", "--config", str(config),
         "--db", location, "--data-path", str(data)],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)


def wait_for(what, check, timeout: float = 120.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_share_a_store_and_one_takes_over_when_the_other_is_killed(
        postgres_db, tmp_path):
    expected = stream(tmp_path / "stream.jsonl")
    config = team_config(tmp_path)
    data = tmp_path / "lake"
    location = lake(postgres_db)
    workers = [start_worker(location, data, config, tmp_path / f"worker{k}.log")
               for k in range(2)]
    watcher = None
    try:
        def open_store():
            try:
                return Store(location, data_path=data)
            except Exception:  # the workers may still be creating the schema
                return None
        watcher = wait_for("the team store", open_store, timeout=60)

        def collecting_holder(running_now: bool = True):
            """The worker collecting now (or, with running_now=False, who did last)."""
            for job, holder, _, _, running in watcher.leases():
                if job == "collect:demo" and (running or not running_now):
                    return holder
            return None

        def stored() -> int:
            return watcher.query_rows("SELECT count(*) FROM mentions")[0][0]

        # Kill whichever worker collects, once some of the live mentions are in.
        wait_for("live mentions", lambda: stored() > PAST_LINES + 10, timeout=90)
        holder = wait_for("a worker collecting", collecting_holder, timeout=30, every=0.05)
        pid = int(holder.split(":")[1])
        victim = next(w for w in workers if w.pid == pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        survivor = next(w for w in workers if w is not victim)

        # The survivor takes the job over once the dead worker's lease expires.
        wait_for("the survivor to collect",
                 lambda: (collecting_holder(running_now=False) or "").split(":")[1:2]
                 == [str(survivor.pid)],
                 timeout=60, every=0.2)
        wait_for("every mention", lambda: stored() >= expected, timeout=90)
        wait_for("the analysis pass", lambda: queries.pending_analysis_count(watcher) == 0
                 and queries.unfiled_count(watcher) == 0, timeout=90)
        assert survivor.poll() is None, (tmp_path / "worker0.log").read_text()

        # Nothing lost, nothing doubled.
        (rows, ids, seqs, top) = watcher.query_rows(
            "SELECT count(*), count(DISTINCT id), count(DISTINCT seq), max(seq) "
            "FROM mentions")[0]
        assert rows == ids == seqs == expected
        assert top >= expected  # numbers a killed transaction took are skipped, never reused
        (analysed, distinct) = watcher.query_rows(
            "SELECT count(*), count(DISTINCT mention_id) FROM analysis")[0]
        assert analysed == distinct == expected
        (filed, filed_distinct) = watcher.query_rows(
            "SELECT count(*), count(DISTINCT mention_id) FROM case_mentions")[0]
        assert filed == filed_distinct == expected
        cursor = json.loads(watcher.get_cursor("demo"))
        assert cursor["upto"] >= LIVE_SPAN  # consistent with the rows: all of them are in

        # A dashboard process reads the same desk while the survivor works.
        inbox = queries.inbox(watcher)
        assert len(inbox) > 0 and inbox["text"].str.contains("refund").all()

        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=60) == 0
        log = tmp_path / f"worker{workers.index(survivor)}.log"
        assert "worker stopped" in log.read_text()
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        if watcher is not None:
            watcher.close()


# -- moving an embedded desk into a team store -----------------------------------------------

def test_migrate_copies_an_embedded_desk_into_a_team_store(demo_db, postgres_db, tmp_path,
                                                           config, capsys):
    location, data = lake(postgres_db), tmp_path / "lake"
    with _opened(demo_db) as embedded:
        case = actions.case_id(embedded, embedded.query_rows(
            "SELECT mention_id FROM case_mentions WHERE case_id IS NOT NULL LIMIT 1")[0][0])
        actions.resolve(embedded, config, case, actor="Admin", note="before the move")
        tables = [t for (t,) in embedded.query_rows(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")]
        before = {t: embedded.query_rows(f'SELECT * FROM "{t}" ORDER BY ALL') for t in tables}
        columns = {t: [c for (c,) in embedded.query_rows(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = "
            "current_database() AND table_name = ? ORDER BY column_index", [t])]
            for t in tables}
        inbox_before = queries.inbox(embedded, now=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    assert cli.main(["migrate", "--db", str(demo_db), "--to", location,
                     "--to-data-path", str(data)]) == 0
    assert "rows in" in capsys.readouterr().out
    with _opened(location, data) as team:
        for table, rows in before.items():
            if table in ("schema_migrations", "counters"):  # the lake's own; checked below
                continue
            listed = ", ".join(f'"{c}"' for c in columns[table])
            assert team.query_rows(f'SELECT {listed} FROM "{table}" ORDER BY ALL') == rows, \
                table
        pd.testing.assert_frame_equal(
            inbox_before, queries.inbox(team, now=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)))
        # New numbers go on from the file's: the next case is not a number already used.
        (top,) = team.query_rows("SELECT max(CAST(substr(id, 3) AS INTEGER)) FROM cases")[0]
        assert team.query_rows("SELECT value FROM counters WHERE name = 'case_number'") \
            == [(top,)]
        assert team.query_rows("SELECT value FROM counters WHERE name = 'mention_seq'") \
            == team.query_rows("SELECT max(seq) FROM mentions")
    # A second copy into the now full store is refused, in a sentence.
    assert cli.main(["migrate", "--db", str(demo_db), "--to", location,
                     "--to-data-path", str(data)]) == 2
    assert "holds a desk already" in capsys.readouterr().err


class _opened:
    def __init__(self, location, data=None):
        self.store = Store(location, data_path=data)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()


# -- a day of small writes, then maintenance -------------------------------------------------

def test_maintenance_folds_a_day_of_small_writes_into_few_files(demo_db, postgres_db,
                                                               tmp_path, config):
    location, data = lake(postgres_db), tmp_path / "lake"
    assert cli.main(["migrate", "--db", str(demo_db), "--to", location,
                     "--to-data-path", str(data)]) == 0
    now = dt.datetime(2026, 11, 20, 14, tzinfo=dt.UTC)
    with _opened(location, data) as team:
        copied = team.parquet_files()
        mentions = [m for (m,) in team.query_rows(
            "SELECT mention_id FROM case_mentions WHERE case_id IS NOT NULL "
            "AND role = 'customer' ORDER BY mention_id LIMIT 15")]
        for n, mention in enumerate(mentions):  # a shift of triage, one action at a time
            actions.respond(team, mention, actor="Eleni Markou", reply_text=f"On it ({n})")
        # Small writes stay in the catalog: a shift leaves no file per action.
        assert team.parquet_files() == copied

        def maintained() -> None:
            events = team.query_rows("SELECT count(*) FROM events")[0][0]
            inbox = queries.inbox(team, now=now)
            report = team.maintain(keep_snapshots=dt.timedelta(0))
            assert team.query_rows("SELECT count(*) FROM events")[0][0] == events
            pd.testing.assert_frame_equal(inbox, queries.inbox(team, now=now))
            assert report["parquet_files_after"] == team.parquet_files()
            # At most one data file per table that holds rows, and at most one file of
            # deleted rows beside it (rewritten away once 5 % of its rows are deleted).
            files = list(data.rglob("*.parquet"))
            deletes = [f for f in files if f.name.endswith("-delete.parquet")]
            holding = [t for t in tables(team)
                       if team.query_rows(f'SELECT count(*) FROM "{t}"')[0][0]]
            assert len(files) - len(deletes) <= len(holding)
            assert len(deletes) <= len(files) - len(deletes)

        maintained()
        for mention in mentions:  # the next shift resolves what it can
            try:
                actions.resolve(team, config, actions.case_id(team, mention),
                                actor="Eleni Markou", note="sorted")
            except actions.ActionRefused:
                pass  # resolved already
        maintained()  # night after night, the count stays bounded


def tables(team: Store) -> list[str]:
    return [t for (t,) in team.query_rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")]
