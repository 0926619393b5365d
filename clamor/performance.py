"""What the Team and Templates pages show managers: each person's work (cases handled, first
response and resolution times, CSAT, open load), who is on shift in each hour of a week and
when nobody covers a language or channel, and service quality (CSAT, NPS, CES, first-contact
resolution, resolution time).

Pure functions over the DataFrames clamor.queries returns and the config: no I/O, except
`library_with_edits`, which waits here for a home in clamor/templates.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from analysis.metrics import percentile
from clamor import cases
from clamor.config import Config, Person
from clamor.hours import BusinessHours

Span = tuple[dt.datetime, dt.datetime]
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
UTC = dt.timezone.utc


# -- agent performance ---------------------------------------------------------------------

# Replies typed in the platform's own app are filed with the account and source as actor
# ("@AerolumeHelp on x"); survey imports with the file ("import: answers.csv"). Neither is a
# person whose work a manager reviews, and neither is Clamor's own filing and routing.
_PLATFORM_ACTOR = re.compile(r"^\S+ on [a-z]+$")

PERIODS = {"today": "Today (UTC)", "7d": "7 days", "28d": "28 days"}


def is_person(actor: object) -> bool:
    """Whether an event's actor is someone on the team rather than a system or a platform."""
    if not isinstance(actor, str) or not actor.strip():
        return False
    return (actor != cases.SYSTEM and not actor.startswith("import: ")
            and not _PLATFORM_ACTOR.match(actor))


def period_start(period: str, now: dt.datetime) -> dt.datetime:
    """Where a period of the performance table starts: today is since 00:00 UTC."""
    now = now.astimezone(UTC)
    if period == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "7d":
        return now - 7 * _DAY
    if period == "28d":
        return now - 28 * _DAY
    raise ValueError(f"Unknown period {period!r}: use one of {', '.join(PERIODS)}.")


def agent_performance(activity: pd.DataFrame, answers: pd.DataFrame, config: Config,
                      load: Mapping[str, int], now: dt.datetime,
                      shifts: Mapping[str, list[Span]] | None = None) -> pd.DataFrame:
    """One row per person: the config's people in config order, then anyone else who acted.

    - activity: queries.agent_activity (or agent_activity_in_shifts) rows, one per person
      and case: their first response in the period, their resolution, the case's times.
    - answers: queries.survey_credits rows (queries.surveys rows work too: then only the
      owner and the resolvers seen in `activity` get the credit).
    - handled: cases the person responded to or resolved.
    - first response p50/p90 (minutes, wall clock, nearest rank): case opened to their
      response, over the cases where theirs was the case's first response.
    - resolution p50/p90 (hours): case opened to their resolution, over cases they resolved.
    - CSAT: average and count of the CSAT answers of cases they own or resolved.
    - shifts: the per-shift view. Only the config's people are listed, each with their
      shift intervals (`shift` says when, in their time zone); survey answers count when
      given within the person's own shift, as the activity does (the query restricts it).
    """
    names = [p.name for p in config.people]
    if shifts is None:
        others = sorted({a for a in activity["actor"] if is_person(a)} - set(names))
        names += others
    rows = []
    for name in names:
        mine = activity[activity["actor"] == name]
        responded = mine["responded_at"].notna()
        resolved = mine[mine["resolved_by_at"].notna()]
        first = mine[responded & (mine["responded_at"] == mine["first_response_at"])]
        frt = _minutes(first["responded_at"] - first["opened_at"])
        resolution = _minutes(resolved["resolved_by_at"] - resolved["opened_at"]) / 60
        credited = _credited(answers, name, set(resolved["case_id"]))
        if shifts is not None:
            credited = credited[_within(credited["answered_at"], shifts.get(name, []))]
        csat = credited.loc[credited["kind"] == "csat", "score"].astype(float)
        person = config.person(name)
        row = {
            "person": name,
            "team": person.team if person else None,
            "handled": int((responded | mine["resolved_by_at"].notna()).sum()),
            "first_responses": len(first),
            "first_response_p50_min": _round(percentile(frt, 50)),
            "first_response_p90_min": _round(percentile(frt, 90)),
            "resolved": len(resolved),
            "resolution_p50_h": _round(percentile(resolution, 50)),
            "resolution_p90_h": _round(percentile(resolution, 90)),
            "csat_avg": round(float(csat.mean()), 2) if len(csat) else None,
            "csat_answers": len(csat),
            "open_now": int(load.get(name, 0)),
            "on_shift_now": cases.on_shift(config, person, now) if person else None,
        }
        if shifts is not None:
            row["shift"] = describe_shift(shifts.get(name, []), config.shift_of(person)[0])
        rows.append(row)
    columns = list(_PERFORMANCE_COLUMNS)
    if shifts is not None:
        columns.insert(columns.index("team") + 1, "shift")
    return pd.DataFrame(rows, columns=columns)


