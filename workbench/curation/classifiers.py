"""Text classifiers by name, and the K-fold out-of-fold probabilities cleanlab needs.

A classifier is a featurizer (texts -> sparse matrix, fitted without labels) plus a model
factory (a scikit-learn classifier with ``predict_proba``). The featurizer is fitted once on
every text of the run, labeled or not: it never sees a label, so sharing it between folds leaks
nothing, and it is the slow half (character n-grams of 46,000 posts), so it is worth sharing.

The baseline, ``tfidf_lr``, is character n-gram TF-IDF (``char_wb``, 2..4) + logistic regression:
it needs no Amharic tokenizer (the default for multi-label tasks). ``tfidf_nb_svm``, the
single-choice default, blends naive Bayes and a linear SVM with settings chosen on the training
labels (:mod:`workbench.curation.blend`). ``word_char_lr`` adds word uni/bigrams to longer
character n-grams; ``embed_lr`` classifies the vectors of a local encoder (``curation.flag.encoder``, see
:mod:`workbench.curation.encoders`). ``auto`` is not an entry but a choice among them, per task,
by out-of-fold log loss (:func:`choose_by_log_loss`).

Examples
--------
>>> get_classifier("tfidf_lr").name
'tfidf_lr'
>>> get_classifier("tfidf_rl")
Traceback (most recent call last):
...
workbench.core.errors.ConfigError: unknown classifier 'tfidf_rl' (did you mean 'tfidf_lr'?); available: tfidf_lr, tfidf_nb, tfidf_sgd, tfidf_nb_cal, tfidf_nb_svm, word_char_lr, embed_lr, auto
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from workbench.core.errors import ConfigError
from workbench.core.progress import bars_disabled

if TYPE_CHECKING:
    from scipy.sparse import spmatrix


@dataclass(frozen=True)
class ClassifierSpec:
    """A named classifier.

    Attributes
    ----------
    name
        Registry name (``flag.classifier`` in the config, ``--classifier`` on the CLI).
    description
        One line shown in listings.
    featurizer
        Builds an unfitted transformer: ``fit_transform(texts) -> (n, d)`` sparse matrix.
    model
        Builds an unfitted classifier for a seed; it must have ``predict_proba``.
    """

    name: str
    description: str
    featurizer: Callable[[], Any]
    model: Callable[[int], Any]


def _char_tfidf() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # char_wb keeps n-grams inside words (padded by spaces): Ge'ez syllables carry the
    # morphology, so no tokenizer is needed. min_df=2 drops hapax n-grams (typos, numbers).
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True,
                           dtype=np.float32)


def _word_char_tfidf() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    # Whole words carry the topic (a brand, a place, a verb form seen before); character
    # n-grams up to 5 carry the morphology the words' many forms share. Ethiopic letters are
    # \w, so the default token pattern splits on spaces and Ethiopic punctuation.
    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                 dtype=np.float32)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                 sublinear_tf=True, dtype=np.float32)),
    ])


def _encoder_missing() -> Any:
    msg = ("classifier 'embed_lr' needs a local encoder: set curation.flag.encoder (or --encoder) "
           "to a sentence-transformers or Hugging Face model folder")
    raise ConfigError(msg)


def _logreg(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=100, tol=1e-3, random_state=seed)


def _complement_nb(seed: int) -> Any:  # deterministic: the seed is unused, same signature
    from sklearn.naive_bayes import ComplementNB

    return ComplementNB(alpha=0.3)


class CalibratedNB:
    """Complement naive Bayes with sigmoid-calibrated probabilities (inner stratified CV).

    Naive Bayes ranks well on short texts (the most accurate entry on the real topic set) but its
    probabilities are far too sure, which cleanlab and ``auto``'s log loss read; Platt scaling on
    inner folds fixes the probabilities and keeps the ranking. With fewer than two examples of
    some class, inner folds are impossible and the plain model is used for that fit.
    """

    def __init__(self, seed: int = 0, folds: int = 3, alpha: float = 0.3) -> None:
        self.seed, self.folds, self.alpha = seed, folds, alpha

    def fit(self, x: Any, y: np.ndarray) -> CalibratedNB:
        """Fit NB and its calibration on ``(x, y)``."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.naive_bayes import ComplementNB

        k = min(self.folds, int(np.bincount(y)[np.unique(y)].min()))
        nb = ComplementNB(alpha=self.alpha)
        self.model_ = nb if k < 2 else CalibratedClassifierCV(
            nb, method="sigmoid", cv=StratifiedKFold(k, shuffle=True, random_state=self.seed))
        self.model_.fit(x, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, x: Any) -> np.ndarray:
        """``(n, len(classes_))`` calibrated probabilities."""
        return self.model_.predict_proba(x)


