"""Filing: every customer message belongs to a case, and every case has someone to answer it.

After analysis, new messages are filed: a follow-up from the same customer in the same thread,
or within the join window of their last message, joins their case (reopening it if it was
resolved or ignored); anything else opens a new case, routed by the rules in the config.
The brand's own replies collected from the platform are filed as responses to the case they
answer, so a reply typed in the native app counts as the first response just like one sent
from Clamor.

Posts that name only competitors (watchlist kind "competitor") are listened to for share of
voice but are not a customer talking to the company: they never open or join a case (see
`NOT_OURS`), so they never reach the inbox, the response standards or the backlog alerts.
A post naming us and a competitor ("switched from Aerolume to Skyvane") is filed as usual.

The decisions are pure functions (`file_messages`, `route`); `file_new` reads the store,
decides, and writes the result in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import compress

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clamor.bulk import no_cycle_collection
from clamor.config import COMPETITOR, LEAST_LOADED, Config, Person, RoutingRule
from clamor.hours import BusinessHours
from clamor.store import Store, take_numbers, utcnow

OPEN_STATUSES = ("new", "acknowledged", "in_progress", "waiting_on_customer")
CLOSED_STATUSES = ("resolved", "ignored")
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
STATUS_NAMES = {"new": "new", "acknowledged": "acknowledged", "in_progress": "in progress",
                "waiting_on_customer": "waiting on customer", "resolved": "resolved",
                "ignored": "ignored"}
SYSTEM = "Clamor"  # the actor of what filing and routing do by themselves
# Web articles are an outlet's publications, not one customer talking to us: never joined.
UNJOINED_SOURCES = frozenset({"web"})
_MOMENT = pa.timestamp("us", tz="UTC")


# -- deciding (pure) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """A customer's message waiting to be filed."""

    id: str
    source: str
    author: str | None
    conversation: str                  # thread root
    created_at: dt.datetime


@dataclass
class CaseState:
    """What filing needs to know about an existing (or just opened) case."""

    id: str | None                     # None until a new case gets its number
    source: str
    author: str | None
    conversation: str
    status: str
    last_customer_at: dt.datetime
    opening: str | None = None         # for a new case: its first message
    conversations: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Filing:
    mention_id: str
    case: CaseState
    opened: bool = False
    reopened: bool = False


def joins(case: CaseState, msg: Message, window: dt.timedelta) -> bool:
    """Does the message continue this customer's case?"""
    if msg.author is None or msg.source in UNJOINED_SOURCES:
        return False
    if (case.source, case.author) != (msg.source, msg.author):
        return False
    if msg.conversation == case.conversation or msg.conversation in case.conversations:
        return True
    return dt.timedelta(0) <= msg.created_at - case.last_customer_at <= window


def file_messages(messages: list[Message], latest: dict[tuple[str, str], CaseState],
                  window: dt.timedelta) -> list[Filing]:
    """Which case each message goes to, oldest message first.

    `latest` maps (source, author) to that customer's most recent case; it is updated as
    messages are filed, so several messages from one customer in a batch share a case.
    """
    filings: list[Filing] = []
    for msg in sorted(messages, key=lambda m: m.created_at):
        key = (msg.source, msg.author or "")
        case = latest.get(key) if msg.author else None
        if case is not None and joins(case, msg, window):
            reopened = case.status in CLOSED_STATUSES
            if reopened:
                case.status = "new"
            elif case.status == "waiting_on_customer":
                case.status = "in_progress"  # the customer answered what we asked
            case.last_customer_at = max(case.last_customer_at, msg.created_at)
            case.conversations.add(msg.conversation)
            filings.append(Filing(msg.id, case, reopened=reopened))
            continue
        case = CaseState(None, msg.source, msg.author, msg.conversation, "new",
                         msg.created_at, opening=msg.id, conversations={msg.conversation})
        if msg.author:
            latest[key] = case
        filings.append(Filing(msg.id, case, opened=True))
    return filings


@dataclass(frozen=True)
class NewCase:
    """What routing looks at: the opening message's analysis and watchlist matches."""

    lang: str | None
    source: str
    complaint: bool
    terms: tuple[str, ...]
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    owner: str | None
    team: str | None
    rule: int | None                   # index of the rule that decided, None: no rule