_PERFORMANCE_COLUMNS = ("person", "team", "handled", "first_responses",
                        "first_response_p50_min", "first_response_p90_min", "resolved",
                        "resolution_p50_h", "resolution_p90_h", "csat_avg", "csat_answers",
                        "open_now", "on_shift_now")


def _credited(answers: pd.DataFrame, name: str, resolved_cases: set[str]) -> pd.DataFrame:
    mask = (answers["owner"] == name) | answers["case_id"].isin(resolved_cases)
    if "resolved_by" in answers:
        mask |= answers["resolved_by"] == name
    return answers[mask]


def _minutes(durations: pd.Series) -> np.ndarray:
    return np.asarray(durations.dt.total_seconds() / 60, dtype=float)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _within(times: pd.Series, spans: Iterable[Span]) -> pd.Series:
    inside = pd.Series(False, index=times.index)
    for start, end in spans:
        inside |= (times >= start) & (times < end)
    return inside


# -- shifts --------------------------------------------------------------------------------

def shift_windows(clock: BusinessHours, day: dt.date) -> list[Span]:
    """A person's working time that belongs to the local date `day` (in the clock's zone).

    A shift belongs to the day it starts on and is followed to its end, so a night shift
    (22:00-24:00 and 00:00-06:00 the next day, one interval) is one window of the day it
    began. Cover of 24 hours or more (24/7) has no start of its own: it is cut at the local
    day's midnights.
    """
    zone = ZoneInfo(clock.timezone)
    start = _local_midnight(day, zone)
    end = _local_midnight(day + _DAY, zone)
    windows = []
    for s, e in clock.open_intervals(start - 2 * _DAY, end + 2 * _DAY):
        if e - s >= _DAY:
            if s < end and e > start:
                windows.append((max(s, start), min(e, end)))
        elif start <= s < end:
            windows.append((s, e))
    return windows


def shift_spans(config: Config, day: dt.date) -> dict[str, list[Span]]:
    """Each configured person's shift windows on `day` (their own local date)."""
    return {p.name: shift_windows(cases.shift_clock(config, p), day) for p in config.people}


def span_bounds(spans: Mapping[str, list[Span]]) -> Span | None:
    """The earliest start and the latest end of all the spans; None when there are none."""
    every = [span for person in spans.values() for span in person]
    if not every:
        return None
    return min(s for s, _ in every), max(e for _, e in every)


def describe_shift(spans: list[Span], timezone: str) -> str:
    """"07:00-15:00 Europe/Athens", or "off" for a day without a shift."""
    if not spans:
        return "off"
    zone = ZoneInfo(timezone)
    parts = [f"{s.astimezone(zone):%H:%M}-{e.astimezone(zone):%H:%M}" for s, e in spans]
    return f"{', '.join(parts)} {timezone}"


# -- shift coverage ------------------------------------------------------------------------

CHANNELS = ("x", "reddit", "web")
ANYONE = "all"
COVER_LEVELS = ("nobody", "part of the hour", "1 person", "2 people", "3 or more")


