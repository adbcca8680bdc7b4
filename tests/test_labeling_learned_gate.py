"""The gate's learned part: fitted on the labeled posts that ship with the rules, mixed into the
noisy-OR score, and its posts file checked like the rest of rules.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.rules_fixtures import gate_training_posts
from workbench.core.config import CleaningConfig
from workbench.core.errors import ConfigError
from workbench.core.resources import default_file
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.learned_gate import read_gate_posts
from workbench.labeling.rules import (
    gate_evidence,
    learned_ad_probability,
    load_rules,
    rule_inputs,
)


def test_the_packaged_posts_are_the_labeled_rounds() -> None:
    texts, y = read_gate_posts(default_file("labeling/gate_posts.tsv"), "Ad", "Non-Ad")
    rows = gate_training_posts()
    assert texts == [text for _, text in rows]
    assert y.tolist() == [int(label == "Ad") for label, _ in rows]


def test_the_score_mixes_the_signals_and_the_model() -> None:
    """score = (1 - w) * noisy-OR + w * P(Ad), with the signals' noisy-OR as rules-v6 had it."""
    taxonomy = load_taxonomy()
    with_model = load_rules(default_file("labeling/rules.yaml"), taxonomy=taxonomy)
    assert with_model.gate.learned is not None
    signals_only = with_model.model_copy(update={"gate": with_model.gate.model_copy(
        update={"learned": None})})
    texts = ["iPhone 13 Pro Max 256GB\nዋጋ 72ሺ", "ዛሬ ዝናብ ይጥላል", "የነዳጅ ዋጋ በሊትር 5 ብር ጨመረ"]
    cleaning = CleaningConfig()
    frame = rule_inputs(pl.DataFrame({"uid": ["a", "b", "c"], "text": texts}), cleaning)
    mixed = gate_evidence(frame, with_model, cleaning=cleaning)["score"].to_numpy()
    noisy_or = gate_evidence(frame, signals_only, cleaning=cleaning)["score"].to_numpy()
    p = learned_ad_probability(with_model.gate, frame["text_norm"], cleaning)
    weight = with_model.gate.learned.weight
    assert np.allclose(mixed, (1 - weight) * noisy_or + weight * p)
    assert ((p >= 0) & (p <= 1)).all()
    assert p[0] > p[1]  # a caption with a model and a price reads more like an ad than weather


def test_a_project_folder_reads_its_own_posts(tmp_path: Path) -> None:
    """posts: is relative to rules.yaml, so a project's edited copy is the one fitted."""
    folder = tmp_path / "labeling"
    folder.mkdir()
    rules = default_file("labeling/rules.yaml").read_text(encoding="utf-8")
    (folder / "rules.yaml").write_text(rules, encoding="utf-8")
    (folder / "gate_posts.tsv").write_text("label\ttext\nAd\tሶፋ ይሸጣል\nNon-Ad\tሰላም\n",
                                           encoding="utf-8")
    loaded = load_rules(folder / "rules.yaml", taxonomy=load_taxonomy())
    assert loaded.gate.learned is not None
    assert Path(loaded.gate.learned.posts) == folder / "gate_posts.tsv"


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("text\tlabel\nAd\tx\n", "the first line must be the header"),
    ("label\ttext\nMaybe\tx\nNon-Ad\ty\n", "line 2: expected 'Ad' or 'Non-Ad'"),
    ("label\ttext\nAd only\n", "line 2: expected"),
    ("label\ttext\nAd\tx\nAd\ty\n", "need both 'Ad' and 'Non-Ad'"),
])
def test_a_bad_posts_file_is_one_config_error(tmp_path: Path, content: str | None,
                                              message: str) -> None:
    folder = tmp_path / "labeling"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        default_file("labeling/rules.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    if content is not None:
        (folder / "gate_posts.tsv").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_rules(folder / "rules.yaml", taxonomy=load_taxonomy())
    assert "\n" not in str(err.value)
