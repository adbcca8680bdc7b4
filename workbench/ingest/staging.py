"""The ingest staging area: outputs are built beside the data, then committed all at once.

An ingest writes every output (raw copies, parsed, cleaned, final, manifests) under
``DIR/.ingest-staging/out/`` with the same layout as ``DIR/``. Committing writes a journal
(``COMMITTING``, atomically) and then renames each staged file onto its place; the renames stay
on one file system, so each is atomic. A crash before the journal leaves the previous outputs
untouched; a crash after it is finished by the next ingest (the journal says the staged files
are complete). Either way the next ingest starts from a clean staging area.
"""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path
from typing import IO

from workbench.core.errors import InputFileError
from workbench.core.io import write_text_atomic
from workbench.core.layout import MANIFEST, Layout

_JOURNAL = "COMMITTING"


class Staging:
    """One ingest's staging area under ``Layout.ingest_staging``.

    Parameters
    ----------
    stages
        The data dir the staged outputs are committed into.
    """

    def __init__(self, stages: Layout) -> None:
        self.stages = stages
        self.root = stages.ingest_staging
        self.parts = self.root / "parts"
        self.out = Layout(self.root / "out")
        self._lock: IO[bytes] | None = None

    def start(self) -> None:
        """Lock the data dir, complete or discard what an interrupted ingest left, empty staging.

        Raises
        ------
        InputFileError
            When another ingest holds the lock on this data dir.
        """
        self.stages.root.mkdir(parents=True, exist_ok=True)
        lock = self.stages.ingest_lock.open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            msg = (f"{self.stages.root}: another workbench ingest is running on this data dir; "
                   "wait for it to finish")
            raise InputFileError(msg) from None
        self._lock = lock
        recover(self.stages)
        self.parts.mkdir(parents=True)
        self.out.root.mkdir(parents=True)

    @property
    def locked(self) -> bool:
        """Whether this staging holds the data dir's ingest lock."""
        return self._lock is not None

    def release(self) -> None:
        """Release the ingest lock (the lock file itself stays, empty)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def commit(self) -> None:
        """Move every staged output onto its place in the data dir, then remove the staging."""
        write_text_atomic(self.root / _JOURNAL, "staged outputs are complete\n")
        _move_staged(self.out.root, self.stages.root)
        shutil.rmtree(self.root)

    def discard(self) -> None:
        """Remove the staging area (the data dir keeps its previous outputs)."""
        shutil.rmtree(self.root, ignore_errors=True)


def recover(stages: Layout) -> None:
    """Complete a commit an interrupted ingest journaled, and remove any staging left behind."""
    root = stages.ingest_staging
    if (root / _JOURNAL).exists():
        _move_staged(root / "out", stages.root)
    shutil.rmtree(root, ignore_errors=True)


def _move_staged(src_root: Path, dest_root: Path) -> None:
    if not src_root.exists():
        return
    # Manifests last in each folder: a manifest never describes files not yet in place.
    files = sorted(
        (p for p in src_root.rglob("*") if p.is_file()),
        key=lambda p: (p.parent.as_posix(), p.name == MANIFEST, p.name),
    )
    for path in files:
        dest = dest_root / path.relative_to(src_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        path.replace(dest)
