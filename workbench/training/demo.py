"""The training step of ``workbench demo``: build the SFT data and train the tiny recipe.

Runs on whatever ``DIR/curated/splits`` holds (the demo's own curated samples), keeps the run in
``DIR/runs/`` and returns lines for the demo to print.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError
from workbench.core.layout import Layout
from workbench.core.progress import current_mode

DEMO_RECIPE = "tiny-cpu"
# Short enough for the demo's time budget on 2 cores; the full recipe runs 40 steps.
DEMO_OVERRIDES = ["training.max_steps=24", "training.eval_steps=8", "training.save_steps=8"]


def run_demo_step(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """Build data and train ``tiny-cpu`` on ``DIR/curated/splits``; return lines to print.

    Parameters
    ----------
    data_dir
        Root of the stage folders; ``curated/splits`` must exist (the curation step makes it).
    cfg
        Project config (unused today; kept so every demo step has the same signature).

    Returns
    -------
    list of str
        What was built and trained, and where.
    """
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run
    from workbench.training.sft_data import build_data

    del cfg
    train = Layout(data_dir).split("train")
    if not train.exists():
        msg = f"{train}: not found; run the curation step (`workbench curate split`) first"
        raise DataContractError(msg)
    recipe = load_recipe(DEMO_RECIPE, DEMO_OVERRIDES)
    lines = []
    summary = build_data(data_dir, recipe, progress=False)
    lines.append(f"build-data: {summary.line()}")
    lines.extend(f"  note: {note}" for note in summary.notes)
    if summary.sft_rows.get("train", 0) == 0:
        lines.append("train: skipped (no ad in the train split)")
        return lines
    logged: list[str] = []
    # Bars on a terminal; otherwise the run logs one line per logged step instead.
    result = train_run(data_dir, recipe, progress=current_mode() == "bars", log=logged.append)
    lines.extend(f"  {line}" for line in logged)
    lines.append(f"train: {result.line()}")
    lines.extend(f"  warning: {w}" for w in result.warnings)
    lines.append(f"  loss plot: {result.run_dir / 'loss.png'}; adapter: {result.run_dir / 'adapter'}")
    lines.append(f"  next: workbench train merge {result.run_id} --data-dir {data_dir}")
    return lines
