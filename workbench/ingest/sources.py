"""Find the export files behind the paths a user gives: files, folders (recursive) and zips."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import InputFileError
from workbench.core.io import sha256_bytes

# Files inside folders/zips that are never exports (Telegram Desktop writes an HTML twin).
_EXPORT_SUFFIXES = (".json",)


@dataclass(frozen=True)
class ExportFile:
    """One export JSON, wherever it came from, with its bytes already read."""

    source: str
    """Human-readable origin: a path, or ``archive.zip:member/path.json``."""
    data: bytes
    sha256: str
    container: Path | None = None
    """The .zip it came from, if any (kept as given in ``raw/``)."""


def discover(paths: Iterable[Path]) -> list[ExportFile]:
    """Read every export reachable from ``paths``.

    Parameters
    ----------
    paths
        ``result.json`` files, folders (searched recursively for ``*.json`` and ``*.zip``) and
        ``.zip`` archives, in any mix.

    Returns
    -------
    list of ExportFile
        In a stable order (as given; sorted within folders and archives).

    Raises
    ------
    InputFileError
        A path that does not exist, an unreadable file, a bad zip, or a folder with no export.
    """
    found: list[ExportFile] = []
    for path in paths:
        if not path.exists():
            msg = f"{path}: no such file or directory"
            raise InputFileError(msg)
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (*_EXPORT_SUFFIXES, ".zip")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                msg = f"{path}: folder contains no .json or .zip export"
                raise InputFileError(msg)
            for item in inside:
                found.extend(_from_file(item))
        else:
            found.extend(_from_file(path))
    return found


def _from_file(path: Path) -> list[ExportFile]:
    if path.suffix.lower() == ".zip":
        return _from_zip(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputFileError(msg) from None
    return [ExportFile(str(path), data, sha256_bytes(data))]


def _from_zip(path: Path) -> list[ExportFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(
                info.filename for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(_EXPORT_SUFFIXES)
                and not info.filename.startswith("__MACOSX/")
            )
            if not members:
                msg = f"{path}: zip contains no .json export"
                raise InputFileError(msg)
            out = []
            for name in members:
                data = archive.read(name)
                out.append(ExportFile(f"{path}:{name}", data, sha256_bytes(data), container=path))
            return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        msg = f"{path}: not a readable zip file ({exc})"
        raise InputFileError(msg) from None
