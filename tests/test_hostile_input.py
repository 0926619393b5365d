"""Hostile input, case by case (issue 8): what a user can hand Clamor — an archive with a bad
line, a file that is no file, a megabyte post, NUL bytes, bidi overrides — is stored exactly
or refused with a sentence naming the place, and nothing around it is lost. The property tests
over the same paths are in tests/test_properties.py."""

from __future__ import annotations

import json

from clamor import cli
from clamor.store import Store


def _line(n: int, text: str) -> bytes:
    return json.dumps({"source": "x", "native_id": str(n), "text": text, "author": "@c",
                       "created_at": "2026-11-20T10:00:00+03:30"},
                      ensure_ascii=False).encode("utf-8") + b"\n"


def _stored(db) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Texts by mention id, and (reason, kept text) of what import kept aside."""
    store = Store(db)
    try:
        texts = dict(store.query_rows("SELECT id, text FROM mentions"))
        aside = store.query_rows("SELECT reason, raw FROM unreadable_items ORDER BY reason")
    finally:
        store.close()
    return texts, [tuple(row) for row in aside]


# -- archives: one bad line costs that line only --------------------------------------------


def test_a_jsonl_line_that_is_not_utf8_is_reported_by_number_and_the_rest_imported(
        tmp_path, capsys):
    """A file pieced together from two exports, one saved as Latin-1 by a spreadsheet: the
    UTF-8 lines around the bad one are imported byte-exact; the bad line is kept aside under
    its number with its bytes visible, instead of the whole file being refused."""
    latin1 = '{"source": "x", "native_id": "2", "text": "Aerolume café", ' \
             '"created_at": "2026-11-20T10:00:00Z"}\n'.encode("latin-1")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(_line(1, "ایرولوم چمدانم کجاست؟ \u202e\x00") + latin1
                     + _line(3, "Aerolume lost my bag 🙃"))
    db = tmp_path / "c.duckdb"
    assert cli.main(["import", str(path), "--demo", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert "3 line(s); 2 new mention(s)" in captured.out and "1 unreadable" in captured.out
    assert "the first: line 2: not UTF-8 text (byte 56 is 0xe9)" in captured.err
    texts, aside = _stored(db)
    assert texts == {"x:1": "ایرولوم چمدانم کجاست؟ \u202e\x00",
                     "x:3": "Aerolume lost my bag 🙃"}
    (reason, kept), = aside
    assert reason.startswith("line 2: not UTF-8 text") and "Aerolume caf\\xe9" in kept


def test_a_byte_order_mark_does_not_cost_the_first_line(tmp_path, capsys):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _line(1, "Aerolume one") + _line(2, "Aerolume two"))
    db = tmp_path / "c.duckdb"
    assert cli.main(["import", str(path), "--demo", "--db", str(db)]) == 0
    assert "0 unreadable" in capsys.readouterr().out
    assert _stored(db)[0] == {"x:1": "Aerolume one", "x:2": "Aerolume two"}
