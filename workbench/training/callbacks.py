"""Trainer callbacks of a run: the metrics log, the run status, the progress bar."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.core.runs import METRICS_FILE, read_metrics, read_status
from workbench.training.recipe import Recipe
from workbench.training.run_metrics import detect_overfitting
from workbench.training.run_status import now, update_status

Log = Callable[[str], None]


def progress_bar() -> Any:
    """The trainer's progress bar, with losses shown on the bar instead of printed dicts."""
    from transformers.trainer_callback import ProgressCallback

    class LossBar(ProgressCallback):
        def __init__(self) -> None:
            super().__init__()
            self.shown: dict[str, str] = {}

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            bar = getattr(self, "training_bar", None)
            if state.is_world_process_zero and bar is not None and logs:
                fresh = {k: f"{v:.3f}" for k, v in logs.items() if k in ("loss", "eval_loss")}
                if fresh:
                    self.shown = {**self.shown, **fresh}
                    bar.set_postfix(self.shown, refresh=False)

    return LossBar()


def run_callbacks(run_dir: Path, recipe: Recipe, log: Log) -> list[Any]:
    """The run's callbacks: metrics.jsonl, run.json and the overfitting warning."""
    from transformers import TrainerCallback

    class RunLog(TrainerCallback):
        """Append every log to metrics.jsonl, keep run.json current, watch for overfitting."""

        def __init__(self) -> None:
            self.warned = False

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            if not logs or not state.is_world_process_zero:
                return
            record = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4),
                      "time": now()}
            record.update({k: v for k, v in logs.items() if isinstance(v, int | float)})
            with (run_dir / METRICS_FILE).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            update: dict[str, Any] = {"global_step": state.global_step}
            if "loss" in logs:
                update["train_loss"] = logs["loss"]
            if "eval_loss" in logs:
                update["eval_loss"] = logs["eval_loss"]
                best = read_status(run_dir).get("best_eval_loss")
                if best is None or logs["eval_loss"] < best:
                    update["best_eval_loss"] = logs["eval_loss"]
                warning = detect_overfitting(read_metrics(run_dir / METRICS_FILE),
                                             recipe.overfit_patience)
                if warning and not self.warned:
                    self.warned = True
                    log(f"warning: {warning}")
                    update["warnings"] = [*read_status(run_dir).get("warnings", []), warning]
            update_status(run_dir, **update)

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                update_status(run_dir, last_checkpoint=state.global_step)

    return [RunLog()]

