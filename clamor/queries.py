"""Named read queries behind the pages and the CLI; every SELECT the product runs lives here.

Each function takes the store and plain filter values and returns a DataFrame (or plain
values), so pages stay thin and the SQL can be read, tested and tuned in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.priority import (
    COMPLAINT, MAX_EARLIER_COUNTED, MAX_REPEATS_COUNTED, MOST_WAITING_AND_WEEK,
    PER_EARLIER_COMPLAINT, PER_REPEAT, PER_TENFOLD_REACH, followers_needed, urgencies,
)
from analysis.response_times import figures, handle_key, mention_pattern
from clamor import customers, standards
from clamor.cases import competitor_only_sql
from clamor.config import Config
from clamor.hours import instant64
from clamor.store import Store, utcnow

# A case waits for a reply when it is open and a customer wrote after our last response (in
# Clamor, or by one of the company's own accounts on the platform: both are filed as
# responses).
_WAITING = """
    c.status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_customer')
    AND (c.last_response_at IS NULL OR c.last_customer_at > c.last_response_at)
"""
_OPEN = "c.status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_customer')"
# A waiting case the inbox lists: with the message it waits on (the panel's timer reads the
# same cases). A case waits on messages exactly when it has the newest of them
# (cases.refresh_waiting sets both); the count is what DuckDB checks at least cost: it
# skips the other columns of the 94 % of cases that wait on nothing (the inbox's pool
# of Thai cases at 10 M mentions: 19 ms, with the count first 12 ms).
_LISTED = f"c.messages_waiting > 0 AND {_WAITING} AND c.waiting_mention_id IS NOT NULL"


@dataclass(frozen=True)
class InboxFilter:
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    complaints_only: bool = False
    owner: str | None = None        # only this person's cases
    team: str | None = None         # only this team's cases
    unassigned_only: bool = False
    limit: int = 50
    pool: int = 5000  # the newest waiting cases ranked, and older ones that could outrank them


def inbox(store: Store, flt: InboxFilter = InboxFilter(), now: dt.datetime | None = None,
          config: Config | None = None) -> pd.DataFrame:
    """Cases waiting for a reply, most urgent first: one row per case, showing the customer's
    newest unanswered message (`id` is that message's mention id, `case_id` the case). With
    the config, the ranking counts how much of its response standard each case has used.

    Two steps, so a store of millions of mentions answers at once: the newest `pool` waiting
    cases, and the older ones that could outrank them, are ranked from what the cases table
    keeps on what each one waits on (see cases.refresh_waiting); then the `limit` most
    urgent cases and their messages are read by key."""
    where = ["true"]
    params: list = []
    if flt.languages:
        where.append("list_contains(?, c.waiting_lang)")
        params.append(list(flt.languages))
    if flt.sources:
        where.append("list_contains(?, c.source)")
        params.append(list(flt.sources))
    if flt.kinds:
        # one list_contains per kind: twice as fast as intersecting the lists (10 M: 20 ms)
        where.append("(" + " OR ".join(["list_contains(c.waiting_kinds, ?)"] * len(flt.kinds))
                     + ")")
        params.extend(flt.kinds)
    if flt.complaints_only:
        where.append("c.waiting_complaint")
    if flt.owner:
        where.append("c.owner = ?")
        params.append(flt.owner)
    if flt.team:
        where.append("c.team = ?")
        params.append(flt.team)
    if flt.unassigned_only:
        where.append("c.owner IS NULL")
    now = now or utcnow()
    # Every case that could be shown has a ceiling (analysis.priority.MOST_WAITING_AND_WEEK)
    # at least the `limit`-th best urgency. The last draw's, less a margin, finds them in one
    # look at the waiting cases (at 10 M mentions ~200 of 32,000); where they do not reach
    # it now (cases answered, a quieter hour), and on a first draw, the newest and the older
    # cases that could outrank them are ranked instead.
    key = (" AND ".join(where), repr(params), flt.limit)
    bound = store.inbox_bounds.get(key)
    ranked = None
    if bound is not None:
        could = _could_reach(store, where, params, bound)
        ranked = _rank(store, could, _ranking_inputs(could, now, config), now, flt.limit)
        if ranked.num_rows < flt.limit or _lowest(ranked) < bound:
            ranked = None  # a case below the bound might be shown
    if ranked is None:
        pool = _newest_waiting(store, where, params, flt.pool)
        ranks = _ranking_inputs(pool, now, config)
        if pool.num_rows >= flt.pool:
            # Older waiting cases were left out of the pool, and they have waited longest:
            # those that could still reach its `limit`-th best urgency join it (at 10 M
            # mentions a few hundred of 27,000 older cases).
            older = _could_reach(store, where, params, _cut(ranks["without"], flt.limit),
                                 before=pool)
            if older.num_rows:
                more = _ranking_inputs(older, now, config)
                pool = pa.concat_tables([pool, older])
                ranks = {name: np.concatenate([ranks[name], more[name]]) for name in ranks}
        ranked = _rank(store, pool, ranks, now, flt.limit)
    if ranked.num_rows >= flt.limit:
        store.inbox_bounds[key] = _lowest(ranked) - BOUND_MARGIN
    else:
        store.inbox_bounds.pop(key, None)  # all of them are shown: nothing to bound
    # The shown cases and their messages, by key: a handful of index lookups (a join of the
    # whole tables would read every row of both), in one statement. Each row shows the
    # message it was ranked by (another agent may have answered the case since), and a
    # message gone since (erased) is not shown.
    keys, ids = ranked.column("case_id").to_pylist(), ranked.column("id").to_pylist()
    # (as Arrow, then pandas: DuckDB's own conversion to pandas took a quarter longer)
    return _nobody_as_none(store.query_arrow(
        """
        SELECT t.id, t.case_id, t.source, m.url, m.author, t.author_followers,
               t.author_followers AS reach, m.text, m.created_at, m.matched_terms,
               c.waiting_kinds AS matched_kinds, m.in_reply_to, t.lang, a.sentiment,
               coalesce(a.sentiment_label, 'pending') AS sentiment_label, t.complaint,
               c.waiting_cues AS complaint_cues, a.mention_id IS NOT NULL AS analysed,
               t.messages_waiting, t.waiting_since, c.status, c.owner, c.team, c.due_at,
               c.opened_at, c.first_response_at, c.escalated_to, c.reopened,
               t.waiting_minutes, t.standard_used, t.complaints_this_week,
               t.urgency
        FROM shown_top t
        JOIN (SELECT * FROM cases WHERE id = ANY(?)) c ON c.id = t.case_id
        JOIN (SELECT * FROM mentions WHERE id = ANY(?)) m ON m.id = t.id
        LEFT JOIN (SELECT mention_id, sentiment, sentiment_label FROM analysis
                   WHERE mention_id = ANY(?)) a ON a.mention_id = t.id
        ORDER BY t.shown_order
        """, [keys, ids, ids], shown_top=ranked).to_pandas())


def _rank(store: Store, pool: pa.Table, ranks: dict[str, np.ndarray], now: dt.datetime,
          limit: int) -> pa.Table:
    """The `limit` most urgent of the pool's cases (rows of the pool with their ranking,
    most urgent first; `ranks` from _ranking_inputs).

    Repeat contact across cases: one grouped query over the authors of the candidates that
    can still be shown (clamor.customers.complaints_per_customer). Earlier complaints add
    at most EARLIER_BOOST, so a case below the `limit`-th best urgency without them by more
    than that stays below it: its customer's week is not counted (for thousands of
    candidates that costs ~150 ms at 10 M mentions; for the few hundred contenders,
    little)."""
    complaint, followers, waiting, messages, used, without = (
        ranks[name] for name in ("complaint", "followers", "waiting", "messages", "used",
                                 "without"))
    cut = _cut(without, limit)
    contenders = np.flatnonzero(without + EARLIER_BOOST + 0.01 >= cut)  # (0.01: both rounded)
    who = list(zip(ranks["source"][contenders].tolist(),
                   [c or "" for c in ranks["customer"][contenders].tolist()], strict=True))
    week = customers.complaints_per_customer(store, who, now)
    this_week = np.array([week.get(h, 0) for h in who], dtype=np.int64)
    earlier = np.clip(this_week - complaint[contenders].astype(np.int64), 0, None)
    urgency = urgencies(complaint[contenders], followers[contenders], waiting[contenders],
                        messages[contenders], used[contenders], earlier)
    case_ids = ranks["case_id"][contenders].tolist()
    order = sorted(range(len(contenders)), key=lambda i: (-urgency[i], case_ids[i]))
    order = np.array(order[:limit], dtype=np.int64)  # of the contenders
    shown = contenders[order]  # of the pool
    top = pool.take(shown).drop_columns(["last_customer_at"])
    for name, values in {"waiting_minutes": waiting[shown], "standard_used": used[shown],
                         "complaints_this_week": this_week[order],
                         "urgency": urgency[order],
                         "shown_order": np.arange(len(order))}.items():
        top = top.append_column(name, pa.array(values))
    return top


def _lowest(ranked: pa.Table) -> float:
    """The urgency of the last case shown (a _rank table)."""
    return float(ranked.column("urgency")[-1].as_py())


# The remembered bound is the last draw's `limit`-th best urgency less this (two hours of
# waiting): answers and an hour's change seldom take the next draw's below it.
BOUND_MARGIN = 2.0


# What the inbox ranks waiting cases by (and shows of them: the rest is read for the shown).
_RANKED_COLUMNS = """
    c.id AS case_id, c.waiting_mention_id AS id, c.source,
    c.waiting_followers AS author_followers, c.waiting_lang AS lang,
    c.waiting_complaint AS complaint, c.messages_waiting, c.waiting_since,
    c.author AS customer, c.last_customer_at
