"""Inter-annotator agreement on overlapping items: Krippendorff's alpha, Cohen's kappa.

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
>>> round(krippendorff_alpha(ann, "is_ad"), 4)
0.5333
>>> cohen_kappa(["Ad", "Ad", "Non-Ad", "Non-Ad"], ["Ad", "Non-Ad", "Non-Ad", "Non-Ad"])
0.5
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import polars as pl

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


def krippendorff_alpha(annotations: pl.DataFrame, task: str) -> float:
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
        Alpha in [-1, 1]; NaN when fewer than two overlapping items' values vary (no expected
        disagreement) or nothing overlaps.
    """
    import krippendorff
    import numpy as np

    rows = overlapping(latest_answers(annotations), task)
    if rows.is_empty():
        return math.nan
    keys = sorted(rows.get_column("key").unique().to_list())
    if len(keys) < 2:
        # Everyone gave the same answer everywhere: agreement is undefined, not perfect.
        return math.nan
    code = {k: i for i, k in enumerate(keys)}
    annotators = sorted(rows.get_column("annotator").unique().to_list())
    items = sorted(rows.get_column("uid").unique().to_list())
    a_idx = {a: i for i, a in enumerate(annotators)}
    i_idx = {u: i for i, u in enumerate(items)}
    matrix = np.full((len(annotators), len(items)), np.nan)
    for uid, annotator, key in rows.select("uid", "annotator", "key").iter_rows():
        matrix[a_idx[annotator], i_idx[uid]] = code[key]
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two annotators' answers to the same items (NaN when chance agreement is 1)."""
    if len(a) != len(b):
        msg = f"cohen_kappa needs paired answers, got {len(a)} and {len(b)}"
        raise ValueError(msg)
    n = len(a)
    if n == 0:
        return math.nan
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if expected == 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


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
                                alpha=krippendorff_alpha(annotations, task)))
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
