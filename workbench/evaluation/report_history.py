"""History: the champion's ranking metric over every kept evaluation, and who held the title.

From ``eval/champion.json`` (every promotion, oldest first): the champion of a date is the last
system promoted at or before it. Each evaluation that scored the champion of its date gives one
point: the champion's ranking metric (mean and interval) on the lead task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.errors import DataContractError
from workbench.core.io import read_json_checked, read_parquet_checked
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import ChampionEntry, ChampionRecord, EvalManifest, read_manifest
from workbench.evaluation.champion import check_champion_base
from workbench.evaluation.report_data import (
    SUMMARY_COLUMNS,
    EvalData,
    lead_task,
    load_champions,
    system_for_ref,
)
from workbench.evaluation.report_figures import Figure, history_plot
from workbench.evaluation.report_tables import Cell, Section, Table, digits_for, esc, note, num


def champion_at(record: ChampionRecord, when: str) -> ChampionEntry | None:
    """The champion at an ISO time (the last promotion at or before it), or None."""
    held = [e for e in record.history if e.promoted_at <= when]
    return held[-1] if held else None


def history_points(data_dir: Path, record: ChampionRecord) -> list[dict[str, Any]]:
    """One point per evaluation (oldest first) that scored the champion of its date."""
    from workbench.evaluation.eval_dirs import list_evals

    points = []
    for eval_id in list_evals(data_dir):
        folder = Layout(data_dir).eval(eval_id)
        try:  # only the manifest and the summary: every kept evaluation is read
            manifest = read_manifest(folder / MANIFEST, EvalManifest)
            summary_json = read_json_checked(folder / "summary.json")
            summary = read_parquet_checked(folder / "summary.parquet", SUMMARY_COLUMNS)
        except DataContractError:
            continue  # an unreadable evaluation is no point of history (not the report's to fix)
        when = manifest.created_at
        entry = champion_at(record, when)
        task = lead_task(list(dict.fromkeys(summary["task"].to_list())))
        if entry is None or task is None:
            continue
        system = system_for_ref(manifest, list(summary_json.get("systems") or []), entry.ref)
        if system is None:
            continue
        try:  # a 'base' champion is one folder: an evaluation of another base is no point
            check_champion_base(entry, (manifest.systems.get(system) or {}).get("model_dir"),
                                where=f"in evaluation {eval_id}")
        except DataContractError:
            continue
        metric = str(summary_json.get("ranking") or summary_json.get("headline") or "chrf")
        row = summary.filter((pl.col("task") == task) & (pl.col("system") == system)
                             & (pl.col("metric") == metric))
        if row.height == 0:
            continue
        r = row.row(0, named=True)
        points.append({"eval_id": eval_id, "date": when[:16].replace("T", " "), "when": when,
                       "champion": entry.ref, "system": system, "task": task,
                       "metric": metric, "mean": r["mean"], "ci_low": r["ci_low"],
                       "ci_high": r["ci_high"], "n": r["n"]})
    return sorted(points, key=lambda p: p["when"])


def history_section(data_dir: Path, data: EvalData) -> Section:
    """``#history``: a figure and a table of the champion's metric, and the title holders."""
    title = "History"
    record = load_champions(data_dir)
    if record is None:
        html, md = note("No champion promoted yet: <code>workbench eval promote RUN</code> marks "
                        "the model in use; every evaluation after that adds a point here.")
        return Section("history", title, html, md)
    html, md, figures = [], [], []
    points = history_points(data_dir, record)
    metric = data.ranking
    if points:
        png = history_plot(points, metric)
        if png:
            fig = Figure("champion-history", f"The champion's {metric} per evaluation", png)
            figures.append(fig)
        table = Table("history-points", "history",
                      ["evaluation", "date (UTC)", "champion", "task", f"{metric} [95% CI]",
                       "items"])
        for p in points:
            d = digits_for(metric, p["mean"])
            table.add([p["eval_id"], p["date"], p["champion"], p["task"],
                       Cell(num(p["mean"], d), sub=f"[{num(p['ci_low'], d)}, "
                            f"{num(p['ci_high'], d)}]", cls="num", sort=p["mean"]),
                       Cell(str(p["n"]), cls="num", sort=p["n"])],
                      {"eval": p["eval_id"], "champion": p["champion"]})
        html += [f"<h3>The champion's {esc(metric)} over time</h3>",
                 "<p class='meta'>One point per kept evaluation that scored the champion of its "
                 "date, on its lead task.</p>", table.html()]
        md += [f"### The champion's {metric} over time\n", table.markdown()]
    else:
        h, m = note("No kept evaluation scored the champion of its date yet.")
        html.append(h)
        md.append(m)
    holders = Table("title-holders", "holders", ["champion", "from (UTC)", "until", "promoted by",
                                                 "run manifest sha256", "note"])
    for i, e in enumerate(record.history):
        until = record.history[i + 1].promoted_at if i + 1 < len(record.history) else "in use"
        holders.add([e.ref, e.promoted_at, until, e.promoted_by,
                     (e.run_manifest_sha256 or "")[:12], e.note], {"ref": e.ref})
    html += ["<h3>Who held the title when</h3>", holders.html()]
    md += ["### Who held the title when\n", holders.markdown()]
    return Section("history", title, "\n".join(html), "\n".join(md), figures)
