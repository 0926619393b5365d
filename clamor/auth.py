"""Who may use the dashboard and what each role may do.

Users are local: a name, a role and an argon2 hash of their password (`clamor users add`).
The roles are the desk's jobs: an **agent** works the inbox and cases; a **manager** also
watches alerts and standards, edits templates and sees the team's performance; an
**analyst** reads the overview and reports and changes nothing; an **admin** may do all of
it and runs the sources. `PAGES` says which roles see each page; every page checks it on the
server before it draws anything (see `clamor.ui.require`), and the actions on a page are only
offered to roles that may see the page.
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
    "audit": frozenset({"manager", "admin"}),
    "sources": frozenset({"admin"}),
}
MIN_PASSWORD = 8
SESSION_HOURS = 12  # a signed-in session asks again after this long
_HASHER = PasswordHasher()


class AuthError(Exception):
    """The user change cannot be made; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may_see(self, page: str) -> bool:
        return self.role in PAGES.get(page, frozenset())


def may_see(role: str, page: str) -> bool:
    return role in PAGES.get(page, frozenset())


def _check(name: str, role: str | None = None, password: str | None = None) -> None:
    if not name or not name.strip() or name != name.strip():
        raise AuthError("a user needs a name without spaces around it")
    if role is not None and role not in ROLES:
        raise AuthError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AuthError(f"the password needs at least {MIN_PASSWORD} characters")


def add_user(store: Store, name: str, role: str, password: str) -> None:
    _check(name, role, password)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise AuthError(f"there is already a user {name}")
        con.execute("INSERT INTO users (name, role, password_hash, created_at) "
                    "VALUES (?, ?, ?, ?)", [name, role, _HASHER.hash(password), utcnow()])


def remove_user(store: Store, name: str) -> None:
    with store.transaction() as con:
        row = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AuthError(f"there is no user {name}")
        admins = con.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]
        if row[0] == "admin" and admins == 1:
            raise AuthError(f"{name} is the last admin; add another admin first")
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
