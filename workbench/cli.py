"""The ``workbench`` command: one subcommand per stage, each a thin wrapper over a plain function.

Keep this module cheap to import: ``workbench --help`` must not import torch, trl, transformers
or lancedb. Stage modules are imported inside the command bodies.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

# Typer >= 0.20 vendors its own click; its exception classes live here, not in `click`.
from typer._click import core as click_core
from typer._click import exceptions as click_exc

from workbench.core.cli_options import ConfigOption, DataDirOption, ProgressOption, resolve
from workbench.core.errors import WorkbenchError
from workbench.core.progress import quiet_libraries, use_progress
from workbench.curation.cli import app as curate_app
from workbench.evaluation.cli import eval_app, report_command
from workbench.generation.cli import generate_command
from workbench.labeling.cli import app as label_app
from workbench.rag.cli import app as rag_app
from workbench.training.cli import app as train_app
from workbench.webapp.cli import serve_command, users_app

#: ``workbench --help`` lists the commands in the order a project uses them.
PIPELINE_ORDER = ("init", "ingest", "label", "curate", "train", "rag", "generate", "eval",
                  "report", "serve", "users", "demo")


class PipelineOrderGroup(typer.core.TyperGroup):
    """The top-level group, listing its commands in :data:`PIPELINE_ORDER`.

    Typer lists plain commands before groups, which put ``generate`` and ``report`` ahead of
    ``label``, ``curate`` and ``train``.
    """

    def list_commands(self, ctx: click_core.Context) -> list[str]:  # noqa: D102
        known = {name: i for i, name in enumerate(PIPELINE_ORDER)}
        return sorted(super().list_commands(ctx), key=lambda name: known.get(name, len(known)))


def _version(show: bool) -> None:
    if not show:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"workbench {version('amharic-ad-workbench')}")
    except PackageNotFoundError:  # run from a source tree that was never installed
        typer.echo("workbench (not installed: run from a source tree)")
    raise typer.Exit


app = typer.Typer(
    name="workbench",
    cls=PipelineOrderGroup,
    help="Amharic ad workbench: ingest Telegram exports, label, curate, train, generate, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

@app.callback()
def _root(
    show_version: Annotated[bool, typer.Option(
        "--version", help="Print the installed version and exit.", callback=_version,
        is_eager=True)] = False,
) -> None:
    """Amharic ad workbench: ingest Telegram exports, label, curate, train, generate, evaluate."""


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Project folder to write (created when missing).")],
    data_dir: Annotated[
        str, typer.Option("--data-dir", metavar="<dir>", help="data_dir written into workbench.yaml.")
    ] = "data",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
    samples: Annotated[bool, typer.Option(
        "--samples", help="Also copy the synthetic samples into FOLDER/samples/: Telegram "
                          "exports (telegram/) and campaign briefs (briefs/) to try each stage "
                          "on.")] = False,
) -> None:
    """Write a project folder: workbench.yaml plus the editable defaults.

    The defaults are the taxonomy, rules, guidelines, training recipes and templates, eval
    suites and metric modules; commands run in the folder use them instead of the packaged ones.

    Example: workbench init my-project --samples
    """
    from workbench.core.project_folder import init_project

    result = init_project(folder, data_dir=data_dir, force=force, samples=samples)
    for path in result.written:
        typer.echo(f"wrote {path}")
    if result.kept:
        typer.echo(f"kept {len(result.kept)} file(s) that exist, unchanged (--force overwrites "
                   "them)")
    what = "samples/telegram" if samples else "<Telegram export folder or result.json>"
    typer.echo(f"next: cd {folder} && workbench ingest {what}")


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(help="result.json files, folders (searched recursively) and .zip files."),
    ],
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Parse, clean and summarise Telegram Desktop exports into Parquet stage folders.

    Example: workbench ingest ~/Downloads/ChatExport_2024-03-01 --data-dir data

    (The synthetic samples: workbench init DIR --samples, then in DIR: workbench ingest
    samples/telegram.)
    """
    from workbench.ingest.pipeline import run_ingest

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    summary = run_ingest(paths, root, cfg.cleaning, cfg.ingest)
    typer.echo(summary.line())

