"""``workbench train export-data``: a recipe's SFT and CPT sets as Hugging Face ``datasets``.

Writes, under ``DIR/training/export/<recipe>/`` (or ``--out``)::

    sft/         DatasetDict (train / validation / test), ``save_to_disk`` format
    cpt/         DatasetDict (train / validation)
    README.md    the dataset card: what each set holds, its size, its lineage

The sets are the ones ``workbench train build-data`` built (rebuilt first when stale), so an
exported set is exactly what a run of that recipe trains on. ``load_from_disk(DIR/sft)`` reads it
back; ``--push-to-hub ORG/NAME`` uploads both sets (as configurations ``sft`` and ``cpt``) and
the card to a *private* dataset repository, for users with a hub token
(``huggingface-cli login``): the ads keep their phone numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import ConfigError
from workbench.core.io import read_parquet_checked, write_text_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import SftDataManifest, read_manifest
from workbench.training.recipe import Recipe
from workbench.training.sft_data import ensure_data

#: Built split name -> the name ``datasets`` users expect.
SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}
SUBSETS = {"sft": ("train", "val", "test"), "cpt": ("train", "val")}


@dataclass
class ExportSummary:
    """What was exported where."""

    out_dir: Path
    rows: dict[str, dict[str, int]]
    pushed_to: str | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line per subset."""
        parts = [f"{subset}: " + ", ".join(f"{split} {n}" for split, n in splits.items())
                 for subset, splits in self.rows.items()]
        pushed = f"; pushed to {self.pushed_to}" if self.pushed_to else ""
        return f"exported {'; '.join(parts)} -> {self.out_dir}{pushed}"


def _dataset_dict(data_out: Path, subset: str) -> Any:
    from datasets import Dataset, DatasetDict

    return DatasetDict({
        SPLIT_NAMES[split]: Dataset.from_polars(
            read_parquet_checked(data_out / subset / f"{split}.parquet",
                                 hint="run `workbench train build-data` first"))
        for split in SUBSETS[subset]
    })


def dataset_card(recipe: Recipe, manifest: SftDataManifest, rows: dict[str, dict[str, int]],
                 columns: dict[str, list[str]]) -> str:
    """The dataset card (``README.md``) of an export."""
    meta = {"language": ["am"], "task_categories": ["text-generation"],
            "tags": ["amharic", "telegram", "advertising"],
            "size_categories": ["n<1K" if sum(rows["sft"].values()) < 1000 else "1K<n<10K"
                                if sum(rows["sft"].values()) < 10000 else "10K<n<100K"]}

    def table(subset: str) -> list[str]:
        return ["| split | rows |", "|---|---|",
                *[f"| {split} | {n} |" for split, n in rows[subset].items()]]

    cleaned = [i for i in manifest.inputs if i.role == "cleaned"]
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).strip(), "---", "",
             f"# Amharic Telegram ads: training sets of recipe `{recipe.name}`", "",
             "Two sets, each a `datasets.DatasetDict` saved with `save_to_disk` "
             "(`datasets.load_from_disk(\"sft\")`):", "",
             "## `sft`: brief -> ad", "",
             "One chat per ad (`messages`: system, user, assistant). The user turn is a brief "
             "derived from the ad (channel, vertical, brand and product words, prices, calls to "
             "action, contacts) plus up to "
             f"{recipe.data.context_ads} earlier ads of the same channel from the train split; "
             "the assistant turn is the ad as posted. Train on the assistant turn only.", "",
             *table("sft"), "", f"Columns: {', '.join(columns['sft'])}.", "",
             "## `cpt`: continued pretraining", "",
             "Every cleaned post, ads and non-ads (`text`), minus the validation and test posts "
             "and their reposts in other channels; validation is the validation split's posts. "
             "Train on every token.", "",
             *table("cpt"), "", f"Columns: {', '.join(columns['cpt'])}.", "",
             "## Lineage", "",
             f"- recipe `{recipe.name}`, data fingerprint `{manifest.fingerprint}`",
             f"- split manifest sha256 `{manifest.split_manifest_sha256}`",
             f"- label snapshot `{manifest.label_snapshot.id}`",
             f"- prompt spec sha256 `{manifest.prompt_spec_sha256}`",
             *[f"- cleaned posts sha256 `{i.sha256}`" for i in cleaned],
             *[f"- note: {note}" for note in manifest.notes], "",
             "No validation or test ad appears in any prompt, and the CPT set holds none of them "
             "(nor their reposts).", "",
             "## Personal data", "",
             "Ads keep their phone numbers, @handles and links as posted (a writer trained on "
             "stripped text cannot write a usable ad). Share this set privately.", ""]
    return "\n".join(lines)


