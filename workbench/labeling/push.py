"""``workbench label push``: cleaned messages -> task records (with pre-annotations) -> backend.

Which messages: cleaned, non-empty ones, split into projects by annotator group (groups.py).
Which pre-annotations: ``DIR/curated/predictions.parquet`` for the messages curation has
predictions for, the rules (``labeling/rules.yaml``) for the rest. Which order: by channel and message id, or most uncertain first.
``--review`` instead pushes curation's flagged items (``DIR/curated/label_issues.parquet``) into the
``review`` project, whose answers come back as adjudicated labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError, InputFileError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.groups import GROUP_COLUMNS, assign_projects
from workbench.labeling.records import (
    LABEL_ISSUES_COLUMNS,
    REVIEW_PROJECT,
    BatchHook,
    PendingChanges,
    Prediction,
    ProjectPush,
    TaskRecord,
)
from workbench.labeling.rules import RULE_COLUMNS, load_rules, rule_predictions

Order = Literal["id", "uncertainty"]

#: Cleaned columns push reads.
PUSH_COLUMNS = tuple(dict.fromkeys((*GROUP_COLUMNS, *RULE_COLUMNS, "text", "date", "is_empty")))

REVIEW_MODEL_VERSION = "curation-suggestion"


def load_messages(data_dir: Path) -> pl.DataFrame:
    """Cleaned, non-empty messages (one clear error when ingest has not run)."""
    path = Layout(data_dir).cleaned_messages
    df = read_parquet_checked(path, PUSH_COLUMNS, hint="run `workbench ingest` first")
    return df.filter(~pl.col("is_empty").fill_null(False) & (pl.col("text").fill_null("") != ""))


def _as_predictions(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``'s :data:`PREDICTIONS_SCHEMA` columns, cast to it (so two sources concatenate)."""
    return frame.select([pl.col(name).cast(dtype) for name, dtype in PREDICTIONS_SCHEMA.items()])


def load_preannotations(
    data_dir: Path, messages: pl.DataFrame, taxonomy: Taxonomy, cfg: ProjectConfig
) -> tuple[pl.DataFrame, str]:
    """Pre-annotations for ``messages`` and where they came from (file path and/or rules version).

    Curation's predictions for the uids they cover, the rules for every other message (one
    ingested after the last ``curate flag``, say), so no message goes without one.
    """
    path = Layout(data_dir).predictions
    preds = None
    if path.exists():
        preds = read_parquet_checked(path, PREDICTIONS_SCHEMA, hint="written by `workbench curate flag`")
        preds = _as_predictions(preds)
        # Covered: a prediction for a task of the taxonomy (one of a team's own tasks, such as
        # `curate flag --annotations` with a topic task, pre-fills nothing in the labeling form).
        covered = preds.filter(pl.col("task").is_in(taxonomy.names)).select("uid").unique()
        rest = messages.join(covered, on="uid", how="anti")
        if not rest.height:
            return preds, str(path)
        messages = rest
    rules = load_rules(cfg.labeling.rules, taxonomy=taxonomy)
    by_rules = rule_predictions(messages, rules, taxonomy, cleaning=cfg.cleaning)
    if preds is None:
        return by_rules, f"rules {rules.model_version}"
    return (pl.concat([preds, _as_predictions(by_rules)]),
            f"{path}; rules {rules.model_version} for {messages.height} message(s) it does not cover")


def usable_predictions(preds: pl.DataFrame, taxonomy: Taxonomy) -> dict[str, tuple[str, list[Prediction]]]:
    """Map each uid to (model_version, predictions), keeping valid answers whose conditions hold."""
    by_uid: dict[str, dict[str, list[tuple[str, list[str], float]]]] = defaultdict(dict)
    names = set(taxonomy.names)
    for uid, task, value, score, version in preds.select(
            "uid", "task", "value", "score", "model_version").iter_rows():
        if task not in names or value is None or score is None:
            continue
        by_uid[uid].setdefault(version or "unknown", []).append((task, list(value), float(score)))
    out: dict[str, tuple[str, list[Prediction]]] = {}
    for uid, versions in by_uid.items():
        # Several model versions for one uid: the highest version string wins (v2 over v1).
        version = max(versions)
        answers: dict[str, list[str]] = {}
        kept: list[Prediction] = []
        rows = {task: (value, score) for task, value, score in versions[version]}
        for task in taxonomy.names:  # declaration order, so conditions see their parents
            if task not in rows:
                continue
            value, score = rows[task]
            if taxonomy.validate(task, value) is None and taxonomy.applies(task, answers):
                answers[task] = value
                kept.append(Prediction(task=task, value=value, score=score))
        if kept:
            out[uid] = (version, kept)
    return out


