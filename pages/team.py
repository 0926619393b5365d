"""Team: for managers. How each person is doing (live), who is on shift in each hour of the
week and when nobody writes a language or covers a channel, and service quality (CSAT, NPS,
CES, first-contact resolution, resolution time) with survey answers entered or imported."""

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import altair as alt
import streamlit as st

from clamor import actions, performance, queries, ui
from clamor.store import utcnow

rt = ui.get_runtime()
ui.require("team")
ui.page_style()
store, config = rt.store, rt.config

st.title("Team")
people_tab, coverage_tab, quality_tab = st.tabs(
    ["Agent performance", "Shift coverage", "Service quality"])


def _figure(value, template: str = "{:.1f}") -> str:
    return "—" if value is None else template.format(value)


def _row_name(what: str, key: str) -> str:
    if what == "language":
        return ui.language_name(key)
    return "Any channel" if key == performance.ANYONE else f"On {key}"


# -- agent performance ---------------------------------------------------------------------

SHIFT = "shift"
PERFORMANCE_COLUMNS = {
    "person": st.column_config.TextColumn("Person", pinned=True),
    "team": st.column_config.TextColumn("Team"),
    "shift": st.column_config.TextColumn("Shift that day"),
    "handled": st.column_config.NumberColumn(
        "Handled", width="small", help="Cases they responded to or resolved in the period."),
    "first_responses": st.column_config.NumberColumn(
        "First replies", help="Cases where theirs was the case's first response."),
    "first_response_p50_min": st.column_config.NumberColumn(
        "First reply p50", format="%.0f min",
        help="Minutes from the case opening to their first response, over the cases where "
             "theirs was the first (wall clock, nearest-rank median)."),
    "first_response_p90_min": st.column_config.NumberColumn(
        "First reply p90", format="%.0f min"),
    "resolved": st.column_config.NumberColumn("Resolved", width="small"),
    "resolution_p50_h": st.column_config.NumberColumn(
        "Resolution p50", format="%.1f h",
        help="Hours from the case opening to their resolution."),
    "resolution_p90_h": st.column_config.NumberColumn("Resolution p90", format="%.1f h"),
    "csat_avg": st.column_config.NumberColumn(
        "CSAT", format="%.2f", width="small",
        help="Average CSAT (1-5) of cases they own or resolved."),
    "csat_answers": st.column_config.NumberColumn("Answers", width="small",
                                                  help="CSAT answers averaged."),
    "open_now": st.column_config.NumberColumn("Open", width="small",
                                              help="Open cases they own now."),
    "on_shift_now": st.column_config.CheckboxColumn("On shift", width="small",
                                                    help="On shift now."),
}

with people_tab:
    choices = {**performance.PERIODS, SHIFT: "One day's shifts"}
    period = st.segmented_control("Period", list(choices), format_func=choices.get,
                                  default="7d", key="team_period") or "7d"
    shift_day = None
    if period == SHIFT:
        shift_day = st.columns([1, 3])[0].date_input(
            "Day", value=utcnow().date(), key="team_shift_day",
            help="Each person's figures within their own shift that day (their time zone)")


@st.fragment(run_every="30s")
def agent_table(period: str, shift_day: dt.date | None) -> None:
    now = utcnow()
    shifts = None
    if period == SHIFT:
        shifts = performance.shift_spans(config, shift_day)
        bounds = performance.span_bounds(shifts)
        activity = queries.agent_activity_in_shifts(store, shifts)
        answers = queries.survey_credits(store, *(bounds or (now, now)))
        scope = (f"within each person's shift on {shift_day:%a %d %b %Y}; survey answers "
                 "given during that shift")
    else:
        since = performance.period_start(period, now)
        activity = queries.agent_activity(store, since)
        answers = queries.survey_credits(store, since)
        scope = f"since {ui.local_time(since)}"
    table = performance.agent_performance(activity, answers, config, queries.open_load(store),
                                          now, shifts=shifts)
    st.caption(f"Work {scope}. Percentiles are nearest-rank; open load and shifts are as of "
               f"{ui.local_time(now)}. Refreshes every 30 s.")
    st.dataframe(table, hide_index=True, column_config=PERFORMANCE_COLUMNS, placeholder="—",
                 key=f"performance-{period}")
    if not table["handled"].any():
        st.info("Nobody has responded to or resolved a case in this period yet.")


with people_tab:
    agent_table(period, shift_day)


# -- shift coverage ------------------------------------------------------------------------

COVER_COLOURS = ["#d32f2f", "#ffa726", "#c6dbef", "#6baed6", "#08519c"]

