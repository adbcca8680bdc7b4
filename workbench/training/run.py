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
    base/            the tiny base, when the recipe builds one

Killed at step k and resumed, a run restarts from its last checkpoint, not from zero.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.io import sha256_file, write_json_atomic, write_text_atomic
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import (
    InputFile,
    OutputFile,
    RunManifest,
    SftDataManifest,
    envelope,
    read_manifest,
    write_manifest,
)
from workbench.core.runs import (
    METRICS_FILE,
    STATUS_FILE,
    read_metrics,
    read_status,
    resolve_run_dir,
    run_folder,
)
from workbench.training.recipe import Recipe, load_recipe, sft_config_kwargs
from workbench.training.sft_data import ensure_data, install_prompt_spec, load_split

Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- Run folders (read by workbench.core.runs) -----------------------------------------------------


def new_run_id(recipe: Recipe) -> str:
    """``<recipe>-<UTC time>-<4 hex>`` (sortable; the suffix keeps same-second runs apart)."""
    return f"{recipe.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _update_status(run_dir: Path, **fields: Any) -> dict[str, Any]:
    status = read_status(run_dir)
    status.update(fields, updated_at=_now())
    write_json_atomic(run_dir / STATUS_FILE, status)
    return status


def latest_run(data_dir: Path, recipe_name: str) -> Path | None:
    """The most recently started run of ``recipe_name`` that did not finish."""
    candidates = []
    # Scan every run: --run-id may have named it anything.
    for path in Layout(data_dir).runs.glob("*"):
        status = read_status(path)
        if status.get("recipe") == recipe_name and status.get("status") != "finished":
            candidates.append((status.get("started_at", ""), path.name, path))
    return max(candidates)[2] if candidates else None


# --- Metrics -------------------------------------------------------------------------------------


def detect_overfitting(records: Sequence[dict[str, Any]], patience: int = 2) -> str | None:
    """Warn when validation loss rose while training loss fell (else return None).

    "Rose" means ``patience`` evaluations in a row each higher than the one before; "fell"
    means the mean training loss over the last evaluation interval is below the mean over the
    interval before the first of those evaluations.

    Examples
    --------
    >>> recs = [{"step": s, "loss": 3 - s / 10} for s in range(1, 31)]
    >>> recs += [{"step": 10, "eval_loss": 2.0}, {"step": 20, "eval_loss": 2.1},
    ...          {"step": 30, "eval_loss": 2.3}]
    >>> detect_overfitting(recs, patience=2).startswith("possible overfitting")
    True
    >>> detect_overfitting(recs[:-1], patience=2) is None
    True
    """
    evals = sorted((r["step"], r["eval_loss"]) for r in records if "eval_loss" in r)
    if len(evals) < patience + 1:
        return None
    last = evals[-(patience + 1):]
    if not all(b[1] > a[1] for a, b in itertools.pairwise(last)):
        return None
    train = [(r["step"], r["loss"]) for r in records if "loss" in r and "eval_loss" not in r]
    before = evals[-(patience + 2)][0] if len(evals) >= patience + 2 else 0

    def mean(lo: int, hi: int) -> float | None:
        vals = [loss for step, loss in train if lo < step <= hi]
        return sum(vals) / len(vals) if vals else None

    start, end = mean(before, last[0][0]), mean(last[-2][0], last[-1][0])
    if start is None or end is None or end >= start:
        return None
    return (f"possible overfitting: validation loss rose {patience} evaluations in a row "
            f"({last[0][1]:.3f} at step {last[0][0]} -> {last[-1][1]:.3f} at step {last[-1][0]}) "
            f"while training loss fell ({start:.3f} -> {end:.3f})")


def plot_losses(records: Sequence[dict[str, Any]], out: Path, title: str) -> Path | None:
    """Training and validation loss against the step, as a PNG (None when nothing logged)."""
    train = [(r["step"], r["loss"]) for r in records if "loss" in r and "eval_loss" not in r]
    evals = [(r["step"], r["eval_loss"]) for r in records if "eval_loss" in r]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    if train:
        ax.plot(*zip(*sorted(train), strict=True), label="train", linewidth=1)
    if evals:
        ax.plot(*zip(*sorted(evals), strict=True), marker="o", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


# --- Model loading -------------------------------------------------------------------------------


def _torch_dtype(name: str) -> Any:
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16,
            "auto": "auto"}[name]


