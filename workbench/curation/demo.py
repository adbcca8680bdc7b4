"""The curation step of ``workbench demo``: dedup, flag, split and check the demo data.

Labels come from ``DIR/labels/annotations.parquet`` when the labeling step has written it; if not,
from the packaged samples' seed labels (``telegram/seed_labels.jsonl``), turned into
annotations by the annotator ``seed@samples`` and kept in ``DIR/curated/seed_annotations.parquet``
(the labeling stage's own file is never written here).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError
from workbench.core.resources import sample

SEED_LABELS = sample("telegram/seed_labels.jsonl")
SEED_ANNOTATOR = "seed@samples"


def seed_annotations(path: Path = SEED_LABELS) -> pl.DataFrame:
    """Annotations (the labeling contract) from a seed-label file.

    Parameters
    ----------
    path
        JSON lines ``{"uid", "is_ad", "vertical", "tags", "note"}``.

    Returns
    -------
    pl.DataFrame
        One row per answered task: ``is_ad`` always, ``vertical`` when given, ``tags`` (possibly
        empty) for ads; annotator ``seed@samples``, project ``seed``.
    """
    if not path.is_file():
        msg = f"{path}: seed labels not found (the package was installed without its data)"
        raise InputFileError(msg)
    rows = []
    when = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{path}:{n}: not valid JSON ({exc.msg})"
            raise InputFileError(msg) from None
        if not isinstance(rec, dict) or not rec.get("uid") or not rec.get("is_ad"):
            msg = f"{path}:{n}: expected an object with 'uid' and 'is_ad'"
            raise InputFileError(msg)
        answers = [("is_ad", [rec["is_ad"]])]
        if rec.get("vertical"):
            answers.append(("vertical", [rec["vertical"]]))
        if rec["is_ad"] == "Ad":
            answers.append(("tags", list(rec.get("tags") or [])))
        rows += [{"uid": str(rec["uid"]), "task": task, "value": value} for task, value in answers]
    return pl.DataFrame(rows, schema={"uid": pl.Utf8, "task": pl.Utf8,
                                      "value": pl.List(pl.Utf8)}).with_columns(
        project=pl.lit("seed"), annotator=pl.lit(SEED_ANNOTATOR), lead_time=pl.lit(None, pl.Float64),
        created_at=pl.lit(when, pl.Datetime("us", "UTC")),
        updated_at=pl.lit(when, pl.Datetime("us", "UTC")),
        annotation_id=pl.format("seed:{}:{}", pl.col("uid"), pl.col("task")),
    ).select("uid", "project", "task", "annotator", "value", "lead_time", "created_at",
             "updated_at", "annotation_id")


def run_demo_step(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """Run dedup, flag, split and check on the demo data; return the lines to print.

    Parameters
    ----------
    data_dir
        Root of the stage folders (``cleaned/`` must exist: the ingest step runs first).
    cfg
        Project config.

    Returns
    -------
    list[str]
        Summary lines of each command.
    """
    from workbench.core.io import write_parquet_atomic
    from workbench.core.layout import Layout
    from workbench.curation.check import run_check
    from workbench.curation.dedup import run_dedup
    from workbench.curation.flag import run_flag
    from workbench.curation.split import run_split

    annotations: Path | None = None
    lines = []
    if not Layout(data_dir).annotations.exists():
        annotations = Layout(data_dir).seed_annotations
        seeds = seed_annotations()
        write_parquet_atomic(annotations, seeds)
        lines.append(f"labels: {seeds.get_column('uid').n_unique()} seed-labeled item(s) from "
                     f"{SEED_LABELS.name} (annotator {SEED_ANNOTATOR}, not human labels)")
    # dedup first: flag reuses its clusters for duplicate conflicts, split for grouping.
    lines += run_dedup(data_dir, cfg).summary_lines()
    lines += run_flag(data_dir, cfg, annotations=annotations).summary_lines()
    lines += run_split(data_dir, cfg, annotations=annotations).summary_lines()
    lines += run_check(data_dir, dedup=cfg.curation.dedup).summary_lines()
    return lines
