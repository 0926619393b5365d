"""Who may use the dashboard and what each role may do.

Users are local: a name, a role and an argon2 hash of their password (`clamor users add`).
With single sign-on configured (OIDC through Streamlit's `st.login`, see the README), a user
may also sign in with a verified e-mail address linked to them (`--email`); the identity
provider says who they are, the users table still says what they may do, and a user made
with `--sso-only` has no password at all.
The roles are the desk's jobs: an **agent** works the inbox and cases; a **manager** also
watches alerts and standards, edits templates and sees the team's performance; an
**analyst** reads the overview and reports and changes nothing; an **admin** may do all of
it and runs the sources. `PAGES` says which roles see each page; every page checks it on the
server before it draws anything (see `clamor.ui.require`), and the actions on a page are only
offered to roles that may see the page.

`ACTIONS` says which roles may do each thing that changes data. The functions that do them
(clamor.actions, clamor.alerting, clamor.explorer's saved searches, backups) call `permit`
inside their own transaction, with the role read from the users table at that moment: a
page that offered a button by mistake cannot act past it, and a user removed or demoted
while signed in can no longer act. A database with no users yet (scripts and tests run by
whoever holds the file; the dashboard cannot be used until its first admin exists) is not
checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clamor.store import Store, utcnow

ROLES = ("agent", "manager", "analyst", "admin")
ROLE_NAMES = {"agent": "agent (inbox and cases)",
              "manager": "manager (+ alerts, standards, team, templates, audit)",
              "analyst": "analyst (overview and reports, read-only)",
              "admin": "admin (everything, + sources and users)"}
# Which roles see each page (the page's file name without .py).
PAGES: dict[str, frozenset[str]] = {
    "inbox": frozenset({"agent", "manager", "admin"}),
    "alerts": frozenset({"manager", "admin"}),
    "overview": frozenset({"agent", "manager", "analyst", "admin"}),
    "explore": frozenset({"manager", "analyst", "admin"}),
    "standards": frozenset({"manager", "analyst", "admin"}),
    "team": frozenset({"manager", "admin"}),
    "templates": frozenset({"manager", "admin"}),
    "knowledge": frozenset({"manager", "admin"}),
    "customer": frozenset({"agent", "manager", "admin"}),
    "audit": frozenset({"manager", "admin"}),
    "sources": frozenset({"admin"}),
}
_DESK = frozenset({"agent", "manager", "admin"})      # who works cases
_MANAGERS = frozenset({"manager", "admin"})
_READERS = frozenset({"manager", "analyst", "admin"})  # who explores the history
# What each role may do: action -> (roles, what it is in words for a refusal).
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "respond": (_DESK, "answer customers"),
    "post_reply": (_DESK, "post replies"),
    "follow_up": (_DESK, "follow up resolved cases"),
    "assign": (_DESK, "assign cases"),
    "set_status": (_DESK, "change a case's status"),
    "escalate": (_DESK, "escalate cases"),
    "resolve": (_DESK, "resolve cases"),
    "ignore": (_DESK, "ignore cases"),
    "reopen": (_DESK, "reopen cases"),
    "record_survey": (_DESK, "record survey answers"),
    "link_customers": (_DESK, "link a customer's handles"),
    "note_customer": (_DESK, "write notes about customers"),
    "export_customer": (_DESK, "export a customer's data"),
    "erase_customer": (_MANAGERS, "erase a customer's data"),
    "import_surveys": (_MANAGERS, "import survey answers"),
    "edit_template": (_MANAGERS, "edit reply templates"),
    "edit_knowledge": (_MANAGERS, "edit the knowledge base"),
    "acknowledge_alert": (_MANAGERS, "acknowledge alerts"),
    "resolve_alert": (_MANAGERS, "resolve alerts"),
    "note_alert": (_MANAGERS, "add notes to alerts"),
    "test_notification": (_MANAGERS, "send test notifications"),
    "save_search": (_READERS, "save searches"),
    "backup": (frozenset({"admin"}), "back up the database"),
}
MIN_PASSWORD = 8
NO_PASSWORD = ""  # the stored hash of a single-sign-on-only user: no password matches it
SESSION_HOURS = 12  # a signed-in session asks again after this long
_HASHER = PasswordHasher()


class AuthError(Exception):
    """The user change cannot be made; the message says why."""


class NotPermitted(Exception):
    """The actor's role does not include the action; the message says so in words."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may_see(self, page: str) -> bool:
        return self.role in PAGES.get(page, frozenset())


def may_see(role: str, page: str) -> bool:
    return role in PAGES.get(page, frozenset())


def may(role: str, action: str) -> bool:
    return role in ACTIONS[action][0]


def permit(con, actor: str, action: str) -> None:
    """Raise NotPermitted unless `actor` is a user whose role includes `action` (see ACTIONS).

    `con` is the caller's open transaction, so the role read is the one the action runs under.
    """
    roles, what = ACTIONS[action]
    if con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None:
        return  # no sign-in set up yet: see the module's docstring
    row = con.execute("SELECT role FROM users WHERE name = ?", [actor.strip()]).fetchone()
    if row is None:
        raise NotPermitted(f"{actor.strip()} is not a user of this desk; an admin adds users "
                           "with `clamor users add`")
    if row[0] not in roles:
        allowed = ", ".join(f"{r}s" for r in ROLES if r in roles)
        raise NotPermitted(f"{actor.strip()} is {_article(row[0])} {row[0]}; only {allowed} "
                           f"may {what}")


