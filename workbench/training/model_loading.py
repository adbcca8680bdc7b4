"""Loading a recipe's base model, tokenizer and LoRA configuration (heavy imports inside)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.training.recipe import Recipe
from workbench.training.tokenizer_extend import resize_embeddings


def torch_dtype(name: str) -> Any:
    """The torch dtype named in a recipe (``auto`` passes through)."""
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
        bnb_4bit_compute_dtype=torch_dtype(q.bnb_4bit_compute_dtype),
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
        Tokenizer length; embeddings are resized when it is larger: each new row is the mean of
        the base pieces it replaces for a tokenizer from ``train tokenizer --kind extend``, else
        the mean of all rows.
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
        "dtype": torch_dtype(dtype or recipe.model.dtype),
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
    if quant is not None and not quantized_linear_layers(model):
        # transformers skips layer classes it does not know (Falcon's FalconLinear in 5.x) and
        # still marks the model as loaded in 4-bit: training would silently run on a 16-bit base.
        msg = (f"base '{base}' ({model.config.model_type}): transformers quantized none of its "
               "linear layers, so this is not a QLoRA run; use method 'lora' with "
               "quantization.load_in_4bit: false (and a GPU sized by `workbench train estimate`)")
        raise ConfigError(msg)
    if vocab_size is not None:
        resize_embeddings(model, vocab_size, recipe.model.tokenizer)
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



def quantized_linear_layers(model: Any) -> int:
    """How many of ``model``'s layers bitsandbytes replaced (4-bit or 8-bit linear layers)."""
    import bitsandbytes as bnb

    return sum(isinstance(m, bnb.nn.Linear4bit | bnb.nn.Linear8bitLt) for m in model.modules())
