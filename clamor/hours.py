"""A team's business-hours clock, so response standards can be measured in the hours a team
works (in its time zone, with holidays) or around the clock (24/7).

Hours are local wall-clock intervals; daylight saving time is handled by one rule: each
interval's boundaries are converted to UTC with zoneinfo, and working minutes are the real
minutes elapsed between them.

- A boundary inside a spring-forward gap moves to the first valid instant after the gap
  (a 02:30 opening on the US spring-forward Sunday opens at 03:00 EDT).
- An ambiguous boundary in a fall-back night is its first occurrence (fold=0).
- So on a spring-forward Sunday a 00:00-24:00 day has 23 hours (25 on a fall-back Sunday),
  and hours that contain the jump are an hour shorter: 00:00-12:00 on the US
  spring-forward Sunday (02:00 -> 03:00) has 11 hours.

Intervals never cross midnight: a night shift is written as two intervals, 22:00-24:00 on
one day and 00:00-06:00 on the next. Every instant passed in must be timezone-aware; every
instant returned is in UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

UTC = dt.UTC
MIDNIGHT = dt.time(0, 0)  # as the end of an interval: midnight at the end of the day, "24:00"
ALL_DAY = (MIDNIGHT, MIDNIGHT)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ONE_DAY = dt.timedelta(days=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_NAT = np.iinfo(np.int64).min  # how numpy stores NaT in an int64 view
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")

Interval = tuple[dt.time, dt.time]
Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class BusinessHours:
    timezone: str  # IANA name, e.g. "Europe/Athens"
    # Seven days, Monday first; each a tuple of (start, end) local wall-clock intervals.
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[dt.date] = frozenset()  # local dates with no hours

    def __post_init__(self):
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError, TypeError, OSError):
            raise ValueError(f"Unknown time zone {self.timezone!r}: use an IANA name such as "
                             "'Europe/Athens' or 'America/New_York'.") from None
        if len(self.weekly) != 7:
            raise ValueError(f"Weekly hours need 7 days, Monday first; got {len(self.weekly)}.")
        weekly = tuple(_checked_day(i, day) for i, day in enumerate(self.weekly))
        if not any(weekly):
            raise ValueError("The hours are closed on every day: give at least one day hours, "
                             "such as mon-fri: 09:00-17:00, or use 24/7.")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", frozenset(_as_date(h) for h in self.holidays))
        # Not a field (so not part of equality): the fast path every method checks first.
        object.__setattr__(self, "_always",
                           not self.holidays and all(day == (ALL_DAY,) for day in weekly))

    @classmethod
    def always(cls) -> BusinessHours:
        """Open around the clock: working minutes are wall-clock minutes."""
        return cls("UTC", ((ALL_DAY,),) * 7)

    @classmethod
    def parse(cls, timezone: str, hours: Mapping[str, str | None] | str,
              holidays: Iterable[str | dt.date] = ()) -> BusinessHours:
        """Hours as a config file writes them: "24/7", or a table of days such as
        {"mon-fri": "09:00-17:00", "fri": "09:00-12:00, 13:00-15:00", "sat": "closed"}.
        A missing day, "" or "closed" is closed; single days override ranges."""
        if isinstance(hours, str) and hours.strip().lower() == "24/7":
            weekly: tuple = ((ALL_DAY,),) * 7
        elif isinstance(hours, Mapping):
            weekly = _parse_week(hours)
        else:
            raise ValueError(f"Hours {hours!r} are not understood: write '24/7' or one entry "
                             "per day, such as mon-fri: 09:00-17:00.")
        if isinstance(holidays, str | dt.date):  # one holiday given on its own
            holidays = [holidays]
        return cls(timezone, weekly, frozenset(holidays))

    @property
    def is_always(self) -> bool:
        return self._always

    def is_open(self, at: dt.datetime) -> bool:
        at = _utc(at, "at")
        return self._always or bool(self.open_intervals(at, at + dt.timedelta(microseconds=1)))

    def minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes in [start, end); 0 if end is not after start."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return 0.0
        if self._always:
            return (end - start).total_seconds() / 60
        worked = sum((e - s for s, e in self.open_intervals(start, end)), dt.timedelta())
        return worked.total_seconds() / 60

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant (UTC) when `minutes` working minutes have elapsed after `start`: a due
        time. Outside hours the clock starts at the next opening, so minutes=0 gives the next
        opening at or after start."""
        start = _utc(start, "start")
        if not minutes >= 0:  # also refuses NaN
            raise ValueError(f"Minutes to add must be zero or more; got {minutes!r}.")
        left = dt.timedelta(minutes=minutes)
        if self._always:
            return start + left
        for s, e in self._walk(self._local_day(start) - _ONE_DAY):
            if e <= start:
                continue
            s = max(s, start)
            if e - s >= left:
                return s + left
            left -= e - s
        raise AssertionError("unreachable: _walk never ends")

    def open_intervals(self, start: dt.datetime, end: dt.datetime) -> list[Span]:
        """The UTC intervals the team is open within [start, end), in order."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return []
        if self._always:
            return [(start, end)]
        return [(max(s, start), min(e, end)) for s, e in self._spans(start, end)]

    def minutes_between_many(self, starts, ends) -> np.ndarray:
        """minutes_between for many pairs at once (pandas Series of tz-aware timestamps, or
        numpy datetime64 in UTC); a missing start or end (NaT) gives NaN."""
        s, e = _utc_ns(starts, "starts"), _utc_ns(ends, "ends")
        if s.shape != e.shape:
            raise ValueError(f"starts and ends differ in length: {s.shape[0]} and {e.shape[0]}.")
        out = np.full(s.shape, np.nan)
        valid = (s != _NAT) & (e != _NAT)
        if not valid.any():
            return out
        s, e = s[valid], e[valid]
        if self._always:
            worked = e - s
        else:
            # Working time up to an instant is the length of the open intervals before it plus
            # the part of its own: one searchsorted per side, no Python loop per pair.
            lo, hi = int(min(s.min(), e.min())), int(max(s.max(), e.max()))
            opens, closes = self._spans_ns(lo, hi)
            worked = _worked_before(e, opens, closes) - _worked_before(s, opens, closes)
        out[valid] = np.maximum(worked, 0) / 60e9
        return out

    def add_many(self, starts, minutes: float) -> np.ndarray:
        """add for many starts at once (as minutes_between_many takes them), the same number
        of minutes each: due times as numpy datetime64[ns] in UTC, NaT for a missing start."""
        if not minutes >= 0:  # also refuses NaN
            raise ValueError(f"Minutes to add must be zero or more; got {minutes!r}.")
        s = _utc_ns(starts, "starts")
        out = np.full(s.shape, _NAT, dtype=np.int64)
        valid = s != _NAT
        if valid.any():
            # add's timedelta keeps microseconds
            left = int(dt.timedelta(minutes=minutes) / dt.timedelta(microseconds=1)) * 1000
            out[valid] = s[valid] + left if self._always else \
                self._worked_until(s[valid], left)
        return out.view("datetime64[ns]")

    def _worked_until(self, s: np.ndarray, left: int) -> np.ndarray:
        """The instants (ns) when `left` working nanoseconds have passed after each of s."""
        lo, hi = int(s.min()), int(s.max())
        reach = left + 7 * 86_400 * 10**9  # a week past the last start, longer if need be
        while True:
            opens, closes = self._spans_ns(lo, hi + reach)
            # Working time from the first opening to each due time, then the interval in
            # which it is reached. With no minutes to add an instant at a closing belongs to
            # the next opening (add: "the next opening at or after start"); with some, the
            # last working minute may end at a closing.
            target = _worked_before(s, opens, closes) + left
            ends = np.cumsum(closes - opens)
            k = np.searchsorted(ends, target, side="right" if left == 0 else "left")
            if opens.size and (k < opens.size).all():
                before = ends[k] - (closes[k] - opens[k])
                return opens[k] + (target - before)
            reach *= 2  # holidays or short hours: not reached within the spans yet

    # -- internals -------------------------------------------------------------------------

    def _spans_ns(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """_spans over the instants lo..hi (int64 ns since the epoch, UTC): the openings and
        the closings, as int64 ns."""
        spans = self._spans(_EPOCH + dt.timedelta(microseconds=lo // 1000),
                            _EPOCH + dt.timedelta(microseconds=hi // 1000 + 1))
        return (np.array([_ns(a) for a, _ in spans], dtype=np.int64),
                np.array([_ns(b) for _, b in spans], dtype=np.int64))

    def _local_day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def _walk(self, day: dt.date) -> Iterator[Span]:
        """Open intervals in UTC from local `day` on, day by day, without end."""
        while True:
            yield from _day_spans(self, day)
            day += _ONE_DAY

    def _spans(self, start: dt.datetime, end: dt.datetime) -> list[Span]:
        """The whole open intervals in UTC that overlap [start, end), touching ones merged
        (a day open until 24:00 and the next open from 00:00 are one interval)."""
        spans: list[Span] = []
        for s, e in self._walk(self._local_day(start) - _ONE_DAY):
            if s >= end:
                return spans
            if e <= start:
                continue
            if spans and s <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], e))
            else:
                spans.append((s, e))
        raise AssertionError("unreachable: _walk never ends")


@functools.lru_cache(maxsize=16384)
def _day_spans(hours: BusinessHours, day: dt.date) -> tuple[Span, ...]:
    """One local day's open intervals in UTC; cached because due times and reports ask for
    the same days again and again."""
    if day in hours.holidays:
        return ()
    zone = ZoneInfo(hours.timezone)
    spans = []
    for start, end in hours.weekly[day.weekday()]:
        s = _wall_to_utc(dt.datetime.combine(day, start), zone)
        e = _wall_to_utc(dt.datetime.combine(day + _ONE_DAY if end == MIDNIGHT else day, end),
                         zone)
        if s < e:  # an interval wholly inside a spring-forward gap has no minutes
            spans.append((s, e))
    return tuple(spans)


def _wall_to_utc(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A local wall-clock boundary as a UTC instant, by the DST rule in the module docstring."""
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # The wall time falls in a spring-forward gap. Read with the offset after the jump it is
    # before the transition, with the offset before it is after: the transition, the first
    # valid instant after the gap, lies between; find it to the second.
    lo, hi = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    old_offset = lo.astimezone(zone).utcoffset()
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + dt.timedelta(seconds=(hi - lo).total_seconds() // 2)
        if mid.astimezone(zone).utcoffset() == old_offset:
            lo = mid
        else:
            hi = mid
    return hi


def _worked_before(t: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Working nanoseconds from the first opening up to each instant in t."""
    if opens.size == 0:
        return np.zeros_like(t)
    lengths = closes - opens
    before = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    i = np.searchsorted(opens, t, side="right") - 1
    j = np.maximum(i, 0)
    return np.where(i >= 0, before[j] + np.minimum(t - opens[j], lengths[j]), 0)


def instant64(at: dt.datetime) -> np.datetime64:
    """An aware instant as numpy's datetime64[ns], in UTC (numpy has no zones), to set
    against columns of instants such as minutes_between_many takes."""
    return np.datetime64(_ns(_utc(at, "the instant")), "ns")


def _ns(at: dt.datetime) -> int:
    return (at - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def _utc(at: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ValueError(f"{name} {at!r} has no time zone: pass a timezone-aware datetime, "
                         "such as one with tzinfo=datetime.timezone.utc.")
    at = at.astimezone(UTC)
    if type(at) is not dt.datetime:  # e.g. a pandas Timestamp: return plain datetimes
        at = dt.datetime(at.year, at.month, at.day, at.hour, at.minute, at.second,
                         at.microsecond, tzinfo=UTC)
    return at


def _utc_ns(values, name: str) -> np.ndarray:
    """Instants as int64 nanoseconds since the epoch, UTC; NaT stays NaT."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[ns]").view(np.int64)  # numpy has no zones: UTC
    import pandas as pd  # only the batch path needs pandas

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        if series.dtype.kind == "M":
            raise ValueError(f"{name} have no time zone: localize them first, such as with "
                             ".dt.tz_localize('UTC').")
        series = pd.to_datetime(series, utc=True)  # e.g. aware datetimes in several zones
    naive = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"Holiday {value!r} is not a date: write it as YYYY-MM-DD, "
                         "such as 2025-12-25.") from None


