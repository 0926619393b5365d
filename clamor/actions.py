"""What agents and managers do to cases, recorded as events: who did what, when, and what it
changed (before → after). Events are the audit log and are never updated or deleted; first
response and resolution times are derived from them.

Every action runs in one transaction: check the actor's role (clamor.auth.permit) and the
case's state, change it, append the event. A refused action raises `ActionRefused` with a
sentence for the agent.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from clamor import auth, cases, tone
from clamor.config import Config
from clamor.store import Store, take_numbers, utcnow
from collectors.base import Poster  # (native id, text, dry_run) -> {"platform_id"} or
#                                     {"would_send"} for a dry run

IGNORE_REASONS = ("spam", "not about us", "no reply needed", "duplicate")
SURVEY_SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
SURVEY_NAMES = {"csat": "CSAT (1-5)", "nps": "NPS (0-10)", "ces": "CES (1-7)"}
# What an agent may move a case to by hand (resolve, ignore and reopen have their own action).
WORK_STATUSES = ("in_progress", "waiting_on_customer")


class ActionRefused(Exception):
    """The action cannot be done; the message says why."""


# -- the case a mention belongs to ---------------------------------------------------------

def _case_of_mention(con, mention_id: str, now: dt.datetime) -> str:
    row = con.execute("SELECT case_id FROM case_mentions WHERE mention_id = ? "
                      "AND role = 'customer'", [mention_id]).fetchone()
    if row and row[0]:
        return row[0]
    found = con.execute("SELECT is_own, source, author, coalesce(conversation_id, id), "
                        "created_at, seq FROM mentions WHERE id = ?", [mention_id]).fetchone()
    if found is None:
        raise ActionRefused(f"there is no mention {mention_id}")
    own, source, author, conversation, created, seq = found
    if own:
        raise ActionRefused("this post is one of the company's own; there is nothing to answer")
    # Not filed yet (analysis has not reached it), or filed under no case (a post naming only
    # competitors): it gets a case of its own now, the agent's choice, and the filing pass
    # will skip it.
    con.execute("DELETE FROM case_mentions WHERE mention_id = ? AND case_id IS NULL",
                [mention_id])
    con.execute("DELETE FROM filing_queue WHERE mention_id = ?", [mention_id])
    case = f"C-{take_numbers(con, 'case_number')[0]}"
    con.execute(
        "INSERT INTO cases (id, mention_id, source, author, conversation_id, status, "
        "opened_at, last_customer_at, messages, waiting_cues, waiting_kinds) "
        "VALUES (?, ?, ?, ?, ?, 'new', ?, ?, 1, [], [])",
        [case, mention_id, source, author, conversation, created, created])
    con.execute("INSERT INTO case_mentions (mention_id, case_id, role, seq) "
                "VALUES (?, ?, 'customer', ?)", [mention_id, case, seq])
    cases.refresh_waiting(con, [case])
    cases.refresh_complaint_times(con, [case])  # analysed before: filing will not see it
    _event(con, case, mention_id, "opened", cases.SYSTEM, created, after="new")
    return case


def case_id(store: Store, mention_id: str) -> str:
    """The case reference for a mention ({case} in templates), opening the case if needed."""
    with store.transaction() as con:
        return _case_of_mention(con, mention_id, utcnow())


def _load(con, case: str) -> dict:
    row = con.execute(
        "SELECT id, mention_id, status, owner, team, escalated_to, due_at, resolved_at, "
        "follow_up_at, followed_up_at, last_customer_at FROM cases WHERE id = ?",
        [case]).fetchone()
    if row is None:
        raise ActionRefused(f"there is no case {case}")
    keys = ("id", "mention_id", "status", "owner", "team", "escalated_to", "due_at",
            "resolved_at", "follow_up_at", "followed_up_at", "last_customer_at")
    return dict(zip(keys, row, strict=True))


def _event(con, case: str, mention_id: str, kind: str, actor: str, at: dt.datetime, *,
           before: str | None = None, after: str | None = None, template_id: str | None = None,
           reply_text: str | None = None, note: str | None = None) -> None:
    con.execute(
        "INSERT INTO events (id, case_id, mention_id, kind, actor, happened_at, template_id, "
        "reply_text, note, before_value, after_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [take_numbers(con, "events_id")[0], case, mention_id, kind, actor, at, template_id,
         reply_text, note, before, after])


def _who(actor: str, doing: str) -> str:
    if not actor or not actor.strip():
        raise ActionRefused(f"say who you are (your name) before {doing}")
    return actor.strip()


def _permit(con, actor: str, action: str) -> None:
    try:
        auth.permit(con, actor, action)
    except auth.NotPermitted as exc:
        raise ActionRefused(str(exc)) from None


def _set_status(con, case: dict, status: str) -> None:
    con.execute("UPDATE cases SET status = ? WHERE id = ?", [status, case["id"]])


def _require_open(case: dict, doing: str) -> None:
    if case["status"] in cases.CLOSED_STATUSES:
        raise ActionRefused(f"case {case['id']} is {case['status']}; reopen it before {doing}")


# -- answering -----------------------------------------------------------------------------

def respond(store: Store, mention_id: str, *, actor: str, reply_text: str,
            template_id: str | None = None, at: dt.datetime | None = None,
            lang: str | None = None, note: str | None = None) -> str:
    """Record that `actor` answered the mention (a holding reply counts); returns the case.

    A reply that promises a time ("within 2 hours") sets the case's due time to then.
    """
    actor = _who(actor, "answering")
    if not reply_text.strip():
        raise ActionRefused("the reply is empty")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "respond")
        case = _load(con, _case_of_mention(con, mention_id, at))
        _require_open(case, "answering")
        _event(con, case["id"], mention_id, "responded", actor, at, template_id=template_id,
               reply_text=reply_text, note=note)
        if case["status"] == "new":
            _set_status(con, case, "acknowledged")
            _event(con, case["id"], mention_id, "status", actor, at, before="new",
                   after="acknowledged")
        minutes = tone.promised_minutes(reply_text, lang)
        if minutes is not None:
            due = at + dt.timedelta(minutes=minutes)
            con.execute("UPDATE cases SET due_at = ? WHERE id = ?", [due, case["id"]])
            _event(con, case["id"], mention_id, "promised", actor, at,
                   before=_iso(case["due_at"]), after=_iso(due),
                   note=f"the reply promises an answer within {_duration(minutes)}")
        cases.refresh_response_times(con, [case["id"]])
    return case["id"]


def post_reply(store: Store, mention_id: str, *, actor: str, text: str, poster: Poster,
               dry_run: bool, template_id: str | None = None, lang: str | None = None) -> dict:
    """Send (or, with `dry_run`, show exactly what would be sent) a reply on the platform.

    Every attempt is audited in posted_replies. A sent reply is also the agent's response;
    a failure is recorded and re-raised as ActionRefused with the platform's reason.
    """
    actor = _who(actor, "posting")
    if not text.strip():
        raise ActionRefused("the reply is empty")
    with store.transaction() as con:  # before anything reaches the platform
        _permit(con, actor, "post_reply")
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
        _audit_post(store, mention_id, source, actor, text, dry_run, None, f"failed: {exc}")
        raise ActionRefused(f"{source} did not take the reply: {exc}") from None
    if dry_run:
        _audit_post(store, mention_id, source, actor, text, True, None, "dry run")
        return outcome
    platform_id = str(outcome.get("platform_id", ""))
    _audit_post(store, mention_id, source, actor, text, False, platform_id, "sent")
    respond(store, mention_id, actor=actor, reply_text=text, template_id=template_id,
            lang=lang, note=f"posted on {source} as {platform_id}")
    return outcome


def _audit_post(store: Store, mention_id: str, source: str, actor: str, text: str,
                dry_run: bool, platform_id: str | None, outcome: str) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT INTO posted_replies (id, mention_id, source, actor, posted_at, text, "
            "dry_run, platform_id, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [take_numbers(con, "posted_replies_id")[0], mention_id, source, actor, utcnow(),
             text, dry_run, platform_id, outcome],
        )


# -- moving a case along -------------------------------------------------------------------

def ignore(store: Store, mention_id: str, *, actor: str, reason: str,
           at: dt.datetime | None = None) -> str:
    """`actor` decided the mention's case needs no answer, and why; returns the case."""
    actor = _who(actor, "ignoring a mention")
    if not reason.strip():
        raise ActionRefused("say why this mention needs no answer")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "ignore")
        case = _load(con, _case_of_mention(con, mention_id, at))
        _ignore(con, case, actor, reason.strip(), at)
    return case["id"]


