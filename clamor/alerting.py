"""Crisis alerts: run detection over the stored mentions, keep one alert per episode up to
date, and tell the people who asked to be told.

`detect` is what `clamor alerts` prints and what the scheduler stores: series counts from the
store → analysis.spikes → episodes, each with its explanation (top new terms, languages,
sources, sample posts). `run` reconciles the episodes of the last day with the stored alerts:
a new episode opens an alert and notifies; an ongoing one updates it; one back to normal is
resolved by Clamor. What managers do with an alert (acknowledge, resolve, note) is recorded
in alert_events, the alerts' audit trail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis import spikes
from clamor import auth, notify, queries, standards
from clamor.config import LANGUAGE_NAMES, Config
from clamor.store import Store, take_numbers, utcnow

SYSTEM = "Clamor"
LOOKBACK = dt.timedelta(hours=24)  # what each scheduled run re-evaluates
SAMPLES = 5
BACKLOG_DAYS = dt.timedelta(days=30)  # how far back a complaint may still count as late


@dataclass
class Alert:
    """An episode with its explanation, as `clamor alerts --json` prints it."""

    episode: spikes.Episode
    top_terms: list[tuple[str, int, float]] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    samples: list[dict] = field(default_factory=list)
    # Other series that spiked in the same storm (all mentions, mentions on x…): folded into
    # this alert, the most unusual one, instead of each raising its own.
    related: list[dict] = field(default_factory=list)

    @property
    def series_set(self) -> list[str]:
        return [self.episode.series, *(r["series"] for r in self.related)]

    def as_json(self) -> dict:
        e = self.episode
        return {
            "kind": e.kind, "series": e.series, "severity": e.severity,
            "start": _iso(e.start), "end": _iso(e.end), "peak_at": _iso(e.peak_at),
            "observed": e.observed, "expected": e.expected,
            "statistic": round(e.statistic, 2), "threshold": e.threshold,
            "spread": round(e.spread, 2),
            "top_terms": [{"term": t, "count": n, "baseline": round(b, 2)}
                          for t, n, b in self.top_terms],
            "languages": self.languages, "sources": self.sources, "samples": self.samples,
            "related": self.related,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else pd.Timestamp(value).tz_convert("UTC").isoformat()


def evaluation_times(since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """Every bin boundary in (since, until]: where detection looks."""
    step = dt.timedelta(minutes=spikes.BIN_MINUTES)
    first = pd.Timestamp(since).ceil(f"{spikes.BIN_MINUTES}min").to_pydatetime()
    times, t = [], first
    while t <= until:
        times.append(t)
        t += step
    return times


def first_mention(store: Store, floor: dt.datetime) -> dt.datetime:
    """When counting began: the first stored mention, or `floor` if the history is longer
    (before it there is no baseline, not a zero one)."""
    first = queries.first_mention_at(store)
    return max(first, floor) if first is not None else floor


def timeline(store: Store, config: Config, series: str, until: dt.datetime,
             hours: float = 48) -> pd.DataFrame:
    """The series as detection reads it over the last `hours`: at, observed, expected,
    threshold (for the Alerts page's chart)."""
    settings = spikes.Settings.from_config(config.alerts)
    since = until - dt.timedelta(hours=hours)
    times = evaluation_times(since, until)
    if not times:
        return pd.DataFrame()
    history = dt.timedelta(days=settings.baseline_days, minutes=settings.window_minutes)
    counts = queries.series_counts(store, since - history, until, staff_terms(config),
                                   spikes.BIN_MINUTES)
    return spikes.measure(counts, times, settings, series,
                          history_start=first_mention(store, since - history))


def staff_terms(config: Config) -> list[str]:
    return [t.term for t in config.watchlist.terms if t.kind == "staff"]


def detect(store: Store, config: Config, since: dt.datetime,
           until: dt.datetime | None = None, *, explain: bool = True) -> list[Alert]:
    """The alerts detection finds over (since, until]: spikes and staff alerts from the series
    counts, backlog alerts from complaint cases past their standard."""
    until = until or utcnow()
    settings = spikes.Settings.from_config(config.alerts)
    times = evaluation_times(since, until)
    if not times:
        return []
    history = dt.timedelta(days=settings.baseline_days, minutes=settings.window_minutes)
    staff = staff_terms(config)
    counts = queries.series_counts(store, since - history, until, staff, spikes.BIN_MINUTES)
    episodes = spikes.detect(counts, times, settings,
                             history_start=first_mention(store, since - history))
    found = group([Alert(e) for e in episodes], until)
    found += [Alert(e) for e in _backlog(store, config, times)]
    found.sort(key=lambda a: (a.episode.start, a.episode.series))
    if explain:
        for alert in found:
            _explain(store, config, alert, settings, staff)
    return found


def group(alerts: list[Alert], until: dt.datetime) -> list[Alert]:
    """One alert per storm: spikes whose episodes overlap in time are one storm, told by its
    most unusual series, the others listed as related. Staff alerts stay on their own: a
    name in negative posts is news even inside a storm."""
    spikes_ = sorted((a for a in alerts if a.episode.kind == "spike"),
                     key=lambda a: a.episode.start)
    storms: list[list[Alert]] = []
    reach = None
    for alert in spikes_:
        end = alert.episode.end or until
        if storms and alert.episode.start <= reach:
            storms[-1].append(alert)
            reach = max(reach, end)
        else:
            storms.append([alert])
            reach = end
    told = []
    for storm in storms:
        leader = max(storm, key=lambda a: a.episode.statistic)
        leader.related = [
            {"series": a.episode.series, "observed": a.episode.observed,
             "expected": a.episode.expected, "statistic": round(a.episode.statistic, 2)}
            for a in sorted(storm, key=lambda a: -a.episode.statistic) if a is not leader]
        told.append(leader)
    return told + [a for a in alerts if a.episode.kind != "spike"]


def _backlog(store: Store, config: Config, times: Sequence[dt.datetime]) -> list:
    # A complaint is late from its due time under the strictest first-response standard
    # until it is answered; with no standard configured there is no lateness to count.
    cases = queries.complaint_due_times(store, times[0] - BACKLOG_DAYS)
    if cases.empty or not config.standards:
        return []
    due = standards.due(config, cases, times[-1])["due_at"]
    late = spikes.backlog(due.tolist(), cases["first_response_at"].tolist(), times)
    return spikes.detect_backlog(late, times, config.alerts.backlog_late_complaints)


def late_complaints(store: Store, config: Config, now: dt.datetime | None = None,
                    limit: int = 10) -> tuple[int, pd.DataFrame]:
    """What a backlog alert counts, as it stands at `now`: how many complaints are past the
    due time of their strictest first-response standard and still unanswered, and the
    `limit` most overdue of them (id, mention_id, source, author, team, owner, standard,
    minutes_late on that standard's clock), most overdue first."""
    now = now or utcnow()
    cases = queries.complaint_due_times(store, now - BACKLOG_DAYS, unanswered=True)
    columns = ["id", "mention_id", "source", "author", "team", "owner", "standard",
               "minutes_late"]
    if cases.empty or not config.standards:
        return 0, pd.DataFrame(columns=columns)
    due = standards.due(config, cases, now)
    # as spikes.backlog counts them at `now`: due by then (and not answered: all of these)
    late = due["due_at"].notna() & (due["due_at"] <= pd.Timestamp(now))
    overdue = cases.loc[late, ["id"]].assign(
        standard=due.loc[late, "standard"], minutes_late=-due.loc[late, "minutes_left"])
    top = overdue.sort_values(["minutes_late", "id"], ascending=[False, True]).head(limit)
    people = queries.case_people(store, top["id"].tolist())
    # (inner: a case erased between the two reads is not listed)
    return int(late.sum()), top.merge(people, on="id", how="inner")[columns]


def _explain(store: Store, config: Config, alert: Alert, settings, staff: list[str]) -> None:
    e = alert.episode
    if e.kind == "backlog":
        return
    window = dt.timedelta(minutes=settings.window_minutes)
    end = e.peak_at
    posts = queries.series_mentions(store, e.series, end - window, end, staff)
    if posts.empty:
        return
    baseline_texts: list[str] = []
    for day in range(1, settings.baseline_days + 1):
        shift = dt.timedelta(days=day)
        earlier = queries.series_mentions(store, e.series, end - window - shift, end - shift,
                                          staff, limit=500)
        baseline_texts += earlier["text"].tolist()
    names = [s for t in config.watchlist.terms for s in t.spellings]
    alert.top_terms = spikes.new_terms(posts["text"].tolist(), baseline_texts,
                                       exclude=names, baseline_windows=settings.baseline_days)
    alert.languages = {k: int(v) for k, v in posts["lang"].value_counts().items()}
    alert.sources = {k: int(v) for k, v in posts["source"].value_counts().items()}
    loudest = posts.sort_values("author_followers", ascending=False, na_position="last")
    alert.samples = [
        {"mention": r.id, "author": r.author, "text": r.text[:280], "url": r.url,
         "at": _iso(r.created_at)}
        for r in loudest.head(SAMPLES).itertuples()]


# -- keeping the stored alerts up to date (the scheduler's job) -----------------------------

def run(store: Store, config: Config, now: dt.datetime | None = None,
        lookback: dt.timedelta = LOOKBACK) -> list[str]:
    """Detect over the last day (or `lookback`), open/update/close stored alerts, notify
    about new ones; returns the ids of alerts opened in this run."""
    if not config.alerts.enabled:
        return []
    now = now or utcnow()
    found = detect(store, config, now - lookback, now)
    opened = []
    for alert in found:
        alert_id, is_new = _save(store, alert, now)
        if is_new:
            opened.append(alert_id)
            # An episode already over when first seen (history arriving late, a first start)
            # is recorded, not announced: nobody can act on it any more.
            if alert.episode.end is None:
                send(store, config, alert_id, now)
    _close_vanished(store, found, now)
    return opened


def _save(store: Store, alert: Alert, now: dt.datetime) -> tuple[str, bool]:
    e = alert.episode
    explanation = json.dumps(alert.as_json(), ensure_ascii=False)
    with store.transaction() as con:
        # The same episode seen again (possibly from a later start, when its beginning has
        # left the look-back window): same kind and series, and not ended before it began.
        # (A storm's leading series may change as it grows: any of its series will do.)
        row = con.execute(
            "SELECT id, status, statistic, ended_at FROM alerts WHERE kind = ? "
            "AND list_contains(?, series) "
            "AND (ended_at IS NULL OR ended_at >= ?) AND started_at <= ? "
            "ORDER BY started_at DESC LIMIT 1",
            [e.kind, alert.series_set, e.start - dt.timedelta(minutes=spikes.BIN_MINUTES),
             e.end or now]).fetchone()
        if row is None:
            alert_id = f"A-{take_numbers(con, 'alert_number')[0]}"
            con.execute(
                "INSERT INTO alerts (id, kind, series, status, severity, started_at, ended_at, "
                "peak_at, observed, expected, spread, statistic, threshold, latest_at, "
                "latest_observed, latest_expected, latest_statistic, explanation, updated_at) "
                "VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [alert_id, e.kind, e.series, e.severity, e.start, e.end, e.peak_at,
                 e.observed, e.expected, e.spread, e.statistic, e.threshold, e.latest_at,
                 e.latest_observed, e.latest_expected, e.latest_statistic, explanation, now])
            _event(con, alert_id, e.start, SYSTEM, "opened", None, "open",
                   f"{e.observed:g} in the window, expected {e.expected:g} "
                   f"(z {e.statistic:.1f} ≥ {e.threshold:g})")
            if e.end is not None:
                _close(con, alert_id, "open", e.end)
            return alert_id, True
        alert_id, status, peak, _ = row
        stronger = e.statistic > peak  # the peak is the most unusual reading
        con.execute(
            "UPDATE alerts SET latest_at = ?, latest_observed = ?, latest_expected = ?, "
            "latest_statistic = ?, ended_at = ?, updated_at = ?"
            + (", peak_at = ?, observed = ?, expected = ?, spread = ?, statistic = ?, "
               "severity = CASE WHEN severity = 'critical' THEN severity ELSE ? END, "
               "explanation = ?" if stronger else "")
            + " WHERE id = ?",
            [e.latest_at, e.latest_observed, e.latest_expected, e.latest_statistic, e.end, now,
             *([e.peak_at, e.observed, e.expected, e.spread, e.statistic, e.severity,
                explanation] if stronger else []), alert_id])
        if e.end is not None and status != "resolved":
            _close(con, alert_id, status, e.end)
        return alert_id, False


