"""``workbench label pull``: validate annotations against the taxonomy, quarantine, snapshot.

Writes under ``DIR/labels/``:

- ``annotations.parquet`` (:data:`ANNOTATIONS_SCHEMA`): every valid answer, one row per
  (annotation, task). A task that applies but was left empty (a multi-choice task such as tags)
  gets an explicit ``[]`` row, as the labeling UI means it.
- ``quarantine.parquet``: every answer that failed validation, with the reason and the raw JSON.
- ``snapshots/<utc>-<sha12>.parquet`` + ``.json`` manifest, append-only: an annotation deleted in
  the server still exists in every older snapshot. A pull whose labels equal the newest
  snapshot's writes none (pulling twice leaves one snapshot).
- ``manifest.json``: inputs (server payload hash, taxonomy hash), outputs, the snapshot name.

Each backend owns the rows whose ``annotation_id`` starts with its prefix (``ls:``,
``argilla:``): a pull replaces those and keeps the others, so both backends can feed one file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.io import (
    read_parquet_checked,
    sha256_file,
    write_bytes_atomic,
    write_parquet_atomic,
)
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    InputFile,
    LabelProjectCount,
    LabelsManifest,
    OutputFile,
    envelope,
    write_manifest,
)
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.records import (
    ANNOTATIONS_SCHEMA,
    LABEL_QUARANTINE_SCHEMA,
    ProjectProgress,
    RawAnnotation,
)


@dataclass
class PullSummary:
    """What a pull produced."""

    annotations: int
    rows: int
    quarantined: int
    annotators: int
    snapshot: Path
    path: Path
    unchanged: bool = False

    def line(self) -> str:
        """One-line report."""
        same = " (unchanged since the last pull)" if self.unchanged else ""
        return (f"pulled {self.annotations} annotation(s) by {self.annotators} annotator(s): "
                f"{self.rows} answer row(s) in {self.path}, {self.quarantined} quarantined; "
                f"snapshot {self.snapshot.name}{same}")


def _applies(task: str, taxonomy: Taxonomy, valid: dict[str, list[str]],
             invalid: set[str], seen: frozenset[str] = frozenset()) -> bool | None:
    """Whether ``task`` applies; None when its condition cannot be decided (parent invalid)."""
    cond = taxonomy.task(task).when
    if cond is None:
        return True
    if cond.task in invalid or cond.task in seen:
        return None
    parent = _applies(cond.task, taxonomy, valid, invalid, seen | {task})
    if parent is None:
        return None
    return parent and cond.equals in valid.get(cond.task, [])


def _check_one(raw: RawAnnotation, taxonomy: Taxonomy) -> tuple[list[dict], list[dict]]:
    """Valid answer rows and quarantine rows of one annotation."""
    base = {"uid": raw.uid, "project": raw.project, "annotator": raw.annotator}
    raw_json = json.dumps(raw.raw, ensure_ascii=False, default=str, sort_keys=True)
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []

    def reject(task: str, reason: str) -> None:
        bad.append({**base, "task": task, "reason": reason, "raw": raw_json,
                    "annotation_id": f"{raw.annotation_id}:{task or '?'}",
                    "updated_at": raw.updated_at})

    if not raw.uid:
        reject("", "; ".join(r for _, r in raw.problems) or "annotation has no uid")
        return good, bad
    names = set(taxonomy.names)
    # A task whose result could not be read counts as invalid (no second "missing" row).
    invalid: set[str] = set()
    for task, reason in raw.problems:
        reject(task, reason)
        if task in names:
            invalid.add(task)
    for name in raw.answers:
        if name not in names:
            reject(name, f"unknown task '{name}'; the taxonomy has: {', '.join(taxonomy.names)}")
    # Labels given under an older taxonomy version are mapped forward before validation.
    answers = {task: taxonomy.migrate(task, values, raw.taxonomy_version) if task in names else values
               for task, values in raw.answers.items()}
    valid: dict[str, list[str]] = {}
    for task in taxonomy.names:
        if task in answers and task not in invalid:
            error = taxonomy.validate(task, answers[task])
            if error:
                invalid.add(task)
                reject(task, error)
            else:
                valid[task] = answers[task]
    for task in taxonomy.names:
        if task in invalid:
            continue
        applies = _applies(task, taxonomy, valid, invalid)
        cond = taxonomy.task(task).when
        answered = task in answers
        if applies is None and cond is not None:
            if answered:
                reject(task, f"not checked: the task it depends on ('{cond.task}') is invalid")
        elif answered and not applies and cond is not None:
            reject(task, f"answered although {cond.task} is not {cond.equals}")
        elif not answered and applies and taxonomy.task(task).kind == "single":
            reject(task, f"task '{task}' applies but was not answered")
        elif applies:
            good.append({
                **base, "task": task, "value": valid.get(task, []), "lead_time": raw.lead_time,
                "created_at": raw.created_at, "updated_at": raw.updated_at,
                "annotation_id": f"{raw.annotation_id}:{task}",
            })
    return good, bad


def validate_annotations(
    raws: Sequence[RawAnnotation], taxonomy: Taxonomy
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split raw annotations into valid answer rows and quarantined ones.

    Parameters
    ----------
    raws
        Annotations as the backend returned them.
    taxonomy
        Tasks, labels and conditions to check against.

    Returns
    -------
    tuple of pl.DataFrame
        ``(annotations, quarantine)`` with :data:`ANNOTATIONS_SCHEMA` and
        :data:`LABEL_QUARANTINE_SCHEMA`.

    Notes
    -----
    Checks, per answer: the task exists; its labels are allowed and as many as its kind takes;
    it is answered only when its ``when`` condition holds; a single-choice task that applies is
    answered. Answers are judged one by one: a bad vertical does not discard a good is_ad.
    """
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for raw in raws:
        g, b = _check_one(raw, taxonomy)
        good.extend(g)
        bad.extend(b)
    annotations = pl.DataFrame(good, schema=ANNOTATIONS_SCHEMA, orient="row") if good else \
        pl.DataFrame(schema=ANNOTATIONS_SCHEMA)
    quarantine = pl.DataFrame(bad, schema=LABEL_QUARANTINE_SCHEMA, orient="row") if bad else \
        pl.DataFrame(schema=LABEL_QUARANTINE_SCHEMA)
    return annotations.select(list(ANNOTATIONS_SCHEMA)), quarantine.select(list(LABEL_QUARANTINE_SCHEMA))