def _ignore(con, case: dict, actor: str, reason: str, at: dt.datetime) -> None:
    _require_open(case, "ignoring it")
    _set_status(con, case, "ignored")
    con.execute("UPDATE cases SET due_at = NULL WHERE id = ?", [case["id"]])
    _event(con, case["id"], case["mention_id"], "ignored", actor, at, before=case["status"],
           after="ignored", note=reason)


def ignore_cases(store: Store, case_ids: Iterable[str], *, actor: str, reason: str,
                 at: dt.datetime | None = None) -> int:
    """Bulk ignore (spam waves): all or nothing; returns how many cases."""
    actor = _who(actor, "ignoring")
    if not reason.strip():
        raise ActionRefused("say why these need no answer")
    at = at or utcnow()
    ids = list(dict.fromkeys(case_ids))
    with store.transaction() as con:
        _permit(con, actor, "ignore")
        for case_ref in ids:
            _ignore(con, _load(con, case_ref), actor, reason.strip(), at)
    return len(ids)


def set_status(store: Store, case_ref: str, status: str, *, actor: str,
               at: dt.datetime | None = None) -> None:
    """Move an open case to in progress or waiting on customer."""
    actor = _who(actor, "changing a case")
    if status not in WORK_STATUSES:
        raise ActionRefused(f"a case can be set to {' or '.join(WORK_STATUSES)} here; "
                            "use resolve, ignore or reopen for the others")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "set_status")
        case = _load(con, case_ref)
        _require_open(case, "changing its status")
        if case["status"] == status:
            return
        _set_status(con, case, status)
        _event(con, case["id"], case["mention_id"], "status", actor, at, before=case["status"],
               after=status)