def rule_applies(rule: RoutingRule, case: NewCase) -> bool:
    return ((rule.term is None or rule.term in case.terms)
            and (rule.kind is None or rule.kind in case.kinds)
            and (rule.language is None or rule.language == case.lang)
            and (rule.source is None or rule.source == case.source)
            and (rule.complaint is None or rule.complaint == case.complaint))


def route(case: NewCase, config: Config, load: dict[str, int], now: dt.datetime,
          shifts: dict[str, bool] | None = None,
          candidates: dict[tuple[int, str | None], list[Person]] | None = None) -> Route:
    """The first rule that applies decides. "least-loaded" picks, among the rule's team, the
    person on shift now who writes the case's language and has the fewest open cases; when
    nobody qualifies the case waits in the team's queue with no owner. `shifts` (who is on
    shift at `now`) may be worked out once for many cases with `on_shift_now`, and
    `candidates` (an empty dict at first) keeps who qualifies under a rule for a language,
    for the next case routed with the same `shifts`."""
    if shifts is None:
        shifts = on_shift_now(config, now)
    if candidates is None:
        candidates = {}
    for index, rule in enumerate(config.routing):
        if not rule_applies(rule, case):
            continue
        if rule.assign and rule.assign != LEAST_LOADED:
            person = config.person(rule.assign)
            return Route(rule.assign, rule.team or (person.team if person else None), index)
        if rule.assign == LEAST_LOADED:
            qualified = candidates.get((index, case.lang))
            if qualified is None:
                qualified = candidates[index, case.lang] = [
                    p for p in config.people if p.team == rule.team and p.role == "agent"
                    and writes(p, case.lang) and shifts.get(p.name, False)]
            if qualified:
                chosen = min(qualified, key=lambda p: (load.get(p.name, 0), p.name))
                return Route(chosen.name, rule.team, index)
        return Route(None, rule.team, index)
    return Route(None, None, None)


def writes(person: Person, lang: str | None) -> bool:
    return not person.languages or lang is None or lang in person.languages


def shift_clock(config: Config, person: Person) -> BusinessHours:
    return BusinessHours.parse(*config.shift_of(person))


def on_shift(config: Config, person: Person, at: dt.datetime) -> bool:
    return shift_clock(config, person).is_open(at)


def on_shift_now(config: Config, now: dt.datetime) -> dict[str, bool]:
    """Who is on shift at `now`, by name."""
    return {p.name: on_shift(config, p, now) for p in config.people}


# -- whose message it is (SQL) -------------------------------------------------------------

def competitor_only_sql(kinds: str) -> str:
    """SQL that is true when the list `kinds` names terms and every one is a competitor."""
    return f"(len({kinds}) > 0 AND list_has_all(['{COMPETITOR}'], {kinds}))"


def not_ours_sql(m: str = "m", parent: str = "p", root: str = "r") -> str:
    """SQL that is true when mention `m` (with `parent`, the mention it replies to, and `root`,
    its thread's first post, LEFT JOINed: they may be missing) is not a customer talking to us.

    - A reply to one of our own posts is talking to us, whatever it names.
    - A post that names terms is ours unless it names competitors only.
    - A post that names none (a reply kept because we hold its thread) goes with the nearest
      post above it that names one: its parent, else the thread's root — "same thing happened
      to me" under a post about a competitor is about the competitor too. A thread we
      started is ours.
    - With nothing to go by (a subreddit listened to whole, an archive import) it is ours, as
      every stored post was before competitors existed.
    """
    return f"""(CASE WHEN {parent}.is_own THEN false
        WHEN len({m}.matched_kinds) > 0 THEN {competitor_only_sql(f"{m}.matched_kinds")}
        WHEN len({parent}.matched_kinds) > 0
            THEN {competitor_only_sql(f"{parent}.matched_kinds")}
        WHEN {root}.is_own THEN false
        WHEN len({root}.matched_kinds) > 0 THEN {competitor_only_sql(f"{root}.matched_kinds")}
        ELSE false END)"""


NOT_OURS = not_ours_sql()


# -- filing (store) ------------------------------------------------------------------------