def _show(span: Interval) -> str:
    start, end = span
    return f"{start:%H:%M}-" + ("24:00" if end == MIDNIGHT else f"{end:%H:%M}")


def _checked_day(index: int, intervals) -> tuple[Interval, ...]:
    day = DAY_NAMES[index]
    ordered = tuple(sorted(((s, e) for s, e in intervals), key=lambda span: span[0]))
    for start, end in ordered:
        if not (isinstance(start, dt.time) and isinstance(end, dt.time)):
            raise ValueError(f"Hours on {day} must be pairs of times; got {(start, end)!r}.")
        if end == start != MIDNIGHT:
            raise ValueError(f"Hours {start:%H:%M}-{end:%H:%M} on {day} are empty: give an end "
                             "after the start, or leave the day closed.")
        if end != MIDNIGHT and end < start:
            following = DAY_NAMES[(index + 1) % 7]
            raise ValueError(
                f"Hours {start:%H:%M}-{end:%H:%M} on {day} end before they start: hours that "
                f"cross midnight are written as two intervals, such as {day} {start:%H:%M}-24:00"
                f" and {following} 00:00-{end:%H:%M}.")
    for earlier, later in itertools.pairwise(ordered):
        if earlier[1] == MIDNIGHT or later[0] < earlier[1]:
            raise ValueError(f"Hours {_show(earlier)} and {_show(later)} on {day} overlap: "
                             "give each time of day once.")
    return ordered


