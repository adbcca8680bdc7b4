"""``workbench rag search``: full-text, vector or hybrid (fused) search, filtered.

* text: BM25 over ``text_fts`` (normalised words plus prefix/suffix-stripped forms), so a query
  finds ads through attached prefixes ("ኪራይ" finds "ለኪራይ") and homophone spellings ("ፀሐይ"
  finds "ጸሀይ");
* vector: cosine similarity of the embeddings;
* hybrid (default): both, each to a depth of ``max(2k, rag.hybrid_depth)`` (40), fused by reciprocal rank (RRF: each
  list adds ``1 / (rrf_k + rank)``), then, with the default ``tfidf-svd`` embedder, re-ranked by
  **n-gram coverage**: the IDF-weighted share of the query's character n-grams found in the ad
  (RRF breaks ties). Coverage puts an ad that contains the query's rare words first (the SVD
  vectors blur rare words, and RRF alone let them outvote an exact BM25 hit) and still ranks a
  misspelt word's ad high (most of its n-grams survive the typo). On the benchmark (bench/rag.py)
  it lifted hybrid recall@10 above both single searches on every query kind, for ~0.4 ms.
  With other embedders (semantic vectors) the RRF order is kept.

Each LanceDB query asks only for row ids and scores (``_rowid`` with ``_score`` /
``_distance``); ``text_norm`` (for the coverage) and the columns a hit shows come from a
:class:`RowSnapshot`: those six columns of every row of the opened table version, read by the
first search (one scan) and held as Python lists. Reading rows back from Lance by random access
was most of a search's time: ~1.4 ms per ``take`` plus ~10-20 us per row and column, so the
40 + 40 six-column rows of a hybrid search cost about twice the two searches themselves. The
snapshot is a copy of a few columns held for the life of the ``RagIndex``, not a second store:
LanceDB keeps the rows and the full-text and vector indices and answers every search. Tables over
``rag.row_cache_max_rows`` rows (and searches run on a one-off loop, see ``RagIndex._run``) read
the rows from LanceDB instead, with the same hits. On bench/rag.py (100k ads, 2 cores) a hybrid
search took 0.38-0.40x the p50 / p95 of the same search reading the rows from LanceDB, and
0.32-0.36x of LanceDB's own hybrid query (sync API, ``RRFReranker``): README, Benchmarks.

The searches go through LanceDB's async API on a private event loop (the synchronous API adds a
thread hop to every query). Each query is started as soon as its input is ready and LanceDB runs
it on its own threads while Python goes on: the full-text query runs while the query is
embedded, and both while the coverage's n-gram weights are computed. The two lists are fused
here, with the RRF formula of LanceDB's ``RRFReranker``, so that the coverage re-ranking can
follow the fusion.

The full-text query leaves out the words found in more than ``rag.fts_max_df`` (10%) of the ads
(``term_df.json``, written by the index build; only for tables of ``FTS_PRUNE_MIN_ROWS`` (50,000)
rows or more, where it matters): BM25 gives such words little weight, but walking their long
posting lists was most of a full-text search's time. The vector search and the coverage re-ranking
still use every word.

Filters (``channel``, ``vertical``) are applied before ranking (pre-filter), so asking for 10 hits
of one channel gives 10 hits of that channel when it has them. A filter selecting at most
``rag.exact_filter_max_rows`` rows (a channel, as generation asks for) gets an exact vector
search: the vectors of its rows are read from LanceDB by the first search with that filter and
kept (:class:`FilteredVectors`). LanceDB's HNSW search with such a pre-filter was slower and found
85% of the exact top 10 (bench/rag.py, 100k ads, one channel's 3,300 rows); the full-text side
stays LanceDB's.

Examples
--------
>>> where_clause(channel="Sheger Gebeya", vertical="Retail")
"channel_name = 'Sheger Gebeya' AND vertical = 'Retail'"
>>> print(where_clause(channel="1001"))
(channel_name = '1001' OR channel_id = 1001)
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from workbench.core.amharic.strings import normalize
from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError, WorkbenchError
from workbench.core.layout import Layout
from workbench.core.manifests import RagIndexManifest, read_manifest
from workbench.rag.embedders import Embedder, load_embedder, query_form
from workbench.rag.index import ADS_TABLE, BRIEFS_TABLE, TERM_DF_FILE, connect
from workbench.rag.text import fts_terms

if TYPE_CHECKING:
    import pyarrow as pa

SearchMode = Literal["hybrid", "vector", "text"]
TableName = Literal["ads", "briefs"]

_AD_COLUMNS = ["uid", "channel_name", "vertical", "date", "text", "text_norm"]
_BRIEF_COLUMNS = ["brief_id", "target_channel", "vertical", "brand", "text", "text_norm"]

#: Common words are left out of full-text queries only on tables at least this large. Below it
#: their posting lists are short: on bench/rag.py at 10k ads leaving them out saved nothing
#: measurable (0.96x p50) but cost misspelt-query recall (0.79 -> 0.73), since a common word
#: still narrows the candidates of a query whose rare word is misspelt. At 100k: 0.92x p50,
#: 0.87x p95, misspelt-query recall 0.12 -> 0.10.
FTS_PRUNE_MIN_ROWS = 50_000


def fts_query(terms: str, term_df: dict[str, Any] | None, max_df: float) -> str:
    """``terms`` without the words found in more than ``max_df`` of the table's rows.

    Parameters
    ----------
    terms
        Space-separated query words (``fts_terms`` of the normalised query).
    term_df
        ``{"rows": N, "df": {word: rows containing it}}`` of the table (``term_df.json``), or
        None (an index built before the file existed: nothing is left out).
    max_df
        ``rag.fts_max_df``.

    Returns
    -------
    str
        The words kept, in order; all of them when every word is that common (or the table is
        smaller than ``FTS_PRUNE_MIN_ROWS``).

    Examples
    --------
    >>> stats = {"rows": 100_000, "df": {"ዋጋ": 90_000, "ብር": 20_000, "ቤት": 5_000}}
    >>> fts_query("ቤት ዋጋ ብር", stats, 0.1)
    'ቤት'
    >>> fts_query("ዋጋ ብር", stats, 0.1)
    'ዋጋ ብር'
    """
    if not term_df or term_df.get("rows", 0) < FTS_PRUNE_MIN_ROWS or max_df >= 1.0:
        return terms
    limit = max_df * term_df["rows"]
    df = term_df.get("df", {})
    words = terms.split()
    kept = [w for w in words if df.get(w, 0) <= limit]
    return " ".join(kept) if kept else terms


class UnknownFilterError(WorkbenchError):
    """A channel or vertical filter names nothing in the index."""


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


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``score`` is what the ranking used: n-gram coverage (hybrid with the default embedder, 0..1),
    the fused reciprocal-rank score (hybrid otherwise), BM25 (text) or cosine similarity
    (vector). ``bm25``, ``cosine`` and ``rrf`` are the components when known.
    """

    rank: int
    key: str
    score: float
    bm25: float | None
    cosine: float | None
    rrf: float | None
    channel: str | None
    vertical: str | None
    date: datetime | None
    text: str


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def where_clause(*, channel: str | None = None, vertical: str | None = None,
                 table: TableName = "ads") -> str | None:
    """SQL pre-filter for the given channel (name, or numeric id) and vertical."""
    parts = []
    if channel is not None:
        column = "channel_name" if table == "ads" else "target_channel"
        if channel.lstrip("-").isdigit() and table == "ads":
            parts.append(f"({column} = {_quote(channel)} OR channel_id = {int(channel)})")
        else:
            parts.append(f"{column} = {_quote(channel)}")
    if vertical is not None:
        parts.append(f"vertical = {_quote(vertical)}")
    return " AND ".join(parts) or None


