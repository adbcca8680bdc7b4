"""``workbench curate flag``: find noisy labels and weak annotators, per task.

For every task: a text classifier gives K-fold out-of-fold probabilities (each item scored by a
model that never saw its label); cleanlab's ``find_label_issues`` flags the labels the evidence
contradicts (the multi-label variant for tags); where items have two or more annotators,
CROWDLAB (``get_label_quality_multiannotator``) gives a consensus label, its quality and each
annotator's quality. Near-duplicates whose labels disagree with their cluster are flagged too.

The label an item would train with is, in order: the adjudicated answer from the review loop
(project ``review``), the consensus of two or more annotators, the single annotator's answer.
Adjudicated items are never flagged again: a reviewer's decision closes the question.

Outputs (``DIR/curated/``): ``label_issues.parquet`` (one row per labeled item and task, issues
marked), ``annotator_quality.parquet`` and ``predictions.parquet`` (classifier probabilities for
every message, labeled or not: pre-annotations and the uncertainty order of ``label push``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.progress import bars_disabled
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.settings.curation import FlagConfig, with_overrides
from workbench.curation.answers import TaskAnswers, collect_answers, majority
from workbench.curation.choose import Choice, choose, featurize_all
from workbench.curation.classifiers import (
    ClassifierSpec,
    check_names,
    out_of_fold_multilabel,
    out_of_fold_probs,
    specs_for,
)
from workbench.curation.inputs import CurationInputs, TaskSpec, load_inputs
from workbench.curation.multiannotator import Consensus, crowdlab, crowdlab_multilabel
from workbench.curation.outputs import (
    ANNOTATOR_QUALITY_SCHEMA,
    LABEL_ISSUES_SCHEMA,
    conform,
    input_sha,
    previous_run,
    write_outputs,
)

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

    from workbench.core.config import ProjectConfig


@dataclass
class TaskOutcome:
    """What flagging found for one task."""

    task: str
    kind: str
    n_items: int
    n_issues: int = 0
    issues_by_label: dict[str, int] = field(default_factory=dict)
    n_multi: int = 0
    n_adjudicated: int = 0
    n_gate_excluded: int = 0
    n_duplicate_conflicts: int = 0
    skipped: str | None = None
    classifier: str | None = None
    choice: Choice | None = None

    def line(self) -> str:
        """One summary line."""
        share = self.n_issues / self.n_items if self.n_items else 0.0
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.issues_by_label.items(),
                                                        key=lambda kv: -kv[1]))
        extras = []
        if self.skipped:
            extras.append(f"classifier not run: {self.skipped}")
        if self.n_multi:
            extras.append(f"{self.n_multi} multi-annotator")
        if self.n_adjudicated:
            extras.append(f"{self.n_adjudicated} adjudicated")
        if self.n_duplicate_conflicts:
            extras.append(f"{self.n_duplicate_conflicts} duplicate conflicts")
        if self.n_gate_excluded:
            extras.append(f"{self.n_gate_excluded} answers ignored: gate closed")
        more = f" [{'; '.join(extras)}]" if extras else ""
        return (f"{self.task}: {self.n_issues} issue(s) in {self.n_items} item(s) ({share:.1%})"
                f"{': ' + by if by else ''}{more}")


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

    def summary_lines(self, *, top: int = 5) -> list[str]:
        """Issues per task and label, the worst annotators, the ``top`` worst items."""
        n_items = self.label_issues.get_column("uid").n_unique()
        lines = [f"flag: {len(self.outcomes)} task(s), {n_items} labeled item(s), "
                 f"model {self.model_version}"]
        lines += [f"  {o.line()}" for o in self.outcomes]
        lines += [f"  {o.choice.line()}" for o in self.outcomes if o.choice is not None]
        if not self.outcomes:
            lines.append("  no annotations to assess: label some messages first (workbench label)")
        worst_annotators = self.annotator_quality.sort("quality").head(3)
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
                lines.append(f"    {r['uid']} {r['task']}: {_fmt(r['label'])} -> "
                             f"{_fmt(r['suggested'])} (quality {q}): {r['reason']}")
        lines += [f"  note: {n}" for n in self.notes]
        if self.out_dir is not None:
            lines.append(f"  wrote label_issues.parquet ({self.label_issues.height} rows), "
                         f"annotator_quality.parquet, predictions.parquet "
                         f"({self.predictions.height} rows) to {self.out_dir}")
        return lines


def _fmt(labels: Sequence[str] | None) -> str:
    if labels is None:
        return "-"
    return "|".join(labels) if len(labels) else "(none)"


# --- the per-task assessment -------------------------------------------------------------------

@dataclass
class _TaskResult:
    rows: pl.DataFrame  # label_issues rows
    annotators: pl.DataFrame  # annotator_quality rows
    probs_all: np.ndarray | None  # (n_texts, K) for predictions
    classes: list[str]
    outcome: TaskOutcome


@dataclass
class _TaskData:
    """One task's answers, aligned by item, with the feature rows they need."""

    spec: TaskSpec
    answers: TaskAnswers
    given: list[list[str]]  # majority of the annotators' answers
    train: list[list[str]]  # adjudicated, else given: what the classifier learns from
    n_votes: np.ndarray  # (n,) non-review answers per item
    classes: list[str]
    rows: _Rows

    @property
    def n(self) -> int:
        return len(self.answers.uids)

    @property
    def multi(self) -> np.ndarray:
        """``(n,)`` items with two or more annotators."""
        return self.n_votes >= 2

    def adjudicated(self, i: int) -> bool:
        return self.answers.adjudicated[i] is not None

    def frame(self, **columns: object) -> pl.DataFrame:
        """``label_issues`` rows: the shared columns plus ``columns``."""
        lists = {"given", "suggested", "consensus", "label", "answers"}
        answers = [[f"{a}: {_fmt(v)}" for a, v in vs] for vs in self.answers.votes]
        data = {"given": self.given, "answers": answers, **columns}
        return pl.DataFrame([
            pl.Series("uid", self.answers.uids, dtype=pl.Utf8),
            pl.Series("task", [self.spec.name] * self.n, dtype=pl.Utf8),
            pl.Series("n_annotators", self.n_votes, dtype=pl.Int64),
            pl.Series("label_source", [_source(a, int(k)) for a, k in
                                       zip(self.answers.adjudicated, self.n_votes, strict=True)],
                      dtype=pl.Utf8),
            *[list_series(k, v) if k in lists else pl.Series(k, v, dtype=LABEL_ISSUES_SCHEMA[k])
              for k, v in data.items()],
        ]).select(list(LABEL_ISSUES_SCHEMA))


