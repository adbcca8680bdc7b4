"""Rows of a LanceDB table version held in Python, and LanceDB's async queries read as Arrow.

:class:`RowSnapshot` (the columns a search shows, by row id) and :class:`FilteredVectors` (the
vectors of a filter's rows, for an exact search) are what :mod:`workbench.rag.search` keeps
between searches; :func:`start_query` starts a query at once so Python can work meanwhile. Why
each exists, with the measurements, is in the :mod:`workbench.rag.search` docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import pyarrow as pa


class RowSnapshot:
    """Some columns of every row of one table version, looked up by LanceDB row id.

    The values are held as Python lists: a search reads ~80 ``text_norm`` values and the
    columns of ~10 hits, and picking them from lists took half the time of an Arrow ``take``
    plus conversion (at 100k ads: 84 vs 174 us for the 78 texts, 92 vs 204 us for 10 hits),
    for 1.7x the memory of the Arrow columns (72 vs 43 MB) and 0.35 s instead of 0.05 s to
    build. Values a column repeats (channel, vertical) share one object.

    Parameters
    ----------
    table
        The columns plus ``_rowid`` (any row order), as a scan of the table returns them.

    Examples
    --------
    >>> import pyarrow as pa
    >>> snap = RowSnapshot(pa.table({"_rowid": pa.array([7, 3], pa.uint64()), "uid": ["b", "a"]}))
    >>> snap.take([7, 3, 7], ["uid"])
    [{'uid': 'b'}, {'uid': 'a'}, {'uid': 'b'}]
    """

    def __init__(self, table: pa.Table) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = table["_rowid"].to_numpy()
        order = np.argsort(ids, kind="stable")
        self._ids = ids[order]
        rows = table.drop_columns(["_rowid"]).take(order)
        self._columns: dict[str, list[Any]] = {}
        # Timestamps are held as integers and made datetimes when taken: Arrow's own conversion
        # of a time-zoned timestamp cost more than the five other columns of a hit together.
        self._timestamps: dict[str, pa.TimestampType] = {}
        for name, values in zip(rows.column_names, rows.columns, strict=True):
            if pa.types.is_timestamp(values.type):
                self._timestamps[name] = values.type
                values = values.cast(pa.int64())
            if len(values) and pc.count_distinct(values).as_py() * 4 <= len(values):
                encoded = values.combine_chunks().dictionary_encode()
                distinct = python_values(encoded.dictionary)
                self._columns[name] = [None if i is None else distinct[i]
                                       for i in python_values(encoded.indices)]
            else:
                self._columns[name] = python_values(values)

    @property
    def num_rows(self) -> int:
        """Rows held."""
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the values (each shared object once) and the lists."""
        import sys

        total = int(self._ids.nbytes)
        for values in self._columns.values():
            distinct = {id(v): v for v in values}
            total += sys.getsizeof(values) + sum(map(sys.getsizeof, distinct.values()))
        return total

    def take(self, row_ids: Sequence[int], columns: Sequence[str]) -> list[dict[str, Any]]:
        """``columns`` of the rows ``row_ids``, in that order.

        Raises
        ------
        KeyError
            A row id that is not in the snapshot (a bug: ids come from the same table version).
        """
        columns = list(columns)
        positions = self._positions(row_ids)
        data = [self._values(name, positions) for name in columns]
        return [dict(zip(columns, row, strict=True)) for row in zip(*data, strict=True)]

    def column(self, row_ids: Sequence[int], column: str) -> list[Any]:
        """One column of the rows ``row_ids``, in that order."""
        return self._values(column, self._positions(row_ids))

    def _values(self, name: str, positions: list[int]) -> list[Any]:
        values = self._columns[name]
        picked = [values[p] for p in positions]
        kind = self._timestamps.get(name)
        return picked if kind is None else [_datetime(v, kind) for v in picked]

    def _positions(self, row_ids: Sequence[int]) -> list[int]:
        import numpy as np

        wanted = np.asarray(row_ids, dtype=self._ids.dtype)
        pos = np.searchsorted(self._ids, wanted)
        if len(wanted) and (pos.max() >= len(self._ids) or (self._ids[pos] != wanted).any()):
            msg = f"row ids not in the snapshot: {sorted(set(row_ids) - set(self._ids.tolist()))[:5]}"
            raise KeyError(msg)
        return pos.tolist()  # type: ignore[no-any-return]


