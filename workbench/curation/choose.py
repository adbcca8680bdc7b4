"""``--classifier auto``: pick, per task, the registry entry whose out-of-fold log loss is lowest.

Log loss, not accuracy: cleanlab reads the probabilities, so the classifier whose probabilities
are best calibrated on the user's own labels is the one whose flags and uncertainty order can be
trusted most. Each candidate is scored on the same stratified folds (same seed) over the labels
the task trains with; featurizers are fitted once per run and shared between tasks (they never
see a label).

Examples
--------
>>> c = Choice("sentiment", "word_char_lr", {"tfidf_lr": 0.91, "word_char_lr": 0.87})
>>> c.line()
'sentiment: auto picked word_char_lr (out-of-fold log loss word_char_lr 0.870, tfidf_lr 0.910)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.curation.classifiers import (
    ClassifierSpec,
    featurize,
    log_loss_of,
    out_of_fold_multilabel,
    out_of_fold_probs,
)


@dataclass(frozen=True)
class Choice:
    """Which classifier ``auto`` picked for a task, and every candidate's out-of-fold log loss."""

    task: str
    picked: str
    log_loss: dict[str, float]

    def line(self) -> str:
        """One line: the pick and the table of log losses, best first."""
        table = ", ".join(f"{n} {v:.3f}" for n, v in sorted(self.log_loss.items(),
                                                            key=lambda kv: kv[1]))
        return f"{self.task}: auto picked {self.picked} (out-of-fold log loss {table})"


def featurize_all(texts: Sequence[str], specs: Sequence[ClassifierSpec]) -> dict[str, Any]:
    """Each candidate's feature matrix; entries sharing a featurizer share one fit."""
    cache: dict[Any, Any] = {}
    out = {}
    for spec in specs:
        key = spec.featurizer
        if key not in cache:
            cache[key] = featurize(texts, spec)
        out[spec.name] = cache[key]
    return out


def choose(
    specs: Sequence[ClassifierSpec],
    features: dict[str, Any],
    y: np.ndarray,
    *,
    task: str,
    n_classes: int,
    folds: int,
    seed: int,
    n_jobs: int = 1,
) -> Choice:
    """Score every candidate on ``y`` out of fold and pick the lowest log loss.

    Parameters
    ----------
    specs
        Candidates (:func:`~workbench.curation.classifiers.auto_candidates`).
    features
        Candidate name -> ``(n, d)`` features of the labeled items, aligned with ``y``.
    y
        ``(n,)`` class indices (single choice) or ``(n, K)`` 0/1 matrix (multi-label).
    task, n_classes, folds, seed, n_jobs
        The task's name; as in :func:`~workbench.curation.classifiers.out_of_fold_probs`.

    Returns
    -------
    Choice
        The pick (ties go to the earlier registry entry) and the table of log losses.
    """
    losses: dict[str, float] = {}
    for spec in specs:
        x = features[spec.name]
        if y.ndim == 2:
            probs, _ = out_of_fold_multilabel(x, y, spec=spec, folds=folds, seed=seed,
                                              n_jobs=n_jobs)
        else:
            probs, _ = out_of_fold_probs(x, y, spec=spec, n_classes=n_classes, folds=folds,
                                         seed=seed, n_jobs=n_jobs)
        losses[spec.name] = round(log_loss_of(y, probs), 4)
    picked = min(losses, key=lambda n: (losses[n], list(losses).index(n)))
    return Choice(task, picked, losses)
