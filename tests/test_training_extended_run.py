"""Mistral v1 extended with Amharic pieces -> transformers -> resized embeddings -> a training step.

The base is a random tiny Llama with Mistral's real 32,000-piece vocabulary; the extension is
learnt from the pipeline's cleaned posts by ``train tokenizer --kind extend``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy
from workbench.core.layout import Layout
from workbench.training.recipe import Recipe, TinyModelConfig, load_recipe
from workbench.training.tokenizer_bases import packaged_tokenizer

SHAPE = TinyModelConfig(vocab_size=600, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                        num_attention_heads=2, num_key_value_heads=1,
                        max_position_embeddings=4096)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(data dir, random Mistral-vocabulary base, extended tokenizer folder)."""
    from workbench.training.tiny_model import save_random_llama
    from workbench.training.tokenizer_command import train_tokenizer

    root = tmp_path_factory.mktemp("extended-run")
    synthetic_copy(root, n_ads=48, n_non_ads=12, seed=3)
    mistral = packaged_tokenizer("mistral-v1")
    base = save_random_llama(root / "mistral-random", mistral.load(), SHAPE)
    # As a hub checkpoint of Mistral 7B ships it, beside tokenizer.json.
    shutil.copyfile(mistral.path, base / "tokenizer.model")
    extended = Layout(root).tokenizers / "mistral-am"
    train_tokenizer(Layout(root).cleaned_messages, extended, kind="extend",
                    bases=["mistral-v1"], n_new=300)
    return root, base, extended


def _recipe(base: Path, extended: Path, *extra: str) -> Recipe:
    return load_recipe("tiny-cpu", [
        f"model.base={base}", "model.tiny=null", f"model.tokenizer={extended}",
        "lora.modules_to_save=[embed_tokens, lm_head]",
        "data.chat_template=../templates/chat-inst.jinja", "training.max_length=4096", *extra,
    ])


def test_new_embeddings_start_as_the_mean_of_the_pieces_they_replace(
    world: tuple[Path, Path, Path],
) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.training.run import load_base_model

    _, base, extended = world
    record = json.loads((extended / "extension.json").read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(extended)
    original = AutoModelForCausalLM.from_pretrained(base)

    model = load_base_model(_recipe(base, extended), str(base), vocab_size=len(tokenizer),
                            quantize=False)
    emb_in, emb_out = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    old_in = original.get_input_embeddings().weight
    old_out = original.get_output_embeddings().weight
    assert emb_in.shape == (32000 + record["added"], SHAPE.hidden_size)
    assert torch.equal(emb_in[:32000], old_in)
    for entry in record["pieces"]:
        torch.testing.assert_close(emb_in[entry["id"]], old_in[entry["replaces"]].mean(dim=0))
        torch.testing.assert_close(emb_out[entry["id"]], old_out[entry["replaces"]].mean(dim=0))


def test_one_training_step_with_the_extended_vocabulary(world: tuple[Path, Path, Path]) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.training.merge import merge_run
    from workbench.training.run import train_run

    root, base, extended = world
    recipe = _recipe(base, extended, "training.max_steps=1", "training.logging_steps=1",
                     "training.eval_steps=1", "training.save_steps=1")
    result = train_run(root, recipe, run_id="extended", progress=False, log=lambda _l: None)
    assert result.status == "finished"
    assert "loss mask ok" in result.loss_mask
    saved = AutoTokenizer.from_pretrained(result.run_dir / "adapter")
    assert len(saved) == len(AutoTokenizer.from_pretrained(extended))
    metrics = [json.loads(line) for line in
               (result.run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    losses = [m["loss"] for m in metrics if "loss" in m and "eval_loss" not in m]
    assert losses
    assert all(loss == loss and loss > 0 for loss in losses)  # finite, not NaN
    # The merged model keeps the extended vocabulary and its trained embedding rows.
    merged = merge_run(root, "extended", log=lambda _l: None)
    model = AutoModelForCausalLM.from_pretrained(merged)
    assert model.get_input_embeddings().weight.shape[0] == len(saved)
    assert len(AutoTokenizer.from_pretrained(merged)) == len(saved)


def test_extend_the_local_base_of_a_recipe(world: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from workbench.training.tokenizer_command import train_tokenizer

    root, base, extended = world
    recipe = tmp_path / "local-mistral.yaml"
    recipe.write_text(f"name: local-mistral\nmethod: lora\nmodel: {{base: {base}}}\n"
                      "lora: {r: 8}\n", encoding="utf-8")
    report = train_tokenizer(Layout(root).cleaned_messages, tmp_path / "ext", kind="extend",
                             bases=[str(recipe)], n_new=300)
    assert report.rows[0][0] == f"base: {recipe} ({base})"
    # The recipe's folder holds Mistral's SentencePiece model: the same pieces are merged into it.
    ours = json.loads((tmp_path / "ext" / "extension.json").read_text(encoding="utf-8"))
    packaged = json.loads((extended / "extension.json").read_text(encoding="utf-8"))
    assert ours["pieces"] == packaged["pieces"]


def _random_llama(vocab_size: int) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(
        vocab_size=vocab_size, hidden_size=SHAPE.hidden_size,
        intermediate_size=SHAPE.intermediate_size, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, tie_word_embeddings=False))


def test_padded_vocabularies_and_mismatched_bases(world: tuple[Path, Path, Path]) -> None:
    import torch

    from workbench.core.errors import ConfigError
    from workbench.training.tokenizer_extend import resize_embeddings

    _, _, extended = world
    record = json.loads((extended / "extension.json").read_text(encoding="utf-8"))
    size = 32000 + record["added"]
    # Embeddings padded past the extended vocabulary: nothing to add, the new ids' rows still
    # start from the pieces they replace.
    padded = _random_llama(size + 64)
    before = padded.get_input_embeddings().weight.detach().clone()
    assert resize_embeddings(padded, size, extended) == record["added"]
    weight = padded.get_input_embeddings().weight
    assert weight.shape[0] == size + 64
    entry = record["pieces"][-1]
    torch.testing.assert_close(weight[entry["id"]], before[entry["replaces"]].mean(dim=0))
    # A tokenizer extended from Mistral on a model with a smaller vocabulary: one-line error.
    with pytest.raises(ConfigError, match="extends a base of 32,000 pieces but the model has 600"):
        resize_embeddings(_random_llama(600), size, extended)
