"""Atomic file writes, content hashes, and the versions and commit manifests record.

Every stage output is written to a temporary file in the destination folder and renamed into
place, so a crash never leaves a half-written file where a reader expects a complete one. The
manifests themselves are declared in :mod:`workbench.core.manifests`.
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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