def file_new(store: Store, config: Config, now: dt.datetime | None = None,
             batch: int = 20000) -> int:
    """File every analysed message not filed yet; returns how many were filed."""
    now = now or utcnow()
    total = 0
    with no_cycle_collection():
        while True:
            filed = _file_batch(store, config, now, batch)
            total += filed
            if filed < batch:
                return total


def _file_batch(store: Store, config: Config, now: dt.datetime, batch: int) -> int:
    window = dt.timedelta(hours=config.cases.join_window_hours)
    if not store.query_rows("SELECT count(*) FROM filing_queue")[0][0]:
        return 0  # nothing analysed waits for filing: an idle tick costs nothing
    with store.transaction() as con:
        _drop_filed(con)
        unfiled = con.execute(
            """
            SELECT m.id, m.seq, m.source, m.author, coalesce(m.conversation_id, m.id) AS conv,
                   m.created_at, a.lang, a.complaint, m.matched_terms, m.matched_kinds,
                   m.in_reply_to, m.conversation_id
            FROM filing_queue q JOIN mentions m ON m.seq = q.seq
            JOIN analysis a ON a.seq = q.seq
            WHERE NOT m.is_own
            ORDER BY m.created_at LIMIT ?
            """, [batch]).to_arrow_table()
        # the batch's parents and thread roots, read by id
        around = list({*unfiled["in_reply_to"].drop_null().to_pylist(),
                       *unfiled["conversation_id"].drop_null().to_pylist()})
        related = con.execute(
            "SELECT id, is_own, matched_kinds, in_reply_to, conversation_id FROM mentions "
            "WHERE id = ANY(?)", [around]).to_arrow_table()
        con.register("unfiled", unfiled)
        con.register("related", related)
        try:
            new = _columns(con.execute(
                f"""
                SELECT m.id, m.seq, m.source, m.author, m.conv, m.created_at, m.lang,
                       m.complaint, m.matched_terms, m.matched_kinds, {NOT_OURS} AS not_ours
                FROM unfiled m LEFT JOIN related p ON p.id = m.in_reply_to
                LEFT JOIN related r ON r.id = m.conversation_id
                ORDER BY m.created_at
                """).to_arrow_table())
        finally:
            con.unregister("unfiled")
            con.unregister("related")
        theirs = new["not_ours"]
        filed = _file_under_no_case(con, list(compress(new["id"], theirs)),
                                    list(compress(new["seq"], theirs)))
        if not all(theirs):
            mine = [not t for t in theirs]
            filed += _file_customers(con, config, {name: list(compress(values, mine))
                                                   for name, values in new.items()},
                                     window, now)
        filed += _file_responses(con, batch)
        _drop_filed(con)  # a reply whose parent is not filed yet stays for a later pass
    return filed


def _drop_filed(con) -> None:
    """Take off the filing queue what has a case_mentions row: filed by this pass, or
    before it was analysed (an agent opened a case on it; an older version filed our own
    replies without waiting for their analysis). A complaint among them is its case's
    newest complaint if it is newer than the one the case had (cases.last_complaint_at):
    every analysed message leaves the queue here once it has a case."""
    # By number: the queue's numbers bound the joins' scans of case_mentions, mentions and
    # analysis to their newest row groups (looking the ids up by key read the whole column:
    # 0.2 s at 10 M mentions, for one queued id).
    con.execute(f"""
        UPDATE cases SET last_complaint_at = greatest(coalesce(cases.last_complaint_at, t.at),
                                                      t.at)
        FROM ({_COMPLAINT_TIMES.format(filings="filing_queue q JOIN case_mentions f "
                                               "ON f.seq = q.seq")}) t
        WHERE cases.id = t.case_id
        """)
    con.execute("DELETE FROM filing_queue q USING case_mentions f WHERE f.seq = q.seq")


# Per case, the newest of its filed customer messages judged a complaint (f: the filings
# read, with their mention numbers).
_COMPLAINT_TIMES = """
    SELECT f.case_id, max(m.created_at) AS at
    FROM {filings} JOIN mentions m ON m.seq = f.seq JOIN analysis a ON a.seq = f.seq
    WHERE f.role = 'customer' AND a.complaint
    GROUP BY f.case_id
"""


