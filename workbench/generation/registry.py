"""The model registry: what a ``--model NAME`` means.

================================  ==============================================================
name                              model
================================  ==============================================================
``retrieval``                     baseline: the nearest past ad, with the brief's brand and
                                  contact swapped in (:mod:`workbench.generation.baselines`)
``template``                      baseline: a filled Amharic (or English) ad template
``base``                          the untuned base model: ``generation.base_model``, else the
                                  base of the newest training run when it is a local folder
``run:<run_id>``                  a training run's output: ``DIR/runs/<run_id>/adapter/`` (peft,
                                  on the base named in its ``adapter_config.json``) or
                                  ``DIR/runs/<run_id>/model/`` (full fine-tuning);
                                  ``run:latest`` is the newest finished run
a folder path                     a local Hugging Face causal LM (merged model) or a peft adapter
                                  folder (base read from ``adapter_config.json``)
an endpoint name                  an OpenAI-compatible endpoint from ``generation.endpoints``
================================  ==============================================================

Nothing is ever downloaded: a base that is not a local folder is an error. Runs are found by
:mod:`workbench.core.runs` and model folders resolved by :mod:`workbench.core.models`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import ConfigError
from workbench.core.models import LocalModel, default_base, local_model_at, run_model
from workbench.core.prompts import PromptSpec, load_prompt_spec
from workbench.core.resources import user_path
from workbench.core.runs import finished_runs, run_display_name
from workbench.core.settings.generation import EndpointConfig, GenerationConfig

BASELINES = ("retrieval", "template")

ModelKind = Literal["baseline", "hf", "openai"]


@dataclass(frozen=True)
class ModelSpec:
    """A resolved registry entry plus the prompt settings that go with it."""

    name: str
    kind: ModelKind
    prompt: PromptSpec
    local: LocalModel | None = None
    endpoint: EndpointConfig | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str | None:
        """The training run behind the model, if any."""
        return self.local.run_id if self.local else None

    def describe(self) -> dict[str, Any]:
        """JSON-ready provenance (no secrets: only the endpoint's URL and model)."""
        prompt = self.prompt
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "run_id": self.run_id,
                               "prompt_template": prompt.template_path,
                               "prompt_spec_sha256": prompt.sha256(),
                               "context_ads": prompt.context_ads,
                               "context_chars": prompt.context_chars}
        if self.local is not None:
            out["local"] = self.local.describe()
        if self.endpoint is not None:
            out["endpoint"] = {"base_url": self.endpoint.base_url, "model": self.endpoint.model}
        return out


def template_path(value: str | Path) -> Path:
    """A prompt template path: absolute or from the working dir, else the project's, else packaged."""
    return user_path(value)


def config_prompt_spec(cfg: GenerationConfig) -> PromptSpec:
    """The prompt spec of models with no training run: the ``generation:`` section's."""
    return PromptSpec.from_file(template_path(cfg.prompt_template), system_prompt=cfg.system_prompt,
                                context_ads=cfg.k, context_chars=cfg.context_chars)


def _run_prompt(spec: ModelSpec, cfg: GenerationConfig) -> ModelSpec:
    """A run's model with the prompt spec saved in its run folder (``prompt_spec.json``)."""
    if not cfg.use_run_prompt or spec.local is None or spec.local.run_dir is None:
        return spec
    return ModelSpec(
        name=spec.name, kind=spec.kind, local=spec.local, endpoint=spec.endpoint,
        prompt=load_prompt_spec(spec.local.run_dir),
        notes=[*spec.notes, f"prompt: the one {run_display_name(spec.local.run_id)} was "
                            "trained with (generation.use_run_prompt)"],
    )


def resolve_model(name: str, data_dir: Path, cfg: GenerationConfig) -> ModelSpec:
    """Resolve a registry name (see the module docstring).

    Parameters
    ----------
    name
        ``retrieval``, ``template``, ``base``, ``run:<id>``, an endpoint name or a folder path.
    data_dir
        Root of the stage folders (for ``run:<id>``).
    cfg
        The ``generation:`` config.

    Returns
    -------
    ModelSpec
        With the prompt spec to use: the run's for ``run:<id>`` (unless
        ``generation.use_run_prompt`` is false), else the ``generation:`` section's.

    Raises
    ------
    ConfigError
        Unknown name, with a "did you mean" and the list of available models; a run without a
        readable prompt spec.
    """
    common: dict[str, Any] = {"prompt": config_prompt_spec(cfg)}
    if name in BASELINES:
        return ModelSpec(name=name, kind="baseline", **common)
    if name in cfg.endpoints:
        return ModelSpec(name=name, kind="openai", endpoint=cfg.endpoints[name], **common)
    if name == "base":
        base = default_base(data_dir, cfg.base_model)
        return ModelSpec(name=name, kind="hf", local=local_model_at(base), **common)
    if name.startswith("run:"):
        spec = ModelSpec(name=name, kind="hf", local=run_model(data_dir, name[4:]), **common)
        return _run_prompt(spec, cfg)
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelSpec(name=name, kind="hf", local=local_model_at(path), **common)
    known = available_models(data_dir, cfg)
    hint = difflib.get_close_matches(name, known, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = (f"unknown model '{name}'{did}; available: {', '.join(known)} "
           "(or a local model / adapter folder)")
    raise ConfigError(msg)


def available_models(data_dir: Path, cfg: GenerationConfig) -> list[str]:
    """Every name that resolves right now: baselines, endpoints, ``base`` if found, runs."""
    names = [*BASELINES, *cfg.endpoints]
    try:
        default_base(data_dir, cfg.base_model)
        names.append("base")
    except ConfigError:
        pass
    return names + [f"run:{r}" for r in finished_runs(data_dir)]
