"""``bench/flags.py``: its rows are told apart, and its probability transforms choose honestly."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

from bench.flags import RUNS, TEMPERATURES, feature_views, with_neighbours, with_temperature


def test_every_row_has_its_own_name() -> None:
    labels = [r.label for r in RUNS]
    assert len(set(labels)) == len(labels)


def test_the_temperature_sharpens_unsure_right_answers_and_keeps_calibrated_ones() -> None:
    labels = np.array([0, 1] * 10)
    unsure = np.where(np.eye(2)[labels] == 1, 0.6, 0.4)
    sharper, t = with_temperature(labels, unsure)
    assert t == min(TEMPERATURES)
    assert (sharper[np.arange(20), labels] > 0.6).all()
    # 80% right at P 0.8: already calibrated, so T 1 keeps it.
    calibrated = np.where(np.eye(2)[labels] == 1, 0.8, 0.2)
    wrong = np.arange(20) % 5 == 0
    calibrated[wrong] = calibrated[wrong][:, ::-1]
    assert with_temperature(labels, calibrated)[1] == 1.0


def test_the_neighbour_mix_is_a_distribution_and_weight_zero_when_the_view_is_useless() -> None:
    rng = np.random.default_rng(0)
    x = csr_matrix(normalize(rng.random((30, 5))))
    labels = rng.integers(0, 3, 30)  # labels unrelated to the rows: neighbours know nothing
    right = np.eye(3)[labels] * 0.9 + 0.1 / 3
    mixed, weight = with_neighbours(x, labels, right, 5)
    assert weight == 0.0
    assert np.allclose(mixed, right)
    assert np.allclose(mixed.sum(axis=1), 1.0)


def test_the_syllable_views_keep_every_row() -> None:
    texts = ["ቤት ይሸጣል", "መኪና ይሸጣል", "ቤት ለኪራይ", "መኪና ለኪራይ"]
    x = csr_matrix(normalize(np.ones((4, 3))))
    views = feature_views(x, texts)
    assert views["syllables"].shape[0] == 4
    both = views["char+syllables"]
    assert both.shape == (4, 3 + views["syllables"].shape[1])
    assert np.allclose(np.sqrt(both.multiply(both).sum(axis=1)), 1.0)