"""


def _ranking_inputs(pool: pa.Table, now: dt.datetime, config: Config | None
                    ) -> dict[str, np.ndarray]:
    """What ranking reads of waiting cases (a _newest_waiting or _could_reach table), as numpy
    arrays, and
    each case's urgency without its customer's earlier complaints (`without`).

    In numpy: the pool is thousands of cases on every draw of every agent's inbox, and
    pandas' overhead per step was a third of the draw at 10 M mentions."""
    out = {name: pool.column(name).to_numpy(zero_copy_only=False) for name in
           ("case_id", "source", "lang", "waiting_since", "customer")}
    out["complaint"] = pool.column("complaint").to_numpy(zero_copy_only=False).astype(bool)
    out["followers"] = pool.column("author_followers").to_numpy(zero_copy_only=False
                                                                ).astype(float)
    out["messages"] = pool.column("messages_waiting").to_numpy(zero_copy_only=False)
    out["waiting"] = (instant64(now) - out["waiting_since"]) / np.timedelta64(1, "m")
    out["used"] = standards.used(config, {**out, "reach": out["followers"]}, now) \
        if config is not None else np.full(pool.num_rows, np.nan)
    out["without"] = urgencies(out["complaint"], out["followers"], out["waiting"],
                               out["messages"], out["used"])
    return out


def _cut(urgency: np.ndarray, limit: int) -> float:
    """The `limit`-th best urgency: no case below it is shown (all count where there are no
    more than `limit`)."""
    return float(np.sort(urgency)[-limit]) if len(urgency) > limit else -np.inf


def _could_reach(store: Store, where: list[str], params: list, cut: float,
                 before: pa.Table | None = None) -> pa.Table:
    """The waiting cases that meet the filter whose complaint, reach and messages could reach
    an urgency of `cut` with the most that waiting and the customer's week add
    (analysis.priority.MOST_WAITING_AND_WEEK): no other case can rank above a case of that
    urgency. With `before` (a _newest_waiting pool), only those older than it (its oldest
    customer message or before) and not in it.

    The pool alone left the older ones out, so an inbox with more cases waiting than its
    pool showed the newest cases first, not the most urgent (at 10 M mentions 14 of the 50
    shown were among the 50 most urgent)."""
    need = cut - 0.01  # (urgencies are rounded)
    # Plain comparisons DuckDB checks as it reads, before the rest: the reach a case would
    # need at least, and where nothing but a complaint can get there, a complaint (at 10 M
    # mentions half the time: 14 → 7 ms).
    enough = [followers_needed(need, False), followers_needed(need, True)]
    early, early_params = [], []
    if enough[0] > 2.0 ** 63:  # more followers than anyone can have: complaints only
        early.append("c.waiting_complaint")
        enough = enough[1:]
    if min(enough) > 0:
        early.append("c.waiting_followers >= ?")
        early_params.append(min(enough))
    older = [] if before is None else ["c.last_customer_at <= ?"]
    found = store.query_arrow(
        f"""
        SELECT {_RANKED_COLUMNS}
        FROM cases c
        WHERE {' AND '.join([*early, _LISTED, *where, *older])}
          AND ? * c.waiting_complaint::INTEGER
              + ? * log10(1 + greatest(coalesce(c.waiting_followers, 0), 0))
              + ? * least(greatest(c.messages_waiting - 1, 0), ?) >= ?
        """,
        [*early_params, *params,
         *([] if before is None else [before.column("last_customer_at")[-1].as_py()]),
         COMPLAINT, PER_TENFOLD_REACH, PER_REPEAT, MAX_REPEATS_COUNTED,
         need - MOST_WAITING_AND_WEEK])
    if before is None:
        return found
    have = before.column("case_id").combine_chunks()
    return found.filter(pc.invert(pc.is_in(found.column("case_id"), value_set=have)))


