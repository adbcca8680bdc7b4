"""``workbench train build-data``: chat-format SFT examples and a continued-pretraining set.

An SFT example teaches "brief + channel history -> ad". The brief is derived from the ad itself
(vertical label, channel, salient product/brand words, contact details, prices, calls to action);
the context is the channel's most recent *earlier* ads from the train split; the completion is the
original ad text, emojis, phone numbers and @handles included (a generator trained on
stripped text cannot write a usable ad).

Leakage rules, by construction:

- context ads always come from the train split, so no validation or test ad is ever shown to the
  model in a prompt;
- the continued-pretraining set leaves out every validation/test message and every other message
  whose normalized text equals one of them (reposts across channels).

Output, under ``DIR/training/data/<recipe>/``: ``sft/{train,val,test}.parquet``,
``cpt/{train,val}.parquet``, ``prompt_spec.json`` and a ``manifest.json`` that records the split
manifest's hash, the label snapshot id and the prompt spec's hash.

The brief (:func:`workbench.core.brief_derivation.derive_brief`) and the prompt
(:func:`workbench.core.prompts.build_prompt`) are the ones generation and evaluation use; the
prompt spec (the recipe's template, system prompt and context size) is saved beside the data as
``prompt_spec.json`` and copied into every run trained on it.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.brief_derivation import derive_brief, document_idf
from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked, sha256_file, write_parquet_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    SftDataManifest,
    SplitsManifest,
    envelope,
    read_manifest,
    recorded_path,
    write_manifest,
)
from workbench.core.prompts import (
    PROMPT_SPEC_FILE,
    PromptSpec,
    build_prompt,
    load_prompt_spec,
    save_prompt_spec,
)
from workbench.training.recipe import Recipe

SPLITS = ("train", "val", "test")
REQUIRED_SPLIT_COLUMNS = ("uid", "channel_name", "date", "text", "is_ad", "vertical")
AD_LABEL = "Ad"

# --- Context -------------------------------------------------------------------------------------


class ContextPool:
    """Train-split ads per channel, in date order, for "earlier ads of the same channel"."""

    def __init__(self, ads: pl.DataFrame) -> None:
        self._by_channel: dict[str, tuple[list[datetime], list[str], list[str]]] = {}
        grouped: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        if "date" not in ads.columns:  # undated ads have no "earlier"
            return
        dated = ads.filter(pl.col("date").is_not_null())
        for row in dated.select("channel_name", "date", "uid", "text").iter_rows():
            grouped[row[0]].append((row[1], row[2], row[3]))
        for channel, items in grouped.items():
            items.sort(key=lambda t: (t[0], t[1]))
            self._by_channel[channel] = ([t[0] for t in items], [t[1] for t in items],
                                         [t[2] for t in items])

    def before(self, channel: str, date: datetime, k: int, exclude: str) -> list[tuple[str, str]]:
        """Up to ``k`` (uid, text) of ``channel`` strictly before ``date``, newest first."""
        if k <= 0 or channel not in self._by_channel:
            return []
        dates, uids, texts = self._by_channel[channel]
        end = bisect_left(dates, date)
        picked = []
        for i in range(end - 1, -1, -1):
            if uids[i] != exclude:
                picked.append((uids[i], texts[i]))
            if len(picked) == k:
                break
        return picked


def brief_sources(train_ads: pl.DataFrame) -> tuple[dict[str, float], ContextPool]:
    """The idf of brief words and the pool of past ads, from the train split's usable ads.

    Build-data and evaluation both take them from here (on :func:`usable_ads` of the train
    split), so a held-out ad gets the same brief and past ads, hence the same prompt, in both.
    """
    clean_col = "text_clean" if "text_clean" in train_ads.columns else "text"
    return document_idf(train_ads[clean_col].fill_null("").to_list()), ContextPool(train_ads)


def prompt_spec_of(recipe: Recipe) -> PromptSpec:
    """The prompt spec of ``recipe``: its data section's template, system prompt, context size."""
    data = recipe.data
    return PromptSpec.from_file(Path(data.prompt_template), system_prompt=data.system_prompt,
                                context_ads=data.context_ads, context_chars=data.context_chars)


