"""Clamor's dashboard: sign-in, the pages the user's role includes, and the one place the
process's store and scheduler start (once, however often Streamlit reruns this script)."""

from urllib.parse import urlparse

import streamlit as st

from clamor import auth, ui
from clamor.demo import desk

st.set_page_config(page_title="Clamor", page_icon="📣", layout="wide")
rt = ui.get_runtime()

PAGES = [  # page key (see clamor.auth.PAGES), script, title, icon
    ("inbox", "pages/inbox.py", "Inbox", ":material/inbox:"),
    ("alerts", "pages/alerts.py", "Alerts", ":material/notifications_active:"),
    ("overview", "pages/overview.py", "Overview", ":material/monitoring:"),
    ("explore", "pages/explore.py", "Explore", ":material/travel_explore:"),
    ("standards", "pages/standards.py", "Standards", ":material/verified:"),
    ("team", "pages/team.py", "Team", ":material/groups:"),
    ("templates", "pages/templates.py", "Templates", ":material/article:"),
    ("knowledge", "pages/knowledge.py", "Knowledge base", ":material/menu_book:"),
    ("customer", "pages/customer.py", "Customer", ":material/person_search:"),
    ("audit", "pages/audit.py", "Audit log", ":material/history:"),
    ("sources", "pages/sources.py", "Sources", ":material/cable:"),
]


def sign_in_page() -> None:
    with st.columns([2, 3])[0]:  # a form, not a banner
        sign_in_form()


def sign_in_form() -> None:
    st.title("Clamor")
    if not auth.has_users(rt.store):
        st.subheader("Create the first admin", anchor=False)
        st.caption("Nobody can use this dashboard yet. The first account is an admin; more "
                   "users are added with `clamor users add NAME --role ROLE`.")
        with st.form("first-admin"):
            name = st.text_input("Name")
            password = st.text_input("Password", type="password")
            again = st.text_input("Password again", type="password")
            if st.form_submit_button("Create and sign in", type="primary"):
                if password != again:
                    st.error("The two passwords differ.")
                    return
                try:
                    auth.add_user(rt.store, name.strip(), "admin", password)
                except auth.AuthError as exc:
                    st.error(ui.sentence(exc))
                    return
                ui.sign_in_as(auth.User(name.strip(), "admin"))
                st.rerun()
        return
    st.subheader("Sign in", anchor=False)
    for provider, label in ui.sso_providers():
        if st.button(label, key=f"sso-{provider or 'default'}", type="primary"):
            if provider:
                st.login(provider)
            else:
                st.login()
    if refusal := st.session_state.get("sso_refusal"):
        # The address comes from the identity provider: shown as text, never as Markdown.
        st.error("Single sign-on did not open this desk.")
        st.text(refusal)
        st.button("Sign out of single sign-on", key="sso-out", on_click=ui.sign_out)
    with st.form("sign-in"):
        name = st.text_input("Name")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in", type="primary"):
            user = auth.sign_in(rt.store, name, password)
            if user is None:
                st.error("That name and password do not match.")
            else:
                ui.sign_in_as(user)
                st.rerun()
    if rt.demo:
        people = ", ".join(f"{name} ({role})" for name, role, _ in auth.users(rt.store))
        st.caption(f"Demo users: {people}. Each one's password is `{desk.DEMO_PASSWORD}`.")


user = ui.signed_in()
if user is None:
    # Back from the identity provider (or a reload with its cookie): the person it vouched
    # for, if their address opens a user here.
    user, refusal = ui.sso_sign_in(rt.store)
    st.session_state["sso_refusal"] = refusal
if user is None:
    # A bookmarked page (/sources) opens once its visitor has signed in.
    st.session_state.setdefault("requested_page", urlparse(st.context.url or "").path.strip("/"))
    sign_in_page()
    st.stop()

mine = [page for page in PAGES if user.may_see(page[0])]
requested = st.session_state.pop("requested_page", "")
first = next((i for i, page in enumerate(mine) if page[0] == requested), 0)
navigation = st.navigation([  # the requested page, else the first the role may see
    st.Page(script, title=title, icon=icon, default=i == first)
    for i, (_, script, title, icon) in enumerate(mine)])
st.session_state["agent_name"] = user.name
with st.sidebar:
    st.text(f"Signed in as {ui.isolate(user.name)} · {user.role}")
    st.button("Sign out", key="sign-out", on_click=ui.sign_out)
    st.caption(f"Clamor · listening for {rt.config.brand.name}"
               + (" · demo stream" if rt.demo else ""))
navigation.run()
