"""Alerts: spikes of mentions or complaints, backlogs of late complaints, staff names in
negative mentions — each with why it fired, a timeline against its baseline, and who
acknowledged and resolved it. Where notifications go, and a test button."""

import json

import altair as alt
import pandas as pd
import streamlit as st

from clamor import alerting, auth, charts, notify, queries, ui
from clamor.store import utcnow

rt = ui.get_runtime()
ui.require("alerts")
ui.page_style()
store, config = rt.store, rt.config
me = st.session_state.get("agent_name") or ""

st.title("Alerts")
if st.session_state.get("alert_done"):
    st.toast(st.session_state.pop("alert_done"))
if not config.alerts.enabled:
    st.info(f"Alert detection is switched off: [alerts] enabled = false in {config.path}.")

SEVERITY_COLOUR = {"critical": "red", "warning": "orange"}
STATUS_COLOUR = {"open": "red", "acknowledged": "blue", "resolved": "green"}


def act(action, done: str) -> None:
    try:
        action()
    except alerting.AlertRefused as exc:
        st.error(ui.sentence(exc))
        return
    st.session_state["alert_done"] = done
    st.rerun()


def explanation_of(row) -> dict:
    value = row["explanation"]
    return json.loads(value) if isinstance(value, str) else (value or {})


def show_alert(row, *, expanded: bool) -> None:
    with st.container(border=True, key=f"alert-{row['id']}"):
        badges = st.container(horizontal=True)
        with badges:
            st.badge(row["severity"], color=SEVERITY_COLOUR.get(row["severity"], "gray"))
            st.badge(row["status"], color=STATUS_COLOUR.get(row["status"], "gray"))
            st.badge(row["kind"], color="gray")
            if pd.isna(row["ended_at"]):
                st.badge("still going", color="red", icon=":material/trending_up:")
        st.subheader(alerting.title(row), anchor=False)
        ex = explanation_of(row)
        st.text(_why(row))
        if ex.get("related"):
            st.text("Also unusual in the same storm: " + "; ".join(
                f"{alerting.series_name(r['series'])} {r['observed']:g} vs {r['expected']:g}"
                for r in ex["related"][:6]))
        if ex.get("top_terms"):
            st.text("New in this window: " + ", ".join(
                f"{ui.isolate(t['term'])} ({t['count']})" for t in ex["top_terms"]))
        for label, key in (("Languages", "languages"), ("Sources", "sources")):
            if ex.get(key):
                st.text(f"{label}: " + ", ".join(
                    f"{ui.language_name(k) if key == 'languages' else k} {v}"
                    for k, v in ex[key].items()))
        with st.expander("Sample posts and the timeline" if row["kind"] != "backlog"
                         else "Details", expanded=expanded):
            for sample in ex.get("samples") or []:
                st.text(f"{ui.isolate(sample.get('author') or 'unknown')} · "
                        f"{sample.get('at', '')[:16].replace('T', ' ')} UTC")
                st.text(ui.preview(sample["text"], 280))
                cols = st.container(horizontal=True)
                with cols:
                    if st.button("Open in the inbox", key=f"open-{row['id']}-{sample['mention']}"):
                        st.session_state["open_mention"] = sample["mention"]
                        st.switch_page("pages/inbox.py")
                    link = ui.safe_link(sample.get("url"))
                    if link:
                        st.link_button("Original ↗", link)
            if row["kind"] == "backlog":
                late_now(row)
            chart(row)
        if row["status"] != "resolved":
            lifecycle(row)
        history = queries.alert_events(store, row["id"])
        with st.expander(f"History ({len(history)})"):
            st.dataframe(history, hide_index=True, width="stretch")


def late_now(row) -> None:
    """A backlog alert's complaints as they stand now: who waits longest, and who holds it."""
    count, late = alerting.late_complaints(store, config, utcnow())
    if not count:
        st.caption("No complaint is past its standard now.")
        return
    counted = "1 complaint past its standard now" if count == 1 else \
        f"{count:,} complaints past their standard now"
    st.caption(f"{counted}; the most overdue {len(late)}:" if count > len(late) else
               f"{counted}, the most overdue first:" if count > 1 else f"{counted}:")
    for case in late.itertuples():
        cols = st.columns([5, 1], vertical_alignment="center")
        cols[0].text(f"{case.id} · {ui.isolate(case.author or 'unknown author')} on "
                     f"{case.source} · overdue by {ui.duration(case.minutes_late)} against "
                     f"“{case.standard}” · {case.team or 'no team'}, "
                     f"{ui.isolate(case.owner) if case.owner else 'nobody holds it'}")
        if cols[1].button("Open in the inbox", key=f"open-{row['id']}-{case.id}"):
            st.session_state["open_mention"] = case.mention_id
            st.switch_page("pages/inbox.py")


def _why(row) -> str:
    started = ui.local_time(row["started_at"])
    if row["kind"] == "backlog":
        return (f"Since {started}: {row['latest_observed']:g} complaints past their response "
                f"standard and still unanswered (alerts at {row['threshold']:g}).")
    peak = ui.local_time(row["peak_at"])
    return (f"Since {started}. At its peak ({peak}) the last "
            f"{config.alerts.window_minutes} minutes held {row['observed']:g} posts where the "
            f"same time of day over the last {config.alerts.baseline_days} days had a median "
            f"of {row['expected']:g}: {row['statistic']:.1f} robust standard deviations above "
            f"(alerts at {row['threshold']:g}). Now: {row['latest_observed']:g} vs "
            f"{row['latest_expected']:g}.")


