"""Single-choice items whose annotators tie, and classifier probabilities that never learned a tie.

Where two annotators disagree, the consensus (:func:`workbench.curation.multiannotator.dawid_skene`)
needs a third opinion, the classifier's, to estimate which annotator to trust. That opinion is
only independent of the tie if the classifier never trained on a label picked by breaking it, so
:func:`probs_without_ties` trains on the untied items and predicts the tied ones as unseen texts.

Examples
--------
>>> tied_items([[("a", ["x"]), ("b", ["y"])], [("a", ["x"]), ("b", ["x"])]], [None, None]).tolist()
[True, False]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from workbench.curation.classifiers import ClassifierSpec, out_of_fold_probs

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

Votes = Sequence[Sequence[tuple[str, Sequence[str]]]]


def tied_items(votes: Votes, adjudicated: Sequence[object | None]) -> np.ndarray:
    """``(n,)`` items, not adjudicated, where two or more labels share the most votes."""
    return np.array([adj is None and _tied(vs) for vs, adj in zip(votes, adjudicated, strict=True)],
                    dtype=bool)


def break_ties_toward_rare(y: np.ndarray, votes: Votes, tied: np.ndarray,
                           index: dict[str, int]) -> np.ndarray:
    """``y`` with every ``tied`` item given its least frequent tied label.

    Frequency is counted over every answer to the task; equal frequencies go to the label
    declared first (lowest ``index``).
    """
    freq = Counter(v[0] for vs in votes for _, v in vs if v)
    out = y.copy()
    for i in np.flatnonzero(tied):
        counts = Counter(v[0] for _, v in votes[i] if v)
        top = max(counts.values())
        labels = [lab for lab in counts if counts[lab] == top]
        out[i] = index[min(labels, key=lambda lab: (freq[lab], index[lab]))]
    return out


def probs_without_ties(
    x_items: spmatrix, y: np.ndarray, tied: np.ndarray, x_other: spmatrix | None, *,
    spec: ClassifierSpec, n_classes: int, folds: int, seed: int, n_jobs: int, repeats: int = 1,
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Out-of-fold probabilities of the items and of ``x_other``, trained on untied items only.

    Untied items get K-fold out-of-fold probabilities; tied items and ``x_other`` are predicted
    by every fold's model, averaged (over ``repeats`` draws of the folds, as
    :func:`~workbench.curation.classifiers.out_of_fold_probs` does). None where there are no
    ties, or too few untied items to train (fewer than ``folds``, or a single class).
    """
    untied = ~tied
    n_tied = int(tied.sum())
    if not n_tied or untied.sum() < folds or np.unique(y[untied]).size < 2:
        return None
    rest = x_items[tied] if x_other is None else _stack_rows(x_items[tied], x_other)
    probs_untied, probs_rest = out_of_fold_probs(
        x_items[untied], y[untied], spec=spec, n_classes=n_classes, folds=folds, seed=seed,
        x_unlabeled=rest, n_jobs=n_jobs, repeats=repeats)
    probs_rest = np.asarray(probs_rest)
    probs = np.zeros((y.size, n_classes))
    probs[untied] = probs_untied
    probs[tied] = probs_rest[:n_tied]
    return probs, None if x_other is None else probs_rest[n_tied:]


def _tied(votes: Sequence[tuple[str, Sequence[str]]]) -> bool:
    """Whether two or more labels share the most votes of a single-choice item."""
    counts = Counter(v[0] for _, v in votes if v).most_common(2)
    return len(counts) == 2 and counts[0][1] == counts[1][1]


def _stack_rows(a: spmatrix, b: spmatrix) -> spmatrix:
    """Rows of ``a`` then ``b``: sparse TF-IDF matrices or dense encoder vectors."""
    import scipy.sparse as sp

    return sp.vstack([a, b], format="csr") if sp.issparse(a) else np.vstack([a, b])
