"""The case panel beside the inbox: the conversation, a reply composed from a template with a
tone check and the promise it makes, and the moves an agent makes on the case (assign,
escalate, status, resolve, ignore, follow up, survey), each audited.

Mention text and author names are shown only with `st.text`; nothing here renders them.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from clamor import (actions, cases, customers, knowledge, queries, sources, standards,
                    template_editing, templates, tone, ui)
from clamor.config import Config
from clamor.store import Store, utcnow


def close() -> None:
    st.session_state["open_mention"] = None


def act(action, done: str, *, keep_open: bool = False) -> None:
    """Run an agent's action: on success say so (and close the panel unless asked not to),
    else say why not."""
    try:
        action()
    except actions.ActionRefused as exc:
        st.error(ui.sentence(exc))
        return
    if not keep_open:
        close()
    st.session_state["done"] = done
    st.rerun()


def library(store: Store) -> templates.Library:
    """The library agents answer from: the bundled templates with the managers' edits."""
    return template_editing.merged_library(queries.template_edits(store))


def panel(store: Store, config: Config, mention_id: str, agent: str) -> None:
    mention = queries.mention(store, mention_id)
    if mention is None:
        st.warning("That mention is no longer in the database.")
        return
    case_ref = mention["case_id"] if isinstance(mention["case_id"], str) else \
        actions.case_id(store, mention_id)
    case = queries.case(store, case_ref)
    header = st.container(horizontal=True)
    with header:
        st.subheader(f"Case {case_ref}")
        # No Esc shortcut: Streamlit fires it even while a dropdown or a text box has the
        # key, so an agent dismissing the template list with Esc lost the whole case.
        st.button("Close", key="close-panel", on_click=close, help="Close the case panel")
    _changed_meanwhile(store, case_ref, agent)
    _summary(store, config, case)

    st.caption("Conversation")
    conversation = queries.thread(store, mention_id)
    for msg in conversation.itertuples():
        with st.container(border=True):
            who = ui.isolate(msg.author or "unknown") + ("  (our account)" if msg.is_own else "")
            st.text(f"{who} · {ui.local_time(msg.created_at)}"
                    + ("  ◀ this one" if msg.id == mention_id else ""))
            st.text(ui.clipped(msg.text), text_alignment=ui.alignment(msg.lang))

    lang = mention["lang"] if isinstance(mention["lang"], str) else None
    if case["status"] == "resolved":
        _follow_up(store, case, mention, lang, agent)
    elif case["status"] == "ignored":
        st.info("This case was ignored. Reopen it to answer.")
        _reopen(store, case, agent)
    else:
        earlier = [m.text for m in conversation.itertuples()  # the customer's, before this
                   if not m.is_own and m.id != mention_id and m.created_at <= mention["created_at"]]
        _compose(store, config, case, mention, lang, agent, earlier)
        _moves(store, config, case, agent)
    # Drawn only while open: two tables on every draw of the panel cost more in the agent's
    # browser than the rest of the panel.
    history = st.expander("Case history (audit)", key="case-history", on_change="rerun")
    with history:
        if history.open:
            log = queries.case_events(store, case_ref)
            st.dataframe(log, hide_index=True, width="stretch")
            surveys = queries.case_surveys(store, case_ref)
            if not surveys.empty:
                st.dataframe(surveys, hide_index=True, width="stretch")


# What an event did, as the notice below says it.
_DID = {"assigned": "assigned", "escalated": "escalated", "followed_up": "followed up",
        "ignored": "ignored", "promised": "answered", "reopened": "reopened",
        "resolved": "resolved", "responded": "answered", "status": "changed the status of",
        "survey": "recorded a survey answer on"}


def _changed_meanwhile(store: Store, case_ref: str, agent: str) -> None:
    """Say so when someone else changed the case while this agent had it open (on this
    dashboard or another replica): what they did is below, and an action the agent meant
    for the old state did not happen. One notice per change."""
    latest = queries.latest_event(store, case_ref)
    seen = st.session_state.setdefault("case_seen", {})
    before = seen.get(case_ref)
    seen[case_ref] = latest["id"] if latest else None
    if before is None or latest is None or latest["id"] == before or latest["actor"] == agent:
        return
    who = "The customer's new message" if latest["kind"] == "reopened" and \
        latest["actor"] == cases.SYSTEM else latest["actor"]
    st.warning(f"{ui.escape_markdown(who)} {_DID.get(latest['kind'], latest['kind'])} this case at "
               f"{ui.local_time(latest['happened_at'])} while you had it open; this is how "
               "it stands now.", icon=":material/sync:")


