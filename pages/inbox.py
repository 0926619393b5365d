"""Inbox: the agents' home. Cases waiting for a reply, most urgent first, each with its due
timer; promises coming due; follow-ups due after resolution. Open a case to answer it with a
template in the customer's language, assign, escalate, resolve or ignore it."""

import dataclasses

import pandas as pd
import streamlit as st

from clamor import actions, case_view, cases, customers, queries, standards, ui
from clamor.config import TERM_KINDS
from clamor.store import utcnow

rt = ui.get_runtime()
ui.require("inbox")
ui.page_style()
store, config = rt.store, rt.config
SCOPES = {"all": "All waiting", "mine": "Mine", "team": "My team", "unassigned": "Unassigned"}

agent = st.session_state.get("agent_name") or ""  # the sidebar field, declared in app.py
with st.sidebar:
    me = config.person(agent.strip()) if agent else None
    scope = st.radio("Show", list(SCOPES), format_func=SCOPES.get, key="f_scope",
                     horizontal=True)
    st.subheader("Filters")
    languages = st.multiselect("Language", config.watchlist.languages,
                               format_func=ui.language_name, key="f_lang")
    source_names = st.multiselect("Source", queries.sources_seen(store), key="f_source")
    kinds = st.multiselect("Mentions of", TERM_KINDS, key="f_kind")
    complaints_only = st.toggle("Complaints only", key="f_complaints")

flt = queries.InboxFilter(
    tuple(languages), tuple(source_names), tuple(kinds), complaints_only,
    owner=agent.strip() if scope == "mine" and agent else None,
    team=(me.team if me else "\0") if scope == "team" else None,  # no team: nothing matches
    unassigned_only=scope == "unassigned",
)
st.title("Inbox")
if st.session_state.get("done"):
    st.toast(st.session_state.pop("done"))
list_col, detail_col = st.columns([3, 2], gap="large")


PANEL = "case-panel"  # the case panel's fragment


def open_mention(mention_id: str | None) -> None:
    """Show the case in the panel, redrawing the panel alone (not the list)."""
    st.session_state["open_mention"] = mention_id
    st.rerun(PANEL)


def open_button(label: str, mention_id: str, key: str, **kwargs) -> None:
    """A button that opens a case in the panel."""
    st.button(label, key=key, on_click=open_mention, args=(mention_id,), **kwargs)


# While the inbox is still filling (a first start: nothing filed yet, or more waiting for
# analysis than one pass takes) the list looks again every 2 s; otherwise every 20 s (its
# timers count minutes; the analysis pass runs every 15 s by default). Every look redraws
# the cards in the agent's browser: with 50 cards at 10 s, 20 idle inboxes took most of a
# core of the browsers' machine and a fifth of the server's (bench/load.py). Not on every
# mention waiting for analysis: with live sources a few always are, between a collector's
# run and the next pass, and every page would then refresh every 2 s (and rerun whole each
# time the pass caught up).
def _filling() -> bool:
    return queries.inbox_count(store) == 0 or \
        queries.pending_analysis_count(store) > config.analysis.batch_size


filling_at_start = _filling()
REFRESH = 2 if filling_at_start else 20


@st.fragment(run_every=REFRESH)
def case_list() -> None:
    ui.require("inbox")  # a fragment's rerun skips the page's first lines: check again
    if filling_at_start and not _filling():
        st.rerun(scope="app")  # filled: back to the calm pace
    now = utcnow()
    promised_count, overdue = queries.promises_count(store, owner=flt.owner, now=now)
    follow_ups_count = queries.follow_ups_due_count(store, now, owner=flt.owner)
    views = {"waiting": f"Waiting for a reply ({queries.inbox_count(store):,})",
             "promises": f"Promises ({overdue:,} overdue)" if overdue
             else f"Promises ({promised_count:,})",
             "follow_ups": f"Follow-ups due ({follow_ups_count:,})"}
    view = st.segmented_control("View", list(views), format_func=views.get, default="waiting",
                                key="view", label_visibility="collapsed") or "waiting"
    if view == "promises":
        promise_list(queries.promises(store, owner=flt.owner), now, promised_count)
    elif view == "follow_ups":
        follow_up_list(queries.follow_ups_due(store, now, owner=flt.owner), now,
                       follow_ups_count)
    else:
        waiting_list(now)


