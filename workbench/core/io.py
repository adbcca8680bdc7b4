"""Atomic file writes, checked reads, content hashes, and the versions manifests record.

Every stage output is written to a temporary file in the destination folder and renamed into
place, so a crash never leaves a half-written file where a reader expects a complete one. Every
stage file is read back through :func:`read_parquet_checked`, :func:`iter_parquet_checked` (a
batch of rows at a time) or :func:`read_json_checked`, so a missing, truncated or corrupt file
(a full disk, a copy cut short) is one line naming the file
(:class:`~workbench.core.errors.UnreadableFileError`), never a traceback. The manifests
themselves are declared in :mod:`workbench.core.manifests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import DataContractError, UnreadableFileError

if TYPE_CHECKING:
    import polars as pl

_HASH_CHUNK = 1 << 20

# Packages whose versions go into every manifest (those installed; missing ones are skipped).
TRACKED_PACKAGES = (
    "amharic-ad-workbench", "polars", "pyarrow", "msgspec", "pydantic", "cleanlab", "scikit-learn",
    "torch", "transformers", "peft", "trl", "bitsandbytes", "evaluate", "sacrebleu", "lancedb",
    "label-studio-sdk", "argilla",
)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success rename it onto ``dest``.

    The temporary file lives in the same folder so the final ``os.replace`` is atomic. On any
    exception the temporary file is removed and ``dest`` keeps its previous content.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(dest: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``dest`` atomically."""
    write_bytes_atomic(dest, text.encode("utf-8"))