def _device_map(quantized: bool) -> Any:
    import torch

    if torch.cuda.is_available():
        # One full copy per process: with `accelerate launch` each rank takes its own GPU.
        return {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return "cpu" if quantized else None


def bnb_config(recipe: Recipe) -> Any:
    """The ``BitsAndBytesConfig`` of the recipe (None when the base is not quantized)."""
    q = recipe.quantization
    if not q.enabled:
        return None
    from transformers import BitsAndBytesConfig

    if q.load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=q.bnb_4bit_quant_type,
        bnb_4bit_use_double_quant=q.bnb_4bit_use_double_quant,
        bnb_4bit_compute_dtype=_torch_dtype(q.bnb_4bit_compute_dtype),
    )


def load_tokenizer(recipe: Recipe, base: str) -> Any:
    """The run's tokenizer with the recipe's chat template."""
    from transformers import AutoTokenizer

    source = recipe.model.tokenizer or base
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            source, revision=None if recipe.model.tokenizer else recipe.model.revision,
            trust_remote_code=recipe.model.trust_remote_code)
    except (OSError, ValueError) as exc:
        msg = f"cannot load tokenizer '{source}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None
    tokenizer.chat_template = Path(recipe.data.chat_template).read_text(encoding="utf-8")
    return tokenizer


def load_base_model(recipe: Recipe, base: str, *, vocab_size: int | None = None,
                    dtype: str | None = None, quantize: bool = True,
                    device_map: Any = None) -> Any:
    """Load the base model as the recipe says (quantized, dtype, attention kernel).

    Parameters
    ----------
    recipe
        The recipe.
    base
        Hub id or directory (the tiny base's folder for ``base: tiny``).
    vocab_size
        Tokenizer length; embeddings are resized (mean-initialised) when it is larger.
    dtype
        Override ``model.dtype`` (merging reloads the base in float32).
    quantize
        False to ignore the quantization section (merging needs full precision).
    device_map
        Where to load (default: this process's GPU, else the CPU).
    """
    from transformers import AutoModelForCausalLM

    quant = bnb_config(recipe) if quantize else None
    kwargs: dict[str, Any] = {
        "dtype": _torch_dtype(dtype or recipe.model.dtype),
        "revision": recipe.model.revision,
        "trust_remote_code": recipe.model.trust_remote_code,
        "device_map": device_map if device_map is not None else _device_map(quant is not None),
    }
    if quant is not None:
        kwargs["quantization_config"] = quant
    if recipe.model.attn_implementation:
        kwargs["attn_implementation"] = recipe.model.attn_implementation
    try:
        model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    except OSError as exc:
        msg = f"cannot load base model '{base}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None
    if vocab_size is not None and vocab_size > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(vocab_size, mean_resizing=True)
    return model


def peft_config(recipe: Recipe) -> Any:
    """The peft ``LoraConfig`` (None for full fine-tuning)."""
    if recipe.lora is None:
        return None
    from peft import LoraConfig

    lora = recipe.lora
    return LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
        target_modules=lora.target_modules, use_rslora=lora.use_rslora, bias=lora.bias,
        modules_to_save=list(lora.modules_to_save) or None, task_type="CAUSAL_LM",
    )


# --- Callbacks -----------------------------------------------------------------------------------


def _progress_bar() -> Any:
    """The trainer's progress bar, with losses shown on the bar instead of printed dicts."""
    from transformers.trainer_callback import ProgressCallback

    class LossBar(ProgressCallback):
        def __init__(self) -> None:
            super().__init__()
            self.shown: dict[str, str] = {}

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            bar = getattr(self, "training_bar", None)
            if state.is_world_process_zero and bar is not None and logs:
                fresh = {k: f"{v:.3f}" for k, v in logs.items() if k in ("loss", "eval_loss")}
                if fresh:
                    self.shown = {**self.shown, **fresh}
                    bar.set_postfix(self.shown, refresh=False)

    return LossBar()


