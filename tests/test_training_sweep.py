"""``workbench train sweep``: a grid of tiny-cpu runs, interrupted and resumed, then compared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy
from workbench.core.errors import ConfigError
from workbench.training.sweep import GridAxis, combinations, parse_grid, sweep_id

BASE = ["training.max_steps=4", "training.eval_steps=2", "training.save_steps=2",
        "training.logging_steps=1"]
GRID = ["lora.r=4,8", "training.learning_rate=0.003"]


def quiet(_line: str) -> None:
    """Swallow progress lines."""


def test_grid_parsing_and_draws() -> None:
    axes = parse_grid(["lora.r=8,16", "lora.target_modules=[q_proj,v_proj],all-linear"])
    assert axes[1].values == ("[q_proj,v_proj]", "all-linear")
    assert len(combinations(axes)) == 4
    # A random draw is a fixed subset for a fixed seed, in grid order.
    big = [GridAxis("a", tuple("123")), GridAxis("b", tuple("45678"))]
    draw = combinations(big, random_n=4, seed=7)
    assert draw == combinations(big, random_n=4, seed=7)
    assert draw != combinations(big, random_n=4, seed=8)
    full = combinations(big)
    assert [full.index(c) for c in draw] == sorted(full.index(c) for c in draw)
    # The same command names the same sweep; another grid or draw, another sweep.
    assert sweep_id("r", axes, [], None, 0) == sweep_id("r", parse_grid(
        ["lora.r=8,16", "lora.target_modules=[q_proj,v_proj],all-linear"]), [], None, 0)
    assert sweep_id("r", axes, [], None, 0) != sweep_id("r", axes, [], 2, 0)
    # Exponent notation is a number (YAML 1.1 alone would read "1e-4" as a string).
    from workbench.training.recipe import load_recipe

    assert load_recipe("tiny-cpu", ["training.learning_rate=1e-4"]).training["learning_rate"] == 1e-4
    for bad in (["lora.r"], ["lora.r="], ["=8"], ["lora.r=8,,16"], ["lora.r=8", "lora.r=16"], []):
        with pytest.raises(ConfigError):
            parse_grid(bad)


@pytest.mark.slow
def test_sweep_resumes_skips_finished_and_compares(tmp_path: Path) -> None:
    from transformers import TrainerCallback

    from workbench.training.run import train_run
    from workbench.training.sweep import run_sweep

    synthetic_copy(tmp_path, n_ads=40, n_non_ads=8, seed=4)

    class Interrupt(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == 3:
                raise KeyboardInterrupt

    def interrupt_second(data_dir: Path, recipe: Any, **kwargs: Any) -> Any:
        extra = [Interrupt()] if kwargs["run_id"].endswith("-01") else []
        return train_run(data_dir, recipe, callbacks=extra, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(tmp_path, "tiny-cpu", GRID, overrides=BASE, progress=False, log=quiet,
                  train=interrupt_second)
    sweeps = list((tmp_path / "training" / "sweeps").iterdir())
    assert len(sweeps) == 1
    manifest = json.loads((sweeps[0] / "sweep.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["runs"]] == ["finished", "interrupted"]
    assert manifest["grid"] == {"lora.r": ["4", "8"], "training.learning_rate": ["0.003"]}
    first = manifest["runs"][0]["run_id"]
    first_mtime = (tmp_path / "runs" / first / "run.json").stat().st_mtime_ns

    lines: list[str] = []
    result = run_sweep(tmp_path, "tiny-cpu", GRID, overrides=BASE, progress=False,
                       log=lines.append)
    assert any(f"{first} (lora.r=4, training.learning_rate=0.003): finished, skipped" in line
               for line in lines)
    assert any("resuming" in line and result.runs[1]["run_id"] in line
               for line in lines)
    assert any(line.startswith("resuming from ") and "checkpoint-2" in line
               for line in lines)
    assert (tmp_path / "runs" / first / "run.json").stat().st_mtime_ns == first_mtime
    assert [r["status"] for r in result.runs] == ["finished", "finished"]
    # Each run trained with its combination.
    recipes = [(tmp_path / "runs" / r["run_id"] / "recipe.yaml").read_text() for r in result.runs]
    assert "  r: 4\n" in recipes[0]
    assert "  r: 8\n" in recipes[1]
    assert all("learning_rate: 0.003" in text for text in recipes)
    table = result.table()
    assert "lora.r" in table.splitlines()[3] or any(line.startswith("lora.r ") for line in
                                                      table.splitlines())
    assert "2/2 runs finished" in table
    assert result.plot is not None
    assert result.plot.read_bytes()[:4] == b"\x89PNG"
    assert all(r.best_eval_loss is not None for r in result.comparison)


@pytest.mark.slow
def test_sweep_cli_validates_every_combination_first(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workbench", "train", "sweep", "tiny-cpu",
                               *args, "--data-dir", str(tmp_path)], capture_output=True,
                              text=True, timeout=120, check=False)

    synthetic_copy(tmp_path, n_ads=20, n_non_ads=4, seed=4)
    cases = [(("--grid", "lora.r=8,0"), "lora.r"),                       # second value invalid
             (("--grid", "lora.r=8", "training.learing_rate=1"), "learing_rate"),
             (("--grid", "lora.r=8", "--bogus"), "unexpected argument '--bogus'"),
             (("--grid", "lora.r"), "expected dotted.key=value1,value2"),
             (("--grid", "lora.r=8", "--random", "0"), "--random")]
    for args, expected in cases:
        out = cli(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.count("\n") == 1, (args, out.stderr)
        assert expected in out.stderr, (args, out.stderr)
    assert not (tmp_path / "runs").exists(), "nothing trains before every combination is valid"
