"""The labeling demo step against the session server: push, seed labels marked as such, pull."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import LabelingEnv
from tests.labeling_data import SHOP_ID, TIKVAH_ID, make_data_dir
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.demo import SEED_ANNOTATOR, run_demo_step, seed_result
from workbench.labeling.labelstudio.backend import LabelStudioBackend

pytestmark = pytest.mark.labelstudio


def test_seed_result_follows_the_taxonomy() -> None:
    tax = load_taxonomy()
    non_ad = seed_result({"is_ad": "Non-Ad", "vertical": None, "tags": ["Religious"]}, tax)
    assert [r["from_name"] for r in non_ad] == ["is_ad"]  # tags only apply to ads
    ad = seed_result({"is_ad": "Ad", "vertical": "Retail", "tags": []}, tax)
    assert [(r["from_name"], r["value"]["choices"]) for r in ad] == [("is_ad", ["Ad"]), ("vertical", ["Retail"])]


def test_demo_step(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    seeds = tmp_path / "seed_labels.jsonl"
    rows = [{"uid": f"{SHOP_ID}:{i}", "is_ad": "Ad", "vertical": "Retail", "tags": [], "note": "synthetic"}
            for i in (1, 2)]
    rows.append({"uid": f"{TIKVAH_ID}:1", "is_ad": "Non-Ad", "vertical": None, "tags": [], "note": "synthetic"})
    seeds.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    lines = run_demo_step(env.data_dir, env.cfg, seed_labels=seeds)
    text = "\n".join(lines)
    assert env.server.url in lines[0]
    assert "already running" in lines[0]
    assert f"entered 3 seed label(s) as {SEED_ANNOTATOR}" in text
    assert "NOT human annotations" in text
    assert "password:" in text
    creds = json.loads((env.data_dir / "labelstudio" / "credentials.json").read_text())
    assert creds["password"] not in text
    ann = pl.read_parquet(env.data_dir / "labels" / "annotations.parquet")
    assert set(ann.get_column("annotator")) == {SEED_ANNOTATOR}
    assert set(ann.get_column("uid")) == {r["uid"] for r in rows}

    # The first push pre-filled every question that applies: is_ad always, a vertical for each ad.
    tax = load_taxonomy()
    backend = LabelStudioBackend(env.data_dir, env.cfg.labeling, tax)
    try:
        for project in backend.managed_projects().values():
            for task in backend.api.iter_tasks(project["id"], include="id"):
                (prediction,) = backend.api.predictions(task["id"])
                answers = {r["from_name"]: r["value"]["choices"] for r in prediction["result"]}
                assert "is_ad" in answers
                assert answers["is_ad"] != ["Ad"] or answers.get("vertical"), answers
    finally:
        backend.close()

    again = run_demo_step(env.data_dir, env.cfg, seed_labels=seeds)
    assert "entered 0 seed label(s)" in "\n".join(again)
    assert pl.read_parquet(env.data_dir / "labels" / "annotations.parquet").height == ann.height
