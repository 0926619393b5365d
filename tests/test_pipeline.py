"""Collection runs through the contract: faults are recorded in plain words, never advance
the cursor, never stop other sources; unreadable items are kept aside."""

import datetime as dt
import json

import pytest

from clamor import cases, pipeline
from collectors.base import FetchResult, Mention, NotConfigured, UnreadableItem
from tests.conftest import COMPLAINT_TIMES_OFF

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


class PageSource:
    """A collector over pages given by the test; a page may be an exception to raise."""

    name = "pages"
    version = "t"

    def __init__(self, *pages):
        self.pages = list(pages)
        self.cursors = []

    def check(self):
        pass

    def fetch(self, cursor, limit=None):
        self.cursors.append(cursor)
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return FetchResult(page, next_cursor=str(len(self.cursors)), query="test")

    @staticmethod
    def map_item(raw):
        if "text" not in raw:
            raise UnreadableItem("no text")
        return Mention(source="x", native_id=raw["id"], text=raw["text"], created_at=T0,
                       author=raw.get("author"), in_reply_to=raw.get("in_reply_to"))


def runs(store):
    return store.query_df("SELECT * FROM collector_runs ORDER BY id")


def test_a_failing_fetch_is_recorded_and_the_cursor_stays(store, config):
    source = PageSource([{"id": "1", "text": "Aerolume lost my bag"}],
                        TimeoutError("the read timed out"),
                        [{"id": "2", "text": "Aerolume again"}])
    assert pipeline.collect_once(store, source, config).inserted == 1
    failed = pipeline.collect_once(store, source, config)
    assert failed.status == "error" and "the read timed out" in failed.message
    assert store.get_cursor("pages") == "1"
    pipeline.collect_once(store, source, config)
    assert source.cursors == [None, "1", "1"], "the failed run did not advance the cursor"
    assert runs(store)["status"].tolist() == ["ok", "error", "ok"]


def test_unreadable_and_unmatched_items_are_counted_and_kept_aside(store, config):
    page = [{"id": "1", "text": "Aerolume crew were lovely"},
            {"id": "2", "oops": True},
            {"id": "3", "text": "nothing to do with us"},
            {"id": "4", "text": "same here!", "in_reply_to": "1"},
            {"id": "5", "text": "sorry to hear that", "author": "@AerolumeHelp",
             "in_reply_to": "3"}]
    report = pipeline.collect_once(store, PageSource(page), config)
    assert (report.fetched, report.inserted, report.unreadable, report.unmatched) == (5, 3, 1, 1)
    assert "could not be read" in report.message
    kept = store.query_rows("SELECT reason, raw FROM unreadable_items")
    assert [(reason, json.loads(raw)) for reason, raw in kept] == \
        [("no text", {"id": "2", "oops": True})]
    stored = dict(store.query_rows("SELECT native_id, is_own FROM mentions"))
    assert stored == {"1": False, "4": False, "5": True}  # a reply in thread; our own reply


def test_a_source_that_is_not_configured_says_what_to_set(store, config):
    class NeedsToken(PageSource):
        def check(self):
            raise NotConfigured("X_BEARER_TOKEN is not set")

    report = pipeline.collect_once(store, NeedsToken(), config)
    assert report.status == "not_configured"
    assert runs(store)["message"].tolist() == ["X_BEARER_TOKEN is not set"]


def test_analysis_marks_every_mention_once(demo_store, config):
    assert demo_store.query_rows("SELECT count(*) FROM analysis")[0][0] == \
        demo_store.query_rows("SELECT count(*) FROM mentions")[0][0]
    assert pipeline.analyse_pending(demo_store, config) == 0
    unscored = demo_store.query_rows(
        "SELECT count(*) FROM analysis WHERE lang IS NOT NULL AND sentiment IS NULL")[0][0]
    assert unscored == 0
    models = {row[0] for row in demo_store.query_rows(
        "SELECT DISTINCT sentiment_model FROM analysis WHERE lang <> 'en'")}
    assert models == {"charlr-fa-3", "charlr-ar-3", "charlr-th-3", "charlr-el-3"}


class RateLimitedSource(PageSource):
    def __init__(self, reset_at, *pages):
        super().__init__(*pages)
        self.reset_at = reset_at

    def fetch(self, cursor, limit=None):
        from collectors.base import RateLimited

        if not self.pages:
            raise RateLimited("X asked us to wait until 10:15 UTC (rate limit)", self.reset_at)
        return super().fetch(cursor, limit)


