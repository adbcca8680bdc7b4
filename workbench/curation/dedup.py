"""Near-duplicate clusters of ``text_norm``: MinHash over character shingles, banded LSH.

Two methods share this module's output (``curation.dedup.method``): ``minhash`` (below, the
default: it measured better, see ``bench/dedup.py``) and ``embedding`` (cosine neighbours of
offline embeddings stored in LanceDB, :mod:`workbench.curation.dedup_embedding`).
:func:`cluster_with` picks one from the config.

Reposts of one ad across channels differ by an emoji, a changed price, a dropped word or a
homophone spelling. ``text_norm`` already unifies homophones and drops emojis and links, and
character shingles (5 characters by default) survive the remaining small edits without an
Amharic tokenizer. Everything is vectorised with NumPy: the shingle hashes of all texts are
computed in one pass over their concatenated code points, and each permutation is one
``np.minimum.reduceat``.

Candidate pairs share a band of their signatures; a pair joins a cluster only when its
estimated Jaccard similarity reaches the threshold, and clusters are the connected components
(so A~B and B~C put A, B, C together: conservative for leakage, which is what splits need).
Exact duplicates (same non-empty ``text_norm``) are always one cluster. Blank texts are never
clustered: they carry nothing to leak and would otherwise form one giant cluster.

Examples
--------
>>> texts = ["ቅናሽ ልብስ በ 500 ብር ይደውሉ 0911223344", "ቅናሽ ልብስ በ 550 ብር ይደውሉ 0911223344",
...          "ዛሬ በአዲስ አበባ ዝናብ ይጥላል", ""]
>>> labels, sim = cluster_texts(texts, threshold=0.6)
>>> labels.tolist()
[0, 0, 2, 3]
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from workbench.core.errors import UnreadableFileError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.progress import bars_disabled
from workbench.core.settings.curation import DedupConfig
from workbench.curation.components import exact_duplicate_edges, first_member_labels

if TYPE_CHECKING:
    from workbench.core.config import ProjectConfig

_PAD = "\x01"


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads polynomial hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def shingle_hashes(texts: Sequence[str], *, k: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character k-gram of every text.

    Texts shorter than ``k`` (but not empty) count as one shingle, padded; empty texts have none.

    Parameters
    ----------
    texts
        ``n`` strings.
    k
        Characters per shingle.

    Returns
    -------
    tuple
        ``(S,)`` uint64 hashes, and ``(n + 1,)`` offsets: text i owns ``hashes[off[i]:off[i+1]]``.
    """
    padded = [t + _PAD * (k - len(t)) if 0 < len(t) < k else t for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    n_sh = np.where(lengths >= k, lengths - k + 1, 0)
    offsets = np.concatenate([[0], np.cumsum(n_sh)])
    if offsets[-1] == 0:
        return np.zeros(0, dtype=np.uint64), offsets
    cp = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = cp.size - k + 1
    h = np.zeros(m, dtype=np.uint64)
    prime = np.uint64(1_000_003)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * prime + cp[j:j + m]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        # Start positions of each text's windows: its first char .. its last full window.
        first = np.repeat(starts, n_sh)
        within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], n_sh)
        return _mix64(h[first + within]), offsets


def minhash_signatures(
    hashes: np.ndarray, offsets: np.ndarray, *, num_perm: int, seed: int
) -> np.ndarray:
    """MinHash signatures.

    Parameters
    ----------
    hashes, offsets
        As returned by :func:`shingle_hashes`.
    num_perm
        Number of hash functions (signature length).
    seed
        Seed of the hash functions.

    Returns
    -------
    np.ndarray
        ``(n, num_perm)`` uint32; rows of texts without shingles are all ``2**32 - 1``.
    """
    n = offsets.size - 1
    sig = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    has = np.diff(offsets) > 0
    if not has.any():
        return sig
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, num_perm, dtype=np.uint64)
    starts = offsets[:-1][has]
    shift = np.uint64(32)
    with np.errstate(over="ignore"):
        for p in tqdm(range(num_perm), desc="minhash", unit="perm", disable=bars_disabled(), leave=False):
            # Multiply-shift hashing: (a*x + b) mod 2^64, top 32 bits.
            values = ((a[p] * hashes + b[p]) >> shift).astype(np.uint32)
            sig[has, p] = np.minimum.reduceat(values, starts)
    return sig


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows per band whose S-curve best separates similarities around ``threshold``.

    Minimises the area of false positives below the threshold plus false negatives above it,
    equally weighted.
    """
    grid = np.linspace(0.0, 1.0, 401)
    best, best_err = (1, num_perm), np.inf
    for b in range(1, num_perm + 1):
        r = num_perm // b
        if r < 1:
            break
        p_candidate = 1.0 - (1.0 - grid**r) ** b
        fp = np.trapezoid(np.where(grid < threshold, p_candidate, 0.0), grid)
        fn = np.trapezoid(np.where(grid >= threshold, 1.0 - p_candidate, 0.0), grid)
        if fp + fn < best_err:
            best, best_err = (b, r), fp + fn
    return best


def _candidate_pairs(sig: np.ndarray, valid: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``(P, 2)`` index pairs sharing a band: each bucket member paired with its first member."""
    idx = np.flatnonzero(valid)
    pairs = []
    weights = np.uint64(0x100000001B3) ** np.arange(rows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            block = sig[idx, band * rows:(band + 1) * rows].astype(np.uint64)
            keys = _mix64((block * weights).sum(axis=1, dtype=np.uint64) + np.uint64(band))
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            new_group = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
            group_first = order[np.maximum.accumulate(np.where(new_group, np.arange(order.size), 0))]
            dup = ~new_group
            if dup.any():
                pairs.append(np.stack([idx[group_first[dup]], idx[order[dup]]], axis=1))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(pairs), axis=0)


