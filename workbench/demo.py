"""``workbench demo``: every stage that exists, run on the committed samples.

Each stage adds one step here, so the demo is also the quickest tour of the workbench.
"""

from __future__ import annotations

from pathlib import Path

import typer

from workbench.config import ProjectConfig
from workbench.errors import InputFileError

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def run_demo(data_dir: Path, cfg: ProjectConfig) -> None:
    """Run the demo into ``data_dir`` and print what was produced where."""
    from workbench.ingest.pipeline import run_ingest

    exports = SAMPLES / "telegram"
    if not exports.is_dir():
        msg = f"{exports}: sample exports not found (run from a checkout of the project)"
        raise InputFileError(msg)
    typer.echo(f"[1/1] ingest {exports}")
    summary = run_ingest([exports], data_dir, cfg.cleaning)
    typer.echo(f"      {summary.line()}")
    for folder in ("raw", "parsed", "cleaned", "final"):
        files = sorted(p.name for p in (data_dir / folder).iterdir() if p.is_file())
        shown = ", ".join(files[:6]) + (f" (+{len(files) - 6} more)" if len(files) > 6 else "")
        typer.echo(f"      {data_dir / folder}/: {shown}")
    typer.echo("demo finished: open the Parquet files above with polars, e.g.\n"
               f"      python -c \"import polars as pl; print(pl.read_parquet('{data_dir}/cleaned/"
               "messages.parquet').select('uid','text_clean','phones','prices').head())\"")
