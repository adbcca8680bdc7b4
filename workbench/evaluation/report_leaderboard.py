"""The copy-aware leaderboard of each task and the paired tests against its leader.

Systems are ranked by the suite's ranking metric (``chrf@checked``: a copy cannot win it), with
the plain headline metric, the check pass rate and novelty beside it; a system flagged
``mostly_copies`` carries a visible "copies" marker with its copy share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from workbench.evaluation.copy_aware import CHECK_PASS_RATE, NOVELTY
from workbench.evaluation.report_data import EvalData
from workbench.evaluation.report_figures import Figure
from workbench.evaluation.report_human import HumanResults
from workbench.evaluation.report_tables import (
    Cell,
    Section,
    Table,
    digits_for,
    esc,
    finite,
    note,
    num,
    pct,
    significant,
)


def _arrow(row: dict[str, Any] | None) -> str:
    direction = (row or {}).get("higher_is_better")
    return " ↑" if direction is True else " ↓" if direction is False else ""


def _value(metric: str, row: dict[str, Any] | None, *, best: bool = False,
           share: bool = False, digits: int | None = None) -> Cell:
    """Mean with its interval underneath (a share as a percentage)."""
    if row is None or not finite(row.get("mean")):
        return Cell("—", cls="num", sort=float("-inf"))
    if share:
        text, sub = pct(row["mean"]), f"[{pct(row['ci_low'])}, {pct(row['ci_high'])}]"
    else:
        d = digits if digits is not None else digits_for(metric, row["mean"])
        text, sub = num(row["mean"], d), f"[{num(row['ci_low'], d)}, {num(row['ci_high'], d)}]"
    return Cell(text, sub=sub, cls="num best" if best else "num", sort=row["mean"])


def ranked_metric(data: EvalData, task: str) -> str:
    """The metric that ranks a task: the ranking metric, else the headline, else the first."""
    metrics = list(dict.fromkeys(data.summary.filter(pl.col("task") == task)["metric"].to_list()))
    for candidate in (data.ranking, data.headline):
        if candidate in metrics:
            return candidate
    return metrics[0]


def ranked_systems(data: EvalData, task: str) -> list[str]:
    """Systems of a task, best first on :func:`ranked_metric` (unranked last, suite order)."""
    metric = ranked_metric(data, task)
    ranks = {r["system"]: r["rank"] for r in data.summary.filter(
        (pl.col("task") == task) & (pl.col("metric") == metric)).iter_rows(named=True)}
    systems = data.systems
    return sorted(systems, key=lambda s: (ranks.get(s) or 10**6, systems.index(s)))


def leaderboard_table(data: EvalData, task: str) -> Table:
    """One task's leaderboard (``#leaderboard-<task>``, one row per system, ``data-system``).

    Columns: rank, system, the ranking metric, the plain headline metric, checks passed,
    novelty, copies, then every other metric; each with its 95% bootstrap interval.
    """
    part = data.summary.filter(pl.col("task") == task)
    metrics = list(dict.fromkeys(part["metric"].to_list()))
    by = {(r["system"], r["metric"]): r for r in part.iter_rows(named=True)}
    rank_metric = ranked_metric(data, task)
    order = ranked_systems(data, task)
    best = {r["metric"]: r["system"] for r in part.filter(pl.col("rank") == 1).iter_rows(named=True)}
    front = [m for m in dict.fromkeys([rank_metric, data.headline]) if m in metrics]
    rest = [m for m in metrics if m not in (*front, CHECK_PASS_RATE, NOVELTY)]
    sample = {m: by.get((order[0], m)) for m in metrics}
    # One number of decimals per column, from its largest mean (0.000 beside 41.3 reads oddly).
    digits = {m: digits_for(m, max((abs(r["mean"]) for r in part.filter(pl.col("metric") == m)
                                    .iter_rows(named=True) if finite(r["mean"])), default=0.0))
              for m in metrics}
    header = ["#", "system", *[m + _arrow(sample[m]) for m in front]]
    if CHECK_PASS_RATE in metrics:
        header.append("checks passed ↑")
    if NOVELTY in metrics:
        header.append("novelty ↑")
    header.append("copies")
    header += [m + _arrow(sample[m]) for m in rest]
    table = Table(f"leaderboard-{task}", "leaderboard", header)
    for rank, system in enumerate(order, start=1):
        row = by.get((system, rank_metric)) or {}
        cells: list[Cell | str] = [Cell(str(rank), cls="num", sort=rank),
                                   Cell(system, sub=data.model_name(system), sort=system)]
        cells += [_value(m, by.get((system, m)), best=best.get(m) == system, digits=digits[m])
                  for m in front]
        if CHECK_PASS_RATE in metrics:
            cells.append(_value(CHECK_PASS_RATE, by.get((system, CHECK_PASS_RATE)), share=True))
        if NOVELTY in metrics:
            cells.append(_value(NOVELTY, by.get((system, NOVELTY)), digits=3))
        share = row.get("copy_share")
        cells.append(Cell(f"copies ({pct(share, 0)})", cls="copies", sort=share)
                     if row.get("mostly_copies") else
                     Cell(f"no ({pct(share, 0)})" if finite(share) else "—", sort=share or 0.0))
        cells += [_value(m, by.get((system, m)), best=best.get(m) == system, digits=digits[m])
                  for m in rest]
        table.add(cells, {"system": system, "copies": "1" if row.get("mostly_copies") else "0"},
                  cls="top" if rank == 1 else "")
    return table


def paired_table(data: EvalData, task: str) -> Table | None:
    """Paired bootstrap tests of the leader (on the ranking metric) against every other system.

    Each row carries its raw ``data-low``, ``data-high``, ``data-p`` and ``data-sig`` (the
    legend's rule), so a test can check the marks against the numbers.
    """
    part = data.paired.filter((pl.col("task") == task) & pl.col("delta").is_finite())
    if part.height == 0:
        return None
    leader = ranked_systems(data, task)[0]
    rows = part.filter((pl.col("system_a") == leader) | (pl.col("system_b") == leader))
    alpha = round(1.0 - data.confidence, 10)
    level = f"{100 * data.confidence:g}%"
    table = Table(f"paired-{task}", "paired",
                  ["metric", f"{leader} vs", "Δ (leader − other)", f"{level} CI", "p", "items"])
    for r in rows.iter_rows(named=True):
        sign = 1.0 if r["system_a"] == leader else -1.0
        other = r["system_b"] if r["system_a"] == leader else r["system_a"]
        low, high = sorted((sign * r["ci_low"], sign * r["ci_high"]))
        table.add(*significance_row(r["metric"], other, sign * r["delta"], low, high,
                                    r["p_value"], r["n"], alpha))
    return table


def significance_row(metric: str, label: str, delta: float, low: float, high: float, p: float,
                     n: int, alpha: float) -> tuple[list[Cell | str], dict[str, str]]:
    """Cells and attributes of a difference row, marked when the legend's rule holds."""
    d = digits_for(metric, delta)
    sig = significant(low, high, p, alpha)
    cells: list[Cell | str] = [
        metric, label, Cell(num(delta, d, sign=True), cls="num", sort=delta),
        Cell(f"[{num(low, d, sign=True)}, {num(high, d, sign=True)}]", cls="num", sort=low),
        Cell(num(p, 3), cls="num sig" if sig else "num", sort=p),
        Cell(str(n), cls="num", sort=n)]
    attrs = {"metric": metric, "low": repr(float(low)), "high": repr(float(high)),
             "p": repr(float(p)), "alpha": repr(alpha), "sig": "1" if sig else "0"}
    return cells, attrs


def leaderboard_section(data: EvalData, human: HumanResults | None) -> Section:
    """``#leaderboard``: per task the ranked table, paired tests and metric plots; win rates."""
    from workbench.evaluation.report_figures import automatic_win_rates, metric_bars, win_matrix

    html, md, figures = [], [], []
    level = f"{100 * data.confidence:g}%"
    for task in data.tasks:
        table = leaderboard_table(data, task)
        n_items = (data.summary_json.get("items") or {}).get(task, "?")
        rank_metric = ranked_metric(data, task)
        text = (f"{n_items} items; ranked by <b>{esc(rank_metric)}</b> (a copy cannot win it) "
                f"with plain <b>{esc(data.headline)}</b> beside it; each cell: mean per item and "
                f"its {level} bootstrap interval; bold: best; <b>copies</b>: most generations "
                "fail the copy check (share in brackets).")
        html += [f"<h3 id='task-{esc(task)}'>{esc(task)}</h3><p class='meta'>{text}</p>",
                 table.html()]
        md += [f"### {task}\n", f"{n_items} items, ranked by {rank_metric} (mean [{level} "
               f"bootstrap CI]); plain {data.headline} beside it.\n", table.markdown()]
        paired = paired_table(data, task)
        if paired is not None:
            alpha = round(1.0 - data.confidence, 10)
            html += [f"<h4>Paired bootstrap tests against the leader ({esc(task)})</h4>"
                     "<p class='meta'>Same items resampled for both systems; green p: the "
                     f"interval excludes 0 and p &lt; {alpha:g}.</p>", paired.html()]
            md += [f"#### Paired bootstrap tests against the leader ({task})\n",
                   f"`*`: the interval excludes 0 and p < {alpha:g}.\n", paired.markdown()]
        png = metric_bars(data.summary, task, data.systems)
        if png:
            figures.append(Figure(f"metrics-{task}", f"{task}: every metric, mean with {level} "
                                  "CI", png))
    # Win-rate matrix: human votes when there are any, else the ranking metric per item.
    if human is not None and human.votes[0]:
        from workbench.evaluation.bradley_terry import win_rates

        voted = set(human.votes[0]) | set(human.votes[1])
        names, matrix = win_rates(*human.votes, systems=[s for s in data.systems if s in voted])
        title, caption = "Human pairwise win rate (row beats column)", "human votes"
    else:
        task = data.tasks[0]
        metric = ranked_metric(data, task)
        names = data.systems
        matrix = automatic_win_rates(data.scores, task, metric, names, True)
        title = f"Win rate on {metric}, {task} (row beats column, per item)"
        caption = f"per-item {metric} (no human votes yet)"
    if len(names) >= 2:
        figures.append(Figure("win-rate", f"Win-rate matrix from {caption}",
                              win_matrix(names, matrix, title)))
    return Section("leaderboard", "Leaderboard", "\n".join(html), "\n".join(md), figures)


def training_section(data_dir: Path, data: EvalData) -> Section:
    """``#training``: loss curves of each evaluated run (every run when none was)."""
    from workbench.evaluation.report_figures import loss_curves, run_records

    png = loss_curves(run_records(data_dir, data.manifest.systems))
    if png is None:
        html, md = note("No training run with logged losses.")
        return Section("training", "Training runs", html, md)
    return Section("training", "Training runs", "", "",
                   [Figure("loss-curves", "Loss curves of each run (metrics.jsonl)", png)])
