"""The store: idempotent bulk inserts, cursors saved atomically with their rows, one process
per file."""

import datetime as dt
import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from clamor.store import Store, StoreBusy
from collectors.base import Mention

T0 = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)


def mention(n: int, text: str = "Aerolume lost my bag") -> Mention:
    return Mention(source="x", native_id=str(n), text=text, created_at=T0,
                   author=f"@user{n}", author_followers=n, matched_terms=("Aerolume",),
                   matched_kinds=("brand",))


def count(store: Store) -> int:
    return store.query_rows("SELECT count(*) FROM mentions")[0][0]


def test_collecting_the_same_page_twice_changes_nothing(store):
    page = [mention(n) for n in range(50)]
    assert store.insert_mentions(page, collector="x", version="1", cursor="50",
                                 save_cursor=True) == 50
    before = store.query_df("SELECT * EXCLUDE (collected_at) FROM mentions ORDER BY id")
    assert store.insert_mentions(page, collector="x", version="1", cursor="50",
                                 save_cursor=True) == 0
    after = store.query_df("SELECT * EXCLUDE (collected_at) FROM mentions ORDER BY id")
    assert count(store) == 50
    assert before.equals(after)


def test_an_overlapping_page_adds_only_the_new_mentions(store):
    store.insert_mentions([mention(n) for n in range(10)], collector="x", version="1")
    assert store.insert_mentions([mention(n) for n in range(5, 15)], collector="x",
                                 version="1") == 5
    assert count(store) == 15


def test_duplicates_within_one_page_are_stored_once(store):
    assert store.insert_mentions([mention(1), mention(1), mention(2)], collector="x",
                                 version="1") == 2


def test_cursor_is_saved_with_its_rows(store):
    store.insert_mentions([mention(1)], collector="x", version="1", query="from:someone",
                          cursor="abc", save_cursor=True, cursor_query="q")
    assert store.get_cursor("x", "q") == "abc"
    assert store.get_cursor("x") is None
    assert store.query_rows("SELECT query FROM mentions") == [("from:someone",)]


def test_a_failed_insert_leaves_neither_rows_nor_cursor(store):
    store.insert_mentions([mention(1)], collector="x", version="1", cursor="first",
                          save_cursor=True)
    # A mention the database refuses (text NOT NULL): Mention itself would refuse to be made
    # without a text, so one is broken after the fact to fail inside the transaction.
    broken = Mention(source="x", native_id="bad", text="", created_at=T0)
    object.__setattr__(broken, "text", None)
    with pytest.raises(duckdb.ConstraintException):
        store.insert_mentions([mention(2), broken], collector="x", version="1",
                              cursor="second", save_cursor=True)
    assert store.get_cursor("x") == "first"
    assert count(store) == 1


def test_text_is_stored_exactly_even_when_huge_or_hostile(store):
    huge = "Aerolume " + "ж" * 1_000_000
    hostile = "<script>alert(1)</script> **Aerolume** [x](javascript:alert(1))\u2028 ok"
    store.insert_mentions([mention(1, huge), mention(2, hostile)], collector="x", version="1")
    texts = dict(store.query_rows("SELECT native_id, text FROM mentions"))
    assert texts["1"] == huge and texts["2"] == hostile


def test_migrations_run_once(store, tmp_path):
    store.close()
    again = Store(tmp_path / "clamor.duckdb")
    versions = again.query_rows("SELECT version FROM schema_migrations")
    assert versions == [(v,) for v in range(1, 17)]
    again.close()


