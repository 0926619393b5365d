"""Spike, staff and backlog alerts on synthetic streams with a daily rhythm: a storm is caught
within one evaluation of crossing the line and is one alert; a normal week stays quiet."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from analysis import spikes
from clamor.config import DEMO_CONFIG, load_config

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)  # a Monday, midnight UTC
DAYS = 14
PER_DAY = 24 * 60 // spikes.BIN_MINUTES
STEP = dt.timedelta(minutes=spikes.BIN_MINUTES)


def at(day: int, hour: float = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=day, hours=hour)


def index(t: dt.datetime) -> int:
    return int((t - T0) / STEP)


def rhythm(peak_per_hour: float, days: int = DAYS) -> np.ndarray:
    """Expected mentions per 5-minute bin: quiet at 03:00 UTC (15 % of the peak), busiest at
    15:00."""
    hour = np.arange(days * PER_DAY) * spikes.BIN_MINUTES / 60 % 24
    return peak_per_hour / 12 * (0.15 + 0.85 * (1 - np.cos(2 * np.pi * (hour - 3) / 24)) / 2)


def frame(series: dict[str, np.ndarray]) -> pd.DataFrame:
    """What the store's series_counts returns: only the bins that have mentions."""
    parts = []
    for name, counts in series.items():
        bins = np.flatnonzero(counts)
        parts.append(pd.DataFrame({
            "bin": pd.Timestamp(T0) + pd.to_timedelta(bins * spikes.BIN_MINUTES, unit="min"),
            "series": name, "count": counts[bins].astype(int)}))
    return pd.concat(parts, ignore_index=True)


