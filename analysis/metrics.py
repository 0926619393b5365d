"""Percentiles and outcomes for response standards ("90 % of complaints answered within
60 business minutes"), computed so that a percentile and a share always tell the same story.

Percentiles are nearest-rank: the p-th percentile is the smallest measured value v such that
at least p % of the values are <= v. It is always a real measurement (never an average of
two), and "p90 <= target" holds exactly when "at least 90 % met the target" does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


def percentile(values, p: float) -> float | None:
    """Nearest-rank p-th percentile of values, NaN ignored; None if there are none."""
    x = _measured(values)
    if x.size == 0:
        return None
    k = _rank(p, x.size)
    return float(np.partition(x, k - 1)[k - 1])


def summary(values) -> dict:
    """Count, median, p90 and mean, rounded to 0.1; None in place of each figure when empty."""
    x = _measured(values)
    if x.size == 0:
        return {"count": 0, "median": None, "p90": None, "mean": None}
    return {"count": int(x.size),
            "median": round(percentile(x, 50), 1),
            "p90": round(percentile(x, 90), 1),
            "mean": round(float(x.mean()), 1)}


def share_within(values, target: float) -> float | None:
    """Fraction (0..1) of values at or under target, NaN ignored; None if there are none."""
    x = _measured(values)
    if x.size == 0:
        return None
    return float(np.count_nonzero(x <= target)) / x.size


@dataclass
class StandardOutcome:
    count: int  # cases measured: answered ones plus unanswered ones already past the target
    met: int  # answered within the target
    share_met: float | None  # met / count; None when nothing was measured
    achieved: float | None  # the percentile reached, in minutes (see evaluate)
    target: float  # minutes
    percentile: float  # e.g. 90 for "90 % within the target"
    ok: bool | None  # the standard was met; None when nothing was measured


def evaluate(durations, target: float, percentile: float,
             open_elapsed=()) -> StandardOutcome:
    """How a response standard ("`percentile` % of cases within `target` minutes") was met.

    - durations: minutes each answered case took.
    - open_elapsed: minutes each unanswered case has waited so far. One already past the
      target is a breach: it counts, as a miss, whatever happens next. One not yet past the
      target is left out: it may still be answered in time, so its outcome is unknown.
    - ok: share_met * 100 >= percentile (counted exactly, so rounding never flips it);
      None when there is nothing to measure.
    - achieved: the nearest-rank percentile of the answered durations together with the
      breaches' waits so far. A breach's wait only grows, so when achieved lands on one it
      is a lower bound: "at least this". achieved <= target exactly when ok.
    """
    finished = _measured(durations)
    waiting = _measured(open_elapsed)
    breached = waiting[waiting > target]
    measured = np.concatenate((finished, breached))
    count = int(measured.size)
    met = int(np.count_nonzero(finished <= target))
    if count == 0:
        return StandardOutcome(0, 0, None, None, target, percentile, None)
    k = _rank(percentile, count)
    return StandardOutcome(
        count=count,
        met=met,
        share_met=met / count,
        achieved=float(np.partition(measured, k - 1)[k - 1]),
        target=target,
        percentile=percentile,
        ok=met >= k,  # at least p % met, i.e. met * 100 >= p * count
    )


def _measured(values) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[~np.isnan(x)]


def _rank(p: float, n: int) -> int:
    """The 1-based rank of the nearest-rank p-th percentile among n values: ceil(p/100 * n).
    Worked in exact fractions of p as written, because in floats 7/100 * 100 is
    7.000000000000001 and the ceiling would skip a rank (np.percentile with
    method="inverted_cdf" does: it gives 8 as p7 of 1..100)."""
    if isinstance(p, bool) or not 0 < p <= 100:  # also refuses NaN
        raise ValueError(f"A percentile must be above 0 and at most 100; got {p!r}.")
    return max(1, math.ceil(Fraction(str(p)) * n / 100))