def _parse_week(hours: Mapping) -> tuple[tuple[Interval, ...], ...]:
    week: dict[int, tuple[Interval, ...]] = {}
    entries = [(_day_indexes(key), key, value) for key, value in hours.items()]
    # Ranges first, so a single day ("fri") overrides the range it belongs to ("mon-fri").
    entries.sort(key=lambda entry: len(entry[0]) == 1)
    for indexes, key, value in entries:
        intervals = _parse_intervals(key, value)
        for i in indexes:
            week[i] = intervals
    return tuple(week.get(i, ()) for i in range(7))


def _day_indexes(key) -> tuple[int, ...]:
    first, dash, last = str(key).strip().lower().partition("-")
    try:
        a = DAYS.index(first.strip())
        b = DAYS.index(last.strip()) if dash else a
    except ValueError:
        raise ValueError(f"Unknown day {key!r}: use mon, tue, wed, thu, fri, sat, sun or a "
                         "range such as mon-fri.") from None
    # Ranges may wrap past Sunday: a Saturday-to-Wednesday week is "sat-wed".
    return tuple((a + i) % 7 for i in range((b - a) % 7 + 1))


def _parse_intervals(key, value) -> tuple[Interval, ...]:
    if value is None:
        return ()
    if not isinstance(value, str):
        raise ValueError(f"Hours for {key} must be text such as '09:00-17:00'; got {value!r}.")
    if value.strip().lower() in ("", "closed"):
        return ()
    intervals = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        start, dash, end = part.partition("-")
        if not dash:
            raise ValueError(f"Hours {part!r} for {key} are not a range: write HH:MM-HH:MM, "
                             "such as 09:00-17:00.")
        intervals.append((_parse_time(start, key, part, end=False),
                          _parse_time(end, key, part, end=True)))
    return tuple(intervals)


def _parse_time(text: str, key, part: str, end: bool) -> dt.time:
    match = _TIME.match(text.strip())
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if end and (hour, minute) == (24, 0):
        return MIDNIGHT
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"{text.strip()!r} in hours {part!r} for {key} is not a time of day: "
                         "write HH:MM from 00:00 to 24:00.")
    return dt.time(hour, minute)
