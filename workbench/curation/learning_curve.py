"""``workbench curate curve``: accuracy against the number of labels, from the labels collected.

How many labels are enough? For each single-choice task, the labels already collected are split
into K stratified folds; for each fold, models are trained on growing subsets of the other folds
and scored on the held-out fold (out of fold: no item is scored by a model that saw it). Two
orders of growth are compared:

* ``random``: labels in a random order (what labeling without a model gives);
* ``uncertainty``: start from the same random seed set, then repeatedly add the items the current
  model is least sure of (least confidence), as ``label push``'s uncertainty order does.

A curve still rising at the right edge says more labels will pay; a flat one says they will not
(for this classifier). Outputs (``curated/``): ``learning_curve.parquet`` (task, order, n_labels,
accuracy mean and sd over folds) and ``learning_curve.png``; the dataset card shows both.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.core.layout import Layout
from workbench.core.progress import step
from workbench.core.settings.curation import DEFAULT_CLASSIFIERS, FlagConfig, with_overrides
from workbench.curation.answers import collect_answers, majority
from workbench.curation.classifiers import (
    AUTO,
    ClassifierSpec,
    check_names,
    fit_predict,
    fold_count,
    get_classifier,
)
from workbench.curation.inputs import CurationInputs, load_inputs

if TYPE_CHECKING:
    from workbench.core.config import ProjectConfig

CURVE_SCHEMA = {"task": pl.Utf8, "classifier": pl.Utf8, "order": pl.Utf8, "n_labels": pl.Int64,
                "accuracy": pl.Float64, "accuracy_sd": pl.Float64, "folds": pl.Int64}

#: Points per curve: sizes grow geometrically from the seed set to every training label.
POINTS = 8


def sizes(n_pool: int, n_classes: int, points: int = POINTS) -> list[int]:
    """Training-set sizes of a curve: geometric from ``max(10, 2K)`` up to ``n_pool``.

    Examples
    --------
    >>> sizes(1000, 3)
    [10, 19, 37, 72, 139, 268, 518, 1000]
    """
    start = min(n_pool, max(10, 2 * n_classes))
    grid = np.geomspace(start, n_pool, num=points) if n_pool > start else np.array([n_pool])
    return sorted({int(np.rint(s)) for s in grid})


def curve(x: Any, y: np.ndarray, *, spec: ClassifierSpec, n_classes: int, folds: int = 5,
          seed: int = 0) -> pl.DataFrame:
    """Out-of-fold accuracy vs number of training labels, random vs uncertainty order.

    Parameters
    ----------
    x
        ``(n, d)`` features of the labeled items.
    y
        ``(n,)`` class indices.
    spec, n_classes, folds, seed
        As in :func:`~workbench.curation.classifiers.out_of_fold_probs`.

    Returns
    -------
    pl.DataFrame
        ``order``, ``n_labels``, ``accuracy`` (mean over folds), ``accuracy_sd``, ``folds``.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=int)
    k = fold_count(y, n_classes, folds)  # as curate flag lowers K
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
            np.zeros(y.size), y))
    rng = np.random.default_rng(seed)
    acc: dict[tuple[str, int], list[float]] = {}
    # The same points for every fold (training folds differ in size by an item or two).
    steps = sizes(min(train.size for train, _ in splits), n_classes)
    for train_idx, test_idx in splits:
        pool = rng.permutation(train_idx)

        def score(idx: np.ndarray, test_idx: np.ndarray = test_idx) -> float:
            p = fit_predict(spec, seed, x[idx], y[idx], x[test_idx], n_classes)
            return float((p.argmax(axis=1) == y[test_idx]).mean())

        for m in steps:
            acc.setdefault(("random", m), []).append(score(pool[:m]))
        chosen = pool[:steps[0]]
        rest = pool[steps[0]:]
        acc.setdefault(("uncertainty", steps[0]), []).append(score(chosen))
        for m in steps[1:]:
            # The current model ranks the unlabeled rest; its least confident items come next.
            p = fit_predict(spec, seed, x[chosen], y[chosen], x[rest], n_classes)
            order = np.argsort(p.max(axis=1), kind="stable")[: m - chosen.size]
            chosen = np.concatenate([chosen, rest[order]])
            rest = np.delete(rest, order)
            acc.setdefault(("uncertainty", m), []).append(score(chosen))
    rows = [{"order": o, "n_labels": m, "accuracy": float(np.mean(v)),
             "accuracy_sd": float(np.std(v)), "folds": len(v)} for (o, m), v in acc.items()]
    return pl.DataFrame(rows).sort("order", "n_labels")


