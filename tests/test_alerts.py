"""Crisis alerts end to end over a real DuckDB file: a stable stream with a daily rhythm and an
injected Persian complaint storm; detection explains itself; one stored alert per episode,
updated and closed by itself; managers acknowledge and resolve; notifications reach a local
HTTP endpoint through apprise; `clamor alerts --json`."""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest

from clamor import alerting, cli, queries
from clamor.config import DEMO_CONFIG
from clamor.store import Store
from collectors.base import Mention

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 10, tzinfo=UTC)
STORM = dt.datetime(2026, 11, 19, 9, 0, tzinfo=UTC)   # 3 hours of Persian complaints
STORM_HOURS = 3
HASHTAG = "#پرواز_لغو_شده"
LANGS = ("en", "fa", "ar", "th", "el")


def build_stream(store: Store, end: dt.datetime = STORM + dt.timedelta(hours=8)) -> None:
    """Nine days of ordinary mentions with a day/night rhythm, then a complaint storm."""
    rng = np.random.default_rng(4)
    mentions, analysis = [], []
    minute = 0
    while START + dt.timedelta(minutes=minute) < end:
        at = START + dt.timedelta(minutes=minute)
        hour = at.hour + at.minute / 60
        rate = 0.25 + 0.2 * math.sin((hour - 8) / 24 * 2 * math.pi)  # per minute
        for _ in range(rng.poisson(max(rate, 0.02) * 5)):
            i = len(mentions)
            lang = LANGS[rng.integers(len(LANGS))]
            mentions.append(Mention(source="x", native_id=str(i), author=f"@u{i}",
                                    text=f"Aerolume flight {i % 40} ok", created_at=at,
                                    matched_terms=("Aerolume",), matched_kinds=("brand",)))
            analysis.append((mentions[-1].id, lang, rng.random() < 0.15))
        if STORM <= at < STORM + dt.timedelta(hours=STORM_HOURS):
            for _ in range(rng.poisson(2.5)):
                i = len(mentions)
                mentions.append(Mention(
                    source="x", native_id=str(i), author=f"@fa{i}", created_at=at,
                    text=f"ایرولوم پروازم کنسل شد و هیچکس جواب نمیده {HASHTAG} {i}",
                    matched_terms=("Aerolume",), matched_kinds=("brand",),
                    author_followers=int(rng.integers(10, 5000))))
                analysis.append((mentions[-1].id, "fa", True))
        minute += 5
    store.insert_mentions(mentions, collector="test", version="t")
    frame = pd.DataFrame(analysis, columns=["mention_id", "lang", "complaint"])
    store.save_analysis(frame.assign(
        lang_confidence=1.0, sentiment=None, sentiment_label="unscored",
        sentiment_model=None, complaint_score=0.0,
        complaint_cues=[[] for _ in range(len(frame))],
        analysed_at=pd.Timestamp(START), analysis_version="test"))


@pytest.fixture
def stream_db(tmp_path):
    path = tmp_path / "alerts.duckdb"
    store = Store(path)
    build_stream(store)
    yield store, path
    store.close()


def storm_alerts(found):
    return [a for a in found if "complaints/lang=fa" in a.series_set]


def test_the_storm_is_found_once_and_explains_itself(stream_db, config):
    store, _ = stream_db
    found = alerting.detect(store, config, STORM - dt.timedelta(hours=12),
                            STORM + dt.timedelta(hours=8))
    (storm,) = storm_alerts(found)
    e = storm.episode
    assert STORM < e.start <= STORM + dt.timedelta(minutes=45), e.start
    assert e.end is not None and e.end > STORM + dt.timedelta(hours=STORM_HOURS)
    assert e.observed > e.expected + e.threshold * e.spread * 0.99
    assert HASHTAG in [t for t, _, _ in storm.top_terms[:3]]
    assert storm.languages == {"fa": storm.languages["fa"]} and storm.sources == {
        "x": storm.languages["fa"]}
    assert len(storm.samples) == alerting.SAMPLES
    assert all(HASHTAG in s["text"] for s in storm.samples)
    # Nothing else in the quiet days before it is unusual enough to alert.
    quiet = alerting.detect(store, config, START + dt.timedelta(days=3),
                            STORM - dt.timedelta(hours=1))
    assert len([a for a in quiet if a.episode.kind == "spike"]) <= 1


class Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/clamor"
    server.shutdown()
    server.server_close()


def config_with_hook(url: str):
    from clamor.config import parse_config
    import tomllib

    data = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["alerts"]["notify"] = [{"name": "managers", "url": url}]
    return parse_config(data)


def test_one_alert_per_episode_updated_then_closed_and_notified(stream_db, hook):
    store, _ = stream_db
    config = config_with_hook(hook)
    during = STORM + dt.timedelta(minutes=50)
    opened = alerting.run(store, config, during)
    storm = queries.alerts(store)
    assert len(storm) == 1, "one storm, one alert (its other series are related)"
    storm = storm.iloc[0]
    related = [r["series"] for r in json.loads(storm["explanation"])["related"]]
    assert "complaints/lang=fa" in [storm["series"], *related]
    assert storm["id"] in opened and storm["status"] == "open" and pd.isna(storm["ended_at"])
    assert any(HASHTAG in m["message"] and storm["id"] in m["title"] for m in Hook.received)
    assert queries.notifications(store, storm["id"])["outcome"].tolist() == ["sent"]

    later = STORM + dt.timedelta(hours=2)
    assert storm["id"] not in alerting.run(store, config, later), "the same episode"
    again = queries.alert(store, storm["id"])
    assert again["latest_at"] > storm["latest_at"] and again["status"] == "open"
    assert len(Hook.received) == len([m for m in Hook.received]), "no second message"
    sent_before = len(Hook.received)
    alerting.run(store, config, later + dt.timedelta(minutes=5))
    assert len(Hook.received) == sent_before

    alerting.acknowledge(store, storm["id"], actor="Dimitris Alexiou",
                         note="asked IT about the app", at=later)
    after = STORM + dt.timedelta(hours=7)
    alerting.run(store, config, after)
    closed = queries.alert(store, storm["id"])
    assert closed["status"] == "resolved" and closed["resolved_by"] == "Clamor"
    assert closed["ended_at"] is not None
    log = queries.alert_events(store, storm["id"])
    assert log["action"].tolist() == ["opened", "acknowledged", "resolved"]
    assert log["actor"].tolist() == ["Clamor", "Dimitris Alexiou", "Clamor"]


def test_managers_acknowledge_and_resolve_with_reasons(stream_db, config):
    store, _ = stream_db
    alerting.run(store, config, STORM + dt.timedelta(minutes=50))
    alert_id = queries.alerts(store, open_only=True).iloc[0]["id"]
    with pytest.raises(alerting.AlertRefused, match="say who you are"):
        alerting.acknowledge(store, alert_id, actor=" ")
    alerting.acknowledge(store, alert_id, actor="Hannah Cole")
    with pytest.raises(alerting.AlertRefused, match="acknowledged already"):
        alerting.acknowledge(store, alert_id, actor="Hannah Cole")
    alerting.resolve(store, alert_id, actor="Hannah Cole", note="false alarm: a promo")
    row = queries.alert(store, alert_id)
    assert (row["status"], row["acknowledged_by"], row["resolved_by"]) == \
        ("resolved", "Hannah Cole", "Hannah Cole")
    assert queries.alert_events(store, alert_id)["note"].iloc[-1] == "false alarm: a promo"


