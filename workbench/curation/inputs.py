"""Read and validate curation inputs once: texts, annotations, and the tasks to curate.

Texts come from ``DIR/cleaned/messages.parquet`` or a user file (Parquet or CSV with ``uid`` and
``text``; the cleaned columns are computed with the ingest cleaning when absent: see
:mod:`workbench.curation.input_files`). Annotations come
from ``DIR/labels/annotations.parquet`` (the labeling contract) or a user file with ``uid``,
``task``, ``annotator`` and ``value``, where ``value`` may be a list or a string with multiple labels
separated by ``|``. Everything downstream can then trust the frames returned here.

Examples
--------
>>> raw = pl.DataFrame({"uid": ["1:1", "1:1"], "task": ["tags", "tags"],
...                     "annotator": ["a", "a"], "value": ["Gambling|Politics", "Politics"]})
>>> normalise_annotations(raw, source="x.csv").get_column("value").to_list()
[['Politics']]
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from workbench.core.config import CleaningConfig
from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked, sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import LabelSnapshotRef, recorded_path
from workbench.core.schemas import UTC_DATETIME
from workbench.core.taxonomy import Taxonomy
from workbench.curation.input_files import InputRecord, load_texts, read_table, require_columns

#: Project name of adjudicated answers from the review loop; they win over every other answer.
REVIEW_PROJECT = "review"

#: Separator of multiple labels in a CSV ``value`` cell.
MULTI_SEPARATOR = "|"

#: Columns of the normalised annotations frame.
ANNOTATION_COLUMNS: dict[str, pl.DataType] = {
    "uid": pl.Utf8,
    "task": pl.Utf8,
    "annotator": pl.Utf8,
    "value": pl.List(pl.Utf8),
    "review": pl.Boolean,
    "updated_at": UTC_DATETIME,
}


@dataclass(frozen=True)
class TaskSpec:
    """One task to curate.

    Attributes
    ----------
    name
        Task name.
    kind
        ``single`` (exactly one label) or ``multi`` (any number).
    labels
        Allowed labels in taxonomy order (or sorted, for a task known only from the data).
    when
        ``(task, label)``: the task applies only when that task has that label.
    in_taxonomy
        False for a task found only in the annotations.
    """

    name: str
    kind: Literal["single", "multi"]
    labels: list[str]
    when: tuple[str, str] | None = None
    in_taxonomy: bool = True


@dataclass
class CurationInputs:
    """Validated inputs of one curation command.

    Attributes
    ----------
    texts
        ``(n, ...)`` cleaned messages, one row per unique ``uid``.
    annotations
        Normalised annotations (:data:`ANNOTATION_COLUMNS`), only for uids present in ``texts``.
    tasks
        Tasks to curate, in taxonomy order then data order.
    records
        The input files (for manifests).
    notes
        Things the user should know (ignored rows and why).
    all_tasks
        Every task with annotations (``tasks`` plus the gates a chosen task depends on).
    label_snapshot
        The label snapshot the annotations are (None only for inputs built in memory).
    """

    texts: pl.DataFrame
    annotations: pl.DataFrame
    tasks: list[TaskSpec]
    records: list[InputRecord]
    notes: list[str] = field(default_factory=list)
    all_tasks: list[TaskSpec] = field(default_factory=list)
    label_snapshot: LabelSnapshotRef | None = None

    @property
    def annotations_sha(self) -> str:
        """SHA-256 of the annotations file (for a pull's file, its label snapshot's too)."""
        return next(r.sha256 for r in self.records if r.role == "annotations")

    @property
    def texts_sha(self) -> str:
        """SHA-256 of the texts file."""
        return next(r.sha256 for r in self.records if r.role == "texts")

    def task(self, name: str) -> TaskSpec:
        """The spec of task ``name``."""
        return next(t for t in self.tasks if t.name == name)


def normalise_annotations(raw: pl.DataFrame, *, source: str) -> pl.DataFrame:
    """Bring annotations to :data:`ANNOTATION_COLUMNS`, one row per (uid, task, annotator, review).

    ``value`` strings are split on ``|``; labels are stripped, empty ones dropped, repeats removed.
    Rows from project ``review`` get ``review=True``. When an annotator answered the same item and
    task more than once, the latest ``updated_at`` (else the last row) wins.
    """
    require_columns(raw, ["uid", "task", "annotator", "value"], source, "annotations")
    value = raw.schema["value"]
    if value == pl.Utf8:
        split = pl.col("value").fill_null("").str.split(MULTI_SEPARATOR)
    elif isinstance(value, pl.List) and value.inner in (pl.Utf8, pl.String):
        split = pl.col("value").fill_null([])
    else:
        msg = f"{source}: column 'value' must be a list of strings or a '|'-separated string, got {value}"
        raise DataContractError(msg)
    updated = (_as_utc("updated_at", raw.schema["updated_at"]) if "updated_at" in raw.columns
               else pl.lit(None, dtype=UTC_DATETIME))
    review = (pl.col("project").fill_null("") == REVIEW_PROJECT) if "project" in raw.columns else (
        pl.lit(value=False))
    df = raw.with_row_index("_row").select(
        pl.col("uid").cast(pl.Utf8),
        pl.col("task").cast(pl.Utf8),
        pl.col("annotator").cast(pl.Utf8).fill_null(""),
        split.list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != "")).list.unique(maintain_order=True).alias("value"),
        review.alias("review"),
        updated.alias("updated_at"),
        "_row",
    )
    bad = df.filter(pl.col("uid").is_null() | pl.col("task").is_null() | (pl.col("task") == ""))
    if bad.height:
        msg = f"{source}: {bad.height} annotation row(s) lack a uid or task (first at row {bad.item(0, '_row') + 1})"
        raise DataContractError(msg)
    return (
        df.sort(["updated_at", "_row"], nulls_last=False)
        .unique(subset=["uid", "task", "annotator", "review"], keep="last", maintain_order=True)
        .sort("_row")
        .select(list(ANNOTATION_COLUMNS))
    )


def _as_utc(column: str, dtype: pl.DataType) -> pl.Expr:
    """``column`` as UTC datetimes; a value that is no time becomes null (the row order decides).

    A CSV brings times as text ("2024-06-01T10:00:00+0300", "2024-06-01 10:00"): polars no
    longer casts text to datetimes, so text is parsed, naive times are read as UTC.
    """
    col = pl.col(column)
    if dtype == pl.Utf8:
        return col.str.to_datetime(time_zone="UTC", strict=False).dt.cast_time_unit("us")
    if isinstance(dtype, pl.Datetime):
        at = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else (
            col.dt.convert_time_zone("UTC"))
        return at.dt.cast_time_unit("us")
    return col.cast(UTC_DATETIME, strict=False)


def load_annotations(
    path: Path | None, data_dir: Path
) -> tuple[pl.DataFrame, InputRecord, LabelSnapshotRef]:
    """Read and normalise annotations (default ``data_dir/labels/annotations.parquet``).

    Returns
    -------
    tuple
        The normalised frame, its input record, and the label snapshot it is: the pull's file
        under ``labels/snapshots/`` with the same bytes, or the user's file itself.

    Raises
    ------
    DataContractError
        ``labels/annotations.parquet`` matches no snapshot (it was not written by a pull), or a
        file given as ``path`` holds no annotation.
    """
    if path is None:
        path = Layout(data_dir).annotations
        raw = read_parquet_checked(
            path, ["uid", "task", "annotator", "value"],
            hint="run `workbench label pull` first, or pass --annotations FILE")
    else:
        raw = read_table(path, what="annotations")
        if not raw.height:
            # A file given on purpose with no answer is a mistake (an export cut short, the wrong
            # file): running on would replace the curated outputs with empty ones.
            msg = f"{path}: no annotations in the file (only a header); nothing was written"
            raise DataContractError(msg)
    df = normalise_annotations(raw, source=str(path))
    record = InputRecord("annotations", str(path), sha256_file(path), raw.height)
    if path == Layout(data_dir).annotations:
        snapshot = find_label_snapshot(data_dir, record.sha256)
    else:
        snapshot = LabelSnapshotRef(id=path.stem, path=recorded_path(path), sha256=record.sha256)
    return df, record, snapshot


def find_label_snapshot(data_dir: Path, sha256: str) -> LabelSnapshotRef:
    """The snapshot under ``labels/snapshots/`` whose content hash is ``sha256``.

    A pull names each snapshot ``<utc>-<sha256[:12]>.parquet``, so only files with that suffix
    are hashed.
    """
    lay = Layout(data_dir)
    candidates = sorted(lay.label_snapshots.glob(f"*-{sha256[:12]}.parquet"))
    for snapshot in candidates:
        if sha256_file(snapshot) == sha256:
            return LabelSnapshotRef(id=snapshot.stem, path=recorded_path(snapshot), sha256=sha256)
    msg = (f"{lay.annotations}: no label snapshot under {lay.label_snapshots} has its sha256 "
           f"({sha256[:12]}); write it with `workbench label pull`, or pass --annotations FILE")
    raise DataContractError(msg)


def resolve_tasks(
    annotations: pl.DataFrame, taxonomy: Taxonomy, *, only: Sequence[str] | None = None
) -> list[TaskSpec]:
    """The tasks to curate: taxonomy tasks that have annotations, then tasks known only from data.

    A task outside the taxonomy takes its labels from the data (sorted) and is ``multi`` when any
    answer has more than one label. ``only`` restricts to the named tasks; an unknown name is a
    one-line error with a suggestion.
    """
    present = annotations.get_column("task").unique().to_list()
    specs = [
        TaskSpec(t.name, t.kind, t.values, (t.when.task, t.when.equals) if t.when else None)
        for t in taxonomy.tasks if t.name in present
    ]
    for name in sorted(set(present) - set(taxonomy.names)):
        rows = annotations.filter(pl.col("task") == name)
        labels = sorted(set(rows.get_column("value").explode().drop_nulls().to_list()))
        multi = bool((rows.get_column("value").list.len() > 1).any())
        specs.append(TaskSpec(name, "multi" if multi else "single", labels, None, in_taxonomy=False))
    if only:
        known = [s.name for s in specs]
        for name in only:
            if name not in known:
                everything = sorted(set(known) | set(taxonomy.names))
                hint = difflib.get_close_matches(name, everything, n=1)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                where = "has no annotations" if name in taxonomy.names else "is unknown"
                msg = f"task '{name}' {where}{did}; tasks with annotations: {', '.join(known) or 'none'}"
                raise DataContractError(msg)
        specs = [s for s in specs if s.name in only]
    return specs


def validate_annotations(annotations: pl.DataFrame, tasks: Sequence[TaskSpec], source: str) -> None:
    """Fail on labels outside a task's label set and on several labels for a single-choice task."""
    for spec in tasks:
        rows = annotations.filter(pl.col("task") == spec.name)
        flat = rows.select("uid", "value").explode("value").drop_nulls("value")
        unknown = flat.filter(~pl.col("value").is_in(spec.labels))
        if unknown.height:
            seen = unknown.get_column("value").unique(maintain_order=True).head(3).to_list()
            msg = (f"{source}: task '{spec.name}' has {unknown.height} unknown label(s) {seen} "
                   f"(e.g. uid {unknown.item(0, 'uid')}); allowed: {', '.join(spec.labels)}")
            raise DataContractError(msg)
        if spec.kind == "single":
            many = rows.filter(pl.col("value").list.len() > 1)
            if many.height:
                msg = (f"{source}: task '{spec.name}' takes one label but {many.height} answer(s) "
                       f"have several (e.g. uid {many.item(0, 'uid')}: {many.item(0, 'value').to_list()})")
                raise DataContractError(msg)


