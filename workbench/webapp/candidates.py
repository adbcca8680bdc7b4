"""What the ad studio makes of one candidate: a choice, a copy to confirm, or a failure.

An empty candidate is a failure, not an ad: it gets no Copy and no "Mark best", and the server
refuses such a pick (:func:`refuse_pick`) whatever the page offered.

A candidate that copies a past ad (``not_copy`` failed) is shown marked as a copy, naming the ad
it copies. It can still be copied out and marked best, after a confirm that names the copied ad:
the retrieval baseline is an adapted past ad by design, and refusing every copy would make it
unpickable and bias the studio's model comparison (the leaderboard's votes) against it; the
marketer decides, knowingly. The preference row records the choice (``chosen_is_copy``), so
preference tuning can leave copied ads out of its "chosen" side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ConfigError
from workbench.generation.checks import failure_names

#: Columns of a generations file the verdict reads.
VERDICT_COLUMNS = ("text", "check_failures", "is_copy", "overlap_ratio", "overlap_uid",
                   "has_phone", "has_handle", "has_link", "has_short_code")


@dataclass(frozen=True)
class Verdict:
    """How the studio shows one candidate.

    Attributes
    ----------
    is_empty
        The model wrote nothing (or only white space).
    is_copy
        The candidate repeats a retrieved past ad (overlap at or over ``checks.max_overlap``).
    problems
        Each failed check, named by what went wrong ("no phone number", "copies a past ad").
    """

    is_empty: bool
    is_copy: bool
    problems: list[str]

    @property
    def can_pick(self) -> bool:
        """Whether the candidate is offered for Copy and "Mark best" (a copy after a confirm)."""
        return not self.is_empty


def verdict(candidate: dict[str, Any]) -> Verdict:
    """The :class:`Verdict` of a candidate row of a generations file."""
    failed = candidate.get("check_failures") or []
    is_empty = not str(candidate.get("text") or "").strip() or "not_empty" in failed
    is_copy = not is_empty and (bool(candidate.get("is_copy")) or "not_copy" in failed)
    return Verdict(is_empty=is_empty, is_copy=is_copy, problems=failure_names(candidate))


def refuse_pick(candidate: dict[str, Any]) -> None:
    """Raise when a candidate may not be marked best: it is empty.

    Raises
    ------
    ConfigError
        The candidate is empty.
    """
    if verdict(candidate).is_empty:
        msg = "this candidate is empty: there is no ad to mark best; generate again"
        raise ConfigError(msg)


#: Where the past ads came from (a generations file's ``retrieval_scope`` codes), in words.
SCOPE_NAMES: dict[str, str] = {
    "channel+vertical": "the same channel and vertical", "channel": "the same channel",
    "vertical": "the same vertical", "all": "any channel",
}


def scope_text(scope: str | None) -> str:
    """``"channel+vertical,channel"`` -> ``"the same channel and vertical, then the same channel"``.

    Examples
    --------
    >>> scope_text("channel+vertical,channel")
    'from the same channel and vertical, then the same channel'
    >>> scope_text(None)
    ''
    """
    names = [SCOPE_NAMES.get(code, code) for code in (scope or "").split(",") if code]
    return "from " + ", then ".join(names) if names else ""
