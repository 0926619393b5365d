"""Standards: how well each response standard was kept for the cases opened in a period, which
cases broke it, and how long first responses and resolutions took. The figures come from the
same functions as `clamor report standards`, so the page and the report agree."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

import clamor.store
from analysis import metrics
from clamor import queries, standards, ui

rt = ui.get_runtime()
ui.require("standards")
store, config = rt.store, rt.config

PERIODS = (1, 7, 28, 90)
KEPT = {True: ("kept", "green"), False: ("broken", "red"), None: ("nothing measured yet", "gray")}

st.title("Standards")
days = st.segmented_control("Cases opened in the last", PERIODS, default=28, key="std_days",
                            format_func=lambda d: f"{d} day{'s' if d > 1 else ''}") or 28


def card(standard, measured) -> None:
    figures = standards.headline(standard, measured)
    with st.container(border=True):
        st.subheader(standard.name, anchor=False)
        st.caption(f"Goal: {standards.goal(standard)}")
        text, colour = KEPT[figures["ok"]]
        st.badge(text, color=colour)
        share, pct = figures["share_met"], standard.percentile
        # two figures a row: three in a half-width card cut "4 h 31 min" short on a laptop
        cols = [*st.columns(2), *st.columns(2)]
        cols[0].metric(
            "Share met", standards.share_label(share),
            delta=None if share is None else
            f"{standards.share_percent(share) - pct:+.1f} points vs goal",
            help=f"{figures['met']} of {figures['cases']} measured cases met the target of "
                 f"{standards.minutes_label(standard.target_minutes)}. Open cases still within "
                 "the target are not counted yet.")
        achieved = figures["achieved_minutes"]
        cols[1].metric(
            f"Achieved p{pct:g}",
            ("≥ " if figures["achieved_at_least"] else "") + standards.minutes_label(achieved),
            help=f"{pct:g} % of measured cases took this long or less, counted "
                 f"{standards.clock_label(standard.clock)}."
                 + (" It is the wait so far of a case still open, so it can only grow."
                    if figures["achieved_at_least"] else ""))
        cols[2].metric("Late now", f"{figures['late_now']:,}",
                       help="Open cases already past the target.")
        cols[3].metric("Still in time", f"{figures['still_in_time']:,}",
                       help="Open cases still within the target: not measured yet.")
        st.caption(f"{figures['cases']:,} cases measured")


def breakdown(standard, measured) -> None:
    by = st.segmented_control("Share met by", list(standards.BREAKDOWNS), default="day",
                              key="std_by") or "day"
    table = standards.breakdown_frame(standard, measured, standards.BREAKDOWNS[by])
    if by == "language":
        table["group"] = table["group"].map(ui.language_name)
    if by in ("day", "week"):
        team = config.team(standard.clock)
        st.caption(f"{by.capitalize()}s in {team.timezone if team else 'UTC'} time, by when "
                   "the case was opened.")
    if table.empty:
        st.info("No case in this period falls under this standard.")
        return
    goal = standard.percentile / 100
    shown = table.dropna(subset=["share_met"]).assign(
        result=lambda t: t["ok"].map({True: "kept", False: "broken"}))
    bars = alt.Chart(shown).mark_bar().encode(
        x=alt.X("group:N", title=by.capitalize(), sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share_met:Q", title="Share met", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("result:N", title="Standard",
                        scale=alt.Scale(domain=["kept", "broken"],
                                        range=["#2e7d32", "#c62828"])),
        tooltip=[alt.Tooltip("group:N", title=by.capitalize()),
                 alt.Tooltip("share_met:Q", title="Share met", format=".1%"),
                 alt.Tooltip("cases:Q", title="Cases"), alt.Tooltip("met:Q", title="Met")])
    line = alt.Chart(pd.DataFrame({"goal": [goal], "label": [f"goal {standard.percentile:g} %"]}))
    rule = line.mark_rule(color="#424242", strokeDash=[6, 4]).encode(y="goal:Q")
    label = line.mark_text(align="left", dx=4, dy=-7, color="#424242").encode(
        y="goal:Q", x=alt.value(0), text="label:N")
    st.altair_chart(bars + rule + label, width="stretch")
    st.dataframe(pd.DataFrame({
        by.capitalize(): table["group"],
        "Cases measured": table["cases"], "Met": table["met"],
        "Share met": table["share_met"].map(standards.share_label),
        f"Achieved p{standard.percentile:g}": table["achieved_minutes"].map(
            standards.minutes_label),
        "Standard": table["ok"].map(lambda ok: KEPT[None if pd.isna(ok) else ok][0])}),
        hide_index=True, width="stretch")


def broke_it(standard, measured) -> None:
    late = standards.breaches(standard, measured)
    figures = standards.headline(standard, measured)
    broken = figures["cases"] - figures["met"]
    if late.empty:
        st.success("No case broke this standard in this period.")
        return
    st.caption(f"{broken:,} cases took longer than "
               f"{standards.minutes_label(standard.target_minutes)}"
               + (f"; the {len(late):,} longest are listed." if broken > len(late) else ".")
               + " Minutes are counted " + standards.clock_label(standard.clock) + ".")
    table = pd.DataFrame({
        "case": late["id"], "minutes": late["took"], "still_open": late["still_open"],
        "source": late["source"], "language": late["lang"].map(ui.language_name),
        "owner": late["owner"].fillna("unassigned"), "team": late["team"].fillna("none"),
        "opened": late["opened_at"]})
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "case": "Case", "minutes": st.column_config.NumberColumn("Minutes", format="%.0f"),
        "still_open": st.column_config.CheckboxColumn("Still open"), "source": "Channel",
        "language": "Language", "owner": "Owner", "team": "Team",
        "opened": ui.utc_column("Opened (UTC)")})


def response_times(cases) -> None:
    st.header("Response times", anchor=False)
    clocks = [standards.ALWAYS, *dict.fromkeys(t.name for t in config.teams)]
    on = st.selectbox("Count minutes", clocks, key="std_clock",
                      format_func=lambda c: ("on the wall clock (24/7)" if c == standards.ALWAYS
                                             else f"on {c}'s business hours"))
    times = standards.response_minutes(
        cases, None if on == standards.ALWAYS else standards.clock(config, on))
    for column, title, verb in (("first_response", "First response", "answered"),
                                ("resolution", "Resolution", "resolved")):
        values = times[column].dropna()
        figures = metrics.summary(values)
        st.subheader(title, anchor=False)
        metrics_col, chart_col = st.columns([1, 3])
        metrics_col.metric("Median", standards.minutes_label(figures["median"]))
        metrics_col.metric("p90", standards.minutes_label(figures["p90"]))
        metrics_col.metric(f"Cases {verb}", f"{figures['count']:,}",
                           help=f"of {len(cases):,} cases opened in the period")
        with chart_col:
            if values.empty:
                st.info(f"No case opened in this period has been {verb} yet.")
            else:
                st.altair_chart(distribution(values, figures, verb), width="stretch")


def distribution(values: pd.Series, figures: dict, verb: str) -> alt.Chart:
    """Share of cases done within x minutes (an ECDF), with the median and p90 marked."""
    data = pd.DataFrame({"minutes": values.to_numpy()})
    curve = alt.Chart(data).transform_window(
        done="count()", sort=[{"field": "minutes"}]
    ).transform_joinaggregate(total="count()").transform_calculate(
        share="datum.done / datum.total"
    ).mark_line(interpolate="step-after").encode(
        x=alt.X("minutes:Q", title="Minutes (log scale)",
                scale=alt.Scale(type="symlog", constant=1),
                axis=alt.Axis(values=[0, 5, 15, 60, 240, 1440, 10080])),
        y=alt.Y("share:Q", title=f"Share {verb} within", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("minutes:Q", format=".0f"),
                 alt.Tooltip("share:Q", title=f"share {verb}", format=".0%")])
    marks = pd.DataFrame({"minutes": [figures["median"], figures["p90"]],
                          "figure": ["median", "p90"]})
    rules = alt.Chart(marks).mark_rule(strokeDash=[6, 4]).encode(
        x="minutes:Q", color=alt.Color("figure:N", title=None,
                                       scale=alt.Scale(range=["#1565c0", "#ef6c00"])),
        tooltip=["figure:N", alt.Tooltip("minutes:Q", format=".0f")])
    return curve + rules


@st.fragment(run_every="30s")
def page() -> None:
    now = clamor.store.utcnow()
    since = now - dt.timedelta(days=days)
    cases = queries.case_measures(store, since=since)
    st.caption(f"{len(cases):,} cases opened since {ui.local_time(since)}. "
               f"`clamor report standards --days {days}` gives the same figures.")
    if not config.standards:
        st.info("No response standards are configured yet: add a `[[standards]]` block "
                "(name, percentile, target_minutes, clock) to "
                + (f"`{config.path}`" if config.path else "the config file")
                + " and restart Clamor.")
    else:
        measured = [standards.measure(s, config, cases, now) for s in config.standards]
        for i, standard in enumerate(config.standards):
            if i % 2 == 0:
                row = st.columns(2)
            with row[i % 2]:
                card(standard, measured[i])

        st.header("One standard in detail", anchor=False)
        i = st.selectbox("Standard", range(len(config.standards)), key="std_name",
                         format_func=lambda i: config.standards[i].name)
        standard = config.standards[i]
        st.caption(f"Goal: {standards.goal(standard)}")
        breakdown(standard, measured[i])
        st.subheader("Which cases broke it", anchor=False)
        broke_it(standard, measured[i])
    response_times(cases)


page()
