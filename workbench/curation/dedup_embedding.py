"""Near-duplicate clusters by embeddings: ``text_norm`` -> offline embedder -> LanceDB -> cosine.

The alternative to MinHash (``curation.dedup.method: embedding``). Each non-blank ``text_norm`` is
embedded with the project's embedder registry (:mod:`workbench.rag.embedders`; by default
character n-gram TF-IDF reduced with SVD, fitted on the texts themselves, nothing downloaded), the
vectors go into a LanceDB table, and every pair whose cosine similarity reaches
``cosine_threshold`` is linked. Clusters are the connected components of those links plus the
exact duplicates, exactly as for MinHash, so the output has the same meaning and schema.

Two neighbour searches (``search``):

* ``exact`` (default): the vectors are read back from the table and compared all against all in
  row blocks (one matrix product per block, upper triangle only). No pair above the threshold is
  missed; the cost grows with the square of the corpus (46,000 texts: seconds, see
  ``bench/dedup.py``).
* ``ann``: an IVF-HNSW-SQ index on the table answers ``ann_k`` neighbours per text in batched
  queries. Approximate (a pair can be missed when a text has more than ``ann_k`` close
  neighbours or the index misses it), for corpora where the all-pairs product is too slow.

Examples
--------
>>> from workbench.core.settings.curation import DedupConfig
>>> texts = ["ቅናሽ ልብስ በ 500 ብር ይደውሉ አሁኑኑ", "ቅናሽ ልብስ በ 550 ብር ይደውሉ አሁኑኑ",
...          "ዛሬ በአዲስ አበባ ዝናብ ይጥላል", "የእግር ኳስ ቡድኑ ትናንት አሸነፈ", ""]
>>> labels, sim = cluster_texts_embedding(texts, DedupConfig(method="embedding"))
>>> labels.tolist()
[0, 0, 2, 3, 4]
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from workbench.core.progress import bars_disabled
from workbench.core.settings.curation import DedupConfig
from workbench.curation.components import exact_duplicate_edges, first_member_labels

TABLE = "dedup_vectors"

#: Bytes of one block of the exact search's similarity matrix (rows x corpus, float32): bounds
#: the memory the search adds, whatever the corpus size.
BLOCK_BYTES = 64 * 2**20

#: Queries per LanceDB batch search of the ann search.
ANN_BATCH = 1024

#: Fewer rows than this are searched flat by the ann search: IVF needs data to train on.
ANN_MIN_ROWS = 1024


def embed_texts(
    texts: Sequence[str], cfg: DedupConfig, data_dir: Path | None = None
) -> np.ndarray | None:
    """L2-normalised embeddings of ``texts`` (all-zero rows for blank texts).

    Parameters
    ----------
    texts
        Stripped ``text_norm`` values.
    cfg
        Dedup settings (``embedder``, ``tfidf``).
    data_dir
        Resolves ``hf-mean:run:<id>`` embedders (default: the current folder).

    Returns
    -------
    np.ndarray or None
        ``(n, dim)`` float32; None when a fitted embedder has too few texts to fit on (fewer
        than 3 non-blank): then only exact duplicates can be linked.
    """
    from workbench.core.settings.rag import RagConfig
    from workbench.rag.embedders import make_embedder

    emb = make_embedder(cfg.embedder, RagConfig(tfidf=cfg.tfidf), data_dir or Path())
    present = [i for i, t in enumerate(texts) if t]
    if emb.needs_fit:
        if len(present) < 3:
            return None
        emb.fit([texts[i] for i in present])
    # Encoded in chunks so that a model embedder's activations stay bounded.
    chunk = 4096
    parts = [emb.encode([texts[i] for i in present[s:s + chunk]])
             for s in range(0, len(present), chunk)]
    out = np.zeros((len(texts), emb.dim), dtype=np.float32)
    if parts:
        out[present] = np.concatenate(parts)
    return out


def store_vectors(folder: Path, vectors: np.ndarray, rows: np.ndarray) -> Any:
    """Write ``vectors[rows]`` with their row numbers to the LanceDB table ``dedup_vectors``.

    Returns
    -------
    lancedb.table.Table
        The (re)created table: columns ``row`` (int64) and ``vector``.
    """
    import polars as pl

    from workbench.rag.index import connect_folder, with_vectors

    db = connect_folder(folder)
    exists = TABLE in db.list_tables().tables
    data = with_vectors(pl.DataFrame({"row": rows.astype(np.int64)}), vectors[rows])
    # "overwrite" on a missing table makes Lance log a warning on stderr: "create" then.
    return db.create_table(TABLE, data, mode="overwrite" if exists else "create")


def read_vectors(table: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, vectors)`` of a ``dedup_vectors`` table, as NumPy arrays."""
    data = table.to_arrow()
    column = data.column("vector").combine_chunks()
    dim = column.type.list_size
    vectors = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
    return data.column("row").to_numpy(), np.ascontiguousarray(vectors, dtype=np.float32)


