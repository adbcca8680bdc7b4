"""Parquet files written and read a frame at a time: the streams of an ingest.

Ingest's outputs grow with the corpus, so they are never built whole: each is appended to a
:class:`ParquetAppender` (atomically renamed into place when closed), and its scratch files are
read back one row group at a time (:func:`read_chunks`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import polars as pl

from workbench.core.io import atomic_path


class ParquetAppender:
    """A Parquet file written a frame at a time (one or more row groups each), atomically.

    Parameters
    ----------
    dest
        The file; it appears only when the appender is closed without an error.
    schema
        Its columns: every frame is cast to them.
    row_group_rows
        The most rows in one row group (what :func:`read_chunks` holds at a time); unbounded
        when omitted (a frame is then one row group, or more past pyarrow's default size).
    """

    def __init__(self, dest: Path, schema: Mapping[str, pl.DataType],
                 row_group_rows: int | None = None) -> None:
        self.dest, self.schema = dest, dict(schema)
        self.row_group_rows = row_group_rows
        self.rows = 0
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> ParquetAppender:
        import pyarrow.parquet as pq

        self.dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._stack.enter_context(atomic_path(self.dest))
        arrow_schema = pl.DataFrame(schema=self.schema).to_arrow(
            compat_level=pl.CompatLevel.oldest()).schema
        self._writer = self._stack.enter_context(
            pq.ParquetWriter(tmp, arrow_schema, compression="zstd", compression_level=1))
        return self

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (cast to the file's schema)."""
        if frame.is_empty():
            return
        table = frame.select([pl.col(c).cast(t) for c, t in self.schema.items()])
        self._writer.write_table(table.to_arrow(compat_level=pl.CompatLevel.oldest()),
                                 row_group_size=self.row_group_rows)
        self.rows += frame.height

    def __exit__(self, *exc: object) -> None:
        self._stack.__exit__(*exc)  # type: ignore[arg-type]


def read_chunks(path: Path, schema: Mapping[str, pl.DataType]) -> Iterator[pl.DataFrame]:
    """The rows of a scratch file this ingest wrote, one row group at a time, in order."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as file:
        for i in range(file.num_row_groups):
            frame = pl.from_arrow(file.read_row_group(i))
            yield frame.select([pl.col(c).cast(t) for c, t in schema.items()])  # type: ignore[union-attr]
