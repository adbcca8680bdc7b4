"""A finished ``workbench eval run``: what it found, and its leaderboard as text lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.runs import model_display_name
from workbench.evaluation.copy_aware import CHECK_PASS_RATE, NOVELTY


@dataclass
class EvalResult:
    """A finished evaluation."""

    eval_id: str
    out_dir: Path
    summary: pl.DataFrame
    paired: pl.DataFrame
    systems: list[str]
    items: dict[str, int]
    notes: list[str] = field(default_factory=list)
    #: The metric that ranks (``<metric>@checked``).
    ranking: str = "chrf@checked"
    #: Run ids of the systems that are training runs (by system name).
    run_ids: dict[str, str] = field(default_factory=dict)

    def display_name(self, system: str) -> str:
        """A trained model by its run's display name, as ``generate`` names it; others as named."""
        run_id = self.run_ids.get(system)
        return model_display_name(f"run:{run_id}" if run_id else system)

    def lines(self, headline: str) -> list[str]:
        """Each task's leaderboard, ranked by the ranking metric, as text lines.

        Columns: the ranking metric with its 95% CI, the plain ``headline`` metric, the check
        pass rate, novelty; a system flagged ``mostly_copies`` is marked ``COPIES``.
        """
        out = [f"evaluation {self.eval_id}: {len(self.systems)} systems, items "
               + ", ".join(f"{t} {n}" for t, n in self.items.items())]
        for task in self.items:
            part = self.summary.filter((pl.col("task") == task)
                                       & (pl.col("metric") == self.ranking))
            if part.height == 0:
                continue
            plain = self._means(task, headline)
            passed = self._means(task, CHECK_PASS_RATE)
            novelty = self._means(task, NOVELTY)
            out.append(f"  {task} ({self.ranking}, 95% CI | {headline} | checks passed | "
                       "novelty):")
            for row in part.sort("rank", nulls_last=True).iter_rows(named=True):
                system = row["system"]
                mark = "  COPIES" if row["mostly_copies"] else ""
                shown = self.display_name(system)
                out.append(f"    {row['rank'] or '-'}. {shown:<20} {_fmt(row['mean'])} "
                           f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]  "
                           f"{headline} {_fmt(plain.get(system))}  "
                           f"passed {_pct(passed.get(system))}  "
                           f"novelty {_fmt(novelty.get(system))}  n={row['n']}{mark}")
        out.extend(f"  note: {n}" for n in self.notes)
        out.append(f"  -> {self.out_dir}")
        return out

    def _means(self, task: str, metric: str) -> dict[str, float]:
        part = self.summary.filter((pl.col("task") == task) & (pl.col("metric") == metric))
        return dict(zip(part["system"].to_list(), part["mean"].to_list(), strict=True))


def _fmt(value: float | None) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{100 * value:.0f}%"
