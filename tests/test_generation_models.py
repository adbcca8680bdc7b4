"""Generation end to end: baselines, a tiny local model, a run's adapter, an OpenAI-compatible
endpoint on a local server, provenance, the CLI and the demo step.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.chat_endpoint import ChatEndpoint
from tests.rag_data import (
    ADS,
    build_run,
    build_tiny_llama,
    save_run_prompt_spec,
    write_brief,
    write_splits,
)
from workbench.core.briefs import BriefFile, load_brief
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, ServiceError
from workbench.core.layout import Layout
from workbench.core.prompts import PROMPT_SPEC_FILE, build_prompt, cut, messages_sha256
from workbench.core.sampling import candidate_seed
from workbench.core.settings.generation import DecodingConfig, GenerationConfig
from workbench.generation.demo import run_demo_step
from workbench.generation.generate import (
    GENERATION_SCHEMA,
    _fit_prompt,
    generate,
    load_generator,
    retrieve_for_brief,
)
from workbench.generation.registry import available_models, resolve_model
from workbench.rag.index import build_index
from workbench.rag.search import RagIndex

RUN_ID = "tiny-cpu-20240301T080000Z-abcd"
SHORT = DecodingConfig(max_new_tokens=8, seed=7)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("gen")
    write_splits(data)
    cfg = ProjectConfig()
    build_index(data, cfg)
    tiny = build_tiny_llama(data / "tiny-base", [t for _, _, t in ADS] * 3)
    build_run(data, RUN_ID, tiny)
    brief = load_brief(write_brief(data / "briefs", "shoes"))
    return {"data": data, "cfg": cfg, "tiny": tiny, "brief": brief,
            "index": RagIndex(data, cfg)}


def gen(world: dict[str, Any], models: list[str], *, cfg: ProjectConfig | None = None,
        brief: BriefFile | None = None, **kw: Any) -> list[pl.DataFrame]:
    outs = generate([brief or world["brief"]], models, world["data"], cfg or world["cfg"],
                    index=world["index"], **kw)
    return [o.frame for o in outs]


def test_retrieval_baseline_adapts_the_nearest_ads(world: dict[str, Any]) -> None:
    (frame,) = gen(world, ["retrieval"], n=2)
    rows = frame.to_dicts()
    assert [r["source_uid"] for r in rows] == rows[0]["retrieved_uids"][:2]
    assert all(r["retrieval_scope"].startswith("channel+vertical") for r in rows)
    for r in rows:
        assert r["has_brand"]
        assert r["has_contact"]
        assert r["is_copy"]  # it is a copy: reported, not hidden
        assert "not_copy" in r["check_failures"]
        assert "0922334455" not in r["text"]  # another advertiser's number is gone


def test_template_baseline_is_deterministic_and_clean(world: dict[str, Any]) -> None:
    (a,) = gen(world, ["template"], n=4)
    (b,) = gen(world, ["template"], n=4)
    assert a["text"].to_list() == b["text"].to_list()
    assert a["text"].n_unique() == 4
    assert a["checks_passed"].all(), a.select("check_failures").to_series().to_list()
    # Candidate i: item_seed(seed + i, user prompt); a baseline's prompt is the user prompt.
    assert a["seed"].to_list() == [candidate_seed(42, a["prompt"][0], i) for i in range(4)]


def test_tiny_model_generation_is_seeded(world: dict[str, Any]) -> None:
    model = str(world["tiny"])
    (a,) = gen(world, [model], n=2, decoding=SHORT)
    (b,) = gen(world, [model], n=2, decoding=SHORT)
    assert a["text"].to_list() == b["text"].to_list()
    assert a["seed"].n_unique() == 2
    row = a.row(0, named=True)
    assert row["model_kind"] == "hf"
    # The tiny tokenizer's chat template: BOS, the system and user turns, the generation prompt.
    from transformers import AutoTokenizer

    bos = AutoTokenizer.from_pretrained(world["tiny"]).bos_token
    assert row["prompt"].startswith(f"{bos}<|system|>\n")
    assert "\n<|user|>\n" in row["prompt"]
    assert row["prompt"].endswith("<|assistant|>")
    assert 0 < row["completion_tokens"] <= 8
    assert row["finish_reason"] in ("stop", "length")
    assert row["prompt_tokens"] > 10
    assert json.loads(row["model_facts"])["device"] == "cpu"


def test_tiny_model_candidates_do_not_depend_on_the_other_briefs(world: dict[str, Any],
                                                                tmp_path: Path) -> None:
    model = str(world["tiny"])
    other = load_brief(write_brief(tmp_path, "other", brand="Sheger Bags"))
    (alone,) = gen(world, [model], n=2, decoding=SHORT)
    both = {o.brief_id: o.frame for o in generate([other, world["brief"]], [model], world["data"],
                                                  world["cfg"], n=2, decoding=SHORT,
                                                  index=world["index"])}
    shoes = both[world["brief"].id]
    assert shoes["seed"].to_list() == alone["seed"].to_list()
    assert shoes["text"].to_list() == alone["text"].to_list()
    # Another brief, another prompt: other seeds, though the decoding seed is the same.
    assert set(both["other"]["seed"].to_list()).isdisjoint(alone["seed"].to_list())


def test_run_adapter_by_run_id(world: dict[str, Any]) -> None:
    assert f"run:{RUN_ID}" in available_models(world["data"], world["cfg"].generation)
    (frame,) = gen(world, [f"run:{RUN_ID}"], n=1, decoding=SHORT)
    row = frame.row(0, named=True)
    assert row["run_id"] == RUN_ID
    assert row["adapter_dir"].endswith(f"{RUN_ID}/adapter")
    assert row["model_dir"] == str(world["tiny"].resolve())
    assert json.loads(row["model_facts"])["adapter_merged"] is True
    # `base` resolves to the run's base when no base_model is configured.
    assert resolve_model("base", world["data"], GenerationConfig()).local.model_dir == \
        world["tiny"].resolve()


def test_run_uses_its_saved_prompt_spec(world: dict[str, Any], tmp_path: Path) -> None:
    template = tmp_path / "train_prompt.jinja"
    template.write_text("CUSTOM {{ channel }} | {{ brand }}, {{ product }} | "
                        "{{ contacts | join(', ') }}\n{% for ad in context_ads %}{{ ad }}\n"
                        "{% endfor %}", encoding="utf-8")
    run_dir = world["data"] / "runs" / RUN_ID
    saved = (run_dir / PROMPT_SPEC_FILE).read_text(encoding="utf-8")
    save_run_prompt_spec(run_dir, f"data.prompt_template={template}", "data.system_prompt=''",
                         "data.context_ads=1", "data.context_chars=50")
    # The run keeps the template it was trained with, even once the file changes.
    template.write_text("EDITED AFTER TRAINING", encoding="utf-8")
    try:
        (frame,) = gen(world, [f"run:{RUN_ID}"], n=1, decoding=SHORT)
    finally:
        (run_dir / PROMPT_SPEC_FILE).write_text(saved, encoding="utf-8")
    row = frame.row(0, named=True)
    # Said in words: the model as people read it, not its run folder's id.
    spec = resolve_model(f"run:{RUN_ID}", world["data"], GenerationConfig())
    assert spec.notes[-1] == ("prompt: the one tiny-cpu (trained 2024-03-01 08:00 UTC) was "
                              "trained with (generation.use_run_prompt)")
    assert "CUSTOM Sheger Gebeya | Abebe Shoes, የቆዳ ጫማ | 0911 22 33 44, @abebeshoes" in row["prompt"]
    assert len(row["context_uids"]) == 1
    assert row["prompt_template"] == str(template)
    assert "<|system|>" not in row["prompt"]


def test_run_without_prompt_spec_is_a_one_line_error(world: dict[str, Any]) -> None:
    spec_file = world["data"] / "runs" / RUN_ID / PROMPT_SPEC_FILE
    saved = spec_file.read_text(encoding="utf-8")
    spec_file.unlink()
    try:
        with pytest.raises(ConfigError, match=r"prompt_spec\.json: not found") as err:
            resolve_model(f"run:{RUN_ID}", world["data"], GenerationConfig())
        assert "\n" not in str(err.value)
        spec_file.write_text(saved.replace('"context_ads": 2', '"context_ads": 99'),
                             encoding="utf-8")
        with pytest.raises(ConfigError, match=r"prompt_spec\.json: context_ads: Input should be"):
            resolve_model(f"run:{RUN_ID}", world["data"], GenerationConfig())
    finally:
        spec_file.write_text(saved, encoding="utf-8")


def test_prompt_shrinks_to_fit_the_context(world: dict[str, Any]) -> None:
    spec = resolve_model(str(world["tiny"]), world["data"], GenerationConfig())
    model = load_generator(spec, world["cfg"])
    hits = retrieve_for_brief(world["index"], world["brief"], 3).hits
    assert len(hits) == 3
    full = _fit_prompt(model, spec, world["brief"], hits, DecodingConfig(max_new_tokens=8))
    assert len(full[2]) == 3
    sizes = [model.count_tokens(model.render(
        build_prompt(spec.prompt, world["brief"].brief, [h.text for h in hits[:i]]).messages))
        for i in range(4)]
    assert sizes == sorted(sizes)
    assert sizes[1] < sizes[2]
    # 512 positions less the new tokens leave room for the brief and exactly one past ad.
    built, prompt, shown = _fit_prompt(model, spec, world["brief"], hits,
                                       DecodingConfig(max_new_tokens=512 - sizes[1]))
    assert [h.key for h in shown] == [hits[0].key]
    assert model.count_tokens(prompt) == sizes[1]
    assert built.context_ads == [cut(hits[0].text, spec.prompt.context_chars)]


def test_provenance_is_complete(world: dict[str, Any]) -> None:
    outs = generate([world["brief"]], ["template", f"run:{RUN_ID}"], world["data"],
                    world["cfg"], n=2, decoding=SHORT, index=world["index"])
    index_ads = set(world["index"].table("ads").search().select(["uid"]).limit(100)
                    .to_arrow()["uid"].to_pylist())
    for out in outs:
        frame = pl.read_parquet(out.path)
        assert frame.schema == pl.Schema(GENERATION_SCHEMA)
        # <UTC time>-<brief>-<model>[-N when that second already has such a file].parquet
        assert re.fullmatch(r"\d{8}T\d{6}Z-shoes-" + re.escape(out.model.replace(":", "-"))
                            + r"(-\d+)?\.parquet", out.path.name), out.path.name
        always = ["candidate_id", "created_at", "brief_id", "brief_sha256", "model",
                  "model_kind", "prompt", "prompt_sha256", "prompt_template_sha256",
                  "retrieval_query", "retrieval_scope", "embedder", "index_manifest_sha256",
                  "label_snapshot_id", "label_snapshot_sha256", "temperature", "top_p", "max_new_tokens", "seed", "load_seconds",
                  "retrieval_seconds", "generate_seconds", "text", "checks_passed"]
        assert frame.select(always).null_count().sum_horizontal().item() == 0
        for row in frame.iter_rows(named=True):
            assert row["brief_sha256"] == hashlib.sha256(world["brief"].path.read_bytes()
                                                         ).hexdigest()
            assert row["prompt_sha256"] == messages_sha256(json.loads(row["prompt_messages"]))
            assert json.loads(row["prompt_messages"])[-1]["content"] in row["prompt"]
            assert set(row["context_uids"]) <= set(row["retrieved_uids"]) <= index_ads
            assert len(row["retrieved_scores"]) == len(row["retrieved_uids"])
        manifest = json.loads(out.path.with_suffix(".manifest.json").read_text())
        roles = {i["role"] for i in manifest["inputs"]}
        assert {"brief", "rag-index", "prompt-template"} <= roles
        if out.model.startswith("run:"):
            assert {"training-run", "adapter-weights"} <= roles
            assert manifest["model"]["run_id"] == RUN_ID
        assert manifest["outputs"][out.path.name]["rows"] == 2
        snapshot = json.loads(Layout(world["data"]).splits_manifest.read_text())["label_snapshot"]
        assert manifest["label_snapshot"] == snapshot
        assert set(frame["label_snapshot_id"]) == {snapshot["id"]}


def test_retrieval_scope_widens(world: dict[str, Any], tmp_path: Path) -> None:
    elsewhere = load_brief(write_brief(tmp_path, "b1", target_channel="No Such Channel"))
    (frame,) = gen(world, ["template"], brief=elsewhere, n=1)
    assert frame["retrieval_scope"][0] == "vertical"
    # Said where `generate` prints its notes, not only recorded in the file.
    (out,) = generate([elsewhere], ["template"], world["data"], world["cfg"], n=1)
    assert any(note.startswith("target channel: no indexed ad has channel 'No Such Channel'")
               and note.endswith("the past ads in the prompt come from: vertical")
               for note in out.notes), out.notes
    media = load_brief(write_brief(tmp_path, "b2", vertical="Media"))
    (frame,) = gen(world, ["template"], brief=media, n=1)
    assert frame["retrieval_scope"][0] == "channel"
    # Two Telecom ads in the channel: the third comes from the channel's other ads.
    telecom = load_brief(write_brief(tmp_path, "b3", vertical="Telecom"))
    (frame,) = gen(world, ["template"], brief=telecom, n=1, k=3)
    assert frame["retrieval_scope"][0] == "channel+vertical,channel"
    assert len(frame["retrieved_uids"][0]) == 3


def test_unknown_model_says_what_exists(world: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"unknown model 'templat' \(did you mean 'template'"):
        resolve_model("templat", world["data"], GenerationConfig())
    with pytest.raises(ConfigError, match=f"finished runs: {RUN_ID}"):
        resolve_model("run:nope", world["data"], GenerationConfig())


# --- OpenAI-compatible endpoint --------------------------------------------------------------


def _shoe_endpoint(status: int = 200) -> ChatEndpoint:
    return ChatEndpoint(lambda body: f"Abebe Shoes የቆዳ ጫማ! 0911223344 @abebeshoes #{body['seed']}",
                        status=status)


@pytest.fixture
def server() -> Iterator[ChatEndpoint]:
    srv = _shoe_endpoint()
    yield srv
    srv.close()


def endpoint_cfg(url: str, **extra: Any) -> ProjectConfig:
    return ProjectConfig(generation={"endpoints": {"hosted": {"base_url": url,
                                                              "model": "amharic-7b", **extra}}})


def test_openai_compatible_endpoint(world: dict[str, Any], server: ChatEndpoint,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTED_KEY", "sk-test")
    cfg = endpoint_cfg(server.url, api_key_env="HOSTED_KEY")
    (frame,) = gen(world, ["hosted"], cfg=cfg, n=2, decoding=SHORT)
    assert [r["path"] for r in server.requests] == ["/v1/chat/completions"] * 2
    first = server.requests[0]
    assert first["auth"] == "Bearer sk-test"
    assert first["body"]["model"] == "amharic-7b"
    user = first["body"]["messages"][-1]["content"]
    assert [r["body"]["seed"] for r in server.requests] == [candidate_seed(7, user, i)
                                                            for i in range(2)]
    assert [m["role"] for m in first["body"]["messages"]] == ["system", "user"]
    assert first["body"]["max_tokens"] == 8
    row = frame.row(0, named=True)
    assert row["text"].endswith(f"#{candidate_seed(7, user, 0)}")
    assert row["model_kind"] == "openai"
    assert row["endpoint_url"] == server.url
    assert row["completion_tokens"] == 12
    assert row["has_contact"]
    assert json.loads(row["prompt"]) == first["body"]["messages"]
    assert "sk-test" not in str(frame.to_dicts())


def test_endpoint_failures_are_user_errors(world: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    failing = _shoe_endpoint(status=500)
    try:
        with pytest.raises(ServiceError, match=r"endpoint 'hosted' .*HTTP 500"):
            gen(world, ["hosted"], cfg=endpoint_cfg(failing.url), n=1)
    finally:
        failing.close()
    with pytest.raises(ServiceError, match="unreachable"):
        gen(world, ["hosted"], cfg=endpoint_cfg("http://127.0.0.1:9/v1", timeout_s=2), n=1)
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_KEY"):
        gen(world, ["hosted"], cfg=endpoint_cfg("http://127.0.0.1:9/v1",
                                                api_key_env="NO_SUCH_KEY"), n=1)


# --- CLI and demo ----------------------------------------------------------------------------


def test_cli_generate(world: dict[str, Any]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "workbench", "generate", "--brief", str(world["brief"].path),
         "--model", "template", "--model", "retrieval", "--n", "2",
         "--data-dir", str(world["data"])],
        capture_output=True, text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stderr
    assert "shoes x template: 2 candidates, 2 passed every check" in out.stdout
    assert "FAIL not_copy" in out.stdout  # the retrieval baseline's copies are shown as such
    written = out.stdout.split("-> ")[1].split()[0]
    assert Path(written).exists()
    # Every candidate whole, line by line, not cut to a preview.
    shown = out.stdout.splitlines()
    for path in (line.split("-> ")[1] for line in shown if "-> " in line):
        for text in pl.read_parquet(path)["text"]:
            for line in text.strip().splitlines():
                assert f"      {line}" in shown, line
    short = subprocess.run(
        [sys.executable, "-m", "workbench", "generate", "--brief", str(world["brief"].path),
         "--model", "template", "--n", "2", "--short", "--data-dir", str(world["data"])],
        capture_output=True, text=True, timeout=180, check=False)
    assert short.returncode == 0, short.stderr
    previews = [line for line in short.stdout.splitlines() if line.startswith("  [")]
    assert len(previews) == 2
    assert all(len(line.split("ok", 1)[1].strip()) <= 70 for line in previews)


def test_demo_step(world: dict[str, Any], tmp_path: Path) -> None:
    briefs = tmp_path / "briefs"
    write_brief(briefs, "shoes")
    short = ProjectConfig(generation={"decoding": {"max_new_tokens": 8}})
    lines = run_demo_step(world["data"], short, briefs_dir=briefs)
    assert lines[0].startswith("rag index: ")
    text = "\n".join(lines)
    for model in ("retrieval", "template", "base", "tiny-cpu (trained 2024-03-01 08:00 UTC)"):
        assert f"shoes x {model}: 2 candidates" in text
    # Printed to users of an installed package: no file of the source tree to go and read.
    assert ".py" not in text
    assert run_demo_step(tmp_path / "empty", world["cfg"])[0].startswith("rag: skipped")
