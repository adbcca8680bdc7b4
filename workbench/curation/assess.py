"""One task of ``workbench curate flag``: classifier, consensus where items overlap, cleanlab.

:func:`assess_task` turns one task's answers into its ``label_issues`` rows, its annotator
quality and the classifier's probabilities for every text (:class:`TaskResult`);
:mod:`workbench.curation.flag` runs it for every task and adds what spans tasks (near-duplicate
conflicts, predictions, the outputs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from workbench.core.settings.curation import FlagConfig
from workbench.curation.answers import TaskAnswers, majority
from workbench.curation.channel_prior import ChannelPrior
from workbench.curation.choose import Choice, choose
from workbench.curation.classifiers import (
    ClassifierSpec,
    fold_count,
    out_of_fold_multilabel,
    out_of_fold_probs,
)
from workbench.curation.cleanlab_issues import cleanlab_multi, cleanlab_single
from workbench.curation.inputs import TaskSpec
from workbench.curation.multiannotator import Consensus, crowdlab_multilabel, dawid_skene
from workbench.curation.outcome import TaskOutcome, count_issues, format_labels
from workbench.curation.outputs import ANNOTATOR_QUALITY_SCHEMA, LABEL_ISSUES_SCHEMA
from workbench.curation.rule_prior import RuleEvidence, TaskPrior
from workbench.curation.ties import break_ties_toward_rare, probs_without_ties, tied_items

if TYPE_CHECKING:
    from scipy.sparse import spmatrix


@dataclass
class TaskResult:
    """One task's assessment: its rows of each output and the classifier's probabilities."""

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
        answers = [[f"{a}: {format_labels(v)}" for a, v in vs] for vs in self.answers.votes]
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


def assess_task(
    spec: TaskSpec,
    answers: TaskAnswers,
    features: dict[str, spmatrix],
    row_of: dict[str, int],
    *,
    cfg: FlagConfig,
    clfs: Sequence[ClassifierSpec],
    evidence: RuleEvidence | None = None,
    channels: np.ndarray | None = None,
) -> TaskResult:
    """Assess one task: classifier, consensus where items overlap, cleanlab, reasons.

    With several ``clfs`` (``auto``), the one with the lowest out-of-fold log loss is used; with
    the rules' ``evidence`` for a single-choice task, it is pooled into the classifier's
    probabilities at the weight the task's labels choose (:mod:`~workbench.curation.rule_prior`),
    and so are the labels of each text's channel (``channels``, one key per text row, None
    where unknown: :mod:`~workbench.curation.channel_prior`).
    """
    clf = clfs[0]
    x = features[clf.name]
    given = [majority([v for _, v in vs], spec.kind, spec.labels) for vs in answers.votes]
    train = [a if a is not None else g for a, g in zip(answers.adjudicated, given, strict=True)]
    trained = {t[0] for t in train if t}
    if spec.kind == "single":
        # Every label someone gave (a vote outvoted everywhere is still a class of the consensus).
        used = trained | {v[0] for vs in answers.votes for _, v in vs if v}
        classes = [lab for lab in spec.labels if lab in used]
    else:
        classes = list(spec.labels)
    data = _TaskData(spec, answers, given, train, np.array([len(vs) for vs in answers.votes]),
                     classes, _Rows(np.array([row_of[u] for u in answers.uids], dtype=np.int64),
                                    x.shape[0]))
    outcome = TaskOutcome(spec.name, spec.kind, data.n, n_gate_excluded=answers.n_gate_excluded,
                          n_multi=int(data.multi.sum()),
                          n_adjudicated=sum(a is not None for a in answers.adjudicated),
                          filter_by=cfg.filter_by_for(spec.name))
    if data.n < cfg.min_labeled:
        outcome.skipped = f"{data.n} labeled item(s), fewer than min_labeled={cfg.min_labeled}"
    elif spec.kind == "single" and len(trained) < 2:
        outcome.skipped = f"only one label used ({next(iter(trained), 'none')})"
    if outcome.skipped:
        rows = data.frame(
            suggested=[None] * data.n, label_quality=[None] * data.n, is_issue=[False] * data.n,
            reason=[f"not assessed: {outcome.skipped}"] * data.n,
            consensus=[g if k >= 2 else None for g, k in zip(given, data.n_votes, strict=True)],
            consensus_quality=[None] * data.n, label=train)
        return TaskResult(rows, pl.DataFrame(schema=ANNOTATOR_QUALITY_SCHEMA), None, classes,
                           outcome)
    if len(clfs) > 1:
        outcome.choice = _choose(data, features, clfs, cfg)
        clf = next(c for c in clfs if c.name == outcome.choice.picked)
        x = features[clf.name]
    outcome.classifier = clf.name
    x_items = x[data.rows.items]
    x_other = x[data.rows.other] if data.rows.other.size else None
    if spec.kind == "single":
        _note_rare_labels(outcome, data, cfg.folds)
        prior = None if evidence is None else TaskPrior.of(evidence, classes, data.rows.items,
                                                            data.rows.other)
        # Several draws of the folds, averaged, where the task is small enough to afford them
        # (README, flag operating points).
        outcome.repeats = cfg.repeats_for(data.n)
        neighbours = None if channels is None else ChannelPrior(channels[data.rows.items],
                                                                 channels[data.rows.other])
        rows, table, probs_all = _assess_single(data, x_items, x_other, cfg=cfg, clf=clf,
                                                prior=prior, channel=neighbours,
                                                repeats=outcome.repeats)
        outcome.rule_weight = None if prior is None else prior.weight
        outcome.channel_weight = None if neighbours is None else neighbours.weight
    else:
        rows, table, probs_all = _assess_multi(data, x_items, x_other, cfg=cfg, clf=clf)
        outcome.repeats = 1  # one draw per label: repeats are measured on single choice only
    count_issues(outcome, rows)
    return TaskResult(rows, table.with_columns(task=pl.lit(spec.name)), probs_all, classes,
                       outcome)


def _note_rare_labels(outcome: TaskOutcome, data: _TaskData, folds: int) -> None:
    """Record K as the folds will use it, and the labels too rare for the folds asked for.

    The folds are lowered to the rarest count of a label given at least twice
    (:func:`fold_count`): every model then learns from fewer labels, which the user must see.
    A label given once (often a typo) does not lower K but cannot be predicted unseen: named too.
    """
    counts = Counter(t[0] for t in data.train if t)
    index = {lab: i for i, lab in enumerate(data.classes)}
    y = np.array([index[lab] for lab, n in counts.items() for _ in range(n)], dtype=int)
    outcome.folds, outcome.folds_asked = fold_count(y, len(data.classes), folds), folds
    limit = folds if outcome.folds < folds else 2
    outcome.rare_labels = {lab: n for lab, n in counts.items() if n < limit}


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


def _annotator_list(answers: TaskAnswers) -> list[str]:
    return sorted({a for vs in answers.votes for a, _ in vs})


def _assess_single(
    data: _TaskData, x_items: spmatrix, x_other: spmatrix | None, *, cfg: FlagConfig,
    clf: ClassifierSpec, prior: TaskPrior | None = None, channel: ChannelPrior | None = None,
    repeats: int = 1,
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Single-choice task: ``(label_issues rows, annotator table, (n_texts, K) probabilities)``.

    The out-of-fold probabilities are the mean of ``repeats`` draws of the folds.
    """
    classes, answers = data.classes, data.answers
    index = {lab: i for i, lab in enumerate(classes)}
    y = np.array([index[t[0]] for t in data.train])
    # Ties are the consensus's to settle, with the classifier as third opinion: a classifier
    # that learned labels picked by breaking those ties would echo the tie-break back, so it
    # learns the untied items and predicts the tied ones unseen (bench/consensus.py).
    tied = tied_items(answers.votes, answers.adjudicated)
    fit = probs_without_ties(x_items, y, tied, x_other, spec=clf, n_classes=len(classes),
                             folds=cfg.folds, seed=cfg.seed, n_jobs=cfg.n_jobs, repeats=repeats)
    probs, probs_other = fit if fit is not None else out_of_fold_probs(
        x_items, break_ties_toward_rare(y, answers.votes, tied, index), spec=clf,
        n_classes=len(classes), folds=cfg.folds, seed=cfg.seed, x_unlabeled=x_other,
        n_jobs=cfg.n_jobs, repeats=repeats)
    if prior is not None:
        probs, probs_other = prior.apply(probs, probs_other, y)
    if channel is not None:
        probs, probs_other = channel.apply(probs, probs_other, y)

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
        consensus = dawid_skene(votes, probs[has_votes], annotators=annotators)
        for r, i in enumerate(has_votes):
            if data.multi[i]:
                cons_labels[i] = [classes[consensus.consensus[r]]]
                cons_quality[i] = consensus.quality[r]
                if not data.adjudicated(i):
                    used[i] = consensus.consensus[r]
    mask, quality = cleanlab_single(used, probs, cfg.filter_by_for(data.spec.name))
    suggested = probs.argmax(axis=1)

    def disagrees(i: int) -> str:
        s = suggested[i]
        return (f"classifier disagrees: P({classes[s]})={probs[i, s]:.2f}, "
                f"P({classes[used[i]]})={probs[i, used[i]]:.2f}")

    def chose(i: int) -> tuple[int, str]:
        return sum(v[0] == classes[used[i]] for _, v in answers.votes[i]), classes[used[i]]

    issue, reasons = _issue_reasons(data, mask, quality, cons_quality, cfg.min_consensus_quality,
                                    disagrees, chose)

    rows = data.frame(
        suggested=[[classes[s]] for s in suggested], label_quality=quality, is_issue=issue,
        reason=reasons, consensus=cons_labels,
        consensus_quality=[None if np.isnan(q) else float(q) for q in cons_quality],
        label=[t if data.adjudicated(i) else [classes[used[i]]] for i, t in enumerate(data.train)])
    if consensus is not None:
        table = consensus.annotators.with_columns(method=pl.lit("dawid_skene"))
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
    mask, quality = cleanlab_multi([np.flatnonzero(row).tolist() for row in used], probs,
                                    cfg.filter_by_for(data.spec.name))
    suggested = probs >= 0.5

    def disagrees(i: int) -> str:
        # Name the label the evidence disagrees with most.
        j = int(np.argmax(np.abs(probs[i] - used[i])))
        state = "given" if used[i, j] else "not given"
        return f"classifier disagrees: {classes[j]} {state} but P={probs[i, j]:.2f}"

    def chose(i: int) -> tuple[int, str]:
        agree = sum(sorted(v) == sorted(cons_labels[i] or []) for _, v in answers.votes[i])
        return agree, format_labels(cons_labels[i])

    issue, reasons = _issue_reasons(data, mask, quality, cons_quality, cfg.min_consensus_quality,
                                    disagrees, chose)

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


def _issue_reasons(
    data: _TaskData, mask: np.ndarray, quality: np.ndarray, cons_quality: np.ndarray,
    min_consensus_quality: float, disagrees: Callable[[int], str],
    chose: Callable[[int], tuple[int, str]],
) -> tuple[np.ndarray, list[str | None]]:
    """``(is_issue, reason)`` per item; multi-annotated items take their consensus quality.

    ``disagrees(i)`` words a cleanlab flag of item ``i``; ``chose(i)`` gives how many annotators
    chose its consensus and how that consensus reads. ``quality`` is updated in place.
    """
    reasons: list[str | None] = []
    issue = np.zeros(data.n, dtype=bool)
    for i in range(data.n):
        if data.adjudicated(i):
            reasons.append("adjudicated in review")
            continue
        parts = [disagrees(i)] if mask[i] else []
        if data.multi[i]:
            quality[i] = cons_quality[i]
            if cons_quality[i] < min_consensus_quality:
                agree, label = chose(i)
                parts.append(f"annotators disagree: {agree} of {data.n_votes[i]} chose "
                             f"{label} (consensus quality {cons_quality[i]:.2f})")
        issue[i] = bool(parts)
        reasons.append("; ".join(parts) or None)
    return issue, reasons


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
