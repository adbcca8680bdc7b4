"""Copy-aware evaluation: output checks on every generation, novelty, the ranking metric that a
copy cannot win, error analysis and tag moderation (splits made by the real pipeline)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.core.config import CleaningConfig, ProjectConfig
from workbench.core.layout import Layout

SUITE = """
name: copyaware
systems: [retrieval, template]
items: {n: 6}
tasks:
  - {name: brief_to_ad, metrics: [chrf, brief_coverage]}
  - {name: half_continuation, metrics: [chrf]}
seed: 1234
ranking: {metric: chrf, failed_checks_score: 0, mostly_copies: 0.5}
bootstrap: {n_resamples: 200}
"""

GAMBLING = ["ቤቲንግ", "ውርርድ", "ካዚኖ", "ጃክፖት", "ሎተሪ", "ኦድስ"]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.eval_data import make_splits
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    root = tmp_path_factory.mktemp("copyaware")
    make_splits(root)
    path = root / "copyaware.yaml"
    path.write_text(SUITE, encoding="utf-8")
    suite, path = load_suite(path)
    result = run_suite(suite, path, root, ProjectConfig())
    gens = pl.read_parquet(result.out_dir / "generations.parquet")
    summary = json.loads((result.out_dir / "summary.json").read_text(encoding="utf-8"))
    return {"root": root, "result": result, "suite": suite, "gens": gens, "summary": summary}


def _rank(result: Any, task: str, metric: str) -> dict[str, int]:
    part = result.summary.filter((pl.col("task") == task) & (pl.col("metric") == metric))
    return dict(zip(part["system"].to_list(), part["rank"].to_list(), strict=True))


def test_copying_baseline_wins_plain_chrf_but_not_the_ranking_metric(
        evaluated: dict[str, Any]) -> None:
    result = evaluated["result"]
    assert result.ranking == "chrf@checked"
    assert _rank(result, "brief_to_ad", "chrf")["retrieval"] == 1
    assert _rank(result, "brief_to_ad", "chrf@checked")["retrieval"] != 1
    # Every retrieval candidate is a training ad: flagged, and marked in the printed table.
    rows = result.summary.filter((pl.col("system") == "retrieval")
                                 & (pl.col("task") == "brief_to_ad"))
    assert rows["mostly_copies"].all()
    assert rows["copy_share"].min() > 0.5
    template = result.summary.filter(pl.col("system") == "template")
    assert not template["mostly_copies"].any()
    lines = result.lines(evaluated["suite"].headline)
    board = [line for line in lines if "retrieval" in line]
    assert board
    assert all("COPIES" in line for line in board)
    assert any("template" in line and "COPIES" not in line for line in lines)
    assert evaluated["summary"]["ranking"] == "chrf@checked"


def test_ranking_metric_is_plain_metric_where_checks_pass(evaluated: dict[str, Any]) -> None:
    out = evaluated["result"].out_dir
    scores = pl.read_parquet(out / "scores.parquet")
    wide = scores.filter(pl.col("metric").is_in(["chrf", "chrf@checked", "check_pass_rate"])
                         ).pivot(on="metric", index=["task", "item_id", "system"], values="value")
    passed = wide.filter(pl.col("check_pass_rate") == 1.0)
    failed = wide.filter(pl.col("check_pass_rate") == 0.0)
    assert passed.height
    assert failed.height
    assert (passed["chrf@checked"] - passed["chrf"]).abs().max() < 1e-9
    assert (failed["chrf@checked"] == 0.0).all()
    # Derived metrics get CIs and paired tests like the others.
    paired = evaluated["result"].paired
    for metric in ("novelty", "check_pass_rate", "chrf@checked"):
        assert paired.filter(pl.col("metric") == metric).height > 0, metric
        assert evaluated["result"].summary.filter(pl.col("metric") == metric)["ci_low"] \
            .is_not_null().all()


def test_check_columns_and_error_counts(evaluated: dict[str, Any]) -> None:
    from workbench.evaluation.output_checks import CHECK_KINDS

    gens = evaluated["gens"]
    for kind in CHECK_KINDS:
        assert f"check_{kind}" in gens.columns
    assert gens["checks_passed"].null_count() == 0
    retrieval = gens.filter(pl.col("system") == "retrieval")
    assert not retrieval["check_not_copy"].any()
    assert (retrieval["novelty"] == 0.0).all()
    assert retrieval["overlap_uid"].is_not_null().all()
    # half_continuation has no brief: brand and contact checks do not apply.
    half = gens.filter(pl.col("task") == "half_continuation")
    assert half["check_has_brand"].null_count() == half.height
    assert half["check_has_contact"].null_count() == half.height
    # A brief derived from an ad without a brand has no brand to look for.
    no_brand = gens.filter((pl.col("task") == "brief_to_ad")
                           & pl.col("brief").str.contains('"brand": null', literal=True))
    assert no_brand.height > 0
    assert no_brand["check_has_brand"].null_count() == no_brand.height
    # checks_passed agrees with the failed kinds, and each failed kind's column is False.
    for row in gens.iter_rows(named=True):
        assert row["checks_passed"] == (not row["check_failures"])
        for kind in row["check_failures"]:
            assert row[f"check_{kind}"] is False
    errors = {(e["task"], e["system"], e["kind"]): e for e in evaluated["summary"]["errors"]}
    copies = errors[("brief_to_ad", "retrieval", "not_copy")]
    n = retrieval.filter(pl.col("task") == "brief_to_ad").height
    assert (copies["count"], copies["n"]) == (n, n)
    assert 0 < len(copies["examples"]) <= 3
    assert copies["examples"][0]["detail"].startswith("overlap 1.00")
    assert ("half_continuation", "retrieval", "has_brand") not in errors
    # Moderation had no tag labels here: recorded as not measured, the run still finished.
    moderation = evaluated["summary"]["moderation"]
    assert moderation["measured_any"] is False
    assert set(moderation["not_measured"]) == {"Gambling", "Politics", "Profanity", "Religious"}
    assert any(n.startswith("moderation: Gambling, Politics, Profanity, Religious not measured")
               for n in evaluated["result"].notes)


def test_checker_on_known_outputs(evaluated: dict[str, Any]) -> None:
    from workbench.evaluation.output_checks import OutputChecker
    from workbench.evaluation.run import load_splits
    from workbench.evaluation.systems import eval_prompt_spec
    from workbench.evaluation.tasks import build_items

    suite = evaluated["suite"]
    splits, _ = load_splits(evaluated["root"], suite)
    train = splits["train"]
    checker = OutputChecker(train, ProjectConfig(), system_prompt="You write Amharic ads.")
    item = build_items(splits, suite.tasks[0], suite.items, seed=suite.seed,
                       spec=eval_prompt_spec([], ProjectConfig()))[0]
    assert item.derived_brief is not None
    empty = checker.check(item, "")
    assert empty["check_not_empty"] is False
    assert not empty["checks_passed"]
    copied = checker.check(item, train["text"][0])
    assert copied["check_not_copy"] is False
    assert copied["novelty"] == 0.0
    assert copied["overlap_uid"] == train["uid"][0]
    template = evaluated["gens"].filter((pl.col("task") == item.task)
                                        & (pl.col("system") == "template")
                                        & (pl.col("item_id") == item.item_id))["text"][0]
    leaked = checker.check(item, template + " <|assistant|>")
    assert leaked["check_no_leak"] is False
    assert "no_leak" in leaked["check_failures"]
    assert leaked["leaked_text"] == "<|assistant|>"


def test_novelty_of_a_copy_is_zero_and_of_unrelated_text_near_one() -> None:
    from workbench.evaluation.novelty import NgramIndex
    from workbench.generation.checks import overlap_ratio

    cleaning = CleaningConfig()
    ads = [("a", "ጫማ በቅናሽ ዋጋ ለበለጠ መረጃ ይደውሉ 0911223344"),
           ("b", "ቤት ለኪራይ በቦሌ አካባቢ ሁለት መኝታ ክፍል"),
           ("c", "አዲስ ላፕቶፕ በተመጣጣኝ ዋጋ ከዋስትና ጋር")]
    index = NgramIndex(ads, n=6, cleaning=cleaning)
    uid, ratio = index.nearest("ቤት ለኪራይ በቦሌ አካባቢ ሁለት መኝታ ክፍል")
    assert (uid, 1 - ratio) == ("b", 0.0)
    _, ratio = index.nearest("የእግር ኳስ ጨዋታ ዛሬ ማታ በስታዲየም ይካሄዳል")
    assert 1 - ratio > 0.9
    # The index agrees with the pairwise measure of the copy check.
    text = "አዲስ ላፕቶፕ በተመጣጣኝ ዋጋ ይደውሉ"
    uid, ratio = index.nearest(text)
    assert ratio == max(overlap_ratio(text, ad, cleaning=cleaning, n=6) for _, ad in ads)


def _gambling_posts() -> list[Any]:
    from synthetic.splits import SPLITS, synthetic_posts

    posts = synthetic_posts(n_ads=60, n_non_ads=8, seed=3)
    first = posts[0]
    extra = []
    for i in range(10):
        words = [GAMBLING[(i + k) % len(GAMBLING)] for k in range(3)]
        text = (f"{' '.join(words)} ዛሬ ይጫወቱ እና ያሸንፉ! {words[0]} ቦነስ {100 * (i + 1)} ብር "
                f"@bet_{i}_et")
        extra.append(replace(first, text=text, is_ad="Ad", vertical="Entertainment",
                             tags=("Gambling",), split="train", message_id=0))
    merged = posts + extra
    ordered = [p for name in SPLITS for p in merged if p.split == name]
    return [replace(p, message_id=i) for i, p in enumerate(ordered, start=1)]


def test_moderation_flags_a_gambling_text(tmp_path: Path) -> None:
    from tests.pipeline_data import curated_copy
    from workbench.evaluation.moderation import fit_tag_moderation, moderation_columns

    curated_copy(tmp_path, _gambling_posts())
    train = pl.read_parquet(Layout(tmp_path).split("train"))
    assert train.filter(pl.col("tags").list.contains("Gambling")).height >= 3
    moderation = fit_tag_moderation(train, seed=0)
    assert moderation.facts()["measured"] == ["Gambling"]
    assert "Politics" in moderation.skipped
    gambling, ordinary = moderation_columns(moderation, [
        "ካዚኖ ጃክፖት ሎተሪ ዛሬ ይጫወቱ እና ያሸንፉ! ቦነስ 500 ብር",
        "ጫማ በቅናሽ ዋጋ ለበለጠ መረጃ ይደውሉ 0911223344"])
    assert gambling["moderation_flags"] == ["Gambling"]
    assert ordinary["moderation_flags"] == []
    assert json.loads(gambling["moderation_scores"])["Gambling"] >= 0.5


def test_ranking_on_a_metric_no_task_computes_is_a_config_error(tmp_path: Path) -> None:
    from workbench.core.errors import ConfigError
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import Suite

    suite = Suite.model_validate({
        "name": "x", "systems": ["template"], "ranking": {"metric": "bleu"},
        "tasks": [{"name": "brief_to_ad", "metrics": ["chrf"]}]})
    assert suite.ranking_metric == "bleu@checked"
    with pytest.raises(ConfigError, match="ranking metric 'bleu'"):
        run_suite(suite, None, tmp_path, ProjectConfig())
