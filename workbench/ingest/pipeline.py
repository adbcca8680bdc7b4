"""``workbench ingest``: exports -> ``raw/`` -> ``parsed/`` -> ``cleaned/`` -> ``final/``.

Each export is read, parsed and staged one at a time (its bytes are dropped before the next is
read), so memory follows the largest file, not the total. Every output is built in the staging
area and committed at the end (:mod:`workbench.ingest.staging`): a broken input or a crash
writes nothing. Outputs are merged with what is already there (key ``uid``; the newest edit
wins), which makes re-running on the same or overlapping exports safe.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from tqdm.auto import tqdm

from workbench.core.config import CleaningConfig
from workbench.core.errors import InputFileError
from workbench.core.io import (
    atomic_path,
    read_parquet_checked,
    sha256_bytes,
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
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.parse import parse_export
from workbench.ingest.sources import ExportFile, ExportReader, discover
from workbench.ingest.staging import Staging

#: Quarantine reasons listed by name in the summary; the rest are counted together.
SHOWN_REASONS = 10


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
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    """This ingest's quarantined messages per reason, most frequent first."""

    def line(self) -> str:
        """The summary the CLI prints: one line, plus one per quarantine reason."""
        stages = Layout(self.data_dir)
        text = (
            f"ingested {self.files} file(s): {self.content_messages} content messages "
            f"({self.new_messages} new, {self.updated_messages} updated), "
            f"{self.service_skipped} service skipped, {self.quarantined} quarantined, "
            f"{self.duplicates_merged} duplicates merged; "
            f"{self.total_messages} messages in {stages.parsed_messages}"
        )
        if not self.quarantined:
            return text
        where = stages.quarantine.relative_to(stages.root).as_posix()
        lines = [text, f"{self.quarantined} message(s) quarantined in {where} "
                       f"(under {self.data_dir}), by reason:"]
        reasons = list(self.quarantine_reasons.items())
        lines += [f"  {count} x {reason}" for reason, count in reasons[:SHOWN_REASONS]]
        rest = reasons[SHOWN_REASONS:]
        if rest:
            lines.append(f"  {sum(c for _, c in rest)} x {len(rest)} other reason(s), "
                         f"see the file's 'reason' column")
        return "\n".join(lines)


@dataclass(frozen=True)
class StagedInput:
    """One export, parsed and staged: what the manifest and the summary need of it."""

    export: ExportFile
    sha256: str
    bytes: int
    content: int
    service: int
    quarantine_reasons: dict[str, int]


def stage_exports(
    files: Sequence[ExportFile], staging: Staging, limits: IngestConfig
) -> list[StagedInput]:
    """Read, parse and stage each export in turn, failing on the first broken file (naming it).

    Each file's messages and quarantine go to ``parts/`` and its raw copy to the staged
    ``raw/``; only one file's bytes are held at a time.
    """
    reader = ExportReader(limits)
    known_raw = staging.stages.raw
    staged = []
    bars = tqdm(files, desc="parse", unit="file", disable=bars_disabled(), leave=False)
    for i, export in enumerate(bars):
        data = reader.read(export)
        sha = sha256_bytes(data)
        parsed = parse_export(data, export.source, sha, limits)
        parsed.messages.write_parquet(staging.parts / f"{i:06d}.messages.parquet")
        parsed.quarantine.write_parquet(staging.parts / f"{i:06d}.quarantine.parquet")
        # The JSON is stored for zip members too, so every row's source_sha256 has its raw file.
        if not (known_raw / f"{sha}.json").exists():
            write_bytes_atomic(staging.out.raw / f"{sha}.json", data)
        reasons = Counter(parsed.quarantine.get_column("reason").to_list())
        staged.append(StagedInput(export, sha, len(data), parsed.messages.height,
                                  parsed.n_service, dict(reasons)))
    for zip_path in dict.fromkeys(f.container for f in files if f.container is not None):
        sha = sha256_file(zip_path)
        if not (known_raw / f"{sha}.zip").exists():
            staging.out.raw.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(zip_path, staging.out.raw / f"{sha}.zip")
    return staged


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


