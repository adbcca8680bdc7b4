"""``workbench ingest``: exports -> ``raw/`` -> ``parsed/`` -> ``cleaned/`` -> ``final/``.

Each export is read, parsed and staged one at a time (its bytes are dropped before the next is
read); then each channel is merged, cleaned and counted on its own
(:mod:`workbench.ingest.channels`), so memory follows the largest file or channel, not the total. Every output is built in the staging
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

from tqdm.auto import tqdm

from workbench.core.config import CleaningConfig
from workbench.core.errors import InputFileError
from workbench.core.io import sha256_bytes, sha256_file, write_bytes_atomic, write_json_atomic
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
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.channels import MergeResult, merge_by_channel
from workbench.ingest.parse import parse_export
from workbench.ingest.quarantine import write_quarantine
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
    chats_skipped: dict[str, int] = field(default_factory=dict)
    """Private chats of full-account exports left out, per chat type."""
    polls: int = 0
    """Polls read, their question and answers kept as the message's text."""
    local_dates: int = 0
    """Messages without date_unixtime, their local date read in :attr:`export_timezone`."""
    export_timezone: str = ""
    """``ingest.export_timezone`` of this ingest."""

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
        if self.chats_skipped:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.chats_skipped.items()))
            text += (f"\nskipped {sum(self.chats_skipped.values())} private chat(s) of a "
                     f"full-account export ({kinds}): only channels and groups are ingested")
        if self.polls:
            text += (f"\n{self.polls} poll(s): the question and answers are the message's text "
                     f"(media_type 'poll')")
        if self.local_dates:
            text += (f"\n{self.local_dates} message(s) without date_unixtime (an older Telegram "
                     f"Desktop): their local date was read as {self.export_timezone} time "
                     f"(ingest.export_timezone in workbench.yaml)")
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
    channel_parts: dict[int, Path]
    """The staged messages of each channel of the export."""
    quarantine_part: Path
    """The staged quarantine of the export."""
    chats_skipped: dict[str, int] = field(default_factory=dict)
    """Private chats of a full-account export left out, per chat type."""
    polls: int = 0
    """Polls of the export (their question and answers kept as text)."""
    local_dates: int = 0
    """Messages of the export without date_unixtime (read in ``ingest.export_timezone``)."""


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
        # One part per channel: the merge reads only its batch of channels' parts.
        channel_parts = {}
        for j, ((cid,), rows) in enumerate(
                parsed.messages.partition_by("channel_id", as_dict=True).items()):
            part = staging.parts / f"{i:06d}-{j:04d}.messages.parquet"
            rows.write_parquet(part)
            channel_parts[int(cid)] = part  # type: ignore[call-overload]
        quarantine_part = staging.parts / f"{i:06d}.quarantine.parquet"
        parsed.quarantine.write_parquet(quarantine_part)
        # The JSON is stored for zip members too, so every row's source_sha256 has its raw file.
        if not (known_raw / f"{sha}.json").exists():
            write_bytes_atomic(staging.out.raw / f"{sha}.json", data)
        reasons = Counter(parsed.quarantine.get_column("reason").to_list())
        staged.append(StagedInput(export, sha, len(data), parsed.messages.height,
                                  parsed.n_service, dict(reasons), channel_parts,
                                  quarantine_part, parsed.chats_skipped, parsed.n_polls,
                                  parsed.n_local_dates))
    for zip_path in dict.fromkeys(f.container for f in files if f.container is not None):
        sha = sha256_file(zip_path)
        if not (known_raw / f"{sha}.zip").exists():
            staging.out.raw.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(zip_path, staging.out.raw / f"{sha}.zip")
    return staged


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
    stages, out = staging.stages, staging.out
    staged = stage_exports(files, staging, limits)
    quarantined = write_quarantine(stages.quarantine, out.quarantine,
                                   [(item.sha256, item.quarantine_part) for item in staged])
    parts: dict[int, list[Path]] = {}
    for item in staged:
        for cid, part in item.channel_parts.items():
            parts.setdefault(cid, []).append(part)
    # One channel at a time: parsed, cleaned and final are written as streams of channels.
    merged = merge_by_channel(stages, out, staging.root / "channels", parts, cleaning)
    _write_parsed(stages, out, merged, quarantined, staged, limits.export_timezone)
    _write_cleaned(out, cleaning, merged)
    _write_final(out, merged)

    reasons: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for item in staged:
        reasons.update(item.quarantine_reasons)
        skipped.update(item.chats_skipped)
    return IngestSummary(
        files=len(files),
        content_messages=merged.incoming,
        service_skipped=sum(item.service for item in staged),
        quarantined=sum(reasons.values()),
        duplicates_merged=merged.duplicates,
        new_messages=merged.new,
        updated_messages=merged.updated,
        total_messages=merged.total,
        data_dir=stages.root,
        quarantine_reasons=dict(reasons.most_common()),
        chats_skipped=dict(skipped),
        polls=sum(item.polls for item in staged),
        local_dates=sum(item.local_dates for item in staged),
        export_timezone=limits.export_timezone,
    )