def export_data(data_dir: Path, recipe: Recipe, *, out: Path | None = None,
                push_to_hub: str | None = None, progress: bool = True,
                log: Callable[[str], None] = print) -> ExportSummary:
    """Export the SFT and CPT sets of ``recipe`` (see the module docstring).

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    recipe
        The recipe whose sets are exported (built first when missing or stale).
    out
        Output folder (default ``DIR/training/export/<recipe>/``).
    push_to_hub
        ``org/name`` of a private hub dataset repository to upload to (needs a hub token).
    progress
        Show progress bars.
    log
        Where progress lines go.

    Returns
    -------
    ExportSummary
        Rows per subset and split, the folder, the hub repository when pushed.
    """
    from datasets.utils.logging import disable_progress_bar

    if not progress:
        disable_progress_bar()
    data_out, rebuilt = ensure_data(data_dir, recipe, progress=progress)
    if rebuilt:
        log(f"built training data in {data_out}")
    manifest = read_manifest(data_out / MANIFEST, SftDataManifest)
    target = out or Layout(data_dir).training_export(recipe.name)
    rows: dict[str, dict[str, int]] = {}
    columns: dict[str, list[str]] = {}
    sets = {}
    for subset in SUBSETS:
        dd = _dataset_dict(data_out, subset)
        # save_to_disk replaces the folder's content; a re-run rewrites the same files.
        dd.save_to_disk(str(target / subset))
        sets[subset] = dd
        rows[subset] = {name: ds.num_rows for name, ds in dd.items()}
        columns[subset] = list(dd["train"].column_names)
    card = dataset_card(recipe, manifest, rows, columns)
    write_text_atomic(target / "README.md", card)
    summary = ExportSummary(out_dir=target, rows=rows)
    if push_to_hub:
        summary.pushed_to = push(sets, card, push_to_hub)
    return summary


def push(sets: dict[str, Any], card: str, repo_id: str) -> str:
    """Upload each set as a configuration of a private dataset repository, then the card.

    Raises
    ------
    ConfigError
        When the hub refuses (no token, no access, no network): the first line of its reason.
    """
    if repo_id.count("/") != 1:
        msg = f"--push-to-hub {repo_id!r}: expected ORG/NAME"
        raise ConfigError(msg)
    try:
        from huggingface_hub import DatasetCard

        for subset, dd in sets.items():
            dd.push_to_hub(repo_id, config_name=subset, private=True)
        # push_to_hub wrote a card whose metadata maps the configurations to their files: keep
        # that metadata, add ours, and replace the text with ours.
        pushed, ours = DatasetCard.load(repo_id), DatasetCard(card)
        meta = {**pushed.data.to_dict(), **ours.data.to_dict()}
        header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()
        DatasetCard(f"---\n{header}\n---\n{ours.text}").push_to_hub(repo_id)
    except Exception as exc:  # any hub failure (token, access, network) is one line to the user
        msg = f"--push-to-hub {repo_id}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        raise ConfigError(msg) from None
    return f"https://huggingface.co/datasets/{repo_id}"
