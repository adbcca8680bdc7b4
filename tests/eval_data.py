"""Fixture builders for the evaluation tests: synthetic splits, a tiny base and a fake run.

The "run" has the layout a training run leaves (``adapter/`` with its tokenizer, ``manifest.json``,
``run.json``, ``metrics.jsonl``) but an untrained, randomly initialised LoRA adapter: the
evaluation only needs something loadable that behaves like a run, built in about a second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from tests.pipeline_data import synthetic_copy
from workbench.core.layout import Layout

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def make_splits(data_dir: Path, *, n_ads: int = 60, seed: int = 3) -> Path:
    """Curated splits of synthetic posts, made by the pipeline, under ``data_dir``."""
    return synthetic_copy(data_dir, n_ads=n_ads, n_non_ads=8, seed=seed)


def make_tiny_base(out: Path, data_dir: Path) -> Path:
    """A tiny random Llama whose tokenizer knows every character of the splits."""
    from workbench.training.recipe import TinyModelConfig
    from workbench.training.tiny_model import build_tiny_base

    texts = []
    for split in ("train", "val", "test"):
        texts += pl.read_parquet(Layout(data_dir).split(split))["text"].to_list()
    # Prompt words too (the brief template is English-framed).
    texts += ["Write an Amharic Telegram ad for the channel Industry Product and brand words "
              "Contact Price Call to action Past ads of this channel call order buy join"] * 5
    spec = TinyModelConfig(vocab_size=600, hidden_size=64, intermediate_size=128,
                           num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                           max_position_embeddings=512)
    return build_tiny_base(out, texts, spec, chat_template=CHAT_TEMPLATE, seed=0)


def make_fake_run(data_dir: Path, base: Path, run_id: str = "tiny-20260101-000000-abcd",
                  *, losses: int = 12, recipe_overrides: Sequence[str] = ()) -> Path:
    """``DIR/runs/<run_id>/`` with a random LoRA adapter on ``base`` and a loss history.

    The manifest is the training stage's own (``write_run_manifest`` over data built by
    ``ensure_data`` from the splits in ``data_dir``), so its lineage is a real run's.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.training.recipe import load_recipe
    from workbench.training.run import write_run_manifest
    from workbench.training.sft_data import ensure_data, install_prompt_spec

    run_dir = Layout(data_dir).run(run_id)
    adapter = run_dir / "adapter"
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True)
    torch.manual_seed(1)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                                  init_lora_weights=False))
    peft_model.save_pretrained(adapter)
    AutoTokenizer.from_pretrained(base).save_pretrained(adapter)
    cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    cfg["base_model_name_or_path"] = str(base)
    (adapter / "adapter_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    recipe = load_recipe("tiny-cpu", ["name=tiny-test",
                                      "data.system_prompt=You write Amharic Telegram ads.",
                                      *recipe_overrides])
    data_out, _ = ensure_data(data_dir, recipe, progress=False)
    install_prompt_spec(data_out, run_dir)
    # Training keeps the resolved recipe beside the manifest; run comparison reads it.
    (run_dir / "recipe.yaml").write_text(recipe.dump_yaml(), encoding="utf-8")
    write_run_manifest(run_dir, recipe, data_out, str(base), "loss mask: not checked (random adapter)",
                       status="finished", data_dir=data_dir, final=adapter)
    (run_dir / "run.json").write_text(json.dumps({"status": "finished", "recipe": "tiny-test",
                                                  "global_step": losses}), encoding="utf-8")
    lines = [{"step": s, "loss": 6.0 / s} for s in range(1, losses + 1)]
    lines += [{"step": s, "eval_loss": 5.0 / s ** 0.5} for s in range(4, losses + 1, 4)]
    (run_dir / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n",
                                           encoding="utf-8")
    return run_dir