def _summary(store: Store, config: Config, case: dict) -> None:
    bits = [cases.STATUS_NAMES.get(case["status"], case["status"]),
            f"owner: {cases.owner_label(case['owner'], case['team'])}"]
    if case["escalated_to"]:
        bits.append(f"escalated to {case['escalated_to']}")
    if case["messages"] and case["messages"] > 1:
        bits.append(f"{case['messages']} customer messages")
    if case["reopened"]:
        bits.append(f"reopened {case['reopened']}×")
    now = utcnow()
    customer = customers.summary(store, customers.customer_key(
        store, case["source"], case["author"]), now) if case["author"] else None
    if customer and (repeat := customers.repeat_text(customer["complaints_this_week"])):
        bits.append(repeat)
    st.text(" · ".join(bits))
    if case["due_at"] is not None:
        left = (case["due_at"] - now).total_seconds() / 60
        st.text(f"Promised: an answer by {ui.local_time(case['due_at'])} — "
                + ui.time_left(left).replace("late by", "overdue by"))
    waiting = queries.waiting_for(store, case["id"])
    if not waiting.empty:
        timer = standards.due(config, waiting, now).iloc[0]
        if not pd.isna(timer["due_at"]):
            st.text(f"Next response due {ui.local_time(timer['due_at'])} under "
                    f"“{timer['standard']}”: {ui.time_left(timer['minutes_left'])}")
    if customer:
        _customer(customer)


def _customer(found: dict) -> None:
    """The customer at a glance (all their linked handles), and the way to their history."""
    with st.expander(f"Customer · {found['cases']} case{'s' if found['cases'] != 1 else ''}"):
        # Handles and notes are the customer's and agents' words: plain text only.
        st.text(" · ".join(f"{ui.isolate(a)} on {s}" for s, a in found["handles"]))
        facts = ["languages: " + (", ".join(map(ui.language_name, found["languages"]))
                                  or "unknown"),
                 f"complaints this week: {found['complaints_this_week']}"]
        if found["last_survey"]:
            facts.append("last " + ", ".join(f"{k.upper()} {v}" for k, v in
                                              sorted(found["last_survey"].items())))
        if found["open_promises"]:
            facts.append(f"open promises: {found['open_promises']}")
        st.text(" · ".join(facts))
        for note in found["notes"].itertuples():
            st.text(f"Note · {note.written_by}, {ui.local_time(note.written_at)}: {note.note}")
        if st.button("Customer history", key="customer-history",
                     icon=":material/person_search:"):
            st.session_state["customer_key"] = found["key"]
            st.switch_page("pages/customer.py")


def _compose(store: Store, config: Config, case: dict, mention: dict, lang: str | None,
             agent: str, thread: list[str]) -> None:
    mention_id = mention["id"]
    answer = _suggestions(store, mention, lang, thread)
    lib = library(store)
    needed, why = templates.needed_category(case)
    category = st.segmented_control(
        "Reply", templates.CATEGORIES, default=needed,
        format_func=lambda c: templates.CATEGORY_NAMES[c], key=f"cat-{mention_id}",
        disabled=answer is not None,
    ) or needed
    st.caption(f"This case needs: {templates.CATEGORY_NAMES[needed].lower()} ({why}).")
    choices = lib.by_category(lang, category) or lib.for_language(lang)
    template = st.selectbox("Template", choices, key=f"tpl-{mention_id}-{category}",
                            format_func=lambda t: f"{t.title} ({t.lang})",
                            disabled=answer is not None)
    etas = lib.eta_choices(template.lang)
    eta_key = None
    if "eta" in template.variables and answer is None:
        eta_key = st.selectbox("We'll be back within", list(etas), index=min(2, len(etas) - 1),
                               format_func=lambda k: f"{k} — {etas[k]}",
                               key=f"eta-{mention_id}")
    if answer is not None:  # the knowledge base's answer, recorded as kb:<topic>
        filled, used_id, used_lang = answer.answer, f"kb:{answer.topic}", answer.lang
        key = f"reply-{mention_id}-kb-{answer.topic}-{answer.lang}-{agent}"
    else:
        filled = templates.fill(template, author=mention["author"], agent=agent or "{agent}",
                                eta=etas[eta_key] if eta_key else "", case=case["id"])
        used_id, used_lang = template.id, template.lang
        key = f"reply-{mention_id}-{template.id}-{eta_key}-{agent}"
    text = st.text_area("Reply text (edit freely)", value=filled, height=160, key=key)
    _check(text, used_lang, mention["source"])
    st.caption("Copy (button at the top right of the box):")
    st.code(text, language=None, wrap_lines=True)
    poster = sources.reply_poster(config, mention["source"])
    if poster:
        posting = st.container(horizontal=True)
        with posting:
            if st.button(f"Post on {mention['source']}", key=f"post-{mention_id}",
                         type="primary"):
                act(lambda: actions.post_reply(store, mention_id, actor=agent, text=text,
                                               poster=poster, dry_run=False,
                                               template_id=used_id, lang=used_lang),
                    f"Posted on {mention['source']} · case {case['id']}")
            preview = st.button("Dry run", key=f"dry-{mention_id}",
                                help="Shows exactly what would be sent; sends nothing.")
        if preview:
            try:
                outcome = actions.post_reply(store, mention_id, actor=agent, text=text,
                                             poster=poster, dry_run=True)
            except actions.ActionRefused as exc:
                st.error(ui.sentence(exc))
            else:
                st.code(json.dumps(outcome, ensure_ascii=False, indent=2), language="json")
    if st.button("Mark responded", key=f"respond-{mention_id}", shortcut="Ctrl+Enter",
                 type="secondary" if poster else "primary",
                 help="Record that this reply was sent (Ctrl+Enter)"):
        act(lambda: actions.respond(store, mention_id, actor=agent, reply_text=text,
                                    template_id=used_id, lang=used_lang),
            f"Responded · case {case['id']}")


