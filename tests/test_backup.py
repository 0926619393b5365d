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
