"""Summary of an evaluation's scores: bootstrap intervals per system, paired tests per pair.

``summary.parquet`` holds one row per (task, system, metric) with its mean and interval;
``paired.parquet`` one row per (task, metric, pair of systems) with the paired difference, its
interval and p-value, both from :mod:`workbench.evaluation.bootstrap`'s one procedure.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import TYPE_CHECKING

import polars as pl

from workbench.evaluation.bootstrap import bootstrap_ci, paired_bootstrap

if TYPE_CHECKING:
    from workbench.evaluation.metrics import MetricDef
    from workbench.evaluation.suite import Suite

SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "task": pl.Utf8, "system": pl.Utf8, "metric": pl.Utf8, "mean": pl.Float64,
    "ci_low": pl.Float64, "ci_high": pl.Float64, "n": pl.Int64, "corpus": pl.Float64,
    "higher_is_better": pl.Boolean, "rank": pl.Int64,
    # Share of the system's generations of the task failing the copy check, and whether it
    # exceeds the suite's ranking.mostly_copies (same value on every metric row of the system).
    "copy_share": pl.Float64, "mostly_copies": pl.Boolean,
}
PAIRED_SCHEMA: dict[str, pl.DataType] = {
    "task": pl.Utf8, "metric": pl.Utf8, "system_a": pl.Utf8, "system_b": pl.Utf8,
    "delta": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "p_value": pl.Float64,
    "n": pl.Int64, "better": pl.Utf8,
}


def summarise(scores: pl.DataFrame, metrics: dict[str, dict[str, MetricDef]],
              corpus: dict[tuple[str, str, str], float], suite: Suite
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bootstrap CIs per (task, system, metric) and paired tests per (task, metric, pair).

    Parameters
    ----------
    scores
        ``scores.parquet`` rows.
    metrics
        task -> metric name -> definition (direction of "better").
    corpus
        (task, system, metric) -> corpus value.
    suite
        Seed and bootstrap settings.
    """
    boot = suite.bootstrap
    rows, paired = [], []
    for task, defs in metrics.items():
        for name, metric in defs.items():
            part = scores.filter((pl.col("task") == task) & (pl.col("metric") == name))
            systems = list(dict.fromkeys(part["system"].to_list()))
            wide = part.pivot(on="system", index="item_id", values="value").sort("item_id")
            stats = []
            for system in systems:
                ci = bootstrap_ci(wide[system].to_numpy(), n_resamples=boot.n_resamples,
                                  confidence=boot.confidence, seed=suite.seed)
                stats.append((system, ci))
            ranked = [s for s, ci in stats if math.isfinite(ci.mean)]
            if metric.higher_is_better is not None:
                means = {s: ci.mean for s, ci in stats}
                ranked.sort(key=lambda s: -means[s] if metric.higher_is_better else means[s])
            for system, ci in stats:
                rank = (ranked.index(system) + 1
                        if metric.higher_is_better is not None and system in ranked else None)
                rows.append({"task": task, "system": system, "metric": name, "mean": ci.mean,
                             "ci_low": ci.low, "ci_high": ci.high, "n": ci.n,
                             "corpus": corpus.get((task, system, name), math.nan),
                             "higher_is_better": metric.higher_is_better, "rank": rank})
            order = ranked + [s for s in systems if s not in ranked]
            for a, b in combinations(order, 2):
                res = paired_bootstrap(wide[a].to_numpy(), wide[b].to_numpy(),
                                       n_resamples=boot.n_resamples, confidence=boot.confidence,
                                       seed=suite.seed)
                better = None
                if metric.higher_is_better is not None and math.isfinite(res.delta) \
                        and res.delta != 0:
                    better = a if (res.delta > 0) == metric.higher_is_better else b
                paired.append({"task": task, "metric": name, "system_a": a, "system_b": b,
                               "delta": res.delta, "ci_low": res.low, "ci_high": res.high,
                               "p_value": res.p_value, "n": res.n, "better": better})
    return (pl.DataFrame(rows, schema=SUMMARY_SCHEMA),
            pl.DataFrame(paired, schema=PAIRED_SCHEMA))
