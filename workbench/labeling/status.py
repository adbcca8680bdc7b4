"""``workbench label status``: progress per project / group / annotator, and agreement.

Progress counts come from the server (tasks, tasks with annotations); per-annotator counts and
agreement from the annotations themselves: fetched live and validated like a pull (nothing is
written), or read from ``DIR/labels/annotations.parquet`` with ``--from-file``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.io import read_parquet_checked
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import LabelsManifest, read_manifest
from workbench.labeling.agreement import PairKappa, TaskAlpha, agreement_report
from workbench.labeling.pull import validate_annotations
from workbench.labeling.records import ANNOTATIONS_SCHEMA, ProjectProgress


@dataclass
class StatusReport:
    """Everything ``label status`` shows."""

    source: str
    projects: list[ProjectProgress]
    annotators: pl.DataFrame
    alphas: list[TaskAlpha]
    kappas: list[PairKappa]
    expected: dict[str, list[str]] = field(default_factory=dict)
    #: The server's other projects (evaluations' rating projects), keyed by title.
    other_projects: list[ProjectProgress] = field(default_factory=list)


def annotator_progress(annotations: pl.DataFrame) -> pl.DataFrame:
    """Per (project, annotator): items annotated, answers given, median seconds per item."""
    if annotations.is_empty():
        return pl.DataFrame(schema={"project": pl.Utf8, "annotator": pl.Utf8, "items": pl.UInt32,
                                    "answers": pl.UInt32, "median_lead_time_s": pl.Float64})
    per_item = annotations.group_by("project", "annotator", "uid").agg(
        answers=pl.len(), lead_time=pl.col("lead_time").first())
    return per_item.group_by("project", "annotator").agg(
        items=pl.len(), answers=pl.col("answers").sum().cast(pl.UInt32),
        median_lead_time_s=pl.col("lead_time").median(),
    ).sort("project", "annotator")


def run_status(data_dir: Path, cfg: ProjectConfig, *, from_file: bool = False) -> StatusReport:
    """Collect the status report (server counters + annotations)."""
    from workbench.labeling.backends import labeling_taxonomy, open_backend

    taxonomy, _ = labeling_taxonomy(cfg)
    if from_file:
        lay = Layout(data_dir)
        path = lay.annotations
        annotations = read_parquet_checked(path, ANNOTATIONS_SCHEMA, hint="run `workbench label pull`")
        projects, pulled_at = _pulled_projects(lay.labels / MANIFEST)
        source = f"{path} (pulled {pulled_at})" if pulled_at else str(path)
    else:
        backend = open_backend(data_dir, cfg, taxonomy)
        try:
            projects = backend.progress()
            annotations, _ = validate_annotations(backend.fetch(), taxonomy)
            source = backend.source
        finally:
            backend.close()
    alphas, kappas = agreement_report(annotations, taxonomy.names)
    expected = _expected_annotators(data_dir, cfg)
    return StatusReport(source=source, projects=[p for p in projects if p.managed],
                        annotators=annotator_progress(annotations), alphas=alphas, kappas=kappas,
                        expected=expected, other_projects=[p for p in projects if not p.managed])


def _pulled_projects(manifest: Path) -> tuple[list[ProjectProgress], str | None]:
    """The project counters the last pull recorded, and when it ran (none without a manifest)."""
    if not manifest.is_file():
        return [], None
    pulled = read_manifest(manifest, LabelsManifest, hint="run `workbench label pull`")
    when = pulled.pulled_at[:16].replace("T", " ") + " UTC"
    return [ProjectProgress(**p.model_dump()) for p in pulled.projects], when


def _expected_annotators(data_dir: Path, cfg: ProjectConfig) -> dict[str, list[str]]:
    """Project key -> annotators assigned (config groups + `label users add --group`)."""
    from workbench.labeling.annotators import all_groups
    from workbench.labeling.records import group_project

    out: dict[str, set[str]] = {}
    for group in cfg.annotator_groups:
        out.setdefault(group_project(group.id), set()).update(a.lower() for a in group.annotators)
    for email, group_id in all_groups(data_dir).items():
        out.setdefault(group_project(group_id), set()).add(email)
    return {k: sorted(v) for k, v in out.items() if v}


def _fmt(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A plain fixed-width text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return out


def done_text(tasks_annotated: int, tasks: int) -> str:
    """A project's share of annotated tasks as ``label status`` and the dashboard write it.

    Examples
    --------
    >>> done_text(173, 178), done_text(0, 0)
    ('97.2%', '-')
    """
    return f"{100 * tasks_annotated / tasks:.1f}%" if tasks else "-"


def finished_text(tasks_finished: int | None) -> str:
    """A project's finished tasks as ``label status`` and the dashboard write them.

    ``-`` where the backend does not say.

    Examples
    --------
    >>> finished_text(29), finished_text(None)
    ('29', '-')
    """
    return "-" if tasks_finished is None else str(tasks_finished)


def seconds_text(seconds: float | None) -> str:
    """A median time per item as ``label status`` and the dashboard write it (``n/a``: none).

    Examples
    --------
    >>> seconds_text(12.345), seconds_text(None)
    ('12.3', 'n/a')
    """
    return "n/a" if seconds is None or math.isnan(seconds) else f"{seconds:.1f}"


#: The progress table's columns (``finished``: Label Studio's own count, shown in its UI).
PROGRESS_HEADERS = ["project", "id", "tasks", "annotated", "finished", "done", "annotations"]
#: Why the two counts differ, printed under the table.
FINISHED_NOTE = ("annotated: tasks with at least one answer (done is their share); finished: "
                 "tasks with every answer their overlap asks for, as Label Studio counts them")


def _progress_row(p: ProjectProgress) -> list[str]:
    done = done_text(p.tasks_annotated, p.tasks)
    return [p.key, str(p.project_id) if p.project_id else "-", str(p.tasks),
            str(p.tasks_annotated), finished_text(p.tasks_finished), done, str(p.annotations)]


def render(report: StatusReport) -> list[str]:
    """The report as lines of text tables."""
    lines = [f"source: {report.source}", ""]
    if report.projects:
        lines += [*table(PROGRESS_HEADERS, [_progress_row(p) for p in report.projects]), ""]
        lines += [FINISHED_NOTE, ""]
    others = report.other_projects
    if others:
        lines.append("other projects on the server (e.g. evaluations' rating projects):")
        lines += [*table(PROGRESS_HEADERS, [_progress_row(p) for p in others]), ""]
    rows = [[r["project"], r["annotator"], str(r["items"]), str(r["answers"]),
             seconds_text(r["median_lead_time_s"])]
            for r in report.annotators.iter_rows(named=True)]
    seen = {(r[0], r[1]) for r in rows}
    rows += [[proj, email, "0", "0", "n/a"] for proj, emails in sorted(report.expected.items())
             for email in emails if (proj, email) not in seen]
    lines += [*table(["project", "annotator", "items", "answers", "median s/item"], rows), ""]
    lines.append("agreement on items with 2+ annotators (Krippendorff's alpha, nominal):")
    lines += table(["task", "items", "annotators", "alpha"],
                   [[a.task, str(a.items), str(a.annotators), _fmt(a.alpha)] for a in report.alphas])
    lines.append("")
    lines.append("Cohen's kappa per annotator pair:")
    if report.kappas:
        lines += table(["task", "annotator A", "annotator B", "items", "kappa"],
                       [[k.task, k.annotator_a, k.annotator_b, str(k.items), _fmt(k.kappa)]
                        for k in report.kappas])
    else:
        lines.append("(no item labeled by two annotators yet)")
    return lines
