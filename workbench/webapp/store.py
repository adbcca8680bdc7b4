"""The web app's SQLite database: ``DIR/webapp/app.sqlite3``.

One connection per call (cheap with SQLite, and safe across the server's worker threads); WAL
mode so readers never wait for the writer. Every query that returns company data takes the
company as a parameter: a row of another company is simply not found, which the routes turn
into 404 (never 403, so ids cannot be probed).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.io import restrict_to_owner
from workbench.core.layout import Layout

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    company TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE,
    client TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_email ON login_failures (email, at);
CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures (client, at);
-- briefs, generations and picks keep the author's id without a foreign key: they belong to
-- the company and outlive the account.
CREATE TABLE IF NOT EXISTS briefs (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    brief_id TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS briefs_company ON briefs (company, id);
CREATE TABLE IF NOT EXISTS generations (
    id INTEGER PRIMARY KEY,
    brief_row INTEGER NOT NULL REFERENCES briefs(id),
    company TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    parquet_path TEXT NOT NULL,
    seconds REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS generations_brief ON generations (company, brief_row);
-- One pick per brief, among the candidates of all its generations (every model tried).
CREATE TABLE IF NOT EXISTS picks (
    brief_row INTEGER PRIMARY KEY REFERENCES briefs(id),
    generation_id INTEGER NOT NULL REFERENCES generations(id),
    candidate_index INTEGER NOT NULL,
    candidate_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    company TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


def now_iso() -> str:
    """UTC now, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def db_path(data_dir: Path) -> Path:
    """``DIR/webapp/app.sqlite3``."""
    return Layout(data_dir).webapp / "app.sqlite3"


class Store:
    """Access to the app database.

    Parameters
    ----------
    path
        The SQLite file (created with its tables on first use; owner-only permissions).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Created owner-only before SQLite opens it: password hashes and session digests
            # live here (SQLite gives its -wal and -shm files the database file's mode).
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        db = sqlite3.connect(path, timeout=10.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, on creation
            db.executescript(SCHEMA)  # IF NOT EXISTS throughout: safe on every start
        finally:
            db.close()
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            restrict_to_owner(file)  # also a database an older version left 0644

    @contextmanager
    def connect(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction: committed on success, rolled back on error.

        ``write=True`` takes the write lock at once (``BEGIN IMMEDIATE``), so a read-then-write
        sequence (the login throttle) cannot interleave with another writer.
        """
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        with self.connect(write=False) as db:
            row = db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Every row of a query as dicts."""
        with self.connect(write=False) as db:
            return [dict(r) for r in db.execute(sql, params).fetchall()]

    def write(self, sql: str, *params: Any) -> int:
        """Run one statement; the new row id (inserts) or the changed row count (others)."""
        with self.connect() as db:
            cur = db.execute(sql, params)
            return int(cur.lastrowid) if sql.lstrip().upper().startswith("INSERT") else cur.rowcount