def _progress_lines(log: Log) -> Any:
    """Without bars (output redirected): one line per logged step, with its losses."""
    from transformers import TrainerCallback

    class LossLines(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            losses = {k: v for k, v in (logs or {}).items() if k in ("loss", "eval_loss")}
            if state.is_world_process_zero and losses:
                shown = ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in losses.items())
                log(f"step {state.global_step}/{state.max_steps}: {shown}")

    return LossLines()


def _callbacks(run_dir: Path, recipe: Recipe, log: Log) -> list[Any]:
    from transformers import TrainerCallback

    class RunLog(TrainerCallback):
        """Append every log to metrics.jsonl, keep run.json current, watch for overfitting."""

        def __init__(self) -> None:
            self.warned = False

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            if not logs or not state.is_world_process_zero:
                return
            record = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4),
                      "time": _now()}
            record.update({k: v for k, v in logs.items() if isinstance(v, int | float)})
            with (run_dir / METRICS_FILE).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            update: dict[str, Any] = {"global_step": state.global_step}
            if "loss" in logs:
                update["train_loss"] = logs["loss"]
            if "eval_loss" in logs:
                update["eval_loss"] = logs["eval_loss"]
                best = read_status(run_dir).get("best_eval_loss")
                if best is None or logs["eval_loss"] < best:
                    update["best_eval_loss"] = logs["eval_loss"]
                warning = detect_overfitting(read_metrics(run_dir / METRICS_FILE),
                                             recipe.overfit_patience)
                if warning and not self.warned:
                    self.warned = True
                    log(f"warning: {warning}")
                    update["warnings"] = [*read_status(run_dir).get("warnings", []), warning]
            _update_status(run_dir, **update)

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                _update_status(run_dir, last_checkpoint=state.global_step)

    return [RunLog()]


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
    _update_status(run_dir, run_id=run_dir.name, recipe=recipe.name, method=recipe.method,
                   base=recipe.model.base, status="running", pid=os.getpid(),
                   host=platform.node(), started_at=status.get("started_at", _now()))
    try:
        result = _train(data_dir, run_dir, recipe, resuming, progress, log, callbacks)
    except KeyboardInterrupt:
        _update_status(run_dir, status="interrupted")
        raise
    except BaseException as exc:
        _update_status(run_dir, status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    return result


def _train(data_dir: Path, run_dir: Path, recipe: Recipe, resuming: bool, progress: bool,
           log: Log, callbacks: Sequence[Any]) -> RunResult:
    import datasets
    import transformers
    from datasets import Dataset
    from peft import prepare_model_for_kbit_training
    from transformers.trainer_callback import PrinterCallback, ProgressCallback
    from transformers.trainer_utils import get_last_checkpoint
    from trl import SFTConfig, SFTTrainer

    from workbench.training.loss_mask import check_trainer_batch
    from workbench.training.tiny_model import build_tiny_base

    data_out, rebuilt = ensure_data(data_dir, recipe, progress=progress)
    if rebuilt:
        log(f"built training data in {data_out}")
    install_prompt_spec(data_out, run_dir)
    objective = recipe.data.objective
    base = recipe.model.base
    if recipe.model.is_tiny:
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
        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()

    tokenizer = load_tokenizer(recipe, base)
    model = load_base_model(recipe, base, vocab_size=len(tokenizer))
    if recipe.quantization.enabled:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=bool(args.gradient_checkpointing))

    trainer = SFTTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
        processing_class=tokenizer, peft_config=peft_config(recipe),
        callbacks=[*_callbacks(run_dir, recipe, log), *callbacks],
    )
    # metrics.jsonl has every log line; printing them as dicts too is noise.
    trainer.remove_callback(PrinterCallback)
    if progress:
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(_progress_bar())
    else:
        trainer.add_callback(_progress_lines(log))
    mask = check_trainer_batch(trainer, tokenizer, objective=objective)
    log(mask.line())

    checkpoint = get_last_checkpoint(str(run_dir / "checkpoints")) if resuming else None
    resumed_from = None
    if checkpoint:
        resumed_from = int(Path(checkpoint).name.split("-")[-1])
        with (run_dir / METRICS_FILE).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": "resume", "from_step": resumed_from,
                                 "time": _now()}) + "\n")
        log(f"resuming from {checkpoint} (step {resumed_from})")
    elif resuming:
        log("no checkpoint saved yet: starting from step 0")
    write_run_manifest(run_dir, recipe, data_out, base, mask.line(), status="running")

    trainer.train(resume_from_checkpoint=checkpoint)

    final = run_dir / ("model" if recipe.method == "full" else "adapter")
    trainer.save_model(str(final))
    tokenizer.save_pretrained(final)
    records = read_metrics(run_dir / METRICS_FILE)
    plot_losses(records, run_dir / "loss.png", f"{run_dir.name} ({recipe.method})")
    losses = [r["loss"] for r in records if "loss" in r and "eval_loss" not in r]
    evals = [r["eval_loss"] for r in records if "eval_loss" in r]
    warning = detect_overfitting(records, recipe.overfit_patience)
    status = _update_status(
        run_dir, status="finished", finished_at=_now(), global_step=trainer.state.global_step,
        max_steps=trainer.state.max_steps, first_train_loss=losses[0] if losses else None,
        train_loss=losses[-1] if losses else None,
        best_eval_loss=min(evals) if evals else None, eval_loss=evals[-1] if evals else None,
        output=final.name,
    )
    warnings = list(dict.fromkeys([*status.get("warnings", []), *([warning] if warning else [])]))
    _update_status(run_dir, warnings=warnings)
    write_run_manifest(run_dir, recipe, data_out, base, mask.line(), status="finished",
                       final=final)
    return RunResult(
        run_id=run_dir.name, run_dir=run_dir, status="finished",
        global_step=trainer.state.global_step, resumed_from=resumed_from,
        first_loss=losses[0] if losses else None, last_loss=losses[-1] if losses else None,
        best_eval_loss=min(evals) if evals else None, loss_mask=mask.line(), warnings=warnings,
    )


