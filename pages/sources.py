"""Sources: for each source, whether it runs and why not, its last and next run, what it
fetched and stored, its rate limit and monthly budget, errors in plain words; pause, resume
and run now."""

import duckdb
import pandas as pd
import streamlit as st

from clamor import auth, pipeline, queries, scheduler, sources, ui
from clamor.store import utcnow

rt = ui.get_runtime()
me = ui.require("sources")
store = rt.store
st.title("Sources")
st.caption("Credentials are read from environment variables only; they are never stored "
           "in the database or shown here. `clamor doctor` checks them.")


def _number(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def controls(status: sources.SourceStatus) -> None:
    paused = store.paused(status.name)
    row = st.container(horizontal=True)
    with row:
        if paused:
            st.text(f"Paused by {paused[0]} at {ui.local_time(paused[1])}.")
            if st.button("Resume", key=f"resume-{status.name}"):
                store.set_paused(status.name, False, st.session_state.get("agent_name") or "?")
                st.rerun()
        else:
            if st.button("Run now", key=f"run-{status.name}"):
                if scheduler.run_now(store, status.name):
                    st.toast(f"{status.label}: running now")
                elif store.lake:
                    st.toast(f"{status.label} runs in the team's workers (`clamor worker`), "
                             "not in this dashboard; it runs at their next tick")
                else:
                    st.toast(f"{status.label} is not scheduled in this process")
            if st.button("Pause", key=f"pause-{status.name}"):
                store.set_paused(status.name, True, st.session_state.get("agent_name") or "?")
                st.rerun()


@st.fragment(run_every="15s")
def source_table() -> None:
    runs = queries.last_runs(store).set_index("source")
    stored = queries.mention_counts_by_collector(store)
    for status in sources.statuses(rt.config, demo=rt.demo):
        run = runs.loc[status.name] if status.name in runs.index else None
        with st.container(border=True, key=f"source-{status.name}"):
            head = st.container(horizontal=True)
            with head:
                st.subheader(status.label)
                colour = {"running": "green", "off": "gray"}.get(status.state, "orange")
                st.badge(status.state, color=colour)
            st.text(status.reason)
            if status.limits:
                st.caption(status.limits)
            if status.posting:
                st.text(status.posting)
            if status.state == "running":
                upcoming = scheduler.next_run(store, status.name)
                if upcoming:
                    st.text(f"Next run {ui.local_time(upcoming)}.")
                controls(status)
            if status.monthly_budget:
                used = store.fetched_since(status.name, pipeline.month_start(utcnow()))
                share = min(used / status.monthly_budget, 1.0)
                st.progress(share, text=f"Monthly budget: {used:,} of "
                                        f"{status.monthly_budget:,} posts read this month")
                if share >= 0.9:
                    st.warning("The monthly budget is nearly spent: collection stops when it "
                               "is, until next month.", icon=":material/warning:")
            if run is None:
                st.text("No runs yet.")
                continue
            minutes = (utcnow() - run["last_run"]).total_seconds() / 60
            cols = st.columns(5)
            cols[0].metric("Last run", ui.ago(minutes), run["status"], delta_color="off",
                           delta_arrow="off")
            cols[1].metric("Fetched (last run)", f"{_number(run['fetched']):,}")
            cols[2].metric("New (last run)", f"{_number(run['inserted']):,}")
            cols[3].metric("Mentions stored", f"{stored.get(status.name, 0):,}")
            remaining = run["rate_remaining"]
            cols[4].metric("Rate limit left", "—" if pd.isna(remaining) else f"{int(remaining):,}")
            details = [f"{_number(run['duplicates']):,} already stored in the last run",
                       f"{_number(run['inserted_24h']):,} new in 24 h",
                       f"{_number(run['errors_24h'])} failed run(s) in 24 h"]
            if not pd.isna(run["rate_reset_at"]):
                details.append(f"rate limit resets {ui.local_time(run['rate_reset_at'])}")
            st.caption(" · ".join(details))
            # Messages can quote what a source sent back: shown as plain text only.
            if run["status"] in ("error", "rate_limited", "budget_spent"):
                st.error("The last run did not complete:", icon=":material/error:")
                st.text(run["message"])
            elif isinstance(run["message"], str):
                st.warning("The last run had a problem:", icon=":material/warning:")
                st.text(run["message"])
            elif isinstance(run["last_error"], str):
                st.caption("Earlier error:")
                st.text(run["last_error"])


source_table()

if store.lake:
    st.subheader("Workers", anchor=False)
    st.caption(f"A team store: {ui.escape_markdown(store.name)}. Each job runs in one "
               "process at a time, the one holding its lease; a lease not renewed by its "
               "expiry is taken over by another worker (`clamor worker`).")
    leases = pd.DataFrame(store.leases(),
                          columns=["job", "worker", "taken", "until", "running"])
    if leases.empty:
        st.text("No worker has run a job yet.")
    else:
        leases["state"] = ["running" if running else "idle" for running in leases["running"]]
        for column in ("taken", "until"):
            leases[column] = [ui.local_time(at) for at in leases[column]]
        st.dataframe(leases[["job", "state", "worker", "taken", "until"]], hide_index=True,
                     column_config={"worker": "worker (host:process:run)",
                                    "until": "held until / released at"})

st.subheader("Backup", anchor=False)
if store.lake:
    st.caption("This is a team store (DuckLake): back it up where it lives, with pg_dump of "
               "its catalog database and a copy of its data folder (README, \"Running a "
               "team\").")
else:
    st.caption("A consistent copy of the whole database, taken while Clamor keeps running. "
               "Restore one with `clamor restore FILE` after stopping the dashboard.")
if not store.lake and st.button("Back up now", key="backup"):
    folder = store.path.parent / "backups"
    target = folder / f"{store.path.stem}-{utcnow():%Y%m%d-%H%M%S}.duckdb"
    try:
        auth.check(store, me.name, "backup")
        written = store.backup(target)
    except auth.NotPermitted as exc:
        st.error(ui.sentence(exc))
    except (OSError, duckdb.Error) as exc:  # a full disk; a checkpoint that failed
        st.error(f"The backup could not be written: {exc}")
    else:
        st.success(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB).")
