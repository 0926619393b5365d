"""What agents do to a mention, recorded as events: who did what, when.

Every action opens the mention's case if it has none, appends an event (the audit log; first
response and resolution times are derived from it) and moves the case to its new status, in
one transaction. Events are never updated or deleted.
"""

from __future__ import annotations

import datetime as dt
from clamor.store import Store, utcnow
from collectors.base import Poster  # (native id, text, dry_run) -> {"platform_id"} or
#                                     {"would_send"} for a dry run

RESPONDED = "responded"
IGNORED = "ignored"
IGNORE_REASONS = ("spam", "not about us", "no reply needed", "duplicate")


class ActionRefused(Exception):
    """The action cannot be done; the message says why."""


def _case_for(con, mention_id: str, now: dt.datetime) -> str:
    row = con.execute("SELECT id FROM cases WHERE mention_id = ?", [mention_id]).fetchone()
    if row:
        return row[0]
    exists = con.execute("SELECT is_own FROM mentions WHERE id = ?", [mention_id]).fetchone()
    if exists is None:
        raise ActionRefused(f"there is no mention {mention_id}")
    if exists[0]:
        raise ActionRefused("this post is one of the company's own; there is nothing to answer")
    number = con.execute("SELECT nextval('case_number')").fetchone()[0]
    case_id = f"C-{number}"
    con.execute("INSERT INTO cases VALUES (?, ?, 'new', ?)", [case_id, mention_id, now])
    return case_id


def case_id(store: Store, mention_id: str) -> str:
    """The case reference for a mention ({case} in templates), opening the case if needed."""
    with store.transaction() as con:
        return _case_for(con, mention_id, utcnow())


def _record(store: Store, mention_id: str, *, kind: str, status: str, actor: str,
            at: dt.datetime | None, template_id: str | None = None,
            reply_text: str | None = None, note: str | None = None) -> str:
    """Append the event and move the case to `status`, in one transaction; returns the case."""
    at = at or utcnow()
    with store.transaction() as con:
        case = _case_for(con, mention_id, at)
        con.execute(
            "INSERT INTO events (case_id, mention_id, kind, actor, happened_at, template_id, "
            "reply_text, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [case, mention_id, kind, actor.strip(), at, template_id, reply_text, note],
        )
        con.execute("UPDATE cases SET status = ? WHERE id = ?", [status, case])
    return case


def respond(store: Store, mention_id: str, *, actor: str, reply_text: str,
            template_id: str | None = None, at: dt.datetime | None = None) -> str:
    """Record that `actor` answered the mention (a holding reply counts); returns the case."""
    if not actor.strip():
        raise ActionRefused("say who you are (your name) before answering")
    if not reply_text.strip():
        raise ActionRefused("the reply is empty")
    return _record(store, mention_id, kind=RESPONDED, status="acknowledged", actor=actor,
                   at=at, template_id=template_id, reply_text=reply_text)


def ignore(store: Store, mention_id: str, *, actor: str, reason: str,
           at: dt.datetime | None = None) -> str:
    """Record that `actor` decided the mention needs no answer, and why; returns the case."""
    if not actor.strip():
        raise ActionRefused("say who you are (your name) before ignoring a mention")
    if not reason.strip():
        raise ActionRefused("say why this mention needs no answer")
    return _record(store, mention_id, kind=IGNORED, status="ignored", actor=actor, at=at,
                   note=reason.strip())


def post_reply(store: Store, mention_id: str, *, actor: str, text: str, poster: Poster,
               dry_run: bool, template_id: str | None = None) -> dict:
    """Send (or, with `dry_run`, show exactly what would be sent) a reply on the platform.

    Every attempt is audited in posted_replies. A sent reply is also the agent's response
    (a `responded` event noting the platform's id); a failure is recorded and re-raised as
    ActionRefused with the platform's reason.
    """
    if not actor.strip():
        raise ActionRefused("say who you are (your name) before posting")
    if not text.strip():
        raise ActionRefused("the reply is empty")
    row = store.query_rows("SELECT source, native_id, is_own FROM mentions WHERE id = ?",
                           [mention_id])
    if not row:
        raise ActionRefused(f"there is no mention {mention_id}")
    source, native_id, own = row[0]
    if own:
        raise ActionRefused("this post is one of the company's own; there is nothing to answer")
    try:
        outcome = poster(native_id, text, dry_run)
    except Exception as exc:  # the platform's refusal, in its words, for the agent
        _audit(store, mention_id, source, actor, text, dry_run, None, f"failed: {exc}")
        raise ActionRefused(f"{source} did not take the reply: {exc}") from None
    if dry_run:
        _audit(store, mention_id, source, actor, text, True, None, "dry run")
        return outcome
    platform_id = str(outcome.get("platform_id", ""))
    _audit(store, mention_id, source, actor, text, False, platform_id, "sent")
    _record(store, mention_id, kind=RESPONDED, status="acknowledged", actor=actor, at=None,
            template_id=template_id, reply_text=text, note=f"posted on {source} as {platform_id}")
    return outcome


def _audit(store: Store, mention_id: str, source: str, actor: str, text: str, dry_run: bool,
           platform_id: str | None, outcome: str) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO posted_replies (mention_id, source, actor, posted_at, text, dry_run, "
            "platform_id, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [mention_id, source, actor.strip(), utcnow(), text, dry_run, platform_id, outcome],
        )
