"""The four prompt paths agree: build-data, ``workbench generate``, evaluation and the web app
give the same ``prompt_sha256`` for the same brief, run and past ads.

The data dir is made by the stages' own code: curated splits from the cleaning code, the SFT data
by build-data, the run's prompt spec installed by the code ``workbench train run`` uses, the RAG
index by ``rag index``. Retrieval is pinned to the ads build-data put in the example's prompt
(ranked retrieval is not what is under test; the prompt built from the same ads is).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.rag_data import ADS, build_run, build_tiny_llama, write_splits
from workbench.core.briefs import FROM_AD, Brief, BriefFile
from workbench.core.config import ProjectConfig
from workbench.core.io import sha256_file
from workbench.core.prompts import PROMPT_SPEC_FILE, load_prompt_spec, messages_sha256

RUN_ID = "tiny-cpu-20240302T080000Z-f00d"
#: A held-out ad whose derived brief has everything a brief file needs (brand, contact...).
HELD_OUT = ("Sheger Gebeya", "Retail",
            "🔥 Samsung ስልክ በቅናሽ ዋጋ 15,000 ብር ብቻ ለበለጠ መረጃ 0911 223344 ይደውሉ @addis_phones")
CONFIG = {"generation": {"decoding": {"max_new_tokens": 4}}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from workbench.rag.index import build_index
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import build_data, install_prompt_spec

    data = tmp_path_factory.mktemp("paths")
    write_splits(data, test=[HELD_OUT])
    recipe = load_recipe("tiny-cpu")
    summary = build_data(data, recipe, progress=False)
    cfg = ProjectConfig.model_validate(CONFIG)
    build_index(data, cfg)
    tiny = build_tiny_llama(data / "tiny-base", [t for _, _, t in ADS] * 3)
    run_dir = build_run(data, RUN_ID, tiny)
    install_prompt_spec(summary.out_dir, run_dir)
    [example] = pl.read_parquet(summary.out_dir / "sft" / "test.parquet").to_dicts()
    return {"data": data, "cfg": cfg, "example": example, "run_dir": run_dir,
            "data_out": summary.out_dir}


@pytest.fixture
def pinned_retrieval(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Retrieval returns the example's past ads, in its order; their uids."""
    from workbench.generation import generate as generate_module
    from workbench.rag.hits import Hit

    uids = list(world["example"]["context_uids"])
    train = pl.read_parquet(world["data"] / "curated" / "splits" / "train.parquet")
    by_uid = {r["uid"]: r for r in train.iter_rows(named=True)}

    def retrieve(index: Any, brief_file: BriefFile, k: int) -> Any:
        del index, k
        hits = [Hit(rank=i + 1, key=uid, score=1.0 - i / 10, bm25=None, cosine=None, rrf=None,
                    channel=by_uid[uid]["channel_name"], vertical=by_uid[uid]["vertical"],
                    date=by_uid[uid]["date"], text=by_uid[uid]["text"])
                for i, uid in enumerate(uids)]
        return generate_module.Retrieval(query=brief_file.brief.query_text(), scope="pinned",
                                         hits=hits, seconds=0.0)

    monkeypatch.setattr(generate_module, "retrieve_for_brief", retrieve)
    return uids


def example_brief(world: dict[str, Any]) -> Brief:
    """The example's brief, as build-data derived it, valid as a campaign team's brief too."""
    derived = Brief.model_validate_json(world["example"]["brief"], context=FROM_AD)
    return Brief.model_validate(derived.model_dump())


