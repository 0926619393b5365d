"""Response standards: which apply to a case, when it is due, and how well each was kept.

A standard ("90 % of complaints on X get a first response within 60 minutes") is measured on
its clock: a team's business hours in its time zone, or 24/7. Several may apply to one case;
the case is late when past the strictest — the earliest due time among them.

Everything here is pure: it takes cases as a DataFrame (see `queries.case_measures`) and the
config, and returns numbers a manager reads.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from analysis import metrics
from clamor.config import Config, Standard
from clamor.hours import BusinessHours, instant64

HIGH_REACH = 10_000  # followers: a complaint from this far-reaching an account is high priority
ALWAYS = "24/7"


def clock(config: Config, name: str) -> BusinessHours:
    """The clock a standard names: "24/7", or a team's business hours."""
    if name == ALWAYS:
        return BusinessHours.always()
    team = config.team(name)
    if team is None:  # config validation prevents this; be explicit if it ever happens
        raise ValueError(f"no team named {name!r} for a standard's clock")
    return BusinessHours.parse(team.timezone, team.hours, team.holidays)


def applies(standard: Standard, cases: pd.DataFrame | dict[str, np.ndarray]
            ) -> pd.Series | np.ndarray:
    """Which cases fall in the standard's scope (columns source, lang, complaint, reach): a
    boolean Series for a DataFrame, a boolean array for columns as numpy arrays (the inbox
    ranks thousands of cases on every draw, and pandas' overhead per step was most of it)."""
    mask = np.ones(len(cases["source"]), dtype=bool)
    if standard.complaints_only:
        mask &= np.asarray(cases["complaint"], dtype=bool)
    if standard.sources:
        mask &= _among(cases["source"], standard.sources)
    if standard.languages:
        mask &= _among(cases["lang"], standard.languages)
    if standard.min_priority == "high":
        reach = np.nan_to_num(np.asarray(cases["reach"], dtype=float), nan=0.0)
        mask &= np.asarray(cases["complaint"], dtype=bool) & (reach >= HIGH_REACH)
    return pd.Series(mask, index=cases.index) if isinstance(cases, pd.DataFrame) else mask


def _among(values, wanted) -> np.ndarray:
    """Which values are one of `wanted` (a few), as a boolean array; missing ones are not."""
    if isinstance(values, pd.Series):
        return values.isin(wanted).to_numpy(dtype=bool)
    values = np.asarray(values, dtype=object)
    mask = np.zeros(len(values), dtype=bool)
    for one in wanted:  # (np.isin may sort object arrays, and None does not sort with text)
        mask |= values == one
    return mask


