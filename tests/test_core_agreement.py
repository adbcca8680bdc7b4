"""The one agreement implementation: Krippendorff's published example, kappa, matrices."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from workbench.core.agreement import (
    cohen_kappa,
    krippendorff_alpha,
    pairable_units,
    reliability_matrix,
)

NAN = np.nan

#: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
#: 12 units, values 1..5, missing ratings; the paper gives alpha for each level of measurement.
PUBLISHED = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])


@pytest.mark.parametrize(("level", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797),
])
def test_alpha_matches_krippendorffs_published_example(level: str, published: float) -> None:
    assert krippendorff_alpha(PUBLISHED, level=level) == pytest.approx(published, abs=5e-4)


def test_alpha_undefined_cases_are_nan() -> None:
    # One pairable unit (the last unit is rated once), then no variation at all.
    assert math.isnan(krippendorff_alpha(np.array([[1.0, 2.0], [2.0, NAN]])))
    assert math.isnan(krippendorff_alpha(np.array([[1.0, 1.0], [1.0, 1.0]])))
    assert math.isnan(krippendorff_alpha(np.empty((0, 0))))


def test_reliability_matrix_codes_categories_and_keeps_numbers() -> None:
    frame = pl.DataFrame({"annotator": ["b", "a", "a", "b"], "key": ["u2", "u1", "u2", "u1"],
                          "label": ["x", "y", "x", "y"], "score": [5, 1, 4, 2]})
    codes = reliability_matrix(frame, unit="key", value="label")
    # Raters a, b; units u1, u2; categories coded by sorted value (x = 0, y = 1).
    np.testing.assert_array_equal(codes, [[1.0, 0.0], [1.0, 0.0]])
    scores = reliability_matrix(frame, unit="key", value="score")
    np.testing.assert_array_equal(scores, [[1.0, 4.0], [2.0, 5.0]])
    assert pairable_units(scores) == 2
    assert krippendorff_alpha(codes) == 1.0


def test_cohen_kappa_known_values() -> None:
    assert cohen_kappa(["Ad", "Ad", "Non-Ad", "Non-Ad"], ["Ad", "Non-Ad", "Non-Ad", "Non-Ad"]) == 0.5
    assert math.isclose(cohen_kappa(["a", "b"], ["a", "c"]), 1 / 3)
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    with pytest.raises(ValueError, match="paired"):
        cohen_kappa(["a"], [])
