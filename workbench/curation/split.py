"""``workbench curate split``: final labels, then train/val/test splits that cannot leak.

Final label per item and task, in order: the adjudicated answer of the review loop, the
consensus of two or more annotators (from ``curate flag``), the single annotator's
answer. Items with a label still flagged and not adjudicated are left out and counted, as are
items ``flag`` never saw (or whose answers changed since): unchecked labels never reach training
silently.

Splits are made of groups, never of items: a group is a near-duplicate cluster (so a repost and
its original always land together), widened to whole channels with ``by="channel"``. Groups are
assigned greedily, biggest first, to the split whose per-label deficit they fill best, which
keeps the label distribution of every split close to the whole (stratification). ``by="time"``
fills train with the oldest groups, then val, then test; ``holdout_channels`` sends whole
channels (and every cluster touching them) to test and splits the rest into train and val.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.core.errors import DataContractError
from workbench.core.io import read_parquet_checked, sha256_file, write_parquet_atomic
from workbench.core.layout import Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    SplitsManifest,
    SplitTask,
    envelope,
    write_manifest,
)
from workbench.core.settings.curation import SplitConfig, with_overrides
from workbench.curation.answers import collect_answers, majority
from workbench.curation.input_files import InputRecord
from workbench.curation.inputs import CurationInputs, TaskSpec, load_inputs
from workbench.curation.split_result import SPLITS, SplitResult

if TYPE_CHECKING:
    from workbench.core.config import ProjectConfig


#: Weakest first: an item's ``label_source`` is the weakest source among its task labels.
SOURCE_ORDER = ("single", "consensus", "adjudicated")


# --- final labels -------------------------------------------------------------------------------

def final_labels(
    inputs: CurationInputs, issues: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Resolve one label per item and task, and decide which items are usable.

    Parameters
    ----------
    inputs
        Current texts, annotations and tasks.
    issues
        ``label_issues`` rows written by ``curate flag``.

    Returns
    -------
    tuple
        ``(m, 2 + T)`` frame of usable items: ``uid``, one column per task (single: Utf8, null when
        the task does not apply or was not answered; multi: List(Utf8)), ``label_source``; and an
        ``(e, 2)`` frame of excluded items: ``uid``, ``reason`` (the first reason found).
    """
    decided: dict[str, dict[str, tuple[list[str], str]]] = {}
    excluded: dict[str, str] = {}
    by_task = {t: f for (t,), f in issues.partition_by("task", as_dict=True).items()} if (
        issues.height) else {}
    for spec in inputs.tasks:
        items = collect_answers(inputs.annotations, spec, inputs.all_tasks)
        flagged = by_task.get(spec.name)
        known = {} if flagged is None else {
            r["uid"]: r for r in flagged.select("uid", "given", "is_issue", "label", "label_source")
            .iter_rows(named=True)}
        for uid, votes, adjudicated in zip(items.uids, items.votes, items.adjudicated, strict=True):
            if adjudicated is not None:
                decided.setdefault(uid, {})[spec.name] = (adjudicated, "adjudicated")
                continue
            row = known.get(uid)
            given = majority([v for _, v in votes], spec.kind, spec.labels)
            if row is None or list(row["given"] or []) != given:
                excluded.setdefault(uid, f"{spec.name}: not checked by curate flag")
            elif row["is_issue"]:
                excluded.setdefault(uid, f"{spec.name}: flagged, not adjudicated")
            else:
                decided.setdefault(uid, {})[spec.name] = (list(row["label"]), row["label_source"])

    roots = [t for t in inputs.tasks if t.when is None]
    rows = []
    for uid, answers in decided.items():
        if uid in excluded:
            continue
        missing_root = next((t.name for t in roots if t.name not in answers), None)
        if missing_root is not None:
            excluded[uid] = f"{missing_root}: no label"
            continue
        row: dict[str, Any] = {"uid": uid}
        sources = []
        for spec in inputs.tasks:
            applies = spec.when is None or spec.when[1] in answers.get(spec.when[0], ([], ""))[0]
            value = answers.get(spec.name) if applies else None
            if value is not None:
                sources.append(value[1])
            label = None if value is None else value[0]
            row[spec.name] = (label[0] if label else None) if spec.kind == "single" else label
        row["label_source"] = min(sources, key=SOURCE_ORDER.index)
        rows.append(row)
    schema: dict[str, pl.DataType] = {"uid": pl.Utf8}
    for spec in inputs.tasks:
        schema[spec.name] = pl.Utf8 if spec.kind == "single" else pl.List(pl.Utf8)
    schema["label_source"] = pl.Utf8
    labels = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    out = pl.DataFrame({"uid": list(excluded), "reason": list(excluded.values())},
                       schema={"uid": pl.Utf8, "reason": pl.Utf8})
    return labels.sort("uid"), out.sort("uid")


