"""The build backend: setuptools', with the previous build's copy of the package cleared first.

setuptools copies the package into ``build/lib`` and reuses that folder on the next build, so a
file deleted from the source since the last ``pip install .`` still ships in the next wheel (a
removed recipe or suite would then be written by ``workbench init``). Each wheel is built from a
fresh copy. Every other hook is setuptools' own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  (the hooks pip calls, as setuptools defines them)


def build_wheel(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                metadata_directory: str | None = None) -> str:
    """Build the wheel as setuptools does, after removing ``build/lib`` (hooks run in the source tree)."""
    shutil.rmtree(Path("build") / "lib", ignore_errors=True)
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)