def run_ingest(
    paths: Sequence[Path], data_dir: Path, cleaning: CleaningConfig,
    limits: IngestConfig | None = None,
) -> IngestSummary:
    """Ingest exports into ``data_dir``.

    Parameters
    ----------
    paths
        Export files, folders and zips.
    data_dir
        Root of the stage folders.
    cleaning
        Cleaning options for ``cleaned/``.
    limits
        Input size limits (``ingest:`` in ``workbench.yaml``); the defaults when omitted.

    Returns
    -------
    IngestSummary
        What was read, kept, skipped, quarantined and merged.
    """
    if not paths:
        msg = "no input paths given"
        raise InputFileError(msg)
    stages = Layout(data_dir)
    files = discover(paths)
    created = not data_dir.exists()
    staging = Staging(stages)
    try:
        staging.start()
        try:
            summary = _ingest_staged(files, staging, cleaning, limits or IngestConfig())
        except BaseException:
            staging.discard()
            raise
        # Journaled: if this is interrupted, the next ingest completes it before anything else.
        staging.commit()
    except BaseException:
        if created and staging.locked:
            # A failed first ingest leaves no trace.
            stages.ingest_lock.unlink(missing_ok=True)
            staging.release()
            if not any(data_dir.iterdir()):
                data_dir.rmdir()
        staging.release()
        raise
    staging.release()
    return summary


def _ingest_staged(
    files: Sequence[ExportFile], staging: Staging, cleaning: CleaningConfig, limits: IngestConfig
) -> IngestSummary:
    from workbench.ingest.stats import build_final

    stages, out = staging.stages, staging.out
    staged = stage_exports(files, staging, limits)
    incoming = _read_parts(staging, "messages", PARSED_SCHEMA)
    new_quarantine = _read_parts(staging, "quarantine", QUARANTINE_SCHEMA)
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
    duplicates = existing.height + incoming.height - merged.height
    n_incoming = incoming.height
    del existing, incoming, old_quarantine

    _write_parsed(stages, out, merged, quarantine, staged)
    n_merged = merged.height
    del merged
    # Cleaning streams parsed -> cleaned in batches; the final tables read only their columns.
    _write_cleaned(out, cleaning)
    _write_final(out, build_final(pl.scan_parquet(out.cleaned_messages)))

    reasons: Counter[str] = Counter()
    for item in staged:
        reasons.update(item.quarantine_reasons)
    return IngestSummary(
        files=len(files),
        content_messages=n_incoming,
        service_skipped=sum(item.service for item in staged),
        quarantined=new_quarantine.height,
        duplicates_merged=duplicates,
        new_messages=n_new,
        updated_messages=updated,
        total_messages=n_merged,
        data_dir=stages.root,
        quarantine_reasons=dict(reasons.most_common()),
    )


#: What to do when a previous ingest's output cannot be read back.
REINGEST = "move it away and run `workbench ingest` again on all your exports"


def _read_parts(staging: Staging, kind: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    parts = sorted(staging.parts.glob(f"*.{kind}.parquet"))
    if not parts:
        return empty_frame(schema)
    return pl.read_parquet(parts).select(list(schema)).cast(schema)  # type: ignore[arg-type]


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


def _write_parsed(
    current: Layout, stages: Layout, merged: pl.DataFrame, quarantine: pl.DataFrame,
    staged: Sequence[StagedInput],
) -> None:
    """Write ``parsed/`` into ``stages`` (the staging), carrying ``current``'s manifest inputs."""
    previous_path = current.parsed / MANIFEST
    previous = (read_manifest(previous_path, ParsedManifest).inputs
                if previous_path.exists() else [])
    inputs = {i.sha256: i for i in previous}
    for item in staged:
        inputs[item.sha256] = InputFile(path=item.export.source, sha256=item.sha256,
                                        bytes=item.bytes,
                                        raw=(stages.raw / f"{item.sha256}.json")
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


def _write_cleaned(stages: Layout, cleaning: CleaningConfig) -> None:
    """Stream ``stages``' parsed messages through the cleaning into its ``cleaned/``."""
    from workbench.ingest.clean import clean_lazy

    out, parsed_file = stages.cleaned_messages, stages.parsed_messages
    with atomic_path(out) as tmp:
        clean_lazy(pl.scan_parquet(parsed_file), cleaning).sink_parquet(
            tmp, compression="zstd", compression_level=1, statistics=True)
    counts = pl.scan_parquet(out).select(
        rows=pl.len(), empty=pl.col("is_empty").sum()).collect()
    manifest = CleanedManifest(
        **envelope("cleaned"),
        inputs=[InputFile(path=parsed_file.relative_to(stages.root).as_posix(),
                          sha256=sha256_file(parsed_file))],
        outputs={out.name: OutputFile(rows=counts.item(0, "rows"), sha256=sha256_file(out),
                                      empty_texts=int(counts.item(0, "empty")))},
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
