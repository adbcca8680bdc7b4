"""``curate dedup --method embedding``: offline embeddings in LanceDB, cosine neighbours, clusters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from synthetic.corpus import annotations_from_labels, make_corpus
from tests.curation_helpers import AD, REPOSTS, cleaned_frame, write_stage
from workbench.cli import app
from workbench.core.config import ProjectConfig
from workbench.core.settings.curation import CurationConfig, DedupConfig
from workbench.curation.check import check_frames
from workbench.curation.dedup import dedup_messages, run_dedup
from workbench.curation.dedup_embedding import (
    cluster_texts_embedding,
    exact_pairs,
    read_vectors,
    store_vectors,
)
from workbench.curation.flag import run_flag

EMBEDDING = DedupConfig(method="embedding")

#: Other posts, two of them ads with the same call-to-action words as AD.
OTHERS = [
    "ዛሬ ጠዋት በአዲስ አበባ ከባድ ዝናብ ጥሏል፤ በበርካታ መንገዶች ላይ የትራፊክ መጨናነቅ ተፈጥሯል።",
    "አዲስ የቶዮታ ቪትዝ መኪና በ 2,500,000 ብር ይሸጣል። ባለቤቱ ስለሚሄድ ነው። ይደውሉ 0922334455",
    "የኢትዮጵያ ብሔራዊ ቡድን ትናንት ምሽት ባደረገው የወዳጅነት ጨዋታ 2 ለ 1 አሸንፏል።",
    "የላፕቶፕ እና የስልክ ጥገና በቅናሽ ዋጋ። አድራሻ ፒያሳ። ለበለጠ መረጃ ይደውሉ 0933445566",
    "ዩኒቨርሲቲው የዘንድሮውን ተማሪዎች ምዝገባ ነገ እንደሚጀምር አስታወቀ።",
]


def _with_config(root: Path, text: str) -> Path:
    path = root / "workbench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedding_clusters_reposts_with_small_edits_and_keeps_distinct_ads_apart() -> None:
    reposts = list(REPOSTS)
    msgs = cleaned_frame(reposts + OTHERS, channels=[1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
    clusters = dedup_messages(msgs, EMBEDDING)
    ids = clusters.get_column("cluster_id").to_list()
    assert len(set(ids[:5])) == 1, clusters
    assert len(set(ids)) == 1 + len(OTHERS), clusters
    assert ids[0] == msgs.item(0, "uid")
    assert clusters.item(0, "similarity") == 1.0
    assert clusters.get_column("similarity")[1:5].min() >= EMBEDDING.cosine_threshold


def test_generated_reposts_are_found_and_unrelated_posts_stay_apart() -> None:
    corpus = make_corpus(800, seed=9, repost_share=0.08)
    clusters = dedup_messages(corpus.messages, EMBEDDING)
    cluster_of = dict(clusters.select("uid", "cluster_id").iter_rows())
    pairs = list(corpus.reposts.iter_rows())
    found = sum(cluster_of[a] == cluster_of[b] for a, b in pairs)
    assert found / len(pairs) >= 0.95
    # Every multi-member cluster is one repost family: its size is at most the family's.
    members = {u for pair in pairs for u in pair}
    strays = clusters.filter((pl.col("cluster_size") > 1) & ~pl.col("uid").is_in(list(members)))
    assert strays.height <= 0.01 * len(pairs), strays


def test_exact_duplicates_cluster_blank_texts_stay_alone_and_tiny_inputs_work() -> None:
    labels, sim = cluster_texts_embedding(["ሰላም", "ሰላም", "", "  ", "ሌላ ነገር ነው", "ዝናብ ይጥላል"],
                                          EMBEDDING)
    assert labels.tolist() == [0, 0, 2, 3, 4, 5]
    assert sim.tolist()[:2] == [1.0, 1.0]
    # Too few texts to fit the embedder: exact duplicates still link.
    labels, _ = cluster_texts_embedding(["ሰላም", "ሰላም", ""], EMBEDDING)
    assert labels.tolist() == [0, 0, 2]
    empty, _ = cluster_texts_embedding([], EMBEDDING)
    assert empty.size == 0


def test_vectors_round_trip_through_lancedb_and_the_exact_search_is_exhaustive(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[7] = vectors[3]
    vectors[250] = vectors[3] * 0.9 + vectors[100] * 0.1
    vectors[250] /= np.linalg.norm(vectors[250])
    present = np.arange(0, 300, 1)
    table = store_vectors(tmp_path, vectors, present)
    rows, back = read_vectors(table)
    assert (tmp_path / "dedup_vectors.lance").is_dir()
    np.testing.assert_array_equal(rows, present)
    np.testing.assert_allclose(back, vectors)
    pairs = {tuple(p) for p in exact_pairs(back, 0.9).tolist()}
    sims = vectors @ vectors.T
    expected = {(i, j) for i in range(300) for j in range(i + 1, 300) if sims[i, j] >= 0.9}
    assert pairs == expected
    assert {(3, 7), (3, 250), (7, 250)} <= pairs


def test_ann_search_finds_the_reposts_too() -> None:
    corpus = make_corpus(400, seed=3, repost_share=0.1)
    ann = dedup_messages(corpus.messages, EMBEDDING.model_copy(update={"search": "ann"}))
    exact = dedup_messages(corpus.messages, EMBEDDING)
    assert ann.get_column("cluster_id").to_list() == exact.get_column("cluster_id").to_list()


def test_both_methods_write_the_same_schema(tmp_path: Path) -> None:
    corpus = make_corpus(300, seed=1, repost_share=0.1)
    frames = {}
    for method in ("minhash", "embedding"):
        root = write_stage(tmp_path / method, corpus.messages,
                           annotations_from_labels(corpus.truth, annotator="a"))
        cfg = ProjectConfig(curation=CurationConfig(dedup=DedupConfig(method=method)))
        result = run_dedup(root, cfg)
        assert f"by {method}" in result.summary_lines()[0]
        frames[method] = pl.read_parquet(root / "curated" / "dup_clusters.parquet")
        manifest = json.loads((root / "curated" / "manifest.json").read_text())
        assert manifest["runs"]["dedup"]["config"]["method"] == method
    assert frames["minhash"].schema == frames["embedding"].schema
    assert frames["embedding"].columns == ["uid", "cluster_id", "similarity", "cluster_size"]
    sims = frames["embedding"].get_column("similarity").to_numpy()
    assert np.all((sims >= 0) & (sims <= 1))
    for frame in frames.values():
        cluster_of = dict(frame.select("uid", "cluster_id").iter_rows())
        found = sum(cluster_of[a] == cluster_of[b] for a, b in corpus.reposts.iter_rows())
        assert found >= 0.9 * corpus.reposts.height


def test_method_is_chosen_by_cli_over_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = make_corpus(120, seed=2, repost_share=0.1)
    root = write_stage(tmp_path / "d", corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def method_used(*args: str) -> str:
        result = runner.invoke(app, ["curate", "dedup", "--data-dir", str(root), *args])
        assert result.exit_code == 0, result.output
        manifest = json.loads((root / "curated" / "manifest.json").read_text())
        return manifest["runs"]["dedup"]["config"]["method"]

    assert method_used() == "minhash"
    assert method_used("--method", "embedding") == "embedding"
    _with_config(tmp_path, "curation:\n  dedup:\n    method: embedding\n")
    assert method_used() == "embedding"
    assert method_used("--method", "minhash") == "minhash"
    # --threshold sets the threshold of the method in force.
    assert method_used("--threshold", "0.95") == "embedding"
    config = json.loads((root / "curated" / "manifest.json").read_text())["runs"]["dedup"]["config"]
    assert (config["cosine_threshold"], config["threshold"]) == (0.95, 0.6)


def test_bad_method_is_a_one_line_error_exit_2(tmp_path: Path) -> None:
    corpus = make_corpus(30, seed=1)
    root = write_stage(tmp_path / "d", corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workbench", "curate", "dedup",
                               "--data-dir", str(root), *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, check=False)

    out = run("--method", "minhsh")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    assert "method" in lines[0]
    assert "'embedding'" in lines[0]
    _with_config(tmp_path, "curation:\n  dedup:\n    method: simhash\n")
    out = run()
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "curation.dedup.method" in lines[0]
    _with_config(tmp_path, "curation:\n  dedup:\n    method: embedding\n    embedder: tfidf-sdv\n")
    out = run()
    assert out.returncode == 2, out.stderr
    assert "did you mean 'tfidf-svd'" in out.stderr


@pytest.mark.parametrize("method", ["minhash", "embedding"])
def test_conflicting_labels_of_reposts_are_flagged(tmp_path: Path, method: str) -> None:
    corpus = make_corpus(300, seed=4, repost_share=0.1, difficulty=0.2)
    repost, source = corpus.reposts.row(0)
    given = corpus.truth.get_column("is_ad").to_list()
    # The repost and its source get different labels: one of the two must be flagged.
    uids = corpus.truth.get_column("uid").to_list()
    flip = uids.index(repost)
    given[flip] = "Non-Ad" if given[flip] == "Ad" else "Ad"
    labels = corpus.truth.with_columns(is_ad=pl.Series(given))
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(labels, annotator="a"))
    cfg = ProjectConfig(curation=CurationConfig(dedup=DedupConfig(method=method)))
    run_dedup(root, cfg)
    result = run_flag(root, cfg, tasks=["is_ad"])
    issues = result.label_issues.filter(pl.col("uid").is_in([repost, source]))
    reasons = " ".join(issues.get_column("reason").drop_nulls().to_list())
    assert "near-duplicate conflict" in reasons, issues
    assert issues.get_column("is_issue").any()


def test_check_uses_the_configured_method() -> None:
    msgs = cleaned_frame([AD, AD.replace("1,500", "1,650"), *OTHERS])
    train = msgs.filter(pl.col("uid") != msgs.item(1, "uid"))
    test = msgs.filter(pl.col("uid") == msgs.item(1, "uid"))
    result = check_frames({"train": train, "test": test}, dedup=EMBEDDING)
    assert any(leak.kind == "near_duplicate" for leak in result.leaks), result.leaks