def writes(config: Config, person: Person, lang: str) -> bool:
    """Whether the person answers in `lang`: their own languages, else their team's, else
    any language."""
    if person.languages:
        return lang in person.languages
    team = config.team(person.team)
    return team is None or not team.languages or lang in team.languages


def covers(config: Config, person: Person, channel: str) -> bool:
    """Whether the person's team covers the source; a team that names none covers all."""
    if channel == ANYONE:
        return True
    team = config.team(person.team)
    return team is None or not team.channels or channel in team.channels


def week_bounds(week_start: dt.date, timezone: str) -> Span:
    """Monday 00:00 to the next Monday 00:00, local to `timezone`, of the week holding
    `week_start`, as UTC instants (a DST week is 167 or 169 hours long)."""
    zone = _zone(timezone)
    monday = week_start - dt.timedelta(days=week_start.weekday())
    return _local_midnight(monday, zone), _local_midnight(monday + 7 * _DAY, zone)


def _targets(config: Config) -> list[tuple[str, str]]:
    channels = dict.fromkeys((*CHANNELS, *(c for t in config.teams for c in t.channels)))
    return ([("language", lang) for lang in config.watchlist.languages]
            + [("channel", c) for c in channels] + [("channel", ANYONE)])


def _default_name(what: str, key: str) -> str:
    if what == "channel":
        return "anyone" if key == ANYONE else f"on {key}"
    return key


def _week_cover(config: Config, week_start: dt.date, timezone: str, include_managers: bool
                ) -> tuple[Span, list[tuple[str, str, list[tuple[str, list[Span]]]]]]:
    start, end = week_bounds(week_start, timezone)
    people = [p for p in config.people if include_managers or p.role == "agent"]
    shifts = {p.name: cases.shift_clock(config, p).open_intervals(start, end) for p in people}
    targets = []
    for what, key in _targets(config):
        able = [p for p in people
                if (writes(config, p, key) if what == "language" else covers(config, p, key))]
        targets.append((what, key, [(p.name, shifts[p.name]) for p in able]))
    return (start, end), targets


def coverage(config: Config, week_start: dt.date, timezone: str, *,
             include_managers: bool = False,
             name: Callable[[str, str], str] = _default_name) -> pd.DataFrame:
    """Who is on shift in each hour of the week holding `week_start` (Monday to Sunday in
    `timezone`), for each watchlist language (people who write it) and each channel (people
    whose team covers it; "all" is anyone).

    One row per hour and language or channel: start (UTC), local (in `timezone`), slot
    (0 for Monday 00:00), label ("Mon 14:00"; a fall-back night's repeated hour is marked
    "(2nd)"), what ("language" | "channel"), key, row (name(what, key)), people (on shift for
    some of the hour), names, covered_minutes (minutes of the hour somebody is on) and cover
    (one of COVER_LEVELS: "nobody", "part of the hour" when the hour has a gap, else how
    many). Shifts come from each person's clock: their hours, time zone and team holidays.
    Managers count only with include_managers.
    """
    (start, end), targets = _week_cover(config, week_start, timezone, include_managers)
    zone = _zone(timezone)
    hours = []
    t = start
    while t < end:
        hours.append(t)
        t += _HOUR
    rows = []
    for what, key, able in targets:
        union = _union(span for _, spans in able for span in spans)
        for slot, h in enumerate(hours):
            h_end = min(h + _HOUR, end)
            on = [person for person, spans in able if _overlap(spans, h, h_end) > 0]
            covered = _overlap(union, h, h_end) / 60
            local = h.astimezone(zone)
            rows.append({
                "start": h, "local": local, "slot": slot,
                "label": f"{local:%a %H:%M}" + (" (2nd)" if local.fold else ""),
                "what": what, "key": key, "row": name(what, key),
                "people": len(on), "names": ", ".join(on),
                "covered_minutes": round(covered, 1),
                "cover": _level(len(on), covered, (h_end - h).total_seconds() / 60),
            })
    return pd.DataFrame(rows, columns=["start", "local", "slot", "label", "what", "key", "row",
                                       "people", "names", "covered_minutes", "cover"])