def every_5_minutes(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    return [start + i * STEP for i in range(int((end - start) / STEP) + 1)]


def reference(counts: np.ndarray, t: dt.datetime, settings: spikes.Settings):
    """The detection figures for one window, worked out the long way."""
    k, width = index(t), settings.window_minutes // spikes.BIN_MINUTES
    observed = int(counts[k - width:k].sum())
    days = [int(counts[k - d * PER_DAY - width:k - d * PER_DAY].sum())
            for d in range(1, settings.baseline_days + 1)]
    expected = statistics.median(days)
    mad = statistics.median(abs(x - expected) for x in days)
    level = statistics.mean(sorted(days)[1:-1])  # without the highest and the lowest day
    spread = max(1.4826 * mad, math.sqrt(level * (1 + math.pi / (2 * len(days)))) + 1)
    return observed, expected, spread, (observed - expected) / spread


def first_crossing(counts, times, settings):
    sensitivity, min_volume = settings.for_series("complaints")
    for t in times:
        observed, _, _, z = reference(counts, t, settings)
        if z >= sensitivity and observed >= min_volume:
            return t
    return None


def detect(series, times, settings: spikes.Settings | None = None):
    """Detection over streams that began at T0."""
    return spikes.detect(frame(series), times, settings or spikes.Settings(), history_start=T0)


@pytest.fixture(scope="module")
def storm():
    """Complaints with a daily rhythm; on day 10 from 13:00 to 16:00 six times as many."""
    rng = np.random.default_rng(20260302)
    rate = rhythm(24)
    start, end = at(10, 13), at(10, 16)
    rate[index(start):index(end)] *= 6
    return rng.poisson(rate), start, end


def test_a_storm_is_one_alert_from_within_one_evaluation_of_crossing_until_it_is_over(storm):
    counts, start, end = storm
    settings = spikes.Settings()
    times = every_5_minutes(at(8), at(12))
    crossing = first_crossing(counts, times, settings)
    assert crossing is not None and start < crossing < start + dt.timedelta(hours=1)

    episodes = detect({"complaints": counts}, times)

    assert len(episodes) == 1  # not one per evaluation above the line
    above = sum(reference(counts, t, settings)[3] >= settings.sensitivity for t in times)
    assert above > 10
    e = episodes[0]
    assert (e.kind, e.series) == ("spike", "complaints")
    assert crossing <= e.start <= crossing + STEP
    assert e.start - start <= dt.timedelta(minutes=30)  # a 6x storm is seen within half an hour
    # It closes itself once the storm has left the window, and not before the storm ended.
    assert end < e.end <= end + dt.timedelta(minutes=settings.window_minutes + 30)
    assert start < e.peak_at < e.end
    assert e.severity == "critical" and e.threshold == 4.0
    assert e.latest_at == e.end and e.latest_statistic < settings.sensitivity / 2


def test_the_reported_figures_are_the_window_worked_out_by_hand(storm):
    counts, _, _ = storm
    settings = spikes.Settings()
    e = detect({"complaints": counts}, every_5_minutes(at(8), at(12)))[0]

    observed, expected, spread, z = reference(counts, e.peak_at, settings)
    assert (e.observed, e.expected) == (observed, expected)
    assert e.spread == pytest.approx(spread)
    assert e.statistic == pytest.approx(z)
    assert e.statistic == pytest.approx((e.observed - e.expected) / e.spread)
    later = reference(counts, e.latest_at, settings)
    assert (e.latest_observed, e.latest_expected) == later[:2]
    assert e.latest_statistic == pytest.approx(later[3])


def test_an_alert_still_open_at_the_last_evaluation_has_no_end(storm):
    counts, start, _ = storm
    times = every_5_minutes(at(10), start + dt.timedelta(hours=2))

    (e,) = detect({"complaints": counts}, times)

    assert e.end is None and e.latest_at == times[-1]


def test_re_evaluating_the_last_day_finds_the_same_storm_as_a_full_replay(storm):
    """The scheduler re-evaluates the last day every few minutes and recognises a stored
    alert by its series and start; `clamor alerts --since` replays all of history."""
    counts, start, _ = storm
    replay = detect({"complaints": counts}, every_5_minutes(at(8), at(12)))
    for now in (start + dt.timedelta(hours=2), start + dt.timedelta(hours=5)):
        (recent,) = detect({"complaints": counts},
                           every_5_minutes(now - dt.timedelta(hours=24), now))
        assert (recent.start, recent.series) == (replay[0].start, replay[0].series)
    assert recent == replay[0]  # once it is over, every figure agrees


def test_a_time_between_bin_boundaries_counts_the_bins_ended_by_then(storm):
    counts, start, _ = storm
    e = detect({"complaints": counts}, every_5_minutes(at(8), at(12)))[0]
    between = e.peak_at + dt.timedelta(minutes=3, seconds=20)

    (late,) = detect({"complaints": counts}, [between])

    assert late.start == between  # reported at the time asked
    assert (late.observed, late.expected) == (e.observed, e.expected)


def test_a_slow_ramp_is_caught_before_it_peaks():
    rng = np.random.default_rng(7)
    rate = rhythm(24)
    ramp_start, ramp_peak = index(at(9, 8)), index(at(9, 16))
    # Complaints grow steadily to 4x over 8 hours, then fall back over 2.
    rate[ramp_start:ramp_peak] *= np.linspace(1, 4, ramp_peak - ramp_start)
    rate[ramp_peak:ramp_peak + 24] *= np.linspace(4, 1, 24)
    counts = rng.poisson(rate)

    episodes = detect({"complaints": counts}, every_5_minutes(at(8), at(11)))

    assert len(episodes) == 1
    assert at(9, 8) < episodes[0].start < at(9, 16)
    assert episodes[0].end is not None


def test_normal_weeks_with_a_daily_rhythm_give_at_most_one_false_alert_a_week():
    """Ten series from 3 to 250 mentions in the busiest hour; twelve independent weeks, each
    evaluated every 5 minutes after a week of history."""
    peaks = [3, 6, 10, 15, 24, 36, 60, 100, 160, 250]
    weeks = 12
    false_alerts = 0
    for week in range(weeks):
        rng = np.random.default_rng(week)
        series = {f"all/lang=s{i}": rng.poisson(rhythm(p)) for i, p in enumerate(peaks)}
        false_alerts += len(detect(series, every_5_minutes(at(7) + STEP, at(14))))

    assert false_alerts <= weeks


def quiet_night(mentions: int) -> np.ndarray:
    """A series with nothing in it, except `mentions` mentions around 03:00 on day 10."""
    counts = np.zeros(DAYS * PER_DAY, dtype=int)
    counts[index(at(10, 3)):index(at(10, 3)) + mentions] = 1
    return counts


def test_three_mentions_in_the_night_never_fire_however_unusual():
    times = every_5_minutes(at(9), at(11))
    series = {"complaints/lang=el": quiet_night(3)}
    touchy = spikes.Settings(sensitivity=2.0)  # z = 3: unusual enough

    assert detect(series, times, touchy) == []  # but fewer than min_volume (8)
    low_floor = spikes.Settings(sensitivity=2.0, min_volume=3)
    assert len(detect(series, times, low_floor)) == 1


def test_a_staff_name_five_times_in_an_hour_is_a_staff_alert():
    counts = np.zeros(DAYS * PER_DAY, dtype=int)
    for minute in (2, 11, 19, 33, 48):  # five negative mentions within the hour
        counts[index(at(10, 14)) + minute // 5] += 1
    times = every_5_minutes(at(9), at(11))

    (e,) = detect({"staff=Nikos Papadakis": counts}, times)

    assert (e.kind, e.series, e.observed, e.expected) == ("staff", "staff=Nikos Papadakis",
                                                          5.0, 0.0)
    assert at(10, 14) < e.start <= at(10, 15)
    # The same five as a volume series are below min_volume; staff series have their own.
    assert detect({"term=Nikos Papadakis": counts}, times) == []
    assert detect({"staff=Nikos Papadakis": counts}, times,
                  spikes.Settings(overrides={"staff=*": (None, 8)})) == []


def test_a_series_override_changes_the_outcome(storm):
    counts, _, _ = storm
    times = every_5_minutes(at(8), at(12))
    series = {"term=SkyPoints": counts, "complaints": counts}
    calm = spikes.Settings(overrides={"term=SkyPoints": (50.0, None)})

    found = detect(series, times, calm)

    assert [e.series for e in found] == ["complaints"]
    assert calm.for_series("term=SkyPoints") == (50.0, 8)


def test_settings_come_from_the_alerts_section_of_the_config():
    settings = spikes.Settings.from_config(load_config(DEMO_CONFIG).alerts)

    assert (settings.window_minutes, settings.baseline_days) == (60, 7)
    assert settings.for_series("term=SkyPoints") == (3.5, 5)
    assert settings.for_series("complaints/lang=fa") == (4.0, 8)


def test_an_exact_series_setting_wins_over_its_family():
    settings = spikes.Settings(overrides={"staff=*": (3.0, 4), "staff=Layla Haddad": (None, 2)})

    assert settings.for_series("staff=Layla Haddad") == (3.0, 2)
    assert settings.for_series("staff=Dana Karimi") == (3.0, 4)
    assert settings.for_series("all") == (4.0, 8)
    assert spikes.Settings().for_series("staff=Dana Karimi") == (4.0, 5)


def test_nothing_fires_before_two_days_of_history():
    rng = np.random.default_rng(11)
    rate = rhythm(24)
    for day in (1, 3):  # the same storm on the second and on the fourth day
        rate[index(at(day, 13)):index(at(day, 16))] *= 6
    counts = rng.poisson(rate)

    episodes = spikes.detect(frame({"complaints": counts}),
                             every_5_minutes(at(0, 1), at(4)), spikes.Settings())

    assert [e.start.date() for e in episodes] == [at(3).date()]


def test_missing_bins_count_as_zero_and_an_empty_stream_is_quiet():
    assert spikes.detect(pd.DataFrame(columns=["bin", "series", "count"]),
                         [at(10)], spikes.Settings()) == []
    counts = quiet_night(0)
    counts[index(at(10, 14)):index(at(10, 14)) + 10] = 2  # 20 in 50 minutes, from nothing
    (e,) = detect({"term=FlexFare": counts}, every_5_minutes(at(10), at(11)))
    assert e.expected == 0 and e.spread == 1


# -- backlog -------------------------------------------------------------------------------

def test_backlog_counts_late_unanswered_complaints_like_a_loop_over_them():
    rng = np.random.default_rng(3)
    due = [at(0, h) for h in rng.uniform(0, 48, 300)]
    answered = [None if rng.random() < 0.2 else d + dt.timedelta(hours=h)
                for d, h in zip(due, rng.uniform(-2, 10, 300), strict=True)]
    due[5] = None  # no standard applies: never late
    answered[7] = pd.NaT
    times = every_5_minutes(at(0), at(3))

    late = spikes.backlog(due, answered, times)

    by_hand = [sum(1 for d, a in zip(due, answered, strict=True)
                   if d is not None and d <= t and (a is None or a is pd.NaT or t < a))
               for t in times]
    assert late.tolist() == by_hand


def test_a_backlog_alert_opens_at_the_threshold_and_closes_below_half_of_it():
    late = [0, 4, 9, 10, 12, 7, 6, 9, 11, 5, 4, 3, 22, 30, 1]
    times = every_5_minutes(at(5), at(5) + (len(late) - 1) * STEP)

    first, second = spikes.detect_backlog(late, times, threshold=10)

    assert (first.start, first.end) == (times[3], times[10])  # 7, 6, 9, 5 keep it open
    assert (first.observed, first.expected, first.statistic) == (12, 10, 1.2)
    assert first.severity == "warning" and first.kind == first.series == "backlog"
    assert (second.start, second.end, second.observed) == (times[12], times[14], 30)
    assert second.severity == "critical"  # three times the threshold


# -- new terms -----------------------------------------------------------------------------

def demo_texts(lang: str, label: str) -> list[str]:
    path = DEMO_CONFIG.parent / f"stream_{lang}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows if r["label"] == label]


def test_new_terms_finds_the_storms_hashtag_and_new_word_but_not_the_brand_or_stopwords():
    complaints = demo_texts("en", "complaint")
    baseline = complaints[:30] + [f"the SkyPoints balance is wrong again, {i}"
                                  for i in range(5)]
    window = complaints[30:38] + [
        f"Aerolume app frozen at check-in again, my SkyPoints gone #AerolumeDown {i}"
        for i in range(6)] + ["the app is frozen and the queue is not moving @AerolumeHelp"]

    terms = spikes.new_terms(window, baseline, exclude=["Aerolume", "SkyPoints",
                                                        "Aerolume app"])
    names = [t for t, _, _ in terms]

    assert {"#aerolumedown", "frozen"} <= set(names[:3])
    assert ("frozen", 7, 0.0) in terms
    for left_out in ("aerolume", "skypoints", "#skypoints", "the", "is", "@aerolumehelp"):
        assert left_out not in names


def test_new_terms_folds_case_and_accents_and_reads_persian_and_greek():
    baseline = ["Η πτήση ήταν εντάξει", "پرواز خوب بود"] * 10
    window = ["ΑΠΕΡΓΙΑ στο αεροδρόμιο!", "Απεργία ξανά, καμία ενημέρωση",
              "απεργια και ακυρωση", "پرواز لغو شد بدون اطلاع‌رسانی",
              "اطلاع‌رسانی صفر، پرواز لغو", "https://t.co/xyz لغو"]

    terms = {t: n for t, n, _ in spikes.new_terms(window, baseline)}

    assert terms["απεργια"] == 3 and terms["لغو"] == 3 and terms["اطلاع‌رسانی"] == 2
    assert "https" not in terms and "στο" not in terms


def test_short_thai_runs_are_terms_and_thai_sentences_are_skipped():
    sentence = "ดีเลย์สามชั่วโมงที่สุวรรณภูมิไม่มีประกาศอะไรเลย"  # longer than 20: skipped
    window = [f"กระเป๋าหาย {sentence}", f"กระเป๋าหาย #แอโรลูมแย่ {sentence}",
              "กระเป๋าหาย #แอโรลูมแย่"]

    names = [t for t, _, _ in spikes.new_terms(window, ["บินดีมาก"] * 5)]

    assert "กระเป๋าหาย" in names and "#แอโรลูมแย่" in names
    assert sentence not in names


def test_baseline_figure_is_per_window_of_the_baseline():
    baseline = ["refund please"] * 14 + ["hello there"] * 56
    window = ["refund refund now"] * 10

    found = {t: (n, usual) for t, n, usual in spikes.new_terms(window, baseline,
                                                                baseline_windows=7)}

    assert found["refund"] == (10, 2.0)  # once per mention; 14 over 7 windows


def test_measure_reads_a_series_as_detect_does():
    """The timeline a manager sees crosses its threshold line exactly where detect fires."""
    rng = np.random.default_rng(11)
    start = pd.Timestamp("2026-11-01", tz="UTC")
    bins = pd.date_range(start, periods=14 * 288, freq="5min")
    counts = rng.poisson(1.5, len(bins))
    storm = (bins >= start + pd.Timedelta(days=12, hours=10)) & \
        (bins < start + pd.Timedelta(days=12, hours=13))
    counts[storm] += rng.poisson(6, storm.sum())
    frame = pd.DataFrame({"bin": bins, "series": "complaints", "count": counts})
    times = list(pd.date_range(start + pd.Timedelta(days=11), periods=3 * 288, freq="5min"))
    settings = spikes.Settings()
    read = spikes.measure(frame, times, settings, "complaints")
    (episode,) = spikes.detect(frame, times, settings)
    first_over = read[(read["observed"] >= read["threshold"])]["at"].iloc[0]
    assert episode.start == first_over.to_pydatetime()
    peak = read.loc[read["statistic"].idxmax()]
    assert episode.statistic == pytest.approx(peak["statistic"])