def migrate_labels(annotations: pl.DataFrame, taxonomy: Taxonomy) -> tuple[pl.DataFrame, str | None]:
    """Labels the taxonomy no longer declares, mapped forward by its ``migrations``.

    As ``label pull`` maps answers whose version it does not know: only labels the current
    version lacks, so a current label is never remapped. A team's own annotations file written
    before a label was renamed is then read, since the taxonomy says where the label went.

    Returns
    -------
    tuple
        The annotations, and a note naming what was mapped (None when nothing was).
    """
    done: list[str] = []
    n_rows = 0
    for task in taxonomy.tasks:
        rows = pl.col("task") == task.name
        seen = (annotations.filter(rows).get_column("value").explode().drop_nulls().unique()
                .to_list())
        mapping = {}
        for old in seen:
            new = taxonomy.migrate(task.name, [old]) if old not in task.values else [old]
            if new != [old]:
                mapping[old] = new[0]
        if not mapping:
            continue
        hit = rows & pl.col("value").list.eval(pl.element().is_in(list(mapping))).list.any()
        n_rows += annotations.filter(hit).height
        annotations = annotations.with_columns(value=pl.when(hit).then(
            pl.col("value").list.eval(pl.element().replace(mapping)).list.unique(maintain_order=True)
        ).otherwise(pl.col("value")))
        done += [f"{task.name} '{a}' -> '{b}'" for a, b in sorted(mapping.items())]
    if not done:
        return annotations, None
    return annotations, (f"{n_rows} answer(s) with labels of an older taxonomy version mapped "
                         f"forward (taxonomy migrations): {', '.join(done)}")


