"""The curation dashboard against a real Label Studio: live progress, and each flagged item linked
to its task in the review project (the link really opens that item)."""

from __future__ import annotations

from pathlib import Path

import httpx
import polars as pl
import pytest

from tests.conftest import LabelingEnv
from tests.labeling_data import SHOP_ID, make_data_dir
from workbench.labeling.labelstudio.server import load_credentials
from workbench.labeling.push import run_push
from workbench.webapp.dashboard import build_dashboard

pytestmark = pytest.mark.labelstudio


def test_flagged_items_link_to_their_review_task(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    # Nothing flagged yet: no note about flagged items missing from a review project.
    board = build_dashboard(env.data_dir, env.cfg, max_age_s=0)
    assert board.flagged == []
    assert not any("review project" in n for n in board.notes)
    curated = env.data_dir / "curated"
    curated.mkdir()
    flagged = [f"{SHOP_ID}:1", f"{SHOP_ID}:2"]
    pl.DataFrame({
        "uid": [*flagged, f"{SHOP_ID}:3"], "task": ["is_ad", "is_ad", "is_ad"],
        "given": [["Non-Ad"], ["Ad"], ["Ad"]], "suggested": [["Ad"], ["Non-Ad"], ["Ad"]],
        "label_quality": [0.08, 0.2, 0.9], "is_issue": [True, True, False],
        "reason": ["low self-confidence", "duplicate conflict", None],
    }).write_parquet(curated / "label_issues.parquet")
    # Before the review push: no links, and the dashboard says what to do.
    board = build_dashboard(env.data_dir, env.cfg, max_age_s=0)
    assert board.progress_source == env.server.url
    assert any("label push --review" in n for n in board.notes)
    assert all(i["link"] is None for f in board.flagged for i in f["items"])
    run_push(env.data_dir, env.cfg, review=True)

    board = build_dashboard(env.data_dir, env.cfg, max_age_s=0)
    assert {(f["reason"], f["count"]) for f in board.flagged} == {
        ("low self-confidence", 1), ("duplicate conflict", 1)}
    items = {i["uid"]: i for f in board.flagged for i in f["items"]}
    assert set(items) == set(flagged)
    token = load_credentials(env.data_dir).token
    for uid, item in items.items():
        assert item["text"]  # the message text is shown beside the labels
        link = item["link"]
        assert link.startswith(f"{env.server.url}/projects/")
        task_id = int(link.rsplit("?task=", 1)[1])
        task = httpx.get(f"{env.server.url}/api/tasks/{task_id}",
                         headers={"Authorization": f"Token {token}"}, timeout=30).json()
        assert task["data"]["uid"] == uid
    assert {p["key"] for p in board.projects} >= {"review"}
