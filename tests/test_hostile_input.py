"""Hostile input, case by case (issue 8): what a user can hand Clamor — an archive with a bad
line, a file that is no file, a megabyte post, NUL bytes, bidi overrides — is stored exactly
or refused with a sentence naming the place, and nothing around it is lost. The property tests
over the same paths are in tests/test_properties.py."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from clamor import cli, pipeline, queries, ui
from clamor.queries import InboxFilter
from clamor.store import Store
from collectors.base import FetchResult
from collectors.x import XCollector
from tests.conftest import page_test


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


@pytest.mark.parametrize("fmt", ["jsonl", "x", "reddit"])
def test_an_empty_or_blank_archive_imports_nothing_and_says_so(fmt, tmp_path, capsys):
    for name, content in (("empty.jsonl", b""), ("blank.jsonl", b"\n  \n\r\n")):
        path = tmp_path / name
        path.write_bytes(content)
        assert cli.main(["import", str(path), "--source", fmt, "--demo",
                         "--db", str(tmp_path / "c.duckdb")]) == 0
        assert f"{path}: 0 line(s); 0 new mention(s)" in capsys.readouterr().out


def test_an_archive_path_that_is_a_folder_gets_one_sentence(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-m", "clamor.cli", "import", str(folder),
                             "--demo", "--db", str(tmp_path / "c.duckdb")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"clamor: {folder}: is a folder")
    assert result.stderr.count("\n") == 1


# -- a collector run: hostile posts reach the inbox exactly ----------------------------------

MEGABYTE = "Aerolume lost my bag, where is my refund?? " + "still no bag, awful. " * 50_000
HOSTILE_POSTS = {  # native id: (text, author's username)
    "1001": (MEGABYTE, "megan"),
    "1002": ("Aerolume\x00 app crashed again at check-in\x00 help", "nul\x00byte"),
    "1003": ("Aerolume \u202eدنه‌دیم پس رو لوپ\u202c refund please", "\u202etxet_lrt"),
    "1004": ("Aerolume\u200b lost my bag\u200c\u200d\ufeff 😡", "zero\u200bwidth"),
}


class _HostileX:
    """An X collector whose fetch answers with the posts above and one it cannot read."""

    name, version = "x", "test"
    map_item = staticmethod(XCollector.map_item)

    def check(self) -> None:
        pass

    def fetch(self, cursor, limit=None) -> FetchResult:
        posts = [{"id": native, "text": text, "created_at": "2026-11-20T07:54:00.000Z",
                  "lang": "en", "conversation_id": native, "author_id": "9",
                  "_author": {"id": "9", "username": user,
                              "public_metrics": {"followers_count": 12}}}
                 for native, (text, user) in HOSTILE_POSTS.items()]
        posts.append({"id": "1005", "text": ["not", "text"],
                      "created_at": "2026-11-20T07:54:00.000Z"})
        return FetchResult(posts, "cursor-after-1005", query="hostile")


def test_hostile_posts_go_from_a_collector_run_to_the_inbox_byte_exact(store, config):
    """A 1 MB complaint, NUL bytes, a right-to-left override, zero-width characters — in the
    text and the author's name — pass collection, storage and the analysis pass and show in
    the inbox and the case view exactly as written; the one unreadable post is kept aside with
    its reason and costs nothing else."""
    report = pipeline.collect_once(store, _HostileX(), config)
    assert (report.status, report.inserted, report.unreadable) == ("ok", 4, 1)
    assert "X post 1005 has no text" in report.message
    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    assert pipeline.analyse_pending(store, config, now) == 4
    inbox = queries.inbox(store, InboxFilter(limit=100), now, config)
    shown = dict(zip(inbox["id"], inbox["text"], strict=True))
    for native, (text, user) in HOSTILE_POSTS.items():
        assert shown[f"x:{native}"].encode("utf-8") == text.encode("utf-8")
        mention = queries.mention(store, f"x:{native}")
        assert mention["text"] == text and mention["author"] == f"@{user}"
    big = inbox.set_index("id").loc["x:1001"]
    assert big["lang"] == "en" and big["complaint"] and big["sentiment_label"] == "negative"
    (reason, raw), = store.query_rows("SELECT reason, raw FROM unreadable_items")
    assert reason == "X post 1005 has no text" and json.loads(raw)["text"] == ["not", "text"]
    assert store.get_cursor("x") == "cursor-after-1005"


def test_the_inbox_page_shows_hostile_posts_as_written(app_env, config):
    """The same posts, opened on the inbox page (Streamlit AppTest): shown as text exactly as
    written (NUL bytes, the override), the 1 MB complaint clipped with a count of what is not
    shown (the page's choice, clamor.ui.clipped); the page raises nothing."""
    store = Store(app_env)
    try:
        pipeline.collect_once(store, _HostileX(), config)
        pipeline.analyse_pending(store, config)
    finally:
        store.close()
    for native in ("1001", "1002", "1003"):
        at = page_test("pages/inbox.py")
        at.session_state["open_mention"] = f"x:{native}"
        at.run()
        assert not at.exception, at.exception
        assert ui.clipped(HOSTILE_POSTS[native][0]) in [t.value for t in at.text]


def test_long_unique_runs_of_letters_are_not_kept_by_language_identification():
    from analysis import language

    caches = (language._word_scripts.cache, language._word_votes.cache)
    before = [cache.cache_info().currsize for cache in caches]
    # a stream of posts that are each one long run of Arabic letters, no two alike
    posts = [("ب" * 2000 + "ت" * i + "ث" * 2000) for i in range(50)]
    languages = language.detect(posts, ("en", "fa", "ar"))
    assert len(languages) == 50
    assert [cache.cache_info().currsize for cache in caches] == before
