"""Pages that keep working when a file they show is truncated or corrupt.

A page reads several independent files (an evaluation, the studio's picks, curation output,
one file per generation). One that no longer reads back (a full disk, a copy cut short) must not
take the page down: the section it feeds is left out and the page says which file, relative to
the data dir (``unreadable: eval/<id>/summary.parquet``), so whoever runs the server knows what
to restore or re-run. The JSON API answers 409 instead (:func:`unreadable_detail`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from workbench.core.errors import UnreadableFileError
from workbench.core.io import data_relative

T = TypeVar("T")


def unreadable_name(exc: UnreadableFileError, data_dir: Path) -> str:
    """The bad file as the page names it: relative to the data dir."""
    return data_relative(exc.path, data_dir)


def unreadable_detail(name: str) -> str:
    """The one-line error (API body, error page) for file ``name``, relative to the data dir.

    The request was fine and retrying it will not help until the server's copy is restored:
    the API answers 409 Conflict (the resource's current state) with this detail, not a 422
    (which would blame the request) nor a 500 (which would hide which file).
    """
    return (f"unreadable: {name} is missing, truncated or corrupt on the server; ask whoever "
            "runs the workbench to restore it")


class UnreadableFiles:
    """Collects the files a page could not read, for its "unreadable" notes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.names: list[str] = []

    def add(self, exc: UnreadableFileError) -> str:
        """Record ``exc``'s file; return its name relative to the data dir."""
        name = unreadable_name(exc, self.data_dir)
        if name not in self.names:
            self.names.append(name)
        return name

    def attempt(self, read: Callable[[], T]) -> T | None:
        """``read()``, or None (its file recorded) when a file it reads is unreadable."""
        try:
            return read()
        except UnreadableFileError as exc:
            self.add(exc)
            return None