# Cards the list shows at first, and each "Show more" adds. Every redraw of the list (its
# refresh, a filter, an action) costs the agent's browser in proportion to the cards on it:
# 50 took ~0.5 s of a core per redraw, and agents work from the top.
CARDS_AT_ONCE = 25
CARDS_AT_MOST = 200


def show_more() -> None:
    st.session_state["cards_shown"] = min(
        CARDS_AT_MOST, st.session_state.get("cards_shown", CARDS_AT_ONCE) + CARDS_AT_ONCE)


def waiting_list(now) -> None:
    cards = st.session_state.get("cards_shown", CARDS_AT_ONCE)
    frame = queries.inbox(store, dataclasses.replace(flt, limit=cards), now, config)
    st.caption(f"{queries.inbox_count(store):,} unanswered · showing the {len(frame)} most "
               f"urgent (complaints first, then how much of the response standard is gone — "
               f"or waiting time where none applies —, reach, repeated messages and the "
               f"customer's other complaints this week) · "
               f"refreshes every {REFRESH} s")
    if frame.empty:
        st.info("Nothing waits for an answer here. New mentions appear as they arrive.")
        return
    timers = standards.due(config, frame, now)
    bulk_bar(frame)
    open_button("Open the most urgent", frame.iloc[0]["id"], key="next-case", shortcut="J",
                help="Keyboard: J opens the most urgent case, Ctrl+Enter marks it responded.")
    for row, timer in zip(frame.itertuples(), timers.itertuples(), strict=True):
        with st.container(border=True, key=f"mention-{row.id}"):
            shown = []
            if not pd.isna(timer.due_at):
                shown.append((ui.time_left(timer.minutes_left),
                              "red" if timer.late else
                              "orange" if timer.minutes_left < 15 else "green",
                              ":material/timer:"))
            if row.complaint:
                shown.append(("complaint", "red", ":material/priority_high:"))
            shown.append((ui.language_name(row.lang), "blue", None))
            mood, colour = ui.sentiment_badge(row.sentiment_label, row.sentiment)
            shown.append((mood, colour, None))
            shown.append((row.source, "gray", None))
            shown += [(kind, "orange", None) for kind in row.matched_kinds]
            shown.append((ui.ago(row.waiting_minutes), "gray", ":material/schedule:"))
            if row.messages_waiting > 1:
                shown.append((f"{row.messages_waiting} messages waiting", "red",
                              ":material/forum:"))
            if repeat := customers.repeat_text(row.complaints_this_week):
                shown.append((repeat, "red", ":material/replay:"))
            with st.container(horizontal=True, vertical_alignment="center", wrap=False):
                st.checkbox("select", key=f"sel-{row.case_id}", label_visibility="collapsed")
                st.markdown(ui.badges(shown))
            st.text(f"{row.case_id} · {cases.STATUS_NAMES.get(row.status, row.status)} · "
                    f"{cases.owner_label(row.owner, row.team)} · "
                    f"{ui.isolate(row.author or 'unknown author')} · "
                    f"{ui.reach(row.author_followers)}")
            st.text(ui.preview(row.text), text_alignment=ui.alignment(row.lang))
            if row.complaint:
                st.text(ui.complaint_reasons(row.complaint_cues, row.text))
            buttons = st.container(horizontal=True)
            with buttons:
                open_button("Open & reply", row.id, key=f"open-{row.id}",
                            type="primary" if row.complaint else "secondary")
                link = ui.safe_link(row.url)
                if link:
                    st.link_button("Original ↗", link)
    if len(frame) == cards and cards < CARDS_AT_MOST:  # the filter may match more
        st.button(f"Show {CARDS_AT_ONCE} more", key="show-more", on_click=show_more,
                  icon=":material/expand_more:")