_SEP = "\x1f"  # ASCII unit separator: never inside a label


def list_series(name: str, values: Sequence[Sequence[str] | None]) -> pl.Series:
    """A ``List(Utf8)`` series from Python lists, fast.

    Polars builds nested columns from Python lists slowly (1.6 s for 46,000 one-label lists);
    joining each list into one string and splitting it in Rust takes a few milliseconds.
    """
    joined = pl.Series(name, [None if v is None else _SEP.join(v) for v in values], dtype=pl.Utf8)
    return joined.to_frame().select(
        pl.when(pl.col(name) == "").then(pl.lit([], dtype=pl.List(pl.Utf8)))
        .otherwise(pl.col(name).str.split(_SEP)).alias(name)).to_series()


def _assess_task(
    spec: TaskSpec,
    answers: TaskAnswers,
    features: dict[str, spmatrix],
    row_of: dict[str, int],
    *,
    cfg: FlagConfig,
    clfs: Sequence[ClassifierSpec],
) -> _TaskResult:
    """Assess one task: classifier, CROWDLAB where items overlap, cleanlab, reasons.

    With several ``clfs`` (``auto``), the one with the lowest out-of-fold log loss is used.
    """
    clf = clfs[0]
    x = features[clf.name]
    given = [majority([v for _, v in vs], spec.kind, spec.labels) for vs in answers.votes]
    train = [a if a is not None else g for a, g in zip(answers.adjudicated, given, strict=True)]
    if spec.kind == "single":
        classes = [lab for lab in spec.labels if any(t and t[0] == lab for t in train)]
    else:
        classes = list(spec.labels)
    data = _TaskData(spec, answers, given, train, np.array([len(vs) for vs in answers.votes]),
                     classes, _Rows(np.array([row_of[u] for u in answers.uids], dtype=np.int64),
                                    x.shape[0]))
    outcome = TaskOutcome(spec.name, spec.kind, data.n, n_gate_excluded=answers.n_gate_excluded,
                          n_multi=int(data.multi.sum()),
                          n_adjudicated=sum(a is not None for a in answers.adjudicated))
    if data.n < cfg.min_labeled:
        outcome.skipped = f"{data.n} labeled item(s), fewer than min_labeled={cfg.min_labeled}"
    elif spec.kind == "single" and len(classes) < 2:
        outcome.skipped = f"only one label used ({classes[0] if classes else 'none'})"
    if outcome.skipped:
        rows = data.frame(
            suggested=[None] * data.n, label_quality=[None] * data.n, is_issue=[False] * data.n,
            reason=[f"not assessed: {outcome.skipped}"] * data.n,
            consensus=[g if k >= 2 else None for g, k in zip(given, data.n_votes, strict=True)],
            consensus_quality=[None] * data.n, label=train)
        return _TaskResult(rows, pl.DataFrame(schema=ANNOTATOR_QUALITY_SCHEMA), None, classes,
                           outcome)
    if len(clfs) > 1:
        outcome.choice = _choose(data, features, clfs, cfg)
        clf = next(c for c in clfs if c.name == outcome.choice.picked)
        x = features[clf.name]
    outcome.classifier = clf.name
    x_items = x[data.rows.items]
    x_other = x[data.rows.other] if data.rows.other.size else None
    assess = _assess_single if spec.kind == "single" else _assess_multi
    rows, table, probs_all = assess(data, x_items, x_other, cfg=cfg, clf=clf)
    _count_issues(outcome, rows)
    return _TaskResult(rows, table.with_columns(task=pl.lit(spec.name)), probs_all, classes,
                       outcome)