def _close_vanished(store: Store, found: list[Alert], now: dt.datetime) -> None:
    """Open alerts whose series detection no longer sees as unusual are back to normal."""
    live = {(a.episode.kind, series) for a in found if a.episode.end is None
            for series in a.series_set}
    with store.transaction() as con:
        for alert_id, kind, series, status in con.execute(
                "SELECT id, kind, series, status FROM alerts WHERE ended_at IS NULL").fetchall():
            if (kind, series) not in live:
                con.execute("UPDATE alerts SET ended_at = ?, updated_at = ? WHERE id = ?",
                            [now, now, alert_id])
                if status != "resolved":
                    _close(con, alert_id, status, now)


def _close(con, alert_id: str, status: str, at: dt.datetime) -> None:
    con.execute("UPDATE alerts SET status = 'resolved', resolved_by = ?, resolved_at = ? "
                "WHERE id = ?", [SYSTEM, at, alert_id])
    _event(con, alert_id, at, SYSTEM, "resolved", status, "resolved", "back to normal")


def _event(con, alert_id: str, at: dt.datetime, actor: str, action: str,
           before: str | None, after: str | None, note: str | None) -> None:
    con.execute("INSERT INTO alert_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                [alert_id, at, actor, action, before, after, note])


# -- what managers do ----------------------------------------------------------------------

class AlertRefused(Exception):
    """The change cannot be made; the message says why."""


def _permit(con, actor: str, action: str) -> None:
    try:
        auth.permit(con, actor, action)
    except auth.NotPermitted as exc:
        raise AlertRefused(str(exc)) from None


def acknowledge(store: Store, alert_id: str, *, actor: str, note: str = "",
                at: dt.datetime | None = None) -> None:
    _move(store, alert_id, actor, "acknowledged", note, at, allowed=("open",),
          action="acknowledge_alert")


def resolve(store: Store, alert_id: str, *, actor: str, note: str = "",
            at: dt.datetime | None = None) -> None:
    _move(store, alert_id, actor, "resolved", note, at, allowed=("open", "acknowledged"),
          action="resolve_alert")


def add_note(store: Store, alert_id: str, *, actor: str, note: str,
             at: dt.datetime | None = None) -> None:
    if not actor.strip() or not note.strip():
        raise AlertRefused("say who you are and write the note")
    with store.transaction() as con:
        _permit(con, actor, "note_alert")
        if con.execute("SELECT 1 FROM alerts WHERE id = ?", [alert_id]).fetchone() is None:
            raise AlertRefused(f"there is no alert {alert_id}")
        _event(con, alert_id, at or utcnow(), actor.strip(), "note", None, None, note.strip())


def _move(store: Store, alert_id: str, actor: str, status: str, note: str,
          at: dt.datetime | None, allowed: tuple[str, ...], action: str) -> None:
    if not actor or not actor.strip():
        raise AlertRefused(f"say who you are (your name) before marking an alert {status}")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, action)
        row = con.execute("SELECT status FROM alerts WHERE id = ?", [alert_id]).fetchone()
        if row is None:
            raise AlertRefused(f"there is no alert {alert_id}")
        if row[0] not in allowed:
            raise AlertRefused(f"alert {alert_id} is {row[0]} already")
        con.execute(f"UPDATE alerts SET status = ?, {status}_by = ?, {status}_at = ? "
                    "WHERE id = ?", [status, actor.strip(), at, alert_id])
        _event(con, alert_id, at, actor.strip(), status, row[0], status, note.strip() or None)


