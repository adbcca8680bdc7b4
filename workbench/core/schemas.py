"""Data contracts between stages: the Polars schemas of every Parquet file the workbench writes.

Stages talk only through these files, keyed by ``uid`` = ``"<channel_id>:<message_id>"``.
A reader checks the columns it needs with :func:`require_columns` so a missing stage shows up as
one clear error instead of a KeyError deep inside a transform.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from workbench.core.errors import DataContractError

UTC_DATETIME = pl.Datetime("us", "UTC")

ENTITY = pl.Struct({"type": pl.Utf8, "text": pl.Utf8, "href": pl.Utf8})

#: ``parsed/messages.parquet``: one row per content message, text exactly as exported.
PARSED_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "channel_id": pl.Int64,
    "channel_name": pl.Utf8,
    "channel_type": pl.Utf8,
    "message_id": pl.Int64,
    "date": UTC_DATETIME,
    "edited": UTC_DATETIME,
    "sender": pl.Utf8,
    "sender_id": pl.Utf8,
    "author": pl.Utf8,
    "forwarded_from": pl.Utf8,
    "reply_to": pl.Int64,
    "media_type": pl.Utf8,
    "text": pl.Utf8,
    "entities": pl.List(ENTITY),
    "source": pl.Utf8,
    "source_sha256": pl.Utf8,
}

#: ``parsed/quarantine.parquet``: malformed messages, kept verbatim with the reason.
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Utf8,
    "source_sha256": pl.Utf8,
    "index": pl.Int64,
    "channel_id": pl.Int64,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}

#: Columns ``cleaned/messages.parquet`` adds to the parsed ones.
CLEANED_EXTRA_SCHEMA: dict[str, pl.DataType] = {
    "text_clean": pl.Utf8,
    "text_norm": pl.Utf8,
    "hashtags": pl.List(pl.Utf8),
    "mentions": pl.List(pl.Utf8),
    "links": pl.List(pl.Utf8),
    "emojis": pl.List(pl.Utf8),
    "phones": pl.List(pl.Utf8),
    "prices": pl.List(pl.Float64),
    "ethiopic_ratio": pl.Float64,
    "n_chars": pl.Int64,
    "is_empty": pl.Boolean,
}

CLEANED_SCHEMA: dict[str, pl.DataType] = {**PARSED_SCHEMA, **CLEANED_EXTRA_SCHEMA}

#: ``curated/predictions.parquet`` (curation's classifier) and the rule pre-annotations: one row
#: per (uid, task). ``score`` is the confidence in ``value``; ``uncertainty`` (0 = certain,
#: 1 = undecided) is what ``label push --order uncertainty`` sorts by: curation writes a
#: calibrated one (least confidence scaled by the number of classes; for multi-label tasks the
#: least decided label), rules write ``1 - score``.
PREDICTIONS_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "task": pl.Utf8,
    "value": pl.List(pl.Utf8),
    "score": pl.Float64,
    "model_version": pl.Utf8,
    "uncertainty": pl.Float64,
}


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with ``schema``."""
    return pl.DataFrame(schema=schema)


def require_columns(df: pl.DataFrame | pl.LazyFrame, columns: Iterable[str], where: Path | str) -> None:
    """Raise a one-line DataContractError when ``df`` lacks any of ``columns``."""
    have = set(df.collect_schema().names())
    missing = [c for c in columns if c not in have]
    if missing:
        msg = f"{where}: missing column(s) {', '.join(missing)}"
        raise DataContractError(msg)