def refresh_complaint_times(con, case_ids: list[str] | None) -> None:
    """Recompute each case's newest complaint (cases.last_complaint_at; all cases with
    None) from its messages: where filing's own upkeep (_drop_filed) does not see the
    change, as when the verdicts change (re-scoring) or an agent opens a case on a message
    analysed before."""
    if case_ids is None:
        scope, params, filings = "true", [], "case_mentions f"
    else:
        scope, params = "id = ANY(?)", [case_ids]
        filings = "(SELECT * FROM case_mentions WHERE case_id = ANY(?)) f"
    con.execute(f"UPDATE cases SET last_complaint_at = NULL "
                f"WHERE {scope} AND last_complaint_at IS NOT NULL", params)
    con.execute(f"""
        UPDATE cases SET last_complaint_at = t.at
        FROM ({_COMPLAINT_TIMES.format(filings=filings)}) t
        WHERE cases.id = t.case_id
        """, params)


def _file_under_no_case(con, mention_ids: list[str], seqs: list[int]) -> int:
    """Posts about competitors only: noted as looked at (role 'none', no case), so they are
    decided once and never counted as waiting to be filed."""
    if not mention_ids:
        return 0
    links = pa.table({"mention_id": pa.array(mention_ids, pa.string()),
                      "case_id": pa.nulls(len(mention_ids), pa.string()),
                      "role": ["none"] * len(mention_ids), "seq": pa.array(seqs, pa.int64())})
    con.register("links", links)
    try:
        con.execute("INSERT INTO case_mentions BY NAME SELECT * FROM links")
    finally:
        con.unregister("links")
    return len(mention_ids)