def _suggestions(store: Store, mention: dict, lang: str | None,
                 thread: list[str]) -> knowledge.Entry | None:
    """The knowledge base's best answers for this post, with why each matched; returns the
    one the agent chose to answer with (None: answer from a template)."""
    index = knowledge.index(store)
    if not len(index):
        return None
    mention_id = mention["id"]
    chosen_key = f"kb-{mention_id}"
    found = index.suggest(mention["text"], lang, thread=thread)
    with st.expander(f"Suggested answers ({len(found)})", expanded=bool(found)):
        if not found:
            st.text("Nothing in the knowledge base answers this post; managers see it among "
                    "the knowledge base's gaps.")
        for s in found:
            entry = s.entry
            with st.container(border=True):
                st.text(entry.question, text_alignment=ui.alignment(entry.lang))
                # The shared words are the customer's: plain text, never Markdown.
                st.text(f"Why: {'spelled like' if s.spelled_alike else 'shares'} "
                        f"{', '.join(map(ui.isolate, s.why))} · "
                        f"{ui.language_name(entry.lang)}"
                        + (" (none in the customer's language)" if s.other_language else "")
                        + (f" · owned by {entry.team}" if entry.team else ""))
                if st.button("Answer with this", key=f"kb-use-{mention_id}-{entry.topic}"):
                    st.session_state[chosen_key] = (entry.topic, entry.lang)
    chosen = st.session_state.get(chosen_key)
    if chosen is None:
        return None
    picked = next((s.entry for s in found if (s.entry.topic, s.entry.lang) == chosen), None)
    if picked is None:  # the knowledge base changed since
        st.session_state.pop(chosen_key, None)
        return None
    st.button("Answer from a template instead", key=f"kb-drop-{mention_id}",
              on_click=lambda: st.session_state.pop(chosen_key, None))
    return picked


def _check(text: str, lang: str | None, source: str) -> None:
    """What the agent should know before sending: length, tone, the promise it makes."""
    over = templates.over_limit(text, source)
    st.caption(f"{len(text)} characters" + (f" · {over} over the limit for {source}"
                                            if over else ""))
    if over:
        st.warning(f"Too long for {source} by {over} characters.")
    for finding in tone.check(text, lang):
        label = {"blaming": "Sounds like blame", "curt": "Sounds curt",
                 "no_time": "A promise with no time"}.get(finding.kind, finding.kind)
        st.warning(f"{label}. {finding.advice}", icon=":material/sentiment_dissatisfied:")
        st.text(f"“{ui.isolate(finding.phrase)}”")  # the reply's own words, never Markdown
    minutes = tone.promised_minutes(text, lang)
    if minutes is not None:
        due = utcnow() + dt.timedelta(minutes=minutes)
        st.info(f"This reply promises an answer within {ui.duration(minutes)}: the case will "
                f"be due at {ui.local_time(due)}.", icon=":material/timer:")