# --- group assignment ---------------------------------------------------------------------------

def assign_groups(
    groups: np.ndarray,
    strata: np.ndarray,
    ratios: Sequence[float],
    *,
    seed: int = 0,
) -> np.ndarray:
    """Assign whole groups to splits, stratified by label.

    Parameters
    ----------
    groups
        ``(n,)`` group id per item (any integers).
    strata
        ``(n,)`` stratum id per item (e.g. the label combination), integers ``0..S-1``.
    ratios
        Target share per split (``len(ratios)`` splits; zeros allowed).
    seed
        Seed of the order among groups of the same size.

    Returns
    -------
    np.ndarray
        ``(n,)`` split index per item; items of one group always share it.

    Examples
    --------
    >>> g = np.arange(10); s = np.array([0] * 5 + [1] * 5)
    >>> np.bincount(assign_groups(g, s, (0.6, 0.2, 0.2)), minlength=3).tolist()
    [6, 2, 2]
    """
    ratios_arr = np.asarray(ratios, dtype=float)
    uniq, group_idx = np.unique(groups, return_inverse=True)
    n_groups, n_strata = uniq.size, int(strata.max()) + 1 if strata.size else 0
    counts = np.zeros((n_groups, n_strata))
    np.add.at(counts, (group_idx, strata), 1.0)
    sizes = counts.sum(axis=1)
    totals = counts.sum(axis=0)
    target = totals[None, :] * ratios_arr[:, None]  # (splits, strata)
    filled = np.zeros_like(target)
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(n_groups), -sizes))
    allowed = ratios_arr > 0
    weight = 1.0 / np.maximum(totals, 1.0)
    n_total = max(sizes.sum(), 1.0)
    choice = np.zeros(n_groups, dtype=np.int64)
    for g in order:
        c = counts[g]
        # How much of each split's unmet need per stratum this group fills (rare strata weigh
        # more), plus the split's overall deficit to break ties between equally good splits.
        need = ((target - filled) * weight[None, :] * c[None, :]).sum(axis=1)
        overall = (ratios_arr * n_total - filled.sum(axis=1)) / n_total
        score = np.where(allowed, need + 1e-3 * overall, -np.inf)
        k = int(np.argmax(score))
        choice[g] = k
        filled[k] += c
    return choice[group_idx]


