"""Simulated annotators with class-dependent confusions (a simulation, seeded).

Real annotators are not uniformly noisy: each has their own accuracy, some classes are harder
than others, and a wrong answer goes to a class that looks like the right one (a travel story
labeled geography, not sports). This module draws such annotators, Dawid-Skene style, so the
consensus methods can be compared against a known gold label on real texts.

For annotator ``j`` with base accuracy ``a_j`` and an item whose gold class is ``k``: the answer is
``k`` with probability ``a_j * d_k`` (``d_k`` is the class's ease, drawn once per run in
``[1 - hardness, 1]``); otherwise it is another class ``c`` drawn with probability proportional
to ``similarity[k, c]`` (plus a small floor, so every confusion can happen).

It also holds the two reference methods the workbench's consensus is measured against
(``bench/consensus.py`` and the tests): :func:`majority_first` and :func:`plain_crowdlab`.

Examples
--------
>>> import numpy as np
>>> sim = np.ones((3, 3))
>>> votes = simulate_votes(np.array([0, 1, 2, 0]), sim, accuracies=[1.0, 1.0], seed=0, hardness=0.0)
>>> votes.tolist()
[[0, 0], [1, 1], [2, 2], [0, 0]]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

#: Share of a wrong answer's probability spread evenly over every other class.
FLOOR = 0.05


def confusion_matrices(similarity: np.ndarray, accuracies: Sequence[float], *, seed: int,
                       hardness: float = 0.15) -> np.ndarray:
    """``(m, K, K)`` row-stochastic matrices: ``[j, k, c]`` = P(annotator j answers c | gold k).

    Parameters
    ----------
    similarity
        ``(K, K)`` non-negative: how easily class k is mistaken for c (the diagonal is ignored).
    accuracies
        Base accuracy of each of the ``m`` annotators.
    seed
        Seed of the class eases.
    hardness
        The hardest class's accuracy is lowered by up to this share.
    """
    k = similarity.shape[0]
    rng = np.random.default_rng(seed)
    ease = 1.0 - hardness * rng.random(k)
    wrong = np.array(similarity, dtype=float)
    np.fill_diagonal(wrong, 0.0)
    wrong = wrong / np.maximum(wrong.sum(axis=1, keepdims=True), 1e-12)
    off = np.ones((k, k)) - np.eye(k)
    wrong = (1 - FLOOR) * wrong + FLOOR * off / max(k - 1, 1)
    out = np.zeros((len(accuracies), k, k))
    for j, acc in enumerate(accuracies):
        right = np.clip(acc * ease, 0.0, 1.0)
        out[j] = wrong * (1 - right)[:, None]
        out[j][np.arange(k), np.arange(k)] = right
    return out


def simulate_votes(gold: np.ndarray, similarity: np.ndarray, *, accuracies: Sequence[float],
                   seed: int, hardness: float = 0.15) -> np.ndarray:
    """``(n, m)`` class indices: each of ``m`` annotators' answer for each gold class index.

    Every annotator answers every item. See :func:`confusion_matrices` for the parameters.
    """
    mats = confusion_matrices(similarity, accuracies, seed=seed, hardness=hardness)
    rng = np.random.default_rng(seed + 1)
    votes = np.zeros((gold.size, len(accuracies)), dtype=int)
    for j in range(len(accuracies)):
        cum = mats[j][gold].cumsum(axis=1)
        draw = rng.random(gold.size)[:, None]
        votes[:, j] = np.minimum((draw > cum).sum(axis=1), similarity.shape[0] - 1)
    return votes


def majority_first(votes: np.ndarray, n_classes: int) -> np.ndarray:
    """Most frequent answer per row; a tie goes to the earliest annotator among the tied."""
    out = np.zeros(votes.shape[0], dtype=int)
    for i, row in enumerate(votes):
        counts = np.bincount(row, minlength=n_classes)
        best = counts.max()
        out[i] = next(v for v in row if counts[v] == best)
    return out


def plain_crowdlab(texts: list[str], votes: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """The cleanlab tutorial's path: majority labels, char TF-IDF + LR out of fold, CROWDLAB."""
    import pandas as pd
    from cleanlab.multiannotator import get_label_quality_multiannotator, get_majority_vote_label
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    frame = pd.DataFrame(votes.astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = get_majority_vote_label(frame)
        x = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
        probs = cross_val_predict(LogisticRegression(max_iter=1000), x, labels, method="predict_proba",
                                  cv=StratifiedKFold(5, shuffle=True, random_state=seed))
        out = get_label_quality_multiannotator(frame, probs, verbose=False)
    return out["label_quality"]["consensus_label"].to_numpy().astype(int)
