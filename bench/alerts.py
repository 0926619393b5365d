"""Benchmark: how fast and how quietly spike alerts (analysis/spikes.py) catch complaint storms,
against a naive detector measured in the same run on the same streams.

The streams are the demo's real mentions (clamor/demo/stream_*.jsonl) resampled onto a 5-week
timeline: each language at its own volume, with a daily rhythm in its own time zone and a
quieter local weekend. Into it go ten complaint storms, two per language, from twice to ten
times the usual complaints, day and night, and one staff episode (a Greek staff name in six
complaints within the hour). Series are counted the way the store counts them: all mentions
and complaints, overall, per language and per source, per watchlist term, and per staff name
in complaints.

Ten runs (ten random draws of the same plan, 40 evaluated weeks). Figures for ours (the demo
config's [alerts]), ours with complaints per language at sensitivity 3 (what tuning buys), and
the naive detector (a fixed threshold per series: mean + 3 sd of the last 7 days' hourly
windows, recomputed at midnight, blind to the time of day):
- delay from the injected start to the alert on the storm's own series, in minutes;
- delay after the window first crossed the detector's own threshold, worked out minute by
  minute from the mentions' timestamps (goal: within one collection interval, 5 minutes);
- missed episodes; false alerts per simulated week outside the storms (goal: <= 1);
- whether the storm's hashtag is among the top 3 new terms of our alert's explanation;
- how long detection takes (this run, and 8 days x 200 series x 2000 evaluations).

Prints the figures and the ratios ours/naive, writes bench/results/alerts.json.
Usage: python bench/alerts.py
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import spikes
from clamor.config import DEMO_CONFIG, load_config

T0 = dt.datetime(2026, 10, 5, tzinfo=dt.timezone.utc)  # a Monday
DAYS = 35
DAY = 86_400
BIN = spikes.BIN_MINUTES * 60
PER_DAY = DAY // BIN
FIRST_EVALUATION_DAY = 7  # a week of history first
DEMO = DEMO_CONFIG.parent

# Customer mentions in the busiest hour, UTC offset of the customers' day, local weekend
# (0 = Monday). Persian weekends are Fridays, Arabic (Gulf) Friday and Saturday.
LANGUAGES = {
    "en": (60, 0.0, (5, 6)),
    "el": (20, 2.0, (5, 6)),
    "fa": (16, 3.5, (4,)),
    "ar": (14, 4.0, (4, 5)),
    "th": (12, 7.0, (5, 6)),
}
WEEKEND = 0.75


@dataclass(frozen=True)
class Storm:
    lang: str
    day: int
    local_hour: float
    hours: float
    times_usual: float  # complaints at this many times their usual rate
    hashtag: str

    def start(self) -> float:
        return self.day * DAY + (self.local_hour - LANGUAGES[self.lang][1]) * 3600

    def end(self) -> float:
        return self.start() + self.hours * 3600


STORMS = [
    Storm("en", 9, 14, 3, 3, "#StrandedInAthens"),
    Storm("el", 12, 20, 2, 5, "#ΧαμένεςΒαλίτσες"),
    Storm("fa", 15, 9, 3, 8, "#پرواز_لغو_شده"),
    Storm("ar", 18, 1, 4, 4, "#استرداد_الآن"),
    Storm("th", 21, 10, 2, 6, "#คืนเงินด่วน"),
    Storm("en", 24, 3, 2, 2, "#AL562delay"),
    Storm("el", 26, 11, 3, 3, "#ΑκυρώσειςΠτήσεων"),
    Storm("fa", 28, 22, 2, 4, "#بار_گمشده"),
    Storm("ar", 30, 15, 3, 10, "#وين_الحل"),
    Storm("th", 32, 19, 3, 3, "#กระเป๋าหาย"),
]
STAFF = ("Nikos Papadakis", "el", 27, 13.0)  # six Greek complaints naming him within the hour


# -- the streams -----------------------------------------------------------------------------

def demo_mentions() -> pd.DataFrame:
    """The demo's customer mentions (not the brand's own replies), and for each storm its
    language's complaints again with the storm's hashtag added (column storm: -1 for none)."""
    rows = [json.loads(line) for lang in LANGUAGES
            for line in (DEMO / f"stream_{lang}.jsonl").read_text(encoding="utf-8").splitlines()]
    frame = pd.DataFrame(rows)
    frame = frame[frame["label"] != "brand_reply"].assign(storm=-1)
    tagged = []
    for number, s in enumerate(STORMS):
        complaints = frame[(frame["lang"] == s.lang) & (frame["label"] == "complaint")
                           & (frame["storm"] == -1)]
        tagged.append(complaints.assign(text=complaints["text"] + " " + s.hashtag,
                                        storm=number))
    return pd.concat([frame, *tagged], ignore_index=True)


def series_of(texts: pd.DataFrame, terms) -> list[list[str]]:
    """The series each demo text counts in, as clamor.queries names them (substring matching
    of the watchlist spellings stands in for the real matcher)."""
    out = []
    for r in texts.itertuples():
        complaint = r.label == "complaint"
        names = ["all", f"all/lang={r.lang}", f"all/source={r.source}"]
        if complaint:
            names += ["complaints", f"complaints/lang={r.lang}", f"complaints/source={r.source}"]
        folded = r.text.casefold()
        for term in terms:
            if any(s.casefold() in folded for s in term.spellings):
                names.append(f"term={term.term}")
                if complaint and term.kind == "staff":
                    names.append(f"staff={term.term}")
        out.append(names)
    return out


def rate_per_bin(lang: str) -> np.ndarray:
    """Expected customer mentions per 5-minute bin over the timeline."""
    peak, offset, weekend = LANGUAGES[lang]
    local = np.arange(DAYS * PER_DAY) * BIN / 3600 + offset  # local hours since T0
    hour = local % 24
    weekday = (local // 24).astype(int) % 7
    day_curve = 0.12 + 0.88 * (1 - np.cos(2 * np.pi * (hour - 4) / 24)) / 2
    week = np.where(np.isin(weekday, weekend), WEEKEND, 1.0)
    return peak / (3600 / BIN) * day_curve * week


def build_stream(texts: pd.DataFrame, rng: np.random.Generator):
    """Mentions as (seconds since T0, text row, storm number or -1)."""
    at, which, storm = [], [], []
    complaint = texts["label"].to_numpy() == "complaint"
    tag = texts["storm"].to_numpy()
    for lang in LANGUAGES:
        pool = np.flatnonzero((texts["lang"].to_numpy() == lang) & (tag == -1))
        rate = rate_per_bin(lang)
        n = rng.poisson(rate)
        bins = np.repeat(np.arange(n.size), n)
        at.append((bins + rng.random(bins.size)) * BIN)
        which.append(rng.choice(pool, bins.size))
        storm.append(np.full(bins.size, -1))
        share = complaint[pool].mean()
        for number, s in enumerate(STORMS):
            if s.lang != lang:
                continue
            first, last = int(s.start() // BIN), int(s.end() // BIN)
            extra = rng.poisson(rate[first:last] * share * (s.times_usual - 1))
            bins = np.repeat(np.arange(first, last), extra)
            at.append((bins + rng.random(bins.size)) * BIN)
            # Most storm posts carry its hashtag, as they do when people pile on.
            with_tag = rng.random(bins.size) < 0.6
            which.append(np.where(with_tag, rng.choice(np.flatnonzero(tag == number), bins.size),
                                  rng.choice(pool[complaint[pool]], bins.size)))
            storm.append(np.full(bins.size, number))
    return np.concatenate(at), np.concatenate(which), np.concatenate(storm)


def staff_episode(texts: pd.DataFrame, rng: np.random.Generator):
    name, lang, day, local_hour = STAFF
    term = next(t for t in CONFIG.watchlist.terms if t.term == name)
    hits = texts[(texts["lang"] == lang) & (texts["label"] == "complaint") & (texts["storm"] < 0)
                 & texts["text"].map(lambda x: any(s in x for s in term.spellings))]
    start = day * DAY + (local_hour - LANGUAGES[lang][1]) * 3600
    return start + np.sort(rng.uniform(0, 3000, 6)), np.full(6, hits.index[0])


def counts_frame(at, which, text_series, names) -> tuple[pd.DataFrame, np.ndarray]:
    """series_counts' shape (bin, series, count), and the dense (series, bins) matrix."""
    code = {n: i for i, n in enumerate(names)}
    per_text = [np.array([code[n] for n in s]) for s in text_series]
    lengths = np.array([len(per_text[w]) for w in which])
    series = np.concatenate([per_text[w] for w in which])
    bins = np.repeat((at // BIN).astype(int), lengths)
    dense = np.zeros((len(names), DAYS * PER_DAY), dtype=np.int64)
    np.add.at(dense, (series, bins), 1)
    s_idx, b_idx = np.nonzero(dense)
    frame = pd.DataFrame({
        "bin": pd.Timestamp(T0) + pd.to_timedelta(b_idx * BIN, unit="s"),
        "series": np.array(names, dtype=object)[s_idx], "count": dense[s_idx, b_idx]})
    return frame, dense


# -- the detectors ---------------------------------------------------------------------------

@dataclass
class Found:
    """One alert a detector raised: its series and evaluation bins (end None: still open)."""

    series: str
    start: int
    end: int | None
    episode: spikes.Episode | None = None


def ours(frame: pd.DataFrame, eval_bins: np.ndarray, settings) -> list[Found]:
    times = [T0 + dt.timedelta(seconds=int(b) * BIN) for b in eval_bins]

    def bin_of(t: dt.datetime) -> int:
        return int((t - T0).total_seconds()) // BIN

    return [Found(e.series, bin_of(e.start), None if e.end is None else bin_of(e.end), e)
            for e in spikes.detect(frame, times, settings, history_start=T0)]


def naive(dense: np.ndarray, names: list[str], eval_bins: np.ndarray, settings
          ) -> tuple[list[Found], np.ndarray]:
    """A fixed threshold per series and day: mean + 3 sd of the hourly windows (every 5
    minutes) of the previous 7 days, whatever the time of day. Fires at or above it (and
    min_volume), stays open above mean + 1.5 sd. Returns its alerts and its thresholds
    (series, day)."""
    width = settings.window_minutes * 60 // BIN
    total = np.zeros((dense.shape[0], dense.shape[1] + 1))
    np.cumsum(dense, axis=1, out=total[:, 1:])
    window = np.full_like(total, np.nan)
    window[:, width:] = total[:, width:] - total[:, :-width]
    per_day = window[:, :DAYS * PER_DAY].reshape(len(names), DAYS, PER_DAY)
    mean = np.full((len(names), DAYS + 1), np.nan)  # + the midnight that ends the timeline
    sd = np.full((len(names), DAYS + 1), np.nan)
    for day in range(FIRST_EVALUATION_DAY, DAYS + 1):
        week = per_day[:, day - 7:day].reshape(len(names), -1)
        mean[:, day], sd[:, day] = np.nanmean(week, axis=1), np.nanstd(week, axis=1)
    day_of = eval_bins // PER_DAY
    found = []
    for row, name in enumerate(names):
        observed = window[row, eval_bins]
        line = mean[row, day_of] + 3 * sd[row, day_of]
        fires = (observed >= line) & (observed >= settings.for_series(name)[1])
        holds = observed >= mean[row, day_of] + 1.5 * sd[row, day_of]
        opened = None
        for i, b in enumerate(eval_bins):
            if opened is None and fires[i]:
                opened = int(b)
            elif opened is not None and not holds[i]:
                found.append(Found(name, opened, int(b)))
                opened = None
        if opened is not None:
            found.append(Found(name, opened, None))
    return found, mean + 3 * sd


# -- crossing the line, minute by minute -------------------------------------------------------

def minutes_after(start: float) -> np.ndarray:
    """Whole minutes in the six hours after `start`: a grid the 5-minute evaluations are on."""
    return 60 * (np.floor(start / 60) + np.arange(1, 6 * 60 + 1))


def window_counts(stamps: np.ndarray, ends: np.ndarray, width: float) -> np.ndarray:
    """Mentions in (end - width, end] for each end; stamps sorted."""
    return (np.searchsorted(stamps, ends, side="right")
            - np.searchsorted(stamps, ends - width, side="right"))


def our_crossing(stamps: np.ndarray, start: float, settings, series: str) -> float | None:
    """First minute after `start` at which the window of these mention times is over our
    threshold: the detection rule worked out again from the timestamps, not the bins."""
    sensitivity, min_volume = settings.for_series(series)
    width = settings.window_minutes * 60
    t = minutes_after(start)
    observed = window_counts(stamps, t, width)
    days = np.stack([window_counts(stamps, t - d * DAY, width)
                     for d in range(1, settings.baseline_days + 1)], axis=1)
    expected = np.median(days, axis=1)
    mad = np.median(np.abs(days - expected[:, None]), axis=1)
    level = np.sort(days, axis=1)[:, 1:-1].mean(axis=1)
    n = days.shape[1]
    spread = np.maximum(1.4826 * mad, np.sqrt(level * (1 + np.pi / (2 * n))) + 1)
    over = np.flatnonzero(((observed - expected) / spread >= sensitivity)
                          & (observed >= min_volume))
    return float(t[over[0]]) if over.size else None


def naive_crossing(stamps: np.ndarray, start: float, line_by_day: np.ndarray,
                   min_volume: int, width: float) -> float | None:
    t = minutes_after(start)
    line = np.maximum(line_by_day[(t // DAY).astype(int)], min_volume)
    over = np.flatnonzero(window_counts(stamps, t, width) >= line)
    return float(t[over[0]]) if over.size else None


# -- scoring ---------------------------------------------------------------------------------

def score(found: list[Found], episodes: list[dict], eval_bins: np.ndarray, crossing,
          explain=None) -> dict:
    """Delays, misses and false alerts of one detector against the injected episodes.

    An alert is a detection when it is on a series the episode's mentions count in and overlaps
    the episode (until the window has left it, plus half an hour); every other alert is false.
    Delays are measured on the episode's own series."""
    rows, matched = [], set()
    for ep in episodes:
        hits = [f for f in found if f.series in ep["affected"] and f.start <= ep["last"]
                and (f.end is None or f.end > ep["first"])]
        matched |= {id(f) for f in hits}
        own = sorted((f for f in hits if f.series == ep["series"] and f.start >= ep["first"]),
                     key=lambda f: f.start)
        row = {"episode": ep["name"], "detected": bool(own)}
        if own:
            alert_at = own[0].start * BIN
            crossed = crossing(ep)
            row["delay_min"] = round((alert_at - ep["start"]) / 60, 1)
            row["after_crossing_min"] = (None if crossed is None
                                         else round((alert_at - crossed) / 60, 1))
            if explain and ep["hashtag"]:
                row["top_terms"] = explain(own[0].episode, ep["series"])
                row["hashtag_in_top_3"] = spikes.fold(ep["hashtag"]) in row["top_terms"]
        rows.append(row)
    false = sorted((f for f in found if id(f) not in matched), key=lambda f: f.start)
    delays = [r["delay_min"] for r in rows if r["detected"]]
    after = [r["after_crossing_min"] for r in rows if r.get("after_crossing_min") is not None]
    weeks = (DAYS - FIRST_EVALUATION_DAY) / 7
    moments = sum(1 for i, f in enumerate(false)
                  if i == 0 or f.start - false[i - 1].start > 30 * 60 // BIN)
    result = {
        "detected": sum(r["detected"] for r in rows),
        "missed": sum(not r["detected"] for r in rows),
        "delay_median_min": float(np.median(delays)) if delays else None,
        "delay_max_min": float(max(delays)) if delays else None,
        "after_crossing_median_min": float(np.median(after)) if after else None,
        "after_crossing_max_min": float(max(after)) if after else None,
        "within_one_interval": f"{sum(a <= spikes.BIN_MINUTES for a in after)}/{len(after)}",
        "false_alerts": len(false),
        "false_alerts_per_week": round(len(false) / weeks, 2),
        # Alerts on related series at the same moment ("all", "all/source=x", the brand's
        # term) are one burst a manager sees at once: counted once here.
        "false_moments_per_week": round(moments / weeks, 2),
        "open_share_calm": open_share(found, episodes, eval_bins),
        "episodes": rows,
        "false_alert_list": [false_alert(f) for f in false],
    }
    if explain:
        tagged = [r for r in rows if "hashtag_in_top_3" in r]
        result["hashtag_in_top_3"] = f"{sum(r['hashtag_in_top_3'] for r in tagged)}/{len(tagged)}"
    return result


def open_share(found: list[Found], episodes: list[dict], eval_bins: np.ndarray) -> float:
    """Share of the calm time (no episode on it) that the episodes' own series have an alert
    open anyway: how often "detecting" a storm would have been luck."""
    shares = []
    for series in sorted({ep["series"] for ep in episodes}):
        is_open = np.zeros(eval_bins.size, dtype=bool)
        for f in (f for f in found if f.series == series):
            end = f.end if f.end is not None else eval_bins[-1] + 1
            is_open |= (eval_bins >= f.start) & (eval_bins < end)
        calm = np.ones(eval_bins.size, dtype=bool)
        for ep in episodes:
            if series in ep["affected"]:
                calm[(eval_bins >= ep["first"]) & (eval_bins <= ep["last"])] = False
        shares.append(is_open[calm].mean())
    return round(float(np.mean(shares)), 4)


# -- the run ---------------------------------------------------------------------------------

CONFIG = load_config(DEMO_CONFIG)


def main(seed: int = 20261005) -> dict:
    rng = np.random.default_rng(seed)
    settings = spikes.Settings.from_config(CONFIG.alerts)
    texts = demo_mentions()
    text_series = series_of(texts, CONFIG.watchlist.terms)
    at, which, storm = build_stream(texts, rng)
    staff_at, staff_which = staff_episode(texts, rng)
    at = np.concatenate([at, staff_at])
    which = np.concatenate([which, staff_which])
    storm = np.concatenate([storm, np.full(staff_at.size, len(STORMS))])
    names = sorted({n for s in text_series for n in s})
    frame, dense = counts_frame(at, which, text_series, names)
    eval_bins = np.arange(FIRST_EVALUATION_DAY * PER_DAY, DAYS * PER_DAY + 1)
    width = settings.window_minutes * 60

    # Every episode injected: the series its mentions count in, its own series, its span.
    episodes = []
    for number, s in enumerate(STORMS):
        episodes.append({
            "name": f"complaints/lang={s.lang} x{s.times_usual:g} {s.hours:g}h at "
                    f"{s.local_hour:02.0f}:00 local",
            "series": f"complaints/lang={s.lang}", "start": s.start(), "end": s.end(),
            "affected": {n for w in which[storm == number] for n in text_series[w]},
            "hashtag": s.hashtag})
    episodes.append({
        "name": f"staff={STAFF[0]} 6 complaints in 50 min", "series": f"staff={STAFF[0]}",
        "start": float(staff_at.min()), "end": float(staff_at.max()),
        "affected": set(text_series[staff_which[0]]), "hashtag": None})
    for ep in episodes:
        ep["first"] = int(ep["start"] // BIN)
        ep["last"] = int((ep["end"] + width + 1800) // BIN)

    in_series = {}

    def stamps_of(series: str) -> np.ndarray:
        if series not in in_series:
            member = np.array([series in text_series[w] for w in range(len(texts))])
            in_series[series] = np.sort(at[member[which]])
        return in_series[series]

    def explain(episode: spikes.Episode, series: str) -> list[str]:
        """Top 3 new terms at the alert's peak, as the alert would show them."""
        member = np.array([series in text_series[w] for w in range(len(texts))])[which]
        peak = (episode.peak_at - T0).total_seconds()

        def texts_between(lo, hi):
            return texts["text"].to_numpy()[which[member & (at > lo) & (at <= hi)]].tolist()

        window = texts_between(peak - width, peak)
        baseline = [t for d in range(1, settings.baseline_days + 1)
                    for t in texts_between(peak - d * DAY - width, peak - d * DAY)]
        spellings = [s for t in CONFIG.watchlist.terms for s in t.spellings]
        found = spikes.new_terms(window, baseline, top=3, exclude=spellings,
                                 baseline_windows=settings.baseline_days)
        return [term for term, _, _ in found]

    started = time.perf_counter()
    found_ours = ours(frame, eval_bins, settings)
    detect_seconds = time.perf_counter() - started
    keen = spikes.Settings.from_config(CONFIG.alerts)
    keen = spikes.Settings(**{**keen.__dict__,
                              "overrides": {**keen.overrides, "complaints/lang=*": (3.0, None)}})
    found_keen = ours(frame, eval_bins, keen)
    found_naive, naive_line = naive(dense, names, eval_bins, settings)

    results = {
        "ours": score(found_ours, episodes, eval_bins,
                      lambda ep: our_crossing(stamps_of(ep["series"]), ep["start"], settings,
                                              ep["series"]), explain),
        "ours_complaints_per_language_at_3": score(
            found_keen, episodes, eval_bins,
            lambda ep: our_crossing(stamps_of(ep["series"]), ep["start"], keen,
                                    ep["series"])),
        "naive": score(found_naive, episodes, eval_bins,
                       lambda ep: naive_crossing(stamps_of(ep["series"]), ep["start"],
                                                 naive_line[names.index(ep["series"])],
                                                 settings.for_series(ep["series"])[1], width)),
    }
    results["stream"] = {"days": DAYS, "evaluated_days": DAYS - FIRST_EVALUATION_DAY,
                         "series": len(names), "mentions": int(at.size),
                         "evaluations": int(eval_bins.size), "seed": seed,
                         "detect_s": round(detect_seconds, 3)}
    return results


DETECTORS = ("ours", "ours_complaints_per_language_at_3", "naive")
SUMMED = ("detected", "missed", "false_alerts")


def summary(runs: list[dict]) -> dict:
    """The figures over all runs: totals, per-week rates, delays pooled."""
    weeks = len(runs) * (DAYS - FIRST_EVALUATION_DAY) / 7
    out = {}
    for label in DETECTORS:
        rows = [row for r in runs for row in r[label]["episodes"]]
        delays = [row["delay_min"] for row in rows if row["detected"]]
        after = [row["after_crossing_min"] for row in rows
                 if row.get("after_crossing_min") is not None]
        x = {key: sum(r[label][key] for r in runs) for key in SUMMED}
        x.update(
            false_alerts_per_week=round(x["false_alerts"] / weeks, 2),
            false_moments_per_week=round(
                float(np.mean([r[label]["false_moments_per_week"] for r in runs])), 2),
            delay_median_min=float(np.median(delays)) if delays else None,
            after_crossing_median_min=float(np.median(after)) if after else None,
            within_one_interval=f"{sum(a <= spikes.BIN_MINUTES for a in after)}/{len(after)}",
            open_share_calm=round(float(np.mean([r[label]["open_share_calm"] for r in runs])),
                                  4))
        out[label] = x
    out["detected_per_episode"] = {
        row["episode"]: {label: sum(r[label]["episodes"][i]["detected"] for r in runs)
                         for label in DETECTORS}
        for i, row in enumerate(runs[0]["ours"]["episodes"])}
    out["ratios_ours_over_naive"] = {
        key: ratio(out["ours"][key], out["naive"][key])
        for key in ("delay_median_min", "missed", "false_alerts_per_week",
                    "false_moments_per_week", "open_share_calm")}
    return out


def false_alert(f: Found) -> dict:
    row = {"series": f.series, "start": (T0 + dt.timedelta(seconds=f.start * BIN)).isoformat()}
    if f.episode is not None:
        row.update(observed=f.episode.observed, expected=f.episode.expected,
                   statistic=round(f.episode.statistic, 2))
    return row


def speed_check() -> float:
    """detect over 8 days of 5-minute bins x 200 series x 2000 evaluation times."""
    rng = np.random.default_rng(1)
    bins = 8 * PER_DAY
    hour = np.arange(bins) * BIN / 3600 % 24
    curve = 0.15 + 0.85 * (1 - np.cos(2 * np.pi * (hour - 3) / 24)) / 2
    counts = rng.poisson(rng.uniform(0.05, 20, (200, 1)) * curve)
    s_idx, b_idx = np.nonzero(counts)
    frame = pd.DataFrame({"bin": pd.Timestamp(T0) + pd.to_timedelta(b_idx * BIN, unit="s"),
                          "series": [f"term=t{i}" for i in s_idx],
                          "count": counts[s_idx, b_idx]})
    times = [T0 + dt.timedelta(seconds=int(b) * BIN) for b in range(bins - 2000 + 1, bins + 1)]
    started = time.perf_counter()
    spikes.detect(frame, times, spikes.Settings(), history_start=T0)
    return time.perf_counter() - started


def ratio(ours, naive):
    if ours is None or naive is None:
        return None
    if naive == 0:
        return None if ours else 1.0
    return round(ours / naive, 2)


def report(first: dict, total: dict, speed: dict, runs: int) -> None:
    s = first["stream"]
    print(f"{s['mentions']} mentions, {s['series']} series, {s['days']} days "
          f"({s['evaluated_days']} evaluated every {spikes.BIN_MINUTES} min: "
          f"{s['evaluations']} evaluations); the first of {runs} runs in detail:")
    for label in DETECTORS:
        x = first[label]
        print(f"\n{label}:")
        for row in x["episodes"]:
            if row["detected"]:
                terms = (f"  new terms: {', '.join(row['top_terms'])}"
                         if "top_terms" in row else "")
                print(f"  {row['episode']:<46} alert after {row['delay_min']:>5} min "
                      f"({row['after_crossing_min']} after crossing){terms}")
            else:
                print(f"  {row['episode']:<46} missed")
        series = Counter(f["series"] for f in x["false_alert_list"])
        print(f"  false alerts: {x['false_alerts']} "
              f"({', '.join(f'{k} {v}' for k, v in series.most_common(6)) or 'none'}"
              f"{', ...' if len(series) > 6 else ''})")
    print(f"\nover {runs} runs ({runs * s['evaluated_days'] // 7} simulated weeks, "
          f"{len(first['ours']['episodes'])} episodes each):")
    print(f"  {'':<36}{'detected':>9}{'missed':>7}{'delay':>7}{'after':>7}{'<=5min':>8}"
          f"{'false/wk':>9}{'moments/wk':>11}{'open calm':>10}")
    for label in DETECTORS:
        x = total[label]
        print(f"  {label:<36}{x['detected']:>9}{x['missed']:>7}{x['delay_median_min']:>7}"
              f"{x['after_crossing_median_min']:>7}{x['within_one_interval']:>8}"
              f"{x['false_alerts_per_week']:>9}{x['false_moments_per_week']:>11}"
              f"{x['open_share_calm']:>10}")
    print("  (delay: median minutes from the injected start; after: median minutes after the "
          "window first crossed the detector's own threshold; open calm: share of calm time "
          "the storms' series have an alert open anyway)")
    print(f"  runs in which each episode was detected (of {runs}):")
    print(f"  {'':<46}" + "".join(f"{label[:12]:>14}" for label in DETECTORS))
    for name, hits in total["detected_per_episode"].items():
        print(f"  {name:<46}" + "".join(f"{hits[label]:>14}" for label in DETECTORS))
    print(f"storm hashtag among our alert's top 3 new terms: "
          f"{sum(int(r.split('/')[0]) for r in total['hashtag'])}/"
          f"{sum(int(r.split('/')[1]) for r in total['hashtag'])}")
    print("ours / naive:", ", ".join(f"{k} {v}" for k, v in
                                     total["ratios_ours_over_naive"].items()))
    print("speed:", ", ".join(f"{k} {v}" for k, v in speed.items()))


if __name__ == "__main__":
    clock = time.perf_counter()
    seeds = [20261005 + i for i in range(10)]
    runs = [main(seed) for seed in seeds]
    total = summary(runs)
    total["hashtag"] = [r["ours"]["hashtag_in_top_3"] for r in runs]
    speed = {"detect_per_run_s": max(r["stream"]["detect_s"] for r in runs),
             "detect_8d_200series_2000times_s": round(speed_check(), 3),
             "whole_benchmark_s": round(time.perf_counter() - clock, 1)}
    report(runs[0], total, speed, len(runs))
    out = Path(__file__).parent / "results" / "alerts.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"summary": total, "speed": speed, "runs": runs}, indent=2,
                              ensure_ascii=False) + "\n", encoding="utf-8")
