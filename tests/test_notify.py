"""Alert notifications through apprise, over real HTTP: a local webhook receives what a
manager's channel would (apprise's json:// payload), and skipped or failed sends say why."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import socket
import threading
import time

import pytest

from clamor import notify
from clamor.config import Notify
from clamor.notify import Message, deliver, describe, in_quiet_hours, send_test

UTC = dt.UTC
NOON_ATHENS = dt.datetime(2025, 3, 30, 9, 0, tzinfo=UTC)   # 12:00 EEST, nobody's quiet hours

SPIKE = Message(
    kind="spike", severity="warning",
    title="Complaints in Persian: 41 in the last hour (expected 6)",
    body=("Observed 41, expected 6; robust z 7.2 (alerts at 4).\n"
          "Languages: fa 38, en 3\n"
          "- @angry: <script>alert('x')</script> **bold** [click](https://evil.example) "
          "پرواز لغو شد ${HOME} {title} \\n &amp; (https://x.com/angry/status/1)"),
    alert_id="A-17")


def never_sent(name: str) -> int:
    return 0


class Webhook:
    """A local HTTP endpoint standing in for Slack & co: records every request it gets."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.release = threading.Event()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.received.append({"path": self.path, "json": json.loads(raw or b"null"),
                                      "content_type": self.headers.get("Content-Type")})
                if self.path.startswith("/slow"):
                    hook.release.wait(5)
                self.send_response(500 if self.path.startswith("/broken") else 200)
                self.end_headers()

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)  # a short poll: quick shutdown
        self.thread.start()

    def url(self, path: str = "/clamor") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def target(url: str | None = None, **settings) -> Notify:
    return Notify(name=settings.pop("name", "care managers"), url=url, **settings)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- what arrives ---------------------------------------------------------------------------

def test_an_alert_arrives_as_plain_text_with_its_title_and_warning_type(webhook):
    [delivery] = deliver([target(webhook.url())], SPIKE, now=NOON_ATHENS,
                         sent_last_hour=never_sent)

    assert delivery == notify.Delivery("care managers", "sent", "Delivered to JSON.")
    [request] = webhook.received
    assert request["path"] == "/clamor"
    assert request["json"]["title"] == SPIKE.title
    # Mention text is untrusted: it arrives verbatim, not rendered, escaped or expanded.
    assert request["json"]["message"] == SPIKE.body
    assert "<script>alert('x')</script> **bold** [click](https://evil.example)" \
        in request["json"]["message"]
    assert request["json"]["type"] == "warning"


def test_critical_is_sent_as_failure_and_the_test_button_as_info(webhook):
    critical = Message("backlog", "critical", "Late complaints: 14 past their standard",
                       "14 complaints are past their first-response standard.")
    deliver([target(webhook.url("/alerts"))], critical, now=NOON_ATHENS,
            sent_last_hour=never_sent)
    delivery = send_test(target(webhook.url("/test")), now=NOON_ATHENS)

    assert delivery.outcome == "sent"
    alert, test = webhook.received
    assert alert["json"]["type"] == "failure"
    assert test["json"]["type"] == "info"
    assert test["json"]["title"] == "Clamor test notification for care managers"
    assert "What is sent here: care managers — from a url in the config file" \
        in test["json"]["message"]


def test_a_multi_line_title_is_sent_on_one_line(webhook):
    message = Message("spike", "warning", "Mentions of SkyPoints:\n 30 in the window", "x")
    deliver([target(webhook.url())], message, now=NOON_ATHENS, sent_last_hour=never_sent)
    assert webhook.received[0]["json"]["title"] == "Mentions of SkyPoints: 30 in the window"


# -- failures are shown, never raised, never with the URL -------------------------------------

def test_a_server_error_is_a_failed_delivery_with_apprises_reason(webhook):
    url = webhook.url("/broken/s3cr3tT0ken")
    [delivery] = deliver([target(url)], SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent)

    assert delivery.outcome == "failed"
    assert "did not take the alert" in delivery.detail
    assert "error=500" in delivery.detail
    assert len(webhook.received) == 1
    for secret in (url, "s3cr3tT0ken", f":{webhook.port}"):
        assert secret not in delivery.detail


