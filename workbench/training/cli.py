"""``workbench train ...``: thin Typer wrappers over the training functions.

Each command imports its module inside the body, so this file (and ``workbench --help``) never
imports torch, transformers, peft or trl.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from workbench.core.cli_options import ConfigOption, DataDirOption, ProgressOption, resolve
from workbench.core.layout import Layout
from workbench.core.progress import progress_log, use_progress

# On CPUs with AVX512-BF16, importing bitsandbytes logs that an optional kernel package (which
# downloads code from the hub) is missing; the built-in CPU path it falls back to is the one the
# workbench uses, so the message means nothing to a user.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

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
    typer.Argument(help="Recipe name in training/recipes/ (tiny-cpu, tiny-cpu-cpt, "
                        "mistral-7b-qlora, llama-3.2-1b-qlora...; `workbench train recipes` "
                        "lists them) or a path to a recipe YAML file."),
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
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Build chat-format SFT examples and the continued-pretraining set from curated splits.

    Example: workbench train build-data tiny-cpu --data-dir data
    """
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import build_data

    mode = use_progress(progress)
    _, root = resolve(data_dir, config)
    summary = build_data(root, load_recipe(recipe, overrides), progress=mode == "bars")
    typer.echo(summary.line())
    for note in summary.notes:
        typer.echo(f"note: {note}")


