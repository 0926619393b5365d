"""Customer: one customer's history across their linked handles — every post, case, reply,
survey answer, language, reach over time, open promises and the desk's private notes — with
linking handles, a copy of everything held (right of access) and erasure for managers."""

import json

import altair as alt
import streamlit as st

from clamor import auth, customers, queries, ui
from clamor.store import utcnow

rt = ui.get_runtime()
me = ui.require("customer")
ui.page_style()
store = rt.store

st.title("Customer")
if st.session_state.get("customer_done"):
    # The message may name a handle (anyone's choice, "_like_this_"): text, never Markdown.
    with st.container(border=True):
        st.text("✓ " + st.session_state.pop("customer_done"))


def show(key: str | None) -> None:
    """Open a customer (None: none), for this page's next run and its address."""
    st.session_state["customer_key"] = key
    if key:
        st.query_params["customer"] = key
    elif "customer" in st.query_params:
        del st.query_params["customer"]


key = st.query_params.get("customer") or st.session_state.get("customer_key")
with st.expander("Find a customer", expanded=not key):
    cols = st.columns([1, 2, 1], vertical_alignment="bottom")
    source = cols[0].selectbox("Source", queries.sources_seen(store), key="customer-source")
    author = cols[1].text_input("Handle", key="customer-author",
                                placeholder="as posted, e.g. @maryam or u/maryam").strip()
    if cols[2].button("Open", key="customer-open") and source and author:
        show(customers.customer_key(store, source, author))
        st.rerun()
if not key:
    st.info("Open a customer from the case panel (Customer history), or find one by handle.")
    st.stop()
try:
    customers.handle_of(key)
except customers.CustomerError as exc:
    st.error(ui.sentence(exc))
    st.stop()
key = customers.customer_key(store, *customers.handle_of(key))  # linked since: the customer's
found = customers.history(store, key, utcnow())
if found.mentions.empty and found.cases.empty:
    st.info("No post from this customer is stored (erased, or a handle spelled otherwise).")
    st.stop()

# Handles, posts and notes are the customers' and agents' words: plain text only.
st.text(" · ".join(f"{ui.isolate(author)} on {source}" for source, author in found.handles))
def count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


facts = [count(len(found.mentions), "post"), count(len(found.cases), "case"),
         "languages: " + (", ".join(ui.language_name(lang) for lang in found.languages)
                          or "unknown")]
if repeat := customers.repeat_text(found.complaints_this_week):
    facts.append(repeat)
if len(found.surveys):
    latest = found.surveys.drop_duplicates("kind")
    facts.append("last " + ", ".join(f"{k.upper()} {s}" for k, s in
                                      zip(latest["kind"], latest["score"], strict=True)))
if len(found.promises):
    facts.append(f"{len(found.promises)} open promise(s), next due "
                 f"{ui.local_time(found.promises.iloc[0]['due_at'])}")
st.text(" · ".join(facts))

posts_tab, cases_tab, reach_tab, notes_tab, handles_tab, privacy_tab = st.tabs(
    ["Posts", "Cases and replies", "Reach", "Notes", "Handles", "Privacy"])

with posts_tab:
    shown = found.mentions.assign(lang=found.mentions["lang"].map(ui.language_name))
    st.dataframe(shown[["created_at", "source", "author", "text", "lang", "sentiment",
                        "complaint", "followers", "case_id", "case_status"]],
                 hide_index=True, width="stretch",
                 column_config={"created_at": ui.utc_column("When (UTC)"),
                                "text": st.column_config.TextColumn("Post", width="large"),
                                "lang": "Language", "case_id": "Case",
                                "case_status": "Case status", "source": "Source",
                                "author": "Handle", "sentiment": "Sentiment",
                                "complaint": "Complaint", "followers": "Followers"})

with cases_tab:
    if len(found.promises):
        st.caption("Open promises")
        for row in found.promises.itertuples():
            st.text(f"{row.id} · due {ui.local_time(row.due_at)} · {row.status}")
    st.dataframe(found.cases, hide_index=True, width="stretch", column_config={
        "id": "Case", "status": "Status", "source": "Source", "author": "Handle",
        "opened_at": ui.utc_column("Opened (UTC)"), "owner": "Owner", "team": "Team",
        "messages": "Messages", "first_response_at": ui.utc_column("First reply (UTC)"),
        "due_at": ui.utc_column("Promised by (UTC)"),
        "resolved_at": ui.utc_column("Resolved (UTC)"), "reopened": "Reopened"})
    st.caption("Our replies")
    st.dataframe(found.replies, hide_index=True, width="stretch", column_config={
        "happened_at": ui.utc_column("When (UTC)"), "case_id": "Case", "actor": "By",
        "reply_text": st.column_config.TextColumn("Reply", width="large"),
        "template_id": "Template", "sent": "Sent"})
    if len(found.surveys):
        st.caption("Survey answers")
        st.dataframe(found.surveys, hide_index=True, width="stretch", column_config={
            "answered_at": ui.utc_column("Answered (UTC)"), "case_id": "Case",
            "kind": "Survey", "score": "Score"})

