"""``workbench demo``: every stage that exists, run on the committed samples.

Each stage contributes one step (a ``run_demo_step(data_dir, cfg) -> list[str]`` function in its
``demo`` module), so the demo is also the quickest tour of the workbench, in pipeline order.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import typer

from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError
from workbench.core.layout import Layout
from workbench.core.resources import sample

#: (title, module holding ``run_demo_step``), in pipeline order.
STEPS: tuple[tuple[str, str], ...] = (
    ("ingest the sample Telegram exports", "workbench.demo"),
    ("label: Label Studio, push, seed annotations, pull", "workbench.labeling.demo"),
    ("curate: flag label issues, dedup, leakage-free splits", "workbench.curation.demo"),
    ("train: the tiny QLoRA recipe on CPU", "workbench.training.demo"),
    ("generate: RAG index and candidate ads for the sample briefs", "workbench.generation.demo"),
    ("evaluate: metrics, ratings project, leaderboard", "workbench.evaluation.demo"),
)


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
    for folder in (lay.raw, lay.parsed, lay.cleaned, lay.final):
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        shown = ", ".join(files[:5]) + (f" (+{len(files) - 5} more)" if len(files) > 5 else "")
        lines.append(f"{folder}/: {shown}")
    return lines


def _available_steps() -> list[tuple[str, Callable[[Path, ProjectConfig], list[str]]]]:
    steps = []
    for title, module in STEPS:
        if importlib.util.find_spec(module) is None:
            continue
        steps.append((title, importlib.import_module(module).run_demo_step))
    return steps


def run_demo(data_dir: Path, cfg: ProjectConfig) -> None:
    """Run every available stage into ``data_dir`` and print what was produced where."""
    steps = _available_steps()
    start = time.perf_counter()
    for number, (title, step) in enumerate(steps, start=1):
        typer.echo(f"[{number}/{len(steps)}] {title}")
        t0 = time.perf_counter()
        for line in step(data_dir, cfg):
            typer.echo(f"      {line}")
        typer.echo(f"      ({time.perf_counter() - t0:.1f} s)")
    typer.echo(f"demo finished in {time.perf_counter() - start:.0f} s; everything is under {data_dir}/")
    # The web app needs an account, and a password is the user's to choose: show how.
    typer.echo(f"web app on this data: workbench users add you@example.com --company Demo "
               f"--role admin --data-dir {data_dir}; then workbench serve --data-dir {data_dir}")
