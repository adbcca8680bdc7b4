"""GPU memory a recipe needs: weights + LoRA (+ gradients, optimizer) + activations.

The parameter shapes come from the base's transformers config (``config.json`` of a local base,
else the recipe's ``model.architecture``), instantiated on the ``meta`` device: every
``nn.Linear`` is counted as it is, for any architecture family, without allocating a byte.

What is counted, in bytes:

- **weights**: linear layers (all but ``lm_head``) at 0.5 byte/param in 4-bit plus the
  quantization constants (one per 64 weights: 1 byte with double quantization, else 4), 1 byte +
  one float32 scale per row in 8-bit, else the model dtype; every other parameter (embeddings,
  norms, ``lm_head``) in float32 for quantized bases (``prepare_model_for_kbit_training`` casts
  them) and in the model dtype otherwise;
- **LoRA**: ``r * (in + out)`` per targeted linear, in bfloat16 on a quantized base (trl casts
  them) and float32 otherwise, with its gradient and the optimizer's state (8-bit Adam:
  2 bytes/param, 32-bit Adam: 8); ``modules_to_save`` likewise;
- **activations** for rows of ``max_length`` tokens (the worst case): with activation
  checkpointing, each layer's input (16-bit) plus one layer's recomputed activations and their
  gradients; without, every layer's activations plus one layer's gradients; the logits (16-bit, their float32 copy for the loss and its gradient); and the
  dequantized copy of the largest weight matrix in the forward and the backward pass.

Attention scores are not counted: the sdpa and flash-attention kernels never materialise them.
CUDA's context (~0.5 GB in ``nvidia-smi``) and the allocator's fragmentation are not counted
either: the figure is comparable with ``torch.cuda.max_memory_allocated``, which is what
``bench/train.py --gpu`` reports (see the README's training benchmark for the comparison).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.training.recipe import Recipe

GIB = 2**30
#: Bytes per element of each dtype a recipe can name.
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "auto": 2}
#: Optimizer state bytes per trainable parameter.
OPTIMIZER_BYTES = {"adamw_torch": 8, "adamw_torch_fused": 8, "paged_adamw_32bit": 8,
                   "adamw_8bit": 2, "paged_adamw_8bit": 2, "adafactor": 4, "sgd": 0}


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak GPU memory of a run, in bytes per component."""

    parameters: int
    weights: int
    trainable_parameters: int
    trainable: int
    activations: int
    tokens_per_step: int

    @property
    def total(self) -> int:
        """Sum of the components."""
        return self.weights + self.trainable + self.activations

    def line(self) -> str:
        """One line: total and components."""
        return (f"estimated GPU memory {size(self.total)} = weights {size(self.weights)} + "
                f"trainable {size(self.trainable)} ({self.trainable_parameters / 1e6:.1f} M params "
                f"with gradients and optimizer) + activations {size(self.activations)} "
                f"({self.tokens_per_step} tokens per micro-batch); base "
                f"{self.parameters / 1e6:,.1f} M params")


def size(n_bytes: int) -> str:
    """Bytes for a human: ``1.25 GiB``, ``37 MiB``.

    Examples
    --------
    >>> size(3 * 2**30 // 2), size(37 * 2**20)
    ('1.50 GiB', '37 MiB')
    """
    return f"{n_bytes / GIB:.2f} GiB" if n_bytes >= GIB else f"{n_bytes / 2**20:.0f} MiB"


def base_config(recipe: Recipe, base: str | None = None) -> Any:
    """The transformers config of the recipe's base (local ``config.json`` first).

    Raises
    ------
    ConfigError
        When the base is not local and the recipe has no ``model.architecture``.
    """
    from transformers import AutoConfig, LlamaConfig

    if recipe.model.is_tiny and base is None:
        assert recipe.model.tiny is not None  # set by the recipe validator
        return LlamaConfig(**recipe.model.tiny.model_dump(), tie_word_embeddings=False)
    folder = Path(base or recipe.model.base).expanduser()
    if (folder / "config.json").is_file():
        fields = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    elif recipe.model.architecture:
        fields = dict(recipe.model.architecture)
    else:
        msg = (f"recipe '{recipe.name}': base '{recipe.model.base}' is not a local folder and the "
               "recipe has no model.architecture to estimate its memory from")
        raise ConfigError(msg)
    model_type = fields.pop("model_type")
    return AutoConfig.for_model(model_type, **fields)


