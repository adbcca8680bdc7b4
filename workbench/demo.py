"""``workbench demo``: every stage that exists, run on the committed samples.

Each stage contributes one step (a ``run_demo_step(data_dir, cfg) -> list[str]`` function in its
``demo`` module), so the demo is also the quickest tour of the workbench, in pipeline order.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

import typer

from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, InputFileError
from workbench.core.layout import Layout
from workbench.core.progress import ProgressMode, heartbeat
from workbench.core.resources import sample

#: (name for ``--step``, title, module holding ``run_demo_step``), in pipeline order.
STEPS: tuple[tuple[str, str, str], ...] = (
    ("ingest", "ingest the sample Telegram exports", "workbench.demo"),
    ("label", "label: Label Studio, push, seed annotations, pull (about 2 minutes the first "
     "time: Label Studio sets up its database)", "workbench.labeling.demo"),
    ("curate", "curate: flag label issues, dedup, leakage-free splits", "workbench.curation.demo"),
    ("train", "train: the tiny QLoRA recipe on CPU", "workbench.training.demo"),
    ("generate", "generate: RAG index and candidate ads for the sample briefs",
     "workbench.generation.demo"),
    ("evaluate", "evaluate: metrics, ratings project, leaderboard", "workbench.evaluation.demo"),
)

#: Seconds between "still working" lines while a step has printed nothing.
HEARTBEAT_SECONDS = 15.0


def run_demo_step(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """The ingest step: the committed sample exports into ``data_dir``."""
    from workbench.ingest.pipeline import run_ingest

    exports = sample("telegram")
    if not exports.is_dir():
        msg = f"{exports}: sample exports not found (the package was installed without its data)"
        raise InputFileError(msg)
    summary = run_ingest([exports], data_dir, cfg.cleaning, cfg.ingest)
    lines = [summary.line()]
    lay = Layout(data_dir)
    # The exports' copies are named by their SHA-256: a count says more than 64 hex digits each.
    kept = sum(1 for p in lay.raw.iterdir() if p.is_file())
    lines.append(f"{lay.raw}/: {kept} export(s) as given, each named by its SHA-256")
    for folder in (lay.parsed, lay.cleaned, lay.final):
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        shown = ", ".join(files[:5]) + (f" (+{len(files) - 5} more)" if len(files) > 5 else "")
        lines.append(f"{folder}/: {shown}")
    return lines


def _available_steps(
    only: Sequence[str] | None,
) -> list[tuple[str, Callable[[Path, ProjectConfig], list[str]]]]:
    names = [name for name, _, _ in STEPS]
    unknown = sorted(set(only or ()) - set(names))
    if unknown:
        msg = f"--step: unknown step(s) {', '.join(unknown)}; the steps: {', '.join(names)}"
        raise ConfigError(msg)
    steps = []
    for name, title, module in STEPS:
        if (only and name not in only) or importlib.util.find_spec(module) is None:
            continue
        steps.append((title, importlib.import_module(module).run_demo_step))
    return steps


def run_demo(data_dir: Path, cfg: ProjectConfig, *, only: Sequence[str] | None = None,
             mode: ProgressMode = "lines") -> None:
    """Run the available stages into ``data_dir`` and print what was produced where.

    Parameters
    ----------
    data_dir, cfg
        Where to write, and the project config.
    only
        Step names (``STEPS``) to run; None runs every step.
    mode
        The progress display; unless ``off``, a step silent for a while says it is still working.
    """
    steps = _available_steps(only)
    start = time.perf_counter()
    for number, (title, step) in enumerate(steps, start=1):
        typer.echo(f"[{number}/{len(steps)}] {title}")
        t0 = time.perf_counter()
        alive = heartbeat(typer.echo, every=HEARTBEAT_SECONDS) if mode != "off" else nullcontext()
        with alive:
            lines = list(step(data_dir, cfg))
        for line in lines:
            typer.echo(f"      {line}")
        typer.echo(f"      ({time.perf_counter() - t0:.1f} s)")
    typer.echo(f"demo finished in {time.perf_counter() - start:.0f} s; everything is under {data_dir}/")
    # The web app needs an account, and a password is the user's to choose: show how.
    typer.echo(f"web app on this data: workbench users add you@example.com --company Demo "
               f"--role admin --data-dir {data_dir}; then workbench serve --data-dir {data_dir}")
