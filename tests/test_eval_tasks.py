"""Evaluation items (brief -> ad, half-continuation cut) and the cheap baselines."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.core.config import CleaningConfig
from workbench.core.prompts import PromptSpec, messages_sha256
from workbench.core.sampling import item_seed
from workbench.evaluation.suite import ItemsConfig, TaskConfig
from workbench.evaluation.systems import (
    RetrievalSystem,
    System,
    TemplateSystem,
    swap_contacts,
)
from workbench.evaluation.tasks import build_items, cut_half


def test_cut_half_at_half_the_token_length() -> None:
    # 7 tokens: the first 7 // 2 = 3 stay in the prompt, the other 4 are the reference.
    text = "ጫማ በቅናሽ ዋጋ ለበለጠ መረጃ ይደውሉ 0911223344"
    prefix, rest = cut_half(text)
    assert (prefix, rest) == ("ጫማ በቅናሽ ዋጋ", "ለበለጠ መረጃ ይደውሉ 0911223344")
    assert len(prefix.split()) == len(text.split()) // 2
    # Line breaks inside each half are kept; the cut itself never splits a word.
    assert cut_half("ሀ ለ\nሐ መ\nሠ ረ") == ("ሀ ለ\nሐ", "መ\nሠ ረ")
    assert cut_half("ብቻ") == ("ብቻ", "")
    # An odd count keeps the shorter half in the prompt; spaces around the cut are trimmed.
    assert cut_half("ሀ  ለ  ሐ") == ("ሀ", "ለ  ሐ")


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    from tests.eval_data import make_splits

    folder = make_splits(tmp_path_factory.mktemp("splits"), n_ads=80)
    return {s: pl.read_parquet(folder / f"{s}.parquet") for s in ("train", "val", "test")}


@pytest.fixture(scope="module")
def spec() -> PromptSpec:
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import prompt_spec_of

    return prompt_spec_of(load_recipe("tiny-cpu", ["data.context_ads=2"]))


def test_brief_to_ad_items_use_train_context_only(splits: dict[str, pl.DataFrame],
                                                  spec: PromptSpec) -> None:
    task = TaskConfig(name="brief_to_ad", metrics=["chrf"])
    items = build_items(splits, task, ItemsConfig(), seed=7, spec=spec)
    test_ads = splits["test"].filter(pl.col("is_ad") == "Ad")
    assert len(items) == test_ads.height
    train_uids = set(splits["train"]["uid"].to_list())
    for it in items:
        assert it.item_id == f"brief_to_ad:{it.uid}"
        assert set(it.context_uids) <= train_uids
        assert it.reference == test_ads.filter(pl.col("uid") == it.uid)["text"][0].strip()
        assert it.prompt.startswith("Write an Amharic Telegram ad")
        assert it.reference not in it.prompt  # the answer is never in the prompt
        assert len(it.context_uids) <= spec.context_ads
        system = [{"role": "system", "content": spec.system_prompt}]
        assert it.prompt_sha256 == messages_sha256([*system, {"role": "user",
                                                              "content": it.prompt}])
        for contact in it.brief["contacts"]:
            assert contact in it.reference
    assert any(it.context_uids for it in items)


def test_item_sampling_is_fixed_by_the_seed(splits: dict[str, pl.DataFrame],
                                            spec: PromptSpec) -> None:
    task = TaskConfig(name="half_continuation", metrics=["chrf"])
    cfg = ItemsConfig(n=5)
    first = [it.item_id for it in build_items(splits, task, cfg, seed=1, spec=spec)]
    again = [it.item_id for it in build_items(splits, task, cfg, seed=1, spec=spec)]
    other = [it.item_id for it in build_items(splits, task, cfg, seed=2, spec=spec)]
    assert first == again
    assert len(first) == 5
    assert first != other


def test_half_continuation_brief_comes_from_the_first_half(
        splits: dict[str, pl.DataFrame], spec: PromptSpec) -> None:
    task = TaskConfig(name="half_continuation", metrics=["chrf"], min_tokens=6)
    items = build_items(splits, task, ItemsConfig(), seed=0, spec=spec)
    assert items
    for it in items:
        full = splits["test"].filter(pl.col("uid") == it.uid)["text"][0]
        assert " ".join(full.split()) == " ".join(f"{it.prompt} {it.reference}".split())
        for contact in it.brief["contacts"]:
            assert contact in it.prompt  # never read from the reference half


def test_no_ads_skips_brief_to_ad_only(splits: dict[str, pl.DataFrame], spec: PromptSpec) -> None:
    no_ads = {**splits, "test": splits["test"].with_columns(is_ad=pl.lit("Non-Ad"))}
    brief = TaskConfig(name="brief_to_ad", metrics=["chrf"])
    cont = TaskConfig(name="half_continuation", metrics=["chrf"])
    assert build_items(no_ads, brief, ItemsConfig(ads_only=False), seed=0,
                       spec=spec) == []
    assert build_items(no_ads, cont, ItemsConfig(), seed=0, spec=spec) == []
    assert build_items(no_ads, cont, ItemsConfig(ads_only=False), seed=0, spec=spec)


def test_swap_contacts_removes_other_advertisers() -> None:
    ad = "ጫማ በቅናሽ ይደውሉ 0922 33 44 55 @oldshop https://t.me/oldshop"
    out = swap_contacts(ad, ["0911223344", "@newshop"])
    for wanted in ("0911223344", "@newshop"):
        assert wanted in out
    for gone in ("0922", "@oldshop", "t.me/oldshop"):
        assert gone not in out
    kept = swap_contacts(ad, [], keep_unmatched=True)
    assert "0922 33 44 55" in kept


def test_baselines(splits: dict[str, pl.DataFrame], spec: PromptSpec) -> None:
    task = TaskConfig(name="brief_to_ad", metrics=["chrf"])
    items = build_items(splits, task, ItemsConfig(n=4), seed=3, spec=spec)
    retrieval = RetrievalSystem("retrieval", splits["train"], cleaning=CleaningConfig())
    template = TemplateSystem("template")
    assert isinstance(retrieval, System)
    assert isinstance(template, System)
    prompts = [it.prompt for it in items]
    briefs = [it.brief for it in items]
    got = retrieval.generate(prompts, seed=0, max_new_tokens=10, briefs=briefs)
    assert set(retrieval.last_sources) <= set(splits["train"]["uid"].to_list())
    filled = template.generate(prompts, seed=0, max_new_tokens=10, briefs=briefs)
    for text, t_text, brief in zip(got, filled, briefs, strict=True):
        for contact in brief["contacts"]:
            assert contact in text
            assert contact in t_text
    # Deterministic; the template choice follows the item seed.
    assert filled == template.generate(prompts, seed=0, max_new_tokens=10, briefs=briefs)
    assert item_seed(0, "x") == item_seed(0, "x") != item_seed(1, "x")
    cont = build_items(splits, TaskConfig(name="half_continuation", metrics=["chrf"]),
                       ItemsConfig(n=3), seed=3, spec=spec)
    out = retrieval.generate([c.prompt for c in cont], seed=0, max_new_tokens=10,
                             task="half_continuation", briefs=[c.brief for c in cont])
    assert all(out)