def _columns(table: pa.Table) -> dict[str, list]:
    """A query's rows as a list per column (nulls None, times datetimes): filing reads them
    a row at a time in Python (a pandas frame's rows as dicts cost 0.25 s for 20,000)."""
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _file_customers(con, config: Config, new: dict[str, list], window: dt.timedelta,
                    now: dt.datetime) -> int:
    """File customers' messages (`new`: _columns of _file_batch's rows, oldest first)."""
    author = pa.array(new["author"], pa.string())
    authors = pa.table({"source": pa.array(new["source"], pa.string()), "author": author}
                       ).filter(pc.is_valid(author))
    con.register("authors", authors)
    try:
        known = con.execute(
            """
            SELECT c.id, c.source, c.author, c.conversation_id, c.status, c.last_customer_at
            FROM cases c JOIN (SELECT DISTINCT source, author FROM authors)
                 USING (source, author)
            QUALIFY row_number() OVER (PARTITION BY c.source, c.author
                                       ORDER BY c.last_customer_at DESC, c.id DESC) = 1
            """).fetchall()
    finally:
        con.unregister("authors")
    latest = {(src, author): CaseState(cid, src, author, conv, status, last)
              for cid, src, author, conv, status, last in known}
    before = {cid: status for cid, _, _, _, status, _ in known}
    messages = list(map(Message, new["id"], new["source"], new["author"], new["conv"],
                        new["created_at"]))
    filings = file_messages(messages, latest, window)
    row_of = {mention_id: i for i, mention_id in enumerate(new["id"])}

    load = dict(con.execute(
        f"SELECT owner, count(*) FROM cases WHERE owner IS NOT NULL "
        f"AND status IN {OPEN_STATUSES} GROUP BY owner").fetchall())
    shifts = on_shift_now(config, now)
    candidates: dict = {}  # routing's choices for a rule and language, for the whole batch
    # Case numbers for the whole batch in one statement, in filing order.
    wanted = sum(f.opened for f in filings)
    numbers = iter(take_numbers(con, "case_number", wanted))
    opened, events = [], []
    for filing in filings:
        case = filing.case
        if filing.opened:
            case.id = f"C-{next(numbers)}"
            row = row_of[filing.mention_id]
            created_at = new["created_at"][row]
            routed = route(NewCase(
                new["lang"][row], case.source, bool(new["complaint"][row]),
                tuple(new["matched_terms"][row]), tuple(new["matched_kinds"][row])),
                config, load, now, shifts, candidates)
            if routed.owner:
                load[routed.owner] = load.get(routed.owner, 0) + 1
            opened.append((case, routed, created_at))
            events.append((case.id, filing.mention_id, "opened", SYSTEM, created_at,
                           None, "new", None))
            if routed.owner or routed.team:
                rule = config.routing[routed.rule]
                events.append((case.id, filing.mention_id, "assigned", SYSTEM, now, None,
                               owner_label(routed.owner, routed.team),
                               f"routing rule {routed.rule + 1}: {_describe_rule(rule)}"))
        elif filing.reopened:
            events.append((case.id, filing.mention_id, "reopened", SYSTEM,
                           new["created_at"][row_of[filing.mention_id]],
                           before.get(case.id, "resolved"), "new",
                           "the customer wrote again"))
            before[case.id] = "new"

    links = pa.table({"mention_id": [f.mention_id for f in filings],
                      "case_id": pa.array([f.case.id for f in filings], pa.string()),
                      "role": ["customer"] * len(filings),
                      "seq": pa.array([new["seq"][row_of[f.mention_id]] for f in filings],
                                      pa.int64())})
    con.register("links", links)
    try:
        con.execute("INSERT INTO case_mentions BY NAME SELECT * FROM links")
        if opened:
            _open_cases(con, opened)
    finally:
        con.unregister("links")

    touched = {f.case.id: f.case for f in filings}
    new_ids = {case.id for case, _, _ in opened}
    changes = pa.table({"id": list(touched),
                        "status": [c.status for c in touched.values()]})
    con.register("changes", changes)
    try:
        # Counts and times come from the filed messages themselves, so they stay right
        # however the batch was cut.
        con.execute(
            """
            UPDATE cases SET status = changes.status, messages = agg.messages,
                   last_customer_at = agg.last_at,
                   reopened = cases.reopened + CASE WHEN cases.status IN ('resolved', 'ignored')
                                                     AND changes.status = 'new' THEN 1 ELSE 0 END,
                   resolved_at = CASE WHEN changes.status = 'new' AND cases.status = 'resolved'
                                      THEN NULL ELSE cases.resolved_at END,
                   -- a reopened case owes an answer, not a follow-up
                   follow_up_at = CASE WHEN changes.status = 'new' AND cases.status = 'resolved'
                                       THEN NULL ELSE cases.follow_up_at END
            FROM changes, (
                SELECT f.case_id, count(*) AS messages, max(m.created_at) AS last_at
                FROM case_mentions f JOIN mentions m ON m.seq = f.seq
                WHERE f.role = 'customer' AND f.case_id IN (SELECT id FROM changes)
                GROUP BY f.case_id) agg
            WHERE cases.id = changes.id AND agg.case_id = changes.id
            """)
        # (the cases opened here were written with what they wait on)
        refresh_waiting(con, [case_id for case_id in touched if case_id not in new_ids])
    finally:
        con.unregister("changes")
    _append_events(con, events)
    return len(filings)


def _open_cases(con, opened: list[tuple[CaseState, Route, dt.datetime]]) -> None:
    """Insert the cases a filing pass opened (the case, its route, its first message's time)
    with what each waits on, from their messages just filed (`links`, registered): every one
    of them, since a new case has no response yet. (Setting the list columns by refresh_waiting
    afterwards cost ~30 µs a case: DuckDB updates a list as a delete and an insert, through
    the key's index.)"""
    frame = pa.table({
        "id": [c.id for c, _, _ in opened],
        "mention_id": [c.opening for c, _, _ in opened],
        "source": [c.source for c, _, _ in opened],
        "author": pa.array([c.author for c, _, _ in opened], pa.string()),
        "conversation_id": [c.conversation for c, _, _ in opened],
        "status": ["new"] * len(opened),
        "opened_at": pa.array([at for _, _, at in opened], _MOMENT),
        "owner": pa.array([r.owner for _, r, _ in opened], pa.string()),
        "team": pa.array([r.team for _, r, _ in opened], pa.string()),
        "last_customer_at": pa.array([at for _, _, at in opened], _MOMENT),
        "messages": pa.array([0] * len(opened), pa.int64()),
        "last_response_at": pa.nulls(len(opened), _MOMENT),
    })
    waiting = _WAITING_OF.format(
        source="opened c JOIN links f ON f.case_id = c.id AND f.role = 'customer' "
               "JOIN mentions m ON m.seq = f.seq LEFT JOIN analysis a ON a.seq = m.seq",
        scope="true")
    con.register("opened", frame)
    try:
        # (the lists spelled out: a team store has no list defaults; in the order filing
        # opened them, as before: an INSERT from a join comes out in the join's order)
        con.execute(f"""
            INSERT INTO cases BY NAME
            SELECT o.* EXCLUDE (last_response_at),
                   {", ".join(f"{value} AS {column}" for column, value in _waited_on())}
            FROM opened o LEFT JOIN ({waiting}) w ON w.id = o.id
            ORDER BY o.opened_at
            """)
    finally:
        con.unregister("opened")


