"""Sessions, CSRF tokens, the login throttle and the headers every response carries.

Sessions
    A random 256-bit token in an HttpOnly, SameSite=Strict cookie; the database keeps only its
    SHA-256, so a leaked database copy cannot be replayed. A session ends on logout, after
    ``session_idle_minutes`` without a request, after ``session_max_hours`` anyway, and when the
    password changes. Signing in always makes a new token (no session fixation).
CSRF
    Synchronizer tokens: each session has its own random token, put in every form as a hidden
    field and sent by the page's scripts as ``X-CSRF-Token``; a state-changing request without
    the right one is refused (403). The sign-in form, which has no session yet, uses a
    double-submit cookie. Requests a browser marks ``Sec-Fetch-Site: cross-site``, or whose
    ``Origin``/``Referer`` is another site, are refused before any of that
    (:mod:`workbench.webapp.guard`).
Throttle
    Sign-in attempts are counted per e-mail and per client address (the connection's address;
    ``X-Forwarded-For`` only from a configured proxy) before the password is checked, atomically;
    past the limits of the window, sign-in is refused with 429 and ``Retry-After`` without
    checking the password. Password checks (Argon2id, 64 MiB each) run a few at a time
    (:class:`workbench.webapp.passwords.PasswordChecks`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from workbench.core.settings.web import WebConfig
from workbench.webapp.store import Store

SESSION_COOKIE = "wb_session"
LOGIN_CSRF_COOKIE = "wb_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

#: Every response: no framing, no sniffing, only same-origin assets (the app ships its own CSS,
#: JS and fonts stack; nothing comes from a CDN), no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def digest(token: str) -> str:
    """SHA-256 hex of a token (what the database stores)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A random URL-safe token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison; False when either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True)
class User:
    """The signed-in account, as the routes see it."""

    id: int
    email: str
    company: str
    role: str
    csrf_token: str


class Sessions:
    """Create, look up and end sessions.

    Parameters
    ----------
    store
        The app database.
    cfg
        Timeouts.
    """

    def __init__(self, store: Store, cfg: WebConfig) -> None:
        self.store = store
        self.idle_s = cfg.session_idle_minutes * 60
        self.max_s = cfg.session_max_hours * 3600

    def create(self, user_id: int) -> str:
        """A new session for the user; the cookie value (returned once, never stored)."""
        token = new_token()
        now = time.time()
        with self.store.connect() as db:
            # Sweep expired sessions of everyone now and then: the table stays small.
            db.execute("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
                       (now - self.idle_s, now - self.max_s))
            db.execute("INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, "
                       "last_seen) VALUES (?,?,?,?,?)", (digest(token), user_id, new_token(),
                                                         now, now))
        return token

    def user(self, token: str | None) -> User | None:
        """The account behind a cookie value, or None (unknown, expired, or account gone)."""
        if not token or len(token) > 100:
            return None
        key = digest(token)
        now = time.time()
        # Read first, without the write lock: almost every request only reads its session.
        row = self.store.one(
            "SELECT s.created_at, s.last_seen, s.csrf_token, u.id, u.email, u.company, u.role "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?", key)
        if row is None:
            return None
        if now - row["last_seen"] > self.idle_s or now - row["created_at"] > self.max_s:
            self.store.write("DELETE FROM sessions WHERE token_sha256 = ?", key)
            return None
        # Refresh the idle clock at most once a minute.
        if now - row["last_seen"] > 60:
            self.store.write("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", now, key)
        return User(id=row["id"], email=row["email"], company=row["company"], role=row["role"],
                    csrf_token=row["csrf_token"])

    def end(self, token: str | None) -> None:
        """Delete the session (logout)."""
        if token:
            self.store.write("DELETE FROM sessions WHERE token_sha256 = ?", digest(token))


@dataclass(frozen=True)
class Verdict:
    """The throttle's answer to a sign-in attempt."""

    allowed: bool
    retry_after_s: int = 0
    #: The attempt's row, already counted as a failure (None when refused).
    attempt_id: int | None = None


class LoginThrottle:
    """Counts failed sign-ins per e-mail and per client address in a sliding window.

    An attempt is recorded as a failure before its password is checked, in the same transaction
    that counts the earlier ones (``BEGIN IMMEDIATE``: attempts arriving together queue on the
    write lock), so a burst sent at once gets exactly the limit of password checks; a right
    password then clears the e-mail's failures.

    Parameters
    ----------
    store
        The app database (the counters survive a restart).
    cfg
        Window and limits.
    """

    def __init__(self, store: Store, cfg: WebConfig) -> None:
        self.store = store
        self.window_s = cfg.login_window_minutes * 60
        self.per_email = cfg.max_failures_per_email
        self.per_client = cfg.max_failures_per_client

    def attempt(self, email: str, client: str) -> Verdict:
        """Count an attempt, or refuse it (and say for how long) when a limit is reached."""
        now = time.time()
        since = now - self.window_s
        email = _email_key(email)
        with self.store.connect() as db:
            db.execute("DELETE FROM login_failures WHERE at < ?", (since,))
            waits = []
            for column, value, limit in (("email", email, self.per_email),
                                         ("client", client, self.per_client)):
                rows = db.execute(
                    f"SELECT at FROM login_failures WHERE {column} = ? AND at > ? "
                    "ORDER BY at DESC LIMIT ?", (value, since, limit)).fetchall()
                if len(rows) >= limit:
                    # Allowed again when the oldest failure that still counts leaves the window.
                    waits.append(rows[limit - 1]["at"] + self.window_s - now)
            if waits:
                return Verdict(allowed=False, retry_after_s=max(1, int(max(waits)) + 1))
            cursor = db.execute("INSERT INTO login_failures (email, client, at) VALUES (?,?,?)",
                                (email, client, now))
            return Verdict(allowed=True, attempt_id=cursor.lastrowid)

    def withdraw(self, attempt_id: int | None) -> None:
        """Uncount an attempt whose password was never checked (the server was busy)."""
        if attempt_id is not None:
            self.store.write("DELETE FROM login_failures WHERE id = ?", attempt_id)

    def succeeded(self, email: str) -> None:
        """Forget the e-mail's failures (the address's stay: it may be guessing others)."""
        self.store.write("DELETE FROM login_failures WHERE email = ?", _email_key(email))


def _email_key(email: str) -> str:
    """The e-mail as the throttle counts it (case and spaces do not make a new account)."""
    return email.strip().lower()[:320]


def cookie_args(secure: bool) -> dict[str, Any]:
    """Attributes of every cookie the app sets."""
    return {"httponly": True, "samesite": "strict", "secure": secure, "path": "/"}