def _calibrated_nb(seed: int) -> Any:
    return CalibratedNB(seed)


def _nb_svm_blend(seed: int) -> Any:
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    from workbench.curation.blend import Member, TunedBlend

    # Naive Bayes wants less smoothing on the topic set than on tweets (README): chosen per fit.
    # One SVM strength: each value costs more SVM fits per outer fold. The dual solver: the same
    # optimum, and 2x faster than the primal one scikit-learn picks when posts outnumber
    # n-grams (measured on 46,000 generated posts).
    return TunedBlend([
        Member("complement_nb", lambda alpha, _seed: ComplementNB(alpha=alpha), NB_ALPHAS),
        Member("linear_svm", lambda c, s: LinearSVC(C=c, dual=True, random_state=s), (0.1,)),
    ], seed=seed)


#: Smoothing values ``tfidf_nb_svm`` chooses among (inner CV), per fit.
NB_ALPHAS = (0.03, 0.1, 0.3, 1.0)


def _sgd(seed: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=2e-5, max_iter=30, tol=1e-4, random_state=seed)


REGISTRY: dict[str, ClassifierSpec] = {
    spec.name: spec
    for spec in (
        ClassifierSpec("tfidf_lr", "char_wb(2,4) TF-IDF + logistic regression (default, multi-label)",
                       _char_tfidf, _logreg),
        ClassifierSpec("tfidf_nb", "char_wb(2,4) TF-IDF + complement naive Bayes (fastest)",
                       _char_tfidf, _complement_nb),
        ClassifierSpec("tfidf_sgd", "char_wb(2,4) TF-IDF + SGD logistic loss",
                       _char_tfidf, _sgd),
        ClassifierSpec("tfidf_nb_cal", "char_wb(2,4) TF-IDF + complement naive Bayes, "
                       "sigmoid-calibrated", _char_tfidf, _calibrated_nb),
        ClassifierSpec("tfidf_nb_svm", "char_wb(2,4) TF-IDF: complement naive Bayes + linear SVM, "
                       "calibrated, smoothing and blend weight by validation (default, single choice)", _char_tfidf,
                       _nb_svm_blend),
        ClassifierSpec("word_char_lr", "word(1,2) + char_wb(2,5) TF-IDF + logistic regression",
                       _word_char_tfidf, _logreg),
        ClassifierSpec("embed_lr", "local encoder vectors (curation.flag.encoder) + logistic "
                       "regression", _encoder_missing, _logreg),
    )
}

#: Not a registry entry: ``flag`` picks one per task by out-of-fold log loss.
AUTO = "auto"


