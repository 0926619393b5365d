"""Customer history: one person across sources and cases — what they wrote, what we answered,
what they scored us, what we promised, the desk's private notes — and the privacy requests
about them: a copy of everything held (right of access) and erasure (right to erasure).

A customer is a handle (source, author) until an agent links handles: @maryam on X and
u/maryam on Reddit then share one customer key, the "source:author" of one of them. Every
change (link, unlink, note, export, erasure) is one transaction with a role check
(clamor.auth.permit) and a row in customer_events, the audit trail. The command line runs as
whoever holds the database file: no role check, recorded as "command line".

Erasure anonymises in place rather than deleting rows: the customer's posts keep their
times, languages and flags with the text replaced and the author pseudonymised, so case
counts, response standards and reports still add up; their words leave the search index,
their handle leaves our replies and the audit trail, notes and links are deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field

import pandas as pd

from analysis import tokens
from clamor import auth
from clamor.store import Store, utcnow

COMMAND_LINE = "command line"  # the actor of what `clamor customer` does
ERASED_TEXT = "[erased on request]"
REPEAT_DAYS = 7  # "3rd complaint this week"
_OPEN = ("new", "acknowledged", "in_progress", "waiting_on_customer")


class CustomerError(Exception):
    """The change cannot be made; the message says why in a sentence."""


# -- who is who ----------------------------------------------------------------------------

def key_of(source: str, author: str) -> str:
    """The key a handle has on its own (before any link)."""
    return f"{source}:{author}"


def handle_of(key: str) -> tuple[str, str]:
    """The handle a key was made from: (source, author)."""
    source, _, author = key.partition(":")
    if not source or not author:
        raise CustomerError(f"{key!r} is no customer: a customer is SOURCE:AUTHOR, e.g. "
                            "x:@maryam")
    return source, author


def customer_key(store_or_con, source: str, author: str) -> str:
    """The customer a handle belongs to: its linked customer, else its own key."""
    con = store_or_con.con if isinstance(store_or_con, Store) else store_or_con
    row = con.execute("SELECT customer FROM customer_links WHERE source = ? AND author = ?",
                      [source, author]).fetchone()
    return row[0] if row else key_of(source, author)


def handles(store_or_con, key: str) -> list[tuple[str, str]]:
    """Every handle of a customer, its own key's handle first."""
    con = store_or_con.con if isinstance(store_or_con, Store) else store_or_con
    own = handle_of(key)
    linked = [tuple(r) for r in con.execute(
        "SELECT source, author FROM customer_links WHERE customer = ? ORDER BY source, author",
        [key]).fetchall()]
    return [own] + [h for h in linked if h != own]


