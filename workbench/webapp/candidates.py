"""What the ad studio makes of one candidate: a choice, or a failure shown as such.

An empty candidate is a failure, not an ad: it gets no Copy and no "Mark best". A candidate that
copies a past ad (``not_copy`` failed) is shown, marked as a copy with the ad it copies, but
cannot be copied out or marked best either: a pick is a human preference (``preferences.parquet``
feeds preference tuning, and the leaderboard counts it as a win for the model), so picking a copy
would reward a model for repeating another advertiser's ad, and publishing it would repeat that
ad. The marketer regenerates instead. The server refuses such a pick too (:func:`refuse_pick`),
whatever the page offered.
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
        """Whether the candidate may be copied out and marked best."""
        return not (self.is_empty or self.is_copy)


def verdict(candidate: dict[str, Any]) -> Verdict:
    """The :class:`Verdict` of a candidate row of a generations file."""
    failed = candidate.get("check_failures") or []
    is_empty = not str(candidate.get("text") or "").strip() or "not_empty" in failed
    is_copy = not is_empty and (bool(candidate.get("is_copy")) or "not_copy" in failed)
    return Verdict(is_empty=is_empty, is_copy=is_copy, problems=failure_names(candidate))


def refuse_pick(candidate: dict[str, Any]) -> None:
    """Raise when a candidate may not be marked best (see the module docstring).

    Raises
    ------
    ConfigError
        The candidate is empty or copies a past ad.
    """
    found = verdict(candidate)
    if found.is_empty:
        msg = "this candidate is empty: it cannot be marked best; generate again"
        raise ConfigError(msg)
    if found.is_copy:
        msg = ("this candidate copies a past ad: it cannot be marked best; generate again "
               "or try another model")
        raise ConfigError(msg)