with coverage_tab:
    st.caption("Who is on shift in each hour of the week, from each person's shift, time "
               "zone and team holidays; customers write around the clock, so red hours are "
               "hours nobody answers.")
    settings = st.columns([2, 2, 1])
    zones = list(dict.fromkeys(["UTC", *(team.timezone for team in config.teams)]))
    zone = settings[0].selectbox("Time zone", zones, key="coverage_zone")
    week_of = settings[1].date_input("Week of", value=utcnow().date(), key="coverage_week",
                                     help="Monday to Sunday of the week holding this day")
    managers = settings[2].toggle("Count managers", key="coverage_managers",
                                  help="Managers take escalations; by default only agents "
                                       "count as cover.")
    grid = performance.coverage(config, week_of, zone, include_managers=managers,
                                name=_row_name)
    gaps = performance.coverage_gaps(config, week_of, zone, include_managers=managers,
                                     name=_row_name)
    start, _ = performance.week_bounds(week_of, zone)
    st.subheader(f"Week of {start.astimezone(ZoneInfo(zone)):%a %d %b %Y}")
    slots = list(dict.fromkeys(grid.sort_values("slot")["label"]))
    rows = list(dict.fromkeys(grid["row"]))
    st.altair_chart(
        alt.Chart(grid).mark_rect(stroke="white", strokeWidth=0.3).encode(
            x=alt.X("label:O", sort=slots, title=f"Hour of the week ({zone})",
                    axis=alt.Axis(labelAngle=0, ticks=False, labelOverlap=False,
                                  labelExpr="slice(datum.label, 4) == '00:00' "
                                            "? slice(datum.label, 0, 3) : ''")),
            y=alt.Y("row:N", sort=rows, title=None),
            color=alt.Color("cover:N", title="On shift",
                            scale=alt.Scale(domain=list(performance.COVER_LEVELS),
                                            range=COVER_COLOURS),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("row:N", title="Cover"), alt.Tooltip("label:N", title="Hour"),
                     alt.Tooltip("people:Q", title="People"),
                     alt.Tooltip("names:N", title="Who"),
                     alt.Tooltip("covered_minutes:Q", title="Minutes covered")],
        ).properties(height=alt.Step(24)),
        width="stretch",
    )
    st.subheader("Nobody on shift")
    lines = performance.gap_sentences(gaps, zone)
    if lines:
        for line in lines:
            st.text(line)
    else:
        st.success("Every language and channel has somebody on shift all week.")


# -- service quality -----------------------------------------------------------------------

QUALITY_COLUMNS = {
    "team": st.column_config.TextColumn("Team", pinned=True),
    "csat_avg": st.column_config.NumberColumn("CSAT", format="%.2f", help="Average, 1-5."),
    "csat_satisfied": st.column_config.NumberColumn("CSAT 4-5", format="percent"),
    "csat_answers": st.column_config.NumberColumn("n", width="small", help="CSAT answers."),
    "nps": st.column_config.NumberColumn("NPS", format="%+.0f",
                                         help="Promoters minus detractors, in points."),
    "nps_answers": st.column_config.NumberColumn("n", width="small", help="NPS answers."),
    "ces_avg": st.column_config.NumberColumn("CES", format="%.2f", help="Average, 1-7."),
    "ces_answers": st.column_config.NumberColumn("n", width="small", help="CES answers."),
    "fcr_rate": st.column_config.NumberColumn("First contact", format="percent",
                                              help="First-contact resolution rate."),
    "resolved": st.column_config.NumberColumn("Resolved", width="small"),
    "resolution_avg_h": st.column_config.NumberColumn("Resolution avg", format="%.1f h"),
    "resolution_p90_h": st.column_config.NumberColumn("Resolution p90", format="%.1f h"),
}


SHARES = ("csat_satisfied", "fcr_rate")


def measure_charts(frame, x: str, mark: str) -> None:
    """One small chart per measure, each on its own scale (CSAT 1-5 beside NPS points)."""
    columns = st.columns(4)
    for i, (measure, title) in enumerate(performance.QUALITY_MEASURES.items()):
        data = frame[[x, measure]].dropna()
        if data.empty:  # no survey of this kind in the period: words, not an empty chart
            with columns[i % 4]:
                st.markdown(f"**{title}**")
                st.caption("No answers in these weeks.")
            continue
        axis = alt.Axis(format=".0%" if measure in SHARES else "~r")
        chart = alt.Chart(data, title=title)
        chart = chart.mark_line(point=True) if mark == "line" else chart.mark_bar()
        group = alt.X(f"{x}:O", sort=None, title=None, axis=alt.Axis(labelAngle=0))
        value = alt.Y(f"{measure}:Q", title=None, axis=axis)
        if mark == "bar":  # teams down the side, so their names stay readable
            group = alt.Y(f"{x}:O", sort=None, title=None, axis=alt.Axis(labelOverlap=False))
            value = alt.X(f"{measure}:Q", title=None, axis=axis)
        columns[i % 4].altair_chart(chart.encode(
            group, value,
            tooltip=[alt.Tooltip(f"{x}:O"),
                     alt.Tooltip(f"{measure}:Q", title=title,
                                 format=".0%" if measure in SHARES else ".2f")],
        ).properties(height=alt.Step(22) if mark == "bar" else 160), width="stretch")


