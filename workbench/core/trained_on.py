"""Which messages a training run learned from: kept in the run's folder, read by evaluation.

An evaluation must know whether its items are held out from a run it scores. The run's
training rows live in ``training/data/<recipe>/``, which the next ``train build-data`` (or
``train run``) of the same recipe overwrites, so they cannot be the record: a run writes the
sorted ``uid`` of every message it trained on (its own train rows and its parent run's) to
``runs/<run_id>/trained_uids.txt``, hashed in its manifest's outputs. Runs made before this
file existed are read through their recorded training data while it is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workbench.core.io import sha256_file, write_text_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    RunManifest,
    SftDataManifest,
    read_manifest,
)
from workbench.core.runs import read_run_manifest

#: One ``uid`` per line, sorted: the messages a run trained on (``runs/<run_id>/``).
TRAINED_UIDS_FILE = "trained_uids.txt"


def write_trained_uids(folder: Path, uids: Iterable[str]) -> OutputFile:
    """Write ``folder/trained_uids.txt`` atomically and return its facts for the manifest."""
    ordered = sorted(set(uids))
    path = folder / TRAINED_UIDS_FILE
    write_text_atomic(path, "".join(f"{uid}\n" for uid in ordered))
    return OutputFile(rows=len(ordered), sha256=sha256_file(path), bytes=path.stat().st_size)


def training_data_uids(data: SftDataManifest, folder: Path, objective: str) -> set[str] | None:
    """The ``uid`` of the train rows of one objective in a built training-data folder.

    Parameters
    ----------
    data
        The folder's manifest, already read (the caller also hashes it).
    folder
        ``training/data/<recipe>``, where the manifest's outputs lie.
    objective
        ``sft`` or ``cpt``: whose ``<objective>/train.parquet`` is read.

    Returns
    -------
    set[str] or None
        None when a train file no longer has the sha256 its manifest recorded.
    """
    import polars as pl

    uids: set[str] = set()
    for name, output in data.outputs.items():
        if name != f"{objective}/train.parquet":
            continue
        path = folder / name
        if not path.is_file() or sha256_file(path) != output.sha256:
            return None
        uids.update(pl.read_parquet(path, columns=["uid"])["uid"].drop_nulls().to_list())
    return uids


def parent_runs_uids(parent_inputs: Iterable[InputFile], data_dir: Path) -> set[str] | None:
    """The messages the parent runs named in a manifest's inputs trained on (None: unknown)."""
    uids: set[str] = set()
    for item in parent_inputs:
        if item.role != "parent-run":
            continue
        parent = Path(item.path).parent
        if not parent.is_dir():
            parent = Layout(data_dir).run(parent.name)
        inherited = run_training_uids(parent, data_dir)
        if inherited is None:
            return None
        uids |= inherited
    return uids


def run_training_uids(folder: Path, data_dir: Path) -> frozenset[str] | None:
    """The messages (``uid``) a run trained on: its objective's train rows, and its parent's.

    Read from the run's ``trained_uids.txt`` when its sha256 is the one the manifest recorded.
    A run made before that file existed is read from the training data it recorded
    (``training/data/<recipe>/``) while each file still has the recorded sha256, looked for
    under ``data_dir`` first (a data dir may have been copied or moved, and manifests written
    before paths were recorded absolutely hold them as typed), then where the manifest says.

    Parameters
    ----------
    folder
        The run's folder.
    data_dir
        The data dir the run belongs to.

    Returns
    -------
    frozenset[str] or None
        The uids, or None when they cannot be known any more (no manifest; an older run whose
        training data was rebuilt or moved since), so a caller can say so rather than guess.
    """
    manifest = read_run_manifest(folder)
    if manifest is None:
        return None
    kept = _kept_uids(folder, manifest)
    if kept is not None:
        return kept
    recorded = next((item.sha256 for item in manifest.inputs if item.role == "training-data"),
                    None)
    recipe = str(manifest.config.get("name") or "")
    # The data dir's own copy first: a data dir copied elsewhere must not read the original's.
    places = [Layout(data_dir).training_data(recipe) / MANIFEST] if recipe else []
    places.append(Path(manifest.data_manifest))
    data_path = next((p for p in places if p.is_file() and sha256_file(p) == recorded), None)
    if data_path is None:
        return None
    objective = (manifest.config.get("data") or {}).get("objective", "sft")
    uids = training_data_uids(read_manifest(data_path, SftDataManifest), data_path.parent,
                              objective)
    inherited = parent_runs_uids(manifest.inputs, data_dir)
    if uids is None or inherited is None:
        return None
    return frozenset(uids | inherited)


def _kept_uids(folder: Path, manifest: RunManifest) -> frozenset[str] | None:
    """The run's own record, when it is there and unchanged since the manifest hashed it."""
    facts = manifest.outputs.get(TRAINED_UIDS_FILE)
    path = folder / TRAINED_UIDS_FILE
    if facts is None or not path.is_file() or sha256_file(path) != facts.sha256:
        return None
    return frozenset(line for line in path.read_text(encoding="utf-8").splitlines() if line)