def assign(store: Store, config: Config, case_refs: Iterable[str], *, actor: str,
           owner: str | None = None, team: str | None = None,
           at: dt.datetime | None = None) -> int:
    """Give cases to one owner (a person) and/or a team; one or many at once."""
    actor = _who(actor, "assigning")
    if not owner and not team:
        raise ActionRefused("choose a person or a team to assign to")
    person = config.person(owner) if owner else None
    if owner and config.people and person is None:
        raise ActionRefused(f"nobody named {owner} is in the config's [[people]]")
    if team and config.teams and config.team(team) is None:
        raise ActionRefused(f"there is no team named {team}")
    team = team or (person.team if person else None)
    at = at or utcnow()
    ids = list(dict.fromkeys(case_refs))
    with store.transaction() as con:
        _permit(con, actor, "assign")
        for ref in ids:
            case = _load(con, ref)
            _require_open(case, "assigning it")
            con.execute("UPDATE cases SET owner = ?, team = ? WHERE id = ?",
                        [owner, team, case["id"]])
            _event(con, case["id"], case["mention_id"], "assigned", actor, at,
                   before=cases.owner_label(case["owner"], case["team"]),
                   after=cases.owner_label(owner, team))
    return len(ids)


def authorised_people(config: Config) -> tuple[str, ...]:
    """Who cases can be escalated to: managers and anyone authorised to decide something."""
    return tuple(p.name for p in config.people if p.role == "manager" or p.authorised_for)


def escalate(store: Store, config: Config, case_ref: str, *, actor: str, to: str,
             reason: str, at: dt.datetime | None = None) -> None:
    """Hand the case to a named person authorised to solve it; they become its owner."""
    actor = _who(actor, "escalating")
    if not reason.strip():
        raise ActionRefused("say why the case needs escalating (what must be decided)")
    person = config.person(to)
    if person is None or to not in authorised_people(config):
        names = ", ".join(authorised_people(config)) or "nobody (add managers to [[people]])"
        raise ActionRefused(f"{to} cannot take escalations; authorised: {names}")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "escalate")
        case = _load(con, case_ref)
        _require_open(case, "escalating it")
        con.execute("UPDATE cases SET owner = ?, team = ?, escalated_to = ? WHERE id = ?",
                    [to, person.team or case["team"], to, case["id"]])
        _event(con, case["id"], case["mention_id"], "escalated", actor, at,
               before=cases.owner_label(case["owner"], case["team"]),
               after=cases.owner_label(to, person.team or case["team"]), note=reason.strip())


def resolve(store: Store, config: Config, case_ref: str, *, actor: str, note: str = "",
            at: dt.datetime | None = None) -> dt.datetime:
    """Close the case as solved and schedule its follow-up; returns when the follow-up is due."""
    actor = _who(actor, "resolving")
    at = at or utcnow()
    follow_up = at + dt.timedelta(hours=config.cases.follow_up_hours)
    with store.transaction() as con:
        _permit(con, actor, "resolve")
        case = _load(con, case_ref)
        _require_open(case, "resolving it")
        con.execute("UPDATE cases SET status = 'resolved', resolved_at = ?, due_at = NULL, "
                    "follow_up_at = ?, followed_up_at = NULL WHERE id = ?",
                    [at, follow_up, case["id"]])
        _event(con, case["id"], case["mention_id"], "resolved", actor, at,
               before=case["status"], after="resolved", note=note.strip() or None)
    return follow_up


def follow_up(store: Store, case_ref: str, *, actor: str, reply_text: str,
              template_id: str | None = None, at: dt.datetime | None = None) -> None:
    """Record the follow-up message (with its survey question) sent after resolution."""
    actor = _who(actor, "following up")
    if not reply_text.strip():
        raise ActionRefused("the follow-up message is empty")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "follow_up")
        case = _load(con, case_ref)
        if case["status"] != "resolved" or case["follow_up_at"] is None:
            raise ActionRefused(f"case {case['id']} is not resolved; a follow-up comes after "
                                "resolution")
        if case["followed_up_at"] is not None:
            raise ActionRefused(f"case {case['id']} was already followed up")
        con.execute("UPDATE cases SET followed_up_at = ? WHERE id = ?", [at, case["id"]])
        _event(con, case["id"], case["mention_id"], "followed_up", actor, at,
               template_id=template_id, reply_text=reply_text)