# -- notifying -----------------------------------------------------------------------------

def message(alert_row: dict, base_url: str | None = None) -> notify.Message:
    """The notification for a stored alert: title in one line, the explanation as text."""
    explanation = alert_row.get("explanation") or {}
    if isinstance(explanation, str):
        explanation = json.loads(explanation)
    return notify.Message(kind=alert_row["kind"], severity=alert_row["severity"],
                          title=title(alert_row), body=body(alert_row, explanation, base_url),
                          alert_id=alert_row["id"])


SERIES_WORDS = {"all": "Mentions", "complaints": "Complaints", "negative": "Negative mentions"}


def series_name(series: str) -> str:
    """A series as a manager says it: "Complaints in Persian", "Mentions of SkyPoints"."""
    if series == "backlog":
        return "Late complaints"
    if series.startswith("term="):
        return f"Mentions of {series[5:]}"
    if series.startswith("staff="):
        return f"{series[6:]} in negative mentions"
    base, _, scope = series.partition("/")
    words = SERIES_WORDS.get(base, base)
    if scope.startswith("lang="):
        return f"{words} in {LANGUAGE_NAMES.get(scope[5:], scope[5:])}"
    if scope.startswith("source="):
        return f"{words} on {scope[7:]}"
    return words


def title(row: dict) -> str:
    name = series_name(row["series"])
    if row["kind"] == "backlog":
        return (f"{row['id']} · {name}: {row['latest_observed']:g} complaints past their "
                f"standard (threshold {row['threshold']:g})")
    return (f"{row['id']} · {name}: {row['observed']:g} in the window "
            f"(expected {row['expected']:g})")


