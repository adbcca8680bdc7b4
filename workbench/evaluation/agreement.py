"""Inter-annotator agreement of human ratings: Krippendorff's alpha per criterion.

Likert criteria are ordinal (a 4 against a 5 is a smaller disagreement than a 1 against a 5);
pairwise preferences are nominal, after mapping each vote to the *systems* (left/right sides
are randomised per task, so "left" means nothing across tasks): "system X won", "system Y won"
or "tie". Only units rated by two or more annotators count; alpha is NaN when fewer than two such
units exist or when every pairable value is the same (no variation: alpha undefined).

Computed with the ``krippendorff`` package (Castro, 2017) on a reliability matrix
(annotators x units, NaN where an annotator did not rate a unit).

Examples
--------
>>> import numpy as np
>>> round(alpha(np.array([[1, 1, 2, 2], [1, 2, 2, 2]], dtype=float), level="nominal"), 4)
0.5333
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import polars as pl

Level = Literal["nominal", "ordinal", "interval", "ratio"]

LIKERT_CRITERIA = ("fluency", "relevance", "catchiness", "amharic")


def alpha(reliability: np.ndarray, *, level: Level = "ordinal",
          value_domain: list[float] | None = None) -> float:
    """Krippendorff's alpha of a reliability matrix.

    Parameters
    ----------
    reliability
        Shape (annotators, units); NaN marks a missing rating.
    level
        Level of measurement.
    value_domain
        All possible values (ordinal scales need it when some value was never used).

    Returns
    -------
    float
        Alpha, NaN when undefined (fewer than two pairable units, or no variation).
    """
    import krippendorff

    data = np.asarray(reliability, dtype=float)
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2)  # two coders make a pair
    if pairable.sum() < 2:
        return math.nan
    values = data[:, pairable]
    if np.unique(values[~np.isnan(values)]).size < 2:
        return math.nan
    domain = value_domain if value_domain is not None and level in ("ordinal",) else None
    return float(krippendorff.alpha(reliability_data=values, level_of_measurement=level,
                                    value_domain=domain))


def _matrix(frame: pl.DataFrame, unit: str, value: str) -> tuple[np.ndarray, int, int]:
    annotators = sorted(frame["annotator"].unique().to_list())
    units = sorted(frame[unit].unique().to_list())
    a_index = {a: i for i, a in enumerate(annotators)}
    u_index = {u: i for i, u in enumerate(units)}
    data = np.full((len(annotators), len(units)), np.nan)
    for row in frame.select("annotator", unit, value).iter_rows():
        data[a_index[row[0]], u_index[row[1]]] = float(row[2])
    multi = int((np.sum(~np.isnan(data), axis=0) >= 2).sum())
    return data, multi, len(annotators)


def likert_agreement(ratings: pl.DataFrame) -> pl.DataFrame:
    """Ordinal alpha per Likert criterion.

    Parameters
    ----------
    ratings
        ``ratings.parquet`` rows with ``kind == "likert"``: ``key`` (the rated ad), ``annotator``,
        ``criterion``, ``score`` (1-5).

    Returns
    -------
    polars.DataFrame
        ``criterion``, ``alpha``, ``units`` (rated by 2+), ``annotators``, ``level``.
    """
    likert = ratings.filter((pl.col("kind") == "likert") & pl.col("score").is_not_null())
    rows = []
    criteria = [c for c in LIKERT_CRITERIA if c in set(likert["criterion"].to_list())]
    criteria += sorted(set(likert["criterion"].to_list()) - set(criteria))
    for criterion in criteria:
        part = latest(likert.filter(pl.col("criterion") == criterion))
        data, units, annotators = _matrix(part, "key", "score")
        rows.append({"criterion": criterion,
                     "alpha": alpha(data, level="ordinal", value_domain=[1, 2, 3, 4, 5]),
                     "units": units, "annotators": annotators, "level": "ordinal"})
    return pl.DataFrame(rows, schema={"criterion": pl.Utf8, "alpha": pl.Float64,
                                      "units": pl.Int64, "annotators": pl.Int64,
                                      "level": pl.Utf8})


def pairwise_agreement(ratings: pl.DataFrame) -> pl.DataFrame:
    """Nominal alpha of pairwise votes (as "which system won", not "which side")."""
    votes = latest(ratings.filter((pl.col("kind") == "pairwise") & pl.col("winner").is_not_null()))
    codes = {w: i for i, w in enumerate(sorted(set(votes["winner"].to_list())))}
    votes = votes.with_columns(code=pl.col("winner").replace_strict(codes, return_dtype=pl.Float64))
    data, units, annotators = _matrix(votes, "key", "code") if votes.height else (
        np.empty((0, 0)), 0, 0)
    value = alpha(data, level="nominal") if votes.height else math.nan
    return pl.DataFrame([{"criterion": "preference", "alpha": value, "units": units,
                          "annotators": annotators, "level": "nominal"}])


def latest(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (key, annotator, criterion): the last one by ``created_at`` when present."""
    if frame.height == 0:
        return frame
    if "created_at" in frame.columns:
        frame = frame.sort("created_at", nulls_last=False)
    return frame.group_by("key", "annotator", "criterion", maintain_order=True).last()
