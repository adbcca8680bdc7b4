"""Inter-annotator agreement of human ratings: Krippendorff's alpha per criterion.

Likert criteria are ordinal (a 4 against a 5 is a smaller disagreement than a 1 against a 5);
pairwise preferences are nominal, after mapping each vote to the *systems* (left/right sides
are randomised per task, so "left" means nothing across tasks): "system X won", "system Y won"
or "tie". Only units rated by two or more annotators count; alpha is NaN when fewer than two such
units exist or when every pairable value is the same (no variation: alpha undefined).

The statistic is :func:`workbench.core.agreement.krippendorff_alpha` (the one labeling uses).
"""

from __future__ import annotations

import polars as pl

from workbench.core.agreement import krippendorff_alpha, pairable_units, reliability_matrix

LIKERT_CRITERIA = ("fluency", "relevance", "catchiness", "amharic")


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
        data = reliability_matrix(part, unit="key", value="score")
        rows.append({"criterion": criterion,
                     "alpha": krippendorff_alpha(data, level="ordinal",
                                                 value_domain=[1, 2, 3, 4, 5]),
                     "units": pairable_units(data), "annotators": data.shape[0],
                     "level": "ordinal"})
    return pl.DataFrame(rows, schema={"criterion": pl.Utf8, "alpha": pl.Float64,
                                      "units": pl.Int64, "annotators": pl.Int64,
                                      "level": pl.Utf8})


def pairwise_agreement(ratings: pl.DataFrame) -> pl.DataFrame:
    """Nominal alpha of pairwise votes (as "which system won", not "which side")."""
    votes = latest(ratings.filter((pl.col("kind") == "pairwise") & pl.col("winner").is_not_null()))
    data = reliability_matrix(votes, unit="key", value="winner")
    return pl.DataFrame([{"criterion": "preference",
                          "alpha": krippendorff_alpha(data, level="nominal"),
                          "units": pairable_units(data), "annotators": data.shape[0],
                          "level": "nominal"}])


def latest(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (key, annotator, criterion): the last one by ``created_at`` when present."""
    if frame.height == 0:
        return frame
    if "created_at" in frame.columns:
        frame = frame.sort("created_at", nulls_last=False)
    return frame.group_by("key", "annotator", "criterion", maintain_order=True).last()
