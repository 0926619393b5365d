"""The `clamor` command: import/export round-trip the text byte-exact; every command has help;
problems end in one sentence."""

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from clamor import cli


def clamor(*args):
    return subprocess.run([sys.executable, "-m", "clamor.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_help_says_what_each_command_does():
    result = clamor("--help")
    assert result.returncode == 0
    for command in ("run", "collect", "import", "export", "doctor", "eval", "status"):
        assert command in result.stdout
        sub = clamor(command, "--help")
        assert sub.returncode == 0 and "--db" in sub.stdout and "--config" in sub.stdout


def test_export_then_import_reproduces_the_same_file(demo_db, tmp_path, capsys):
    first = tmp_path / "first.jsonl"
    assert cli.main(["export", "--demo", "--db", str(demo_db), "--format", "jsonl",
                     "-o", str(first)]) == 0
    fresh = tmp_path / "fresh.duckdb"
    assert cli.main(["import", str(first), "--source", "jsonl", "--demo",
                     "--db", str(fresh)]) == 0
    second = tmp_path / "second.jsonl"
    assert cli.main(["export", "--demo", "--db", str(fresh), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    out = capsys.readouterr().out
    assert "0 already stored" in out
    # Importing the same file again adds nothing.
    assert cli.main(["import", str(first), "--demo", "--db", str(fresh)]) == 0
    assert "0 new mention(s)" in capsys.readouterr().out


def test_hard_texts_survive_the_round_trip_byte_exact(tmp_path, capsys):
    texts = [
        "Aerolume " + "ж" * 1_000_000,                       # a 1 MB post
        "Aerolume <script>alert(1)</script> **bold** [x](javascript:alert(1))",
        "Aerolume line one\r\nline two\u2028line three\x85 \u200f\u200c tab\t end ",
        "ایرولوم\u200cها چرا جواب نمی‌دین؟ 🙏🏽",
    ]
    source = tmp_path / "in.jsonl"
    with open(source, "w", encoding="utf-8") as out:
        for n, text in enumerate(texts):
            out.write(json.dumps({
                "id": f"x:{n}", "source": "x", "native_id": str(n), "url": None,
                "author": "@c", "author_followers": 0, "text": text,
                "created_at": "2026-11-20T10:00:00+03:30"}, ensure_ascii=False) + "\n")
        out.write("this line is not JSON\n")
        out.write('{"source": "x", "text": "Aerolume no id or time"}\n')
    db = tmp_path / "c.duckdb"
    assert cli.main(["import", str(source), "--demo", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "4 new mention(s)" in captured.out and "2 unreadable" in captured.out
    assert "line 5: not a JSON object" in captured.err
    for fmt in ("jsonl", "csv", "parquet"):
        target = tmp_path / f"out.{fmt}"
        assert cli.main(["export", "--demo", "--db", str(db), "--format", fmt,
                         "-o", str(target)]) == 0
    exported = [json.loads(line) for line in
                (tmp_path / "out.jsonl").read_text(encoding="utf-8").split("\n") if line]
    assert [row["text"] for row in exported] == texts
    assert exported[0]["created_at"] == "2026-11-20T06:30:00+00:00"
    assert pd.read_parquet(tmp_path / "out.parquet")["text"].tolist() == texts
    csv = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert csv["text"].tolist()[0] == texts[0] and csv["text"].tolist()[3] == texts[3]


def test_collect_once_then_status(tmp_path):
    db = tmp_path / "s.duckdb"
    result = clamor("collect", "--once", "--demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "demo: ok" in result.stdout
    assert "X_BEARER_TOKEN is not set" not in result.stdout  # x is off in the demo config
    status = clamor("status", "--demo", "--db", str(db))
    assert status.returncode == 0
    assert "Demo stream: running" in status.stdout and "unanswered now" in status.stdout


def test_missing_import_file_and_busy_database(tmp_path):
    result = clamor("import", str(tmp_path / "nope.jsonl"), "--demo",
                    "--db", str(tmp_path / "a.duckdb"))
    assert result.returncode == 2 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["xml"])
def test_unknown_export_format_is_refused_by_the_parser(fmt, tmp_path):
    result = clamor("export", "--format", fmt, "-o", str(tmp_path / "x"))
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_an_import_line_with_a_strange_source_name_is_kept_aside(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"source": "**x**", "native_id": "1", "text": "Aerolume",
                                  "created_at": "2026-11-20T10:00:00Z"}) + "\n", encoding="utf-8")
    assert cli.main(["import", str(source), "--demo", "--db", str(tmp_path / "d.duckdb")]) == 0
    assert "is not a short name" in capsys.readouterr().err


@pytest.mark.parametrize("fmt, archive", [
    ("x", "tests/cassettes/x/archive_twarc2.jsonl"),
    ("reddit", "tests/cassettes/reddit/archive.jsonl"),
])
def test_archives_survive_import_then_export(fmt, archive, tmp_path, capsys):
    """Ids, texts, times, authors and reply references come out as the collector read them."""
    from pathlib import Path

    from clamor import sources

    path = Path(__file__).resolve().parent.parent / archive
    reader, map_item, _ = sources.archive_format(fmt)
    expected = {}
    for line in reader(str(path)):
        for raw in line.items:
            try:
                m = map_item(raw)
            except ValueError:
                continue
            expected[m.id] = m
    assert expected
    db = tmp_path / "a.duckdb"
    assert cli.main(["import", str(path), "--source", fmt, "--demo", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "line " in out.err, "the archive's bad lines are reported by number"
    target = tmp_path / "out.jsonl"
    assert cli.main(["export", "--demo", "--db", str(db), "-o", str(target)]) == 0
    rows = {r["id"]: r for r in map(json.loads, target.read_text("utf-8").splitlines())}
    assert set(rows) == set(expected), "every readable item is kept, matched or not"
    for mention_id, m in expected.items():
        row = rows[mention_id]
        assert row["text"] == m.text
        assert row["author"] == m.author
        assert row["created_at"] == m.created_at.astimezone(dt.timezone.utc).isoformat()
        assert row["in_reply_to"] == (f"{m.source}:{m.in_reply_to}" if m.in_reply_to else None)


def test_export_with_the_explorers_filters(demo_db, tmp_path, capsys):
    from clamor import explorer
    from clamor.explorer import Filter
    from clamor.store import Store

    out = tmp_path / "refunds.parquet"
    assert cli.main(["export", "--demo", "--db", str(demo_db), "--format", "parquet",
                     "-o", str(out), "--search", "refund", "--lang", "en", "--lang", "fa",
                     "--since", "2000-01-01"]) == 0
    store = Store(demo_db)
    try:
        flt = Filter(text="refund", languages=("en", "fa"),
                     since=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        expected = explorer.count(store, flt)
        explorer.save_search(store, "Nadia Karimi", "complaints", Filter(complaint=True))
        complaints = explorer.count(store, Filter(complaint=True))
    finally:
        store.close()
    frame = pd.read_parquet(out)
    assert len(frame) == expected > 0 and set(frame["lang"]) <= {"en", "fa"}
    assert f"wrote {expected} mention(s)" in capsys.readouterr().out

    saved = tmp_path / "saved.csv"
    assert cli.main(["export", "--demo", "--db", str(demo_db), "--format", "csv", "-o",
                     str(saved), "--saved", "complaints", "--owner", "Nadia Karimi"]) == 0
    assert len(pd.read_csv(saved)) == complaints

    assert cli.main(["export", "--demo", "--db", str(demo_db), "-o", str(tmp_path / "x"),
                     "--search", "refund"]) == 2
    assert "filters export csv or parquet" in capsys.readouterr().err
    assert cli.main(["export", "--demo", "--db", str(demo_db), "--format", "csv", "-o",
                     str(tmp_path / "x"), "--since", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert cli.main(["export", "--demo", "--db", str(demo_db), "--format", "csv", "-o",
                     str(tmp_path / "x"), "--saved", "nope", "--owner", "Nadia Karimi"]) == 2
    assert "no saved search named 'nope'" in capsys.readouterr().err


def test_maintain_re_sorts_the_search_index(demo_db, capsys):
    assert cli.main(["maintain", "--demo", "--db", str(demo_db)]) == 0
    assert "search index re-sorted" in capsys.readouterr().out