def _moves(store: Store, config: Config, case: dict, agent: str) -> None:
    ref = case["id"]
    st.divider()
    st.caption("Move the case")
    people = [p.name for p in config.people]
    cols = st.columns(2)
    with cols[0]:
        if people:
            owner = st.selectbox("Assign to", people, key=f"owner-{ref}", index=None,
                                 placeholder="a person")
        else:
            owner = st.text_input("Assign to", key=f"owner-{ref}", placeholder="a name")
        team = None
        if config.teams and not owner:
            team = st.selectbox("or to a team's queue", [t.name for t in config.teams],
                                key=f"team-{ref}", index=None, placeholder="a team")
        if st.button("Assign", key=f"assign-{ref}"):
            act(lambda: actions.assign(store, config, [ref], actor=agent, owner=owner or None,
                                       team=team),
                f"Assigned {ref} to {owner or f'team {team}'}", keep_open=True)
    with cols[1]:
        status = st.selectbox("Status", actions.WORK_STATUSES, key=f"status-{ref}",
                              format_func=lambda s: cases.STATUS_NAMES[s], index=None,
                              placeholder="in progress / waiting on customer")
        if st.button("Set status", key=f"set-status-{ref}"):
            act(lambda: actions.set_status(store, ref, status or "", actor=agent),
                f"{ref} is {cases.STATUS_NAMES.get(status or '', status)}", keep_open=True)
    authorised = actions.authorised_people(config)
    if authorised:
        with st.expander("Escalate to someone authorised to solve it"):
            to = st.selectbox("Escalate to", authorised, key=f"esc-to-{ref}",
                              format_func=lambda n: _authority(config, n))
            reason = st.text_input("What must they decide?", key=f"esc-why-{ref}")
            if st.button("Escalate", key=f"escalate-{ref}"):
                act(lambda: actions.escalate(store, config, ref, actor=agent, to=to,
                                             reason=reason),
                    f"Escalated {ref} to {to}", keep_open=True)
    cols = st.columns(2)
    with cols[0]:
        note = st.text_input("Resolution note", key=f"res-note-{ref}",
                             placeholder="what solved it (optional)")
        if st.button("Resolve", key=f"resolve-{ref}", type="primary"):
            act(lambda: actions.resolve(store, config, ref, actor=agent, note=note),
                f"Resolved {ref}: follow-up in {config.cases.follow_up_hours:g} h")
    with cols[1]:
        reason = st.selectbox("Reason to ignore", actions.IGNORE_REASONS,
                              key=f"reason-{case['mention_id']}")
        if st.button("Ignore", key=f"ignore-{ref}"):
            act(lambda: actions.ignore_cases(store, [ref], actor=agent, reason=reason),
                f"Ignored ({reason}) · case {ref}")


def _authority(config: Config, name: str) -> str:
    person = config.person(name)
    powers = ", ".join(person.authorised_for) if person and person.authorised_for else \
        "manager"
    return f"{name} — {powers}"


def _follow_up(store: Store, case: dict, mention: dict, lang: str | None, agent: str) -> None:
    ref = case["id"]
    st.success(f"Resolved at {ui.local_time(case['resolved_at'])}.")
    if case["followed_up_at"] is None and case["follow_up_at"] is not None:
        due = case["follow_up_at"]
        st.text(f"Follow-up due {ui.local_time(due)}"
                + (" — due now" if due <= utcnow() else ""))
        lib = library(store)
        choices = lib.by_category(lang, "follow_up")
        template = st.selectbox("Follow-up template", choices, key=f"fu-tpl-{ref}",
                                format_func=lambda t: f"{t.title} ({t.lang})")
        text = st.text_area("Follow-up text", key=f"fu-text-{ref}-{template.id}",
                            value=templates.fill(template, author=mention["author"],
                                                 agent=agent or "{agent}", eta="", case=ref))
        _check(text, template.lang, mention["source"])
        st.code(text, language=None, wrap_lines=True)
        if st.button("Mark followed up", key=f"mark-followed-up-{ref}", type="primary"):
            act(lambda: actions.follow_up(store, ref, actor=agent, reply_text=text,
                                          template_id=template.id),
                f"Followed up {ref}", keep_open=True)
    elif case["followed_up_at"] is not None:
        st.text(f"Followed up {ui.local_time(case['followed_up_at'])}.")
    _survey(store, ref, agent)
    _reopen(store, case, agent)


def _survey(store: Store, ref: str, agent: str) -> None:
    st.caption("The customer's answer to the survey")
    cols = st.columns([2, 2, 1], vertical_alignment="bottom")
    kind = cols[0].selectbox("Survey", list(actions.SURVEY_SCALES), key=f"sv-kind-{ref}",
                             format_func=lambda k: actions.SURVEY_NAMES[k])
    low, high = actions.SURVEY_SCALES[kind]
    score = cols[1].number_input("Score", min_value=low, max_value=high, value=high, step=1,
                                 key=f"sv-score-{ref}-{kind}")
    if cols[2].button("Record", key=f"sv-save-{ref}"):
        act(lambda: actions.record_survey(store, ref, kind, int(score), actor=agent),
            f"Recorded {kind.upper()} {int(score)} for {ref}", keep_open=True)


def _reopen(store: Store, case: dict, agent: str) -> None:
    ref = case["id"]
    with st.expander("Reopen"):
        reason = st.text_input("Why reopen?", key=f"reopen-why-{ref}")
        if st.button("Reopen", key=f"reopen-{ref}"):
            act(lambda: actions.reopen(store, ref, actor=agent, reason=reason),
                f"Reopened {ref}", keep_open=True)