def reopen(store: Store, case_ref: str, *, actor: str, reason: str,
           at: dt.datetime | None = None) -> None:
    actor = _who(actor, "reopening")
    if not reason.strip():
        raise ActionRefused("say why the case is reopened")
    at = at or utcnow()
    with store.transaction() as con:
        _permit(con, actor, "reopen")
        case = _load(con, case_ref)
        if case["status"] not in cases.CLOSED_STATUSES:
            raise ActionRefused(f"case {case['id']} is still open")
        con.execute("UPDATE cases SET status = 'new', resolved_at = NULL, follow_up_at = NULL, "
                    "reopened = reopened + 1 WHERE id = ?", [case["id"]])
        _event(con, case["id"], case["mention_id"], "reopened", actor, at,
               before=case["status"], after="new", note=reason.strip())


# -- surveys -------------------------------------------------------------------------------

def record_survey(store: Store, case_ref: str, kind: str, score: int, *, actor: str,
                  answered_at: dt.datetime | None = None,
                  at: dt.datetime | None = None) -> None:
    """A customer's survey answer for a case (CSAT 1-5, NPS 0-10, CES 1-7)."""
    actor = _who(actor, "recording a survey answer")
    with store.transaction() as con:
        _permit(con, actor, "record_survey")
        _record_survey(con, case_ref, kind, score, actor, answered_at, at or utcnow())


def _record_survey(con, case_ref: str, kind: str, score: int, actor: str,
                   answered_at: dt.datetime | None, now: dt.datetime) -> None:
    kind = kind.strip().lower()
    if kind not in SURVEY_SCALES:
        raise ActionRefused(f"unknown survey {kind!r}; use csat, nps or ces")
    low, high = SURVEY_SCALES[kind]
    if not isinstance(score, int) or not low <= score <= high:
        raise ActionRefused(f"a {kind.upper()} answer is a whole number from {low} to {high}")
    case = _load(con, case_ref)
    con.execute("INSERT INTO surveys (id, case_id, kind, score, answered_at, recorded_by, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [take_numbers(con, "surveys_id")[0], case["id"], kind, score,
                 answered_at or now, actor, now])
    _event(con, case["id"], case["mention_id"], "survey", actor, now, after=f"{kind} {score}")


def import_surveys(store: Store, path: str | Path, *,
                   by: str | None = None) -> tuple[int, list[str]]:
    """Survey answers from a CSV with columns case, kind, score and optionally answered_at
    (ISO 8601). Good rows are recorded; each bad row is reported by line and skipped.
    Returns (recorded, problems).

    The answers are recorded as "import: <file name>". `by` is the dashboard user importing,
    whose role is checked; the command line passes none (it runs as whoever holds the
    database file).
    """
    path = Path(path)
    if by is not None:
        with store.transaction() as con:
            _permit(con, _who(by, "importing survey answers"), "import_surveys")
    actor = f"import: {path.name}"
    recorded, problems = 0, []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionRefused(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    rows = csv.DictReader(text.splitlines())
    missing = {"case", "kind", "score"} - set(rows.fieldnames or ())
    if missing:
        raise ActionRefused(f"{path}: the header needs the columns case, kind, score "
                            f"(missing {', '.join(sorted(missing))})")
    for line, row in enumerate(rows, start=2):
        try:
            answered = row.get("answered_at") or None
            at = dt.datetime.fromisoformat(answered) if answered else None
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=dt.timezone.utc)
            with store.transaction() as con:
                _record_survey(con, (row["case"] or "").strip(), row["kind"] or "",
                               int((row["score"] or "").strip()), actor, at, utcnow())
            recorded += 1
        except (ActionRefused, ValueError) as exc:
            problems.append(f"line {line}: {exc}")
    return recorded, problems


# -- templates -----------------------------------------------------------------------------

def edit_template(store: Store, *, actor: str, template_id: str, lang: str, category: str,
                  title: str, text: str, before_text: str | None) -> None:
    """A manager's change to a reply template (empty text deletes it); kept with the old text."""
    actor = _who(actor, "editing a template")
    if not template_id.strip() or not title.strip():
        raise ActionRefused("a template needs an id and a title")
    with store.transaction() as con:
        _permit(con, actor, "edit_template")
        con.execute(
            "INSERT INTO template_edits (id, template_id, lang, category, title, text, "
            "edited_by, edited_at, before_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [take_numbers(con, "template_edits_id")[0], template_id.strip(), lang, category,
             title.strip(), text.strip(), actor, utcnow(), before_text])


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.timezone.utc).isoformat()


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
