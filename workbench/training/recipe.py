"""Training recipes: YAML files validated by pydantic, one model per concern.

A recipe says which base model to load and how (``model``, ``quantization``), what to train
(``method``, ``lora``), on which data (``data``) and with which trainer settings (``training``,
passed through to :class:`trl.SFTConfig`, which validates its own fields). Unknown keys fail with a
"did you mean" hint; rules that involve several fields (QLoRA needs a 4-bit base, a randomly
initialised tiny base needs a trainable ``lm_head``...) are validators here, so a bad recipe fails
before anything heavy is imported.

Examples
--------
>>> r = Recipe.model_validate({"name": "x", "method": "lora", "model": {"base": "tiny"},
...                            "lora": {"modules_to_save": ["lm_head"]}})
>>> r.model.tiny.hidden_size
128
>>> Recipe.model_validate({"name": "x", "method": "qlora", "model": {"base": "some/model"},
...                        "lora": {}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Recipe
  Value error, method 'qlora' needs quantization.load_in_4bit: true ...
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from workbench.core.config import load_yaml_model
from workbench.core.errors import ConfigError
from workbench.core.resources import available_names, named_file, shown_path
from workbench.core.strict_model import StrictModel
from workbench.core.validation import validation_failure

#: Where recipes are looked up by name (project folder, then packaged defaults).
RECIPES_FOLDER = "training/recipes"

#: ``model.base`` value that means "build a tiny Llama and its tokenizer locally from the data".
TINY_BASE = "tiny"

#: SFTConfig fields the workbench sets itself; a recipe that sets them would break the run layout
#: or the completion-only loss, so they are rejected with the reason.
RESERVED_TRAINING_KEYS: dict[str, str] = {
    "output_dir": "runs are written to DIR/runs/<run_id>/",
    "run_name": "the run id names the run",
    "resume_from_checkpoint": "use `workbench train run --resume`",
    "assistant_only_loss": "set by data.objective (sft: completion only; cpt: every token)",
    "completion_only_loss": "set by data.objective",
    "dataset_text_field": "the workbench writes its own dataset columns",
    "model_init_kwargs": "use the model and quantization sections",
    "chat_template_path": "use data.chat_template",
}

LORA_TARGETS_LLAMA = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class TinyModelConfig(StrictModel):
    """Shape of the tiny Llama built locally when ``model.base`` is ``tiny`` (tests, CPU demo)."""

    vocab_size: int = Field(default=2000, ge=500, description="BPE vocabulary trained on the data.")
    hidden_size: int = Field(default=128, ge=16, description="Model width.")
    intermediate_size: int = Field(default=256, ge=16, description="MLP width.")
    num_hidden_layers: int = Field(default=2, ge=1, description="Decoder layers.")
    num_attention_heads: int = Field(default=4, ge=1, description="Attention heads.")
    num_key_value_heads: int = Field(default=2, ge=1, description="Key/value heads (GQA).")
    max_position_embeddings: int = Field(default=1024, ge=64, description="Longest sequence.")

    @model_validator(mode="after")
    def _heads_divide(self) -> TinyModelConfig:
        if self.hidden_size % self.num_attention_heads:
            msg = "hidden_size must be a multiple of num_attention_heads"
            raise ValueError(msg)
        if self.num_attention_heads % self.num_key_value_heads:
            msg = "num_attention_heads must be a multiple of num_key_value_heads"
            raise ValueError(msg)
        return self


class ModelConfig(StrictModel):
    """The base model and its tokenizer."""

    base: str = Field(
        description="'tiny' (built locally from the data, no download), a hub id "
        "(e.g. mistralai/Mistral-7B-v0.1) or a local directory.",
    )
    revision: str | None = Field(default=None, description="Hub revision (commit) to pin.")
    tokenizer: str | None = Field(
        default=None,
        description="Tokenizer directory or hub id when not the base's own, e.g. one extended by "
        "`workbench train tokenizer --kind extend`; embeddings are resized to its length.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="dtype of the non-quantized weights when loading the base."
    )
    attn_implementation: Literal["eager", "sdpa", "flash_attention_2"] | None = Field(
        default=None, description="Attention kernel (None: the library's default)."
    )
    trust_remote_code: bool = Field(default=False, description="Run model code from the hub.")
    tiny: TinyModelConfig | None = Field(
        default=None, description="Shape of the tiny model (only with base: tiny)."
    )
    architecture: dict[str, Any] | None = Field(
        default=None,
        description="The base's transformers config fields (model_type, sizes), as in its "
        "config.json: the memory estimate and the recipe tests use it when the base is not a "
        "local folder (a local base's own config.json wins).",
    )

    @model_validator(mode="before")
    @classmethod
    def _tiny_default(cls, data: Any) -> Any:
        # The tiny base always has a shape: the defaults when the recipe gives none.
        if isinstance(data, dict) and data.get("base") == TINY_BASE and data.get("tiny") is None:
            return {**data, "tiny": {}}
        return data

    @field_validator("architecture")
    @classmethod
    def _has_model_type(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and not isinstance(value.get("model_type"), str):
            msg = "model.architecture needs a model_type (llama, mistral, stablelm, falcon...)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _tiny_shape(self) -> ModelConfig:
        if self.base != TINY_BASE and self.tiny is not None:
            msg = f"model.tiny only applies to base '{TINY_BASE}', not '{self.base}'"
            raise ValueError(msg)
        if self.base == TINY_BASE and self.tokenizer is not None:
            msg = "base 'tiny' builds its own tokenizer from the data: remove model.tokenizer"
            raise ValueError(msg)
        return self

    @property
    def is_tiny(self) -> bool:
        """True when the base is built locally."""
        return self.base == TINY_BASE


class QuantizationConfig(StrictModel):
    """bitsandbytes loading of the frozen base (works on CPU and CUDA)."""

    load_in_4bit: bool = Field(default=False, description="Load the base in 4 bits (QLoRA).")
    load_in_8bit: bool = Field(default=False, description="Load the base in 8 bits (LLM.int8).")
    bnb_4bit_quant_type: Literal["nf4", "fp4"] = Field(default="nf4", description="4-bit data type.")
    bnb_4bit_use_double_quant: bool = Field(
        default=True, description="Quantize the quantization constants too (~0.4 bit/param saved)."
    )
    bnb_4bit_compute_dtype: Literal["bfloat16", "float16", "float32"] = Field(
        default="bfloat16", description="dtype of the matmuls on dequantized weights."
    )

    @model_validator(mode="after")
    def _one_mode(self) -> QuantizationConfig:
        if self.load_in_4bit and self.load_in_8bit:
            msg = "choose one of quantization.load_in_4bit and quantization.load_in_8bit"
            raise ValueError(msg)
        return self

    @property
    def enabled(self) -> bool:
        """True when the base is loaded quantized."""
        return self.load_in_4bit or self.load_in_8bit


class LoraConfig(StrictModel):
    """The LoRA adapter (peft)."""

    r: int = Field(default=16, ge=1, description="Rank of the update matrices.")
    alpha: int = Field(default=32, ge=1, description="Scale numerator (scale = alpha/r, or /sqrt(r)).")
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        default_factory=lambda: list(LORA_TARGETS_LLAMA),
        description="Module names to adapt (Llama/Mistral projections by default) or 'all-linear'.",
    )
    use_rslora: bool = Field(
        default=False, description="Rank-stabilised LoRA: scale by alpha/sqrt(r) (better at high r)."
    )
    bias: Literal["none", "all", "lora_only"] = Field(default="none", description="Train biases.")
    modules_to_save: list[str] = Field(
        default_factory=list,
        description="Modules trained in full beside the adapter. Only for the random tiny base "
        "(lm_head) or a resized vocabulary (embed_tokens, lm_head).",
    )

    @field_validator("target_modules")
    @classmethod
    def _non_empty(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list) and not value:
            msg = "lora.target_modules is empty"
            raise ValueError(msg)
        return value


class DataConfig(StrictModel):
    """How SFT examples and the continued-pretraining set are built from the curated splits."""

    objective: Literal["sft", "cpt"] = Field(
        default="sft",
        description="sft: brief -> ad, loss on the ad only; cpt: continued pretraining on all "
        "cleaned text, loss on every token.",
    )
    chat_template: str = Field(
        default="../templates/chat.jinja",
        description="Jinja chat template with {% generation %} markers (relative to the recipe).",
    )
    prompt_template: str = Field(
        default="../templates/brief.jinja",
        description="Jinja template turning a brief into the user message (relative to the recipe).",
    )
    system_prompt: str = Field(
        default="You write Amharic Telegram ads. Keep the brief's contact details exactly.",
        description="System message of every example (empty: none).",
    )
    context_ads: int = Field(
        default=3, ge=0, le=20, description="Past ads of the same channel shown in the prompt."
    )
    context_chars: int = Field(
        default=400, ge=20, description="Each context ad is cut to this many characters."
    )
    brief_words: int = Field(
        default=6, ge=0, le=30, description="Product/brand words taken from the ad into the brief."
    )
    min_chars: int = Field(default=20, ge=1, description="Ads shorter than this are skipped.")
    max_train_examples: int | None = Field(
        default=None, ge=1, description="Cap on training examples (None: all)."
    )
    max_eval_examples: int | None = Field(
        default=256, ge=1, description="Cap on validation examples evaluated during training."
    )

    def resolve(self, recipe_dir: Path) -> DataConfig:
        """A copy with the template paths made absolute (relative ones are from ``recipe_dir``)."""
        fields = {}
        for key in ("chat_template", "prompt_template"):
            path = Path(getattr(self, key))
            fields[key] = str(path if path.is_absolute() else (recipe_dir / path).resolve())
        return self.model_copy(update=fields)


class Recipe(StrictModel):
    """A whole training recipe."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Names runs and data.")
    description: str = Field(default="", description="One paragraph for humans.")
    method: Literal["qlora", "lora", "full"] = Field(
        description="qlora: LoRA on a 4-bit base; lora: LoRA on a 16/32-bit (or 8-bit) base; "
        "full: every weight trained."
    )
    seed: int = Field(default=42, description="Seeds Python, NumPy, torch, data order and LoRA init.")
    cpu_threads: int | None = Field(
        default=None, ge=1,
        description="torch intra-op threads when training on CPU (None: torch's default, one per "
        "core). Tiny models gain nothing from more, and busy machines lose a lot.",
    )
    from_run: str | None = Field(
        default=None,
        description="Run id whose output this run starts from (`workbench train run --from`): "
        "its merged model, or its adapter merged into its base, replaces model.base; the "
        "tokenizer is the parent run's. Continued pretraining, then SFT.",
    )
    model: ModelConfig
    quantization: QuantizationConfig = Field(default_factory=QuantizationConfig)
    lora: LoraConfig | None = Field(default=None, description="Required for qlora and lora.")
    data: DataConfig = Field(default_factory=DataConfig)
    overfit_patience: int = Field(
        default=2, ge=1,
        description="Warn when validation loss rose this many evaluations in a row while the "
        "training loss fell.",
    )
    training: dict[str, Any] = Field(
        default_factory=dict,
        description="trl.SFTConfig / transformers.TrainingArguments fields, passed through.",
    )

    @model_validator(mode="after")
    def _cross_field(self) -> Recipe:
        q = self.quantization
        if self.method == "qlora" and not q.load_in_4bit:
            msg = "method 'qlora' needs quantization.load_in_4bit: true (use method 'lora' otherwise)"
            raise ValueError(msg)
        if self.method == "full" and q.enabled:
            msg = "method 'full' cannot train quantized weights: remove load_in_4bit/load_in_8bit"
            raise ValueError(msg)
        if self.method in ("qlora", "lora") and self.lora is None:
            msg = f"method '{self.method}' needs a lora section"
            raise ValueError(msg)
        if self.method == "full" and self.lora is not None:
            msg = "method 'full' trains every weight: remove the lora section"
            raise ValueError(msg)
        if self.lora is not None:
            self._check_modules_to_save(self.lora)
        for key in self.training:
            if key in RESERVED_TRAINING_KEYS:
                msg = f"training.{key} is set by the workbench: {RESERVED_TRAINING_KEYS[key]}"
                raise ValueError(msg)
        return self

    def _check_modules_to_save(self, lora: LoraConfig) -> None:
        if lora.modules_to_save and not (self.model.is_tiny or self.model.tokenizer):
            msg = ("lora.modules_to_save trains whole modules and is only for the random tiny base "
                   "or a resized vocabulary (model.tokenizer): a pretrained base does not need it")
            raise ValueError(msg)
        if self.model.is_tiny and "lm_head" not in lora.modules_to_save:
            msg = ("base 'tiny' is randomly initialised and LoRA alone cannot fit its frozen "
                   "lm_head: add lora.modules_to_save: [lm_head]")
            raise ValueError(msg)

    def fingerprint(self) -> str:
        """Short hash of the data-shaping fields (decides whether built data is still current)."""
        # Template *content* counts, not where the checkout lives; the chat template shapes
        # tokenization only, not the stored examples.
        fields = self.data.model_dump(mode="json", exclude={"chat_template", "prompt_template"})
        blob = json.dumps(fields, sort_keys=True)
        prompt = Path(self.data.prompt_template)
        if prompt.exists():
            blob += prompt.read_text(encoding="utf-8")
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def dump_yaml(self) -> str:
        """The resolved recipe as YAML (every default spelled out)."""
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)