def uncertainty(preds: pl.DataFrame) -> pl.DataFrame:
    """``uid``, ``uncertainty``: the ``uncertainty`` column of its least certain predicted task.

    The column is the calibrated one curation writes (or ``1 - score`` for rules), never
    recomputed here: ``1 - score`` would rank a multi-label answer that is sure of every label
    but one as confident.
    """
    return preds.group_by("uid").agg(pl.col("uncertainty").max())


def build_records(
    messages: pl.DataFrame,
    projects: pl.DataFrame,
    preds: pl.DataFrame,
    taxonomy: Taxonomy,
    *,
    order: Order = "id",
) -> dict[str, list[TaskRecord]]:
    """Task records per project key, in the order they should be labeled.

    Parameters
    ----------
    messages
        Cleaned, non-empty messages.
    projects
        ``(uid, project)`` from :func:`~workbench.labeling.groups.assign_projects`.
    preds
        Pre-annotations (:data:`PREDICTIONS_SCHEMA`).
    taxonomy
        To keep only valid predicted answers whose conditions hold.
    order
        ``id``: by channel then message id; ``uncertainty``: most uncertain first (the predictions' ``uncertainty`` column).
    """
    frame = messages.join(projects, on="uid", how="inner")
    if order == "uncertainty":
        frame = frame.join(uncertainty(preds), on="uid", how="left").sort(
            pl.col("uncertainty").fill_null(1.0), "uid", descending=[True, False])
    else:
        frame = frame.sort("channel_name", "message_id", "uid")
    usable = usable_predictions(preds.filter(pl.col("uid").is_in(frame.get_column("uid").implode())), taxonomy)
    out: dict[str, list[TaskRecord]] = defaultdict(list)
    cols = ("uid", "text", "channel_name", "channel_id", "date", "message_id", "project")
    for uid, text, channel, channel_id, date, message_id, project in frame.select(cols).iter_rows():
        version, predictions = usable.get(uid, (None, []))
        out[project].append(TaskRecord(
            uid=uid, text=text, channel=channel or str(channel_id),
            date=date.strftime("%Y-%m-%d %H:%M UTC") if date is not None else "",
            message_id=int(message_id), group=project, predictions=predictions,
            model_version=version,
        ))
    return dict(out)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _labels_text(labels: list[str]) -> str:
    """Labels as annotators read them: ``Retail``, ``Gambling + Politics``, ``(none)``."""
    return " + ".join(labels) if labels else "(none)"


def review_records(data_dir: Path, messages: pl.DataFrame, taxonomy: Taxonomy) -> list[TaskRecord]:
    """Records for the ``review`` project: curation's flagged items with given vs suggested.

    The suggestion pre-fills the form; the note above the message says what was given, what is
    suggested, the label quality and why it was flagged.
    """
    path = Layout(data_dir).label_issues
    issues = read_parquet_checked(path, LABEL_ISSUES_COLUMNS, hint="run `workbench curate flag` first")
    issues = issues.filter(pl.col("is_issue").fill_null(False))
    if issues.is_empty():
        return []
    notes: dict[str, list[str]] = defaultdict(list)
    suggested: dict[str, list[tuple[str, list[str], float]]] = defaultdict(list)
    for row in issues.sort("uid", "task").iter_rows(named=True):
        given, sugg = _as_list(row["given"]), _as_list(row["suggested"])
        quality = row["label_quality"]
        q = f"{quality:.2f}" if isinstance(quality, int | float) else "n/a"
        notes[row["uid"]].append(
            f"{row['task']}: given {_labels_text(given)}, suggested {_labels_text(sugg)} "
            f"(label quality {q}; {row['reason'] or 'flagged'})"
        )
        if row["task"] in taxonomy.names:
            score = 1.0 - float(quality) if isinstance(quality, int | float) else 0.5
            suggested[row["uid"]].append((row["task"], sugg, min(max(score, 0.0), 1.0)))
    missing = set(notes) - set(messages.get_column("uid").to_list())
    if missing:
        msg = (f"{path}: {len(missing)} flagged uid(s) are not in {Layout(data_dir).cleaned_messages} "
               f"(e.g. {sorted(missing)[0]}); re-run ingest or curation")
        raise DataContractError(msg)
    preds = pl.DataFrame(
        [{"uid": u, "task": t, "value": v, "score": s, "model_version": REVIEW_MODEL_VERSION,
          "uncertainty": 1.0 - s}
         for u, rows in suggested.items() for t, v, s in rows],
        schema=PREDICTIONS_SCHEMA,
    )
    projects = pl.DataFrame({"uid": sorted(notes), "project": [REVIEW_PROJECT] * len(notes)})
    records = build_records(messages, projects, preds, taxonomy).get(REVIEW_PROJECT, [])
    for rec in records:
        rec.review_note = "Flagged by curation: " + " | ".join(notes[rec.uid])
    return records


