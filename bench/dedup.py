"""Benchmark ``workbench curate dedup``: MinHash (the named baseline) vs embeddings in LanceDB.

Usage::

    .venv/bin/python bench/dedup.py                               # generated 46,000 messages
    .venv/bin/python bench/dedup.py --messages 5000               # quicker
    .venv/bin/python bench/dedup.py --real /path/to/afrisenti-amh
    .venv/bin/python bench/dedup.py --cosine 0.8,0.85,0.9 --jaccard 0.5,0.6   # threshold sweeps

Datasets, each with reposts injected at known rows:

* ``generated``: ``--messages`` synthetic Amharic Telegram posts (46,000 by default, the size of
  the original corpus) from :func:`synthetic.corpus.make_corpus`, ``--repost-share``
  (5%) of them copies of an earlier post (often in another channel) with one or two small edits:
  a word dropped or inserted, a homophone respelling, an emoji. Posts of one vertical share a
  small vocabulary, so unrelated ads are similar in words (the hard case for precision).
* ``real`` (optional, ``--real DIR``): every ``*.tsv`` in DIR with a ``tweet`` or ``text`` column
  (AfriSenti or SIB-200 Amharic), plus the same share of injected edited reposts of its rows.

Ground truth: a *family* is a connected group of posts linked by injected repost links or by
identical non-blank ``text_norm`` (an exact duplicate is always a duplicate). Scores:

* ``repost recall``: share of injected (repost, source) pairs put in one cluster;
* pair ``precision`` / ``recall`` / ``F1``: over all pairs of posts sharing a predicted cluster,
  against all pairs sharing a family. A pair clustered together that is not in one family is a
  false positive, even when the two posts are similar ads from one vocabulary; on real data,
  genuine near-duplicates the data already held count as false positives too, so precision
  there is a lower bound.

Each contender runs in its own fresh process on the same input file, so peak RSS is its own;
library imports happen before the clock starts (as in ``bench/ingest.py``), and the import
baseline is reported beside the peak. Contenders: ``minhash`` (the default config, the
baseline), ``embedding`` (tfidf-svd embeddings in LanceDB, exact blocked cosine search) and
``embedding-ann`` (the same vectors, LanceDB IVF-HNSW-SQ batched k-NN search). Ratios are
against ``minhash`` measured in the same run. Criterion for the default method: pair F1 on the
generated set; time decides only between F1 scores within 0.01.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_mb(field: str) -> float:
    """A memory field of ``/proc/self/status`` (Linux), MB.

    ``VmHWM`` (peak RSS) belongs to the process image and starts afresh at ``exec``, unlike
    ``ru_maxrss``, which a forked child inherits from its parent's size at the fork.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    msg = f"/proc/self/status has no {field}"
    raise RuntimeError(msg)


def worker(messages_path: Path, cfg_json: str, out_path: Path) -> None:
    """Run one contender: read texts, cluster them, write clusters and the measurements."""
    # Every library either method needs, imported before the clock: both pay the same.
    import lancedb  # noqa: F401
    import polars as pl
    import scipy.sparse.csgraph  # noqa: F401
    import sklearn.decomposition
    import sklearn.feature_extraction.text  # noqa: F401

    from workbench.core.settings.curation import DedupConfig
    from workbench.curation.dedup import dedup_messages

    cfg = DedupConfig.model_validate_json(cfg_json)
    messages = pl.read_parquet(messages_path)
    base = _status_mb("VmRSS")
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    clusters = dedup_messages(messages, cfg)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = _status_mb("VmHWM")
    clusters.write_parquet(out_path)
    out_path.with_suffix(".json").write_text(json.dumps(
        {"wall": wall, "cpu": cpu, "rss_base_mb": base, "rss_peak_mb": peak}), encoding="utf-8")


def run_contender(messages_path: Path, cfg, work: Path, name: str) -> dict:
    """Run :func:`worker` in a fresh interpreter; return its measurements and clusters."""
    import polars as pl

    out = work / f"{name}.parquet"
    subprocess.run([sys.executable, __file__, "--worker", str(messages_path),
                    cfg.model_dump_json(), str(out)], check=True)
    facts = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    facts["clusters"] = pl.read_parquet(out)
    return facts


def families(messages, reposts):
    """Family id per message: connected groups of repost links and identical ``text_norm``."""
    import numpy as np
    import polars as pl
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    uids = messages.get_column("uid").to_list()
    index = {u: i for i, u in enumerate(uids)}
    a = [index[u] for u in reposts.get_column("uid").to_list()]
    b = [index[u] for u in reposts.get_column("source_uid").to_list()]
    norm = messages.get_column("text_norm").fill_null("").str.strip_chars()
    exact = (pl.DataFrame({"t": norm, "i": np.arange(len(uids))}).filter(pl.col("t") != "")
             .with_columns(first=pl.col("i").min().over("t")).filter(pl.col("i") != pl.col("first")))
    rows = np.concatenate([a, exact.get_column("first").to_numpy()]).astype(np.int64)
    cols = np.concatenate([b, exact.get_column("i").to_numpy()]).astype(np.int64)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(len(uids), len(uids)))
    return pl.DataFrame({"uid": uids, "family": connected_components(graph, directed=False)[1]})


