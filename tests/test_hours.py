"""The business-hours clock on real time zones (zoneinfo, no mocks): weekends, holidays,
lunch breaks, daylight-saving days in Athens and New York, zones without DST, and the batch
path agreeing with the one-at-a-time path."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from clamor.hours import BusinessHours

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
ATHENS = ZoneInfo("Europe/Athens")
NEW_YORK = ZoneInfo("America/New_York")
TEHRAN = ZoneInfo("Asia/Tehran")
BANGKOK = ZoneInfo("Asia/Bangkok")

LONDON_OFFICE = BusinessHours.parse("Europe/London", {"mon-fri": "09:00-18:00"},
                                    holidays=["2025-12-25", "2025-12-26"])
# Schedules the property checks run on: lunch breaks, weekend shifts, DST in both
# directions, a half-hour zone with a Saturday-to-Wednesday week.
SCHEDULES = {
    "london": BusinessHours.parse("Europe/London", {"mon-fri": "09:00-12:00, 13:00-18:00"},
                                  holidays=["2025-12-25", "2025-12-26", "2026-01-01"]),
    "athens": BusinessHours.parse("Europe/Athens", {"mon-sun": "02:00-10:00, 16:00-24:00"},
                                  holidays=["2025-03-25", "2025-10-28"]),
    "new_york": BusinessHours.parse("America/New_York",
                                    {"mon-fri": "08:00-20:00", "sun": "00:00-03:00"},
                                    holidays=["2025-11-27", "2025-12-25"]),
    "tehran": BusinessHours.parse("Asia/Tehran", {"sat-wed": "08:00-16:00"},
                                  holidays=["2025-03-22", "2025-03-23"]),
}


def local(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


def test_an_hour_left_on_friday_evening_is_due_monday_morning():
    due = LONDON_OFFICE.add(local(LONDON, 2025, 1, 10, 17, 30), 60)  # Friday 17:30
    assert due == local(LONDON, 2025, 1, 13, 9, 30)  # Monday 09:30
    assert due.tzinfo is UTC


def test_christmas_and_boxing_day_have_no_hours():
    due = LONDON_OFFICE.add(local(LONDON, 2025, 12, 24, 17, 30), 60)  # Christmas Eve, Wed
    assert due == local(LONDON, 2025, 12, 29, 9, 30)  # the Monday after
    assert not LONDON_OFFICE.is_open(local(LONDON, 2025, 12, 25, 10))
    assert LONDON_OFFICE.is_open(local(LONDON, 2025, 12, 24, 10))
    # Wednesday and Monday only: two days of nine hours.
    start, end = local(LONDON, 2025, 12, 24, 9), local(LONDON, 2025, 12, 29, 18)
    assert LONDON_OFFICE.minutes_between(start, end) == 2 * 9 * 60


def test_the_lunch_break_is_not_counted():
    hours = SCHEDULES["london"]
    assert hours.add(local(LONDON, 2025, 6, 2, 11, 30), 60) == local(LONDON, 2025, 6, 2, 13, 30)
    assert not hours.is_open(local(LONDON, 2025, 6, 2, 12, 30))
    assert hours.minutes_between(local(LONDON, 2025, 6, 2, 11), local(LONDON, 2025, 6, 2, 14)) \
        == 120


def test_the_clock_starts_at_the_next_opening():
    hours = LONDON_OFFICE
    saturday, monday_nine = local(LONDON, 2025, 6, 7, 15), local(LONDON, 2025, 6, 9, 9)
    assert hours.add(saturday, 0) == monday_nine
    assert hours.add(monday_nine, 0) == monday_nine
    assert hours.add(saturday, 15) == local(LONDON, 2025, 6, 9, 9, 15)
    # Closing time is not open: the interval is [09:00, 18:00).
    assert not hours.is_open(local(LONDON, 2025, 6, 9, 18))
    # The last minute of the day is due at closing time, not the next morning.
    assert hours.add(local(LONDON, 2025, 6, 9, 17), 60) == local(LONDON, 2025, 6, 9, 18)


@pytest.mark.parametrize("zone, day, hours_long", [
    ("Europe/Athens", dt.date(2025, 3, 30), 23),
    ("Europe/Athens", dt.date(2025, 10, 26), 25),
    ("America/New_York", dt.date(2025, 3, 9), 23),
    ("America/New_York", dt.date(2025, 11, 2), 25),
    ("America/New_York", dt.date(2025, 11, 3), 24),
])
@pytest.mark.parametrize("holidays", [(), ["2000-01-01"]], ids=["24/7", "with a holiday"])
def test_a_whole_day_lasts_as_long_as_the_clocks_say(zone, day, hours_long, holidays):
    # A holiday far away takes the day-by-day path instead of the 24/7 shortcut.
    hours = BusinessHours.parse(zone, "24/7", holidays)
    assert hours.is_always == (not holidays)
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    assert hours.minutes_between(start, end) == hours_long * 60
    assert hours.open_intervals(start, end) == [(start.astimezone(UTC), end.astimezone(UTC))]


@pytest.mark.parametrize("zone, hours_text, day, hours_long", [
    # The hours contain the change: an hour less in spring, an hour more in autumn.
    ("America/New_York", "00:00-12:00", dt.date(2025, 3, 9), 11),
    ("America/New_York", "00:00-12:00", dt.date(2025, 11, 2), 13),
    ("Europe/Athens", "02:00-10:00", dt.date(2025, 3, 30), 7),
    ("Europe/Athens", "02:00-10:00", dt.date(2025, 10, 26), 9),
    # The change falls outside the hours: a normal day.
    ("America/New_York", "08:00-20:00", dt.date(2025, 3, 9), 12),
    ("Europe/Athens", "08:00-20:00", dt.date(2025, 10, 26), 12),
])
def test_business_hours_containing_a_clock_change(zone, hours_text, day, hours_long):
    hours = BusinessHours.parse(zone, {"sun": hours_text})
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    assert hours.minutes_between(start, start + dt.timedelta(days=2)) == hours_long * 60


def test_an_opening_inside_the_spring_forward_gap_moves_to_the_end_of_the_gap():
    # New York skips 02:00-03:00 on 9 March 2025; 02:30 does not exist, so open at 03:00 EDT.
    hours = BusinessHours.parse("America/New_York", {"sun": "02:30-12:00"})
    day = local(NEW_YORK, 2025, 3, 9)
    assert hours.open_intervals(day, day + dt.timedelta(days=1)) == [
        (dt.datetime(2025, 3, 9, 7, tzinfo=UTC), dt.datetime(2025, 3, 9, 16, tzinfo=UTC))]
    assert not hours.is_open(dt.datetime(2025, 3, 9, 6, 59, tzinfo=UTC))  # 01:59 EST
    # Athens skips 03:00-04:00 on 30 March 2025.
    athens = BusinessHours.parse("Europe/Athens", {"sun": "03:30-12:00"})
    assert athens.add(local(ATHENS, 2025, 3, 30), 0) == dt.datetime(2025, 3, 30, 1, tzinfo=UTC)


def test_an_ambiguous_opening_in_the_fall_back_night_is_its_first_occurrence():
    # 01:30 happens twice in New York on 2 November 2025: first at 05:30 UTC (EDT).
    hours = BusinessHours.parse("America/New_York", {"sun": "01:30-12:00"})
    day = local(NEW_YORK, 2025, 11, 2)
    assert hours.add(day, 0) == dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    assert hours.minutes_between(day, day + dt.timedelta(days=1)) == 11.5 * 60
    athens = BusinessHours.parse("Europe/Athens", {"sun": "03:30-12:00"})
    assert athens.add(local(ATHENS, 2025, 10, 26), 0) == \
        dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 03:30 EEST


def test_tehran_works_saturday_to_wednesday_at_plus_three_thirty():
    hours = SCHEDULES["tehran"]
    # Wednesday 19 March 15:30 + 1 h: Thursday and Friday are the weekend, Saturday and
    # Sunday Nowruz holidays.
    due = hours.add(local(TEHRAN, 2025, 3, 19, 15, 30), 60)
    assert due == dt.datetime(2025, 3, 24, 5, 0, tzinfo=UTC)  # Monday 08:30 +03:30
    # No daylight saving since 2022: 08:00 is 04:30 UTC in summer as in winter.
    for saturday in (dt.date(2025, 1, 4), dt.date(2025, 7, 5)):
        opening = hours.add(dt.datetime.combine(saturday, dt.time(0), tzinfo=TEHRAN), 0)
        assert opening == dt.datetime.combine(saturday, dt.time(4, 30), tzinfo=UTC)


def test_bangkok_office_hours_are_utc_plus_seven():
    hours = BusinessHours.parse("Asia/Bangkok", {"mon-fri": "09:00-18:00"})
    assert hours.open_intervals(dt.datetime(2025, 6, 2, tzinfo=UTC),
                                dt.datetime(2025, 6, 3, tzinfo=UTC)) == [
        (dt.datetime(2025, 6, 2, 2, tzinfo=UTC), dt.datetime(2025, 6, 2, 11, tzinfo=UTC))]
    assert hours.is_open(local(BANGKOK, 2025, 6, 2, 17, 59))
    assert not hours.is_open(local(BANGKOK, 2025, 6, 7, 10))  # Saturday


def test_open_around_the_clock_is_wall_clock_time():
    rng = random.Random(7)
    for hours in (BusinessHours.always(), BusinessHours.parse("Asia/Bangkok", "24/7")):
        assert hours.is_always
        for _ in range(200):
            start = dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.randrange(
                365 * 86400))
            end = start + dt.timedelta(minutes=rng.uniform(-100, 10_000))
            assert hours.minutes_between(start, end) == \
                max((end - start).total_seconds() / 60, 0)
            assert hours.is_open(start)
            minutes = rng.uniform(0, 10_000)
            assert hours.add(start, minutes) == start + dt.timedelta(minutes=minutes)


def random_instant(rng, zone=UTC):
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    return (start + dt.timedelta(seconds=rng.randrange(365 * 86400),
                                 microseconds=rng.randrange(10**6))).astimezone(zone)


@pytest.mark.parametrize("name", SCHEDULES)
def test_a_due_time_is_exactly_the_minutes_asked_for_away(name):
    hours = SCHEDULES[name]
    rng = random.Random(name)
    for _ in range(300):
        start = random_instant(rng, ZoneInfo(hours.timezone))
        minutes = rng.choice([0, 1, 60, 480, rng.uniform(0, 6000)])
        due = hours.add(start, minutes)
        assert due >= start
        assert hours.minutes_between(start, due) == pytest.approx(minutes, abs=1e-6)
        if minutes > 0:  # the last working minute ends at the due time
            assert hours.is_open(due - dt.timedelta(microseconds=1))
        # Going back: the minutes worked up to an open instant lead back to that instant.
        end = start + dt.timedelta(minutes=rng.uniform(0, 20 * 1440))
        worked = hours.minutes_between(start, end)
        if worked > 0 and hours.is_open(end):
            assert abs(hours.add(start, worked) - end) <= dt.timedelta(microseconds=1)


@pytest.mark.parametrize("name", ["athens", "new_york", "london"])
def test_minutes_for_many_pairs_at_once_match_one_at_a_time(name):
    hours = SCHEDULES[name]
    zone = ZoneInfo(hours.timezone)
    rng = random.Random(f"many-{name}")
    # Starts cluster around the clock changes and the holidays, across the whole year.
    around = [dt.datetime(2025, m, d, tzinfo=UTC) for m, d in
              [(3, 9), (3, 25), (3, 30), (10, 26), (10, 28), (11, 2), (11, 27), (12, 25)]]
    starts, ends = [], []
    for i in range(2000):
        if i % 2:
            start = random_instant(rng, zone)
        else:
            start = rng.choice(around) + dt.timedelta(minutes=rng.uniform(-3 * 1440, 3 * 1440))
        starts.append(start.astimezone(zone))
        ends.append(None if i % 97 == 0 else
                    start + dt.timedelta(minutes=rng.uniform(-600, 14 * 1440)))
    expected = np.array([np.nan if e is None else hours.minutes_between(s, e)
                         for s, e in zip(starts, ends, strict=True)])
    got = hours.minutes_between_many(pd.Series(starts), pd.Series(ends, dtype=object))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert np.isnan(got[::97]).all()
    # numpy datetime64 in UTC gives the same.
    as_numpy = [pd.Series(v, dtype=object).map(lambda t: pd.NaT if t is None else t)
                for v in (starts, ends)]
    as_numpy = [pd.to_datetime(v, utc=True).dt.tz_localize(None).to_numpy() for v in as_numpy]
    np.testing.assert_allclose(hours.minutes_between_many(*as_numpy), expected,
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", SCHEDULES)
def test_due_times_for_many_starts_at_once_match_one_at_a_time(name):
    hours = SCHEDULES[name]
    zone = ZoneInfo(hours.timezone)
    rng = random.Random(f"add-many-{name}")
    starts = [random_instant(rng, zone) for _ in range(400)]
    # Exactly at an opening or a closing, and a microsecond either side: where add decides
    # between this interval and the next.
    for s, e in hours.open_intervals(dt.datetime(2025, 3, 20, tzinfo=UTC),
                                     dt.datetime(2025, 4, 10, tzinfo=UTC)):
        for edge in (s, e):
            starts += [edge + dt.timedelta(microseconds=d) for d in (-1, 0, 1)]
    for minutes in (0, 1, 60, 480, rng.uniform(0, 6000), 30_000):
        expected = [pd.Timestamp(hours.add(start, minutes)) for start in starts]
        got = hours.add_many(pd.Series(starts + [None], dtype=object), minutes)
        assert list(pd.to_datetime(got[:-1]).tz_localize("UTC")) == expected, minutes
        assert np.isnat(got[-1])
    with pytest.raises(ValueError, match="zero or more"):
        hours.add_many(pd.Series(starts[:1]), -1)


def test_minutes_for_many_pairs_around_the_clock():
    starts = pd.Series(pd.to_datetime(["2025-03-30 00:00", "2025-03-30 05:00", None], utc=True))
    ends = pd.Series(pd.to_datetime(["2025-03-30 02:00", "2025-03-30 03:00", "2025-03-30 04:00"],
                                    utc=True))
    got = BusinessHours.always().minutes_between_many(starts, ends)
    np.testing.assert_array_equal(got, [120, 0, np.nan])  # an end before its start: 0


def test_open_intervals_cover_a_week_for_the_shift_chart():
    week = LONDON_OFFICE.open_intervals(local(LONDON, 2025, 6, 2), local(LONDON, 2025, 6, 9))
    assert [(s.hour, e.hour) for s, e in week] == [(8, 17)] * 5  # BST: 09:00 is 08:00 UTC
    assert week[0][0].tzinfo is UTC
    # Cut to the window asked for.
    assert LONDON_OFFICE.open_intervals(local(LONDON, 2025, 6, 2, 12),
                                        local(LONDON, 2025, 6, 2, 13)) == [
        (dt.datetime(2025, 6, 2, 11, tzinfo=UTC), dt.datetime(2025, 6, 2, 12, tzinfo=UTC))]


def test_single_days_override_ranges_and_missing_days_are_closed():
    hours = BusinessHours.parse("UTC", {"fri": "09:00-12:00", "mon-fri": "09:00-17:00",
                                        "sat": "closed", "tue": ""})
    assert hours.weekly[0] == ((dt.time(9), dt.time(17)),)
    assert hours.weekly[1] == ()
    assert hours.weekly[4] == ((dt.time(9), dt.time(12)),)
    assert hours.weekly[5] == hours.weekly[6] == ()
    assert BusinessHours.parse("UTC", {"mon": "18:00-00:00"}).weekly[0] == \
        BusinessHours.parse("UTC", {"mon": "18:00-24:00"}).weekly[0]  # both mean midnight
    night = BusinessHours.parse("UTC", {"mon": "22:00-24:00", "tue": "00:00-06:00"})
    assert night.minutes_between(dt.datetime(2025, 6, 2, tzinfo=UTC),
                                 dt.datetime(2025, 6, 9, tzinfo=UTC)) == 8 * 60
    assert len(night.open_intervals(dt.datetime(2025, 6, 2, tzinfo=UTC),
                                    dt.datetime(2025, 6, 9, tzinfo=UTC))) == 1


@pytest.mark.parametrize("timezone, hours, holidays, message", [
    ("Mars/Olympus", "24/7", (), "Unknown time zone 'Mars/Olympus'"),
    ("UTC", {"mon": "22:00-06:00"}, (), "22:00-06:00 on Monday end before they start"),
    ("UTC", {"mon": "22:00-06:00"}, (), "Monday 22:00-24:00 and Tuesday 00:00-06:00"),
    ("UTC", {"mon": "09:00-09:00"}, (), "09:00-09:00 on Monday are empty"),
    ("UTC", {"mon": "09:00-13:00, 12:00-18:00"}, (), "09:00-13:00 and 12:00-18:00 on Monday "
                                                     "overlap"),
    ("UTC", {"mon": "09:00-25:00"}, (), "'25:00' in hours '09:00-25:00' for mon"),
    ("UTC", {"mon": "9am-5pm"}, (), "'9am' in hours '9am-5pm' for mon"),
    ("UTC", {"mon": "09:00"}, (), "Hours '09:00' for mon are not a range"),
    ("UTC", {"monday": "09:00-17:00"}, (), "Unknown day 'monday'"),
    ("UTC", "weekdays", (), "Hours 'weekdays' are not understood"),
    ("UTC", {"sat": "closed"}, (), "closed on every day"),
    ("UTC", "24/7", ["2025-12-32"], "Holiday '2025-12-32' is not a date"),
])
def test_config_mistakes_are_named_in_one_sentence(timezone, hours, holidays, message):
    with pytest.raises(ValueError) as error:
        BusinessHours.parse(timezone, hours, holidays)
    assert message in str(error.value)
    assert str(error.value).count(". ") == 0 and str(error.value).endswith(".")


def test_times_without_a_zone_are_refused():
    naive = dt.datetime(2025, 6, 2, 9)
    for call in (lambda: LONDON_OFFICE.is_open(naive),
                 lambda: LONDON_OFFICE.add(naive, 5),
                 lambda: LONDON_OFFICE.minutes_between(naive, naive),
                 lambda: LONDON_OFFICE.minutes_between_many(pd.Series([naive]),
                                                            pd.Series([naive]))):
        with pytest.raises(ValueError, match="no time zone"):
            call()
