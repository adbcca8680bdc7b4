"""Outliers: messages that are empty-ish, not Amharic, spam floods or repetitive.

They are listed with a reason, never deleted: a photo-only post or an English notice can still be
a real ad, and the split decides (``split.exclude_outliers``) what to leave out.

Reasons (codes, joined by ``;`` when several apply):

* ``empty``: the display text (``text_clean``) has fewer than ``min_chars`` characters;
* ``non_amharic``: Ethiopic letters are less than ``min_ethiopic_ratio`` of the letters;
* ``flood``: the same near-duplicate posted ``flood_copies`` times or more in one channel (every
  copy after the first is listed);
* ``repetitive``: 40+ characters made of very few distinct characters ("!!!!!!", "ሀሀሀሀሀ").

Examples
--------
>>> msgs = pl.DataFrame({"uid": ["1:1", "1:2", "1:3"], "text_clean": ["", "Hello world, big sale",
...                      "ቅናሽ ልብስ በ 500 ብር"], "ethiopic_ratio": [0.0, 0.0, 1.0]})
>>> find_outliers(msgs).select("uid", "reason").rows()
[('1:1', 'empty'), ('1:2', 'non_amharic')]
"""

from __future__ import annotations

import polars as pl

from workbench.core.settings.curation import OutlierConfig

_MIN_REPETITIVE_CHARS = 40

#: Each reason code as a reader of the dashboard reads it.
REASON_NAMES: dict[str, str] = {
    "empty": "almost no text",
    "non_amharic": "not Amharic",
    "flood": "posted again and again (flood)",
    "repetitive": "repeated characters",
}


def reason_names(reason: str) -> list[str]:
    """The readable names of a ``reason`` value (codes joined by ``;``).

    Examples
    --------
    >>> reason_names("non_amharic;flood")
    ['not Amharic', 'posted again and again (flood)']
    """
    return [REASON_NAMES.get(code, code.replace("_", " ")) for code in reason.split(";") if code]


def find_outliers(
    messages: pl.DataFrame, clusters: pl.DataFrame | None = None, cfg: OutlierConfig | None = None
) -> pl.DataFrame:
    """Outlier rows for ``messages``.

    Parameters
    ----------
    messages
        Frame with ``uid``, ``text_clean`` (or ``text_norm``), ``ethiopic_ratio``; ``channel_id``
        and ``date`` are used for floods when present.
    clusters
        ``dup_clusters`` rows (``uid``, ``cluster_id``); without them no flood is detected.
    cfg
        Thresholds.

    Returns
    -------
    pl.DataFrame
        ``uid``, ``reason`` (codes joined by ``;``), ``detail`` (a readable explanation); one row
        per outlier, in the order of ``messages``.
    """
    cfg = cfg or OutlierConfig()
    text_col = "text_clean" if "text_clean" in messages.columns else "text_norm"
    text = pl.col(text_col).fill_null("")
    n_chars = text.str.len_chars()
    distinct = text.str.split("").list.n_unique()
    ratio = pl.col("ethiopic_ratio").fill_null(0.0)
    checks = [
        ("empty", n_chars < cfg.min_chars,
         pl.format("empty: {} characters of text", n_chars)),
        ("non_amharic", (n_chars >= cfg.min_chars) & (ratio < cfg.min_ethiopic_ratio),
         pl.format("non_amharic: {}% of letters are Ethiopic", (ratio * 100).round(0).cast(pl.Int64))),
        ("repetitive",
         (n_chars >= _MIN_REPETITIVE_CHARS) & (distinct / n_chars < cfg.min_char_diversity),
         pl.format("repetitive: {} distinct characters in {}", distinct, n_chars)),
    ]
    frame = messages.select("uid", *[c for c in ("channel_id", "date") if c in messages.columns],
                            text_col, "ethiopic_ratio")
    if clusters is not None and "channel_id" in frame.columns:
        by = ["cluster_id", "channel_id"]
        order = ["date", "uid"] if "date" in frame.columns else ["uid"]
        frame = frame.join(clusters.select("uid", "cluster_id"), on="uid", how="left").sort(
            order, nulls_last=True).with_columns(
            _copies=pl.len().over(by), _rank=pl.int_range(pl.len()).over(by))
        checks.append(("flood", (pl.col("_copies") >= cfg.flood_copies) & (pl.col("_rank") > 0),
                       pl.format("flood: {} copies in channel {}", pl.col("_copies"),
                                 pl.col("channel_id"))))
    flagged = frame.with_columns(
        [pl.when(cond).then(pl.lit(code)).alias(f"_r_{code}") for code, cond, _ in checks]
        + [pl.when(cond).then(detail).alias(f"_d_{code}") for code, cond, detail in checks]
    ).with_columns(
        reason=pl.concat_str([pl.col(f"_r_{c}") for c, _, _ in checks], separator=";",
                             ignore_nulls=True),
        detail=pl.concat_str([pl.col(f"_d_{c}") for c, _, _ in checks], separator="; ",
                             ignore_nulls=True),
    ).filter(pl.col("reason") != "")
    return messages.select("uid").join(flagged.select("uid", "reason", "detail"), on="uid",
                                       how="inner", maintain_order="left")
