"""Copy-aware scores: check columns on generations, novelty, pass rate and the ranking metric.

Every task gets three per-item metrics beside the suite's own, so they get bootstrap CIs and
paired tests like any other:

``novelty``
    1 - the largest character n-gram overlap of the output with any train text or ad shown in
    its prompt (0: a copy; see :mod:`workbench.evaluation.novelty`).
``check_pass_rate``
    Share of the item's samples passing every output check
    (:mod:`workbench.evaluation.output_checks`).
``<metric>@checked``
    The ranking metric (the suite's ``ranking``): the plain metric where every check passes,
    ``failed_checks_score`` (0) where one fails; mean over samples. A copy cannot win it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from workbench.evaluation.metrics import MetricDef
from workbench.evaluation.moderation import TagModeration, moderation_columns
from workbench.evaluation.output_checks import OutputChecker
from workbench.evaluation.suite import Suite
from workbench.evaluation.tasks import EvalItem

NOVELTY = "novelty"
CHECK_PASS_RATE = "check_pass_rate"


def derived_metrics(suite: Suite) -> dict[str, MetricDef]:
    """The per-item metrics every task gets beside the suite's own (no metric module)."""
    ranking = suite.ranking
    return {m.name: m for m in (
        MetricDef(NOVELTY, "", "1 - largest char n-gram overlap with a train text or a shown ad "
                  "(0: a copy, 1: nothing shared)", True),
        MetricDef(CHECK_PASS_RATE, "", "share of generations passing every output check (0-1)",
                  True),
        MetricDef(suite.ranking_metric, "",
                  f"{suite.ranking_base} where every output check passes, "
                  f"{ranking.failed_checks_score:g} where one fails (ranks the leaderboard)",
                  True),
    )}

def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def derived_scores(items: list[EvalItem], gens: list[dict[str, Any]],
                    per_sample: dict[str, list[float]] | None, suite: Suite
                    ) -> dict[str, list[float]]:
    """Per-item novelty, check pass rate and ranking metric (means over samples).

    ``per_sample`` holds the ranking's plain metric per item and sample (None: the task does
    not compute it, so it has no ranking metric).
    """
    by_item: dict[str, list[dict[str, Any]]] = {it.item_id: [] for it in items}
    for g in sorted(gens, key=lambda g: g["sample"]):
        by_item[g["item_id"]].append(g)
    out: dict[str, list[float]] = {NOVELTY: [], CHECK_PASS_RATE: []}
    if per_sample is not None:
        out[suite.ranking_metric] = []
    for it in items:
        rows = by_item[it.item_id]
        out[NOVELTY].append(_mean([g["novelty"] for g in rows]))
        out[CHECK_PASS_RATE].append(_mean([float(g["checks_passed"]) for g in rows]))
        if per_sample is not None:
            plain = per_sample[it.item_id]
            out[suite.ranking_metric].append(_mean([
                value if g["checks_passed"] else suite.ranking.failed_checks_score
                for g, value in zip(rows, plain, strict=True)]))
    return out


def annotate(gens: list[dict[str, Any]], items: list[EvalItem], checker: OutputChecker,
              moderation: TagModeration) -> None:
    """Add the output checks, novelty and moderation columns to generation rows (in place)."""
    by_id = {it.item_id: it for it in items}
    for g in gens:
        g.update(checker.check(by_id[g["item_id"]], g["text"]))
    for g, cols in zip(gens, moderation_columns(moderation, [g["text"] or "" for g in gens]),
                       strict=True):
        g.update(cols)


def copy_shares(generations: pl.DataFrame) -> dict[tuple[str, str], float]:
    """(task, system) -> share of its generations failing the copy check."""
    shares = generations.group_by("task", "system").agg(
        pl.col("check_not_copy").not_().mean().alias("share"))
    return {(r["task"], r["system"]): r["share"] for r in shares.iter_rows(named=True)}