def _newest_waiting(store: Store, where: list[str], params: list, pool: int
                    ) -> pa.Table:
    """The newest `pool` waiting cases that meet the inbox filter's conditions, with what
    ranking needs, as Arrow (what is shown of them, who owns it, when it is due…, is read
    for the shown cases only, by inbox).

    Every draw of the inbox used to weigh every case (at 10 M mentions 3.6 M cases, nearly
    all resolved: 26 ms, a fifth of the draw). The last customer message of the `pool`-th
    newest case found is remembered per filter (store.inbox_cuts); the next draw looks only
    at cases whose customer wrote since then, which DuckDB finds in the last row groups by
    their min/max (cases are stored as they open): 8 ms. Where that finds `pool` cases they
    are the newest `pool` of all, whatever was filed or answered meanwhile (every case left
    out is older than each of them); where it finds fewer (cases were answered), all cases
    are looked at again."""
    key = (" AND ".join(where), repr(params), pool)
    cut = store.inbox_cuts.get(key)
    for since in ([cut] if cut is not None else []) + [None]:
        window = [] if since is None else ["c.last_customer_at >= ?"]
        ranked = store.query_arrow(
            f"""
            SELECT {_RANKED_COLUMNS}
            FROM cases c
            WHERE {' AND '.join([_LISTED, *where, *window])}
            ORDER BY c.last_customer_at DESC LIMIT ?
            """,
            [*params, *([] if since is None else [since]), pool],
        )
        if ranked.num_rows >= pool or since is None:
            break
    if ranked.num_rows >= pool:
        store.inbox_cuts[key] = ranked.column("last_customer_at")[-1].as_py()
    return ranked


def waiting_for(store: Store, case_id: str) -> pd.DataFrame:
    """The case, if it waits for a reply, as one row of what its response standards need
    (source, lang, complaint, reach, waiting_since: standards.due): the case panel's timer,
    read by key."""
    return store.query_df(
        f"""
        SELECT c.id AS case_id, c.source, c.waiting_lang AS lang,
               c.waiting_complaint AS complaint, c.waiting_followers AS reach,
               c.waiting_since
        FROM cases c
        WHERE c.id = ? AND {_LISTED}
        """, [case_id])


EARLIER_BOOST = PER_EARLIER_COMPLAINT * MAX_EARLIER_COUNTED  # the most earlier complaints add


def _nobody_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Owner, team and escalation as None (not NaN) where there is nobody yet."""
    for column in ("owner", "team", "escalated_to"):
        if column in frame:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def sources_seen(store: Store) -> list[str]:
    """The platforms mentions have come from (x, reddit, web…), for filters: the one most
    mentions came from first, the likeliest choice (10 M mentions: 25 ms)."""
    return [row[0] for row in store.query_rows(
        "SELECT source FROM mentions GROUP BY source ORDER BY count(*) DESC, source")]


def inbox_count(store: Store) -> int:
    """Cases waiting for a reply."""
    return store.query_rows(f"SELECT count(*) FROM cases c WHERE {_WAITING}")[0][0]


def unfiled_count(store: Store) -> int:
    """Analysed customer mentions not filed into a case yet (the next pass files them)."""
    return store.query_rows(  # the filing queue: see Store.save_analysis, cases.file_new
        "SELECT count(*) FROM filing_queue q JOIN mentions m ON m.seq = q.seq "
        "WHERE NOT m.is_own")[0][0]


def pending_analysis_count(store: Store) -> int:
    """Mentions collected but not analysed yet (their language and flags are still unknown)."""
    # numbered above the highest analysed one: see Store.pending_analysis
    return store.query_rows(
        "SELECT count(*) FROM mentions m "
        "WHERE m.seq > (SELECT coalesce(max(seq), 0) FROM analysis)")[0][0]


def mention(store: Store, mention_id: str) -> dict | None:
    frame = store.query_df(
        """
        SELECT m.*, a.lang, a.lang_confidence, a.sentiment,
               coalesce(a.sentiment_label, 'pending') AS sentiment_label,
               coalesce(a.complaint, false) AS complaint, a.complaint_cues,
               c.id AS case_id, c.status AS case_status
        FROM mentions m LEFT JOIN analysis a ON a.mention_id = m.id
        LEFT JOIN case_mentions f ON f.mention_id = m.id
        LEFT JOIN cases c ON c.id = f.case_id
        WHERE m.id = ?
        """,
        [mention_id],
    )
    return None if frame.empty else frame.iloc[0].to_dict()


# A conversation's posts are shown from this long before the message to this long after it.
# Bounded on both sides: an open window read every post since the message, 0.7 s on a 10 M
# store for a message a year old against 0.09 s for a new one; a conversation seldom runs on
# for a month (its root and parent are found by key whenever they were written).
THREAD_DAYS = 30


def thread(store: Store, mention_id: str) -> pd.DataFrame:
    """The conversation a mention belongs to, oldest first: its root, its parent, the replies
    to it and the conversation's other posts from THREAD_DAYS before it to THREAD_DAYS after.

    Read for the case panel on every draw, so by time and key, never by a scan of every
    mention: mentions are stored in about time order, so DuckDB reads only the window's row
    groups; the root and the parent are looked up by key; their languages by number."""
    found = store.query_rows(
        "SELECT in_reply_to, coalesce(conversation_id, id), created_at FROM mentions "
        "WHERE id = ?", [mention_id])
    parent, conversation, written = found[0] if found else (None, mention_id, None)
    keys = list(dict.fromkeys(k for k in (mention_id, parent, conversation) if k))
    return store.query_df(
        """
        WITH posts AS MATERIALIZED (
            SELECT m.id, m.seq, m.author, m.text, m.created_at, m.is_own, m.url
            FROM mentions m
            WHERE m.created_at BETWEEN ?::TIMESTAMPTZ - to_days(?) AND ?::TIMESTAMPTZ + to_days(?)
              AND (coalesce(m.conversation_id, m.id) = ? OR m.in_reply_to = ?)
            UNION
            SELECT m.id, m.seq, m.author, m.text, m.created_at, m.is_own, m.url
            FROM mentions m WHERE m.id = ANY(?)
        )
        SELECT p.id, p.author, p.text, p.created_at, p.is_own, p.url, a.lang
        FROM posts p LEFT JOIN analysis a ON a.seq = p.seq
        ORDER BY p.created_at, p.id
        """,
        [written, THREAD_DAYS, written, THREAD_DAYS, conversation, mention_id, keys],
    )


def first_response(store: Store, mention_id: str) -> dt.datetime | None:
    """When the mention's case first got an answer: an agent's response in Clamor or the
    brand's own reply on the platform, whichever came first."""
    row = store.query_rows(
        "SELECT c.first_response_at FROM case_mentions f JOIN cases c ON c.id = f.case_id "
        "WHERE f.mention_id = ?", [mention_id])
    return row[0][0] if row else None