def add_implicit_empty(annotations: pl.DataFrame, tasks: Sequence[TaskSpec]) -> pl.DataFrame:
    """Give conditional multi-label tasks an explicit empty answer where the annotator saw them.

    An annotator who answered the gate (``is_ad = Ad``) and left every tag unchecked has said
    "no tags"; tools store that as no row at all. Without the empty answer those items would
    drop out of the tags task and never count as a negative.
    """
    extra = []
    for spec in tasks:
        if spec.kind != "multi" or spec.when is None:
            continue
        gate, label = spec.when
        opened = annotations.filter(
            (pl.col("task") == gate) & pl.col("value").list.contains(label)
        ).select("uid", "annotator", "review", "updated_at")
        answered = annotations.filter(pl.col("task") == spec.name).select("uid", "annotator", "review")
        missing = opened.join(answered, on=["uid", "annotator", "review"], how="anti")
        if missing.height:
            extra.append(missing.with_columns(
                task=pl.lit(spec.name), value=pl.lit([], dtype=pl.List(pl.Utf8))
            ).select(list(ANNOTATION_COLUMNS)))
    return pl.concat([annotations, *extra], how="vertical") if extra else annotations


def load_inputs(
    data_dir: Path,
    *,
    texts: Path | None = None,
    annotations: Path | None = None,
    tasks: Sequence[str] | None = None,
    taxonomy: Taxonomy | None = None,
    cleaning: CleaningConfig | None = None,
    max_text_chars: int | None = None,
) -> CurationInputs:
    """Read texts and annotations, validate them against the taxonomy, and pick the tasks.

    Annotations of uids absent from the texts are dropped (and counted in ``notes``).
    """
    from workbench.core.taxonomy import load_taxonomy

    taxonomy = taxonomy or load_taxonomy()
    text_df, text_rec = load_texts(texts, data_dir, cleaning=cleaning,
                                   max_text_chars=max_text_chars)
    ann_df, ann_rec, snapshot = load_annotations(annotations, data_dir)
    notes = []
    if ann_rec.rows > ann_df.height:
        # normalise_annotations keeps one answer per annotator, item and task: say so, a
        # duplicated export or an annotator who changed their mind is worth knowing about.
        notes.append(f"{ann_rec.rows - ann_df.height} repeated answer(s) (same uid, task and "
                     "annotator): the latest kept (by updated_at, else the last row)")
    ann_df, migrated = migrate_labels(ann_df, taxonomy)
    if migrated:
        notes.append(migrated)
    known = ann_df.join(text_df.select("uid"), on="uid", how="semi")
    if known.height < ann_df.height:
        lost = ann_df.height - known.height
        notes.append(f"{lost} annotation(s) name uids missing from {text_rec.path}: ignored")
    specs = resolve_tasks(known, taxonomy, only=tasks)
    # Every task is validated, not only the chosen ones: a chosen task's gate must be sound too.
    validate_annotations(known, resolve_tasks(known, taxonomy), ann_rec.path)
    empty_single = (pl.col("value").list.len() == 0) & pl.col("task").is_in(
        [s.name for s in resolve_tasks(known, taxonomy) if s.kind == "single"])
    n_empty = known.filter(empty_single).height
    if n_empty:
        notes.append(f"{n_empty} empty answer(s) to single-choice tasks: ignored")
        known = known.filter(~empty_single)
    if tasks:
        # Gates of the chosen tasks stay available: "vertical among ads" needs is_ad.
        needed = {s.name for s in specs} | {s.when[0] for s in specs if s.when}
        known = known.filter(pl.col("task").is_in(list(needed)))
    every = resolve_tasks(known, taxonomy)
    known = add_implicit_empty(known, every)
    return CurationInputs(text_df, known, specs, [text_rec, ann_rec], notes, every, snapshot)