def test_nothing_listening_fails_quickly():
    started = time.monotonic()
    [delivery] = deliver([target(f"json://127.0.0.1:{closed_port()}/clamor")], SPIKE,
                         now=NOON_ATHENS, sent_last_hour=never_sent)

    assert time.monotonic() - started < 3
    assert delivery.outcome == "failed"
    assert "A Connection error occurred" in delivery.detail


def test_a_slow_endpoint_is_given_up_on_after_the_timeout(webhook):
    started = time.monotonic()
    [delivery] = deliver([target(webhook.url("/slow"))], SPIKE, now=NOON_ATHENS,
                         sent_last_hour=never_sent, timeout=0.5)

    assert time.monotonic() - started < 2.5
    assert delivery.outcome == "failed"
    assert "did not answer within 0.5 s" in delivery.detail


def test_an_unset_variable_is_not_configured_and_names_it(webhook):
    slack = Notify(name="care managers on Slack", url_env="CLAMOR_NOTIFY_SLACK")

    [delivery] = deliver([slack], SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent,
                         env={})
    assert delivery.outcome == "not configured"
    assert "CLAMOR_NOTIFY_SLACK is not set" in delivery.detail
    assert send_test(slack, now=NOON_ATHENS, env={"CLAMOR_NOTIFY_SLACK": "  "}).outcome \
        == "not configured"


def test_the_url_comes_from_the_environment_and_is_never_shown(webhook):
    slack = Notify(name="care managers on Slack", url_env="CLAMOR_NOTIFY_SLACK")
    env = {"CLAMOR_NOTIFY_SLACK": webhook.url("/hooks/T0kenAbcdef123")}

    [delivery] = deliver([slack], SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent, env=env)

    assert delivery.outcome == "sent"
    assert webhook.received[0]["path"] == "/hooks/T0kenAbcdef123"
    for text in (delivery.detail, describe(slack, env)):
        assert "T0kenAbcdef123" not in text and "json://" not in text


def test_a_url_apprise_cannot_read_fails_with_a_sentence_and_no_token(caplog):
    caplog.set_level(logging.DEBUG)
    slack = Notify(name="care managers on Slack", url_env="CLAMOR_NOTIFY_SLACK")
    # A slash short: apprise cannot tell where the token is and logs the URL whole.
    env = {"CLAMOR_NOTIFY_SLACK": "slack:/Xs3cr3tT0kenXYZ/B0123/C4567"}

    [delivery] = deliver([slack], SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent, env=env)

    assert delivery.outcome == "failed"
    assert delivery.detail.startswith(
        "The URL in CLAMOR_NOTIFY_SLACK is not one apprise understands")
    assert "s3cr3tT0ken" not in delivery.detail
    # Apprise logs a refused URL whole; Clamor's filter blanks it out.
    assert "s3cr3tT0ken" not in caplog.text
    assert "notification to 'care managers on Slack' failed" in caplog.text


def test_every_target_gets_a_delivery_in_order_even_when_some_fail(webhook):
    targets = [target(webhook.url("/broken"), name="broken"),
               Notify(name="unset", url_env="CLAMOR_NOTIFY_NOWHERE"),
               target(webhook.url("/ok"), name="ok"),
               target(webhook.url("/staff"), name="staff only", kinds=("staff",))]

    deliveries = deliver(targets, SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent, env={})

    assert [(d.target, d.outcome) for d in deliveries] == [
        ("broken", "failed"), ("unset", "not configured"), ("ok", "sent"),
        ("staff only", "not for this kind")]
    assert sorted(r["path"] for r in webhook.received) == ["/broken", "/ok"]


# -- who takes what, when -------------------------------------------------------------------

def test_quiet_hours_wrap_midnight_on_athens_clock_across_the_dst_change():
    athens = target("json://127.0.0.1/x", quiet_hours="23:00-07:00", timezone="Europe/Athens")

    def quiet(*utc) -> bool:
        return in_quiet_hours(athens, dt.datetime(*utc, tzinfo=UTC))

    assert not quiet(2025, 3, 29, 20, 30)   # 22:30 EET
    assert quiet(2025, 3, 29, 21, 30)       # 23:30 EET
    assert quiet(2025, 3, 30, 0, 30)        # 02:30 EET, past midnight
    assert quiet(2025, 3, 30, 3, 30)        # 06:30 EEST: clocks went forward at 03:00
    assert not quiet(2025, 3, 30, 4, 30)    # 07:30 EEST (06:30 on last week's offset)
    assert quiet(2025, 10, 26, 4, 30)       # 06:30 EET: clocks went back at 04:00
    assert not quiet(2025, 10, 26, 5, 30)   # 07:30 EET
    assert not in_quiet_hours(target("json://127.0.0.1/x"), dt.datetime(2025, 3, 30, 2, 0))


