"""``bench/views.py``: the second views of the posts ``bench/flags.py`` measures."""

from __future__ import annotations

import doctest

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

import bench.views
from bench.views import (
    WEIGHTS,
    mix_by_log_loss,
    nearest,
    neighbour_view,
    split_syllables,
    syllable_features,
)

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


def test_every_vowel_order_of_a_consonant_shares_its_consonant_and_only_syllables_change() -> None:
    row = "".join(chr(0x1260 + order) for order in range(8))  # በ ቡ ቢ ባ ቤ ብ ቦ ቧ
    assert split_syllables(row) == "".join(f"በ{order}" for order in range(1, 9))
    untouched = "Toyota 2019 ፣ 5,000 ብር።"  # Latin, digits, Ethiopic punctuation
    assert split_syllables(untouched) == "Toyota 2019 ፣ 5,000 በ6ረ6።"


def test_two_inflections_of_one_root_share_more_n_grams_once_split() -> None:
    texts = ["ይሰብራል", "ሰበረ", "መኪና"]  # he breaks, he broke, car
    split = syllable_features(texts * 2).toarray()  # min_df=2: each text twice
    shared_split = np.count_nonzero(split[0] * split[1])
    from sklearn.feature_extraction.text import TfidfVectorizer

    whole = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2).fit_transform(
        texts * 2).toarray()
    assert shared_split > np.count_nonzero(whole[0] * whole[1])


def test_doctests() -> None:
    assert doctest.testmod(bench.views).failed == 0
