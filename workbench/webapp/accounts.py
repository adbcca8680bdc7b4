"""Web app accounts: ``workbench users add / ls / remove / passwd``.

An account is an e-mail, a company (the unit of data isolation: a marketer sees only the briefs
and generations of their own company) and a role:

``admin``
    Every page.
``marketer``
    The ad studio.
``analyst``
    The leaderboard and the curation dashboard.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from workbench.core.errors import ConfigError
from workbench.webapp.passwords import hash_password, password_problem
from workbench.webapp.store import Store, now_iso

Role = Literal["admin", "marketer", "analyst"]
ROLES: tuple[str, ...] = get_args(Role)

#: Pages each role may open (admin: all).
ROLE_AREAS: dict[str, frozenset[str]] = {
    "admin": frozenset({"studio", "leaderboard", "dashboard"}),
    "marketer": frozenset({"studio"}),
    "analyst": frozenset({"leaderboard", "dashboard"}),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COMPANY = re.compile(r"^[\w][\w .&'-]{0,79}$")


def check_email(email: str) -> str:
    """The e-mail, stripped; ConfigError when it does not look like one."""
    email = email.strip()
    if not _EMAIL.match(email):
        msg = f"'{email}' is not an e-mail address"
        raise ConfigError(msg)
    return email


def check_new_account(store: Store, email: str, *, company: str, role: str) -> tuple[str, str]:
    """The stripped e-mail and company of an account that can be created.

    Checked before a password is asked for, so a typo or an existing account fails at once.

    Raises
    ------
    ConfigError
        Bad e-mail, company or role, or the e-mail already has an account.
    """
    email = check_email(email)
    company = company.strip()
    if not _COMPANY.match(company):
        msg = f"company '{company}': use 1-80 letters, digits, spaces or . & ' -"
        raise ConfigError(msg)
    if role not in ROLES:
        msg = f"role '{role}': use one of {', '.join(ROLES)}"
        raise ConfigError(msg)
    if store.one("SELECT id FROM users WHERE email = ?", email):
        msg = f"{email} already has an account (change its password with `workbench users passwd`)"
        raise ConfigError(msg)
    return email, company


def add_user(store: Store, email: str, *, company: str, role: str, password: str) -> int:
    """Create an account; its id.

    Raises
    ------
    ConfigError
        Bad e-mail, company or role, weak password, or the e-mail already has an account.
    """
    email, company = check_new_account(store, email, company=company, role=role)
    problem = password_problem(password, email)
    if problem:
        raise ConfigError(problem)
    return store.write(
        "INSERT INTO users (email, company, role, password_hash, created_at) VALUES (?,?,?,?,?)",
        email, company, role, hash_password(password), now_iso())


def list_users(store: Store) -> list[dict[str, Any]]:
    """Every account (never the hash), with its number of live sessions."""
    return store.all(
        "SELECT u.id, u.email, u.company, u.role, u.created_at, "
        "(SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) AS sessions "
        "FROM users u ORDER BY u.company, u.email")


def remove_user(store: Store, email: str) -> None:
    """Delete an account and sign it out everywhere; its briefs stay with the company."""
    user = store.one("SELECT id FROM users WHERE email = ?", email.strip())
    if user is None:
        msg = f"no account for {email}"
        raise ConfigError(msg)
    with store.connect() as db:
        db.execute("DELETE FROM sessions WHERE user_id = ?", (user["id"],))
        db.execute("DELETE FROM users WHERE id = ?", (user["id"],))


def set_password(store: Store, email: str, password: str) -> None:
    """Change a password and end every session of the account."""
    user = store.one("SELECT id, email FROM users WHERE email = ?", email.strip())
    if user is None:
        msg = f"no account for {email}"
        raise ConfigError(msg)
    problem = password_problem(password, user["email"])
    if problem:
        raise ConfigError(problem)
    with store.connect() as db:
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                   (hash_password(password), user["id"]))
        db.execute("DELETE FROM sessions WHERE user_id = ?", (user["id"],))
