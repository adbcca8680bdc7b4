"""``bench/neighbours.py``: the leave-one-out k-NN view ``bench/flags.py`` measures."""

from __future__ import annotations

import doctest

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

import bench.neighbours
from bench.neighbours import WEIGHTS, mix_by_log_loss, nearest, neighbour_view

# Two tight clusters of four rows each on separate axes; row 3 sits in the first one.
ROWS = normalize(np.array([[1.0, 0.1, 0], [1.0, 0.2, 0], [0.9, 0.1, 0.1], [1.0, 0.15, 0.05],
                           [0, 0.1, 1.0], [0.1, 0.1, 1.0], [0, 0.2, 0.9], [0.05, 0, 1.0]]))


def test_nearest_never_returns_the_row_itself_and_ranks_its_cluster_first() -> None:
    index, similarity = nearest(csr_matrix(ROWS), k=3, chunk=3)  # chunks cross the clusters
    assert not (index == np.arange(8)[:, None]).any()
    assert set(index[:4].ravel()) <= {0, 1, 2, 3}
    assert set(index[4:].ravel()) <= {4, 5, 6, 7}
    assert (np.diff(similarity, axis=1) <= 0).all()  # most similar first


def test_a_flipped_item_is_outvoted_by_its_neighbours_and_its_own_label_never_counts() -> None:
    index, similarity = nearest(csr_matrix(ROWS), k=3)
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1])  # row 3 flipped from 0 to 1
    view = neighbour_view(index, similarity, labels, 2)
    assert view[3].argmax() == 0
    assert np.allclose(view.sum(axis=1), 1.0)
    relabeled = labels.copy()
    relabeled[3] = 0
    assert np.allclose(neighbour_view(index, similarity, relabeled, 2)[3], view[3])


def test_the_mixing_weight_is_chosen_by_log_loss_on_the_given_labels() -> None:
    labels = np.array([0, 1, 0, 1])
    unsure = np.full((4, 2), 0.5)
    right = np.eye(2)[labels] * 0.8 + 0.1
    mixed, weight = mix_by_log_loss(unsure, right, labels)
    assert weight == max(WEIGHTS)
    assert np.allclose(mixed, (1 - weight) * unsure + weight * right)
    assert mix_by_log_loss(right, unsure, labels)[1] == 0.0  # a useless view changes nothing


def test_doctests() -> None:
    assert doctest.testmod(bench.neighbours).failed == 0
