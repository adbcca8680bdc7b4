"""``workbench eval run|promote|compare|rate push|rate pull`` and ``workbench report``: thin wrappers.

Cheap to import (``workbench --help`` loads it): evaluate, torch, transformers and the Label
Studio SDK are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.core.cli_options import ConfigOption, DataDirOption, ProgressOption, resolve
from workbench.core.progress import progress_log, use_progress

eval_app = typer.Typer(
    help="Evaluate systems on held-out ads (suites in eval/suites), collect human ratings.",
    no_args_is_help=True,
)
rate_app = typer.Typer(
    help="Human ratings in Label Studio: Likert 1-5 and blind pairwise A/B.", no_args_is_help=True
)
eval_app.add_typer(rate_app, name="rate")

EvalIdOption = Annotated[
    str | None, typer.Option("--eval-id", help="Evaluation id under DIR/eval (default: newest).")
]


@eval_app.command("run")
def run_command(
    suite: Annotated[str, typer.Argument(help="Suite name under eval/suites (e.g. demo) or a path.")],
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many items per task (default: "
                     "all of them).")
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option("--system", help="Evaluate only this system of the suite (repeatable; "
                     "default: every system)."),
    ] = None,
    eval_id: Annotated[
        str | None, typer.Option("--eval-id", help="Output folder name (default: a new id).")
    ] = None,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Generate with every system of a suite, score, and write scores + CIs + lineage.

    Example: workbench eval run demo --data-dir data --limit 8
    """
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    log = progress_log(use_progress(progress))
    cfg, root = resolve(data_dir, config)
    parsed, path = load_suite(suite)
    result = run_suite(parsed, path, root, cfg, eval_id=eval_id, limit=limit, only=system,
                       log=log)
    for line in result.lines(parsed.headline):
        typer.echo(line)


@eval_app.command("promote")
def promote_command(
    run: Annotated[str, typer.Argument(
        help="System to mark as the model in use: run:<id>, run:latest, base, or another ref.")],
    note: Annotated[str, typer.Option("--note", help="Why, kept in the history.")] = "",
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Mark a model as the champion (the one in use), with its lineage; the history is kept.

    Example: workbench eval promote run:latest --data-dir data
    """
    from datetime import datetime

    from workbench.core.layout import Layout
    from workbench.core.runs import model_display_name
    from workbench.evaluation.champion import promote

    cfg, root = resolve(data_dir, config)
    record = promote(root, run, cfg, note=note)
    now = record.current
    when = datetime.fromisoformat(now.promoted_at).strftime("%Y-%m-%d %H:%M UTC")
    typer.echo(f"champion: {model_display_name(now.ref)}, promoted by {now.promoted_by} at "
               f"{when}; promotion {len(record.history)} in the history -> {Layout(root).champion}")
    if now.ref == "base" and now.base_model:
        typer.echo(f"  base is {now.base_model} (pinned: a compare refuses another base)")
    if now.run_manifest:
        snap = now.label_snapshot.id if now.label_snapshot else "none"
        # The run manifest's path and hash are kept in the history file, not printed: they
        # are for tracing, and the label snapshot names the data in a word a person can find.
        typer.echo(f"  trained on label snapshot {snap} from base {now.base_model}; the run's "
                   f"manifest and its sha256 are kept in that file")


@eval_app.command("compare")
def compare_command(
    challenger: Annotated[str, typer.Argument(
        help="The challenger: run:<id>, run:latest, base... (with --eval-id: a system of it).")],
    against: Annotated[str | None, typer.Option(
        "--against", help="The champion to beat (default: the promoted one).")] = None,
    suite: Annotated[str, typer.Option(
        "--suite", help="Suite whose items, metrics, baselines and gate are used.")] = "demo",
    eval_id: Annotated[str | None, typer.Option(
        "--eval-id", help="Compare on this existing evaluation (holding both systems; "
        "default: a new one).")] = None,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Challenger vs champion on the same items; exits 0 when the suite's gate says it wins, else 1.

    Example: workbench eval compare run:latest --against base --data-dir data
    """
    from workbench.evaluation.compare import compare, display_names, result_lines

    log = progress_log(use_progress(progress))
    cfg, root = resolve(data_dir, config)
    result = compare(root, cfg, challenger, against=against, suite_ref=suite, eval_id=eval_id,
                     log=log)
    for line in result_lines(result, display_names(root, result.eval_id)):
        typer.echo(line)
    raise typer.Exit(code=0 if result.wins else 1)


@rate_app.command("push")
def push_command(
    eval_id: EvalIdOption = None,
    items: Annotated[
        int, typer.Option("--items", min=1, help="Items (briefs) to rate, sampled with the seed.")
    ] = 20,
    task: Annotated[
        str, typer.Option("--task", help="Which task's generations to rate.")
    ] = "brief_to_ad",
    seed: Annotated[int, typer.Option("--seed", help="Item sample, sides, task order.")] = 0,
    system: Annotated[
        list[str] | None, typer.Option("--system", help="Rate only these systems (repeatable; "
                                             "default: every system).")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Push new projects even if pushed before.")
    ] = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Create the Likert and blind pairwise rating projects of an evaluation in Label Studio.

    Example: workbench eval rate push --items 20 --data-dir data
    """
    from workbench.evaluation.compare import display_names
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.ratings import push_ratings

    _cfg, root = resolve(data_dir, config)
    eval_dir = find_eval(root, eval_id)
    result = push_ratings(root, eval_dir, task=task, n_items=items, seed=seed,
                          systems=system, replace=replace)
    typer.echo(result.line(display_names(root, eval_dir.name)))


@rate_app.command("pull")
def pull_command(
    eval_id: EvalIdOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Export the rating projects of an evaluation into DIR/eval/<eval_id>/ratings.parquet.

    Example: workbench eval rate pull --data-dir data
    """
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.ratings_pull import pull_ratings

    _cfg, root = resolve(data_dir, config)
    typer.echo(pull_ratings(root, find_eval(root, eval_id)).line())


def report_command(
    eval_id: EvalIdOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder of leaderboard.html and leaderboard.md "
                     "(default: DATA_DIR/reports).", file_okay=False)
    ] = None,
    examples: Annotated[
        int, typer.Option("--examples", min=0, help="Example items per task, side by side.")
    ] = 3,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the leaderboard (self-contained HTML + Markdown) of an evaluation.

    Example: workbench report --data-dir data
    """
    from workbench.core.layout import Layout
    from workbench.evaluation.report import build_report

    _cfg, root = resolve(data_dir, config)
    out_dir = out if out is not None else Layout(root).reports
    typer.echo(build_report(root, eval_id=eval_id, out_dir=out_dir, examples=examples).line())
