"""An archive is imported IMPORT_BATCH items at a time: what is stored and what the report
says do not depend on the batch, and an import stopped half-way keeps what it stored, so
running it again adds only the rest."""

import dataclasses
import json

import pytest

from clamor import pipeline, sources


def write_archive(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def post(n, text="Aerolume lost my bag", **extra):
    return json.dumps({"source": "x", "native_id": str(n), "author": f"@c{n}",
                       "text": text, "created_at": f"2026-11-20T10:{n:02d}:00Z", **extra})


LINES = [post(1), post(2, "the weather is fine"),  # a post naming no term
         "this line is not JSON", post(3),
         post(4, "same here", in_reply_to="x:1"),  # a reply within the archive: in a thread
         post(1),  # the same post again
         '{"source": "x", "text": "no id or time"}', post(5), post(6, "nothing to see"),
         post(7)]


def stored(store):
    return store.query_rows("SELECT id, text, created_at FROM mentions ORDER BY id")


def run(store, config, path, progress=None):
    reader, map_item, version = sources.archive_format("jsonl")
    return pipeline.import_archive(store, str(path), config, source="jsonl", reader=reader,
                                   map_item=map_item, version=version, progress=progress)


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_the_same_mentions_and_report_whatever_the_batch(store, config, tmp_path,
                                                         monkeypatch, batch):
    path = write_archive(tmp_path / "a.jsonl", LINES)
    monkeypatch.setattr(pipeline, "IMPORT_BATCH", batch)
    read = []
    report = run(store, config, path, read.append)
    # the same post twice is stored once; the reply is no unmatched post, being in a thread
    assert dataclasses.asdict(report) == {
        "lines": 10, "inserted": 7, "already_stored": 1, "unreadable": 2, "unmatched": 2,
        "first_problem": report.first_problem}
    assert report.first_problem.startswith("line 3:")
    assert [r[0] for r in stored(store)] == [f"x:{n}" for n in range(1, 8)]
    (kept_aside,) = store.query_rows("SELECT count(*) FROM unreadable_items")[0]
    assert kept_aside == 2
    assert read == sorted(read) and read[-1] == 10, "progress after every batch, by lines"
    if batch == 1:
        assert len(read) > 5


def test_an_import_stopped_half_way_keeps_what_it_stored(store, config, tmp_path,
                                                         monkeypatch):
    path = write_archive(tmp_path / "a.jsonl", LINES)
    monkeypatch.setattr(pipeline, "IMPORT_BATCH", 2)
    reader, map_item, version = sources.archive_format("jsonl")

    def stops_at_line_8(name):
        for line in reader(name):
            if line.number == 8:
                raise KeyboardInterrupt
            yield line

    with pytest.raises(KeyboardInterrupt):
        pipeline.import_archive(store, str(path), config, source="jsonl",
                                reader=stops_at_line_8, map_item=map_item, version=version)
    before = [r[0] for r in stored(store)]
    assert before and len(before) < 7
    again = run(store, config, path)
    assert again.inserted == 7 - len(before) and again.already_stored == len(before) + 1
    assert [r[0] for r in stored(store)] == [f"x:{n}" for n in range(1, 8)]
