"""Registry entries fit, give probabilities, repeat with their seed; the tuned NB + SVM blend."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from synthetic.corpus import make_corpus
from workbench.core.settings.curation import DEFAULT_CLASSIFIERS
from workbench.curation.blend import HOLDOUT_SHARE, WEIGHTS, Member, TunedBlend
from workbench.curation.classifiers import (
    NB_ALPHAS,
    REGISTRY,
    auto_candidates,
    log_loss_of,
    out_of_fold_probs,
)


@pytest.fixture(scope="module")
def verticals():
    corpus = make_corpus(500, seed=21, difficulty=0.3)
    ads = corpus.truth.filter(pl.col("vertical").is_not_null())
    texts = corpus.messages.join(ads.select("uid"), on="uid").get_column("text").to_list()
    classes = sorted(set(ads.get_column("vertical").to_list()))
    y = np.array([classes.index(v) for v in ads.get_column("vertical").to_list()])
    return texts, y, len(classes)


@pytest.mark.parametrize("name", [n for n in REGISTRY if n != "embed_lr"])
def test_every_entry_fits_sums_to_one_and_repeats_with_its_seed(name: str, verticals) -> None:
    texts, y, k = verticals
    spec = REGISTRY[name]
    x = spec.featurizer().fit_transform(texts)
    first, _ = out_of_fold_probs(x, y, spec=spec, n_classes=k, folds=3, seed=4)
    again, _ = out_of_fold_probs(x, y, spec=spec, n_classes=k, folds=3, seed=4)
    assert first.shape == (y.size, k)
    assert np.allclose(first.sum(axis=1), 1.0)
    assert np.array_equal(first, again)
    # Chance is about 1/k (~0.1) on these verticals: every entry must learn far beyond it.
    assert (first.argmax(axis=1) == y).mean() > 0.5, name


def test_the_blend_is_the_single_choice_default_and_an_auto_candidate() -> None:
    # The most accurate entry with the best log loss on both real sets (README); its held-out
    # validation on large sets keeps the 46,000-post flag under a minute.
    assert DEFAULT_CLASSIFIERS == {"single": "tfidf_nb_svm", "multi": "tfidf_lr"}
    assert "tfidf_nb_svm" in [s.name for s in auto_candidates()]


def test_blend_settings_come_from_inner_cv_on_the_training_labels(verticals) -> None:
    texts, y, k = verticals
    spec = REGISTRY["tfidf_nb_svm"]
    x = spec.featurizer().fit_transform(texts)
    model = spec.model(0).fit(x, y)
    assert model.settings_[0] in NB_ALPHAS
    assert model.weight_ in WEIGHTS
    # Calibrated on inner out-of-fold scores: less over-confident than plain naive Bayes.
    blend, _ = out_of_fold_probs(x, y, spec=spec, n_classes=k, folds=3, seed=0)
    plain, _ = out_of_fold_probs(x, y, spec=REGISTRY["tfidf_nb"], n_classes=k, folds=3, seed=0)
    assert log_loss_of(y, blend) < log_loss_of(y, plain)


def test_blend_weight_drops_a_member_that_sees_only_noise() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 50)
    x = np.hstack([np.eye(3)[y] + rng.normal(0, 0.4, (y.size, 3)), rng.normal(0, 1, (y.size, 3))])

    class Columns:
        """A model that looks at some columns only."""

        def __init__(self, cols: slice) -> None:
            self.cols, self.model = cols, LogisticRegression()

        def fit(self, x, y):
            self.model.fit(x[:, self.cols], y)
            self.classes_ = self.model.classes_
            return self

        def decision_function(self, x):
            return self.model.decision_function(x[:, self.cols])

    signal = Member("signal", lambda _c, _s: Columns(slice(0, 3)), (1.0,))
    noise = Member("noise", lambda _c, _s: Columns(slice(3, 6)), (1.0,))
    model = TunedBlend([noise, signal], seed=0).fit(x, y)
    assert model.weight_ == 0.0  # all of the weight on the second member, the signal
    assert (model.predict_proba(x).argmax(axis=1) == y).mean() > 0.9


def test_a_label_given_once_does_not_take_the_validation_from_the_others(verticals) -> None:
    texts, _, _ = verticals
    spec = REGISTRY["tfidf_nb_svm"]
    x = spec.featurizer().fit_transform(texts[:12])
    one = np.array([0] * 6 + [1] * 5 + [2])  # label 2 given once (a typo, say)
    model = spec.model(0).fit(x, one)
    # Inner folds over the labels given twice or more: every item validated, K from label 1's 5.
    assert model.validated_on_.tolist() == list(range(12))
    probs = model.predict_proba(x[:3])
    assert probs.shape == (3, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    # The held-out part of a large set keeps the once-given label in training.
    held = TunedBlend(model.members, seed=0, holdout_from=10).fit(x, one)
    assert held.held_out_
    assert 11 not in held.validated_on_.tolist()
    assert held.predict_proba(x[11:]).shape == (1, 3)


def test_blend_with_no_label_given_twice_has_no_inner_folds(verticals) -> None:
    texts, _, _ = verticals
    spec = REGISTRY["tfidf_nb_svm"]
    x = spec.featurizer().fit_transform(texts[:3])
    model = spec.model(0).fit(x, np.array([0, 1, 2]))
    assert model.settings_ == [NB_ALPHAS[0], 0.1]
    assert model.validated_on_.size == 0
    assert np.allclose(model.predict_proba(x).sum(axis=1), 1.0)


def _trained_rows(model: TunedBlend) -> list[int]:
    """How many labels each naive Bayes member was fitted on (it counts them; the SVM does not)."""
    return [int(m.class_count_.sum()) for m in model.models_ if hasattr(m, "class_count_")]


def test_small_sets_validate_on_inner_folds_and_refit_on_every_label(verticals) -> None:
    texts, y, _ = verticals
    x = REGISTRY["tfidf_nb_svm"].featurizer().fit_transform(texts)
    model = REGISTRY["tfidf_nb_svm"].model(0).fit(x, y)
    assert not model.held_out_
    assert _trained_rows(model) == [y.size]


def test_large_sets_validate_on_one_held_out_part_and_keep_its_models(verticals) -> None:
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    texts, y, k = verticals
    x = REGISTRY["tfidf_nb_svm"].featurizer().fit_transform(texts)
    members = [Member("nb", lambda a, _s: ComplementNB(alpha=a), NB_ALPHAS),
               Member("svm", lambda c, s: LinearSVC(C=c, dual=True, random_state=s), (0.1,))]
    # A lowered threshold stands in for a large set: the same path, on data a test can afford.
    model = TunedBlend(members, seed=0, holdout_from=y.size).fit(x, y)
    assert model.held_out_
    held = math.ceil(HOLDOUT_SHARE * y.size)  # scikit-learn rounds the test part up
    # The kept model is the one its calibrator saw: fitted without the held-out part.
    assert _trained_rows(model) == [y.size - held]
    assert model.settings_[0] in NB_ALPHAS
    assert model.weight_ in WEIGHTS
    probs = model.predict_proba(x)
    assert probs.shape == (y.size, k)
    assert np.allclose(probs.sum(axis=1), 1.0)
    held_out = model.validated_on_
    assert held_out.size == held
    # On the part it never trained on, far beyond chance (about 1/k on these verticals).
    assert (probs[held_out].argmax(axis=1) == y[held_out]).mean() > 0.5
    again = TunedBlend(members, seed=0, holdout_from=y.size).fit(x, y).predict_proba(x)
    assert np.array_equal(probs, again)


def test_few_labels_per_calibrator_parameter_calibrate_by_a_temperature(verticals) -> None:
    from sklearn.naive_bayes import ComplementNB

    from workbench.curation.blend import LABELS_PER_PARAMETER

    texts, y, k = verticals
    x = REGISTRY["tfidf_nb_svm"].featurizer().fit_transform(texts)
    nb = Member("nb", lambda a, _s: ComplementNB(alpha=a), (0.3,))
    # Ten verticals from a few hundred ads: fewer than 10 labels per multinomial parameter.
    assert y.size < LABELS_PER_PARAMETER * k * (k - 1)
    model = TunedBlend([nb], seed=0).fit(x, y)
    calibrator = model.calibrators_[0]
    assert type(calibrator).__name__ == "_Temperature"
    assert calibrator.a_ > 0  # a temperature, not a reversal
    probs = model.predict_proba(x)
    assert np.allclose(probs.sum(axis=1), 1.0)
    # With biases shrunk toward 0, naive Bayes' own answer mostly stands.
    assert (probs.argmax(axis=1) == model.models_[0].predict(x)).mean() > 0.9
    # Two classes keep Platt scaling, however few the labels.
    binary = (y == 0).astype(int)
    assert type(TunedBlend([nb], seed=0).fit(x[:40], binary[:40]).calibrators_[0]).__name__ == (
        "_Calibrator")


def test_blend_with_one_label_given_twice_or_more_has_no_inner_folds(verticals) -> None:
    # Label 0 many times, label 1 once: an inner training part without label 1 holds one label
    # only, which the SVM cannot fit.
    texts, _, _ = verticals
    spec = REGISTRY["tfidf_nb_svm"]
    x = spec.featurizer().fit_transform(texts[:8])
    model = spec.model(0).fit(x, np.array([0] * 7 + [1]))
    assert model.validated_on_.size == 0
    assert model.predict_proba(x).shape == (8, 2)
