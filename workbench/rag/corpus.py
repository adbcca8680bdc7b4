"""The rows ``rag index`` indexes: the ads of the curated splits, and the brief files.

Both come in their table's layout (see :mod:`workbench.rag.index`), without ``vector``, each row
with the ``row_sha256`` that tells an incremental rebuild whether it changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.amharic.strings import normalize
from workbench.core.briefs import BriefFile
from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked, sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import recorded_path
from workbench.rag.text import fts_terms

AD_LABEL = "Ad"

#: Columns the curated splits must have for indexing.
REQUIRED_COLUMNS = ("uid", "channel_name", "date", "text", "text_norm", "is_ad", "vertical")

#: Fields whose change makes an ad row be re-indexed.
_HASHED = ("channel_name", "vertical", "date", "split", "text", "text_norm", "tags")


def _sha_column(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    # A stable content hash (Polars' own hash is not stable across versions).
    joined = frame.select(
        pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("\x00") for c in columns],
                      separator="\x1f")
    ).to_series()
    return pl.Series("row_sha256", [hashlib.sha256(s.encode("utf-8")).hexdigest() for s in joined])


def read_ads(data_dir: Path, cfg: ProjectConfig,
             splits: Sequence[str] | None = None) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """The ads of the curated ``splits`` in the ``channel_ads`` layout (without ``vector``).

    Returns
    -------
    (pl.DataFrame, list of dict)
        The rows, and one ``{"path", "sha256", "rows"}`` per split file read.

    Raises
    ------
    DataContractError
        A split file is missing or lacks a column, or no split holds an ad.
    """
    splits = list(splits or cfg.rag.splits)
    lay = Layout(data_dir)
    hint = "run the curation stage first (`workbench curate split`)"
    frames, inputs = [], []
    for split in splits:
        path = lay.split(split)
        raw = read_parquet_checked(path, REQUIRED_COLUMNS, hint)
        inputs.append({"path": recorded_path(path), "sha256": sha256_file(path), "rows": raw.height})
        have = set(raw.columns)

        def col(name: str, default: pl.Expr, have: set[str] = have) -> pl.Expr:
            return (pl.col(name) if name in have else default).alias(name)

        empty_list = pl.lit([], dtype=pl.List(pl.Utf8))
        frames.append(
            raw.filter((pl.col("is_ad") == AD_LABEL) & (pl.col("text").fill_null("").str.strip_chars() != ""))
            .select(
                pl.col("uid").cast(pl.Utf8),
                col("channel_id", pl.lit(None, dtype=pl.Int64)).cast(pl.Int64),
                pl.col("channel_name").cast(pl.Utf8),
                pl.col("vertical").cast(pl.Utf8),
                col("tags", empty_list).cast(pl.List(pl.Utf8)),
                pl.col("date").cast(pl.Datetime("us", "UTC")),
                pl.lit(split).alias("split"),
                pl.col("text").cast(pl.Utf8),
                col("text_clean", pl.col("text")).cast(pl.Utf8).fill_null(""),
                pl.col("text_norm").cast(pl.Utf8).fill_null(""),
                col("phones", empty_list).cast(pl.List(pl.Utf8)),
                col("mentions", empty_list).cast(pl.List(pl.Utf8)),
                col("links", empty_list).cast(pl.List(pl.Utf8)),
            )
        )
    ads = pl.concat(frames).unique("uid", keep="first", maintain_order=True)
    if ads.height == 0:
        msg = (f"{lay.splits}: no ads (is_ad == 'Ad' with text) in split(s) {', '.join(splits)}; "
               "nothing to index")
        raise DataContractError(msg)
    ads = ads.with_columns(
        pl.Series("text_fts", [fts_terms(t) for t in ads["text_norm"]], dtype=pl.Utf8),
        _sha_column(ads.with_columns(pl.col("tags").list.join("|")), _HASHED),
    )
    return ads, inputs


def briefs_frame(briefs: Sequence[BriefFile], cfg: ProjectConfig) -> pl.DataFrame:
    """The ``briefs`` table rows (without ``vector``)."""
    rows = []
    for bf in briefs:
        b = bf.brief
        text = b.query_text()
        norm = normalize(text, cfg.cleaning)
        rows.append({
            "brief_id": bf.id, "path": str(bf.path), "row_sha256": bf.sha256, "brand": b.brand,
            "product": b.product, "vertical": b.vertical, "target_channel": b.target_channel,
            "language": b.language, "text": text, "text_clean": text, "text_norm": norm,
            "text_fts": fts_terms(norm), "brief_json": b.model_dump_json(),
        })
    schema = {k: pl.Utf8 for k in ("brief_id", "path", "row_sha256", "brand", "product",
                                   "vertical", "target_channel", "language", "text",
                                   "text_clean", "text_norm", "text_fts", "brief_json")}
    return pl.DataFrame(rows, schema=schema)
