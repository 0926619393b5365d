"""The pandas implementation of public response times that Clamor used before the counting
moved into the store (queries.response_times): an independent reference the SQL is checked
against, on the rules analysis/response_times.py states."""

from __future__ import annotations

import re

import pandas as pd

from analysis.metrics import summary
from analysis.response_times import handle_key


def response_times(posts: pd.DataFrame, accounts: list[str]) -> dict:
    """`posts`: columns id, author, text, created_at, in_reply_to, conversation_id.

    Returns {"accounts": {handle: {"conversations", "answered", "answered_share",
    "first_response_minutes": {"median", "p90", "mean", "count"}}}, "all_accounts": {...}}
    where all_accounts counts every customer conversation and any own account's reply.
    """
    keys = {handle_key(a): a for a in accounts}
    frame = posts.copy()
    frame["who"] = frame["author"].map(handle_key)
    frame["thread"] = frame["conversation_id"].fillna(frame["id"])
    own = frame["who"].isin(keys.keys())
    customers = frame[~own & frame["author"].notna()]
    replies = frame[own]

    # Each customer's first message in each thread.
    conv = (customers.groupby(["thread", "who"], sort=False)["created_at"].min()
            .rename("first_at").reset_index())
    msg_conv = customers[["id", "thread", "who", "in_reply_to", "text"]]

    # The account's replies to customer messages, attributed to that customer's conversation.
    answered = replies.merge(msg_conv[["id", "thread", "who"]], left_on="in_reply_to",
                             right_on="id", suffixes=("", "_msg"))
    answered = answered.rename(columns={"who_msg": "customer", "who": "account",
                                        "thread_msg": "conv_thread"})
    answered = answered.merge(conv, left_on=["conv_thread", "customer"],
                              right_on=["thread", "who"], suffixes=("", "_c"))
    answered = answered[answered["created_at"] >= answered["first_at"]]
    first_reply = (answered.groupby(["account", "conv_thread", "customer"])["created_at"].min()
                   .rename("replied_at").reset_index())

    # Who each conversation is addressed to: replies to the account's posts and @mentions.
    author_of = frame.set_index("id")["who"]
    to_post = msg_conv.assign(account=msg_conv["in_reply_to"].map(author_of))
    addressed = to_post.loc[to_post["account"].isin(keys.keys()),
                            ["thread", "who", "account"]]
    for key in keys:
        pattern = re.compile(rf"(?<![\w@])@{re.escape(key)}(?!\w)", re.IGNORECASE)
        hits = msg_conv[msg_conv["text"].fillna("").str.contains(pattern)]
        addressed = pd.concat([addressed, hits[["thread", "who"]].assign(account=key)])
    involved = pd.concat([
        addressed,
        first_reply.rename(columns={"conv_thread": "thread", "customer": "who"})[
            ["thread", "who", "account"]],
    ]).drop_duplicates()

    result = {}
    for key, handle in keys.items():
        mine = involved[involved["account"] == key]
        times = first_reply[first_reply["account"] == key].merge(
            conv, left_on=["conv_thread", "customer"], right_on=["thread", "who"])
        minutes = (times["replied_at"] - times["first_at"]).dt.total_seconds() / 60.0
        result[handle] = _figures(len(mine), minutes)

    # Brand level: every customer conversation, answered by whichever own account came first.
    anyone = (first_reply.groupby(["conv_thread", "customer"])["replied_at"].min().reset_index()
              .merge(conv, left_on=["conv_thread", "customer"], right_on=["thread", "who"]))
    minutes = (anyone["replied_at"] - anyone["first_at"]).dt.total_seconds() / 60.0
    return {"accounts": result, "all_accounts": _figures(len(conv), minutes)}


def _figures(conversations: int, minutes: pd.Series) -> dict:
    answered = int(len(minutes))
    return {
        "conversations": int(conversations),
        "answered": answered,
        "answered_share": round(answered / conversations, 3) if conversations else None,
        "first_response_minutes": summary(minutes.to_numpy()),
    }
