"""How urgent an unanswered mention is, so the inbox shows the most urgent first.

Complaints always come before everything else; among them, the more of its response standard
a case has used up (or, where no standard applies, the longer the customer has waited) and
the more people can see the post, the sooner it needs an answer; a customer who has written
again while waiting needs it sooner still, and so does one who already complained in other
cases this week. Pure arithmetic, so the order is easy to explain to an agent: "complaint,
80 % of its hour gone, 12 k followers, 3rd message, 3rd complaint this week".
"""

from __future__ import annotations

import math

# Larger than waiting (at most 72), reach (8 per tenfold, 80 for ten billion followers),
# repeats (at most 24) and earlier complaints (at most 9) can ever add up to: a complaint
# always outranks a non-complaint.
COMPLAINT = 1000.0
# A standard used up counts like a day of waiting: a case at its target outranks one that
# has waited 20 hours under no standard, and three times the target is the most it counts.
PER_STANDARD_USED = 24.0
MAX_STANDARDS_COUNTED = 3.0
PER_HOUR_WAITING = 1.0
MAX_HOURS_COUNTED = 72.0  # beyond three days, waiting longer adds no urgency
PER_TENFOLD_REACH = 8.0
# Each further unanswered message from the same customer counts like six more hours of
# waiting, up to four: writing again is the clearest sign a customer is losing patience.
PER_REPEAT = 6.0
MAX_REPEATS_COUNTED = 4
# Each earlier complaint from the same customer this week (in other cases, across their
# linked handles: clamor.customers) counts like three more hours of waiting, up to three.
# Less than a message in the same case: it says the customer is let down again, not that
# this case has been kept waiting.
PER_EARLIER_COMPLAINT = 3.0
MAX_EARLIER_COUNTED = 3
# The most waiting (or a standard used up) and earlier complaints can add: whatever a case
# has waited, it can rank no higher than its complaint, reach and messages allow plus this
# (how the inbox knows which old cases could still outrank the newest: clamor.queries).
MOST_WAITING_AND_WEEK = (max(PER_HOUR_WAITING * MAX_HOURS_COUNTED,
                             PER_STANDARD_USED * MAX_STANDARDS_COUNTED)
                         + PER_EARLIER_COMPLAINT * MAX_EARLIER_COUNTED)


def urgency(complaint: bool, followers: int | None, waiting_minutes: float,
            messages: int = 1, standard_used: float | None = None,
            earlier_complaints: int = 0) -> float:
    """`messages`: the customer's unanswered messages, this one included. `standard_used`:
    the share of its strictest response standard's target already gone, on that standard's
    clock (1.0 = due now); None where no standard applies, and waiting time counts instead.
    `earlier_complaints`: the customer's complaints this week in other cases."""
    if standard_used is not None and not math.isnan(standard_used):
        hours = PER_STANDARD_USED * min(max(standard_used, 0.0), MAX_STANDARDS_COUNTED)
    else:
        hours = min(max(waiting_minutes, 0.0) / 60.0, MAX_HOURS_COUNTED)
    reach = math.log10(1 + max(followers or 0, 0))
    repeats = min(max(messages - 1, 0), MAX_REPEATS_COUNTED)
    earlier = min(max(earlier_complaints, 0), MAX_EARLIER_COUNTED)
    return round((COMPLAINT if complaint else 0.0) + PER_HOUR_WAITING * hours
                 + PER_TENFOLD_REACH * reach + PER_REPEAT * repeats
                 + PER_EARLIER_COMPLAINT * earlier, 3)


def followers_needed(at_least: float, complaint: bool) -> float:
    """The fewest followers with which a case, a complaint or not, could reach an urgency of
    `at_least` at the most that waiting, messages and earlier complaints count for (0: any
    case could; inf: none could)."""
    rest = at_least - (COMPLAINT if complaint else 0.0) - MOST_WAITING_AND_WEEK \
        - PER_REPEAT * MAX_REPEATS_COUNTED
    if rest <= 0:
        return 0.0
    exponent = rest / PER_TENFOLD_REACH
    return math.inf if exponent > 300 else 10.0 ** exponent - 1


def urgencies(complaint, followers, waiting_minutes, messages, standard_used,
              earlier_complaints=None):
    """`urgency` for whole columns at once (array-likes of equal length), for ranking an
    inbox of thousands of cases; the same arithmetic, element by element."""
    import numpy as np

    complaint = np.asarray(complaint, dtype=bool)
    followers = np.nan_to_num(np.asarray(followers, dtype=float), nan=0.0)
    waiting = np.asarray(waiting_minutes, dtype=float)
    used = np.asarray(standard_used, dtype=float)
    by_standard = PER_STANDARD_USED * np.clip(used, 0.0, MAX_STANDARDS_COUNTED)
    by_waiting = np.minimum(np.maximum(waiting, 0.0) / 60.0, MAX_HOURS_COUNTED)
    hours = np.where(np.isnan(used), by_waiting, by_standard)
    reach = np.log10(1 + np.maximum(followers, 0.0))
    repeats = np.clip(np.asarray(messages, dtype=float) - 1, 0, MAX_REPEATS_COUNTED)
    earlier = 0.0 if earlier_complaints is None else np.clip(
        np.asarray(earlier_complaints, dtype=float), 0, MAX_EARLIER_COUNTED)
    return np.round(np.where(complaint, COMPLAINT, 0.0) + PER_HOUR_WAITING * hours
                    + PER_TENFOLD_REACH * reach + PER_REPEAT * repeats
                    + PER_EARLIER_COMPLAINT * earlier, 3)
