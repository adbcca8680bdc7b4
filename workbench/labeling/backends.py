"""The one interface push/pull/status use, and the choice of backend from the config."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from workbench.core.config import ProjectConfig
from workbench.core.taxonomy import Taxonomy, load_taxonomy, taxonomy_path
from workbench.labeling.records import (
    BatchHook,
    ProjectProgress,
    ProjectPush,
    RawAnnotation,
    TaskRecord,
)


class Backend(Protocol):
    """What Label Studio and Argilla both offer the workbench."""

    #: Prefix of this backend's annotation ids (``ls``, ``argilla``).
    name: str

    @property
    def source(self) -> str:
        """The server URL (recorded in manifests)."""
        ...

    def push(self, records_by_project: dict[str, Sequence[TaskRecord]], *,
             limit: int | None = None, on_batch: BatchHook | None = None) -> list[ProjectPush]:
        """Create/update projects and add the records each lacks."""
        ...

    def fetch(self) -> list[RawAnnotation]:
        """Every submitted annotation."""
        ...

    def progress(self) -> list[ProjectProgress]:
        """Task/annotation counters per project."""
        ...

    def add_user(self, email: str, *, group: int | None, password: str,
                 data_dir: Path) -> tuple[dict[str, Any], bool]:
        """Create an annotator account (idempotent); its registry entry and whether it is new."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def labeling_taxonomy(cfg: ProjectConfig) -> tuple[Taxonomy, Path]:
    """The taxonomy the config points to (default ``labeling/taxonomy.yaml``) and its path."""
    path = taxonomy_path(cfg.labeling.taxonomy)
    return load_taxonomy(path), path


def open_backend(data_dir: Path, cfg: ProjectConfig, taxonomy: Taxonomy) -> Backend:
    """The configured backend, connected."""
    if cfg.labeling.backend == "argilla":
        from workbench.labeling.argilla_backend import ArgillaBackend

        return ArgillaBackend(cfg.labeling, taxonomy)
    from workbench.labeling.labelstudio.backend import LabelStudioBackend

    return LabelStudioBackend(data_dir, cfg.labeling, taxonomy)
