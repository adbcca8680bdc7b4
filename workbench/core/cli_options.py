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
#: How an account command reads a new password (:mod:`workbench.core.password_input`).
PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]
GeneratePasswordOption = Annotated[
    bool, typer.Option("--generate-password",
                       help="Make a random password and show it once, even on a terminal.")
]

def config_default(key: str) -> str:
    """``"default: <key> in workbench.yaml, <packaged value>"``, for an option's help.

    For options whose default is read from the config when the flag is not given: the help
    names both the key that decides and the value a project without that key gets.

    Examples
    --------
    >>> config_default("generation.n")
    'default: generation.n in workbench.yaml, 4'
    """
    value: object = ProjectConfig()
    for part in key.split("."):
        value = getattr(value, part)
    return f"default: {key} in workbench.yaml, {value}"


#: ``--progress/--quiet``, the same on every long command (see :mod:`workbench.core.progress`).
ProgressOption = Annotated[
    bool | None, typer.Option("--progress/--quiet", help=PROGRESS_HELP, show_default=False)
]


def resolve(data_dir: Path | None, config: Path | None) -> tuple[ProjectConfig, Path]:
    """Load the project config and decide the data dir (flag > config > ``data/``).

    The folder holding ``config`` becomes the project folder whose taxonomy, rules, recipes,
    templates, suites and metric modules win over the packaged defaults (no ``--config``: the
    current folder); see :mod:`workbench.core.resources`. A relative ``data_dir`` in the config
    is taken from that folder too, so ``--config my-project/workbench.yaml`` run from elsewhere
    reads and writes ``my-project/data``, not a ``data`` folder wherever it was run.
    """
    from workbench.core.config import load_config
    from workbench.core.resources import use_project

    cfg = load_config(config)
    use_project(config.parent if config is not None else None)
    if data_dir is not None:
        return cfg, data_dir
    if config is not None and not cfg.data_dir.expanduser().is_absolute():
        return cfg, config.parent / cfg.data_dir
    return cfg, cfg.data_dir.expanduser()
