"""``curate dedup``: reposts with small edits (homophone spellings included) cluster; outliers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from synthetic.corpus import annotations_from_labels, make_corpus
from tests.curation_helpers import AD, REPOSTS, cleaned_frame, write_stage
from workbench.core.config import ProjectConfig
from workbench.curation.dedup import cluster_texts, dedup_messages, lsh_params, run_dedup
from workbench.curation.outliers import find_outliers


def test_reposts_with_small_edits_and_homophone_spellings_cluster() -> None:
    reposts = [
        *REPOSTS,
        AD.replace("ሰ", "ሠ").replace("ሀ", "ሐ"),                      # whole series respelled
    ]
    others = [
        "ዛሬ ጠዋት በአዲስ አበባ ከባድ ዝናብ ጥሏል፤ በበርካታ መንገዶች ላይ የትራፊክ መጨናነቅ ተፈጥሯል።",
        "አዲስ የቶዮታ ቪትዝ መኪና በ 2,500,000 ብር ይሸጣል። ባለቤቱ ስለሚሄድ ነው። ይደውሉ 0922334455",
        "የኢትዮጵያ ብሔራዊ ቡድን ትናንት ምሽት ባደረገው የወዳጅነት ጨዋታ 2 ለ 1 አሸንፏል።",
    ]
    msgs = cleaned_frame(reposts + others, channels=[1, 2, 3, 4, 5, 6, 1, 2, 3])
    clusters = dedup_messages(msgs)
    ids = clusters.get_column("cluster_id").to_list()
    assert len(set(ids[:6])) == 1, clusters
    assert len(set(ids)) == 4
    assert clusters.get_column("cluster_size").to_list()[:6] == [6] * 6
    # The earliest post names the cluster and is fully similar to itself.
    assert ids[0] == msgs.item(0, "uid")
    assert clusters.item(0, "similarity") == 1.0
    assert clusters.get_column("similarity")[1:6].min() >= 0.5


def test_exact_duplicates_cluster_and_blank_texts_stay_alone() -> None:
    labels, sim = cluster_texts(["ሰላም", "ሰላም", "", "  ", "ሌላ ነገር ነው"], threshold=0.9)
    assert labels.tolist() == [0, 0, 2, 3, 4]
    assert sim.tolist()[:2] == [1.0, 1.0]
    empty, _ = cluster_texts([])
    assert empty.size == 0


def test_generated_reposts_are_found_without_merging_unrelated_posts() -> None:
    corpus = make_corpus(2000, seed=9, repost_share=0.08)
    clusters = dedup_messages(corpus.messages)
    cluster_of = dict(clusters.select("uid", "cluster_id").iter_rows())
    pairs = list(corpus.reposts.iter_rows())
    found = sum(cluster_of[a] == cluster_of[b] for a, b in pairs)
    assert found / len(pairs) >= 0.95
    # Precision: members of a cluster are connected by repost links (no unrelated merges).
    parent = {u: u for u in cluster_of}

    def root(u: str) -> str:
        while parent[u] != u:
            u = parent[u]
        return u

    for a, b in pairs:
        parent[root(a)] = root(b)
    mixed = (pl.DataFrame({"uid": list(cluster_of), "cluster": list(cluster_of.values())})
             .with_columns(family=pl.col("uid").map_elements(root, return_dtype=pl.Utf8))
             .group_by("cluster").agg(pl.col("family").n_unique())
             .filter(pl.col("family") > 1))
    assert mixed.height <= 0.01 * len(pairs)


def test_lsh_parameters_put_the_s_curve_near_the_threshold() -> None:
    for threshold in (0.5, 0.6, 0.8):
        bands, rows = lsh_params(threshold, 128)
        assert bands * rows <= 128
        assert abs((1 / bands) ** (1 / rows) - threshold) < 0.12


def test_outliers_are_listed_with_reasons_not_deleted() -> None:
    flood = "ነፃ ብር ያሸንፉ አሁኑኑ ይቀላቀሉ ነፃ ብር ያሸንፉ"
    texts = ["", "ok", "Breaking: the market in Dessie burned overnight, police said.",
             "!" * 60, *[flood] * 6, AD]
    msgs = cleaned_frame(texts)
    clusters = dedup_messages(msgs)
    out = find_outliers(msgs, clusters)
    reasons = dict(out.select("uid", "reason").iter_rows())
    uids = msgs.get_column("uid").to_list()
    assert reasons[uids[0]] == "empty"
    assert reasons[uids[1]] == "empty"
    assert reasons[uids[2]] == "non_amharic"
    assert "empty" in reasons[uids[3]] or "repetitive" in reasons[uids[3]]
    floods = [u for u in uids[4:10] if reasons.get(u) == "flood"]
    assert len(floods) == 5  # every copy after the first
    assert uids[4] not in reasons
    assert uids[-1] not in reasons
    assert out.filter(pl.col("detail").is_null()).height == 0
    repetitive = cleaned_frame(["ሀ" * 50 + " " + "ለ" * 20])
    assert find_outliers(repetitive).item(0, "reason") == "repetitive"


def test_run_dedup_writes_clusters_outliers_and_a_merged_manifest(tmp_path: Path) -> None:
    corpus = make_corpus(300, seed=1, repost_share=0.1)
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    result = run_dedup(root, ProjectConfig())
    assert result.clusters.height == 300
    out = root / "curated"
    assert pl.read_parquet(out / "dup_clusters.parquet").columns == [
        "uid", "cluster_id", "similarity", "cluster_size"]
    assert pl.read_parquet(out / "outliers.parquet").columns == ["uid", "reason", "detail"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"]["dedup"]["inputs"][0]["role"] == "texts"
    assert set(manifest["outputs"]) == {"dup_clusters.parquet", "outliers.parquet"}
    assert "dedup:" in result.summary_lines()[0]
    sims = result.clusters.get_column("similarity").to_numpy()
    assert np.all((sims >= 0) & (sims <= 1))


def test_an_unreadable_cluster_cache_is_computed_again(tmp_path: Path) -> None:
    """``dup_clusters.parquet`` is a cache for flag and split: cut short, it is made again."""
    from tests.test_core_io import truncate
    from workbench.curation.dedup import load_or_compute_clusters
    from workbench.curation.inputs import load_inputs

    corpus = make_corpus(120, seed=2, repost_share=0.1)
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    cfg = ProjectConfig()
    result = run_dedup(root, cfg)
    inputs = load_inputs(root, cleaning=cfg.cleaning)
    folder = root / "curated"
    _, reused = load_or_compute_clusters(inputs.texts, inputs.texts_sha, folder,
                                         cfg.curation.dedup, data_dir=root)
    assert reused
    truncate(folder / "dup_clusters.parquet")
    clusters, reused = load_or_compute_clusters(inputs.texts, inputs.texts_sha, folder,
                                                cfg.curation.dedup, data_dir=root)
    assert not reused
    assert clusters.sort("uid").equals(result.clusters.sort("uid"))