def events(store: Store, mention_id: str) -> pd.DataFrame:
    """The audit trail of the case a mention belongs to."""
    return store.query_df(
        "SELECT e.happened_at, e.actor, e.kind, e.template_id, e.reply_text, e.note, "
        "e.before_value, e.after_value FROM events e "
        "WHERE e.case_id = (SELECT case_id FROM case_mentions WHERE mention_id = ?) "
        "ORDER BY e.happened_at, e.id",
        [mention_id],
    )


# -- cases ---------------------------------------------------------------------------------

def case(store: Store, case_id: str) -> dict | None:
    """One case's row, with None (not NaT/NaN) for what it does not have yet."""
    rows = store.query_df("SELECT * FROM cases WHERE id = ?", [case_id])
    if rows.empty:
        return None
    return {k: (v if pd.api.types.is_list_like(v) or not pd.isna(v) else None)
            for k, v in rows.iloc[0].to_dict().items()}


def case_events(store: Store, case_id: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT happened_at, actor, kind, before_value, after_value, note, template_id, "
        "reply_text FROM events WHERE case_id = ? ORDER BY happened_at, id", [case_id])


def latest_event(store: Store, case_id: str) -> dict | None:
    """The case's newest event (id, kind, actor, happened_at), or None."""
    rows = store.query_rows(
        "SELECT id, kind, actor, happened_at FROM events WHERE case_id = ? "
        "ORDER BY id DESC LIMIT 1", [case_id])
    return dict(zip(("id", "kind", "actor", "happened_at"), rows[0], strict=True)) \
        if rows else None


def case_surveys(store: Store, case_id: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT kind, score, answered_at, recorded_by FROM surveys WHERE case_id = ? "
        "ORDER BY answered_at", [case_id])


LIST_LIMIT = 100  # cards a list shows at once; its count says how many there are


def _with_messages(store: Store, cases_frame: pd.DataFrame) -> pd.DataFrame:
    """The cases' opening messages (author, source, text, language), read by id: a few
    index lookups rather than a join over every mention."""
    ids = cases_frame["mention_id"].tolist()
    messages = store.query_df("SELECT id AS mention_id, author, source, text FROM mentions "
                              "WHERE id = ANY(?)", [ids])
    langs = store.query_df("SELECT mention_id, lang FROM analysis WHERE mention_id = ANY(?)",
                           [ids])
    return _nobody_as_none(cases_frame.merge(messages, on="mention_id", how="left")
                           .merge(langs, on="mention_id", how="left"))


def promises(store: Store, owner: str | None = None, limit: int = LIST_LIMIT
             ) -> pd.DataFrame:
    """Open cases whose holding reply promised a time, soonest due first (the first
    `limit`; promises_count says how many)."""
    return _with_messages(store, store.query_df(
        f"""
        SELECT c.id AS case_id, c.mention_id, c.due_at, c.owner, c.team, c.status
        FROM cases c
        WHERE {_OPEN} AND c.due_at IS NOT NULL AND (? IS NULL OR c.owner = ?)
        ORDER BY c.due_at LIMIT ?
        """, [owner, owner, limit]))


def promises_count(store: Store, owner: str | None = None, now: dt.datetime | None = None
                   ) -> tuple[int, int]:
    """(promises made on open cases, of which overdue)."""
    row = store.query_rows(
        f"""
        SELECT count(*), count(*) FILTER (WHERE c.due_at <= ?) FROM cases c
        WHERE {_OPEN} AND c.due_at IS NOT NULL AND (? IS NULL OR c.owner = ?)
        """, [now or utcnow(), owner, owner])[0]
    return int(row[0]), int(row[1])


