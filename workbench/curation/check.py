"""``workbench curate check``: prove that nothing crosses the train/val/test boundary.

Checks, each across splits: the same ``uid``; the same ``cluster_id``; the same exact ``text``
or ``text_norm`` (blank texts aside); and near-duplicates found afresh by MinHash over the split
files' own ``text_norm``, so a split whose ``cluster_id`` column was edited or built from other
clusters is still caught. Split files changed since ``curate split`` wrote them (hash differs from
the manifest) are reported as a warning. Any leak makes the command exit with code 1.

Examples
--------
>>> a = pl.DataFrame({"uid": ["1:1"], "cluster_id": ["1:1"], "text": ["ሰላም ዓለም"], "text_norm": ["ሰላም አለም"]})
>>> b = pl.DataFrame({"uid": ["1:2"], "cluster_id": ["1:2"], "text": ["ሰላም ዓለም"], "text_norm": ["ሰላም አለም"]})
>>> [leak.kind for leak in check_frames({"train": a, "test": b}).leaks]
['exact_text', 'exact_text_norm', 'near_duplicate']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked, sha256_file
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import SplitsManifest, read_manifest
from workbench.core.settings.curation import DedupConfig

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Leak:
    """One value found in more than one split."""

    kind: str
    key: str
    splits: tuple[str, ...]
    uids: tuple[str, ...]

    def line(self) -> str:
        """One report line."""
        shown = ", ".join(self.uids[:4]) + (" ..." if len(self.uids) > 4 else "")
        key = self.key if len(self.key) <= 40 else self.key[:37] + "..."
        return f"{self.kind} '{key}' in {'+'.join(self.splits)} (uids {shown})"


@dataclass
class CheckResult:
    """Leaks found, rows checked per split, and warnings."""

    leaks: list[Leak]
    sizes: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing crosses splits."""
        return not self.leaks

    def summary_lines(self, *, top: int = 10) -> list[str]:
        """The verdict, counts per kind of leak and the first ``top`` leaks."""
        sizes = ", ".join(f"{k} {v}" for k, v in self.sizes.items())
        lines = [f"check: {'OK, no leakage' if self.ok else 'LEAKAGE'} ({sizes})"]
        if self.leaks:
            kinds: dict[str, int] = {}
            for leak in self.leaks:
                kinds[leak.kind] = kinds.get(leak.kind, 0) + 1
            lines.append("  " + ", ".join(f"{v} {k}" for k, v in kinds.items()))
            lines += [f"  {leak.line()}" for leak in self.leaks[:top]]
            if len(self.leaks) > top:
                lines.append(f"  ... and {len(self.leaks) - top} more")
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines


def _crossing(frames: Mapping[str, pl.DataFrame], column: str, kind: str) -> list[Leak]:
    parts = [f.select(pl.col(column).cast(pl.Utf8).alias("key"), "uid").with_columns(
        split=pl.lit(name)) for name, f in frames.items() if column in f.columns]
    if not parts:
        return []
    both = pl.concat(parts).filter(pl.col("key").is_not_null()
                                   & (pl.col("key").str.strip_chars() != ""))
    crossing = (both.group_by("key")
                .agg(pl.col("split").unique().sort(), pl.col("uid").unique().sort())
                .filter(pl.col("split").list.len() > 1).sort("key"))
    return [Leak(kind, key, tuple(splits), tuple(uids)) for key, splits, uids in crossing.iter_rows()]


def _duplicated_uids(frames: Mapping[str, pl.DataFrame]) -> list[Leak]:
    leaks = []
    for name, frame in frames.items():
        dup = frame.filter(pl.col("uid").is_duplicated()).get_column("uid").unique().sort()
        leaks += [Leak("repeated_uid", uid, (name,), (uid,)) for uid in dup.to_list()]
    return leaks


def check_frames(
    frames: Mapping[str, pl.DataFrame], *, dedup: DedupConfig | None = None
) -> CheckResult:
    """Find everything that crosses splits.

    Parameters
    ----------
    frames
        Split name -> frame with ``uid`` (and ``cluster_id``, ``text``, ``text_norm`` when present).
    dedup
        Settings (method included) of the fresh near-duplicate pass (default: the project
        default).

    Returns
    -------
    CheckResult
        Leaks (empty when the splits are clean) and the rows per split.
    """
    from workbench.curation.dedup import cluster_with

    dedup = dedup or DedupConfig()
    leaks = _duplicated_uids(frames)
    leaks += _crossing(frames, "uid", "uid")
    leaks += _crossing(frames, "cluster_id", "cluster")
    leaks += _crossing(frames, "text", "exact_text")
    leaks += _crossing(frames, "text_norm", "exact_text_norm")
    parts = [f.select("uid", pl.col("text_norm").fill_null("")).with_columns(split=pl.lit(name))
             for name, f in frames.items() if "text_norm" in f.columns]
    if parts:
        both = pl.concat(parts)
        labels, _ = cluster_with(both.get_column("text_norm").to_list(), dedup)
        fresh = both.with_columns(group=pl.Series(labels).cast(pl.Utf8))
        leaks += _crossing({name: fresh.filter(pl.col("split") == name).select(
            "uid", pl.col("group")) for name in frames}, "group", "near_duplicate")
    return CheckResult(leaks, {name: f.height for name, f in frames.items()})


def run_check(data_dir: Path, *, splits_dir: Path | None = None, out: Path | None = None,
              dedup: DedupConfig | None = None) -> CheckResult:
    """Read ``splits/{train,val,test}.parquet`` and check them.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    splits_dir
        The folder with the split files (default ``out/splits``).
    out
        The curated folder (default ``data_dir/curated``).
    dedup
        Settings (method included) of the fresh near-duplicate pass.

    Returns
    -------
    CheckResult
        Leaks, sizes, and a warning per split file changed since the manifest was written.
    """
    lay = Layout(data_dir)
    folder = splits_dir or (lay.splits if out is None else out / lay.splits.name)
    present = [s for s in SPLITS if (folder / f"{s}.parquet").exists()]
    if not present:
        msg = f"{folder}: no train/val/test .parquet files; run `workbench curate split` first"
        raise DataContractError(msg)
    frames = {s: read_parquet_checked(folder / f"{s}.parquet", ["uid"]) for s in present}
    result = check_frames(frames, dedup=dedup)
    # A folder of user splits may have no manifest; one that has must be a splits manifest.
    outputs = (read_manifest(folder / MANIFEST, SplitsManifest).outputs
               if (folder / MANIFEST).exists() else {})
    for name in present:
        recorded = outputs[f"{name}.parquet"].sha256 if f"{name}.parquet" in outputs else None
        if recorded and recorded != sha256_file(folder / f"{name}.parquet"):
            result.warnings.append(f"{name}.parquet changed since `curate split` wrote it")
    return result