def _file_responses(con, batch: int) -> int:
    """File the brand's own posts: a reply to a filed customer message is a response."""
    if not con.execute("SELECT count(*) FROM filing_queue q JOIN mentions m "
                       "ON m.seq = q.seq WHERE m.is_own").fetchone()[0]:
        return 0
    # Each reply's parent and the parent's filing (one at most: a mention is filed once),
    # read for the replies' parents only: joined to the whole tables they cost a scan of
    # both id columns each (4,000 replies at 10 M mentions: 1.0-1.2 s, against 0.3 s).
    replies = con.execute(
        """
        WITH r AS (SELECT m.id, m.seq, m.author, m.source, m.created_at, m.in_reply_to
                   FROM filing_queue q JOIN mentions m ON m.seq = q.seq
                   WHERE m.is_own ORDER BY m.created_at LIMIT ?)
        SELECT r.id, r.seq, r.author, r.source, r.created_at,
               CASE WHEN pf.role = 'customer' THEN pf.case_id END AS case_id,
               p.id IS NOT NULL AND NOT p.is_own AND pf.mention_id IS NULL AS parent_unfiled
        FROM r
        LEFT JOIN (SELECT id, is_own FROM mentions WHERE id IN (SELECT in_reply_to FROM r)) p
               ON p.id = r.in_reply_to
        LEFT JOIN (SELECT mention_id, case_id, role FROM case_mentions
                   WHERE mention_id IN (SELECT in_reply_to FROM r)) pf
               ON pf.mention_id = r.in_reply_to
        ORDER BY r.created_at
        """, [batch]).df()
    if replies.empty:
        return 0
    # A reply to a customer message not filed yet (still being analysed) waits for the next
    # pass; one that answers no customer message (a post of our own, a thread we never
    # collected, a post about a competitor only) is filed under no case.
    waiting = replies["case_id"].isna() & replies["parent_unfiled"]
    keep = replies[~waiting]
    if keep.empty:
        return 0
    links = pd.DataFrame({
        "mention_id": keep["id"],
        "case_id": keep["case_id"],
        "role": ["response" if isinstance(c, str) else "none" for c in keep["case_id"]],
        "seq": keep["seq"],
    })
    con.register("links", links)
    try:
        con.execute("INSERT INTO case_mentions BY NAME SELECT * FROM links")
    finally:
        con.unregister("links")
    answered = keep[keep["case_id"].notna()]
    events = [(r.case_id, r.id, "responded", f"{r.author} on {r.source}", r.created_at,
               None, None, "replied on the platform") for r in answered.itertuples()]
    _append_events(con, events)
    if not answered.empty:
        refresh_response_times(con, answered["case_id"].unique().tolist())
    return len(keep)


FEW_CASES = 100  # up to this many, refresh_waiting reads their messages by id


