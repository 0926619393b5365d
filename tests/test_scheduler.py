"""The in-process scheduler: started once per process and database, fixed job ids, and it
really collects and analyses."""

import importlib
import time

import pytest

from clamor import scheduler, sources


@pytest.fixture
def stop_schedulers():
    yield
    scheduler.stop_all()


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_started_once_with_fixed_jobs_even_after_a_reload(store, config, stop_schedulers):
    collectors = sources.collectors(config, demo=True)
    first = scheduler.start(store, config, collectors)
    importlib.reload(scheduler)  # what a Streamlit code reload does to the module
    second = scheduler.start(store, config, collectors)
    assert second is first
    assert sorted(job.id for job in first.get_jobs()) == ["alerts", "analyse", "collect:demo",
                                                          "maintain"]


def test_jobs_collect_and_analyse(store, config, stop_schedulers):
    scheduler.start(store, config, sources.collectors(config, demo=True))
    assert wait_for(lambda: store.query_rows(
        "SELECT count(*) FROM analysis")[0][0] >= 300), "nothing was collected and analysed"
    runs = store.query_rows("SELECT source, status FROM collector_runs")
    assert ("demo", "ok") in runs


def test_no_collector_for_real_sources_without_demo(config):
    assert sources.collectors(config, demo=False) == []
    states = {s.name: s.state for s in sources.statuses(config, demo=False)}
    assert states == {"demo": "off", "x": "off", "reddit": "off", "feeds": "off",
                      "mastodon": "off", "bluesky": "off"}


def test_missing_credentials_are_named(config, monkeypatch):
    from clamor.config import parse_config

    data = config.model_dump(exclude={"path"})
    data["sources"]["reddit"]["enabled"] = True
    monkeypatch.delenv("REDDIT_CLIENT_ID", raising=False)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "s")
    monkeypatch.delenv("REDDIT_USER_AGENT", raising=False)
    status = {s.name: s for s in sources.statuses(parse_config(data), demo=True)}["reddit"]
    assert status.state == "not configured"
    assert status.reason.startswith("REDDIT_CLIENT_ID, REDDIT_USER_AGENT are not set")


def test_reply_posting_names_the_keys_it_lacks(config, monkeypatch):
    from clamor.config import parse_config

    data = config.model_dump(exclude={"path"})
    data["sources"]["x"]["reply_posting"] = True
    for name in ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.delenv(name, raising=False)
    status = {s.name: s for s in sources.statuses(parse_config(data), demo=True)}
    assert status["x"].posting.startswith("Reply posting is on, but X_API_KEY, X_API_SECRET")
    assert status["reddit"].posting is None
