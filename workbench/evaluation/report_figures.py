"""The report's figures: PNG plots made with matplotlib (Agg), one function per plot."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl


@dataclass
class Figure:
    """A PNG plot."""

    name: str
    caption: str
    png: bytes

    def data_uri(self) -> str:
        """``data:image/png;base64,...``."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def automatic_win_rates(scores: pl.DataFrame, task: str, metric: str, systems: list[str],
                        higher_is_better: bool) -> np.ndarray:
    """Share of items on which the row system beats the column system (ties count half)."""
    part = scores.filter((pl.col("task") == task) & (pl.col("metric") == metric))
    wide = part.pivot(on="system", index="item_id", values="value")
    k = len(systems)
    out = np.full((k, k), np.nan)
    for i, s in enumerate(systems):
        for j, t in enumerate(systems):
            if i == j or s not in wide.columns or t not in wide.columns:
                continue
            x = wide[s].to_numpy().astype(float)
            y = wide[t].to_numpy().astype(float)
            ok = np.isfinite(x) & np.isfinite(y)
            if not ok.any():
                continue
            diff = (x[ok] - y[ok]) * (1 if higher_is_better else -1)
            out[i, j] = float(np.mean((diff > 0) + 0.5 * (diff == 0)))
    return out


# --- Plots ---------------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # Fallback fonts (only installed ones: matplotlib warns for every missing family on every
    # label): system names or labels in Ge'ez render instead of boxes.
    installed = {f.name for f in font_manager.fontManager.ttflist}
    wanted = ["DejaVu Sans", "Abyssinica SIL", "Noto Sans Ethiopic", "Noto Serif Ethiopic"]
    plt.rcParams["font.family"] = [f for f in wanted if f in installed] or ["sans-serif"]
    plt.rcParams["svg.fonttype"] = "none"
    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def metric_bars(summary: pl.DataFrame, task: str, systems: list[str]) -> bytes | None:
    """One panel per metric: each system's mean with its 95% CI as error bars."""
    plt = _pyplot()
    part = summary.filter(pl.col("task") == task)
    metrics = [m for m in dict.fromkeys(part["metric"].to_list())
               if part.filter((pl.col("metric") == m) & pl.col("mean").is_finite()).height]
    if not metrics:
        return None
    cols = min(4, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax, metric in zip(axes.ravel(), metrics, strict=False):
        m = part.filter(pl.col("metric") == metric)
        vals = {r["system"]: r for r in m.iter_rows(named=True)}
        xs = np.arange(len(systems))
        mean = np.array([vals.get(s, {}).get("mean", np.nan) for s in systems], dtype=float)
        low = np.array([vals.get(s, {}).get("ci_low", np.nan) for s in systems], dtype=float)
        high = np.array([vals.get(s, {}).get("ci_high", np.nan) for s in systems], dtype=float)
        err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
        ax.bar(xs, np.nan_to_num(mean), yerr=err, capsize=3,
               color=[colors(i % 10) for i in range(len(systems))])
        direction = next(iter(m["higher_is_better"].to_list()), None)
        arrow = " ↑" if direction is True else " ↓" if direction is False else ""
        ax.set_title(metric + arrow, fontsize=10)
        ax.set_xticks(xs, systems, rotation=30, ha="right", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
    for ax in axes.ravel()[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"{task}: mean per item with 95% bootstrap CI", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def win_matrix(names: list[str], matrix: np.ndarray, title: str) -> bytes:
    """Heatmap of win rates (row beats column)."""
    plt = _pyplot()
    k = len(names)
    fig, ax = plt.subplots(figsize=(1.1 * k + 2.2, 0.9 * k + 1.6))
    im = ax.imshow(np.ma.masked_invalid(matrix), vmin=0, vmax=1, cmap="RdYlGn")
    ax.set_xticks(range(k), names, rotation=30, ha="right")
    ax.set_yticks(range(k), names)
    for i in range(k):
        for j in range(k):
            if math.isfinite(matrix[i, j]):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=9)
    ax.set_xlabel("loses")
    ax.set_ylabel("wins")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return _png(fig)


def loss_curves(runs: dict[str, list[dict[str, Any]]]) -> bytes | None:
    """Training (solid) and validation (dashed, dots) loss of each run against the step."""
    runs = {k: v for k, v in runs.items() if any("loss" in r or "eval_loss" in r for r in v)}
    if not runs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    colors = plt.get_cmap("tab10")
    for i, (run_id, records) in enumerate(sorted(runs.items())):
        train = sorted((r["step"], r["loss"]) for r in records
                       if "loss" in r and "eval_loss" not in r and "step" in r)
        evals = sorted((r["step"], r["eval_loss"]) for r in records
                       if "eval_loss" in r and "step" in r)
        if train:
            ax.plot(*zip(*train, strict=True), color=colors(i % 10), label=f"{run_id} train")
        if evals:
            ax.plot(*zip(*evals, strict=True), color=colors(i % 10), linestyle="--", marker="o",
                    markersize=3, label=f"{run_id} val")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    ax.set_title("Training and validation loss", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def bt_plot(rows: list[dict[str, Any]]) -> bytes | None:
    """Bradley-Terry ratings with their bootstrap intervals."""
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(rows) + 1.2))
    ys = np.arange(len(rows))[::-1]
    ratings = np.array([r["rating"] for r in rows])
    err = np.vstack([ratings - np.array([r["rating_low"] for r in rows]),
                     np.array([r["rating_high"] for r in rows]) - ratings])
    ax.errorbar(ratings, ys, xerr=err, fmt="o", capsize=4, color="#1f6f5c")
    ax.set_yticks(ys, [r["system"] for r in rows])
    ax.axvline(1000, color="#999", linewidth=0.8)
    ax.set_xlabel("Bradley-Terry rating (Elo scale), 95% bootstrap CI")
    fig.tight_layout()
    return _png(fig)


def run_records(data_dir: Path, lineage: dict[str, dict[str, Any]]) -> dict[str, list[dict]]:
    """metrics.jsonl of every evaluated run (all runs under ``DIR/runs`` when none was)."""
    from workbench.core.errors import UnreadableFileError
    from workbench.core.layout import Layout
    from workbench.core.runs import METRICS_FILE, list_runs, read_metrics

    # The recorded folder is as typed when the evaluation ran (maybe relative to another
    # working folder); the run is then found in this data dir by its id.
    dirs = {facts["run_id"]: (Path(facts["run_dir"]) if Path(facts["run_dir"]).is_dir()
                              else Layout(data_dir).run(facts["run_id"]))
            for facts in lineage.values() if facts.get("run_id") and facts.get("run_dir")}
    if not dirs:
        dirs = {run.run_id: run.folder for run in list_runs(data_dir)
                if (run.folder / METRICS_FILE).exists()}
    out = {}
    for run_id, run_dir in dirs.items():
        try:
            out[run_id] = read_metrics(run_dir / METRICS_FILE)
        except (OSError, UnreadableFileError):
            continue  # a run whose log is corrupt is left out of the loss figure
    return out


def history_plot(points: list[dict[str, Any]], metric: str) -> bytes | None:
    """The champion's ranking metric per evaluation over time, with its interval."""
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    xs = np.arange(len(points))
    mean = np.array([p["mean"] for p in points], dtype=float)
    err = np.vstack([np.nan_to_num(mean - np.array([p["ci_low"] for p in points], dtype=float)),
                     np.nan_to_num(np.array([p["ci_high"] for p in points], dtype=float) - mean)])
    ax.errorbar(xs, mean, yerr=err, fmt="-o", capsize=4, color="#1f6f5c")
    for x, p in zip(xs, points, strict=True):
        ax.annotate(p["champion"], (x, p["mean"]), textcoords="offset points", xytext=(0, 8),
                    ha="center", fontsize=7)
    ax.set_xticks(xs, [p["date"] for p in points], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.set_title(f"Champion's {metric} per evaluation (95% bootstrap CI)", fontsize=10)
    fig.tight_layout()
    return _png(fig)