def test_quiet_hours_hold_warnings_but_let_critical_alerts_through(webhook):
    athens = target(webhook.url(), quiet_hours="23:00-07:00", timezone="Europe/Athens")
    night = dt.datetime(2025, 3, 30, 0, 30, tzinfo=UTC)   # 02:30 in Athens

    [held] = deliver([athens], SPIKE, now=night, sent_last_hour=never_sent)
    critical = Message("spike", "critical", SPIKE.title, SPIKE.body)
    [sent] = deliver([athens], critical, now=night, sent_last_hour=never_sent)

    assert held.outcome == "quiet hours"
    assert "it is 02:30 there" in held.detail
    assert sent.outcome == "sent"
    assert "critical alerts are always sent" in sent.detail
    assert [r["json"]["type"] for r in webhook.received] == ["failure"]


def test_quiet_hours_that_cannot_be_read_do_not_swallow_alerts(webhook):
    typo = target(webhook.url(), quiet_hours="25:00-07:00")

    [delivery] = deliver([typo], SPIKE, now=NOON_ATHENS, sent_last_hour=never_sent)

    assert delivery.outcome == "sent"
    assert "Quiet hours were not applied" in delivery.detail
    assert "quiet hours ignored" in describe(typo)


def test_the_hourly_cap_holds_messages_once_reached(webhook):
    capped = target(webhook.url(), max_per_hour=3)
    asked: list[str] = []

    def counts(sent: int):
        def sent_last_hour(name: str) -> int:
            asked.append(name)
            return sent
        return sent_last_hour

    [held] = deliver([capped], SPIKE, now=NOON_ATHENS, sent_last_hour=counts(3))
    [sent] = deliver([capped], SPIKE, now=NOON_ATHENS, sent_last_hour=counts(2))

    assert held.outcome == "rate limited"
    assert "Already 3 sent in the last hour" in held.detail
    assert sent.outcome == "sent"
    assert asked == ["care managers", "care managers"]
    assert len(webhook.received) == 1


def test_kinds_and_minimum_severity_filter_what_a_target_takes(webhook):
    escalations = target(webhook.url(), kinds=("backlog",), min_severity="critical")

    def one(kind: str, severity: str) -> notify.Delivery:
        message = Message(kind, severity, "t", "b")
        return deliver([escalations], message, now=NOON_ATHENS,
                       sent_last_hour=never_sent)[0]

    spike = one("spike", "critical")
    warning = one("backlog", "warning")
    assert spike.outcome == "not for this kind"
    assert spike.detail == "This target takes backlog alerts, not spike alerts."
    assert warning.outcome == "below severity"
    assert one("backlog", "critical").outcome == "sent"
    assert len(webhook.received) == 1


def test_send_test_ignores_kinds_severity_quiet_hours_and_the_cap(webhook):
    strict = target(webhook.url(), kinds=("staff",), min_severity="critical",
                    quiet_hours="00:00-24:00", max_per_hour=1)

    delivery = send_test(strict, now=NOON_ATHENS)

    assert delivery.outcome == "sent"
    assert webhook.received[0]["json"]["type"] == "info"


# -- the Alerts page ------------------------------------------------------------------------

def test_describe_says_where_and_what_but_never_the_url():
    slack = Notify(name="care managers on Slack", url_env="CLAMOR_NOTIFY_SLACK",
                   kinds=("spike", "backlog"), quiet_hours="23:00-07:00",
                   timezone="Europe/Athens")
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"

    assert describe(slack, {"CLAMOR_NOTIFY_SLACK": url}) == (
        "care managers on Slack — from $CLAMOR_NOTIFY_SLACK (set) · spike, backlog · "
        "warning and up · quiet 23:00-07:00 Europe/Athens · at most 6 an hour")
    assert "(not set)" in describe(slack, {})
    plain = target("json://hooks.internal/T0kenInPath", min_severity="critical")
    assert describe(plain) == ("care managers — from a url in the config file · spike, "
                               "backlog, staff · critical only · no quiet hours · "
                               "at most 6 an hour")
