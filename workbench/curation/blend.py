"""Calibrated linear text classifiers whose settings are chosen on the training labels alone.

Small labeled text sets (a few hundred to a few thousand posts) leave no room for a fixed
regularisation strength: the best one differs between a 7-topic news set and 3-class tweets.
:class:`TunedBlend` picks it per fit by inner cross-validation, calibrates each member's scores,
and averages the members' calibrated probabilities with a weight also chosen there:

1. Inner stratified K folds (3) of the training labels: for every member and every value of its
   setting, out-of-fold raw scores (log probabilities of naive Bayes, margins of the SVM).
2. Each member's raw scores are calibrated by a multinomial logistic regression on those
   out-of-fold scores (temperature and bias per class, as Platt scaling does for two classes);
   the setting whose calibrated out-of-fold log loss is lowest is kept.
3. The blend weight (0, 0.25, ..., 1 for the first member) is the one with the lowest out-of-fold
   log loss of the averaged probabilities, so a member that does not help gets weight 0.
4. Each member is refitted on all the training labels with its setting; prediction is its raw
   scores through its calibrator, then the weighted average.

Every choice sees only the labels it is given (in ``curate flag``: one outer fold's training
part), so the outer out-of-fold probabilities stay honest.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Blend weights of the first member tried (the rest goes to the second).
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Member:
    """One blended model: a factory from its setting to an unfitted estimator, and the grid."""

    name: str
    make: Callable[[float, int], Any]
    grid: Sequence[float]


def raw_scores(model: Any, x: Any) -> np.ndarray:
    """``(n, K)`` uncalibrated scores: naive Bayes log probabilities or linear margins."""
    if hasattr(model, "decision_function"):
        scores = model.decision_function(x)
    else:
        scores = model.predict_log_proba(x)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:  # two classes: one margin
        scores = np.column_stack([-scores, scores])
    return scores - scores.mean(axis=1, keepdims=True)


class _Calibrator:
    """Multinomial logistic regression from a member's raw scores to probabilities."""

    def fit(self, scores: np.ndarray, y: np.ndarray, classes: np.ndarray) -> _Calibrator:
        from sklearn.linear_model import LogisticRegression

        self.scale_ = float(scores.std()) or 1.0
        self.model_ = LogisticRegression(C=1.0, max_iter=200).fit(scores / self.scale_, y)
        self.columns_ = np.searchsorted(classes, self.model_.classes_)
        self.n_classes_ = classes.size
        return self

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        out = np.zeros((scores.shape[0], self.n_classes_))
        out[:, self.columns_] = self.model_.predict_proba(scores / self.scale_)
        return out


def _log_loss(y_pos: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(y_pos.size), y_pos], 1e-6, None)).mean())


class TunedBlend:
    """Calibrated members with settings and blend weight chosen by inner cross-validation.

    Parameters
    ----------
    members
        One or two :class:`Member`; with one, no blending (weight 1).
    seed
        Seed of the inner folds and the members.
    folds
        Inner folds, lowered to the rarest class's count; below 2, each member keeps the first
        value of its grid and is calibrated on its in-sample scores.
    """

    def __init__(self, members: Sequence[Member], seed: int = 0, folds: int = 3) -> None:
        self.members, self.seed, self.folds = list(members), seed, folds

    def fit(self, x: Any, y: np.ndarray) -> TunedBlend:
        """Choose settings and weight on inner folds of ``(x, y)``, then refit on all of it."""
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        pos = np.searchsorted(self.classes_, y)
        k = min(self.folds, int(np.bincount(pos).min()))
        oof: list[np.ndarray] = []
        calibration: list[np.ndarray] = []
        self.settings_: list[float] = []
        splits = (list(StratifiedKFold(k, shuffle=True, random_state=self.seed).split(x, pos))
                  if k >= 2 else [])
        for member in self.members:
            if not splits:
                self.settings_.append(member.grid[0])
                continue
            best: tuple[float, float, np.ndarray, np.ndarray] | None = None
            for value in member.grid:
                scores = np.zeros((pos.size, self.classes_.size))
                for train, test in splits:
                    model = self._fit_member(member, value, x[train], pos[train])
                    scores[test] = self._widen(raw_scores(model, x[test]), model)
                probs = self._calibrator(scores, pos).predict_proba(scores)
                loss = _log_loss(pos, probs)
                if best is None or loss < best[0]:
                    best = (loss, value, probs, scores)
            assert best is not None
            self.settings_.append(best[1])
            oof.append(best[2])
            calibration.append(best[3])
        self.weight_ = 1.0
        if len(oof) == 2:
            losses = [_log_loss(pos, w * oof[0] + (1 - w) * oof[1]) for w in WEIGHTS]
            self.weight_ = WEIGHTS[int(np.argmin(losses))]
        self.models_, self.calibrators_ = [], []
        for j, (member, value) in enumerate(zip(self.members, self.settings_, strict=True)):
            model = self._fit_member(member, value, x, pos)
            # Calibrate on the inner out-of-fold scores (in-sample ones are over-confident);
            # without inner folds (a class with one example) on the in-sample ones.
            scores = calibration[j] if calibration else self._widen(raw_scores(model, x), model)
            self.models_.append(model)
            self.calibrators_.append(self._calibrator(scores, pos))
        return self

    def _calibrator(self, scores: np.ndarray, pos: np.ndarray) -> _Calibrator:
        return _Calibrator().fit(scores, pos, np.arange(self.classes_.size))

    def _fit_member(self, member: Member, value: float, x: Any, pos: np.ndarray) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return member.make(value, self.seed).fit(x, pos)

    def _widen(self, scores: np.ndarray, model: Any) -> np.ndarray:
        """Scores in the columns of every class (a class missing from a fold scores lowest)."""
        out = np.full((scores.shape[0], self.classes_.size), scores.min() - 1.0 if scores.size else 0.0)
        out[:, np.asarray(model.classes_, dtype=int)] = scores
        return out

    def predict_proba(self, x: Any) -> np.ndarray:
        """``(n, len(classes_))`` blended calibrated probabilities."""
        probs = [cal.predict_proba(self._widen(raw_scores(m, x), m))
                 for m, cal in zip(self.models_, self.calibrators_, strict=True)]
        if len(probs) == 1:
            return probs[0]
        return self.weight_ * probs[0] + (1 - self.weight_) * probs[1]
