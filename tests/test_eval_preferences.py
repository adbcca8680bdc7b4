"""Human-preference statistics: win rates with Wilson intervals, Bradley-Terry with vote counts
and intervals that stay honest for a handful of votes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.evaluation.bradley_terry import (
    MIN_VOTES,
    bootstrap_bradley_terry,
    preference_table,
    wilson_interval,
    win_rate_intervals,
)


def test_wilson_interval_hand_computed() -> None:
    # z = 1.96: one win in one game -> centre (1 + z²/2)/(1 + z²), half z·sqrt(z²/4)/(1 + z²).
    z = 1.959963984540054
    low, high = wilson_interval(1, 1)
    assert low == pytest.approx((1 + z * z / 2 - z * z / 2) / (1 + z * z))
    assert high == pytest.approx(1.0)
    low, high = wilson_interval(5, 10)
    half = z * math.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_win_rate_intervals_count_ties_half_and_votes() -> None:
    wins = win_rate_intervals(["x", "x", "y", "x"], ["y", "y", "x", "z"], ["a", "tie", "a", "b"])
    assert wins.systems == ["x", "y", "z"]
    assert wins.games.tolist() == [[0, 3, 1], [3, 0, 0], [1, 0, 0]]
    assert wins.rate[0, 1] == pytest.approx(1.5 / 3)
    assert wins.rate[1, 0] == pytest.approx(1.5 / 3)
    assert math.isnan(wins.rate[1, 2])
    assert wins.low[0, 1] < 0.5 < wins.high[0, 1]
    rows = {r["system"]: r for r in wins.rows()}
    assert rows["x"]["votes"] == 4
    assert rows["x"]["win_rate"] == pytest.approx(1.5 / 4)
    assert (rows["x"]["win_low"], rows["x"]["win_high"]) == pytest.approx(wilson_interval(1.5, 4))
    assert rows["z"]["win_rate"] == pytest.approx(1.0)


@pytest.mark.parametrize("n", [1, 3, MIN_VOTES])
def test_unanimous_votes_never_give_a_zero_width_interval(n: int) -> None:
    """Resampling unanimous votes used to return the same counts every time: [x, x]."""
    result = bootstrap_bradley_terry(["x"] * n, ["y"] * n, ["a"] * n, n_resamples=200, seed=0)
    for row in result.rows():
        assert row["votes"] == n
        assert row["enough_votes"] is (n >= MIN_VOTES)
        # The unanimous fit is at an end of its interval (refits agree to ~1e-6 points).
        assert row["rating_low"] - 0.01 <= row["rating"] <= row["rating_high"] + 0.01
        assert row["rating_high"] - row["rating_low"] > 100
    if n == 1:  # one vote: the interval spans both orders
        x = next(r for r in result.rows() if r["system"] == "x")
        assert x["rating_low"] < 1000 < x["rating_high"]


def test_intervals_narrow_as_votes_grow() -> None:
    rng = np.random.default_rng(4)

    def width(n: int) -> float:
        outcomes = ["a" if u < 0.7 else "b" for u in rng.random(n)]
        row = preference_table(["x"] * n, ["y"] * n, outcomes, n_resamples=300)[0]
        return row["rating_high"] - row["rating_low"]

    assert width(400) < width(40) / 2


def test_preference_table_rows_carry_counts_and_both_intervals() -> None:
    a = ["x"] * 8 + ["y"] * 4 + ["z"] * 2
    b = ["y"] * 8 + ["z"] * 4 + ["x"] * 2
    table = preference_table(a, b, ["a"] * 6 + ["b"] * 2 + ["a"] * 3 + ["tie"] + ["b", "b"])
    assert [r["system"] for r in table] == ["x", "y", "z"]
    assert {r["system"]: r["votes"] for r in table} == {"x": 10, "y": 12, "z": 6}
    for row in table:
        assert row["win_low"] <= row["win_rate"] <= row["win_high"]
        assert row["rating_low"] - 0.01 <= row["rating"] <= row["rating_high"] + 0.01
        assert row["enough_votes"] is (row["votes"] >= MIN_VOTES)
