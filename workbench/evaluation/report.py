"""``workbench report``: the leaderboard of an evaluation as one self-contained HTML page + Markdown.

``reports/leaderboard.html`` opens offline: CSS inline, plots inline as base64 PNGs, no script,
no font or CDN download; Ethiopic text asks for locally installed fonts (Abyssinica SIL, Noto
Sans Ethiopic, Nyala, Ebrima, Kefa). ``reports/leaderboard.md`` has the same tables, with the
plots beside it in ``reports/leaderboard_files/``.

Sections: systems ranked per task on the headline metric with 95% bootstrap intervals and every
other metric; paired bootstrap tests against the leader; human ratings (Likert means with
intervals, Bradley-Terry strengths with intervals, Krippendorff's alpha) when ratings were
pulled; plots (metric bars with error bars, win-rate matrix, training loss curves of each run);
example generations side by side; the lineage of every system.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.core.io import write_bytes_atomic, write_text_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import EvalManifest, read_manifest
from workbench.evaluation.run import find_eval

ETHIOPIC_FONTS = ('"Abyssinica SIL", "Noto Sans Ethiopic", "Noto Serif Ethiopic", "Nyala", '
                  '"Ebrima", "Kefa", "Geez Unicode", "Noto Color Emoji", "Apple Color Emoji", '
                  '"Segoe UI Emoji"')
CRITERIA = ("fluency", "relevance", "catchiness", "amharic")
CRITERIA_LABELS = {"fluency": "fluency", "relevance": "relevance to the brief",
                   "catchiness": "catchiness", "amharic": "Amharic correctness"}

CSS = """
:root { --ink: #1d2430; --muted: #5b6675; --line: #d9dee5; --accent: #1f6f5c; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; color: var(--ink);
       font: 15px/1.5 system-ui, "DejaVu Sans", "Segoe UI", Roboto, Arial, ETHIOPIC, sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 8px;
     border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 16px; margin: 22px 0 6px; }
