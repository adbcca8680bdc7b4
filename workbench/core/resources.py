"""Where the user-editable files are: the user's path, else the project folder's copy, else the default.

The taxonomy, labeling rules, guidelines, training recipes and templates, eval suites and metric
modules ship with the package (``workbench/defaults/``, mirroring a project folder) so that a
non-editable install has them. ``workbench init DIR`` copies them into a project folder for the
user to edit; from then on that folder's copy wins. Each file is resolved in this order:

1. an explicit path the user gave (a flag or a ``workbench.yaml`` key), used as given;
2. the project folder's copy: the folder holding the ``workbench.yaml`` in use (set by the CLI
   through :func:`use_project`), else the current folder;
3. the packaged default.

The demo's samples (exports, seed labels, briefs) are packaged only: :func:`sample`.

Examples
--------
>>> default_file("labeling/taxonomy.yaml").name
'taxonomy.yaml'
>>> "tiny-cpu" in available_names("training/recipes")
True
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from workbench.core.errors import ConfigError

#: The folders of a project that hold user-editable files (what ``workbench init`` writes).
PROJECT_FOLDERS = ("labeling", "training", "eval")

#: The packaged synthetic samples' folder (``workbench init --samples`` copies it too).
SAMPLES_FOLDER = "samples"

_project_dir: Path | None = None


def use_project(folder: Path | None) -> None:
    """Make ``folder`` the project folder whose copies win over the packaged defaults.

    Parameters
    ----------
    folder
        The folder holding the ``workbench.yaml`` in use; None: the current folder, looked up on
        each call.
    """
    # One project per process, chosen by the CLI's --config (see cli_options.resolve).
    global _project_dir
    _project_dir = None if folder is None else Path(folder).expanduser().resolve()


def project_dir() -> Path:
    """The project folder: the one set by :func:`use_project`, else the current folder."""
    return _project_dir if _project_dir is not None else Path.cwd()


def defaults_root() -> Path:
    """The packaged defaults folder (``workbench/defaults`` inside the installed package)."""
    root = importlib.resources.files("workbench.defaults")
    if not isinstance(root, Path):
        msg = f"the workbench package must be installed as files, not inside an archive ({root})"
        raise ConfigError(msg)
    return root


def packaged(relative: str | Path) -> Path:
    """A path inside the packaged defaults (it may not exist)."""
    return defaults_root() / relative


def shown_path(path: str | Path) -> str:
    """A file as a user is told about it: a packaged default by its place in a project folder.

    The installed package's folder means nothing to a user (and differs per machine); what it
    holds is what ``workbench init`` would copy, so it is named that way.

    Examples
    --------
    >>> shown_path(packaged("training/recipes/tiny-cpu.yaml"))
    'the packaged default training/recipes/tiny-cpu.yaml'
    >>> shown_path("/home/me/project/training/recipes/mine.yaml")
    '/home/me/project/training/recipes/mine.yaml'
    """
    try:
        inside = Path(path).resolve().relative_to(defaults_root().resolve())
    except ValueError:
        return str(path)
    return f"the packaged default {inside.as_posix()}"


def sample(relative: str | Path = "") -> Path:
    """A path under the packaged demo samples (``telegram/``, ``briefs/``)."""
    return packaged(Path(SAMPLES_FOLDER) / relative)


def default_file(relative: str | Path) -> Path:
    """The project folder's copy of ``relative`` when it exists, else the packaged default.

    Parameters
    ----------
    relative
        A path as laid out in a project folder, e.g. ``labeling/taxonomy.yaml`` or
        ``eval/metrics/chrf/chrf.py``.

    Returns
    -------
    Path
        The project's copy, else the packaged one (which may not exist: the caller's reader
        reports a missing file with this path).
    """
    own = project_dir() / relative
    return own if own.exists() else packaged(relative)


def user_path(value: str | Path) -> Path:
    """A path the user wrote (flag or config), resolved.

    Absolute, or existing from the current folder: as is; else the project folder's copy, else
    the packaged default (see :func:`default_file`); else as given, for the reader to report.
    """
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path
    found = default_file(path)
    return found if found.exists() else path


def available_names(folder: str, suffix: str = ".yaml") -> list[str]:
    """Names (file stems) under ``folder`` in the project folder and the packaged defaults."""
    names = {p.stem for base in (project_dir() / folder, packaged(folder))
             for p in base.glob(f"*{suffix}")}
    return sorted(names)


def named_file(folder: str, name: str, suffix: str = ".yaml") -> Path | None:
    """``folder/<name><suffix>`` from the project folder, else packaged; None when neither has it."""
    found = default_file(Path(folder) / f"{name}{suffix}")
    return found if found.is_file() else None


def project_files(*, samples: bool = False) -> list[Path]:
    """Every packaged user-editable file, relative to the defaults root (what ``init`` copies).

    Parameters
    ----------
    samples
        Also the synthetic samples (``samples/``: Telegram exports, seed labels, briefs), which
        ``init --samples`` copies for trying the stages.
    """
    root = defaults_root()
    folders = (*PROJECT_FOLDERS, SAMPLES_FOLDER) if samples else PROJECT_FOLDERS
    return sorted(
        p.relative_to(root)
        for folder in folders
        for p in (root / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