def meta_model(config: Any) -> Any:
    """The model of ``config`` on the meta device (shapes only, no memory)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def _targeted(name: str, targets: list[str] | str) -> bool:
    if targets == "all-linear":
        return not name.endswith("lm_head")
    return name.rsplit(".", 1)[-1] in targets


def estimate_memory(recipe: Recipe, config: Any | None = None, *,
                    tokens_per_row: int | None = None) -> MemoryEstimate:
    """Estimate the peak GPU memory of training ``recipe`` (see the module docstring).

    Parameters
    ----------
    recipe
        The recipe (method, quantization, LoRA, batch size, ``max_length``, checkpointing).
    config
        The base's transformers config (default: :func:`base_config`).
    tokens_per_row
        Tokens in each row of a batch (default: ``training.max_length``, the worst case).

    Returns
    -------
    MemoryEstimate
        Bytes per component.
    """
    import torch

    config = config if config is not None else base_config(recipe)
    model = meta_model(config)
    quant = recipe.quantization
    dtype_bytes = DTYPE_BYTES[recipe.model.dtype]
    lora = recipe.lora
    weights = 0
    lora_params = 0
    largest = 0
    linear_ids = set()
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear) or name.endswith("lm_head"):
            continue
        n = module.weight.numel()
        linear_ids.add(id(module.weight))
        largest = max(largest, n)
        if quant.load_in_4bit:
            weights += n // 2 + (n // 64) * (1 if quant.bnb_4bit_use_double_quant else 4)
        elif quant.load_in_8bit:
            weights += n + module.out_features * 4
        else:
            weights += n * dtype_bytes
        if module.bias is not None:
            weights += module.bias.numel() * dtype_bytes
            linear_ids.add(id(module.bias))
        if lora is not None and _targeted(name, lora.target_modules):
            lora_params += lora.r * (module.in_features + module.out_features)
    other_bytes = 4 if quant.enabled else dtype_bytes
    seen: set[int] = set()
    saved = 0
    for name, param in model.named_parameters(remove_duplicate=False):
        if id(param) in linear_ids or id(param) in seen:
            continue
        seen.add(id(param))
        weights += param.numel() * other_bytes
        if lora is not None and any(name.startswith(f"{m}.") or f".{m}." in f".{name}"
                                    for m in lora.modules_to_save):
            saved += param.numel()
    parameters = sum(p.numel() for p in model.parameters())
    trainable_params = parameters if recipe.method == "full" else lora_params + saved
    optimizer = OPTIMIZER_BYTES.get(str(recipe.training.get("optim", "adamw_torch")), 8)
    # trl casts the trainable weights of a quantized base to bfloat16 (the QLoRA paper's choice);
    # peft keeps them in float32 otherwise.
    param_bytes = dtype_bytes if recipe.method == "full" else (2 if quant.enabled else 4)
    trainable = trainable_params * (2 * param_bytes + optimizer)

    training = recipe.training
    batch = int(training.get("per_device_train_batch_size", 8))
    row = tokens_per_row or int(training.get("max_length", 1024))
    tokens = batch * row
    hidden = config.hidden_size
    layers = config.num_hidden_layers
    intermediate = getattr(config, "intermediate_size", None) or getattr(
        config, "ffn_hidden_size", None) or 4 * hidden
    heads = config.num_attention_heads
    kv_heads = (getattr(config, "num_key_value_heads", None)
                or getattr(config, "num_kv_heads", None) or heads)
    kv_dim = 2 * kv_heads * (hidden // heads)
    # 16-bit tensors kept for the backward pass by one decoder layer, per token: attention
    # inputs and outputs, the MLP's four intermediate-size tensors, float32 norm outputs.
    per_layer = 2 * (5 * hidden + kv_dim + 4 * intermediate) + 8 * hidden
    checkpointing = bool(training.get("activation_checkpointing",
                                      training.get("gradient_checkpointing", False)))
    # The layer being back-propagated holds its activations and their gradients at once.
    stored = (tokens * (layers * 2 * hidden + 2 * per_layer) if checkpointing
              else tokens * (layers * per_layer + per_layer))
    logits = tokens * config.vocab_size * (2 + 4 + 4)
    workspace = 2 * largest * 2 if quant.enabled else 0
    return MemoryEstimate(parameters=parameters, weights=weights,
                          trainable_parameters=trainable_params, trainable=trainable,
                          activations=stored + logits + workspace, tokens_per_step=tokens)
