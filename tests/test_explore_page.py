"""The explorer page, run as an analyst: search, filters, each view, saved searches, the
mentions behind a chart mark, and an export."""

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from clamor import explorer
from clamor.explorer import Filter
from clamor.store import Store
from tests.conftest import page_test, run

ANALYST = "Nadia Karimi"


def analyst_run(**state):
    at = page_test("pages/explore.py", name=ANALYST, role="analyst")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_the_page_opens_on_the_last_30_days(app_env):
    at = run("pages/explore.py", name=ANALYST, role="analyst")
    assert [t.value for t in at.title] == ["Explore"]
    store = Store(app_env)
    try:
        expected = explorer.count(store, Filter(days=30))
    finally:
        store.close()
    assert metric(at, "Matching mentions") == f"{expected:,}"
    shown = at.dataframe[0].value  # the mentions table, newest first
    assert 0 < len(shown) <= 50 and shown["created_at"].is_monotonic_decreasing


def test_search_and_filters_narrow_the_count(app_env):
    at = analyst_run()
    everything = int(metric(at, "Matching mentions").replace(",", ""))
    at.text_input(key="x_text").set_value("refund").run()
    refunds = int(metric(at, "Matching mentions").replace(",", ""))
    assert 0 < refunds < everything
    at.multiselect(key="x_langs").set_value(["en"]).run()
    english = int(metric(at, "Matching mentions").replace(",", ""))
    assert 0 < english <= refunds
    at.selectbox(key="x_complaint").set_value("complaints").run()
    assert not at.exception
    assert int(metric(at, "Matching mentions").replace(",", "")) <= english


def test_every_view_draws(app_env):
    for view in ["Mentions", "Trends", "Share of voice", "Authors", "Words", "Languages"]:
        at = analyst_run(x_view=view, x_period="all time")
        assert not at.error, (view, [e.value for e in at.error])


def test_a_search_with_only_punctuation_says_so(app_env):
    at = analyst_run(x_text="!!! ...")
    assert any("no word to look for" in w.value for w in at.warning)


def test_saving_and_loading_a_search(app_env):
    at = analyst_run(x_text="refund", x_langs=["fa", "ar"], x_period="90 days")
    at.text_input(key="x_save_name").set_value("Refunds fa+ar")
    at.button(key="x_save").click().run()
    assert not at.exception
    store = Store(app_env)
    try:
        saved = explorer.saved_searches(store, ANALYST)
    finally:
        store.close()
    assert saved == {"Refunds fa+ar": Filter(text="refund", languages=("fa", "ar"),
                                             days=90)}
    fresh = analyst_run()
    fresh.selectbox(key="x_saved").set_value("Refunds fa+ar").run()
    assert fresh.text_input(key="x_text").value == "refund"
    assert fresh.multiselect(key="x_langs").value == ["fa", "ar"]
    assert fresh.selectbox(key="x_period").value == "90 days"


def test_the_mentions_behind_a_chart_mark(app_env):
    store = Store(app_env)
    try:
        day = explorer.trend(store, Filter(), "day").iloc[-1]
    finally:
        store.close()
    narrowed = explorer.behind(Filter(), grain="day", bucket=day["bucket"].to_pydatetime(),
                               sentiment=day["sentiment_label"])
    assert narrowed.since == day["bucket"].to_pydatetime()
    assert narrowed.until - narrowed.since == dt.timedelta(days=1)
    assert narrowed.sentiments == (day["sentiment_label"],)
    store = Store(app_env)
    try:
        assert explorer.count(store, narrowed) == day["mentions"]
    finally:
        store.close()


def test_export_from_the_page(app_env):
    at = analyst_run(x_text="refund", x_fmt="csv")
    at.button(key="x_export").click().run()
    assert not at.exception
    path, fmt, written = at.session_state["x_file"]
    assert fmt == "csv" and written == len(pd.read_csv(path)) > 0


def test_agents_do_not_see_the_explorer(app_env):
    at = page_test("pages/explore.py", name="Sara Lindqvist", role="agent")
    at.run()
    assert not at.title and at.error[0].value == "Your role (agent) does not include this page."


def test_the_words_view_shows_hashtags_and_watchlist_terms(app_env):
    for shown in ("hashtags", "watchlist terms"):
        at = analyst_run(x_view="Words", x_words_kind=shown, x_period="all time")
        assert not at.error, (shown, [e.value for e in at.error])


def test_share_of_voice_compares_our_company_with_each_competitor(app_env):
    at = analyst_run(x_view="Share of voice", x_period="all time")
    assert not at.error
    labels = {m.label for m in at.metric}
    assert {"Aerolume (ours)", "Skyvane (competitor)", "Nordhavn Air (competitor)"} <= labels
    assert not any("SkyPoints" in label for label in labels)  # a product of ours, not a company


