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



def format_duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``2.5 h``: rounded for a human.

    Examples
    --------
    >>> format_duration(42.4), format_duration(420), format_duration(9000)
    ('42 s', '7 min', '2.5 h')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def time_estimate(run_dir: Path, log: Log, *, measured_steps: int = 3) -> Any:
    """A callback that times the first optimizer steps and prints how long the run will take.

    The first step is left out of the timing (kernel selection, lazy allocations); the next
    ``measured_steps`` are averaged and multiplied by the steps left. The estimate lands in
    ``run.json`` (``seconds_per_step``, ``estimated_seconds``) as well as on the log.
    """
    import time

    from transformers import TrainerCallback

    class TimeEstimate(TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[float] = []
            self.done = False

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.done or not state.is_world_process_zero:
                return
            self.marks.append(time.perf_counter())
            if len(self.marks) < measured_steps + 1:
                return
            self.done = True
            per_step = (self.marks[-1] - self.marks[0]) / measured_steps
            left = max(0, state.max_steps - state.global_step)
            evals = (left // args.eval_steps if args.eval_strategy != "no" and args.eval_steps
                     else 0)
            log(f"time estimate: {per_step:.2f} s per step over {measured_steps} steps -> about "
                f"{format_duration(per_step * left)} for the {left} steps left"
                + (f" (plus {evals} evaluations)" if evals else ""))
            update_status(run_dir, seconds_per_step=round(per_step, 4),
                          estimated_seconds=round(per_step * state.max_steps, 1))

    return TimeEstimate()


def progress_lines(log: Log) -> Any:
    """Without bars (output redirected): one line per logged step, with its losses."""
    from transformers import TrainerCallback

    class LossLines(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            losses = {k: v for k, v in (logs or {}).items() if k in ("loss", "eval_loss")}
            if state.is_world_process_zero and losses:
                shown = ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in losses.items())
                log(f"step {state.global_step}/{state.max_steps}: {shown}")

    return LossLines()
