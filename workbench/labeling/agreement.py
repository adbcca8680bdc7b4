"""Inter-annotator agreement on overlapping items: Krippendorff's alpha, Cohen's kappa.

The statistics are :mod:`workbench.core.agreement`'s; this module decides which answers count.

Only items answered by two or more annotators count. Each annotator's latest answer per (uid, task)
is used, and the review project is left out (a reviewer adjudicates; agreeing with annotators is
not what it measures). A multi-choice answer is compared as a whole set (nominal: {Gambling} and
{Gambling, Politics} disagree).

Examples
--------
>>> import polars as pl
>>> ann = pl.DataFrame({
...     "uid": ["a", "b", "c", "d"] * 2, "task": ["is_ad"] * 8,
...     "annotator": ["x"] * 4 + ["y"] * 4,
...     "value": [["Ad"], ["Ad"], ["Non-Ad"], ["Non-Ad"], ["Ad"], ["Non-Ad"], ["Non-Ad"], ["Non-Ad"]],
... })
>>> round(task_alpha(ann, "is_ad"), 4)
0.5333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import polars as pl

from workbench.core.agreement import cohen_kappa, krippendorff_alpha, reliability_matrix
from workbench.labeling.records import REVIEW_PROJECT


def latest_answers(annotations: pl.DataFrame) -> pl.DataFrame:
    """One row per (uid, task, annotator): the latest answer, value as a sorted-set key string."""
    frame = annotations
    if "project" in frame.columns:
        frame = frame.filter(pl.col("project") != REVIEW_PROJECT)
    if "updated_at" in frame.columns:
        frame = frame.sort("updated_at")
    return (
        frame.group_by("uid", "task", "annotator", maintain_order=True).last()
        .with_columns(key=pl.col("value").list.sort().list.join("|"))
        .select("uid", "task", "annotator", "key")
    )


def overlapping(answers: pl.DataFrame, task: str) -> pl.DataFrame:
    """Answers of ``task`` on items with at least two annotators."""
    one = answers.filter(pl.col("task") == task)
    multi = one.group_by("uid").len().filter(pl.col("len") >= 2).select("uid")
    return one.join(multi, on="uid")


def task_alpha(annotations: pl.DataFrame, task: str) -> float:
    """Nominal Krippendorff's alpha of ``task`` over items with 2+ annotators (NaN if undefined).

    Parameters
    ----------
    annotations
        Long-format annotations (``uid``, ``task``, ``annotator``, ``value``; optionally
        ``project``, ``updated_at``).
    task
        Which task.

    Returns
    -------
    float
        :func:`~workbench.core.agreement.krippendorff_alpha` (nominal) of the answer sets; NaN
        when fewer than two items overlap or every answer is the same.
    """
    return _nominal_alpha(overlapping(latest_answers(annotations), task))


def _nominal_alpha(rows: pl.DataFrame) -> float:
    """Alpha of :func:`overlapping` rows, answer sets compared as wholes."""
    return krippendorff_alpha(reliability_matrix(rows, unit="uid", value="key"), level="nominal")


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of one annotator pair on one task."""

    task: str
    annotator_a: str
    annotator_b: str
    items: int
    kappa: float


@dataclass(frozen=True)
class TaskAlpha:
    """Krippendorff's alpha of one task."""

    task: str
    items: int
    annotators: int
    alpha: float


def agreement_report(
    annotations: pl.DataFrame, tasks: Sequence[str]
) -> tuple[list[TaskAlpha], list[PairKappa]]:
    """Alpha per task and kappa per annotator pair (pairs sharing at least one item)."""
    answers = latest_answers(annotations)
    alphas: list[TaskAlpha] = []
    kappas: list[PairKappa] = []
    for task in tasks:
        rows = overlapping(answers, task)
        alphas.append(TaskAlpha(task=task, items=rows.get_column("uid").n_unique(),
                                annotators=rows.get_column("annotator").n_unique(),
                                alpha=_nominal_alpha(rows)))
        by_annotator = {
            a: dict(zip(g.get_column("uid").to_list(), g.get_column("key").to_list(), strict=True))
            for (a,), g in rows.group_by("annotator")
        }
        for x, y in combinations(sorted(by_annotator), 2):
            shared = sorted(set(by_annotator[x]) & set(by_annotator[y]))
            if not shared:
                continue
            kappa = cohen_kappa([by_annotator[x][u] for u in shared],
                                [by_annotator[y][u] for u in shared])
            kappas.append(PairKappa(task=task, annotator_a=x, annotator_b=y, items=len(shared),
                                    kappa=kappa))
    return alphas, kappas
