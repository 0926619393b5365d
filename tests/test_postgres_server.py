"""The real-PostgreSQL test harness (tests/postgres_server.py, fixtures in
tests/conftest_postgres.py): a throwaway server starts, keeps data, gives separate
databases, really stops, says why it cannot run where it cannot, and DuckDB's postgres
extension (from the PyPI wheel, never the network) can attach it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import psycopg
import pytest

from tests import postgres_server as pgs
from tests.postgres_server import PostgresError, PostgresServer, available, port_open


def test_server_keeps_a_table(postgres_server):
    assert postgres_server.conninfo == (f"dbname=clamor host=127.0.0.1 "
                                        f"port={postgres_server.port} user={postgres_server.user}")
    with psycopg.connect(postgres_server.conninfo) as conn:
        conn.execute("CREATE TABLE harness_check (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO harness_check VALUES (1, 'ναι'), (2, 'ใช่')")
        conn.commit()
    with psycopg.connect(postgres_server.conninfo) as conn:
        rows = conn.execute("SELECT id, body FROM harness_check ORDER BY id").fetchall()
        assert rows == [(1, "ναι"), (2, "ใช่")]
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert conn.execute("SHOW max_connections").fetchone() == ("100",)
        conn.execute("DROP TABLE harness_check")
        conn.commit()


def test_server_runs_unprivileged(postgres_server):
    """PostgreSQL refuses root: as root the server runs as the `postgres` system user."""
    status = Path(f"/proc/{postgres_server._process.pid}/status").read_text()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    assert uid != 0
    if os.geteuid() == 0:
        assert postgres_server.user == "postgres"
    # the unix socket lives in the server's own temporary directory
    assert list(postgres_server.socket_dir.glob(".s.PGSQL.*"))


def test_second_database_is_separate(postgres_server, postgres_db):
    assert "dbname=test_" in postgres_db
    with psycopg.connect(postgres_db) as conn:
        conn.execute("CREATE TABLE only_here (x int)")
        conn.commit()
    other = postgres_server.new_database("harness_other")
    try:
        with psycopg.connect(other) as conn:
            found = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'")
            assert found.fetchone() == (0,)
            assert conn.execute("SELECT current_database()").fetchone() == ("harness_other",)
    finally:
        postgres_server.drop_database("harness_other")
    with psycopg.connect(postgres_server.conninfo_for("postgres")) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert "harness_other" not in names


def test_each_test_gets_a_fresh_database(postgres_db):
    with psycopg.connect(postgres_db) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)


def test_drop_database_closes_open_connections(postgres_server):
    conninfo = postgres_server.new_database("harness_busy")
    conn = psycopg.connect(conninfo)
    try:
        postgres_server.drop_database("harness_busy")
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()


def test_database_names_are_checked(postgres_server):
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        postgres_server.new_database('x"; DROP DATABASE clamor; --')


def test_stop_really_stops():
    reason = available()
    if reason:
        pytest.skip(reason)
    with PostgresServer("stopping") as server:
        port, process, base = server.port, server._process, server.base_dir
        assert port_open(port)
        with psycopg.connect(server.conninfo) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("stopping",)
        server.stop()
        assert process.poll() is not None       # the postmaster has exited
        assert not port_open(port)              # nothing listens on the port any more
        assert not base.exists()                # data, socket and log are gone
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.conninfo, connect_timeout=2)
        server.stop()                           # a second stop (and __exit__) is harmless
    assert server.stopped


def test_a_server_that_cannot_start_says_why_with_its_log():
    reason = available()
    if reason:
        pytest.skip(reason)
    with pytest.raises(PostgresError) as failed:
        PostgresServer(settings={"max_connections": "lots"})
    message = str(failed.value)
    assert "exited" in message
    assert "max_connections" in message         # the server log's tail is in the message


def test_unavailable_reason_is_a_sentence(tmp_path, monkeypatch):
    reason = available(bindir=tmp_path)         # a directory without the binaries
    assert reason is not None
    assert reason[0].isupper() and reason.endswith(".")
    assert "initdb" in reason and str(tmp_path) in reason

    monkeypatch.setattr(pgs, "find_bindir", lambda: None)   # nowhere on this machine
    reason = available()
    assert reason is not None
    assert reason[0].isupper() and reason.endswith(".")
    assert "postgresql" in reason


def test_duckdb_postgres_extension_attaches_it(postgres_db, tmp_path):
    """DuckDB's postgres extension, installed from the file in the PyPI wheel (never from
    the network), attaches the test server and reads a row."""
    import duckdb_extension_postgres

    extension = (Path(duckdb_extension_postgres.__file__).parent / "extensions"
                 / f"v{duckdb.__version__}" / "postgres.duckdb_extension")
    assert extension.is_file(), extension
    with psycopg.connect(postgres_db) as conn:
        conn.execute("CREATE TABLE greeting (id int, body text)")
        conn.execute("INSERT INTO greeting VALUES (7, 'hello from postgres')")
        conn.commit()

    db = duckdb.connect(config={"extension_directory": str(tmp_path / "extensions"),
                                "autoinstall_known_extensions": False,
                                "autoload_known_extensions": False})
    try:
        db.execute(f"INSTALL '{extension}'")
        db.execute("LOAD postgres")
        db.execute(f"ATTACH '{postgres_db}' AS pg (TYPE postgres)")
        assert db.execute("SELECT id, body FROM pg.public.greeting").fetchall() == [
            (7, "hello from postgres")]
    finally:
        db.close()