with reach_tab:
    if found.reach.empty:
        st.info("No follower counts came with this customer's posts.")
    else:
        reach = found.reach.assign(handle=found.reach["author"] + " on " + found.reach["source"])
        st.altair_chart(alt.Chart(reach).mark_line(point=True).encode(
            x=alt.X("created_at:T", title="Post time (UTC)"),
            y=alt.Y("followers:Q", title="Followers"),
            color=alt.Color("handle:N", title=None),
            tooltip=["created_at:T", "handle:N", "followers:Q"]), width="stretch")

with notes_tab:
    st.caption("Private to the desk: never in an analyst's export. Every note is audited.")
    for row in found.notes.itertuples():
        with st.container(border=True):
            st.text(f"{row.written_by} · {ui.local_time(row.written_at)}")
            st.text(row.note)
    note = st.text_area("New note", key="customer-note", height=80)
    if st.button("Add note", key="customer-add-note"):
        try:
            customers.add_note(store, key, note, by=me.name)
        except (customers.CustomerError, auth.NotPermitted) as exc:
            st.error(ui.sentence(exc))
        else:
            st.session_state["customer_done"] = "Note added."
            st.rerun()

with handles_tab:
    st.caption("Link this customer's handles on other platforms, so their history is one.")
    for source, author in found.handles:
        cols = st.columns([4, 1], vertical_alignment="center")
        cols[0].text(f"{ui.isolate(author)} on {source}")
        if len(found.handles) > 1 and cols[1].button("Unlink", key=f"unlink-{source}-{author}"):
            try:
                customers.unlink(store, source, author, by=me.name)
            except (customers.CustomerError, auth.NotPermitted) as exc:
                st.error(ui.sentence(exc))
            else:
                show(customers.customer_key(store, *found.handles[0]))
                st.session_state["customer_done"] = f"Unlinked {author} on {source}."
                st.rerun()
    cols = st.columns([1, 2, 1], vertical_alignment="bottom")
    link_source = cols[0].selectbox("Source", queries.sources_seen(store), key="link-source")
    link_author = cols[1].text_input("Handle", key="link-author",
                                     placeholder="e.g. u/maryam").strip()
    if cols[2].button("Link", key="customer-link"):
        try:
            merged = customers.link(store, key, link_source, link_author, by=me.name)
        except (customers.CustomerError, auth.NotPermitted) as exc:
            st.error(ui.sentence(exc))
        else:
            show(merged)
            st.session_state["customer_done"] = f"Linked {link_author} on {link_source}."
            st.rerun()

with privacy_tab:
    st.caption("A customer may ask for a copy of everything held about them, or for it to be "
               "erased. Both are audited.")
    if st.button("Prepare the export", key="customer-export"):
        try:
            st.session_state["customer_export"] = (
                key, json.dumps(customers.export(store, key, by=me.name), ensure_ascii=False,
                                indent=1))
        except auth.NotPermitted as exc:
            st.error(ui.sentence(exc))
    prepared = st.session_state.get("customer_export")
    if prepared and prepared[0] == key:
        st.download_button("Download the customer's data (JSON)", prepared[1],
                           file_name="clamor-customer.json", mime="application/json",
                           key="customer-download", icon=":material/download:",
                           on_click="ignore")
    if auth.may(me.role, "erase_customer"):
        if st.button("Erase…", key="customer-erase"):
            st.session_state["customer_erasing"] = key
        if st.session_state.get("customer_erasing") == key:
            with st.container(border=True):
                st.warning("Erasing replaces this customer's posts with “[erased on request]” "
                           "and their handle with a pseudonym everywhere, removes their words "
                           "from search and deletes notes and links. Cases and response times "
                           "stay counted. It cannot be undone.")
                sure = st.checkbox("The customer asked for erasure; erase everything held "
                                   "about them", key="customer-erase-sure")
                if st.button("Erase now", key="customer-erase-now", type="primary",
                             disabled=not sure):
                    try:
                        counts = customers.erase(store, key, by=me.name)
                    except (customers.CustomerError, auth.NotPermitted) as exc:
                        st.error(ui.sentence(exc))
                    else:
                        st.session_state.pop("customer_erasing", None)
                        st.session_state.pop("customer_export", None)
                        show(None)
                        st.session_state["customer_done"] = (
                            f"Erased: {counts['posts']} posts in {counts['cases']} cases, "
                            f"{counts['notes']} notes, {counts['links']} links; now known "
                            f"as {counts['customer']}.")
                        st.rerun()
