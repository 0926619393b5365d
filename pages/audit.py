"""Audit log: every action taken on cases and templates, newest first, with who did it and
what changed; filtered by person, kind of action, case and period, and exported as CSV."""

import datetime as dt

import streamlit as st

import clamor.store
from clamor import queries, ui

rt = ui.get_runtime()
ui.require("audit")
store = rt.store

LIMIT = 2000
PERIODS = {"1 day": 1, "7 days": 7, "28 days": 28, "90 days": 90, "all time": None}
EVERYONE, EVERY_ACTION = "everyone", "every action"

st.title("Audit log")


def as_csv(log) -> bytes:
    # reply texts and notes are typed by people: a cell a spreadsheet would run as a
    # formula gets a quote in front, as the exports do (queries.FORMULA_STARTS)
    def plain(value):
        if isinstance(value, str) and value.startswith(queries.FORMULA_STARTS):
            return "'" + value
        return value

    out = log.assign(when=log["when"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    for column in ("who", "action", "object", "before", "after", "detail"):
        out[column] = out[column].map(plain)
    return out.rename(columns={"when": "when_utc"}).to_csv(index=False).encode("utf-8")


@st.fragment(run_every="30s")
def audit() -> None:
    people, kinds = queries.audit_filters(store)
    cols = st.columns(4)
    who = cols[0].selectbox("Person", [EVERYONE, *people], key="audit_who")
    action = cols[1].selectbox("Action", [EVERY_ACTION, *kinds], key="audit_action")
    case = cols[2].text_input("Case, template or alert", key="audit_case",
                              placeholder="e.g. C-10042 or A-1001").strip()
    period = cols[3].selectbox("In the last", list(PERIODS), index=1, key="audit_period")
    days = PERIODS[period]
    log = queries.audit_entries(
        store, limit=LIMIT, who=None if who == EVERYONE else who,
        action=None if action == EVERY_ACTION else action, case_id=case or None,
        since=None if days is None else clamor.store.utcnow() - dt.timedelta(days=days))
    if log.empty:
        st.info("No action on that case matches these filters: check the case number "
                "(like C-10042), or choose a longer period." if case else
                "No action matches these filters: choose a longer period or fewer filters.")
        return
    more = " (the newest; narrow the filters to see older ones)" if len(log) == LIMIT else ""
    st.caption(f"{len(log):,} actions{more}, newest first. Times are UTC.")
    blanks = {c: "" for c in ("before", "after", "detail", "object")}
    st.dataframe(log.fillna(blanks), hide_index=True, width="stretch", height=560,
                 column_config={
                     "when": st.column_config.DatetimeColumn(
                         "When (UTC)", format="YYYY-MM-DD HH:mm:ss", timezone="UTC"),
                     "who": "Who", "action": "Action", "object": "Case, template or alert",
                     "before": "Before", "after": "After",
                     "detail": "Detail (note or reply text)"})
    st.download_button("Download these actions as CSV", as_csv(log),
                       file_name=f"clamor-audit-{clamor.store.utcnow():%Y-%m-%d}.csv",
                       mime="text/csv", icon=":material/download:", key="audit_csv",
                       on_click="ignore")


audit()
