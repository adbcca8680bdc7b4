"""What the curation dashboard shows: labeling progress, agreement, flagged items, split sizes.

Progress comes from the labeling server when it answers (live counters), else from the last
pull (``DIR/labels/annotations.parquet``); flagged items from ``DIR/curated/label_issues.parquet``
(the learning curve from ``learning_curve.parquet``, when ``curate curve`` ran)
and ``outliers.parquet``, each linked to its task in Label Studio's review project when that
project exists; split sizes from ``DIR/curated/splits/manifest.json``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.errors import UnreadableFileError, WorkbenchError
from workbench.core.io import read_json_checked, read_parquet_checked
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import SplitsManifest, read_manifest
from workbench.webapp.unreadable import UnreadableFiles

#: Flagged items listed per reason (the worst first); the counts cover all of them.
ITEMS_PER_REASON = 10
SPLITS = ("train", "val", "test")
LABEL_COLUMNS = ("is_ad", "vertical", "tags")
#: The row of a multilabel task's table counting items with no label at all.
NO_TAG = "(no tag)"


@dataclass
class Dashboard:
    """Everything the dashboard page renders."""

    progress_source: str
    projects: list[dict[str, Any]] = field(default_factory=list)
    annotators: list[dict[str, Any]] = field(default_factory=list)
    alphas: list[dict[str, Any]] = field(default_factory=list)
    kappas: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)
    #: Per readable reason: its count and the first items (uid, reasons, detail, text, link).
    outliers: list[dict[str, Any]] = field(default_factory=list)
    splits: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Files relative to the data dir that no longer read back (their sections left out).
    unreadable: list[str] = field(default_factory=list)


_cache: dict[str, tuple[float, Dashboard]] = {}


def build_dashboard(data_dir: Path, cfg: ProjectConfig, *, max_age_s: float = 30.0) -> Dashboard:
    """Collect the dashboard (cached ``max_age_s``: the live counters cost server calls)."""
    key = str(data_dir.resolve())
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < max_age_s:
        return hit[1]
    from workbench.evaluation.ratings import server_answers

    board = Dashboard(progress_source="")
    files = UnreadableFiles(data_dir)
    live = server_answers(data_dir, timeout=1.0)  # one probe for progress and links alike
    files.attempt(lambda: _progress(board, data_dir, cfg, live=live))
    texts = files.attempt(lambda: _texts(data_dir)) or {}
    _flagged(board, data_dir, texts, files)
    _outliers(board, data_dir, texts, files)
    # Only items that are listed need a link (and a note when the review project is missing).
    if live and (board.flagged or board.outliers):
        _link(board, _review_links(data_dir, cfg, board))
    _splits(board, data_dir, cfg, files)
    files.attempt(lambda: _curve(board, data_dir))
    board.unreadable = files.names
    _cache[key] = (time.monotonic(), board)
    return board


def _progress(board: Dashboard, data_dir: Path, cfg: ProjectConfig, *, live: bool) -> None:
    from workbench.labeling.status import done_text, finished_text, run_status, seconds_text

    annotations = Layout(data_dir).annotations
    if not live and not annotations.exists():
        board.progress_source = "none"
        board.notes.append("No labels yet: start Label Studio (`workbench label serve`) and push.")
        return
    try:
        report = run_status(data_dir, cfg, from_file=not live)
    except UnreadableFileError:
        board.progress_source = "unavailable"
        raise
    except WorkbenchError as exc:
        board.progress_source = "unavailable"
        board.notes.append(f"Labeling progress unavailable: {exc}")
        return
    board.progress_source = report.source
    board.projects = [{"key": p.key, "project_id": p.project_id, "tasks": p.tasks,
                       "annotated": p.tasks_annotated, "annotations": p.annotations,
                       "finished": finished_text(p.tasks_finished),
                       "share": p.tasks_annotated / p.tasks if p.tasks else 0.0,
                       "done": done_text(p.tasks_annotated, p.tasks)}
                      for p in report.projects]
    board.annotators = [{**a, "seconds": seconds_text(a["median_lead_time_s"])}
                        for a in report.annotators.to_dicts()]
    board.alphas = [asdict(a) for a in report.alphas]
    board.kappas = [asdict(k) for k in report.kappas]


def _curve(board: Dashboard, data_dir: Path) -> None:
    """Per task: accuracy at each label count, random vs uncertainty order side by side."""
    path = Layout(data_dir).learning_curve
    if not path.exists():
        return
    curve = read_parquet_checked(path, ("order", "task", "n_labels", "accuracy"))
    wide = (curve.pivot(on="order", index=["task", "n_labels"], values="accuracy")
            .sort("task", "n_labels"))
    for (task,), part in wide.group_by("task", maintain_order=True):
        board.curve.append({"task": task, "rows": part.drop("task").to_dicts()})


def _review_links(data_dir: Path, cfg: ProjectConfig, board: Dashboard) -> dict[str, str]:
    """Uid -> URL of its task in the review project (the server answers: checked by the caller)."""
    if cfg.labeling.backend != "labelstudio":
        return {}
    from workbench.labeling.backends import labeling_taxonomy
    from workbench.labeling.labelstudio.backend import LabelStudioBackend
    from workbench.labeling.records import REVIEW_PROJECT

    taxonomy, _ = labeling_taxonomy(cfg)
    backend = LabelStudioBackend(data_dir, cfg.labeling, taxonomy)
    try:
        project = backend.managed_projects().get(REVIEW_PROJECT)
        if project is None:
            board.notes.append("Flagged items are not in a review project yet: "
                               "`workbench label push --review`.")
            return {}
        base = backend.project_url(project["id"])
        return {uid: f"{base}?task={tasks[0]['id']}"
                for uid, tasks in backend.task_ids(project["id"]).items() if tasks}
    except WorkbenchError as exc:
        board.notes.append(f"Links to the review project unavailable: {exc}")
        return {}
    finally:
        backend.close()


def _flagged(board: Dashboard, data_dir: Path, texts: dict[str, str],
             unreadable: UnreadableFiles) -> None:
    issues_path = Layout(data_dir).label_issues
    if not issues_path.exists():
        board.notes.append("No curation output yet: `workbench curate flag`.")
        return
    issues = unreadable.attempt(lambda: read_parquet_checked(
        issues_path, ("is_issue", "task", "reason", "label_quality", "uid")))
    if issues is None:
        return
    from workbench.curation.outcome import reason_kind

    issues = issues.filter(pl.col("is_issue")).with_columns(
        kind=pl.col("reason").map_elements(reason_kind, return_dtype=pl.Utf8))
    for (task, kind), part in sorted(issues.group_by("task", "kind"),
                                     key=lambda kv: (-kv[1].height, str(kv[0]))):
        worst = part.sort("label_quality").head(ITEMS_PER_REASON).to_dicts()
        board.flagged.append({
            "task": task, "reason": kind, "count": part.height,
            "items": [{"uid": r["uid"], "given": _show(r.get("given")),
                       "suggested": _show(r.get("suggested")),
                       "quality": r.get("label_quality"), "why": r.get("reason") or "",
                       "text": texts.get(r["uid"], ""), "link": None} for r in worst]})


def _outliers(board: Dashboard, data_dir: Path, texts: dict[str, str],
              unreadable: UnreadableFiles) -> None:
    """Outliers per readable reason (an item with two reasons counts under both), listed."""
    from workbench.curation.outliers import reason_names

    path = Layout(data_dir).outliers
    if not path.exists():
        return
    outliers = unreadable.attempt(lambda: read_parquet_checked(path, ("uid",)))
    if outliers is None:
        return
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in outliers.iter_rows(named=True):
        item = {"uid": row["uid"], "reasons": ", ".join(reason_names(row.get("reason") or "")),
                "detail": _readable_detail(row.get("detail") or ""),
                "text": texts.get(row["uid"], ""), "link": None}
        for name in reason_names(row.get("reason") or ""):
            groups.setdefault(name, []).append(item)
    board.outliers = [{"reason": name, "count": len(items), "items": items[:ITEMS_PER_REASON]}
                      for name, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]),
                                                                                   kv[0]))]


def _readable_detail(detail: str) -> str:
    """``"non_amharic: 12% ..."`` parts with each reason code replaced by its name."""
    from workbench.curation.outliers import REASON_NAMES

    parts = []
    for part in detail.split("; "):
        code, sep, rest = part.partition(": ")
        parts.append(f"{REASON_NAMES[code]}: {rest}" if sep and code in REASON_NAMES else part)
    return "; ".join(parts)


def _link(board: Dashboard, links: dict[str, str]) -> None:
    """Give every listed flagged item and outlier its review-project link, when it has one."""
    for group in (*board.flagged, *board.outliers):
        for item in group["items"]:
            item["link"] = links.get(item["uid"])


def _texts(data_dir: Path) -> dict[str, str]:
    """Uid -> text of the messages curation flagged: the texts input its manifest names."""
    path = Layout(data_dir).cleaned_messages
    manifest = Layout(data_dir).curated / MANIFEST
    if manifest.exists():
        inputs = read_json_checked(manifest).get("inputs") or []
        named = [Path(i["path"]) for i in inputs if i.get("role") == "texts" and i.get("path")]
        if named:
            path = named[0]
    if not path.exists():
        return {}
    if path.suffix == ".parquet":
        frame = read_parquet_checked(path, ("uid", "text"), project=True)
    else:  # a CSV/TSV the user gave `curate flag --texts`
        from workbench.curation.input_files import read_table

        frame = read_table(path, what="texts")
        if not {"uid", "text"} <= set(frame.columns):
            return {}
    return dict(zip(frame["uid"].to_list(), frame["text"].to_list(), strict=True))


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _splits(board: Dashboard, data_dir: Path, cfg: ProjectConfig,
            unreadable: UnreadableFiles) -> None:
    lay = Layout(data_dir)
    files = {name: lay.split(name) for name in SPLITS}
    if not any(f.exists() for f in files.values()):
        board.notes.append("No splits yet: `workbench curate split`.")
        return
    conditions = _task_conditions(cfg)
    # Counted from the split files themselves, so the table is right whoever wrote them.
    by_task: dict[str, dict[str, dict[str, int]]] = {}
    for split, path in files.items():
        if not path.exists():
            continue
        whole = unreadable.attempt(lambda path=path: read_parquet_checked(path))
        if whole is None:
            continue
        frame = whole.select([c for c in LABEL_COLUMNS if c in whole.columns])
        for task in frame.columns:
            rows = frame
            condition = conditions.get(task)
            if condition is not None and condition[0] in frame.columns:
                # A task asked only of some items (tags of ads) is counted over those items.
                rows = frame.filter(pl.col(condition[0]) == condition[1])
            for label, n in _label_counts(rows[task]).items():
                by_task.setdefault(task, {}).setdefault(label, {})[split] = n
    try:
        manifest = read_manifest(lay.splits_manifest, SplitsManifest,
                                 hint="run `workbench curate split` first")
    except UnreadableFileError as exc:
        unreadable.add(exc)
        manifest = None
    except WorkbenchError as exc:
        # The counts above stand on their own; the page says why the provenance is missing.
        board.notes.append(str(exc))
        manifest = None
    board.splits = {"split_names": [s for s, f in files.items() if f.exists()],
                    "counts_by_task": {t: dict(sorted(v.items())) for t, v in by_task.items()},
                    "conditions": {t: f"{c[0]} = {c[1]}" for t, c in conditions.items()},
                    "excluded": manifest.excluded if manifest else {},
                    "label_snapshot": manifest.label_snapshot.id if manifest else None,
                    "created_at": manifest.created_at if manifest else None}


def _label_counts(column: pl.Series) -> dict[str, int]:
    """Items per label.

    For a multilabel task: one count per tag, and ``(no tag)`` for the items with an empty list
    (an unanswered item, null, is not counted).
    """
    if column.dtype != pl.List(pl.Utf8):
        return {str(label): int(n) for label, n in column.drop_nulls().value_counts().iter_rows()}
    answered = column.drop_nulls()
    counts = {str(label): int(n) for label, n in
              answered.explode().drop_nulls().value_counts().iter_rows()}
    untagged = int((answered.list.len() == 0).sum())
    if untagged:
        counts[NO_TAG] = untagged
    return counts


def _task_conditions(cfg: ProjectConfig) -> dict[str, tuple[str, str]]:
    """Task -> (task, label) it is asked under, from the taxonomy (``tags``: ``is_ad`` = Ad)."""
    from workbench.labeling.backends import labeling_taxonomy

    try:
        taxonomy, _ = labeling_taxonomy(cfg)
    except WorkbenchError:
        return {}
    return {t.name: (t.when.task, t.when.equals) for t in taxonomy.tasks if t.when is not None}
