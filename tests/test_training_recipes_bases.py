"""The seeds' base recipes: each one's architecture, LoRA targets and memory estimate.

Real weights cannot be downloaded here, so every recipe is checked on a random model of the same
architecture family (its ``model.architecture`` with small sizes): loaded through the workbench's
own loader in 4-bit, its LoRA targets must exist, and one optimizer step must train the adapter.
The memory estimate is checked against the parameter counts of the real configurations, against
peft's count of LoRA parameters, and against what ``bench/train.py --gpu`` measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workbench.core.resources import available_names
from workbench.training.recipe import RECIPES_FOLDER, Recipe, load_recipe

BASE_RECIPES = [n for n in available_names(RECIPES_FOLDER) if not load_recipe(n).model.is_tiny]
#: Sizes of the random stand-in; the family's own switches (multi-query, qkv bias, tied
#: embeddings, partial rotary) are kept from the recipe.
SMALL = {"vocab_size": 320, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
         "num_attention_heads": 4, "max_position_embeddings": 256}
#: Parameters of the published checkpoints (their model cards), in billions.
PUBLISHED_PARAMS = {"mistral": 7.24, "llama2-7b-chat": 6.74, "llama-3.2-1b": 1.24,
                    "llama-3.2-3b": 3.21, "llama-3.1-8b": 8.03, "stablelm2-1.6b": 1.64,
                    "falcon-7b": 6.92}


def test_every_seed_base_has_a_recipe() -> None:
    bases = {load_recipe(n).model.base for n in BASE_RECIPES}
    assert {"mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-Instruct-v0.1",
            "meta-llama/Llama-2-7b-chat-hf", "meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-3B",
            "meta-llama/Llama-3.1-8B", "stabilityai/stablelm-2-1_6b",
            "tiiuae/falcon-7b"} <= bases
    assert "llama2-amharic-qlora" in BASE_RECIPES
    families = {load_recipe(n).model.architecture["model_type"] for n in BASE_RECIPES}
    assert families == {"mistral", "llama", "stablelm", "falcon"}


def small_config(recipe: Recipe) -> Any:
    from transformers import AutoConfig

    arch = dict(recipe.model.architecture or {})
    model_type = arch.pop("model_type")
    arch.update(SMALL)
    if "num_key_value_heads" in arch:
        # Grouped-query attention stays grouped (4 heads, 2 key/value heads); full stays full.
        grouped = arch["num_key_value_heads"] < recipe.model.architecture["num_attention_heads"]
        arch["num_key_value_heads"] = 2 if grouped else 4
    if "head_dim" in arch:
        arch["head_dim"] = 16
    arch.pop("sliding_window", None)
    return AutoConfig.for_model(model_type, **arch)


@pytest.mark.parametrize("name", BASE_RECIPES)
def test_recipe_on_a_random_model_of_its_family(name: str, tmp_path: Path) -> None:
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    from workbench.training.memory import estimate_memory
    from workbench.training.model_loading import (
        load_base_model,
        peft_config,
        quantized_linear_layers,
    )

    recipe = load_recipe(name)
    config = small_config(recipe)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    # float32 compute on the CPU (bfloat16 4-bit matmuls are ~6x slower here); same recipe else.
    cpu = recipe.model_copy(update={
        "model": recipe.model.model_copy(update={"dtype": "float32", "attn_implementation": None}),
        "quantization": recipe.quantization.model_copy(update={"bnb_4bit_compute_dtype": "float32"}),
    })
    model = load_base_model(cpu, str(tmp_path))
    assert model.config.model_type == config.model_type
    if recipe.quantization.enabled:
        assert quantized_linear_layers(model) > 0, f"{name}: nothing was quantized"
    assert recipe.lora is not None
    leaves = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    missing = set(recipe.lora.target_modules) - leaves
    assert not missing, f"{name}: LoRA targets {missing} not in a {config.model_type} model"
    if recipe.quantization.enabled:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model = get_peft_model(model, peft_config(recipe))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == estimate_memory(recipe, config).trainable_parameters

    ids = torch.randint(0, config.vocab_size, (2, 12))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    optimizer.step()
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert lora_b
    assert all(float(p.abs().sum()) > 0 for p in lora_b), "one step moves every lora_B off zero"


@pytest.mark.parametrize("name", BASE_RECIPES)
def test_parameter_count_of_the_real_configuration(name: str) -> None:
    from workbench.training.memory import estimate_memory

    recipe = load_recipe(name)
    estimate = estimate_memory(recipe)
    key = next((k for k in PUBLISHED_PARAMS if name.startswith(k)), None)
    # The Amharic Llama-2: Llama-2 7B plus 19,008 rows of embeddings and of the head.
    expected = PUBLISHED_PARAMS[key] if key else 6.74 + 2 * 19008 * 4096 / 1e9
    assert estimate.parameters / 1e9 == pytest.approx(expected, abs=0.01)
    # QLoRA recipes fit a 16 GB GPU as configured; a 16-bit LoRA base (Falcon) a 24 GB one.
    limit = 16 if recipe.quantization.enabled else 24
    assert estimate.total < limit * 2**30, f"{name} should fit a {limit} GB GPU as configured"


@pytest.mark.parametrize(("shape", "rows", "packing", "measured_gib"), [
    # bench/train.py --gpu --models 1b,7b on one H100 (README, "Training" benchmark): peak
    # torch.cuda.max_memory_allocated, QLoRA 4-bit, r=16, batch 4, activation checkpointing.
    ("1b", 95, False, 0.85), ("1b", 512, True, 1.41),
    ("7b", 95, False, 4.34), ("7b", 512, True, 5.75),
])
def test_memory_estimate_matches_bench_measurements(shape: str, rows: int, packing: bool,
                                                    measured_gib: float) -> None:
    from transformers import LlamaConfig

    from workbench.training.memory import GIB, estimate_memory

    # bench/train.py's random Llamas (its MODELS table; the 7B's BPE vocabulary came out at
    # 3,064 pieces, training/README.md says, hence its 7.0 B parameters).
    shapes = {"1b": {"vocab_size": 4000, "hidden_size": 2048, "intermediate_size": 5632,
                     "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4},
              "7b": {"vocab_size": 3064, "hidden_size": 4096, "intermediate_size": 14336,
                     "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8}}
    recipe = Recipe.model_validate({
        "name": "bench", "method": "qlora", "model": {"base": "x", "dtype": "bfloat16"},
        "quantization": {"load_in_4bit": True}, "lora": {"r": 16, "alpha": 32, "dropout": 0.0},
        "training": {"per_device_train_batch_size": 4, "activation_checkpointing": True,
                     "max_length": rows, "packing": packing}})
    estimate = estimate_memory(recipe, LlamaConfig(**shapes[shape]), tokens_per_row=rows)
    assert estimate.total / GIB == pytest.approx(measured_gib, rel=0.12)


def test_estimate_needs_a_shape(tmp_path: Path) -> None:
    from workbench.core.errors import ConfigError
    from workbench.training.memory import estimate_memory

    recipe = load_recipe("mistral-7b-qlora").model_dump()
    recipe["model"]["architecture"] = None
    with pytest.raises(ConfigError, match=r"no model\.architecture"):
        estimate_memory(Recipe.model_validate(recipe))
    # A local base's config.json is used instead.
    from transformers import LlamaConfig

    LlamaConfig(**SMALL, num_key_value_heads=2).save_pretrained(tmp_path)
    recipe["model"]["base"] = str(tmp_path)
    estimate = estimate_memory(Recipe.model_validate(recipe))
    assert 0 < estimate.parameters < 1e6


def test_each_recipe_template_trains_the_ad_only() -> None:
    """Every recipe's chat template masks the brief and trains the ad and what ends it."""
    import torch

    from workbench.training.loss_mask import check_loss_mask, prompt_length
    from workbench.training.tokenizer import train_bpe

    rows = [[{"role": "system", "content": "You write Amharic Telegram ads."},
             {"role": "user", "content": f"Brief {i}: ስልክ ዋጋ {1000 + i} ብር 0911 22334{i}"},
             {"role": "assistant", "content": f"ኦሪጅናል ስልክ በ{1000 + i} ብር ብቻ! ይደውሉ 0911 22334{i}"}]
            for i in range(3)]
    tokenizer = train_bpe([m["content"] for r in rows for m in r] * 20, vocab_size=600)
    templates = sorted({load_recipe(n).data.chat_template for n in available_names(RECIPES_FOLDER)})
    assert any(t.endswith("chat-llama3.jinja") for t in templates)
    for template in templates:
        tokenizer.chat_template = Path(template).read_text(encoding="utf-8")
        encoded = [tokenizer.apply_chat_template(r, tokenize=True, return_dict=True,
                                                 return_assistant_tokens_mask=True) for r in rows]
        width = max(len(e["input_ids"]) for e in encoded)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        labels = torch.full_like(ids, -100)
        attention = torch.zeros_like(ids)
        for i, e in enumerate(encoded):
            n = len(e["input_ids"])
            ids[i, :n] = torch.tensor(e["input_ids"])
            attention[i, :n] = 1
            keep = torch.tensor(e["assistant_masks"]).bool()
            labels[i, :n] = torch.where(keep, ids[i, :n], torch.tensor(-100))
        batch = {"input_ids": ids, "attention_mask": attention, "labels": labels}
        report = check_loss_mask(batch, prompt_lengths=[prompt_length(tokenizer, r) for r in rows])
        assert report.rows_checked == 3, template
        trained = tokenizer.decode(labels[0][labels[0] != -100].tolist())
        assert trained.replace(" ", "").startswith(rows[0][-1]["content"].replace(" ", "")), template
        assert trained.rstrip().endswith(tokenizer.eos_token), template


def test_a_family_transformers_cannot_quantize_is_refused(tmp_path: Path) -> None:
    """Falcon under a 4-bit config loads unquantized yet flagged 4-bit: the loader says so."""
    import torch
    from transformers import AutoModelForCausalLM

    from workbench.core.errors import ConfigError
    from workbench.training.model_loading import load_base_model

    lora = load_recipe("falcon-7b-lora")
    config = small_config(lora)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    qlora = Recipe.model_validate({
        **lora.model_dump(), "method": "qlora",
        "model": {**lora.model.model_dump(), "dtype": "float32", "attn_implementation": None},
        "quantization": {"load_in_4bit": True, "bnb_4bit_compute_dtype": "float32"}})
    with pytest.raises(ConfigError, match="quantized none of its linear layers"):
        load_base_model(qlora, str(tmp_path))