def _apply_override(raw: dict[str, Any], assignment: str) -> None:
    """Apply one ``dotted.key=value`` override (value parsed as YAML) to a raw recipe mapping."""
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
        msg = f"override {assignment!r}: expected dotted.key=value, e.g. training.max_steps=10"
        raise ConfigError(msg)
    parts = key.strip().split(".")
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            msg = f"override {assignment!r}: '{part}' is not a section"
            raise ConfigError(msg)
        node = child
    node[parts[-1]] = parse_value(value)


#: A number in exponent notation without a dot (``1e-4``), which YAML 1.1 reads as a string.
_EXPONENT_FLOAT = re.compile(r"^[-+]?\d+[eE][-+]?\d+$")


def parse_value(text: str) -> Any:
    """A ``--set``/``--grid`` value as YAML, with ``1e-4`` read as the number it means.

    Examples
    --------
    >>> parse_value("1e-4"), parse_value("2.0e-4"), parse_value("true"), parse_value("[q, v]")
    (0.0001, 0.0002, True, ['q', 'v'])
    """
    value = yaml.safe_load(text)
    if isinstance(value, str) and _EXPONENT_FLOAT.match(value.strip()):
        return float(value)
    return value


def resolve_recipe_path(name_or_path: str | Path) -> Path:
    """A recipe file path, or the name of a recipe in ``training/recipes/`` (with did-you-mean).

    A name is looked up in the project folder's ``training/recipes/``, then in the packaged
    defaults (:mod:`workbench.core.resources`).
    """
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        return path
    candidate = named_file(RECIPES_FOLDER, str(name_or_path))
    if candidate is not None:
        return candidate
    known = available_names(RECIPES_FOLDER)
    hint = difflib.get_close_matches(str(name_or_path), known, n=1)
    did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"recipe '{name_or_path}' not found{did_you_mean}; known: {', '.join(known)}"
    raise ConfigError(msg)


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Load and validate a recipe; every failure is a one-line :class:`ConfigError`.

    Parameters
    ----------
    path
        A YAML file, or the name of a recipe in ``training/recipes/`` (``tiny-cpu``).
    overrides
        ``dotted.key=value`` assignments applied before validation
        (``training.max_steps=10``, ``lora.r=32``); values are parsed as YAML.

    Returns
    -------
    Recipe
        The validated recipe, template paths made absolute.
    """
    path = resolve_recipe_path(path)
    if not overrides:
        recipe = load_yaml_model(path, Recipe)
    else:
        # Validate once through the shared loader (file errors, YAML errors), then re-validate
        # the raw mapping with the overrides applied.
        load_yaml_model(path, Recipe)
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for assignment in overrides:
            _apply_override(raw, assignment)
        try:
            recipe = Recipe.model_validate(raw)
        except ValidationError as exc:
            raise validation_failure(exc, Recipe, f"{shown_path(path)} (with --set overrides)"
                                     ) from None
    return recipe.model_copy(update={"data": recipe.data.resolve(path.resolve().parent)})


def sft_config_kwargs(recipe: Recipe, output_dir: Path) -> dict[str, Any]:
    """Keyword arguments for :class:`trl.SFTConfig`: workbench defaults, then the recipe's.

    Unknown keys fail here with a did-you-mean hint instead of a bare ``TypeError`` from the
    dataclass; trl and transformers validate the values themselves.
    """
    import dataclasses

    from trl import SFTConfig

    known = {f.name for f in dataclasses.fields(SFTConfig)}
    for key in recipe.training:
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
            msg = f"recipe '{recipe.name}': training.{key} is not a trl.SFTConfig field{did_you_mean}"
            raise ConfigError(msg)
    kwargs: dict[str, Any] = {
        "eval_strategy": "steps",
        "save_strategy": "steps",
        "logging_steps": 1,
        "report_to": "none",
        "save_total_limit": 3,
        "seed": recipe.seed,
        "data_seed": recipe.seed,
        "disable_tqdm": False,
    }
    kwargs.update(recipe.training)
    # TrainingArguments would evaluate every logging step without these; a checkpoint per
    # evaluation keeps "resume" and "best eval loss" on the same steps.
    kwargs.setdefault("eval_steps", 50)
    kwargs.setdefault("save_steps", kwargs["eval_steps"])
    kwargs["output_dir"] = str(output_dir)
    kwargs["assistant_only_loss"] = recipe.data.objective == "sft"
    kwargs["completion_only_loss"] = False
    return kwargs
