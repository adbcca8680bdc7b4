"""The one loader of local causal LMs: a base, a merged model, or a peft adapter over its base.

A model is named by a :class:`LocalModel` (folders only: nothing is ever downloaded), built by

- :func:`local_model_at`: a model folder (``config.json``: base or merged) or an adapter folder
  (``adapter_config.json``, base read from it);
- :func:`run_model`: a training run's output (:mod:`workbench.core.runs`);
- :func:`resolve_local_model`: ``run:<id>`` or a folder path;
- :func:`default_base`: ``generation.base_model``, else the local base of the newest run.

:func:`load_causal_lm` loads one the way that was measured to work: the adapter goes
onto a full-precision load of the base (adapters trained on a 4-bit base carry bfloat16 weights
that fail on a 4-bit merge), then is merged so generation runs at plain-model speed. A tokenizer
saved with the adapter (runs save theirs, chat template included) wins over the base's; when it
is longer than the base's embedding matrix, the embeddings are resized first, as training did.

Endpoint models (OpenAI-compatible servers) load no weights: :class:`workbench.core.endpoints.
EndpointModel` talks to them. Sampling from a loaded model is :mod:`workbench.core.sampling`.

torch and transformers are imported inside the functions: ``workbench --help`` stays light.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.runs import (
    finished_run_dir,
    finished_runs,
    in_this_data_dir,
    read_run_manifest,
    run_folder,
)

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


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
            (self.adapter_dir / f).exists() for f in _TOKENIZER_FILES
        ):
            return self.adapter_dir
        return self.model_dir

    def describe(self) -> dict[str, Any]:
        """JSON-ready provenance."""
        return {"model_dir": str(self.model_dir),
                "adapter_dir": str(self.adapter_dir) if self.adapter_dir else None,
                "tokenizer_dir": str(self.tokenizer_dir), "run_id": self.run_id}


# --- Resolution ----------------------------------------------------------------------------------


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

    Parameters
    ----------
    path
        A model folder (``config.json``) or a peft adapter folder (``adapter_config.json``).
    run_id, run_dir
        The training run the folder belongs to, if any.

    Raises
    ------
    ConfigError
        When the folder is neither, or an adapter's base is not local.
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


def run_model(data_dir: Path, run_id: str) -> LocalModel:
    """A finished run's adapter (on its base) or full model; ``latest``: the newest run.

    An adapter names its base by the absolute path it was trained on; when that base is inside
    the data dir the run was made in and this data dir is a copy, the copy's base is used
    (:func:`workbench.core.runs.in_this_data_dir`), not the original's.
    """
    folder, out = finished_run_dir(data_dir, run_id)
    local = local_model_at(out, run_id=folder.name, run_dir=folder)
    manifest = read_run_manifest(folder)
    recorded = manifest.base_model_path if manifest else None
    if local.adapter_dir is None or manifest is None or not recorded:
        return local
    if Path(recorded).resolve() != local.model_dir:
        return local  # the adapter names another base than the manifest: leave it be
    here = in_this_data_dir(recorded, manifest, data_dir)
    if (here / "config.json").exists():
        return replace(local, model_dir=here.resolve())
    return local


def resolve_local_model(ref: str, data_dir: Path) -> LocalModel:
    """``run:<id>`` or a folder path -> :class:`LocalModel`.

    Raises
    ------
    ConfigError
        Unknown run, or a path that is no model folder.
    """
    if ref.startswith("run:"):
        return run_model(data_dir, ref.removeprefix("run:"))
    path = Path(ref).expanduser()
    if not path.is_dir():
        msg = f"{ref}: not a local model folder"
        raise ConfigError(msg)
    return local_model_at(path)


def default_base(data_dir: Path, base_model: str | None) -> Path:
    """Folder of the ``base`` model: ``base_model`` when set, else the newest run's local base.

    A run's base inside the data dir it was made in is read in this data dir when that was
    copied or moved (:func:`workbench.core.runs.in_this_data_dir`).

    Raises
    ------
    ConfigError
        When ``base_model`` is not a local model folder, or it is unset and no finished run
        names a local base.
    """
    if base_model:
        path = Path(base_model).expanduser()
        if not (path / "config.json").exists():
            msg = f"generation.base_model: '{base_model}' is not a local model folder"
            raise ConfigError(msg)
        return path.resolve()
    for run_id in reversed(finished_runs(data_dir)):
        manifest = read_run_manifest(run_folder(data_dir, run_id))
        recorded = (manifest.base_model_path or manifest.base_model) if manifest else None
        if not recorded:
            continue
        base = in_this_data_dir(recorded, manifest, data_dir)
        if (base / "config.json").exists():
            return base.resolve()
    msg = ("model 'base': set generation.base_model in workbench.yaml to a local model folder "
           "(no training run with a local base was found either)")
    raise ConfigError(msg)


# --- Loading -------------------------------------------------------------------------------------


def _dtype(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return getattr(torch, name)


def load_tokenizer(local: LocalModel) -> Any:
    """The tokenizer of ``local`` (the adapter's own when it saved one), from local files only.

    Raises
    ------
    ConfigError
        When the folder holds no loadable tokenizer (the library's first line is kept).
    """
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(local.tokenizer_dir, local_files_only=True)
    except (OSError, ValueError) as exc:
        msg = f"cannot load tokenizer '{local.tokenizer_dir}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None


def load_causal_lm(local: LocalModel, *, dtype: str = "auto", load_in_4bit: bool = False,
                   device: str | None = None,
                   trust_remote_code: bool = False) -> tuple[Any, Any, dict[str, Any]]:
    """Load model and tokenizer from local folders only.

    Parameters
    ----------
    local
        Model folder, optional adapter folder.
    dtype
        ``auto`` (bfloat16 on GPU, float32 on CPU), ``float32``, ``bfloat16`` or ``float16``.
    load_in_4bit
        Load the base in NF4 (then the adapter is applied unmerged).
    device
        ``cuda`` or ``cpu`` (default: the GPU when there is one).
    trust_remote_code
        Run the model folder's own modelling code (a recipe that trained with it merges with it).

    Returns
    -------
    (model, tokenizer, facts)
        The model in eval mode (an adapter merged into it unless 4-bit), its tokenizer, and
        facts for provenance (dtype, device, 4-bit, whether an adapter was merged).

    Raises
    ------
    ConfigError
        When a folder cannot be loaded (the first line of the library's message is kept).
    """
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    # Per-shard progress bars on stderr say nothing useful; the CLI prints results.
    hf_logging.disable_progress_bar()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    kwargs: dict[str, Any] = {"dtype": _dtype(dtype), "local_files_only": True,
                              "trust_remote_code": trust_remote_code}
    if load_in_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        kwargs["device_map"] = device
    tokenizer = load_tokenizer(local)
    try:
        model = AutoModelForCausalLM.from_pretrained(local.model_dir, **kwargs)
    except (OSError, ValueError) as exc:
        msg = f"cannot load model '{local.model_dir}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    merged = False
    if local.adapter_dir is not None:
        from peft import PeftModel

        with warnings.catch_warnings():
            # peft reads a deprecated transformers property (is_gradient_checkpointing): harmless.
            warnings.simplefilter("ignore", FutureWarning)
            try:
                model = PeftModel.from_pretrained(model, str(local.adapter_dir))
            except (OSError, ValueError, RuntimeError) as exc:
                msg = f"cannot load adapter '{local.adapter_dir}': {str(exc).splitlines()[0]}"
                raise ConfigError(msg) from None
            if not load_in_4bit:
                model = model.merge_and_unload()
                merged = True
    if not load_in_4bit:
        model = model.to(device)
    model.eval()
    facts = {"dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
             "device": device, "load_in_4bit": load_in_4bit, "adapter_merged": merged}
    return model, tokenizer, facts
