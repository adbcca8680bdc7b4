"""``workbench generate``: a thin wrapper over :func:`workbench.generation.generate.generate`.

Cheap to import (``workbench --help`` loads it): torch, transformers and LanceDB are imported
inside the command.
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


def generate_command(
    brief: Annotated[
        list[Path],
        typer.Option("--brief", help="Brief YAML file, or a folder of them (repeatable)."),
    ],
    model: Annotated[
        list[str] | None,
        typer.Option("--model", help="Registry name (repeatable): retrieval, template, base, "
                     "run:<run_id>, an endpoint name, or a local model/adapter folder "
                     "(default: generation.models)."),
    ] = None,
    n: Annotated[
        int | None, typer.Option("--n", min=1, max=64, help=f"Candidates per brief and model ({config_default('generation.n')}).")
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", min=0, max=20, help="Retrieved ads in the prompt of models without a training run (a run's "
                     f"prompt spec sets its own; {config_default('generation.k')}).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of candidate 0 "
                                                       f"({config_default('generation.decoding.seed')}).")] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, help="0: greedy decoding "
                            f"({config_default('generation.decoding.temperature')}).")
    ] = None,
    max_new_tokens: Annotated[
        int | None, typer.Option("--max-new-tokens", min=1, help="Tokens per candidate "
                            f"({config_default('generation.decoding.max_new_tokens')}).")
    ] = None,
    caption: Annotated[
        bool, typer.Option("--caption", help="Check the 1024-unit caption limit, not 4096.")
    ] = False,
    short: Annotated[
        bool, typer.Option("--short", help="One line per candidate, cut to 70 characters "
                           "(default: each candidate whole, as a reader sees it).")
    ] = False,
    progress: ProgressOption = None,
    data_dir: DataDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Write candidate ads for a brief, grounded in the target channel's past ads.

    Example: workbench generate --brief samples/briefs/01-retail-lucy-fashion.yaml --model template
    (the sample briefs: `workbench init DIR --samples`)
    """
    from workbench.core.briefs import load_briefs
    from workbench.generation.generate import generate

    use_progress(progress)
    cfg, root = resolve(data_dir, config)
    gcfg = cfg.generation
    updates = {key: value for key, value in (("seed", seed), ("temperature", temperature),
                                             ("max_new_tokens", max_new_tokens))
               if value is not None}
    decoding = gcfg.decoding.model_copy(update=updates)
    if caption:
        checks = gcfg.checks.model_copy(update={"caption": True})
        cfg = cfg.model_copy(update={"generation": gcfg.model_copy(update={"checks": checks})})
    briefs = load_briefs(brief)
    outputs = generate(briefs, model or gcfg.models, root, cfg, n=n, k=k, decoding=decoding)
    for out in outputs:
        typer.echo(out.line())
        for row in out.frame.iter_rows(named=True):
            status = "ok" if row["checks_passed"] else "FAIL " + ",".join(row["check_failures"])
            text = row["text"] or ""
            if short:
                typer.echo(f"  [{row['candidate_index']}] {status:<28} {' '.join(text.split())[:70]}")
                continue
            # Whole, with its own line breaks: a post is judged by reading it all.
            typer.echo(f"  [{row['candidate_index']}] {status}")
            for line in text.strip().splitlines() or ["(empty)"]:
                typer.echo(f"      {line}")
        for note in out.notes:
            typer.echo(f"  note: {note}")
