"""``curate split`` / ``curate check``: final labels, leakage impossible by construction, caught
when injected."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
from tests.curation_helpers import write_stage
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import InputFile
from workbench.core.schemas import CLEANED_SCHEMA
from workbench.curation.check import check_frames, run_check
from workbench.curation.dedup import run_dedup
from workbench.curation.flag import run_flag
from workbench.curation.split import assign_groups, run_split
from workbench.labeling.pull import write_snapshot


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """A data dir after dedup and flag: 1200 posts, 10% reposts, 5% flipped labels."""
    root = tmp_path_factory.mktemp("split")
    corpus = make_corpus(1200, seed=21, repost_share=0.1, difficulty=0.3)
    labels, _ = flip_labels(corpus.truth, rate=0.05, seed=21)
    ann = annotations_from_labels(labels, annotator="a1")
    # A second annotator on a fifth of the items: consensus items.
    second = annotations_from_labels(corpus.truth.sample(fraction=0.2, seed=1), annotator="a2")
    write_stage(root, corpus.messages, pl.concat([ann, second]))
    cfg = ProjectConfig()
    run_dedup(root, cfg)
    run_flag(root, cfg)
    return root, corpus.truth


@pytest.fixture(scope="module")
def flagged_few_reposts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """As :func:`flagged` with 1% reposts: enough to link some channels, not all of them."""
    root = tmp_path_factory.mktemp("split-channels")
    corpus = make_corpus(1200, seed=21, repost_share=0.01, difficulty=0.3)
    write_stage(root, corpus.messages, annotations_from_labels(corpus.truth, annotator="a1"))
    cfg = ProjectConfig()
    run_dedup(root, cfg)
    run_flag(root, cfg)
    return root, corpus.truth


def _copy(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest)
    return dest


def test_split_files_keep_the_contract(flagged, tmp_path: Path) -> None:
    root = _copy(flagged[0], tmp_path / "d")
    result = run_split(root, ProjectConfig())
    splits = root / "curated" / "splits"
    frames = {s: pl.read_parquet(splits / f"{s}.parquet") for s in ("train", "val", "test")}
    for name, frame in frames.items():
        for col, dtype in CLEANED_SCHEMA.items():
            assert frame.schema[col] == dtype, (name, col)
        assert frame.schema["is_ad"] == pl.Utf8
        assert frame.schema["vertical"] == pl.Utf8
        assert frame.schema["tags"] == pl.List(pl.Utf8)
        assert set(frame.get_column("split")) <= {name}
        assert frame.get_column("cluster_id").null_count() == 0
        assert set(frame.get_column("label_source")) <= {"adjudicated", "consensus", "single"}
        non_ads = frame.filter(pl.col("is_ad") == "Non-Ad")
        assert non_ads.get_column("vertical").null_count() == non_ads.height
        assert non_ads.get_column("tags").null_count() == non_ads.height
    assert frames["train"].height > 5 * frames["test"].height > 0
    sources = pl.concat(frames.values()).get_column("label_source").unique().to_list()
    assert "consensus" in sources
    assert "single" in sources
    # Stratified: each split's share of ads is close to the whole.
    overall = pl.concat(frames.values()).get_column("is_ad").eq("Ad").mean()
    for frame in frames.values():
        assert abs(frame.get_column("is_ad").eq("Ad").mean() - overall) < 0.06
    manifest = json.loads((splits / "manifest.json").read_text())
    snapshot = manifest["label_snapshot"]
    assert snapshot["sha256"] == sha256_file(root / "labels" / "annotations.parquet")
    assert Path(snapshot["path"]) == Layout(root).label_snapshot(snapshot["id"])
    assert sha256_file(Path(snapshot["path"])) == snapshot["sha256"]
    assert manifest["outputs"]["train.parquet"]["rows"] == frames["train"].height
    assert manifest["counts"]["test"]["is_ad"] == result.counts()["test"]["is_ad"]
    assert {i["role"] for i in manifest["inputs"]} >= {"texts", "annotations", "label_issues",
                                                       "dup_clusters"}
    card = (splits / "DATASET_CARD.md").read_text()
    assert "label_distribution.png" in card
    assert "## Known caveats" in card
    assert (splits / "label_distribution.png").stat().st_size > 10_000


def test_flagged_items_are_left_out_until_adjudicated(flagged, tmp_path: Path) -> None:
    root = _copy(flagged[0], tmp_path / "d")
    issues = pl.read_parquet(root / "curated" / "label_issues.parquet")
    open_ = issues.filter(pl.col("is_issue") & (pl.col("task") == "is_ad"))
    assert open_.height > 0
    result = run_split(root, ProjectConfig())
    everything = pl.concat(result.frames.values())
    assert everything.join(open_, on="uid", how="semi").height == 0
    assert result.excluded["flagged, not adjudicated"] >= open_.get_column("uid").n_unique()
    # A reviewer decides one of them: it comes back, labeled by the review.
    uid, suggested = open_.item(0, "uid"), open_.item(0, "suggested").to_list()
    when = datetime(2025, 2, 1, tzinfo=UTC)
    ann = pl.read_parquet(root / "labels" / "annotations.parquet")
    review = pl.DataFrame({"uid": [uid], "project": ["review"], "task": ["is_ad"],
                           "annotator": ["rev"], "value": [suggested], "lead_time": [1.0],
                           "created_at": [when], "updated_at": [when],
                           "annotation_id": ["r1"]}).cast(ann.schema)
    extra = []
    if suggested == ["Ad"]:
        extra = [review.with_columns(task=pl.lit("vertical"), value=pl.lit(["Retail"]),
                                     annotation_id=pl.lit("r2"))]
    write_snapshot(root, pl.concat([ann, review, *extra]), pl.DataFrame(),
                   inputs=[InputFile(path="review", sha256="0" * 64)])
    again = run_split(root, ProjectConfig())
    row = pl.concat(again.frames.values()).filter(pl.col("uid") == uid)
    assert row.height == 1
    assert row.item(0, "is_ad") == suggested[0]
    assert row.item(0, "label_source") == "adjudicated"


@pytest.mark.parametrize("by", ["random", "channel", "time"])
def test_no_uid_cluster_or_text_crosses_splits_by_construction(
        flagged, flagged_few_reposts, tmp_path: Path, by: str) -> None:
    # By channel, 10% reposts bind the 25 channels into one group (refused: see below).
    root = _copy((flagged_few_reposts if by == "channel" else flagged)[0], tmp_path / "d")
    result = run_split(root, ProjectConfig(), by=by, seed=3)
    check = check_frames(result.frames)
    assert check.ok, check.summary_lines()
    clusters = [set(f.get_column("cluster_id")) for f in result.frames.values()]
    assert not (clusters[0] & clusters[1])
    assert not (clusters[0] & clusters[2])
    assert not (clusters[1] & clusters[2])
    assert all(f.height for f in result.frames.values())
    if by == "channel":
        channels = [set(f.get_column("channel_id")) for f in result.frames.values()]
        assert not (channels[0] & channels[2])
        assert not (channels[0] & channels[1])
    if by == "time":
        first = pl.concat(result.frames.values()).group_by("cluster_id").agg(
            pl.col("date").min(), pl.col("split").first())
        train = first.filter(pl.col("split") == "train").get_column("date").max()
        test = first.filter(pl.col("split") == "test").get_column("date").min()
        assert train <= test


def test_holdout_channel_goes_whole_to_test(flagged, tmp_path: Path) -> None:
    root = _copy(flagged[0], tmp_path / "d")
    texts = pl.read_parquet(root / "cleaned" / "messages.parquet")
    name = texts.item(0, "channel_name")
    result = run_split(root, ProjectConfig(), holdout_channels=[name])
    assert result.frames["train"].filter(pl.col("channel_name") == name).height == 0
    assert result.frames["val"].filter(pl.col("channel_name") == name).height == 0
    assert result.frames["test"].filter(pl.col("channel_name") == name).height > 0
    assert check_frames(result.frames).ok
    with pytest.raises(DataContractError, match="did you mean"):
        run_split(root, ProjectConfig(), holdout_channels=[name + "x"])


def test_split_needs_flag_first_and_valid_ratios(tmp_path: Path) -> None:
    corpus = make_corpus(50, seed=1)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(corpus.truth,
                                                                          annotator="a"))
    with pytest.raises(DataContractError, match="run `workbench curate flag` first"):
        run_split(root, ProjectConfig())
    run_flag(root, ProjectConfig())
    with pytest.raises(ConfigError, match="sum to 1"):
        run_split(root, ProjectConfig(), ratios=(0.5, 0.4, 0.2))


def test_check_catches_injected_leakage(flagged, tmp_path: Path) -> None:
    root = _copy(flagged[0], tmp_path / "d")
    run_split(root, ProjectConfig())
    splits = root / "curated" / "splits"
    assert run_check(root).ok
    train = pl.read_parquet(splits / "train.parquet")
    test = pl.read_parquet(splits / "test.parquet")
    # 1. A train post copied into test under a new uid and cluster id: exact text leak.
    copy = train.head(1).with_columns(uid=pl.lit("999:1"), cluster_id=pl.lit("999:1"),
                                      split=pl.lit("test"))
    # 2. A lightly edited repost of another train post, with a forged cluster id.
    edited = train.slice(1, 1).with_columns(
        uid=pl.lit("999:2"), cluster_id=pl.lit("999:2"), split=pl.lit("test"),
        text=pl.col("text") + " 🔥", text_norm=pl.col("text_norm") + " ዛሬ")
    # 3. The same uid in both.
    same = train.slice(2, 1).with_columns(split=pl.lit("test"))
    pl.concat([test, copy, edited, same]).write_parquet(splits / "test.parquet")
    result = run_check(root)
    assert not result.ok
    kinds = {leak.kind for leak in result.leaks}
    assert {"uid", "cluster", "exact_text", "near_duplicate"} <= kinds
    assert any("999:2" in leak.uids for leak in result.leaks if leak.kind == "near_duplicate")
    assert any("changed since" in w for w in result.warnings)
    # Through the real command: exit code 1 and a readable report.
    out = subprocess.run([sys.executable, "-m", "workbench", "curate", "check", "--data-dir",
                          str(root)], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1, out.stderr
    assert "LEAKAGE" in out.stdout


def test_assign_groups_never_splits_a_group_and_hits_the_ratios() -> None:
    rng = np.random.default_rng(0)
    for trial in range(5):
        n = 3000
        groups = rng.integers(0, 1200, n)
        strata = (groups % 4 + rng.integers(0, 2, n)) % 5
        split = assign_groups(groups, strata, (0.8, 0.1, 0.1), seed=trial)
        per_group = pl.DataFrame({"g": groups, "s": split}).group_by("g").agg(
            pl.col("s").n_unique())
        assert per_group.get_column("s").max() == 1
        shares = np.bincount(split, minlength=3) / n
        assert np.allclose(shares, (0.8, 0.1, 0.1), atol=0.03), shares
    assert set(assign_groups(np.arange(10), np.zeros(10, dtype=int), (0.5, 0.0, 0.5))) == {0, 2}


def test_annotations_not_written_by_a_pull_have_no_snapshot(flagged, tmp_path: Path) -> None:
    root = _copy(flagged[0], tmp_path / "d")
    ann = pl.read_parquet(root / "labels" / "annotations.parquet")
    ann.head(ann.height - 1).write_parquet(root / "labels" / "annotations.parquet")
    with pytest.raises(DataContractError, match="no label snapshot"):
        run_split(root, ProjectConfig())


def test_by_channel_and_holdout_need_channels_in_the_texts(flagged, tmp_path: Path) -> None:
    # A team's own texts file (uid, text) has no channel: --by channel put every item in train
    # and left val and test empty, silently; --holdout-channel listed "channels: " (none).
    root = _copy(flagged[0], tmp_path / "d")
    texts = pl.read_parquet(root / "cleaned" / "messages.parquet").select("uid", "text")
    path = tmp_path / "texts.csv"
    texts.write_csv(path)
    annotations = root / "labels" / "annotations.parquet"
    with pytest.raises(DataContractError, match=r"split by channel needs at least 2 channels in "
                       r"the texts \(channel_name or channel_id\), found 0; use --by random"):
        run_split(root, ProjectConfig(), texts=path, annotations=annotations, by="channel")
    with pytest.raises(DataContractError, match="--holdout-channel needs the texts' channels"):
        run_split(root, ProjectConfig(), texts=path, annotations=annotations,
                  holdout_channels=["TIKVAH-ETHIOPIA"])


def test_by_channel_refuses_channels_that_reposts_bind_into_one_group() -> None:
    # Three channels, each sharing a near-duplicate cluster with the next: a cluster never
    # crosses splits, so the three travel together and val and test were left empty, silently.
    from workbench.core.settings.curation import SplitConfig
    from workbench.curation.inputs import TaskSpec
    from workbench.curation.split import assign_splits

    channel = ["a"] * 10 + ["b"] * 10 + ["c"] * 10
    cluster = [f"u{i}" for i in range(30)]
    cluster[9] = cluster[10] = "repost-ab"
    cluster[19] = cluster[20] = "repost-bc"
    items = pl.DataFrame({"uid": [f"u{i}" for i in range(30)], "cluster_id": cluster,
                          "channel_id": channel, "is_ad": ["Ad", "Non-Ad"] * 15})
    tasks = [TaskSpec("is_ad", "single", ["Ad", "Non-Ad"])]
    with pytest.raises(DataContractError, match=r"split by channel left val and test empty: "
                       r"near-duplicate reposts bind the channels into 1 group\(s\)"):
        assign_splits(items, tasks, SplitConfig(by="channel"))
    # Without the reposts the channels split (each whole).
    unbound = items.with_columns(cluster_id=pl.col("uid"))
    split = assign_splits(unbound, tasks, SplitConfig(by="channel", ratios=(0.4, 0.3, 0.3)))
    by_channel = pl.DataFrame({"channel": channel, "split": split}).unique()
    assert by_channel.height == 3
    assert set(by_channel.get_column("split")) == {"train", "val", "test"}