#: What to do when the labels pulled before cannot be read back.
REPULL = "move it away and run `workbench label pull` again"


def _keep_other_backends(path: Path, prefix: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=schema)
    old = read_parquet_checked(path, schema=schema, remedy=REPULL)
    return old.filter(~pl.col("annotation_id").str.starts_with(f"{prefix}:"))


def payload_sha256(raws: Sequence[RawAnnotation]) -> str:
    """Hash of what the server returned (canonical JSON), recorded in the manifest."""
    digest = hashlib.sha256()
    for raw in sorted(raws, key=lambda r: r.annotation_id):
        digest.update(json.dumps([raw.annotation_id, raw.uid, raw.annotator, raw.answers,
                                  raw.problems, raw.updated_at.isoformat()],
                                 ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def write_pull(
    data_dir: Path,
    raws: Sequence[RawAnnotation],
    taxonomy: Taxonomy,
    *,
    backend: str,
    source: str,
    taxonomy_path: Path,
    config: dict[str, Any] | None = None,
    projects: Sequence[ProjectProgress] = (),
) -> PullSummary:
    """Validate ``raws`` and write annotations, quarantine, a snapshot and the manifests.

    Parameters
    ----------
    data_dir
        The workbench data dir.
    raws
        Every annotation the backend holds now.
    taxonomy
        To validate against.
    backend
        Prefix of this backend's annotation ids (``ls`` or ``argilla``).
    source
        The server URL (recorded as the input).
    taxonomy_path
        Recorded (with its hash) in the manifests.
    config
        The labeling config, recorded in the manifests.
    projects
        The server's project counters now (``label status --from-file`` shows them).
    """
    lay = Layout(data_dir)
    annotations, quarantine = validate_annotations(raws, taxonomy)
    annotations = pl.concat([
        _keep_other_backends(lay.annotations, backend, ANNOTATIONS_SCHEMA), annotations,
    ]).sort("uid", "task", "annotator", "annotation_id")
    quarantine = pl.concat([
        _keep_other_backends(lay.label_quarantine, backend, LABEL_QUARANTINE_SCHEMA), quarantine,
    ]).sort("uid", "task", "annotation_id")
    inputs = [
        InputFile(path=source, sha256=payload_sha256(raws), backend=backend,
                  annotations=len({r.annotation_id for r in raws})),
        InputFile(path=str(taxonomy_path), sha256=sha256_file(taxonomy_path)),
    ]
    previous = _latest_snapshot(lay)
    snapshot = write_snapshot(data_dir, annotations, quarantine, inputs=inputs, config=config,
                              projects=projects)
    mine = annotations.filter(pl.col("annotation_id").str.starts_with(f"{backend}:"))
    return PullSummary(
        annotations=len({r.annotation_id for r in raws}),
        rows=mine.height,
        quarantined=quarantine.filter(pl.col("annotation_id").str.starts_with(f"{backend}:")).height,
        annotators=mine.get_column("annotator").n_unique(),
        snapshot=snapshot,
        path=lay.annotations,
        unchanged=snapshot == previous,
    )


def write_snapshot(
    data_dir: Path,
    annotations: pl.DataFrame,
    quarantine: pl.DataFrame,
    *,
    inputs: Sequence[InputFile],
    config: dict[str, Any] | None = None,
    projects: Sequence[ProjectProgress] = (),
) -> Path:
    """Write validated annotations as a new snapshot, ``annotations.parquet`` and the manifests.

    Parameters
    ----------
    data_dir
        The workbench data dir.
    annotations, quarantine
        Validated rows (:data:`ANNOTATIONS_SCHEMA`) and rejected ones.
    inputs
        What the rows came from, for the manifest.
    config
        The labeling config, recorded in the manifests.
    projects
        The server's project counters at this pull, recorded in the manifests.

    Returns
    -------
    Path
        ``labels/snapshots/<utc>-<sha12>.parquet``: the newest existing one when it holds the
        same bytes (nothing changed since the last pull), else a new one.
    """
    lay = Layout(data_dir)
    now = datetime.now(UTC)
    lay.label_snapshots.mkdir(parents=True, exist_ok=True)
    # The content hash goes into the name; the time keeps names unique and sortable.
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    tmp_name = lay.label_snapshots / f".{stamp}.parquet.tmp"
    write_parquet_atomic(tmp_name, annotations)  # owner-only (0600), as every label file
    sha = sha256_file(tmp_name)
    latest = _latest_snapshot(lay)
    if latest is not None and latest.name.endswith(f"-{sha[:12]}.parquet") \
            and sha256_file(latest) == sha:
        # Nothing changed since the last pull: a second file of the same bytes would make two
        # snapshots for one set of labels, and the labels manifest would name a different one
        # from what curation finds by hash (the earliest). The pull still records its time and
        # the server's counters in labels/manifest.json; the snapshot's own manifest stays.
        tmp_name.unlink()
        snapshot = latest
    else:
        snapshot = lay.label_snapshot(f"{stamp}-{sha[:12]}")
        tmp_name.rename(snapshot)
    # annotations.parquet is the snapshot's bytes: curation reads it and finds the snapshot it
    # came from by its sha256.
    write_bytes_atomic(lay.annotations, snapshot.read_bytes())
    write_parquet_atomic(lay.label_quarantine, quarantine)
    outputs = {
        "annotations.parquet": OutputFile(rows=annotations.height, sha256=sha),
        "quarantine.parquet": OutputFile(rows=quarantine.height,
                                         sha256=sha256_file(lay.label_quarantine)),
        f"snapshots/{snapshot.name}": OutputFile(rows=annotations.height, sha256=sha),
    }
    manifest = LabelsManifest(**envelope("labels"), inputs=list(inputs), outputs=outputs,
                              config=dict(config or {}), snapshot=snapshot.name,
                              pulled_at=now.isoformat(),
                              projects=[LabelProjectCount(**asdict(p)) for p in projects])
    if snapshot != latest:
        write_manifest(snapshot.with_suffix(".json"), manifest)
    write_manifest(lay.labels / MANIFEST, manifest)
    return snapshot


def _latest_snapshot(lay: Layout) -> Path | None:
    """The newest snapshot under ``labels/snapshots/`` (names start with their UTC time)."""
    names = sorted(p for p in lay.label_snapshots.glob("*.parquet") if not p.name.startswith("."))
    return names[-1] if names else None


def run_pull(data_dir: Path, cfg: ProjectConfig) -> PullSummary:
    """Fetch every annotation from the configured backend and write the label files."""
    from workbench.labeling.backends import labeling_taxonomy, open_backend

    taxonomy, taxonomy_path = labeling_taxonomy(cfg)
    backend = open_backend(data_dir, cfg, taxonomy)
    try:
        raws = backend.fetch()
        projects = backend.progress()
    finally:
        backend.close()
    return write_pull(data_dir, raws, taxonomy, backend=backend.name, source=backend.source,
                      taxonomy_path=taxonomy_path, config=cfg.labeling.model_dump(mode="json"),
                      projects=projects)
