"""Continued pretraining, then SFT from its output, on the tiny CPU model; merge, cards, export.

One CPT run and one SFT run ``--from`` it (module-scoped) are shared by the tests here: the SFT
run must load the CPT run's weights and tokenizer, and both manifests must keep the lineage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy

pytestmark = pytest.mark.slow

CPT = ["training.max_steps=8", "training.eval_steps=4", "training.save_steps=4",
       "training.logging_steps=1"]
SFT = ["training.max_steps=6", "training.eval_steps=3", "training.save_steps=3",
       "training.logging_steps=1"]


def quiet(_line: str) -> None:
    """Swallow progress lines."""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chain")
    synthetic_copy(root, n_ads=40, n_non_ads=20, seed=5)
    return root


@pytest.fixture(scope="module")
def chain(data_dir: Path) -> tuple[Any, Any, list[str]]:
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    cpt = train_run(data_dir, load_recipe("tiny-cpu-cpt", CPT), run_id="cpt", progress=False,
                    log=quiet)
    lines: list[str] = []
    sft_recipe = load_recipe("tiny-cpu", SFT).model_copy(update={"from_run": "cpt"})
    sft = train_run(data_dir, sft_recipe, run_id="sft", progress=False, log=lines.append)
    return cpt, sft, lines


def test_cpt_trains_on_every_cleaned_post_with_packing(data_dir: Path, chain: Any) -> None:
    import polars as pl

    cpt, _, _ = chain
    assert cpt.status == "finished"
    assert cpt.loss_mask.startswith("loss mask ok")
    built = data_dir / "training" / "data" / "tiny-cpu-cpt"
    texts = pl.read_parquet(built / "cpt" / "train.parquet")
    splits = {s: pl.read_parquet(data_dir / "curated" / "splits" / f"{s}.parquet")
              for s in ("train", "val", "test")}
    # Ads and non-ads of the train split are in; held-out posts are not.
    train_split = splits["train"]
    assert set(train_split.filter(pl.col("is_ad") != "Ad")["uid"]) & set(texts["uid"])
    assert set(train_split.filter(pl.col("is_ad") == "Ad")["uid"]) & set(texts["uid"])
    held = set(splits["val"]["uid"]) | set(splits["test"]["uid"])
    assert not held & set(texts["uid"])
    recipe = (cpt.run_dir / "recipe.yaml").read_text(encoding="utf-8")
    assert "objective: cpt" in recipe
    assert "packing: true" in recipe


def test_sft_starts_from_the_cpt_weights_and_tokenizer(chain: Any) -> None:
    import torch
    from safetensors.torch import load_file

    cpt, sft, lines = chain
    assert sft.status == "finished"
    assert any(line.startswith("starting from run cpt") for line in lines)
    # The CPT run was not merged, so its adapter was merged into the SFT run's base/ once.
    base = sft.run_dir / "base"
    merged = load_file(str(base / "model.safetensors"))
    cpt_base = load_file(str(cpt.run_dir / "base" / "model.safetensors"))
    cpt_adapter = load_file(str(cpt.run_dir / "adapter" / "adapter_model.safetensors"))
    head = next(t for name, t in cpt_adapter.items() if "lm_head" in name)
    # The SFT base's head is the CPT run's trained head, not the random one it started from.
    assert torch.allclose(merged["lm_head.weight"].float(), head.float(), atol=1e-2)
    assert not torch.allclose(merged["lm_head.weight"].float(),
                              cpt_base["lm_head.weight"].float(), atol=1e-3)
    # Same tokenizer as the CPT run (built there from the CPT data).
    assert (json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
            == json.loads((cpt.run_dir / "adapter" / "tokenizer.json").read_text(
                encoding="utf-8"))["model"]["vocab"])
    adapter_cfg = json.loads((sft.run_dir / "adapter" / "adapter_config.json").read_text())
    assert Path(adapter_cfg["base_model_name_or_path"]).resolve() == base.resolve()


def test_lineage_in_run_json_and_manifest(data_dir: Path, chain: Any) -> None:
    from workbench.core.io import sha256_file

    cpt, sft, _ = chain
    status = json.loads((sft.run_dir / "run.json").read_text(encoding="utf-8"))
    assert status["parent_run"] == "cpt"
    manifest = json.loads((sft.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parent_run"] == "cpt"
    roles = {i["role"]: i for i in manifest["inputs"]}
    assert roles["parent-run"]["sha256"] == sha256_file(cpt.run_dir / "manifest.json")
    # The CPT run's own inputs: its dataset (built from every cleaned post) and split manifest.
    cpt_data = data_dir / "training" / "data" / "tiny-cpu-cpt" / "manifest.json"
    assert roles["parent-run:training-data"]["path"] == str(cpt_data)
    assert roles["parent-run:split-manifest"]["sha256"] == manifest["split_manifest_sha256"]
    cpt_data_manifest = json.loads(cpt_data.read_text(encoding="utf-8"))
    assert any(i["role"] == "cleaned" for i in cpt_data_manifest["inputs"])


def test_merge_writes_a_model_card_with_the_chain(data_dir: Path, chain: Any) -> None:
    from transformers import AutoModelForCausalLM

    from workbench.training.merge import merge_run

    assert chain[1].status == "finished"
    target = merge_run(data_dir, "sft", log=quiet)
    assert AutoModelForCausalLM.from_pretrained(target) is not None
    card = (target / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\nlanguage:\n- am\n")
    assert "`tiny-cpu-cpt` (cpt) -> `tiny-cpu` (sft)" in card
    assert "### Run `sft`" in card
    assert "### Run `cpt`" in card
    assert "started from run `cpt`" in card
    assert str(data_dir) not in card, "no machine path in a card meant for the hub"
    merge_manifest = json.loads((target / "merge_manifest.json").read_text(encoding="utf-8"))
    assert merge_manifest["parent_run"] == "cpt"


def test_compare_and_ls_show_both_runs(data_dir: Path, chain: Any) -> None:
    from workbench.training.compare import compare_runs, format_comparison, plot_comparison
    from workbench.training.runs_list import format_runs, run_rows

    rows = compare_runs(data_dir, ["cpt", "sft"])
    assert [r.parent_run for r in rows] == [None, "cpt"]
    assert all(r.best_eval_loss is not None for r in rows)
    assert all(r.eval_curve for r in rows)
    assert all(r.train_curve for r in rows)
    table = format_comparison(rows)
    assert "started from" in table
    assert "data.objective" in table  # the runs differ on it
    assert "lora.r" in table
    assert "best val loss" in table
    png = plot_comparison(rows, data_dir / "cmp.png")
    assert png is not None
    assert png.read_bytes()[:4] == b"\x89PNG"
    listing = format_runs(run_rows(data_dir))
    assert "hyperparameters" in listing.splitlines()[0]
    assert "r=8 alpha=16 lr=0.003" in listing
    # One loss, one way: `train compare` prints the last train loss as `train ls` does.
    last = next(line for line in table.splitlines() if line.startswith("last train loss"))
    for r in rows:
        assert r.last_train_loss is not None
        assert f"{r.last_train_loss:.3f}" in last
        assert f"{r.last_train_loss:.3f}" in listing


def test_web_comparison_shows_train_compare_data(data_dir: Path, chain: Any) -> None:
    from workbench.training.compare import compare_runs, differing_hyperparameters
    from workbench.webapp.run_compare import compare_runs as compare_page

    rows = compare_runs(data_dir, ["cpt", "sft"])
    page = compare_page(data_dir, "cpt", "sft")
    assert [d["key"] for d in page.config_diff] == differing_hyperparameters(rows)
    assert "data.objective" in [d["key"] for d in page.config_diff]
    # Each run's copied templates live in its own folder: a path, not a setting that differs.
    assert not any(d["key"].endswith("_template") for d in page.config_diff)
    facts = {f["name"]: (f["a"], f["b"]) for f in page.facts}
    assert facts["steps"] == ("8", "6")
    assert facts["started from"] == ("—", "cpt")
    assert page.chart_svg.count('class="curve"') == 4


def test_compare_leaves_out_losses_that_are_not_numbers(data_dir: Path, chain: Any,
                                                        tmp_path: Path) -> None:
    import math
    import shutil

    from workbench.training.compare import compare_run, format_comparison

    run_dir = tmp_path / "diverged"
    shutil.copytree(data_dir / "runs" / "cpt", run_dir)
    before = compare_run(run_dir)
    # A diverging run logs NaN; a hand-edited or foreign log may hold anything.
    with (run_dir / "metrics.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"step": 9, "loss": math.nan}) + "\n")
        fh.write(json.dumps({"step": 10, "loss": None, "eval_loss": "low"}) + "\n")
    after = compare_run(run_dir)
    assert after.train_curve == before.train_curve
    assert after.eval_curve == before.eval_curve
    assert after.best_eval_loss == before.best_eval_loss
    assert after.last_step == 10
    assert "nan" not in format_comparison([after])


def test_differing_hyperparameters_tells_absent_from_none() -> None:
    from workbench.training.compare import RunComparison, differing_hyperparameters

    def row(hyper: dict[str, Any]) -> RunComparison:
        return RunComparison("r", "x", "finished", None, hyper, None, None, None, None, [], [])

    rows = [row({"name": "a", "seed": None, "lora.r": 8}), row({"name": "b", "lora.r": 8})]
    assert differing_hyperparameters(rows) == ["seed"]
    assert differing_hyperparameters(rows, skip=["seed"]) == []


def test_time_estimate_printed_and_recorded(chain: Any) -> None:
    _, sft, lines = chain
    estimate = [line for line in lines if line.startswith("time estimate: ")]
    assert len(estimate) == 1, lines
    status = json.loads((sft.run_dir / "run.json").read_text(encoding="utf-8"))
    assert status["seconds_per_step"] > 0
    assert status["estimated_seconds"] == pytest.approx(status["seconds_per_step"] * 6, abs=0.1)


def test_from_errors_are_one_line(data_dir: Path, chain: Any) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workbench", "train", *args,
                               "--data-dir", str(data_dir)], capture_output=True, text=True,
                              timeout=300, check=False)

    (data_dir / "runs" / "unfinished").mkdir()
    (data_dir / "runs" / "unfinished" / "run.json").write_text('{"status": "interrupted"}')
    for args, expected in [(("run", "tiny-cpu", "--from", "no-such-run"), "not found"),
                           (("run", "tiny-cpu", "--from", "unfinished"), "not finished"),
                           (("run", "tiny-cpu", "--resume", "--from", "cpt"), "--from cannot"),
                           (("run", "mistral-7b-qlora", "--from", "cpt"),
                            "that run trained base 'tiny'")]:
        out = cli(*args)
        assert out.returncode == 2, out.stderr
        assert out.stderr.count("\n") == 1, out.stderr
        assert expected in out.stderr, out.stderr
    assert not [p for p in (data_dir / "runs").iterdir()
                if p.name not in ("cpt", "sft", "unfinished")], "a failed --from left a folder"


def test_export_data_writes_datasets_and_a_card(data_dir: Path, chain: Any) -> None:
    import polars as pl
    from datasets import load_from_disk

    from workbench.training.export import export_data
    from workbench.training.recipe import load_recipe

    summary = export_data(data_dir, load_recipe("tiny-cpu"), progress=False, log=quiet)
    out = data_dir / "training" / "export" / "tiny-cpu"
    assert summary.out_dir == out
    sft = load_from_disk(str(out / "sft"))
    cpt = load_from_disk(str(out / "cpt"))
    assert set(sft) == {"train", "validation", "test"}
    assert set(cpt) == {"train", "validation"}
    built = data_dir / "training" / "data" / "tiny-cpu"
    assert sft["train"].num_rows == pl.read_parquet(built / "sft" / "train.parquet").height
    assert sft["train"][0]["messages"][-1]["role"] == "assistant"
    assert cpt["train"].num_rows == pl.read_parquet(built / "cpt" / "train.parquet").height
    card = (out / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["split_manifest_sha256"] in card
    assert f"| train | {sft['train'].num_rows} |" in card
    assert "task_categories:\n- text-generation" in card
    # Re-running is safe: same rows, same card.
    again = export_data(data_dir, load_recipe("tiny-cpu"), progress=False, log=quiet)
    assert again.rows == summary.rows
    assert (out / "README.md").read_text(encoding="utf-8") == card
