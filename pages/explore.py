"""Explore: the analysts' view of the whole mention history — search and filters, the
matching mentions, trends, share of voice, top authors and words, the language mix; every
chart opens its table and the mentions behind a clicked mark; saved searches; exports."""

import datetime as dt
import shutil
import zoneinfo
from pathlib import Path

import altair as alt
import duckdb
import streamlit as st

from clamor import auth, charts, explorer, exports, ui
from clamor.explorer import Filter

rt = ui.get_runtime()
user = ui.require("explore")
store, config = rt.store, rt.config
ui.page_style()

PERIODS = {"24 hours": 1, "7 days": 7, "30 days": 30, "90 days": 90, "1 year": 365,
           "all time": None, "dates…": "dates"}
COMPLAINT = {"any": None, "complaints": True, "not complaints": False}
VIEWS = ["Mentions", "Trends", "Share of voice", "Authors", "Words", "Languages"]
PAGE_SIZE = 50
LARGE_DOWNLOAD = 500_000_000  # bytes
TERMS = [t.term for t in config.watchlist.terms]
TERM_KINDS = explorer.term_kinds(config)
WATCHLIST_WORDS = explorer.watchlist_words(config)
COMPANIES = explorer.companies(config)
KINDS = sorted({t.kind for t in config.watchlist.terms})
LANGS = [*config.watchlist.languages, "und"]
SOURCES = ["x", "reddit", "web", "demo", *(s for s in ("mastodon", "bluesky"))]

st.title("Explore")


def browser_zone() -> str:
    """The analyst's browser's time zone (UTC when the browser does not say, or names one
    this machine does not know)."""
    try:
        return explorer.time_zone(getattr(st.context, "timezone", None))
    except ValueError:
        return explorer.UTC


ZONES = sorted(zoneinfo.available_timezones() | {explorer.UTC, browser_zone()})
st.session_state.setdefault("x_tz", browser_zone())


# -- the filter ---------------------------------------------------------------------------