def test_an_analyst_in_tehran_sees_tehran_days(app_env):
    import zoneinfo

    at = analyst_run(x_tz="Asia/Tehran", x_period="dates…",
                     x_dates=(dt.date(2020, 1, 1), dt.date.today()))
    tehran = zoneinfo.ZoneInfo("Asia/Tehran")
    local_days = Filter(since=dt.datetime(2020, 1, 1, tzinfo=tehran),
                        until=dt.datetime.combine(dt.date.today() + dt.timedelta(days=1),
                                                  dt.time(), tehran))
    store = Store(app_env)
    try:
        expected = explorer.count(store, local_days)
    finally:
        store.close()
    assert metric(at, "Matching mentions") == f"{expected:,}"
    assert any(c.value.startswith("Period (Asia/Tehran): 2020-01-01 00:00")
               for c in at.caption)
    for view in ("Trends", "Share of voice"):
        at.segmented_control(key="x_view").set_value(view).run()
        assert not at.exception and not at.error, view


def test_the_prepared_export_is_read_only_when_downloaded(app_env, monkeypatch):
    at = analyst_run(x_text="refund", x_fmt="parquet")
    at.button(key="x_export").click().run()
    path, fmt, written = at.session_state["x_file"]
    assert fmt == "parquet" and written == len(pd.read_parquet(path)) > 0
    reads = []

    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes",
                        lambda self: reads.append(self) or original(self))
    at.text_input(key="x_save_name").set_value("anything").run()  # any rerun
    assert not at.exception
    assert [b for b in at.get("download_button")]  # still offered
    assert str(path) not in map(str, reads)  # not read into memory on each rerun
    # preparing another file removes the earlier one
    at.radio(key="x_fmt").set_value("csv").run()
    at.button(key="x_export").click().run()
    assert not Path(path).exists() and at.session_state["x_file"][1] == "csv"


def test_a_view_that_runs_out_of_memory_says_so_and_the_page_goes_on(app_env, monkeypatch):
    """Under the dashboard's memory limit DuckDB fails a query it cannot spill to disk: the
    view says what to do instead of the page breaking. (The view here asks DuckDB for one
    list of 100 M numbers, 800 MB, in a process limited to 128MB: a real failure.)"""
    monkeypatch.setenv("CLAMOR_MEMORY_LIMIT", "128MB")

    def too_big(store, flt):
        return store.query_df("SELECT list(i) AS lang FROM range(100000000) t(i)")

    monkeypatch.setattr(explorer, "language_mix", too_big)
    at = analyst_run(x_view="Languages", x_period="all time")
    assert any("needs more memory than the dashboard lets its database use" in w.value
               for w in at.warning)
    assert metric(at, "Matching mentions") != "0"  # the rest of the page is drawn
    at = analyst_run(x_view="Trends", x_period="all time")
    assert not at.warning and not at.error


def test_an_export_that_runs_out_of_memory_says_so_and_leaves_no_file(app_env, monkeypatch):
    """The same real failure (one list of 100 M numbers under 128MB) in preparing a file:
    a sentence, no half-written file kept, and the page goes on."""
    monkeypatch.setenv("CLAMOR_MEMORY_LIMIT", "128MB")
    written_to = []

    def too_big(store, flt, fmt, path, progress=None):
        written_to.append(Path(path))
        Path(path).write_text("id\n")  # what a writer had begun
        return store.query_df("SELECT list(i) AS id FROM range(100000000) t(i)")

    monkeypatch.setattr(explorer, "export", too_big)
    at = analyst_run(x_text="refund", x_fmt="csv")
    at.button(key="x_export").click().run()
    assert not at.exception
    assert any("This file needs more memory" in w.value for w in at.warning)
    assert "x_file" not in at.session_state and not written_to[0].parent.exists()
    assert metric(at, "Matching mentions") != "0"


def test_prepared_exports_older_than_the_keep_time_are_removed(tmp_path):
    from clamor import exports

    old = exports.prepared_path("csv", root=tmp_path)
    old.write_text("id\n1\n")
    recent = exports.prepared_path("parquet", root=tmp_path)
    recent.write_bytes(b"x")
    hours_ago = time.time() - exports.PREPARED_KEEP_S - 60
    os.utime(old.parent, (hours_ago, hours_ago))

    new = exports.prepared_path("csv", root=tmp_path)

    assert not old.parent.exists()
    assert recent.exists() and new.parent.is_dir() and not new.exists()
    assert new.parent.parent == tmp_path and new.name == "mentions.csv"


def test_a_prepared_file_removed_meanwhile_is_asked_for_again(app_env):
    at = analyst_run(x_text="refund", x_fmt="csv")
    at.button(key="x_export").click().run()
    path, _, _ = at.session_state["x_file"]
    shutil.rmtree(Path(path).parent)
    at.text_input(key="x_save_name").set_value("anything").run()
    assert not at.exception and not list(at.get("download_button"))
    assert any("prepare it again" in c.value for c in at.caption)