def _handle_lists(found: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return [s for s, _ in found], [a for _, a in found]


# The customer's posts, from (sources, authors) lists given as the two parameters.
_THEIR_POSTS = """
    (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author) h
    JOIN mentions m ON m.source = h.source AND m.author = h.author AND NOT m.is_own
"""
# Their posts (`m`), each with its analysis (`a`) and case link (`f`), as a WITH clause: the
# analysis and case links are looked up by the posts' numbers, so DuckDB reads only theirs
# (10 M mentions: the history's posts 1.2 -> 0.12 s; joined to the whole tables, DuckDB
# built a hash table of every analysis row).
_THEIR_POSTS_WITH = f"""
    WITH m AS MATERIALIZED (SELECT m.* FROM {_THEIR_POSTS}),
    a AS (SELECT * FROM analysis WHERE seq IN (SELECT seq FROM m)),
    f AS MATERIALIZED (SELECT * FROM case_mentions WHERE seq IN (SELECT seq FROM m))
"""


# -- the history ---------------------------------------------------------------------------

@dataclass
class History:
    key: str
    handles: list[tuple[str, str]]
    mentions: pd.DataFrame        # newest first
    cases: pd.DataFrame           # newest first
    replies: pd.DataFrame         # our replies, in Clamor and on the platforms, newest first
    surveys: pd.DataFrame
    languages: dict[str, int]     # language -> posts
    reach: pd.DataFrame           # created_at, source, author, followers (oldest first)
    promises: pd.DataFrame        # open cases with a promised time, soonest first
    notes: pd.DataFrame           # newest first
    complaints_this_week: int = 0
    extra: dict = field(default_factory=dict)


def history(store: Store, key: str, now: dt.datetime | None = None) -> History:
    """Everything the desk knows about one customer, across their linked handles."""
    found = handles(store, key)
    sources, authors = _handle_lists(found)
    mentions = store.query_df(
        f"""{_THEIR_POSTS_WITH}
        SELECT m.id, m.created_at, m.source, m.author, m.text, m.url,
               m.author_followers AS followers, a.lang, a.sentiment_label AS sentiment,
               coalesce(a.complaint, false) AS complaint, f.case_id, c.status AS case_status
        FROM m LEFT JOIN a ON a.seq = m.seq LEFT JOIN f ON f.seq = m.seq
        LEFT JOIN (SELECT id, status FROM cases WHERE id IN (SELECT case_id FROM f)) c
            ON c.id = f.case_id
        ORDER BY m.created_at DESC, m.id
        """, [sources, authors])
    cases = store.query_df(
        """
        SELECT c.id, c.status, c.source, c.author, c.opened_at, c.owner, c.team, c.messages,
               c.first_response_at, c.due_at, c.resolved_at, c.reopened
        FROM (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author) h
        JOIN cases c ON c.source = h.source AND c.author = h.author
        ORDER BY c.opened_at DESC
        """, [sources, authors])
    ids = cases["id"].tolist()
    # Our replies: the desk's in Clamor, and the company accounts' own posts on the
    # platform filed into the customer's cases (a reply Clamor posted comes back as one of
    # those: listed once, as the desk's, by the id the platform gave it). Joined, not read
    # by a list of ids: at 10 M mentions 25–50 ms for a few cases, and 1.3 s for a customer
    # with 8,800 of our replies, where 8,800 lookups by key took 5 s.
    replies = store.query_df(
        """
        SELECT happened_at, case_id, actor, reply_text, template_id, 'in Clamor' AS sent
        FROM events
        WHERE case_id = ANY(?) AND kind = 'responded' AND reply_text IS NOT NULL
        UNION ALL
        SELECT m.created_at, f.case_id, m.author, m.text, NULL, 'on ' || m.source
        FROM case_mentions f JOIN mentions m ON m.id = f.mention_id
        WHERE f.case_id = ANY(?) AND f.role = 'response'
          AND NOT EXISTS (SELECT 1 FROM posted_replies p
                          WHERE p.source = m.source AND p.platform_id = m.native_id)
        ORDER BY happened_at DESC, case_id
        """, [ids, ids])
    surveys = store.query_df(
        "SELECT answered_at, case_id, kind, score FROM surveys WHERE case_id = ANY(?) "
        "ORDER BY answered_at DESC", [ids])
    languages = mentions["lang"].fillna("und").value_counts().to_dict() if len(mentions) \
        else {}
    reach = (mentions[["created_at", "source", "author", "followers"]]
             .dropna(subset=["followers"]).sort_values("created_at").reset_index(drop=True))
    promises = cases[cases["status"].isin(_OPEN) & cases["due_at"].notna()] \
        .sort_values("due_at").reset_index(drop=True)
    notes = store.query_df(
        "SELECT written_at, written_by, note FROM customer_notes WHERE customer = ? "
        "ORDER BY written_at DESC", [key])
    return History(key, found, mentions, cases, replies, surveys, languages, reach, promises,
                   notes, complaints_this_week=repeat_count(store, key, now))


def summary(store: Store, key: str, now: dt.datetime | None = None) -> dict:
    """What the case panel shows of a customer, in a few cheap queries: cases so far,
    languages, complaints this week, the last survey answers, open promises, newest notes."""
    found = handles(store, key)
    sources, authors = _handle_lists(found)
    (cases_so_far, promised) = store.query_rows(
        f"""
        SELECT count(*), count(*) FILTER (WHERE status IN {_OPEN} AND due_at IS NOT NULL)
        FROM (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author) h
        JOIN cases c ON c.source = h.source AND c.author = h.author
        """, [sources, authors])[0]
    langs = [r[0] for r in store.query_rows(
        f"SELECT a.lang, count(*) FROM {_THEIR_POSTS} JOIN analysis a ON a.seq = m.seq "
        "WHERE a.lang IS NOT NULL GROUP BY ALL ORDER BY 2 DESC", [sources, authors])]
    last = dict(store.query_rows(
        """
        SELECT s.kind, arg_max(s.score, s.answered_at)
        FROM (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author) h
        JOIN cases c ON c.source = h.source AND c.author = h.author
        JOIN surveys s ON s.case_id = c.id GROUP BY ALL
        """, [sources, authors]))
    notes = store.query_df(
        "SELECT written_at, written_by, note FROM customer_notes WHERE customer = ? "
        "ORDER BY written_at DESC LIMIT 3", [key])
    return {"key": key, "handles": found, "cases": int(cases_so_far),
            "open_promises": int(promised), "languages": langs,
            "complaints_this_week": repeat_count(store, key, now), "last_survey": last,
            "notes": notes}


# -- repeat contact ------------------------------------------------------------------------

def complaints_by_handle(store: Store, found: list[tuple[str, str]], now: dt.datetime,
                         days: int = REPEAT_DAYS) -> pd.DataFrame:
    """Per handle, the complaints it made in the `days` before `now`: columns source,
    author, complaints. A complaint is a case of the handle with a complaint in that time
    (several complaining messages in one case are one complaint: the inbox counts those as
    messages waiting), or a complaining post not filed yet, on its own. A post filed under
    no case (one naming only competitors) is not about us.

    Cheap for the inbox, exact for any handle: each case keeps its newest complaint
    (cases.last_complaint_at, kept by filing), and the cases of a week are the newest row
    groups of the table, which DuckDB finds by their min/max. (Reading the week's posts and
    their verdicts instead cost 25 ms of a 100 ms inbox draw at 10 M mentions, reading only
    each handle's newest dozen complaining posts: "at least 1" for an outlet whose dozen
    newest fell in one case.)"""
    if not found:
        return pd.DataFrame({"source": [], "author": [], "complaints": []})
    sources, authors = _handle_lists(found)
    return store.query_df(
        """
        WITH h AS (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author),
        complaints AS (
            SELECT c.source, c.author FROM cases c
            WHERE c.last_complaint_at > ?::TIMESTAMPTZ - to_days(?)
              AND c.last_complaint_at <= ? AND c.author = ANY(?::VARCHAR[])
            UNION ALL
            SELECT m.source, m.author
            FROM filing_queue q JOIN mentions m ON m.seq = q.seq JOIN analysis a ON a.seq = q.seq
            WHERE a.complaint AND NOT m.is_own AND m.author = ANY(?::VARCHAR[])
              AND m.created_at > ?::TIMESTAMPTZ - to_days(?) AND m.created_at <= ?
              AND NOT EXISTS (SELECT 1 FROM case_mentions f WHERE f.seq = q.seq))
        SELECT p.source, p.author, count(*) AS complaints
        FROM complaints p JOIN h ON h.source = p.source AND h.author = p.author
        GROUP BY ALL
        """, [sources, authors, now, days, now, authors, authors, now, days, now])


def repeat_count(store: Store, key: str, now: dt.datetime | None = None,
                 days: int = REPEAT_DAYS) -> int:
    """The customer's complaints in the last `days` days, across their linked handles."""
    counted = complaints_by_handle(store, handles(store, key), now or utcnow(), days)
    return int(counted["complaints"].sum()) if len(counted) else 0


def complaints_per_customer(store: Store, found: list[tuple[str, str]], now: dt.datetime,
                            days: int = REPEAT_DAYS) -> dict[tuple[str, str], int]:
    """For each handle given, its customer's complaints in the window (all their linked
    handles counted): what the inbox ranks and shows, for all its candidates at once."""
    found = list(dict.fromkeys(h for h in found if h[1]))
    if not found:
        return {}
    sources, authors = _handle_lists(found)
    links = store.query_rows(
        """
        WITH h AS (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS author),
        mine AS (SELECT l.source, l.author, l.customer FROM customer_links l
                 JOIN h ON h.source = l.source AND h.author = l.author)
        SELECT l.source, l.author, l.customer FROM customer_links l
        WHERE l.customer IN (SELECT customer FROM mine)
        """, [sources, authors])
    key = {h: key_of(*h) for h in found}
    for source, author, customer in links:
        key[(source, author)] = customer
    counted = complaints_by_handle(store, list(key), now, days)
    per_key: dict[str, int] = {}
    for source, author, n in counted.itertuples(index=False):
        k = key[(source, author)]
        per_key[k] = per_key.get(k, 0) + int(n)
    return {h: per_key.get(key[h], 0) for h in found}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def repeat_text(complaints: int) -> str | None:
    """What an agent reads for a customer who complained more than once this week ("3rd
    complaint this week"); None for a first complaint."""
    if complaints is None or complaints < 2:
        return None
    return f"{ordinal(int(complaints))} complaint this week"


# -- changes (role-checked, audited) -------------------------------------------------------

def _permit(con, by: str, action: str, checked: bool) -> str:
    if not by or not by.strip():
        raise CustomerError("say who you are (your name) first")
    if checked:
        auth.permit(con, by, action)  # raises auth.NotPermitted with a sentence
    return by.strip()


def _audit(con, actor: str, action: str, customer: str, detail: str | None,
           at: dt.datetime | None = None) -> None:
    con.execute("INSERT INTO customer_events VALUES (?, ?, ?, ?, ?)",
                [at or utcnow(), actor, action, customer, detail])


def _posted(con, source: str, author: str) -> bool:
    return con.execute("SELECT 1 FROM mentions WHERE source = ? AND author = ? LIMIT 1",
                       [source, author]).fetchone() is not None


def link(store: Store, key: str, source: str, author: str, *, by: str,
         checked: bool = True) -> str:
    """Make the handle (source, author) part of customer `key` (with every handle it was
    linked to already). Returns the customer key."""
    source, author = source.strip(), author.strip()
    with store.transaction() as con:
        actor = _permit(con, by, "link_customers", checked)
        target = customer_key(con, *handle_of(key))  # the key may itself be linked
        if not _posted(con, source, author):
            raise CustomerError(f"no post from {author} on {source} is stored; check the "
                                "spelling (with @ for X, u/ for Reddit)")
        joining = customer_key(con, source, author)
        if joining == target:
            raise CustomerError(f"{author} on {source} is this customer already")
        members = handles(con, joining) + handles(con, target)
        now = utcnow()
        for s, a in dict.fromkeys(members):
            con.execute("DELETE FROM customer_links WHERE source = ? AND author = ?", [s, a])
            con.execute("INSERT INTO customer_links VALUES (?, ?, ?, ?, ?)",
                        [s, a, target, actor, now])
        con.execute("UPDATE customer_notes SET customer = ? WHERE customer = ?",
                    [target, joining])
        _audit(con, actor, "linked", target, f"{author} on {source}", now)
    return target


def unlink(store: Store, source: str, author: str, *, by: str, checked: bool = True) -> None:
    """Make a linked handle its own customer again (notes stay with the customer)."""
    with store.transaction() as con:
        actor = _permit(con, by, "link_customers", checked)
        row = con.execute("SELECT customer FROM customer_links WHERE source = ? AND author = ?",
                          [source, author]).fetchone()
        if row is None:
            raise CustomerError(f"{author} on {source} is linked to no other handle")
        group = row[0]
        con.execute("DELETE FROM customer_links WHERE source = ? AND author = ?",
                    [source, author])
        rest = con.execute("SELECT source, author FROM customer_links WHERE customer = ? "
                           "ORDER BY source, author", [group]).fetchall()
        new_key = group
        if group == key_of(source, author) and rest:  # the customer was known by this handle
            new_key = key_of(*rest[0])
            con.execute("UPDATE customer_links SET customer = ? WHERE customer = ?",
                        [new_key, group])
            con.execute("UPDATE customer_notes SET customer = ? WHERE customer = ?",
                        [new_key, group])
        if len(rest) == 1:  # one handle left: a customer of its own, no link needed
            con.execute("DELETE FROM customer_links WHERE source = ? AND author = ?",
                        list(rest[0]))
        _audit(con, actor, "unlinked", new_key, f"{author} on {source}")


def add_note(store: Store, key: str, note: str, *, by: str, checked: bool = True) -> None:
    """A private note about the customer (the desk sees it; analysts' exports never do)."""
    note = (note or "").strip()
    if not note:
        raise CustomerError("write the note first")
    with store.transaction() as con:
        actor = _permit(con, by, "note_customer", checked)
        key = customer_key(con, *handle_of(key))
        now = utcnow()
        con.execute("INSERT INTO customer_notes VALUES (?, ?, ?, ?)", [key, note, actor, now])
        _audit(con, actor, "note", key, note, now)


def events(store: Store, key: str) -> pd.DataFrame:
    """The audit trail of one customer's record, newest first."""
    return store.query_df("SELECT happened_at, actor, action, detail FROM customer_events "
                          "WHERE customer = ? ORDER BY happened_at DESC", [key])


# -- right of access -----------------------------------------------------------------------

def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def export(store: Store, key: str, *, by: str, checked: bool = True) -> dict:
    """Everything held about the customer, as one JSON-ready document (right of access): their
    posts with the analysis of each, cases, our replies, survey answers, the desk's notes
    about them and the audit trail of their record. The export itself is audited."""
    with store.transaction() as con:
        actor = _permit(con, by, "export_customer", checked)
    key = customer_key(store, *handle_of(key))
    found = history(store, key)
    posts = store.query_df(
        f"""{_THEIR_POSTS_WITH}
        SELECT m.id, m.source, m.native_id, m.url, m.author, m.author_followers, m.text,
               m.created_at, m.in_reply_to, m.conversation_id, m.matched_terms,
               a.lang, a.sentiment, a.sentiment_label, a.complaint, a.complaint_cues,
               f.case_id
        FROM m LEFT JOIN a ON a.seq = m.seq LEFT JOIN f ON f.seq = m.seq
        ORDER BY m.created_at
        """, _handle_lists(found.handles))
    document = {
        "customer": key,
        "exported_at": utcnow().isoformat(),
        "handles": [{"source": s, "author": a} for s, a in found.handles],
        "posts": _records(posts),
        "cases": _records(found.cases),
        "replies": _records(found.replies),
        "surveys": _records(found.surveys),
        "notes": _records(found.notes),
        "record_history": _records(events(store, key)),
    }
    counts = {k: len(v) for k, v in document.items() if isinstance(v, list)}
    with store.transaction() as con:
        _audit(con, actor, "exported", key, json.dumps(counts))
    return document


# -- right to erasure ----------------------------------------------------------------------

def _bare(author: str) -> str:
    """A handle without its platform's prefix: @maryam, u/maryam -> maryam."""
    return re.sub(r"^(?:@|/?u/)", "", author)


def _scrubber(found: list[tuple[str, str]], names: dict[tuple[str, str], str], *,
              raw: bool = False):
    """A function replacing each handle by its pseudonym: written as a handle (@maryam,
    u/maryam, any case) in text; in raw items and links also as a whole JSON string
    ("maryam") or a path segment (/maryam/). The bare word alone is left in text: "Maryam at
    the gate was kind" may be about someone else."""
    patterns = []
    for handle in found:
        bare = re.escape(_bare(handle[1]))
        if not bare:
            continue
        forms = [r"(?<![\w.])(?:@|/?u/)" + bare + r"(?![\w])"]
        if raw:
            forms += [r'(?<=")' + bare + r'(?=")', r"(?<=/)" + bare + r"(?=[/?#\"]|$)"]
        patterns.append((re.compile("|".join(forms), re.IGNORECASE), names[handle]))

    def scrub(text):
        if not isinstance(text, str):
            return text
        for pattern, name in patterns:
            text = pattern.sub(name, text)
        return text
    return scrub


def erase(store: Store, key: str, *, by: str, checked: bool = True) -> dict:
    """Anonymise everything held about the customer, in one transaction, and record who did
    it and what was removed (the audit record names the customer only by pseudonym).

    Their posts keep id, time, source, followers, language and flags (so case counts and
    response standards still add up), with the text replaced by "[erased on request]", the
    author by a pseudonym ("erased-" and a salted hash: the same for all their posts, not
    recomputable from the handle), the link and raw item cleared, the complaint cues (their
    words) emptied and every word of theirs taken out of the search index. Their handle is
    replaced in our replies, in posts that name them, in alert samples, saved searches and
    the audit trail; notes and links are deleted. Returns the counts of what was changed."""
    salt = secrets.token_hex(8)
    with store.transaction() as con:
        actor = _permit(con, by, "erase_customer", checked)
        key = customer_key(con, *handle_of(key))
        found = handles(con, key)
        names = {h: "erased-" + hashlib.sha256(f"{salt}:{h[0]}:{h[1]}".encode())
                 .hexdigest()[:10] for h in found}
        pseudonym = names[found[0]]
        scrub, scrub_raw = _scrubber(found, names), _scrubber(found, names, raw=True)
        sources, authors = _handle_lists(found)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE erasing AS
            SELECT m.id, m.seq, m.source, m.author, m.conversation_id FROM {_THEIR_POSTS}
        """, [sources, authors])
        posts = con.execute("SELECT count(*) FROM erasing").fetchone()[0]
        # Their words out of the search index (hourly counts hold no words and stay).
        words = sum(con.execute(f"DELETE FROM {table} WHERE seq IN (SELECT seq FROM erasing)"
                                ).fetchone()[0] for table in ("search_words", "search_recent"))
        # Other posts that name them: our replies in their threads, and any post whose
        # indexed words include the handle.
        handle_words = sorted({w for _, a in found for w in tokens.words(a)})
        naming = con.execute(
            """
            SELECT m.id, m.seq, m.text, m.raw::VARCHAR, m.url FROM mentions m
            WHERE m.id NOT IN (SELECT id FROM erasing) AND (
                m.seq IN (SELECT seq FROM search_words WHERE word = ANY(?)
                          UNION SELECT seq FROM search_recent WHERE word = ANY(?))
                OR m.in_reply_to IN (SELECT id FROM erasing)
                OR (m.is_own AND m.conversation_id IN (SELECT conversation_id FROM erasing)))
            """, [handle_words, handle_words]).fetchall()
        named = 0
        for mention_id, seq, text, raw, url in naming:
            new = (scrub(text), scrub_raw(raw), scrub_raw(url))
            if new == (text, raw, url):
                continue
            named += 1
            con.execute("UPDATE mentions SET text = ?, raw = ?::JSON, url = ? WHERE id = ?",
                        [*new, mention_id])
            gone = sorted(set(tokens.words(text)) - set(tokens.words(new[0])))
            if seq is not None and gone:  # the handle's words, no longer in the post
                for table in ("search_words", "search_recent"):
                    con.execute(f"DELETE FROM {table} WHERE seq = ? AND word = ANY(?)",
                                [seq, gone])
        # Their posts, anonymised in place.
        for (source, author), name in names.items():
            con.execute("UPDATE mentions SET text = ?, url = NULL, raw = NULL, author = ? "
                        "WHERE id IN (SELECT id FROM erasing WHERE source = ? AND author = ?)",
                        [ERASED_TEXT, name, source, author])
        con.execute("UPDATE analysis SET complaint_cues = [] "
                    "WHERE mention_id IN (SELECT id FROM erasing)")
        case_ids = [r[0] for r in con.execute(
            "SELECT c.id FROM (SELECT unnest(?::VARCHAR[]) AS source, "
            "unnest(?::VARCHAR[]) AS author) h "
            "JOIN cases c ON c.source = h.source AND c.author = h.author",
            [sources, authors]).fetchall()]
        for handle, name in names.items():
            con.execute("UPDATE cases SET author = ?, waiting_cues = [] "
                        "WHERE source = ? AND author = ?", [name, *handle])
        # Our replies to them and the audit trail of their cases name them.
        replies = 0
        for row in con.execute(
                "SELECT id, reply_text, note, before_value, after_value FROM events "
                "WHERE case_id = ANY(?)", [case_ids]).fetchall():
            new = tuple(scrub(v) for v in row[1:])
            if new != row[1:]:
                replies += 1
                con.execute("UPDATE events SET reply_text = ?, note = ?, before_value = ?, "
                            "after_value = ? WHERE id = ?", [*new, row[0]])
        for row in con.execute("SELECT id, text FROM posted_replies WHERE mention_id IN "
                               "(SELECT id FROM erasing) OR mention_id IN (SELECT id FROM "
                               "mentions WHERE in_reply_to IN (SELECT id FROM erasing))"
                               ).fetchall():
            if scrub(row[1]) != row[1]:
                replies += 1
                con.execute("UPDATE posted_replies SET text = ? WHERE id = ?",
                            [scrub(row[1]), row[0]])
        elsewhere = _scrub_small_tables(con, found, scrub_raw)
        notes = con.execute("DELETE FROM customer_notes WHERE customer = ?",
                            [key]).fetchone()[0]
        links = con.execute("DELETE FROM customer_links WHERE customer = ?",
                            [key]).fetchone()[0]
        # The record's own history: kept (who linked, noted, exported when), without the
        # customer's name or what the notes said.
        con.execute("UPDATE customer_events SET customer = ?, detail = CASE WHEN action = "
                    "'note' THEN ? ELSE detail END WHERE customer = ?",
                    [pseudonym, ERASED_TEXT, key])
        for rowid, detail in con.execute("SELECT rowid, detail FROM customer_events "
                                         "WHERE detail IS NOT NULL").fetchall():
            if scrub(detail) != detail:
                con.execute("UPDATE customer_events SET detail = ? WHERE rowid = ?",
                            [scrub(detail), rowid])
        counts = {"handles": len(found), "posts": int(posts), "cases": len(case_ids),
                  "index_words": int(words), "posts_naming_them": named,
                  "replies_and_events": replies, "notes": int(notes),
                  "links": int(links), **elsewhere}
        _audit(con, actor, "erased", pseudonym, json.dumps(counts))
        con.execute("DROP TABLE erasing")
    counts["customer"] = pseudonym
    return counts


def _scrub_small_tables(con, found, scrub) -> dict[str, int]:
    """The handle where people typed or copied it: alert explanations (sample posts),
    alert notes, notification details, saved searches, raw items kept unread."""
    changed = {"alerts": 0, "saved_searches": 0, "other": 0}
    like = [f"%{_bare(a)}%" for _, a in found]

    def naming(column: str) -> str:  # the column holds one of the handles, any case
        # (both sides lowered by DuckDB: Python lowers "İ" and a closing "Σ" otherwise)
        return "(" + " OR ".join([f"lower({column}::VARCHAR) LIKE lower(?)"] * len(like)) + ")"
    for alert_id, text in con.execute(
            f"SELECT id, explanation::VARCHAR FROM alerts WHERE {naming('explanation')}",
            like).fetchall():
        cleaned = _clean_explanation(text, con, scrub)
        if cleaned != text:
            changed["alerts"] += 1
            con.execute("UPDATE alerts SET explanation = ?::JSON WHERE id = ?",
                        [cleaned, alert_id])
    for table, column, counter in (("saved_searches", "filters", "saved_searches"),
                                   ("alert_events", "note", "other"),
                                   ("notifications", "detail", "other"),
                                   ("unreadable_items", "raw", "other")):
        for rowid, text in con.execute(
                f"SELECT rowid, {column}::VARCHAR FROM {table} WHERE {naming(column)}",
                like).fetchall():
            if scrub(text) != text:
                changed[counter] += 1
                con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                            [scrub(text), rowid])
    return changed


def _clean_explanation(text: str, con, scrub) -> str:
    """An alert's explanation with the erased posts among its samples blanked."""
    try:
        data = json.loads(text)
    except ValueError:
        return scrub(text)
    erased = {r[0] for r in con.execute("SELECT id FROM erasing").fetchall()}

    def walk(node):
        if isinstance(node, dict):
            if node.get("id") in erased:
                node = {**node, "text": ERASED_TEXT, "author": None, "url": None}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return scrub(node)
    return json.dumps(walk(data), ensure_ascii=False)