def test_a_killed_process_leaves_a_database_that_opens(tmp_path):
    """A crash (kill -9, power cut) right after the first start must not lose the file:
    DuckDB replays its write-ahead log on the next open."""
    path = tmp_path / "crashed.duckdb"
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os
        from clamor.store import Store
        store = Store({str(path)!r})
        with store.transaction() as con:
            con.execute("INSERT INTO source_pauses VALUES ('x', 'Tom', now())")
        os._exit(0)  # no close, no checkpoint: the last write is only in the WAL
        """)], check=True)
    again = Store(path)
    assert again.query_rows("SELECT paused_by FROM source_pauses") == [("Tom",)]
    again.close()


def test_a_second_process_gets_a_clear_sentence(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusy, match="open in another Clamor process"):
            Store(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_mention_analysed_twice_is_refused_whole_and_counted_once(store, config):
    from clamor import pipeline

    store.insert_mentions([mention(1), mention(2)], collector="x", version="t")
    batch = store.pending_analysis(10)
    store.save_analysis(pipeline.analyse(batch, config.watchlist.languages, T0))
    again = pipeline.analyse(batch, config.watchlist.languages, T0)
    with pytest.raises(duckdb.ConstraintException):
        store.save_analysis(again)  # its hourly counts and words would count it twice
    assert store.query_rows("SELECT count(*) FROM analysis") == [(2,)]
    assert store.query_rows("SELECT sum(mentions) FROM hourly_mentions") == [(2,)]


def test_the_dashboard_keeps_duckdb_to_its_memory_limit(tmp_path, monkeypatch):
    """The dashboard's process opens the store with a memory limit (DuckDB's default is
    80 % of the machine's memory, and its cache of the store's blocks grows to it); a limit
    that is no size is a sentence, not a traceback, wherever it is given."""
    from clamor import cli, runtime
    from clamor.config import ConfigError
    from clamor.store import DASHBOARD_MEMORY_LIMIT, memory_limit

    def limit_mb(store) -> float:
        (text,) = store.query_rows("SELECT current_setting('memory_limit')")[0]
        number, unit = text.split()
        return float(number) * {"MiB": 1, "GiB": 1024}[unit]

    store = Store(tmp_path / "a.duckdb", memory="256MB")
    assert 240 <= limit_mb(store) <= 256
    # and within it, memory a query frees in large pieces goes back to the system at once
    (flush,) = store.query_rows(
        "SELECT current_setting('allocator_bulk_deallocation_flush_threshold')")[0]
    assert flush == "16.0 MiB"
    store.close()
    assert memory_limit(DASHBOARD_MEMORY_LIMIT) == "512MB"

    monkeypatch.setenv("CLAMOR_DB", str(tmp_path / "b.duckdb"))
    monkeypatch.setenv("CLAMOR_DEMO", "1")
    monkeypatch.delenv("CLAMOR_CONFIG", raising=False)
    monkeypatch.delenv("CLAMOR_MEMORY_LIMIT", raising=False)
    loaded = runtime.load(start_scheduler=False)
    assert 480 <= limit_mb(loaded.store) <= 512
    loaded.store.close()
    monkeypatch.setenv("CLAMOR_MEMORY_LIMIT", "1.5GB")
    loaded = runtime.load(start_scheduler=False)
    assert 1300 <= limit_mb(loaded.store) <= 1536  # (DuckDB shows "1.3 GiB")
    loaded.store.close()

    for bad, why in (("lots", "is not a size"), ("512", "is not a size"),
                     ("-1GB", "is not a size"), ("1GB; DROP TABLE mentions", "is not a size"),
                     ("64KB", "too small: give DuckDB at least 128MB"),
                     ("100MiB", "too small"), ("0.1GB", "too small")):
        with pytest.raises(ValueError, match=why):
            Store(tmp_path / "c.duckdb", memory=bad)
        monkeypatch.setenv("CLAMOR_MEMORY_LIMIT", bad)
        with pytest.raises(ConfigError, match=f"CLAMOR_MEMORY_LIMIT: memory limit .*{why}"):
            runtime.load(start_scheduler=False)
    monkeypatch.delenv("CLAMOR_MEMORY_LIMIT")
    with pytest.raises(cli.UserError, match="--memory-limit: memory limit 'lots'"):
        cli.cmd_run(cli.build_parser().parse_args(
            ["run", "--db", str(tmp_path / "d.duckdb"), "--memory-limit", "lots"]))


def test_hours_are_utc_hours_on_a_machine_in_another_zone(tmp_path):
    """On a server set to Tehran time (+03:30) the analysis pass still counts mentions by UTC
    hour (and quarter of it), and times come back in UTC: DuckDB would otherwise work in
    the machine's zone, and an hour's count began at :30 UTC."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import datetime as dt
        from clamor import pipeline
        from clamor.config import DEMO_CONFIG, load_config
        from clamor.store import Store
        from collectors.base import Mention
        store = Store({str(tmp_path / "tehran.duckdb")!r})
        at = dt.datetime(2026, 11, 27, 10, 20, tzinfo=dt.timezone.utc)
        store.insert_mentions([Mention(source="x", native_id="1", text="Aerolume is late",
                                       created_at=at)], collector="t", version="1")
        pipeline.analyse_pending(store, load_config(DEMO_CONFIG), file=False)
        print(store.query_rows("SELECT current_setting('TimeZone'), hour, q1 "
                               "FROM hourly_mentions")[0])
    """)], env={**os.environ, "TZ": "Asia/Tehran"}, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "('UTC', datetime.datetime(2026, 11, 27, 10, 0, tzinfo=<UTC>), 1)" in done.stdout, \
        done.stdout


def test_hourly_counts_made_again_survive_a_crash_and_keep_their_keys(tmp_path, config):
    """rebuild_hourly makes the hourly tables again (emptying a keyed table row by row is
    slow): a process killed right after it leaves the same counts, from the write-ahead log,
    and tables as they were made, keys and defaults included."""
    from clamor import pipeline

    path = tmp_path / "rebuilt.duckdb"
    store = Store(path)
    store.insert_mentions(
        [Mention(source="x", native_id=str(n), text=text, created_at=T0 + dt.timedelta(
            minutes=17 * n), matched_terms=("Aerolume",), matched_kinds=("brand",))
         for n, text in enumerate(["Aerolume lost my bag", "Love Aerolume", "Aerolume late"]
                                  * 5)], collector="x", version="t")
    pipeline.analyse_pending(store, config, file=False)
    tables = Store._HOURLY_TABLES
    counts = {t: store.query_rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    made = store.query_rows("SELECT table_name, sql FROM duckdb_tables() "
                            "WHERE table_name LIKE 'hourly%' ORDER BY ALL")
    store.close()
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os
        from clamor.store import Store
        store = Store({str(path)!r})
        store.rebuild_hourly()
        os._exit(0)  # no close, no checkpoint
        """)], check=True)
    again = Store(path)
    try:
        assert {t: again.query_rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables} \
            == counts
        assert again.query_rows("SELECT table_name, sql FROM duckdb_tables() "
                                "WHERE table_name LIKE 'hourly%' ORDER BY ALL") == made
        with pytest.raises(duckdb.ConstraintException):
            again.con.execute("INSERT INTO hourly_mentions SELECT * FROM hourly_mentions LIMIT 1")
    finally:
        again.close()
