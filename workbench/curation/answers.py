"""Per-task answers of each item: the annotators' votes, the adjudicated answer, the majority.

``flag`` assesses these answers and ``split`` resolves them into final labels; both must agree on
what an item's answers are, so both build them here.

Examples
--------
>>> majority([["Ad"], ["Non-Ad"], ["Ad"]], "single", ["Ad", "Non-Ad"])
['Ad']
>>> majority([["Gambling"], ["Gambling", "Politics"], []], "multi", ["Gambling", "Politics"])
['Gambling']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from workbench.curation.inputs import TaskSpec


@dataclass
class TaskAnswers:
    """The answered items of one task, aligned by position.

    Attributes
    ----------
    uids
        Items with at least one answer, sorted.
    votes
        Per item, ``(annotator, labels)`` of every non-review answer, by annotator name.
    adjudicated
        Per item, the latest review answer, or None.
    n_gate_excluded
        Items dropped because their resolved gate answer closes the task (e.g. a vertical
        given to an item whose is_ad resolved to Non-Ad).
    """

    uids: list[str]
    votes: list[list[tuple[str, list[str]]]]
    adjudicated: list[list[str] | None]
    n_gate_excluded: int = 0


def majority(values: Sequence[Sequence[str]], kind: str, order: Sequence[str]) -> list[str]:
    """The majority answer.

    Single-choice: the most frequent label (ties go to the label declared first). Multi-label:
    the labels chosen by more than half of the answers.
    """
    if not values:
        return []
    if kind == "multi":
        counts = Counter(lab for v in values for lab in set(v))
        return [lab for lab in order if 2 * counts.get(lab, 0) > len(values)]
    counts = Counter(v[0] for v in values if v)
    if not counts:
        return []
    best = max(counts.values())
    return [next(lab for lab in order if counts.get(lab) == best)]


def collect_answers(
    annotations: pl.DataFrame, spec: TaskSpec, tasks: Sequence[TaskSpec]
) -> TaskAnswers:
    """The answers to task ``spec`` in normalised annotations.

    For a conditional task (``when``), items whose resolved gate answer (adjudicated, else
    majority) does not open it are dropped: "vertical among ads".

    Parameters
    ----------
    annotations
        Frame with :data:`~workbench.curation.inputs.ANNOTATION_COLUMNS`.
    spec
        The task.
    tasks
        Every task (to find the gate's labels).

    Returns
    -------
    TaskAnswers
        Aligned per-item answers.
    """
    rows = annotations.filter(pl.col("task") == spec.name)
    adjudicated = (rows.filter(pl.col("review")).sort("updated_at", nulls_last=False)
                   .group_by("uid").agg(pl.col("value").last().alias("adjudicated")))
    votes = (rows.filter(~pl.col("review")).sort("annotator")
             .group_by("uid").agg(pl.col("annotator"), pl.col("value")))
    items = votes.join(adjudicated, on="uid", how="full", coalesce=True).sort("uid")
    n_out = 0
    if spec.when is not None:
        gate_name, gate_label = spec.when
        gate_spec = next((t for t in tasks if t.name == gate_name), None)
        if gate_spec is not None and annotations.filter(pl.col("task") == gate_name).height:
            gate = collect_answers(annotations, gate_spec, [])
            resolved = {
                uid: adj if adj is not None else majority([v for _, v in vs], gate_spec.kind,
                                                          gate_spec.labels)
                for uid, vs, adj in zip(gate.uids, gate.votes, gate.adjudicated, strict=True)
            }
            # An answer to a conditional task counts only when the item's resolved gate answer
            # opens it (or the gate was never answered for that item).
            keep = [uid not in resolved or gate_label in resolved[uid]
                    for uid in items.get_column("uid").to_list()]
            n_out = len(keep) - sum(keep)
            items = items.filter(pl.Series(keep, dtype=pl.Boolean))
    annotators = items.get_column("annotator").to_list()
    values = items.get_column("value").to_list()
    return TaskAnswers(
        uids=items.get_column("uid").to_list(),
        votes=[list(zip(a, v, strict=True)) if a is not None else []
               for a, v in zip(annotators, values, strict=True)],
        adjudicated=items.get_column("adjudicated").to_list(),
        n_gate_excluded=n_out,
    )