def bulk_bar(frame) -> None:
    """Assign or ignore several cases at once (a spam wave, a shift handover)."""
    selected = [c for c in frame["case_id"] if st.session_state.get(f"sel-{c}")]
    if not selected:
        return
    with st.container(border=True, key="bulk-bar"):
        st.text(f"{len(selected)} selected: {', '.join(selected[:8])}"
                + (" …" if len(selected) > 8 else ""))
        cols = st.columns([3, 1, 2], vertical_alignment="bottom")
        people = [p.name for p in config.people]
        owner = cols[0].selectbox("Assign to", people, index=None, key="bulk-owner",
                                  placeholder="a person") if people else \
            cols[0].text_input("Assign to", key="bulk-owner")
        if cols[1].button("Assign", key="bulk-assign"):
            bulk(lambda: actions.assign(store, config, selected, actor=agent, owner=owner),
                 selected, f"Assigned {len(selected)} case(s) to {owner}")
        if cols[2].button("Ignore as spam", key="bulk-spam"):
            bulk(lambda: actions.ignore_cases(store, selected, actor=agent, reason="spam"),
                 selected, f"Ignored {len(selected)} case(s) as spam")


def bulk(action, selected, done: str) -> None:
    try:
        action()
    except actions.ActionRefused as exc:
        st.error(ui.sentence(exc))
        return
    for case in selected:
        st.session_state.pop(f"sel-{case}", None)
    st.session_state["done"] = done
    st.rerun(scope="app")


def promise_list(promised, now, total: int) -> None:
    more = f" The {len(promised)} soonest of {total:,} are shown." \
        if total > len(promised) else ""
    st.caption("Holding replies that promised a time, soonest first. Keep them." + more)
    if promised.empty:
        st.info("No open promises.")
        return
    for row in promised.itertuples():
        left = (row.due_at - now).total_seconds() / 60
        with st.container(border=True, key=f"promise-{row.case_id}"):
            st.badge(ui.time_left(left).replace("late by", "overdue by"),
                     color="red" if left < 0 else "orange" if left < 30 else "green",
                     icon=":material/timer:")
            st.text(f"{row.case_id} · due {ui.local_time(row.due_at)} · "
                    f"{cases.owner_label(row.owner, row.team)} · "
                    f"{ui.isolate(row.author or 'unknown author')}")
            st.text(ui.preview(row.text, 280), text_alignment=ui.alignment(row.lang))
            open_button("Open", row.mention_id, key=f"open-promise-{row.case_id}")


def follow_up_list(due, now, total: int) -> None:
    more = f" The {len(due)} oldest of {total:,} are shown." if total > len(due) else ""
    st.caption("Resolved cases whose follow-up (with its short survey) is due." + more)
    if due.empty:
        st.info("No follow-ups due.")
        return
    for row in due.itertuples():
        with st.container(border=True, key=f"follow-up-{row.case_id}"):
            st.text(f"{row.case_id} · resolved {ui.local_time(row.resolved_at)} · follow-up "
                    f"due {ui.local_time(row.follow_up_at)} · "
                    f"{ui.isolate(row.author or 'unknown author')}")
            st.text(ui.preview(row.text, 280), text_alignment=ui.alignment(row.lang))
            open_button("Follow up", row.mention_id, key=f"open-follow-up-{row.case_id}",
                        type="primary")


@st.fragment(key=PANEL)
def reply_panel() -> None:
    """The open case. A fragment: opening a case, choosing a template, an assignee or a
    status, and typing, redraw the panel alone, not the list of cases beside it (an
    action that changes the case reruns the whole page, so the list shows it)."""
    ui.require("inbox")  # a fragment's rerun skips the page's first lines: check again
    selected = st.session_state.get("open_mention")
    if selected:
        case_view.panel(store, config, selected, agent)
    else:
        st.info("Open a case to see its conversation and answer it with a holding reply in "
                "the customer's language.")


with list_col:
    case_list()
with detail_col, st.container(key="reply-panel"):
    reply_panel()