def load(flt: Filter) -> None:
    """Put a saved filter into the widgets (before they are drawn)."""
    state = st.session_state
    state["x_text"] = flt.text
    if flt.days:
        state["x_period"] = next((k for k, v in PERIODS.items() if v == flt.days), "all time")
    elif flt.since or flt.until:
        state["x_period"] = "dates…"
        local = zoneinfo.ZoneInfo(state.get("x_tz", explorer.UTC))
        start = (flt.since or dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        end = (flt.until or explorer.last_days(1)[1]) - dt.timedelta(seconds=1)
        state["x_dates"] = (start.astimezone(local).date(), end.astimezone(local).date())
    else:
        state["x_period"] = "all time"
    state["x_sources"] = list(flt.sources)
    state["x_langs"] = list(flt.languages)
    state["x_sentiments"] = list(flt.sentiments)
    state["x_complaint"] = {v: k for k, v in COMPLAINT.items()}[flt.complaint]
    state["x_terms"] = [t for t in flt.terms if t in TERMS]
    state["x_kinds"] = list(flt.kinds)
    state["x_author"] = flt.author
    state["x_states"] = list(flt.case_states)
    state["x_own"] = flt.include_own
    state["x_page"] = 1


pending = st.session_state.pop("x_load", None)
if pending is not None:
    load(pending)

saved = explorer.saved_searches(store, user.name)
top = st.columns([3, 2, 2, 2])
text = top[0].text_input(
    "Search", key="x_text", placeholder='refund "lost bag" -delay #aerolume deliver*',
    help="Every word must appear (in any case, with or without accents); \"quoted words\" "
         "together in that order; -word excluded; word* any word starting so. Thai words "
         "are found inside unspaced text.")
period = top[1].selectbox("Period", list(PERIODS), index=2, key="x_period")
choice = top[2].selectbox("Saved searches", ["—", *saved], key="x_saved",
                          help="Searches you saved here; only you see yours.")
tz = top[3].selectbox("Time zone", ZONES, key="x_tz",
                      help="Days, weeks and hours in the charts, the dates you pick and the "
                           "times shown are this zone's (your browser's unless you choose).")
zone = zoneinfo.ZoneInfo(tz)
if choice != "—" and st.session_state.get("x_loaded") != choice:
    st.session_state["x_loaded"] = choice
    st.session_state["x_load"] = saved[choice]
    st.rerun()

since = until = None
days = PERIODS[period]
if days == "dates":
    today = dt.datetime.now(zone).date()
    picked = st.date_input(f"From – to (days in {tz})",
                           value=(today - dt.timedelta(days=30), today), key="x_dates")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        # local days: from the first day's midnight to the midnight after the last
        since = dt.datetime.combine(picked[0], dt.time(), zone)
        until = dt.datetime.combine(picked[1] + dt.timedelta(days=1), dt.time(), zone)
    days = None

with st.expander("Filters", expanded=False):
    row = st.columns(4)
    sources = row[0].multiselect("Source", SOURCES, key="x_sources")
    languages = row[1].multiselect("Language", LANGS, key="x_langs",
                                   format_func=lambda c: ui.language_name(
                                       None if c == "und" else c))
    sentiments = row[2].multiselect("Sentiment", list(explorer.SENTIMENTS),
                                    key="x_sentiments")
    complaint = row[3].selectbox("Complaint", list(COMPLAINT), key="x_complaint")
    row = st.columns(4)
    terms = row[0].multiselect("Term", TERMS, key="x_terms")
    kinds = row[1].multiselect("Kind", KINDS, key="x_kinds")
    author = row[2].text_input("Author", key="x_author", placeholder="@handle")
    states = row[3].multiselect("Case state", list(explorer.CASE_STATES), key="x_states",
                                format_func=lambda s: "not a case" if s == "none"
                                else s.replace("_", " "))
    include_own = st.checkbox("Include our own posts", key="x_own")

flt = Filter(since=since, until=until, days=days, text=text, sources=tuple(sources),
             languages=tuple(languages), sentiments=tuple(sentiments),
             complaint=COMPLAINT[complaint], terms=tuple(terms), kinds=tuple(kinds),
             author=author, case_states=tuple(states), include_own=include_own)

with st.popover("Save this search"):
    name = st.text_input("Name", key="x_save_name", value=choice if choice != "—" else "")
    if st.button("Save", key="x_save"):
        try:
            explorer.save_search(store, user.name, name, flt)
            st.session_state["x_loaded"] = name.strip()
            st.toast(f"Saved “{name.strip()}”.")
        except (ValueError, auth.NotPermitted) as exc:
            st.error(ui.sentence(exc))
    if choice != "—" and st.button(f"Delete “{choice}”", key="x_delete"):
        try:
            explorer.delete_search(store, user.name, choice)
        except auth.NotPermitted as exc:
            st.error(ui.sentence(exc))
        else:
            st.session_state.pop("x_loaded", None)
            st.session_state["x_saved"] = "—"
            st.rerun()

total, complaints = explorer.count_with_complaints(store, flt)
if flt.text.strip() and not flt.search:
    st.warning("The search box holds no word to look for (only punctuation?); showing "
               "everything else the filters ask for.")
cols = st.columns(3)
cols[0].metric("Matching mentions", f"{total:,}")
cols[1].metric("Complaints among them",
               f"{complaints:,} ({complaints / total:.0%})" if total else "0")
since_shown, until_shown = flt.period()
cols[2].caption(f"Period ({tz}): " + (
    f"{since_shown.astimezone(zone):%Y-%m-%d %H:%M} – "
    f"{until_shown.astimezone(zone):%Y-%m-%d %H:%M}" if since_shown else "all time"))


# -- views --------------------------------------------------------------------------------

def behind_mark(narrowed: Filter, label: str, key: str) -> None:
    """The mentions behind a clicked mark, and a way to make them the page's filter."""
    found = explorer.count(store, narrowed)
    st.subheader(f"Mentions behind {label}: {found:,}", anchor=False)
    if found:
        charts.mention_table(explorer.mentions(store, narrowed, limit=PAGE_SIZE),
                             key=f"{key}-list", tz=tz, height=300)
    if st.button("Explore just these", key=f"{key}-apply"):
        st.session_state["x_load"] = narrowed
        st.rerun()


def view_mentions() -> None:
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages:,}; newest first)", min_value=1,
                           max_value=pages, key="x_page", step=1)
    frame = explorer.mentions(store, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    if frame.empty:
        st.info("No mention matches: widen the period or remove a filter.")
        return
    charts.mention_table(frame, key="x-mentions", tz=tz, height=560)


def view_trends() -> None:
    grain = st.segmented_control("Per", list(explorer.GRAINS), default="day",
                                 key="x_grain") or "day"
    data = explorer.trend(store, flt, grain, tz)
    if data.empty:
        st.info("Nothing to chart for these filters.")
        return
    data, back, order = charts.labelled(data, grain, tz)
    st.subheader(f"Mentions per {grain}, by sentiment", anchor=False)
    st.caption("Click a bar, or a point of the complaints below, to see the mentions "
               "behind it.")
    pick = alt.selection_point(name="pick", fields=["label", "sentiment_label"])
    chart = alt.Chart(data).mark_bar().encode(
        x=charts.bucket_axis(grain, order, tz),
        y=alt.Y("mentions:Q", title="Mentions", axis=charts.COUNTS),
        color=alt.Color("sentiment_label:N", scale=charts.SENTIMENT, title="Sentiment"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("label:O", title=grain), "sentiment_label:N", "mentions:Q",
                 "complaints:Q"],
    ).add_params(pick)
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-trend")
    st.subheader(f"Complaints per {grain}", anchor=False)
    complaints = data.groupby("label", as_index=False)["complaints"].sum()
    pick_complaints = alt.selection_point(name="pick", fields=["label"])
    line = alt.Chart(complaints).encode(
        x=charts.bucket_axis(grain, order, tz),
        y=alt.Y("complaints:Q", title="Complaints", axis=charts.COUNTS),
        tooltip=[alt.Tooltip("label:O", title=grain), "complaints:Q"])
    # (the points are what a click picks: a line's click picks its nearest point)
    complaint_event = st.altair_chart(
        line.mark_line(color="#c62828")
        + line.mark_point(color="#c62828", filled=True, size=60).add_params(pick_complaints),
        width="stretch", on_select="rerun", key="x-complaints")
    charts.table_toggle(data.drop(columns=["label"]), "x-trend")
    mark = charts.picked(event, "pick")
    if mark and mark.get("label") in back:
        behind_mark(explorer.behind(flt, grain=grain, bucket=back[mark["label"]],
                                    sentiment=mark.get("sentiment_label"), tz=tz),
                    f"{mark['label']} ({mark.get('sentiment_label', 'all')})", "x-trend")
    mark = charts.picked(complaint_event, "pick")
    if mark and mark.get("label") in back:
        behind_mark(explorer.behind(flt, grain=grain, bucket=back[mark["label"]],
                                    complaint=True, tz=tz),
                    f"{mark['label']} (complaints)", "x-complaints")


def view_share() -> None:
    grain = st.segmented_control("Per", ["day", "week"], default="week",
                                 key="x_share_grain") or "week"
    data = explorer.share_of_voice(store, flt, grain, COMPANIES, tz)
    if data.empty:
        st.info("No company is named in these mentions. Share of voice compares our brand, "
                "products and company terms with watchlist terms of kind \"competitor\" "
                "(clamor.toml; `company` groups a competitor's several names).")
        return
    data["side"] = data["ours"].map({True: "ours", False: "competitor"})
    data, back, order = charts.labelled(data, grain, tz)
    totals = data.groupby(["company", "side"], as_index=False)["mentions"].sum()
    totals["share"] = totals["mentions"] / totals["mentions"].sum()
    cols = st.columns(min(len(totals), 6))
    for col, row in zip(cols, totals.sort_values("mentions", ascending=False)
                        .itertuples(), strict=False):
        col.metric(f"{row.company} ({row.side})", f"{row.share:.0%}")
        col.caption(f"{row.mentions:,} mentions")
    st.subheader(f"Share of voice per {grain}", anchor=False)
    st.caption("Each company's share of the mentions naming a company: a post naming two "
               "competitors counts for each, a post naming us twice (the brand and the app) "
               "once. Click a bar to see the mentions behind it.")
    pick = alt.selection_point(name="pick", fields=["label", "company"])
    chart = alt.Chart(data).mark_bar().encode(
        x=charts.bucket_axis(grain, order, tz),
        y=alt.Y("mentions:Q", stack="normalize", title="Share of voice",
                axis=alt.Axis(format="%")),
        color=alt.Color("company:N", title="Company",
                        sort=[c.name for c in COMPANIES]),
        order=alt.Order("ours:N", sort="descending"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("label:O", title=grain), "company:N", "side:N", "mentions:Q",
                 alt.Tooltip("share:Q", format=".0%")],
    ).add_params(pick)
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-share")
    charts.table_toggle(data.drop(columns=["label", "ours"]), "x-share")
    mark = charts.picked(event, "pick")
    named = {c.name: c.terms for c in COMPANIES}
    if mark and mark.get("label") in back and mark.get("company") in named:
        behind_mark(explorer.behind(flt, grain=grain, bucket=back[mark["label"]],
                                    terms=named[mark["company"]], tz=tz),
                    f"{mark['company']} in {mark['label']}", "x-share")


def view_authors() -> None:
    by = st.segmented_control("By", ["volume", "reach"], default="volume",
                              key="x_authors_by") or "volume"
    data = explorer.top_authors(store, flt, by=by, limit=20)
    if data.empty:
        st.info("No author in these mentions.")
        return
    measure = "mentions" if by == "volume" else "followers"
    pick = alt.selection_point(name="pick", fields=["author", "source"])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{measure}:Q", title=measure.capitalize(), axis=charts.COUNTS),
        y=alt.Y("author:N", sort="-x", title=None),
        color=alt.Color("source:N", title="Source"),
        tooltip=["author:N", "source:N", "mentions:Q", "followers:Q", "complaints:Q",
                 "negative:Q"],
    ).add_params(pick)
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-authors")
    charts.table_toggle(data, "x-authors")
    mark = charts.picked(event, "pick")
    if mark and mark.get("author"):
        behind_mark(explorer.behind(flt, author=mark["author"], source=mark.get("source")),
                    ui.isolate(str(mark["author"])), "x-authors")


