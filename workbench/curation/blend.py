"""Calibrated linear text classifiers whose settings are chosen on the training labels alone.

Small labeled text sets (a few hundred to a few thousand posts) leave no room for a fixed
regularisation strength: the best one differs between a 7-topic news set and 3-class tweets.
:class:`TunedBlend` picks it per fit on validation scores of the training labels, calibrates
each member's scores, and averages the members' calibrated probabilities with a weight also
chosen there:

1. Validation scores for every member and every value of its setting (log probabilities of
   naive Bayes, margins of the SVM): out of fold over inner stratified K folds (3) of a training
   set under ``HOLDOUT_FROM`` labels; on one stratified held-out fifth of a larger one, where K
   folds would fit the slowest member K + 1 times per outer fold for little gain (a fifth is
   at least 2,000 labels, plenty to calibrate on).
2. Each member's raw scores are calibrated on those validation scores: by a multinomial logistic
   regression (a weight per class pair and a bias per class, as Platt scaling does for two
   classes) when there are at least ``LABELS_PER_PARAMETER`` validation labels per parameter,
   or with two classes, else by one temperature and a shrunk bias per class (K + 1
   parameters); the setting whose calibrated validation log loss is lowest is kept.
3. The blend weight (0, 0.25, ..., 1 for the first member) is the one with the lowest validation
   log loss of the averaged probabilities, so a member that does not help gets weight 0.
4. Small set: each member is refitted on all the training labels with its setting. Large set:
   the members fitted on the rest of the training labels are kept, so their scores are the
   ones their calibrators saw. Prediction is each member's raw scores through its calibrator,
   then the weighted average.

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

#: From this many training labels on, one held-out part replaces the inner folds.
HOLDOUT_FROM = 10_000

#: Share of the training labels held out for validation and calibration on a large set.
HOLDOUT_SHARE = 0.2

#: Validation labels per calibrator parameter below which one temperature replaces the
#: multinomial calibrator (the usual ten events per parameter). On K centred scores it has
#: K (K - 1) free parameters: two for two classes, as Platt scaling.
LABELS_PER_PARAMETER = 10


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


class _Temperature:
    """One temperature for every class and a bias per class, ``softmax(a * scores + b)``.

    K + 1 parameters; the biases are shrunk toward 0 (an L2 penalty of one label's weight), so
    with few labels the member's own ranking mostly stands.
    """

    def fit(self, scores: np.ndarray, y: np.ndarray, classes: np.ndarray) -> _Temperature:
        from scipy.optimize import minimize

        k = classes.size
        self.scale_ = float(scores.std()) or 1.0
        scaled = scores / self.scale_
        onehot = np.eye(k)[y]
        n = max(y.size, 1)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            a, b = theta[0], theta[1:]
            z = a * scaled + b
            z = z - z.max(axis=1, keepdims=True)
            log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            g = (np.exp(log_p) - onehot) / n
            value = float(-(onehot * log_p).sum() / n + (b @ b) / n)
            return value, np.concatenate([[(g * scaled).sum()], g.sum(axis=0) + 2 * b / n])

        start = np.concatenate([[1.0], np.zeros(k)])
        fitted = minimize(loss, start, jac=True, method="L-BFGS-B",
                          bounds=[(1e-3, 1e3)] + [(None, None)] * k)
        self.a_, self.b_ = float(fitted.x[0]), fitted.x[1:]
        return self

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        z = self.a_ * scores / self.scale_ + self.b_
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


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


@dataclass(frozen=True)
class _Validated:
    """A member's chosen grid value, its validation probabilities and calibrator.

    ``model`` is the one fitted on the last validation split: kept when that split is a
    held-out part.
    """

    loss: float
    value: float
    probs: np.ndarray
    calibrator: _Calibrator | _Temperature
    model: Any


def _log_loss(y_pos: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(y_pos.size), y_pos], 1e-6, None)).mean())


class TunedBlend:
    """Calibrated members with settings and blend weight chosen on validation scores.

    Parameters
    ----------
    members
        One or two :class:`Member`; with one, no blending (weight 1).
    seed
        Seed of the inner folds or held-out part, and of the members.
    folds
        Inner folds of a small training set, lowered to the rarest class's count; below 2, each
        member keeps the first value of its grid and is calibrated on its in-sample scores.
    holdout_from
        Training sets of at least this many labels (and two of every class) are validated on
        one held-out part of ``HOLDOUT_SHARE`` instead.

    Attributes
    ----------
    settings_, weight_
        Each member's chosen grid value, and the first member's blend weight.
    held_out_
        Whether one held-out part validated this fit (else inner folds, or nothing).
    validated_on_
        Rows of the training labels whose scores chose the settings and fitted the calibrators.
    """

    def __init__(self, members: Sequence[Member], seed: int = 0, folds: int = 3,
                 holdout_from: int = HOLDOUT_FROM) -> None:
        self.members, self.seed, self.folds = list(members), seed, folds
        self.holdout_from = holdout_from

    def fit(self, x: Any, y: np.ndarray) -> TunedBlend:
        """Choose settings and weight on validation scores of ``(x, y)``, then fit the members."""
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        pos = np.searchsorted(self.classes_, y)
        splits = self._validation_splits(pos)
        self.held_out_ = len(splits) == 1
        self.settings_: list[float] = []
        self.models_, self.calibrators_ = [], []
        self.validated_on_ = np.arange(0)
        if not splits:
            for member in self.members:
                value = member.grid[0]
                model = self._fit_member(member, value, x, pos)
                self.settings_.append(value)
                self.models_.append(model)
                # No class has two examples to validate on: calibrated on in-sample scores, by
                # the regularised multinomial calibrator; a temperature fitted in-sample would
                # grow without bound on scores that separate the training labels perfectly.
                self.calibrators_.append(_Calibrator().fit(
                    self._widen(raw_scores(model, x), model), pos, np.arange(self.classes_.size)))
            self.weight_ = 1.0  # nothing to choose a weight on: the first member alone
            return self
        scored = np.concatenate([test for _, test in splits])
        self.validated_on_ = np.sort(scored)
        validated = [self._validate(member, x, pos, splits, scored) for member in self.members]
        self.weight_ = 1.0
        if len(validated) == 2:
            probs = [v.probs for v in validated]
            losses = [_log_loss(pos[scored], w * probs[0] + (1 - w) * probs[1]) for w in WEIGHTS]
            self.weight_ = WEIGHTS[int(np.argmin(losses))]
        for member, v in zip(self.members, validated, strict=True):
            self.settings_.append(v.value)
            # A held-out part: keep the model its calibrator saw. Inner folds: refit on all the
            # labels and calibrate on the folds' scores (in-sample ones are over-confident).
            self.models_.append(v.model if self.held_out_ else
                                self._fit_member(member, v.value, x, pos))
            self.calibrators_.append(v.calibrator)
        return self

    def _validation_splits(self, pos: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Inner K folds, one stratified held-out part (large sets), or none (< 2 labels twice).

        A label given once cannot be validated on, whatever the split; it must not take the
        validation away from every other label (one typo'd label did), so K follows the rarest
        label given at least twice, and a held-out part keeps the once-given labels in training.
        """
        from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

        counts = np.bincount(pos)
        shared = counts[counts >= 2]
        if shared.size < 2:
            # Fewer than two labels given twice: some training part would hold one label only.
            return []
        once = np.flatnonzero(counts[pos] < 2)
        if pos.size >= self.holdout_from:
            holdout = StratifiedShuffleSplit(n_splits=1, test_size=HOLDOUT_SHARE,
                                             random_state=self.seed)
            if not once.size:
                return list(holdout.split(np.zeros(pos.size), pos))
            many = np.flatnonzero(counts[pos] >= 2)
            train, test = next(holdout.split(np.zeros(many.size), pos[many]))
            return [(np.sort(np.concatenate([many[train], once])), many[test])]
        k = min(self.folds, int(shared.min()))
        with warnings.catch_warnings():
            # "The least populated class has only 1 member": the once-given labels, expected.
            warnings.simplefilter("ignore", category=UserWarning)
            return list(StratifiedKFold(k, shuffle=True, random_state=self.seed).split(
                np.zeros(pos.size), pos))

    def _validate(self, member: Member, x: Any, pos: np.ndarray,
                  splits: list[tuple[np.ndarray, np.ndarray]], scored: np.ndarray) -> _Validated:
        """The member's grid value with the lowest calibrated validation log loss."""
        best: _Validated | None = None
        for value in member.grid:
            scores = np.zeros((pos.size, self.classes_.size))
            model = None
            for train, test in splits:
                model = self._fit_member(member, value, x[train], pos[train])
                scores[test] = self._widen(raw_scores(model, x[test]), model)
            calibrator = self._calibrator(scores[scored], pos[scored])
            probs = calibrator.predict_proba(scores[scored])
            loss = _log_loss(pos[scored], probs)
            if best is None or loss < best.loss:
                best = _Validated(loss, value, probs, calibrator, model)
        assert best is not None
        return best

    def _calibrator(self, scores: np.ndarray, pos: np.ndarray) -> _Calibrator | _Temperature:
        k = self.classes_.size
        # 13 verticals from 112 ads: the multinomial calibrator's 156 parameters overfit and
        # moved the argmax (README, vertical benchmark); a temperature and biases barely can.
        # Two classes keep Platt scaling: its two parameters, regularised, keep a classifier fitted
        # on a handful of labels unsure, which the live loop's pooling with the rules relies on.
        enough = k == 2 or pos.size >= LABELS_PER_PARAMETER * k * (k - 1)
        family = _Calibrator if enough else _Temperature
        return family().fit(scores, pos, np.arange(k))

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
