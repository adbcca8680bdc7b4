"""The flag benchmarks on the labeled rounds: their flips, scores and file lists."""

from __future__ import annotations

import numpy as np
import polars as pl

from bench.consensus_real import gold_posts, read_tsv
from bench.flags_rounds import flip_labels, read_posts, score
from tests.rules_fixtures import (
    ROUND9_DEV_FILE,
    ROUND9_HELDOUT_FILE,
    ROUND10_FILE,
    round3_dev,
)

ANNOTATORS = ("rounds9-10_careful.tsv", "rounds9-10_fast.tsv")


def test_flips_change_exactly_the_share_asked_to_another_seen_label() -> None:
    labels = ["Ad"] * 60 + ["Non-Ad"] * 40
    noisy, rows = flip_labels(labels, 0.1, seed=7)
    assert len(rows) == 10
    assert {i for i, (a, b) in enumerate(zip(labels, noisy, strict=True)) if a != b} == rows
    assert set(noisy) == {"Ad", "Non-Ad"}
    assert flip_labels(labels, 0.1, seed=7) == (noisy, rows)  # seeded


def test_score_counts_flips_among_flagged_items() -> None:
    flagged = np.array([True, True, False, True, False])
    flipped = np.array([True, False, True, True, False])
    s = score(flagged, flipped)
    assert (s.flagged, s.found, s.flips) == (3, 2, 3)
    assert (round(s.precision, 3), round(s.recall, 3)) == (0.667, 0.667)


def test_posts_carry_their_channel_in_the_uid() -> None:
    posts = read_posts([ROUND10_FILE])
    assert posts.height == 307
    assert posts["uid"].is_unique().all()
    assert (posts["is_ad"] == "Ad").sum() == posts["vertical"].is_not_null().sum() == 178
    assert posts["uid"].str.split(":").list.first().n_unique() == 17


def test_the_annotators_labeled_every_post_of_rounds_9_and_10() -> None:
    from bench.consensus_real import ROOT

    gold = gold_posts([ROUND10_FILE, ROUND9_DEV_FILE, ROUND9_HELDOUT_FILE])
    assert gold.height == sum(len(round3_dev(f)) for f in (ROUND10_FILE, ROUND9_DEV_FILE,
                                                            ROUND9_HELDOUT_FILE)) == 648
    for name in ANNOTATORS:
        votes = read_tsv(ROOT / "bench" / "annotators" / name)
        assert votes["id"].sort().to_list() == gold["id"].sort().to_list()
        assert set(votes["is_ad"]) == {"Ad", "Non-Ad"}
        assert votes.filter(pl.col("is_ad") == "Non-Ad")["vertical"].to_list() == [""] * (
            votes["is_ad"] == "Non-Ad").sum()
