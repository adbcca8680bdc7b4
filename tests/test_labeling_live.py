"""Live pre-annotations against a REAL Label Studio: annotations retrain and re-predict."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import LabelingEnv, run_workbench
from tests.labeling_data import PRESS_ID, SHOP_ID, TIKVAH_ID, make_data_dir
from tests.test_labeling_labelstudio import Project, annotate, choices
from workbench.curation.live import annotation_count, refresh_once, run
from workbench.labeling.backends import labeling_taxonomy
from workbench.labeling.labelstudio.live_process import (
    live_log_path,
    live_pid,
    live_pid_path,
    start_live,
    stop_live,
)
from workbench.labeling.push import run_push

pytestmark = pytest.mark.labelstudio


def _is_ad(project: Project, task_id: int) -> tuple[list[dict], list[str]]:
    preds = project.backend.api.predictions(task_id)
    values = [r["value"]["choices"][0] for p in preds for r in p["result"] if r["from_name"] == "is_ad"]
    return preds, values


def test_annotations_retrain_and_replace_predictions(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg)
    group1, shop = Project(env, "group-1"), Project(env, "ungrouped")
    ids, shop_ids = group1.uid_to_task(), shop.uid_to_task()
    token = group1.backend.creds.token
    tax, _ = labeling_taxonomy(env.cfg)
    rules_before = {tid: shop.backend.api.predictions(tid)[0]["result"] for tid in shop_ids.values()}
    # Nothing to learn from yet: no change.
    assert refresh_once(group1.backend, tax) is None
    assert all(t["predictions_model_versions"] == "rules-v9" for t in group1.tasks())

    # The refresher runs on a thread as `label serve --live` runs it; no debounce here.
    stop = threading.Event()
    lines: list[str] = []
    worker = threading.Thread(target=run, args=(group1.backend, tax), kwargs={
        "poll_s": 0.2, "min_interval_s": 0.0, "min_new": 3, "classifier": "tfidf_lr",
        "prefix": "live", "stop": stop, "log": lines.append})
    worker.start()
    try:
        # Labels the rules would never give: news called Ad, an ad called Non-Ad. Predictions
        # that follow them can only come from a model trained on these annotations.
        annotate(env.server.url, token, ids[f"{TIKVAH_ID}:1"], choices(is_ad=["Ad"], vertical=["Retail"]))
        annotate(env.server.url, token, ids[f"{TIKVAH_ID}:2"], choices(is_ad=["Ad"], vertical=["Retail"]))
        annotate(env.server.url, token, ids[f"{TIKVAH_ID}:5"], choices(is_ad=["Non-Ad"]))
        deadline = time.monotonic() + 120
        while not any(line.startswith("refresh live-3-") for line in lines):
            assert time.monotonic() < deadline, f"no refresh within 120 s: {lines}"
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(timeout=60)
    assert annotation_count(group1.backend) == 3
    labeled = {ids[f"{TIKVAH_ID}:{i}"] for i in (1, 2, 5)}
    versions = {t["id"]: t["predictions_model_versions"] for t in group1.tasks() + shop.tasks()}
    live = {v for tid, v in versions.items() if tid not in labeled}
    assert len(live) == 1
    assert live.pop().startswith("live-3-")
    # Annotated tasks keep what they had; unlabeled ones have exactly one prediction each.
    assert all(versions[tid] == "rules-v9" for tid in labeled)
    press1, values = _is_ad(group1, ids[f"{PRESS_ID}:1"])  # the same text as TIKVAH:1
    assert len(press1) == 1
    assert values == ["Ad"]
    assert _is_ad(shop, shop_ids[f"{SHOP_ID}:1"])[1] == ["Non-Ad"]  # the same text as TIKVAH:5
    # Other tasks' answers of the rules' prediction are carried over only while their `when`
    # holds: rules said Ad + a vertical for this shop post; now Non-Ad, so no vertical.
    rules_shop = [r["from_name"] for r in rules_before[shop_ids[f"{SHOP_ID}:1"]]]
    assert "vertical" in rules_shop
    shop1, _ = _is_ad(shop, shop_ids[f"{SHOP_ID}:1"])
    assert {r["from_name"] for r in shop1[0]["result"]} == {"is_ad"}
    # Where the model agrees with the rules (Ad), their vertical stays.
    agreeing = 0
    for tid in shop_ids.values():
        preds, values = _is_ad(shop, tid)
        if values == ["Ad"]:
            agreeing += 1
            names = {r["from_name"] for r in preds[0]["result"]}
            had = {r["from_name"] for r in rules_before[tid]}
            assert names == had | {"is_ad"}
    assert agreeing > 0
    project = group1.backend.api.project(group1.id)
    assert project["model_version"].startswith("live-3-")


def test_serve_live_starts_a_refresher_that_stop_ends(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg)
    config = tmp_path / "project" / "workbench.yaml"
    config.parent.mkdir()
    config.write_text(
        "labeling:\n"
        f"  port: {env.server.port}\n"
        f"  project_prefix: {env.cfg.labeling.project_prefix}\n"
        "  live: {poll_s: 0.2, min_interval_s: 0, min_new: 2}\n", encoding="utf-8")
    # The session server runs already: `serve --live` adds the refresher to it.
    root = env.server.data_dir
    out = run_workbench("label", "serve", "--live", "--data-dir", str(root), "--config", str(config))
    assert out.returncode == 0, out.stderr
    assert "already running" in out.stdout
    assert "refresher running" in out.stdout
    pid = live_pid(root)
    assert pid is not None
    try:
        group1 = Project(env, "group-1")
        ids = group1.uid_to_task()
        token = group1.backend.creds.token
        annotate(env.server.url, token, ids[f"{TIKVAH_ID}:1"], choices(is_ad=["Non-Ad"]))
        annotate(env.server.url, token, ids[f"{TIKVAH_ID}:5"], choices(is_ad=["Ad"], vertical=["Retail"]))
        deadline = time.monotonic() + 120
        # The log line comes after the last call of a refresh: wait for it, then look.
        while "refresh live-2-" not in live_log_path(root).read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, live_log_path(root).read_text(encoding="utf-8")
            time.sleep(0.2)
        unlabeled = [t for t in group1.tasks() if t["id"] not in {ids[f"{TIKVAH_ID}:{i}"] for i in (1, 5)}]
        # Owner-only like everything under DIR/labelstudio (it names tasks and label counts).
        assert stat.S_IMODE(live_log_path(root).stat().st_mode) == 0o600
        assert all(t["predictions_model_versions"].startswith("live-2-") for t in unlabeled)
    finally:
        assert stop_live(root) == pid
    assert live_pid(root) is None
    assert not live_pid_path(root).exists()
    assert not Path(f"/proc/{pid}").exists() or b"workbench" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    # `label stop` stops a refresher too (here one without a server of its own).
    start_live(env.data_dir, config)
    stopped = run_workbench("label", "stop", "--data-dir", str(env.data_dir))
    assert "stopped the live refresher" in stopped.stdout
    assert live_pid(env.data_dir) is None


def _answers(project: Project, task_id: int) -> tuple[dict, dict[str, list[str]]]:
    """The task's one prediction and its answers by task name."""
    preds = project.backend.api.predictions(task_id)
    assert len(preds) == 1, preds
    return preds[0], {r["from_name"]: r["value"]["choices"] for r in preds[0]["result"]}