def view_words() -> None:
    shown = st.segmented_control("Show", ["words", "hashtags", "watchlist terms"],
                                 default="words", key="x_words_kind") or "words"
    if shown == "watchlist terms":
        view_terms()
        return
    data = explorer.top_words(store, flt, limit=25, hashtags=shown == "hashtags",
                              leave_out=WATCHLIST_WORDS)
    st.caption(f"Counted over the newest {explorer.TOP_WORDS_SAMPLE:,} matching mentions; "
               "common function words and the names you listen for (see watchlist terms) "
               "are left out.")
    if data.empty:
        st.info("No word to count in these mentions.")
        return
    pick = alt.selection_point(name="pick", fields=["word"])
    chart = alt.Chart(data).mark_bar(color="#5c6bc0").encode(
        x=alt.X("mentions:Q", title="Mentions holding it", axis=charts.COUNTS),
        y=alt.Y("word:N", sort="-x", title=None),
        tooltip=["word:N", "mentions:Q", alt.Tooltip("share:Q", format=".1%")],
    ).add_params(pick)
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-words")
    charts.table_toggle(data, "x-words")
    mark = charts.picked(event, "pick")
    if mark and mark.get("word"):
        behind_mark(explorer.behind(flt, word=str(mark["word"])), f"“{mark['word']}”",
                    "x-words")


