"""What the live refresher learns: training sets from annotations, one model per task, answers.

The pure half of :mod:`workbench.curation.live` (no Label Studio here), so each part is testable
on its own:

- :func:`training_targets`: the resolved answer of every labeled message per task, as curation
  resolves them (:func:`~workbench.curation.answers.collect_answers`: an adjudicated review answer
  wins, else the majority; a conditional task counts only where its resolved gate opens it; a
  multi-label task the annotator saw and left empty is the answer "none"), keeping only the tasks
  a model can learn (:func:`learnable`).
- :func:`predict_answers`: fit the task kind's classifier per learned task and answer for the
  messages to predict: single choice, the most probable label; multi-label, one binary model per
  label and the labels whose probability reaches :data:`PRESENT`.
- :func:`consistent`: drop every answer whose taxonomy condition fails, fresh or carried over.

Examples
--------
>>> from workbench.curation.inputs import TaskSpec
>>> tags = TaskSpec("tags", "multi", ["Gambling", "Politics"], ("is_ad", "Ad"))
>>> learnable(tags, {"a": ["Gambling"], "b": []}), learnable(tags, {"a": [], "b": []})
(True, False)
>>> vertical = TaskSpec("vertical", "single", ["Retail", "Telecom"], ("is_ad", "Ad"))
>>> learnable(vertical, {"a": ["Retail"], "b": ["Retail"]})
False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from workbench.core.settings.curation import DEFAULT_CLASSIFIERS, FlagConfig
from workbench.core.taxonomy import Taxonomy
from workbench.curation.answers import collect_answers, majority
from workbench.curation.channel_prior import ChannelPrior
from workbench.curation.classifiers import (
    AUTO,
    ClassifierSpec,
    featurize,
    fit_predict,
    out_of_fold_probs,
)
from workbench.curation.inputs import (
    TaskSpec,
    add_implicit_empty,
    normalise_annotations,
    resolve_tasks,
)
from workbench.curation.rule_prior import RuleEvidence, TaskPrior, pool
from workbench.labeling.taxonomy_render import TEXT_NAME

#: A multi-label answer holds the labels whose probability reaches this (as `curate flag`'s
#: predictions do; curation has no setting for it).
PRESENT = 0.5

#: Per task name, per message uid: the resolved answer (one label, or any number for multi).
Targets = dict[str, dict[str, list[str]]]


def live_classifiers(live: str | None, flag: FlagConfig) -> dict[str, str]:
    """The registry name to fit per task kind: the live setting, else curate flag's entry.

    Curate flag's ``auto`` becomes the kind's default entry: comparing models at every refresh
    is too slow.

    >>> live_classifiers(None, FlagConfig())
    {'single': 'tfidf_nb_svm', 'multi': 'tfidf_lr'}
    >>> live_classifiers(None, FlagConfig(classifier="auto"))
    {'single': 'tfidf_nb_svm', 'multi': 'tfidf_lr'}
    >>> live_classifiers("word_char_lr", FlagConfig())
    {'single': 'word_char_lr', 'multi': 'word_char_lr'}
    """
    out = {}
    for kind in DEFAULT_CLASSIFIERS:
        name = live or flag.classifier_for(kind)
        out[kind] = DEFAULT_CLASSIFIERS[kind] if name == AUTO else name
    return out


def learnable(task: TaskSpec, answers: Mapping[str, Sequence[str]]) -> bool:
    """Whether a model can learn ``task`` from these answers.

    Single choice: at least two labels seen. Multi-label: some label chosen for some messages
    and not for others (a label never chosen, or always, teaches nothing on its own).
    """
    if task.kind == "single":
        return len({v[0] for v in answers.values() if v}) >= 2
    sets = [set(v) for v in answers.values()]
    return bool(sets) and bool(set().union(*sets) - set.intersection(*sets))


def training_targets(annotations: pl.DataFrame, taxonomy: Taxonomy) -> tuple[list[TaskSpec], Targets]:
    """The taxonomy's tasks that have answers, and the resolved answers of the learnable ones.

    Parameters
    ----------
    annotations
        Valid answer rows (``validate_annotations``'s first frame: one row per annotation and
        task that applies; a multi-label task left empty is a row with no labels).
    taxonomy
        The labeling taxonomy.

    Returns
    -------
    tuple
        The task specs (every task with answers, for conditions) and, per learnable task, each
        labeled message's resolved answer. Tasks with fewer than two classes seen are left out:
        their old pre-annotation stays.
    """
    if not annotations.height:
        return [], {}
    norm = normalise_annotations(annotations, source="Label Studio annotations")
    specs = [s for s in resolve_tasks(norm, taxonomy) if s.in_taxonomy]
    norm = add_implicit_empty(norm, specs)
    targets: Targets = {}
    for spec in specs:
        items = collect_answers(norm, spec, specs)
        resolved = {
            uid: adj if adj is not None else majority([v for _, v in votes], spec.kind, spec.labels)
            for uid, votes, adj in zip(items.uids, items.votes, items.adjudicated, strict=True)}
        if spec.kind == "single":
            resolved = {u: v for u, v in resolved.items() if v}
        if learnable(spec, resolved):
            targets[spec.name] = resolved
    return specs, targets


def _choice(task: str, labels: list[str], score: float) -> dict[str, Any]:
    return {"from_name": task, "to_name": TEXT_NAME, "type": "choices",
            "value": {"choices": labels}, "score": score}


def predict_answers(
    texts: Sequence[str],
    uids: Sequence[str],
    rows: Sequence[int],
    tasks: Sequence[TaskSpec],
    targets: Targets,
    classifiers: Mapping[str, ClassifierSpec],
    seed: int = 0,
    evidence: Mapping[str, RuleEvidence] | None = None,
    channels: np.ndarray | None = None,
) -> dict[str, list[dict[str, Any] | None]]:
    """Fit one model per learned task and answer for ``texts[rows]``.

    Parameters
    ----------
    texts, uids
        Every message the features are fitted on (labeled or not), aligned.
    rows
        Positions in ``texts`` to answer for.
    tasks
        The task specs (``training_targets``'s first value).
    targets
        Resolved answers of the learned tasks (``training_targets``'s second value); labeled
        messages missing from ``uids`` are skipped.
    classifiers
        The classifier per task kind (``single``, ``multi``).
    seed
        The models' seed.
    evidence
        The labeling rules' distribution per covered single-choice task, aligned with ``texts``
        (:func:`~workbench.curation.rule_prior.rule_priors`): pooled into that task's answers at
        the weight its labels choose out of fold, as ``curate flag`` pools it, so a handful of
        labels does not throw away what the rules knew (README, "Live loop: the first labels").
    channels
        Each message's channel (:func:`~workbench.curation.channel_prior.channel_keys`, aligned
        with ``uids``), or None: the labels of a message's channel are pooled in as ``curate
        flag`` pools them (:mod:`~workbench.curation.channel_prior`).

    Returns
    -------
    dict
        Per learned task (those in ``targets`` still learnable from the messages in ``uids``),
        aligned with ``rows``: a Label Studio choices result with its score, or
        None where a multi-label model finds no label (the answer "none" shows as no result).
        Conditions are not applied here (see :func:`consistent`).
    """
    index = {u: i for i, u in enumerate(uids)}
    features: dict[Any, Any] = {}  # one matrix per featurizer: shared by kinds that share it
    out: dict[str, list[dict[str, Any] | None]] = {}
    for task in tasks:
        answers = targets.get(task.name)
        if answers is None:
            continue
        spec = classifiers[task.kind]
        if spec.featurizer not in features:
            features[spec.featurizer] = featurize(texts, spec)
        x = features[spec.featurizer]
        train = [(index[u], v) for u, v in sorted(answers.items()) if u in index]
        if not learnable(task, {str(i): v for i, v in train}):
            continue  # its labeled messages left the projects since they were read
        x_train, x_pred = x[[i for i, _ in train]], x[list(rows)]
        if task.kind == "single":
            y = np.array([task.labels.index(v[0]) for _, v in train])
            probs = fit_predict(spec, seed, x_train, y, x_pred, len(task.labels))
            rule = (evidence[task.name].over(task.labels)
                    if evidence and task.name in evidence else None)
            if rule is not None or channels is not None:
                probs = _pooled(probs, task, spec, seed, x_train, y, [i for i, _ in train], rows,
                                rule=rule, channels=channels)
            best = probs.argmax(axis=1)
            out[task.name] = [_choice(task.name, [task.labels[k]], float(probs[r, k]))
                              for r, k in enumerate(best)]
            continue
        # One binary model per label; a label never (or always) chosen predicts that constant.
        probs = np.column_stack([
            fit_predict(spec, seed, x_train, np.array([int(label in v) for _, v in train]),
                        x_pred, 2)[:, 1]
            for label in task.labels])
        present = probs >= PRESENT
        # The score is curate flag's: the mean confidence of the label-by-label decisions.
        scores = np.where(present, probs, 1.0 - probs).mean(axis=1)
        out[task.name] = [
            _choice(task.name, [task.labels[k] for k in np.flatnonzero(row)], float(scores[r]))
            if row.any() else None
            for r, row in enumerate(present)]
    return out


def _pooled(probs: np.ndarray, task: TaskSpec, spec: ClassifierSpec, seed: int, x_train: Any,
            y: np.ndarray, train_rows: Sequence[int], rows: Sequence[int], *,
            rule: np.ndarray | None, channels: np.ndarray | None) -> np.ndarray:
    """``probs`` with the rules (``rule``, per text) and the channels' labels pooled in.

    Each at the weight chosen on out-of-fold training answers. With no label given twice there
    are no folds to choose on: the first refreshes pool the rules at weight 1, their scores as
    they are (a classifier of one example per class knows less), and no channel labels.
    """
    probs = _with_unseen_mass(probs, y)
    if np.bincount(y).max() < 2:
        return probs if rule is None else pool(probs, rule[list(rows)], 1.0)
    oof, _ = out_of_fold_probs(x_train, y, spec=spec, n_classes=len(task.labels), seed=seed)
    if rule is not None:
        oof, pooled = TaskPrior(rule[list(train_rows)], rule[list(rows)]).apply(oof, probs, y)
        probs = probs if pooled is None else pooled
    if channels is not None:
        neighbours = ChannelPrior(channels[list(train_rows)], channels[list(rows)])
        _, pooled = neighbours.apply(oof, probs, y)
        probs = probs if pooled is None else pooled
    return probs


def _with_unseen_mass(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``probs`` with the labels nobody gave yet sharing the Good-Turing missing mass.

    A model trained on the labels given so far puts no probability on the others, so no
    evidence pooled with it could ever name them; early in labeling most verticals are unseen.
    The share of labeled items whose label was given only once estimates how likely the next
    item is to have a label not seen yet (Good-Turing), at most the unseen labels' share of all
    labels; the seen labels keep the rest.
    """
    counts = np.bincount(y, minlength=probs.shape[1])
    unseen = counts == 0
    if not unseen.any():
        return probs
    # Capped at the unseen labels' share of a uniform prior: with every label given once the
    # estimate reads 1, which would silence the labels annotators did give.
    missing = min(float((counts == 1).sum()) / max(y.size, 1), unseen.sum() / unseen.size)
    out = probs * (1.0 - missing)
    out[:, unseen] = missing / unseen.sum()
    return out / out.sum(axis=1, keepdims=True)


def consistent(answers: list[dict[str, Any]], conditions: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Drop answers whose ``when`` does not hold among the answers kept (no vertical for a Non-Ad).

    Applies to fresh and carried-over answers alike; conditions chain, so dropping one answer
    may unsettle another.

    >>> ad = {"from_name": "is_ad", "value": {"choices": ["Non-Ad"]}}
    >>> vertical = {"from_name": "vertical", "value": {"choices": ["Retail"]}}
    >>> [r["from_name"] for r in consistent([ad, vertical], {"vertical": ("is_ad", "Ad")})]
    ['is_ad']
    """
    out = list(answers)
    while True:
        given = {r["from_name"]: set((r.get("value") or {}).get("choices") or []) for r in out}
        nxt = [r for r in out if r["from_name"] not in conditions
               or conditions[r["from_name"]][1] in given.get(conditions[r["from_name"]][0], set())]
        if len(nxt) == len(out):
            return out
        out = nxt
