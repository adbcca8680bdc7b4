"""``parsed/quarantine.parquet``: the stored quarantine and this ingest's, streamed together.

Rows are keyed by (``source_sha256``, ``index``): the message at ``index`` of the export with
that hash. A re-ingested export quarantines its messages again, and the newest row wins at its
new place, as ``unique(keep="last", maintain_order=True)`` over stored + new rows would give.
The stored file is read a row group at a time and each new part (one export's quarantine) is
read on its own, so memory follows the largest export, not the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from workbench.core.io import iter_parquet_checked
from workbench.core.schemas import QUARANTINE_SCHEMA
from workbench.ingest.channels import REINGEST
from workbench.ingest.parquet_stream import ParquetAppender

_KEY = ["source_sha256", "index"]

#: Rows of one row group of the quarantine, and of the stored file read at a time (a row holds
#: the message's raw JSON, up to the ``ingest:`` string limits).
QUARANTINE_ROWS = 8_192


def write_quarantine(stored: Path, dest: Path, parts: Sequence[tuple[str, Path]]) -> int:
    """Write the merged quarantine to ``dest``; return its rows.

    Parameters
    ----------
    stored
        The data dir's quarantine (absent on a first ingest).
    dest
        The staged file.
    parts
        This ingest's quarantine: (export hash, its staged quarantine part), in input order.
    """
    # One export staged twice (the same bytes at two paths) quarantines the same messages:
    # the last part replaces the earlier ones.
    latest = dict(parts)
    with ParquetAppender(dest, QUARANTINE_SCHEMA, row_group_rows=QUARANTINE_ROWS) as out:
        if stored.exists():
            for chunk in iter_parquet_checked(stored, REINGEST, schema=QUARANTINE_SCHEMA,
                                              remedy=REINGEST, batch_rows=QUARANTINE_ROWS):
                out.write(_not_quarantined_again(chunk, latest))
        for sha, part in parts:
            if latest[sha] == part:
                out.write(_read_part(part))
    return out.rows


def _read_part(part: Path) -> pl.DataFrame:
    return pl.read_parquet(part).select(list(QUARANTINE_SCHEMA)).cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]


def _not_quarantined_again(stored: pl.DataFrame, latest: dict[str, Path]) -> pl.DataFrame:
    """The stored rows whose message this ingest does not quarantine again, in order."""
    again = [latest[sha] for sha in stored.get_column("source_sha256").unique().to_list()
             if sha in latest]
    if not again:
        return stored
    keys = pl.concat([pl.read_parquet(part, columns=_KEY) for part in again])
    return (stored.with_row_index("_row")
            .join(keys.cast({"index": pl.Int64}), on=_KEY, how="anti")
            .sort("_row").drop("_row"))
