"""A run's ``run.json`` as training writes it (:mod:`workbench.core.runs` reads it)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.io import write_json_atomic
from workbench.core.layout import Layout
from workbench.core.runs import STATUS_FILE, read_status
from workbench.training.recipe import Recipe


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- Run folders (read by workbench.core.runs) -----------------------------------------------------


def new_run_id(recipe: Recipe) -> str:
    """``<recipe>-<UTC time>-<4 hex>`` (sortable; the suffix keeps same-second runs apart)."""
    return f"{recipe.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def update_status(run_dir: Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the run's ``run.json`` (atomically) and return the result."""
    status = read_status(run_dir)
    status.update(fields, updated_at=now())
    write_json_atomic(run_dir / STATUS_FILE, status)
    return status


def latest_run(data_dir: Path, recipe_name: str) -> Path | None:
    """The most recently started run of ``recipe_name`` that did not finish."""
    candidates = []
    # Scan every run: --run-id may have named it anything.
    for path in Layout(data_dir).runs.glob("*"):
        status = read_status(path)
        if status.get("recipe") == recipe_name and status.get("status") != "finished":
            candidates.append((status.get("started_at", ""), path.name, path))
    return max(candidates)[2] if candidates else None

