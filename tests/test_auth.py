"""Sign-in and roles: argon2 hashes, `clamor users`, the first-run admin, and a walk over the
whole role × page matrix — a page a role may not see draws nothing but the refusal."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

from clamor import auth, cli
from clamor.store import Store
from tests.conftest import ROOT, page_test

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
               "audit": "Audit log", "sources": "Sources", "explore": "Explore"}


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
