"""The annotator registry of a data dir: who was created by the workbench, in which group.

One JSON file per backend (``DIR/labelstudio/annotators.json``, ``DIR/argilla/annotators.json``),
mode 0600 because it holds the generated passwords (and Label Studio API tokens).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, ServiceError
from workbench.core.io import write_json_atomic
from workbench.core.layout import Layout


def annotators_path(data_dir: Path, backend: str = "ls") -> Path:
    """``DIR/<backend folder>/annotators.json``."""
    lay = Layout(data_dir)
    return (lay.argilla if backend == "argilla" else lay.labelstudio) / "annotators.json"


def load_annotators(data_dir: Path, backend: str = "ls") -> dict[str, dict[str, Any]]:
    """E-mail -> {group, password, token?, created_at} of annotators created by the workbench."""
    path = annotators_path(data_dir, backend)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON ({exc})"
        raise ServiceError(msg) from None


def save_annotators(data_dir: Path, registry: dict[str, dict[str, Any]], backend: str = "ls") -> None:
    """Write the registry (0600)."""
    path = annotators_path(data_dir, backend)
    write_json_atomic(path, registry)
    path.chmod(0o600)


def all_groups(data_dir: Path) -> dict[str, int]:
    """E-mail -> group over every backend's registry (annotators without a group left out)."""
    out: dict[str, int] = {}
    for backend in ("ls", "argilla"):
        for email, entry in load_annotators(data_dir, backend).items():
            if entry.get("group") is not None:
                out[email] = int(entry["group"])
    return out


def refuse_removed(data_dir: Path, email: str, backend: str = "ls") -> None:
    """Raise when ``users remove`` took this annotator out (Label Studio cannot restore them).

    Raises
    ------
    ConfigError
        The registry records a removal of ``email``.
    """
    entry = load_annotators(data_dir, backend).get(email.strip().lower(), {})
    if entry.get("removed_at") and backend == "ls":
        msg = (f"annotator {email} was removed on {str(entry['removed_at'])[:10]}; Label Studio "
               "cannot restore a removed member: add them under another e-mail")
        raise ConfigError(msg)
