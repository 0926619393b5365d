"""Overview: how much is being said, in which languages, in what mood, and how many complaints,
over the last days."""

import altair as alt
import streamlit as st

from clamor import charts, queries, ui

rt = ui.get_runtime()
ui.require("overview")
store = rt.store

st.title("Overview")
days = st.segmented_control("Period", [1, 3, 7, 14], default=7, key="days",
                            format_func=lambda d: f"{d} day{'s' if d > 1 else ''}") or 7


@st.fragment(run_every="30s")
def overview() -> None:
    totals = queries.totals(store, days)
    cols = st.columns(4)
    cols[0].metric("Customer mentions", f"{totals.mentions:,}")
    cols[1].metric("Unanswered now", f"{totals.unanswered:,}")
    cols[2].metric("Complaints", f"{totals.complaints:,}")
    share = totals.unscored / totals.mentions if totals.mentions else 0
    cols[3].metric("Sentiment unscored", f"{share:.0%}",
                   help="Languages without a sentiment model yet are shown as unscored, "
                        "never as neutral.")
    if not totals.mentions:
        st.info("No mentions in this period yet.")
        return

    volume = queries.daily_volume(store, days)
    volume["language"] = volume["language"].map(ui.language_name)
    st.subheader("Mentions per day, by language")
    st.altair_chart(
        alt.Chart(volume).mark_bar().encode(
            x=alt.X("yearmonthdate(day):T", title="Day"),
            y=alt.Y("mentions:Q", title="Mentions", axis=charts.COUNTS),
            color=alt.Color("language:N", title="Language",
                            scale=charts.language_scale(volume["language"])),
            tooltip=["yearmonthdate(day):T", "language:N", "mentions:Q"],
        ),
        width="stretch",
    )

    mood = queries.daily_sentiment(store, days)
    st.subheader("Sentiment per day")
    st.altair_chart(
        alt.Chart(mood).mark_bar().encode(
            x=alt.X("yearmonthdate(day):T", title="Day"),
            y=alt.Y("mentions:Q", title="Mentions", axis=charts.COUNTS),
            color=alt.Color("sentiment:N", scale=charts.SENTIMENT, title="Sentiment"),
            tooltip=["yearmonthdate(day):T", "sentiment:N", "mentions:Q"],
        ),
        width="stretch",
    )

    hourly = queries.hourly_complaints(store, days)
    st.subheader("Complaints per hour")
    st.altair_chart(
        alt.Chart(hourly).mark_area(opacity=0.6, color="#c62828").encode(
            x=alt.X("hour:T", title="Hour (UTC)"),
            y=alt.Y("complaints:Q", title="Complaints", axis=charts.COUNTS),
            tooltip=["hour:T", "complaints:Q", "mentions:Q"],
        ),
        width="stretch",
    )


overview()