def test_the_example_is_worth_comparing(world: dict[str, Any]) -> None:
    example = world["example"]
    brief = example_brief(world)
    assert brief.brand == "Samsung"
    assert brief.contact.items() == ["0911 223344", "@addis_phones"]
    assert brief.prices() == ["15,000 ብር"]
    spec = load_prompt_spec(world["run_dir"])
    assert spec == load_prompt_spec(world["data_out"])
    assert len(example["context_uids"]) == spec.context_ads == 2
    system, user = example["messages"][:2]
    assert system == {"role": "system", "content": spec.system_prompt}
    assert example["prompt_sha256"] == messages_sha256([system, user])
    manifest = json.loads((world["data_out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["prompt_spec_sha256"] == spec.sha256()
    assert manifest["outputs"][PROMPT_SPEC_FILE]["sha256"] == sha256_file(
        world["data_out"] / PROMPT_SPEC_FILE)


def test_build_data_generate_eval_and_web_app_agree(world: dict[str, Any],
                                                    pinned_retrieval: list[str],
                                                    tmp_path: Path) -> None:
    import yaml

    from workbench.core.briefs import load_brief
    from workbench.core.settings.generation import DecodingConfig
    from workbench.evaluation.suite import ItemsConfig, SystemEntry, TaskConfig
    from workbench.evaluation.systems import eval_prompt_spec, resolve_system
    from workbench.evaluation.tasks import build_items
    from workbench.generation.generate import generate
    from workbench.rag.search import RagIndex
    from workbench.webapp.accounts import add_user
    from workbench.webapp.security import User
    from workbench.webapp.store import Store, db_path
    from workbench.webapp.studio import generate_for_brief, generation_row, save_brief

    data, cfg, example = world["data"], world["cfg"], world["example"]
    model = f"run:{RUN_ID}"
    brief = example_brief(world)

    # 1. build-data's example.
    from_build_data = example["prompt_sha256"]

    # 2. `workbench generate` with the run, on the brief written as a brief file.
    brief_path = tmp_path / "samsung.yaml"
    brief_path.write_text(yaml.safe_dump(brief.model_dump(mode="json", exclude_none=True),
                                         allow_unicode=True), encoding="utf-8")
    [out] = generate([load_brief(brief_path)], [model], data, cfg, n=1,
                     decoding=DecodingConfig(max_new_tokens=4), index=RagIndex(data, cfg))
    [row] = out.frame.to_dicts()
    assert row["context_uids"] == pinned_retrieval
    from_generate = row["prompt_sha256"]

    # 3. The evaluation's brief -> ad item, with the run as the suite's system.
    splits = {s: pl.read_parquet(data / "curated" / "splits" / f"{s}.parquet")
              for s in ("train", "val", "test")}
    system = resolve_system(SystemEntry(name="run", ref=model), data, cfg,
                            train=splits["train"], decoding=DecodingConfig())
    spec = eval_prompt_spec([system], cfg)
    [item] = build_items(splits, TaskConfig(name="brief_to_ad", metrics=["chrf"]),
                         ItemsConfig(), seed=0, spec=spec)
    assert item.uid == example["uid"]
    assert item.context_uids == pinned_retrieval
    from_eval = item.prompt_sha256

    # 4. The web app's studio: a marketer's brief, generated with the run.
    store = Store(db_path(data))
    user_id = add_user(store, "hanna@abebe.et", company="Abebe", role="marketer",
                       password="correct horse battery staple")
    user = User(id=user_id, email="hanna@abebe.et", company="Abebe", role="marketer",
                csrf_token="")
    brief_row = save_brief(store, data, user, brief)
    gen_id = generate_for_brief(store, data, cfg, user, brief_row, model, 1)
    studio_file = generation_row(store, user, gen_id)["parquet_path"]
    from_web_app = pl.read_parquet(studio_file)["prompt_sha256"].to_list()

    assert from_build_data == from_generate == from_eval
    assert from_web_app == [from_build_data]
    # Not equal by accident: another spec gives another hash.
    other = spec.model_copy(update={"system_prompt": "Another system prompt."})
    [changed] = build_items(splits, TaskConfig(name="brief_to_ad", metrics=["chrf"]),
                            ItemsConfig(), seed=0, spec=other)
    assert changed.prompt_sha256 != from_eval
