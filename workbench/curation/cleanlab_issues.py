"""cleanlab's label-issue filters and label quality scores, as curation calls them.

One place for the library's calls and their quirks (warnings a user cannot act on; a label given
to one item only), used by ``curate flag``, its self-check and the flag benchmark.
"""

from __future__ import annotations

import warnings

import numpy as np


def cleanlab_single(labels: np.ndarray, probs: np.ndarray, filter_by: str) -> tuple[np.ndarray, np.ndarray]:
    """Cleanlab's issue mask and label quality of single-label ``labels`` under ``probs``."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    if np.unique(labels).size < 2:
        # Every label is one class (a consensus can collapse to it): nothing to contradict.
        return np.zeros(labels.size, dtype=bool), probs[np.arange(labels.size), labels]
    counts = np.bincount(labels, minlength=probs.shape[1])
    once = counts[labels] < 2
    if once.any() and np.unique(labels[~once]).size >= 2:
        return _cleanlab_without_once(labels, probs, once, filter_by)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = find_label_issues(labels, probs, filter_by=filter_by, n_jobs=1)
        quality = get_label_quality_scores(labels, probs)
    return np.asarray(mask, dtype=bool), np.asarray(quality, dtype=float)


def _cleanlab_without_once(labels: np.ndarray, probs: np.ndarray, once: np.ndarray,
                           filter_by: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cleanlab_single` where some labels were given to one item only (often a typo).

    Cleanlab estimates a threshold per label from its items' probabilities; for a label no
    fold could learn that is ~0, and its noise estimates then mark everything: one typo'd label
    in SIB-200 took the flags from 83 to 234. The other items are assessed without that label's
    column; a once-given item is flagged where the classifier puts another label first.
    """
    from cleanlab.rank import get_label_quality_scores

    counts = np.bincount(labels, minlength=probs.shape[1])
    columns = np.flatnonzero(counts >= 2)
    column_of = np.full(probs.shape[1], -1)
    column_of[columns] = np.arange(columns.size)
    rest = np.flatnonzero(~once)
    sub = probs[np.ix_(rest, columns)]
    mask = np.zeros(labels.size, dtype=bool)
    mask[rest], _ = cleanlab_single(column_of[labels[rest]], sub / sub.sum(axis=1, keepdims=True),
                                    filter_by)
    mask[once] = probs[once].argmax(axis=1) != labels[once]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quality = get_label_quality_scores(labels, probs)
    return mask, np.asarray(quality, dtype=float)


def cleanlab_multi(labels: list[list[int]], probs: np.ndarray,
                   filter_by: str) -> tuple[np.ndarray, np.ndarray]:
    """Cleanlab's issue mask and label quality of multi-label ``labels`` under ``probs``.

    ``labels`` holds each item's label indices; ``probs`` one column per label, each the
    probability that the label applies.
    """
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mask = find_label_issues(labels, probs, filter_by=filter_by, n_jobs=1)
        quality = get_label_quality_scores(labels, probs)
    return np.asarray(mask, dtype=bool), np.asarray(quality, dtype=float)