def body(row: dict, explanation: dict, base_url: str | None) -> str:
    lines = [f"{row['severity'].upper()} {row['kind']} alert since "
             f"{pd.Timestamp(row['started_at']).strftime('%Y-%m-%d %H:%M UTC')}."]
    if row["kind"] != "backlog":
        lines.append(f"Observed {row['observed']:g}, expected {row['expected']:g}; robust z "
                     f"{row['statistic']:.1f} (alerts at {row['threshold']:g}).")
    related = explanation.get("related") or []
    if related:
        lines.append("Also unusual: " + "; ".join(
            f"{series_name(r['series'])} {r['observed']:g} vs {r['expected']:g}"
            for r in related[:6]))
    terms = explanation.get("top_terms") or []
    if terms:
        lines.append("New terms: " + ", ".join(t["term"] for t in terms[:8]))
    for label, key in (("Languages", "languages"), ("Sources", "sources")):
        if explanation.get(key):
            lines.append(f"{label}: " + ", ".join(f"{k} {v}" for k, v in
                                                 explanation[key].items()))
    for sample in (explanation.get("samples") or [])[:3]:
        lines.append(f"- {sample.get('author') or 'unknown'}: {sample['text'][:200]}"
                     + (f" ({sample['url']})" if sample.get("url") else ""))
    if base_url:
        lines.append(f"Open: {base_url.rstrip('/')}/alerts")
    return "\n".join(lines)


def send(store: Store, config: Config, alert_id: str, now: dt.datetime | None = None
         ) -> list[notify.Delivery]:
    """Notify every configured target about one stored alert; every attempt is recorded."""
    now = now or utcnow()
    row = queries.alert(store, alert_id)
    if row is None or not config.alerts.notify:
        return []
    since = now - dt.timedelta(hours=1)
    deliveries = notify.deliver(
        config.alerts.notify, message(row), now=now,
        sent_last_hour=lambda target: queries.notifications_since(store, target, since))
    record(store, alert_id, deliveries, now)
    return deliveries


def record(store: Store, alert_id: str | None, deliveries: Sequence[notify.Delivery],
           now: dt.datetime) -> None:
    with store.transaction() as con:
        for d in deliveries:
            con.execute("INSERT INTO notifications VALUES (?, ?, ?, ?, ?)",
                        [alert_id, d.target, now, d.outcome, d.detail])