def follow_ups_due(store: Store, now: dt.datetime | None = None, owner: str | None = None,
                   limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Resolved cases whose follow-up is due (and not done), oldest first (the first
    `limit`; follow_ups_due_count says how many)."""
    return _with_messages(store, store.query_df(
        """
        SELECT c.id AS case_id, c.mention_id, c.follow_up_at, c.resolved_at, c.owner, c.team
        FROM cases c
        WHERE c.status = 'resolved' AND c.followed_up_at IS NULL
          AND c.follow_up_at <= ? AND (? IS NULL OR c.owner = ?)
        ORDER BY c.follow_up_at LIMIT ?
        """, [now or utcnow(), owner, owner, limit]))


def follow_ups_due_count(store: Store, now: dt.datetime | None = None,
                         owner: str | None = None) -> int:
    return int(store.query_rows(
        """
        SELECT count(*) FROM cases c
        WHERE c.status = 'resolved' AND c.followed_up_at IS NULL
          AND c.follow_up_at <= ? AND (? IS NULL OR c.owner = ?)
        """, [now or utcnow(), owner, owner])[0][0])


def case_ids_for(store: Store, mention_ids: list[str]) -> dict[str, str]:
    return dict(store.query_rows(
        "SELECT mention_id, case_id FROM case_mentions WHERE mention_id IN (SELECT unnest(?))",
        [mention_ids]))


def case_measures(store: Store, since: dt.datetime | None = None,
                  until: dt.datetime | None = None) -> pd.DataFrame:
    """Cases opened in [since, until) with what standards measure: times, scope, owner.

    The customers' messages are summed up per case before the cases' other columns join
    them (grouped by every column, 28 days of a 10 M store took 0.9 s; so, 0.55 s), and
    mentions and their analysis are joined by number (1.6 -> 1.1 s before that)."""
    return store.query_df(
        """
        WITH chosen AS MATERIALIZED (
            SELECT id, status, source, owner, team, opened_at, first_response_at,
                   resolved_at, reopened, messages
            FROM cases WHERE (? IS NULL OR opened_at >= ?) AND (? IS NULL OR opened_at < ?)),
        customers AS (
            SELECT c.id AS case_id, first(a.lang ORDER BY m.created_at) AS lang,
                   coalesce(bool_or(a.complaint), false) AS complaint,
                   max(m.author_followers) AS reach
            FROM chosen c JOIN case_mentions f ON f.case_id = c.id AND f.role = 'customer'
            JOIN mentions m ON m.seq = f.seq
            LEFT JOIN analysis a ON a.seq = m.seq
            GROUP BY c.id)
        SELECT c.*, p.lang, p.complaint, p.reach
        FROM chosen c JOIN customers p ON p.case_id = c.id
        ORDER BY c.opened_at
        """, [since, since, until, until])


# Everything the audit log shows: what was done to cases, templates, alerts and customers.
_AUDIT = """
    SELECT happened_at AS "when", actor AS who, kind AS action, case_id AS object,
           before_value AS before, after_value AS after,
           coalesce(note, reply_text) AS detail, id AS seq
    FROM events
    UNION ALL
    SELECT edited_at, edited_by, 'template edited', template_id, before_text, text, title, id
    FROM template_edits
    UNION ALL
    SELECT happened_at, actor, 'alert ' || action, alert_id, before_value, after_value, note,
           0 FROM alert_events
    UNION ALL
    SELECT happened_at, actor, 'customer ' || action, customer, NULL, NULL, detail, 0
    FROM customer_events
"""


def audit_log(store: Store, limit: int = 500, actor: str | None = None,
              case_id: str | None = None) -> pd.DataFrame:
    """Every action, newest first: on cases, templates and alerts — who, when, before/after."""
    return audit_entries(store, limit=limit, who=actor, case_id=case_id)


def template_edits(store: Store) -> pd.DataFrame:
    """The newest edit of each template id (empty text: deleted)."""
    return store.query_df(
        "SELECT template_id, lang, category, title, text, edited_by, edited_at "
        "FROM template_edits QUALIFY row_number() OVER (PARTITION BY template_id "
        "ORDER BY edited_at DESC, id DESC) = 1")


def agent_activity(store: Store, since: dt.datetime, until: dt.datetime | None = None
                   ) -> pd.DataFrame:
    """Per person and case in [since, until): what they did (their first response, whether
    it was the case's first, their resolution), for the performance table."""
    return store.query_df(
        """
        SELECT e.actor, e.case_id, c.opened_at, c.first_response_at, c.resolved_at, c.team,
               min(e.happened_at) FILTER (WHERE e.kind = 'responded') AS responded_at,
               max(e.happened_at) FILTER (WHERE e.kind = 'resolved') AS resolved_by_at,
               count(*) AS actions
        FROM events e JOIN cases c ON c.id = e.case_id
        WHERE e.happened_at >= ? AND (? IS NULL OR e.happened_at < ?)
          AND e.actor <> 'Clamor' AND e.note IS DISTINCT FROM 'replied on the platform'
        GROUP BY ALL
        """, [since, until, until])


def open_load(store: Store) -> dict[str, int]:
    return dict(store.query_rows(
        f"SELECT owner, count(*) FROM cases c WHERE {_OPEN} AND owner IS NOT NULL "
        "GROUP BY owner"))


def surveys(store: Store, since: dt.datetime | None = None) -> pd.DataFrame:
    """Survey answers with their case's team and owner."""
    return store.query_df(
        "SELECT s.case_id, s.kind, s.score, s.answered_at, c.team, c.owner FROM surveys s "
        "JOIN cases c ON c.id = s.case_id WHERE (? IS NULL OR s.answered_at >= ?) "
        "ORDER BY s.answered_at", [since, since])


def first_contact_resolution(store: Store, since: dt.datetime | None = None) -> pd.DataFrame:
    """Resolved cases (their team, when opened and resolved) and whether each was solved at
    first contact: one customer message, one response from us, never reopened.

    Only the columns the figures need: 540,000 cases resolved in 8 weeks of a 10 M store
    came back in 0.37 s with their ids and owners, 0.1 s without."""
    return store.query_df(
        """
        WITH resolved AS MATERIALIZED (
            SELECT id, team, resolved_at, opened_at, messages = 1 AND reopened = 0 AS single
            FROM cases WHERE status = 'resolved' AND (? IS NULL OR resolved_at >= ?)),
        responses AS (
            SELECT case_id, count(*) AS responses FROM events
            WHERE kind = 'responded' AND case_id IN (SELECT id FROM resolved)
            GROUP BY case_id)
        SELECT r.team, r.resolved_at, r.opened_at,
               r.single AND coalesce(n.responses, 0) = 1 AS first_contact
        FROM resolved r LEFT JOIN responses n ON n.case_id = r.id
        """, [since, since])


# Public response times of support accounts from the posts alone, by the rules in
# analysis/response_times.py: `{mentioned}` is one SELECT per account (their @-mentions,
# each pattern a constant RE2 compiles once); $accounts: the handles (handle_key form).
# Both statements go through str.format once: braces meant for SQL are doubled.
# (In DuckDB, not pandas: a 10 M-post store took 130 s and 11 GB so.)
_WHO = r"""lower(regexp_replace(ltrim(regexp_replace(coalesce(author, ''),
                                                   '^[\s\p{{Z}}]+|[\s\p{{Z}}]+$', '', 'g'),
                                    '@'), '^u/', ''))"""
_RESPONSE_TIMES = f"""
    WITH posts AS MATERIALIZED (
        SELECT id, created_at, in_reply_to, coalesce(conversation_id, id) AS thread,
               {_WHO} AS who, author IS NOT NULL AS has_author
        FROM mentions),
    customers AS (
        SELECT * FROM posts WHERE has_author AND NOT list_contains($accounts, who)),
    replies AS (SELECT * FROM posts WHERE list_contains($accounts, who)),
    conversations AS MATERIALIZED (
        SELECT thread, who, min(created_at) AS first_at FROM customers GROUP BY ALL),
    first_replies AS MATERIALIZED (
        SELECT r.who AS account, c.thread, c.who, min(r.created_at) AS replied_at
        FROM replies r JOIN customers c ON c.id = r.in_reply_to
        JOIN conversations v ON v.thread = c.thread AND v.who = c.who
        WHERE r.created_at >= v.first_at
        GROUP BY ALL),
    involved AS (
        SELECT c.thread, c.who, p.who AS account
        FROM customers c JOIN posts p ON p.id = c.in_reply_to
        WHERE list_contains($accounts, p.who)
        UNION
        SELECT thread, who, account FROM ({{mentioned}})
        WHERE NOT list_contains($accounts, who)
        UNION
        SELECT thread, who, account FROM first_replies)
    , waits AS (
        SELECT f.account, epoch_us(f.replied_at) - epoch_us(v.first_at) AS waited
        FROM first_replies f JOIN conversations v USING (thread, who)
        UNION ALL
        SELECT NULL, epoch_us(min(f.replied_at)) - epoch_us(any_value(v.first_at))
        FROM first_replies f JOIN conversations v USING (thread, who) GROUP BY f.thread, f.who)
    -- Each account's figures, NULL for all of them together: aggregates only. (With the
    -- waits returned as rows, DuckDB 1.5.5 ran this over ten minutes at 10 M posts without
    -- finishing; as lists it takes 14 s. Through a view, or on a copy, rows took 9-15 s.)
    SELECT 'conversations' AS part, account, count(*) AS n, NULL::BIGINT[] AS waited
    FROM involved GROUP BY ALL
    UNION ALL
    SELECT 'conversations', NULL, count(*), NULL FROM conversations
    UNION ALL
    SELECT 'waited', account, NULL, list(waited) FROM waits GROUP BY ALL
"""
_MENTIONED = f"""
    SELECT coalesce(conversation_id, id) AS thread, {_WHO} AS who,
           $account_{{i}}::VARCHAR AS account
    FROM mentions
    WHERE author IS NOT NULL AND contains(text, '@') AND regexp_matches(text, $pattern_{{i}})"""


def response_times(store: Store, accounts: list[str]) -> dict:
    """How soon each support account (handles as written) answers in public, and all of
    them together: {"accounts": {handle: figures}, "all_accounts": figures}, figures being
    conversations, answered, answered_share and first_response_minutes (count, median,
    p90, mean). See analysis/response_times.py for what is counted."""
    keys = {handle_key(a): a for a in accounts}
    mentioned = " UNION ALL ".join(_MENTIONED.format(i=i) for i in range(len(keys))) or \
        "SELECT NULL AS thread, NULL AS who, NULL AS account WHERE false"
    params: dict = {"accounts": list(keys)}
    for i, key in enumerate(keys):
        params |= {f"account_{i}": key, f"pattern_{i}": mention_pattern(key)}
    rows = store.query_df(_RESPONSE_TIMES.format(mentioned=mentioned), params)
    everyone = rows["account"].isna()  # the rows of all accounts together

    def of(part: str, account: str | None) -> pd.DataFrame:
        return rows.loc[(rows["part"] == part)
                        & (everyone if account is None else rows["account"] == account)]

    def figures_of(account: str | None) -> dict:
        waited = of("waited", account)["waited"]
        return figures(of("conversations", account)["n"].sum(),
                       waited.iloc[0] if len(waited) else [])

    return {"accounts": {handle: figures_of(key) for key, handle in keys.items()},
            "all_accounts": figures_of(None)}


# -- overview ------------------------------------------------------------------------------

# The overview is about us: posts naming only competitors are left to the explorer.
_ABOUT_OTHERS = competitor_only_sql("m.matched_kinds")

# What the overview breaks daily counts down by: column name -> SQL (fixed, never user input).
_BREAKDOWNS = {"language": "coalesce(a.lang, 'pending')",
               "sentiment": "coalesce(a.sentiment_label, 'pending')"}


# The overview's queries join a mention to its analysis by number: the period's numbers are
# the last row groups of the analysis, which DuckDB reads alone (10 M mentions, 7 days:
# 0.26 -> 0.15 s a chart, totals 0.47 -> 0.15 s with its two passes made one).


def _daily(store: Store, by: str, days: int, now: dt.datetime | None) -> pd.DataFrame:
    return store.query_df(
        f"""
        SELECT date_trunc('day', m.created_at) AS day, {_BREAKDOWNS[by]} AS {by},
               count(*) AS mentions
        FROM mentions m LEFT JOIN analysis a ON a.seq = m.seq
        WHERE NOT m.is_own AND NOT {_ABOUT_OTHERS}
          AND m.created_at >= ?::TIMESTAMPTZ - to_days(?)
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
        f"""
        SELECT date_trunc('hour', m.created_at) AS hour,
               count(*) FILTER (WHERE a.complaint) AS complaints, count(*) AS mentions
        FROM mentions m JOIN analysis a ON a.seq = m.seq
        WHERE NOT m.is_own AND NOT {_ABOUT_OTHERS}
          AND m.created_at >= ?::TIMESTAMPTZ - to_days(?)
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
    # One pass, by language (the mentions of the period are read once, not twice).
    rows = store.query_rows(
        f"""
        SELECT coalesce(a.lang, 'pending'), count(*), count(*) FILTER (WHERE a.complaint),
               count(*) FILTER (WHERE a.sentiment_label = 'unscored')
        FROM mentions m LEFT JOIN analysis a ON a.seq = m.seq
        WHERE NOT m.is_own AND NOT {_ABOUT_OTHERS} AND m.created_at >= ?
        GROUP BY ALL ORDER BY 2 DESC, 1
        """,
        [since],
    )
    return Totals(sum(r[1] for r in rows), inbox_count(store), sum(r[2] for r in rows),
                  sum(r[3] for r in rows), {r[0]: r[1] for r in rows})


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

# A moment as Python's isoformat() writes a UTC time: microseconds only where there are any.
_ISO_UTC = """CASE WHEN epoch_us({0}) % 1000000 = 0
    THEN strftime({0} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S+00:00')
    ELSE strftime({0} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f+00:00') END"""


# Columns of a mention that hold anyone's words (a feed's own ids and links included).
OUTSIDE_TEXT = ("id", "native_id", "url", "author", "text", "in_reply_to", "conversation_id")


# What a spreadsheet runs as a formula when a cell starts with it (a tab or carriage return
# before one too): such a cell of anyone's words gets a ' in front in a CSV (OWASP's advice
# against CSV injection). JSONL and Parquet keep the text exactly.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(column: str, name: str) -> str:
    """A select item for a CSV cell a spreadsheet must not run (see FORMULA_STARTS)."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return (f"CASE WHEN left({column}, 1) IN ({starts}) "
            f"THEN chr(39) || {column} ELSE {column} END AS {name}")


def export_batches(store: Store, size: int, *, iso_times: bool = False,
                   spreadsheet: bool = False) -> pa.RecordBatchReader:
    """Every mention in canonical JSONL order, with its analysis, oldest first, as Arrow
    batches of `size` rows read as they are written (the whole history of a 10 M store in
    one frame took more than 24 GB). With `iso_times`, created_at is its ISO 8601 text
    (as datetime.isoformat() writes it; written so by DuckDB, not a Python object a row);
    with `spreadsheet` (CSV), the columns of anyone's words are spreadsheet_safe."""
    created_at = _ISO_UTC.format("m.created_at") if iso_times else "m.created_at"
    text = {name: spreadsheet_safe(f"m.{name}", name) if spreadsheet else f"m.{name}"
            for name in OUTSIDE_TEXT}
    return store.con.execute(
        f"""
        SELECT {text['id']}, m.source, {text['native_id']}, {text['url']}, {text['author']},
               m.author_followers, {text['text']},
               {created_at} AS created_at, coalesce(a.lang, m.source_lang) AS lang,
               {text['in_reply_to']}, {text['conversation_id']}, m.matched_terms,
               m.matched_kinds,
               a.sentiment, a.sentiment_label, a.complaint
        FROM mentions m LEFT JOIN analysis a ON a.seq = m.seq
        ORDER BY m.created_at, m.id
        """
    ).fetch_record_batch(size)


# -- standards and audit pages -------------------------------------------------------------

def audit_entries(store: Store, *, limit: int = 1000, who: str | None = None,
                  action: str | None = None, case_id: str | None = None,
                  since: dt.datetime | None = None) -> pd.DataFrame:
    """The audit log (as `audit_log`: when, who, action, object, before, after, detail),
    newest first, filtered in SQL so `limit` counts matching rows: one person, one kind of
    action, one case or template (any letter case), actions since a time."""
    return store.query_df(
        f"""
        SELECT "when", who, action, object, before, after, detail FROM ({_AUDIT})
        WHERE (? IS NULL OR who = ?) AND (? IS NULL OR action = ?)
          AND (? IS NULL OR lower(object) = lower(?)) AND (? IS NULL OR "when" >= ?)
        ORDER BY "when" DESC, seq DESC LIMIT ?
        """, [who, who, action, action, case_id, case_id, since, since, limit])


def audit_filters(store: Store) -> tuple[list[str], list[str]]:
    """Who appears in the audit log and which kinds of action, each sorted: the choices of
    the audit page's filters."""
    people = [r[0] for r in store.query_rows(
        f"SELECT DISTINCT who FROM ({_AUDIT}) WHERE who IS NOT NULL ORDER BY 1")]
    kinds = [r[0] for r in store.query_rows(
        f"SELECT DISTINCT action FROM ({_AUDIT}) ORDER BY 1")]
    return people, kinds


# -- team and templates pages --------------------------------------------------------------

def agent_activity_in_shifts(store: Store, shifts: dict[str, list[tuple[dt.datetime,
                                                                          dt.datetime]]]
                             ) -> pd.DataFrame:
    """agent_activity, counting for each person only what they did within their own shift
    intervals ({name: [(start, end), ...]}): the per-shift view of the Team page."""
    actors, starts, ends = [], [], []
    for actor, spans in shifts.items():
        for start, end in spans:
            actors.append(actor)
            starts.append(start)
            ends.append(end)
    return store.query_df(
        """
        WITH shifts AS (
            SELECT unnest(?::VARCHAR[]) AS actor, unnest(?::TIMESTAMPTZ[]) AS starts,
                   unnest(?::TIMESTAMPTZ[]) AS ends)
        SELECT e.actor, e.case_id, c.opened_at, c.first_response_at, c.resolved_at, c.team,
               min(e.happened_at) FILTER (WHERE e.kind = 'responded') AS responded_at,
               max(e.happened_at) FILTER (WHERE e.kind = 'resolved') AS resolved_by_at,
               count(*) AS actions
        FROM events e JOIN cases c ON c.id = e.case_id
        JOIN shifts s ON s.actor = e.actor AND e.happened_at >= s.starts
                     AND e.happened_at < s.ends
        WHERE e.note IS DISTINCT FROM 'replied on the platform'
        GROUP BY ALL
        """, [actors, starts, ends])


def survey_credits(store: Store, since: dt.datetime | None = None,
                   until: dt.datetime | None = None) -> pd.DataFrame:
    """Survey answers given in [since, until) with who they credit: the case's owner and
    whoever last resolved it (an agent's CSAT counts both)."""
    return store.query_df(
        """
        SELECT s.case_id, s.kind, s.score, s.answered_at, c.team, c.owner,
               (SELECT arg_max(e.actor, e.id) FROM events e
                WHERE e.case_id = s.case_id AND e.kind = 'resolved') AS resolved_by
        FROM surveys s JOIN cases c ON c.id = s.case_id
        WHERE (? IS NULL OR s.answered_at >= ?) AND (? IS NULL OR s.answered_at < ?)
        ORDER BY s.answered_at
        """, [since, since, until, until])


# -- alerts --------------------------------------------------------------------------------

# The series a customer mention counts in, by name (see analysis/spikes.py). `?` is the list
# of staff terms: a staff name in a negative mention or complaint is its own series.
# What each customer mention counts in. The overall series (all, complaints, negative) are
# about us: a post naming only competitors counts for its terms alone.
_SERIES_OF = f"""
    list_concat(
        CASE WHEN {competitor_only_sql('m.matched_kinds')} THEN [] ELSE list_concat(
        ['all', 'all/lang=' || coalesce(a.lang, 'unknown'), 'all/source=' || m.source],
        CASE WHEN a.complaint THEN ['complaints', 'complaints/lang=' || coalesce(a.lang, 'unknown'),
                                    'complaints/source=' || m.source] ELSE [] END,
        CASE WHEN a.sentiment_label = 'negative'
             THEN ['negative', 'negative/lang=' || coalesce(a.lang, 'unknown'),
                   'negative/source=' || m.source] ELSE [] END) END,
        list_transform(m.matched_terms, t -> 'term=' || t),
        CASE WHEN a.complaint OR a.sentiment_label = 'negative'
             THEN list_transform(list_intersect(m.matched_terms, ?::VARCHAR[]),
                                 t -> 'staff=' || t) ELSE [] END)
"""


# The alert queries join a mention to its analysis by number, not id: numbers are stored in
# order, so DuckDB reads only the row groups of the window's numbers (10 M mentions: an
# hour's mentions of a series 0.2 -> 0.04 s, a month's complaint cases 1.1 -> 0.65 s).


def series_counts(store: Store, since: dt.datetime, until: dt.datetime,
                  staff_terms: list[str], bin_minutes: int = 5) -> pd.DataFrame:
    """Customer mentions per `bin_minutes` bin and series in [since, until): columns bin
    (start of the bin, UTC), series, count."""
    seconds = bin_minutes * 60
    return store.query_df(
        f"""
        WITH tagged AS (
            SELECT to_timestamp(floor(epoch(m.created_at) / {seconds}) * {seconds}) AS bin,
                   unnest({_SERIES_OF}) AS series
            FROM mentions m JOIN analysis a ON a.seq = m.seq
            WHERE NOT m.is_own AND m.created_at >= ? AND m.created_at < ?
        )
        SELECT bin, series, count(*) AS count FROM tagged GROUP BY ALL ORDER BY bin
        """, [staff_terms, since, until])


def series_mentions(store: Store, series: str, since: dt.datetime, until: dt.datetime,
                    staff_terms: list[str], limit: int = 2000) -> pd.DataFrame:
    """The customer mentions counted in one series in [since, until), newest first, with what
    an alert's explanation needs (text, language, source, author, reach, link)."""
    return store.query_df(
        f"""
        SELECT m.id, m.text, m.author, m.author_followers, m.url, m.source, m.created_at,
               coalesce(a.lang, 'unknown') AS lang, a.complaint
        FROM mentions m JOIN analysis a ON a.seq = m.seq
        WHERE NOT m.is_own AND m.created_at >= ? AND m.created_at < ?
          AND list_contains({_SERIES_OF}, ?)
        ORDER BY m.created_at DESC LIMIT ?
        """, [since, until, staff_terms, series, limit])


def complaint_due_times(store: Store, since: dt.datetime, *, unanswered: bool = False
                        ) -> pd.DataFrame:
    """Complaint cases opened since `since` with what backlog needs: opened_at, first
    response (NaT: none yet), and the waiting columns the standards' due timers read. With
    `unanswered`, only those no one has answered yet (the few that can be late now)."""
    frame = store.query_df(
        f"""
        SELECT c.id, c.opened_at, c.first_response_at, c.status, c.source,
               c.opened_at AS waiting_since,
               first(a.lang ORDER BY m.created_at) AS lang, true AS complaint,
               max(m.author_followers) AS reach
        FROM cases c JOIN case_mentions f ON f.case_id = c.id AND f.role = 'customer'
        JOIN mentions m ON m.seq = f.seq
        LEFT JOIN analysis a ON a.seq = m.seq
        WHERE c.opened_at >= ? AND c.status <> 'ignored'
              {"AND c.first_response_at IS NULL" if unanswered else ""}
        GROUP BY ALL HAVING bool_or(a.complaint)
        """, [since])
    return frame


def case_people(store: Store, case_ids: list[str]) -> pd.DataFrame:
    """Who a few cases are about and who holds them: id, mention_id (the opening message),
    source, author, team, owner (None: nobody yet); by key, one lookup per case."""
    return _nobody_as_none(store.query_df(
        "SELECT id, mention_id, source, author, team, owner FROM cases WHERE id = ANY(?)",
        [list(case_ids)]))


def alerts(store: Store, *, open_only: bool = False, since: dt.datetime | None = None,
           limit: int = 500) -> pd.DataFrame:
    """Alerts, newest first (open and acknowledged ones first when open_only)."""
    return store.query_df(
        """
        SELECT * FROM alerts
        WHERE (NOT ? OR status <> 'resolved') AND (? IS NULL OR started_at >= ?)
        ORDER BY started_at DESC LIMIT ?
        """, [open_only, since, since, limit])


def alert(store: Store, alert_id: str) -> dict | None:
    rows = store.query_df("SELECT * FROM alerts WHERE id = ?", [alert_id])
    if rows.empty:
        return None
    return {k: (None if not isinstance(v, (list, dict)) and pd.isna(v) else v)
            for k, v in rows.iloc[0].to_dict().items()}


def alert_events(store: Store, alert_id: str) -> pd.DataFrame:
    return store.query_df(
        "SELECT happened_at, actor, action, before_value, after_value, note FROM alert_events "
        "WHERE alert_id = ? ORDER BY happened_at", [alert_id])


def notifications(store: Store, alert_id: str | None = None, limit: int = 200
                  ) -> pd.DataFrame:
    return store.query_df(
        "SELECT alert_id, target, attempted_at, outcome, detail FROM notifications "
        "WHERE (? IS NULL OR alert_id = ?) ORDER BY attempted_at DESC LIMIT ?",
        [alert_id, alert_id, limit])


def notifications_since(store: Store, target: str, since: dt.datetime) -> int:
    """Messages actually sent to a target since `since` (the rate limit counts these)."""
    return store.query_rows(
        "SELECT count(*) FROM notifications WHERE target = ? AND outcome = 'sent' "
        "AND attempted_at >= ?", [target, since])[0][0]


def first_mention_at(store: Store) -> dt.datetime | None:
    return store.query_rows("SELECT min(created_at) FROM mentions")[0][0]
