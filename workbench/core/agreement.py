"""Inter-rater agreement, the one implementation: Krippendorff's alpha and Cohen's kappa.

Labeling measures annotators on the taxonomy's tasks (nominal), evaluation measures human raters
of generated ads (Likert criteria ordinal, pairwise preferences nominal); both build a
reliability matrix here and read alpha from :func:`krippendorff_alpha`, so the two report the
same statistic with the same rules for when it is undefined. It lives in ``core`` because it is
plain statistics with no stage's vocabulary, and evaluation should not depend on labeling for it.

Alpha is computed with the ``krippendorff`` package (Castro, 2017) on a reliability matrix
(raters x units, NaN where a rater did not rate a unit).

Examples
--------
>>> import numpy as np
>>> round(krippendorff_alpha(np.array([[1, 1, 2, 2], [1, 2, 2, 2]], dtype=float)), 4)
0.5333
>>> cohen_kappa(["Ad", "Ad", "Non-Ad", "Non-Ad"], ["Ad", "Non-Ad", "Non-Ad", "Non-Ad"])
0.5
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def krippendorff_alpha(reliability: np.ndarray, *, level: Level = "nominal",
                       value_domain: Sequence[float] | None = None) -> float:
    """Krippendorff's alpha of a reliability matrix.

    Parameters
    ----------
    reliability
        Shape (raters, units), numeric codes; NaN marks a missing rating.
    level
        Level of measurement (nominal for categories, ordinal for Likert scores).
    value_domain
        Every possible value, for ordinal scales where some value was never used (it changes
        the ranks' distances). Ignored for the other levels.

    Returns
    -------
    float
        Alpha in [-1, 1]; NaN when undefined: fewer than two pairable units (rated by 2+ raters)
        or one value everywhere (no expected disagreement: agreement is undefined, not perfect).
    """
    import krippendorff

    data = np.asarray(reliability, dtype=float)
    if data.ndim != 2 or data.size == 0:
        return math.nan
    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    if pairable.sum() < 2:
        return math.nan
    values = data[:, pairable]
    if np.unique(values[~np.isnan(values)]).size < 2:
        return math.nan
    domain = list(value_domain) if value_domain is not None and level == "ordinal" else None
    return float(krippendorff.alpha(reliability_data=values, level_of_measurement=level,
                                    value_domain=domain))


def reliability_matrix(frame: pl.DataFrame, *, unit: str, value: str,
                       rater: str = "annotator") -> np.ndarray:
    """The (raters x units) matrix of ``frame``'s ratings, one row per (rater, unit) expected.

    Parameters
    ----------
    frame
        Long-format ratings.
    unit, value, rater
        Column names. A numeric ``value`` is used as is (ordinal and interval levels need
        that); any other dtype is coded by its sorted distinct values (nominal only).

    Returns
    -------
    numpy.ndarray
        Raters and units in sorted order; NaN where a rater did not rate a unit.
    """
    if frame.height == 0:
        return np.empty((0, 0))
    codes = frame.get_column(value)
    if not codes.dtype.is_numeric():
        distinct = sorted(codes.unique().to_list())
        codes = codes.replace_strict({v: i for i, v in enumerate(distinct)},
                                     return_dtype=pl.Float64)
    raters = sorted(frame.get_column(rater).unique().to_list())
    units = sorted(frame.get_column(unit).unique().to_list())
    r_index = {r: i for i, r in enumerate(raters)}
    u_index = {u: i for i, u in enumerate(units)}
    data = np.full((len(raters), len(units)), np.nan)
    for r, u, v in zip(frame.get_column(rater), frame.get_column(unit), codes, strict=True):
        data[r_index[r], u_index[u]] = float(v)
    return data


def pairable_units(reliability: np.ndarray) -> int:
    """Units rated by two or more raters (the ones alpha is computed on)."""
    if reliability.size == 0:
        return 0
    return int((np.sum(~np.isnan(reliability), axis=0) >= 2).sum())


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' answers to the same items (NaN when chance agreement is 1).

    Raises
    ------
    ValueError
        When the two sequences differ in length (answers must be paired).
    """
    if len(a) != len(b):
        msg = f"cohen_kappa needs paired answers, got {len(a)} and {len(b)}"
        raise ValueError(msg)
    n = len(a)
    if n == 0:
        return math.nan
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if expected == 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)
