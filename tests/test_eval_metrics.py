"""Each local metric module on hand-computed Amharic cases, loaded with evaluate.load(<path>)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError
from workbench.evaluation.metrics import (
    available_metrics,
    compute,
    get_metric,
    load_module,
    module_path,
    resolve_metric,
)
from workbench.evaluation.suite import MetricEntry

PREDS = ["ጫማ በቅናሽ ዋጋ ይደውሉ 0911223344", "አዲስ ላፕቶፕ በ25,000 ብር ብቻ።"]
REFS = ["ጫማ በቅናሽ ዋጋ! ለበለጠ መረጃ ይደውሉ 0911223344", "ምርጥ ላፕቶፕ በ25,000 ብር ብቻ ይግዙ።"]


def test_every_module_is_a_local_evaluate_module() -> None:
    modules = {get_metric(name).module for name in available_metrics()}
    for module in modules:
        path = module_path(module)
        assert path.is_file(), path
        # evaluate parses imports line by line: one plain `import x` per line.
        for line in path.read_text(encoding="utf-8").splitlines():
            assert not (line.startswith("import ") and "," in line), (module, line)
        assert load_module(module).name == module


def test_chrf_and_chrf_pp_equal_sacrebleu() -> None:
    import sacrebleu

    chrf = load_module("chrf")
    for word_order in (0, 2):
        out = chrf.compute(predictions=PREDS, references=REFS, word_order=word_order)
        expected = sacrebleu.corpus_chrf(PREDS, [REFS], word_order=word_order).score
        assert out["score"] == pytest.approx(expected, abs=1e-9)
        for pred, ref, score in zip(PREDS, REFS, out["scores"], strict=True):
            assert score == pytest.approx(
                sacrebleu.sentence_chrf(pred, [ref], word_order=word_order).score, abs=1e-9)
    identical = chrf.compute(predictions=["ሰላም ለሁላችሁ"], references=["ሰላም ለሁላችሁ"])
    assert identical["score"] == pytest.approx(100.0)
    disjoint = chrf.compute(predictions=["ሀሀሀ"], references=["ፐፐፐ"])
    assert disjoint["score"] == pytest.approx(0.0)


def test_bleu_hand_computed_and_keeps_geez() -> None:
    bleu = load_module("bleu")
    # Every n-gram of the 4-word prediction matches (precisions 4/4, 3/3, 2/2, 1/1); the
    # reference has 5 words, so BLEU = BP = exp(1 - 5/4) = 0.7788.
    out = bleu.compute(predictions=["ሀ ለ ሐ መ"], references=["ሀ ለ ሐ መ ሠ"])
    assert out["score"] == pytest.approx(100 * math.exp(1 - 5 / 4), abs=1e-6)
    assert out["precisions"] == pytest.approx([100.0] * 4)
    assert "tok:intl" in out["signature"]
    # intl splits the Ethiopic full stop off the word, 13a would not: "ይደውሉ።" vs "ይደውሉ".
    intl = bleu.compute(predictions=["ዛሬ ይደውሉ።"], references=["ዛሬ ይደውሉ ።"])
    plain = bleu.compute(predictions=["ዛሬ ይደውሉ።"], references=["ዛሬ ይደውሉ ።"], tokenize="13a")
    # (Sentence scores: with effective order, a 3-token text is not zeroed by missing 4-grams.)
    assert intl["scores"][0] == pytest.approx(100.0)
    assert plain["scores"][0] < 100.0


def test_rouge_l_sees_amharic_words() -> None:
    rouge = load_module("rouge_l")
    # LCS("ጫማ በቅናሽ ዋጋ", "ጫማ በጣም በቅናሽ ዋጋ ይሸጣል") = 3 words: P = 3/3, R = 3/5, F = 0.75.
    out = rouge.compute(predictions=["ጫማ በቅናሽ ዋጋ።"], references=["ጫማ በጣም በቅናሽ ዋጋ ይሸጣል"])
    assert out["scores"] == pytest.approx([0.75])
    assert out["precision"] == pytest.approx([1.0])
    assert out["recall"] == pytest.approx([0.6])
    # The default rouge-score tokenizer keeps only [a-z0-9]: two different Amharic texts
    # collapse to nothing and score 0 (or 1), which is what this module avoids.
    from rouge_score import rouge_scorer

    default = rouge_scorer.RougeScorer(["rougeL"]).score("ጫማ በቅናሽ", "መኪና ይሸጣል")["rougeL"]
    assert default.fmeasure in (0.0, 1.0)
    assert rouge.compute(predictions=["ጫማ በቅናሽ"], references=["መኪና ይሸጣል"])["scores"] == [0.0]


def test_distinct_n_hand_computed() -> None:
    m = load_module("distinct_n")
    # "ጫማ ጫማ ዋጋ": 3 words, 2 distinct -> 2/3; bigrams (ጫማ ጫማ), (ጫማ ዋጋ): both distinct -> 1.
    one = m.compute(predictions=["ጫማ ጫማ ዋጋ", "ጫማ ዋጋ"], n=1)
    assert one["scores"] == pytest.approx([2 / 3, 1.0])
    assert one["score"] == pytest.approx(2 / 5)  # pooled: {ጫማ, ዋጋ} over 5 words
    two = m.compute(predictions=["ጫማ ጫማ ዋጋ", "ዋጋ"], n=2)
    assert two["scores"][0] == pytest.approx(1.0)
    assert math.isnan(two["scores"][1])


def test_ethiopic_share_and_length_hand_computed() -> None:
    share = load_module("ethiopic_share")
    # Letters: ጫ ማ (Ethiopic) + a b c (Latin); digits and ። are not letters -> 2/5.
    out = share.compute(predictions=["ጫማ abc 123 ።", "😀 123"])
    assert out["scores"][0] == pytest.approx(0.4)
    assert math.isnan(out["scores"][1])
    length = load_module("length")
    res = length.compute(predictions=[" ጫማ በቅናሽ "], reference_texts=["ጫማ"])
    assert res["scores"] == [7]
    assert res["words"] == [2]
    assert res["ratio"] == pytest.approx([3.5])


def test_brief_coverage_hand_computed() -> None:
    m = load_module("brief_coverage")
    brief = {"brand": "zara", "product": ["ጫማ", "ቦርሳ"], "contacts": ["+251911223344", "@x_shop"],
             "prices": ["1,200 ብር"], "cta": [["ይደውሉ", "call"], ["ይዘዙ", "order"]]}
    ad = "Zara ጫማ በ1200 ብር 0911-22 33 44 ይደውሉ"
    out = m.compute(predictions=[ad], references=[json.dumps(brief, ensure_ascii=False)])
    # brand 1, product 1/2, contact 1/2 (phone in another grouping; no handle), price 1, cta 1/2.
    assert out["brand"] == [1.0]
    assert out["product"] == [0.5]
    assert out["contact"] == [0.5]
    assert out["price"] == [1.0]
    assert out["cta"] == [0.5]
    assert out["scores"] == pytest.approx([(1 + 0.5 + 0.5 + 1 + 0.5) / 5])
    empty = m.compute(predictions=["ጫማ"], references=["{}"])
    assert math.isnan(empty["scores"][0])


def test_registry_did_you_mean_and_entries() -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'chrf\+\+'"):
        get_metric("chrf+")
    with pytest.raises(ConfigError, match="available: bleu, brief_coverage"):
        get_metric("meteor")
    custom = resolve_metric(MetricEntry(name="chrf4", metric="chrf", args={"char_order": 4}))
    assert (custom.name, custom.module, dict(custom.args)) == ("chrf4", "chrf",
                                                              {"word_order": 0, "char_order": 4})


def test_compute_wrapper_per_item_and_missing_model() -> None:
    res = compute(get_metric("chrf++"), PREDS, references=REFS)
    assert len(res.items) == 2
    assert res.corpus > 0
    ppl = compute(get_metric("perplexity"), PREDS, references=REFS, model=None)
    assert all(math.isnan(v) for v in ppl.items)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.eval_data import make_splits, make_tiny_base

    root = tmp_path_factory.mktemp("ppl")
    make_splits(root, n_ads=20)
    return make_tiny_base(root / "base", root)


def test_perplexity_matches_a_direct_computation(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    context, target = "ጫማ በቅናሽ ዋጋ", " ለበለጠ መረጃ ይደውሉ"
    out = load_module("perplexity").compute(predictions=[target], contexts=[context],
                                             model_path=str(tiny_model))
    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    ctx = tok(context)["input_ids"]
    tgt = tok(target, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([ctx + tgt])
    labels = torch.tensor([[-100] * len(ctx) + tgt])
    with torch.inference_mode():
        loss = model(input_ids=ids, labels=labels).loss.item()
    assert out["scores"][0] == pytest.approx(math.exp(loss), rel=1e-4)
    assert out["tokens"] == [len(tgt)]
    assert out["score"] == pytest.approx(math.exp(loss), rel=1e-4)