def learning_curves(inputs: CurationInputs, cfg: FlagConfig) -> pl.DataFrame:
    """:func:`curve` for every single-choice task with enough labels (:data:`CURVE_SCHEMA`)."""
    from workbench.curation.classifiers import featurize

    # The curve covers single-choice tasks, so it uses their classifier; auto would mean one
    # out-of-fold run per candidate and label count, so it falls back to the default entry.
    name = cfg.classifier_for("single")
    name = DEFAULT_CLASSIFIERS["single"] if name == AUTO else name
    spec = get_classifier(name, encoder=cfg.encoder)
    texts = inputs.texts
    x = featurize(texts.get_column(cfg.text_column).fill_null("").to_list(), spec)
    row_of = {u: i for i, u in enumerate(texts.get_column("uid").to_list())}
    frames = []
    for task in inputs.tasks:
        if task.kind != "single":
            continue
        answers = collect_answers(inputs.annotations, task, inputs.all_tasks)
        train = [a if a is not None else majority([v for _, v in vs], task.kind, task.labels)
                 for a, vs in zip(answers.adjudicated, answers.votes, strict=True)]
        keep = [i for i, t in enumerate(train) if t]
        classes = sorted({train[i][0] for i in keep})
        if len(keep) < cfg.min_labeled or len(classes) < 2:
            continue
        index = {c: j for j, c in enumerate(classes)}
        y = np.array([index[train[i][0]] for i in keep])
        rows = np.array([row_of[answers.uids[i]] for i in keep])
        with step(f"curve: {task.name} ({len(keep):,} labels, {spec.name})"):
            points = curve(x[rows], y, spec=spec, n_classes=len(classes), folds=cfg.folds,
                           seed=cfg.seed)
        frames.append(points.with_columns(task=pl.lit(task.name), classifier=pl.lit(spec.name)))
    if not frames:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    return pl.concat(frames).select(list(CURVE_SCHEMA)).cast(CURVE_SCHEMA)  # type: ignore[arg-type]


def plot_curves(curves: pl.DataFrame, path: Path) -> None:
    """One panel per task: accuracy vs labels (log axis), one line per order, +-1 sd band."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.core.io import atomic_path

    tasks = curves.get_column("task").unique(maintain_order=True).to_list() or ["(none)"]
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        for order, color in (("random", "#4C72B0"), ("uncertainty", "#DD8452")):
            d = curves.filter((pl.col("task") == task) & (pl.col("order") == order))
            if not d.height:
                continue
            n, a, sd = (d.get_column(c).to_numpy() for c in ("n_labels", "accuracy", "accuracy_sd"))
            ax.plot(n, a, marker="o", color=color, label=f"{order} order")
            ax.fill_between(n, a - sd, a + sd, color=color, alpha=0.15)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(mpl.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())  # 2x10^1 labels collide
        ax.set_xlabel("labels used for training")
        ax.set_ylabel("out-of-fold accuracy")
        ax.set_title(task, fontsize=10, loc="left")
        if ax.get_legend_handles_labels()[0]:  # no curve (no task): matplotlib warns on a legend
            ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def run_curve(data_dir: Path, cfg: ProjectConfig, *, texts: Path | None = None,
              annotations: Path | None = None, tasks: Sequence[str] | None = None,
              out: Path | None = None, classifier: str | None = None) -> list[str]:
    """Compute, write ``learning_curve.parquet`` and ``.png``, and return the report lines."""
    from workbench.curation.outputs import write_outputs

    fcfg = with_overrides(cfg.curation.flag, classifier=classifier)
    check_names(fcfg.classifier_names(), fcfg.encoder)
    inputs = load_inputs(data_dir, texts=texts, annotations=annotations, tasks=tasks,
                         cleaning=cfg.cleaning, max_text_chars=cfg.ingest.max_text_chars)
    curves = learning_curves(inputs, fcfg)
    lay = Layout(data_dir)
    out_dir = out or lay.curated
    write_outputs(out_dir, {lay.learning_curve.name: curves}, command="curve",
                  inputs=inputs.records, config=fcfg.model_dump())
    plot_curves(curves, out_dir / lay.learning_curve_chart.name)
    return [*summary_lines(curves, folds=fcfg.folds), f"  wrote {lay.learning_curve.name} and "
            f"{lay.learning_curve_chart.name} to {out_dir}"]


def summary_lines(curves: pl.DataFrame, *, folds: int | None = None) -> list[str]:
    """Per task: accuracy at every label count, in both orders.

    With ``folds`` (the K asked for), a task whose rarest label lowered K says so, as ``curate
    flag`` does: its curve is measured on fewer, smaller training folds.
    """
    if not curves.height:
        return ["curve: no single-choice task with enough labels (min_labeled) and two labels"]
    used = ", ".join(curves.get_column("classifier").unique(maintain_order=True).to_list())
    lines = [f"curve: out-of-fold accuracy of {used} by number of training labels"]
    for task in curves.get_column("task").unique(maintain_order=True).to_list():
        for order in ("random", "uncertainty"):
            d = curves.filter((pl.col("task") == task) & (pl.col("order") == order))
            pts = ", ".join(f"{n}: {a:.3f}" for n, a in d.select("n_labels", "accuracy").iter_rows())
            lines.append(f"  {task} ({order}): {pts}")
        used = int(curves.filter(pl.col("task") == task).get_column("folds").max() or 0)
        if folds is not None and used < folds:
            lines.append(f"  {task}: {used} folds, not {folds}: a label has fewer than {folds} "
                         "items (see curate flag's line for which)")
    return lines