class RagIndex:
    """An opened index: embedder loaded once, tables opened and row snapshots read once.

    Generation and the web app keep one per thread and reuse it; the snapshots (see the module
    docstring) live as long as the object.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config.

    Raises
    ------
    DataContractError
        When the index was never built.
    """

    def __init__(self, data_dir: Path, cfg: ProjectConfig) -> None:
        self.cfg = cfg
        lay = Layout(data_dir)
        self.folder = lay.rag
        self.manifest_path = lay.rag_manifest
        self.manifest: RagIndexManifest = read_manifest(
            lay.rag_manifest, RagIndexManifest, hint="run `workbench rag index` first")
        self.embedder: Embedder = load_embedder(self.folder / "embedder", cfg.rag, data_dir)
        term_df_path = self.folder / TERM_DF_FILE
        self._term_df: dict[str, Any] = (
            json.loads(term_df_path.read_text(encoding="utf-8")).get("tables", {})
            if term_df_path.exists() else {})
        self._db = connect(data_dir)
        self._db_path = str(self.folder / "lancedb")
        self._tables: dict[str, Any] = {}
        self._async_tables: dict[tuple[int, str], Any] = {}
        self._snapshots: dict[str, RowSnapshot | None] = {}
        # (table, filter) -> its rows' vectors, or None when it selects too many rows; least
        # recently used first.
        self._filtered: OrderedDict[tuple[str, str], FilteredVectors | None] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _run(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """Run the coroutine ``make()`` returns, on the index's private event loop.

        The loop runs in the calling thread (no thread hop: a hop cost ~2 ms a query). Called
        from inside a running loop (a notebook, an async app), the coroutine runs on a worker
        thread with a loop of its own instead. An index is not meant to be shared by threads.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            return self._loop.run_until_complete(make())
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(lambda: asyncio.run(make())).result()

    def close(self) -> None:
        """Close the private event loop and drop the row snapshots and filtered vectors."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
            self._async_tables.clear()
        self._snapshots.clear()
        self._filtered.clear()

    async def _async_table(self, real: str) -> Any:
        import lancedb

        slot = (id(asyncio.get_running_loop()), real)
        if slot not in self._async_tables:
            db = await lancedb.connect_async(self._db_path)
            table = await db.open_table(real)
            if asyncio.get_running_loop() is not self._loop:
                return table  # a one-off loop: nothing to cache
            self._async_tables[slot] = table
        return self._async_tables[slot]

    async def _snapshot(self, atbl: Any, real: str) -> RowSnapshot | None:
        """The snapshot of table ``real`` (read by the first search), or None to read LanceDB.

        Only the private loop's tables get one: their version never changes (no read-consistency
        interval), so the row ids of every later search are those of the snapshot.
        """
        if asyncio.get_running_loop() is not self._loop:
            return None
        if real not in self._snapshots:
            limit = self.cfg.rag.row_cache_max_rows
            snapshot = None
            if limit and await atbl.count_rows() <= limit:
                columns = _AD_COLUMNS if real == ADS_TABLE else _BRIEF_COLUMNS
                # No limit: a plain query scans every row.
                snapshot = RowSnapshot(await atbl.query().select(columns).with_row_id().to_arrow())
            self._snapshots[real] = snapshot
        return self._snapshots[real]

    async def _filtered_vectors(self, atbl: Any, real: str,
                                where: str) -> FilteredVectors | None:
        """The vectors of the rows ``where`` selects, or None to search LanceDB's vector index.

        Read by the first search with that filter, on the private loop only (a pinned table
        version, as for the snapshot), when it selects at most ``rag.exact_filter_max_rows``
        rows. All filters together keep at most ``rag.row_cache_max_rows`` rows; the least
        recently used go first.
        """
        limit = self.cfg.rag.exact_filter_max_rows
        if not limit or asyncio.get_running_loop() is not self._loop:
            return None
        key = (real, where)
        if key in self._filtered:
            self._filtered.move_to_end(key)
            return self._filtered[key]
        found = None
        if await atbl.count_rows(where) <= limit:
            # No limit: a plain query returns every row the filter selects.
            table = await atbl.query().where(where).select(["vector"]).with_row_id().to_arrow()
            found = FilteredVectors(table)
        self._filtered[key] = found
        budget = self.cfg.rag.row_cache_max_rows
        while sum(v.num_rows for v in self._filtered.values() if v is not None) > budget:
            self._filtered.popitem(last=False)
        return self._filtered.get(key)

    async def _vector_search(self, atbl: Any, real: str, vector: Any, where: str | None,
                             depth: int) -> Coroutine[Any, Any, pa.Table]:
        """The ``depth`` nearest rows, started: exact for a small filter, else LanceDB's index."""
        exact = await self._filtered_vectors(atbl, real, where) if where else None
        if exact is not None:
            return _ready(exact.search(vector, depth))
        query = atbl.query().nearest_to(vector).column("vector").distance_type("cosine")
        query = query.select(["_distance"]).with_row_id().limit(depth)
        return start_query(query.where(where) if where else query, depth)

    async def _rows(self, atbl: Any, real: str, row_ids: Sequence[int],
                    columns: Sequence[str]) -> list[dict[str, Any]]:
        """``columns`` of the rows ``row_ids`` (in that order): from the snapshot, else LanceDB."""
        if not row_ids:
            return []
        snapshot = await self._snapshot(atbl, real)
        if snapshot is not None:
            return snapshot.take(row_ids, columns)
        found = await atbl.take_row_ids(list(row_ids)).select(list(columns)).with_row_id().to_arrow()
        by_id = dict(zip(found["_rowid"].to_pylist(),
                         found.drop_columns(["_rowid"]).to_pylist(), strict=True))
        return [by_id[i] for i in row_ids]

    async def _column(self, atbl: Any, real: str, row_ids: Sequence[int],
                      column: str) -> list[Any]:
        """``column`` of the rows ``row_ids`` (in that order): from the snapshot, else LanceDB."""
        snapshot = await self._snapshot(atbl, real)
        if snapshot is not None:
            return snapshot.column(row_ids, column)
        return [row[column] for row in await self._rows(atbl, real, row_ids, [column])]

    def snapshot_info(self, name: TableName = "ads") -> dict[str, int] | None:
        """Rows and bytes of a table's row snapshot once a search read it (None: no snapshot)."""
        snapshot = self._snapshots.get(ADS_TABLE if name == "ads" else BRIEFS_TABLE)
        return None if snapshot is None else {"rows": snapshot.num_rows, "bytes": snapshot.nbytes}

    @property
    def channels(self) -> list[str]:
        """Channel names present in the ads table."""
        return list(self.manifest.channels)

    @property
    def verticals(self) -> list[str]:
        """Verticals present in the ads table."""
        return list(self.manifest.verticals)

    def table(self, name: TableName) -> Any:
        """The LanceDB table behind ``ads`` / ``briefs`` (opened once)."""
        real = ADS_TABLE if name == "ads" else BRIEFS_TABLE
        if real not in self._tables:
            if real not in self._db.list_tables().tables:
                msg = (f"{self.folder}: no '{real}' table; run `workbench rag index"
                       f"{' --briefs DIR' if name == 'briefs' else ''}` first")
                raise DataContractError(msg)
            self._tables[real] = self._db.open_table(real)
        return self._tables[real]

    def canonical_channel(self, channel: str) -> str:
        """``channel`` as indexed: exact, case-insensitive, or the one name containing it.

        A numeric id is kept as is (the filter matches ``channel_id`` too).

        Raises
        ------
        UnknownFilterError
            No indexed channel matches; the message suggests the closest names.
        """
        return self._canonical(channel, self.channels, "channel", allow_id=True)

    def canonical_vertical(self, vertical: str) -> str:
        """``vertical`` as indexed (matched like :meth:`canonical_channel`)."""
        return self._canonical(vertical, self.verticals, "vertical", allow_id=False)

    @staticmethod
    def _canonical(value: str, known: list[str], what: str, *, allow_id: bool) -> str:
        if value in known or (allow_id and value.lstrip("-").isdigit()):
            return value
        by_lower = {k.casefold(): k for k in known}
        if value.casefold() in by_lower:
            return by_lower[value.casefold()]
        # A part of the name is enough when it names one channel ("Sheger Gebeya" for
        # "ሸገር ገበያ Sheger Gebeya").
        partial = [k for k in known if value.casefold() in k.casefold()]
        if len(partial) == 1:
            return partial[0]
        if len(partial) > 1:
            msg = f"{what} '{value}' matches several: {', '.join(partial[:6])}; be more precise"
            raise UnknownFilterError(msg)
        hint = difflib.get_close_matches(value, known, n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        shown = ", ".join(known[:12]) + (f" (+{len(known) - 12} more)" if len(known) > 12 else "")
        msg = f"no indexed ad has {what} '{value}'{did}; indexed: {shown or 'none'}"
        raise UnknownFilterError(msg)

    def _normalise(self, query: str) -> str:
        return normalize(query, self.cfg.cleaning)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: SearchMode = "hybrid",
        channel: str | None = None,
        vertical: str | None = None,
        table: TableName = "ads",
    ) -> list[Hit]:
        """Search one table.

        Parameters
        ----------
        query
            Free text, Amharic or English, as typed (normalised here like ``text_norm``).
        k
            Number of hits.
        mode
            ``hybrid`` (fused), ``vector`` or ``text``.
        channel, vertical
            Exact filters (already canonical: see :meth:`canonical_channel`).
        table
            ``ads`` (channel ads) or ``briefs``.

        Returns
        -------
        list of Hit
            Best first; fewer than ``k`` when the filters leave fewer rows (or, for ``text``,
            when fewer rows share a word of :func:`fts_query` with the query).
        """
        self.table(table)  # one clear error when the table was never built
        where = where_clause(channel=channel, vertical=vertical, table=table)
        norm = self._normalise(query)
        terms = fts_terms(norm)
        columns = _AD_COLUMNS if table == "ads" else _BRIEF_COLUMNS
        use_text = bool(terms) and mode in ("text", "hybrid")
        if not use_text and mode == "text":
            return []
        # Hybrid lists go deeper than k: the re-ranking can only promote what was fetched.
        depth = max(2 * k, self.cfg.rag.hybrid_depth) if mode == "hybrid" else k
        real = ADS_TABLE if table == "ads" else BRIEFS_TABLE

        async def fetch() -> list[dict[str, Any]]:
            atbl = await self._async_table(real)
            # Each query is started as soon as it can be (LanceDB runs it on its own threads)
            # and the Python work that does not need its result runs meanwhile: the full-text
            # query plans and runs while the query is embedded, and both queries while the
            # re-ranking's n-gram weights are computed.
            by_text = by_vector = None
            if use_text:
                # Row ids and scores only: the columns come from _rows (see the module docstring).
                words = fts_query(terms, self._term_df.get(real), self.cfg.rag.fts_max_df)
                text_query = atbl.query().nearest_to_text(words, columns=["text_fts"])
                text_query = text_query.select(["_score"]).with_row_id().limit(depth)
                by_text = start_query(text_query.where(where) if where else text_query, depth)
            try:
                if mode != "text":
                    vector = self.embedder.encode([query_form(self.embedder, query, norm)])[0]
                    # No known n-gram: an all-zero vector ranks nothing, so no vector search.
                    if vector.any():
                        by_vector = await self._vector_search(atbl, real, vector, where, depth)
                weights = ({} if by_text is None or by_vector is None
                           else query_ngram_weights(self.embedder, norm))
            except BaseException:
                for pending in (by_text, by_vector):
                    if pending is not None:
                        pending.close()  # never awaited: no "never awaited" warning
                raise
            if by_text is not None and by_vector is not None:
                text_table, vector_table = await asyncio.gather(by_text, by_vector)
                top = await rerank(atbl, text_table, vector_table, weights)
            elif by_text is not None or by_vector is not None:
                top = _scored_rows((await (by_text or by_vector)).slice(0, k))
            else:
                return []
            rows = await self._rows(atbl, real, [r["_rowid"] for r in top], columns)
            return [{**row, **scores} for row, scores in zip(rows, top, strict=True)]

        async def rerank(atbl: Any, by_text: pa.Table, by_vector: pa.Table,
                         weights: dict[str, float]) -> list[dict[str, Any]]:
            """Fuse the two lists (RRF), then re-rank by n-gram coverage; the k best rows' scores.

            Works on id lists: a dict per candidate (~80) cost more than the fusion itself.
            """
            text_ids = python_values(by_text["_rowid"])
            vector_ids = python_values(by_vector["_rowid"])
            bm25 = dict(zip(text_ids, python_values(by_text["_score"]), strict=True))
            distance = dict(zip(vector_ids, python_values(by_vector["_distance"]), strict=True))
            rrf = rrf_scores([text_ids, vector_ids], rrf_k=self.cfg.rag.rrf_k)
            order = sorted(rrf, key=lambda i: -rrf[i])  # stable: ties in order of first appearance
            coverage: dict[int, float] = {}
            if weights:
                texts = await self._column(atbl, real, order, "text_norm")
                coverage = dict(zip(order, ngram_coverages(weights, texts), strict=True))
                order.sort(key=lambda i: (-coverage[i], -rrf[i]))
            top = []
            for i in order[:k]:
                row = {"_rowid": i, "_score": bm25.get(i), "_distance": distance.get(i),
                       "_relevance_score": rrf[i]}
                if weights:
                    row["_coverage"] = coverage[i]
                top.append(row)
            return top

        rows: list[dict[str, Any]] = self._run(fetch)
        return [self._hit(i, row, table) for i, row in enumerate(rows, start=1)]

    @staticmethod
    def _hit(rank: int, row: dict[str, Any], table: TableName) -> Hit:
        bm25 = row.get("_score")
        distance = row.get("_distance")
        cosine = None if distance is None else 1.0 - float(distance)
        rrf = row.get("_relevance_score")
        if "_coverage" in row:
            score = float(row["_coverage"])
        elif rrf is not None:
            score = float(rrf)
        elif bm25 is not None:
            score = float(bm25)
        else:
            score = cosine if cosine is not None else 0.0
        if table == "ads":
            return Hit(rank=rank, key=row["uid"], score=score, bm25=bm25, cosine=cosine, rrf=rrf,
                       channel=row.get("channel_name"), vertical=row.get("vertical"),
                       date=row.get("date"), text=row.get("text") or "")
        return Hit(rank=rank, key=row["brief_id"], score=score, bm25=bm25, cosine=cosine, rrf=rrf,
                   channel=row.get("target_channel"), vertical=row.get("vertical"), date=None,
                   text=row.get("text") or "")


async def _ready(value: Any) -> Any:
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


def _scored_rows(table: pa.Table) -> list[dict[str, Any]]:
    """``_rowid`` and the score column (``_score`` or ``_distance``) of each row of a result."""
    names = [c for c in ("_rowid", "_score", "_distance") if c in table.column_names]
    values = [python_values(table.column(c)) for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def query_ngram_weights(embedder: Embedder, query_norm: str) -> dict[str, float]:
    """IDF weight of each known character n-gram of the query ({} without n-gram statistics)."""
    weights = getattr(embedder, "ngram_weights", None)
    return weights(query_norm) if weights is not None else {}


def ngram_coverage(weights: dict[str, float], text_norm: str) -> float:
    """IDF-weighted share of the query's n-grams that occur in ``text_norm`` (0.0 .. 1.0).

    N-grams are matched as substrings of the space-padded text, so word-boundary n-grams
    (" ቤት ") only match at word boundaries, as they were extracted.

    Examples
    --------
    >>> ngram_coverage({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, "ቤት ለኪራይ")
    1.0
    >>> ngram_coverage({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, "የቤት ኪራይ")
    0.75
    """
    return ngram_coverages(weights, [text_norm])[0]


def ngram_coverages(weights: dict[str, float], texts: Sequence[str | None]) -> list[float]:
    """:func:`ngram_coverage` of each text (a missing text covers nothing).

    Examples
    --------
    >>> ngram_coverages({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, ["ቤት ለኪራይ", "የቤት ኪራይ", None])
    [1.0, 0.75, 0.0]
    """
    grams, values = list(weights), list(weights.values())
    total = sum(values)
    if total <= 0:
        return [0.0] * len(texts)
    # compress/map run the substring tests in C: half the time of a generator expression
    # (a hybrid search scores ~80 candidates against ~25 n-grams).
    return [sum(compress(values, map(f" {text or ''} ".__contains__, grams))) / total
            for text in texts]


def rrf_scores(ranked_ids: list[list[Any]], *, rrf_k: int) -> dict[Any, float]:
    """Reciprocal-rank fusion of ranked id lists: each list adds ``1 / (rrf_k + rank)`` to an id.

    Returns
    -------
    dict
        Score per id, ids in order of first appearance.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in rrf_scores([["a", "b"], ["b"]], rrf_k=60).items()}
    {'a': 0.0164, 'b': 0.0325}
    """
    scores: dict[Any, float] = {}
    for ranked in ranked_ids:
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (rrf_k + rank)
    return scores


def fuse(ranked_lists: list[list[dict[str, Any]]], *, key: str, rrf_k: int) -> list[dict[str, Any]]:
    """Reciprocal-rank fusion: each list adds ``1 / (rrf_k + rank)`` to a row's score.

    Parameters
    ----------
    ranked_lists
        Result rows of each search, best first (``_score`` / ``_distance`` kept per row).
    key
        Column identifying a row across lists.
    rrf_k
        The RRF constant (60 in the original paper and in LanceDB).

    Returns
    -------
    list of dict
        Rows merged across lists (both component scores when both found it), with
        ``_relevance_score``; best first, ties in order of first appearance.

    Examples
    --------
    >>> rows = fuse([[{"id": "a"}, {"id": "b"}], [{"id": "b"}]], key="id", rrf_k=60)
    >>> [(r["id"], round(r["_relevance_score"], 4)) for r in rows]
    [('b', 0.0325), ('a', 0.0164)]
    """
    scores = rrf_scores([[row[key] for row in ranked] for ranked in ranked_lists], rrf_k=rrf_k)
    merged: dict[Any, dict[str, Any]] = {}
    for ranked in ranked_lists:
        for row in ranked:
            into = merged.setdefault(row[key], {})
            into.update((k, v) for k, v in row.items() if v is not None or k not in into)
    for rid, row in merged.items():
        row["_relevance_score"] = scores[rid]
    # sorted() is stable and dicts keep insertion order: ties stay in order of first appearance.
    return sorted(merged.values(), key=lambda r: -r["_relevance_score"])


def format_hits(hits: list[Hit], *, width: int = 90) -> str:
    """A plain-text table of hits for the terminal."""
    if not hits:
        return "no hits"
    lines = [f"{'#':>3}  {'score':>7}  {'bm25':>6}  {'cos':>5}  {'id':<14} {'channel':<20} "
             f"{'vertical':<18} text"]
    for h in hits:
        bm25 = f"{h.bm25:6.2f}" if h.bm25 is not None else f"{'-':>6}"
        cos = f"{h.cosine:5.2f}" if h.cosine is not None else f"{'-':>5}"
        snippet = " ".join(h.text.split())
        snippet = snippet if len(snippet) <= width else snippet[: width - 1] + "…"
        lines.append(f"{h.rank:>3}  {h.score:7.4f}  {bm25}  {cos}  {h.key:<14.14} "
                     f"{(h.channel or '-'):<20.20} {(h.vertical or '-'):<18.18} {snippet}")
    return "\n".join(lines)