def _start_end(standard: Standard, cases: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if standard.measure == "first_response":
        return cases["opened_at"], cases["first_response_at"]
    return cases["opened_at"], cases["resolved_at"]


def _first_response_scopes(config: Config, cases: pd.DataFrame):
    """Each first-response standard that applies to some of the cases: (standard, which
    cases, its clock)."""
    for standard in config.standards:
        if standard.measure != "first_response":
            continue
        mask = applies(standard, cases)
        if mask.any():
            yield standard, mask, clock(config, standard.clock)


# -- the inbox: when is each open case due? -------------------------------------------------

def due(config: Config, cases: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """For open cases waiting for a reply: when the next response is due under the strictest
    first-response standard, counted from the oldest unanswered message (`waiting_since`).

    Returns columns due_at (NaT: no standard applies), standard (its name), minutes_left
    (on that standard's clock; negative: late by that much), late.
    """
    out = pd.DataFrame(index=cases.index, data={
        "due_at": pd.Series(pd.NaT, index=cases.index, dtype="datetime64[ns, UTC]"),
        "standard": pd.Series(None, index=cases.index, dtype=object),
        "minutes_left": np.nan, "late": False})
    if cases.empty:
        return out
    now_ts = pd.Timestamp(now)
    for standard, mask, hours in _first_response_scopes(config, cases):
        waiting = cases.loc[mask, "waiting_since"]
        at = pd.Series(hours.add_many(waiting, standard.target_minutes),
                       index=waiting.index).dt.tz_localize("UTC")
        current = out.loc[mask, "due_at"]
        # the first of the strictest standards keeps a case
        sooner = at.notna() & (current.isna() | (at < current))
        at = at[sooner]
        if at.empty:
            continue
        out.loc[at.index, "due_at"] = at
        out.loc[at.index, "standard"] = standard.name
        # on the standard's clock: minutes left until a time ahead, or late since one past
        late = at <= now_ts
        for which, sign in ((~late, 1), (late, -1)):
            moments = at[which]
            now_series = pd.Series(now_ts, index=moments.index)
            start, end = (now_series, moments) if sign > 0 else (moments, now_series)
            out.loc[moments.index, "minutes_left"] = \
                sign * np.asarray(hours.minutes_between_many(start, end), dtype=float)
        out.loc[at.index, "late"] = late.to_numpy()
    return out


def used(config: Config, cases: dict[str, np.ndarray], now: dt.datetime) -> np.ndarray:
    """How much of its strictest first-response standard each waiting case has used up:
    business minutes since `waiting_since` on each standard's clock over its target, the
    largest over the standards that apply (1.0: due now; NaN: no standard applies).

    For ranking a whole inbox on every draw, in numpy: `cases` holds columns source, lang,
    complaint, reach and waiting_since (datetime64, UTC) as arrays."""
    since = np.asarray(cases["waiting_since"]).astype("datetime64[ns]")
    share = np.full(since.shape, np.nan)
    if not len(since):
        return share
    until = np.full(since.shape, instant64(now))
    for standard, mask, hours in _first_response_scopes(config, cases):
        elapsed = hours.minutes_between_many(since[mask], until[mask])
        share[mask] = np.fmax(share[mask], elapsed / standard.target_minutes)
    return share


# -- the Standards page and `clamor report standards` ---------------------------------------

def durations(standard: Standard, config: Config, cases: pd.DataFrame, now: dt.datetime
              ) -> pd.DataFrame:
    """Each in-scope case's measured time on the standard's clock: `minutes` for finished
    measurements, `open_minutes` elapsed so far for cases still waiting (ignored cases are
    out of scope: nobody owed them an answer)."""
    scoped = cases[applies(standard, cases) & (cases["status"] != "ignored")]
    start, end = _start_end(standard, scoped)
    hours = clock(config, standard.clock)
    finished = end.notna()
    minutes = hours.minutes_between_many(start, end) if len(scoped) else np.array([])
    now_series = pd.Series(pd.Timestamp(now), index=scoped.index)
    open_minutes = hours.minutes_between_many(start, now_series) if len(scoped) else \
        np.array([])
    return scoped.assign(minutes=np.where(finished, minutes, np.nan),
                         open_minutes=np.where(finished, np.nan, open_minutes))


def evaluate(standard: Standard, measured: pd.DataFrame) -> metrics.StandardOutcome:
    return metrics.evaluate(measured["minutes"].dropna().to_numpy(),
                            standard.target_minutes, standard.percentile,
                            open_elapsed=measured["open_minutes"].dropna().to_numpy())


def _outcome_dict(outcome: metrics.StandardOutcome) -> dict:
    return {"cases": outcome.count, "met": outcome.met,
            "share_met": None if outcome.share_met is None else round(outcome.share_met, 4),
            "achieved_minutes": None if outcome.achieved is None else round(outcome.achieved, 1),
            "ok": outcome.ok}


def breakdown(standard: Standard, measured: pd.DataFrame, by: str) -> dict:
    """The standard's outcome per value of a column (source, lang, team, day, week)."""
    if measured.empty:
        return {}
    keys = measured[by].fillna("none").astype(str)
    return {key: _outcome_dict(evaluate(standard, part))
            for key, part in measured.groupby(keys, sort=True)}


def breaches(standard: Standard, measured: pd.DataFrame, limit: int = 200) -> pd.DataFrame:
    """The cases that broke the standard: answered after the target, or still waiting past
    it; longest first."""
    target = standard.target_minutes
    late = measured[(measured["minutes"] > target) | (measured["open_minutes"] > target)]
    late = late.assign(took=late["minutes"].fillna(late["open_minutes"]),
                       still_open=late["minutes"].isna())
    return late.sort_values("took", ascending=False).head(limit)


def with_periods(measured: pd.DataFrame, timezone: str = "UTC") -> pd.DataFrame:
    """Adds `day` and `week` (ISO dates of the case's opening, in the given time zone)."""
    # Each distinct local day is written once (strftime a row at a time costs seconds for
    # a month of cases at 10 M mentions).
    local = measured["opened_at"].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    codes, days = pd.factorize(local)
    known = codes >= 0

    def written(fmt: str) -> np.ndarray:
        return np.where(known, np.asarray(days.strftime(fmt), dtype=object)[codes], None)

    return measured.assign(day=written("%Y-%m-%d"), week=written("%G-W%V"))


def measure(standard: Standard, config: Config, cases: pd.DataFrame, now: dt.datetime
            ) -> pd.DataFrame:
    """`durations` with the `day` and `week` each case opened, in the standard's clock's time
    zone (UTC for 24/7): what the report and the Standards page both measure."""
    team = config.team(standard.clock)
    return with_periods(durations(standard, config, cases, now),
                        team.timezone if team else "UTC")


def headline(standard: Standard, measured: pd.DataFrame) -> dict:
    """The figures a manager reads first: the outcome, plus the open cases already late
    (`late_now`) and those that can still be answered in time (`still_in_time`).

    `achieved_at_least` is true when the achieved percentile is the wait so far of a case
    still open past the target: it can only grow, so it is a lower bound."""
    outcome = evaluate(standard, measured)
    waiting = measured["open_minutes"]
    overdue = waiting[waiting > standard.target_minutes]
    return {**_outcome_dict(outcome),
            "achieved_at_least": bool(outcome.achieved is not None
                                      and (overdue == outcome.achieved).any()),
            "late_now": int(overdue.size),
            "still_in_time": int((waiting <= standard.target_minutes).sum())}


def response_minutes(cases: pd.DataFrame, hours: BusinessHours | None = None) -> pd.DataFrame:
    """Minutes from each case's opening to its first response and to its resolution (NaN:
    not yet): wall-clock minutes, or working minutes on `hours`."""
    opened = cases["opened_at"]
    if hours is None:
        def took(end: pd.Series) -> np.ndarray:
            return ((end - opened).dt.total_seconds() / 60).to_numpy(dtype=float)
    else:
        def took(end: pd.Series) -> np.ndarray:
            return hours.minutes_between_many(opened, end) if len(cases) else np.array([])
    return pd.DataFrame({"id": cases["id"].to_numpy(),
                         "first_response": took(cases["first_response_at"]),
                         "resolution": took(cases["resolved_at"])}, index=cases.index)


def report(config: Config, cases: pd.DataFrame, now: dt.datetime) -> dict:
    """Every standard's outcome with breakdowns, plus the time distributions."""
    standards = []
    for standard in config.standards:
        measured = measure(standard, config, cases, now)
        late = breaches(standard, measured)
        standards.append({
            "name": standard.name, "measure": standard.measure,
            "percentile": standard.percentile, "target_minutes": standard.target_minutes,
            "clock": standard.clock,
            **headline(standard, measured),
            "by_day": breakdown(standard, measured, "day"),
            "by_week": breakdown(standard, measured, "week"),
            "by_source": breakdown(standard, measured, "source"),
            "by_language": breakdown(standard, measured, "lang"),
            "by_team": breakdown(standard, measured, "team"),
            "breaches": [{"case": r.id, "minutes": round(float(r.took), 1),
                          "still_open": bool(r.still_open)} for r in late.itertuples()],
        })
    times = response_minutes(cases)
    return {
        "standards": standards,
        "first_response_minutes": metrics.summary(times["first_response"]),
        "resolution_minutes": metrics.summary(times["resolution"]),
        "cases": len(cases),
    }


# -- words for the page ----------------------------------------------------------------------

def minutes_label(minutes: float | None) -> str:
    """A duration as a manager reads it, short enough for a metric card: "48 min", "90 min",
    "3 h 20 min", "12 h", "52 h"."""
    if minutes is None or math.isnan(minutes):
        return "—"
    if minutes < 120:
        return f"{minutes:.0f} min"
    whole = round(float(minutes))
    hours_, rest = divmod(whole, 60)
    if hours_ >= 10 or rest == 0:
        return f"{minutes / 60:.0f} h"
    return f"{hours_} h {rest} min"


def clock_label(name: str) -> str:
    return "around the clock" if name == ALWAYS else f"on {name}'s business hours"


def goal(standard: Standard) -> str:
    """The promise in one line: "90 % answered within 60 min on Care Europe's business
    hours"."""
    done = "answered" if standard.measure == "first_response" else "resolved"
    return (f"{standard.percentile:g} % {done} within {minutes_label(standard.target_minutes)} "
            f"{clock_label(standard.clock)}")


def share_percent(share: float | None) -> float | None:
    """A share (0..1) in percent, cut (not rounded) to 0.1, so a share that misses the goal is
    never shown as reaching it: 89.96 % is 89.9, not 90.0. (The 1e-9 only undoes float error
    such as 0.29 * 1000 = 289.99999999999994; a share of n cases moves in steps of 1/n.)"""
    if share is None or math.isnan(share):
        return None
    return math.floor(share * 1000 + 1e-9) / 10


def share_label(share: float | None) -> str:
    percent = share_percent(share)
    return "—" if percent is None else f"{percent:.1f} %"


# Breakdowns the page offers: the label a manager picks, and the column it groups by.
BREAKDOWNS = {"day": "day", "week": "week", "channel": "source", "language": "lang",
              "team": "team"}


def breakdown_frame(standard: Standard, measured: pd.DataFrame, by: str) -> pd.DataFrame:
    """`breakdown` as a table: one row per group (group, cases, met, share_met,
    achieved_minutes, ok), in the group's order."""
    columns = ["group", "cases", "met", "share_met", "achieved_minutes", "ok"]
    rows = [{"group": key, **figures}
            for key, figures in breakdown(standard, measured, by).items()]
    return pd.DataFrame(rows, columns=columns)