def _pairs(sizes) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def score(clusters, family, reposts) -> dict:
    """Repost recall, pair precision / recall / F1, and cluster counts (see the module doc)."""
    import polars as pl

    both = clusters.select("uid", "cluster_id").join(family, on="uid")
    predicted = _pairs(both.group_by("cluster_id").len().get_column("len"))
    true = _pairs(both.group_by("family").len().get_column("len"))
    tp = _pairs(both.group_by("cluster_id", "family").len().get_column("len"))
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cluster_of = dict(both.select("uid", "cluster_id").iter_rows())
    found = sum(cluster_of[u] == cluster_of[s] for u, s in reposts.iter_rows())
    multi = clusters.filter(pl.col("cluster_size") > 1)
    mixed = (both.filter(pl.col("cluster_id").is_in(multi.get_column("cluster_id").implode()))
             .group_by("cluster_id").agg(pl.col("family").n_unique()).filter(pl.col("family") > 1))
    return {"repost_recall": found / max(reposts.height, 1), "precision": precision,
            "recall": recall, "f1": f1, "predicted_pairs": predicted, "true_pairs": true,
            "clusters": multi.get_column("cluster_id").n_unique(),
            "clustered_messages": multi.height, "mixed_clusters": mixed.height}


def contenders(cosines: list[float], jaccards: list[float], ann: bool) -> list[tuple[str, object]]:
    """``(name, DedupConfig)`` of every contender; the first is the baseline."""
    from workbench.core.settings.curation import DedupConfig

    base = DedupConfig(method="minhash")
    out: list[tuple[str, object]] = [("minhash", base)]
    out += [(f"minhash@{j}", base.model_copy(update={"threshold": j}))
            for j in jaccards if j != base.threshold]
    emb = DedupConfig(method="embedding")
    out.append(("embedding", emb))
    out += [(f"embedding@{c}", emb.model_copy(update={"cosine_threshold": c}))
            for c in cosines if c != emb.cosine_threshold]
    if ann:
        out.append(("embedding-ann", emb.model_copy(update={"search": "ann"})))
    return out


def bench_dataset(name: str, messages, reposts, work: Path, args) -> list[dict]:
    """Run every contender on one dataset and print the comparison table."""
    path = work / f"{name}-messages.parquet"
    keep = [c for c in ("uid", "text_norm", "date") if c in messages.columns]
    messages.select(keep).write_parquet(path)
    family = families(messages, reposts)
    print(f"\n{name}: {messages.height} messages, {reposts.height} injected reposts, "
          f"load average {os.getloadavg()[0]:.2f}")
    header = (f"  {'contender':<18} {'repost R':>8} {'pair P':>7} {'pair R':>7} {'F1':>6} "
              f"{'clusters':>8} {'mixed':>6} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} "
              f"{'+MB':>6}  vs minhash")
    print(header)
    lines, baseline = [], None
    for label, cfg in contenders(args.cosine, args.jaccard, not args.no_ann):
        facts = run_contender(path, cfg, work, f"{name}-{label}")
        line = {"dataset": name, "contender": label, "messages": messages.height,
                **score(facts.pop("clusters"), family, reposts), **facts,
                "load_average": os.getloadavg()[0]}
        baseline = baseline or line
        ratio = (f"F1 {line['f1'] - baseline['f1']:+.3f}, time "
                 f"{line['wall'] / baseline['wall']:.1f}x, memory +"
                 f"{(line['rss_peak_mb'] - line['rss_base_mb']) / max(baseline['rss_peak_mb'] - baseline['rss_base_mb'], 1):.1f}x")
        print(f"  {label:<18} {line['repost_recall']:>8.3f} {line['precision']:>7.3f} "
              f"{line['recall']:>7.3f} {line['f1']:>6.3f} {line['clusters']:>8} "
              f"{line['mixed_clusters']:>6} {line['wall']:>7.1f} {line['cpu']:>6.1f} "
              f"{line['rss_peak_mb']:>8.0f} {line['rss_peak_mb'] - line['rss_base_mb']:>6.0f}  "
              f"{'(baseline)' if line is baseline else ratio}")
        lines.append(line)
    if args.probe_queries > 0:
        probe = probe_search(messages, args.probe_queries, work)
        lines.append({"dataset": name, "contender": "search-probe", **probe})
    return lines


