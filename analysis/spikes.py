"""Crisis detection that explains itself: when complaints (or a term, a staff name, the
backlog of late complaints) turn into a storm, open one alert per episode that says what was
seen, what was expected and how unusual that is, keep it up to date while it lasts, and close
it when things are back to normal. Pure functions over counts and texts; the store counts,
alerting stores and notifies.

How a spike is judged, for each series (e.g. "complaints/lang=fa") at each evaluation time t:

- observed: mentions in the `window_minutes` before t. Counts come in BIN_MINUTES bins, so the
  window is the bins that *end* in (t - window, t]; a mention at exactly t is in the next one.
- expected: the median of the same window on each of the previous `baseline_days` days (same
  time of day, so the daily rhythm is in the baseline; the median, so one odd day — last
  Tuesday's storm — does not move it).
- spread: max(1.4826 * MAD, sqrt(level * (1 + pi / (2 * days))) + 1), where days is the
  number of baseline days used and level the mean of their windows without the highest and
  the lowest. 1.4826 * MAD (median absolute deviation) is the robust stand-in for a standard
  deviation: how much this window varies from day to day. A week is only seven windows, so
  it needs a floor: a quiet series with seven zero windows has MAD 0, and every mention would
  be infinitely surprising. The floor is the noise that counting alone makes, even on a
  perfectly regular day:
    - the window's own count varies like a Poisson count: variance = its level;
    - the expected figure is itself a median of `days` such counts, off by variance
      pi/2 * level / days — observed - expected varies by the sum of the two;
    - the level under the root is a trimmed mean, not the median: as deaf to one odd day,
      but a median of a few small whole numbers easily says 0 or 1 when the usual is 2;
    - plus one mention, because small counts have long tails: at 2 an hour, 8 happens once
      in 900 hours, not once in 90 000 as the normal curve would have it.
  Measured on ten stable series with a daily rhythm over forty simulated weeks, the plain
  Poisson floor sqrt(max(expected, 1)) opened 13 false alerts a week, this one 0.23, at the
  same median delay on real storms (tests/test_spikes.py, bench/alerts.py). With nothing
  in the baseline the spread is 1, so z is the count itself and min_volume decides.
- statistic: the robust z-score (observed - expected) / spread.

An episode opens when statistic >= sensitivity and observed >= min_volume (a series' own
settings override the global ones), stays open while statistic >= sensitivity / 2 (half as
unusual as it took to open — hysteresis, so a storm that wobbles around the threshold is one
alert, not ten), and closes at the first evaluation below that. With fewer than two baseline
days of history (the first two days after counting began) nothing fires: a median of
one day is that day's accident.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BIN_MINUTES = 5
MAD_TO_SD = 1.4826  # 1 / Phi^-1(3/4): makes the MAD estimate a normal standard deviation
MIN_BASELINE_DAYS = 2
_BINS_PER_DAY = 24 * 60 // BIN_MINUTES
_NS_PER_BIN = BIN_MINUTES * 60 * 1_000_000_000
# Work on at most this many numbers per array at once: a long replay of many series is
# processed a few series at a time instead of needing gigabytes.
_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class Settings:
    """When a window is unusual enough to alert; see the module docstring.

    staff_min_volume: the min_volume of "staff=…" series (there is no [alerts] key for it yet;
    a "staff=*" series setting overrides it).
    overrides: a series' own (sensitivity, min_volume), None meaning "the global one". A key
    may name one series ("staff=Nikos Papadakis") or a whole family with `*` after `=`
    ("staff=*", "term=*", "complaints/lang=*"); the exact name wins over the family.
    """

    window_minutes: int = 60
    baseline_days: int = 7
    sensitivity: float = 4.0
    min_volume: int = 8
    # A staff name in negative mentions is rare and personal: a handful in the window is
    # worth a manager's look long before a volume series' min_volume would be reached.
    staff_min_volume: int = 5
    overrides: Mapping[str, tuple[float | None, int | None]] = field(default_factory=dict)

    def __post_init__(self):
        if self.window_minutes < BIN_MINUTES:
            raise ValueError(f"window_minutes must be at least {BIN_MINUTES}; "
                             f"got {self.window_minutes}.")
        if self.baseline_days < MIN_BASELINE_DAYS:
            raise ValueError(f"baseline_days must be at least {MIN_BASELINE_DAYS}; "
                             f"got {self.baseline_days}.")

    @classmethod
    def from_config(cls, alerts) -> Settings:
        """From the [alerts] section (clamor.config.Alerts)."""
        return cls(window_minutes=alerts.window_minutes, baseline_days=alerts.baseline_days,
                   sensitivity=alerts.sensitivity, min_volume=alerts.min_volume,
                   overrides={name: (s.sensitivity, s.min_volume)
                              for name, s in alerts.series.items()})

    def for_series(self, series: str) -> tuple[float, int]:
        """(sensitivity, min_volume) for one series."""
        family = series.rsplit("=", 1)[0] + "=*" if "=" in series else None
        sensitivity = self.sensitivity
        min_volume = self.staff_min_volume if series.startswith("staff=") else self.min_volume
        for key in (family, series):  # the exact name last, so it wins
            own = self.overrides.get(key) if key else None
            if own:
                sensitivity = own[0] if own[0] is not None else sensitivity
                min_volume = own[1] if own[1] is not None else min_volume
        return float(sensitivity), int(min_volume)


@dataclass
class Episode:
    """One alert: a storm in one series from the evaluation that opened it to the one that
    found it back to normal.

    The peak is the evaluation where the series was most unusual (highest statistic; the
    earliest of equals). Severity is "critical" when at the peak statistic >= 2 * threshold or
    observed >= 3 * max(expected, min_volume) — twice as unusual as it took to alert, or three
    times the usual volume (or the minimum volume, for a series that is usually near zero);
    otherwise "warning". Judged on the peak's figures, so the numbers shown justify it.

    latest_*: the last reading — at the last time evaluated while the episode is open, and at
    `end` (the reading that was back to normal) once it is closed.
    """

    kind: str  # "spike" | "staff" | "backlog"
    series: str  # "complaints/lang=fa", "term=SkyPoints", "staff=Nikos Papadakis", "backlog"
    start: dt.datetime
    end: dt.datetime | None
    peak_at: dt.datetime
    observed: float
    expected: float
    spread: float
    statistic: float
    threshold: float
    severity: str  # "warning" | "critical"
    latest_observed: float
    latest_expected: float
    latest_statistic: float
    latest_at: dt.datetime


# -- spikes --------------------------------------------------------------------------------

def detect(counts: pd.DataFrame, times: Sequence[dt.datetime], settings: Settings, *,
           history_start: dt.datetime | None = None) -> list[Episode]:
    """The spike and staff episodes found by evaluating every series at each of `times`.

    counts: columns bin (tz-aware start of a BIN_MINUTES bin), series, count; a bin that is
    missing is zero. times: the evaluation instants, ascending (a time between bin boundaries
    is evaluated at the boundary before it).
    history_start: when counting began — before it there is no baseline, not a zero one.
    Defaults to the earliest bin in `counts`; pass it when the counts were queried from a
    known start (a quiet first hour makes the earliest bin later than the query start).

    Episodes come out ordered by start, then series. Evaluating the same counts at the same
    times gives the same episodes, so a scheduler that re-evaluates the last day every few
    minutes sees the same storm with the same start and can update its stored alert. An
    episode already open before times[0] is only seen from the first of `times` at which it
    is unusual enough to open.
    """
    times = list(times)
    if counts is None or counts.empty or not times:
        return []
    at = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    if not at.is_monotonic_increasing:
        raise ValueError("detect: evaluation times must be in ascending order.")
    frame = counts[counts["count"] > 0]
    if frame.empty:
        return []
    bins = _bin_numbers(frame["bin"])
    now_bin = _bin_numbers(at)  # the window ends where bin `now_bin` starts
    width = -(-settings.window_minutes // BIN_MINUTES)  # bins per window, rounded up
    days = settings.baseline_days
    origin = int(now_bin.min()) - width - days * _BINS_PER_DAY
    first = (int(bins.min()) if history_start is None
             else int(_bin_numbers(pd.Series([history_start]))[0]))
    # Baseline day d is usable at t when its whole window lies after history began.
    usable_days = np.clip((now_bin - width - first) // _BINS_PER_DAY, 0, days)

    codes, names = pd.factorize(frame["series"], sort=True)
    position = bins - origin
    grid = int(now_bin.max()) - origin
    inside = (position >= 0) & (position < grid)  # later bins are in no window evaluated
    codes, position = codes[inside], position[inside]
    volume = frame["count"].to_numpy(dtype=float)[inside]

    ends = now_bin - origin
    shifts = _BINS_PER_DAY * np.arange(1, days + 1)
    baseline_ends = ends[:, None] - shifts[None, :]  # (times, days)
    per_series = max(grid + 1, len(times) * (days + 4))
    chunk = max(1, _CHUNK_CELLS // per_series)

    found: list[Episode] = []
    for lo in range(0, len(names), chunk):
        hi = min(lo + chunk, len(names))
        mine = (codes >= lo) & (codes < hi)
        dense = np.bincount((codes[mine] - lo) * grid + position[mine],
                            weights=volume[mine], minlength=(hi - lo) * grid)
        total = np.zeros((hi - lo, grid + 1))
        np.cumsum(dense.reshape(hi - lo, grid), axis=1, out=total[:, 1:])
        observed = total[:, ends] - total[:, ends - width]
        earlier = total[:, baseline_ends] - total[:, baseline_ends - width]
        expected, spread = _baseline(earlier, usable_days)
        with np.errstate(invalid="ignore"):
            statistic = (observed - expected) / spread
        limits = [settings.for_series(name) for name in names[lo:hi]]
        sensitivity = np.array([s for s, _ in limits])[:, None]
        min_volume = np.array([m for _, m in limits], dtype=float)[:, None]
        with np.errstate(invalid="ignore"):  # NaN (no baseline yet) never fires or holds
            opens = (statistic >= sensitivity) & (observed >= min_volume)
            holds = statistic >= sensitivity / 2
        alert = _hysteresis(opens, holds)
        for row in np.flatnonzero(alert.any(axis=1)):
            series = str(names[lo + row])
            found += _episodes(
                alert[row], observed[row], expected[row], spread[row], statistic[row], at,
                kind="staff" if series.startswith("staff=") else "spike", series=series,
                threshold=float(sensitivity[row, 0]), min_volume=float(min_volume[row, 0]))
    return sorted(found, key=lambda e: (e.start, e.series))


def measure(counts: pd.DataFrame, times: Sequence[dt.datetime], settings: Settings,
            series: str, *, history_start: dt.datetime | None = None) -> pd.DataFrame:
    """One series read at each of `times` the way `detect` reads it — for the timeline a
    manager looks at: columns at, observed, expected, spread, statistic, threshold (the
    observed count at which it would alert: expected + sensitivity × spread, at least the
    minimum volume). NaN where there is no baseline yet."""
    at = pd.DatetimeIndex(pd.to_datetime(list(times), utc=True))
    empty = pd.DataFrame({"at": at, "observed": np.nan, "expected": np.nan,
                          "spread": np.nan, "statistic": np.nan, "threshold": np.nan})
    frame = counts[(counts["series"] == series) & (counts["count"] > 0)] \
        if counts is not None and not counts.empty else counts
    if frame is None or frame.empty or len(at) == 0:
        return empty.assign(observed=0.0)
    width = -(-settings.window_minutes // BIN_MINUTES)
    days = settings.baseline_days
    now_bin = _bin_numbers(at)
    origin = int(now_bin.min()) - width - days * _BINS_PER_DAY
    first = (int(_bin_numbers(frame["bin"]).min()) if history_start is None
             else int(_bin_numbers(pd.Series([history_start]))[0]))
    usable_days = np.clip((now_bin - width - first) // _BINS_PER_DAY, 0, days)
    position = _bin_numbers(frame["bin"]) - origin
    grid = int(now_bin.max()) - origin
    inside = (position >= 0) & (position < grid)
    dense = np.bincount(position[inside], weights=frame["count"].to_numpy(float)[inside],
                        minlength=grid)
    total = np.concatenate(([0.0], np.cumsum(dense)))
    ends = now_bin - origin
    observed = total[ends] - total[ends - width]
    baseline_ends = ends[:, None] - _BINS_PER_DAY * np.arange(1, days + 1)[None, :]
    earlier = (total[baseline_ends] - total[baseline_ends - width])[None, ...]
    expected, spread = _baseline(earlier, usable_days)
    sensitivity, min_volume = settings.for_series(series)
    with np.errstate(invalid="ignore"):
        statistic = (observed - expected[0]) / spread[0]
    return pd.DataFrame({
        "at": at, "observed": observed, "expected": expected[0], "spread": spread[0],
        "statistic": statistic,
        "threshold": np.maximum(expected[0] + sensitivity * spread[0], min_volume)})


def _bin_numbers(values) -> np.ndarray:
    """Bin number since the epoch of each instant (floored to its bin). Through
    datetime64[ns] explicitly: pandas may hold timestamps in µs or s, so raw integers differ."""
    stamps = pd.to_datetime(pd.Series(values).reset_index(drop=True), utc=True)
    return stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) // _NS_PER_BIN


def _baseline(earlier: np.ndarray, usable_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and floored robust spread (see the module docstring) over the usable baseline
    days, the most recent ones; NaN where fewer than MIN_BASELINE_DAYS are usable.

    earlier: (series, times, days) window counts, day 1 first; usable_days: (times,)."""
    expected = np.full(earlier.shape[:2], np.nan)
    spread = np.full(earlier.shape[:2], np.nan)
    for n in np.unique(usable_days[usable_days >= MIN_BASELINE_DAYS]):
        cols = usable_days == n
        sample = earlier[:, cols, :n]
        median = np.median(sample, axis=2)
        mad = np.median(np.abs(sample - median[..., None]), axis=2)
        ordered = np.sort(sample, axis=2)
        level = (ordered[..., 1:-1] if n >= 3 else ordered).mean(axis=2)
        counting_noise = np.sqrt(level * (1 + math.pi / (2 * n))) + 1
        expected[:, cols] = median
        spread[:, cols] = np.maximum(MAD_TO_SD * mad, counting_noise)
    return expected, spread


