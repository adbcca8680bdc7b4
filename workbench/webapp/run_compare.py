"""Two training runs side by side: their loss curves in one figure, and how their configs differ.

The page's pickers list every started run (:func:`workbench.core.runs.list_runs`) by its display
name; the config diff compares the recipes the runs were trained with (``manifest.json``'s
``config``), flattened to dotted keys, and lists only the settings that differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.runs import RunInfo, find_run, list_runs
from workbench.webapp.loss_chart import COLOURS, curves_of, loss_chart_svg
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
    curves = [c for i, run in enumerate(runs)
              for c in curves_of(_side(i, run), COLOURS[i], run.metrics)]
    comparison.chart_svg = loss_chart_svg(curves, title=f"Loss curves of {a} and {b}")
    left, right = (_flat(r.manifest.config if r.manifest else {}) for r in runs)
    keys = sorted(set(left) | set(right))
    comparison.config_diff = [{"key": k, "a": left.get(k, ABSENT), "b": right.get(k, ABSENT)}
                              for k in keys if left.get(k) != right.get(k)]
    comparison.same_settings = len(keys) - len(comparison.config_diff)
    comparison.facts = [
        {"name": "run", "a": run_label(runs[0]), "b": run_label(runs[1])},
        {"name": "key metric", "a": key_metric(runs[0]) or "—", "b": key_metric(runs[1]) or "—"},
        {"name": "steps", "a": _steps(runs[0]), "b": _steps(runs[1])},
        {"name": "status", "a": runs[0].status, "b": runs[1].status},
    ]
    return comparison


def _side(index: int, run: RunInfo) -> str:
    return f"{'AB'[index]} ({run.run_id})"


def _steps(run: RunInfo) -> str:
    steps = [r["step"] for r in run.metrics if isinstance(r.get("step"), int)]
    return str(max(steps)) if steps else "—"


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted key -> the value as one line of YAML (``{"lora": {"r": 8}}`` -> ``lora.r: 8``).

    Examples
    --------
    >>> _flat({"lora": {"r": 8, "targets": ["q", "v"]}, "name": "x"})
    {'lora.r': '8', 'lora.targets': '[q, v]', 'name': 'x'}
    """
    flat: dict[str, str] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{dotted}."))
        else:
            flat[dotted] = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                                          width=10_000).strip().removesuffix("\n...").strip()
    return flat
