"""The one model loader and sampling loop: resolution of run / adapter / model folders, seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.rag_data import ADS, build_run, build_tiny_llama, write_splits
from workbench.core.errors import ConfigError, InputFileError
from workbench.core.models import (
    default_base,
    load_causal_lm,
    local_model_at,
    resolve_local_model,
    run_model,
)
from workbench.core.sampling import candidate_seed, item_seed, sample_text
from workbench.core.settings.generation import DecodingConfig

RUN_ID = "tiny-cpu-20240301-080000-abcd"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("models")
    tiny = build_tiny_llama(data / "tiny-base", [t for _, _, t in ADS] * 3)
    write_splits(data)  # the run's manifest names the splits it trained on
    run_dir = build_run(data, RUN_ID, tiny)
    model, tokenizer, facts = load_causal_lm(run_model(data, RUN_ID), dtype="float32",
                                             device="cpu")
    return {"data": data, "tiny": tiny, "run_dir": run_dir, "model": model,
            "tokenizer": tokenizer, "facts": facts}


def test_a_run_resolves_to_its_adapter_on_its_base(world: dict[str, Any]) -> None:
    local = run_model(world["data"], RUN_ID)
    assert local.adapter_dir == (world["run_dir"] / "adapter").resolve()
    assert local.model_dir == world["tiny"].resolve()
    assert local.tokenizer_dir == local.adapter_dir  # the run saved its tokenizer
    assert local.run_id == RUN_ID
    assert run_model(world["data"], "latest") == local
    assert resolve_local_model(f"run:{RUN_ID}", world["data"]) == local
    assert resolve_local_model(str(world["tiny"]), world["data"]).adapter_dir is None
    assert world["facts"]["adapter_merged"] is True
    # No configured base: the newest run's local base.
    assert default_base(world["data"], None) == world["tiny"].resolve()


def test_resolution_errors_say_what_exists(world: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"did you mean 'run:{RUN_ID}'"):
        run_model(world["data"], RUN_ID[:-1])
    with pytest.raises(InputFileError, match="not a valid run id"):
        run_model(world["data"], "..")
    with pytest.raises(ConfigError, match="neither a model folder"):
        local_model_at(tmp_path)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "org/not-downloaded"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a local model folder"):
        local_model_at(adapter)
    with pytest.raises(ConfigError, match="no training run with a local base"):
        default_base(tmp_path, None)


def test_item_seed_depends_on_the_prompt_and_seed_only() -> None:
    seeds = {item_seed(s, p) for s in (0, 1) for p in ("a", "b")}
    assert len(seeds) == 4
    assert candidate_seed(5, "a", 2) == item_seed(7, "a")
    assert all(0 <= s < 2**31 - 1 for s in seeds)


def test_sampling_is_reproducible_and_returns_new_tokens_only(world: dict[str, Any]) -> None:
    model, tok = world["model"], world["tokenizer"]
    prompt = "<|user|>\nቤት ለኪራይ በቦሌ\n<|assistant|>"
    settings = DecodingConfig(temperature=1.0, top_p=1.0, repetition_penalty=1.0)
    draws = [sample_text(model, tok, prompt, seed=seed, max_new_tokens=6, settings=settings,
                         add_special_tokens=False) for seed in (3, 3, 4)]
    assert draws[0].token_ids == draws[1].token_ids
    assert draws[0].seed == 3
    assert all(d.generated_tokens > 0 for d in draws)
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    assert draws[0].prompt_tokens == len(prompt_ids)


def test_a_long_prompt_is_cut_from_the_left(world: dict[str, Any]) -> None:
    model, tok = world["model"], world["tokenizer"]
    limit = model.config.max_position_embeddings
    prompt = " ".join(t for _, _, t in ADS) * 40
    assert len(tok(prompt, add_special_tokens=True)["input_ids"]) > limit
    sample = sample_text(model, tok, prompt, seed=0, max_new_tokens=4,
                         settings=DecodingConfig(temperature=0.0), add_special_tokens=True)
    assert sample.prompt_tokens == limit - 4


def test_a_copied_data_dir_uses_its_own_base(world: dict[str, Any], tmp_path: Path) -> None:
    """The run's base was built inside the data dir: a copy of the data dir must load the
    copy's base (for `base` and under the run's adapter), not the original's, which may be
    gone or changed."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(world["data"], copy)
    own_base = (copy / world["tiny"].relative_to(world["data"])).resolve()
    assert default_base(copy, None) == own_base
    assert run_model(copy, RUN_ID).model_dir == own_base
    assert run_model(copy, RUN_ID).adapter_dir == (copy / "runs" / RUN_ID / "adapter").resolve()
    # The original keeps its own.
    assert default_base(world["data"], None) == world["tiny"].resolve()
    assert run_model(world["data"], RUN_ID).model_dir == world["tiny"].resolve()
