"""Every leaderboard row traces back to the exports, with no null on the way.

The demo's stages run on the committed samples (the labeling step as it ends: the seed labels
pulled through the pull's writer, without a Label Studio), then each row of the web app's
leaderboard is walked back: eval manifest -> run manifest -> split manifest -> label snapshot
file -> cleaned manifest -> parsed manifest -> the raw exports, each hop checked by sha256.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workbench.core.config import ProjectConfig
from workbench.core.io import sha256_file
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    CleanedManifest,
    EvalManifest,
    LabelsManifest,
    ParsedManifest,
    RunManifest,
    SplitsManifest,
    read_manifest,
)
from workbench.core.taxonomy import load_taxonomy, taxonomy_path
from workbench.labeling.demo import SEED_ANNOTATOR, SEED_LABELS, load_seed_labels
from workbench.labeling.pull import write_pull
from workbench.labeling.records import RawAnnotation

pytestmark = pytest.mark.slow


def pull_seed_labels(data_dir: Path) -> None:
    """What the demo's labeling step leaves: the seed labels, entered and pulled."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    raws = []
    for uid, row in sorted(load_seed_labels(SEED_LABELS).items()):
        answers = {"is_ad": [row["is_ad"]]}
        if row["is_ad"] == "Ad":
            answers["tags"] = list(row.get("tags") or [])
            if row.get("vertical"):
                answers["vertical"] = [row["vertical"]]
        raws.append(RawAnnotation(uid=uid, project="group-1", annotator=SEED_ANNOTATOR,
                                  annotation_id=f"ls:{uid}", answers=answers,
                                  created_at=when, updated_at=when))
    write_pull(data_dir, raws, load_taxonomy(), backend="ls", source="seed labels",
               taxonomy_path=taxonomy_path())


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench import demo
    from workbench.curation import demo as curation_demo
    from workbench.evaluation import demo as evaluation_demo
    from workbench.generation import demo as generation_demo
    from workbench.training import demo as training_demo

    data_dir = tmp_path_factory.mktemp("demo")
    cfg = ProjectConfig()
    demo.run_demo_step(data_dir, cfg)
    pull_seed_labels(data_dir)
    for step in (curation_demo, training_demo, generation_demo, evaluation_demo):
        step.run_demo_step(data_dir, cfg)
    return data_dir


def assert_no_null(value: Any, where: str) -> None:
    """No lineage fact is null (optional facts that do not apply are left out, not null)."""
    assert value is not None, where
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_null(item, f"{where}.{key}")


def walk_to_exports(data_dir: Path, split_manifest_path: Path, split_sha: str) -> None:
    """split manifest -> label snapshot -> cleaned -> parsed -> raw exports, hashes matching."""
    lay = Layout(data_dir)
    assert sha256_file(split_manifest_path) == split_sha
    splits = read_manifest(split_manifest_path, SplitsManifest)
    snapshot = splits.label_snapshot
    assert_no_null(snapshot.model_dump(), "label_snapshot")
    assert Path(snapshot.path) == lay.label_snapshot(snapshot.id)
    assert sha256_file(Path(snapshot.path)) == snapshot.sha256
    pull = read_manifest(Path(snapshot.path).with_suffix(".json"), LabelsManifest)
    assert pull.snapshot == Path(snapshot.path).name
    [annotations] = [i for i in splits.inputs if i.role == "annotations"]
    assert annotations.sha256 == snapshot.sha256

    [texts] = [i for i in splits.inputs if i.role == "texts"]
    cleaned = read_manifest(lay.cleaned / MANIFEST, CleanedManifest)
    assert cleaned.outputs[lay.cleaned_messages.name].sha256 == texts.sha256
    parsed = read_manifest(lay.parsed / MANIFEST, ParsedManifest)
    [parsed_in] = cleaned.inputs
    assert parsed.outputs[lay.parsed_messages.name].sha256 == parsed_in.sha256
    assert parsed.inputs
    for export in parsed.inputs:
        assert export.raw is not None, export.path
        assert sha256_file(data_dir / export.raw) == export.sha256


