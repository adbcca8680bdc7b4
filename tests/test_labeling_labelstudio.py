"""Label Studio end to end against a REAL server (session fixture): serve, users, push, pull."""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import httpx
import polars as pl
import pytest

from tests.conftest import LabelingEnv, SessionServer, run_workbench
from tests.exports import export, message, write
from tests.labeling_data import ADS, EXPECTED_PROJECTS, PRESS_ID, SHOP_ID, TIKVAH_ID, make_data_dir
from workbench.core.config import CleaningConfig
from workbench.core.errors import ServiceError
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.ingest.pipeline import run_ingest
from workbench.labeling.agreement import agreement_report
from workbench.labeling.backends import labeling_taxonomy
from workbench.labeling.labelstudio.backend import LabelStudioBackend
from workbench.labeling.labelstudio.server import load_credentials, read_state
from workbench.labeling.pull import run_pull
from workbench.labeling.push import plan_push, preview_push, run_push
from workbench.labeling.records import ANNOTATIONS_SCHEMA
from workbench.labeling.status import render, run_status

pytestmark = pytest.mark.labelstudio


def choices(**answers: list[str]) -> list[dict]:
    return [{"from_name": task, "to_name": "text", "type": "choices", "value": {"choices": value}}
            for task, value in answers.items()]


class Project:
    """Direct API access to one managed project, for assertions."""

    def __init__(self, env: LabelingEnv, key: str) -> None:
        tax, _ = labeling_taxonomy(env.cfg)
        self.backend = LabelStudioBackend(env.data_dir, env.cfg.labeling, tax)
        self.id = self.backend.managed_projects()[key]["id"]

    def tasks(self, include: str = "id,data,overlap,predictions_model_versions") -> list[dict]:
        return list(self.backend.api.iter_tasks(self.id, include=include))

    def uid_to_task(self) -> dict[str, int]:
        return {t["data"]["uid"]: t["id"] for t in self.tasks()}


def annotate(url: str, token: str, task_id: int, result: list[dict], lead_time: float = 3.0) -> None:
    resp = httpx.post(f"{url}/api/tasks/{task_id}/annotations/", json={"result": result, "lead_time": lead_time},
                      headers={"Authorization": f"Token {token}"}, timeout=60)
    assert resp.status_code == 201, resp.text


def test_serve_wrote_private_credentials_and_prints_no_secret(ls_server: SessionServer) -> None:
    creds = load_credentials(ls_server.data_dir)
    assert creds.url == ls_server.url
    assert stat.S_IMODE(ls_server.credentials.stat().st_mode) == 0o600
    # The DB holds the admin token and password hashes: the folder and every file are private.
    ls_root = ls_server.data_dir / "labelstudio"
    assert stat.S_IMODE(ls_root.stat().st_mode) == 0o700
    database = ls_root / "data" / "label_studio.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    for folder, dirs, files in os.walk(ls_root, followlinks=True):
        for name in (*dirs, *files):
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            assert not mode & 0o077, f"{Path(folder) / name} is {oct(mode)}"
    assert set(json.loads(ls_server.credentials.read_text())) == {"url", "username", "password", "token"}
    assert ls_server.url in ls_server.serve_stdout
    assert creds.password not in ls_server.serve_stdout
    assert creds.token not in ls_server.serve_stdout
    assert "--show-credentials" in ls_server.serve_stdout
    state = read_state(ls_server.data_dir)
    assert state is not None
    assert state.port == ls_server.port
    # Bound to loopback only: the server is not reachable on another local address.
    resp = httpx.get(f"{ls_server.url}/api/version", timeout=10)
    assert resp.status_code == 200
    # `serve` again: already running; secrets only when asked.
    again = run_workbench("label", "serve", "--data-dir", str(ls_server.data_dir))
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert creds.password not in again.stdout
    shown = run_workbench("label", "serve", "--show-credentials", "--data-dir", str(ls_server.data_dir))
    assert creds.password in shown.stdout
    assert creds.token in shown.stdout


