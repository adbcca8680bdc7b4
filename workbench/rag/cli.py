"""``workbench rag index`` and ``workbench rag search``: thin wrappers over plain functions.

Cheap to import (``workbench --help`` loads it): LanceDB and scikit-learn are imported inside the
commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from workbench.core.cli_options import (
    ConfigOption,
    DataDirOption,
    ProgressOption,
    config_default,
    resolve,
)
from workbench.core.layout import Layout
from workbench.core.progress import use_progress

if TYPE_CHECKING:
    from workbench.rag.search import SearchMode, TableName

app = typer.Typer(
    name="rag",
    help="Retrieval index over curated channel ads and briefs (LanceDB, full-text + vectors).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.command("index")
def index_command(
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="Split(s) whose ads are indexed (repeatable; default: "
                     "rag.splits, i.e. train only, so test ads are never retrieved)."),
    ] = None,
    briefs: Annotated[
        list[Path] | None,
        typer.Option("--briefs", help="Brief YAML files or folders for the briefs table "
                     "(repeatable; default: DIR/briefs when it exists)."),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option("--embedder", help="tfidf-svd (default), st:<local dir>, "
                     "hf-mean:<local dir | run:<id>>."),
    ] = None,
    refit: Annotated[
        bool, typer.Option("--refit", help="Refit the embedder and re-embed every row.")
    ] = False,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Create or update DIR/rag/ from DIR/curated/splits (incremental by uid).

    Example: workbench rag index --data-dir data --briefs samples/briefs
    (the sample briefs: `workbench init DIR --samples`)
    """
    from workbench.core.briefs import load_briefs
    from workbench.core.errors import ConfigError
    from workbench.rag.index import build_index

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    bad = [s for s in split or [] if s not in ("train", "val", "test")]
    if bad:
        msg = f"--split: unknown split '{bad[0]}'; choose from train, val, test"
        raise ConfigError(msg)
    brief_paths = list(briefs or [])
    default_briefs = root / cfg.rag.briefs_dir if cfg.rag.briefs_dir else Layout(root).briefs
    if not brief_paths and default_briefs.is_dir():
        brief_paths = [default_briefs]
    loaded = load_briefs(brief_paths) if brief_paths else []
    summary = build_index(root, cfg, splits=split or None, briefs=loaded, embedder=embedder,
                          refit=refit)
    typer.echo(summary.line())


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="Free text, Amharic or English.")],
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only this channel (name or numeric id; default: "
                     "every channel).")
    ] = None,
    vertical: Annotated[str | None, typer.Option("--vertical", help="Only this vertical (default: every "
                                                "vertical).")] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="hybrid (fused), vector or text.")
    ] = "hybrid",
    k: Annotated[int | None, typer.Option("-k", "--k", min=1, help=f"Number of hits ({config_default('rag.k')}).")] = None,
    table: Annotated[str, typer.Option("--table", help="ads or briefs.")] = "ads",
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Search the index and show the hits with their scores.

    Example: workbench rag search "ቤት ኪራይ" --channel "Sheger Gebeya" --data-dir data
    """
    from workbench.core.errors import ConfigError
    from workbench.rag.hits import format_hits
    from workbench.rag.search import RagIndex

    if not query.strip():
        # An empty query matched nothing and exited 0, which reads as "the index has nothing".
        msg = "the query is empty; give the words to search for, e.g. workbench rag search \"ቤት ኪራይ\""
        raise ConfigError(msg)
    if mode not in ("hybrid", "vector", "text"):
        msg = f"--mode: unknown mode '{mode}'; choose from hybrid, vector, text"
        raise ConfigError(msg)
    if table not in ("ads", "briefs"):
        msg = f"--table: unknown table '{table}'; choose from ads, briefs"
        raise ConfigError(msg)
    cfg, root = resolve(data_dir, config)
    index = RagIndex(root, cfg)
    if table == "ads":
        channel = index.canonical_channel(channel) if channel else None
        vertical = index.canonical_vertical(vertical) if vertical else None
    hits = index.search(query, k=k or cfg.rag.k, mode=cast("SearchMode", mode), channel=channel,
                        vertical=vertical, table=cast("TableName", table))
    typer.echo(format_hits(hits))