def test_every_leaderboard_row_walks_back_to_the_exports(demo_dir: Path) -> None:
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.webapp.leaderboard import latest_leaderboard

    board = latest_leaderboard(demo_dir)
    assert board is not None
    evaluation = read_manifest(find_eval(demo_dir, board.eval_id) / MANIFEST, EvalManifest)
    assert board.facts["label_snapshot_id"] == evaluation.label_snapshot.id
    walk_to_exports(demo_dir, Path(evaluation.split_manifest), evaluation.split_manifest_sha256)

    runs = [row for row in board.lineage if row["run_id"]]
    assert runs, "the demo's fine-tuned run is on the leaderboard"
    for row in board.lineage:
        assert row["label_snapshot_id"], row
        facts = evaluation.systems[row["system"]]
        if not row["run_id"]:
            continue
        assert_no_null({k: facts[k] for k in ("run_manifest", "run_manifest_sha256",
                                              "split_manifest", "split_manifest_sha256",
                                              "label_snapshot")}, row["system"])
        run_path = Path(facts["run_manifest"])
        assert sha256_file(run_path) == facts["run_manifest_sha256"]
        run = read_manifest(run_path, RunManifest)
        assert run.run_id == row["run_id"]
        assert run.label_snapshot.id == row["label_snapshot_id"]
        walk_to_exports(demo_dir, Path(run.split_manifest), run.split_manifest_sha256)


def test_generations_and_index_carry_the_snapshot(demo_dir: Path) -> None:
    import polars as pl

    from workbench.core.manifests import GenerationManifest, RagIndexManifest

    lay = Layout(demo_dir)
    splits = read_manifest(lay.splits_manifest, SplitsManifest)
    index = read_manifest(lay.rag_manifest, RagIndexManifest)
    assert index.label_snapshot == splits.label_snapshot
    files = sorted(lay.generations.rglob("*.parquet"))
    assert files, "the demo generated candidates"
    for path in files:
        manifest = read_manifest(path.with_suffix(".manifest.json"), GenerationManifest)
        assert manifest.label_snapshot == splits.label_snapshot
        frame = pl.read_parquet(path, columns=["label_snapshot_id", "label_snapshot_sha256"])
        assert frame["label_snapshot_id"].to_list() == [splits.label_snapshot.id] * frame.height
        assert set(frame["label_snapshot_sha256"]) == {splits.label_snapshot.sha256}


def test_a_renamed_lineage_key_is_an_error_naming_file_and_key(demo_dir: Path,
                                                               tmp_path: Path) -> None:
    from workbench.core.errors import DataContractError

    data = json.loads(Layout(demo_dir).splits_manifest.read_text(encoding="utf-8"))
    data["label_snapshot_id"] = data.pop("label_snapshot")
    renamed = tmp_path / MANIFEST
    renamed.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DataContractError) as caught:
        read_manifest(renamed, SplitsManifest)
    message = str(caught.value)
    assert str(renamed) in message
    assert "label_snapshot" in message
    assert "\n" not in message


def test_demo_evaluation_ends_with_a_compare(demo_dir: Path) -> None:
    from workbench.core.manifests import CompareResult
    from workbench.evaluation.eval_dirs import find_eval

    eval_dir = find_eval(demo_dir, None)
    result = read_manifest(Layout(demo_dir).compare(eval_dir.name), CompareResult)
    assert (result.challenger, result.champion) == ("tiny-run", "base")
    assert result.conditions[0].name.endswith("improves")
    assert result.wins == all(c.passed for c in result.conditions)
    # The demo promoted the base as the model in use: the report's history has its title.
    from workbench.evaluation.champion import read_champion

    record = read_champion(demo_dir)
    assert record is not None
    assert [e.ref for e in record.history] == ["base"]
    assert result.champion_record is not None
    assert result.champion_record.ref == "base"
