"""What a run's metrics say: the overfitting warning and the loss plot.

Both read the records of ``metrics.jsonl`` (:func:`workbench.core.runs.read_metrics`); training,
``train ls`` and ``train compare`` share them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def detect_overfitting(records: Sequence[dict[str, Any]], patience: int = 2) -> str | None:
    """Warn when validation loss rose while training loss fell (else return None).

    "Rose" means ``patience`` evaluations in a row each higher than the one before; "fell"
    means the mean training loss over the last evaluation interval is below the mean over the
    interval before the first of those evaluations.

    Examples
    --------
    >>> recs = [{"step": s, "loss": 3 - s / 10} for s in range(1, 31)]
    >>> recs += [{"step": 10, "eval_loss": 2.0}, {"step": 20, "eval_loss": 2.1},
    ...          {"step": 30, "eval_loss": 2.3}]
    >>> detect_overfitting(recs, patience=2).startswith("possible overfitting")
    True
    >>> detect_overfitting(recs[:-1], patience=2) is None
    True
    """
    evals = sorted((r["step"], r["eval_loss"]) for r in records if "eval_loss" in r)
    if len(evals) < patience + 1:
        return None
    last = evals[-(patience + 1):]
    if not all(b[1] > a[1] for a, b in itertools.pairwise(last)):
        return None
    train = [(r["step"], r["loss"]) for r in records if "loss" in r and "eval_loss" not in r]
    before = evals[-(patience + 2)][0] if len(evals) >= patience + 2 else 0

    def mean(lo: int, hi: int) -> float | None:
        vals = [loss for step, loss in train if lo < step <= hi]
        return sum(vals) / len(vals) if vals else None

    start, end = mean(before, last[0][0]), mean(last[-2][0], last[-1][0])
    if start is None or end is None or end >= start:
        return None
    return (f"possible overfitting: validation loss rose {patience} evaluations in a row "
            f"({last[0][1]:.3f} at step {last[0][0]} -> {last[-1][1]:.3f} at step {last[-1][0]}) "
            f"while training loss fell ({start:.3f} -> {end:.3f})")


def plot_losses(records: Sequence[dict[str, Any]], out: Path, title: str) -> Path | None:
    """Training and validation loss against the step, as a PNG (None when nothing logged)."""
    train = [(r["step"], r["loss"]) for r in records if "loss" in r and "eval_loss" not in r]
    evals = [(r["step"], r["eval_loss"]) for r in records if "eval_loss" in r]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if train:
        ax.plot(*zip(*sorted(train), strict=True), label="train", linewidth=1)
    if evals:
        ax.plot(*zip(*sorted(evals), strict=True), marker="o", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out

