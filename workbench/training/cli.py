"""``workbench train ...``: thin Typer wrappers over the training functions.

Each command imports its module inside the body, so this file (and ``workbench --help``) never
imports torch, transformers, peft or trl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.core.cli_options import ConfigOption, DataDirOption, ProgressOption, resolve
from workbench.core.layout import Layout
from workbench.core.progress import progress_log, use_progress

app = typer.Typer(
    name="train",
    help="Training: SFT data from curated splits, Amharic tokenizers, QLoRA/LoRA runs, merges.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

RecipeArg = Annotated[
    str,
    typer.Argument(help="Recipe name in training/recipes/ (tiny-cpu, mistral-7b-qlora, "
                        "llama2-amharic-qlora) or a path to a recipe YAML file."),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a recipe field: dotted.key=value (YAML value), "
                                     "e.g. --set training.max_steps=10. Repeatable (default: the recipe as written)."),
]


@app.command("build-data")
def build_data_cmd(
    recipe: RecipeArg,
    overrides: SetOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Build chat-format SFT examples and the continued-pretraining set from curated splits.

    Example: workbench train build-data tiny-cpu --data-dir data
    """
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import build_data

    _, root = resolve(data_dir, config)
    summary = build_data(root, load_recipe(recipe, overrides))
    typer.echo(summary.line())
    for note in summary.notes:
        typer.echo(f"note: {note}")


@app.command("tokenizer")
def tokenizer_cmd(
    kind: Annotated[str, typer.Option(help="bpe, sentencepiece (unigram, byte fallback) or "
                                            "extend (add Amharic pieces to --base).")] = "bpe",
    vocab_size: Annotated[int, typer.Option(min=500, help="Vocabulary size (bpe, sentencepiece).")] = 16000,
    base: Annotated[str | None, typer.Option(help="Base tokenizer (folder or hub id) to compare "
                                                  "against; required by --kind extend; default: none).")] = None,
    n_new: Annotated[int, typer.Option(min=1, help="Pieces added by --kind extend.")] = 4000,
    held_out: Annotated[float, typer.Option(help="Share of texts held out for the fertility "
                                                 "table (chosen by id hash).")] = 0.05,
    input_path: Annotated[Path | None, typer.Option("--input", help="Texts: Parquet with a text "
                          "column, or one text per line (default: DIR/cleaned/messages.parquet).",
                          dir_okay=False)] = None,
    name: Annotated[str | None, typer.Option(help="Output name under DIR/training/tokenizers/ "
                                                  "(default: the kind and size).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Train an Amharic tokenizer (or extend a base) and print the fertility table.

    Example: workbench train tokenizer --kind bpe --vocab-size 16000 --base path/to/llama-tokenizer
    """
    from workbench.core.errors import ConfigError
    from workbench.training.tokenizer import train_tokenizer

    if kind not in ("bpe", "sentencepiece", "extend"):
        msg = f"--kind must be bpe, sentencepiece or extend, got '{kind}'"
        raise ConfigError(msg)
    _, root = resolve(data_dir, config)
    source = input_path or Layout(root).cleaned_messages
    label = name or (f"extend-{n_new}" if kind == "extend" else f"{kind}-{vocab_size}")
    report = train_tokenizer(source, Layout(root).tokenizers / label, kind=kind,  # type: ignore[arg-type]
                             vocab_size=vocab_size, base=base, n_new=n_new, held_out=held_out)
    typer.echo(report.table())
    if report.added:
        typer.echo(f"added {len(report.added)} pieces, e.g. {' '.join(report.added[:8])}")
    typer.echo(f"tokenizer -> {report.out_dir}")


@app.command("run")
def run_cmd(
    recipe: RecipeArg,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the latest unfinished run "
                                         "of this recipe (or --run-id) from its last checkpoint.")] = False,
    run_id: Annotated[str | None, typer.Option(help="Run folder name under DIR/runs "
                                                    "(default: recipe-time).")] = None,
    overrides: SetOption = None,
    progress: ProgressOption = None,
    # The flag's name before --quiet, still accepted (scripts use it); not listed in --help.
    no_progress: Annotated[bool, typer.Option("--no-progress", hidden=True)] = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Train a recipe: data (built if missing), base, LoRA, SFT with eval and checkpoints.

    Example: workbench train run tiny-cpu --data-dir data
    """
    from workbench.core.errors import ConfigError
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    if resume and overrides:
        # A resumed run keeps the recipe it was started with; a silent override would lie.
        msg = "--set cannot change a run being resumed (it continues with its saved recipe.yaml)"
        raise ConfigError(msg)
    mode = use_progress(False if no_progress else progress)
    _, root = resolve(data_dir, config)
    result = train_run(root, load_recipe(recipe, overrides), run_id=run_id, resume=resume,
                       progress=mode == "bars", log=progress_log(mode))
    typer.echo(result.line())
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")


@app.command("merge")
def merge_cmd(
    run: Annotated[str, typer.Argument(help="Run id (see `workbench train ls`) or run folder.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default: <run>/merged).",
                                             file_okay=False)] = None,
    dtype: Annotated[str, typer.Option(help="float32, bfloat16 or float16.")] = "float32",
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Merge a run's LoRA adapter into a full-precision reload of its base.

    Example: workbench train merge tiny-cpu-20260101-120000-ab12
    """
    from workbench.core.errors import ConfigError
    from workbench.training.merge import merge_run

    if dtype not in ("float32", "bfloat16", "float16"):
        msg = f"--dtype must be float32, bfloat16 or float16, got '{dtype}'"
        raise ConfigError(msg)
    _, root = resolve(data_dir, config)
    target = merge_run(root, run, out=out, dtype=dtype, log=lambda line: typer.echo(line, err=True))  # type: ignore[arg-type]
    typer.echo(f"merged model -> {target}")


@app.command("ls")
def ls_cmd(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """List runs with their status, step and key metrics.

    Example: workbench train ls --data-dir data
    """
    from workbench.training.runs_list import format_runs, run_rows

    _, root = resolve(data_dir, config)
    typer.echo(format_runs(run_rows(root)))