def exact_pairs(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """``(P, 2)`` index pairs ``i < j`` whose cosine similarity (dot product) reaches ``threshold``.

    Row blocks of at most :data:`BLOCK_BYTES` of similarities each, compared with themselves and
    every later row only: each pair is computed once.
    """
    m = vectors.shape[0]
    block = max(16, BLOCK_BYTES // (4 * max(m, 1)))
    found = [np.zeros((0, 2), dtype=np.int64)]
    starts = range(0, m, block)
    for start in tqdm(starts, desc="cosine", unit="block", disable=bars_disabled(), leave=False):
        sims = vectors[start:start + block] @ vectors[start:].T
        r, c = np.nonzero(sims >= threshold)
        keep = c > r  # column c is row start + c: keep the pairs above the diagonal
        found.append(np.stack([start + r[keep], start + c[keep]], axis=1).astype(np.int64))
    return np.concatenate(found)


def ann_pairs(table: Any, vectors: np.ndarray, threshold: float, k: int) -> np.ndarray:
    """``(P, 2)`` pairs of table positions found by LanceDB batched ``k``-neighbour queries.

    ``vectors`` are the table's vectors in table order (as :func:`read_vectors` returns them);
    positions index them. An IVF-HNSW-SQ index is built first unless the table is small.
    """
    import pyarrow.compute as pc

    m = vectors.shape[0]
    if m >= ANN_MIN_ROWS:
        from lancedb.index import IvfHnswSq

        table.create_index("vector", config=IvfHnswSq(distance_type="cosine"), replace=True)
    rows = table.to_arrow().column("row").to_numpy()
    position = np.full(int(rows.max()) + 1 if m else 0, -1, dtype=np.int64)
    position[rows] = np.arange(m)
    found = [np.zeros((0, 2), dtype=np.int64)]
    for start in tqdm(range(0, m, ANN_BATCH), desc="ann", unit="batch", disable=bars_disabled(),
                      leave=False):
        # A list of two or more vectors is one batched query with a query_index column; a
        # single one would be read as a plain vector, so a lone query is sent twice.
        batch = list(vectors[start:start + ANN_BATCH])
        if len(batch) == 1:
            batch = batch * 2
        hits = (table.search(batch, vector_column_name="vector").distance_type("cosine")
                .limit(min(k + 1, m)).select(["row", "_distance"]).to_arrow())
        close = hits.filter(pc.less_equal(hits.column("_distance"), 1.0 - threshold))
        query = start + close.column("query_index").to_numpy().astype(np.int64)
        other = position[close.column("row").to_numpy()]
        keep = (query < m) & (other != query)
        found.append(np.stack([query[keep], other[keep]], axis=1))
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0) if pairs.size else pairs


def cluster_texts_embedding(
    texts: Sequence[str],
    cfg: DedupConfig,
    *,
    data_dir: Path | None = None,
    workdir: Path | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster near-duplicate texts by the cosine similarity of their embeddings.

    Parameters
    ----------
    texts
        ``n`` normalised texts.
    cfg
        Dedup settings (``cosine_threshold``, ``embedder``, ``tfidf``, ``search``, ``ann_k``).
    data_dir
        Resolves ``hf-mean:run:<id>`` embedders.
    workdir
        Folder of the LanceDB table (kept); default a temporary folder, removed afterwards.

    Returns
    -------
    tuple
        ``(n,)`` cluster label per text (the smallest index in its cluster) and ``(n,)`` the
        cosine similarity of each text to that first member (1.0 for the member itself),
        as :func:`workbench.curation.dedup.cluster_texts` returns them.
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    stripped = [t.strip() for t in texts]
    vectors = embed_texts(stripped, cfg, data_dir)
    edges = [exact_duplicate_edges(stripped)]
    present = (np.flatnonzero(np.any(vectors != 0, axis=1)) if vectors is not None
               else np.zeros(0, dtype=np.int64))
    # Texts with an all-zero vector (blank, or no known n-gram) have no neighbour to find.
    if present.size >= 2:
        with tempfile.TemporaryDirectory(prefix="wb-dedup-") as tmp:
            table = store_vectors(workdir or Path(tmp), vectors, present)
            rows, stored = read_vectors(table)
            if cfg.search == "ann":
                local = ann_pairs(table, stored, cfg.cosine_threshold, cfg.ann_k)
            else:
                local = exact_pairs(stored, cfg.cosine_threshold)
            edges.append(rows[local].reshape(-1, 2).astype(np.int64))
    labels = first_member_labels(n, np.concatenate(edges))
    if vectors is None:
        # Without vectors only exact duplicates are linked: they are identical.
        return labels, np.ones(n)
    similarity = np.clip(np.einsum("ij,ij->i", vectors, vectors[labels]), 0.0, 1.0)
    similarity = similarity.astype(np.float64)
    similarity[labels == np.arange(n)] = 1.0
    return labels, similarity
