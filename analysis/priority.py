"""How urgent an unanswered mention is, so the inbox shows the most urgent first.

Complaints always come before everything else; among them, the longer a customer has waited
and the more people can see the post, the sooner it needs an answer. Pure arithmetic, so the
order is easy to explain to an agent: "complaint, waiting 5 h, 12 k followers".
"""

from __future__ import annotations

import math

# Larger than waiting (at most 72) plus reach (8 per tenfold, 80 for ten billion followers)
# can ever add up to: a complaint always outranks a non-complaint.
COMPLAINT = 1000.0
PER_HOUR_WAITING = 1.0
MAX_HOURS_COUNTED = 72.0  # beyond three days, waiting longer adds no urgency
PER_TENFOLD_REACH = 8.0


def urgency(complaint: bool, followers: int | None, waiting_minutes: float) -> float:
    hours = min(max(waiting_minutes, 0.0) / 60.0, MAX_HOURS_COUNTED)
    reach = math.log10(1 + max(followers or 0, 0))
    return round((COMPLAINT if complaint else 0.0) + PER_HOUR_WAITING * hours
                 + PER_TENFOLD_REACH * reach, 3)
