"""The studio's output checks on every evaluated generation, and novelty.

Each generation goes through :func:`workbench.generation.checks.check_candidate` (the checks
``workbench generate`` runs) with the project's cleaning config and ``generation.checks``
thresholds. The copy check compares the output with the ads shown in its prompt and with the
nearest text of the train split the evaluation uses (found through :class:`NgramIndex`, so it is
the largest overlap with *any* training text), which makes ``novelty = 1 - overlap_ratio``.

Which checks apply:

=================  ===============  ======================================================
check              brief_to_ad      half_continuation
=================  ===============  ======================================================
``not_empty``      yes              yes
``has_brand``      yes (when the    no (no brief: the output continues a text)
                   derived brief
                   has a brand)
``has_contact``    yes              no (contacts stay in the given first half)
``ethiopic_ok``    yes (brief's     yes (the ``am`` threshold: the held-out texts are
                   language)        Amharic posts)
``length_ok``      yes              yes
``no_leak``        yes (prompt      role markers only (the prompt *is* the text's first
                   lines, markers)  half; repeating it is no leak of instructions)
``not_copy``       yes              yes
=================  ===============  ======================================================

A check that does not apply is null in its column and never fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from workbench.core.briefs import FROM_AD, Brief
from workbench.core.config import ProjectConfig
from workbench.evaluation.novelty import NgramIndex
from workbench.evaluation.tasks import BRIEF_TO_AD, EvalItem
from workbench.generation.checks import check_candidate, leak_lines

#: The check kinds, in the order the studio reports them.
CHECK_KINDS = ("not_empty", "has_brand", "has_contact", "ethiopic_ok", "length_ok", "no_leak",
               "not_copy")
#: Checks without a brief to read: not applied to half_continuation.
BRIEF_CHECKS = ("has_brand", "has_contact")

#: The columns the checks add to ``generations.parquet`` (one boolean per check, null when the
#: check does not apply; ``checks_passed``, the failed kinds, the copy measure and novelty).
CHECK_SCHEMA: dict[str, pl.DataType] = {
    **{f"check_{kind}": pl.Boolean for kind in CHECK_KINDS},
    "checks_passed": pl.Boolean,
    "check_failures": pl.List(pl.Utf8),
    "leaked_text": pl.Utf8,
    "overlap_ratio": pl.Float64,
    "overlap_uid": pl.Utf8,
    "novelty": pl.Float64,
}


def train_texts(train: pl.DataFrame) -> list[tuple[str, str]]:
    """``(uid, text)`` of every train message with text: what an output must not copy."""
    rows = train.filter(pl.col("text").is_not_null()).select("uid", "text")
    return list(rows.iter_rows())


class OutputChecker:
    """Checks and novelty of evaluated outputs against one train split.

    Parameters
    ----------
    train
        The train split the evaluation uses (``uid``, ``text``).
    cfg
        Project config: ``generation.checks`` thresholds and ``cleaning``.
    system_prompt
        The evaluation prompt's system prompt (its lines count as leaks too).
    """

    def __init__(self, train: pl.DataFrame, cfg: ProjectConfig, *,
                 system_prompt: str | None = None) -> None:
        self.cfg = cfg
        self.system_prompt = system_prompt or ""
        self.index = NgramIndex(train_texts(train), n=cfg.generation.checks.overlap_ngram,
                                cleaning=cfg.cleaning)
        self._leaks: dict[str, list[str]] = {}

    def _leak_lines(self, item: EvalItem, shown: Sequence[tuple[str, str]]) -> list[str]:
        if item.task != BRIEF_TO_AD or item.derived_brief is None:
            return []  # role markers only (check_candidate always looks for them)
        if item.item_id not in self._leaks:
            brief = item.derived_brief
            allowed = [t for _, t in shown] + [
                brief.brand, brief.product, brief.campaign_goal, brief.offer,
                brief.call_to_action, brief.notes, *brief.contact.items()]
            self._leaks[item.item_id] = leak_lines(
                [item.prompt, self.system_prompt], allowed=allowed,
                min_chars=self.cfg.generation.checks.min_leak_chars, cleaning=self.cfg.cleaning)
        return self._leaks[item.item_id]

    def check(self, item: EvalItem, text: str | None) -> dict[str, Any]:
        """The :data:`CHECK_SCHEMA` columns of one output of ``item``."""
        text = text or ""
        shown = [(uid, self.index.texts[uid]) for uid in item.context_uids
                 if uid in self.index.texts]
        nearest_uid, _ = self.index.nearest(text)
        if nearest_uid is not None and nearest_uid not in item.context_uids:
            shown_and_nearest = [*shown, (nearest_uid, self.index.texts[nearest_uid])]
        else:
            shown_and_nearest = shown
        brief = item.derived_brief if item.task == BRIEF_TO_AD else None
        res = check_candidate(text, brief or _no_brief(item.channel),
                              leak=self._leak_lines(item, shown), retrieved=shown_and_nearest,
                              cfg=self.cfg.generation.checks, cleaning=self.cfg.cleaning)
        values = {
            "not_empty": bool(text.strip()), "has_brand": res.has_brand,
            "has_contact": res.has_contact, "ethiopic_ok": res.ethiopic_ok,
            "length_ok": res.length_ok, "no_leak": not res.prompt_leak,
            "not_copy": not res.is_copy,
        }
        applied = applicable_checks(brief)
        failures = [k for k in res.failures if k in applied]
        return {
            **{f"check_{k}": (values[k] if k in applied else None) for k in CHECK_KINDS},
            "checks_passed": not failures, "check_failures": failures,
            "leaked_text": res.leaked_text, "overlap_ratio": res.overlap_ratio,
            "overlap_uid": res.overlap_uid, "novelty": round(1.0 - res.overlap_ratio, 4),
        }


def applicable_checks(brief: Brief | None) -> tuple[str, ...]:
    """The checks that apply to an output of an item with ``brief`` (None: no brief)."""
    if brief is None:
        return tuple(k for k in CHECK_KINDS if k not in BRIEF_CHECKS)
    # A brief derived from an ad may have found no brand: nothing to look for then.
    return tuple(k for k in CHECK_KINDS if k != "has_brand" or brief.brand)


def _no_brief(channel: str) -> Brief:
    """A brief with nothing to find (half_continuation): only the language's threshold counts."""
    return Brief.model_validate({"brand": "", "product": "", "vertical": "",
                                 "target_channel": channel or "-", "contact": {}},
                                context=FROM_AD)