@app.command("tokenizer")
def tokenizer_cmd(
    kind: Annotated[str, typer.Option(help="bpe, sentencepiece (unigram, byte fallback) or "
                                            "extend (add Amharic pieces to --base).")] = "bpe",
    report: Annotated[bool, typer.Option("--report", help="Train nothing: compare the fertility "
                      "of every base found locally (or of each --base) on all posts, with a "
                      "plot.")] = False,
    vocab_size: Annotated[int, typer.Option(min=500, help="Vocabulary size (bpe, sentencepiece).")] = 16000,
    base: Annotated[list[str] | None, typer.Option(metavar="BASE", help="Base tokenizer: a packaged one "
                    "(mistral-v1, mistral-v3, mistral-tekken, qwen2.5), a recipe, a tokenizer "
                    "folder or hub id. Compared against; --kind extend needs exactly one. "
                    "Repeatable; default: every base found locally).")] = None,
    n_new: Annotated[int, typer.Option(min=1, help="Most pieces added by --kind extend.")] = 4000,
    held_out: Annotated[float, typer.Option(help="Share of texts held out for the fertility "
                                                 "table (chosen by id hash).")] = 0.05,
    input_path: Annotated[Path | None, typer.Option("--input", help="Texts: Parquet with a text "
                          "column, TSV/CSV with a text, tweet or sentence column, or one text "
                          "per line (default: DIR/cleaned/messages.parquet).",
                          dir_okay=False)] = None,
    name: Annotated[str | None, typer.Option(help="Output name under DIR/training/tokenizers/ "
                                                  "(default: the kind and size).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Train an Amharic tokenizer, extend a real base, or compare tokenizers (--report).

    Examples: workbench train tokenizer --report --data-dir data;
    workbench train tokenizer --kind extend --base mistral-v1 --n-new 16000 --data-dir data
    """
    from workbench.core.errors import ConfigError
    from workbench.training.tokenizer_command import fertility_report, train_tokenizer

    _, root = resolve(data_dir, config)
    layout = Layout(root)
    source = input_path or layout.cleaned_messages
    bases = list(base or [])
    if report:
        result = fertility_report(source, layout.tokenizer_report, bases=bases,
                                  trained=layout.tokenizers)
        typer.echo(result.table())
        typer.echo(f"plot -> {result.plot}")
        return
    if kind not in ("bpe", "sentencepiece", "extend"):
        msg = f"--kind must be bpe, sentencepiece or extend, got '{kind}'"
        raise ConfigError(msg)
    label = name or (f"extend-{n_new}" if kind == "extend" else f"{kind}-{vocab_size}")
    result = train_tokenizer(source, layout.tokenizers / label, kind=kind,  # type: ignore[arg-type]
                             vocab_size=vocab_size, bases=bases, n_new=n_new, held_out=held_out)
    typer.echo(result.table())
    if result.added:
        sample = [p for p in result.added if len(p.strip("▁")) > 1][:8]
        typer.echo(f"added {len(result.added):,} pieces, e.g. {' '.join(sample)}")
    typer.echo(f"tokenizer -> {result.out_dir}")


@app.command("run")
def run_cmd(
    recipe: RecipeArg,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the latest unfinished run "
                                         "of this recipe (or --run-id) from its last checkpoint.")] = False,
    run_id: Annotated[str | None, typer.Option(help="Run folder name under DIR/runs "
                                                    "(default: recipe-time).")] = None,
    overrides: SetOption = None,
    from_run: Annotated[str | None, typer.Option(
        "--from", help="Start from this finished run's output (its merged model, or its adapter "
                       "merged into its base): continued pretraining, then SFT. Default: the "
                       "recipe's base.")] = None,
    progress: ProgressOption = None,
    # The flag's name before --quiet, still accepted (scripts use it); not listed in --help.
    no_progress: Annotated[bool, typer.Option("--no-progress", hidden=True)] = False,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Train a recipe: data (built if missing), base, LoRA, SFT with eval and checkpoints.

    Example: workbench train run tiny-cpu --from cpt --data-dir data
    """
    from workbench.core.errors import ConfigError
    from workbench.training.recipe import load_recipe
    from workbench.training.run import train_run

    if resume and (overrides or from_run):
        # A resumed run keeps the recipe it was started with; a silent override would lie.
        flag = "--set" if overrides else "--from"
        msg = f"{flag} cannot change a run being resumed (it continues with its saved recipe.yaml)"
        raise ConfigError(msg)
    mode = use_progress(False if no_progress else progress)
    _, root = resolve(data_dir, config)
    loaded = load_recipe(recipe, overrides)
    if from_run:
        loaded = loaded.model_copy(update={"from_run": from_run})
    result = train_run(root, loaded, run_id=run_id, resume=resume,
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
    push_to_hub: Annotated[str | None, typer.Option(
        "--push-to-hub", help="Upload the merged folder to this private hub model repository "
                              "(ORG/NAME; needs `huggingface-cli login`; default: no upload).")] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Merge a run's LoRA adapter into a full-precision reload of its base (with a model card).

    Example: workbench train merge tiny-cpu-20260101-120000-ab12
    """
    from workbench.core.errors import ConfigError
    from workbench.training.merge import merge_run

    if dtype not in ("float32", "bfloat16", "float16"):
        msg = f"--dtype must be float32, bfloat16 or float16, got '{dtype}'"
        raise ConfigError(msg)
    _, root = resolve(data_dir, config)
    target = merge_run(root, run, out=out, dtype=dtype, push_to_hub=push_to_hub,  # type: ignore[arg-type]
                       log=lambda line: typer.echo(line, err=True))
    typer.echo(f"merged model -> {target}")


@app.command("ls")
def ls_cmd(data_dir: DataDirOption = None, config: ConfigOption = None) -> None:
    """List runs with their status, step and key metrics.

    Example: workbench train ls --data-dir data
    """
    from workbench.training.runs_list import format_runs, run_rows

    _, root = resolve(data_dir, config)
    typer.echo(format_runs(run_rows(root)))


@app.command("compare")
def compare_cmd(
    runs: Annotated[list[str], typer.Argument(help="Run ids (see `workbench train ls`).")],
    plot: Annotated[Path | None, typer.Option(help="Where to write the overlaid loss curves "
                                                   "(PNG; default DIR/training/compare.png).",
                                              dir_okay=False)] = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Runs side by side: hyperparameters, best validation loss, overfitting, loss curves.

    Example: workbench train compare run-a run-b --data-dir data
    """
    from workbench.training.compare import compare_runs, format_comparison, plot_comparison

    _, root = resolve(data_dir, config)
    rows = compare_runs(root, runs)
    typer.echo(format_comparison(rows))
    out = plot_comparison(rows, plot or Layout(root).training / "compare.png",
                          "loss: " + ", ".join(r.run_id for r in rows))
    typer.echo(f"loss curves -> {out}" if out else "no loss logged yet: no plot")


@app.command("sweep", context_settings={"allow_extra_args": True,
                                       "ignore_unknown_options": True})
def sweep_cmd(
    ctx: typer.Context,
    recipe: RecipeArg,
    grid: Annotated[list[str], typer.Option(help="dotted.key=v1,v2; several may follow one "
                                                 "--grid: every combination is a run.")],
    random_n: Annotated[int | None, typer.Option("--random", min=1, help="Run only this many "
                                                 "combinations, drawn with --seed (default: "
                                                 "all).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --random draw.")] = 0,
    overrides: SetOption = None,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Run a grid of hyperparameters, one run after the other; run it again to resume.

    Example: workbench train sweep tiny-cpu --grid lora.r=8,16 --grid training.learning_rate=1e-3,3e-3
    """
    from workbench.core.errors import ConfigError
    from workbench.training.sweep import run_sweep

    # `--grid a=1,2 b=3,4`: click gives --grid one value; the others arrive as extra arguments.
    stray = [arg for arg in ctx.args if arg.startswith("-") or "=" not in arg]
    if stray:
        msg = f"unexpected argument '{stray[0]}' (grid values look like dotted.key=v1,v2)"
        raise ConfigError(msg)
    mode = use_progress(progress)
    _, root = resolve(data_dir, config)
    result = run_sweep(root, recipe, [*grid, *ctx.args], overrides=overrides or [], random_n=random_n,
                       seed=seed, progress=mode == "bars", log=progress_log(mode))
    typer.echo(result.table())


@app.command("estimate")
def estimate_cmd(
    recipe: RecipeArg,
    overrides: SetOption = None,
) -> None:
    """Estimate a recipe's GPU memory: weights, LoRA + optimizer, activations (no GPU needed).

    Example: workbench train estimate mistral-7b-qlora --set training.max_length=2048
    """
    from workbench.training.memory import estimate_memory
    from workbench.training.recipe import load_recipe

    typer.echo(estimate_memory(load_recipe(recipe, overrides)).line())


@app.command("recipes")
def recipes_cmd() -> None:
    """List the recipes (project folder first, then the packaged ones) with their bases.

    Example: workbench train recipes
    """
    from workbench.core.resources import available_names
    from workbench.training.recipe import RECIPES_FOLDER, load_recipe

    rows = [("recipe", "method", "objective", "base")]
    for name in available_names(RECIPES_FOLDER):
        r = load_recipe(name)
        rows.append((r.name, r.method, r.data.objective, r.model.base))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@app.command("export-data")
def export_data_cmd(
    recipe: RecipeArg,
    out: Annotated[Path | None, typer.Option(help="Output folder (default "
                                             "DIR/training/export/<recipe>).", file_okay=False)] = None,
    push_to_hub: Annotated[str | None, typer.Option(
        "--push-to-hub", help="Also upload both sets to this private hub dataset repository "
                              "(ORG/NAME; needs `huggingface-cli login`; default: no upload).")] = None,
    overrides: SetOption = None,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the recipe's SFT and CPT sets as Hugging Face datasets, with a dataset card.

    Example: workbench train export-data tiny-cpu --data-dir data
    """
    from workbench.training.export import export_data
    from workbench.training.recipe import load_recipe

    mode = use_progress(progress)
    _, root = resolve(data_dir, config)
    summary = export_data(root, load_recipe(recipe, overrides), out=out, push_to_hub=push_to_hub,
                          progress=mode == "bars", log=progress_log(mode))
    typer.echo(summary.line())
