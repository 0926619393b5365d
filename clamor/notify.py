"""Sends alert notifications to the managers' channels through apprise (Slack, Teams, email,
Telegram, JSON webhooks…), honouring each target's alert kinds, minimum severity, quiet hours
and hourly cap, and says for every target what happened: a failure to notify is never silent.

Timeouts: apprise gives every HTTP-based service a 4 s connect and 4 s read timeout unless the
URL sets its own (`?cto=`/`?rto=`), and Clamor caps each send at `SEND_TIMEOUT_SECONDS` of wall
clock (apprise's `notify(timeout=…)`), so a slow endpoint delays an alert run, never hangs it.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Self
from urllib.parse import parse_qsl, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import apprise
from apprise import NotifyFormat, NotifyType

from clamor.config import Notify

log = logging.getLogger(__name__)

KINDS = ("spike", "backlog", "staff", "test")
SEVERITIES = ("warning", "critical")
OUTCOMES = ("sent", "failed", "quiet hours", "rate limited", "not for this kind",
            "below severity", "not configured")

# The longest one target may hold up an alert run. Apprise's own per-request timeouts (4 s
# connect, 4 s read) bound each HTTP exchange, but a plugin may make several requests, retry,
# or read a trickling answer; this bounds the whole send (20 s leaves apprise's e-mail plugin
# its own 15 s SMTP connect timeout). Past it apprise stops waiting and its worker finishes
# (or times out) in the background.
SEND_TIMEOUT_SECONDS = 20.0

APPRISE_WIKI = "https://github.com/caronc/apprise/wiki"


@dataclass(frozen=True)
class Message:
    """One notification: an alert (or the test), ready to send as plain text."""

    kind: str            # "spike" | "backlog" | "staff" | "test"
    severity: str        # "warning" | "critical"
    title: str           # one line
    # Plain text. It quotes mentions, which are untrusted: it is sent as TEXT, never as
    # Markdown or HTML, so a mention cannot format, link or script anything.
    body: str
    alert_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; one of "
                             f"{', '.join(SEVERITIES)}")


@dataclass(frozen=True)
class Delivery:
    """What became of one message for one target, in a sentence a manager can act on."""

    target: str          # the Notify.name
    outcome: str         # one of OUTCOMES
    detail: str          # never the URL: it holds tokens


def deliver(targets: Sequence[Notify], message: Message, *, now: dt.datetime,
            sent_last_hour: Callable[[str], int], env: Mapping[str, str] = os.environ,
            timeout: float = SEND_TIMEOUT_SECONDS) -> list[Delivery]:
    """Send `message` to every target that takes it; one Delivery per target, in order.

    `sent_last_hour(name)` counts the messages sent to that target in the hour before `now`
    (the caller's record of deliveries). A naive `now` is taken as UTC. Never raises because
    a channel failed: that is a "failed" Delivery.
    """
    deliveries: list[Delivery | None] = []
    to_send: list[tuple[int, Notify, str, str]] = []  # (position, target, url, note)
    for target in targets:
        held = _held_back(target, message, now, sent_last_hour)
        if isinstance(held, Delivery):
            deliveries.append(held)
            continue
        url, missing = _url(target, env)
        if missing:
            deliveries.append(missing)
            continue
        to_send.append((len(deliveries), target, url, held))
        deliveries.append(None)

    if len(to_send) == 1:
        position, target, url, note = to_send[0]
        deliveries[position] = _send(target, url, message, timeout, note)
    elif to_send:
        # In parallel: a dead Teams webhook must not hold the Slack message back.
        with cf.ThreadPoolExecutor(max_workers=min(len(to_send), 8),
                                   thread_name_prefix="clamor-notify") as pool:
            futures = {pool.submit(_send, target, url, message, timeout, note): position
                       for position, target, url, note in to_send}
            for future, position in futures.items():
                deliveries[position] = future.result()
    return [d for d in deliveries if d is not None]


def send_test(target: Notify, *, now: dt.datetime, env: Mapping[str, str] = os.environ,
              timeout: float = SEND_TIMEOUT_SECONDS) -> Delivery:
    """The "send test notification" button: sends now, whatever the kinds, severity, quiet
    hours and hourly cap say, so a manager can check the channel at any time."""
    url, missing = _url(target, env)
    if missing:
        return missing
    try:
        zone = _zone(target)
    except ValueError:
        zone = dt.UTC
    local = _aware(now).astimezone(zone)
    message = Message(
        kind="test", severity="warning",
        title=f"Clamor test notification for {target.name}",
        body=(f"This is a test from Clamor's Alerts page, sent {local:%Y-%m-%d %H:%M} "
              f"({getattr(zone, 'key', 'UTC')}). If you can read it, alerts reach this "
              f"channel; nothing needs doing.\n"
              f"What is sent here: {describe(target, env)}."))
    return _send(target, url, message, timeout, "")


def in_quiet_hours(target: Notify, now: dt.datetime) -> bool:
    """Whether `now` falls in the target's quiet hours, on its own clock (a window such as
    "22:00-07:00" wraps midnight). Raises ValueError, with a sentence, when the target's
    quiet hours or time zone cannot be understood."""
    window = _quiet_window(target)
    if window is None:
        return False
    start, end = window
    local = _aware(now).astimezone(_zone(target))
    minute = local.hour * 60 + local.minute
    if start == end:
        return False  # an empty window, not a whole day: "00:00-24:00" says a whole day
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def describe(target: Notify, env: Mapping[str, str] = os.environ) -> str:
    """One line for the Alerts page: where the URL comes from (never the URL) and what the
    target takes, e.g. "care managers on Slack — from $CLAMOR_NOTIFY_SLACK (set) · spike,
    backlog · warning and up · quiet 23:00-07:00 Europe/Athens · at most 6 an hour"."""
    if target.url_env:
        state = "set" if (env.get(target.url_env) or "").strip() else "not set"
        source = f"from ${target.url_env} ({state})"
    else:
        source = "from a url in the config file"
    severity = "warning and up" if target.min_severity == "warning" else "critical only"
    if target.quiet_hours is None:
        quiet = "no quiet hours"
    else:
        try:
            _quiet_window(target)
            _zone(target)
            quiet = f"quiet {target.quiet_hours.replace(' ', '')} {target.timezone}"
        except ValueError as exc:
            quiet = f"quiet hours ignored: {exc}"
    parts = [", ".join(target.kinds), severity, quiet, f"at most {target.max_per_hour} an hour"]
    return f"{target.name} — {source} · " + " · ".join(parts)