def refresh_waiting(con, case_ids: list[str] | None) -> None:
    """Recompute what each case waits on (all cases with None): the customers' messages
    since its last response — how many, since when, the newest (with its language and its
    author's reach), whether any is a complaint and why, and the kinds of term they name.
    The inbox ranks cases from these columns alone."""
    if case_ids is not None and len(case_ids) <= FEW_CASES:
        _refresh_waiting_few(con, case_ids)
        return
    if case_ids is None:
        scope, params = "true", []
        in_scope, filings = "cases", "case_mentions"
    else:
        # The cases and their filings narrowed first: joined whole, case_mentions and
        # mentions were read side by side before the cases narrowed them (5,000 cases at
        # 10 M mentions: 1.4 s, against 0.37 s).
        scope, params = "c.id IN (SELECT unnest(?))", [case_ids] * 3
        in_scope = "(SELECT * FROM cases WHERE id IN (SELECT unnest(?)))"
        filings = "(SELECT * FROM case_mentions WHERE case_id IN (SELECT unnest(?)))"
    waiting = _WAITING_OF.format(
        source=f"{in_scope} c JOIN {filings} f ON f.case_id = c.id AND f.role = 'customer' "
               "JOIN mentions m ON m.seq = f.seq LEFT JOIN analysis a ON a.seq = m.seq",
        scope="true")
    # The cases that waited or wait now, with what they wait on now and their lists before.
    # The lists are set apart, only where they change: DuckDB updates a list column as a
    # delete and an insert through the key's index (~30 µs a case), the others in place.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE waiting_now AS
        SELECT c.id AS case_id, list_sort(c.waiting_cues) AS cues_before,
               list_sort(c.waiting_kinds) AS kinds_before, w.* EXCLUDE (id)
        FROM cases c LEFT JOIN ({waiting}) w ON w.id = c.id
        WHERE {scope} AND (c.messages_waiting > 0 OR w.id IS NOT NULL)
        """, params)
    waited = dict(_waited_on())
    con.execute(f"""
        UPDATE cases SET {", ".join(f"{column} = {value}" for column, value in waited.items()
                                    if column not in ("waiting_cues", "waiting_kinds"))}
        FROM temp.waiting_now w WHERE cases.id = w.case_id
        """)
    con.execute(f"""
        UPDATE cases SET waiting_cues = {waited["waiting_cues"]},
               waiting_kinds = {waited["waiting_kinds"]}
        FROM temp.waiting_now w
        WHERE cases.id = w.case_id
          AND (w.cues_before IS DISTINCT FROM list_sort({waited["waiting_cues"]})
               OR w.kinds_before IS DISTINCT FROM list_sort({waited["waiting_kinds"]}))
        """)
    # (not in a finally: after a failed statement the transaction refuses any other, and
    # its rollback drops the table)
    con.execute("DROP TABLE temp.waiting_now")


def _clear_waiting(con, scope: str, params: list) -> None:
    con.execute(f"""
        UPDATE cases SET {", ".join(f"{column} = {empty}" for column, _, empty in _WAITING)}
        WHERE {scope} AND messages_waiting > 0
        """, params)


# What a case keeps on what it waits on: the column, its value from _WAITING_OF (w), and
# its value when the case waits on nothing.
_WAITING = (
    ("waiting_mention_id", "w.newest", "NULL"), ("waiting_since", "w.since", "NULL"),
    ("messages_waiting", "w.n", "0"), ("waiting_complaint", "w.complaint", "false"),
    ("waiting_cues", "w.cues", "[]::VARCHAR[]"), ("waiting_kinds", "w.kinds", "[]::VARCHAR[]"),
    ("waiting_lang", "w.lang", "NULL"), ("waiting_followers", "w.followers", "NULL"),
)
_WAITING_SET = ", ".join(f"{column} = {value}" for column, value, _ in _WAITING)


def _waited_on() -> list[tuple[str, str]]:
    """Each column and its value from _WAITING_OF (w), or its empty value where w has no
    row (a case waiting on nothing)."""
    return [(column, f"coalesce({value}, {empty})") for column, value, empty in _WAITING]
# Per case, its customers' messages since the last response (c: the case, m: a message,
# a: its analysis).
_WAITING_OF = """
    SELECT c.id, arg_max(m.id, m.created_at) AS newest, min(m.created_at) AS since,
           count(*) AS n, coalesce(bool_or(a.complaint), false) AS complaint,
           coalesce(list_distinct(flatten(list(a.complaint_cues)
                                          FILTER (WHERE a.complaint))), []) AS cues,
           list_distinct(flatten(list(m.matched_kinds))) AS kinds,
           arg_max(a.lang, m.created_at) AS lang,
           arg_max(m.author_followers, m.created_at) AS followers
    FROM {source}
    WHERE {scope} AND (c.last_response_at IS NULL OR m.created_at > c.last_response_at)
    GROUP BY c.id
