"""What ``curate split`` produced: the split frames and the facts its manifest and card report.

Kept apart from :mod:`workbench.curation.split` so the dataset card
(:mod:`workbench.curation.card`) can read a result without importing the code that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.manifests import SplitsManifest
from workbench.core.settings.curation import SplitConfig
from workbench.curation.inputs import TaskSpec

SPLITS = ("train", "val", "test")


@dataclass
class SplitResult:
    """The splits and the facts the manifest and dataset card report."""

    frames: dict[str, pl.DataFrame]
    excluded: dict[str, int]
    tasks: list[TaskSpec]
    config: SplitConfig
    manifest: SplitsManifest | None = None
    out_dir: Path | None = None
    annotators: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """``{split: {task: {label: n}}}`` (multi-label: items per label; ``(none)`` when empty)."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for name, frame in self.frames.items():
            out[name] = {}
            for spec in self.tasks:
                col = frame.get_column(spec.name)
                if spec.kind == "multi":
                    values = col.drop_nulls().to_list()
                    labels = [lab for v in values for lab in (v or ["(none)"])]
                else:
                    labels = col.drop_nulls().to_list()
                out[name][spec.name] = dict(sorted(
                    {lab: labels.count(lab) for lab in set(labels)}.items()))
        return out

    def summary_lines(self) -> list[str]:
        """Split sizes, label shares, exclusions, where the files went."""
        sizes = ", ".join(f"{k} {v.height}" for k, v in self.frames.items())
        lines = [f"split ({self.config.by}): {sizes}"]
        root = next((t for t in self.tasks if t.when is None and t.kind == "single"), None)
        if root is not None:
            for name, counts in self.counts().items():
                c = counts[root.name]
                total = sum(c.values()) or 1
                shares = ", ".join(f"{k} {v / total:.0%}" for k, v in c.items())
                lines.append(f"  {name}: {shares or '(empty)'}")
        if self.excluded:
            lines.append("  excluded: " + ", ".join(f"{k} {v}" for k, v in self.excluded.items()))
        if self.out_dir is not None:
            lines.append(f"  wrote {', '.join(f'{s}.parquet' for s in SPLITS)}, manifest.json, "
                         f"DATASET_CARD.md to {self.out_dir}")
        return lines