def test_a_rate_limited_source_waits_for_its_reset(store, config):
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15)
    source = RateLimitedSource(future)
    report = pipeline.collect_once(store, source, config)
    assert report.status == "rate_limited" and "wait until 10:15" in report.message
    assert store.get_cursor("pages") is None
    source.pages = [[{"id": "9", "text": "Aerolume"}]]
    waiting = pipeline.collect_once(store, source, config)
    assert waiting.status == "waiting" and source.pages, "asked again before the reset"
    runs_before = len(runs(store))
    past = RateLimitedSource(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    store.record_run("pages", started_at=T0, status="rate_limited", rate_reset_at=past.reset_at)
    assert pipeline.collect_once(store, source, config).status == "ok"
    assert len(runs(store)) == runs_before + 2


def test_a_monthly_budget_limits_the_fetch_and_stops_collection(store, config):
    from clamor.config import parse_config

    data = config.model_dump(exclude={"path"})
    data["sources"]["x"]["monthly_budget"] = 3
    budgeted = parse_config(data)

    class Counted(PageSource):
        name = "x"
        limits = []

        def fetch(self, cursor, limit=None):
            self.limits.append(limit)
            return super().fetch(cursor, limit)

    page = [{"id": str(n), "text": "Aerolume"} for n in range(2)]
    source = Counted(page, page)
    assert pipeline.collect_once(store, source, budgeted).status == "ok"
    assert pipeline.collect_once(store, source, budgeted).status == "ok"
    spent = pipeline.collect_once(store, source, budgeted)
    assert source.limits == [3, 1]
    assert spent.status == "budget_spent"
    assert "monthly budget of 3 posts is spent (4 read since" in spent.message


def test_a_paused_source_is_skipped_until_resumed(store, config):
    source = PageSource([{"id": "1", "text": "Aerolume"}])
    store.set_paused("pages", True, "Sara")
    assert pipeline.collect_once(store, source, config).status == "paused"
    store.set_paused("pages", False, "Sara")
    assert pipeline.collect_once(store, source, config).inserted == 1


def test_a_malformed_page_fails_in_plain_words(store, config):
    from collectors.base import SourceError

    source = PageSource(SourceError("X sent a page that could not be read: the JSON ends early"))
    report = pipeline.collect_once(store, source, config)
    assert report.message == "X sent a page that could not be read: the JSON ends early"
    assert store.get_cursor("pages") is None


def test_items_from_a_place_listened_to_whole_are_kept_without_a_term(store, config):
    class OwnSubreddit(PageSource):
        def fetch(self, cursor, limit=None):
            result = super().fetch(cursor, limit)
            return FetchResult(result.raw_items, result.next_cursor, keep=frozenset({"2"}))

    page = [{"id": "1", "text": "anyone flying to Bangkok tomorrow?"},
            {"id": "2", "text": "anyone flying to Athens tomorrow?"}]
    report = pipeline.collect_once(store, OwnSubreddit(page), config)
    assert (report.inserted, report.unmatched) == (1, 1)
    assert store.query_rows("SELECT native_id FROM mentions") == [("2",)]


def test_analysis_in_worker_processes_gives_the_same_results(tmp_path):
    """`clamor import` analyses a large archive on every core: same rows, search words and
    hourly counts as one process, over several batches (two in flight at a time), and the
    same again when the workers cannot start (the pass goes on in process). (Run in a fresh
    interpreter: worker processes re-import the parent's __main__, which an in-process
    Streamlit AppTest earlier in the session replaces.)"""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import datetime as dt, json, sys
        from concurrent.futures import ProcessPoolExecutor
        from importlib import resources
        from clamor import pipeline
        from clamor.config import DEMO_CONFIG, load_config
        from clamor.store import Store
        from collectors.base import Mention

        if __name__ == "__main__":
            config = load_config(DEMO_CONFIG)
            # batches of 1,000: three go out to the workers, the last 300 are done here
            config = config.model_copy(update={{"analysis": config.analysis.model_copy(
                update={{"batch_size": 500}})}})
            at = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
            texts = []
            for lang in ("en", "fa", "ar", "th", "el"):
                lines = resources.files("clamor.demo").joinpath(
                    f"stream_{{lang}}.jsonl").read_text("utf-8").splitlines()
                texts += [json.loads(line)["text"] for line in lines if line.strip()]
            texts = (texts * 8)[:3300]
            results = []
            for run in ("one process", "two workers", "workers that cannot start"):
                store = Store({str(tmp_path)!r} + f"/{{len(results)}}.duckdb")
                store.insert_mentions([Mention(source="x", native_id=str(i), text=t,
                                               created_at=at + dt.timedelta(minutes=i),
                                               author=f"@u{{i}}")
                                       for i, t in enumerate(texts)],
                                      collector="t", version="1")
                if run == "workers that cannot start":
                    with ProcessPoolExecutor(2, initializer=sys.exit) as broken:
                        done = pipeline.analyse_pending(store, config, workers=2, pool=broken)
                else:
                    done = pipeline.analyse_pending(store, config,
                                                    workers=1 if run == "one process" else 2)
                assert done == len(texts), (run, done)
                results.append([store.query_df(sql).to_json() for sql in (
                    "SELECT mention_id, lang, sentiment, sentiment_label, complaint, "
                    "complaint_cues FROM analysis ORDER BY mention_id",
                    "SELECT * FROM search_recent ORDER BY ALL",
                    "SELECT * FROM hourly_termsets ORDER BY ALL")])
                store.close()
            assert results[0] == results[1], "two workers"
            assert results[0] == results[2], "workers that cannot start"
            print("same")
        """)
    path = tmp_path / "workers.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "same"
    # the two workers ran (no fallback); the workers that could not start were replaced
    assert done.stderr.count("analysis workers failed") == 1, done.stderr[-2000:]


def test_re_scoring_keeps_each_mentions_stored_language(demo_store, config):
    """The model is chosen by the language stored for the mention, which stays: an English
    post once stored as Greek (an older language model) is scored by the Greek model, so it
    is not stale again afterwards."""
    (seq,) = demo_store.query_rows(
        "SELECT seq FROM analysis WHERE lang = 'en' ORDER BY seq LIMIT 1")[0]
    demo_store.con.execute("UPDATE analysis SET lang = 'el', sentiment_model = 'old' "
                           "WHERE seq = ?", [seq])
    assert pipeline.rescore(demo_store, config) == 1
    (lang, model), = demo_store.query_rows(
        "SELECT lang, sentiment_model FROM analysis WHERE seq = ?", [seq])
    assert (lang, model) == ("el", pipeline.current_models()["el"])
    assert demo_store.stale_scores(pipeline.current_models()) == {}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_model_change_re_scores_on_demand(demo_store, config, monkeypatch, workers):
    monkeypatch.setattr(pipeline, "PARALLEL_MIN", 5)  # the demo's few go to the workers too
    # As if these Persian and Greek scores and verdicts came from an older model (and the
    # cases kept the complaints it found).
    demo_store.con.execute("UPDATE analysis SET sentiment_model = 'charlr-' || lang || '-1', "
                           "sentiment = 0.99, sentiment_label = 'positive', "
                           "complaint = NOT complaint WHERE lang IN ('fa', 'el')")
    with demo_store.transaction() as con:
        cases.refresh_complaint_times(con, None)
    stale = demo_store.stale_scores(pipeline.current_models())
    assert set(stale) == {"fa", "el"} and all(n > 10 for n in stale.values())
    hourly = "SELECT sum(mentions) FILTER (sentiment_label = 'positive') FROM hourly_mentions"
    done = pipeline.rescore(demo_store, config, workers=workers)
    assert done == sum(stale.values())
    assert demo_store.stale_scores(pipeline.current_models()) == {}
    rows = demo_store.query_rows("SELECT DISTINCT sentiment_model FROM analysis "
                                 "WHERE lang IN ('fa', 'el') ORDER BY 1")
    assert rows == [("charlr-el-3",), ("charlr-fa-3",)]
    # Each mention got its own text's score back (the rows are matched by number).
    texts = demo_store.query_df(
        "SELECT m.id, m.text, m.source_lang, m.is_own, a.sentiment, a.complaint_score "
        "FROM mentions m JOIN analysis a ON a.seq = m.seq WHERE a.lang IN ('fa', 'el') "
        "ORDER BY m.seq")
    fresh = pipeline.analyse(texts[["id", "text", "source_lang", "is_own"]],
                             config.watchlist.languages, dt.datetime.now(dt.timezone.utc))
    assert fresh["sentiment"].tolist() == texts["sentiment"].tolist()
    assert fresh["complaint_score"].tolist() == texts["complaint_score"].tolist()
    assert texts["sentiment"].nunique() > 5
    # The hourly counts follow the new labels.
    labels = demo_store.query_rows("SELECT count(*) FILTER (sentiment_label = 'positive') "
                                   "FROM analysis")[0][0]
    assert demo_store.query_rows(hourly)[0][0] == labels
    # Each case's newest complaint follows the verdicts given back.
    assert demo_store.query_rows(COMPLAINT_TIMES_OFF) == []
    assert pipeline.rescore(demo_store, config) == 0  # nothing left to do