def get_classifier(name: str, *, encoder: Path | str | None = None) -> ClassifierSpec:
    """The classifier registered as ``name``; a did-you-mean ConfigError otherwise.

    ``encoder`` is the local model folder of ``embed_lr`` (ignored by the others).
    """
    if name in REGISTRY:
        spec = REGISTRY[name]
        if name == "embed_lr" and encoder is not None:
            from workbench.curation.encoders import LocalEncoder

            LocalEncoder(encoder)  # a wrong folder fails here, before any data is read
            return replace(spec, featurizer=partial(LocalEncoder, encoder))
        return spec
    names = [*REGISTRY, AUTO]
    hint = difflib.get_close_matches(name, names, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"unknown classifier '{name}'{did}; available: {', '.join(names)}"
    raise ConfigError(msg)


def auto_candidates(encoder: Path | str | None = None) -> list[ClassifierSpec]:
    """The entries ``auto`` compares: every registry entry, ``embed_lr`` only with an encoder."""
    return [get_classifier(n, encoder=encoder) for n in REGISTRY
            if n != "embed_lr" or encoder is not None]


def specs_for(name: str, encoder: Path | str | None = None) -> list[ClassifierSpec]:
    """The candidates of one setting value: every ``auto`` candidate, else the one entry."""
    return auto_candidates(encoder) if name == AUTO else [get_classifier(name, encoder=encoder)]


def check_names(names: Sequence[str], encoder: Path | str | None = None) -> None:
    """Fail (one-line ConfigError naming the entry) on an unknown name, before any data is read."""
    for name in names:
        if name != AUTO:
            get_classifier(name, encoder=encoder)


def log_loss_of(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean negative log probability of the given labels: ``(n,)`` ints or ``(n, K)`` 0/1.

    A 0/1 matrix (multi-label) is scored as the mean binary log loss over its labels.
    """
    p = np.clip(probs, 1e-6, 1 - 1e-6)
    if y.ndim == 2:
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    return float(-np.log(p[np.arange(y.size), y]).mean())


def featurize(texts: Sequence[str], spec: ClassifierSpec) -> spmatrix:
    """Fit the featurizer on ``texts`` and return the ``(n, d)`` feature matrix."""
    return spec.featurizer().fit_transform(texts)


def _proba_full(model: Any, x: spmatrix, n_classes: int) -> np.ndarray:
    """``predict_proba`` widened to all ``n_classes`` columns (a fold may miss a rare class)."""
    proba = model.predict_proba(x)
    full = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    full[:, np.asarray(model.classes_, dtype=int)] = proba
    return full


def fit_predict(spec: ClassifierSpec, seed: int, x_train: spmatrix, y_train: np.ndarray,
                x_pred: spmatrix, n_classes: int) -> np.ndarray:
    """Fit ``spec``'s model on one training set; ``(m, n_classes)`` probabilities of ``x_pred``."""
    if np.unique(y_train).size < 2:
        # One class in this fold's training data: the only honest prediction is that class.
        out = np.zeros((x_pred.shape[0], n_classes))
        out[:, int(y_train[0])] = 1.0
        return out
    from threadpoolctl import threadpool_limits

    model = spec.model(seed)
    # One BLAS thread: these problems are small, and OpenBLAS threads busy-waiting on a shared
    # 2-core machine made lbfgs 4-8x slower (measured); folds run in parallel instead.
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", category=UserWarning)
        model.fit(x_train, y_train)
        return _proba_full(model, x_pred, n_classes)


def out_of_fold_probs(
    x: spmatrix,
    y: np.ndarray,
    *,
    spec: ClassifierSpec,
    n_classes: int,
    folds: int = 5,
    seed: int = 0,
    x_unlabeled: spmatrix | None = None,
    n_jobs: int = 1,
    repeats: int = 1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """K-fold out-of-fold class probabilities for labeled items, and fold-averaged ones for the rest.

    Parameters
    ----------
    x
        ``(n, d)`` features of the labeled items.
    y
        ``(n,)`` integer labels in ``0..n_classes-1``.
    spec
        The classifier.
    n_classes
        K, the number of classes (columns of the output).
    folds
        Number of folds; lowered to the size of the rarest class when that is smaller (never
        below 2), so every fold keeps a member of every class that has two.
    seed
        Seed of the stratified fold assignment and of the model.
    x_unlabeled
        ``(u, d)`` features of items without a label; each fold's model predicts them and the
        K predictions are averaged (no extra fit on all the data).
    n_jobs
        Folds fitted in parallel processes.
    repeats
        Times the K folds are drawn, with fold (and model) seeds ``seed``, ``seed + 1``, ...;
        each item's probabilities are the mean of its ``repeats`` out-of-fold predictions, and
        ``x_unlabeled``'s the mean over all ``K * repeats`` models. One draw's probabilities
        depend on which items share a fold; the mean is steadier (README, flag operating points).

    Returns
    -------
    tuple
        ``(n, K)`` out-of-fold probabilities (rows sum to 1; each row comes from models that never
        saw that item) and ``(u, K)`` probabilities for ``x_unlabeled`` (None without it).
    """
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=int)
    if repeats < 1:
        msg = f"repeats must be at least 1, got {repeats}"
        raise ValueError(msg)
    k = fold_count(y, n_classes, folds)
    if y.size < k:
        msg = f"{y.size} labeled items cannot be split into {k} folds"
        raise ValueError(msg)
    splits = []  # (seed of the draw, train rows, test rows)
    with warnings.catch_warnings():
        # "The least populated class has only 1 member": expected for rare labels, handled below.
        warnings.simplefilter("ignore", category=UserWarning)
        for draw_seed in range(seed, seed + repeats):
            splits += [(draw_seed, train, test) for train, test in StratifiedKFold(
                n_splits=k, shuffle=True, random_state=draw_seed).split(np.zeros(y.size), y)]
    n_unlab = 0 if x_unlabeled is None else x_unlabeled.shape[0]
    # Each fit's inputs are sliced when it runs, not all up front: with 10 draws a list of jobs
    # held 50 training slices and 50 copies of the unlabeled texts at once (9,480 tweets: peak
    # 938 MB against 450 MB for one draw).
    jobs = (delayed(fit_predict)(spec, draw_seed, x[train_idx], y[train_idx],
                                 x[test_idx] if not n_unlab else _stack(x[test_idx], x_unlabeled),
                                 n_classes)
            for draw_seed, train_idx, test_idx in splits)
    # One fit's predictions at a time (a generator): with many draws and many unlabeled texts,
    # holding every fit's predictions at once would take K * repeats times the output's memory.
    if n_jobs > 1:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    else:
        results = (fn(*args, **kwargs) for fn, args, kwargs in
                   tqdm(jobs, desc="folds", unit="fold", total=len(splits),
                        disable=bars_disabled(), leave=False))
    oof = np.zeros((y.size, n_classes))
    unlabeled = np.zeros((n_unlab, n_classes)) if n_unlab else None
    for (_, _, test_idx), proba in zip(splits, results, strict=True):
        # Every draw predicts every item once: the sum over draws / repeats is the mean.
        oof[test_idx] += proba[: test_idx.size] / repeats
        if unlabeled is not None:
            unlabeled += proba[test_idx.size:] / len(splits)
    return _renormalise(oof), None if unlabeled is None else _renormalise(unlabeled)


def fold_count(y: np.ndarray, n_classes: int, folds: int) -> int:
    """The K :func:`out_of_fold_probs` uses: ``folds``, lowered to the rarest label's count (>= 2).

    A label given once is left out of that count: no K lets a model train on it and predict it
    unseen, and lowering K for it took every other label's folds down too (one typo'd label in
    SIB-200 took K from 5 to 2 and more than doubled the flags).

    Examples
    --------
    >>> fold_count(np.array([0, 0, 0, 1, 1, 1]), 2, 5), fold_count(np.arange(12) % 2, 2, 5)
    (3, 5)
    >>> fold_count(np.array([0] * 6 + [1] * 6 + [2]), 3, 5)  # label 2 given once
    5
    """
    counts = np.bincount(np.asarray(y, dtype=int), minlength=n_classes)
    shared = counts[counts >= 2]
    return int(max(2, min(folds, shared.min()))) if shared.size else 2


def _stack(a: Any, b: Any) -> Any:
    """Rows of ``a`` then ``b``: sparse TF-IDF matrices or dense encoder vectors."""
    from scipy.sparse import issparse, vstack

    return vstack([a, b], format="csr") if issparse(a) else np.vstack([a, b])


def _renormalise(p: np.ndarray) -> np.ndarray:
    # cleanlab requires rows that sum to 1 and dislikes exact zeros in log-based scores.
    p = np.clip(p, 1e-6, None)
    return p / p.sum(axis=1, keepdims=True)


def out_of_fold_multilabel(
    x: spmatrix,
    y: np.ndarray,
    *,
    spec: ClassifierSpec,
    folds: int = 5,
    seed: int = 0,
    x_unlabeled: spmatrix | None = None,
    n_jobs: int = 1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Out-of-fold probabilities of each label of a multi-label task, one binary model per label.

    Parameters
    ----------
    x
        ``(n, d)`` features of the labeled items.
    y
        ``(n, K)`` 0/1 matrix: ``y[i, k] = 1`` when item i has label k.
    spec, folds, seed, x_unlabeled, n_jobs
        As in :func:`out_of_fold_probs`.

    Returns
    -------
    tuple
        ``(n, K)`` probabilities that each label applies (columns do not sum to 1) and
        ``(u, K)`` for ``x_unlabeled`` (None without it).
    """
    y = np.asarray(y, dtype=int)
    n_labels = y.shape[1]
    oof = np.zeros(y.shape)
    unlabeled = None if x_unlabeled is None else np.zeros((x_unlabeled.shape[0], n_labels))
    for k in range(n_labels):
        col = y[:, k]
        if col.min() == col.max():
            # Nobody ever (or always) chose this label: no model can learn it; keep the prior.
            oof[:, k] = col[0]
            if unlabeled is not None:
                unlabeled[:, k] = col[0]
            continue
        p, pu = out_of_fold_probs(x, col, spec=spec, n_classes=2, folds=folds, seed=seed,
                                  x_unlabeled=x_unlabeled, n_jobs=n_jobs)
        oof[:, k] = p[:, 1]
        if unlabeled is not None and pu is not None:
            unlabeled[:, k] = pu[:, 1]
    return np.clip(oof, 1e-6, 1 - 1e-6), None if unlabeled is None else np.clip(
        unlabeled, 1e-6, 1 - 1e-6)
