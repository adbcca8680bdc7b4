"""``workbench train ls``: the runs under ``DIR/runs`` with their status and key metrics.

A run whose ``run.json`` says "running" but whose process is gone on this host (killed, machine
rebooted) is shown as "killed": ``workbench train run RECIPE --resume`` continues it.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.training.run import read_status, runs_root


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def effective_status(status: dict[str, Any]) -> str:
    """The stored status, with "running" turned into "killed" when its process is gone."""
    state = str(status.get("status", "unknown"))
    pid = status.get("pid")
    if (state == "running" and isinstance(pid, int) and status.get("host") == platform.node()
            and not _alive(pid)):
        return "killed"
    return state


def list_runs(data_dir: Path) -> list[RunRow]:
    """Every run folder with a ``run.json``, oldest first."""
    rows = []
    for path in sorted(runs_root(data_dir).glob("*")):
        status = read_status(path)
        if not status:
            continue
        step = str(status.get("global_step", 0))
        if status.get("max_steps"):
            step += f"/{status['max_steps']}"
        rows.append(RunRow(
            run_id=path.name, recipe=str(status.get("recipe", "?")),
            method=str(status.get("method", "?")), status=effective_status(status), step=step,
            train_loss=status.get("train_loss"), best_eval_loss=status.get("best_eval_loss"),
            warnings=len(status.get("warnings", [])), started_at=str(status.get("started_at", "")),
        ))
    return sorted(rows, key=lambda r: (r.started_at, r.run_id))


def format_runs(rows: list[RunRow]) -> str:
    """A fixed-width table of :func:`list_runs` (a message when there is none)."""
    if not rows:
        return "no runs yet: start one with `workbench train run tiny-cpu`"

    def num(value: float | None) -> str:
        return f"{value:.3f}" if isinstance(value, int | float) else "-"

    table = [("run", "method", "status", "step", "train loss", "best val loss", "warnings")]
    table += [(r.run_id, r.method, r.status, r.step, num(r.train_loss), num(r.best_eval_loss),
               str(r.warnings)) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in table)