def write_run_manifest(run_dir: Path, recipe: Recipe, data_out: Path, base: str,
                       mask: str, *, status: str, final: Path | None = None) -> None:
    """Write ``run_dir/manifest.json``: the run and the data, splits and labels it trained on.

    Parameters
    ----------
    run_dir
        The run's folder.
    recipe
        The resolved recipe.
    data_out
        The built dataset (``training/data/<recipe>``), whose manifest names the splits.
    base
        Where the base model was loaded from.
    mask
        The loss-mask check's line.
    status
        ``running`` or ``finished``.
    final
        The folder of the final weights (their hashes are recorded).
    """
    data_manifest_path = data_out / MANIFEST
    data = read_manifest(data_manifest_path, SftDataManifest,
                         hint="run `workbench train build-data` first")
    inputs = [InputFile(path=str(data_manifest_path), sha256=sha256_file(data_manifest_path),
                        role="training-data"),
              InputFile(path=data.split_manifest, sha256=data.split_manifest_sha256,
                        role="split-manifest")]
    outputs: dict[str, OutputFile] = {}
    if final is not None:
        for path in sorted(final.glob("*.safetensors")):
            outputs[f"{final.name}/{path.name}"] = OutputFile(sha256=sha256_file(path),
                                                              bytes=path.stat().st_size)
    device = None
    with contextlib.suppress(ImportError):
        import torch

        device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
                  else f"cpu ({os.cpu_count()} cores)")
    manifest = RunManifest(
        **envelope("training-run"), inputs=inputs, outputs=outputs,
        config=recipe.model_dump(mode="json"),
        run_id=run_dir.name,
        status=status,
        base_model=recipe.model.base,
        base_model_path=base,
        base_model_revision=recipe.model.revision,
        data_manifest=str(data_manifest_path),
        split_manifest=data.split_manifest,
        split_manifest_sha256=data.split_manifest_sha256,
        label_snapshot=data.label_snapshot,
        data_fingerprint=data.fingerprint,
        loss_mask=mask,
        device=device,
    )
    write_manifest(run_dir / MANIFEST, manifest)
