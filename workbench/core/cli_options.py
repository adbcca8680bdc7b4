"""Options shared by every ``workbench`` subcommand (kept apart so stage CLIs can import them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.core.config import ProjectConfig
from workbench.core.progress import PROGRESS_HELP

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Root of the stage folders (default: workbench.yaml's data_dir, else data/).",
        file_okay=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Project config (default: ./workbench.yaml if present).", dir_okay=False),
]

#: ``--progress/--quiet``, the same on every long command (see :mod:`workbench.core.progress`).
ProgressOption = Annotated[
    bool | None, typer.Option("--progress/--quiet", help=PROGRESS_HELP, show_default=False)
]


def resolve(data_dir: Path | None, config: Path | None) -> tuple[ProjectConfig, Path]:
    """Load the project config and decide the data dir (flag > config > ``data/``).

    The folder holding ``config`` becomes the project folder whose taxonomy, rules, recipes,
    templates, suites and metric modules win over the packaged defaults (no ``--config``: the
    current folder); see :mod:`workbench.core.resources`.
    """
    from workbench.core.config import load_config
    from workbench.core.resources import use_project

    cfg = load_config(config)
    use_project(config.parent if config is not None else None)
    return cfg, data_dir if data_dir is not None else cfg.data_dir
