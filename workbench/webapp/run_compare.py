"""Two training runs side by side: their loss curves in one figure, and how their recipes differ.

The page's pickers list every started run (:func:`workbench.core.runs.list_runs`) by its display
name. What it compares is ``workbench train compare``'s data
(:func:`workbench.training.compare.compare_run`): both loss curves, the status, the last step and
the recipe's hyperparameters, of which the page lists those that differ
(:func:`workbench.training.compare.differing_hyperparameters`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.runs import RunInfo, find_run, list_runs
from workbench.training.compare import compare_run, differing_hyperparameters
from workbench.webapp.loss_chart import COLOURS, Curve, loss_chart_svg
from workbench.webapp.model_labels import key_metric, run_label

#: Shown for a setting one run's recipe does not have.
ABSENT = "(not set)"


class UnknownRunError(LookupError):
    """A run id that names no started run (the page answers 404)."""


@dataclass
class RunComparison:
    """What the comparison page shows."""

    #: ``(run id, display name)`` of every started run, oldest first.
    options: list[tuple[str, str]]
    a: RunInfo | None = None
    b: RunInfo | None = None
    chart_svg: str = ""
    #: ``{"key", "a", "b"}`` per differing setting (dotted keys, sorted).
    config_diff: list[dict[str, str]] = field(default_factory=list)
    same_settings: int = 0
    #: ``{"name", "a", "b"}``: each run's name, date and key metric, and its step count.
    facts: list[dict[str, str]] = field(default_factory=list)


def compare_runs(data_dir: Path, a: str, b: str) -> RunComparison:
    """The comparison of runs ``a`` and ``b`` (pickers only while either is not chosen).

    Raises
    ------
    UnknownRunError
        ``a`` or ``b`` is given but names no started run.
    """
    comparison = RunComparison(options=[(r.run_id, run_label(r)) for r in list_runs(data_dir)])
    if not (a and b):
        return comparison
    runs = []
    for run_id in (a, b):
        run = find_run(data_dir, run_id)
        if run is None:
            raise UnknownRunError(run_id)
        runs.append(run)
    comparison.a, comparison.b = runs
    rows = [compare_run(run.folder) for run in runs]
    curves = [Curve(f"{'AB'[i]} ({row.run_id}): {name}", COLOURS[i], dashed,
                    [(float(step), loss) for step, loss in points])
              for i, row in enumerate(rows)
              for name, dashed, points in (("training loss", False, row.train_curve),
                                           ("validation loss", True, row.eval_curve))
              if points]
    comparison.chart_svg = loss_chart_svg(curves, title=f"Loss curves of {a} and {b}")
    left, right = (row.hyperparameters for row in rows)
    comparison.config_diff = [
        {"key": k, "a": _shown(left, k), "b": _shown(right, k)}
        for k in differing_hyperparameters(rows)]
    settings = (set(left) | set(right)) - {"name"}
    comparison.same_settings = len(settings) - len(comparison.config_diff)
    comparison.facts = [
        {"name": "run", "a": run_label(runs[0]), "b": run_label(runs[1])},
        {"name": "key metric", "a": key_metric(runs[0]) or "—", "b": key_metric(runs[1]) or "—"},
        {"name": "steps", "a": _steps(rows[0].last_step), "b": _steps(rows[1].last_step)},
        {"name": "status", "a": rows[0].status, "b": rows[1].status},
    ]
    if any(row.parent_run for row in rows):
        comparison.facts.append({"name": "started from", "a": rows[0].parent_run or "—",
                                 "b": rows[1].parent_run or "—"})
    return comparison


def _steps(last_step: int | None) -> str:
    return "—" if last_step is None else str(last_step)


def _shown(settings: dict[str, Any], key: str) -> str:
    """A setting's value as one line of YAML (``[q, v]``, ``null``), or :data:`ABSENT`.

    Examples
    --------
    >>> _shown({"lora.targets": ["q", "v"], "seed": None}, "lora.targets")
    '[q, v]'
    >>> _shown({"seed": None}, "seed"), _shown({}, "seed")
    ('null', '(not set)')
    """
    if key not in settings:
        return ABSENT
    return yaml.safe_dump(settings[key], default_flow_style=True, allow_unicode=True,
                          width=10_000).strip().removesuffix("\n...").strip()
