"""``runs/<run_id>/manifest.json``: a run and everything it was made from."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from workbench.core.io import sha256_file
from workbench.core.layout import MANIFEST
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    RunManifest,
    SftDataManifest,
    envelope,
    read_manifest,
    recorded_path,
    write_manifest,
)
from workbench.core.trained_on import (
    TRAINED_UIDS_FILE,
    parent_runs_uids,
    training_data_uids,
    write_trained_uids,
)
from workbench.training.recipe import Recipe


def write_run_manifest(run_dir: Path, recipe: Recipe, data_out: Path, base: str,
                       mask: str, *, status: str, data_dir: Path, final: Path | None = None,
                       parent_inputs: list[InputFile] | None = None) -> None:
    """Write ``run_dir/manifest.json``: the run and the data, splits and labels it trained on.

    Also ``run_dir/trained_uids.txt`` (:mod:`workbench.core.trained_on`), hashed among the
    outputs: the training data is overwritten by the next build of the recipe, and an
    evaluation after a re-split must still know which messages this run saw.

    Parameters
    ----------
    run_dir
        The run's folder.
    recipe
        The resolved recipe.
    data_out
        The built dataset (``training/data/<recipe>``), whose manifest names the splits.
    base
        Where the base model was loaded from.
    mask
        The loss-mask check's line.
    status
        ``running`` or ``finished``.
    data_dir
        The data dir (where a parent run is looked for when its recorded path moved).
    final
        The folder of the final weights (their hashes are recorded).
    parent_inputs
        The parent run's manifest and inputs, for a run started ``--from`` another
        (:func:`workbench.training.lineage.parent_inputs`).
    """
    data_manifest_path = data_out / MANIFEST
    data = read_manifest(data_manifest_path, SftDataManifest,
                         hint="run `workbench train build-data` first")
    inputs = [InputFile(path=recorded_path(data_manifest_path), sha256=sha256_file(data_manifest_path),
                        role="training-data"),
              InputFile(path=data.split_manifest, sha256=data.split_manifest_sha256,
                        role="split-manifest")]
    inputs += parent_inputs or []
    outputs: dict[str, OutputFile] = {}
    own = training_data_uids(data, data_out, recipe.data.objective)
    inherited = parent_runs_uids(parent_inputs or [], data_dir)
    if own is not None and inherited is not None:
        outputs[TRAINED_UIDS_FILE] = write_trained_uids(run_dir, own | inherited)
    if final is not None:
        for path in sorted(final.glob("*.safetensors")):
            outputs[f"{final.name}/{path.name}"] = OutputFile(sha256=sha256_file(path),
                                                              bytes=path.stat().st_size)
    device = None
    with contextlib.suppress(ImportError):
        import torch

        device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
                  else f"cpu ({os.cpu_count()} cores)")
    manifest = RunManifest(
        **envelope("training-run"), inputs=inputs, outputs=outputs,
        config=recipe.model_dump(mode="json"),
        run_id=run_dir.name,
        status=status,
        base_model=recipe.model.base,
        base_model_path=base,
        base_model_revision=recipe.model.revision,
        data_manifest=recorded_path(data_manifest_path),
        split_manifest=data.split_manifest,
        split_manifest_sha256=data.split_manifest_sha256,
        label_snapshot=data.label_snapshot,
        data_fingerprint=data.fingerprint,
        loss_mask=mask,
        device=device,
        parent_run=recipe.from_run,
    )
    write_manifest(run_dir / MANIFEST, manifest)