def _write_parsed(
    current: Layout, stages: Layout, merged: MergeResult, quarantined: int,
    staged: Sequence[StagedInput], export_timezone: str,
) -> None:
    """Write ``parsed/``'s manifest into ``stages`` (the staging).

    The messages file is written by :func:`merge_by_channel` and the quarantine (``quarantined``
    rows) by :func:`write_quarantine`; ``current``'s manifest inputs (and the time zones their
    local dates were read in) are carried over.
    """
    previous_path = current.parsed / MANIFEST
    previous = read_manifest(previous_path, ParsedManifest) if previous_path.exists() else None
    inputs = {i.sha256: i for i in (previous.inputs if previous else [])}
    zones = dict(previous.local_time_zones) if previous else {}
    for item in staged:
        inputs[item.sha256] = InputFile(path=item.export.source, sha256=item.sha256,
                                        bytes=item.bytes,
                                        raw=(stages.raw / f"{item.sha256}.json")
                                        .relative_to(stages.root).as_posix())
        if item.local_dates:
            zones[item.sha256] = export_timezone
    manifest = ParsedManifest(
        **envelope("parsed"),
        inputs=sorted(inputs.values(), key=lambda i: i.path),
        outputs={
            stages.parsed_messages.name: OutputFile(
                rows=merged.total, sha256=sha256_file(stages.parsed_messages)),
            stages.quarantine.name: OutputFile(
                rows=quarantined, sha256=sha256_file(stages.quarantine)),
        },
        config={"export_timezone": export_timezone},
        channels=merged.channel_rows,
        local_time_zones=dict(sorted(zones.items())),
    )
    write_manifest(stages.parsed / MANIFEST, manifest)


def _write_cleaned(stages: Layout, cleaning: CleaningConfig, merged: MergeResult) -> None:
    """Write ``cleaned/``'s manifest (the messages are written by :func:`merge_by_channel`)."""
    out, parsed_file = stages.cleaned_messages, stages.parsed_messages
    manifest = CleanedManifest(
        **envelope("cleaned"),
        inputs=[InputFile(path=parsed_file.relative_to(stages.root).as_posix(),
                          sha256=sha256_file(parsed_file))],
        outputs={out.name: OutputFile(rows=merged.total, sha256=sha256_file(out),
                                      empty_texts=merged.empty_texts)},
        config=cleaning.model_dump(mode="json"),
    )
    write_manifest(stages.cleaned / MANIFEST, manifest)


def _write_final(stages: Layout, merged: MergeResult) -> None:
    """Write ``final/``'s manifest (the tables are written by :func:`merge_by_channel`)."""
    outputs = {name: {"rows": rows, "sha256": sha256_file(stages.final / name)}
               for name, rows in merged.final_rows.items()}
    manifest = build_manifest(
        "final",
        inputs=[{"path": stages.cleaned_messages.relative_to(stages.root).as_posix(),
                 "sha256": sha256_file(stages.cleaned_messages)}],
        outputs=outputs,
    )
    write_json_atomic(stages.final / "manifest.json", manifest)
