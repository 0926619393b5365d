"""`clamor doctor` says, per source, what is ready and what to fix."""

from clamor import doctor
from clamor.config import parse_config
from tests.test_collectors_feeds import feeds_config, site  # noqa: F401 (fixture)


def test_doctor_tells_ready_off_and_broken_sources_apart(site, config, monkeypatch):  # noqa: F811
    cfg = feeds_config(config, f"{site.base}/news.rss")
    data = cfg.model_dump(exclude={"path"})
    data["sources"]["x"]["enabled"] = True
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    findings = {f.source: f for f in doctor.check_sources(parse_config(data), demo=False)}
    assert findings["feeds"].verdict == "ok" and "3 item(s)" in findings["feeds"].message
    assert findings["x"].verdict == "problem"
    assert findings["x"].message.startswith("X_BEARER_TOKEN is not set")
    assert findings["reddit"].verdict == "off" and findings["demo"].verdict == "off"


def test_doctor_names_an_unreachable_feed(config, monkeypatch):
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)  # the retries' backoff, not real waiting
    cfg = feeds_config(config, "http://127.0.0.1:9/feed.rss")  # nothing listens on port 9
    finding = {f.source: f for f in doctor.check_sources(cfg, demo=False)}["feeds"]
    assert finding.verdict == "problem"
    assert "127.0.0.1:9/feed.rss did not answer" in finding.message
    assert len(waits) == 3, "retried before giving up"
