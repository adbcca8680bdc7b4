"""``workbench train ls``: the runs under ``DIR/runs`` with hyperparameters, status and metrics.

The runs and their effective status come from :mod:`workbench.core.runs`: a run whose ``run.json``
says "running" but whose process is gone on this host (killed, machine rebooted) is shown as
"killed", and ``workbench train run RECIPE --resume`` continues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.runs import RunInfo, list_runs
from workbench.training.compare import compare_run


@dataclass(frozen=True)
class RunRow:
    """One line of the listing."""

    run_id: str
    recipe: str
    method: str
    status: str
    step: str
    train_loss: float | None
    best_eval_loss: float | None
    warnings: int
    started_at: str
    hyperparameters: str = ""
    overfitting: bool = False

    @classmethod
    def of(cls, run: RunInfo) -> RunRow:
        """The listing's line of one run."""
        facts = run.facts
        step = str(facts.get("global_step", 0))
        if facts.get("max_steps"):
            step += f"/{facts['max_steps']}"
        compared = compare_run(run.folder)
        hyper = compared.hyperparameters
        knobs = [("r", hyper.get("lora.r")), ("alpha", hyper.get("lora.alpha")),
                 ("lr", hyper.get("training.learning_rate"))]
        return cls(run_id=run.run_id, recipe=str(facts.get("recipe", "?")),
                   method=str(facts.get("method", "?")), status=run.status, step=step,
                   train_loss=facts.get("train_loss"), best_eval_loss=facts.get("best_eval_loss"),
                   warnings=len(facts.get("warnings", [])), started_at=run.started_at,
                   hyperparameters=" ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in knobs if v is not None),
                   overfitting=compared.overfitting is not None)


def run_rows(data_dir: Path) -> list[RunRow]:
    """Every started run as a listing line, oldest first."""
    return [RunRow.of(run) for run in list_runs(data_dir)]


def format_runs(rows: list[RunRow]) -> str:
    """A fixed-width table of :func:`run_rows` (a message when there is none)."""
    if not rows:
        return "no runs yet: start one with `workbench train run tiny-cpu`"

    def num(value: float | None) -> str:
        return f"{value:.3f}" if isinstance(value, int | float) else "-"

    table = [("run", "method", "hyperparameters", "status", "step", "train loss", "best val loss",
              "overfitting", "warnings")]
    table += [(r.run_id, r.method, r.hyperparameters or "-", r.status, r.step, num(r.train_loss),
               num(r.best_eval_loss), "yes" if r.overfitting else "no", str(r.warnings))
              for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in table)
