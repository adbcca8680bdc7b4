"""``workbench train merge``: fold a run's LoRA adapter into a full-precision copy of its base.

Merging happens on a *fresh full-precision reload* of the base, never on the 4-bit model the run
trained: trl keeps the trainable weights in bf16 for quantized bases, and a merge into the
quantized model either loses precision or fails at generation with a float/bfloat16 mismatch
(STACK.md). The merged folder loads with ``AutoModelForCausalLM.from_pretrained`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import ConfigError
from workbench.core.io import sha256_file, write_json_atomic
from workbench.core.manifests import build_manifest
from workbench.training.recipe import load_recipe
from workbench.training.run import load_base_model, read_status, resolve_run_dir

MergeDtype = Literal["float32", "bfloat16", "float16"]


def merge_run(
    data_dir: Path,
    run: str,
    *,
    out: Path | None = None,
    dtype: MergeDtype = "float32",
    log: Callable[[str], None] = print,
) -> Path:
    """Merge the adapter of ``run`` into its base and save the result.

    Parameters
    ----------
    data_dir
        Root of the stage folders (runs live in ``DIR/runs``).
    run
        Run id or run folder.
    out
        Output folder (default ``<run>/merged``).
    dtype
        dtype of the reloaded base and of the saved merged weights.
    log
        Where progress lines go.

    Returns
    -------
    Path
        The merged model folder (weights, config, tokenizer with the chat template).
    """
    run_dir = resolve_run_dir(data_dir, run)
    recipe = load_recipe(run_dir / "recipe.yaml")
    if recipe.method == "full":
        msg = f"run {run_dir.name} is full fine-tuning: {run_dir / 'model'} is already a full model"
        raise ConfigError(msg)
    adapter = run_dir / "adapter"
    if not (adapter / "adapter_config.json").exists():
        status = read_status(run_dir).get("status", "unknown")
        msg = (f"run {run_dir.name} has no adapter yet (status: {status}); finish it "
               "(`workbench train run ... --resume`) before merging")
        raise ConfigError(msg)
    from peft import PeftModel
    from transformers import AutoTokenizer

    base = str(run_dir / "base") if recipe.model.is_tiny else recipe.model.base
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    # On the CPU: a float32 7B needs ~29 GB, more than most GPUs that trained it in 4-bit.
    model = load_base_model(recipe, base, vocab_size=len(tokenizer), dtype=dtype, quantize=False,
                            device_map="cpu")
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    target = out or run_dir / "merged"
    merged.save_pretrained(target)
    tokenizer.save_pretrained(target)
    weights = sorted(target.glob("*.safetensors"))
    manifest = build_manifest(
        "merged-model",
        inputs=[{"path": str(p), "sha256": sha256_file(p)} for p in sorted(adapter.glob("*.safetensors"))],
        outputs={p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in weights},
        config={"dtype": dtype},
        extra={"run_id": run_dir.name, "base_model": recipe.model.base, "base_model_path": base},
    )
    write_json_atomic(target / "merge_manifest.json", manifest)
    log(f"merged {run_dir.name} ({recipe.method}, base {recipe.model.base}) into {target}")
    return target


def generate(
    model: Any,
    tokenizer: Any,
    messages: Sequence[Mapping[str, str]],
    *,
    max_new_tokens: int = 80,
    do_sample: bool = False,
    seed: int = 0,
) -> str:
    """Complete a chat (system + user brief) with ``model``; returns the new text only."""
    import torch
    from transformers import set_seed

    set_seed(seed)
    prompt = [dict(m) for m in messages if m["role"] != "assistant"]
    inputs = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                           return_dict=True, return_tensors="pt")
    inputs = {k: v.to(model.device) for k, v in inputs.items()}
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=do_sample,
                                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    new = output[0, inputs["input_ids"].shape[1]:]
    return tokenizer.decode(new, skip_special_tokens=True)
