"""A run evaluated after a re-split: the items it trained on are named, and a challenger's win
on them does not pass the gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.core.io import sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import CompareResult, EvalManifest, read_manifest
from workbench.core.trained_on import TRAINED_UIDS_FILE, run_training_uids
from workbench.evaluation.held_out import LINEAGE_KEY

RUN_ID = "tiny-20260101-000000-abcd"
SUITE = """
name: heldout
systems: [template, {name: tuned, ref: "run:tiny-20260101-000000-abcd"}]
items: {n: 12}
tasks:
  - name: brief_to_ad
    metrics: [chrf]
    max_new_tokens: 4
seed: 5
bootstrap: {n_resamples: 200}
"""


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from workbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0), capsys.readouterr().out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A run trained on the pipeline's random split, then channel 1000 sent whole to test."""
    from tests.eval_data import make_fake_run, make_splits, make_tiny_base
    from workbench.cli import main

    root = tmp_path_factory.mktemp("heldout")
    make_splits(root)
    base = make_tiny_base(root / "tiny-base", root)
    run_dir = make_fake_run(root, base, RUN_ID)
    trained = run_training_uids(run_dir, root)
    with pytest.raises(SystemExit) as exc:
        main(["curate", "split", "--holdout-channel", "1000", "--data-dir", str(root), "--quiet"])
    assert exc.value.code in (0, None)
    suite = root / "heldout.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    test_uids = set(pl.read_parquet(Layout(root).split("test"))["uid"].to_list())
    return {"root": root, "suite": suite, "run_dir": run_dir, "trained": trained,
            "test_uids": test_uids}


def test_training_uids_are_the_runs_training_rows(world: dict[str, Any]) -> None:
    trained = world["trained"]
    assert trained, "the run's SFT train rows"
    sft = Layout(world["root"]).training_data("tiny-test") / "sft" / "train.parquet"
    assert trained == frozenset(pl.read_parquet(sft)["uid"].to_list())