def install_prompt_spec(data_out: Path, run_dir: Path) -> PromptSpec:
    """Copy the prompt spec of the training data in ``data_out`` into a run folder."""
    spec = load_prompt_spec(data_out)
    save_prompt_spec(spec, run_dir)
    return spec


# --- Building ------------------------------------------------------------------------------------


@dataclass
class DataSummary:
    """What ``build-data`` wrote."""

    out_dir: Path
    sft_rows: dict[str, int]
    cpt_rows: dict[str, int]
    dropped: dict[str, int]
    notes: list[str]

    def line(self) -> str:
        """One-line summary for the CLI."""
        sft = ", ".join(f"{k} {v}" for k, v in self.sft_rows.items())
        cpt = ", ".join(f"{k} {v}" for k, v in self.cpt_rows.items())
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items()) if v) or "none"
        return f"SFT examples: {sft}; CPT texts: {cpt}; skipped: {dropped} -> {self.out_dir}"


def read_splits(data_dir: Path) -> tuple[dict[str, pl.DataFrame], SplitsManifest]:
    """Read the curated splits and their manifest (one clear error when absent or invalid)."""
    lay = Layout(data_dir)
    hint = "run `workbench curate split` first"
    manifest = read_manifest(lay.splits_manifest, SplitsManifest, hint=hint)
    frames = {s: read_parquet_checked(lay.split(s), REQUIRED_SPLIT_COLUMNS, hint) for s in SPLITS}
    return frames, manifest


def usable_ads(frame: pl.DataFrame, min_chars: int,
               dropped: Counter[str] | None = None) -> pl.DataFrame:
    """Rows labelled Ad with a text of ``min_chars`` or more and a vertical.

    ``dropped`` (when given) counts the rows left out per reason.
    """
    dropped = Counter() if dropped is None else dropped
    n = frame.height
    ads = frame.filter(pl.col("is_ad") == AD_LABEL)
    dropped["non_ad"] += n - ads.height
    kept = ads.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
    dropped["empty_text"] += ads.height - kept.height
    long_enough = kept.filter(pl.col("text").str.len_chars() >= min_chars)
    dropped["too_short"] += kept.height - long_enough.height
    no_vertical = long_enough.filter(pl.col("vertical").is_null()).height
    dropped["ad_without_vertical"] += no_vertical
    return long_enough.filter(pl.col("vertical").is_not_null())


MESSAGE = pl.Struct({"role": pl.Utf8, "content": pl.Utf8})
SFT_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.Utf8, "split": pl.Utf8, "channel_name": pl.Utf8, "vertical": pl.Utf8,
    "brief": pl.Utf8, "prompt": pl.Utf8, "prompt_sha256": pl.Utf8, "completion": pl.Utf8,
    "context_uids": pl.List(pl.Utf8), "messages": pl.List(MESSAGE),
}


def build_examples(
    frame: pl.DataFrame,
    split: str,
    *,
    recipe: Recipe,
    pool: ContextPool,
    idf: dict[str, float],
    spec: PromptSpec,
    progress: bool = True,
) -> pl.DataFrame:
    """SFT rows (see :data:`SFT_SCHEMA`) for the ads of one split.

    ``prompt_sha256`` hashes the prompt's messages (system and user, not the completion): the
    hash generation and evaluation record for the same brief and past ads.
    """
    from tqdm.auto import tqdm

    data = recipe.data
    rows = []
    for row in tqdm(frame.sort("date", "uid").iter_rows(named=True), total=frame.height,
                    desc=f"SFT {split}", unit="ad", disable=not progress, leave=False):
        brief = derive_brief(row, idf, data.brief_words)
        context = pool.before(row["channel_name"], row["date"], spec.context_ads, row["uid"])
        prompt = build_prompt(spec, brief, [t for _, t in context])
        messages = [*prompt.messages, {"role": "assistant", "content": row["text"]}]
        rows.append({
            "uid": row["uid"], "split": split, "channel_name": row["channel_name"],
            "vertical": row["vertical"],
            "brief": json.dumps(brief.model_dump(mode="json", exclude_none=True),
                                ensure_ascii=False),
            "prompt": prompt.user, "prompt_sha256": prompt.prompt_sha256,
            "completion": row["text"],
            "context_uids": [uid for uid, _ in context], "messages": messages,
        })
    return pl.DataFrame(rows, schema=SFT_SCHEMA)


