"""Classifier contenders tried for issue #16 and not registered, beside the registered ones.

Usage::

    .venv/bin/python bench/contenders.py --sib200 /path/to/sib200-amh [--afrisenti /path/to/afrisenti-amh]

The same stratified 5 folds (seed 7) and ``text_norm`` as ``bench/curation.py --compare``:
5-fold out-of-fold accuracy and log loss on the labels as given, and the wall time of the five
fits. Each contender is named by what it is; the README says why none was kept.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.curation import load_real, text_norm_of  # noqa: E402


def nb_weighted_lr(c: float = 4.0, alpha: float = 1.0) -> Any:
    """NBSVM-style: per class, features scaled by the NB log-count ratio, then binary LR (OvR)."""
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LogisticRegression

    class NBWeightedLR(ClassifierMixin, BaseEstimator):
        """One-vs-rest LR over NB-ratio-scaled features; softmax over the margins."""

        def __init__(self, c: float = 4.0, alpha: float = 1.0) -> None:
            self.c, self.alpha = c, alpha

        def fit(self, x: Any, y: np.ndarray) -> NBWeightedLR:
            """Per class: the log-count ratio of binarised features, then LR on scaled rows."""
            self.classes_ = np.unique(y)
            binary = x.copy()
            binary.data[:] = 1
            self.ratios_, self.models_ = [], []
            for k in self.classes_:
                pos = np.asarray(binary[y == k].sum(0)).ravel() + self.alpha
                neg = np.asarray(binary[y != k].sum(0)).ravel() + self.alpha
                r = np.log((pos / pos.sum()) / (neg / neg.sum()))
                self.ratios_.append(r)
                self.models_.append(LogisticRegression(C=self.c, max_iter=200, tol=1e-3).fit(
                    x.multiply(r).tocsr(), (y == k).astype(int)))
            return self

        def decision_function(self, x: Any) -> np.ndarray:
            """``(n, K)`` one-vs-rest margins."""
            return np.column_stack([m.decision_function(x.multiply(r).tocsr())
                                    for m, r in zip(self.models_, self.ratios_, strict=True)])

        def predict_proba(self, x: Any) -> np.ndarray:
            """Softmax of the margins."""
            d = self.decision_function(x)
            e = np.exp(d - d.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

    return NBWeightedLR(c, alpha)


def _calibrated(make: Any, seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold

    return CalibratedClassifierCV(make(), method="sigmoid",
                                  cv=StratifiedKFold(3, shuffle=True, random_state=seed))


def contenders(seed: int) -> dict[str, tuple[Any, str]]:
    """Name -> (model factory, feature set: ``char`` char_wb 2-4 or ``word_char`` word 1-2 + char_wb 1-5)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from workbench.curation.classifiers import REGISTRY, CalibratedNB

    # Rows named with a leading "_" are parts of the soft vote, not printed.
    return {
        "_nb": (lambda: REGISTRY["tfidf_nb_cal"].model(seed), "char"),
        "_svm": (lambda: _calibrated(lambda: LinearSVC(C=0.1), seed), "char"),
        "tfidf_lr (baseline)": (lambda: REGISTRY["tfidf_lr"].model(seed), "char"),
        "tfidf_nb_cal (previous default)": (lambda: REGISTRY["tfidf_nb_cal"].model(seed), "char"),
        "tfidf_nb_svm (default)": (lambda: REGISTRY["tfidf_nb_svm"].model(seed), "char"),
        "NB-weighted LR (NBSVM-style)": (nb_weighted_lr, "char"),
        "NB-weighted LR, calibrated": (lambda: _calibrated(nb_weighted_lr, seed), "char"),
        "word 1-2 + char_wb 1-5 sublinear, LR C 16": (
            lambda: LogisticRegression(C=16.0, max_iter=200, tol=1e-3), "word_char"),
        "calibrated linear SVM C 0.1": (lambda: _calibrated(lambda: LinearSVC(C=0.1), seed), "char"),
        "calibrated NB, smoothing 0.1": (lambda: CalibratedNB(seed, alpha=0.1), "char"),
        "soft vote: calibrated NB + calibrated SVM": ("vote", "char"),
        "calibrated NB on word + char": (lambda: CalibratedNB(seed), "word_char"),
        "tfidf_nb_svm on word + char": (lambda: REGISTRY["tfidf_nb_svm"].model(seed), "word_char"),
    }


def _word_char() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 dtype=np.float32)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), min_df=2,
                                 sublinear_tf=True, dtype=np.float32))])


def run(name: str, path: Path, seed: int) -> None:
    from sklearn.model_selection import StratifiedKFold

    from workbench.curation.classifiers import REGISTRY, log_loss_of

    texts, labels = load_real(name, path)
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    corpus = text_norm_of(texts)
    features = {"char": REGISTRY["tfidf_lr"].featurizer().fit_transform(corpus),
                "word_char": _word_char().fit_transform(corpus)}
    splits = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(np.zeros(y.size), y))
    probs: dict[str, np.ndarray] = {}
    for label, (make, feats) in contenders(seed).items():
        t0 = time.perf_counter()
        if make == "vote":
            p = (probs["_nb"] + probs["_svm"]) / 2
        else:
            x = features[feats]
            p = np.zeros((y.size, len(classes)))
            for train, test in splits:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = make().fit(x[train], y[train])
                p[np.ix_(test, np.asarray(model.classes_, dtype=int))] = model.predict_proba(x[test])
            p = np.clip(p, 1e-6, None)
            p /= p.sum(axis=1, keepdims=True)
        probs[label] = p
        if not label.startswith("_"):
            print(f"{name:<9} {label:<44} accuracy {(p.argmax(1) == y).mean():.3f}  "
                  f"log loss {log_loss_of(y, p):.3f}  ({time.perf_counter() - t0:.1f} s)",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sib200", type=Path, default=None)
    parser.add_argument("--afrisenti", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for name, path in (("sib200", args.sib200), ("afrisenti", args.afrisenti)):
        if path is not None:
            run(name, path, args.seed)


if __name__ == "__main__":
    main()