def test_clamor_alerts_prints_the_documented_json(stream_db, capsys):
    store, path = stream_db
    store.close()
    since = (STORM - dt.timedelta(hours=6)).isoformat()
    until = (STORM + dt.timedelta(hours=1)).isoformat()
    assert cli.main(["alerts", "--db", str(path), "--demo", "--since", since,
                     "--until", until, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    storm = [a for a in listed if "complaints/lang=fa" in
             [a["series"], *(r["series"] for r in a["related"])]][0]
    assert {"kind", "series", "start", "end", "observed", "expected", "statistic",
            "top_terms"} <= set(storm)
    assert storm["kind"] == "spike" and storm["end"] is None, "still going at --until"
    assert dt.datetime.fromisoformat(storm["start"]) > STORM
    assert storm["top_terms"][0]["term"] == HASHTAG
    assert cli.main(["alerts", "--db", str(path), "--demo", "--since", since,
                     "--until", until]) == 0
    assert "Complaints in Persian" in capsys.readouterr().out
    assert cli.main(["alerts", "--db", str(path), "--demo", "--since", "yesterday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err


def test_the_alerts_page_explains_and_acknowledges(app_env, demo_store, config,
                                                   monkeypatch, hook, tmp_path):
    from tests.conftest import as_user, page_test

    config_file = tmp_path / "hooked.toml"
    config_file.write_text(DEMO_CONFIG.read_text(encoding="utf-8") + (
        f'\n[[alerts.notify]]\nname = "managers"\nurl = "{hook}"\n'), encoding="utf-8")
    monkeypatch.setenv("CLAMOR_CONFIG", str(config_file))
    now = dt.datetime.now(UTC)
    alerting.run(demo_store, config, now)  # the demo's live hour and backlog
    backlog = queries.alerts(demo_store, open_only=True)
    assert not backlog.empty, "the demo history leaves late complaints"
    target = backlog.iloc[0]["id"]
    at = page_test("pages/alerts.py")
    as_user(at, "Hannah Cole")
    at.run()
    assert not at.exception, at.exception
    assert any(target in s.value for s in at.subheader)
    at.button(key=f"ack-{target}").click().run()
    assert not at.exception, at.exception
    assert queries.alert(demo_store, target)["acknowledged_by"] == "Hannah Cole"
    at.button(key="test-managers").click().run()
    assert any(m["type"] == "info" for m in Hook.received)
    assert queries.notifications(demo_store)["outcome"].iloc[0] == "sent"


def test_a_backlog_alert_lists_the_complaints_it_counts(app_env, demo_store, config,
                                                       monkeypatch):
    import clamor.store
    from tests.conftest import as_user, page_test

    now = clamor.store.utcnow()
    # the page and the test look at the same instant: a case cannot fall due in between
    monkeypatch.setattr(clamor.store, "utcnow", lambda: now)
    alerting.run(demo_store, config, now)
    backlog = queries.alerts(demo_store, open_only=True)
    backlog = backlog[backlog["kind"] == "backlog"]
    assert not backlog.empty, "the demo history leaves late complaints"
    # at the alert's last look (a bin boundary), the count it keeps is the list's
    looked = alerting.evaluation_times(now - alerting.LOOKBACK, now)[-1]
    count, late = alerting.late_complaints(demo_store, config, looked, limit=500)
    assert count == len(late) == backlog.iloc[0]["latest_observed"]
    assert late["minutes_late"].is_monotonic_decreasing and (late["minutes_late"] > 0).all()
    cases = queries.complaint_due_times(demo_store, now - alerting.BACKLOG_DAYS)
    cases = cases.set_index("id").loc[late["id"]]
    assert cases["first_response_at"].isna().all()
    assert late["author"].notna().all() and late["standard"].notna().all()
    count10, top = alerting.late_complaints(demo_store, config, looked)
    assert count10 == count and top["id"].tolist() == late["id"].head(10).tolist()
    count, top = alerting.late_complaints(demo_store, config, now)  # as the page looks

    at = page_test("pages/alerts.py")
    as_user(at, "Hannah Cole")
    at.run()
    assert not at.exception, at.exception
    alert_id = backlog.iloc[0]["id"]
    shown = [t.value for t in at.text if t.value.startswith(tuple(top["id"]))]
    assert [s.split(" · ")[0] for s in shown] == top["id"].tolist()
    assert any(f"{count:,} complaints past their standard now" in c.value for c in at.caption)
    at.button(key=f"open-{alert_id}-{top['id'].iloc[0]}").click().run()
    assert at.session_state["open_mention"] == top["mention_id"].iloc[0]
