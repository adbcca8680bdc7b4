"""Models as a marketer reads them: a name, when it was trained, and how well.

The registry's names (``retrieval``, ``run:tiny-20260101-000000-abcd``) stay the form's values
and the files' ``model`` column; the page shows :class:`ModelChoice.label` instead. A training run
is named by its recipe and base model, its training date and its key metric: the best validation
loss it logged (lower is better), else its last training loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.runs import RunInfo, find_run
from workbench.webapp.formatting import display_date

RUN_PREFIX = "run:"

#: The built-in models, described by what they do.
FIXED_LABELS: dict[str, str] = {
    "retrieval": "Nearest past ad, adapted (baseline)",
    "template": "Fill-in template (baseline)",
    "base": "Base model, not fine-tuned",
}


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the studio's model list.

    Attributes
    ----------
    value
        The registry name (what the form sends and the files record).
    label
        What the page shows.
    """

    value: str
    label: str


def model_label(data_dir: Path, name: str) -> str:
    """The display name of a registry model name (the name itself when nothing better is known).

    Examples
    --------
    >>> model_label(Path("/nonexistent"), "template")
    'Fill-in template (baseline)'
    >>> model_label(Path("/nonexistent"), "my-endpoint")
    'my-endpoint'
    """
    if name in FIXED_LABELS:
        return FIXED_LABELS[name]
    if not name.startswith(RUN_PREFIX):
        return name
    run_id = name.removeprefix(RUN_PREFIX)
    try:
        run = find_run(data_dir, run_id)
    except WorkbenchError:
        run = None
    return run_label(run) if run is not None else f"training run {run_id}"


def model_choices(data_dir: Path, names: list[str]) -> list[ModelChoice]:
    """:class:`ModelChoice` of each registry name, in the given order."""
    return [ModelChoice(value=n, label=model_label(data_dir, n)) for n in names]


def run_label(run: RunInfo) -> str:
    """``"tiny-test on tiny · trained 4 Dec 2026 · validation loss 1.44"``."""
    manifest = run.manifest
    recipe = (manifest.config.get("name") if manifest else None) or run.facts.get("recipe")
    base = Path(manifest.base_model).name if manifest else ""
    name = f"{recipe or run.run_id} on {base}" if base else str(recipe or run.run_id)
    parts = [name]
    when = display_date(run.started_at or (manifest.created_at if manifest else ""))
    if when:
        parts.append(f"trained {when}")
    metric = key_metric(run)
    if metric:
        parts.append(metric)
    return " · ".join(parts)


def key_metric(run: RunInfo) -> str:
    """``"validation loss 1.44"`` (the best logged), else ``"training loss 0.50"``, else ``""``."""
    records = run.metrics
    evals = [r["eval_loss"] for r in records if isinstance(r.get("eval_loss"), int | float)]
    best = run.facts.get("best_eval_loss")
    if isinstance(best, int | float):
        evals.append(best)
    if evals:
        return f"validation loss {min(evals):.3g}"
    losses = [r["loss"] for r in records if isinstance(r.get("loss"), int | float)]
    return f"training loss {losses[-1]:.3g}" if losses else ""

