"""``workbench train compare``: runs side by side, with their loss curves overlaid.

:func:`compare_runs` is the comparison's data (hyperparameters, best validation loss, the
overfitting warning, both loss curves per run) for any front end: the CLI table and PNG here,
a web page elsewhere. It reads only the run folders (``recipe.yaml``, ``run.json``,
``metrics.jsonl``), never a model.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.core.io import write_bytes_atomic
from workbench.core.runs import (
    METRICS_FILE,
    effective_status,
    read_metrics,
    read_status,
    resolve_run_dir,
)
from workbench.training.run_metrics import detect_overfitting

#: The sweep knobs shown for every run (the seed lab's: rank, alpha, rsLoRA, packing, warmup,
#: learning rate); any other hyperparameter is shown when the compared runs differ on it.
KNOBS = ("lora.r", "lora.alpha", "lora.use_rslora", "training.packing",
         "training.warmup_steps", "training.learning_rate")
#: Recipe fields that say where a run lives or starts from, not how it trains (left out of the
#: hyperparameters; the parent run has its own line).
NOT_HYPERPARAMETERS = ("data.chat_template", "data.prompt_template", "description", "from_run")


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"lora": {"r": 8}}`` -> ``{"lora.r": 8}`` (lists kept as values).

    Examples
    --------
    >>> flatten({"lora": {"r": 8, "target_modules": ["q_proj"]}, "seed": 1})
    {'lora.r': 8, 'lora.target_modules': ['q_proj'], 'seed': 1}
    """
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True)
class RunComparison:
    """One run as the comparison shows it.

    Attributes
    ----------
    run_id, recipe, status
        The run, its recipe's name and its effective status.
    parent_run
        The run it started from (``--from``), if any.
    hyperparameters
        Every recipe field, flattened (``lora.r``, ``training.learning_rate``...).
    best_eval_loss, best_eval_step
        Lowest validation loss and its step (None before the first evaluation).
    last_train_loss
        Last logged training loss.
    overfitting
        The overfitting warning, when the curves show it.
    train_curve, eval_curve
        ``(step, loss)`` pairs, in step order (records without a finite loss left out).
    last_step
        Highest step any metric record logged (None before the first).
    """

    run_id: str
    recipe: str
    status: str
    parent_run: str | None
    hyperparameters: dict[str, Any]
    best_eval_loss: float | None
    best_eval_step: int | None
    last_train_loss: float | None
    overfitting: str | None
    train_curve: list[tuple[int, float]]
    eval_curve: list[tuple[int, float]]
    last_step: int | None = None


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _curve(records: Sequence[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """``(step, value)`` of every record with an integer step and a finite ``key``, by step."""
    return sorted((r["step"], float(r[key])) for r in records
                  if _finite(r.get(key)) and isinstance(r.get("step"), int)
                  and not isinstance(r.get("step"), bool))


def compare_run(run_dir: Path) -> RunComparison:
    """The comparison row of the run in ``run_dir``."""
    status = read_status(run_dir)
    try:
        raw = yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        raw = None  # a run folder without a readable recipe still shows its losses
    raw = raw if isinstance(raw, dict) else {}
    hyper = {k: v for k, v in flatten(raw).items() if k not in NOT_HYPERPARAMETERS}
    records = read_metrics(run_dir / METRICS_FILE)
    train = _curve([r for r in records if "eval_loss" not in r], "loss")
    evals = _curve(records, "eval_loss")
    steps = [r["step"] for r in records
             if isinstance(r.get("step"), int) and not isinstance(r.get("step"), bool)]
    best = min(evals, key=lambda pair: pair[1]) if evals else None
    return RunComparison(
        run_id=run_dir.name, recipe=str(hyper.get("name", status.get("recipe", "?"))),
        status=effective_status(status), parent_run=raw.get("from_run"),
        hyperparameters=hyper, best_eval_loss=best[1] if best else None,
        best_eval_step=best[0] if best else None, last_train_loss=train[-1][1] if train else None,
        overfitting=detect_overfitting(records, int(hyper.get("overfit_patience", 2))),
        train_curve=train, eval_curve=evals, last_step=max(steps) if steps else None,
    )


def compare_runs(data_dir: Path, runs: Sequence[str]) -> list[RunComparison]:
    """Comparison rows of ``runs`` (ids or folders), in the order given.

    Raises
    ------
    ConfigError
        When a run does not exist (with a did-you-mean).
    """
    return [compare_run(resolve_run_dir(data_dir, run)) for run in runs]


#: Stands for a hyperparameter a run's recipe does not have (unlike one set to None).
_ABSENT = object()


def differing_hyperparameters(rows: Sequence[RunComparison], skip: Sequence[str] = ()
                              ) -> list[str]:
    """Sorted hyperparameters (but ``name`` and ``skip``) on which the runs differ.

    A field one run has and another lacks differs, even when the first sets it to None.
    """
    every = sorted({k for r in rows for k in r.hyperparameters} - set(skip) - {"name"})
    return [k for k in every
            if len({repr(r.hyperparameters.get(k, _ABSENT)) for r in rows}) > 1]


def shown_hyperparameters(rows: Sequence[RunComparison]) -> list[str]:
    """The :data:`KNOBS` any run has, then every other field on which the runs differ."""
    keys = [k for k in KNOBS if any(k in r.hyperparameters for r in rows)]
    return keys + differing_hyperparameters(rows, skip=keys)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def format_comparison(rows: Sequence[RunComparison]) -> str:
    """A table: one column per run, one line per hyperparameter, then the losses and warnings."""
    keys = shown_hyperparameters(rows)
    table = [("", *(r.run_id for r in rows)), ("recipe", *(r.recipe for r in rows)),
             ("status", *(r.status for r in rows))]
    if any(r.parent_run for r in rows):
        table.append(("started from", *(_cell(r.parent_run) for r in rows)))
    table += [(k, *(_cell(r.hyperparameters.get(k)) for r in rows)) for k in keys]
    table.append(("best val loss", *(
        f"{r.best_eval_loss:.3f} (step {r.best_eval_step})" if r.best_eval_loss is not None
        else "-" for r in rows)))
    # Three decimals, as `train run` and `train ls` print the same loss.
    table.append(("last train loss", *(
        "-" if r.last_train_loss is None else f"{r.last_train_loss:.3f}" for r in rows)))
    table.append(("overfitting", *("yes" if r.overfitting else "no" for r in rows)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in table]
    lines += [f"warning ({r.run_id}): {r.overfitting}" for r in rows if r.overfitting]
    return "\n".join(lines)


def plot_comparison(rows: Sequence[RunComparison], out: Path, title: str = "") -> Path | None:
    """Training (thin) and validation (markers) loss of every run on one plot, as a PNG.

    Returns None when no run logged a loss.
    """
    if not any(r.train_curve or r.eval_curve for r in rows):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, row in enumerate(rows):
        color = colors[i % len(colors)]
        if row.train_curve:
            ax.plot(*zip(*row.train_curve, strict=True), color=color, linewidth=0.8, alpha=0.6)
        if row.eval_curve:
            ax.plot(*zip(*row.eval_curve, strict=True), color=color, marker="o",
                    label=f"{row.run_id} (val)")
        elif row.train_curve:
            ax.plot([], [], color=color, label=f"{row.run_id} (train)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (thin: train, dots: validation)")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_bytes_atomic(out, buffer.getvalue())
    return out