# -- deciding ------------------------------------------------------------------------------

def _held_back(target: Notify, message: Message, now: dt.datetime,
               sent_last_hour: Callable[[str], int]) -> Delivery | str:
    """A Delivery when the target does not take this message now; else a note for the
    "sent" detail (empty, or why the quiet hours were not applied)."""
    def skip(outcome: str, detail: str) -> Delivery:
        return Delivery(target.name, outcome, detail)

    if message.kind not in target.kinds:
        return skip("not for this kind", f"This target takes {_and(target.kinds)} alerts, "
                                          f"not {message.kind} alerts.")
    if SEVERITIES.index(message.severity) < SEVERITIES.index(target.min_severity):
        return skip("below severity", f"This target takes {target.min_severity} alerts "
                                       f"only; this one is a {message.severity}.")
    note = ""
    try:
        quiet = in_quiet_hours(target, now)
    except ValueError as exc:
        # A typo in the quiet hours must not swallow alerts: send, and say so.
        quiet, note = False, f" Quiet hours were not applied: {exc}"
    if quiet:
        local = _aware(now).astimezone(_zone(target))
        if message.severity != "critical":
            return skip("quiet hours", f"Quiet hours ({target.quiet_hours} "
                                       f"{target.timezone}, it is {local:%H:%M} there): only "
                                       "critical alerts are sent now.")
        note = " It is quiet hours there, but critical alerts are always sent."
    sent = sent_last_hour(target.name)
    if sent >= target.max_per_hour:
        return skip("rate limited", f"Already {sent} sent in the last hour, the most this "
                                    f"target takes (max_per_hour = {target.max_per_hour}); "
                                    "the alert is still on the Alerts page.")
    return note


def _url(target: Notify, env: Mapping[str, str]) -> tuple[str, Delivery | None]:
    """The target's apprise URL, or a "not configured" Delivery naming what to set."""
    if target.url:
        return target.url.strip(), None
    url = (env.get(target.url_env or "") or "").strip()
    if url:
        return url, None
    return "", Delivery(target.name, "not configured",
                        f"{target.url_env} is not set, so alerts for {target.name!r} go "
                        f"nowhere: set it (in .env) to the channel's apprise URL "
                        f"({APPRISE_WIKI}).")


def _quiet_window(target: Notify) -> tuple[int, int] | None:
    """(start, end) of the quiet hours in minutes after local midnight."""
    if target.quiet_hours is None:
        return None
    minutes = []
    for part in target.quiet_hours.split("-"):
        hours, _, mins = part.strip().partition(":")
        try:
            h, m = int(hours), int(mins)
        except ValueError:
            h = m = -1
        if not (0 <= h <= 24 and 0 <= m < 60 and h * 60 + m <= 24 * 60):
            raise ValueError(f"quiet_hours {target.quiet_hours!r} of {target.name!r} are "
                             "not times of day; write them like \"22:00-07:00\".")
        minutes.append(h * 60 + m)
    if len(minutes) != 2:
        raise ValueError(f"quiet_hours {target.quiet_hours!r} of {target.name!r} must be "
                         "one span like \"22:00-07:00\".")
    return minutes[0], minutes[1]


def _zone(target: Notify) -> ZoneInfo:
    try:
        return ZoneInfo(target.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {target.timezone!r} of {target.name!r} is not a known "
                         "time zone; use a name like \"Europe/Athens\".") from None


def _aware(now: dt.datetime) -> dt.datetime:
    # The store keeps UTC; a naive time from it means UTC.
    return now if now.tzinfo is not None else now.replace(tzinfo=dt.UTC)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- sending -------------------------------------------------------------------------------