def check(store: Store, actor: str, action: str) -> None:
    """`permit` in a transaction of its own, for actions with no other writes to join (a
    backup, a test notification)."""
    with store.transaction() as con:
        permit(con, actor, action)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _check(name: str, role: str | None = None, password: str | None = None) -> None:
    if not name or not name.strip() or name != name.strip():
        raise AuthError("a user needs a name without spaces around it")
    if role is not None and role not in ROLES:
        raise AuthError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AuthError(f"the password needs at least {MIN_PASSWORD} characters")


def add_user(store: Store, name: str, role: str, password: str | None, *,
             email: str | None = None) -> None:
    """A new user. `password` None: single sign-on only (needs `email`), no password works."""
    if password is None and not email:
        raise AuthError("a user without a password signs in with single sign-on: give the "
                        "e-mail address their identity provider vouches for")
    _check(name, role, password)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise AuthError(f"there is already a user {name}")
        stored = _HASHER.hash(password) if password is not None else NO_PASSWORD
        con.execute("INSERT INTO users (name, role, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?)", [name, role, stored, utcnow()])
        if email:
            _link(con, name, email)


def link_email(store: Store, name: str, email: str) -> None:
    """Let `name` sign in with single sign-on as `email`."""
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is None:
            raise AuthError(f"there is no user {name}")
        _link(con, name, email)


def _link(con, name: str, email: str) -> None:
    address = _address(email)
    taken = con.execute("SELECT name FROM user_emails WHERE email = ?", [address]).fetchone()
    if taken and taken[0] != name:
        raise AuthError(f"{address} already signs in as {taken[0]}")
    if not taken:
        con.execute("INSERT INTO user_emails VALUES (?, ?, ?)", [address, name, utcnow()])


def unlink_email(store: Store, email: str) -> None:
    with store.transaction() as con:
        address = _address(email)
        if con.execute("SELECT 1 FROM user_emails WHERE email = ?", [address]).fetchone() is None:
            raise AuthError(f"{address} is not linked to any user")
        con.execute("DELETE FROM user_emails WHERE email = ?", [address])


def _address(email: str) -> str:
    address = (email or "").strip().lower()
    local, at, domain = address.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in address):
        raise AuthError(f"{email!r} is not an e-mail address")
    return address


def emails(store: Store) -> dict[str, list[str]]:
    """Each user's single sign-on addresses."""
    linked: dict[str, list[str]] = {}
    for address, name in store.query_rows("SELECT email, name FROM user_emails ORDER BY email"):
        linked.setdefault(name, []).append(address)
    return linked


def sso_user(store: Store, email: object, verified: object = None) -> User | None:
    """The user a single sign-on identity opens: its e-mail address must be linked to a user
    and must not be marked unverified by the provider (a provider that says nothing about
    verification is trusted for the addresses it issues)."""
    if not isinstance(email, str) or verified is False:
        return None
    try:
        address = _address(email)
    except AuthError:
        return None
    row = store.query_rows("SELECT u.name, u.role FROM user_emails e JOIN users u USING (name) "
                           "WHERE e.email = ?", [address])
    if not row:
        return None
    name, role = row[0]
    with store.transaction() as con:
        con.execute("UPDATE users SET last_login_at = ? WHERE name = ?", [utcnow(), name])
    return User(name, role)


def role_now(store: Store, name: str, signed_in_as: str) -> str | None:
    """The user's role as the users table says now (None: removed). A database with no users
    keeps the session's role (see the module's docstring)."""
    row = store.query_rows("SELECT (SELECT role FROM users WHERE name = ?), "
                           "EXISTS (SELECT 1 FROM users)", [name])
    role, any_users = row[0]
    return role if any_users else signed_in_as


def remove_user(store: Store, name: str) -> None:
    with store.transaction() as con:
        row = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AuthError(f"there is no user {name}")
        admins = con.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]
        if row[0] == "admin" and admins == 1:
            raise AuthError(f"{name} is the last admin; add another admin first")
        con.execute("DELETE FROM user_emails WHERE name = ?", [name])
        con.execute("DELETE FROM users WHERE name = ?", [name])


def set_password(store: Store, name: str, password: str) -> None:
    _check(name, password=password)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is None:
            raise AuthError(f"there is no user {name}")
        con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                    [_HASHER.hash(password), name])


def set_role(store: Store, name: str, role: str) -> None:
    _check(name, role)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is None:
            raise AuthError(f"there is no user {name}")
        con.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])


def users(store: Store) -> list[tuple[str, str, dt.datetime | None]]:
    """(name, role, last sign-in) of every user, by name."""
    return store.query_rows("SELECT name, role, last_login_at FROM users ORDER BY name")


def has_users(store: Store) -> bool:
    return bool(store.query_rows("SELECT 1 FROM users LIMIT 1"))


def sign_in(store: Store, name: str, password: str) -> User | None:
    """The user, if the password is theirs; None otherwise (never says which was wrong)."""
    row = store.query_rows("SELECT role, password_hash FROM users WHERE name = ?",
                           [name.strip()])
    if not row:
        _HASHER.hash(password)  # the same time whether or not the name exists
        return None
    role, stored = row[0]
    if stored == NO_PASSWORD:
        _HASHER.hash(password)  # the same time as a wrong password
        return None
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    with store.transaction() as con:
        con.execute("UPDATE users SET last_login_at = ? WHERE name = ?", [utcnow(), name])
        if _HASHER.check_needs_rehash(stored):
            con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                        [_HASHER.hash(password), name])
    return User(name.strip(), role)
