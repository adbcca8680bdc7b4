"""Consensus labels and annotator quality with CROWDLAB (cleanlab's multi-annotator method).

CROWDLAB weighs each annotator's votes by how often they agree with others and with the
classifier, so a careful annotator outvotes a careless one and the consensus beats a plain
majority vote. Multi-label tasks are handled one label at a time (a binary CROWDLAB per label);
the consensus set is the labels whose binary consensus is "present".

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
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Consensus:
    """CROWDLAB output for one task.

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
