"""Curated splits made once per test session by the real pipeline, copied where a test needs them.

:func:`synthetic.splits.write_pipeline_splits` runs ingest, the pull's writer, ``curate flag`` and
``curate split`` (a few seconds). Each distinct set of posts runs once per session in a cache
folder; a test gets a copy of the whole data dir (exports, raw, parsed, cleaned, labels, curated),
so it may change its copy freely. The manifests' paths name the cache folder, which lives as long
as the session.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from synthetic.splits import Post, synthetic_posts, write_pipeline_splits
from workbench.core.layout import Layout

_ROOT = Path(tempfile.mkdtemp(prefix="workbench-splits-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
_MADE: dict[tuple[Post, ...], Path] = {}


def curated_copy(data_dir: Path, posts: Sequence[Post]) -> Path:
    """Copy the pipeline's data dir for ``posts`` into ``data_dir``; return the splits folder."""
    key = tuple(posts)
    if key not in _MADE:
        folder = _ROOT / str(len(_MADE))
        write_pipeline_splits(folder, key)
        _MADE[key] = folder
    shutil.copytree(_MADE[key], data_dir, dirs_exist_ok=True)
    return Layout(data_dir).splits


def synthetic_copy(data_dir: Path, **kwargs: int) -> Path:
    """:func:`curated_copy` of :func:`synthetic.splits.synthetic_posts` (``kwargs`` go to it)."""
    return curated_copy(data_dir, synthetic_posts(**kwargs))