def chart(row) -> None:
    if row["kind"] == "backlog":
        return  # a count of late cases, not a series of posts: its history is in the text
    frame = alerting.timeline(store, config, row["series"], until=utcnow())
    if frame.empty:
        return
    frame = frame.rename(columns={"threshold": "alerts at"})
    long = frame.melt(id_vars="at", value_vars=["observed", "expected", "alerts at"],
                      var_name="line", value_name="posts")
    lines = alt.Chart(long).mark_line().encode(
        x=alt.X("at:T", title="Time (UTC)"),
        y=alt.Y("posts:Q", title=f"Posts in {config.alerts.window_minutes} min",
                  axis=charts.COUNTS),
        color=alt.Color("line:N", title=None,
                        scale=alt.Scale(domain=["observed", "expected", "alerts at"],
                                        range=["#d62728", "#7f7f7f", "#ff7f0e"])),
        strokeDash=alt.condition(alt.datum.line == "alerts at", alt.value([4, 3]),
                                 alt.value([1, 0])),
        tooltip=["at:T", "line:N", "posts:Q"])
    band = pd.DataFrame({"start": [row["started_at"]],
                         "end": [row["ended_at"] if not pd.isna(row["ended_at"]) else utcnow()]})
    bands = alt.Chart(band).mark_rect(opacity=0.15, color="#d62728").encode(
        x="start:T", x2="end:T")
    st.altair_chart(bands + lines, width="stretch")


def lifecycle(row) -> None:
    note = st.text_input("Note (what you are doing about it)", key=f"note-{row['id']}")
    buttons = st.container(horizontal=True)
    with buttons:
        if row["status"] == "open" and st.button("Acknowledge", key=f"ack-{row['id']}",
                                                 type="primary"):
            act(lambda: alerting.acknowledge(store, row["id"], actor=me, note=note),
                f"Acknowledged {row['id']}")
        if st.button("Resolve", key=f"resolve-{row['id']}"):
            act(lambda: alerting.resolve(store, row["id"], actor=me, note=note),
                f"Resolved {row['id']}")
        if st.button("Add note", key=f"add-note-{row['id']}"):
            act(lambda: alerting.add_note(store, row["id"], actor=me, note=note),
                f"Noted on {row['id']}")


@st.fragment(run_every="30s")
def current() -> None:
    open_alerts = queries.alerts(store, open_only=True)
    st.subheader(f"Now ({len(open_alerts)})", anchor=False)
    if open_alerts.empty:
        st.success("No open alerts. Detection runs every "
                   f"{config.alerts.every_minutes:g} minutes over the last day.")
    for _, row in open_alerts.iterrows():
        show_alert(row, expanded=row["severity"] == "critical")


current()

st.subheader("History", anchor=False)
past = queries.alerts(store, limit=300)
past = past[past["status"] == "resolved"] if not past.empty else past
if past.empty:
    st.caption("No resolved alerts yet.")
else:
    table = pd.DataFrame({
        "Alert": past["id"], "What": [alerting.series_name(s) for s in past["series"]],
        "Kind": past["kind"], "Severity": past["severity"],
        "Started (UTC)": past["started_at"], "Ended (UTC)": past["ended_at"],
        "Peak": past["observed"], "Expected": past["expected"],
        "Resolved by": past["resolved_by"]})
    when = {column: ui.utc_column(column) for column in ("Started (UTC)", "Ended (UTC)")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=when)
    chosen = st.selectbox("Look at one", past["id"].tolist(), index=None,
                          placeholder="an alert id", key="past-alert")
    if chosen:
        show_alert(past[past["id"] == chosen].iloc[0], expanded=True)

st.subheader("Notifications", anchor=False)
if not config.alerts.notify:
    st.info("No notification targets: add [[alerts.notify]] with an apprise URL (Slack, "
            f"Teams, email, Telegram, a JSON webhook…) to {config.path}.")
for target in config.alerts.notify:
    cols = st.columns([4, 1], vertical_alignment="center")
    cols[0].text(notify.describe(target))
    if cols[1].button("Send test", key=f"test-{target.name}"):
        try:
            auth.check(store, me, "test_notification")
        except auth.NotPermitted as exc:
            st.error(ui.sentence(exc))
            st.stop()
        delivery = notify.send_test(target, now=utcnow())
        alerting.record(store, None, [delivery], utcnow())
        (st.success if delivery.outcome == "sent" else st.error)(
            f"Test notification to {target.name}: {delivery.outcome}.")
        st.text(delivery.detail)  # the endpoint's words, shown as plain text
sent = queries.notifications(store, limit=100)
if not sent.empty:
    failed = sent[sent["outcome"] == "failed"]
    if not failed.empty:
        st.error(f"{len(failed)} of the last {len(sent)} notifications failed. The newest "
                 "failure:")
        st.text(f"{failed.iloc[0]['target']}: {failed.iloc[0]['detail']}")
    st.dataframe(sent, hide_index=True, width="stretch")
