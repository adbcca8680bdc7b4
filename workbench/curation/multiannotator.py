"""Consensus labels and annotator quality where several annotators answered the same items.

Single-choice tasks use Dawid-Skene with the classifier as each item's prior
(:func:`dawid_skene`): every annotator gets a confusion matrix (how often they answer c when the
truth is k), estimated by EM from how their answers fit each other and the classifier, and each
item takes its most probable label. Unlike CROWDLAB, whose annotator weights come from agreement
with the other annotators (equal for two annotators, so their every tie falls to the classifier),
this tells the careful annotator of a pair from the hurried one. Multi-label tasks are handled
one label at a time with CROWDLAB (cleanlab's multi-annotator method, a binary CROWDLAB per
label); the consensus set is the labels whose binary consensus is "present".

Examples
--------
>>> import numpy as np
>>> votes = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0]], dtype=float)
>>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.2], [0.3, 0.7]])
>>> result = crowdlab(votes, probs, annotators=["a", "b", "c"])
>>> result.consensus.tolist()
[0, 1, 0, 1]
>>> result.annotators.sort("quality").item(0, "annotator")
'c'
>>> dawid_skene(votes, probs, annotators=["a", "b", "c"]).consensus.tolist()
[0, 1, 0, 1]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Consensus:
    """Consensus output for one task (Dawid-Skene or CROWDLAB).

    Attributes
    ----------
    consensus
        ``(n,)`` consensus class index per item (single-choice), or ``(n, K)`` 0/1 (multi-label).
    quality
        ``(n,)`` consensus quality in 0..1 (multi-label: the lowest over labels).
    agreement
        ``(n,)`` share of the item's annotators whose answer equals the consensus.
    n_annotators
        ``(n,)`` annotators per item.
    annotators
        One row per annotator: ``annotator``, ``quality``, ``agreement`` (with consensus),
        ``n_items``.
    """

    consensus: np.ndarray
    quality: np.ndarray
    agreement: np.ndarray
    n_annotators: np.ndarray
    annotators: pl.DataFrame


def crowdlab(votes: np.ndarray, pred_probs: np.ndarray, *, annotators: Sequence[str]) -> Consensus:
    """Consensus and annotator quality for a single-choice task.

    Parameters
    ----------
    votes
        ``(n, m)`` float matrix: ``votes[i, j]`` is annotator j's class index for item i, NaN
        where j did not label i. Every row and column has at least one vote; at least one
        row has two.
    pred_probs
        ``(n, K)`` out-of-fold classifier probabilities.
    annotators
        ``m`` annotator names, in column order.

    Returns
    -------
    Consensus
        Per item and per annotator results.
    """
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator

    frame = pd.DataFrame(votes, columns=list(annotators))
    with warnings.catch_warnings():
        # "Annotators do not agree on any example" and class-coverage notes: facts we report.
        warnings.simplefilter("ignore")
        out = get_label_quality_multiannotator(
            frame, pred_probs, return_detailed_quality=False, verbose=False)
    lq = out["label_quality"]
    consensus = lq["consensus_label"].to_numpy().astype(int)
    stats = out["annotator_stats"]
    table = pl.DataFrame({
        "annotator": [str(a) for a in stats.index],
        "quality": stats["annotator_quality"].to_numpy().astype(float),
        "agreement": stats["agreement_with_consensus"].to_numpy().astype(float),
        "n_items": stats["num_examples_labeled"].to_numpy().astype(np.int64),
    })
    return Consensus(
        consensus=consensus,
        quality=lq["consensus_quality_score"].to_numpy().astype(float),
        agreement=lq["annotator_agreement"].to_numpy().astype(float),
        n_annotators=lq["num_annotations"].to_numpy().astype(np.int64),
        annotators=table,
    )


#: Share of the classifier's probability spread evenly over the classes: a class the classifier
#: never learned (a label given only where annotators tie) can still win where answers favour it.
PRIOR_FLOOR = 0.01
#: Pseudo-items added to each class (row) of a confusion matrix, shaped like the annotator's
#: overall accuracy: a class an annotator rarely met falls back to how they do overall.
SHRINK_ITEMS = 2.0
#: Accuracy every annotator is given for the first posterior, before EM estimates their own.
START_ACCURACY = 0.7


def dawid_skene(votes: np.ndarray, prior: np.ndarray, *, annotators: Sequence[str],
                max_iter: int = 200, tol: float = 1e-6) -> Consensus:
    """Consensus and annotator quality for a single-choice task: Dawid-Skene, classifier prior.

    The truth of item i is a class with prior ``prior[i]`` (the classifier's out-of-sample
    probabilities); annotator j answers c when the truth is k with probability
    ``confusion_j[k, c]``, independently of the other annotators and of the classifier. EM
    alternates the posterior of every item's truth and each annotator's confusion matrix
    (expected counts, shrunk toward the annotator's overall accuracy) until the posteriors move
    less than ``tol``. Two annotators alone cannot tell who is right where they disagree; the
    classifier is the third opinion that makes their accuracies estimable, and the estimate,
    not the classifier, then settles most ties. The prior should come from a model that never
    saw the item's label, nor a label decided by breaking the very tie it is asked to settle.

    Parameters
    ----------
    votes
        ``(n, m)`` float matrix: ``votes[i, j]`` is annotator j's class index for item i, NaN
        where j did not label i. Every row and column has at least one vote.
    prior
        ``(n, K)`` classifier probabilities, rows summing to 1.
    annotators
        ``m`` annotator names, in column order.
    max_iter, tol
        EM stops after ``max_iter`` rounds or when no posterior moves more than ``tol``.

    Returns
    -------
    Consensus
        ``consensus`` is the most probable class, ``quality`` its posterior probability; an
        annotator's ``quality`` is the mean posterior probability that their answer is right.
    """
    n, m = votes.shape
    k = prior.shape[1]
    answered = ~np.isnan(votes)
    answer = np.where(answered, votes, 0).astype(int)
    log_prior = np.log((1 - PRIOR_FLOOR) * prior + PRIOR_FLOOR / k)
    start = _one_coin(START_ACCURACY, k)
    post = _posterior(log_prior, answer, answered, [start] * m)
    for _ in range(max_iter):
        confusion = [_confusion(post, answer[:, j], answered[:, j]) for j in range(m)]
        new = _posterior(log_prior, answer, answered, confusion)
        moved = float(np.abs(new - post).max())
        post = new
        if moved < tol:
            break
    consensus = post.argmax(axis=1)
    rows = np.arange(n)
    same = (answer == consensus[:, None]) & answered
    n_annotators = answered.sum(axis=1)
    right = np.where(answered, post[rows[:, None], answer], 0.0)
    n_items = answered.sum(axis=0)
    table = pl.DataFrame({
        "annotator": [str(a) for a in annotators],
        "quality": right.sum(axis=0) / n_items,
        "agreement": same.sum(axis=0) / n_items,
        "n_items": n_items.astype(np.int64),
    })
    return Consensus(consensus=consensus, quality=post[rows, consensus],
                     agreement=same.sum(axis=1) / n_annotators,
                     n_annotators=n_annotators.astype(np.int64), annotators=table)


def _one_coin(accuracy: float, k: int) -> np.ndarray:
    """``(K, K)`` confusion of an annotator right with ``accuracy``, wrong evenly otherwise."""
    out = np.full((k, k), (1.0 - accuracy) / (k - 1))
    np.fill_diagonal(out, accuracy)
    return out


def _confusion(post: np.ndarray, answer: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """One annotator's ``(K, K)`` confusion matrix from the items' posteriors (the M-step)."""
    k = post.shape[1]
    counts = post[answered].T @ np.eye(k)[answer[answered]]  # [truth, answer] expected counts
    # Clipped so that no answer becomes impossible (two "perfect" annotators may still disagree).
    accuracy = float(np.clip(np.trace(counts) / counts.sum(), 1e-3, 1 - 1e-3))
    shrunk = counts + SHRINK_ITEMS * _one_coin(accuracy, k)
    return shrunk / shrunk.sum(axis=1, keepdims=True)


def _posterior(log_prior: np.ndarray, answer: np.ndarray, answered: np.ndarray,
               confusion: Sequence[np.ndarray]) -> np.ndarray:
    """``(n, K)`` posterior of every item's truth given the answers (the E-step)."""
    log = log_prior.copy()
    for j, conf in enumerate(confusion):
        rows = answered[:, j]
        log[rows] += np.log(conf[:, answer[rows, j]].T)
    log -= log.max(axis=1, keepdims=True)
    post = np.exp(log)
    return post / post.sum(axis=1, keepdims=True)


def crowdlab_multilabel(
    votes: np.ndarray, pred_probs: np.ndarray, *, annotators: Sequence[str]
) -> Consensus:
    """Consensus and annotator quality for a multi-label task, one binary CROWDLAB per label.

    Parameters
    ----------
    votes
        ``(n, m, K)`` float array: 1.0 when annotator j gave label k to item i, 0.0 when j
        answered item i without k, NaN when j did not answer item i.
    pred_probs
        ``(n, K)`` probabilities that each label applies.
    annotators
        ``m`` annotator names.

    Returns
    -------
    Consensus
        ``consensus`` is ``(n, K)`` 0/1; ``quality`` is the lowest per-label quality of an item;
        an annotator's ``quality`` is the mean over labels and ``agreement`` the share of their
        items whose whole label set equals the consensus set.
    """
    n, m, k = votes.shape
    consensus = np.zeros((n, k), dtype=int)
    quality = np.ones(n)
    per_label_quality = np.zeros((m, k))
    for j in range(k):
        binary = np.stack([1 - pred_probs[:, j], pred_probs[:, j]], axis=1)
        result = crowdlab(votes[:, :, j], binary, annotators=annotators)
        consensus[:, j] = result.consensus
        quality = np.minimum(quality, result.quality)
        order = {name: i for i, name in enumerate(result.annotators.get_column("annotator"))}
        q = result.annotators.get_column("quality").to_numpy()
        per_label_quality[:, j] = [q[order[a]] for a in annotators]
    answered = ~np.isnan(votes[:, :, 0])
    same = np.all(np.nan_to_num(votes, nan=-1) == consensus[:, None, :], axis=2) & answered
    n_annotators = answered.sum(axis=1)
    agreement = same.sum(axis=1) / np.maximum(n_annotators, 1)
    per_annotator_items = answered.sum(axis=0)
    table = pl.DataFrame({
        "annotator": list(annotators),
        "quality": per_label_quality.mean(axis=1),
        "agreement": same.sum(axis=0) / np.maximum(per_annotator_items, 1),
        "n_items": per_annotator_items.astype(np.int64),
    })
    return Consensus(consensus, quality, agreement, n_annotators, table)
