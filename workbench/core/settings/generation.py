"""The ``generation:`` section of ``workbench.yaml``: models, prompt, decoding, output checks.

Examples
--------
>>> cfg = GenerationConfig()
>>> (cfg.n, cfg.k, cfg.decoding.seed, cfg.checks.max_overlap)
(4, 3, 42, 0.8)
>>> GenerationConfig(endpoints={"template": {"base_url": "http://x/v1", "model": "m"}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for GenerationConfig
...
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from workbench.core.strict_model import StrictModel

#: Model names the registry itself defines; an endpoint may not take them.
RESERVED_MODEL_NAMES = ("base", "retrieval", "template")


class DecodingConfig(StrictModel):
    """Sampling parameters (recorded with every candidate)."""

    temperature: float = Field(
        default=0.8, ge=0.0, le=5.0, description="0 means greedy decoding (no sampling)."
    )
    top_p: float = Field(default=0.95, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    max_new_tokens: int = Field(default=256, ge=1, le=8192, description="Tokens per candidate.")
    repetition_penalty: float = Field(
        default=1.1, ge=1.0, le=3.0, description="Local models only (>1 discourages repeats)."
    )
    seed: int = Field(
        default=42,
        description="Candidate i of a brief is sampled with item_seed(seed + i, user prompt) "
        "(each one reproducible, independent of the other briefs).",
    )


class EndpointConfig(StrictModel):
    """An OpenAI-compatible chat-completions endpoint, registered as a (hosted) model."""

    base_url: str = Field(description="Up to and including /v1, e.g. http://127.0.0.1:8000/v1.")
    model: str = Field(description="The `model` field sent with each request.")
    api_key_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding the API key (the key itself is "
        "never written into the config or the outputs).",
    )
    timeout_s: float = Field(default=120.0, gt=0, description="Per-request timeout.")
    send_seed: bool = Field(
        default=True, description="Send `seed` (servers that reject it: set false)."
    )

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            msg = f"'{value}' must start with http:// or https://"
            raise ValueError(msg)
        return value.rstrip("/")


class ChecksConfig(StrictModel):
    """Output checks run on every candidate (reported, never used to hide a candidate)."""

    min_ethiopic_share: dict[Literal["am", "en", "mixed"], float] = Field(
        default_factory=lambda: {"am": 0.6, "mixed": 0.25, "en": 0.0},
        description="Least share of Ethiopic letters among all letters, per brief language.",
    )
    max_overlap: float = Field(
        default=0.8, ge=0.0, le=1.0,
        description="A candidate whose character n-grams lie in one retrieved ad at this ratio "
        "or more is a copy.",
    )
    overlap_ngram: int = Field(default=6, ge=2, le=20, description="n of the overlap n-grams.")
    caption: bool = Field(
        default=False,
        description="Check the 1024-unit media-caption limit instead of the 4096 text limit.",
    )
    min_leak_chars: int = Field(
        default=20, ge=5,
        description="A prompt line at least this long found verbatim in a candidate is a leak.",
    )


class GenerationConfig(StrictModel):
    """``workbench generate``: which models, which prompt, how to decode, what to check."""

    models: list[str] = Field(
        default_factory=lambda: ["retrieval"],
        description="Models used when `--model` is not given (registry names).",
    )
    base_model: str | None = Field(
        default=None,
        description="Local folder of the untuned base model (registry name `base`); default: "
        "the base of the newest training run, when it is a local folder.",
    )
    prompt_template: str = Field(
        default="training/templates/ad_prompt.j2",
        description="Jinja template of the user message for models with no training run "
        "(relative: to the working directory, else the project folder's copy, else the packaged "
        "default).",
    )
    system_prompt: str = Field(
        default="You write Amharic Telegram ads. Keep the brief's contact details exactly.",
        description="System message for models with no training run (empty: none).",
    )
    use_run_prompt: bool = Field(
        default=True,
        description="For run:<id> models, build the prompt from the prompt spec saved in the run "
        "folder (the recipe's template, system prompt and context size at training time), so the "
        "model sees prompts shaped like its training data.",
    )
    n: int = Field(default=4, ge=1, le=64, description="Candidates per brief and model.")
    k: int = Field(
        default=3, ge=0, le=20,
        description="Retrieved past ads put in the prompt of models with no training run (a "
        "run's prompt spec says its own).",
    )
    context_chars: int = Field(
        default=400, ge=20,
        description="Each retrieved ad is cut to this many characters (models with no run).",
    )
    decoding: DecodingConfig = Field(default_factory=DecodingConfig)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        default="auto", description="Local model dtype (auto: bfloat16 on GPU, float32 on CPU)."
    )
    load_in_4bit: bool = Field(
        default=False, description="Load local models in 4-bit NF4 (bitsandbytes)."
    )
    endpoints: dict[str, EndpointConfig] = Field(
        default_factory=dict, description="Hosted baselines by name (OpenAI-compatible)."
    )
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    output_dir: str | None = Field(
        default=None,
        description="Where candidates are written, relative to the data dir (default: the data "
        "dir's generations/ folder).",
    )

    @model_validator(mode="after")
    def _endpoint_names(self) -> GenerationConfig:
        for name in self.endpoints:
            if name in RESERVED_MODEL_NAMES or ":" in name or "/" in name:
                msg = (f"endpoint name '{name}' is reserved or not a plain name "
                       f"(reserved: {', '.join(RESERVED_MODEL_NAMES)}; no ':' or '/')")
                raise ValueError(msg)
        return self
