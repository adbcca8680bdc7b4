"""The evaluation step of ``workbench demo``: evaluate, push ratings if possible, write the report.

Runs the ``demo`` suite on ``DIR/curated/splits``: the tiny fine-tuned run (the newest finished
run in ``DIR/runs``, when the training step made one), its untuned base, and the retrieval and
template baselines, then compares the tiny run (challenger) against the base (champion) with the
suite's gate and prints the verdict (a random-initialised tiny model is not expected to win; the
demo exits 0 whatever the verdict). When a Label Studio of this data dir is running (credentials present and the
server answering), the rating projects are pushed too. The samples' curated test split is tiny
(a handful of seed labels): when it holds fewer than ``DEMO_MIN_ADS`` ads, the half-continuation
task also takes its non-ad texts, so the demo still shows every stage (brief -> ad is skipped
when there is no ad at all; the numbers are then a pipeline check, not a verdict). The
leaderboard goes to
``DIR/reports/leaderboard.html`` (and ``.md``), inside the data dir so a demo never writes into
the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError, ServiceError
from workbench.core.io import read_parquet_checked
from workbench.core.layout import Layout

if TYPE_CHECKING:
    from workbench.evaluation.suite import Suite

DEMO_SUITE = "demo"
DEMO_RATING_ITEMS = 8
DEMO_MIN_ADS = 4


def run_demo_step(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """Evaluate, maybe push ratings, write the leaderboard; return lines to print.

    Parameters
    ----------
    data_dir
        Root of the stage folders; ``curated/splits`` must exist (the curation step makes it).
    cfg
        Project config.

    Returns
    -------
    list of str
        What was evaluated, pushed and written, and where.
    """
    import polars as pl

    from workbench.evaluation.compare import display_names
    from workbench.evaluation.ratings import push_ratings, server_answers
    from workbench.evaluation.report import build_report
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    test_path = Layout(data_dir).split("test")
    if not test_path.exists():
        msg = f"{test_path}: not found; run the curation step (`workbench curate split`) first"
        raise DataContractError(msg)
    suite, path = load_suite(DEMO_SUITE)
    lines: list[str] = []
    test = read_parquet_checked(test_path, ("is_ad",), project=True)
    n_ads = test.filter(pl.col("is_ad") == "Ad").height
    if n_ads < DEMO_MIN_ADS:
        suite = suite.model_copy(update={
            "items": suite.items.model_copy(update={"ads_only": False})})
        lines.append(f"note: the test split holds {test.height} messages, {n_ads} of them ads: "
                     "half-continuation also uses the non-ads (a pipeline check, not a verdict)")
    logged: list[str] = []
    result = run_suite(suite, path, data_dir, cfg, log=logged.append)
    first, *rest = result.lines(suite.headline)
    lines += [f"eval: {first}", *rest]
    lines += _compare_lines(data_dir, result.eval_id, suite, result.systems, cfg)
    if server_answers(data_dir):
        try:
            task = max(result.items, key=lambda t: (result.items[t], t == "brief_to_ad"))
            pushed = push_ratings(data_dir, result.out_dir, task=task,
                                  n_items=DEMO_RATING_ITEMS, seed=suite.seed)
            lines.append(f"ratings: {pushed.line(display_names(data_dir, result.eval_id))}")
            lines.append(f"  next: rate in Label Studio, then `workbench eval rate pull "
                         f"--eval-id {result.eval_id} --data-dir {data_dir}`")
        except ServiceError as exc:
            lines.append(f"ratings: not pushed ({exc})")
    else:
        lines.append("ratings: no Label Studio answering for this data dir (start one with "
                     "`workbench label serve`, then `workbench eval rate push`)")
    report = build_report(data_dir, eval_id=result.eval_id)
    lines.append(f"report: {report.line()}")
    lines.append(f"  open {report.html}")
    return lines


def _compare_lines(data_dir: Path, eval_id: str, suite: Suite, evaluated: list[str],
                   cfg: ProjectConfig) -> list[str]:
    """The tiny run (challenger) against the model in use on the evaluation just made.

    A fresh demo has no model in use yet: the untuned base is promoted first, as a team would
    before its first fine-tuning run, so the compare and the report's history have a champion.
    """
    from workbench.evaluation.champion import promote, read_champion
    from workbench.evaluation.compare import compare_eval, display_names, result_lines

    by_ref = {e.ref: e.name for e in suite.system_entries() if e.name in evaluated}
    if "run:latest" not in by_ref or "base" not in by_ref:
        return ["compare: skipped (needs both the tiny run and the base model in the evaluation)"]
    lines = []
    record = read_champion(data_dir)
    if record is None:
        record = promote(data_dir, "base", cfg, note="demo: the untuned base is the model in use")
        lines.append(f"promote: base is the model in use -> {Layout(data_dir).champion}")
    champion = record.current
    if champion.ref != "base":
        return [*lines, f"compare: skipped (the model in use is {champion.ref}, not the base "
                        "this demo evaluated)"]
    try:
        result = compare_eval(data_dir, eval_id, by_ref["run:latest"], by_ref["base"],
                              champion_record=champion)
    except DataContractError as exc:  # the promoted base is no longer the one evaluated
        return [*lines, f"compare: skipped ({exc})"]
    first, *rest = result_lines(result, display_names(data_dir, result.eval_id))
    return [*lines, f"compare: {first}", *rest,
            f"  -> {Layout(data_dir).compare(result.eval_id)} (a gate for CI: `workbench eval "
            f"compare run:latest`, exit 0 when the challenger wins)"]