def view_terms() -> None:
    """Every watchlist term (brand, products, staff, company, competitors) by mentions."""
    data = explorer.term_counts(store, flt, TERM_KINDS)
    if data.empty:
        st.info("No watchlist term in these mentions.")
        return
    pick = alt.selection_point(name="pick", fields=["term"])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("mentions:Q", title="Mentions naming it", axis=charts.COUNTS),
        y=alt.Y("term:N", sort="-x", title=None),
        color=alt.Color("kind:N", title="Kind"),
        tooltip=["term:N", "kind:N", "mentions:Q", "complaints:Q"],
    ).add_params(pick)
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-terms")
    charts.table_toggle(data, "x-terms")
    mark = charts.picked(event, "pick")
    if mark and mark.get("term"):
        behind_mark(explorer.behind(flt, term=str(mark["term"])), str(mark["term"]),
                    "x-terms")


def view_languages() -> None:
    data = explorer.language_mix(store, flt)
    if data.empty:
        st.info("No mention matches.")
        return
    data["language"] = [ui.language_name(None if c == "und" else c) for c in data["lang"]]
    pick = alt.selection_point(name="pick", fields=["lang"])
    base = alt.Chart(data).encode(
        theta=alt.Theta("mentions:Q", stack=True), order=alt.Order("language:N"),
        tooltip=["language:N", "mentions:Q", alt.Tooltip("share:Q", format=".0%")])
    slices = base.mark_arc(innerRadius=60, outerRadius=125).encode(
        color=alt.Color("language:N", title="Language",
                        scale=charts.language_scale(data["language"]))).add_params(pick)
    # each language's share beside its slice (not the slivers': their labels would collide)
    labels = base.mark_text(radius=150, size=13, color="#444").encode(text=alt.condition(
        alt.datum.share >= 0.03, alt.Text("share:Q", format=".0%"), alt.value("")))
    chart = slices + labels
    event = st.altair_chart(chart, width="stretch", on_select="rerun", key="x-langs")
    charts.table_toggle(data[["language", "lang", "mentions", "share"]], "x-langs")
    mark = charts.picked(event, "pick")
    if mark and mark.get("lang"):
        behind_mark(explorer.behind(flt, lang=mark["lang"]),
                    ui.language_name(None if mark["lang"] == "und" else mark["lang"]),
                    "x-langs")


