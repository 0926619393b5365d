"""Sign-in and roles: argon2 hashes, `clamor users`, the first-run admin, and a walk over the
whole role × page matrix — a page a role may not see draws nothing but the refusal."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

from clamor import actions, auth, cli
from clamor.config import load_config
from clamor.store import Store, utcnow
from tests.conftest import DEMO_CONFIG, ROOT, page_test

PASSWORD = "correct horse battery"


def test_passwords_are_stored_as_argon2_hashes_and_checked(store):
    auth.add_user(store, "Eleni Markou", "agent", PASSWORD)
    (stored,) = store.query_rows("SELECT password_hash FROM users")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.sign_in(store, "Eleni Markou", PASSWORD) == auth.User("Eleni Markou", "agent")
    assert auth.sign_in(store, "Eleni Markou", "wrong password") is None
    assert auth.sign_in(store, "Nobody", PASSWORD) is None
    with pytest.raises(auth.AuthError, match="at least 8"):
        auth.add_user(store, "Tom", "agent", "short")
    with pytest.raises(auth.AuthError, match="unknown role"):
        auth.add_user(store, "Tom", "owner", PASSWORD)
    with pytest.raises(auth.AuthError, match="already"):
        auth.add_user(store, "Eleni Markou", "agent", PASSWORD)


def test_the_last_admin_cannot_be_removed(store):
    auth.add_user(store, "Root", "admin", PASSWORD)
    with pytest.raises(auth.AuthError, match="last admin"):
        auth.remove_user(store, "Root")
    auth.add_user(store, "Second", "admin", PASSWORD)
    auth.remove_user(store, "Root")
    assert [u[0] for u in auth.users(store)] == ["Second"]


def test_clamor_users_reads_the_password_from_stdin(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "users.duckdb")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "add", "Omar Said", "--role", "agent", "--db", db,
                     "--demo"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert cli.main(["users", "passwd", "Omar Said", "--db", db, "--demo"]) == 0
    assert cli.main(["users", "role", "Omar Said", "--role", "manager", "--db", db,
                     "--demo"]) == 0
    assert cli.main(["users", "list", "--db", db, "--demo"]) == 0
    out = capsys.readouterr().out
    assert "Omar Said\tmanager\tnever signed in" in out and PASSWORD not in out
    assert cli.main(["users", "add", "X", "--db", db, "--demo"]) == 2
    assert "needs --role" in capsys.readouterr().err
    store = Store(db)
    assert auth.sign_in(store, "Omar Said", "another password").role == "manager"
    store.close()


# Something only the page itself draws, to prove a page drew (or did not draw) its content.
PAGE_TITLES = {"inbox": "Inbox", "alerts": "Alerts", "overview": "Overview",
               "standards": "Standards", "team": "Team", "templates": "Reply templates",
               "audit": "Audit log", "sources": "Sources", "explore": "Explore",
               "knowledge": "Knowledge base", "customer": "Customer"}


@pytest.mark.parametrize("role", auth.ROLES)
def test_every_page_checks_the_role_on_the_server(app_env, role):
    for page, title in PAGE_TITLES.items():
        at = page_test(f"pages/{page}.py", name=f"someone {role}", role=role)
        at.run()
        assert not at.exception, (page, role, at.exception)
        titles = [t.value for t in at.title]
        if auth.may_see(role, page):
            assert titles == [title], (page, role)
        else:
            assert titles == [] and not at.button, f"{role} sees something of {page}"
            assert at.error[0].value == f"Your role ({role}) does not include this page."


def test_a_page_without_a_signed_in_user_draws_nothing(app_env):
    at = AppTest.from_file(str(ROOT / "pages/inbox.py"), default_timeout=60)
    at.run()
    assert not at.title and not at.button and at.warning[0].value == "Sign in first."


def test_first_run_creates_the_admin_then_sign_in_works(app_env, demo_store):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.subheader[0].value == "Create the first admin"
    at.text_input[0].set_value("Root")
    at.text_input[1].set_value(PASSWORD)
    at.text_input[2].set_value(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert auth.users(demo_store)[0][:2] == ("Root", "admin")
    assert at.session_state["user"]["role"] == "admin"

    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    again.run()
    assert again.subheader[0].value == "Sign in"
    again.text_input[0].set_value("Root")
    again.text_input[1].set_value("not the password")
    again.button[0].click().run()
    assert again.error[0].value == "That name and password do not match."
    again.text_input[1].set_value(PASSWORD)
    again.button[0].click().run()
    assert again.session_state["user"]["name"] == "Root"


# -- single sign-on: linked addresses open users; the users table still gives the role ------

def test_a_linked_verified_address_opens_its_user_and_nothing_else_does(store):
    auth.add_user(store, "Eleni Markou", "agent", None, email="Eleni.Markou@Aerolume.example")
    auth.add_user(store, "Root", "admin", PASSWORD)
    auth.link_email(store, "Root", "root@aerolume.example")
    assert auth.emails(store) == {"Eleni Markou": ["eleni.markou@aerolume.example"],
                                  "Root": ["root@aerolume.example"]}
    eleni = auth.User("Eleni Markou", "agent")
    assert auth.sso_user(store, " ELENI.markou@aerolume.example", True) == eleni
    assert auth.sso_user(store, "eleni.markou@aerolume.example", None) == eleni  # not said
    assert auth.sso_user(store, "eleni.markou@aerolume.example", False) is None
    assert auth.sso_user(store, "mallory@example.com", True) is None
    assert auth.sso_user(store, None, True) is None
    assert auth.sso_user(store, ["eleni.markou@aerolume.example"], True) is None
    assert store.query_rows("SELECT last_login_at IS NOT NULL FROM users "
                            "WHERE name = 'Eleni Markou'") == [(True,)]
    # Single sign-on only: no password opens her, not even an empty one.
    assert auth.sign_in(store, "Eleni Markou", "") is None
    assert auth.sign_in(store, "Eleni Markou", PASSWORD) is None
    with pytest.raises(auth.AuthError, match="already signs in as Eleni Markou"):
        auth.link_email(store, "Root", "eleni.markou@aerolume.example")
    with pytest.raises(auth.AuthError, match="is not an e-mail address"):
        auth.link_email(store, "Root", "root at aerolume")
    with pytest.raises(auth.AuthError, match="single sign-on"):
        auth.add_user(store, "Nobody", "agent", None)
    auth.unlink_email(store, "eleni.markou@aerolume.example")
    assert auth.sso_user(store, "eleni.markou@aerolume.example", True) is None
    auth.remove_user(store, "Eleni Markou")
    auth.link_email(store, "Root", "root2@aerolume.example")
    auth.add_user(store, "Second", "admin", PASSWORD)
    auth.remove_user(store, "Root")  # takes its addresses with it
    assert auth.emails(store) == {}


def test_clamor_users_links_addresses_and_adds_sso_only_users(tmp_path, capsys):
    db = str(tmp_path / "users.duckdb")
    assert cli.main(["users", "add", "Eleni Markou", "--role", "agent", "--email",
                     "eleni@aerolume.example", "--sso-only", "--db", db, "--demo"]) == 0
    assert cli.main(["users", "link", "Eleni Markou", "--email", "e.markou@aerolume.example",
                     "--db", db, "--demo"]) == 0
    assert cli.main(["users", "list", "--db", db, "--demo"]) == 0
    out = capsys.readouterr().out
    assert ("Eleni Markou\tagent\tnever signed in\te.markou@aerolume.example\t"
            "eleni@aerolume.example") in out
    assert cli.main(["users", "unlink", "--email", "e.markou@aerolume.example", "--db", db,
                     "--demo"]) == 0
    assert cli.main(["users", "link", "Eleni Markou", "--db", db, "--demo"]) == 2
    assert "needs --email" in capsys.readouterr().err
    assert cli.main(["users", "add", "Tom", "--role", "agent", "--sso-only", "--db", db,
                     "--demo"]) == 2
    assert "--sso-only is for users add, with the --email" in capsys.readouterr().err


def test_a_signed_in_page_follows_the_users_table(app_env, demo_store):
    """A role changed or a user removed while their session is open takes effect on the
    next page run, not at the next sign-in."""
    auth.add_user(demo_store, "Mina", "manager", PASSWORD)
    auth.add_user(demo_store, "Root", "admin", PASSWORD)
    demo_store.close()  # the page opens the file itself
    at = page_test("pages/alerts.py", name="Mina", role="manager")
    at.run()
    assert [t.value for t in at.title] == ["Alerts"]
    store = ui_store()
    auth.set_role(store, "Mina", "agent")
    at.run()
    assert at.error[0].value == "Your role (agent) does not include this page."
    auth.remove_user(store, "Mina")
    at.run()
    assert not at.title and at.warning[0].value == "Sign in first."


def ui_store():
    """The store the AppTest's pages use (the process's runtime, opened by the first run)."""
    from clamor import ui

    return ui.get_runtime().store


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(app_env, demo_store):
    auth.add_user(demo_store, "Root", "admin", PASSWORD)
    demo_store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not [b for b in at.button if "single sign-on" in b.label]
    at.secrets["auth"] = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "clamor",
                          "client_secret": "s", "server_metadata_url":
                          "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.run()
    assert [b.label for b in at.button if "single sign-on" in b.label] == [
        "Sign in with single sign-on"]


# -- the role × action matrix: every action checks the role itself -------------------------

def _mention(store, n: int) -> str:
    """A fresh customer post, so each attempt acts on a case of its own."""
    from collectors.base import Mention

    store.insert_mentions([Mention(source="x", native_id=f"m{n}", text="where is my bag?",
                                   created_at=utcnow(), author=f"customer{n}")],
                          collector="test", version="1")
    return store.query_rows("SELECT id FROM mentions WHERE native_id = ?", [f"m{n}"])[0][0]


def _case(store, n: int, *, resolved: bool = False) -> str:
    mention = _mention(store, n)
    with store.transaction() as con:  # opened and moved by hand: no actor to check
        case = actions._case_of_mention(con, mention, utcnow())
        if resolved:
            con.execute("UPDATE cases SET status = 'resolved', resolved_at = now(), "
                        "follow_up_at = now() WHERE id = ?", [case])
    return case


def _alert(store, n: int) -> str:
    now = utcnow()
    with store.transaction() as con:
        con.execute("INSERT INTO alerts (id, kind, series, status, severity, started_at, "
                    "peak_at, observed, expected, spread, statistic, threshold, latest_at, "
                    "latest_observed, latest_expected, latest_statistic, updated_at) VALUES "
                    "(?, 'spike', 'complaints', 'open', 'warning', ?, ?, 9, 1, 1, 8, 4, ?, "
                    "9, 1, 8, ?)", [f"A-{n}", now, now, now, now])
    return f"A-{n}"


def _surveys_file(store, n: int, tmp_path) -> str:
    path = tmp_path / f"surveys{n}.csv"
    path.write_text(f"case,kind,score\n{_case(store, n)},csat,5\n", encoding="utf-8")
    return str(path)


def _do(action: str, store, config, actor: str, n: int, tmp_path) -> None:
    """Do `action` as `actor` on something fresh (numbered n), through the function the
    dashboard calls."""
    from clamor import alerting, explorer

    def poster(native_id, text, dry_run):
        return {"would_send": text}

    match action:
        case "respond":
            actions.respond(store, _mention(store, n), actor=actor, reply_text="On it.")
        case "post_reply":
            actions.post_reply(store, _mention(store, n), actor=actor, text="On it.",
                               poster=poster, dry_run=True)
        case "follow_up":
            actions.follow_up(store, _case(store, n, resolved=True), actor=actor,
                              reply_text="All good now?")
        case "assign":
            actions.assign(store, config, [_case(store, n)], actor=actor,
                           owner=config.people[0].name)
        case "set_status":
            actions.set_status(store, _case(store, n), "in_progress", actor=actor)
        case "escalate":
            actions.escalate(store, config, _case(store, n), actor=actor,
                             to=actions.authorised_people(config)[0], reason="a refund")
        case "resolve":
            actions.resolve(store, config, _case(store, n), actor=actor)
        case "ignore":
            actions.ignore(store, _mention(store, n), actor=actor, reason="spam")
        case "reopen":
            actions.reopen(store, _case(store, n, resolved=True), actor=actor, reason="again")
        case "record_survey":
            actions.record_survey(store, _case(store, n), "csat", 4, actor=actor)
        case "import_surveys":
            recorded, problems = actions.import_surveys(
                store, _surveys_file(store, n, tmp_path), by=actor)
            assert (recorded, problems) == (1, [])
        case "edit_template":
            actions.edit_template(store, actor=actor, template_id=f"t{n}", lang="en",
                                  category="holding", title="Hi", text="Hello", before_text=None)
        case "edit_knowledge":
            from clamor import knowledge

            knowledge.save(store, [knowledge.Entry(f"topic-{n}", "en", "Where is my bag?",
                                                   "At the desk.")], actor=actor, by=actor)
        case "acknowledge_alert":
            alerting.acknowledge(store, _alert(store, n), actor=actor)
        case "resolve_alert":
            alerting.resolve(store, _alert(store, n), actor=actor)
        case "note_alert":
            alerting.add_note(store, _alert(store, n), actor=actor, note="watching")
        case "save_search":
            explorer.save_search(store, actor, f"search {n}", explorer.Filter(text="bag"))
        case "link_customers" | "note_customer" | "export_customer" | "erase_customer":
            from clamor import customers

            key = customers.key_of("x", f"customer{n}")
            _mention(store, n)
            if action == "link_customers":
                _mention(store, n + 100)
                customers.link(store, key, "x", f"customer{n + 100}", by=actor)
            elif action == "note_customer":
                customers.add_note(store, key, "prefers e-mail", by=actor)
            elif action == "export_customer":
                customers.export(store, key, by=actor)
            else:
                customers.erase(store, key, by=actor)
        case "test_notification" | "backup":
            auth.check(store, actor, action)  # what the page runs before doing either
        case _:
            raise AssertionError(f"the matrix has no way to do {action}: add it here")


REFUSALS = (actions.ActionRefused, auth.NotPermitted)


def _writes(store) -> int:
    """Rows the actions write (a case opening for the attempt is the test's own doing)."""
    tables = ("surveys", "template_edits", "alert_events", "saved_searches", "posted_replies",
              "knowledge_edits", "events WHERE kind <> 'opened'", "customer_events",
              "customer_notes", "customer_links")
    return sum(store.query_rows(f"SELECT count(*) FROM {t}")[0][0] for t in tables)


@pytest.mark.parametrize("action", sorted(auth.ACTIONS))
def test_every_action_checks_the_role_itself(store, config, action, tmp_path):
    """Each role × each action, straight at the function (not through a page): allowed roles
    act, the others are refused with a sentence and nothing is written."""
    from clamor import alerting

    with store.transaction() as con:  # cheap users: no argon2 work per row
        for role in auth.ROLES:
            con.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES "
                        "(?, ?, 'x', now())", [f"the {role}", role])
    for n, role in enumerate(auth.ROLES):
        actor = f"the {role}"
        if auth.may(role, action):
            _do(action, store, config, actor, n, tmp_path)
            continue
        before = _writes(store)
        with pytest.raises((*REFUSALS, alerting.AlertRefused), match=f"is an? {role}; only"):
            _do(action, store, config, actor, n, tmp_path)
        assert _writes(store) == before, f"{role} was refused {action} but something was kept"


def test_a_removed_or_demoted_user_can_no_longer_act(store):
    with store.transaction() as con:
        con.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES "
                    "('Mina', 'agent', 'x', now()), ('Root', 'admin', 'x', now())")
    case = _case(store, 1)
    actions.set_status(store, case, "in_progress", actor="Mina")
    auth.set_role(store, "Mina", "analyst")  # while her session is still signed in
    with pytest.raises(actions.ActionRefused, match="Mina is an analyst; only agents, "
                       "managers, admins may resolve cases"):
        actions.resolve(store, load_config(DEMO_CONFIG), case, actor="Mina")
    auth.remove_user(store, "Mina")
    with pytest.raises(actions.ActionRefused, match="Mina is not a user of this desk"):
        actions.set_status(store, case, "waiting_on_customer", actor="Mina")
