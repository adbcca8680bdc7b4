"""``workbench train sweep``: a grid (or a random part of it) of runs of one recipe, resumable.

``--grid lora.r=8,16 training.learning_rate=1e-4,2e-4`` makes every combination (4 runs here);
``--random N --seed S`` keeps N of them, drawn with a fixed seed. Each combination is a normal
run (``DIR/runs/<sweep>-NN/``) of the recipe with the combination's ``--set`` overrides, trained
one after the other. The sweep's manifest, ``DIR/training/sweeps/<sweep>/sweep.json``, lists the
combinations, their run ids and statuses; ``compare.png`` overlays their loss curves.

The sweep id is the recipe name and a hash of the grid, the overrides and the random draw, so
running the same command again is the same sweep: finished runs are skipped, an interrupted or
failed one resumes from its last checkpoint, the rest start. A different grid is another sweep.
A run that fails (out of memory...) is recorded and the sweep goes on with the next one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.io import write_json_atomic
from workbench.core.layout import Layout
from workbench.core.runs import STATUS_FILE, read_status, run_folder
from workbench.training.callbacks import format_duration
from workbench.training.compare import (
    RunComparison,
    compare_runs,
    format_comparison,
    plot_comparison,
)
from workbench.training.recipe import load_recipe, sft_config_kwargs

SWEEP_FILE = "sweep.json"
COMPARE_PNG = "compare.png"


@dataclass(frozen=True)
class GridAxis:
    """One ``--grid`` argument: a recipe field and the values it takes (YAML text)."""

    key: str
    values: tuple[str, ...]


def split_values(text: str) -> list[str]:
    """Split on commas outside brackets, so list values survive.

    Examples
    --------
    >>> split_values("8,16")
    ['8', '16']
    >>> split_values("[q_proj,v_proj],all-linear")
    ['[q_proj,v_proj]', 'all-linear']
    """
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def parse_grid(specs: Sequence[str]) -> list[GridAxis]:
    """``["lora.r=8,16", ...]`` -> axes; a malformed or repeated field is a one-line error.

    Raises
    ------
    ConfigError
        ``key=`` without values, no ``=``, an empty value, or the same key twice.
    """
    axes: list[GridAxis] = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        key = key.strip()
        parts = split_values(values) if sep else []
        if not key or not parts or any(not v for v in parts):
            msg = f"--grid {spec!r}: expected dotted.key=value1,value2 (e.g. lora.r=8,16)"
            raise ConfigError(msg)
        if any(axis.key == key for axis in axes):
            msg = f"--grid names {key} twice: give all its values in one --grid {key}=a,b"
            raise ConfigError(msg)
        axes.append(GridAxis(key, tuple(dict.fromkeys(parts))))
    if not axes:
        msg = "--grid is required: e.g. --grid lora.r=8,16 training.learning_rate=1e-4,2e-4"
        raise ConfigError(msg)
    return axes


def combinations(axes: Sequence[GridAxis], *, random_n: int | None = None,
                 seed: int = 0) -> list[dict[str, str]]:
    """Every combination of the axes (first axis slowest), or ``random_n`` of them.

    Examples
    --------
    >>> axes = [GridAxis("lora.r", ("8", "16")), GridAxis("training.learning_rate", ("1e-4", "2e-4"))]
    >>> [c["lora.r"] + "/" + c["training.learning_rate"] for c in combinations(axes)]
    ['8/1e-4', '8/2e-4', '16/1e-4', '16/2e-4']
    >>> len(combinations(axes, random_n=3, seed=1))
    3
    """
    grid = [dict(zip([a.key for a in axes], values, strict=True))
            for values in itertools.product(*(a.values for a in axes))]
    if random_n is None or random_n >= len(grid):
        return grid
    keep = sorted(random.Random(seed).sample(range(len(grid)), random_n))
    return [grid[i] for i in keep]


def sweep_id(recipe_name: str, axes: Sequence[GridAxis], overrides: Sequence[str],
             random_n: int | None, seed: int) -> str:
    """``<recipe>-sweep-<8 hex>``: the same command always names the same sweep."""
    blob = json.dumps({"grid": [[a.key, list(a.values)] for a in axes],
                       "overrides": list(overrides), "random": random_n, "seed": seed},
                      sort_keys=True)
    return f"{recipe_name}-sweep-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"


@dataclass
class SweepResult:
    """A sweep after this call: its folder, its runs and their comparison."""

    sweep_id: str
    folder: Path
    runs: list[dict[str, Any]]
    comparison: list[RunComparison]
    plot: Path | None

    def table(self) -> str:
        """The comparison table and a summary line."""
        done = sum(r["status"] == "finished" for r in self.runs)
        failed = [r["run_id"] for r in self.runs if r["status"] == "failed"]
        lines = [format_comparison(self.comparison), "",
                 f"sweep {self.sweep_id}: {done}/{len(self.runs)} runs finished"
                 + (f", failed: {', '.join(failed)} (run the command again to retry)"
                    if failed else "")
                 + f" -> {self.folder}"]
        if self.plot:
            lines.append(f"loss curves -> {self.plot}")
        return "\n".join(lines)


def run_sweep(
    data_dir: Path,
    recipe_ref: str,
    grid: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    random_n: int | None = None,
    seed: int = 0,
    progress: bool = True,
    log: Callable[[str], None] = print,
    train: Callable[..., Any] | None = None,
) -> SweepResult:
    """Run (or continue) the sweep of ``recipe_ref`` over ``grid``; see the module docstring.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    recipe_ref
        Recipe name or path.
    grid
        ``dotted.key=v1,v2`` specifications.
    overrides
        ``--set`` overrides applied to every run of the sweep.
    random_n, seed
        Keep ``random_n`` combinations drawn with ``seed`` (None: the whole grid).
    progress
        Show progress bars.
    log
        Where progress lines go.
    train
        The training function (default :func:`workbench.training.run.train_run`; tests pass
        one that interrupts).

    Returns
    -------
    SweepResult
        The runs with their statuses and the comparison.
    """
    if random_n is not None and random_n < 1:
        msg = f"--random must be at least 1, got {random_n}"
        raise ConfigError(msg)
    axes = parse_grid(grid)
    base = load_recipe(recipe_ref, list(overrides))
    combos = combinations(axes, random_n=random_n, seed=seed)
    # Every combination is validated before the first run starts: a bad value fails now, not
    # after hours of training.
    recipes = []
    for combo in combos:
        sets = [*overrides, *(f"{k}={v}" for k, v in combo.items())]
        recipe = load_recipe(recipe_ref, sets)
        sft_config_kwargs(recipe, Path("checkpoints"))  # training.* keys exist in trl.SFTConfig
        recipes.append((combo, recipe))
    sid = sweep_id(base.name, axes, overrides, random_n, seed)
    folder = Layout(data_dir).sweep(sid)
    manifest_path = folder / SWEEP_FILE
    runs = [{"run_id": f"{sid}-{i:02d}", "assignments": combo, "status": "pending"}
            for i, (combo, _) in enumerate(recipes)]
    manifest: dict[str, Any] = {
        "sweep_id": sid, "recipe": base.name, "recipe_ref": recipe_ref,
        "grid": {a.key: list(a.values) for a in axes}, "overrides": list(overrides),
        "random": random_n, "seed": seed, "runs": runs,
    }

    def save() -> None:
        for run in runs:
            run["status"] = read_status(run_folder(data_dir, run["run_id"])).get(
                "status", run["status"] if run["status"] == "failed" else "pending")
        write_json_atomic(manifest_path, manifest)

    if train is None:
        from workbench.training.run import train_run as train
    save()
    log(f"sweep {sid}: {len(runs)} runs of {base.name} -> {folder}")
    durations: list[float] = []
    for index, (run, (combo, recipe)) in enumerate(zip(runs, recipes, strict=True), start=1):
        run_dir = run_folder(data_dir, run["run_id"])
        state = read_status(run_dir).get("status")
        label = ", ".join(f"{k}={v}" for k, v in combo.items())
        if state == "finished":
            log(f"[{index}/{len(runs)}] {run['run_id']} ({label}): finished, skipped")
            continue
        resume = (run_dir / STATUS_FILE).exists()
        left = sum(read_status(run_folder(data_dir, r["run_id"])).get("status") != "finished"
                   for r in runs[index - 1:])
        eta = (f"; about {format_duration(sum(durations) / len(durations) * left)} for the "
               f"{left} runs left" if durations else "")
        log(f"[{index}/{len(runs)}] {run['run_id']} ({label}): "
            f"{'resuming' if resume else 'starting'}{eta}")
        started = time.perf_counter()
        try:
            train(data_dir, recipe, run_id=run["run_id"], resume=resume, progress=progress,
                  log=log)
        except KeyboardInterrupt:
            save()
            raise
        except (WorkbenchError, RuntimeError, ValueError, OSError) as exc:
            # One failed combination (out of memory, a diverging loss...) must not lose the rest.
            run["status"] = "failed"
            log(f"[{index}/{len(runs)}] {run['run_id']} failed: {str(exc).splitlines()[0]}")
        durations.append(time.perf_counter() - started)
        save()
    save()
    comparison = compare_runs(data_dir, [r["run_id"] for r in runs
                                         if (run_folder(data_dir, r["run_id"]) / STATUS_FILE).exists()])
    plot = plot_comparison(comparison, folder / COMPARE_PNG, f"sweep {sid}")
    return SweepResult(sid, folder, runs, comparison, plot)