class FilteredVectors:
    """The vectors of the rows one filter selects, searched exactly (``rag.exact_filter_max_rows``).

    Parameters
    ----------
    table
        ``_rowid`` and ``vector`` (fixed-size float lists) of the rows, as a LanceDB query
        returns them.

    Examples
    --------
    >>> import pyarrow as pa
    >>> vectors = pa.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], pa.list_(pa.float32(), 2))
    >>> fv = FilteredVectors(pa.table({"_rowid": pa.array([4, 9, 7], pa.uint64()),
    ...                               "vector": vectors}))
    >>> found = fv.search([0.0, 1.0], limit=2)
    >>> found["_rowid"].to_pylist(), [round(d, 2) for d in found["_distance"].to_pylist()]
    ([7, 9], [0.0, 0.2])
    """

    def __init__(self, table: pa.Table) -> None:
        import numpy as np
        import pyarrow.compute as pc

        vectors = table["vector"].combine_chunks()
        ids = table["_rowid"].combine_chunks()
        if vectors.null_count:  # a row without a vector cannot be found by a vector search
            keep = pc.is_valid(vectors)
            vectors, ids = vectors.filter(keep), ids.filter(keep)
        self._ids = ids.to_numpy()
        matrix = vectors.flatten().to_numpy().astype(np.float32, copy=False)
        matrix = matrix.reshape(len(self._ids), vectors.type.list_size)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        # Unit rows: a dot product is then the cosine LanceDB's "cosine" distance is 1 minus.
        self._unit = matrix / np.where(norms > 0, norms, 1.0)

    @property
    def num_rows(self) -> int:
        """Rows held."""
        return len(self._ids)

    def search(self, query: Any, limit: int) -> pa.Table:
        """The ``limit`` nearest rows by cosine distance, as LanceDB's vector query returns them.

        Ordered like LanceDB's top-k: ``_distance`` ascending, then ``_rowid``.
        """
        import numpy as np
        import pyarrow as pa

        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        # einsum, not ``@``: a BLAS matrix-vector product of this size wakes OpenBLAS's worker
        # threads, which then spin on a core for a while after each call; the next searches'
        # LanceDB queries needed that core (bench/rag.py, 100k ads: the CPU time of every
        # search doubled). einsum's own loop: ~0.2 ms for 3,300 x 256, 2.3 ms for 20,000.
        cosine = (np.einsum("ij,j->i", self._unit, q / norm) if norm > 0
                  else np.zeros(len(self._ids), np.float32))
        distance = (1.0 - cosine).astype(np.float32)
        n = min(limit, len(distance))
        near = np.argpartition(distance, n - 1)[:n] if 0 < n < len(distance) else np.arange(n)
        near = near[np.lexsort((self._ids[near], distance[near]))]
        return pa.table({"_distance": pa.array(distance[near], pa.float32()),
                         "_rowid": pa.array(self._ids[near], pa.uint64())})


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}


def _datetime(value: int | None, kind: pa.TimestampType) -> datetime | None:
    """The datetime Arrow would make of ``value`` (an integer timestamp of type ``kind``)."""
    if value is None:
        return None
    delta = timedelta(microseconds=value * _UNIT[kind.unit])
    if kind.tz is None:
        return _EPOCH + delta
    zone = _zone(kind.tz)
    return _EPOCH_UTC + delta if zone is UTC else (_EPOCH_UTC + delta).astimezone(zone)


@functools.cache
def _zone(name: str) -> tzinfo:
    if name in ("UTC", "utc", "+00:00", "Z"):
        return UTC
    if name[:1] in "+-":
        sign = -1 if name[0] == "-" else 1
        hours, minutes = name[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return ZoneInfo(name)


async def ready(value: Any) -> Any:
    """``value``, awaitable like a started query."""
    return value


def start_query(query: Any, limit: int) -> Coroutine[Any, Any, pa.Table]:
    """Start a LanceDB async query now; await the result to get what ``query.to_arrow()`` gives.

    The query's own handle is executed, which LanceDB spawns on its runtime at once: the caller
    can do other work before awaiting (a coroutine such as ``to_arrow()`` would only start
    when awaited). ``to_arrow()`` would also first ask LanceDB for the table schema, to handle
    blob columns (these tables have none): one more round trip through LanceDB's runtime per
    query. A LanceDB version without the handle gets ``to_arrow()``. tests/test_rag_index.py
    checks both give the same table.

    Parameters
    ----------
    query
        An async LanceDB query, its limit already set.
    limit
        That limit: once this many rows came, the stream is not polled for its end (one round
        trip less, ~0.2 ms).
    """
    execute = getattr(getattr(query, "_inner", None), "execute", None)
    if execute is None:
        return query.to_arrow()  # type: ignore[no-any-return]
    return _read_stream(execute(max_batch_length=None, timeout=None), limit)


async def _read_stream(started: Awaitable[Any], limit: int) -> pa.Table:
    import pyarrow as pa

    stream = await started
    batches = []
    rows = 0
    while rows < limit:
        try:
            batch = await stream.__anext__()
        except StopAsyncIteration:
            break
        batches.append(batch)
        rows += batch.num_rows
    return pa.Table.from_batches(batches, schema=stream.schema)


async def collect(query: Any, limit: int) -> pa.Table:
    """The result of a LanceDB async query with limit ``limit`` (see :func:`start_query`)."""
    return await start_query(query, limit)


def python_values(values: pa.Array | pa.ChunkedArray) -> list[Any]:
    """``values.to_pylist()``, several times faster for numbers and strings.

    ``to_pylist`` boxes every value in an Arrow scalar first (~1 us each); going through NumPy
    does not. Other types, and numbers with nulls (NumPy would make them NaN), keep
    ``to_pylist``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> python_values(pa.array(["ቤት", None])), python_values(pa.array([3, None]))
    (['ቤት', None], [3, None])
    """
    import pyarrow as pa

    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
            (pa.types.is_integer(kind) or pa.types.is_floating(kind)) and not values.null_count):
        return values.to_numpy(zero_copy_only=False).tolist()
    return values.to_pylist()


def scored_rows(table: pa.Table) -> list[dict[str, Any]]:
    """``_rowid`` and the score column (``_score`` or ``_distance``) of each row of a result."""
    names = [c for c in ("_rowid", "_score", "_distance") if c in table.column_names]
    values = [python_values(table.column(c)) for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
