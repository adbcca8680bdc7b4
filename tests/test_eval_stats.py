"""Bootstrap CIs and paired tests, Bradley-Terry with ties, Krippendorff's alpha: known answers."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from workbench.core.agreement import krippendorff_alpha
from workbench.evaluation.agreement import likert_agreement, pairwise_agreement
from workbench.evaluation.bootstrap import bootstrap_ci, paired_bootstrap
from workbench.evaluation.bradley_terry import (
    bootstrap_bradley_terry,
    fit_bradley_terry,
    win_rates,
)

# --- bootstrap -----------------------------------------------------------------------------------


def test_paired_bootstrap_finds_a_known_difference() -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.normal(50, 10, size=300)  # shared per-item difficulty
    a = difficulty + 2.0 + rng.normal(0, 2, size=300)
    b = difficulty + rng.normal(0, 2, size=300)
    res = paired_bootstrap(a, b, n_resamples=2000, seed=1)
    assert res.delta == pytest.approx(float(np.mean(a - b)))
    assert res.low < 2.0 < res.high
    assert res.low > 0
    assert res.p_value < 0.01
    # Unpaired intervals overlap heavily (item difficulty dominates): pairing is what detects it.
    ca, cb = bootstrap_ci(a, seed=1), bootstrap_ci(b, seed=1)
    assert ca.low < cb.high


def test_paired_bootstrap_no_difference() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(40, 8, size=200)
    res = paired_bootstrap(base + rng.normal(0, 3, 200), base + rng.normal(0, 3, 200), seed=0)
    assert res.low < 0 < res.high
    assert res.p_value > 0.05


def test_bootstrap_ci_coverage_near_nominal() -> None:
    rng = np.random.default_rng(3)
    hits = 0
    trials = 200
    for t in range(trials):
        ci = bootstrap_ci(rng.normal(10.0, 3.0, size=60), n_resamples=500, seed=t)
        hits += ci.low <= 10.0 <= ci.high
    assert 0.88 <= hits / trials <= 0.99


def test_bootstrap_edge_cases() -> None:
    assert math.isnan(bootstrap_ci([math.nan, math.inf]).mean)
    one = bootstrap_ci([3.0])
    assert (one.mean, one.low, one.high, one.n) == (3.0, 3.0, 3.0, 1)
    # NaN items are left out pairwise.
    res = paired_bootstrap([1.0, math.nan, 3.0], [0.0, 5.0, 2.0], seed=0)
    assert (res.delta, res.n) == (1.0, 2)
    with pytest.raises(ValueError, match="same items"):
        paired_bootstrap([1.0, 2.0], [1.0])


# --- Bradley-Terry -------------------------------------------------------------------------------


def simulate_davidson(theta: np.ndarray, nu: float, n: int,
                      seed: int) -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(theta.size)]
    a, b, o = [], [], []
    for _ in range(n):
        i, j = rng.choice(theta.size, size=2, replace=False)
        pi, pj = math.exp(theta[i]), math.exp(theta[j])
        tie = nu * math.sqrt(pi * pj)
        u = rng.random() * (pi + pj + tie)
        a.append(names[i])
        b.append(names[j])
        o.append("a" if u < pi else "b" if u < pi + pj else "tie")
    return a, b, o


def test_bradley_terry_recovers_known_strengths_with_ties() -> None:
    true = np.array([-1.0, -0.3, 0.4, 0.9])
    true -= true.mean()
    a, b, o = simulate_davidson(true, nu=0.6, n=5000, seed=4)
    assert 0.1 < o.count("tie") / len(o) < 0.4
    res = bootstrap_bradley_terry(a, b, o, n_resamples=300, seed=0)
    assert res.fit.theta == pytest.approx(true, abs=0.12)
    assert res.fit.nu == pytest.approx(0.6, abs=0.08)
    covered = [lo <= t <= hi for t, (lo, hi) in zip(true, res.theta_ci, strict=True)]
    assert sum(covered) >= 3
    rows = res.rows()
    assert [r["system"] for r in rows] == ["s3", "s2", "s1", "s0"]
    assert rows[0]["rating"] > 1000 > rows[-1]["rating"]
    # Counting a tie as half a win keeps the order (it shrinks the gaps).
    half = fit_bradley_terry(a, b, o, ties="half")
    assert list(np.argsort(half.theta)) == [0, 1, 2, 3]


def test_bradley_terry_unbeaten_system_stays_finite_and_input_checks() -> None:
    fit = fit_bradley_terry(["x"] * 5, ["y"] * 5, ["a"] * 5)
    assert np.all(np.isfinite(fit.theta))
    assert fit.theta[0] > fit.theta[1]
    with pytest.raises(ValueError, match="'a', 'b' or 'tie'"):
        fit_bradley_terry(["x"], ["y"], ["left"])
    with pytest.raises(ValueError, match="with itself"):
        fit_bradley_terry(["x"], ["x"], ["a"])


def test_win_rates_count_ties_half() -> None:
    names, m = win_rates(["x", "x", "y"], ["y", "y", "x"], ["a", "tie", "a"])
    assert names == ["x", "y"]
    # x vs y: x won once, tied once, lost once -> 1.5 / 3.
    assert m[0, 1] == pytest.approx(0.5)
    assert m[1, 0] == pytest.approx(0.5)
    assert math.isnan(m[0, 0])


# --- Krippendorff's alpha ------------------------------------------------------------------------


def test_alpha_nominal_hand_computed() -> None:
    # Coders A = [1, 1, 2, 2], B = [1, 2, 2, 2]. Coincidences: o11 = 2, o12 = o21 = 1, o22 = 4;
    # n1 = 3, n2 = 5, n = 8. D_o = 2/8; D_e = 2 * 3 * 5 / (8 * 7) = 30/56; alpha = 1 - D_o/D_e.
    expected = 1 - (2 / 8) / (30 / 56)
    got = krippendorff_alpha(np.array([[1, 1, 2, 2], [1, 2, 2, 2]], dtype=float), level="nominal")
    assert got == pytest.approx(expected)
    assert got == pytest.approx(0.5333, abs=1e-4)


def test_alpha_interval_hand_computed() -> None:
    # A = [1, 2, 3], B = [1, 2, 4]. D_o = (1 + 1) / 6 (unit 3: (3-4)^2 both ways, m_u - 1 = 1);
    # D_e = sum over ordered pairs of the 6 values (1,1,2,2,3,4) of squared gaps / (6 * 5) = 82/30.
    expected = 1 - (2 / 6) / (82 / 30)
    got = krippendorff_alpha(np.array([[1, 2, 3], [1, 2, 4]], dtype=float), level="interval")
    assert got == pytest.approx(expected)
    assert math.isnan(krippendorff_alpha(np.array([[1.0, np.nan], [1.0, 2.0]]), level="nominal"))


def test_agreement_tables_from_ratings() -> None:
    likert = pl.DataFrame({
        "kind": ["likert"] * 8, "key": ["k1", "k2", "k3", "k4"] * 2,
        "annotator": ["a"] * 4 + ["b"] * 4, "criterion": ["fluency"] * 8,
        "score": [1.0, 2.0, 4.0, 5.0, 1.0, 2.0, 5.0, 5.0],
    })
    table = likert_agreement(likert)
    assert table["criterion"].to_list() == ["fluency"]
    assert table["units"].to_list() == [4]
    assert 0.8 < table["alpha"][0] <= 1.0
    votes = pl.DataFrame({
        "kind": ["pairwise"] * 6, "key": ["p1", "p2", "p3"] * 2,
        "annotator": ["a"] * 3 + ["b"] * 3, "criterion": ["preference"] * 6,
        "winner": ["x", "y", "tie", "x", "y", "tie"],
    })
    assert pairwise_agreement(votes)["alpha"][0] == pytest.approx(1.0)


# --- one procedure: the interval excludes 0 exactly when p < alpha --------------------------------


def _paired_samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired scores of many shapes: shifts near the detection limit, ties, sparse differences."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    kind = seed % 4
    a = rng.normal(0.5, 0.2, size=n)
    if kind == 0:  # a small shift, around the edge of significance
        b = a + rng.normal(rng.normal(0, 0.02), 0.05, size=n)
    elif kind == 1:  # mostly identical outputs, a few items differ (like distinct_1 rows)
        b = a.copy()
        hit = rng.random(n) < 0.15
        b[hit] += rng.choice([-0.1, 0.05, 0.1], size=int(hit.sum()))
    elif kind == 2:  # discrete scores (many tied resampled means)
        a = rng.integers(0, 3, size=n).astype(float)
        b = rng.integers(0, 3, size=n).astype(float)
    else:  # one-sided differences: every item moves the same way or not at all
        b = a - np.abs(rng.normal(0, 0.01, size=n)) * (rng.random(n) < 0.5)
    return a, b


@pytest.mark.parametrize(("n_resamples", "confidence"),
                         [(100, 0.95), (999, 0.95), (1000, 0.95), (1000, 0.9), (500, 0.99)])
def test_interval_excludes_zero_exactly_when_p_below_alpha(n_resamples: int,
                                                           confidence: float) -> None:
    alpha = 1.0 - confidence
    significant = 0
    for seed in range(300):
        a, b = _paired_samples(seed)
        res = paired_bootstrap(a, b, n_resamples=n_resamples, confidence=confidence, seed=seed)
        excludes = res.low > 0 or res.high < 0
        assert excludes == (res.p_value < alpha), (seed, res)
        assert res.low <= res.high
        significant += excludes
    # The property is not vacuous: both outcomes occur across the samples.
    assert 0 < significant < 300


def test_boundary_rows_from_the_issue_agree() -> None:
    # distinct_1 tiny-run vs leader: 16 items, 3 slightly worse, the rest identical -> the old
    # procedures printed "-0.010 [-0.025, -0.000] p 0.186".
    a = np.zeros(16)
    b = np.zeros(16)
    b[[2, 7, 11]] = [0.05, 0.05, 0.06]
    res = paired_bootstrap(a, b, n_resamples=1000, seed=1234)
    assert res.delta == pytest.approx(-0.01)
    assert res.high <= 0
    assert (res.high < 0) == (res.p_value < 0.05)
    # A one-sided difference whose interval touches 0: p is not below alpha.
    c = np.zeros(16)
    c[0] = -0.16
    touch = paired_bootstrap(c, np.zeros(16), n_resamples=1000, seed=0)
    assert touch.high == 0.0
    assert touch.p_value >= 0.05


def test_too_few_resamples_for_the_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="too few"):
        paired_bootstrap([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], n_resamples=100, confidence=0.999)
