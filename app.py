"""Clamor's dashboard: the page list, and the one place the process's store and scheduler
start (once, however often Streamlit reruns this script)."""

import streamlit as st

from clamor import ui

st.set_page_config(page_title="Clamor", page_icon="📣", layout="wide")
rt = ui.get_runtime()

navigation = st.navigation([
    st.Page("pages/inbox.py", title="Inbox", icon=":material/inbox:", default=True),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications_active:"),
    st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:"),
    st.Page("pages/standards.py", title="Standards", icon=":material/verified:"),
    st.Page("pages/team.py", title="Team", icon=":material/groups:"),
    st.Page("pages/templates.py", title="Templates", icon=":material/article:"),
    st.Page("pages/audit.py", title="Audit log", icon=":material/history:"),
    st.Page("pages/sources.py", title="Sources", icon=":material/cable:"),
])
with st.sidebar:
    # Declared here, on every page, so the name stays while the user moves between pages.
    st.text_input("Your name", key="agent_name", placeholder="e.g. Eleni Markou",
                  help="Recorded with everything you do here.")
    st.caption(f"Clamor · listening for {rt.config.brand.name}"
               + (" · demo stream" if rt.demo else ""))
navigation.run()
