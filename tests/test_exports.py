"""The whole-history export (`clamor export` without filters) is read and written in
batches: the files do not depend on the batch size, and a missing number or flag reads the
same in every batch."""

import datetime as dt
import json

import pandas as pd
import pytest

from clamor import exports, pipeline
from collectors.base import Mention


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_the_file_is_the_same_whatever_the_batch(demo_store, tmp_path, monkeypatch, fmt):
    seen = []
    whole = exports.export(demo_store, fmt, tmp_path / f"whole.{fmt}")
    monkeypatch.setattr(exports, "BATCH", 7)
    batched = exports.export(demo_store, fmt, tmp_path / f"batched.{fmt}",
                             lambda done, total: seen.append((done, total)))
    (total,) = demo_store.query_rows("SELECT count(*) FROM mentions")[0]
    assert whole == batched == total > 7 * 10
    assert seen == [(min(done, total), total) for done in range(7, total + 7, 7)]
    if fmt == "parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"whole.{fmt}"),
                                      pd.read_parquet(tmp_path / f"batched.{fmt}"))
    else:
        assert (tmp_path / f"whole.{fmt}").read_bytes() == \
            (tmp_path / f"batched.{fmt}").read_bytes()


def test_missing_followers_and_analysis_read_the_same_in_every_batch(store, config, tmp_path,
                                                                    monkeypatch):
    """A feed item has no followers and a mention not analysed yet no sentiment: in CSV the
    others keep whole numbers ("842", not "842.0") whichever batch they fall in."""
    at = dt.datetime(2026, 11, 20, 8, tzinfo=dt.timezone.utc)
    posts = [Mention(source="x" if n % 3 else "web", native_id=str(n), text=f"Aerolume {n}",
                     created_at=at + dt.timedelta(minutes=n), author=f"@a{n}",
                     author_followers=None if n % 3 == 0 else 840 + n,
                     matched_terms=("Aerolume",), matched_kinds=("brand",))
             for n in range(12)]
    store.insert_mentions(posts, collector="t", version="1")
    pipeline.analyse_pending(store, config)
    store.insert_mentions([Mention(source="x", native_id="late", text="Aerolume late",
                                   created_at=at + dt.timedelta(hours=1), author="@late",
                                   author_followers=5)], collector="t", version="1")
    monkeypatch.setattr(exports, "BATCH", 4)
    exports.export(store, "csv", tmp_path / "out.csv")
    exports.export(store, "jsonl", tmp_path / "out.jsonl")
    lines = (tmp_path / "out.csv").read_text("utf-8").splitlines()
    header = lines[0].split(",")
    assert lines.count(lines[0]) == 1, "one header"
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert [r["author_followers"] for r in rows] == \
        ["" if n % 3 == 0 else str(840 + n) for n in range(12)] + ["5"]
    assert rows[-1]["sentiment"] == rows[-1]["complaint"] == "", "not analysed yet"
    assert {r["complaint"] for r in rows[:-1]} <= {"True", "False"}
    assert rows[0]["matched_terms"] == '"[""Aerolume""]"'
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["author_followers"] for r in records] == \
        [None if n % 3 == 0 else 840 + n for n in range(12)] + [5]
    assert records[-1]["sentiment"] is None and records[0]["matched_terms"] == ["Aerolume"]


def test_an_empty_store_exports_an_empty_file_with_its_header(store, tmp_path):
    assert exports.export(store, "csv", tmp_path / "out.csv") == 0
    assert (tmp_path / "out.csv").read_text("utf-8").startswith("id,source,native_id,")
    assert exports.export(store, "jsonl", tmp_path / "out.jsonl") == 0
    assert (tmp_path / "out.jsonl").read_text("utf-8") == ""
    assert exports.export(store, "parquet", tmp_path / "out.parquet") == 0
    assert list(pd.read_parquet(tmp_path / "out.parquet").columns)[:2] == ["id", "source"]


def test_the_command_sorts_within_its_memory_limit_and_refuses_a_size_it_cannot_read(
        demo_db, tmp_path, capsys):
    from clamor import cli

    out = tmp_path / "out.jsonl"
    assert cli.main(["export", "--demo", "--db", str(demo_db), "-o", str(out),
                     "--memory-limit", "256MB"]) == 0
    captured = capsys.readouterr()
    assert "mentions written" in captured.err and "wrote " in captured.out
    assert cli.main(["export", "--demo", "--db", str(demo_db), "-o", str(out),
                     "--memory-limit", "lots"]) == 2
    assert "--memory-limit: memory limit 'lots' is not a size" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_times_read_as_python_writes_them(store, config, tmp_path, fmt):
    """JSONL and CSV times are written by DuckDB as datetime.isoformat() writes the stored
    moment: fractions of a second only where there are any, before 1970 too."""
    moments = [dt.datetime(2026, 11, 20, 8, 0, 0, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 11, 20, 8, 0, 7, 120, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=dt.timezone.utc),
               dt.datetime(1969, 12, 31, 23, 59, 58, 500000, tzinfo=dt.timezone.utc),
               dt.datetime(1969, 12, 31, 23, 59, 58, tzinfo=dt.timezone.utc)]
    posts = [Mention(source="x", native_id=str(n), text=f"Aerolume {n}", created_at=at,
                     author=f"@a{n}") for n, at in enumerate(moments)]
    store.insert_mentions(posts, collector="test", version="t")
    pipeline.analyse_pending(store, config)
    path = tmp_path / f"out.{fmt}"
    exports.export(store, fmt, path)
    if fmt == "jsonl":
        written = [json.loads(line)["created_at"] for line in path.read_text().splitlines()]
    else:
        written = pd.read_csv(path, dtype=str)["created_at"].tolist()
    assert written == [at.isoformat() for at in sorted(moments)]


HOSTILE = {"text": '=HYPERLINK("http://evil.example","Aerolume refund")',
           "author": "@SUM(1+1)", "native_id": "-2+3", "url": "\t=cmd|' /C calc'!A0"}


def test_a_csv_never_holds_a_cell_a_spreadsheet_would_run_and_the_others_keep_it(
        store, tmp_path):
    """CSV is for spreadsheets: a cell of anyone's words that starts with = + - @ (or a tab
    or carriage return) gets a ' in front, as the explorer's filtered CSV does; JSONL (read
    back by `clamor import`) and Parquet keep every text exactly."""
    store.insert_mentions([Mention(
        source="web", created_at=dt.datetime(2026, 11, 20, 8, tzinfo=dt.timezone.utc),
        matched_terms=("Aerolume",), matched_kinds=("brand",), **HOSTILE)],
        collector="t", version="1")
    exports.export(store, "csv", tmp_path / "out.csv")
    row = pd.read_csv(tmp_path / "out.csv", dtype=str).iloc[0]
    assert {name: row[name] for name in HOSTILE} == \
        {name: "'" + value for name, value in HOSTILE.items()}
    assert row["id"] == "web:-2+3"  # (ids start with their source: nothing to guard)
    exports.export(store, "jsonl", tmp_path / "out.jsonl")
    (record,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {name: record[name] for name in HOSTILE} == HOSTILE
    exports.export(store, "parquet", tmp_path / "out.parquet")
    kept = pd.read_parquet(tmp_path / "out.parquet").iloc[0]
    assert {name: kept[name] for name in HOSTILE} == HOSTILE