def test_push_pull_agreement_quarantine(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    results, source = run_push(env.data_dir, env.cfg)
    assert source == "rules rules-v9"
    assert {r.key: r.added for r in results} == {k: len(v) for k, v in EXPECTED_PROJECTS.items()}
    group1 = Project(env, "group-1")
    tasks = group1.tasks()
    assert {t["data"]["uid"] for t in tasks} == EXPECTED_PROJECTS["group-1"]
    assert all(t["predictions_model_versions"] == "rules-v9" for t in tasks)
    # Overlap: 10% of 9 tasks -> 1 task wants 2 annotators.
    assert sorted(t["overlap"] for t in tasks) == [1] * 8 + [2]
    project = group1.backend.api.project(group1.id)
    assert project["maximum_annotations"] == 2
    assert project["overlap_cohort_percentage"] == 10
    validated = httpx.post(f"{env.server.url}/api/projects/validate",
                           json={"label_config": project["label_config"]},
                           headers={"Authorization": f"Token {group1.backend.creds.token}"}, timeout=30)
    assert validated.status_code == 204, validated.text

    # Push again: nothing new, nothing duplicated.
    again, _ = run_push(env.data_dir, env.cfg)
    assert all(r.added == 0 and r.duplicates_removed == 0 for r in again)
    assert {r.key: r.existing for r in again} == {k: len(v) for k, v in EXPECTED_PROJECTS.items()}
    assert len(group1.tasks()) == len(EXPECTED_PROJECTS["group-1"])

    # Two annotators through the CLI, then annotations through the API with their own tokens.
    for email in ("Alem@example.com", "biruk@example.com"):
        out = run_workbench("label", "users", "add", email, "--group", "1", "--data-dir", str(env.data_dir))
        assert out.returncode == 0, out.stderr
        assert "created annotator" in out.stdout
    registry = json.loads((env.data_dir / "labelstudio" / "annotators.json").read_text())
    assert stat.S_IMODE((env.data_dir / "labelstudio" / "annotators.json").stat().st_mode) == 0o600
    assert registry["alem@example.com"]["group"] == 1
    again_user = run_workbench("label", "users", "add", "alem@example.com", "--group", "1",
                               "--data-dir", str(env.data_dir))
    assert again_user.returncode == 2
    assert "already exists" in again_user.stderr
    alem, biruk = registry["alem@example.com"]["token"], registry["biruk@example.com"]["token"]

    ids = group1.uid_to_task()
    t = [f"{TIKVAH_ID}:{i}" for i in (1, 2, 3, 4)]
    # Hand-computed case on is_ad over 4 shared items:
    #   alem:  Ad, Ad, Non-Ad, Non-Ad   biruk: Ad, Non-Ad, Non-Ad, Non-Ad
    #   kappa: po = 3/4, pe = 1/2*1/4 + 1/2*3/4 = 1/2 -> (3/4 - 1/2) / (1/2) = 0.5
    #   alpha (nominal): n = 8, Ad 3, Non-Ad 5, 2 disagreeing pairable values ->
    #         1 - (n - 1) * 2 / (2 * 3 * 5) = 1 - 14/30 = 0.5333...
    annotate(env.server.url, alem, ids[t[0]], choices(is_ad=["Ad"], vertical=["Retail"], tags=[]))
    annotate(env.server.url, alem, ids[t[1]], choices(is_ad=["Ad"], vertical=["Travel"]))
    annotate(env.server.url, alem, ids[t[2]], choices(is_ad=["Non-Ad"]))
    annotate(env.server.url, alem, ids[t[3]], choices(is_ad=["Non-Ad"]))
    annotate(env.server.url, biruk, ids[t[0]], choices(is_ad=["Ad"], vertical=["Retail"], tags=["Gambling"]))
    annotate(env.server.url, biruk, ids[t[1]], choices(is_ad=["Non-Ad"]))
    annotate(env.server.url, biruk, ids[t[2]], choices(is_ad=["Non-Ad"]))
    annotate(env.server.url, biruk, ids[t[3]], choices(is_ad=["Non-Ad"]))
    # Invalid ones (the server stores them; the pull must quarantine them):
    annotate(env.server.url, alem, ids[f"{PRESS_ID}:1"], choices(is_ad=["Maybe"]))
    annotate(env.server.url, biruk, ids[f"{PRESS_ID}:2"], choices(is_ad=["Non-Ad"], vertical=["Retail"]))

    summary = run_pull(env.data_dir, env.cfg)
    labels = env.data_dir / "labels"
    ann = pl.read_parquet(labels / "annotations.parquet")
    assert dict(ann.schema) == ANNOTATIONS_SCHEMA
    assert ann.get_column("annotation_id").is_unique().all()
    assert set(ann.get_column("annotator")) == {"alem@example.com", "biruk@example.com"}
    assert set(ann.get_column("project")) == {"group-1"}
    # alem's first answer: explicit empty tags; a Non-Ad gets no vertical/tags rows.
    first = ann.filter((pl.col("uid") == t[0]) & (pl.col("annotator") == "alem@example.com"))
    assert dict(zip(first["task"], first["value"].to_list(), strict=True)) == {
        "is_ad": ["Ad"], "vertical": ["Retail"], "tags": []}
    assert ann.filter(pl.col("uid") == t[2]).get_column("task").to_list() == ["is_ad", "is_ad"]
    assert ann.filter(pl.col("task") == "is_ad").get_column("lead_time").to_list() == [3.0] * 9
    quarantine = pl.read_parquet(labels / "quarantine.parquet")
    reasons = dict(zip(quarantine["uid"], quarantine["reason"], strict=True))
    assert "unknown label(s) ['Maybe']" in reasons[f"{PRESS_ID}:1"]
    assert "answered although is_ad is not Ad" in reasons[f"{PRESS_ID}:2"]
    assert summary.quarantined == 2
    # biruk's valid is_ad on PRESS:2 is kept although his vertical there was quarantined.
    assert ann.filter(pl.col("uid") == f"{PRESS_ID}:2").height == 1

    alphas, kappas = agreement_report(ann, ["is_ad"])
    assert math.isclose(alphas[0].alpha, 16 / 30, abs_tol=1e-9)
    assert alphas[0].items == 4
    assert len(kappas) == 1
    assert math.isclose(kappas[0].kappa, 0.5, abs_tol=1e-9)

    snapshots = sorted((labels / "snapshots").glob("*.parquet"))
    assert len(snapshots) == 1
    assert pl.read_parquet(snapshots[0]).equals(ann)
    manifest = json.loads((labels / "manifest.json").read_text())
    assert manifest["snapshot"] == snapshots[0].name
    assert manifest["outputs"]["annotations.parquet"]["rows"] == ann.height
    assert manifest["inputs"][0]["path"] == env.server.url

    # Status through the CLI: tables with the same numbers.
    out = run_workbench("label", "status", "--data-dir", str(env.data_dir), *_config_args(env, tmp_path))
    assert out.returncode == 0, out.stderr
    assert "0.533" in out.stdout
    assert "0.500" in out.stdout
    assert "alem@example.com" in out.stdout
    report = run_status(env.data_dir, env.cfg)
    assert {p.key: p.tasks for p in report.projects} == {k: len(v) for k, v in EXPECTED_PROJECTS.items()}
    assert any("group-1" in line for line in render(report))

    # An annotation deleted in the server disappears from the next pull, not from old snapshots.
    victim = ann.filter((pl.col("uid") == t[3]) & (pl.col("annotator") == "alem@example.com"))
    ls_id = victim.item(0, "annotation_id").split(":")[2]
    group1.backend.api.request("DELETE", f"/api/annotations/{ls_id}/")
    run_pull(env.data_dir, env.cfg)
    after = pl.read_parquet(labels / "annotations.parquet")
    assert after.height == ann.height - 1
    snapshots = sorted((labels / "snapshots").glob("*.parquet"))
    assert len(snapshots) == 2
    assert pl.read_parquet(snapshots[0]).filter(pl.col("annotation_id") == victim.item(0, "annotation_id")).height == 1

    # The overlap task with one of its two answers: annotated, not finished (Label Studio's UI
    # shows "finished"; status shows both, so the two never seem to disagree).
    over = next(t for t in group1.tasks("id,overlap,total_annotations") if t["overlap"] == 2)
    if over["total_annotations"] == 0:
        annotate(env.server.url, alem, over["id"], choices(is_ad=["Non-Ad"]))
    answers = group1.backend.api.request("GET", f"/api/tasks/{over['id']}/annotations/")
    for extra in answers[1:]:
        group1.backend.api.request("DELETE", f"/api/annotations/{extra['id']}/")
    listing = group1.tasks("id,overlap,total_annotations")
    progress = next(p for p in run_status(env.data_dir, env.cfg).projects if p.key == "group-1")
    assert progress.tasks_annotated == sum(t["total_annotations"] > 0 for t in listing)
    assert progress.tasks_finished == sum(t["total_annotations"] >= t["overlap"] for t in listing)
    assert progress.tasks_finished == progress.tasks_annotated - 1
    out = run_workbench("label", "status", "--data-dir", str(env.data_dir), *_config_args(env, tmp_path))
    header = next(line for line in out.stdout.splitlines() if line.startswith("project  "))
    assert header.split() == ["project", "id", "tasks", "annotated", "finished", "done", "annotations"]
    row = next(line for line in out.stdout.splitlines() if line.startswith("group-1 "))
    assert row.split()[3:5] == [str(progress.tasks_annotated), str(progress.tasks_finished)]


def _config_args(env: LabelingEnv, tmp_path: Path) -> list[str]:
    """Write the test's config to a file for CLI calls."""
    path = tmp_path / "workbench.yaml"
    path.write_text(json.dumps({"labeling": env.cfg.labeling.model_dump(mode="json")}), encoding="utf-8")
    return ["--config", str(path)]


def test_interrupted_push_rerun_is_exact(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    cfg = env.cfg.model_copy(update={"labeling": env.cfg.labeling.model_copy(update={"batch_size": 2})})

    class Interrupted(Exception):
        pass

    def crash_after_two_batches(key: str, done: int) -> None:
        if key == "group-1" and done >= 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        run_push(env.data_dir, cfg, on_batch=crash_after_two_batches)
    group1 = Project(env, "group-1")
    assert len(group1.tasks()) == 4
    results, _ = run_push(env.data_dir, cfg)
    by_key = {r.key: r for r in results}
    assert (by_key["group-1"].existing, by_key["group-1"].added) == (4, 5)
    uids = [t["data"]["uid"] for t in group1.tasks()]
    assert sorted(uids) == sorted(EXPECTED_PROJECTS["group-1"])  # each exactly once

    # A duplicate that slipped in anyway (e.g. a retried import call) is removed on the next push.
    dup = {"data": {"uid": f"{TIKVAH_ID}:1", "text": "dup", "meta": "", "channel": "", "date": "",
                    "message_id": 1, "group": "group-1"}}
    group1.backend.api.import_tasks(group1.id, [dup])
    results, _ = run_push(env.data_dir, cfg)
    assert {r.key: r.duplicates_removed for r in results}["group-1"] == 1
    uids = [t["data"]["uid"] for t in group1.tasks()]
    assert sorted(uids) == sorted(EXPECTED_PROJECTS["group-1"])


def test_group_limit_classifier_predictions_and_uncertainty(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    results, _ = run_push(env.data_dir, env.cfg, group=2, limit=1)
    assert [(r.key, r.added, r.skipped_by_limit) for r in results] == [("group-2", 1, 1)]
    # Curation's classifier arrives: push uses it, most uncertain first, and pre-annotates the
    # task already there too.
    curated = env.data_dir / "curated"
    curated.mkdir()
    uids = sorted(EXPECTED_PROJECTS["group-2"])
    preds = pl.DataFrame({
        "uid": uids, "task": ["is_ad", "is_ad"], "value": [["Ad"], ["Non-Ad"]],
        "score": [0.95, 0.55], "model_version": ["clf-v2", "clf-v2"], "uncertainty": [0.1, 0.9],
    }, schema=PREDICTIONS_SCHEMA)
    preds.write_parquet(curated / "predictions.parquet")
    results, source = run_push(env.data_dir, env.cfg, group=2, order="uncertainty")
    # Curation's predictions for the messages they cover, the rules for the other groups' ones.
    assert source.startswith(str(curated / "predictions.parquet"))
    assert "rules rules-v9 for 14 message(s) it does not cover" in source
    assert [(r.added, r.predictions_added) for r in results] == [(1, 1)]
    tasks = Project(env, "group-2").tasks()
    assert all("clf-v2" in t["predictions_model_versions"] for t in tasks)
    project = Project(env, "group-2").backend.api.project(Project(env, "group-2").id)
    assert project["model_version"] == "clf-v2"


def test_push_after_a_live_refresh_adds_no_duplicate_predictions(labeling_env: LabelingEnv,
                                                                  tmp_path: Path) -> None:
    # Found on a walkthrough: curation's model versions hold a comma ("single=...,multi=..."),
    # Label Studio lists a task's versions as their comma-separated pieces in no fixed order,
    # and push looked for the whole version among those pieces, so it never found it. Once the live refresher had moved the
    # project's model version, every push added the same predictions again to every task (61
    # curated predictions on 31 tasks after two pushes).
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    curated = env.data_dir / "curated"
    curated.mkdir()
    uids = sorted(EXPECTED_PROJECTS["group-2"])
    version = "single=tfidf_nb_svm,multi=tfidf_lr-k5-0a1b2c3d-4e5f60718293"
    pl.DataFrame({
        "uid": uids, "task": ["is_ad"] * len(uids), "value": [["Ad"]] * len(uids),
        "score": [0.9] * len(uids), "model_version": [version] * len(uids),
        "uncertainty": [0.2] * len(uids),
    }, schema=PREDICTIONS_SCHEMA).write_parquet(curated / "predictions.parquet")
    first, _ = run_push(env.data_dir, env.cfg, group=2)
    assert [(r.added, r.predictions_added) for r in first] == [(len(uids), 0)]
    group2 = Project(env, "group-2")
    api = group2.backend.api
    # What a live refresh leaves: a prediction of its own version, and the project moved to it.
    task_id = group2.tasks()[0]["id"]
    api.import_predictions(group2.id, [{"task": task_id, "model_version": "live-1-abc", "score": 0.5,
                                        "result": choices(is_ad=["Non-Ad"])}])
    api.update_project(group2.id, model_version="live-1-abc")
    assert dry_run_lines(env, group=2) == [f"group-2: 0 to add, {len(uids)} already there"]
    again, _ = run_push(env.data_dir, env.cfg, group=2)
    assert [(r.added, r.predictions_added) for r in again] == [(0, 0)]
    for task in group2.tasks(include="id,predictions"):
        mine = [p for p in task["predictions"] if p["model_version"] == version]
        assert len(mine) == 1, task["id"]
    assert api.project(group2.id)["model_version"] == version
    # A new curation run: the dry run says what the push then does (it said "0 to add" before).
    pl.read_parquet(curated / "predictions.parquet").with_columns(
        model_version=pl.lit(version + "-2")).write_parquet(curated / "predictions.parquet")
    assert dry_run_lines(env, group=2) == [
        f"group-2: 0 to add, {len(uids)} already there, {len(uids)} new pre-annotation(s)"]
    third, _ = run_push(env.data_dir, env.cfg, group=2)
    assert [(r.added, r.predictions_added) for r in third] == [(0, len(uids))]
    assert dry_run_lines(env, group=2) == [f"group-2: 0 to add, {len(uids)} already there"]


def test_an_edited_message_updates_its_task_unless_annotated(labeling_env: LabelingEnv,
                                                             tmp_path: Path) -> None:
    # Found on a walkthrough: a re-ingested edit (a new price) reached the data dir but never
    # Label Studio; annotators labeled the old text, and curation then joined their label to the
    # new one.
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg)
    shop = Project(env, "ungrouped")
    creds = load_credentials(env.data_dir)
    ids = shop.uid_to_task()
    annotate(env.server.url, creds.token, ids[f"{SHOP_ID}:2"], choices(is_ad=["Ad"], vertical=["Automotive"], tags=[]))
    edited = {1: "ቅናሽ! ዘመናዊ ሶፋዎች አሁን 19,000 ብር ብቻ ይደውሉ 0911 23 45 67",
              2: "አዲስ ቶዮታ ቪትዝ ተሽጧል"}
    shop_export = [message(i + 1, edited.get(i + 1, text),
                           **({"edited": "2024-03-02T10:00:00", "edited_unixtime": "1709362800"}
                              if i + 1 in edited else {}))
                   for i, text in enumerate(ADS)]
    write(tmp_path / "edits" / "result.json", export(shop_export, cid=SHOP_ID, name="Addis Shop"))
    run_ingest([tmp_path / "edits"], env.data_dir, CleaningConfig())
    expected = ("ungrouped: 0 to add, 5 already there, 1 edited since pushed (text updated), "
                "1 edited after labeling (kept as labeled)")
    assert expected in dry_run_lines(env)
    results, _ = run_push(env.data_dir, env.cfg)
    pushed = {r.key: r for r in results}["ungrouped"]
    assert (pushed.updated, pushed.edited_after_labeling, pushed.predictions_added) == (1, 1, 0)
    assert pushed.line() == expected.replace("to add", "added")
    tasks = {t["data"]["uid"]: t for t in shop.tasks(include="id,data,predictions")}
    assert tasks[f"{SHOP_ID}:1"]["data"]["text"] == edited[1]
    assert len(tasks[f"{SHOP_ID}:1"]["predictions"]) == 1  # the old text's one is gone
    assert tasks[f"{SHOP_ID}:2"]["data"]["text"] == ADS[1]  # labeled: kept as labeled
    # Again: nothing left to do (the annotated one is still reported, it still differs).
    again = {r.key: r for r in run_push(env.data_dir, env.cfg)[0]}["ungrouped"]
    assert (again.updated, again.edited_after_labeling, again.predictions_added) == (0, 1, 0)


def dry_run_lines(env: LabelingEnv, *, group: int | None = None) -> list[str]:
    """What `label push --dry-run` prints per project."""
    tax, _ = labeling_taxonomy(env.cfg)
    records, _ = plan_push(env.data_dir, env.cfg, tax, group=group)
    backend = LabelStudioBackend(env.data_dir, env.cfg.labeling, tax)
    previews = preview_push(records, backend.existing_uids(list(records)),
                            pending=backend.pending_changes(records))
    return [p.line() for p in previews]


def test_review_push_comes_back_as_review(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    curated = env.data_dir / "curated"
    curated.mkdir()
    pl.DataFrame({
        "uid": [f"{SHOP_ID}:1", f"{SHOP_ID}:2"], "task": ["is_ad", "is_ad"],
        "given": [["Non-Ad"], ["Ad"]], "suggested": [["Ad"], ["Ad"]],
        "label_quality": [0.08, 0.9], "is_issue": [True, False], "reason": ["low self-confidence", ""],
    }).write_parquet(curated / "label_issues.parquet")
    results, _ = run_push(env.data_dir, env.cfg, review=True)
    assert [(r.key, r.added) for r in results] == [("review", 1)]
    review = Project(env, "review")
    task = review.backend.api.request("GET", f"/api/tasks/{review.tasks()[0]['id']}")
    assert "given Non-Ad, suggested Ad" in task["data"]["review_note"]
    assert task["predictions"][0]["result"][0]["value"]["choices"] == ["Ad"]
    creds = load_credentials(env.data_dir)
    annotate(env.server.url, creds.token, task["id"], choices(is_ad=["Ad"], vertical=["Retail"], tags=[]))
    run_pull(env.data_dir, env.cfg)
    ann = pl.read_parquet(env.data_dir / "labels" / "annotations.parquet")
    assert set(ann.get_column("project")) == {"review"}
    assert ann.filter(pl.col("task") == "is_ad").item(0, "value").to_list() == ["Ad"]


def test_cli_user_errors_are_one_line(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    cases = [
        ("label", "push", "--group", "99"),
        ("label", "push", "--order", "random"),
        ("label", "users", "add", "not-an-email"),
        ("label", "pull", "--data-dir", str(tmp_path / "no-server")),
    ]
    for args in cases:
        extra = [] if "--data-dir" in args else ["--data-dir", str(env.data_dir)]
        out = run_workbench(*args, *extra)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, (args, out.stderr)
        assert lines[0].startswith("error: ")
    busy = run_workbench("label", "serve", "--port", str(env.server.port), "--data-dir", str(tmp_path / "other"))
    assert busy.returncode == 2
    assert f"port {env.server.port}" in busy.stderr
    stopped = run_workbench("label", "stop", "--data-dir", str(tmp_path / "other"))
    assert "no Label Studio running" in stopped.stdout


def test_unreachable_server_is_a_service_error(tmp_path: Path) -> None:
    from workbench.core.config import ProjectConfig
    from workbench.labeling.labelstudio.server import ensure_credentials, free_port

    ensure_credentials(tmp_path, free_port())
    tax, _ = labeling_taxonomy(ProjectConfig())
    backend = LabelStudioBackend(tmp_path, ProjectConfig().labeling, tax)
    with pytest.raises(ServiceError, match="not reachable"):
        backend.managed_projects()
