"""Public response times of support accounts, from the posts alone: the rules, and the figures.

Works on any set of posts with authors, times and reply links — our own collected mentions,
or an imported archive of a competitor's support account — so "how fast does @X answer?" is
measured the same way for everyone. The counting runs in the store (queries.response_times:
a year of 10 M posts does not fit in a DataFrame); what is counted is this:

- A conversation is one customer in one thread (the thread: the post's conversation id, or
  the post itself). Its start is the customer's first message in the thread.
- It belongs to an account when the account replied in it, the customer replied to one of
  the account's posts, or the customer @-mentioned the account (a whole handle: "@Help" is
  not in "@Helpdesk" or "me@help").
- Its first response is the account's first post replying to one of the customer's
  messages in the thread, not before its start; the time is wall-clock minutes from the
  start. For "all accounts", every customer conversation counts, answered by whichever own
  account replied first.
- Handles compare without @, u/ and case ("@AerolumeHelp" is "aerolumehelp").
"""

from __future__ import annotations

import re

import numpy as np

from analysis.metrics import summary


def handle_key(handle: str | None) -> str:
    """Handles compare without @, u/ and case: "@AerolumeHelp" == "aerolumehelp". Lower
    case as the store's lower() makes it (queries._WHO), not casefold: "Straße" stays
    "straße" on both sides."""
    return (handle or "").strip().lstrip("@").removeprefix("u/").lower()


def mention_pattern(key: str) -> str:
    """A regular expression (RE2, case-insensitive) finding an @-mention of the handle
    `key` (handle_key form) as a whole handle, not inside another handle or an address."""
    word = r"\p{L}\p{N}_"
    return rf"(?i)(?:^|[^{word}@])@{re.escape(key)}(?:$|[^{word}])"


def figures(conversations: int, waited_us) -> dict:
    """An account's figures: its conversations, how many were answered and how soon (the
    answered ones' waits, in microseconds)."""
    minutes = np.asarray(waited_us, dtype=np.int64) / 1e6 / 60.0
    answered, conversations = int(len(minutes)), int(conversations)
    return {
        "conversations": conversations,
        "answered": answered,
        "answered_share": round(answered / conversations, 3) if conversations else None,
        "first_response_minutes": summary(minutes),
    }
