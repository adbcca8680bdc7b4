"""Password hashing with Argon2id (RFC 9106), through argon2-cffi.

Parameters are argon2-cffi's defaults (time cost 3, 64 MiB, 4 lanes: RFC 9106's second
recommended setting), stored inside each hash, so raising them later re-hashes old passwords at
their owner's next sign-in (:func:`needs_rehash`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

MIN_LENGTH = 10


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """The encoded Argon2id hash (salt and parameters included)."""
    return str(_hasher().hash(password))


def verify_password(encoded: str, password: str) -> bool:
    """Whether ``password`` matches ``encoded`` (False for any malformed hash too)."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(encoded, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return bool(_hasher().check_needs_rehash(encoded))


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown.

    Verifying costs the same time whether or not the account exists, so response times do not
    tell an attacker which e-mails have accounts.
    """
    return hash_password("not a real password, only here to spend the same time")


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is refused, or None (length, and not the e-mail itself)."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if password.strip().lower() == email.strip().lower():
        return "password must not be the e-mail address"
    return None


class PasswordChecksBusyError(Exception):
    """Every verification slot is taken and the waiting line is full."""


class PasswordChecks:
    """Argon2 verifications, a few at a time: memory stays bounded under a burst of sign-ins.

    Each verification holds 64 MiB while it runs; a burst of sign-ins would otherwise run one per
    worker thread at once. Requests beyond the slots wait their turn (without holding a thread);
    beyond the waiting line they are refused at once.

    Parameters
    ----------
    at_once
        Verifications running at the same time.
    waiting
        Requests that may wait for a slot.
    """

    def __init__(self, at_once: int, waiting: int) -> None:
        import anyio

        self.limiter = anyio.CapacityLimiter(at_once)
        self.waiting = waiting

    async def verify(self, encoded: str, password: str) -> bool:
        """Whether ``password`` matches ``encoded``, checked on a worker thread.

        Raises
        ------
        PasswordChecksBusyError
            When the waiting line is full.
        """
        import anyio

        stats = self.limiter.statistics()
        if stats.borrowed_tokens >= self.limiter.total_tokens and stats.tasks_waiting >= self.waiting:
            raise PasswordChecksBusyError
        return await anyio.to_thread.run_sync(verify_password, encoded, password,
                                              limiter=self.limiter)
