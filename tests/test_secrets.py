"""A planted secret never leaves the environment: after real recorded X runs (a good one and a
rate-limited one), a notification target and every export, it is in no database byte, log
line, export, command output, notification record or page the dashboard draws."""

from __future__ import annotations

import datetime as dt
import logging
import tomllib

from clamor import alerting, cli, exports, notify, pipeline
from clamor.config import DEMO_CONFIG, parse_config
from clamor.store import Store
from collectors.x import XCollector
from tests.conftest import page_test
from tests.test_collectors_x import NOW, tape

SECRET = "planted0SECRET0bearer0value0xyz"
SLACK = "zzPlantedSlackTokenzz"


def planted_config(tmp_path):
    data = tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["sources"]["x"]["enabled"] = True
    data["alerts"]["notify"] = [{"name": "managers", "url_env": "CLAMOR_NOTIFY_SLACK"}]
    # The X recordings were made before the demo listened to competitors: their searches
    # hold only the demo's own names.
    data["watchlist"]["terms"] = [t for t in data["watchlist"]["terms"]
                                  if t["kind"] != "competitor"]
    path = tmp_path / "planted.toml"
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(
        "[sources.x]\nenabled = false", "[sources.x]\nenabled = true") + (
        '\n[[alerts.notify]]\nname = "managers"\nurl_env = "CLAMOR_NOTIFY_SLACK"\n')
    path.write_text(text, encoding="utf-8")
    return parse_config(data), path


def test_a_planted_secret_appears_nowhere(tmp_path, monkeypatch, caplog, capsys, app_env):
    monkeypatch.setenv("X_BEARER_TOKEN", SECRET)
    # A Slack webhook URL carries its token in the path; nothing listens on this port.
    monkeypatch.setenv("CLAMOR_NOTIFY_SLACK", f"slack://T000/B000/{SLACK}")
    caplog.set_level(logging.DEBUG)
    config, config_path = planted_config(tmp_path)
    db = tmp_path / "planted.duckdb"
    store = Store(db)

    def x():
        return XCollector(config, bearer_token=SECRET, now=lambda: NOW, sleep=lambda s: None)

    with tape("fault_429.yaml"):
        assert pipeline.collect_once(store, x(), config).status == "rate_limited"
    with tape("aerolume_run.yaml"):
        assert pipeline.collect_once(store, x(), config).status == "ok"
    pipeline.analyse_pending(store, config)
    deliveries = notify.deliver(config.alerts.notify, notify.Message(
        kind="spike", severity="critical", title="t", body="b"), now=NOW.replace(hour=12),
        sent_last_hour=lambda _: 0, timeout=3)
    alerting.record(store, None, deliveries, dt.datetime.now(dt.timezone.utc))
    outputs = []
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"export.{fmt}"
        exports.export(store, fmt, str(out))
        outputs.append(out.read_bytes())
    store.close()

    common = ["--db", str(db), "--config", str(config_path)]
    cli.main(["status", *common])
    cli.main(["doctor", *common])
    cli.main(["report", "standards", "--json", *common])
    printed = capsys.readouterr()

    monkeypatch.setenv("CLAMOR_DB", str(db))
    monkeypatch.setenv("CLAMOR_CONFIG", str(config_path))
    drawn = []
    for page in ("sources", "alerts", "overview", "audit"):
        at = page_test(f"pages/{page}.py", name="Admin", role="admin")
        at.run()
        assert not at.exception, at.exception
        drawn.append(repr([e.value for e in (*at.text, *at.markdown, *at.caption, *at.error,
                                              *at.warning, *at.info, *at.success, *at.code)
                           if isinstance(getattr(e, "value", None), str)]))

    # DuckDB compresses strings on disk, so the database is searched through SQL: every
    # column of every table, as text.
    store = Store(db)
    columns = store.query_rows("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = 'main'")

    def in_database(secret: str) -> list[str]:
        return [f"{t}.{c}" for t, c in columns if store.query_rows(
            f'SELECT count(*) FROM "{t}" WHERE CAST("{c}" AS VARCHAR) LIKE ?',
            [f"%{secret}%"])[0][0]]

    planted_check = in_database("helen_ashby")  # the search does find what is stored
    assert planted_check, "the database search finds nothing at all: it is broken"
    for secret in (SECRET, SLACK):
        where = {
            "the database": in_database(secret),
            "the logs": secret in caplog.text,
            "an export": any(secret.encode() in o for o in outputs),
            "command output": secret in printed.out + printed.err,
            "a notification record": any(secret in d.detail for d in deliveries),
            "a page": any(secret in d for d in drawn),
        }
        assert not any(where.values()), f"{secret} found in " + ", ".join(
            k for k, v in where.items() if v)
    store.close()
    assert any(d.outcome == "failed" for d in deliveries), "the slack target was tried"


def test_page_errors_show_no_details_in_the_browser():
    import tomllib
    from pathlib import Path

    settings = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit"
                              / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["showErrorDetails"] == "none"
    assert settings["server"]["address"] == "127.0.0.1"
