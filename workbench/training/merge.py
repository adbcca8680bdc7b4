"""``workbench train merge``: fold a run's LoRA adapter into a full-precision copy of its base.

Merging happens on a *fresh full-precision reload* of the base, never on the 4-bit model the run
trained: trl keeps the trainable weights in bf16 for quantized bases, and a merge into the
quantized model either loses precision or fails at generation with a float/bfloat16 mismatch.
The reload and merge are :func:`workbench.core.models.load_causal_lm`'s, the loader generation
and evaluation use. The merged folder loads with ``AutoModelForCausalLM.from_pretrained`` alone and
carries a model card (``README.md``) with the run's lineage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from workbench.core.errors import ConfigError
from workbench.core.io import sha256_file, write_json_atomic
from workbench.core.manifests import build_manifest, recorded_path
from workbench.core.models import LocalModel, load_causal_lm
from workbench.core.runs import MERGED_DIR, read_run_manifest, read_status, resolve_run_dir
from workbench.training.recipe import load_recipe

MergeDtype = Literal["float32", "bfloat16", "float16"]
#: Folder of a run that holds the base it loaded, when the run made it: the tiny base, or the
#: parent's adapter merged into its base for a run started ``--from`` (:mod:`.lineage`).
RUN_BASE_DIR = "base"


def loaded_base(run_dir: Path, base_model: str, *, is_tiny: bool) -> str:
    """The base a run loaded (as its manifest records it), for merging its adapter later."""
    manifest = read_run_manifest(run_dir)
    if manifest is not None and manifest.base_model_path:
        return manifest.base_model_path
    return str(run_dir / RUN_BASE_DIR) if is_tiny else base_model


def merge_adapter(run_dir: Path, target: Path, *, dtype: MergeDtype = "float32") -> Path:
    """Merge the adapter of the run in ``run_dir`` into a reload of its base, save to ``target``.

    The base is the one the run loaded (its manifest's ``base_model_path``), so a run that itself
    started from another run (``--from``) merges onto that run's model.

    Raises
    ------
    ConfigError
        Full fine-tuning (nothing to merge) or no adapter yet.
    """
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
    base = loaded_base(run_dir, recipe.model.base, is_tiny=recipe.model.is_tiny)
    # On the CPU: a float32 7B needs ~29 GB, more than most GPUs that trained it in 4-bit.
    merged, tokenizer, _ = load_causal_lm(
        LocalModel(model_dir=Path(base), adapter_dir=adapter, run_id=run_dir.name, run_dir=run_dir),
        dtype=dtype, device="cpu", trust_remote_code=recipe.model.trust_remote_code)
    merged.save_pretrained(target)
    tokenizer.save_pretrained(target)
    weights = sorted(target.glob("*.safetensors"))
    manifest = build_manifest(
        "merged-model",
        inputs=[{"path": recorded_path(p), "sha256": sha256_file(p)} for p in sorted(adapter.glob("*.safetensors"))],
        outputs={p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size} for p in weights},
        config={"dtype": dtype},
        extra={"run_id": run_dir.name, "base_model": recipe.model.base, "base_model_path": base,
               "parent_run": recipe.from_run},
    )
    write_json_atomic(target / "merge_manifest.json", manifest)
    return target


def merge_run(
    data_dir: Path,
    run: str,
    *,
    out: Path | None = None,
    dtype: MergeDtype = "float32",
    push_to_hub: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Merge the adapter of ``run`` into its base and save the result with a model card.

    Parameters
    ----------
    data_dir
        Root of the stage folders (runs live in ``DIR/runs``).
    run
        Run id or run folder.
    out
        Output folder (default ``<run>/merged``, where the run registry looks for it).
    dtype
        dtype of the reloaded base and of the saved merged weights.
    push_to_hub
        ``org/name`` of a private hub model repository to upload the folder to (needs a hub
        token: ``huggingface-cli login``).
    log
        Where progress lines go.

    Returns
    -------
    Path
        The merged model folder (weights, config, tokenizer with the chat template, README.md).
    """
    from workbench.training.cards import write_model_card

    run_dir = resolve_run_dir(data_dir, run)
    target = merge_adapter(run_dir, out or run_dir / MERGED_DIR, dtype=dtype)
    write_model_card(data_dir, run_dir, target)
    recipe = load_recipe(run_dir / "recipe.yaml")
    log(f"merged {run_dir.name} ({recipe.method}, base {recipe.model.base}) into {target}")
    if push_to_hub:
        log(f"pushed to {push_model_folder(target, push_to_hub)}")
    return target


def push_model_folder(folder: Path, repo_id: str) -> str:
    """Upload a merged model folder (weights, tokenizer, card) to a private hub repository.

    Raises
    ------
    ConfigError
        A malformed id, or the hub's refusal (no token, no access, no network), in one line.
    """
    if repo_id.count("/") != 1:
        msg = f"--push-to-hub {repo_id!r}: expected ORG/NAME"
        raise ConfigError(msg)
    try:
        from huggingface_hub import HfApi

        api = HfApi()
        api.create_repo(repo_id, repo_type="model", private=True, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model")
    except Exception as exc:  # any hub failure (token, access, network) is one line to the user
        msg = f"--push-to-hub {repo_id}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        raise ConfigError(msg) from None
    return f"https://huggingface.co/{repo_id}"