def _components(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the bipartite graph linking each item's ``a`` and ``b`` ids."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    n_a = int(ai.max()) + 1 if ai.size else 0
    n = n_a + (int(bi.max()) + 1 if bi.size else 0)
    graph = coo_matrix((np.ones(ai.size), (ai, n_a + bi)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return comp[ai]


def _channel_key(df: pl.DataFrame) -> pl.Expr:
    if "channel_id" in df.columns and df.get_column("channel_id").null_count() < df.height:
        return pl.col("channel_id").cast(pl.Utf8).fill_null("?")
    if "channel_name" in df.columns:
        return pl.col("channel_name").fill_null("?")
    return pl.lit("?")


def assign_splits(items: pl.DataFrame, tasks: Sequence[TaskSpec], cfg: SplitConfig) -> pl.Series:
    """Split name per item.

    Parameters
    ----------
    items
        Usable items with ``uid``, ``cluster_id``, the task columns, and ``channel_id`` /
        ``channel_name`` / ``date`` when the mode needs them.
    tasks
        The task columns (single-choice ones define the strata).
    cfg
        Ratios, mode, hold-outs and seed.

    Returns
    -------
    pl.Series
        ``split`` ("train" / "val" / "test"), aligned with ``items``.
    """
    n = items.height
    if n == 0:
        return pl.Series("split", [], dtype=pl.Utf8)
    singles = [t.name for t in tasks if t.kind == "single"]
    stratum = items.select(pl.concat_str([pl.col(c).fill_null("-") for c in singles] or [
        pl.lit("all")], separator="|")).to_series()
    strata = np.unique(stratum.to_numpy(), return_inverse=True)[1]
    clusters = np.unique(items.get_column("cluster_id").to_numpy(), return_inverse=True)[1]
    channel = items.select(_channel_key(items)).to_series().to_numpy()
    if cfg.by == "channel" and len(set(channel.tolist()) - {"?"}) < 2:
        # One channel (or none: a team's own texts file) went whole to train, val and test
        # empty, without a word.
        found = len(set(channel.tolist()) - {"?"})
        msg = (f"split by channel needs at least 2 channels in the texts (channel_name or "
               f"channel_id), found {found}; use --by random")
        raise DataContractError(msg)
    groups = _components(clusters, channel) if cfg.by == "channel" else clusters
    ratios = np.asarray(cfg.ratios, dtype=float)

    split = np.full(n, -1, dtype=np.int64)
    if cfg.holdout_channels:
        names = set(cfg.holdout_channels)
        in_holdout = items.select(
            pl.col("channel_name").is_in(list(names)).fill_null(value=False)
            | _channel_key(items).is_in(list(names))
            if "channel_name" in items.columns else _channel_key(items).is_in(list(names))
        ).to_series().to_numpy()
        # Every group touching a held-out channel goes to test, reposts elsewhere included.
        held_groups = np.unique(groups[in_holdout])
        split[np.isin(groups, held_groups)] = 2
        ratios = np.array([ratios[0], ratios[1], 0.0])
        ratios = ratios / ratios.sum()
    rest = split < 0
    if rest.any():
        if cfg.by == "time":
            split[rest] = _by_time(items.filter(pl.Series(rest)), groups[rest], ratios)
        else:
            split[rest] = assign_groups(groups[rest], strata[rest], ratios, seed=cfg.seed)
    if cfg.by == "channel":
        _check_channel_groups(split, groups, ratios)
    return pl.Series("split", np.array(SPLITS)[split])


def _check_channel_groups(split: np.ndarray, groups: np.ndarray, ratios: np.ndarray) -> None:
    """Refuse a split by channel that leaves a split with a share empty.

    Reposts join channels: a cluster never crosses splits, so every channel it touches travels
    with it, and a few shared reposts can bind all channels into one group that fills train
    (the samples' channels did: train 633, val 0, test 0, and evaluation then had nothing).
    """
    empty = [SPLITS[i] for i in range(len(SPLITS)) if ratios[i] > 0 and not (split == i).any()]
    if not empty:
        return
    n_groups = np.unique(groups).size
    msg = (f"split by channel left {' and '.join(empty)} empty: near-duplicate reposts bind the "
           f"channels into {n_groups} group(s) that must stay whole; use --by random or --by "
           f"time, or --holdout-channel NAME to test on one channel")
    raise DataContractError(msg)


def _by_time(items: pl.DataFrame, groups: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Oldest groups to train, then val, then test; a group's time is its earliest post."""
    if "date" not in items.columns or items.get_column("date").null_count() == items.height:
        msg = "split by time needs a 'date' column in the texts"
        raise DataContractError(msg)
    first = (pl.DataFrame({"g": groups, "date": items.get_column("date")})
             .group_by("g").agg(pl.col("date").min(), pl.len().alias("n"))
             .sort("date", "g", nulls_last=True))
    cum = first.get_column("n").cum_sum().to_numpy() / len(groups)
    edges = np.cumsum(ratios)
    # A group goes to the split in which its first item falls (cum - n/N is where it starts).
    start = cum - first.get_column("n").to_numpy() / len(groups)
    which = np.searchsorted(edges[:-1], start, side="right")
    which = np.where(ratios[which] > 0, which, np.argmax(ratios > 0))
    lookup = dict(zip(first.get_column("g").to_list(), which.tolist(), strict=True))
    return np.array([lookup[g] for g in groups.tolist()], dtype=np.int64)


# --- the command --------------------------------------------------------------------------------

def run_split(
    data_dir: Path,
    cfg: ProjectConfig,
    *,
    texts: Path | None = None,
    annotations: Path | None = None,
    out: Path | None = None,
    by: str | None = None,
    ratios: tuple[float, float, float] | None = None,
    holdout_channels: Sequence[str] | None = None,
    seed: int | None = None,
) -> SplitResult:
    """Resolve labels, split, and write ``splits/{train,val,test}.parquet``, manifest and card.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    cfg
        Project config (``curation.split``, ``curation.dedup``, ``curation.outliers``).
    texts, annotations
        User files instead of the stage files (as for ``flag``).
    out
        The curated folder holding ``label_issues.parquet`` (default ``data_dir/curated``);
        splits go to ``out/splits`` (by default the layout's splits folder).
    by, ratios, holdout_channels, seed
        Override the matching ``curation.split`` fields for this run.

    Returns
    -------
    SplitResult
        The splits and their facts.
    """
    from workbench.curation.card import write_card
    from workbench.curation.dedup import load_or_compute_clusters
    from workbench.curation.outliers import find_outliers

    scfg = with_overrides(cfg.curation.split, by=by, ratios=ratios, seed=seed,
                          holdout_channels=list(holdout_channels) if holdout_channels else None)
    lay = Layout(data_dir)
    out_dir = out or lay.curated
    issues_path = out_dir / lay.label_issues.name
    issues = read_parquet_checked(
        issues_path, ["uid", "task", "given", "is_issue", "label", "label_source"],
        hint="run `workbench curate flag` first")
    inputs = load_inputs(data_dir, texts=texts, annotations=annotations, cleaning=cfg.cleaning,
                         max_text_chars=cfg.ingest.max_text_chars)
    if scfg.holdout_channels:
        _check_channels(inputs.texts, scfg.holdout_channels)
    clusters, reused = load_or_compute_clusters(inputs.texts, inputs.texts_sha, out_dir,
                                                cfg.curation.dedup, data_dir=data_dir)
    labels, excluded = final_labels(inputs, issues)

    items = inputs.texts.join(labels, on="uid", how="inner").join(
        clusters.select("uid", "cluster_id"), on="uid", how="left")
    outliers = find_outliers(inputs.texts, clusters, cfg.curation.outliers)
    if scfg.exclude_outliers:
        codes = set(scfg.exclude_outliers)
        drop = outliers.filter(pl.col("reason").str.split(";").list.eval(
            pl.element().is_in(list(codes))).list.any()).select("uid")
        dropped = items.join(drop, on="uid", how="semi").select(
            "uid", pl.lit("outlier").alias("reason"))
        excluded = pl.concat([excluded, dropped])
        items = items.join(drop, on="uid", how="anti")
    split = assign_splits(items, inputs.tasks, scfg)
    items = items.with_columns(split)
    frames = {name: items.filter(pl.col("split") == name) for name in SPLITS}
    counts = excluded.with_columns(pl.col("reason").str.replace(r"^\w+: ", "")).group_by(
        "reason").len().sort("len", descending=True)
    result = SplitResult(frames, dict(counts.iter_rows()), inputs.tasks, scfg,
                         annotators=sorted(inputs.annotations.filter(~pl.col("review"))
                                           .get_column("annotator").unique().to_list()))

    split_dir = lay.splits if out is None else out / lay.splits.name
    outputs = {}
    for name, frame in frames.items():
        path = split_dir / lay.split(name).name
        write_parquet_atomic(path, frame)
        outputs[path.name] = OutputFile(rows=frame.height, sha256=sha256_file(path))
    records = [*inputs.records, InputRecord("label_issues", str(issues_path),
                                            sha256_file(issues_path), issues.height)]
    if reused:
        path = out_dir / lay.dup_clusters.name
        records.append(InputRecord("dup_clusters", str(path), sha256_file(path), clusters.height))
    outlier_counts = items.join(outliers, on="uid", how="inner").group_by("split").len()
    if inputs.label_snapshot is None:
        msg = "curation inputs without a label snapshot cannot be split"
        raise DataContractError(msg)
    manifest = SplitsManifest(
        **envelope("splits"), inputs=[InputFile(**r.as_dict()) for r in records],
        outputs=outputs, config=scfg.model_dump(mode="json"),
        label_snapshot=inputs.label_snapshot,
        tasks={t.name: SplitTask(kind=t.kind, labels=t.labels,
                                 when=list(t.when) if t.when else None) for t in inputs.tasks},
        counts=result.counts(),
        excluded=result.excluded,
        label_source={name: dict(f.group_by("label_source").len().iter_rows())
                      for name, f in frames.items()},
        outliers_included=dict(outlier_counts.iter_rows()),
        annotators=len(result.annotators),
        clusters_from=lay.dup_clusters.name if reused else "computed by split",
        notes=inputs.notes,
    )
    write_manifest(split_dir / lay.splits_manifest.name, manifest)
    result.manifest = manifest
    write_card(split_dir, result, outliers=outliers, curve=out_dir / lay.learning_curve.name)
    result.out_dir = split_dir
    return result


def _check_channels(texts: pl.DataFrame, wanted: Sequence[str]) -> None:
    known = set()
    for col in ("channel_name", "channel_id"):
        if col in texts.columns:
            known |= {str(v) for v in texts.get_column(col).drop_nulls().unique().to_list()}
    if not known:
        msg = ("--holdout-channel needs the texts' channels, and these texts have none (no "
               "channel_name or channel_id column); add one, or split --by random")
        raise DataContractError(msg)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        import difflib

        hint = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        msg = (f"hold-out channel '{unknown[0]}' is not in the texts{did}; channels: "
               f"{', '.join(sorted(known)[:10])}{' ...' if len(known) > 10 else ''}")
        raise DataContractError(msg)
