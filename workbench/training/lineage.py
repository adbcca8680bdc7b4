"""Runs that start from another run: continued pretraining, then SFT (``train run --from``).

A run started ``--from PARENT`` loads PARENT's output in place of the recipe's base: PARENT's
``merged/`` model when ``workbench train merge`` made one (or its ``model/`` after full
fine-tuning), else PARENT's adapter merged into PARENT's base now, saved once into the new run's
``base/`` folder (a resumed run finds it there). The tokenizer comes with that folder, so the SFT
run uses the very tokenizer the continued pretraining trained with.

Lineage: the new run's ``run.json`` and ``manifest.json`` name PARENT (``parent_run``), and its
manifest lists PARENT's manifest and every input PARENT trained on (roles ``parent-run`` and
``parent-run:<role>``): the cleaned posts of the CPT set, its split manifest, its data manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench.core.errors import ConfigError
from workbench.core.io import sha256_file
from workbench.core.layout import MANIFEST
from workbench.core.manifests import InputFile, recorded_path
from workbench.core.runs import (
    merged_model_dir,
    read_run_manifest,
    read_status,
    resolve_run_dir,
)
from workbench.training.merge import RUN_BASE_DIR, merge_adapter


def finished_parent(data_dir: Path, run: str) -> Path:
    """The folder of the finished run ``run`` (id or folder) a new run starts from.

    Raises
    ------
    ConfigError
        When the run does not exist or did not finish.
    """
    parent = resolve_run_dir(data_dir, run)
    status = read_status(parent).get("status", "unknown")
    if status != "finished":
        msg = (f"--from {parent.name}: that run is {status}, not finished; finish it "
               "(`workbench train run ... --resume`) before starting from it")
        raise ConfigError(msg)
    return parent


def parent_model_dir(parent: Path) -> Path | None:
    """The parent's full model folder (merged, or full fine-tuning's ``model/``), if it has one."""
    merged = merged_model_dir(parent)
    if merged is not None:
        return merged
    full = parent / "model"
    return full if (full / "config.json").exists() else None


def starting_point(data_dir: Path, parent_run: str, run_dir: Path, *, dtype: str,
                   log: Callable[[str], None]) -> Path:
    """The model folder a ``--from`` run loads as its base (merging the parent's adapter once).

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    parent_run
        The parent run's id.
    run_dir
        The new run's folder (the merged parent goes to its ``base/``).
    dtype
        dtype of the merge (float32, bfloat16 or float16).
    log
        Where progress lines go.
    """
    parent = finished_parent(data_dir, parent_run)
    ready = parent_model_dir(parent)
    if ready is not None:
        return ready
    target = run_dir / RUN_BASE_DIR
    if not (target / "config.json").exists():
        merge_adapter(parent, target, dtype=dtype)  # type: ignore[arg-type]
        log(f"merged the adapter of {parent.name} into its base: {target}")
    return target


def parent_inputs(data_dir: Path, parent_run: str) -> list[InputFile]:
    """The parent's manifest and every input it lists, as inputs of the child run."""
    parent = resolve_run_dir(data_dir, parent_run)
    manifest = read_run_manifest(parent)
    if manifest is None:
        msg = f"--from {parent.name}: {parent / MANIFEST} is missing"
        raise ConfigError(msg)
    inputs = [InputFile(path=recorded_path(parent / MANIFEST), sha256=sha256_file(parent / MANIFEST),
                        role="parent-run")]
    inputs += [item.model_copy(update={"role": f"parent-run:{item.role or 'input'}"})
               for item in manifest.inputs]
    return inputs