def _choose(data: _TaskData, features: dict[str, spmatrix], clfs: Sequence[ClassifierSpec],
            cfg: FlagConfig) -> Choice:
    """``auto``: the candidate with the lowest out-of-fold log loss on this task's labels."""
    index = {lab: i for i, lab in enumerate(data.classes)}
    if data.spec.kind == "single":
        y = np.array([index[t[0]] for t in data.train])
    else:
        y = np.zeros((data.n, len(data.classes)), dtype=int)
        for i, t in enumerate(data.train):
            y[i, [index[lab] for lab in t]] = 1
    items = {name: x[data.rows.items] for name, x in features.items()}
    return choose(clfs, items, y, task=data.spec.name, n_classes=len(data.classes),
                  folds=cfg.folds, seed=cfg.seed, n_jobs=cfg.n_jobs)


@dataclass(frozen=True)
class _Rows:
    """Feature-matrix rows of a task's labeled items, and of every other text."""

    items: np.ndarray
    n_texts: int

    @property
    def other(self) -> np.ndarray:
        mask = np.ones(self.n_texts, dtype=bool)
        mask[self.items] = False
        return np.flatnonzero(mask)

    def spread(self, probs: np.ndarray, probs_other: np.ndarray | None) -> np.ndarray:
        """``(n_texts, K)`` probabilities in text order from the two aligned parts."""
        full = np.zeros((self.n_texts, probs.shape[1]))
        full[self.items] = probs
        if probs_other is not None:
            full[self.other] = probs_other
        return full


def _source(adjudicated: list[str] | None, n_votes: int) -> str:
    if adjudicated is not None:
        return "adjudicated"
    return "consensus" if n_votes >= 2 else "single"


def _cleanlab_single(labels: np.ndarray, probs: np.ndarray, filter_by: str) -> tuple[np.ndarray, np.ndarray]:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = find_label_issues(labels, probs, filter_by=filter_by, n_jobs=1)
        quality = get_label_quality_scores(labels, probs)
    return np.asarray(mask, dtype=bool), np.asarray(quality, dtype=float)


def _cleanlab_multi(labels: list[list[int]], probs: np.ndarray, filter_by: str) -> tuple[np.ndarray, np.ndarray]:
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = find_label_issues(labels, probs, filter_by=filter_by, n_jobs=1)
        quality = get_label_quality_scores(labels, probs)
    return np.asarray(mask, dtype=bool), np.asarray(quality, dtype=float)


