"""``workbench curate``: flag, dedup, split, check. Each command wraps one plain function.

Cheap to import (``workbench --help`` loads it): scikit-learn, cleanlab, scipy and matplotlib are
imported inside the functions the commands call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.core.cli_options import (
    ConfigOption,
    DataDirOption,
    ProgressOption,
    config_default,
    resolve,
)
from workbench.core.progress import use_progress

app = typer.Typer(
    name="curate",
    help="Find noisy labels and weak annotators (cleanlab), near-duplicates and outliers; "
    "make leakage-free train/val/test splits and check them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

TextsOption = Annotated[
    Path | None,
    typer.Option("--texts", help="Parquet/CSV with uid, text (default: DIR/cleaned/messages.parquet).",
                 dir_okay=False),
]
AnnotationsOption = Annotated[
    Path | None,
    typer.Option("--annotations",
                 help="Parquet/CSV with uid, task, annotator, value ('|' separates multi-labels) "
                 "(default: DIR/labels/annotations.parquet).", dir_okay=False),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Curated folder (default: DIR/curated).", file_okay=False),
]
TaskOption = Annotated[
    list[str] | None,
    typer.Option("--task", help="Only this task (repeatable; default: every annotated task)."),
]


def _echo(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


@app.command()
def flag(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    texts: TextsOption = None,
    annotations: AnnotationsOption = None,
    task: TaskOption = None,
    out: OutOption = None,
    classifier: Annotated[
        str | None, typer.Option("--classifier", help="Classifier by name (tfidf_lr, tfidf_nb, "
                                 "tfidf_sgd, tfidf_nb_cal, tfidf_nb_svm, word_char_lr, embed_lr) or 'auto': per task, the "
                                 "lowest out-of-fold log loss, for every task (default: curation.flag.classifier, "
                                 "tfidf_nb_svm for single-choice and tfidf_lr for multi-label tasks).")
    ] = None,
    folds: Annotated[int | None, typer.Option("--folds", help="K of K-fold (default: 5).")] = None,
    repeats: Annotated[
        int | None,
        typer.Option("--repeats", help="Draws of the K folds averaged for single-choice tasks "
                     "(default: curation.flag.repeats, else 10 under 10,000 labels and 1 from "
                     "there; 1 is fastest)."),
    ] = None,
    encoder: Annotated[
        Path | None,
        typer.Option("--encoder", help="Local encoder folder for embed_lr (sentence-transformers "
                     "or Hugging Face model; default: curation.flag.encoder in workbench.yaml).",
                     file_okay=False),
    ] = None,
    self_check: Annotated[
        bool,
        typer.Option("--self-check", help="Flip a known share of confidently labeled items and "
                     "report the flagger's precision/recall on them; writes nothing."),
    ] = False,
    flip_rate: Annotated[
        float | None,
        typer.Option("--flip-rate", help="Share of labels the self-check flips, above 0 and "
                     "below 0.5 (default: 0.1)."),
    ] = None,
    progress: ProgressOption = None,
) -> None:
    """Flag label issues per task (cleanlab) and rate annotators (where their items overlap).

    Writes label_issues.parquet, annotator_quality.parquet and predictions.parquet.

    Example: workbench curate flag --data-dir data --task is_ad
    """
    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    if flip_rate is not None and not 0.0 < flip_rate < 0.5:
        from workbench.core.errors import ConfigError

        # The bounds of curation.flag.self_check_rate, checked here so the error names the flag.
        msg = f"--flip-rate must be above 0 and below 0.5, got {flip_rate}"
        raise ConfigError(msg)
    if self_check:
        from workbench.curation.selfcheck import run_self_check

        _echo(run_self_check(root, cfg, texts=texts, annotations=annotations, tasks=task,
                             classifier=classifier, folds=folds, repeats=repeats,
                             encoder=encoder, rate=flip_rate))
        return
    from workbench.curation.flag import run_flag

    result = run_flag(root, cfg, texts=texts, annotations=annotations, tasks=task, out=out,
                      classifier=classifier, folds=folds, repeats=repeats, encoder=encoder)
    _echo(result.summary_lines())


@app.command()
def curve(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    texts: TextsOption = None,
    annotations: AnnotationsOption = None,
    task: TaskOption = None,
    out: OutOption = None,
    classifier: Annotated[
        str | None, typer.Option("--classifier", help="Classifier by name (default: the flag's "
                                 "single-choice entry; for auto, its default, tfidf_nb_svm).")
    ] = None,
    progress: ProgressOption = None,
) -> None:
    """Learning curve: out-of-fold accuracy vs number of labels, random vs uncertainty order.

    Writes learning_curve.parquet and learning_curve.png (shown in the dataset card).

    Example: workbench curate curve --data-dir data --task vertical
    """
    from workbench.curation.learning_curve import run_curve

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    _echo(run_curve(root, cfg, texts=texts, annotations=annotations, tasks=task, out=out,
                    classifier=classifier))


@app.command()
def dedup(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    texts: TextsOption = None,
    out: OutOption = None,
    method: Annotated[
        str | None,
        typer.Option("--method", help="minhash (default: measured better) or embedding "
                     "(offline embedder + LanceDB cosine neighbours)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Similarity that links two posts: Jaccard for minhash "
                     "(default: 0.6), cosine for embedding (default: 0.85)."),
    ] = None,
    progress: ProgressOption = None,
) -> None:
    """Cluster near-duplicate posts (on text_norm) and list outliers with a reason.

    Writes dup_clusters.parquet and outliers.parquet.

    Example: workbench curate dedup --data-dir data --method embedding
    """
    from workbench.curation.dedup import run_dedup

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    result = run_dedup(root, cfg, texts=texts, out=out, threshold=threshold, method=method)
    _echo(result.summary_lines())


def _ratios(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    from workbench.core.errors import ConfigError

    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        msg = f"--ratios expects three numbers like 0.8,0.1,0.1 (train,val,test), got '{text}'"
        raise ConfigError(msg)
    return parts  # type: ignore[return-value]


@app.command()
def split(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    texts: TextsOption = None,
    annotations: AnnotationsOption = None,
    out: OutOption = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="random (stratified, grouped by cluster), channel or time "
                     f"({config_default('curation.split.by')})."),
    ] = None,
    ratios: Annotated[
        str | None, typer.Option("--ratios", help="train,val,test shares (default: 0.8,0.1,0.1).")
    ] = None,
    holdout_channel: Annotated[
        list[str] | None,
        typer.Option("--holdout-channel", help="Send this channel (name or id) whole to test; "
                     "repeatable (default: none)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help=f"Seed of the assignment ({config_default('curation.split.seed')}).")] = None,
    progress: ProgressOption = None,
) -> None:
    """Resolve final labels and write leakage-free train/val/test splits with a dataset card.

    Example: workbench curate split --data-dir data --by channel
    """
    from workbench.curation.split import run_split

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    result = run_split(root, cfg, texts=texts, annotations=annotations, out=out, by=by,
                       ratios=_ratios(ratios), holdout_channels=holdout_channel, seed=seed)
    _echo(result.summary_lines())


@app.command()
def check(
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
    out: OutOption = None,
    splits: Annotated[
        Path | None,
        typer.Option("--splits", help="Folder with train/val/test.parquet (default: OUT/splits).",
                     file_okay=False),
    ] = None,
) -> None:
    """Fail (exit 1) when any uid, near-duplicate cluster or exact text crosses splits.

    Example: workbench curate check --data-dir data
    """
    from workbench.curation.check import run_check

    cfg, root = resolve(data_dir, config)
    result = run_check(root, splits_dir=splits, out=out, dedup=cfg.curation.dedup)
    _echo(result.summary_lines())
    if not result.ok:
        raise typer.Exit(code=1)
