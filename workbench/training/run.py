"""``workbench train run``: one reproducible, resumable training run.

A run loads the base (4-bit or 8-bit where the recipe asks), adds a LoRA adapter with peft (or
trains every weight), and trains with trl's ``SFTTrainer``: completion-only loss on the SFT set
(checked on a real batch before the first step), evaluation on the validation split every
``eval_steps``, a checkpoint every ``save_steps``, fixed seeds. Everything lands in
``DIR/runs/<run_id>/``::

    recipe.yaml      the resolved recipe (every default spelled out)
    prompt_spec.json the prompt spec the data was built with (generation and evaluation use it)
    run.json         status (running / finished / failed / interrupted), step, key metrics
    manifest.json    inputs' hashes, split manifest hash, label snapshot, base model, versions, git
    metrics.jsonl    one line per log / evaluation (and a line per resume)
    loss.png         training and validation loss
    checkpoints/     trainer checkpoints (``--resume`` continues from the last one)
    adapter/         the LoRA adapter and tokenizer (``model/`` for full fine-tuning)
    base/            the tiny base, when the recipe builds one, or the parent run's adapter
                     merged into its base, for a run started ``--from`` an unmerged run

A run started ``--from`` another (continued pretraining, then SFT) loads that run's output as
its base and names it in ``run.json`` and ``manifest.json`` (:mod:`workbench.training.lineage`).
After a few steps the run prints how long it will take (and on a GPU, before loading, the
estimated memory: :mod:`workbench.training.memory`).

Killed at step k and resumed, a run restarts from its last checkpoint, not from zero.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import warnings as python_warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.io import write_text_atomic
from workbench.core.layout import Layout
from workbench.core.runs import (
    METRICS_FILE,
    STATUS_FILE,
    read_metrics,
    read_status,
    resolve_run_dir,
    run_folder,
)
from workbench.training.callbacks import (
    progress_bar,
    progress_lines,
    run_callbacks,
    time_estimate,
)
from workbench.training.lineage import finished_parent, parent_inputs, starting_point
from workbench.training.model_loading import (
    bnb_config,
    load_base_model,
    load_tokenizer,
    peft_config,
)
from workbench.training.recipe import Recipe, load_recipe, sft_config_kwargs
from workbench.training.run_manifest import write_run_manifest
from workbench.training.run_metrics import detect_overfitting, plot_losses
from workbench.training.run_status import latest_run, new_run_id, now, update_status
from workbench.training.sft_data import ensure_data, install_prompt_spec, load_split

#: Re-exported for callers that import them from here (bench/train.py, test helpers).
__all__ = ["RunResult", "bnb_config", "detect_overfitting", "latest_run", "load_base_model",
           "load_tokenizer", "peft_config", "plot_losses", "tokenizer_texts", "train_run",
           "write_run_manifest"]

Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- The run -------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a run produced."""

    run_id: str
    run_dir: Path
    status: str
    global_step: int
    resumed_from: int | None
    first_loss: float | None
    last_loss: float | None
    best_eval_loss: float | None
    loss_mask: str
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One-line summary."""
        loss = (f"train loss {self.first_loss:.3f} -> {self.last_loss:.3f}"
                if self.first_loss is not None and self.last_loss is not None else "no loss logged")
        best = f", best val loss {self.best_eval_loss:.3f}" if self.best_eval_loss else ""
        resumed = f", resumed from step {self.resumed_from}" if self.resumed_from else ""
        return (f"run {self.run_id}: {self.status} at step {self.global_step}, {loss}{best}"
                f"{resumed} -> {self.run_dir}")


def tokenizer_texts(data_out: Path, recipe: Recipe) -> list[str]:
    """Text the tiny tokenizer is trained on: train prompts, completions, CPT train texts.

    Validation and test texts stay out, so the tokenizer knows nothing the evaluation holds.
    """
    texts = [recipe.data.system_prompt]
    for row in load_split(data_out, "sft", "train"):
        texts.extend(m["content"] for m in row["messages"])
    texts.extend(r["text"] for r in load_split(data_out, "cpt", "train"))
    return [t for t in texts if t]


def _prepare_run_dir(data_dir: Path, recipe: Recipe, run_id: str | None, resume: bool,
                     log: Log) -> tuple[Path, Recipe, bool]:
    """Pick (or create) the run folder; on resume, the run's own recipe is used."""
    if resume:
        run_dir = (resolve_run_dir(data_dir, run_id) if run_id
                   else latest_run(data_dir, recipe.name))
        if run_dir is None:
            msg = (f"no unfinished run of recipe '{recipe.name}' under {Layout(data_dir).runs} "
                   "to resume; start one without --resume")
            raise ConfigError(msg)
        saved = load_recipe(run_dir / "recipe.yaml")
        if saved.name != recipe.name:
            msg = f"run {run_dir.name} was made with recipe '{saved.name}', not '{recipe.name}'"
            raise ConfigError(msg)
        log(f"resuming {run_dir.name} with its saved recipe")
        return run_dir, saved, True
    if recipe.from_run:
        # Settled before the folder exists: a typo in --from leaves nothing behind.
        parent = finished_parent(data_dir, recipe.from_run)
        parent_base = load_recipe(parent / "recipe.yaml").model.base
        if parent_base != recipe.model.base:
            # Another family's weights under this recipe's LoRA targets and template would
            # train, and mean nothing.
            msg = (f"--from {parent.name}: that run trained base '{parent_base}', recipe "
                   f"'{recipe.name}' names '{recipe.model.base}'; use a recipe of the same base "
                   f"(or --set model.base={parent_base})")
            raise ConfigError(msg)
        recipe = recipe.model_copy(update={"from_run": parent.name})
    run_dir = run_folder(data_dir, run_id or new_run_id(recipe))
    if (run_dir / STATUS_FILE).exists():
        msg = f"{run_dir} already exists: use --resume to continue it or pick another --run-id"
        raise ConfigError(msg)
    run_dir.mkdir(parents=True, exist_ok=True)
    # The run keeps its own copy of the templates: editing training/templates later changes
    # neither a resumed run nor what its manifest describes.
    copies = {}
    for key in ("chat_template", "prompt_template"):
        source = Path(getattr(recipe.data, key))
        if not source.is_file():
            msg = f"recipe '{recipe.name}': data.{key} {source} not found"
            raise ConfigError(msg)
        target = run_dir / "templates" / f"{key.removesuffix('_template')}.jinja"
        write_text_atomic(target, source.read_text(encoding="utf-8"))
        copies[key] = str(target.resolve())
    recipe = recipe.model_copy(update={"data": recipe.data.model_copy(update=copies)})
    write_text_atomic(run_dir / "recipe.yaml", recipe.dump_yaml())
    return run_dir, recipe, False


