"""Sources: for each source, whether it runs and why not, its last run, what it fetched and
stored, and its errors in plain words."""

import pandas as pd
import streamlit as st

from clamor import queries, sources, ui

rt = ui.get_runtime()
st.title("Sources")
st.caption("Credentials are read from environment variables only; they are never stored "
           "in the database or shown here.")


@st.fragment(run_every="15s")
def source_table() -> None:
    runs = queries.last_runs(rt.store).set_index("source")
    stored = queries.mention_counts_by_collector(rt.store)
    for status in sources.statuses(rt.config, demo=rt.demo):
        run = runs.loc[status.name] if status.name in runs.index else None
        with st.container(border=True, key=f"source-{status.name}"):
            head = st.container(horizontal=True)
            with head:
                st.subheader(status.label)
                colour = {"running": "green", "off": "gray"}.get(status.state, "orange")
                st.badge(status.state, color=colour)
            st.text(status.reason)
            if run is None:
                st.text("No runs yet.")
                continue
            cols = st.columns(4)
            cols[0].metric("Last run", ui.local_time(run["last_run"]))
            cols[1].metric("Last fetch", f"{int(run['fetched']):,} fetched",
                           f"{int(run['inserted']):,} new", delta_color="off")
            cols[2].metric("Stored", f"{stored.get(status.name, 0):,} mentions",
                           f"{int(run['inserted_24h'] or 0):,} in 24 h", delta_color="off")
            cols[3].metric("Errors (24 h)", int(run["errors_24h"]))
            # Messages can quote what a source sent back: shown as plain text only.
            if run["status"] == "error":
                st.error("The last run failed:", icon=":material/error:")
                st.text(run["message"])
            elif isinstance(run["message"], str):
                st.warning("The last run had a problem:", icon=":material/warning:")
                st.text(run["message"])
            elif isinstance(run["last_error"], str) and not pd.isna(run["last_error"]):
                st.caption("Earlier error:")
                st.text(run["last_error"])


source_table()
