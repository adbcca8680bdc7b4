"""What the report reads: one evaluation folder, its compare, the champion record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.io import read_json_checked, read_parquet_checked
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import ChampionRecord, CompareResult, EvalManifest, read_manifest
from workbench.core.runs import model_display_name

#: The task the report leads with when the evaluation has it (the compare's too).
PREFERRED_TASK = "brief_to_ad"
#: Columns of ``summary.parquet`` every reader of it needs.
SUMMARY_COLUMNS = ("task", "system", "metric")


@dataclass
class EvalData:
    """Everything the report reads from one evaluation folder."""

    eval_dir: Path
    summary_json: dict[str, Any]
    manifest: EvalManifest
    summary: pl.DataFrame
    paired: pl.DataFrame
    scores: pl.DataFrame
    generations: pl.DataFrame
    items: pl.DataFrame
    ratings: pl.DataFrame | None

    @property
    def systems(self) -> list[str]:
        """Systems in suite order."""
        return list(self.summary_json.get("systems") or [])

    def model_name(self, system: str) -> str:
        """What a system is, as people read models: a trained run by its display name.

        The system's own name is the suite's label; a run's display name (recipe and training
        time, :func:`workbench.core.runs.model_display_name`) is what ``generate``, ``eval`` and
        the studio call the same model, so the report shows it beside the label.
        """
        run_id = self.manifest.run_ids.get(system)
        return model_display_name(f"run:{run_id}") if run_id else ""

    @property
    def headline(self) -> str:
        """The plain headline metric (shown beside the ranking metric)."""
        return str(self.summary_json.get("headline") or "chrf")

    @property
    def ranking(self) -> str:
        """The metric that ranks (``chrf@checked``; the headline for an older evaluation)."""
        return str(self.summary_json.get("ranking") or self.headline)

    @property
    def tasks(self) -> list[str]:
        """Tasks in suite order."""
        return list(dict.fromkeys(self.summary["task"].to_list()))

    @property
    def confidence(self) -> float:
        """Level of the evaluation's intervals (the suite's ``bootstrap.confidence``)."""
        boot = (self.manifest.config or {}).get("bootstrap") or {}
        return float(boot.get("confidence", 0.95))


#: What to do when a file of an evaluation folder cannot be read back.
EVAL_REMEDY = "restore the evaluation folder, or run `workbench eval run` again"


def load_eval(eval_dir: Path) -> EvalData:
    """Read an evaluation folder (ratings only when pulled).

    Raises
    ------
    DataContractError
        A file is absent, lacks a column, or is truncated or corrupt
        (:class:`~workbench.core.errors.UnreadableFileError`): one line naming it.
    """
    def table(name: str, columns: tuple[str, ...] = ()) -> pl.DataFrame:
        return read_parquet_checked(eval_dir / name, columns, remedy=EVAL_REMEDY)

    ratings_path = eval_dir / "ratings.parquet"
    return EvalData(
        eval_dir=eval_dir,
        summary_json=read_json_checked(eval_dir / "summary.json", remedy=EVAL_REMEDY),
        manifest=read_manifest(eval_dir / MANIFEST, EvalManifest),
        summary=table("summary.parquet", SUMMARY_COLUMNS),
        paired=table("paired.parquet"),
        scores=table("scores.parquet"),
        generations=table("generations.parquet"),
        items=table("items.parquet"),
        ratings=table("ratings.parquet") if ratings_path.exists() else None,
    )


def load_compare(data_dir: Path, eval_id: str) -> CompareResult | None:
    """``eval/<eval_id>/compare.json`` of ``workbench eval compare``, or None."""
    path = Layout(data_dir).compare(eval_id)
    return read_manifest(path, CompareResult) if path.exists() else None


def load_champions(data_dir: Path) -> ChampionRecord | None:
    """``eval/champion.json`` (every promotion), or None before the first."""
    path = Layout(data_dir).champion
    return read_manifest(path, ChampionRecord) if path.exists() else None


def system_for_ref(manifest: EvalManifest, systems: list[str], ref: str) -> str | None:
    """The evaluation's name for a system ref (``run:<id>``, ``base``, a baseline), or None."""
    if ref in systems:
        return ref
    for name in systems:
        facts = manifest.systems.get(name) or {}
        if facts.get("ref") == ref:
            return name
        if ref.startswith("run:") and manifest.run_ids.get(name) == ref.removeprefix("run:"):
            return name
    return None


def lead_task(tasks: list[str]) -> str | None:
    """The task the report leads with (brief -> ad when present)."""
    return PREFERRED_TASK if PREFERRED_TASK in tasks else (tasks[0] if tasks else None)
