"""Recipe validation: the shipped recipes load, bad ones fail with one clear line."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
import yaml

from workbench.core.errors import ConfigError
from workbench.core.resources import available_names
from workbench.training import loss_mask, recipe, run, sft_data
from workbench.training.recipe import (
    RECIPES_FOLDER,
    Recipe,
    load_recipe,
    sft_config_kwargs,
)

SHIPPED = ("tiny-cpu", "tiny-cpu-cpt", "mistral-7b-qlora", "mistral-7b-instruct-qlora",
           "mistral-7b-cpt", "llama2-7b-chat-qlora", "llama2-amharic-qlora", "llama-3.2-1b-qlora",
           "llama-3.2-3b-qlora", "llama-3.1-8b-qlora", "stablelm2-1.6b-qlora", "falcon-7b-lora")

GOOD = {
    "name": "ok",
    "method": "qlora",
    "model": {"base": "mistralai/Mistral-7B-v0.1"},
    "quantization": {"load_in_4bit": True},
    "lora": {"r": 8},
}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def merged(**changes: object) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_recipes_validate(name: str) -> None:
    r = load_recipe(name)
    assert r.name == name
    assert Path(r.data.chat_template).is_file()
    assert Path(r.data.prompt_template).is_file()
    assert "{% generation %}" in Path(r.data.chat_template).read_text(encoding="utf-8")
    # Every passthrough key is a real trl.SFTConfig field (values are trl's to validate).
    kwargs = sft_config_kwargs(r, Path("/tmp/out"))
    # SFT trains the ad only; continued pretraining every token.
    assert kwargs["assistant_only_loss"] is (r.data.objective == "sft")
    assert r.data.objective == ("cpt" if name.endswith("-cpt") else "sft")
    assert kwargs["output_dir"] == "/tmp/out"


def test_gpu_recipes_are_real_qlora() -> None:
    for name in ("mistral-7b-qlora", "llama2-amharic-qlora"):
        r = load_recipe(name)
        assert r.method == "qlora"
        assert r.quantization.load_in_4bit
        assert r.quantization.bnb_4bit_quant_type == "nf4"
        assert r.quantization.bnb_4bit_use_double_quant
        assert r.lora is not None
        assert not r.lora.modules_to_save
        assert r.training["bf16"] is True
        assert "learning_rate" in r.training
        assert "warmup_steps" in r.training
    assert load_recipe("llama2-amharic-qlora").lora.use_rslora  # type: ignore[union-attr]
    assert load_recipe("llama2-amharic-qlora").training["packing"] is True


def test_tiny_recipe_builds_an_sft_config_on_cpu() -> None:
    from trl import SFTConfig

    r = load_recipe("tiny-cpu")
    args = SFTConfig(**sft_config_kwargs(r, Path("/tmp/out")))
    assert args.use_cpu
    assert args.eval_steps == 10
    assert args.save_steps == 10
    assert r.model.is_tiny
    assert r.lora is not None
    assert r.lora.modules_to_save == ["lm_head"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"lora__alfa": 8}, "unknown key 'lora.alfa' (did you mean 'alpha'?)"),
        ({"quantisation": {}}, "unknown key 'quantisation' (did you mean 'quantization'?)"),
        ({"quantization__load_in_4bit": False}, "method 'qlora' needs quantization.load_in_4bit"),
        ({"method": "full"}, "method 'full' cannot train quantized weights"),
        ({"method": "full", "quantization": {}}, "method 'full' trains every weight"),
        ({"lora": None}, "method 'qlora' needs a lora section"),
        ({"quantization__load_in_8bit": True}, "choose one of"),
        ({"lora__modules_to_save": ["lm_head"]}, "only for the random tiny base"),
        ({"model__base": "tiny", "lora__modules_to_save": []}, "add lora.modules_to_save: [lm_head]"),
        ({"model__tiny": {"hidden_size": 64}}, "model.tiny only applies to base 'tiny'"),
        ({"model__base": "tiny", "model__tiny": {"hidden_size": 130}, "lora__modules_to_save": ["lm_head"]}, "multiple of"),
        ({"training": {"output_dir": "x"}}, "training.output_dir is set by the workbench"),
        ({"training": {"assistant_only_loss": False}}, "set by data.objective"),
        ({"lora__target_modules": []}, "target_modules is empty"),
        ({"lora__dropout": 1.5}, "lora.dropout"),
        ({"name": "bad name"}, "name"),
        ({"method": "dpo"}, "method"),
    ],
)
def test_bad_recipes_fail_with_one_line(tmp_path: Path, changes: dict, expected: str) -> None:
    path = write(tmp_path, merged(**changes))
    with pytest.raises(ConfigError) as info:
        load_recipe(path)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert str(path) in message


def test_modules_to_save_allowed_with_a_resized_vocabulary(tmp_path: Path) -> None:
    data = merged(lora__modules_to_save=["embed_tokens", "lm_head"],
                  model__tokenizer="tokenizers/extended")
    assert load_recipe(write(tmp_path, data)).lora.modules_to_save == ["embed_tokens", "lm_head"]  # type: ignore[union-attr]


def test_unknown_trainer_field_fails_with_did_you_mean(tmp_path: Path) -> None:
    r = load_recipe(write(tmp_path, merged(training={"learning_rat": 0.1})))
    with pytest.raises(ConfigError, match="did you mean 'learning_rate'"):
        sft_config_kwargs(r, tmp_path)


def test_overrides_and_recipe_names() -> None:
    r = load_recipe("tiny-cpu", ["training.max_steps=5", "lora.r=4", "data.context_ads=0"])
    assert r.training["max_steps"] == 5
    assert r.lora is not None
    assert r.lora.r == 4
    assert r.data.context_ads == 0
    with pytest.raises(ConfigError, match=r"expected dotted\.key=value"):
        load_recipe("tiny-cpu", ["training.max_steps"])
    with pytest.raises(ConfigError, match=r"with --set overrides.*unknown key 'lora\.rank'"):
        load_recipe("tiny-cpu", ["lora.rank=4"])
    # The installed package's folder is no path a user knows: the file is named by its role.
    from workbench.core.resources import defaults_root, packaged

    with pytest.raises(ConfigError) as exc:
        load_recipe(packaged("training/recipes/tiny-cpu.yaml"), ["lora.rank=4"])
    assert str(exc.value).startswith("the packaged default training/recipes/tiny-cpu.yaml (with "
                                     "--set overrides): unknown key 'lora.rank'")
    assert str(defaults_root()) not in str(exc.value)
    with pytest.raises(ConfigError, match="did you mean 'tiny-cpu'"):
        load_recipe("tiny-cpo")
    with pytest.raises(ConfigError, match="file not found"):
        load_recipe("nowhere/recipe.yaml")


def test_template_paths_are_relative_to_the_recipe(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    data = merged(data={"chat_template": "t/chat.jinja"})
    r = load_recipe(write(tmp_path, data))
    assert r.data.chat_template == str((tmp_path / "t" / "chat.jinja").resolve())
    assert Path(load_recipe("tiny-cpu").data.chat_template).parent.name == "templates"


def test_fingerprint_follows_data_fields_and_prompt_template(tmp_path: Path) -> None:
    base = load_recipe("tiny-cpu")
    assert base.fingerprint() == load_recipe("tiny-cpu", ["training.max_steps=3"]).fingerprint()
    assert base.fingerprint() != load_recipe("tiny-cpu", ["data.context_ads=1"]).fingerprint()
    template = tmp_path / "brief.jinja"
    template.write_text("{{ channel }}", encoding="utf-8")
    other = load_recipe("tiny-cpu", [f"data.prompt_template={template}"])
    assert other.fingerprint() != base.fingerprint()


def test_recipe_files_are_listed() -> None:
    assert available_names(RECIPES_FOLDER) == sorted(SHIPPED)
    assert Recipe.model_fields["training"].description


def test_doctests() -> None:
    for module in (recipe, sft_data, loss_mask, run):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
