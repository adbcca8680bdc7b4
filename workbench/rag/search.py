"""``workbench rag search``: full-text, vector or hybrid (fused) search, filtered.

* text: BM25 over ``text_fts`` (normalised words plus prefix/suffix-stripped forms), so a query
  finds ads through attached prefixes ("ኪራይ" finds "ለኪራይ") and homophone spellings ("ፀሐይ"
  finds "ጸሀይ");
* vector: cosine similarity of the embeddings;
* hybrid (default): both, each to a depth of ``max(2k, rag.hybrid_depth)`` (40), fused by
  reciprocal rank (RRF: each list adds ``1 / (rrf_k + rank)``), then re-ranked by
  **relevance** (:func:`workbench.rag.ranking.relevance`, RRF breaking ties): half the share of
  the query's words the ad holds whole (through attached prefixes and suffixes), half the
  **n-gram coverage** (default ``tfidf-svd`` embedder): the IDF-weighted share of the query's
  character n-grams found in the ad, counted only from ``MIN_TEXT_COVERAGE`` (0.4) up. Coverage
  puts an ad that contains the query's rare words first (the SVD vectors blur rare words, and RRF
  alone let them outvote an exact BM25 hit) and still ranks a misspelt word's ad high (most of
  its n-grams survive the typo); the whole-word half keeps an ad that only shares a short prefix
  ("የልብ", of the heart, for "ልብስ", clothes) below the ads that hold the word. On the benchmark
  (bench/rag.py) coverage lifted hybrid recall@10 above both single searches on every query
  kind, for ~0.4 ms. With other embedders (semantic vectors) only the whole-word half applies.

Every mode then folds near-duplicates (reposts) into the best of them (``Hit.similar`` counts
them; ``curation.dedup``'s shingles and threshold), fetching ``4k`` candidates so that the
folded hits' places are filled.

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
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.amharic.strings import normalize
from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError, WorkbenchError
from workbench.core.layout import Layout
from workbench.core.manifests import RagIndexManifest, read_manifest
from workbench.rag.embedders import Embedder, load_embedder, query_form
from workbench.rag.filters import where_clause
from workbench.rag.hits import Hit, TableName, hit_from_row
from workbench.rag.index import ADS_TABLE, BRIEFS_TABLE, TERM_DF_FILE, connect
from workbench.rag.ranking import (
    collapse_near_duplicates,
    ngram_coverages,
    query_ngram_weights,
    relevance,
    rrf_scores,
    whole_word_shares,
)
from workbench.rag.rows import (
    FilteredVectors,
    RowSnapshot,
    python_values,
    ready,
    scored_rows,
    start_query,
)
from workbench.rag.text import fts_terms

if TYPE_CHECKING:
    import pyarrow as pa

SearchMode = Literal["hybrid", "vector", "text"]

_AD_COLUMNS = ["uid", "channel_name", "vertical", "date", "text", "text_norm"]
_BRIEF_COLUMNS = ["brief_id", "target_channel", "vertical", "brand", "text", "text_norm"]

#: Common words are left out of full-text queries only on tables at least this large. Below it
#: their posting lists are short: on bench/rag.py at 10k ads leaving them out saved nothing
#: measurable (0.96x p50) but cost misspelt-query recall (0.79 -> 0.73), since a common word
#: still narrows the candidates of a query whose rare word is misspelt. At 100k: 0.92x p50,
#: 0.87x p95, misspelt-query recall 0.12 -> 0.10.
FTS_PRUNE_MIN_ROWS = 50_000

#: Candidates fetched per hit wanted when near-duplicates are folded (a repost-heavy channel can
#: fill a top 10 with copies of three ads).
COLLAPSE_DEPTH_FACTOR = 4


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
            return ready(exact.search(vector, depth))
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
        collapse: bool = True,
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
        collapse
            Fold near-duplicates of a better hit into it (``Hit.similar`` counts them), with
            ``curation.dedup``'s shingle length and threshold: a repost shows once.

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
        # Hybrid lists go deeper than k: the re-ranking can only promote what was fetched; and
        # folding near-duplicates away needs candidates to take their places.
        depth = max(2 * k, self.cfg.rag.hybrid_depth) if mode == "hybrid" else k
        if collapse:
            depth = max(depth, COLLAPSE_DEPTH_FACTOR * k)
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
                ranked = await rerank(atbl, text_table, vector_table, weights)
            elif by_text is not None or by_vector is not None:
                ranked = scored_rows(await (by_text or by_vector))
            else:
                return []
            top = await fold(atbl, ranked) if collapse else ranked[:k]
            rows = await self._rows(atbl, real, [r["_rowid"] for r in top], columns)
            return [{**row, **scores} for row, scores in zip(rows, top, strict=True)]

        async def rerank(atbl: Any, by_text: pa.Table, by_vector: pa.Table,
                         weights: dict[str, float]) -> list[dict[str, Any]]:
            """Fuse the two lists (RRF), then re-rank; every candidate's scores, best first.

            By :func:`relevance` (whole words, then n-gram coverage), RRF breaking ties.

            Works on id lists: a dict per candidate (~80) cost more than the fusion itself.
            """
            text_ids = python_values(by_text["_rowid"])
            vector_ids = python_values(by_vector["_rowid"])
            bm25 = dict(zip(text_ids, python_values(by_text["_score"]), strict=True))
            distance = dict(zip(vector_ids, python_values(by_vector["_distance"]), strict=True))
            rrf = rrf_scores([text_ids, vector_ids], rrf_k=self.cfg.rag.rrf_k)
            order = sorted(rrf, key=lambda i: -rrf[i])  # stable: ties in order of first appearance
            texts = await self._column(atbl, real, order, "text_norm")
            shares = whole_word_shares(norm, texts)
            coverages = ngram_coverages(weights, texts) if weights else [0.0] * len(order)
            score = {i: relevance(w, c) for i, w, c in zip(order, shares, coverages, strict=True)}
            order.sort(key=lambda i: (-score[i], -rrf[i]))
            top = []
            for i in order:
                row = {"_rowid": i, "_score": bm25.get(i), "_distance": distance.get(i),
                       "_relevance_score": rrf[i]}
                row["_coverage"] = score[i]
                top.append(row)
            return top

        async def fold(atbl: Any, ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """The k best of ``ranked`` once near-duplicates are folded into a better hit."""
            ids = [r["_rowid"] for r in ranked]
            texts = await self._column(atbl, real, ids, "text_norm")
            dedup = self.cfg.curation.dedup
            kept = collapse_near_duplicates(ids, texts, keep=k, threshold=dedup.threshold,
                                            shingle=dedup.shingle)
            by_id = {r["_rowid"]: r for r in ranked}
            return [{**by_id[rid], "_similar": similar} for rid, similar in kept]

        rows: list[dict[str, Any]] = self._run(fetch)
        return [hit_from_row(i, row, table) for i, row in enumerate(rows, start=1)]
