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
  it lifted hybrid recall@10 above both single searches on every query kind, for ~0.2 ms.
  With other embedders (semantic vectors) the RRF order is kept.

The searches go through LanceDB's async API on a private event loop, the two of a hybrid search
gathered, and are fused here rather than by LanceDB's hybrid query and ``RRFReranker`` (same RRF
formula): measured on 10k ads, a hybrid search took 7 ms this way against 13-15 ms through the
synchronous API, where each query pays a fixed ~3 ms.

Filters (``channel``, ``vertical``) are applied before ranking (pre-filter), so asking for 10 hits
of one channel gives 10 hits of that channel when it has them.

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
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from workbench.config import ProjectConfig
from workbench.errors import DataContractError, WorkbenchError
from workbench.rag.embedders import Embedder, load_embedder, query_form
from workbench.rag.index import ADS_TABLE, BRIEFS_TABLE, connect, rag_dir
from workbench.rag.text import fts_terms, normalize_query

SearchMode = Literal["hybrid", "vector", "text"]
TableName = Literal["ads", "briefs"]

_AD_COLUMNS = ["uid", "channel_name", "vertical", "date", "text", "text_norm"]
_BRIEF_COLUMNS = ["brief_id", "target_channel", "vertical", "brand", "text", "text_norm"]


class UnknownFilterError(WorkbenchError):
    """A channel or vertical filter names nothing in the index."""


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
    """An opened index: embedder loaded once, tables opened once (generation reuses it).

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
        self.folder = rag_dir(data_dir, cfg)
        manifest_path = self.folder / "manifest.json"
        if not manifest_path.exists():
            msg = f"{manifest_path}: not found; run `workbench rag index` first"
            raise DataContractError(msg)
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        self.embedder: Embedder = load_embedder(self.folder / "embedder", cfg.rag, data_dir)
        self._db = connect(data_dir, cfg)
        self._db_path = str(self.folder / "lancedb")
        self._tables: dict[str, Any] = {}
        self._async_tables: dict[tuple[int, str], Any] = {}
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
        """Close the private event loop."""
        if self._loop is not None:
            self._loop.close()
            self._loop = None
            self._async_tables.clear()

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

    @property
    def channels(self) -> list[str]:
        """Channel names present in the ads table."""
        return list(self.manifest.get("channels", []))

    @property
    def verticals(self) -> list[str]:
        """Verticals present in the ads table."""
        return list(self.manifest.get("verticals", []))

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
        c = self.cfg.cleaning
        return normalize_query(query, tsa_target=c.tsa_series_target,
                               unify_homophones=c.unify_homophones, casefold=c.casefold_latin)

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
            when fewer rows share a term with the query).
        """
        self.table(table)  # one clear error when the table was never built
        where = where_clause(channel=channel, vertical=vertical, table=table)
        norm = self._normalise(query)
        terms = fts_terms(norm)
        columns = _AD_COLUMNS if table == "ads" else _BRIEF_COLUMNS
        key = columns[0]
        vector = None
        if mode != "text":
            vector = self.embedder.encode([query_form(self.embedder, query, norm)])[0]
            if not vector.any():
                vector = None  # no known n-gram: an all-zero vector ranks nothing

        use_text = bool(terms) and mode in ("text", "hybrid")
        use_vector = vector is not None and mode in ("vector", "hybrid")
        if not (use_text or use_vector):
            return []
        # Hybrid lists go deeper than k: the re-ranking can only promote what was fetched.
        depth = max(2 * k, self.cfg.rag.hybrid_depth) if use_text and use_vector else k
        real = ADS_TABLE if table == "ads" else BRIEFS_TABLE

        async def fetch() -> list[list[dict[str, Any]]]:
            atbl = await self._async_table(real)
            queries = []
            if use_text:
                # Naming the score columns keeps Lance from warning about auto-projection.
                query = atbl.query().nearest_to_text(terms, columns=["text_fts"])
                query = query.select([*columns, "_score"])
                queries.append(query.where(where) if where else query)
            if use_vector:
                query = atbl.query().nearest_to(vector).column("vector").distance_type("cosine")
                query = query.select([*columns, "_distance"])
                queries.append(query.where(where) if where else query)
            return await asyncio.gather(*(q.limit(depth).to_arrow() for q in queries))

        tables: list[Any] = self._run(fetch)
        if len(tables) == 1:
            rows = tables[0].to_pylist()
        else:
            # Rank on a few light columns; only the k hits shown get every column converted.
            light = [_light_rows(t, key, n) for n, t in enumerate(tables)]
            rows = fuse(light, key=key, rrf_k=self.cfg.rag.rrf_k)
            weights = query_ngram_weights(self.embedder, norm)
            if weights:
                for row in rows:
                    row["_coverage"] = ngram_coverage(weights, row.get("text_norm") or "")
                rows.sort(key=lambda r: (-r["_coverage"], -r["_relevance_score"]))
            rows = _materialise(tables, rows[:k])
        return [self._hit(i, row, table) for i, row in enumerate(rows[:k], start=1)]

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


def _light_rows(table: Any, key: str, source: int) -> list[dict[str, Any]]:
    """Key, ``text_norm`` and score columns of an Arrow result, with the row's position."""
    names = [c for c in (key, "text_norm", "_score", "_distance") if c in table.column_names]
    columns = {c: table[c].to_pylist() for c in names}
    return [{**{c: columns[c][i] for c in names}, "_src": (source, i)}
            for i in range(table.num_rows)]


def _materialise(tables: list[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every column of the chosen light rows: one ``take`` per source table."""
    wanted: dict[int, list[int]] = {}
    for row in rows:
        wanted.setdefault(row["_src"][0], []).append(row["_src"][1])
    full = {(n, i): values for n, idx in wanted.items()
            for i, values in zip(idx, tables[n].take(idx).to_pylist(), strict=True)}
    return [{**full[row["_src"]], **row} for row in rows]


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
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    padded = f" {text_norm} "
    return sum(w for gram, w in weights.items() if gram in padded) / total


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
    merged: dict[str, dict[str, Any]] = {}
    for ranked in ranked_lists:
        for rank, row in enumerate(ranked, start=1):
            into = merged.setdefault(row[key], {**row, "_relevance_score": 0.0})
            into.update({k: v for k, v in row.items() if v is not None})
            into["_relevance_score"] += 1.0 / (rrf_k + rank)
    order = {k: i for i, k in enumerate(merged)}
    return sorted(merged.values(), key=lambda r: (-r["_relevance_score"], order[r[key]]))


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
