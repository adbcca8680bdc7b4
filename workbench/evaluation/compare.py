"""``workbench eval compare CHALLENGER``: challenger vs champion on the same items, and a verdict.

Both systems (and the suite's baselines, for scale) are scored by one evaluation (a new one run
with :func:`~workbench.evaluation.run.run_suite`, or an existing one holding both). Per metric of
the headline task, the paired bootstrap gives the difference challenger - champion, its CI and
p-value from the same resampled differences (:mod:`workbench.evaluation.bootstrap`); the check
pass rates of both come from ``generations.parquet``'s ``checks_passed`` column when the
evaluation has it; the human win rate of challenger over champion (a tie counts half) comes from
the pulled pairwise votes, with a bootstrap CI over votes. The suite's ``gate`` decides: every
condition is reported with pass/fail and why, and ``wins`` is their conjunction. The result is
written to ``DIR/eval/<eval_id>/compare.json`` (:class:`CompareResult`) for the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from workbench.core.config import ProjectConfig, load_yaml_model
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.manifests import (
    ChampionEntry,
    CompareMetric,
    CompareResult,
    EvalManifest,
    GateCondition,
    HumanPreference,
    read_manifest,
    write_manifest,
)
from workbench.core.models import default_base
from workbench.core.runs import finished_run_dir, model_display_name
from workbench.evaluation.bootstrap import paired_bootstrap
from workbench.evaluation.champion import check_champion_base, current_champion
from workbench.evaluation.held_out import held_out_condition
from workbench.evaluation.report_data import EVAL_REMEDY, SUMMARY_COLUMNS
from workbench.evaluation.report_tables import digits_for
from workbench.evaluation.suite import GateConfig, Suite, SystemEntry, load_suite
from workbench.evaluation.systems import BASELINES

#: The generations column another stage fills with each candidate's check outcome.
CHECKS_COLUMN = "checks_passed"
#: The task compared when the evaluation has it (else the suite's first task with items).
PREFERRED_TASK = "brief_to_ad"


def pin_ref(data_dir: Path, ref: str) -> str:
    """``run:latest`` as ``run:<id>`` (so the evaluation names the run it scored)."""
    if ref == "run:latest":
        folder, _out = finished_run_dir(data_dir, "latest")
        return f"run:{folder.name}"
    return ref


def compare(data_dir: Path, cfg: ProjectConfig, challenger: str, *, against: str | None = None,
            suite_ref: str = "demo", eval_id: str | None = None,
            log: Callable[[str], None] | None = None) -> CompareResult:
    """Score challenger and champion on the same items and apply the suite's gate.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config.
    challenger
        A system ref (``run:<id>``, ``run:latest``, ``base``...) or, with ``eval_id``, a system
        of that evaluation.
    against
        The champion (default: the promoted one).
    suite_ref
        Suite whose items, metrics, baselines and gate are used (ignored with ``eval_id``: the
        evaluation's own suite is).
    eval_id
        Compare on this existing evaluation instead of running a new one.
    log
        Progress lines of the evaluation.

    Raises
    ------
    DataContractError
        No champion and no ``against``; a system missing from the evaluation.
    ConfigError
        Unknown system ref, challenger equal to champion.
    """
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.run import run_suite

    record: ChampionEntry | None = None
    if against is None:
        record = current_champion(data_dir)
        against = record.ref
        if eval_id is None and record.ref == "base":
            check_champion_base(record, default_base(data_dir, cfg.generation.base_model),
                                where="now")
    challenger, against = pin_ref(data_dir, challenger), pin_ref(data_dir, against)
    if eval_id is not None:
        return compare_eval(data_dir, find_eval(data_dir, eval_id).name, challenger, against,
                            champion_record=record)
    if challenger == against:
        why = (" (the promoted champion): train a new run to compare, or name another model "
               "with --against" if record is not None else "")
        msg = f"challenger and champion are the same system '{challenger}'{why}"
        raise ConfigError(msg)
    suite, path = load_suite(suite_ref)
    baselines = [e for e in suite.system_entries()
                 if e.ref in BASELINES and e.name not in (challenger, against)
                 and e.ref not in (challenger, against)]
    entries = [SystemEntry(name=challenger, ref=challenger),
               SystemEntry(name=against, ref=against), *baselines]
    result = run_suite(suite.model_copy(update={"systems": entries}), path, data_dir, cfg,
                       log=log)
    return compare_eval(data_dir, result.eval_id, challenger, against, champion_record=record)


def _system_name(eval_dir: Path, ref: str, systems: list[str]) -> str:
    """The evaluation's name for ``ref``: the name itself, or the system that scored the run."""
    if ref in systems:
        return ref
    if ref.startswith("run:"):
        manifest = read_manifest(eval_dir / "manifest.json", EvalManifest)
        run_id = ref.removeprefix("run:")
        for name, rid in manifest.run_ids.items():
            if rid == run_id and name in systems:
                return name
    msg = (f"system '{ref}' is not in evaluation {eval_dir.name} (systems: {', '.join(systems)}); "
           "run the compare without --eval-id to evaluate it")
    raise DataContractError(msg)


def compare_eval(data_dir: Path, eval_id: str, challenger: str, champion: str, *,
                 champion_record: ChampionEntry | None = None) -> CompareResult:
    """Compare two systems of one finished evaluation, apply its suite's gate, write compare.json.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    eval_id
        The evaluation (``DIR/eval/<eval_id>``).
    challenger, champion
        System names (or run refs) of that evaluation.
    champion_record
        The promoted champion, when it is the one compared against.
    """
    lay = Layout(data_dir)
    eval_dir = lay.eval(eval_id)
    suite = load_yaml_model(eval_dir / "suite.yaml", Suite)
    scores = read_parquet_checked(eval_dir / "scores.parquet", ("system", "task", "metric"),
                                  remedy=EVAL_REMEDY)
    systems = list(dict.fromkeys(scores["system"].to_list()))
    ch = _system_name(eval_dir, challenger, systems)
    cp = _system_name(eval_dir, champion, systems)
    systems_lineage = read_manifest(eval_dir / "manifest.json", EvalManifest).systems
    if champion_record is not None:
        check_champion_base(champion_record, (systems_lineage.get(cp) or {}).get("model_dir"),
                            where=f"in evaluation {eval_dir.name}")
    if ch == cp:
        msg = f"challenger and champion are the same system '{ch}'"
        raise ConfigError(msg)
    tasks = list(dict.fromkeys(scores["task"].to_list()))
    if not tasks:
        msg = f"evaluation {eval_dir.name} has no scores"
        raise DataContractError(msg)
    task = PREFERRED_TASK if PREFERRED_TASK in tasks else tasks[0]
    summary = read_parquet_checked(eval_dir / "summary.parquet", SUMMARY_COLUMNS,
                                   remedy=EVAL_REMEDY).filter(pl.col("task") == task)
    metrics = _paired_metrics(scores.filter(pl.col("task") == task), summary, ch, cp, suite)
    # For scale, the baselines only: another trained system of the evaluation is no baseline.
    baselines = {
        s: {r["metric"]: r["mean"] for r in summary.filter(pl.col("system") == s).iter_rows(
            named=True)}
        for s in systems if s not in (ch, cp)
        and (systems_lineage.get(s) or {}).get("kind") == "baseline"}
    checks = _check_pass_rates(eval_dir, task, [ch, cp])
    human = _human_preference(eval_dir, task, ch, cp, suite)
    gate = suite.gate
    gate_metric = gate.metric or suite.ranking_metric
    conditions = verdict(metrics, checks.get(ch), checks.get(cp), human, gate, gate_metric)
    held_out = held_out_condition(systems_lineage, ch, cp)
    if held_out is not None:
        conditions.append(held_out)
    result = CompareResult(
        eval_id=eval_dir.name, created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        task=task, confidence=suite.bootstrap.confidence, challenger=ch, champion=cp,
        champion_record=champion_record, gate_metric=gate_metric, metrics=metrics,
        baselines=baselines, check_pass_rate=checks, human=human,
        gate=gate.model_dump(mode="json"), conditions=conditions,
        wins=all(c.passed for c in conditions))
    write_manifest(lay.compare(eval_id), result)
    return result


def _paired_metrics(scores: pl.DataFrame, summary: pl.DataFrame, ch: str, cp: str,
                    suite: Suite) -> list[CompareMetric]:
    direction = {r["metric"]: r["higher_is_better"] for r in summary.iter_rows(named=True)}
    out = []
    for metric in dict.fromkeys(scores["metric"].to_list()):
        part = scores.filter(pl.col("metric") == metric)
        wide = part.pivot(on="system", index="item_id", values="value").sort("item_id")
        a = wide[ch].cast(pl.Float64).fill_null(math.nan).to_numpy()
        b = wide[cp].cast(pl.Float64).fill_null(math.nan).to_numpy()
        res = paired_bootstrap(a, b, n_resamples=suite.bootstrap.n_resamples,
                               confidence=suite.bootstrap.confidence, seed=suite.seed)
        both = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
        out.append(CompareMetric(
            metric=metric, higher_is_better=direction.get(metric),
            challenger=sum(x for x, _ in both) / len(both) if both else math.nan,
            champion=sum(y for _, y in both) / len(both) if both else math.nan,
            delta=res.delta, ci_low=res.low, ci_high=res.high, p_value=res.p_value, n=res.n))
    return out


def _check_pass_rates(eval_dir: Path, task: str, systems: list[str]) -> dict[str, float | None]:
    """Share of each system's candidates passing the checks (None: the column is absent)."""
    gens = read_parquet_checked(eval_dir / "generations.parquet", remedy=EVAL_REMEDY)
    if CHECKS_COLUMN not in gens.columns:
        return dict.fromkeys(systems)
    gens = gens.filter(pl.col("task") == task)
    rates: dict[str, float | None] = {}
    for system in systems:
        col = gens.filter(pl.col("system") == system)[CHECKS_COLUMN].drop_nulls()
        rates[system] = float(col.cast(pl.Float64).mean()) if col.len() else None
    return rates


def _human_preference(eval_dir: Path, task: str, ch: str, cp: str,
                      suite: Suite) -> HumanPreference | None:
    """Challenger's pairwise win rate over the champion (tie = half), with its Wilson interval.

    Each annotator's latest vote per task counts once, and the interval is the one the report
    and the web app show for win rates (:func:`~workbench.evaluation.bradley_terry.win_rate_intervals`).
    """
    from workbench.evaluation.bradley_terry import win_rate_intervals
    from workbench.evaluation.ratings_pull import rating_votes

    path = eval_dir / "ratings.parquet"
    if not path.exists():
        return None
    ratings = read_parquet_checked(path, remedy=EVAL_REMEDY).filter(
        (pl.col("task") == task)
        & (((pl.col("left_system") == ch) & (pl.col("right_system") == cp))
           | ((pl.col("left_system") == cp) & (pl.col("right_system") == ch))))
    systems_a, systems_b, outcomes = rating_votes(ratings)
    if not outcomes:
        return None
    rates = win_rate_intervals(systems_a, systems_b, outcomes, systems=[ch, cp],
                               confidence=suite.bootstrap.confidence)
    return HumanPreference(win_rate=float(rates.rate[0, 1]), ci_low=float(rates.low[0, 1]),
                           ci_high=float(rates.high[0, 1]), votes=int(rates.games[0, 1]))


def verdict(metrics: list[CompareMetric], challenger_checks: float | None,
            champion_checks: float | None, human: HumanPreference | None, gate: GateConfig,
            metric: str) -> list[GateCondition]:
    """The gate's conditions, each with pass/fail and why.

    Parameters
    ----------
    metrics
        The paired comparisons of the compared task.
    challenger_checks, champion_checks
        Check pass rates in [0, 1] (None: not measured).
    human
        Pairwise preference, if rated.
    gate
        The suite's rule.
    metric
        The metric the challenger must improve.

    Raises
    ------
    ConfigError
        The gate's metric is not scored on the compared task.
    """
    found = {m.metric: m for m in metrics}
    if metric not in found:
        msg = f"gate metric '{metric}' is not scored on this task (scored: {', '.join(found)})"
        raise ConfigError(msg)
    m = found[metric]
    lower_better = m.higher_is_better is False
    gain_low = -m.ci_high if lower_better else m.ci_low
    improved = math.isfinite(gain_low) and gain_low > gate.min_delta
    sense = " (lower is better: gain = champion - challenger)" if lower_better else ""
    conditions = [GateCondition(
        name=f"{metric} improves", passed=improved,
        detail=f"difference {m.delta:+.3f}, CI [{m.ci_low:+.3f}, {m.ci_high:+.3f}], p {m.p_value:.3f}, "
               f"n {m.n}: gain's CI lower bound {gain_low:+.3f} "
               f"{'>' if improved else 'is not >'} min_delta {gate.min_delta:g}{sense}")]
    if challenger_checks is None or champion_checks is None:
        conditions.append(GateCondition(
            name="check pass rate", passed=True,
            detail="not measured (the evaluation has no check column): no drop to count"))
    else:
        drop = 100.0 * (champion_checks - challenger_checks)
        ok = drop <= gate.max_check_drop_points
        change = (f"drop {drop:.1f} points {'<=' if ok else '>'} {gate.max_check_drop_points:g}"
                  if drop > 0 else f"no drop ({-drop:+.1f} points)")
        conditions.append(GateCondition(
            name="check pass rate", passed=ok,
            detail=f"challenger {100 * challenger_checks:.1f}% vs champion "
                   f"{100 * champion_checks:.1f}%: {change}"))
    if human is None:
        conditions.append(GateCondition(
            name="human win rate", passed=True,
            detail="no pairwise ratings between the two (not measured)"))
    else:
        ok = human.ci_high >= gate.min_human_win_rate
        conditions.append(GateCondition(
            name="human win rate", passed=ok,
            detail=f"{human.win_rate:.2f} CI [{human.ci_low:.2f}, {human.ci_high:.2f}] over "
                   f"{human.votes} votes: CI {'not wholly' if ok else 'wholly'} below "
                   f"{gate.min_human_win_rate:g}"))
    return conditions


def _num(value: float | None, fmt: str = ".3f") -> str:
    return "n/a" if value is None or not math.isfinite(value) else format(value, fmt)


def display_names(data_dir: Path, eval_id: str) -> dict[str, str]:
    """System name -> the name people read, for the training runs of an evaluation.

    A suite may name a run system as it likes (``tiny-run``); the text output names the model
    as ``generate`` does (:func:`workbench.core.runs.model_display_name`).
    """
    manifest = read_manifest(Layout(data_dir).eval(eval_id) / "manifest.json", EvalManifest)
    return {name: model_display_name(f"run:{run_id}")
            for name, run_id in manifest.run_ids.items()}


def result_lines(result: CompareResult, names: dict[str, str] | None = None) -> list[str]:
    """The comparison as text: per metric, checks, human preference, every condition, verdict.

    ``names`` maps system names to the names shown (:func:`display_names`).
    """
    names = names or {}
    ch, cp = (names.get(s) or model_display_name(s) for s in (result.challenger, result.champion))
    out = [f"compare {ch} (challenger) vs {cp} (champion) on {result.task}, "
           f"evaluation {result.eval_id}:",
           f"  {'metric':<16} {'challenger':>10} {'champion':>10} {'diff':>8} "
           f"{f'{100 * result.confidence:g}% CI':>19} {'p':>6}  n"]
    for m in result.metrics:
        # The difference's decimals as the report's compare table writes them.
        diff = f"+.{digits_for(m.metric, m.delta)}f"
        out.append(f"  {m.metric:<16} {_num(m.challenger):>10} {_num(m.champion):>10} "
                   f"{_num(m.delta, diff):>8} [{_num(m.ci_low, diff)}, "
                   f"{_num(m.ci_high, diff)}] {_num(m.p_value):>6}  {m.n}")
    if result.baselines:
        out.append(f"  baselines for scale ({result.gate_metric}): " + ", ".join(
            f"{name} {_num(means.get(result.gate_metric))}"
            for name, means in result.baselines.items()))
    rates = result.check_pass_rate
    if all(v is None for v in rates.values()):
        out.append("  check pass rate: not measured")
    else:
        out.append("  check pass rate: " + ", ".join(
            f"{names.get(s) or model_display_name(s)} "
            f"{'not measured' if v is None else f'{100 * v:.1f}%'}" for s, v in rates.items()))
    h = result.human
    out.append("  human win rate: no pairwise ratings" if h is None else
               f"  human win rate of {ch} over {cp}: {h.win_rate:.2f} "
               f"[{h.ci_low:.2f}, {h.ci_high:.2f}] ({h.votes} votes)")
    out.append("  gate:")
    out.extend(f"    [{'pass' if c.passed else 'FAIL'}] {c.name}: {c.detail}"
               for c in result.conditions)
    out.append("  verdict: " + ("challenger wins" if result.wins else "challenger does not win"))
    return out
