"""The demo team's past work: before the demo dashboard opens, the fictional Aerolume care team
answers, resolves and follows up most of the cases in the demo's history, so the Standards,
Team and Audit pages have something to show. Recent cases (the last `LEAVE_HOURS`) and a
backlog of older ones are left for the person trying the demo.

The work goes through the same actions agents use (`clamor.actions`), at past times, by the
people in the demo config; the choices are drawn from a random generator seeded with each
case's id, so every demo database gets the same history. Used only by `clamor run --demo`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from importlib import resources

from clamor import actions, queries, standards, template_editing, templates
from clamor.config import Config, Person
from clamor.store import Store

LEAVE_HOURS = 12          # cases younger than this are left for the visitor
DEMO_PASSWORD = "aerolume-demo"  # every demo user's; shown on the demo's sign-in page
DEMO_ANALYST = "Ana Lytic"
DEMO_ADMIN = "Admin"
BACKLOG_SHARE = 0.18      # older cases nobody got to
# Kept with the demo stream's own cursor, so the history is worked once per database.
MARKER = ("demo", "desk history")


def create_users(store: Store, config: Config) -> int:
    """The demo's users: each person of the demo config with their role, an analyst and an
    admin, all with DEMO_PASSWORD; returns how many were added. Only the missing ones are
    added: the desk's history is worked as its people, and every action checks its actor is
    a user whose role allows it."""
    from clamor import auth

    have = {name for name, _, _ in auth.users(store)}
    people = [(p.name, p.role) for p in config.people]
    missing = [(name, role) for name, role in
               [*people, (DEMO_ANALYST, "analyst"), (DEMO_ADMIN, "admin")] if name not in have]
    for name, role in missing:
        auth.add_user(store, name, role, DEMO_PASSWORD)
    return len(missing)


def load_knowledge(store: Store) -> int:
    """The demo's FAQ (clamor/demo/knowledge.md) into an empty knowledge base; returns how
    many entries were added."""
    from clamor import knowledge

    if knowledge.entries(store):
        return 0
    text = resources.files("clamor.demo").joinpath("knowledge.md").read_text(encoding="utf-8")
    found, problems = knowledge.read_markdown(text)
    if problems:  # the shipped file is checked by the tests; say so loudly if it breaks
        raise knowledge.KnowledgeError("clamor/demo/knowledge.md: " + "; ".join(problems[:3]))
    return knowledge.save(store, found, actor="demo")[0]


def already_done(store: Store) -> bool:
    return store.get_cursor(*MARKER) is not None


def work_history(store: Store, config: Config, now: dt.datetime) -> int:
    """Work the demo history's older cases; returns how many were touched (0 if done before)."""
    if already_done(store) or not config.people:
        return 0
    library = template_editing.merged_library(queries.template_edits(store))
    cutoff = now - dt.timedelta(hours=LEAVE_HOURS)
    cases = queries.case_measures(store, until=cutoff)
    cases = cases[cases["status"] == "new"]
    touched = 0
    for row in cases.itertuples():
        rng = random.Random(row.id)
        if rng.random() < BACKLOG_SHARE:
            continue
        if _work(store, config, library, row, rng, now):
            touched += 1
    with store.transaction() as con:
        con.execute("INSERT INTO cursors VALUES (?, ?, ?, ?)", [*MARKER, str(touched), now])
    return touched


def _work(store: Store, config: Config, library: templates.Library, case, rng: random.Random,
          now: dt.datetime) -> bool:
    mention = queries.mention(store, _newest_message(store, case.id))
    lang = case.lang if isinstance(case.lang, str) else "en"
    agent = _agent_for(config, case, lang, rng)
    team = config.team(agent.team)
    clock = standards.clock(config, team.name) if team else standards.clock(config, "24/7")
    opened = case.opened_at.to_pydatetime()
    # Most complaints are answered within the hour of the team's clock; a tail waits longer.
    median = 25 if case.complaint else 75
    delay = min(rng.lognormvariate(math.log(median), 0.9), 60 * 24)
    answered = clock.add(opened, delay)
    if answered >= now:
        return False
    if not case.complaint and rng.random() < 0.12:
        actions.ignore(store, mention["id"], actor=agent.name,
                       reason=rng.choice(("no reply needed", "not about us")), at=answered)
        return True
    if case.owner is None or (isinstance(case.owner, float) and math.isnan(case.owner)):
        actions.assign(store, config, [case.id], actor=agent.name, owner=agent.name,
                       at=opened + (answered - opened) / 2)
    template = rng.choice(library.by_category(lang, "acknowledge"))
    eta = library.eta_choices(template.lang).get("2h", "")
    text = templates.fill(template, author=mention["author"], agent=agent.name.split()[0],
                          eta=eta, case=case.id)
    actions.respond(store, mention["id"], actor=agent.name, reply_text=text,
                    template_id=template.id, at=answered, lang=template.lang)
    work = rng.lognormvariate(math.log(240 if case.complaint else 20), 0.8)
    resolved = answered + dt.timedelta(minutes=work)
    if resolved >= now or rng.random() < 0.15:
        return True  # still being worked on
    actions.resolve(store, config, case.id, actor=agent.name, at=resolved,
                    note="solved" if case.complaint else "answered")
    followed = resolved + dt.timedelta(hours=config.cases.follow_up_hours,
                                       minutes=rng.uniform(0, 90))
    if followed >= now:
        return True
    follow = rng.choice(library.by_category(lang, "follow_up"))
    actions.follow_up(store, case.id, actor=agent.name, template_id=follow.id, at=followed,
                      reply_text=templates.fill(follow, author=mention["author"],
                                                agent=agent.name.split()[0], eta="",
                                                case=case.id))
    if rng.random() < 0.55:  # about half the customers answer the survey
        answer_at = min(followed + dt.timedelta(minutes=rng.uniform(5, 300)), now)
        slow = delay > 60
        score = rng.choices((5, 4, 3, 2, 1), (3, 4, 2, 1, 1) if slow else (7, 4, 1, 0.5, 0.3))[0]
        actions.record_survey(store, case.id, "csat", score, actor=agent.name,
                              answered_at=answer_at, at=answer_at)
        if rng.random() < 0.5:
            nps = min(10, max(0, score * 2 + rng.choice((-1, 0, 0, 1))))
            actions.record_survey(store, case.id, "nps", nps, actor=agent.name,
                                  answered_at=answer_at, at=answer_at)
    return True


def _newest_message(store: Store, case_id: str) -> str:
    rows = store.query_rows(
        "SELECT f.mention_id FROM case_mentions f JOIN mentions m ON m.id = f.mention_id "
        "WHERE f.case_id = ? AND f.role = 'customer' ORDER BY m.created_at DESC LIMIT 1",
        [case_id])
    return rows[0][0]


def _agent_for(config: Config, case, lang: str, rng: random.Random) -> Person:
    """The case's owner if it has one, else an agent of its team (or anyone) who writes it."""
    owner = config.person(case.owner) if isinstance(case.owner, str) else None
    if owner:
        return owner
    agents = [p for p in config.people if p.role == "agent"]
    fitting = [p for p in agents if (not case.team or p.team == case.team)
               and (not p.languages or lang in p.languages)]
    return rng.choice(fitting or agents or list(config.people))
