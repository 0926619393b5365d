"""What the pages' charts share: an axis of counts, the colours of sentiment and of each
language; and what the Explore page's share: time
buckets as axis labels in the analyst's time zone (and the way back from a clicked label to
its bucket), the time axis, the mark an analyst clicked, the table one click away, and the
table of mentions behind it all."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from clamor import ui
from clamor.explorer import SENTIMENTS

# An axis of counts ticks at whole numbers: a week of 3 mentions read 0.0, 0.2 … 3.0
COUNTS = alt.Axis(format=",d", tickMinStep=1)

# Sentiment in the same colours on every page: green and red for the moods, grey neutral,
# purple for "unscored" (a language without a model: not neutral), pale for "pending".
SENTIMENT = alt.Scale(domain=list(SENTIMENTS),
                      range=["#2e7d32", "#9e9e9e", "#c62828", "#7e57c2", "#e0e0e0"])

# A colour of its own for each language, the same on every page. (The theme's palette pairs
# a dark and a light shade of one hue, so Arabic and English read as one family, and the
# colours moved with the languages a chart happened to hold.) No green or red: those are
# sentiment's.
LANGUAGE_COLORS = {"English": "#4c78a8", "Persian": "#f58518", "Arabic": "#72b7b2",
                   "Thai": "#b279a2", "Greek": "#eeca3b", "unknown language": "#bab0ac",
                   "pending": "#e0e0e0"}  # (not analysed yet: pale, as in sentiment)
SPARE_COLORS = ("#9d755d", "#ff9da6", "#4a4a8c", "#d4a373", "#5f9ea0", "#8c6bb1")


def language_scale(names) -> alt.Scale:
    """The colour scale for the languages named (ui.language_name), each in its colour;
    languages beyond the five in spare ones, in alphabetical order."""
    names = sorted(set(names))
    others = [n for n in names if n not in LANGUAGE_COLORS]
    spare = {n: SPARE_COLORS[i % len(SPARE_COLORS)] for i, n in enumerate(others)}
    return alt.Scale(domain=names, range=[LANGUAGE_COLORS.get(n) or spare[n] for n in names])


LABEL_FORMATS = {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "week": "week of %Y-%m-%d"}


def labelled(data: pd.DataFrame, grain: str, tz: str
             ) -> tuple[pd.DataFrame, dict, list[str]]:
    """Buckets (column `bucket`, instants) as labels for an ordinal axis (one bar per
    bucket, however few) in the time zone `tz`, the way back from a clicked label to its
    bucket (an instant in UTC), and the labels in time order. Pure."""
    local = [pd.Timestamp(b).tz_convert(tz) for b in data["bucket"]]
    fmt = LABEL_FORMATS[grain]
    if len({t.strftime(fmt) for t in local}) < len(set(local)):
        fmt += " (%Z)"  # the hour that repeats when the clocks go back, told apart
    labels = [t.strftime(fmt) for t in local]
    back = {label: pd.Timestamp(b).tz_convert("UTC").to_pydatetime()
            for label, b in zip(labels, data["bucket"], strict=True)}
    order = [label for _, label in sorted(set(zip(data["bucket"], labels, strict=True)))]
    return data.assign(label=labels), back, order


def bucket_axis(grain: str, order: list[str], tz: str) -> alt.X:
    """The time axis of a chart over labelled buckets (see `labelled`), in time order."""
    return alt.X("label:O", sort=order, title=f"{grain.capitalize()} ({tz})",
                 axis=alt.Axis(labelAngle=-30, labelOverlap=True))


def picked(event, name: str) -> dict | None:
    """The first mark the analyst clicked in a chart, if any."""
    marks = (event or {}).get("selection", {}).get(name) or []
    return marks[0] if marks else None


def table_toggle(frame: pd.DataFrame, key: str) -> None:
    """The chart's underlying table, one click away."""
    if st.toggle("Show the table", key=f"{key}-table"):
        st.dataframe(frame, hide_index=True, width="stretch")


def mention_table(frame: pd.DataFrame, key: str, tz: str, height: int = 420) -> None:
    """Mentions (explorer.mentions) as an analyst's table, times in `tz`: the text is cell
    text, never Markdown or HTML, and only plain web addresses are links."""
    shown = frame.assign(
        created_at=pd.to_datetime(frame["created_at"], utc=True).dt.tz_convert(tz),
        url=[ui.safe_link(u) for u in frame["url"]],
        language=[ui.language_name(None if c == "und" else c) for c in frame["lang"]],
        terms=[", ".join(t) for t in frame["matched_terms"]],
        text=[ui.clipped(t, 500) for t in frame["text"]],
        case_id=frame["case_id"].fillna(""),
        case_status=frame["case_status"].fillna("").str.replace("_", " "),
    )[["created_at", "text", "author", "source", "language", "sentiment_label", "complaint",
       "case_id", "case_status", "terms", "author_followers", "url"]]
    st.dataframe(shown, hide_index=True, width="stretch", height=height, key=key,
                 column_config={
                     "created_at": st.column_config.DatetimeColumn(f"When ({tz})",
                                                                   format="YYYY-MM-DD HH:mm"),
                     "text": st.column_config.TextColumn("Text", width="large"),
                     "author": "Author", "source": "Source", "language": "Language",
                     "sentiment_label": "Sentiment", "complaint": "Complaint",
                     "case_id": "Case", "case_status": "Case state", "terms": "Terms",
                     "author_followers": st.column_config.NumberColumn("Followers"),
                     "url": st.column_config.LinkColumn("Link", display_text="open"),
                 })