def test_conditional_and_multilabel_tasks_are_learned(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg)
    group1, group2, shop = Project(env, "group-1"), Project(env, "group-2"), Project(env, "ungrouped")
    ids, ids2, shop_ids = group1.uid_to_task(), group2.uid_to_task(), shop.uid_to_task()
    token = group1.backend.creds.token
    tax, _ = labeling_taxonomy(env.cfg)
    rules = {tid: _answers(shop, tid)[1] for tid in shop_ids.values()}
    sofa, toyota, telecom = (shop_ids[f"{SHOP_ID}:{i}"] for i in (1, 2, 3))  # = TIKVAH:5, :6, :15001
    assert rules[sofa].get("vertical") not in (None, ["Travel"])

    # One Ad seen: vertical has one class and tags none, so both keep the rules' answers. The
    # vertical given (Travel for a sofa shop) is one the rules never give.
    annotate(env.server.url, token, ids[f"{TIKVAH_ID}:5"], choices(is_ad=["Ad"], vertical=["Travel"]))
    annotate(env.server.url, token, ids[f"{TIKVAH_ID}:1"], choices(is_ad=["Non-Ad"]))
    first = refresh_once(group1.backend, tax, classifier="tfidf_lr")
    assert first is not None
    assert first.learned == ("is_ad",)
    assert "learned: is_ad" in first.line()
    pred, answers = _answers(shop, sofa)
    assert pred["model_version"] == first.model_version
    assert answers["is_ad"] == ["Ad"]
    assert {k: v for k, v in answers.items() if k != "is_ad"} == {
        k: v for k, v in rules[sofa].items() if k != "is_ad"}

    # Two verticals and one tag seen (an annotator who leaves tags empty has said "none"): all
    # three tasks are learned, with labels the rules never give.
    annotate(env.server.url, token, ids[f"{TIKVAH_ID}:6"],
             choices(is_ad=["Ad"], vertical=["Media"], tags=["Gambling"]))
    annotate(env.server.url, token, ids2[f"{TIKVAH_ID}:15001"],
             choices(is_ad=["Ad"], vertical=["Healthcare & pharma"]))
    annotate(env.server.url, token, ids[f"{TIKVAH_ID}:2"], choices(is_ad=["Non-Ad"]))
    second = refresh_once(group1.backend, tax, classifier={"single": "tfidf_lr", "multi": "tfidf_lr"})
    assert second is not None
    assert second.learned == ("is_ad", "vertical", "tags")
    assert "learned: is_ad, vertical, tags" in second.line()
    assert second.model_version.startswith("live-5-")
    assert second.model_version != first.model_version
    # Each unlabeled task shows the same texts' labels, under the new version.
    expected = {sofa: {"is_ad": ["Ad"], "vertical": ["Travel"]},
                toyota: {"is_ad": ["Ad"], "vertical": ["Media"], "tags": ["Gambling"]},
                telecom: {"is_ad": ["Ad"], "vertical": ["Healthcare & pharma"]}}
    for tid, want in expected.items():
        pred, answers = _answers(shop, tid)
        assert pred["model_version"] == second.model_version
        assert answers == want, (tid, answers)
        assert pred["score"] == min(r["score"] for r in pred["result"])
        assert all(0.0 < r["score"] <= 1.0 for r in pred["result"])
    assert _answers(group1, ids[f"{PRESS_ID}:1"])[1] == {"is_ad": ["Non-Ad"]}  # the text of TIKVAH:1
    # Vertical and tags appear exactly where is_ad is predicted Ad, on every unlabeled task.
    labeled = {ids[f"{TIKVAH_ID}:{i}"] for i in (1, 2, 5, 6)} | {ids2[f"{TIKVAH_ID}:15001"]}
    for project in (group1, group2, shop):
        for task in project.tasks():
            if task["id"] in labeled:
                continue
            pred, answers = _answers(project, task["id"])
            assert pred["model_version"] == second.model_version
            if answers["is_ad"] != ["Ad"]:
                assert set(answers) == {"is_ad"}, answers
            else:
                assert "vertical" in answers, answers

    # With the project's rules pooled in (as `label serve --live` runs it), the refresh reads the
    # tasks' texts for the rules and answers every unlabeled task again (the same labels, so the
    # same version). Three verticals given once each: no fold can weigh the rules, so they count
    # at weight 1, and one contrary label (Travel for a sofa shop) does not outvote them.
    from workbench.labeling.rules import load_rules

    third = refresh_once(group1.backend, tax, classifier={"single": "tfidf_lr", "multi": "tfidf_lr"},
                         rules=load_rules(env.cfg.labeling.rules, taxonomy=tax))
    assert third is not None
    assert third.learned == ("is_ad", "vertical", "tags")
    assert _answers(shop, sofa)[1].get("vertical") == rules[sofa]["vertical"]
    for project in (group1, group2, shop):
        for task in project.tasks():
            if task["id"] not in labeled:
                pred, answers = _answers(project, task["id"])
                assert pred["model_version"] == third.model_version
                assert answers["is_ad"] in (["Ad"], ["Non-Ad"])