def _notify_type(message: Message) -> NotifyType:
    if message.kind == "test":
        return NotifyType.INFO
    return NotifyType.FAILURE if message.severity == "critical" else NotifyType.WARNING


def _where(target: Notify) -> str:
    if target.url_env:
        return f"the URL in {target.url_env}"
    return f"the url of notify target {target.name!r} in the config file"


def _send(target: Notify, url: str, message: Message, timeout: float, note: str) -> Delivery:
    _remember_secrets(url)
    where = _where(target)
    try:
        app = apprise.Apprise()
        with _AppriseComplaints() as heard:
            added = app.add(url)
        if not added:
            reason = f" (apprise: {_sentence(heard.messages[0])})" if heard.messages else ""
            return _failed(target, f"{where[0].upper()}{where[1:]} is not one apprise "
                                   f"understands{reason}; check it against {APPRISE_WIKI}.")
        with app.notify(body=message.body, title=" ".join(message.title.split()),
                        notify_type=_notify_type(message), body_format=NotifyFormat.TEXT,
                        interpret_escapes=False, timeout=timeout) as result:
            if result:
                services = _and([r.name for r in result] or ["apprise"])
                return Delivery(target.name, "sent", f"Delivered to {services}.{note}")
            return _failed(target, _why_not(result, where, timeout))
    except Exception as exc:  # noqa: BLE001 - apprise plugins are third-party code
        return _failed(target, f"Sending failed inside apprise ({type(exc).__name__}: "
                               f"{_sentence(_hide(str(exc)))}); check {where}.")


def _why_not(result: apprise.AppriseResult, where: str, timeout: float) -> str:
    failed = [r for r in result if r.status != apprise.AppriseResultStatus.SUCCESS]
    if not failed:
        return (f"Apprise found no service to send to ({result.status.name.lower()}); "
                f"check {where}.")
    names = _and([r.name for r in failed])
    some = " (the other services took it)" if len(failed) < len(result) else ""
    if all(r.status == apprise.AppriseResultStatus.TIMEOUT for r in failed):
        return (f"{names} did not answer within {timeout:g} s, so the alert was not "
                f"delivered{some}; check that the service is up and reachable from this "
                "server.")
    reasons = [e.message for r in failed for e in r.logs()
               if e.level in ("WARNING", "ERROR", "CRITICAL")]
    said = f": {_sentence(_hide(reasons[0]))}" if reasons else ""
    return (f"{names} did not take the alert{some}{said} Check {where} and that the service "
            "is up, then use \"Send test notification\".")


def _failed(target: Notify, detail: str) -> Delivery:
    log.warning("notification to %r failed: %s", target.name, detail)
    return Delivery(target.name, "failed", detail)


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return f"{text}." if text else ""


class _AppriseComplaints(logging.Handler):
    """Warnings apprise logs in this thread while it reads a URL: the reason it refused one.
    (Sends report their own logs in the AppriseResult; `add` reports only True/False.)"""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Another thread may be sending to another target at the same moment.
        if record.thread == self._thread:
            self.messages.append(record.getMessage())

    def __enter__(self) -> Self:
        _APPRISE_LOG.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _APPRISE_LOG.removeHandler(self)


# -- keeping URLs secret -------------------------------------------------------------------
# Apprise URLs carry tokens in every position (slack://TokenA/TokenB/TokenC,
# tgram://bot-token/chat, mailto://user:password@host). Apprise logs a refused URL whole
# ("Could not load Slack URL: slack://…"), so every URL Clamor hands it is remembered and its
# secret-looking pieces are blanked out of apprise's log records and of our own details.

_APPRISE_LOG = logging.getLogger("apprise")
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
HIDDEN = "[hidden]"


def _secret_pieces(url: str) -> set[str]:
    _scheme, sep, rest = url.partition("://")
    candidates = [url, rest]
    if not sep:  # a mistyped URL ("slack:/T0ken/…"): apprise logs it whole
        candidates += re.split(r"[/:?&=#@]", url)
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hostport = netloc.rpartition("@")
    host, *port = hostport.split(":")
    candidates += [*userinfo.split(":"), *port, *path.split("/"), fragment,
                   *(v for _, v in parse_qsl(query, keep_blank_values=True))]
    if "." not in host:
        candidates.append(host)   # a token in the host's place; a dotted name is a real host
    pieces = set()
    for piece in candidates:
        for form in (piece, unquote(piece)):
            if len(form) >= 4 and not (form.isdigit() and len(form) <= 5):  # not a port
                pieces.add(form)
    return pieces


def _remember_secrets(url: str) -> None:
    with _SECRETS_LOCK:
        _SECRETS.update(_secret_pieces(url))


def _hide(text: str) -> str:
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, HIDDEN)
    return text


class _HideSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            message = record.getMessage()
            hidden = _hide(message)
            if hidden != message:
                record.msg, record.args = hidden, ()
        return True


# urllib3 logs the request path (Slack's and Teams' tokens live there) at DEBUG.
for _logger in (_APPRISE_LOG, logging.getLogger("urllib3.connectionpool")):
    if not any(type(f).__name__ == "_HideSecrets" for f in _logger.filters):
        _logger.addFilter(_HideSecrets())
