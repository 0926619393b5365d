"""The team store (issue 10): DuckLake with its catalog in a real PostgreSQL server and its
data as Parquet in a temp folder. The same code runs on it as on the embedded file, so the
strongest check is that the demo desk comes out the same on both."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

from clamor import actions, cases, lake, pipeline, queries
from clamor.lake import LakeError, LeaseLost
from clamor.store import Store, take_numbers
from collectors.base import Mention
from collectors.replay import ReplayCollector
from tests.conftest import NOW, QUARTERS, QUARTERS_OF_MENTIONS


def lake_store(conninfo: str, data) -> Store:
    return Store(f"ducklake:postgres:{conninfo}", data_path=data)


@pytest.fixture
def team(postgres_db, tmp_path):
    """A new team store: (location, data folder) and one open Store on it."""
    data = tmp_path / "lake"
    store = lake_store(postgres_db, data)
    yield store
    store.close()


def mention(n: int, text: str = "Aerolume is late again", source: str = "x") -> Mention:
    return Mention(source=source, native_id=str(n), author=f"@user{n % 7}",
                   author_followers=10 * n, text=text,
                   created_at=NOW - dt.timedelta(minutes=n),
                   matched_terms=("Aerolume",), matched_kinds=("brand",), raw={"n": n})


# -- where the store is ----------------------------------------------------------------------

def test_locations_are_read_in_the_issue_s_words(tmp_path, monkeypatch):
    monkeypatch.delenv("CLAMOR_DATA_PATH", raising=False)
    assert lake.parse_location("data/x.duckdb").path.name == "x.duckdb"
    assert lake.parse_location("duckdb:data/x.duckdb").path.name == "x.duckdb"
    team = lake.parse_location("ducklake:postgres:dbname=c host=db password=s3cret",
                               tmp_path)
    assert team.is_lake and team.catalog == "dbname=c host=db password=s3cret"
    assert "s3cret" not in team.display()
    with pytest.raises(LakeError, match="data path|--data-path"):
        lake.parse_location("ducklake:postgres:dbname=c")
    monkeypatch.setenv("CLAMOR_DATA_PATH", str(tmp_path))
    assert lake.parse_location("ducklake:postgres:dbname=c").data_path == tmp_path
    with pytest.raises(LakeError, match="PostgreSQL"):
        lake.parse_location("ducklake:sqlite:x.db", tmp_path)
    with pytest.raises(LakeError, match="dbname"):
        lake.parse_location("ducklake:postgres:", tmp_path)


def test_a_password_in_the_location_is_never_shown(tmp_path):
    for catalog in ("dbname=c host=db password=Pl4nted", "dbname=c password = 'Pl 4nted'",
                    "postgresql://clamor:Pl4nted@db:5432/c"):
        location = lake.parse_location(f"ducklake:postgres:{catalog}", tmp_path)
        assert "Pl4nted" not in location.display() and "4nted" not in location.display()
        assert location.catalog == catalog  # (libpq still gets it)


def test_an_unreachable_catalog_is_a_sentence(tmp_path):
    with pytest.raises(LakeError, match="PostgreSQL catalog"):
        Store("ducklake:postgres:dbname=nowhere host=127.0.0.1 port=1 connect_timeout=2",
              data_path=tmp_path)


# -- schema ----------------------------------------------------------------------------------

def columns(store: Store) -> dict[str, list[tuple[str, str]]]:
    rows = store.query_rows(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "ORDER BY table_name, column_index")
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, []).append((column, data_type))
    return found


def test_a_new_team_store_has_the_embedded_schema(team, store):
    assert columns(team) == columns(store)
    assert team.query_rows("SELECT version FROM schema_migrations ORDER BY version") == \
        store.query_rows("SELECT version FROM schema_migrations ORDER BY version")
    assert dict(team.query_rows("SELECT * FROM counters")) == \
        dict(store.query_rows("SELECT * FROM counters"))


def test_processes_starting_at_once_on_an_empty_catalog_all_open_it(postgres_db, tmp_path):
    opened: list[Store] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(lake_store(postgres_db, tmp_path / "lake"))
        except BaseException as exc:  # noqa: B036 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(opened) == 3
    assert opened[0].query_rows("SELECT count(*) FROM schema_migrations") == \
        [(len(Store._migration_files()),)]
    for s in opened:
        s.close()


def test_reopening_a_team_store_keeps_its_rows(postgres_db, tmp_path):
    first = lake_store(postgres_db, tmp_path / "lake")
    first.insert_mentions([mention(1)], collector="x", version="1")
    first.close()
    again = lake_store(postgres_db, tmp_path / "lake")
    assert again.query_rows("SELECT id, seq FROM mentions") == [("x:1", 1)]
    again.close()


# -- writing ---------------------------------------------------------------------------------

def test_inserts_are_idempotent_and_numbered_in_commit_order(team):
    assert team.insert_mentions([mention(n) for n in range(1, 6)], collector="x",
                                version="1", cursor="5", save_cursor=True) == 5
    assert team.insert_mentions([mention(n) for n in range(3, 9)], collector="x",
                                version="1", cursor="8", save_cursor=True) == 3
    rows = team.query_rows("SELECT id, seq FROM mentions ORDER BY seq")
    assert [seq for _, seq in rows] == list(range(1, 9))
    assert len({i for i, _ in rows}) == 8
    assert team.get_cursor("x") == "8"
    assert team.query_rows("SELECT count(*) FROM cursors") == [(1,)]


def test_two_processes_writing_at_once_lose_and_double_nothing(postgres_db, tmp_path):
    # Two Stores are two DuckDB instances with their own catalog sessions: for the lake and
    # for the advisory lock they are two processes (tests/test_team_processes.py runs real
    # ones).
    stores = [lake_store(postgres_db, tmp_path / "lake") for _ in range(2)]
    errors: list[BaseException] = []

    def write(store: Store, offset: int) -> None:
        try:
            for batch in range(10):
                # overlapping batches: each id is offered by both writers
                ids = range(batch * 10 + offset, batch * 10 + offset + 15)
                store.insert_mentions([mention(n) for n in ids], collector="x", version="1")
        except BaseException as exc:  # noqa: B036 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, k * 5)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids, seqs, distinct_ids, distinct_seqs, top = stores[0].query_rows(
        "SELECT count(*), count(seq), count(DISTINCT id), count(DISTINCT seq), max(seq) "
        "FROM mentions")[0]
    assert ids == distinct_ids == distinct_seqs == seqs == 110
    assert top == 110  # no number taken twice or lost to a conflict
    for s in stores:
        s.close()


def test_numbers_are_unique_across_processes(postgres_db, tmp_path):
    stores = [lake_store(postgres_db, tmp_path / "lake") for _ in range(2)]
    taken: list[int] = []

    def take(store: Store) -> None:
        for _ in range(15):
            with store.transaction() as con:
                taken.extend(take_numbers(con, "case_number", 2))

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == list(range(10001, 10061))
    for s in stores:
        s.close()


# -- the demo desk, embedded and team --------------------------------------------------------

def test_the_demo_desk_comes_out_the_same_on_both_stores(team, store, config):
    for s in (store, team):
        report = pipeline.collect_once(s, ReplayCollector(now=lambda: NOW), config)
        assert report.status == "ok", report
        pipeline.analyse_pending(s, config)
    for s in (store, team):
        assert queries.pending_analysis_count(s) == 0
    assert queries.inbox_count(team) == queries.inbox_count(store) > 20

    pd.testing.assert_frame_equal(queries.inbox(store, now=NOW), queries.inbox(team, now=NOW))
    assert queries.totals(store, now=NOW) == queries.totals(team, now=NOW)
    hourly = "SELECT * FROM hourly_mentions ORDER BY ALL"
    assert store.query_rows(hourly) == team.query_rows(hourly)
    terms = "SELECT * FROM hourly_terms ORDER BY ALL"
    assert store.query_rows(terms) == team.query_rows(terms)
    words = "SELECT * FROM search_recent ORDER BY ALL"
    assert store.query_rows(words) == team.query_rows(words)
    waiting = "SELECT * EXCLUDE (waiting_cues, waiting_kinds), list_sort(waiting_cues), " \
              "list_sort(waiting_kinds) FROM cases ORDER BY id"
    filed = store.query_rows(waiting)
    for s in (store, team):  # what many cases wait on, worked out again, on both stores
        ids = [row[0] for row in s.query_rows("SELECT id FROM cases")]
        assert len(ids) > cases.FEW_CASES
        with s.transaction() as con:
            cases.refresh_waiting(con, ids)
        assert s.query_rows(waiting) == filed


# -- triage from several replicas -----------------------------------------------------------

def test_two_agents_resolving_one_case_from_two_replicas_one_wins(postgres_db, tmp_path,
                                                                   config):
    first = lake_store(postgres_db, tmp_path / "lake")
    first.insert_mentions([mention(1)], collector="x", version="1")
    pipeline.analyse_pending(first, config)
    second = lake_store(postgres_db, tmp_path / "lake")
    case = actions.case_id(first, "x:1")
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def resolve(store: Store, who: str) -> None:
        start.wait()
        try:
            actions.resolve(store, config, case, actor=who, note="refund sent")
            outcomes.append(who)
        except actions.ActionRefused as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=resolve, args=(s, who))
               for s, who in ((first, "Eleni Markou"), (second, "Maryam Rahimi"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, actions.ActionRefused)]
    assert len(winners) == 1 and len(refused) == 1
    assert "resolved" in str(refused[0]) and case in str(refused[0])
    resolved = first.query_rows("SELECT count(*) FROM events WHERE case_id = ? "
                                "AND kind = 'resolved'", [case])
    assert resolved == [(1,)]
    for s in (first, second):
        s.close()


# -- leases ----------------------------------------------------------------------------------

def test_one_worker_holds_a_job_and_a_dead_one_s_lease_is_taken_over(postgres_db, tmp_path):
    a = lake_store(postgres_db, tmp_path / "lake")
    b = lake_store(postgres_db, tmp_path / "lake")
    with a.leased("collect:x", seconds=30) as mine:
        assert mine
        with b.leased("collect:x", seconds=30) as theirs:
            assert not theirs
        assert [job for job, *_ in b.leases()] == ["collect:x"]
    with b.leased("collect:x", seconds=30) as theirs:  # released: free again
        assert theirs
    # A worker that died holding a lease (it never released it): taken over once it expires.
    assert a._coordinator.take("collect:reddit", seconds=0.5)
    assert not b._coordinator.take("collect:reddit", seconds=30)
    threading.Event().wait(0.8)
    assert b._coordinator.take("collect:reddit", seconds=30)
    for s in (a, b):
        s.close()


def test_a_worker_that_lost_its_lease_commits_nothing(postgres_db, tmp_path):
    a = lake_store(postgres_db, tmp_path / "lake")
    b = lake_store(postgres_db, tmp_path / "lake")
    with a.leased("collect:x", seconds=0.6) as mine:
        assert mine
        a._coordinator.release("collect:x")  # as if it stalled past its expiry…
        assert b._coordinator.take("collect:x", seconds=30)  # …and b took over
        with pytest.raises(LeaseLost, match="another worker"):
            a.insert_mentions([mention(1)], collector="x", version="1", cursor="1",
                              save_cursor=True)
    assert b.query_rows("SELECT count(*) FROM mentions") == [(0,)]
    assert b.get_cursor("x") is None
    for s in (a, b):
        s.close()


def test_a_team_store_is_not_backed_up_as_a_file(team, tmp_path):
    with pytest.raises(LakeError, match="pg_dump"):
        team.backup(tmp_path / "copy.duckdb")


# -- the dashboard on a team store ----------------------------------------------------------

@pytest.fixture(scope="module")
def demo_lake(postgres_server, seeded_db, tmp_path_factory):
    """A team store holding the demo's analysed history, shared by the page tests (they
    only read it, or act on it as the dashboard does)."""
    import uuid

    from clamor import teamstore

    name = f"pages_{uuid.uuid4().hex[:12]}"
    location = f"ducklake:postgres:{postgres_server.new_database(name)}"
    data = tmp_path_factory.mktemp("lake")
    teamstore.copy_into_lake(seeded_db, location, data)
    yield location, data
    postgres_server.drop_database(name)


@pytest.mark.parametrize("page", ["pages/inbox.py", "pages/overview.py", "pages/explore.py",
                                  "pages/standards.py", "pages/team.py", "pages/alerts.py",
                                  "pages/audit.py", "pages/sources.py", "pages/knowledge.py",
                                  "pages/templates.py", "pages/customer.py"])
def test_every_page_runs_on_a_team_store(page, demo_lake, monkeypatch):
    import streamlit as st

    from clamor.config import DEMO_CONFIG
    from tests.conftest import run

    location, data = demo_lake
    for name, value in {"CLAMOR_DB": location, "CLAMOR_DATA_PATH": str(data),
                        "CLAMOR_CONFIG": str(DEMO_CONFIG), "CLAMOR_DEMO": "1",
                        "CLAMOR_SCHEDULER": "0"}.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    try:
        at = run(page)
        if page == "pages/sources.py":
            assert any("team store" in c.value for c in at.caption)
    finally:
        from clamor import ui

        ui._runtime().store.close()
        st.cache_resource.clear()


def test_file_only_commands_say_so_on_a_team_store(team, postgres_db, tmp_path, capsys):
    from clamor import cli
    from clamor.config import DEMO_CONFIG

    where = ["--db", f"ducklake:postgres:{postgres_db}", "--data-path", str(tmp_path / "lake"),
             "--config", str(DEMO_CONFIG)]
    assert cli.main(["restore", str(tmp_path / "old.duckdb"), *where]) == 2
    assert "embedded DuckDB file, not a team store" in capsys.readouterr().err
    assert cli.main(["backup", "-o", str(tmp_path / "copy.duckdb"), *where]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert cli.main(["status", *where]) == 0
    assert "database: ducklake:postgres:" in capsys.readouterr().out


def reopened_after_undoing(postgres_db, tmp_path, config, version: int, undo: str) -> Store:
    """A team store holding 29 analysed and filed mentions, set back to how Clamor left it
    before migration `version` (`undo` reverses it), then opened again: the migration runs
    on it as written."""
    data = tmp_path / "lake"
    old = lake_store(postgres_db, data)
    old.insert_mentions([mention(n) for n in range(1, 30)], collector="t", version="1")
    pipeline.analyse_pending(old, config)
    cases.file_new(old, config)
    with old.transaction() as con:
        con.execute(undo)
        con.execute("DELETE FROM schema_migrations WHERE version = ?", [version])
    old.close()
    return lake_store(postgres_db, data)


def test_a_team_store_made_before_a_migration_gets_it_as_written(postgres_db, tmp_path, config):
    """Migrations from 012 on run on a team store as written: one made before 013 (its
    hourly totals per set of terms missing) gets the table, filled from the counts it has."""
    upgraded = reopened_after_undoing(postgres_db, tmp_path, config, 13,
                                      "DROP TABLE hourly_termset_totals")
    try:
        assert (13,) in upgraded.query_rows("SELECT version FROM schema_migrations")
        assert upgraded.query_rows(
            "SELECT hour, terms, is_own, mentions FROM hourly_termset_totals ORDER BY ALL") \
            == upgraded.query_rows(
                "SELECT hour, terms, is_own, sum(mentions)::BIGINT FROM hourly_termsets "
                "GROUP BY ALL ORDER BY ALL")
        assert upgraded.query_rows("SELECT sum(mentions) FROM hourly_termset_totals") \
            == [(29,)]
    finally:
        upgraded.close()


def test_a_team_store_made_before_filings_carried_numbers_gets_them(postgres_db, tmp_path,
                                                                     config):
    """Migration 014 on a team store as written: each filing gets its mention's number."""
    upgraded = reopened_after_undoing(postgres_db, tmp_path, config, 14,
                                      "ALTER TABLE case_mentions DROP COLUMN seq")
    try:
        assert (14,) in upgraded.query_rows("SELECT version FROM schema_migrations")
        assert upgraded.query_rows(
            "SELECT count(*), count(*) FILTER (WHERE f.seq IS DISTINCT FROM m.seq) "
            "FROM case_mentions f JOIN mentions m ON m.id = f.mention_id") == [(29, 0)]
    finally:
        upgraded.close()


