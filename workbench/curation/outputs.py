"""Writing curation outputs: atomic Parquet files plus the folder's merged ``manifest.json``.

``flag`` and ``dedup`` write into the same folder (``DIR/curated/``), so its manifest is merged:
each output file keeps the facts of the run that wrote it, and ``runs`` holds the latest run of
each command with its inputs (hashes), the label snapshot and its configuration. A later command
uses that to decide whether an earlier output is still valid for the current inputs (for example,
``split`` reuses ``dup_clusters.parquet`` only when it was built from the same texts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.io import (
    read_json_checked,
    sha256_file,
    write_json_atomic,
    write_parquet_atomic,
)
from workbench.core.layout import MANIFEST
from workbench.core.manifests import build_manifest
from workbench.curation.input_files import InputRecord

#: Schemas of the files in ``curated/`` (the contract other stages read).
#:
#: ``label_issues``: one row per labeled item and task. ``given`` is the annotators' answer (the
#: majority when several answered), ``suggested`` the classifier's, ``label`` what the item would
#: train with (adjudicated > consensus > given) and ``label_source`` where that came from;
#: ``answers`` lists every annotator's answer as ``"annotator: A|B"`` for the review screen.
LABEL_ISSUES_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "task": pl.Utf8,
    "given": pl.List(pl.Utf8),
    "suggested": pl.List(pl.Utf8),
    "label_quality": pl.Float64,
    "is_issue": pl.Boolean,
    "reason": pl.Utf8,
    "consensus": pl.List(pl.Utf8),
    "consensus_quality": pl.Float64,
    "n_annotators": pl.Int64,
    "label": pl.List(pl.Utf8),
    "label_source": pl.Utf8,
    "answers": pl.List(pl.Utf8),
}

ANNOTATOR_QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "annotator": pl.Utf8,
    "task": pl.Utf8,
    "quality": pl.Float64,
    "agreement": pl.Float64,
    "n_items": pl.Int64,
    "method": pl.Utf8,
}

DUP_CLUSTERS_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "cluster_id": pl.Utf8,
    "similarity": pl.Float64,
    "cluster_size": pl.Int64,
}

OUTLIERS_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "reason": pl.Utf8,
    "detail": pl.Utf8,
}


def conform(df: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``df`` with exactly ``schema``'s columns, in order and with its dtypes.

    A column ``df`` lacks (a file written by an older version) comes back as nulls.
    """
    return df.select([
        (pl.col(name) if name in df.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    ])


def write_outputs(
    folder: Path,
    files: Mapping[str, pl.DataFrame],
    *,
    command: str,
    inputs: Sequence[InputRecord],
    config: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``files`` atomically into ``folder`` and merge this run into its manifest.

    Parameters
    ----------
    folder
        Output folder (created if needed).
    files
        File name -> frame.
    command
        The command that produced them (``flag``, ``dedup``).
    inputs
        Input files with their hashes.
    config
        The configuration of the run.
    extra
        Run facts (counts, label snapshot id).

    Returns
    -------
    dict
        The manifest written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    previous = _read_curated_manifest(folder)
    outputs = {
        name: facts for name, facts in previous.get("outputs", {}).items()
        if (folder / name).exists() and name not in files
    }
    for name, frame in files.items():
        write_parquet_atomic(folder / name, frame)
        outputs[name] = {"rows": frame.height, "sha256": sha256_file(folder / name),
                         "written_by": command}
    run = {"inputs": [r.as_dict() for r in inputs], "config": dict(config), **dict(extra or {})}
    runs = {**previous.get("runs", {}), command: run}
    all_inputs = {(i["role"], i["sha256"]): i for r in runs.values() for i in r["inputs"]}
    manifest = build_manifest(
        "curated", inputs=list(all_inputs.values()), outputs=outputs, config=config,
        extra={"runs": runs},
    )
    manifest["runs"][command]["created_at"] = manifest["created_at"]
    write_json_atomic(folder / MANIFEST, manifest)
    return manifest


def previous_run(folder: Path, command: str) -> dict[str, Any] | None:
    """The manifest entry of the latest ``command`` run in ``folder`` (None if there is none)."""
    return _read_curated_manifest(folder).get("runs", {}).get(command)


def _read_curated_manifest(folder: Path) -> dict[str, Any]:
    """The folder's merged manifest (empty before the first command)."""
    path = folder / MANIFEST
    return read_json_checked(path) if path.exists() else {}


def input_sha(run: Mapping[str, Any] | None, role: str) -> str | None:
    """SHA-256 of the input with ``role`` in a run entry."""
    if not run:
        return None
    return next((i["sha256"] for i in run.get("inputs", []) if i.get("role") == role), None)