"""


def _refresh_waiting_few(con, case_ids: list[str]) -> None:
    """refresh_waiting for a handful of cases (an agent's reply, a live message): their
    rows read by id, table by table — index lookups where joins would read every row."""
    _clear_waiting(con, "cases.id = ANY(?)", [case_ids])
    if not case_ids:
        return
    # (the ids alone in WHERE: a second condition turns the index lookup into a scan)
    links = con.execute("SELECT case_id, mention_id, role FROM case_mentions "
                        "WHERE case_id = ANY(?)", [case_ids]).df()
    links = links[links["role"] == "customer"].drop(columns=["role"])
    ids = links["mention_id"].tolist()
    if not ids:
        return
    few = {
        "few_c": con.execute("SELECT id, last_response_at FROM cases WHERE id = ANY(?)",
                             [case_ids]).df(),
        "few_f": links,
        "few_m": con.execute("SELECT id, created_at, matched_kinds, author_followers "
                             "FROM mentions WHERE id = ANY(?)", [ids]).df(),
        "few_a": con.execute("SELECT mention_id, lang, complaint, complaint_cues "
                             "FROM analysis WHERE mention_id = ANY(?)", [ids]).df(),
    }
    for name, frame in few.items():
        con.register(name, frame)
    try:
        con.execute(f"""
            UPDATE cases SET {_WAITING_SET}
            FROM ({_WAITING_OF.format(
                source="few_c c JOIN few_f f ON f.case_id = c.id "
                       "JOIN few_m m ON m.id = f.mention_id "
                       "LEFT JOIN few_a a ON a.mention_id = m.id",
                scope="true")}) w
            WHERE cases.id = w.id
            """)
    finally:
        for name in few:
            con.unregister(name)


def refresh_response_times(con, case_ids: list[str]) -> None:
    """First/last response times from the events; a new case that got a response is
    acknowledged."""
    con.execute(
        """
        UPDATE cases SET first_response_at = r.first_at, last_response_at = r.last_at,
               -- answered once, a case stays acknowledged when the customer writes again
               -- (the inbox still shows it waiting); a reopened one needs a newer answer
               status = CASE WHEN cases.status = 'new' AND (cases.reopened = 0
                                  OR r.last_at >= cases.last_customer_at)
                             THEN 'acknowledged' ELSE cases.status END
        FROM (SELECT case_id, min(happened_at) AS first_at, max(happened_at) AS last_at
              FROM events WHERE kind = 'responded' AND case_id IN (SELECT unnest(?))
              GROUP BY case_id) r
        WHERE cases.id = r.case_id
        """, [case_ids])
    refresh_waiting(con, case_ids)


def _append_events(con, events: list[tuple]) -> None:
    """Append events (case_id, mention_id, kind, actor, happened_at, before_value,
    after_value, note), numbered in the order they happened."""
    if not events:
        return
    events = sorted(events, key=lambda e: e[4])  # (stable: at one moment, as listed)
    frame = pa.table({
        "id": pa.array(take_numbers(con, "events_id", len(events)), pa.int64()),
        **{name: pa.array([e[i] for e in events],
                          _MOMENT if name == "happened_at" else pa.string())
           for i, name in enumerate(["case_id", "mention_id", "kind", "actor", "happened_at",
                                     "before_value", "after_value", "note"])}})
    con.register("new_events", frame)
    try:
        con.execute("INSERT INTO events BY NAME SELECT * FROM new_events")
    finally:
        con.unregister("new_events")


def owner_label(owner: str | None, team: str | None) -> str:
    """How an assignment reads in the audit log: "Sara (Care EN)", "team Care EN"."""
    if owner and team:
        return f"{owner} ({team})"
    if owner:
        return owner
    return f"team {team}" if team else "unassigned"


def _describe_rule(rule: RoutingRule) -> str:
    conditions = [f"{k} = {v}" for k, v in (("term", rule.term), ("kind", rule.kind),
                                            ("language", rule.language),
                                            ("source", rule.source),
                                            ("complaint", rule.complaint)) if v is not None]
    return " and ".join(conditions) or "every case"