VIEW_FUNCTIONS = dict(zip(VIEWS, [view_mentions, view_trends, view_share, view_authors,
                                  view_words, view_languages], strict=True))
view = st.segmented_control("View", VIEWS, default="Mentions", key="x_view") or "Mentions"
try:
    VIEW_FUNCTIONS[view]()
except duckdb.OutOfMemoryException:
    st.warning(ui.TOO_MUCH_FOR_MEMORY)


# -- export -------------------------------------------------------------------------------

with st.expander(f"Export these {total:,} mentions"):
    fmt = st.radio("Format", explorer.EXPORT_FORMATS, horizontal=True, key="x_fmt",
                   format_func=lambda f: {"csv": "CSV (spreadsheets)",
                                          "parquet": "Parquet (data tools)"}[f])
    st.caption("The same filters on the command line: `clamor export --help`. In CSV a text "
               "that starts with = + - or @ gets a ' in front, so a spreadsheet does not run "
               "it as a formula; Parquet keeps every text exactly.")
    if st.button("Prepare the file", key="x_export", disabled=total == 0):
        earlier = st.session_state.pop("x_file", None)
        if earlier:  # one prepared file per analyst at a time
            shutil.rmtree(Path(earlier[0]).parent, ignore_errors=True)
        bar = st.progress(0.0, text="Writing…")
        out = exports.prepared_path(fmt)

        def progress(done: int, of: int) -> None:
            bar.progress(min(1.0, done / of) if of else 1.0,
                         text=f"{done:,} of {of:,} mentions written")

        try:
            written = explorer.export(store, flt, fmt, out, progress)
        except duckdb.OutOfMemoryException:
            shutil.rmtree(out.parent, ignore_errors=True)
            bar.empty()
            st.warning("This file needs more memory than the dashboard lets its database "
                       "use. Narrow the filters, or have it written on the server by "
                       "`clamor export` (the same filters), which may use more.")
        else:
            st.session_state["x_file"] = (str(out), fmt, written)
    if st.session_state.get("x_file"):
        path, fmt_done, written = st.session_state["x_file"]
        if Path(path).exists():
            size = Path(path).stat().st_size
            # The file is read when the button is clicked (not on every rerun of the page):
            # Streamlit serves a download from memory, so a click holds one copy of it
            # there while it is served.
            st.download_button(
                f"Download {written:,} mentions ({fmt_done}, {size / 1e6:,.1f} MB)",
                lambda: Path(path).read_bytes(),
                file_name=f"clamor-mentions-{dt.date.today():%Y%m%d}.{fmt_done}",
                mime="text/csv" if fmt_done == "csv" else "application/octet-stream",
                key="x_download", on_click="ignore")
            if size > LARGE_DOWNLOAD:
                st.caption("A file this large passes through the dashboard's memory while it "
                           "downloads; on the server, `clamor export` writes the same file "
                           "straight to disk.")
        else:
            st.caption(f"The file prepared earlier was removed after "
                       f"{exports.PREPARED_KEEP_S // 3600} hours; prepare it again.")