def build_cpt(
    data_dir: Path, recipe: Recipe, splits: dict[str, pl.DataFrame], notes: list[str]
) -> tuple[dict[str, pl.DataFrame], dict[str, Any] | None]:
    """Continued-pretraining texts: all cleaned messages minus held-out ones and their reposts."""
    data = recipe.data
    held = pl.concat([splits["val"], splits["test"]], how="diagonal_relaxed")
    cleaned_path = Layout(data_dir).cleaned_messages
    source: dict[str, Any] | None = None
    if cleaned_path.exists():
        cleaned = read_parquet_checked(cleaned_path, ("uid", "text"))
        source = {"path": recorded_path(cleaned_path), "sha256": sha256_file(cleaned_path)}
    else:
        notes.append(f"{cleaned_path} not found: CPT uses the train split's texts only")
        cleaned = splits["train"]
    if "is_empty" in cleaned.columns:
        cleaned = cleaned.filter(~pl.col("is_empty").fill_null(value=False))
    # Reposts are matched on the normalized text when both sides have it (homophones unified).
    key_col = "text_norm" if {"text_norm"} <= set(held.columns) & set(cleaned.columns) else "text"

    def squash(col: str) -> pl.Expr:
        return pl.col(col).fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()

    held_uids = held["uid"].to_list()
    held_keys = held.select(squash(key_col).alias("k"))["k"].to_list()
    train = (
        cleaned.filter(pl.col("text").is_not_null()
                       & (pl.col("text").str.len_chars() >= data.min_chars)
                       & ~pl.col("uid").is_in(held_uids)
                       & ~squash(key_col).is_in(held_keys))
        .unique("text", keep="first", maintain_order=True)
        .select("uid", "text")
    )
    val = (splits["val"].filter(pl.col("text").is_not_null()
                                & (pl.col("text").str.len_chars() >= data.min_chars))
           .unique("text", keep="first", maintain_order=True).select("uid", "text"))
    return {"train": train, "val": val}, source