def _hysteresis(opens: np.ndarray, holds: np.ndarray) -> np.ndarray:
    """Where an alert is open, along the last axis: from a time that `opens` for as long as
    it `holds`. Open at i exactly when holds at i and the last opening time at or before i
    comes after the last time that did not hold (opens implies holds)."""
    index = np.arange(opens.shape[-1])
    last_open = np.maximum.accumulate(np.where(opens, index, -1), axis=-1)
    last_calm = np.maximum.accumulate(np.where(holds, -1, index), axis=-1)
    return holds & (last_open > last_calm)


def _episodes(alert, observed, expected, spread, statistic, at: pd.DatetimeIndex, *,
              kind: str, series: str, threshold: float, min_volume: float,
              critical_at: float | None = None) -> list[Episode]:
    """One Episode per run of True in `alert` (one series over the evaluation times)."""
    edges = np.diff(np.concatenate(([0], alert.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    last = len(alert) - 1
    found = []
    for i, j in zip(starts, stops, strict=True):
        peak = i + int(np.argmax(statistic[i:j]))
        latest = min(j, last)
        if critical_at is None:
            critical = (statistic[peak] >= 2 * threshold
                        or observed[peak] >= 3 * max(expected[peak], min_volume))
        else:
            critical = statistic[peak] >= critical_at
        found.append(Episode(
            kind=kind, series=series,
            start=at[i].to_pydatetime(), end=at[j].to_pydatetime() if j <= last else None,
            peak_at=at[peak].to_pydatetime(), observed=float(observed[peak]),
            expected=float(expected[peak]), spread=float(spread[peak]),
            statistic=float(statistic[peak]), threshold=float(threshold),
            severity="critical" if critical else "warning",
            latest_observed=float(observed[latest]), latest_expected=float(expected[latest]),
            latest_statistic=float(statistic[latest]), latest_at=at[latest].to_pydatetime()))
    return found


# -- backlog -------------------------------------------------------------------------------

def backlog(due_at: Sequence, answered_at: Sequence, times: Sequence[dt.datetime]
            ) -> np.ndarray:
    """How many complaints are late at each time: past their due time and not answered yet
    (due_at <= t < answered_at; answered_at NaT/None = not answered). A complaint with no due
    time (no standard applies) is never late."""
    due = _instants(due_at)
    answered = _instants(answered_at)
    if len(due) != len(answered):
        raise ValueError("backlog: due_at and answered_at must be the same length.")
    at = _instants(times)
    known = ~np.isnan(due)
    due, answered = due[known], answered[known]
    # Late at t = due by t, minus those also answered by t. One answered before its due
    # time is done at its due time (never late); one not answered is never done.
    done = np.where(np.isnan(answered), np.inf, np.maximum(due, answered))
    late = (np.searchsorted(np.sort(due), at, side="right")
            - np.searchsorted(np.sort(done), at, side="right"))
    return late.astype(np.int64)


def _instants(values) -> np.ndarray:
    """Nanoseconds since the epoch as float (exact enough: ~0.2 µs at 2026), NaN for none."""
    stamps = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True)
    out = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    out[stamps.isna().to_numpy()] = np.nan
    return out


def detect_backlog(late: Sequence[float], times: Sequence[dt.datetime], threshold: int
                   ) -> list[Episode]:
    """Backlog episodes: open when `threshold` or more complaints are late at once, stay open
    until fewer than threshold / 2 are (hysteresis: answering one complaint does not close
    the alert only for the next late one to reopen it).

    There is no baseline here, a late complaint is a broken promise whatever the time of day:
    expected = threshold, threshold = threshold, statistic = late / threshold (1.0 at the
    threshold), spread = threshold (the unit of statistic). Critical when the peak is twice
    the threshold (statistic >= 2).
    """
    late = np.asarray(late, dtype=float)
    at = pd.DatetimeIndex(pd.to_datetime(list(times), utc=True))
    if len(late) != len(at):
        raise ValueError("detect_backlog: one late count per evaluation time is needed.")
    if len(late) == 0:
        return []
    alert = _hysteresis(late >= threshold, late >= threshold / 2)
    n = len(late)
    return _episodes(alert, late, np.full(n, float(threshold)), np.full(n, float(threshold)),
                     late / threshold, at, kind="backlog", series="backlog",
                     threshold=float(threshold), min_volume=float(threshold), critical_at=2.0)


# -- what is new in a storm ----------------------------------------------------------------

# Short lists of the commonest function words, after folding (lower case, no accents or
# Arabic vowel marks), so that what rises with the volume of a storm is not "the" and "و".
STOPWORDS = frozenset("""
a an the and or but if of to in on at by for from with about as into over after before
is are was were be been being am do does did have has had will would can could should
i me my we our you your he she it its they them their this that these those there here
not no so too very just than then what which who whom when where why how all any some
up out off again only own same also more most such still now get got im i'm dont don't
us via rt amp

και το τα του της των τη την τον η ο οι να σε στο στη στην στον στα στους με για που
δεν θα ειναι απο αλλα οτι πως εχω εχει εχουμε μου σου μας σας τι ως κι ενα μια ενας
αυτο αυτη αυτος ηταν ηδη ακομα μονο ολα πολυ τωρα ουτε μη μην

و در به از که این را با است برای آن یک تا هم من ما شما او بود بودن می نمی ها های
اما یا چه هست نیست کرد کردم کردن شد شده شود داره دارم دارد هیچ ولی اگر باید خیلی
همه چرا کی کجا الان هنوز

في من على إلى الى عن مع هذا هذه ذلك تلك أن ان إن و لا ما هو هي كان كانت قد لم لن
كل بعد ثم أو او يا انا أنا نحن انت أنت الي إلي التي الذي عند حتى منذ لكن ليس غير
جدا فقط الآن الان هل كيف لماذا متى
""".split())

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
# Letters with the marks that belong to them: Thai vowel and tone marks, the Persian
# zero-width non-joiner (می‌دهد is one word) and Arabic vowel marks are not \w.
_WORD_CHARS = (r"\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670"
               r"\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u200c")
_TOKEN = re.compile(rf"#?[{_WORD_CHARS}]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]+")
_THAI_OR_NOT = re.compile(r"[\u0e00-\u0e7f]+|[^\u0e00-\u0e7f]+")
THAI_MAX_CHARS = 20


def new_terms(window_texts: Sequence[str], baseline_texts: Sequence[str], top: int = 8,
              exclude: Iterable[str] = (), baseline_windows: float = 7
              ) -> list[tuple[str, int, float]]:
    """The words and #hashtags that are new, or much more common, in the window than in the
    baseline: what this storm is about. Up to `top` of
    (term, mentions in the window that use it, baseline mentions per window-equivalent),
    the most clearly risen first.

    baseline_windows: how many windows the baseline texts span (the same window on each of
    the baseline days: pass Settings.baseline_days), so the third figure reads "usually 0.3
    per window".

    A term counts once per mention (one post repeating a word is not a trend) and must be in
    at least 2 window mentions. Ranking compares the share of mentions using the term, so a
    storm's extra volume alone does not lift every word: the log odds of the share in the
    window against the baseline, each count +0.5 (so a term absent from the baseline has a
    finite score), divided by its standard error — a term in 30 mentions outranks one in 2
    with the same rise. Only terms whose share at least doubled are kept.

    Texts are case- and accent-folded; links, @handles, pure numbers, one-letter words, the
    stopwords of en/el/fa/ar and the words of `exclude` (the watchlist's own names and
    aliases, which are in every mention; "#skypoints" too) are left out. Thai is written
    without spaces between words and has no segmenter here: a run of Thai script shorter
    than THAI_MAX_CHARS is taken as one term (a short phrase, often a name or a hashtag-like
    slogan) and longer runs — sentences — are skipped, so Thai storms show fewer terms.
    """
    window_sets = [_terms(t) for t in window_texts]
    baseline_sets = [_terms(t) for t in baseline_texts]
    excluded = set()
    for name in exclude:
        words = _terms(name)
        excluded |= words | {"#" + w.lstrip("#") for w in words}
        excluded.add("#" + "".join(w.lstrip("#") for w in _tokens(name)))
    in_window = Counter(t for s in window_sets for t in s if t not in excluded)
    in_baseline = Counter(t for s in baseline_sets for t in s)
    n_window, n_baseline = len(window_sets), len(baseline_sets)
    ranked = []
    for term, w in in_window.items():
        if w < 2:
            continue
        b = in_baseline.get(term, 0)
        rise = (math.log((w + 0.5) / (n_window - w + 0.5))
                - math.log((b + 0.5) / (n_baseline - b + 0.5)))
        share_ratio = ((w + 0.5) / (n_window + 1)) / ((b + 0.5) / (n_baseline + 1))
        if share_ratio < 2:
            continue
        error = math.sqrt(1 / (w + 0.5) + 1 / (n_window - w + 0.5)
                          + 1 / (b + 0.5) + 1 / (n_baseline - b + 0.5))
        ranked.append((-rise / error, -w, term, b))
    ranked.sort()
    per_window = max(float(baseline_windows), 1e-9)
    return [(term, in_window[term], b / per_window) for _, _, term, b in ranked[:top]]


def fold(text: str) -> str:
    """A text as new_terms compares it: lower case, without accents or Arabic vowel marks
    (Thai marks are letters: kept)."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(c for c in decomposed
                   if not ("\u0300" <= c <= "\u036f" or "\u0610" <= c <= "\u061a"
                           or "\u064b" <= c <= "\u065f" or c == "\u0670"))
    return unicodedata.normalize("NFC", kept)


def _tokens(text: str) -> list[str]:
    text = _HANDLE.sub(" ", _URL.sub(" ", text))
    return [t.strip("\u200c") for t in _TOKEN.findall(fold(text))]


def _terms(text: str) -> set[str]:
    found = set()
    for token in _tokens(text):
        tag = "#" if token.startswith("#") else ""
        # A Thai run may hold a Latin name inside ("ไฟลท์AL213"): each script part is a term.
        for part in _THAI_OR_NOT.findall(token.lstrip("#")):
            if len(part) < 2 or part.isdigit() or part in STOPWORDS:
                continue
            if _THAI.match(part) and len(part) >= THAI_MAX_CHARS:
                continue  # a sentence, not a word: see new_terms
            found.add(tag + part)
    return found
