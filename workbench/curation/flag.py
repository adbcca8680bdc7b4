"""``workbench curate flag``: find noisy labels and weak annotators, per task.

For every task: a text classifier gives K-fold out-of-fold probabilities (each item scored by a
model that never saw its label); cleanlab's ``find_label_issues`` flags the labels the evidence
contradicts (the multi-label variant for tags); where items have two or more annotators,
:mod:`workbench.curation.multiannotator` gives a consensus label, its quality and each
annotator's quality (Dawid-Skene with the classifier as prior; CROWDLAB for multi-label tasks).
Near-duplicates whose labels disagree with their cluster are flagged too.

The label an item would train with is, in order: the adjudicated answer from the review loop
(project ``review``), the consensus of two or more annotators, the single annotator's answer.
Adjudicated items are never flagged again: a reviewer's decision closes the question.

Outputs (``DIR/curated/``): ``label_issues.parquet`` (one row per labeled item and task, issues
marked), ``annotator_quality.parquet`` and ``predictions.parquet`` (classifier probabilities for
every message, labeled or not: pre-annotations and the uncertainty order of ``label push``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.progress import bars_disabled, step
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.settings.curation import FlagConfig, with_overrides
from workbench.curation.answers import collect_answers
from workbench.curation.assess import assess_task, list_series
from workbench.curation.channel_prior import channel_keys
from workbench.curation.choose import featurize_all
from workbench.curation.classifiers import check_names, specs_for
from workbench.curation.inputs import CurationInputs, TaskSpec, load_inputs
from workbench.curation.outcome import TaskOutcome, count_issues, format_labels
from workbench.curation.outputs import (
    ANNOTATOR_QUALITY_SCHEMA,
    LABEL_ISSUES_SCHEMA,
    conform,
    input_sha,
    previous_run,
    write_outputs,
)
from workbench.curation.rule_prior import RuleEvidence, project_rule_priors

if TYPE_CHECKING:
    from workbench.core.config import ProjectConfig


@dataclass
class FlagResult:
    """Everything ``flag`` computed (the frames follow the schemas in ``outputs``)."""

    label_issues: pl.DataFrame
    annotator_quality: pl.DataFrame
    predictions: pl.DataFrame
    outcomes: list[TaskOutcome]
    model_version: str
    notes: list[str] = field(default_factory=list)
    out_dir: Path | None = None
    #: Per assessed task: its classes and the ``(n_texts, K)`` probabilities, in text order
    #: (out of fold for labeled texts). Kept in memory only (the self-check reads them).
    probabilities: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)

    def summary_lines(self, *, top: int = 5) -> list[str]:
        """Issues per task and label, the worst annotators, the ``top`` worst items."""
        n_items = self.label_issues.get_column("uid").n_unique()
        lines = [f"flag: {len(self.outcomes)} task(s), {n_items} labeled item(s), "
                 f"model {self.model_version}"]
        lines += [f"  {o.line()}" for o in self.outcomes]
        lines += [f"  {o.choice.line()}" for o in self.outcomes if o.choice is not None]
        if not self.outcomes:
            lines.append("  no annotations to assess: label some messages first (workbench label)")
        # Worst among peers only: a task's lone annotator is not "worst" (the task line's
        # accuracy already says how well their labels fit the classifier).
        ranked = self.annotator_quality.filter(pl.col("annotator").n_unique().over("task") >= 2)
        worst_annotators = ranked.sort("quality").head(3)
        if worst_annotators.height:
            shown = "; ".join(
                f"{r['annotator']} on {r['task']} (quality {r['quality']:.2f}, agreement "
                f"{r['agreement']:.2f}, {r['n_items']} items)"
                for r in worst_annotators.iter_rows(named=True))
            lines.append(f"  worst annotators: {shown}")
        worst = self.label_issues.filter(pl.col("is_issue")).sort(
            "label_quality", nulls_last=True).head(top)
        if worst.height:
            lines.append(f"  {worst.height} worst item(s):")
            for r in worst.iter_rows(named=True):
                q = "-" if r["label_quality"] is None else f"{r['label_quality']:.2f}"
                lines.append(f"    {r['uid']} {r['task']}: {format_labels(r['label'])} -> "
                             f"{format_labels(r['suggested'])} (quality {q}): {r['reason']}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.out_dir is not None:
            lines.append(f"  wrote label_issues.parquet ({self.label_issues.height} rows), "
                         f"annotator_quality.parquet, predictions.parquet "
                         f"({self.predictions.height} rows) to {self.out_dir}")
        return lines



# --- duplicate conflicts ------------------------------------------------------------------------

def flag_duplicate_conflicts(rows: pl.DataFrame, clusters: pl.DataFrame) -> pl.DataFrame:
    """Mark items whose label disagrees with the rest of their near-duplicate cluster.

    Only members labeled for the same task are compared. The reference label of a cluster is an adjudicated one when there is one, else the most
    frequent, and on a tie the one the classifier finds most plausible (highest mean
    ``label_quality``), so one flipped copy of a two-copy repost is flagged, not both.
    Adjudicated items are never flagged.

    Parameters
    ----------
    rows
        ``label_issues`` rows of one or more tasks.
    clusters
        ``uid``, ``cluster_id``.

    Returns
    -------
    pl.DataFrame
        ``rows`` with ``is_issue`` and ``reason`` updated, plus a boolean ``_dup_conflict``.
    """
    key = pl.col("label").list.sort().list.join("|")
    df = rows.join(clusters.select("uid", "cluster_id"), on="uid", how="left").with_columns(
        _key=key, _adj=pl.col("label_source") == "adjudicated")
    counts = (df.filter(pl.col("cluster_id").is_not_null())
              .group_by("task", "cluster_id", "_key")
              .agg(pl.len().alias("_n"), pl.col("_adj").any().alias("_has_adj"),
                   pl.col("label_quality").mean().fill_null(0.0).alias("_q")))
    multi = counts.group_by("task", "cluster_id").agg(
        pl.col("_key").n_unique().alias("_kinds"),
        # Last, the label itself: an exact tie (no quality on either side) was settled by the
        # order polars happened to group in, so a re-run could flag the other copy.
        pl.col("_key").sort_by(["_has_adj", "_n", "_q", "_key"],
                               descending=[True, True, True, False]).first().alias("_ref"),
        pl.format("{}×{}", pl.col("_key").replace("", "(none)"), pl.col("_n"))
        .sort_by(["_n", "_key"], descending=[True, False]).str.join(", ").alias("_desc"),
    ).filter(pl.col("_kinds") > 1)
    df = df.join(multi, on=["task", "cluster_id"], how="left")
    conflict = pl.col("_kinds").is_not_null() & ~pl.col("_adj") & (pl.col("_key") != pl.col("_ref"))
    note = pl.format("near-duplicate conflict: cluster {} has {}", pl.col("cluster_id"),
                     pl.col("_desc"))
    return df.with_columns(_dup_conflict=conflict.fill_null(value=False)).with_columns(
        is_issue=pl.col("is_issue") | pl.col("_dup_conflict"),
        reason=pl.when(pl.col("_dup_conflict"))
        .then(pl.concat_str([pl.col("reason"), note], separator="; ", ignore_nulls=True))
        .otherwise(pl.col("reason")),
    ).select(*rows.columns, "_dup_conflict")


# --- the whole flag -----------------------------------------------------------------------------

def _predictions(task: TaskSpec, probs: np.ndarray, classes: list[str], uids: pl.Series,
                 model_version: str) -> pl.DataFrame:
    if task.kind == "single":
        best = probs.argmax(axis=1)
        score = probs.max(axis=1)
        k = max(len(classes), 2)
        # Least confidence scaled to 0..1: 0 = certain, 1 = uniform over the classes.
        uncertainty = (1.0 - score) / (1.0 - 1.0 / k)
        value = [[classes[b]] for b in best]
    else:
        present = probs >= 0.5
        score = np.where(present, probs, 1.0 - probs).mean(axis=1)
        # The least decided label sets the uncertainty: 1 when some label sits at 0.5.
        uncertainty = (1.0 - np.abs(2.0 * probs - 1.0)).max(axis=1)
        value = [[classes[j] for j in np.flatnonzero(row)] for row in present]
    return pl.DataFrame([
        uids.cast(pl.Utf8).alias("uid"),
        pl.Series("task", [task.name] * len(value), dtype=pl.Utf8),
        list_series("value", value),
        pl.Series("score", score.astype(float)),
        pl.Series("model_version", [model_version] * len(value), dtype=pl.Utf8),
        pl.Series("uncertainty", np.clip(uncertainty, 0.0, 1.0).astype(float)),
    ])


def check_filter_by_tasks(cfg: FlagConfig, inputs: CurationInputs) -> None:
    """Refuse a per-task ``filter_by`` that names a task neither the taxonomy nor the labels have.

    A misspelt task name would otherwise leave that task at the default without a word.
    """
    if isinstance(cfg.filter_by, str):
        return
    from workbench.core.taxonomy import load_taxonomy

    known = {t.name for t in load_taxonomy().tasks} | {t.name for t in inputs.all_tasks}
    unknown = sorted(set(cfg.filter_by) - known)
    if unknown:
        msg = (f"curation.flag.filter_by names unknown task(s): {', '.join(unknown)}; "
               f"tasks: {', '.join(sorted(known))}")
        raise ConfigError(msg)


def flag_model_version(cfg: FlagConfig, annotations_sha: str,
                       rule_evidence: Mapping[str, RuleEvidence] | None) -> str:
    """The predictions' ``model_version``: classifier, K, a digest of the settings, the labels.

    Two runs share a version only when their predictions can be the same: the digest covers
    every flag setting but the parallelism (draws of the folds, seed, rule pooling, encoder, ...)
    and the rule evidence itself, so an edited rules file is a new version too.

    Examples
    --------
    >>> one, two = FlagConfig(repeats=1), FlagConfig(repeats=1, n_jobs=2)
    >>> flag_model_version(one, "ab" * 32, None) == flag_model_version(two, "ab" * 32, None)
    True
    >>> flag_model_version(one, "ab" * 32, None) == flag_model_version(FlagConfig(), "ab" * 32, None)
    False
    """
    settings = json.dumps(cfg.model_dump(mode="json", exclude={"n_jobs"}), sort_keys=True)
    digest = hashlib.sha256(settings.encode())
    evidence_of = rule_evidence or {}
    for task in sorted(evidence_of):
        evidence = evidence_of[task]
        digest.update(json.dumps([task, evidence.labels]).encode())
        digest.update(np.ascontiguousarray(evidence.probs, dtype=np.float64).tobytes())
    return f"{cfg.classifier_label()}-k{cfg.folds}-{digest.hexdigest()[:8]}-{annotations_sha[:12]}"


def flag_labels(
    inputs: CurationInputs,
    *,
    cfg: FlagConfig | None = None,
    clusters: pl.DataFrame | None = None,
    rule_evidence: Mapping[str, RuleEvidence] | None = None,
) -> FlagResult:
    """Flag label issues in validated inputs (no file is read or written).

    Parameters
    ----------
    inputs
        Texts, annotations and tasks from :func:`~workbench.curation.inputs.load_inputs`.
    cfg
        Classifier, folds and cleanlab settings.
    clusters
        Near-duplicate clusters (``uid``, ``cluster_id``) for duplicate conflicts; None skips them.
    rule_evidence
        The labeling rules' distribution per covered task, aligned with ``inputs.texts``
        (:func:`~workbench.curation.rule_prior.project_rule_priors`); None: the classifier alone.

    Returns
    -------
    FlagResult
        ``label_issues`` (one row per labeled item and task), ``annotator_quality`` and
        ``predictions`` (every text, every assessed task).
    """
    cfg = cfg or FlagConfig()
    # One candidate list per task kind (curation.flag.classifier may differ by kind).
    by_kind = {k: specs_for(cfg.classifier_for(k), cfg.encoder) for k in ("single", "multi")}
    clfs = list({c.name: c for specs in by_kind.values() for c in specs}.values())
    texts = inputs.texts
    if cfg.text_column not in texts.columns:
        msg = (f"flag.text_column '{cfg.text_column}' is not a column of the texts; "
               f"choose one of: {', '.join(c for c, t in texts.schema.items() if t == pl.Utf8)}")
        raise DataContractError(msg)
    corpus = texts.get_column(cfg.text_column).fill_null("").to_list()
    try:
        features = featurize_all(corpus, clfs)
    except ValueError as exc:
        msg = f"cannot build text features ({exc}); are the texts empty?"
        raise DataContractError(msg) from None
    row_of = {u: i for i, u in enumerate(texts.get_column("uid").to_list())}
    model_version = flag_model_version(cfg, inputs.annotations_sha, rule_evidence)
    channels = channel_keys(texts) if cfg.channel_prior else None

    rows, tables, preds, outcomes = [], [], [], []
    probabilities: dict[str, tuple[list[str], np.ndarray]] = {}
    for spec in tqdm(inputs.tasks, desc="flag", unit="task", disable=bars_disabled(), leave=False):
        items = collect_answers(inputs.annotations, spec, inputs.all_tasks)
        if not items.uids:
            continue
        with step(f"flag: {spec.name} ({len(items.uids):,} labeled item(s))"):
            result = assess_task(spec, items, features, row_of, cfg=cfg,
                                  clfs=by_kind["single" if spec.kind == "single" else "multi"],
                                  evidence=(rule_evidence or {}).get(spec.name),
                                  channels=channels)
        rows.append(result.rows)
        tables.append(result.annotators)
        outcomes.append(result.outcome)
        if result.probs_all is not None:
            probabilities[spec.name] = result.classes, result.probs_all
            preds.append(_predictions(spec, result.probs_all, result.classes,
                                      texts.get_column("uid"), model_version))
    issues = pl.concat(rows) if rows else pl.DataFrame(schema=LABEL_ISSUES_SCHEMA)
    if clusters is not None and cfg.duplicate_conflicts and issues.height:
        marked = flag_duplicate_conflicts(issues, clusters)
        for o in outcomes:
            o.n_duplicate_conflicts = marked.filter(
                (pl.col("task") == o.task) & pl.col("_dup_conflict")).height
        issues = marked.drop("_dup_conflict")
        for o in outcomes:
            count_issues(o, issues.filter(pl.col("task") == o.task))
    annotators = (pl.concat([conform(t, ANNOTATOR_QUALITY_SCHEMA) for t in tables])
                  if tables else pl.DataFrame(schema=ANNOTATOR_QUALITY_SCHEMA))
    predictions = pl.concat(preds) if preds else pl.DataFrame(schema=PREDICTIONS_SCHEMA)
    return FlagResult(conform(issues, LABEL_ISSUES_SCHEMA), annotators.sort("task", "quality"),
                      predictions, outcomes, model_version, list(inputs.notes),
                      probabilities=probabilities)


def run_flag(
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    texts: Path | None = None,
    annotations: Path | None = None,
    tasks: Sequence[str] | None = None,
    out: Path | None = None,
    classifier: str | None = None,
    folds: int | None = None,
    encoder: Path | None = None,
    repeats: int | None = None,
) -> FlagResult:
    """Read inputs, flag, and write ``label_issues``, ``annotator_quality`` and ``predictions``.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config (``curation.flag``, ``curation.dedup``, ``cleaning``).
    texts, annotations
        User files instead of ``cleaned/messages.parquet`` and ``labels/annotations.parquet``.
    tasks
        Only these tasks (default: every task with annotations).
    out
        Output folder (default ``data_dir/curated``).
    classifier, folds, encoder, repeats
        Override ``curation.flag.classifier`` / ``folds`` / ``encoder`` / ``repeats`` for this
        run.

    Returns
    -------
    FlagResult
        What was found and written.
    """
    from workbench.curation.dedup import load_or_compute_clusters

    fcfg = with_overrides(cfg.curation.flag, classifier=classifier, folds=folds, repeats=repeats,
                          encoder=None if encoder is None else str(encoder))
    check_names(fcfg.classifier_names(), fcfg.encoder)  # fails before any data is read
    inputs = load_inputs(data_dir, texts=texts, annotations=annotations, tasks=tasks,
                         cleaning=cfg.cleaning, max_text_chars=cfg.ingest.max_text_chars)
    check_filter_by_tasks(fcfg, inputs)
    out_dir = out or Layout(data_dir).curated
    clusters = None
    if fcfg.duplicate_conflicts:
        clusters, _ = load_or_compute_clusters(inputs.texts, inputs.texts_sha, out_dir,
                                               cfg.curation.dedup, data_dir=data_dir)
    result = flag_labels(inputs, cfg=fcfg, clusters=clusters,
                         rule_evidence=project_rule_priors(inputs, cfg, fcfg))
    issues, annotators, predictions = result.label_issues, result.annotator_quality, result.predictions
    if tasks:
        issues, annotators, predictions = _keep_other_tasks(
            out_dir, inputs, {o.task for o in result.outcomes}, issues, annotators, predictions)
    manifest_counts = {
        o.task: {"items": o.n_items, "issues": o.n_issues, "multi_annotator": o.n_multi,
                 "adjudicated": o.n_adjudicated, "duplicate_conflicts": o.n_duplicate_conflicts,
                 "skipped": o.skipped, "classifier": o.classifier,
                 "auto_log_loss": None if o.choice is None else o.choice.log_loss,
                 "rule_weight": o.rule_weight, "channel_weight": o.channel_weight,
                 "filter_by": o.filter_by,
                 "fold_repeats": o.repeats, "folds": o.folds,
                 "rare_labels": o.rare_labels,
                 "accuracy": None if o.accuracy is None else round(o.accuracy, 4)}
        for o in result.outcomes
    }
    write_outputs(
        out_dir,
        {"label_issues.parquet": issues, "annotator_quality.parquet": annotators,
         "predictions.parquet": predictions},
        command="flag", inputs=inputs.records, config=fcfg.model_dump(),
        extra={"label_snapshot": (inputs.label_snapshot.model_dump() if inputs.label_snapshot
                                  else None), "model_version": result.model_version,
               "tasks": manifest_counts, "notes": inputs.notes},
    )
    result.label_issues, result.annotator_quality, result.predictions = issues, annotators, predictions
    result.out_dir = out_dir
    return result


def _keep_other_tasks(
    out_dir: Path, inputs: CurationInputs, done: set[str], *frames: pl.DataFrame
) -> tuple[pl.DataFrame, ...]:
    """With ``--task``, keep the earlier rows of the other tasks.

    Only when they come from the same texts and label snapshot: a partial re-run must not
    silently drop the rest, nor keep rows of another snapshot.
    """
    run = previous_run(out_dir, "flag")
    same = (input_sha(run, "annotations") == inputs.annotations_sha
            and input_sha(run, "texts") == inputs.texts_sha)
    if not same:
        return frames
    merged = []
    for frame, name in zip(frames, ("label_issues.parquet", "annotator_quality.parquet",
                                    "predictions.parquet"), strict=True):
        path = out_dir / name
        if path.exists():
            old = read_parquet_checked(path, ("task",)).filter(~pl.col("task").is_in(list(done)))
            frame = pl.concat([conform(old, frame.schema), frame])
        merged.append(frame)
    return tuple(merged)