.meta { color: var(--muted); font-size: 13px; } .meta code { font-size: 12px; }
.note { background: var(--soft); border-left: 4px solid var(--accent); padding: 8px 12px; margin: 10px 0;
        font-size: 14px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .ci { color: var(--muted); font-size: 12px; } tr.top td { background: #eef7f3; }
.best { font-weight: 700; } .sig { color: var(--accent); font-weight: 600; }
figure { margin: 10px 0 18px; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; }
.am { font-family: ETHIOPIC, serif; font-size: 16px; line-height: 1.6; white-space: pre-wrap; }
.examples { display: grid; gap: 10px; margin-bottom: 22px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: #fff; }
.card h4 { margin: 0 0 4px; font-size: 13px; color: var(--muted); font-weight: 600; }
.card.ref { background: #fbfaf4; } .brief { background: var(--soft); }
.lineage td:first-child { white-space: nowrap; color: var(--muted); }
.lineage code { font-size: 12px; word-break: break-all; }
""".replace("ETHIOPIC", ETHIOPIC_FONTS)


@dataclass
class Figure:
    """A PNG plot."""

    name: str
    caption: str
    png: bytes

    def data_uri(self) -> str:
        """``data:image/png;base64,...``."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class ReportResult:
    """What was written."""

    html: Path
    markdown: Path
    eval_id: str
    figures: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One-line summary."""
        return f"leaderboard of {self.eval_id}: {self.html} (and {self.markdown.name})"


# --- Loading -------------------------------------------------------------------------------------


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

    @property
    def headline(self) -> str:
        """The ranking metric."""
        return str(self.summary_json.get("headline") or "chrf")


def load_eval(eval_dir: Path) -> EvalData:
    """Read an evaluation folder (ratings only when pulled)."""
    ratings_path = eval_dir / "ratings.parquet"
    return EvalData(
        eval_dir=eval_dir,
        summary_json=json.loads((eval_dir / "summary.json").read_text(encoding="utf-8")),
        manifest=read_manifest(eval_dir / MANIFEST, EvalManifest),
        summary=pl.read_parquet(eval_dir / "summary.parquet"),
        paired=pl.read_parquet(eval_dir / "paired.parquet"),
        scores=pl.read_parquet(eval_dir / "scores.parquet"),
        generations=pl.read_parquet(eval_dir / "generations.parquet"),
        items=pl.read_parquet(eval_dir / "items.parquet"),
        ratings=pl.read_parquet(ratings_path) if ratings_path.exists() else None,
    )


# --- Numbers -------------------------------------------------------------------------------------


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _num(x: Any, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if _finite(x) else "—"


def _digits(metric: str, value: Any) -> int:
    return 3 if _finite(value) and abs(value) < 10 and metric not in ("length",) else 1


@dataclass
class HumanResults:
    """Human-rating tables and the vote lists."""

    likert: pl.DataFrame
    bt: list[dict[str, Any]]
    agreement: pl.DataFrame
    votes: tuple[list[str], list[str], list[str]]


def human_results(ratings: pl.DataFrame, systems: list[str], seed: int = 0) -> HumanResults:
    """Likert means with bootstrap CIs, Bradley-Terry strengths with CIs, agreement."""
    from workbench.evaluation.agreement import latest, likert_agreement, pairwise_agreement
    from workbench.evaluation.bootstrap import bootstrap_ci
    from workbench.evaluation.bradley_terry import bootstrap_bradley_terry

    likert = latest(ratings.filter(pl.col("kind") == "likert"))
    rows = []
    for system in systems:
        for criterion in CRITERIA:
            values = likert.filter((pl.col("system") == system)
                                   & (pl.col("criterion") == criterion))["score"].to_numpy()
            ci = bootstrap_ci(values, n_resamples=1000, seed=seed)
            rows.append({"system": system, "criterion": criterion, "mean": ci.mean,
                         "ci_low": ci.low, "ci_high": ci.high, "n": ci.n})
    votes = latest(ratings.filter(pl.col("kind") == "pairwise"))
    a = votes["left_system"].to_list()
    b = votes["right_system"].to_list()
    outcome = [{"left": "a", "right": "b"}.get(o, "tie") for o in votes["outcome"].to_list()]
    names = [s for s in systems if s in set(a) | set(b)]
    bt = (bootstrap_bradley_terry(a, b, outcome, systems=names, n_resamples=500, seed=seed).rows()
          if a else [])
    agreement = pl.concat([likert_agreement(ratings), pairwise_agreement(ratings)])
    return HumanResults(pl.DataFrame(rows), bt, agreement, (a, b, outcome))


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
    from workbench.core.runs import METRICS_FILE, list_runs, read_metrics

    dirs = {facts["run_id"]: Path(facts["run_dir"]) for facts in lineage.values()
            if facts.get("run_id") and facts.get("run_dir")}
    if not dirs:
        dirs = {run.run_id: run.folder for run in list_runs(data_dir)
                if (run.folder / METRICS_FILE).exists()}
    out = {}
    for run_id, run_dir in dirs.items():
        try:
            out[run_id] = read_metrics(run_dir / METRICS_FILE)
        except (OSError, ValueError):
            continue
    return out


# --- HTML ----------------------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _cell(metric: str, row: dict[str, Any] | None, best: bool) -> str:
    if row is None or not _finite(row.get("mean")):
        return '<td class="num">—</td>'
    d = _digits(metric, row["mean"])
    ci = f'<br><span class="ci">[{_num(row["ci_low"], d)}, {_num(row["ci_high"], d)}]</span>'
    cls = ' class="num best"' if best else ' class="num"'
    return f"<td{cls}>{_num(row['mean'], d)}{ci}</td>"


def leaderboard_table(data: EvalData, task: str) -> tuple[str, list[list[str]]]:
    """HTML table and Markdown rows of one task (systems ranked by the headline metric)."""
    part = data.summary.filter(pl.col("task") == task)
    metrics = list(dict.fromkeys(part["metric"].to_list()))
    head = data.headline if data.headline in metrics else metrics[0]
    by = {(r["system"], r["metric"]): r for r in part.iter_rows(named=True)}
    systems = data.systems
    order = sorted(systems, key=lambda s: (by.get((s, head), {}).get("rank") or 10**6,
                                           systems.index(s)))
    best: dict[str, str] = {}
    for m in metrics:
        ranked = [r for r in part.filter(pl.col("metric") == m).iter_rows(named=True)
                  if r["rank"] == 1]
        if ranked:
            best[m] = ranked[0]["system"]
    arrows = {m: (" ↑" if by.get((order[0], m), {}).get("higher_is_better") is True else
                  " ↓" if by.get((order[0], m), {}).get("higher_is_better") is False else "")
              for m in metrics}
    cols = [head, *[m for m in metrics if m != head]]
    th = "".join(f"<th>{_e(m)}{arrows[m]}</th>" for m in cols)
    rows_html, md_rows = [], []
    for rank, system in enumerate(order, start=1):
        cells = "".join(_cell(m, by.get((system, m)), best.get(m) == system) for m in cols)
        top = ' class="top"' if rank == 1 else ""
        rows_html.append(f'<tr{top} data-system="{_e(system)}"><td class="num">{rank}</td>'
                         f"<td>{_e(system)}</td>{cells}</tr>")
        md = [str(rank), system]
        for m in cols:
            r = by.get((system, m))
            if r is None or not _finite(r["mean"]):
                md.append("—")
            else:
                d = _digits(m, r["mean"])
                md.append(f"{_num(r['mean'], d)} [{_num(r['ci_low'], d)}, {_num(r['ci_high'], d)}]")
        md_rows.append(md)
    table = (f'<table id="leaderboard-{_e(task)}" class="leaderboard"><thead><tr><th>#</th>'
             f"<th>system</th>{th}</tr></thead><tbody>{''.join(rows_html)}</tbody></table>")
    return table, [["#", "system", *[m + arrows[m] for m in cols]], *md_rows]


def paired_table(data: EvalData, task: str) -> tuple[str, list[list[str]]]:
    """Paired bootstrap tests of the leader against every other system, on every metric."""
    part = data.paired.filter(pl.col("task") == task)
    head = data.summary.filter((pl.col("task") == task) & (pl.col("metric") == data.headline)
                               & (pl.col("rank") == 1))
    if part.height == 0 or head.height == 0:
        return "", []
    leader = head["system"][0]
    rows = part.filter((pl.col("system_a") == leader) | (pl.col("system_b") == leader))
    rows = rows.filter(pl.col("delta").is_finite())
    html_rows, md_rows = [], []
    for r in rows.iter_rows(named=True):
        sign = 1.0 if r["system_a"] == leader else -1.0
        other = r["system_b"] if r["system_a"] == leader else r["system_a"]
        lo, hi = sorted((sign * r["ci_low"], sign * r["ci_high"]))
        d = _digits(r["metric"], r["delta"])
        sig = _finite(r["p_value"]) and r["p_value"] < 0.05 and (lo > 0 or hi < 0)
        p = _num(r["p_value"], 3)
        html_rows.append(f"<tr><td>{_e(r['metric'])}</td><td>{_e(other)}</td>"
                         f'<td class="num">{_num(sign * r["delta"], d)}</td>'
                         f'<td class="num">[{_num(lo, d)}, {_num(hi, d)}]</td>'
                         f'<td class="num{" sig" if sig else ""}">{p}</td><td class="num">{r["n"]}</td></tr>')
        md_rows.append([r["metric"], other, _num(sign * r["delta"], d), f"[{_num(lo, d)}, {_num(hi, d)}]",
                        p + (" *" if sig else ""), str(r["n"])])
    table = (f'<table class="paired"><thead><tr><th>metric</th><th>{_e(leader)} vs</th>'
             "<th>Δ (leader − other)</th><th>95% CI</th><th>p</th><th>items</th></tr></thead>"
             f"<tbody>{''.join(html_rows)}</tbody></table>")
    return table, [["metric", f"{leader} vs", "Δ", "95% CI", "p", "items"], *md_rows]


def _md_table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    esc = [[c.replace("|", "\\|").replace("\n", " ") for c in row] for row in rows]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(esc[0])]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines) + "\n"


def example_blocks(data: EvalData, n: int) -> tuple[str, str]:
    """Side-by-side generations for the first ``n`` items of each task (HTML, Markdown)."""
    from workbench.evaluation.rating_guide import human_brief

    html_parts, md_parts = [], []
    gens = data.generations.filter(pl.col("sample") == 0)
    systems = data.systems
    for task in dict.fromkeys(data.items["task"].to_list()):
        items = data.items.filter(pl.col("task") == task).sort("item_id").head(n)
        html_parts.append(f"<h3>{_e(task)}</h3>")
        md_parts.append(f"### {task}\n")
        for item in items.iter_rows(named=True):
            texts = {r["system"]: r["text"] for r in
                     gens.filter(pl.col("item_id") == item["item_id"]).iter_rows(named=True)}
            if task == "brief_to_ad":
                given = human_brief(json.loads(item["brief"] or "{}"))
                given_title, ref_title = "brief", "real ad (reference)"
            else:
                given, given_title, ref_title = item["prompt"], "first half", "real second half"
            cards = [f'<div class="card brief"><h4>{given_title} · {_e(item["uid"])}</h4>'
                     f'<div class="am" lang="am">{_e(given)}</div></div>',
                     f'<div class="card ref"><h4>{ref_title}</h4>'
                     f'<div class="am" lang="am">{_e(item["reference"])}</div></div>']
            cards += [f'<div class="card" data-system="{_e(s)}"><h4>{_e(s)}</h4>'
                      f'<div class="am" lang="am">{_e(texts.get(s, ""))}</div></div>'
                      for s in systems]
            cols = min(len(cards), 3)
            html_parts.append(f'<div class="examples" style="grid-template-columns: '
                              f'repeat({cols}, 1fr)">{"".join(cards)}</div>')
            md_parts.append(f"**{item['uid']}** — {given_title}:\n\n```\n{given}\n```\n\n"
                            f"{ref_title}:\n\n```\n{item['reference']}\n```\n")
            md_parts += [f"{s}:\n\n```\n{texts.get(s, '')}\n```\n" for s in systems]
    return "\n".join(html_parts), "\n".join(md_parts)


LINEAGE_KEYS = ("kind", "ref", "run_id", "recipe", "run_status", "base_model", "base_model_path",
                "model_dir", "adapter_dir", "split_manifest_sha256", "label_snapshot",
                "run_manifest_sha256", "weights", "model_config_sha256", "global_step",
                "best_eval_loss", "run_git_commit", "method", "train_rows", "train_sha256")


def lineage_blocks(data: EvalData) -> tuple[str, str]:
    """One table per system: where it came from (HTML, Markdown)."""
    systems = data.manifest.systems
    html_parts, md_parts = [], []
    for name in data.systems:
        facts = systems.get(name, {})
        rows = [(k, facts[k]) for k in LINEAGE_KEYS if facts.get(k) not in (None, "", {})]
        body = "".join(f"<tr><td>{_e(k)}</td><td><code>{_e(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)}</code></td></tr>"
                       for k, v in rows)
        html_parts.append(f'<h3>{_e(name)}</h3><table class="lineage">{body}</table>')
        md_parts.append(f"### {name}\n\n" + _md_table(
            [["field", "value"], *[[k, json.dumps(v) if isinstance(v, dict) else str(v)]
                                   for k, v in rows]]))
    return "\n".join(html_parts), "\n".join(md_parts)


def build_report(data_dir: Path, *, eval_id: str | None = None, out_dir: Path | None = None,
                 examples: int = 3) -> ReportResult:
    """Write ``leaderboard.html`` and ``leaderboard.md`` for an evaluation.

    Parameters
    ----------
    data_dir
        Root of the stage folders (``DIR/eval``, ``DIR/runs``).
    eval_id
        Evaluation to report (default: the newest finished one).
    out_dir
        Output folder (created; default ``DIR/reports``).
    examples
        Items shown side by side per task.

    Returns
    -------
    ReportResult
        Paths written.
    """
    data = load_eval(find_eval(data_dir, eval_id))
    eval_id = data.eval_dir.name
    systems = data.systems
    tasks = list(dict.fromkeys(data.summary["task"].to_list()))
    figures: list[Figure] = []
    html_sections: list[str] = []
    md_sections: list[str] = []
    # Leaderboards.
    for task in tasks:
        table, md_rows = leaderboard_table(data, task)
        paired, paired_md = paired_table(data, task)
        n_items = (data.summary_json.get("items") or {}).get(task, "?")
        html_sections.append(f"<h2>{_e(task)}</h2><p class='meta'>{n_items} items; ranked by "
                             f"<b>{_e(data.headline)}</b>; each cell: mean per item and its 95% "
                             "bootstrap interval; bold: best.</p>" + table)
        md_sections.append(f"## {task}\n\n{n_items} items, ranked by {data.headline} "
                           "(mean [95% bootstrap CI]).\n\n" + _md_table(md_rows))
        if paired:
            html_sections.append("<h3>Paired bootstrap tests against the leader</h3>"
                                 "<p class='meta'>Same items resampled for both systems; "
                                 "green p: the interval excludes 0 and p &lt; 0.05.</p>" + paired)
            md_sections.append("### Paired bootstrap tests against the leader\n\n"
                               + _md_table(paired_md))
        png = metric_bars(data.summary, task, systems)
        if png:
            fig = Figure(f"metrics-{task}", f"{task}: every metric, mean with 95% CI", png)
            figures.append(fig)
            html_sections.append(_figure_html(fig))
            md_sections.append(_figure_md(fig))
    # Human ratings.
    html_sections.append("<h2>Human ratings</h2>")
    md_sections.append("## Human ratings\n")
    human = None
    if data.ratings is not None and data.ratings.height:
        human = human_results(data.ratings, systems)
        html_sections.append(_likert_html(human.likert))
        md_sections.append(_md_table(_likert_md(human.likert)))
        if human.bt:
            bt_rows = [["#", "system", "rating [95% CI]", "θ"]] + [
                [str(r["rank"]), str(r["system"]),
                 f"{r['rating']:.0f} [{r['rating_low']:.0f}, {r['rating_high']:.0f}]",
                 f"{r['theta']:.2f}"] for r in human.bt]
            html_sections.append("<h3>Bradley-Terry strengths (pairwise votes, ties: Davidson)"
                                 "</h3>" + _html_table(bt_rows, "bt"))
            md_sections.append("### Bradley-Terry strengths\n\n" + _md_table(bt_rows))
            png = bt_plot(human.bt)
            if png:
                fig = Figure("bradley-terry", "Bradley-Terry ratings, 95% bootstrap CI", png)
                figures.append(fig)
                html_sections.append(_figure_html(fig))
                md_sections.append(_figure_md(fig))
        agree_rows = [["criterion", "Krippendorff's α", "units (2+ raters)", "annotators", "level"]]
        agree_rows += [[r["criterion"], _num(r["alpha"], 3), str(r["units"]), str(r["annotators"]),
                        r["level"]] for r in human.agreement.iter_rows(named=True)]
        html_sections.append("<h3>Agreement</h3>" + _html_table(agree_rows, "agreement"))
        md_sections.append("### Agreement\n\n" + _md_table(agree_rows))
    else:
        pushed = (data.eval_dir / "ratings" / "push.json").exists()
        note = ("Rating projects are pushed but nobody has rated yet: rate in Label Studio, then "
                "<code>workbench eval rate pull</code>." if pushed else
                "No human ratings pulled yet: <code>workbench eval rate push</code>, rate in Label "
                "Studio, then <code>workbench eval rate pull</code>.")
        html_sections.append(f"<p class='note'>{note}</p>")
        md_sections.append(note.replace("<code>", "`").replace("</code>", "`") + "\n")
    # Win-rate matrix: human votes when there are any, else the headline metric per item.
    if human is not None and human.votes[0]:
        from workbench.evaluation.bradley_terry import win_rates

        names, matrix = win_rates(*human.votes, systems=[s for s in systems
                                                        if s in set(human.votes[0]) | set(human.votes[1])])
        title, caption = "Human pairwise win rate (row beats column)", "human votes"
    else:
        task = tasks[0]
        names = systems
        matrix = automatic_win_rates(data.scores, task, data.headline, systems, True)
        title = f"Win rate on {data.headline}, {task} (row beats column, per item)"
        caption = f"per-item {data.headline} (no human votes yet)"
    if len(names) >= 2:
        fig = Figure("win-rate", f"Win-rate matrix from {caption}", win_matrix(names, matrix, title))
        figures.append(fig)
        html_sections.append(_figure_html(fig))
        md_sections.append(_figure_md(fig))
    # Training.
    lineage = data.manifest.systems
    records = run_records(data_dir, lineage)
    html_sections.append("<h2>Training runs</h2>")
    md_sections.append("## Training runs\n")
    png = loss_curves(records)
    if png:
        fig = Figure("loss-curves", "Loss curves of each run (metrics.jsonl)", png)
        figures.append(fig)
        html_sections.append(_figure_html(fig))
        md_sections.append(_figure_md(fig))
    else:
        html_sections.append("<p class='note'>No training run with logged losses.</p>")
        md_sections.append("No training run with logged losses.\n")
    # Examples and lineage.
    ex_html, ex_md = example_blocks(data, examples)
    html_sections.append("<h2>Example generations</h2>" + ex_html)
    md_sections.append("## Example generations\n\n" + ex_md)
    lin_html, lin_md = lineage_blocks(data)
    html_sections.append("<h2>Lineage</h2>" + lin_html)
    md_sections.append("## Lineage\n\n" + lin_md)
    return _write(data, out_dir or Layout(data_dir).reports, figures, html_sections, md_sections,
                  eval_id)


def _html_table(rows: list[list[str]], cls: str) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _likert_html(likert: pl.DataFrame) -> str:
    by = {(r["system"], r["criterion"]): r for r in likert.iter_rows(named=True)}
    systems = list(dict.fromkeys(likert["system"].to_list()))
    head = "".join(f"<th>{CRITERIA_LABELS[c]}</th>" for c in CRITERIA)
    rows = []
    for s in systems:
        cells = "".join(_cell("likert", by.get((s, c)), best=False) for c in CRITERIA)
        n = max((by.get((s, c)) or {}).get("n", 0) for c in CRITERIA)
        rows.append(f'<tr data-system="{_e(s)}"><td>{_e(s)}</td>{cells}<td class="num">{n}</td></tr>')
    return ("<h3>Likert ratings (1-5, mean and 95% bootstrap CI)</h3>"
            f'<table class="likert"><thead><tr><th>system</th>{head}<th>ratings</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _likert_md(likert: pl.DataFrame) -> list[list[str]]:
    by = {(r["system"], r["criterion"]): r for r in likert.iter_rows(named=True)}
    out = [["system", *(CRITERIA_LABELS[c] for c in CRITERIA)]]
    for s in dict.fromkeys(likert["system"].to_list()):
        row = [s]
        for c in CRITERIA:
            r = by.get((s, c))
            row.append("—" if r is None or not _finite(r["mean"]) else
                       f"{r['mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]")
        out.append(row)
    return out


def _figure_html(fig: Figure) -> str:
    return (f'<figure id="fig-{_e(fig.name)}"><img alt="{_e(fig.caption)}" src="{fig.data_uri()}">'
            f"<figcaption>{_e(fig.caption)}</figcaption></figure>")


def _figure_md(fig: Figure) -> str:
    return f"![{fig.caption}](leaderboard_files/{fig.name}.png)\n"


def _write(data: EvalData, out_dir: Path, figures: list[Figure], html_sections: list[str],
           md_sections: list[str], eval_id: str) -> ReportResult:
    manifest = data.manifest
    versions = manifest.versions
    snapshot = manifest.label_snapshot
    meta = (f"evaluation <code>{_e(eval_id)}</code> · suite <b>{_e(data.summary_json.get('suite'))}"
            f"</b> · {_e(manifest.created_at)} · git <code>{_e((manifest.git_commit or '')[:10])}</code>"
            f" · label snapshot <code>{_e(snapshot.id)}</code> · split manifest "
            f"<code>{_e(manifest.split_manifest_sha256[:12])}</code>")
    notes = "".join(f"<p class='note'>{_e(n)}</p>" for n in data.summary_json.get("notes") or [])
    foot = " · ".join(f"{_e(k)} {_e(v)}" for k, v in sorted(versions.items()))
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Leaderboard · {_e(eval_id)}</title><style>{CSS}</style></head><body>"
        f"<h1>Amharic ad generation leaderboard</h1><p class='meta'>{meta}</p>"
        "<p class='note'>Automatic metrics compare each system's text with the real held-out ad "
        "(brief → ad) or the real second half (half-continuation). chrF is the headline: "
        "character n-grams credit Amharic's attached prefixes and suffixes, which word-level "
        "BLEU misses. Intervals are 95% percentile bootstrap intervals over items.</p>"
        f"{notes}{''.join(html_sections)}<p class='meta'>{foot}</p></body></html>\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "leaderboard.html"
    md_path = out_dir / "leaderboard.md"
    write_text_atomic(html_path, page)
    files = out_dir / "leaderboard_files"
    for fig in figures:
        write_bytes_atomic(files / f"{fig.name}.png", fig.png)
    md = (f"# Amharic ad generation leaderboard\n\nEvaluation `{eval_id}` · suite "
          f"`{data.summary_json.get('suite')}` · {manifest.created_at} · git "
          f"`{(manifest.git_commit or '')[:10]}` · label snapshot "
          f"`{snapshot.id}` · split manifest "
          f"`{manifest.split_manifest_sha256[:12]}`\n\n"
          + "".join(f"> {n}\n\n" for n in data.summary_json.get("notes") or [])
          + "\n".join(md_sections))
    write_text_atomic(md_path, md)
    # A report is for sharing: readable by others (atomic writes create private 0600 files).
    for path in [html_path, md_path, *files.glob("*.png")]:
        path.chmod(0o644)
    return ReportResult(html=html_path, markdown=md_path, eval_id=eval_id,
                        figures=[f.name for f in figures])
