"""``workbench ingest``: exports -> ``raw/`` -> ``parsed/`` -> ``cleaned/`` -> ``final/``.

Everything is parsed and checked before anything is written, so a broken input writes nothing.
Outputs are merged with what is already there (key ``uid``; the newest edit wins), which makes
re-running on the same or overlapping exports safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from tqdm.auto import tqdm

from workbench.core.config import CleaningConfig
from workbench.core.errors import InputFileError
from workbench.core.io import (
    read_parquet_checked,
    sha256_file,
    write_bytes_atomic,
    write_json_atomic,
    write_parquet_atomic,
)
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    CleanedManifest,
    InputFile,
    OutputFile,
    ParsedManifest,
    build_manifest,
    envelope,
    read_manifest,
    write_manifest,
)
from workbench.core.progress import bars_disabled
from workbench.core.schemas import PARSED_SCHEMA, QUARANTINE_SCHEMA, empty_frame
from workbench.ingest.parse import ParsedExport, parse_export
from workbench.ingest.sources import ExportFile, discover


@dataclass
class IngestSummary:
    """Counts reported after an ingest."""

    files: int
    content_messages: int
    service_skipped: int
    quarantined: int
    duplicates_merged: int
    new_messages: int
    updated_messages: int
    total_messages: int
    data_dir: Path

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        return (
            f"ingested {self.files} file(s): {self.content_messages} content messages "
            f"({self.new_messages} new, {self.updated_messages} updated), "
            f"{self.service_skipped} service skipped, {self.quarantined} quarantined, "
            f"{self.duplicates_merged} duplicates merged; "
            f"{self.total_messages} messages in {Layout(self.data_dir).parsed_messages}"
        )


def parse_all(files: Sequence[ExportFile]) -> list[ParsedExport]:
    """Parse every export, failing on the first broken file (naming it) before any write."""
    results = []
    for export in tqdm(files, desc="parse", unit="file", disable=bars_disabled(), leave=False):
        results.append(parse_export(export.data, export.source, export.sha256))
    return results


def merge_messages(existing: pl.DataFrame, incoming: pl.DataFrame) -> pl.DataFrame:
    """Union on ``uid``; per uid the newest edit wins, and on a tie the incoming row.

    Returns the merged frame sorted by channel and message id (a stable, diffable order).
    """
    if existing.is_empty() and incoming.get_column("uid").is_unique().all():
        return incoming.sort(["channel_id", "message_id"])
    both = pl.concat(
        [
            existing.with_columns(pl.lit(0, pl.Int32).alias("_order")),
            incoming.with_row_index("_i").with_columns((pl.col("_i") + 1).cast(pl.Int32)
                                                       .alias("_order")).drop("_i"),
        ],
        how="vertical",
    )
    version = pl.coalesce("edited", "date")
    return (
        both.sort([version, "_order"], nulls_last=False)
        .unique(subset="uid", keep="last", maintain_order=False)
        .drop("_order")
        .sort(["channel_id", "message_id"])
    )


def run_ingest(paths: Sequence[Path], data_dir: Path, cleaning: CleaningConfig) -> IngestSummary:
    """Ingest exports into ``data_dir``.

    Parameters
    ----------
    paths
        Export files, folders and zips.
    data_dir
        Root of the stage folders.
    cleaning
        Cleaning options for ``cleaned/``.

    Returns
    -------
    IngestSummary
        What was read, kept, skipped and merged.
    """
    from workbench.ingest.clean import clean_messages
    from workbench.ingest.stats import build_final

    if not paths:
        msg = "no input paths given"
        raise InputFileError(msg)
    stages = Layout(data_dir)
    files = discover(paths)
    parsed = parse_all(files)

    incoming = pl.concat([p.messages for p in parsed], how="vertical") if parsed else empty_frame(
        PARSED_SCHEMA)
    new_quarantine = pl.concat([p.quarantine for p in parsed], how="vertical")
    existing = _read_or_empty(stages.parsed_messages, PARSED_SCHEMA)
    old_quarantine = _read_or_empty(stages.quarantine, QUARANTINE_SCHEMA)

    merged = merge_messages(existing, incoming)
    quarantine = (
        pl.concat([old_quarantine, new_quarantine], how="vertical")
        .unique(subset=["source_sha256", "index"], keep="last", maintain_order=True)
    )
    incoming_uids = incoming.get_column("uid").unique()
    seen = incoming_uids.is_in(existing.get_column("uid").implode())
    n_new = int((~seen).sum())
    updated = _count_updated(existing, merged, incoming_uids.filter(seen))

    cleaned = clean_messages(merged, cleaning)
    final_tables = build_final(cleaned)

    # Every input is valid: now write, raw copies first (content-addressed, never modified).
    _write_raw(stages.raw, files)
    _write_parsed(stages, merged, quarantine, files)
    _write_cleaned(stages, cleaned, cleaning)
    _write_final(stages, final_tables)

    return IngestSummary(
        files=len(files),
        content_messages=incoming.height,
        service_skipped=sum(p.n_service for p in parsed),
        quarantined=new_quarantine.height,
        duplicates_merged=existing.height + incoming.height - merged.height,
        new_messages=n_new,
        updated_messages=updated,
        total_messages=merged.height,
        data_dir=data_dir,
    )


#: What to do when a previous ingest's output cannot be read back.
REINGEST = "move it away and run `workbench ingest` again on all your exports"


def _read_or_empty(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not path.exists():
        return empty_frame(schema)
    return read_parquet_checked(path, hint=REINGEST, schema=schema, remedy=REINGEST)


def _count_updated(existing: pl.DataFrame, merged: pl.DataFrame, overlap: pl.Series) -> int:
    """How many already-known messages changed text or edit time in this ingest."""
    if overlap.is_empty():
        return 0
    cols = ["uid", "text", "edited"]
    before = existing.filter(pl.col("uid").is_in(overlap.implode())).select(cols)
    after = merged.filter(pl.col("uid").is_in(overlap.implode())).select(cols)
    joined = before.join(after, on="uid", suffix="_new")
    changed = joined.filter(
        (pl.col("text") != pl.col("text_new")) | pl.col("edited").ne_missing(pl.col("edited_new"))
    )
    return changed.height


def _write_raw(raw_dir: Path, files: Sequence[ExportFile]) -> None:
    containers: dict[Path, None] = {}
    for f in files:
        if f.container is not None:
            containers[f.container] = None
            continue
        dest = raw_dir / f"{f.sha256}.json"
        if not dest.exists():
            write_bytes_atomic(dest, f.data)
    for zip_path in containers:
        sha = sha256_file(zip_path)
        dest = raw_dir / f"{sha}.zip"
        if not dest.exists():
            write_bytes_atomic(dest, zip_path.read_bytes())
        # The JSON members are stored too, so every row's source_sha256 has its raw file.
        for f in files:
            if f.container == zip_path and not (raw_dir / f"{f.sha256}.json").exists():
                write_bytes_atomic(raw_dir / f"{f.sha256}.json", f.data)


def _write_parsed(
    stages: Layout, merged: pl.DataFrame, quarantine: pl.DataFrame, files: Sequence[ExportFile]
) -> None:
    previous_path = stages.parsed / MANIFEST
    previous = (read_manifest(previous_path, ParsedManifest).inputs
                if previous_path.exists() else [])
    inputs = {i.sha256: i for i in previous}
    for f in files:
        inputs[f.sha256] = InputFile(path=f.source, sha256=f.sha256, bytes=len(f.data),
                                     raw=(stages.raw / f"{f.sha256}.json")
                                     .relative_to(stages.root).as_posix())
    write_parquet_atomic(stages.parsed_messages, merged)
    write_parquet_atomic(stages.quarantine, quarantine)
    counts = merged.group_by("channel_id", "channel_name").len().sort("channel_id")
    manifest = ParsedManifest(
        **envelope("parsed"),
        inputs=sorted(inputs.values(), key=lambda i: i.path),
        outputs={
            stages.parsed_messages.name: OutputFile(
                rows=merged.height, sha256=sha256_file(stages.parsed_messages)),
            stages.quarantine.name: OutputFile(
                rows=quarantine.height, sha256=sha256_file(stages.quarantine)),
        },
        config={},
        channels=counts.to_dicts(),
    )
    write_manifest(stages.parsed / MANIFEST, manifest)


def _write_cleaned(stages: Layout, cleaned: pl.DataFrame, cleaning: CleaningConfig) -> None:
    out = stages.cleaned_messages
    write_parquet_atomic(out, cleaned)
    parsed_file = stages.parsed_messages
    manifest = CleanedManifest(
        **envelope("cleaned"),
        inputs=[InputFile(path=parsed_file.relative_to(stages.root).as_posix(),
                          sha256=sha256_file(parsed_file))],
        outputs={out.name: OutputFile(rows=cleaned.height, sha256=sha256_file(out),
                                      empty_texts=int(cleaned.get_column("is_empty").sum()))},
        config=cleaning.model_dump(mode="json"),
    )
    write_manifest(stages.cleaned / MANIFEST, manifest)


def _write_final(stages: Layout, tables: dict[str, pl.DataFrame]) -> None:
    outputs = {}
    for name, table in tables.items():
        path = stages.final / name
        write_parquet_atomic(path, table)
        outputs[name] = {"rows": table.height, "sha256": sha256_file(path)}
    manifest = build_manifest(
        "final",
        inputs=[{"path": stages.cleaned_messages.relative_to(stages.root).as_posix(),
                 "sha256": sha256_file(stages.cleaned_messages)}],
        outputs=outputs,
    )
    write_json_atomic(stages.final / "manifest.json", manifest)