def _annotator_list(answers: TaskAnswers) -> list[str]:
    return sorted({a for vs in answers.votes for a, _ in vs})


def _assess_single(
    data: _TaskData, x_items: spmatrix, x_other: spmatrix | None, *, cfg: FlagConfig,
    clf: ClassifierSpec,
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Single-choice task: ``(label_issues rows, annotator table, (n_texts, K) probabilities)``."""
    classes, answers = data.classes, data.answers
    index = {lab: i for i, lab in enumerate(classes)}
    y = np.array([index[t[0]] for t in data.train])
    probs, probs_other = out_of_fold_probs(
        x_items, y, spec=clf, n_classes=len(classes), folds=cfg.folds, seed=cfg.seed,
        x_unlabeled=x_other, n_jobs=cfg.n_jobs)

    used = y.copy()  # the label each item would train with
    consensus: Consensus | None = None
    cons_labels: list[list[str] | None] = [None] * data.n
    cons_quality = np.full(data.n, np.nan)
    if data.multi.any():
        annotators = _annotator_list(answers)
        col = {a: j for j, a in enumerate(annotators)}
        has_votes = np.flatnonzero(data.n_votes >= 1)
        votes = np.full((has_votes.size, len(annotators)), np.nan)
        for r, i in enumerate(has_votes):
            for a, v in answers.votes[i]:
                votes[r, col[a]] = index[v[0]]
        consensus = crowdlab(votes, probs[has_votes], annotators=annotators)
        for r, i in enumerate(has_votes):
            if data.multi[i]:
                cons_labels[i] = [classes[consensus.consensus[r]]]
                cons_quality[i] = consensus.quality[r]
                if not data.adjudicated(i):
                    used[i] = consensus.consensus[r]
    mask, quality = _cleanlab_single(used, probs, cfg.filter_by)
    suggested = probs.argmax(axis=1)

    reasons: list[str | None] = []
    issue = np.zeros(data.n, dtype=bool)
    for i in range(data.n):
        if data.adjudicated(i):
            reasons.append("adjudicated in review")
            continue
        parts = []
        if mask[i]:
            s = suggested[i]
            parts.append(f"classifier disagrees: P({classes[s]})={probs[i, s]:.2f}, "
                         f"P({classes[used[i]]})={probs[i, used[i]]:.2f}")
        if data.multi[i]:
            quality[i] = cons_quality[i]
            if cons_quality[i] < cfg.min_consensus_quality:
                agree = sum(v[0] == classes[used[i]] for _, v in answers.votes[i])
                parts.append(f"annotators disagree: {agree} of {data.n_votes[i]} chose "
                             f"{classes[used[i]]} (consensus quality {cons_quality[i]:.2f})")
        issue[i] = bool(parts)
        reasons.append("; ".join(parts) or None)

    rows = data.frame(
        suggested=[[classes[s]] for s in suggested], label_quality=quality, is_issue=issue,
        reason=reasons, consensus=cons_labels,
        consensus_quality=[None if np.isnan(q) else float(q) for q in cons_quality],
        label=[t if data.adjudicated(i) else [classes[used[i]]] for i, t in enumerate(data.train)])
    if consensus is not None:
        table = consensus.annotators.with_columns(method=pl.lit("crowdlab"))
    else:
        item, value = _vote_arrays(answers)
        label_idx = np.array([index[v[0]] for v in value], dtype=np.int64)
        table = _model_annotator_quality(answers, probs[item, label_idx],
                                         label_idx == suggested[item])
    return rows, table, data.rows.spread(probs, probs_other)


def _assess_multi(
    data: _TaskData, x_items: spmatrix, x_other: spmatrix | None, *, cfg: FlagConfig,
    clf: ClassifierSpec,
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Multi-label task: ``(label_issues rows, annotator table, (n_texts, K) probabilities)``."""
    classes, answers = data.classes, data.answers
    index = {lab: i for i, lab in enumerate(classes)}
    k = len(classes)
    y = np.zeros((data.n, k), dtype=int)
    for i, t in enumerate(data.train):
        y[i, [index[lab] for lab in t]] = 1
    probs, probs_other = out_of_fold_multilabel(
        x_items, y, spec=clf, folds=cfg.folds, seed=cfg.seed, x_unlabeled=x_other,
        n_jobs=cfg.n_jobs)

    used = y.copy()
    consensus: Consensus | None = None
    cons_labels: list[list[str] | None] = [None] * data.n
    cons_quality = np.full(data.n, np.nan)
    if data.multi.any():
        annotators = _annotator_list(answers)
        col = {a: j for j, a in enumerate(annotators)}
        has_votes = np.flatnonzero(data.n_votes >= 1)
        votes = np.full((has_votes.size, len(annotators), k), np.nan)
        for r, i in enumerate(has_votes):
            for a, v in answers.votes[i]:
                votes[r, col[a], :] = 0.0
                votes[r, col[a], [index[lab] for lab in v]] = 1.0
        consensus = crowdlab_multilabel(votes, probs[has_votes], annotators=annotators)
        for r, i in enumerate(has_votes):
            if data.multi[i]:
                cons_labels[i] = [classes[j] for j in np.flatnonzero(consensus.consensus[r])]
                cons_quality[i] = consensus.quality[r]
                if not data.adjudicated(i):
                    used[i] = consensus.consensus[r]
    mask, quality = _cleanlab_multi([np.flatnonzero(row).tolist() for row in used], probs,
                                    cfg.filter_by)
    suggested = probs >= 0.5

    reasons: list[str | None] = []
    issue = np.zeros(data.n, dtype=bool)
    for i in range(data.n):
        if data.adjudicated(i):
            reasons.append("adjudicated in review")
            continue
        parts = []
        if mask[i]:
            # Name the label the evidence disagrees with most.
            j = int(np.argmax(np.abs(probs[i] - used[i])))
            state = "given" if used[i, j] else "not given"
            parts.append(f"classifier disagrees: {classes[j]} {state} but P={probs[i, j]:.2f}")
        if data.multi[i]:
            quality[i] = cons_quality[i]
            if cons_quality[i] < cfg.min_consensus_quality:
                agree = sum(sorted(v) == sorted(cons_labels[i] or []) for _, v in answers.votes[i])
                parts.append(f"annotators disagree: {agree} of {data.n_votes[i]} chose "
                             f"{_fmt(cons_labels[i])} (consensus quality {cons_quality[i]:.2f})")
        issue[i] = bool(parts)
        reasons.append("; ".join(parts) or None)

    rows = data.frame(
        suggested=[[classes[j] for j in np.flatnonzero(row)] for row in suggested],
        label_quality=quality, is_issue=issue, reason=reasons, consensus=cons_labels,
        consensus_quality=[None if np.isnan(q) else float(q) for q in cons_quality],
        label=[t if data.adjudicated(i) else [classes[j] for j in np.flatnonzero(used[i])]
               for i, t in enumerate(data.train)])
    if consensus is not None:
        table = consensus.annotators.with_columns(method=pl.lit("crowdlab"))
    else:
        from cleanlab.multilabel_classification.rank import get_label_quality_scores

        item, value = _vote_arrays(answers)
        vote_sets = [[index[lab] for lab in v] for v in value]
        onehot = np.zeros((len(value), k), dtype=bool)
        for r, v in enumerate(vote_sets):
            onehot[r, v] = True
        table = _model_annotator_quality(answers, get_label_quality_scores(vote_sets, probs[item]),
                                         (onehot == suggested[item]).all(axis=1))
    return rows, table, data.rows.spread(probs, probs_other)


def _vote_arrays(answers: TaskAnswers) -> tuple[np.ndarray, list[list[str]]]:
    """Item position and value of every non-review answer, in item then annotator order."""
    item = [i for i, vs in enumerate(answers.votes) for _ in vs]
    value = [v for vs in answers.votes for _, v in vs]
    return np.array(item, dtype=np.int64), value


def _model_annotator_quality(answers: TaskAnswers, quality: np.ndarray,
                             agrees: np.ndarray) -> pl.DataFrame:
    """Annotator quality without overlap: how well each annotator's answers fit the classifier.

    ``quality`` and ``agrees`` are per answer, in :func:`_vote_arrays` order: cleanlab's label
    quality of the answer under the out-of-fold probabilities, and whether it equals the
    classifier's suggestion.
    """
    names = [a for vs in answers.votes for a, _ in vs]
    return (
        pl.DataFrame({"annotator": names, "q": np.asarray(quality, dtype=float),
                      "g": np.asarray(agrees, dtype=float)})
        .group_by("annotator", maintain_order=True)
        .agg(quality=pl.col("q").mean(), agreement=pl.col("g").mean(),
             n_items=pl.len().cast(pl.Int64))
        .with_columns(method=pl.lit("model"))
    )


def _count_issues(outcome: TaskOutcome, rows: pl.DataFrame) -> None:
    issues = rows.filter(pl.col("is_issue"))
    outcome.n_issues = issues.height
    labels = issues.get_column("label").to_list()
    # Multi-label: count each label of a flagged set (and "(none)" for empty sets).
    outcome.issues_by_label = dict(Counter(
        lab for v in labels for lab in ((v or ["(none)"]) if outcome.kind == "multi" else [_fmt(v)])))


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
        pl.col("_key").sort_by(["_has_adj", "_n", "_q"], descending=True).first().alias("_ref"),
        pl.format("{}×{}", pl.col("_key").replace("", "(none)"), pl.col("_n"))
        .sort_by("_n", descending=True).str.join(", ").alias("_desc"),
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


def flag_labels(
    inputs: CurationInputs,
    *,
    cfg: FlagConfig | None = None,
    clusters: pl.DataFrame | None = None,
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
    model_version = f"{cfg.classifier_label()}-k{cfg.folds}-{inputs.annotations_sha[:12]}"

    rows, tables, preds, outcomes = [], [], [], []
    for spec in tqdm(inputs.tasks, desc="flag", unit="task", disable=bars_disabled(), leave=False):
        items = collect_answers(inputs.annotations, spec, inputs.all_tasks)
        if not items.uids:
            continue
        result = _assess_task(spec, items, features, row_of, cfg=cfg,
                              clfs=by_kind["single" if spec.kind == "single" else "multi"])
        rows.append(result.rows)
        tables.append(result.annotators)
        outcomes.append(result.outcome)
        if result.probs_all is not None:
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
            _count_issues(o, issues.filter(pl.col("task") == o.task))
    annotators = (pl.concat([conform(t, ANNOTATOR_QUALITY_SCHEMA) for t in tables])
                  if tables else pl.DataFrame(schema=ANNOTATOR_QUALITY_SCHEMA))
    predictions = pl.concat(preds) if preds else pl.DataFrame(schema=PREDICTIONS_SCHEMA)
    return FlagResult(conform(issues, LABEL_ISSUES_SCHEMA), annotators.sort("task", "quality"),
                      predictions, outcomes, model_version, list(inputs.notes))


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
    classifier, folds, encoder
        Override ``curation.flag.classifier`` / ``folds`` / ``encoder`` for this run.

    Returns
    -------
    FlagResult
        What was found and written.
    """
    from workbench.curation.dedup import load_or_compute_clusters

    fcfg = with_overrides(cfg.curation.flag, classifier=classifier, folds=folds,
                          encoder=None if encoder is None else str(encoder))
    check_names(fcfg.classifier_names(), fcfg.encoder)  # fails before any data is read
    inputs = load_inputs(data_dir, texts=texts, annotations=annotations, tasks=tasks,
                         cleaning=cfg.cleaning)
    out_dir = out or Layout(data_dir).curated
    clusters = None
    if fcfg.duplicate_conflicts:
        clusters, _ = load_or_compute_clusters(inputs.texts, inputs.texts_sha, out_dir,
                                               cfg.curation.dedup, data_dir=data_dir)
    result = flag_labels(inputs, cfg=fcfg, clusters=clusters)
    issues, annotators, predictions = result.label_issues, result.annotator_quality, result.predictions
    if tasks:
        issues, annotators, predictions = _keep_other_tasks(
            out_dir, inputs, {o.task for o in result.outcomes}, issues, annotators, predictions)
    manifest_counts = {
        o.task: {"items": o.n_items, "issues": o.n_issues, "multi_annotator": o.n_multi,
                 "adjudicated": o.n_adjudicated, "duplicate_conflicts": o.n_duplicate_conflicts,
                 "skipped": o.skipped, "classifier": o.classifier,
                 "auto_log_loss": None if o.choice is None else o.choice.log_loss}
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
