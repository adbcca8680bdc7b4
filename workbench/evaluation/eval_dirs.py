"""The evaluation folders ``DIR/eval/<eval_id>/``: their ids, the finished ones, one by id."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from workbench.core.errors import DataContractError
from workbench.core.layout import Layout
from workbench.evaluation.suite import Suite


def eval_root(data_dir: Path) -> Path:
    """``DIR/eval``."""
    return Layout(data_dir).evals


def list_evals(data_dir: Path) -> list[str]:
    """Finished evaluations (with a summary), oldest first (ids sort by time within a suite)."""
    root = eval_root(data_dir)
    if not root.is_dir():
        return []
    done = [p for p in root.iterdir() if (p / "summary.json").exists()]
    return [p.name for p in sorted(done, key=lambda p: (p / "summary.json").stat().st_mtime)]


def find_eval(data_dir: Path, eval_id: str | None) -> Path:
    """An evaluation folder by id (default: the newest finished one)."""
    import difflib

    known = list_evals(data_dir)
    if eval_id is None:
        if not known:
            msg = f"no evaluation under {eval_root(data_dir)}; run `workbench eval run SUITE` first"
            raise DataContractError(msg)
        return eval_root(data_dir) / known[-1]
    path = eval_root(data_dir) / eval_id
    if (path / "summary.json").exists():
        return path
    hint = difflib.get_close_matches(eval_id, known, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"evaluation '{eval_id}' not found{did}; latest: {', '.join(known[-3:]) or 'none'}"
    raise DataContractError(msg)


def new_eval_id(suite: Suite) -> str:
    """``<suite>-<UTC time>-<4 hex>``."""
    return f"{suite.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