def train_run(
    data_dir: Path,
    recipe: Recipe,
    *,
    run_id: str | None = None,
    resume: bool = False,
    progress: bool = True,
    log: Log = _stderr,
    callbacks: Sequence[Any] = (),
) -> RunResult:
    """Train ``recipe`` on the data in ``data_dir``; see the module docstring for the layout.

    Parameters
    ----------
    data_dir
        Root of the stage folders (reads ``curated/splits``, writes ``training/`` and ``runs/``).
    recipe
        The validated recipe.
    run_id
        Name of the run folder (default: recipe name + time); with ``resume``, the run to resume.
    resume
        Continue the given (or the latest unfinished) run of this recipe from its last checkpoint.
    progress
        Show progress bars.
    log
        Where progress lines go (stderr by default).
    callbacks
        Extra ``transformers.TrainerCallback`` objects (tests use one to interrupt a run).

    Returns
    -------
    RunResult
        Status, steps and losses of the run.
    """
    # The run folder is settled before torch is imported: a wrong --resume fails in a blink.
    run_dir, recipe, resuming = _prepare_run_dir(data_dir, recipe, run_id, resume, log)
    import torch
    import transformers

    if recipe.cpu_threads and not torch.cuda.is_available():
        torch.set_num_threads(recipe.cpu_threads)
    transformers.set_seed(recipe.seed)
    status = read_status(run_dir)
    update_status(run_dir, run_id=run_dir.name, recipe=recipe.name, method=recipe.method,
                   base=recipe.model.base, parent_run=recipe.from_run, status="running",
                   pid=os.getpid(),
                   host=platform.node(), started_at=status.get("started_at", now()))
    try:
        result = _train(data_dir, run_dir, recipe, resuming, progress, log, callbacks)
    except KeyboardInterrupt:
        update_status(run_dir, status="interrupted")
        raise
    except BaseException as exc:
        update_status(run_dir, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    return result


def _train(data_dir: Path, run_dir: Path, recipe: Recipe, resuming: bool, progress: bool,
           log: Log, callbacks: Sequence[Any]) -> RunResult:
    import datasets
    import torch
    import transformers
    from datasets import Dataset
    from peft import prepare_model_for_kbit_training
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig, SFTTrainer

    from workbench.training.loss_mask import check_trainer_batch
    from workbench.training.memory import base_config, estimate_memory
    from workbench.training.tiny_model import build_tiny_base

    if not progress:
        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
    data_out, rebuilt = ensure_data(data_dir, recipe, progress=progress)
    if rebuilt:
        log(f"built training data in {data_out}")
    install_prompt_spec(data_out, run_dir)
    objective = recipe.data.objective
    base = recipe.model.base
    if recipe.from_run:
        merge_dtype = recipe.model.dtype if recipe.model.dtype != "auto" else "float32"
        base = str(starting_point(data_dir, recipe.from_run, run_dir, dtype=merge_dtype, log=log))
        # The parent's folder is local: a hub revision pin no longer applies.
        recipe = recipe.model_copy(update={"model": recipe.model.model_copy(update={"revision": None})})
        log(f"starting from run {recipe.from_run}: {base}")
    elif recipe.model.is_tiny:
        base_dir = run_dir / "base"
        if not (base_dir / "config.json").exists():
            assert recipe.model.tiny is not None  # set by the recipe validator
            build_tiny_base(base_dir, tokenizer_texts(data_out, recipe), recipe.model.tiny,
                            chat_template=Path(recipe.data.chat_template).read_text("utf-8"),
                            seed=recipe.seed)
            log(f"built tiny base in {base_dir}")
        base = str(base_dir)

    train_rows = load_split(data_out, objective, "train")
    eval_rows = load_split(data_out, objective, "val", recipe.data.max_eval_examples)
    if not train_rows:
        msg = f"{data_out}/{objective}/train.parquet is empty: nothing to train on"
        raise WorkbenchError(msg)
    kwargs = sft_config_kwargs(recipe, run_dir / "checkpoints")
    if not eval_rows:
        log("note: the validation split has no example: training without evaluation")
        kwargs["eval_strategy"] = "no"
    try:
        args = SFTConfig(**kwargs)
    except (ValueError, TypeError) as exc:
        msg = f"recipe '{recipe.name}': trl.SFTConfig rejected the training section: {exc}"
        raise ConfigError(msg.splitlines()[0]) from None
    if not progress:
        args.disable_tqdm = True

    if torch.cuda.is_available():
        with contextlib.suppress(ConfigError):  # no local config.json and no architecture
            log(estimate_memory(recipe, base_config(recipe, base)).line())
    tokenizer = load_tokenizer(recipe, base)
    model = load_base_model(recipe, base, vocab_size=len(tokenizer))
    if recipe.quantization.enabled:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=bool(args.gradient_checkpointing))

    with python_warnings.catch_warnings():
        # peft reads a deprecated transformers property (is_gradient_checkpointing): harmless.
        python_warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=Dataset.from_list(train_rows),
            eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
            processing_class=tokenizer, peft_config=peft_config(recipe),
            callbacks=[*run_callbacks(run_dir, recipe, log), time_estimate(run_dir, log),
                       *callbacks],
        )
    # metrics.jsonl has every log line; printing them as dicts too is noise.
    trainer.remove_callback(PrinterCallback)
    if progress:
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(progress_bar())
    else:
        trainer.add_callback(progress_lines(log))
    mask = check_trainer_batch(trainer, tokenizer, objective=objective)
    log(mask.line())

    checkpoint = get_last_checkpoint(str(run_dir / "checkpoints")) if resuming else None
    resumed_from = None
    if checkpoint:
        resumed_from = int(Path(checkpoint).name.split("-")[-1])
        with (run_dir / METRICS_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": "resume", "from_step": resumed_from,
                                 "time": now()}) + "\n")
        log(f"resuming from {checkpoint} (step {resumed_from})")
    elif resuming:
        log("no checkpoint saved yet: starting from step 0")
    lineage = parent_inputs(data_dir, recipe.from_run) if recipe.from_run else None
    write_run_manifest(run_dir, recipe, data_out, base, mask.line(), status="running",
                       data_dir=data_dir, parent_inputs=lineage)

    final = run_dir / ("model" if recipe.method == "full" else "adapter")
    with python_warnings.catch_warnings():
        # peft saves resized embeddings (an extended tokenizer) with every checkpoint and says
        # so each time; that is the intended behaviour, not something for the user to act on.
        python_warnings.filterwarnings("ignore", ".*save_embedding_layers.*", UserWarning)
        trainer.train(resume_from_checkpoint=checkpoint)
        trainer.save_model(str(final))
    tokenizer.save_pretrained(final)
    records = read_metrics(run_dir / METRICS_FILE)
    plot_losses(records, run_dir / "loss.png", f"{run_dir.name} ({recipe.method})")
    losses = [r["loss"] for r in records if "loss" in r and "eval_loss" not in r]
    evals = [r["eval_loss"] for r in records if "eval_loss" in r]
    warning = detect_overfitting(records, recipe.overfit_patience)
    status = update_status(
        run_dir, status="finished", finished_at=now(), global_step=trainer.state.global_step,
        max_steps=trainer.state.max_steps, first_train_loss=losses[0] if losses else None,
        train_loss=losses[-1] if losses else None,
        best_eval_loss=min(evals) if evals else None, eval_loss=evals[-1] if evals else None,
        output=final.name,
    )
    warnings = list(dict.fromkeys([*status.get("warnings", []), *([warning] if warning else [])]))
    update_status(run_dir, warnings=warnings)
    write_run_manifest(run_dir, recipe, data_out, base, mask.line(), status="finished",
                       data_dir=data_dir, final=final, parent_inputs=lineage)
    return RunResult(
        run_id=run_dir.name, run_dir=run_dir, status="finished",
        global_step=trainer.state.global_step, resumed_from=resumed_from,
        first_loss=losses[0] if losses else None, last_loss=losses[-1] if losses else None,
        best_eval_loss=min(evals) if evals else None, loss_mask=mask.line(), warnings=warnings,
    )


