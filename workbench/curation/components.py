"""Clusters as connected components: the graph step both dedup methods share.

MinHash (:mod:`~workbench.curation.dedup`) and the embedding method
(:mod:`~workbench.curation.dedup_embedding`) each find similar pairs their own way; both then add
exact duplicates and name every cluster by its earliest member here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl


def exact_duplicate_edges(stripped: Sequence[str]) -> np.ndarray:
    """``(P, 2)`` edges from each non-empty text to the first text equal to it.

    Exact duplicates always link, whatever a similarity estimate says; blank texts never do.
    """
    exact = pl.DataFrame({"t": stripped, "i": np.arange(len(stripped))}).filter(
        pl.col("t") != "").group_by("t").agg(
        pl.col("i").min().alias("first"), pl.col("i")).explode("i").filter(
        pl.col("i") != pl.col("first"))
    return exact.select("first", "i").to_numpy().astype(np.int64).reshape(-1, 2)


def first_member_labels(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected components of ``edges`` over ``n`` nodes, each named by its smallest index.

    Connected components (A~B and B~C put A, B, C together) are conservative for leakage.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    # The smallest index of each component, looked up per node.
    first = np.full(int(comp.max()) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n))
    return first[comp]