def cluster_texts(
    texts: Sequence[str],
    *,
    threshold: float = 0.6,
    shingle: int = 5,
    num_perm: int = 128,
    seed: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster near-duplicate texts with MinHash.

    Parameters
    ----------
    texts
        ``n`` normalised texts.
    threshold
        Estimated Jaccard similarity of shingle sets from which two texts are linked.
    shingle
        Characters per shingle.
    num_perm
        MinHash signature length.
    seed
        Seed of the hash functions.

    Returns
    -------
    tuple
        ``(n,)`` cluster label per text (the smallest index in its cluster), and ``(n,)`` the
        estimated similarity of each text to that first member (1.0 for the member itself).
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    stripped = [t.strip() for t in texts]
    hashes, offsets = shingle_hashes(stripped, k=shingle)
    sig = minhash_signatures(hashes, offsets, num_perm=num_perm, seed=seed)
    valid = np.diff(offsets) > 0
    bands, rows = lsh_params(threshold, num_perm)
    cand = _candidate_pairs(sig, valid, bands, rows)
    if cand.size:
        est = (sig[cand[:, 0]] == sig[cand[:, 1]]).mean(axis=1)
        cand = cand[est >= threshold]
    labels = first_member_labels(n, np.concatenate([cand, exact_duplicate_edges(stripped)]))
    similarity = (sig == sig[labels]).mean(axis=1)
    similarity[labels == np.arange(n)] = 1.0
    return labels, similarity


def cluster_with(
    texts: Sequence[str], cfg: DedupConfig, *, data_dir: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster near-duplicate texts with the method ``cfg.method`` names.

    Parameters
    ----------
    texts
        ``n`` normalised texts.
    cfg
        Dedup settings.
    data_dir
        Resolves model references of the embedding method (``hf-mean:run:<id>``).

    Returns
    -------
    tuple
        ``(n,)`` cluster labels (the smallest index in each cluster) and ``(n,)`` similarity to
        that first member: estimated Jaccard (minhash) or cosine (embedding).
    """
    if cfg.method == "embedding":
        from workbench.curation.dedup_embedding import cluster_texts_embedding

        return cluster_texts_embedding(texts, cfg, data_dir=data_dir)
    return cluster_texts(texts, threshold=cfg.threshold, shingle=cfg.shingle,
                         num_perm=cfg.num_perm, seed=cfg.seed)


def dedup_messages(
    messages: pl.DataFrame, cfg: DedupConfig | None = None, *, data_dir: Path | None = None
) -> pl.DataFrame:
    """``dup_clusters.parquet`` rows for every message.

    Parameters
    ----------
    messages
        Frame with ``uid`` and ``text_norm`` (``date`` optional: the earliest post names its
        cluster).
    cfg
        Dedup settings (method and its parameters).
    data_dir
        Resolves model references of the embedding method.

    Returns
    -------
    pl.DataFrame
        ``uid``, ``cluster_id`` (uid of the cluster's earliest member), ``similarity`` (estimated
        Jaccard or cosine to that member, by method), ``cluster_size``; same rows as
        ``messages``.
    """
    cfg = cfg or DedupConfig()
    order_cols = ["date", "uid"] if "date" in messages.columns else ["uid"]
    ordered = messages.select("uid", "text_norm", *order_cols[:-1]).sort(order_cols, nulls_last=True)
    labels, similarity = cluster_with(
        ordered.get_column("text_norm").fill_null("").to_list(), cfg, data_dir=data_dir)
    uids = ordered.get_column("uid")
    out = pl.DataFrame({
        "uid": uids,
        "cluster_id": uids.gather(labels),
        "similarity": similarity,
    }).with_columns(cluster_size=pl.len().over("cluster_id").cast(pl.Int64))
    return messages.select("uid").join(out, on="uid", how="left", maintain_order="left")


def load_or_compute_clusters(
    messages: pl.DataFrame, texts_sha: str, folder: Path, cfg: DedupConfig,
    *, data_dir: Path | None = None,
) -> tuple[pl.DataFrame, bool]:
    """Clusters from ``folder/dup_clusters.parquet`` if still valid, else computed afresh.

    The file is reused only when it was built from the same texts (hash) with the same config;
    fresh clusters are not written (that is ``curate dedup``'s job).

    Parameters
    ----------
    messages
        The messages being curated (``uid``, ``text_norm``, optional ``date``).
    texts_sha
        SHA-256 of the texts file they came from.
    folder
        The curated folder holding an earlier ``workbench curate dedup`` output.
    cfg
        The dedup config in force (a file made by another method or setting is not reused).
    data_dir
        Resolves model references of the embedding method.

    Returns
    -------
    tuple
        The clusters (``DUP_CLUSTERS_SCHEMA``) and whether they were reused from disk.
    """
    from workbench.curation.outputs import input_sha, previous_run

    path = folder / "dup_clusters.parquet"
    run = previous_run(folder, "dedup")
    if (path.exists() and input_sha(run, "texts") == texts_sha and run is not None
            and run.get("config") == cfg.model_dump()):
        # A cache: one that no longer reads back is made again rather than an error.
        with contextlib.suppress(UnreadableFileError):
            clusters = read_parquet_checked(path)
            if clusters.height == messages.height:
                return clusters, True
    return dedup_messages(messages, cfg, data_dir=data_dir), False


@dataclass
class DedupResult:
    """Clusters and outliers of one ``curate dedup`` run."""

    clusters: pl.DataFrame
    outliers: pl.DataFrame
    out_dir: Path | None = None
    method: str = ""

    def summary_lines(self) -> list[str]:
        """Cluster and outlier counts, and where the files went."""
        multi = self.clusters.filter(pl.col("cluster_size") > 1)
        n_clusters = multi.get_column("cluster_id").n_unique()
        largest = int(multi.get_column("cluster_size").max() or 0) if multi.height else 0
        how = f" by {self.method}" if self.method else ""
        lines = [f"dedup: {self.clusters.height} message(s), {n_clusters} near-duplicate "
                 f"cluster(s){how} covering {multi.height} message(s) (largest {largest})"]
        reasons = (self.outliers.get_column("reason").str.split(";").explode().value_counts(sort=True)
                   if self.outliers.height else None)
        shown = ", ".join(f"{r} {n}" for r, n in reasons.iter_rows()) if reasons is not None else "none"
        lines.append(f"  outliers: {self.outliers.height} ({shown})")
        if self.out_dir is not None:
            lines.append(f"  wrote dup_clusters.parquet, outliers.parquet to {self.out_dir}")
        return lines


def run_dedup(
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    texts: Path | None = None,
    out: Path | None = None,
    threshold: float | None = None,
    method: str | None = None,
) -> DedupResult:
    """Cluster near-duplicates and list outliers; write ``dup_clusters`` and ``outliers``.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config (``curation.dedup``, ``curation.outliers``, ``cleaning``).
    texts
        A user file instead of ``cleaned/messages.parquet``.
    out
        Output folder (default ``data_dir/curated``).
    threshold
        Override the similarity threshold of the method used: ``curation.dedup.threshold``
        (Jaccard, minhash) or ``curation.dedup.cosine_threshold`` (embedding).
    method
        Override ``curation.dedup.method`` (``minhash`` or ``embedding``).

    Returns
    -------
    DedupResult
        The clusters and outliers written.
    """
    from workbench.core.settings.curation import with_overrides
    from workbench.curation.input_files import load_texts
    from workbench.curation.outliers import find_outliers
    from workbench.curation.outputs import (
        DUP_CLUSTERS_SCHEMA,
        OUTLIERS_SCHEMA,
        conform,
        write_outputs,
    )

    dcfg = with_overrides(cfg.curation.dedup, method=method)
    # One --threshold for both methods: it sets the threshold of the method in force.
    key = "cosine_threshold" if dcfg.method == "embedding" else "threshold"
    dcfg = with_overrides(dcfg, **{key: threshold})
    messages, record = load_texts(texts, data_dir, cleaning=cfg.cleaning,
                                  max_text_chars=cfg.ingest.max_text_chars)
    clusters = conform(dedup_messages(messages, dcfg, data_dir=data_dir), DUP_CLUSTERS_SCHEMA)
    outliers = conform(find_outliers(messages, clusters, cfg.curation.outliers), OUTLIERS_SCHEMA)
    out_dir = out or Layout(data_dir).curated
    result = DedupResult(clusters, outliers, method=dcfg.method)
    n_multi = clusters.filter(pl.col("cluster_size") > 1)
    write_outputs(
        out_dir, {"dup_clusters.parquet": clusters, "outliers.parquet": outliers},
        command="dedup", inputs=[record], config=dcfg.model_dump(),
        extra={"outlier_config": cfg.curation.outliers.model_dump(),
               "clusters": n_multi.get_column("cluster_id").n_unique(),
               "clustered_messages": n_multi.height, "outliers": outliers.height},
    )
    result.out_dir = out_dir
    return result
