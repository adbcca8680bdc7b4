"""What a push changes in a Label Studio project that already holds tasks.

One diff for the push and its dry run, so that ``label push --dry-run`` predicts what ``label
push`` does:

- records whose uid the project lacks: new tasks;
- tasks nobody has annotated that lack the pre-annotations of the records' model version:
  predictions to add;
- tasks whose message was edited since it was pushed (re-ingested; the newest edit wins in the
  data dir): the text is replaced where nobody has annotated the task yet, with its
  pre-annotation; an annotated one keeps the text its annotations were given on, and is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.labeling.records import TaskRecord


def has_model_version(listed: str, version: str | None) -> bool:
    """Whether a task's ``predictions_model_versions`` (Label Studio's list) has ``version``.

    A version may itself hold commas (curation's ``single=tfidf_nb_svm,multi=tfidf_lr-...``),
    and Label Studio lists a task's versions as one comma-joined string of their pieces, in no
    fixed order (``single=tfidf_nb_svm,live-1-abc,multi=tfidf_lr-...`` for two versions): a
    version is there when every one of its comma-separated pieces is.

    >>> has_model_version("single=a,live-1,multi=b-k5", "single=a,multi=b-k5")
    True
    >>> has_model_version("rules-v4, live-1", "rules-v4")
    True
    >>> has_model_version("rules-v4,single=a", "single=a,multi=b-k5")
    False
    """
    if not version:
        return False
    pieces = {p.strip() for p in listed.split(",")}
    return {p.strip() for p in version.split(",")} <= pieces


def current_version(records: Sequence[TaskRecord]) -> str | None:
    """The version the labeling form pre-fills from: the one most records carry, ties to the last.

    Curation's, when the rules only cover messages ingested after the last `curate flag`.
    """
    versions = Counter(r.model_version for r in records if r.model_version)
    return max(versions, key=lambda v: (versions[v], v)) if versions else None


@dataclass
class TaskDiff:
    """What a push would change in one project."""

    new: list[TaskRecord] = field(default_factory=list)
    """Records whose uid the project lacks, in push order."""
    predictions: list[dict[str, Any]] = field(default_factory=list)
    """Predictions to import for tasks already there (each names its ``task``)."""
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(task id, new task data) for unannotated tasks whose message was edited since."""
    update_predictions: list[dict[str, Any]] = field(default_factory=list)
    """The pre-annotations of those tasks' new text (their old ones are deleted)."""
    edited_after_labeling: int = 0
    """Annotated tasks whose message was edited since: kept as they were labeled."""


def diff_tasks(
    records: Sequence[TaskRecord],
    by_uid: dict[str, list[dict[str, Any]]],
    task_versions: dict[int, str],
    payload: Callable[[TaskRecord], dict[str, Any]],
) -> TaskDiff:
    """The diff between ``records`` and the tasks of one project.

    Parameters
    ----------
    records
        What the push would send, in order (a uid repeated: the first wins).
    by_uid
        The project's tasks per uid (``id``, ``data``, ``total_annotations``); the first is used.
    task_versions
        Task id -> its ``predictions_model_versions``, for the tasks whose predictions must be
        checked (empty when the project is already at the records' model version).
    payload
        A record's task payload (``data`` and, when it has one, ``predictions: [one]``).
    """
    out = TaskDiff()
    seen: set[str] = set()
    for rec in records:
        if rec.uid in seen:
            continue
        seen.add(rec.uid)
        have = by_uid.get(rec.uid)
        if have is None:
            out.new.append(rec)
            continue
        task = have[0]
        task_id = int(task["id"])
        if (task.get("data") or {}).get("text") != rec.text:
            if int(task.get("total_annotations") or 0):
                out.edited_after_labeling += 1
                continue
            body = payload(rec)
            out.updates.append((task_id, body["data"]))
            # Its old pre-annotations were made on the old text: the push deletes them.
            out.update_predictions += [{**p, "task": task_id} for p in body.get("predictions", [])]
            continue
        if task_id not in task_versions or int(task.get("total_annotations") or 0):
            # An annotated task keeps the predictions it was labeled with, as the live refresh
            # leaves it: a newer model trained on its answer would only echo it back.
            continue
        predictions = payload(rec).get("predictions", [])
        if predictions and not has_model_version(task_versions[task_id], rec.model_version):
            out.predictions.append({**predictions[0], "task": task_id})
    return out
