"""A finished ``workbench eval run``: what it found, and its leaderboard as text lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.runs import model_display_name
from workbench.evaluation.copy_aware import CHECK_PASS_RATE, NOVELTY
from workbench.evaluation.report_tables import digits_for, finite, num, pct


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
        pass rate, novelty; a system flagged ``mostly_copies`` is marked ``COPIES``. Numbers
        are written as the report and the web app write them (decimals per column from its
        largest mean, :func:`~workbench.evaluation.report_tables.digits_for`; the pass rate as a
        percentage with one decimal; novelty with three; ``—`` where not measured), so one
        figure reads the same everywhere.
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
            rank_digits = _column_digits(self.ranking, part["mean"].to_list())
            plain_digits = _column_digits(headline, list(plain.values()))
            width = max(20, *(len(self.display_name(s)) for s in part["system"].to_list()))
            out.append(f"  {task} ({self.ranking}, 95% CI | {headline} | checks passed | "
                       "novelty):")
            for row in part.sort("rank", nulls_last=True).iter_rows(named=True):
                system = row["system"]
                mark = "  COPIES" if row["mostly_copies"] else ""
                shown = self.display_name(system)
                out.append(f"    {row['rank'] or '-'}. {shown:<{width}} "
                           f"{num(row['mean'], rank_digits)} [{num(row['ci_low'], rank_digits)}, "
                           f"{num(row['ci_high'], rank_digits)}]  "
                           f"{headline} {num(plain.get(system), plain_digits)}  "
                           f"passed {pct(passed.get(system))}  "
                           f"novelty {num(novelty.get(system), 3)}  n={row['n']}{mark}")
        out.extend(f"  note: {n}" for n in self.notes)
        out.append(f"  -> {self.out_dir}")
        return out

    def _means(self, task: str, metric: str) -> dict[str, float]:
        part = self.summary.filter((pl.col("task") == task) & (pl.col("metric") == metric))
        return dict(zip(part["system"].to_list(), part["mean"].to_list(), strict=True))


def _column_digits(metric: str, means: list[float | None]) -> int:
    """The report's decimals for a column: from its largest finite mean."""
    return digits_for(metric, max((abs(m) for m in means if finite(m)), default=0.0))