with quality_tab:
    weeks = st.segmented_control("Weeks", [4, 8, 12, 26], default=8, key="quality_weeks",
                                 format_func=lambda w: f"{w} weeks") or 8
    today = utcnow().date()
    since = dt.datetime.combine(today - dt.timedelta(days=today.weekday(), weeks=weeks - 1),
                                dt.time(0), dt.timezone.utc)
    answers = queries.surveys(store, since)
    resolved = queries.first_contact_resolution(store, since)
    overall = performance.service_quality(answers, resolved).iloc[0].to_dict()
    cols = st.columns(5)
    cols[0].metric("CSAT", _figure(overall["csat_avg"], "{:.2f} / 5"),
                   help=f"{overall['csat_answers']} answers; "
                        f"{_figure(overall['csat_satisfied'], '{:.0%}')} gave 4 or 5")
    cols[1].metric("NPS", _figure(overall["nps"], "{:+.0f}"),
                   help=f"{overall['nps_answers']} answers; promoters (9-10) minus "
                        "detractors (0-6), in points")
    cols[2].metric("CES", _figure(overall["ces_avg"], "{:.2f} / 7"),
                   help=f"{overall['ces_answers']} answers")
    cols[3].metric("First-contact resolution", _figure(overall["fcr_rate"], "{:.0%}"),
                   help=f"of {overall['resolved']} resolved cases: one message, one "
                        "response, never reopened")
    cols[4].metric("Resolution", _figure(overall["resolution_avg_h"], "{:.1f} h avg"),
                   help=f"p90 {_figure(overall['resolution_p90_h'], '{:.1f} h')}")
    st.caption(f"Since {ui.local_time(since)}: survey answers by when they were given, "
               "resolved cases by when they were resolved.")

    if answers.empty and resolved.empty:
        st.info("No survey answers or resolved cases in this period yet. Record answers "
                "below, or import them from your survey tool.")
    else:
        st.subheader("By week")
        by_week = performance.service_quality(answers, resolved, by="week")
        by_week["week"] = by_week["week"].map(lambda monday: f"{monday:%d %b}")
        measure_charts(by_week, "week", "line")
        st.subheader("By team")
        by_team = performance.service_quality(answers, resolved, by="team")
        measure_charts(by_team, "team", "bar")
        st.dataframe(by_team, hide_index=True, column_config=QUALITY_COLUMNS, placeholder="—")

    st.subheader("Record survey answers")
    entry, upload = st.columns(2, gap="large")
    with entry, st.form("survey_form"):
        case_ref = st.text_input("Case", placeholder="e.g. C-123", key="survey_case")
        kind = st.selectbox("Survey", list(actions.SURVEY_SCALES), key="survey_kind",
                            format_func=actions.SURVEY_NAMES.get)
        score = st.number_input("Score", min_value=0, max_value=10, value=5, step=1,
                                key="survey_score",
                                help="CSAT 1-5, NPS 0-10, CES 1-7")
        agent = st.session_state.get("agent_name") or ""  # the signed-in user
        st.text(f"Recorded by {agent}")
        if st.form_submit_button("Record answer", key="survey_record"):
            try:
                actions.record_survey(store, case_ref.strip(), kind, int(score), actor=agent)
            except actions.ActionRefused as exc:
                st.error(ui.sentence(exc))
            else:
                st.success(f"Recorded: {actions.SURVEY_NAMES[kind]} {int(score)}.")
    with upload:
        st.text("CSV columns: case, kind (csat, nps or ces), score, and optionally "
                "answered_at (ISO 8601).")
        uploaded = st.file_uploader("Survey answers (CSV)", type="csv", key="survey_csv")
        if uploaded is not None and st.button("Import", key="survey_import"):
            with tempfile.TemporaryDirectory() as folder:
                # The file's own name, not the temp one: it is the actor the answers record.
                path = Path(folder) / (Path(uploaded.name).name or "surveys.csv")
                path.write_bytes(uploaded.getvalue())
                try:
                    recorded, problems = actions.import_surveys(store, path, by=agent)
                except actions.ActionRefused as exc:
                    st.error("The file was not imported:")
                    st.text(str(exc))
                else:
                    st.success(f"Recorded {recorded} answer{'s' if recorded != 1 else ''}.")
                    if problems:
                        st.warning(f"{len(problems)} line{'s' if len(problems) != 1 else ''} "
                                   "skipped:")
                        for problem in problems:
                            st.text(problem)
