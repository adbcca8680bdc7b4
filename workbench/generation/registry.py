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
                                  ``DIR/runs/<run_id>/model/`` (full fine-tuning)
a folder path                     a local Hugging Face causal LM (merged model) or a peft adapter
                                  folder (base read from ``adapter_config.json``)
an endpoint name                  an OpenAI-compatible endpoint from ``generation.endpoints``
================================  ==============================================================

Nothing is ever downloaded: a base that is not a local folder is an error.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench.core.errors import ConfigError
from workbench.core.prompts import PromptSpec, load_prompt_spec
from workbench.core.settings.generation import EndpointConfig, GenerationConfig

#: Project checkout (templates referenced by relative paths are looked up here too).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

BASELINES = ("retrieval", "template")

ModelKind = Literal["baseline", "hf", "openai"]


@dataclass(frozen=True)
class LocalModel:
    """A local causal LM: a model folder, optionally with a peft adapter on top."""

    model_dir: Path
    adapter_dir: Path | None = None
    run_id: str | None = None
    run_dir: Path | None = None

    @property
    def tokenizer_dir(self) -> Path:
        """The adapter folder when it carries a tokenizer (runs save theirs), else the model's."""
        if self.adapter_dir is not None and any(
            (self.adapter_dir / f).exists() for f in ("tokenizer.json", "tokenizer_config.json")
        ):
            return self.adapter_dir
        return self.model_dir

    def describe(self) -> dict[str, Any]:
        """JSON-ready provenance."""
        return {"model_dir": str(self.model_dir),
                "adapter_dir": str(self.adapter_dir) if self.adapter_dir else None,
                "tokenizer_dir": str(self.tokenizer_dir), "run_id": self.run_id}


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


def runs_root(data_dir: Path) -> Path:
    """``DIR/runs``."""
    return data_dir / "runs"


def run_output_dir(run_dir: Path) -> Path | None:
    """``adapter/`` (peft) or ``model/`` (full fine-tuning) of a run, whichever is complete."""
    if (run_dir / "adapter" / "adapter_config.json").exists():
        return run_dir / "adapter"
    if (run_dir / "model" / "config.json").exists():
        return run_dir / "model"
    return None


def finished_runs(data_dir: Path) -> list[str]:
    """Run ids under ``DIR/runs`` that have a usable output, oldest first (ids sort by time)."""
    root = runs_root(data_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and run_output_dir(p))


def _local_base(base: str, adapter_dir: Path) -> Path:
    for candidate in (Path(base).expanduser(), adapter_dir / base):
        if (candidate / "config.json").exists():
            return candidate.resolve()
    msg = (f"{adapter_dir}/adapter_config.json: base model '{base}' is not a local model folder "
           "(nothing is downloaded; point base_model_name_or_path at a local copy)")
    raise ConfigError(msg)


def local_model_at(path: Path, *, run_id: str | None = None,
                   run_dir: Path | None = None) -> LocalModel:
    """A model or adapter folder as a :class:`LocalModel`.

    Raises
    ------
    ConfigError
        When the folder is neither (no ``config.json``, no ``adapter_config.json``), or an
        adapter's base is not local.
    """
    if (path / "adapter_config.json").exists():
        try:
            adapter_cfg = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"{path}/adapter_config.json: unreadable ({exc})"
            raise ConfigError(msg) from None
        base = adapter_cfg.get("base_model_name_or_path")
        if not base:
            msg = f"{path}/adapter_config.json: no base_model_name_or_path"
            raise ConfigError(msg)
        return LocalModel(model_dir=_local_base(base, path), adapter_dir=path.resolve(),
                          run_id=run_id, run_dir=run_dir)
    if (path / "config.json").exists():
        return LocalModel(model_dir=path.resolve(), run_id=run_id, run_dir=run_dir)
    msg = f"{path}: neither a model folder (config.json) nor a peft adapter (adapter_config.json)"
    raise ConfigError(msg)


def resolve_run(run_id: str, data_dir: Path) -> LocalModel:
    """``run:<run_id>`` -> the run's adapter or full model."""
    run_dir = runs_root(data_dir) / run_id
    out = run_output_dir(run_dir) if run_dir.is_dir() else None
    if out is None:
        known = finished_runs(data_dir)
        hint = difflib.get_close_matches(run_id, known, n=1)
        did = f" (did you mean 'run:{hint[0]}'?)" if hint else ""
        shown = ", ".join(known[-5:]) or "none"
        msg = (f"run '{run_id}' has no adapter/ or model/ under {runs_root(data_dir)}{did}; "
               f"finished runs: {shown}")
        raise ConfigError(msg)
    return local_model_at(out, run_id=run_id, run_dir=run_dir)


def resolve_local_model(ref: str, data_dir: Path) -> LocalModel:
    """``run:<id>`` or a folder path -> :class:`LocalModel` (used by the ``hf-mean`` embedder)."""
    if ref.startswith("run:"):
        return resolve_run(ref.removeprefix("run:"), data_dir)
    path = Path(ref).expanduser()
    if not path.is_dir():
        msg = f"{ref}: not a local model folder"
        raise ConfigError(msg)
    return local_model_at(path)


def default_base(data_dir: Path, cfg: GenerationConfig) -> Path:
    """Folder of the ``base`` model (see the module docstring)."""
    if cfg.base_model:
        path = Path(cfg.base_model).expanduser()
        if not (path / "config.json").exists():
            msg = f"generation.base_model: '{cfg.base_model}' is not a local model folder"
            raise ConfigError(msg)
        return path.resolve()
    for run_id in reversed(finished_runs(data_dir)):
        manifest = runs_root(data_dir) / run_id / "manifest.json"
        try:
            facts = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        base = facts.get("base_model_path") or facts.get("base_model")
        if base and (Path(base) / "config.json").exists():
            return Path(base).resolve()
    msg = ("model 'base': set generation.base_model in workbench.yaml to a local model folder "
           "(no training run with a local base was found either)")
    raise ConfigError(msg)


def template_path(value: str | Path) -> Path:
    """A prompt template path: absolute, else relative to the working dir, else to the project."""
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


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
        notes=[*spec.notes, f"prompt spec of run {spec.local.run_id}"],
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
        return ModelSpec(name=name, kind="hf", local=local_model_at(default_base(data_dir, cfg)),
                         **common)
    if name.startswith("run:"):
        spec = ModelSpec(name=name, kind="hf", local=resolve_run(name[4:], data_dir), **common)
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
        default_base(data_dir, cfg)
        names.append("base")
    except ConfigError:
        pass
    return names + [f"run:{r}" for r in finished_runs(data_dir)]
