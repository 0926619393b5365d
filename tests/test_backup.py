"""Backups: a consistent copy taken while the store is open and in use, restored with
`clamor restore`, and refused where it would lose something."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from clamor import cli, queries
from clamor.store import Store


def test_a_backup_taken_while_running_restores_to_the_same_database(demo_db, tmp_path,
                                                                     capsys):
    running = Store(demo_db)  # the dashboard's store, still open
    backup = tmp_path / "backups" / "copy.duckdb"
    running.backup(backup)
    with pytest.raises(FileExistsError):
        running.backup(backup)
    cases_before = queries.inbox_count(running)
    number = running.query_rows("SELECT nextval('case_number')")[0][0]
    running.close()

    target = tmp_path / "restored.duckdb"
    assert cli.main(["restore", str(backup), "--db", str(target), "--demo"]) == 0
    restored = Store(target)
    assert queries.inbox_count(restored) == cases_before
    # Sequences come along: the next case number is not handed out twice.
    assert restored.query_rows("SELECT nextval('case_number')")[0][0] >= number
    restored.close()
    # Restoring over a database keeps the one replaced beside it.
    assert cli.main(["restore", str(backup), "--db", str(target), "--demo"]) == 0
    assert (tmp_path / "restored.duckdb.before-restore").exists()
    capsys.readouterr()


def test_restore_refuses_a_file_that_is_not_a_backup_and_a_database_in_use(tmp_path, capsys):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database", encoding="utf-8")
    assert cli.main(["restore", str(junk), "--db", str(tmp_path / "x.duckdb"), "--demo"]) == 2
    assert "not a Clamor database backup" in capsys.readouterr().err

    held = tmp_path / "held.duckdb"
    Store(held).close()
    backup = tmp_path / "b.duckdb"
    store = Store(held)
    store.backup(backup)
    store.close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from clamor.store import Store
        s = Store({str(held)!r}); print("open", flush=True); time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert cli.main(["restore", str(backup), "--db", str(held), "--demo"]) == 2
        assert "another Clamor process" in capsys.readouterr().err
        assert cli.main(["backup", "-o", str(tmp_path / "c.duckdb"), "--db", str(held),
                         "--demo"]) == 2
    finally:
        holder.kill()
        holder.wait()


def test_a_backup_taken_while_others_write_holds_whole_transactions(demo_db, tmp_path,
                                                                     monkeypatch):
    """Writers keep writing in other threads while the file is copied: they wait for the
    copy, so the backup holds each of their transactions whole or not at all, and opens."""
    import datetime as dt
    import shutil
    import threading
    import time

    import duckdb

    from collectors.base import Mention

    def slow_copy(source, target):  # as a large file takes its time
        with open(source, "rb") as read, open(target, "wb") as out:
            while chunk := read.read(256 * 1024):
                out.write(chunk)
                time.sleep(0.002)

    monkeypatch.setattr(shutil, "copyfile", slow_copy)
    store = Store(demo_db)
    # every commit writes into the file itself (as the WAL's growth past 16 MB would)
    store.con.execute("SET checkpoint_threshold = '1KB'")
    (before,) = store.query_rows("SELECT count(*) FROM mentions")[0]
    stop = threading.Event()
    written = []

    def write(writer: str) -> None:
        n = 0
        while not stop.is_set():
            batch = [Mention(source="x", native_id=f"{writer}{n}-{i}", text="Aerolume again",
                             created_at=dt.datetime.now(dt.timezone.utc)) for i in range(10)]
            written.append(store.insert_mentions(batch, collector="t", version="1"))
            n += 1

    writers = [threading.Thread(target=write, args=(name,)) for name in "ab"]
    for thread in writers:
        thread.start()
    try:
        deadline = time.monotonic() + 60  # (a writer that failed would never get there)
        while len(written) < 5 and time.monotonic() < deadline:
            stop.wait(0.01)
        assert len(written) >= 5, "the writers are writing"
        committed = sum(written)  # before the first copy began
        copies = [store.backup(tmp_path / f"b{i}.duckdb") for i in range(3)]
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    (after,) = store.query_rows("SELECT count(*) FROM mentions")[0]
    store.close()
    assert after == before + sum(written)
    for copy in copies:
        con = duckdb.connect(str(copy), read_only=True)
        (count, texts) = con.execute(
            "SELECT count(*), sum(length(text)) FROM mentions").fetchone()
        con.close()
        assert (count - before) % 10 == 0 and before + committed <= count <= after
        assert texts > 0
    assert not list(tmp_path.glob("*.partial"))


def test_a_backup_that_fails_leaves_no_file(demo_db, tmp_path, monkeypatch):
    import shutil

    store = Store(demo_db)

    def disk_full(source, target):
        with open(target, "wb") as out:
            out.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.backup(tmp_path / "backups" / "b.duckdb")
    assert list((tmp_path / "backups").iterdir()) == []
    assert store.query_rows("SELECT count(*) FROM mentions")[0][0] > 0, "the store goes on"
    store.close()


def test_the_command_says_why_a_backup_could_not_be_written(demo_db, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup's folder should be", encoding="utf-8")
    assert cli.main(["backup", "-o", str(blocker / "b.duckdb"), "--db", str(demo_db),
                     "--demo"]) == 2
    assert "could not be written" in capsys.readouterr().err
