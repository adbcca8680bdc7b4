"""Data contracts of the labeling stage (Parquet schemas) and the backend-neutral records.

``labels/annotations.parquet`` is what curation and training read: long format, one row per
(annotation, task). Pre-annotations (``curated/predictions.parquet`` or the rules) follow
:data:`~workbench.core.schemas.PREDICTIONS_SCHEMA`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from workbench.core.schemas import UTC_DATETIME

#: ``labels/annotations.parquet``: every valid annotation, one row per (annotation, task).
#: ``annotation_id`` is unique per row and stable across pulls:
#: ``"<backend>:<project id>:<annotation id>:<task>"`` (e.g. ``ls:3:1207:is_ad``).
ANNOTATIONS_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "project": pl.Utf8,
    "task": pl.Utf8,
    "annotator": pl.Utf8,
    "value": pl.List(pl.Utf8),
    "lead_time": pl.Float64,
    "created_at": UTC_DATETIME,
    "updated_at": UTC_DATETIME,
    "annotation_id": pl.Utf8,
}

#: ``labels/quarantine.parquet``: answers that failed validation, with the reason and raw JSON.
LABEL_QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "project": pl.Utf8,
    "task": pl.Utf8,
    "annotator": pl.Utf8,
    "annotation_id": pl.Utf8,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
    "updated_at": UTC_DATETIME,
}

#: ``curated/label_issues.parquet`` columns the review push needs (written by curation).
LABEL_ISSUES_COLUMNS = ("uid", "task", "given", "suggested", "label_quality", "is_issue", "reason")

#: Project key of the curation review loop; its answers count as adjudicated downstream.
REVIEW_PROJECT = "review"

#: Project key of messages that belong to no annotator group.
UNGROUPED_PROJECT = "ungrouped"


def group_project(group_id: int) -> str:
    """Project key of annotator group ``group_id``."""
    return f"group-{group_id}"


@dataclass(frozen=True)
class Prediction:
    """One pre-annotated answer of one task."""

    task: str
    value: list[str]
    score: float


@dataclass
class TaskRecord:
    """One message to label, as every backend receives it."""

    uid: str
    text: str
    channel: str
    date: str
    message_id: int
    group: str
    predictions: list[Prediction] = field(default_factory=list)
    model_version: str | None = None
    review_note: str | None = None

    @property
    def meta(self) -> str:
        """The one line shown above the message: where and when it was posted (no internal id)."""
        return f"{self.channel} · #{self.message_id} · {self.date}"


@dataclass
class RawAnnotation:
    """One annotation as a backend returned it, before validation.

    ``answers`` maps a result name to its labels; ``problems`` lists ``(result name, reason)``
    for what could not be read at all (a result of another type, a malformed value). ``raw`` is the backend's JSON, kept for
    the quarantine file.
    """

    uid: str
    project: str
    annotator: str
    annotation_id: str
    answers: dict[str, list[str]]
    created_at: datetime
    updated_at: datetime
    lead_time: float | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    #: Taxonomy version the labels were given under, when the backend records it (None: unknown,
    #: only labels the current taxonomy lacks are mapped forward).
    taxonomy_version: int | None = None


#: Called after each imported batch with (project key, tasks imported so far in this project).
BatchHook = Callable[[str, int], None]


@dataclass
class ProjectPush:
    """What one push did to one project."""

    key: str
    project_id: int
    url: str
    existing: int = 0
    added: int = 0
    predictions_added: int = 0
    duplicates_removed: int = 0
    skipped_by_limit: int = 0
    updated: int = 0
    """Tasks nobody had annotated whose message was edited since: new text and pre-annotation."""
    edited_after_labeling: int = 0
    """Annotated tasks whose message was edited since: kept as they were labeled."""

    def line(self) -> str:
        """``group-1: 12 added, 166 already there, ...``, the counts a push reports."""
        extra = f", {self.predictions_added} new pre-annotation(s)" if self.predictions_added else ""
        extra += f", {self.updated} edited since pushed (text updated)" if self.updated else ""
        extra += (f", {self.edited_after_labeling} edited after labeling (kept as labeled)"
                  if self.edited_after_labeling else "")
        extra += f", {self.skipped_by_limit} left for later (--limit)" if self.skipped_by_limit else ""
        extra += f", {self.duplicates_removed} duplicate(s) removed" if self.duplicates_removed else ""
        return f"{self.key}: {self.added} added, {self.existing} already there{extra}"


@dataclass
class PendingChanges:
    """What a push would change in the tasks a project already holds (``label push --dry-run``)."""

    predictions: int = 0
    updated: int = 0
    edited_after_labeling: int = 0


@dataclass
class ProjectProgress:
    """Counters of one project, from the server.

    ``managed``: a labeling project ``label push`` made, keyed ``group-1``, ``review``...; False
    for another project of the same server (an evaluation's rating projects), keyed by its title.
    ``tasks_annotated`` counts tasks with at least one answer; ``tasks_finished`` those with
    every answer their overlap asks for (two annotators on an overlap task), as Label Studio's
    "finished" counts them; None where the backend does not say.
    """

    key: str
    project_id: int
    tasks: int
    tasks_annotated: int
    annotations: int
    managed: bool = True
    tasks_finished: int | None = None


@dataclass
class AnnotatorAccount:
    """One account of the labeling server, as ``label users ls`` shows it."""

    email: str
    group: int | None
    active: bool
    #: Created by ``label users add`` (recorded in the data dir's annotator registry).
    workbench: bool
    created_at: str | None = None
    removed_at: str | None = None
    #: The account the workbench itself works as (it cannot be removed).
    admin: bool = False
