"""How the pages write numbers and dates (Jinja filters, installed by :func:`install_filters`).

Examples
--------
>>> sig3(0.43636363636363634), sig3(1234.5678), sig3(12), sig3(None)
('0.436', '1.23e+03', '12', '—')
>>> percent(0.4363), display_date("2026-12-04T16:26:39+00:00")
('43.6%', '4 Dec 2026')
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import jinja2

#: Metric names whose values are shares (shown as percentages).
SHARE_WORDS = ("accuracy", "share", "rate", "ratio", "coverage", "f1", "precision", "recall")


def sig3(value: Any) -> str:
    """A number with 3 significant digits (integers whole); ``—`` for none or NaN."""
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.3g}"
    return str(value)


def percent(value: Any) -> str:
    """A share as a percentage with 3 significant digits (``0.4363`` -> ``43.6%``)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return sig3(value)
    return f"{100 * value:.3g}%"


def metric(name: str, value: Any) -> str:
    """A logged metric: a share as a percentage, a step or epoch count as it is, else 3 digits."""
    lowered = name.lower()
    if (isinstance(value, float) and 0.0 <= value <= 1.0
            and any(w in lowered for w in SHARE_WORDS)):
        return percent(value)
    if lowered in ("epoch",) and isinstance(value, float):
        return f"{value:.2f}"
    return sig3(value)


#: What a logged key means where two keys read alike: the trainer logs the loss of each logging
#: step (``loss``; ``train ls`` and the evaluation's lineage show its last value as the train
#: loss) and, at the end, ``train_loss``, the mean over the whole run.
METRIC_NOTES = {
    "loss": "train loss at the last logged step (what `workbench train ls` shows)",
    "train_loss": "mean train loss over the whole run (the trainer's summary)",
    "eval_loss": "validation loss at the last evaluation",
}


def metric_note(name: str) -> str:
    """What a logged key means, when it could be read as another (else "")."""
    return METRIC_NOTES.get(name, "")


def display_date(value: Any) -> str:
    """``"4 Dec 2026"`` from a date, a datetime or an ISO string (the input when it is neither)."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, datetime | date):
        return f"{moment.day} {moment:%b %Y}"
    return "" if value is None else str(value)


def display_moment(value: Any) -> str:
    """``"4 Dec 2026, 16:26 UTC"`` from an ISO time with its offset (else :func:`display_date`).

    Examples
    --------
    >>> display_moment("2026-12-04T16:26:39+00:00")
    '4 Dec 2026, 16:26 UTC'
    """
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(moment, datetime) and moment.utcoffset() is not None:
        return f"{display_date(moment)}, {moment.astimezone(UTC):%H:%M} UTC"
    return display_date(value)


def install_filters(env: jinja2.Environment) -> None:
    """Install the template filters (``sig3``, ``percent``, ``metric_of``, ``metric_note``...).

    ``metric_of`` takes the metric's name first: ``name | metric_of(value)``.
    """
    env.filters.update(sig3=sig3, percent=percent, metric_of=metric, metric_note=metric_note,
                       display_date=display_date, display_moment=display_moment)
