"""Typed manifests: what a reader says about a missing, renamed, unknown or mistyped key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.errors import DataContractError
from workbench.core.manifests import (
    InputFile,
    LabelSnapshotRef,
    OutputFile,
    SplitsManifest,
    SplitTask,
    envelope,
    read_manifest,
    write_manifest,
)

SNAPSHOT = LabelSnapshotRef(id="20260101T000000000000Z-0123456789ab",
                            path="labels/snapshots/20260101T000000000000Z-0123456789ab.parquet",
                            sha256="a" * 64)


def splits_manifest() -> SplitsManifest:
    return SplitsManifest(
        **envelope("splits"), inputs=[InputFile(path="x", sha256="b" * 64, role="texts")],
        outputs={"train.parquet": OutputFile(rows=3, sha256="c" * 64)}, config={},
        label_snapshot=SNAPSHOT,
        tasks={"is_ad": SplitTask(kind="single", labels=["Ad", "Non-Ad"], when=None)},
        counts={}, excluded={}, label_source={}, outliers_included={}, annotators=1,
        clusters_from="computed by split", notes=[])


def written(tmp_path: Path, edit: dict | None = None, drop: str | None = None) -> Path:
    path = tmp_path / "manifest.json"
    write_manifest(path, splits_manifest())
    data = json.loads(path.read_text(encoding="utf-8"))
    if drop:
        data.pop(drop)
    data.update(edit or {})
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_round_trip(tmp_path: Path) -> None:
    # One manifest, written and read back: two calls of splits_manifest() stamp created_at
    # twice, and a second boundary between them failed this test once on a clean machine.
    manifest = splits_manifest()
    path = tmp_path / "manifest.json"
    write_manifest(path, manifest)
    assert read_manifest(path, SplitsManifest) == manifest


@pytest.mark.parametrize(("edit", "drop", "expected"), [
    (None, "label_snapshot", "missing key(s) 'label_snapshot'"),
    ({"label_snapshot_id": "x"}, "label_snapshot",
     "missing key(s) 'label_snapshot'; unknown key(s) 'label_snapshot_id'"),
    ({"extra": 1}, None, "unknown key(s) 'extra'"),
    ({"label_snapshot": {**SNAPSHOT.model_dump(), "sha256": None}}, None,
     "label_snapshot.sha256: Input should be a valid string"),
    ({"stage": "labels"}, None, "stage: Input should be 'splits' (got 'labels')"),
])
def test_bad_keys_are_one_line_errors_naming_file_and_key(
        tmp_path: Path, edit: dict | None, drop: str | None, expected: str) -> None:
    path = written(tmp_path, edit, drop)
    with pytest.raises(DataContractError) as caught:
        read_manifest(path, SplitsManifest)
    assert str(caught.value) == f"{path}: not a valid SplitsManifest: {expected}"


def test_absent_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="not found; run `workbench curate split` first"):
        read_manifest(tmp_path / "manifest.json", SplitsManifest,
                      hint="run `workbench curate split` first")
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(DataContractError, match="not a readable JSON file, truncated or corrupt"):
        read_manifest(tmp_path / "manifest.json", SplitsManifest)