def write_json_atomic(dest: Path, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON (Ge'ez kept readable, not escaped) atomically."""
    write_text_atomic(dest, json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def write_parquet_atomic(dest: Path, df: pl.DataFrame) -> None:
    """Write a Polars frame to Parquet (zstd) atomically."""
    with atomic_path(dest) as tmp:
        # zstd level 1: within 10% of the default size at about half the write time.
        df.write_parquet(tmp, compression="zstd", compression_level=1, statistics=True)


#: What a corrupt stage file's message suggests when the caller knows nothing better.
DEFAULT_REMEDY = "restore it, or delete it and re-run the step that wrote it"


def read_parquet_checked(path: Path, columns: Iterable[str] = (), hint: str = "", *,
                         schema: dict[str, pl.DataType] | None = None, project: bool = False,
                         remedy: str = DEFAULT_REMEDY, where: pl.Expr | None = None,
                         ) -> pl.DataFrame:
    """Read a stage's Parquet file; every way it can fail is one line naming the file.

    Parameters
    ----------
    path
        The file.
    columns
        Columns it must have (a schema dict counts as its names).
    hint
        What to run when the file is absent or lacks a column
        (``"run `workbench ingest` first"``).
    schema
        When given, the file must have these columns, and the frame returned is exactly them,
        cast to these types (an older file with extra columns still reads).
    project
        Read only ``columns`` (faster on wide files; the others are not checked).
    remedy
        What to do when the file exists but cannot be read.
    where
        When given, only the rows it selects are read (a predicate on the file's columns; row
        groups whose statistics rule it out are skipped).

    Raises
    ------
    DataContractError
        The file is absent, lacks a column, or a column cannot take its schema type.
    UnreadableFileError
        The file exists but is not readable Parquet (truncated, corrupt, unreadable).
    """
    import polars as pl

    from workbench.core.schemas import require_columns

    needed = list(dict.fromkeys([*columns, *(schema or {})]))
    if not path.exists():
        msg = f"{path}: not found{'; ' + hint if hint else ''}"
        raise DataContractError(msg)
    if path.is_dir():
        raise UnreadableFileError(path, f"{path}: a folder, not a Parquet file; {remedy}")
    try:
        selected = needed if project and needed else None
        if where is None:
            frame = pl.read_parquet(path, columns=selected)
        else:
            scan = pl.scan_parquet(path).filter(where)
            frame = (scan.select(selected) if selected else scan).collect()
    except (OSError, pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        raise _unreadable(path, "Parquet", exc, remedy) from None
    try:
        require_columns(frame, needed, path)
    except DataContractError as exc:
        # Written by an older step, or not this stage's file: re-running the step fixes both.
        msg = f"{exc}{'; ' + hint if hint else ''}"
        raise DataContractError(msg) from None
    if schema is None:
        return frame
    return _cast_to_schema(frame, schema, path, remedy)


def iter_parquet_checked(path: Path, hint: str = "", *, schema: dict[str, pl.DataType],
                         remedy: str = DEFAULT_REMEDY, batch_rows: int = 65_536,
                         ) -> Iterator[pl.DataFrame]:
    """Read a stage's Parquet file a batch of rows at a time, in file order.

    The same checks and one-line errors as :func:`read_parquet_checked` with ``schema`` and
    ``project=True``, but only one batch (at most ``batch_rows`` rows, within one row group) is
    held at a time, so a file of any size reads in bounded memory.

    Raises
    ------
    DataContractError
        The file is absent, lacks a column, or a column cannot take its schema type.
    UnreadableFileError
        The file exists but is not readable Parquet (truncated, corrupt, unreadable), found
        when it is opened or at the batch where the damage is.
    """
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        msg = f"{path}: not found{'; ' + hint if hint else ''}"
        raise DataContractError(msg)
    if path.is_dir():
        raise UnreadableFileError(path, f"{path}: a folder, not a Parquet file; {remedy}")
    unreadable = (OSError, pa.ArrowException, pl.exceptions.PolarsError)
    try:
        file = pq.ParquetFile(path)
    except unreadable as exc:
        raise _unreadable(path, "Parquet", exc, remedy) from None
    with file:
        missing = [c for c in schema if c not in file.schema_arrow.names]
        if missing:
            msg = f"{path}: missing column(s) {', '.join(missing)}{'; ' + hint if hint else ''}"
            raise DataContractError(msg)
        batches = file.iter_batches(batch_size=batch_rows, columns=list(schema))
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                frame = pl.from_arrow(batch)
            except unreadable as exc:
                raise _unreadable(path, "Parquet", exc, remedy) from None
            yield _cast_to_schema(frame, schema, path, remedy)  # type: ignore[arg-type]


def _cast_to_schema(frame: pl.DataFrame, schema: dict[str, pl.DataType], path: Path,
                    remedy: str) -> pl.DataFrame:
    import polars as pl

    try:
        return frame.select(list(schema)).cast(schema)  # type: ignore[arg-type]
    except pl.exceptions.PolarsError:
        wrong = [f"{c} ({frame.schema[c]}, expected {t})" for c, t in schema.items()
                 if frame.schema[c] != t]
        msg = f"{path}: column(s) of the wrong type: {', '.join(wrong)}; {remedy}"
        raise DataContractError(msg) from None


def read_json_checked(path: Path, hint: str = "", *, remedy: str = DEFAULT_REMEDY) -> Any:
    """Read a stage's JSON file (a manifest, a summary); failures as :func:`read_parquet_checked`.

    Raises
    ------
    DataContractError
        The file is absent.
    UnreadableFileError
        It exists but is not UTF-8 JSON (truncated, corrupt, nested beyond what Python parses).
    """
    if not path.is_file():
        msg = f"{path}: not found{'; ' + hint if hint else ''}"
        raise DataContractError(msg)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _unreadable(path, "JSON", exc, remedy) from None


def _unreadable(path: Path, kind: str, exc: BaseException, remedy: str) -> UnreadableFileError:
    if isinstance(exc, OSError) and exc.strerror:  # permissions, a folder, a failing disk
        return UnreadableFileError(path, f"{path}: cannot be read ({exc.strerror}); {remedy}")
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    # Polars prefixes its messages with the reader's name; the file kind is said already.
    detail = detail.removeprefix("parquet: ").removeprefix("File out of specification: ")
    msg = f"{path}: not a readable {kind} file, truncated or corrupt ({detail}); {remedy}"
    return UnreadableFileError(path, msg)


def data_relative(path: Path, data_dir: Path) -> str:
    """``path`` as the user knows it: relative to the data dir when inside it, else its name."""
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path.name


def restrict_to_owner(path: Path) -> None:
    """Owner-only access to ``path`` and, for a folder, everything under it (links followed).

    Group and other permission bits are cleared (a 0644 file becomes 0600, a 0755 folder 0700);
    the owner's are kept. For files that hold labels or secrets, including ones an older version
    or another program created with the default umask.
    """
    def tighten(target: Path) -> None:
        mode = target.stat().st_mode
        if mode & 0o077:
            target.chmod(mode & 0o700)

    if not path.exists():
        return
    tighten(path)
    if path.is_dir():
        for folder, dirs, files in os.walk(path, followlinks=True):
            for name in (*dirs, *files):
                # A temp file gone meanwhile; a linked file of another user's is not ours to change.
                with contextlib.suppress(FileNotFoundError, PermissionError):
                    tighten(Path(folder) / name)


def package_versions(names: Sequence[str] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (absent packages are left out), plus Python's."""
    versions = {"python": platform.python_version()}
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return versions


def git_commit(cwd: Path | None = None) -> str | None:
    """The current git commit of the project (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).parent, capture_output=True,
            text=True, check=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