def plan_push(
    data_dir: Path,
    cfg: ProjectConfig,
    taxonomy: Taxonomy,
    *,
    group: int | None = None,
    order: Order = "id",
    review: bool = False,
) -> tuple[dict[str, list[TaskRecord]], str]:
    """Everything a push sends, per project, and the pre-annotation source (no server needed)."""
    messages = load_messages(data_dir)
    if review:
        records = review_records(data_dir, messages, taxonomy)
        return ({REVIEW_PROJECT: records} if records else {}), str(Layout(data_dir).label_issues)
    projects = assign_projects(messages, cfg.annotator_groups, only_group=group,
                               ungrouped=cfg.labeling.push_ungrouped)
    if projects.is_empty():
        where = f"annotator group {group}" if group is not None else "any project"
        msg = f"{Layout(data_dir).cleaned_messages}: no non-empty message belongs to {where}; check annotator_groups"
        raise InputFileError(msg)
    preds, source = load_preannotations(data_dir, messages, taxonomy, cfg)
    return build_records(messages, projects, preds, taxonomy, order=order), source


def summarize_plan(records: dict[str, Sequence[TaskRecord]]) -> list[str]:
    """One line per project: how many records and how many carry pre-annotations."""
    lines = []
    for key, recs in records.items():
        with_pred = sum(1 for r in recs if r.predictions)
        lines.append(f"{key}: {len(recs)} message(s), {with_pred} with pre-annotations")
    return lines


@dataclass
class PushPreview:
    """What a push would do to one project (``label push --dry-run``)."""

    key: str
    to_add: int
    existing: int
    with_predictions: int
    skipped_by_limit: int = 0
    pending: PendingChanges = field(default_factory=PendingChanges)

    def line(self) -> str:
        """``group-1: 12 to add (10 pre-annotated), 166 already there``, worded like the push."""
        p = self.pending
        extra = f", {p.predictions} new pre-annotation(s)" if p.predictions else ""
        extra += f", {p.updated} edited since pushed (text updated)" if p.updated else ""
        extra += (f", {p.edited_after_labeling} edited after labeling (kept as labeled)"
                  if p.edited_after_labeling else "")
        extra += f", {self.skipped_by_limit} left for later (--limit)" if self.skipped_by_limit else ""
        pre = f" ({self.with_predictions} pre-annotated)" if self.to_add else ""
        return f"{self.key}: {self.to_add} to add{pre}, {self.existing} already there{extra}"


def preview_push(records: dict[str, Sequence[TaskRecord]], existing: dict[str, set[str]], *,
                 limit: int | None = None,
                 pending: dict[str, PendingChanges] | None = None) -> list[PushPreview]:
    """The counts a push reports, from the uids each project already holds.

    Mirrors the backends' push: ``existing`` counts every uid in the project (also those no
    longer in the plan), a record whose uid is there is skipped, ``limit`` caps new tasks.
    ``pending`` is what the backend says the push would change in the tasks already there
    (``pending_changes``: new pre-annotations, edited messages).
    """
    out = []
    for key, recs in records.items():
        have = existing.get(key, set())
        new = list({r.uid: r for r in recs if r.uid not in have}.values())
        taken = new if limit is None else new[:limit]
        out.append(PushPreview(key=key, to_add=len(taken), existing=len(have),
                               with_predictions=sum(1 for r in taken if r.predictions),
                               skipped_by_limit=len(new) - len(taken),
                               pending=(pending or {}).get(key, PendingChanges())))
    return out



def run_push(
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    group: int | None = None,
    limit: int | None = None,
    order: Order = "id",
    review: bool = False,
    on_batch: BatchHook | None = None,
) -> tuple[list[ProjectPush], str]:
    """Plan the push and send it to the configured backend.

    Returns
    -------
    tuple
        One :class:`ProjectPush` per project, and the pre-annotation source.
    """
    from workbench.labeling.backends import labeling_taxonomy, open_backend

    taxonomy, _ = labeling_taxonomy(cfg)
    records, source = plan_push(data_dir, cfg, taxonomy, group=group, order=order, review=review)
    if not records:
        return [], source
    backend = open_backend(data_dir, cfg, taxonomy)
    try:
        return backend.push(records, limit=limit, on_batch=on_batch), source
    finally:
        backend.close()