def coverage_gaps(config: Config, week_start: dt.date, timezone: str, *,
                  include_managers: bool = False,
                  name: Callable[[str, str], str] = _default_name) -> pd.DataFrame:
    """The stretches of the week (as in `coverage`) when nobody who writes a language or
    covers a channel is on shift, to the minute: what, key, row, start and end (UTC)."""
    (start, end), targets = _week_cover(config, week_start, timezone, include_managers)
    rows = []
    for what, key, able in targets:
        union = _union(span for _, spans in able for span in spans)
        cursor = start
        for s, e in union + [(end, end)]:
            if s > cursor:
                rows.append({"what": what, "key": key, "row": name(what, key),
                             "start": cursor, "end": s})
            cursor = max(cursor, e)
    return pd.DataFrame(rows, columns=["what", "key", "row", "start", "end"])


def gap_sentences(gaps: pd.DataFrame, timezone: str) -> list[str]:
    """One line per language or channel with gaps, in `timezone`; gaps at the same hours on
    several days are said once: "Thai: nobody Mon 00:00-01:00; Mon-Sat 13:00-01:00;
    Sun 13:00-24:00 (UTC)". A gap ending earlier in the day than it starts runs past
    midnight; one of a day or more is written with both days ("Fri 13:00-Sun 24:00")."""
    zone = _zone(timezone)
    lines = []
    for row, group in gaps.groupby("row", sort=False):
        daily: dict[tuple[str, str], list[int]] = {}
        for s, e in zip(group["start"], group["end"], strict=True):
            start, end = s.astimezone(zone), e.astimezone(zone)
            if end - start >= _DAY:
                daily.setdefault((_show_span(start, end), ""), []).append(start.weekday())
            else:
                hours = f"{start:%H:%M}-{_clock(end)}"
                daily.setdefault((hours, "daily"), []).append(start.weekday())
        parts = [f"{_weekdays(days)} {hours}" if kind else hours
                 for (hours, kind), days in daily.items()]
        lines.append(f"{row}: nobody {'; '.join(parts)} ({timezone})")
    return lines


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _weekdays(days: list[int]) -> str:
    """"Mon-Fri", "Mon, Wed", "Mon-Wed, Sat" for weekday numbers in order."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(_WEEKDAYS[r[0]] if len(r) == 1 else
                     f"{_WEEKDAYS[r[0]]}{'-' if len(r) > 2 else ', '}{_WEEKDAYS[r[-1]]}"
                     for r in runs)


def _clock(end: dt.datetime) -> str:
    # An end at midnight is the end of the day, "24:00", not the next day's start.
    return "24:00" if (end.hour, end.minute) == (0, 0) else f"{end:%H:%M}"


def _show_span(start: dt.datetime, end: dt.datetime) -> str:
    last = f"{end - _DAY:%a} 24:00" if (end.hour, end.minute) == (0, 0) else f"{end:%a %H:%M}"
    return f"{start:%a %H:%M}-{last}"


def _level(people: int, covered: float, length: float) -> str:
    if people == 0:
        return COVER_LEVELS[0]
    if covered < length:
        return COVER_LEVELS[1]
    return COVER_LEVELS[min(people + 1, len(COVER_LEVELS) - 1)]


def _union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _overlap(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> float:
    """Seconds of the spans within [start, end)."""
    return sum(max(0.0, (min(e, end) - max(s, start)).total_seconds()) for s, e in spans)


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zone).astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (KeyError, ValueError):
        raise ValueError(f"Unknown time zone {timezone!r}: use an IANA name such as "
                         "'Europe/Athens'.") from None


# -- service quality -----------------------------------------------------------------------

QUALITY_MEASURES = {
    "csat_avg": "CSAT (1-5)",
    "csat_satisfied": "CSAT 4-5 share",
    "nps": "NPS (points)",
    "ces_avg": "CES (1-7)",
    "fcr_rate": "First-contact resolution",
    "resolution_avg_h": "Resolution, average (h)",
    "resolution_p90_h": "Resolution, p90 (h)",
}
_QUALITY_COLUMNS = ("csat_avg", "csat_satisfied", "csat_answers", "nps", "nps_answers",
                    "ces_avg", "ces_answers", "fcr_rate", "resolved", "resolution_avg_h",
                    "resolution_p90_h")
NO_TEAM = "no team"


def nps(scores: Iterable[float]) -> float | None:
    """Net promoter score in points: % promoters (9-10) minus % detractors (0-6)."""
    x = np.asarray(list(scores), dtype=float)
    if x.size == 0:
        return None
    return round(100 * (np.count_nonzero(x >= 9) - np.count_nonzero(x <= 6)) / x.size, 1)


def service_quality(answers: pd.DataFrame, resolved: pd.DataFrame, by: str | None = None
                    ) -> pd.DataFrame:
    """CSAT (average, share of 4-5), NPS, CES, first-contact resolution rate and resolution
    time (average and nearest-rank p90, hours, wall clock) over all rows, or per "week"
    (Monday, UTC; answers by when given, cases by when resolved) or per "team".

    - answers: queries.surveys (or survey_credits) rows: kind, score, answered_at, team.
    - resolved: queries.first_contact_resolution rows: opened_at, resolved_at,
      first_contact, team.
    Shares are fractions (0..1); a figure with nothing to measure is None.
    """
    if by is None:
        frame = pd.DataFrame([_quality(answers, resolved)], columns=list(_QUALITY_COLUMNS))
        return frame
    if by == "week":
        a_key, r_key = _monday(answers["answered_at"]), _monday(resolved["resolved_at"])
    elif by == "team":
        a_key, r_key = answers["team"].fillna(NO_TEAM), resolved["team"].fillna(NO_TEAM)
    else:
        raise ValueError(f"service quality is grouped by 'week' or 'team', not {by!r}")
    # Each group's rows found once (comparing every row with each key in turn took 0.3 s
    # for the 540,000 cases resolved in 8 weeks of a 10 M store).
    a_rows, r_rows = _positions(a_key), _positions(r_key)
    none = np.array([], dtype=np.intp)
    rows = [{by: key.date() if by == "week" else key,
             **_quality(answers.iloc[a_rows.get(key, none)],
                        resolved.iloc[r_rows.get(key, none)])}
            for key in sorted(set(a_rows) | set(r_rows))]
    return pd.DataFrame(rows, columns=[by, *_QUALITY_COLUMNS])


def _positions(keys: pd.Series) -> dict:
    """{key: the positions of its rows}."""
    return keys.groupby(keys.to_numpy(), sort=False).indices


def _quality(answers: pd.DataFrame, resolved: pd.DataFrame) -> dict:
    def scores(kind: str) -> pd.Series:
        return answers.loc[answers["kind"] == kind, "score"].astype(float)

    csat, promoters, effort = scores("csat"), scores("nps"), scores("ces")
    hours = _minutes(resolved["resolved_at"] - resolved["opened_at"]) / 60
    return {
        "csat_avg": round(float(csat.mean()), 2) if len(csat) else None,
        "csat_satisfied": float((csat >= 4).mean()) if len(csat) else None,
        "csat_answers": len(csat),
        "nps": nps(promoters),
        "nps_answers": len(promoters),
        "ces_avg": round(float(effort.mean()), 2) if len(effort) else None,
        "ces_answers": len(effort),
        "fcr_rate": float(resolved["first_contact"].astype(bool).mean()) if len(resolved)
        else None,
        "resolved": len(resolved),
        "resolution_avg_h": round(float(hours.mean()), 1) if hours.size else None,
        "resolution_p90_h": _round(percentile(hours, 90)),
    }


def _monday(times: pd.Series) -> pd.Series:
    """The Monday (UTC) of each instant's week, as a midnight without a zone."""
    days = times.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return days - pd.to_timedelta(days.dt.weekday, unit="D")
