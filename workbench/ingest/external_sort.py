"""Sort and sum tables larger than memory: sorted runs on disk and a chunked k-way merge.

A *run* is a Parquet file sorted by an :class:`Order`, written in row groups of
:data:`READ_ROWS`. :func:`merge_runs` merges runs into one ordered stream while holding at most
:data:`FAN_IN` row groups: each step takes, from every run's buffered row group, the rows up to
the smallest of the buffers' last keys (no unread row can sort before it), orders them together
and yields them. With ``combine`` the rows of one key are summed into one, so runs of partial
counts become one run of totals. More runs than :data:`FAN_IN` are merged in passes.
:func:`sort_into_runs` cuts a stream into sorted runs of at most :data:`SORT_ROWS` rows.

Every frame these functions sort or sum goes through :func:`arrange`, so a test can check its
size; a merge's buffers are single row groups. Key columns must not hold nulls.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.ingest.parquet_stream import ParquetAppender, read_chunks

#: Rows of one row group of a run: what a merge holds of each run at a time.
READ_ROWS = 16_384
#: Runs merged at once (a merge holds up to this many row groups).
FAN_IN = 16
#: Rows sorted in memory at a time when a stream is cut into runs.
SORT_ROWS = 262_144


@dataclass(frozen=True)
class Order:
    """A sort order over some columns of a table with ``schema``.

    Parameters
    ----------
    schema
        The table's columns and types.
    keys
        The sort columns, most significant first; together they identify a row.
    descending
        Per key, whether it sorts descending (numeric keys only).
    total
        With ``combine`` in :func:`merge_runs`: the column summed over rows of equal keys.
    """

    schema: Mapping[str, pl.DataType]
    keys: tuple[str, ...]
    descending: tuple[bool, ...]
    total: str | None = None

    def __post_init__(self) -> None:
        for key, desc in zip(self.keys, self.descending, strict=True):
            if desc and not self.schema[key].is_numeric():
                msg = f"{key}: only numeric keys can sort descending"
                raise ValueError(msg)


class _SortKeys(Sequence[tuple[Any, ...]]):
    """The rows of a sorted frame as Python tuples that compare in the frame's order.

    Descending keys are negated; strings compare by code point, which is the byte order of
    their UTF-8 (Polars' order). Rows are read only where a binary search looks.
    """

    def __init__(self, frame: pl.DataFrame, order: Order) -> None:
        self._columns = [(frame.get_column(key), desc)
                         for key, desc in zip(order.keys, order.descending, strict=True)]
        self._height = frame.height

    def __len__(self) -> int:
        return self._height

    def __getitem__(self, i: int) -> tuple[Any, ...]:  # type: ignore[override]
        return tuple(-column[i] if desc else column[i] for column, desc in self._columns)


def arrange(frame: pl.DataFrame, order: Order, *, combine: bool = False) -> pl.DataFrame:
    """``frame`` in ``order``; with ``combine``, one row per key with its ``order.total`` summed.

    The one place a merge or a sort holds rows (tests watch the sizes it is handed).
    """
    if combine:
        assert order.total is not None
        frame = frame.group_by(list(order.keys)).agg(pl.col(order.total).sum())
    return frame.select(list(order.schema)).sort(list(order.keys),
                                                  descending=list(order.descending))


def write_run(path: Path, frames: Iterable[pl.DataFrame], order: Order) -> Path:
    """Write ``frames`` (already in ``order``, one after the other) as a run at ``path``."""
    with ParquetAppender(path, order.schema, row_group_rows=READ_ROWS) as run:
        for frame in frames:
            run.write(frame)
    return path


def sort_into_runs(frames: Iterable[pl.DataFrame], order: Order, work: Path,
                   name: str) -> list[Path]:
    """Cut a stream of frames into runs of at most :data:`SORT_ROWS` rows, each sorted.

    The runs are ``work/<name>-<i>.parquet``.
    """
    runs: list[Path] = []
    pending: list[pl.DataFrame] = []
    held = 0

    def flush() -> None:
        nonlocal held
        if held:
            sorted_rows = arrange(pl.concat(pending), order)
            runs.append(write_run(work / f"{name}-{len(runs)}.parquet", [sorted_rows], order))
        pending.clear()
        held = 0

    for frame in frames:
        while frame.height:
            room = SORT_ROWS - held
            pending.append(frame.head(room))
            held += min(room, frame.height)
            frame = frame.slice(room)
            if held == SORT_ROWS:
                flush()
    flush()
    return runs


def merge_runs(runs: Sequence[Path], order: Order, work: Path, name: str, *,
               combine: bool = False) -> Iterator[pl.DataFrame]:
    """The rows of ``runs`` as one stream in ``order``, a chunk at a time.

    Parameters
    ----------
    runs
        Files written by :func:`write_run` with this ``order`` (removed once merged in a pass).
    order
        Their order.
    work, name
        Intermediate runs of a multi-pass merge are ``work/<name>-pass<p>-<i>.parquet``.
    combine
        Sum ``order.total`` over rows with equal keys (each run must hold a key at most once).
    """
    runs = list(runs)
    passes = 0
    while len(runs) > FAN_IN:
        passes += 1
        merged = []
        for i in range(0, len(runs), FAN_IN):
            group = runs[i:i + FAN_IN]
            path = work / f"{name}-pass{passes}-{len(merged)}.parquet"
            merged.append(write_run(path, _coalesce(_merge(group, order, combine), READ_ROWS),
                                    order))
            for run in group:
                run.unlink()
        runs = merged
    yield from _coalesce(_merge(runs, order, combine), READ_ROWS)


def _coalesce(frames: Iterable[pl.DataFrame], rows: int) -> Iterator[pl.DataFrame]:
    """The same rows in frames of at least ``rows`` (but the last): few, full row groups."""
    pending: list[pl.DataFrame] = []
    held = 0
    for frame in frames:
        pending.append(frame)
        held += frame.height
        if held >= rows:
            yield pl.concat(pending)
            pending.clear()
            held = 0
    if held:
        yield pl.concat(pending)


def _merge(runs: Sequence[Path], order: Order, combine: bool) -> Iterator[pl.DataFrame]:
    readers = [read_chunks(run, order.schema) for run in runs]
    buffers: dict[int, pl.DataFrame] = {}
    for i, reader in enumerate(readers):
        _refill(buffers, i, reader)
    while buffers:
        # Every unread row of a run sorts after its buffer's last row: rows up to the smallest
        # of those last rows are complete, whatever the other runs still hold.
        keys = {i: _SortKeys(buffer, order) for i, buffer in buffers.items()}
        bound = min(rows[-1] for rows in keys.values())
        taken = []
        for i, buffer in list(buffers.items()):
            count = bisect_right(keys[i], bound)
            taken.append(buffer.head(count))
            buffers[i] = buffer.slice(count)
            if buffers[i].is_empty():
                _refill(buffers, i, readers[i])
        yield arrange(pl.concat(taken), order, combine=combine)


def _refill(buffers: dict[int, pl.DataFrame], i: int, reader: Iterator[pl.DataFrame]) -> None:
    for chunk in reader:
        if not chunk.is_empty():
            buffers[i] = chunk
            return
    buffers.pop(i, None)