def probe_search(messages, queries: int, work: Path) -> dict:
    """Per-query cost of the neighbour searches on the same vectors, extrapolated to all texts.

    LanceDB flat (brute-force) batched k-NN search vs the blocked NumPy product the exact search
    uses, each over ``queries`` query rows against every stored vector.
    """
    import numpy as np

    from workbench.core.settings.curation import DedupConfig
    from workbench.curation.dedup_embedding import embed_texts, read_vectors, store_vectors

    texts = [t.strip() for t in messages.get_column("text_norm").fill_null("").to_list()]
    vectors = embed_texts(texts, DedupConfig(method="embedding"))
    present = np.flatnonzero(np.any(vectors != 0, axis=1))
    table = store_vectors(work / "probe", vectors, present)
    _, stored = read_vectors(table)
    m, q = stored.shape[0], min(queries, stored.shape[0])
    t0 = time.perf_counter()
    for start in range(0, q, 256):
        (table.search(list(stored[start:start + 256]), vector_column_name="vector")
         .distance_type("cosine").limit(21).select(["row", "_distance"]).to_arrow())
    flat = (time.perf_counter() - t0) / q
    t0 = time.perf_counter()
    block = 256
    for start in range(0, q, block):
        np.nonzero(stored[start:start + block] @ stored.T >= 0.85)
    dense = (time.perf_counter() - t0) / q
    # The exact search compares each row with the later rows only: half the full product.
    print(f"  neighbour search per query ({q} queries x {m} vectors): LanceDB flat batched "
          f"{flat * 1e3:.2f} ms (all {m}: ~{flat * m:.0f} s), NumPy blocked product "
          f"{dense * 1e3:.3f} ms (all {m}, upper triangle: ~{dense * m / 2:.1f} s)")
    return {"lancedb_flat_ms": flat * 1e3, "numpy_block_ms": dense * 1e3, "vectors": m}


def generated(args):
    """The synthetic corpus and its injected repost pairs."""
    from synthetic.corpus import make_corpus

    corpus = make_corpus(args.messages, seed=args.seed, repost_share=args.repost_share)
    return corpus.messages, corpus.reposts


def real(folder: Path, args, work: Path):
    """Real Amharic texts from ``folder/*.tsv`` plus injected edited reposts at known rows."""
    import numpy as np
    import polars as pl

    from synthetic.corpus import repost_edit
    from workbench.curation.input_files import load_texts

    frames = []
    for path in sorted(folder.glob("*.tsv")):
        data = pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)
        column = next((c for c in ("tweet", "text") if c in data.columns), None)
        if column is not None:
            frames.append(data.select(pl.col(column).alias("text")).drop_nulls()
                          .with_columns(uid=pl.format(f"{path.stem}:{{}}", pl.int_range(pl.len()))))
    if not frames:
        msg = f"{folder}: no *.tsv with a 'tweet' or 'text' column"
        raise SystemExit(msg)
    texts = pl.concat(frames)
    rng = np.random.default_rng(args.seed)
    picked = rng.choice(texts.height, size=round(args.repost_share * texts.height), replace=False)
    sources = texts.get_column("uid").gather(picked).to_list()
    copies = [repost_edit(t, rng) for t in texts.get_column("text").gather(picked).to_list()]
    uids = [f"repost:{i}" for i in range(len(copies))]
    texts = pl.concat([texts.select("uid", "text"),
                       pl.DataFrame({"uid": uids, "text": copies})])
    csv = work / "real-texts.csv"
    texts.write_csv(csv)
    messages, _ = load_texts(csv, csv.parent)
    reposts = pl.DataFrame({"uid": uids, "source_uid": sources})
    return messages, reposts


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=46_000)
    parser.add_argument("--repost-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--real", type=Path, default=None,
                        help="folder of Amharic *.tsv (tweet or text column), optional")
    parser.add_argument("--cosine", type=_floats, default=[],
                        help="extra cosine thresholds for the embedding method, e.g. 0.8,0.9")
    parser.add_argument("--jaccard", type=_floats, default=[],
                        help="extra Jaccard thresholds for MinHash, e.g. 0.5,0.7")
    parser.add_argument("--no-ann", action="store_true", help="skip the embedding-ann contender")
    parser.add_argument("--probe-queries", type=int, default=1000,
                        help="queries timed for LanceDB flat vs NumPy neighbour search (0: skip)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} "
          f"(1 min), {os.getloadavg()[1]:.2f} (5 min)")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        work = Path(tmp)
        if args.messages > 0:
            t0 = time.perf_counter()
            messages, reposts = generated(args)
            print(f"generated in {time.perf_counter() - t0:.1f} s")
            results += bench_dataset("generated", messages, reposts, work, args)
        if args.real is not None:
            messages, reposts = real(args.real, args, work)
            results += bench_dataset("real", messages, reposts, work, args)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (1 min), "
          f"{os.getloadavg()[1]:.2f} (5 min)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
