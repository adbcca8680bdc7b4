"""Hugging Face cards (``README.md`` with YAML metadata) for merged models and exported datasets.

A card says what the folder holds and where it came from: the run chain (a run started
``--from`` another names it, back to the first base), the recipe's method and LoRA settings, the
data it trained on (split manifest hash, label snapshot), and its losses. Paths inside the data
folder are shown relative to it, so a card pushed to the hub names no machine's folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workbench.core.io import write_text_atomic
from workbench.core.runs import read_run_manifest, read_status, resolve_run_dir
from workbench.training.recipe import Recipe, load_recipe

#: Runs followed back through ``--from`` before the chain is cut (a loop cannot occur by
#: construction; the cap keeps a hand-edited folder from hanging the card).
MAX_CHAIN = 20


def _shown(path: str | None, data_dir: Path) -> str:
    """``path`` relative to the data folder when inside it, else its file name."""
    if not path:
        return "-"
    p = Path(path)
    try:
        return str(p.resolve().relative_to(data_dir.resolve()))
    except ValueError:
        return p.name if p.is_absolute() else path


def run_chain(data_dir: Path, run_dir: Path) -> list[tuple[Path, Recipe]]:
    """The run and the runs it started from (``--from``), newest first."""
    chain: list[tuple[Path, Recipe]] = []
    current: Path | None = run_dir
    while current is not None and len(chain) < MAX_CHAIN:
        recipe = load_recipe(current / "recipe.yaml")
        chain.append((current, recipe))
        current = resolve_run_dir(data_dir, recipe.from_run) if recipe.from_run else None
    return chain


def _first_base(chain: list[tuple[Path, Recipe]]) -> str:
    return chain[-1][1].model.base


def _run_section(data_dir: Path, run_dir: Path, recipe: Recipe) -> list[str]:
    status = read_status(run_dir)
    manifest = read_run_manifest(run_dir)

    def num(key: str) -> str:
        value = status.get(key)
        return f"{value:.4f}" if isinstance(value, int | float) else "-"

    lines = [f"### Run `{run_dir.name}` (recipe `{recipe.name}`, {recipe.data.objective.upper()})",
             "",
             f"- method: {recipe.method}; base: `{recipe.model.base}`"
             + (f", started from run `{recipe.from_run}`" if recipe.from_run else "")]
    if recipe.lora is not None:
        lora = recipe.lora
        lines.append(f"- LoRA: r={lora.r}, alpha={lora.alpha}, rsLoRA={lora.use_rslora}, "
                     f"dropout={lora.dropout}, targets {lora.target_modules}")
    training = recipe.training
    knobs = ", ".join(f"{k}={training[k]}" for k in
                      ("learning_rate", "warmup_steps", "max_steps", "num_train_epochs",
                       "per_device_train_batch_size", "gradient_accumulation_steps",
                       "max_length", "packing") if k in training)
    if knobs:
        lines.append(f"- training: {knobs}")
    lines.append(f"- steps: {status.get('global_step', '-')}; train loss {num('first_train_loss')}"
                 f" -> {num('train_loss')}; best validation loss {num('best_eval_loss')}")
    if manifest is not None:
        lines.append(f"- data: split manifest sha256 `{manifest.split_manifest_sha256[:16]}`, "
                     f"label snapshot `{manifest.label_snapshot.id}`, data fingerprint "
                     f"`{manifest.data_fingerprint}`")
        cleaned = [i for i in manifest.inputs if i.role and i.role.endswith("cleaned")]
        for item in cleaned:
            lines.append(f"- cleaned posts: `{_shown(item.path, data_dir)}` "
                         f"(sha256 `{item.sha256[:16]}`)")
    for warning in status.get("warnings", []):
        lines.append(f"- warning: {warning}")
    return [*lines, ""]


def model_card(data_dir: Path, run_dir: Path) -> str:
    """The model card of the merged model of the run in ``run_dir``."""
    chain = run_chain(data_dir, run_dir)
    recipe = chain[0][1]
    base = _first_base(chain)
    meta: dict[str, Any] = {"language": ["am"], "library_name": "transformers",
                            "pipeline_tag": "text-generation",
                            "tags": ["amharic", "telegram-ads", recipe.method, "workbench"]}
    if not Path(base).is_absolute() and base != "tiny" and "/" in base:
        meta["base_model"] = base
    steps = " -> ".join(f"`{r.name}` ({r.data.objective})" for _, r in reversed(chain))
    lines = ["---", yaml.safe_dump(meta, sort_keys=False).strip(), "---", "",
             f"# {run_dir.name} (merged)", "",
             "An Amharic Telegram-ad writer: the LoRA adapter of the run below merged into a "
             "full-precision copy of its base. Given a brief (product, prices, contacts, "
             "channel) in the recipe's chat template, it writes the ad.", "",
             "## Lineage", "",
             f"First base: `{base}`. Runs, oldest first: {steps}.", ""]
    for folder, run_recipe in chain:
        lines += _run_section(data_dir, folder, run_recipe)
    lines += ["## Use", "", "```python",
              "from transformers import AutoModelForCausalLM, AutoTokenizer",
              "model = AutoModelForCausalLM.from_pretrained(PATH)",
              "tokenizer = AutoTokenizer.from_pretrained(PATH)  # chat template included",
              "```", "",
              "## Limitations", "",
              "Trained on one team's Telegram channels: it copies their styles and may repeat "
              "phone numbers or prices seen in training. Check every contact detail against the "
              "brief before publishing an ad." + (
                  " The base was randomly initialised (a pipeline check, not a usable writer)."
                  if base == "tiny" else ""), ""]
    return "\n".join(lines)


def write_model_card(data_dir: Path, run_dir: Path, target: Path) -> Path:
    """Write :func:`model_card` as ``target/README.md`` and return its path."""
    card = target / "README.md"
    write_text_atomic(card, model_card(data_dir, run_dir))
    return card