# One subcommand per stage (`workbench --help` lists them in PIPELINE_ORDER).
app.add_typer(label_app, name="label")
app.add_typer(curate_app, name="curate")
app.add_typer(train_app, name="train")
app.add_typer(rag_app, name="rag")
app.command("generate")(generate_command)
app.add_typer(eval_app, name="eval")
app.command("report")(report_command)
# The web app: advertiser- and team-facing pages over the stages' outputs.
app.command("serve")(serve_command)
app.add_typer(users_app, name="users")


@app.command()
def demo(
    step: Annotated[
        list[str] | None,
        typer.Option("--step", help="Run only this step (repeatable): ingest, label, curate, "
                     "train, generate, evaluate; the steps before it must have run "
                     "(default: every step)."),
    ] = None,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Run every available stage on the committed samples and say what was produced where.

    Example: workbench demo --data-dir /tmp/wb-demo
    """
    from workbench.demo import run_demo

    mode = use_progress(progress)
    cfg, root = resolve(data_dir, config)
    run_demo(root, cfg, only=step, mode=mode)


def _one_line(text: str) -> str:
    return " ".join(text.split())


#: Modules whose distribution (what ``pip install`` takes) is named otherwise.
DISTRIBUTION_OF_MODULE = {
    "sklearn": "scikit-learn", "label_studio": "label-studio",
    "label_studio_sdk": "label-studio-sdk", "yaml": "pyyaml", "argon2": "argon2-cffi",
    "multipart": "python-multipart", "PIL": "pillow", "cv2": "opencv-python-headless",
    "rouge_score": "rouge-score", "sentence_transformers": "sentence-transformers",
}


def missing_package_line(exc: ModuleNotFoundError) -> str | None:
    """The one line for a stage whose third-party package is not installed (None: our own bug).

    ``pip install .`` installs what every command needs to start (``init``, ``ingest``); the
    stages' libraries (torch, transformers, cleanlab, Label Studio...) come from the pinned
    stack, installed apart because torch must be installed first.

    Examples
    --------
    >>> missing_package_line(ModuleNotFoundError("No module named 'sklearn'", name="sklearn"))[:64]
    'this command needs the Python package scikit-learn (module sklea'
    >>> missing_package_line(ModuleNotFoundError(name="workbench.nothing")) is None
    True
    """
    top = (exc.name or "").partition(".")[0]
    if not top or top == "workbench":
        return None
    package = DISTRIBUTION_OF_MODULE.get(top, top)
    return (f"this command needs the Python package {package} (module {top}), which is not "
            f"installed in {sys.prefix}: install the tested stack into it first "
            "(`pip install torch==2.13.0`, then `pip install -r requirements.txt` from the "
            "workbench source; see the README's install steps)")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and exit code 2.

    Bugs (any other exception) keep their traceback, so they get reported and fixed.
    """
    quiet_libraries()
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="workbench", standalone_mode=False)
    except WorkbenchError as exc:
        if exc.details:
            # Several problems at once (every validation error of a file): one line each.
            typer.echo(f"error: {_one_line(exc.message)}:", err=True)
            for detail in exc.details:
                typer.echo(f"  - {_one_line(detail)}", err=True)
        else:
            typer.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click_exc.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(0)
    except click_exc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "workbench"
        typer.echo(f"error: {where}: {_one_line(exc.format_message())} (see '{where} --help')",
                   err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click_exc.ClickException as exc:
        typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except ModuleNotFoundError as exc:
        line = missing_package_line(exc)
        if line is None:
            raise
        typer.echo(f"error: {line}", err=True)
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)