def test_items_the_run_trained_on_are_named_and_fail_its_gate(
        world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    root = str(world["root"])
    assert world["trained"] & world["test_uids"], "the new test split holds messages the run saw"
    code, out = _cli(["eval", "run", str(world["suite"]), "--eval-id", "resplit", "--data-dir",
                      root, "--quiet"], capsys)
    assert code == 0, out
    lay = Layout(world["root"])
    items = pl.read_parquet(lay.eval("resplit") / "items.parquet")
    seen = sum(uid in world["trained"] for uid in items["uid"].to_list())
    assert seen > 0
    expected = f"it trained on {seen} of the {items.height} brief_to_ad items"
    assert expected in out
    summary = json.loads((lay.eval("resplit") / "summary.json").read_text(encoding="utf-8"))
    assert any(expected in note for note in summary["notes"])
    manifest = read_manifest(lay.eval("resplit") / "manifest.json", EvalManifest)
    assert manifest.systems["tuned"][LINEAGE_KEY] == {"brief_to_ad": seen}
    assert LINEAGE_KEY not in manifest.systems["template"]

    code, out = _cli(["eval", "compare", "tuned", "--against", "template", "--eval-id",
                      "resplit", "--data-dir", root], capsys)
    assert code == 1
    assert f"[FAIL] held-out items: tuned trained on {seen} brief_to_ad item(s)" in out
    saved = CompareResult.model_validate_json(lay.compare("resplit").read_text(encoding="utf-8"))
    assert not saved.wins
    # The other way round, only the champion saw them: named, but no reason to fail.
    _cli(["eval", "compare", "template", "--against", "tuned", "--eval-id", "resplit",
          "--data-dir", root], capsys)
    saved = CompareResult.model_validate_json(lay.compare("resplit").read_text(encoding="utf-8"))
    held = next(c for c in saved.conditions if c.name == "held-out items")
    assert held.passed
    assert "only the champion saw them" in held.detail


def test_rebuilt_training_data_leaves_the_runs_own_record(
        world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """The next build of the recipe overwrites its training data; the run kept the uids it
    trained on in its folder, so the evaluation still counts them instead of saying it cannot."""
    data = Layout(world["root"]).training_data("tiny-test")
    kept = world["root"] / "kept-training-data"
    shutil.copytree(data, kept)
    try:
        sft = data / "sft" / "train.parquet"
        pl.read_parquet(sft).head(1).write_parquet(sft)  # what a later build-data leaves
        assert run_training_uids(world["run_dir"], world["root"]) == world["trained"]
        code, out = _cli(["eval", "run", str(world["suite"]), "--eval-id", "rebuilt",
                          "--data-dir", str(world["root"]), "--quiet"], capsys)
        assert code == 0, out
        assert "can no longer be read" not in out
        manifest = read_manifest(Layout(world["root"]).eval("rebuilt") / "manifest.json",
                                 EvalManifest)
        assert manifest.systems["tuned"][LINEAGE_KEY]["brief_to_ad"] > 0
    finally:
        shutil.rmtree(data)
        shutil.copytree(kept, data)


def test_an_older_run_with_rebuilt_training_data_is_said_to_be_unknown(
        world: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run made before runs kept their uids is read through its training data; once that is
    rebuilt, the evaluation says the items may include messages it trained on."""
    root = tmp_path / "older"
    shutil.copytree(world["root"], root)
    run_dir = _as_an_older_run(root / "runs" / RUN_ID)
    assert run_training_uids(run_dir, root) == world["trained"], "read from its training data"
    sft = Layout(root).training_data("tiny-test") / "sft" / "train.parquet"
    pl.read_parquet(sft).head(1).write_parquet(sft)  # what a later build-data leaves
    assert run_training_uids(run_dir, root) is None
    code, out = _cli(["eval", "run", str(root / "heldout.yaml"), "--eval-id", "older",
                      "--data-dir", str(root), "--quiet"], capsys)
    assert code == 0, out
    assert "training messages can no longer be read" in out
    saved = read_manifest(Layout(root).eval("older") / "manifest.json", EvalManifest)
    assert saved.systems["tuned"][LINEAGE_KEY] is None


def test_a_changed_record_is_not_trusted(world: dict[str, Any], tmp_path: Path) -> None:
    """trained_uids.txt edited after the run: its sha256 no longer matches the manifest's, so
    the uids come from the training data (unchanged here), never from the edited file."""
    root = tmp_path / "edited"
    shutil.copytree(world["root"], root)
    record = root / "runs" / RUN_ID / TRAINED_UIDS_FILE
    record.write_text("someone-else\n", encoding="utf-8")
    assert run_training_uids(root / "runs" / RUN_ID, root) == world["trained"]


def test_a_run_on_the_current_split_gets_no_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.eval_data import make_fake_run, make_splits, make_tiny_base

    make_splits(tmp_path)
    make_fake_run(tmp_path, make_tiny_base(tmp_path / "tiny-base", tmp_path), RUN_ID)
    suite = tmp_path / "heldout.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    code, out = _cli(["eval", "run", str(suite), "--eval-id", "same", "--data-dir",
                      str(tmp_path), "--quiet"], capsys)
    assert code == 0, out
    assert "not held out" not in out
    manifest = read_manifest(Layout(tmp_path).eval("same") / "manifest.json", EvalManifest)
    assert LINEAGE_KEY not in manifest.systems["tuned"]


def test_training_uids_are_found_in_a_moved_data_dir(world: dict[str, Any],
                                                     tmp_path: Path) -> None:
    """Manifests record paths as typed (relative to another folder, or the data dir's old
    place): the run's training data is then looked for under the data dir it is in now."""
    moved, lost = tmp_path / "moved", tmp_path / "lost"
    for root in (moved, lost):
        shutil.copytree(world["root"], root)
        _as_an_older_run(root / "runs" / RUN_ID)
    shutil.rmtree(Layout(lost).training_data("tiny-test"))
    original = Layout(world["root"]).training_data("tiny-test")
    aside = tmp_path / "aside"
    original.rename(aside)
    try:
        assert run_training_uids(moved / "runs" / RUN_ID, moved) == world["trained"]
        assert run_training_uids(lost / "runs" / RUN_ID, lost) is None
    finally:
        aside.rename(original)


def _as_an_older_run(run_dir: Path) -> Path:
    """The run as runs were made before they kept the uids they trained on."""
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["outputs"][TRAINED_UIDS_FILE]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (run_dir / TRAINED_UIDS_FILE).unlink()
    return run_dir


def test_a_run_from_another_keeps_its_parents_messages_too(world: dict[str, Any],
                                                           tmp_path: Path) -> None:
    """A run started `--from` a parent learned the parent's messages as well: its record holds
    both, so a later evaluation counts items either of them saw."""
    from workbench.core.trained_on import TRAINED_UIDS_FILE as RECORD
    from workbench.training.lineage import parent_inputs
    from workbench.training.recipe import load_recipe
    from workbench.training.run import write_run_manifest

    root = tmp_path / "child"
    shutil.copytree(world["root"], root)
    # The child's own data: three rows of messages the parent never saw.
    data_out = Layout(root).training_data("tiny-child")
    shutil.copytree(Layout(root).training_data("tiny-test"), data_out)
    sft = data_out / "sft" / "train.parquet"
    pl.read_parquet(sft).head(3).with_columns(
        uid=pl.Series([f"9999:{i}" for i in range(3)])).write_parquet(sft)
    manifest_path = data_out / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["outputs"]["sft/train.parquet"]["sha256"] = sha256_file(sft)
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    recipe = load_recipe("tiny-cpu", ["name=tiny-child", "data.system_prompt=You write Amharic "
                                      "Telegram ads.", f"from_run={RUN_ID}"])
    child = Layout(root).run("tiny-child-20260102-000000-abcd")
    child.mkdir(parents=True)
    write_run_manifest(child, recipe, data_out, "base", "loss mask: not checked",
                       status="finished", data_dir=root,
                       parent_inputs=parent_inputs(root, RUN_ID))
    recorded = set((child / RECORD).read_text(encoding="utf-8").split())
    assert recorded == set(world["trained"]) | {"9999:0", "9999:1", "9999:2"}
    assert run_training_uids(child, root) == frozenset(recorded)
