"""Named read queries behind the pages and the CLI; every SELECT the product runs lives here.

Each function takes the store and plain filter values and returns a DataFrame (or plain
values), so pages stay thin and the SQL can be read, tested and tuned in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from analysis.priority import urgency
from clamor.store import Store, utcnow

# A mention is answered when an agent responded to it or ignored it in Clamor, or when one of
# the company's own accounts replied to it on the platform (agents often answer natively).
_ANSWERED = """
    EXISTS (SELECT 1 FROM events e WHERE e.mention_id = m.id
            AND e.kind IN ('responded', 'ignored'))
    OR EXISTS (SELECT 1 FROM mentions r WHERE r.in_reply_to = m.id AND r.is_own)
"""


@dataclass(frozen=True)
class InboxFilter:
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    complaints_only: bool = False
    limit: int = 50
    pool: int = 5000  # the newest unanswered mentions ranked; older ones wait their turn


def inbox(store: Store, flt: InboxFilter = InboxFilter(), now: dt.datetime | None = None
          ) -> pd.DataFrame:
    """Unanswered mentions from customers, most urgent first."""
    where = ["true"]  # the filters; what counts as waiting is in the query itself
    params: list = []
    if flt.languages:
        where.append("list_contains(?, a.lang)")
        params.append(list(flt.languages))
    if flt.sources:
        where.append("list_contains(?, m.source)")
        params.append(list(flt.sources))
    if flt.kinds:
        where.append("len(list_intersect(m.matched_kinds, ?)) > 0")
        params.append(list(flt.kinds))
    if flt.complaints_only:
        where.append("a.complaint")
    frame = store.query_df(
        f"""
        WITH waiting AS (
            -- every unanswered customer mention, with how many the same author has waiting
            -- (web articles are an outlet's publications, not messages to us: never repeats)
            SELECT m.id, CASE WHEN m.author IS NULL OR m.source = 'web' THEN 1
                              ELSE count(*) OVER (PARTITION BY m.source, m.author) END
                         AS messages_waiting
            FROM mentions m WHERE NOT m.is_own AND NOT ({_ANSWERED})
        )
        SELECT m.id, m.source, m.url, m.author, m.author_followers, m.text, m.created_at,
               m.matched_terms, m.matched_kinds, m.in_reply_to,
               a.lang, a.sentiment, coalesce(a.sentiment_label, 'pending') AS sentiment_label,
               coalesce(a.complaint, false) AS complaint, a.complaint_cues,
               a.mention_id IS NOT NULL AS analysed, w.messages_waiting
        FROM mentions m JOIN waiting w ON w.id = m.id
        LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE {' AND '.join(where)}
        ORDER BY m.created_at DESC
        LIMIT ?
        """,
        [*params, flt.pool],
    )
    now = now or utcnow()
    waiting = (now - frame["created_at"]).dt.total_seconds() / 60.0 if len(frame) else []
    frame["waiting_minutes"] = waiting
    frame["urgency"] = [
        urgency(bool(c), None if pd.isna(f) else int(f), w, int(n))
        for c, f, w, n in zip(frame["complaint"], frame["author_followers"],
                              frame["waiting_minutes"], frame["messages_waiting"], strict=True)
    ]
    return frame.sort_values("urgency", ascending=False, kind="stable").head(flt.limit)


def sources_seen(store: Store) -> list[str]:
    """The platforms mentions have come from (x, reddit, web…), for filters."""
    return [row[0] for row in store.query_rows(
        "SELECT DISTINCT source FROM mentions ORDER BY source")]


def inbox_count(store: Store) -> int:
    return store.query_rows(
        f"SELECT count(*) FROM mentions m WHERE NOT m.is_own AND NOT ({_ANSWERED})"
    )[0][0]


def pending_analysis_count(store: Store) -> int:
    """Mentions collected but not analysed yet (their language and flags are still unknown)."""
    return store.query_rows(
        "SELECT count(*) FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id "
        "WHERE a.mention_id IS NULL")[0][0]


def mention(store: Store, mention_id: str) -> dict | None:
    frame = store.query_df(
        """
        SELECT m.*, a.lang, a.lang_confidence, a.sentiment,
               coalesce(a.sentiment_label, 'pending') AS sentiment_label,
               coalesce(a.complaint, false) AS complaint, a.complaint_cues,
               c.id AS case_id, c.status AS case_status
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        LEFT JOIN cases c ON c.mention_id = m.id
        WHERE m.id = ?
        """,
        [mention_id],
    )
    return None if frame.empty else frame.iloc[0].to_dict()


def thread(store: Store, mention_id: str) -> pd.DataFrame:
    """The conversation a mention belongs to, oldest first: its root, replies, its parent."""
    return store.query_df(
        """
        WITH target AS (
            SELECT id, in_reply_to, coalesce(conversation_id, id) AS conv
            FROM mentions WHERE id = ?
        )
        SELECT m.id, m.author, m.text, m.created_at, m.is_own, m.url, a.lang
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id, target t
        WHERE coalesce(m.conversation_id, m.id) = t.conv
           OR m.id = t.in_reply_to OR m.in_reply_to = t.id
        ORDER BY m.created_at
        """,
        [mention_id],
    )


def first_response(store: Store, mention_id: str) -> dt.datetime | None:
    """When the customer first got an answer: an agent's response in Clamor or the brand's
    own reply on the platform, whichever came first."""
    row = store.query_rows(
        """
        SELECT least(
            (SELECT min(happened_at) FROM events WHERE mention_id = ? AND kind = 'responded'),
            (SELECT min(created_at) FROM mentions WHERE in_reply_to = ? AND is_own))
        """,
        [mention_id, mention_id],
    )
    return row[0][0]


def events(store: Store, mention_id: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT happened_at, actor, kind, template_id, reply_text, note FROM events "
        "WHERE mention_id = ? ORDER BY happened_at, id",
        [mention_id],
    )


# -- overview ------------------------------------------------------------------------------

# What the overview breaks daily counts down by: column name -> SQL (fixed, never user input).
_BREAKDOWNS = {"language": "coalesce(a.lang, 'pending')",
               "sentiment": "coalesce(a.sentiment_label, 'pending')"}


def _daily(store: Store, by: str, days: int, now: dt.datetime | None) -> pd.DataFrame:
    return store.query_df(
        f"""
        SELECT date_trunc('day', m.created_at) AS day, {_BREAKDOWNS[by]} AS {by},
               count(*) AS mentions
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE NOT m.is_own AND m.created_at >= ?::TIMESTAMPTZ - to_days(?)
        GROUP BY ALL ORDER BY day, {by}
        """,
        [now or utcnow(), days],
    )


def daily_volume(store: Store, days: int = 7, now: dt.datetime | None = None) -> pd.DataFrame:
    """Customer mentions per day and language over the last `days` days."""
    return _daily(store, "language", days, now)


def daily_sentiment(store: Store, days: int = 7, now: dt.datetime | None = None
                    ) -> pd.DataFrame:
    """Customer mentions per day and sentiment label (unscored kept apart)."""
    return _daily(store, "sentiment", days, now)


def hourly_complaints(store: Store, days: int = 7, now: dt.datetime | None = None
                      ) -> pd.DataFrame:
    return store.query_df(
        """
        SELECT date_trunc('hour', m.created_at) AS hour,
               count(*) FILTER (WHERE a.complaint) AS complaints, count(*) AS mentions
        FROM mentions m JOIN analysis a ON a.mention_id = m.id
        WHERE NOT m.is_own AND m.created_at >= ?::TIMESTAMPTZ - to_days(?)
        GROUP BY ALL ORDER BY hour
        """,
        [now or utcnow(), days],
    )


@dataclass(frozen=True)
class Totals:
    mentions: int = 0
    unanswered: int = 0
    complaints: int = 0
    unscored: int = 0
    languages: dict[str, int] = field(default_factory=dict)


def totals(store: Store, days: int = 7, now: dt.datetime | None = None) -> Totals:
    since = (now or utcnow()) - dt.timedelta(days=days)
    row = store.query_rows(
        """
        SELECT count(*), count(*) FILTER (WHERE a.complaint),
               count(*) FILTER (WHERE a.sentiment_label = 'unscored')
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE NOT m.is_own AND m.created_at >= ?
        """,
        [since],
    )[0]
    langs = dict(store.query_rows(
        """
        SELECT coalesce(a.lang, 'pending'), count(*)
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        WHERE NOT m.is_own AND m.created_at >= ? GROUP BY ALL ORDER BY 2 DESC
        """,
        [since],
    ))
    return Totals(row[0], inbox_count(store), row[1], row[2], langs)


# -- sources -------------------------------------------------------------------------------

def last_runs(store: Store) -> pd.DataFrame:
    """The latest run of each source, with totals over its last 24 hours."""
    return store.query_df(
        """
        SELECT source, arg_max(status, finished_at) AS status,
               max(finished_at) AS last_run,
               arg_max(fetched, finished_at) AS fetched,
               arg_max(inserted, finished_at) AS inserted,
               arg_max(duplicates, finished_at) AS duplicates,
               arg_max(rate_remaining, finished_at) AS rate_remaining,
               arg_max(rate_reset_at, finished_at) AS rate_reset_at,
               arg_max(message, finished_at) AS message,
               sum(inserted) FILTER (WHERE finished_at >= now() - INTERVAL 1 DAY)
                   AS inserted_24h,
               count(*) FILTER (WHERE status = 'error'
                                AND finished_at >= now() - INTERVAL 1 DAY) AS errors_24h,
               arg_max(message, finished_at) FILTER (WHERE status = 'error') AS last_error
        FROM collector_runs GROUP BY source ORDER BY source
        """
    )


def mention_counts_by_collector(store: Store) -> dict[str, int]:
    return dict(store.query_rows("SELECT collector, count(*) FROM mentions GROUP BY ALL"))


# -- export --------------------------------------------------------------------------------

def export_rows(store: Store) -> pd.DataFrame:
    """Every mention in canonical JSONL order, with its analysis, oldest first."""
    return store.query_df(
        """
        SELECT m.id, m.source, m.native_id, m.url, m.author, m.author_followers, m.text,
               m.created_at, coalesce(a.lang, m.source_lang) AS lang, m.in_reply_to,
               m.conversation_id, m.matched_terms, m.matched_kinds,
               a.sentiment, a.sentiment_label, a.complaint
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        ORDER BY m.created_at, m.id
        """
    )