def build_data(
    data_dir: Path, recipe: Recipe, *, progress: bool = True, out_dir: Path | None = None
) -> DataSummary:
    """Build the SFT and CPT datasets of ``recipe`` from ``DIR/curated/splits``.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    recipe
        The validated recipe (its ``data`` section shapes the examples).
    progress
        Show progress bars.
    out_dir
        Override the output folder (default ``DIR/training/data/<recipe>/``).

    Returns
    -------
    DataSummary
        Rows written per split and rows skipped per reason.
    """
    lay = Layout(data_dir)
    frames, split_manifest = read_splits(data_dir)
    out = out_dir or lay.training_data(recipe.name)
    dropped: Counter[str] = Counter()
    notes: list[str] = []
    ads = {s: usable_ads(frames[s], recipe.data.min_chars, dropped) for s in SPLITS}
    if ads["train"].height == 0:
        msg = f"{lay.split('train')}: no usable ads (is_ad == 'Ad' with text and vertical)"
        raise DataContractError(msg)
    idf, pool = brief_sources(ads["train"])
    spec = prompt_spec_of(recipe)
    outputs: dict[str, dict[str, Any]] = {}
    sft_rows = {}
    for split in SPLITS:
        frame = ads[split]
        if split == "train" and recipe.data.max_train_examples is not None:
            frame = frame.sort("date", "uid").tail(recipe.data.max_train_examples)
        examples = build_examples(frame, split, recipe=recipe, pool=pool, idf=idf,
                                  spec=spec, progress=progress)
        path = out / "sft" / f"{split}.parquet"
        write_parquet_atomic(path, examples)
        sft_rows[split] = examples.height
        outputs[f"sft/{split}.parquet"] = {"rows": examples.height, "sha256": sha256_file(path)}
    cpt, cleaned_source = build_cpt(data_dir, recipe, frames, notes)
    cpt_rows = {}
    for split, frame in cpt.items():
        path = out / "cpt" / f"{split}.parquet"
        write_parquet_atomic(path, frame)
        cpt_rows[split] = frame.height
        outputs[f"cpt/{split}.parquet"] = {"rows": frame.height, "sha256": sha256_file(path)}
    spec_path = save_prompt_spec(spec, out)
    outputs[PROMPT_SPEC_FILE] = {"sha256": sha256_file(spec_path)}
    split_manifest_sha256 = sha256_file(lay.splits_manifest)
    inputs = [InputFile(path=recorded_path(lay.splits_manifest), sha256=split_manifest_sha256,
                        role="split-manifest")]
    inputs += [InputFile(path=recorded_path(lay.split(s)), sha256=sha256_file(lay.split(s)), role="split")
               for s in SPLITS]
    if cleaned_source:
        inputs.append(InputFile(**cleaned_source, role="cleaned"))
    manifest = SftDataManifest(
        **envelope("training-data"), inputs=inputs,
        outputs={k: OutputFile(**v) for k, v in outputs.items()},
        config=recipe.data.model_dump(mode="json"),
        recipe=recipe.name,
        fingerprint=recipe.fingerprint(),
        split_manifest=recorded_path(lay.splits_manifest),
        split_manifest_sha256=split_manifest_sha256,
        label_snapshot=split_manifest.label_snapshot,
        prompt_spec_sha256=spec.sha256(),
        dropped=dict(dropped),
        notes=notes,
    )
    write_manifest(out / MANIFEST, manifest)
    return DataSummary(out, sft_rows, cpt_rows, dict(dropped), notes)


def ensure_data(data_dir: Path, recipe: Recipe, *, progress: bool = True) -> tuple[Path, bool]:
    """Build the datasets unless current ones exist (same recipe data fields, splits, prompt).

    Returns
    -------
    (Path, bool)
        The data folder and whether it was (re)built now.
    """
    lay = Layout(data_dir)
    out = lay.training_data(recipe.name)
    if (out / MANIFEST).exists() and lay.splits_manifest.exists():
        try:
            manifest = read_manifest(out / MANIFEST, SftDataManifest)
        except DataContractError:
            manifest = None  # built by an older version: build again
        if (manifest is not None and manifest.fingerprint == recipe.fingerprint()
                and manifest.split_manifest_sha256 == sha256_file(lay.splits_manifest)
                # The template file may be edited without a recipe change: compare its text too.
                and (out / PROMPT_SPEC_FILE).exists()
                and _same_prompt(load_prompt_spec(out), prompt_spec_of(recipe))):
            return out, False
    build_data(data_dir, recipe, progress=progress)
    return out, True


def _same_prompt(built: PromptSpec, wanted: PromptSpec) -> bool:
    """Equal specs, wherever their template file lives.

    Every run reads its own copy of the templates (``runs/<id>/templates/``): the data another
    run built from identical text is current, not stale.
    """
    return (built.model_copy(update={"template_path": ""})
            == wanted.model_copy(update={"template_path": ""}))


def load_split(data_out: Path, objective: str, split: str, limit: int | None = None) -> list[dict]:
    """Rows of a built dataset as dicts (``messages`` for SFT, ``text`` for CPT)."""
    path = data_out / objective / f"{split}.parquet"
    column = "messages" if objective == "sft" else "text"
    frame = read_parquet_checked(path, (column,), "run `workbench train build-data` first")
    if limit is not None:
        frame = frame.head(limit)
    return frame.select(column).to_dicts()
