"""The one interface push/pull/status use, and the choice of backend from the config."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from workbench.core.config import ProjectConfig
from workbench.core.taxonomy import Taxonomy, load_taxonomy, taxonomy_path
from workbench.labeling.records import (
    AnnotatorAccount,
    BatchHook,
    PendingChanges,
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

    def existing_uids(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """The uids each project already holds (what a push would skip); changes nothing."""
        ...

    def pending_changes(self, records_by_project: dict[str, Sequence[TaskRecord]]) -> dict[str, PendingChanges]:
        """Per project, what a push would change in the tasks already there; changes nothing."""
        ...

    def fetch(self) -> list[RawAnnotation]:
        """Every submitted annotation."""
        ...

    def progress(self) -> list[ProjectProgress]:
        """Task/annotation counters per project."""
        ...

    def add_user(self, email: str, *, group: int | None, password: str | None,
                 data_dir: Path) -> tuple[dict[str, Any], bool]:
        """Create an annotator account (password needed) or record an existing one's group.

        Returns its registry entry and whether it is new; the password is never stored.
        """
        ...

    def has_user(self, email: str) -> bool:
        """Whether the server has an account with this e-mail."""
        ...

    def accounts(self, data_dir: Path) -> list[AnnotatorAccount]:
        """Every account of the server with the registry's group and whether it is active."""
        ...

    def remove_user(self, email: str, data_dir: Path) -> bool:
        """Deactivate an annotator (annotations kept); False when already removed."""
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
