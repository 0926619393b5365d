"""Nothing lost: a real child process collects, analyses and files pages of mentions and is
killed with SIGKILL at random moments, then started again, until it has read them all. No
mention is lost or stored twice, the cursor matches the stored rows, and every mention is
analysed and filed exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from clamor import queries
from clamor.store import Store

PAGES = 100
PER_PAGE = 50

CHILD = textwrap.dedent("""
    import datetime as dt, json, sys
    from clamor import pipeline
    from clamor.config import DEMO_CONFIG, load_config
    from clamor.store import Store
    from collectors.base import FetchResult, Mention

    db, stream = sys.argv[1], sys.argv[2]
    pages = json.loads(open(stream, encoding="utf-8").read())

    class Pages:
        '''A source that hands out one recorded page per fetch; the cursor is the page
        number to read next.'''
        name, version = "pages", "1"

        def check(self):
            pass

        def fetch(self, cursor, limit=None):
            at = int(cursor or 0)
            if at >= len(pages):
                return FetchResult([], next_cursor=str(at), query="pages")
            return FetchResult(pages[at], next_cursor=str(at + 1), query="pages")

        @staticmethod
        def map_item(raw):
            return Mention(source="x", native_id=raw["id"], text=raw["text"],
                           author=raw["author"], created_at=dt.datetime.fromisoformat(raw["at"]),
                           in_reply_to=raw.get("reply_to"), conversation_id=raw.get("thread"))

    config = load_config(DEMO_CONFIG)
    store = Store(db)
    source = Pages()
    while int(store.get_cursor("pages") or 0) < len(pages):
        pipeline.collect_once(store, source, config)
        pipeline.analyse_pending(store, config)
        print("page", store.get_cursor("pages"), flush=True)
    pipeline.analyse_pending(store, config)
    print("done", flush=True)
""")


def make_pages(path) -> set[str]:
    rng = random.Random(3)
    pages, ids = [], set()
    for p in range(PAGES):
        page = []
        for i in range(PER_PAGE):
            n = p * PER_PAGE + i
            author = f"@c{rng.randrange(300)}"
            item = {"id": str(n), "author": author,
                    "text": f"Aerolume bag {n} still missing, anyone? {'🙁' * (n % 3)}",
                    "at": f"2026-11-{10 + n // 1000:02d}T{(n // 60) % 24:02d}:"
                          f"{n % 60:02d}:00+00:00"}
            if n % 7 == 0 and n:
                item["reply_to"] = str(n - 1)
                item["thread"] = str(n - 1)
            page.append(item)
            ids.add(f"x:{n}")
        pages.append(page)
    path.write_text(json.dumps(pages), encoding="utf-8")
    return ids


def test_killing_the_collector_at_random_moments_loses_and_doubles_nothing(tmp_path):
    stream = tmp_path / "pages.json"
    expected = make_pages(stream)
    db = tmp_path / "crash.duckdb"
    rng = random.Random(11)
    kills = 0
    # Killed after 1.2-2.5 s (imports take ~1 s, then it works), up to 40 times; then, if
    # it has not finished (on a machine busy with other tests its imports alone may take
    # that long), once left to finish.
    for last in [False] * 40 + [True]:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(stream)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            child.wait(timeout=300 if last else rng.uniform(1.2, 2.5))
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            assert not last, "the child never finished all pages"
            kills += 1
            continue
        out, err = child.communicate()
        assert child.returncode == 0, err
        if "done" in out:
            break
        assert not last, "the child never finished all pages"
    assert kills >= 3, "the test killed the child too rarely to prove anything"

    time.sleep(0.1)
    store = Store(db)
    stored = {r[0] for r in store.query_rows("SELECT id FROM mentions")}
    assert stored == expected, "a mention was lost"
    assert store.query_rows("SELECT count(*) FROM mentions")[0][0] == len(expected)
    assert store.get_cursor("pages") == str(PAGES)
    assert queries.pending_analysis_count(store) == 0
    assert queries.unfiled_count(store) == 0
    filed = store.query_rows("SELECT count(*), count(DISTINCT mention_id) FROM case_mentions")
    assert filed[0][0] == filed[0][1] == len(expected)
    # Each case's summary agrees with the messages filed in it.
    assert store.query_rows(
        "SELECT count(*) FROM cases c WHERE messages <> (SELECT count(*) FROM case_mentions f "
        "WHERE f.case_id = c.id AND f.role = 'customer')")[0][0] == 0
    store.close()