def test_a_team_store_made_before_the_hourly_quarters_gets_them(postgres_db, tmp_path,
                                                                 config):
    """Migration 015 on a team store as written: the hourly counts get their quarters of
    the hour, counted again from the mentions."""
    upgraded = reopened_after_undoing(postgres_db, tmp_path, config, 15,
                                      ";".join(QUARTERS))
    try:
        assert (15,) in upgraded.query_rows("SELECT version FROM schema_migrations")
        expected = upgraded.query_rows(QUARTERS_OF_MENTIONS)
        assert sum(expected[0]) > 0  # 29 posts a minute apart: some in each quarter
        for table in ("hourly_mentions", "hourly_termsets", "hourly_termset_totals"):
            assert upgraded.query_rows(
                f"SELECT sum(q1), sum(q2), sum(q3) FROM {table}") == expected, table
    finally:
        upgraded.close()


def test_the_explorers_export_reads_a_team_store(demo_lake, demo_db, tmp_path):
    """The explorer's export streams its query on a cursor of its own: on a team store that
    cursor reads the lake, and the file holds what the same export of the DuckDB file does
    (the cases looked up beside it, chunk by chunk)."""
    import pandas as pd

    from clamor import explorer

    location, data = demo_lake
    flt = explorer.Filter(languages=("fa", "el"))
    files = {}
    for name, store in (("team", lambda: Store(location, data_path=data)),
                        ("file", lambda: Store(demo_db))):
        opened = store()
        try:
            files[name] = tmp_path / f"{name}.parquet"
            assert explorer.export(opened, flt, "parquet", files[name]) > 20
        finally:
            opened.close()
    team, file = (pd.read_parquet(files[n]) for n in ("team", "file"))
    assert team["id"].tolist() == file["id"].tolist()
    assert team["case_id"].notna().sum() == file["case_id"].notna().sum() > 0
