"""Find the export files behind the paths a user gives (files, folders, zips) and read them.

Discovery only lists files (and checks zip headers); each file's bytes are read when its turn
comes, under the limits of :class:`~workbench.core.settings.ingest.IngestConfig`, so ingest holds
one export in memory at a time. Zip members are measured while they are decompressed, never
from their headers alone: a header can lie, the decompressed bytes cannot.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import InputFileError
from workbench.core.settings.ingest import MIB, IngestConfig
from workbench.ingest.input_checks import HTML_EXPORT_HINT

# Files inside folders/zips that are never exports (Telegram Desktop writes an HTML twin).
_EXPORT_SUFFIXES = (".json",)
_READ_CHUNK = 1 << 20
# Below this a member's compression ratio is harmless whatever it is (tiny files compress oddly).
_RATIO_FLOOR_BYTES = MIB
_SUPPORTED_METHODS = {
    zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma",
}


@dataclass(frozen=True)
class ExportFile:
    """One export JSON, wherever it is; its bytes are read by :class:`ExportReader`."""

    source: str
    """Human-readable origin: a path, or ``archive.zip:member/path.json``."""
    path: Path
    """The file itself, or the .zip holding it."""
    member: str | None = None
    """The name inside the zip, if any."""

    @property
    def container(self) -> Path | None:
        """The .zip it came from, if any (kept as given in ``raw/``)."""
        return self.path if self.member is not None else None


def discover(paths: Iterable[Path]) -> list[ExportFile]:
    """List every export reachable from ``paths`` (nothing is read but zip directories).

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
        A path that does not exist, a bad, encrypted or unsupported zip, or a folder with no
        export (with a hint when it holds Telegram's HTML export instead).
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
                html = any(path.rglob("messages*.html"))
                msg = (f"{path}: {HTML_EXPORT_HINT}" if html
                       else f"{path}: folder contains no .json or .zip export")
                raise InputFileError(msg)
            for item in inside:
                found.extend(_from_file(item))
        else:
            found.extend(_from_file(path))
    return found


def _from_file(path: Path) -> list[ExportFile]:
    if path.suffix.lower() == ".zip":
        return _zip_members(path)
    return [ExportFile(str(path), path)]


def _zip_members(path: Path) -> list[ExportFile]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = sorted(
                (info for info in archive.infolist()
                 if not info.is_dir() and info.filename.lower().endswith(_EXPORT_SUFFIXES)
                 and not info.filename.startswith("__MACOSX/")),
                key=lambda info: info.filename,
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        msg = f"{path}: not a readable zip file ({exc})"
        raise InputFileError(msg) from None
    if not infos:
        html = any(n.lower().endswith(".html") for n in _names(path))
        msg = f"{path}: {HTML_EXPORT_HINT}" if html else f"{path}: zip contains no .json export"
        raise InputFileError(msg)
    for info in infos:
        _check_member_header(path, info)
    return [ExportFile(f"{path}:{info.filename}", path, info.filename) for info in infos]


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _check_member_header(path: Path, info: zipfile.ZipInfo) -> None:
    where = f"{path}:{info.filename}"
    if info.flag_bits & 0x1:
        msg = f"{where}: the zip is encrypted (password-protected); zip the export again without a password"
        raise InputFileError(msg)
    if info.compress_type not in _SUPPORTED_METHODS:
        msg = (f"{where}: zip compression method {info.compress_type} is not supported "
               f"(use {', '.join(_SUPPORTED_METHODS.values())}; 'deflate' is the usual one)")
        raise InputFileError(msg)


class ExportReader:
    """Reads export files one at a time under the ingest limits.

    One reader per ingest: it adds up what each zip has yielded, so the total limit holds
    across the members of one archive.
    """

    def __init__(self, limits: IngestConfig) -> None:
        self.limits = limits
        self._zip_bytes: dict[Path, int] = {}

    def read(self, export: ExportFile) -> bytes:
        """The bytes of ``export``.

        Raises
        ------
        InputFileError
            Unreadable, over ``ingest.max_file_mib``, or (zip members) over the zip's total or
            ratio limit, or a corrupt compressed stream.
        """
        if export.member is None:
            return self._read_plain(export)
        return self._read_member(export)

    def _read_plain(self, export: ExportFile) -> bytes:
        limit = self.limits.max_file_bytes
        try:
            size = export.path.stat().st_size
            if size > limit:
                self._too_large(export.source, size)
            # Read at most one byte past the limit: a file that grew since, a pipe or a device
            # (/dev/zero) reports a size that means nothing.
            with export.path.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            msg = f"{export.source}: cannot read ({exc.strerror})"
            raise InputFileError(msg) from None
        if len(data) > limit:
            self._too_large(export.source, len(data))
        return data

    def _too_large(self, source: str, size: int) -> None:
        msg = (f"{source}: {size / MIB:,.0f} MiB or more, over ingest.max_file_mib "
               f"({self.limits.max_file_mib:,}); raise it in workbench.yaml if the export is genuine")
        raise InputFileError(msg)

    def _read_member(self, export: ExportFile) -> bytes:
        limits, path = self.limits, export.path
        used = self._zip_bytes.get(path, 0)
        chunks: list[bytes] = []
        total = 0
        try:
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo(export.member or "")
                _check_member_header(path, info)
                ratio_cap = max(_RATIO_FLOOR_BYTES, limits.max_zip_ratio * info.compress_size)
                with archive.open(info) as stream:
                    while chunk := stream.read(_READ_CHUNK):
                        total += len(chunk)
                        if total > limits.max_file_bytes:
                            self._too_large(export.source, total)
                        if total > ratio_cap:
                            msg = (f"{export.source}: decompresses to over {limits.max_zip_ratio}x "
                                   f"its compressed size (ingest.max_zip_ratio); refusing a "
                                   f"likely zip bomb")
                            raise InputFileError(msg)
                        if used + total > limits.max_zip_total_bytes:
                            msg = (f"{path}: decompresses to over ingest.max_zip_total_mib "
                                   f"({limits.max_zip_total_mib:,} MiB)")
                            raise InputFileError(msg)
                        chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, KeyError,
                NotImplementedError, RuntimeError) as exc:
            msg = f"{export.source}: corrupt zip member ({_one_line(exc)})"
            raise InputFileError(msg) from None
        self._zip_bytes[path] = used + total
        return b"".join(chunks)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
