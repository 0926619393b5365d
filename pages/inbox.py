"""Inbox: the agents' home. Unanswered mentions, most urgent first; open one to answer it
with a holding reply in the customer's language, or ignore it with a reason."""

import json

import streamlit as st

from clamor import actions, queries, sources, templates, ui
from clamor.config import TERM_KINDS

rt = ui.get_runtime()
ui.page_style()
store, config = rt.store, rt.config

with st.sidebar:
    agent = st.text_input("Your name", key="agent_name", placeholder="e.g. Sara",
                          help="Recorded with everything you do here.")
    st.subheader("Filters")
    languages = st.multiselect("Language", config.watchlist.languages,
                               format_func=ui.language_name, key="f_lang")
    source_names = st.multiselect("Source", queries.sources_seen(store), key="f_source")
    kinds = st.multiselect("Mentions of", TERM_KINDS, key="f_kind")
    complaints_only = st.toggle("Complaints only", key="f_complaints")

flt = queries.InboxFilter(tuple(languages), tuple(source_names), tuple(kinds), complaints_only)
st.title("Inbox")
list_col, detail_col = st.columns([3, 2], gap="large")


def open_mention(mention_id: str) -> None:
    st.session_state["open_mention"] = mention_id


# While the inbox is still filling (a first start: nothing collected or analysed yet) the list
# looks again every 2 s; once it holds analysed mentions, every 10 s.
def _filling() -> bool:
    return queries.inbox_count(store) == 0 or queries.pending_analysis_count(store) > 0


filling_at_start = _filling()
REFRESH = 2 if filling_at_start else 10


@st.fragment(run_every=REFRESH)
def mention_list() -> None:
    if filling_at_start and not _filling():
        st.rerun(scope="app")  # filled: back to the calm pace
    frame = queries.inbox(store, flt)
    total = queries.inbox_count(store)
    st.caption(f"{total:,} unanswered · showing the {len(frame)} most urgent "
               f"(complaints first, then waiting time and reach) · refreshes every {REFRESH} s")
    if frame.empty:
        st.info("Nothing waits for an answer. New mentions appear here as they arrive.")
        return
    for row in frame.itertuples():
        with st.container(border=True, key=f"mention-{row.id}"):
            badges = st.container(horizontal=True)
            with badges:
                if row.complaint:
                    st.badge("complaint", color="red", icon=":material/priority_high:")
                st.badge(ui.language_name(row.lang), color="blue")
                mood, colour = ui.sentiment_badge(row.sentiment_label, row.sentiment)
                st.badge(mood, color=colour)
                st.badge(row.source, color="gray")
                for kind in row.matched_kinds:
                    st.badge(kind, color="orange")
                st.badge(ui.ago(row.waiting_minutes), color="gray", icon=":material/schedule:")
                if row.messages_waiting > 1:
                    st.badge(f"{row.messages_waiting} messages waiting", color="red",
                             icon=":material/forum:")
            st.text(f"{ui.isolate(row.author or 'unknown author')} · "
                    f"{ui.reach(row.author_followers)}")
            st.text(ui.clipped(row.text), text_alignment=ui.alignment(row.lang))
            if row.complaint:
                st.text(ui.complaint_reasons(row.complaint_cues))
            buttons = st.container(horizontal=True)
            with buttons:
                if st.button("Open & reply", key=f"open-{row.id}",
                             type="primary" if row.complaint else "secondary"):
                    # The reply panel lives outside this fragment: rerun the whole page.
                    open_mention(row.id)
                    st.rerun(scope="app")
                link = ui.safe_link(row.url)
                if link:
                    st.link_button("Original ↗", link)


def reply_panel(mention_id: str) -> None:
    mention = queries.mention(store, mention_id)
    if mention is None:
        st.warning("That mention is no longer in the database.")
        return
    header = st.container(horizontal=True)
    with header:
        st.subheader("Reply")
        st.button("Close", key="close-panel", on_click=open_mention, args=(None,))
    st.caption("Conversation")
    for msg in queries.thread(store, mention_id).itertuples():
        with st.container(border=True):
            who = ui.isolate(msg.author or "unknown") + ("  (our account)" if msg.is_own else "")
            st.text(f"{who} · {ui.local_time(msg.created_at)}"
                    + ("  ◀ this one" if msg.id == mention_id else ""))
            st.text(ui.clipped(msg.text), text_alignment=ui.alignment(msg.lang))
    answered = queries.first_response(store, mention_id)
    if answered is not None:
        st.success(f"Answered at {ui.local_time(answered)}.")

    library = templates.library()
    lang = mention["lang"] if isinstance(mention["lang"], str) else None
    choices = library.for_language(lang)
    template = st.selectbox(
        "Holding reply", choices, key=f"tpl-{mention_id}",
        format_func=lambda t: f"{t.title} ({t.lang})",
    )
    etas = library.eta_choices(template.lang)
    eta_key = st.selectbox("We'll be back within", list(etas), index=min(2, len(etas) - 1),
                           format_func=lambda k: f"{k} — {etas[k]}", key=f"eta-{mention_id}")
    case = mention["case_id"] if isinstance(mention["case_id"], str) else \
        actions.case_id(store, mention_id)
    filled = templates.fill(template, author=mention["author"], agent=agent or "{agent}",
                            eta=etas[eta_key], case=case)
    text = st.text_area("Reply text (edit freely)", value=filled, height=160,
                        key=f"reply-{mention_id}-{template.id}-{eta_key}-{agent}")
    over = templates.over_limit(text, mention["source"])
    st.caption(f"{len(text)} characters · case {case}"
               + (f" · {over} over the limit for {mention['source']}" if over else ""))
    if over:
        st.warning(f"Too long for {mention['source']} by {over} characters.")
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
                                               template_id=template.id),
                    f"Posted on {mention['source']} · case {case}")
            preview = st.button("Dry run", key=f"dry-{mention_id}",
                                help="Shows exactly what would be sent; sends nothing.")
        if preview:
            try:
                outcome = actions.post_reply(store, mention_id, actor=agent, text=text,
                                             poster=poster, dry_run=True)
            except actions.ActionRefused as exc:
                st.error(str(exc).capitalize() + ".")
            else:
                st.code(json.dumps(outcome, ensure_ascii=False, indent=2), language="json")
    buttons = st.container(horizontal=True)
    with buttons:
        if st.button("Mark responded", key=f"respond-{mention_id}",
                     type="secondary" if poster else "primary"):
            act(lambda: actions.respond(store, mention_id, actor=agent, reply_text=text,
                                        template_id=template.id),
                f"Responded · case {case}")
        reason = st.selectbox("Reason to ignore", actions.IGNORE_REASONS,
                              key=f"reason-{mention_id}", label_visibility="collapsed")
        if st.button("Ignore", key=f"ignore-{mention_id}"):
            act(lambda: actions.ignore(store, mention_id, actor=agent, reason=reason),
                f"Ignored ({reason}) · case {case}")


def act(action, done: str) -> None:
    """Run an agent's action: on success close the panel and say so, else say why not."""
    try:
        action()
    except actions.ActionRefused as exc:
        st.error(str(exc).capitalize() + ".")
        return
    st.session_state["open_mention"] = None
    st.toast(done)
    st.rerun()

with list_col:
    mention_list()
with detail_col, st.container(key="reply-panel"):
    selected = st.session_state.get("open_mention")
    if selected:
        reply_panel(selected)
    else:
        st.info("Open a mention to see its conversation and answer it with a holding reply "
                "in the customer's language.")
