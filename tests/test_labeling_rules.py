"""rules-v2 on hand-written real-style Amharic: ads without phones pass, news quoting prices does not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.rules_fixtures import ADS_WITHOUT_PHONE_BY_KIND, NEWS_WITH_PRICES
from workbench.core.config import CleaningConfig
from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import load_rules, rule_inputs, rule_predictions


def _gate(texts: list[str], rules_file: Path | None = None) -> list[str]:
    tax = load_taxonomy()
    rules = load_rules(rules_file, taxonomy=tax)
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, rules, tax, cleaning=CleaningConfig())
    gate = preds.filter(pl.col("task") == "is_ad").sort(pl.col("uid").cast(pl.Int64))
    return [v[0] for v in gate["value"].to_list()]


@pytest.mark.parametrize(("kind", "text"), ADS_WITHOUT_PHONE_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(ADS_WITHOUT_PHONE_BY_KIND)])
def test_ads_without_phone_are_ads(kind: str, text: str) -> None:
    assert "+251" not in text
    assert "09" not in text
    assert _gate([text]) == ["Ad"], kind


def test_news_quoting_prices_is_not_an_ad() -> None:
    assert _gate(NEWS_WITH_PRICES) == ["Non-Ad"] * len(NEWS_WITH_PRICES)


def test_news_language_holds_back_a_sale_word() -> None:
    # The same sale sentence passes alone and is held back by reporting language.
    ad = "አያት አካባቢ ኮንዶሚኒየም ቤት ይሸጣል"
    news = ad + " ሲሉ ሚኒስቴሩ ገልፀዋል"
    assert _gate([ad, news]) == ["Ad", "Non-Ad"]


def test_verticals_of_the_new_labels() -> None:
    tax = load_taxonomy()
    rules = load_rules(taxonomy=tax)
    texts = ["ቦሌ ባለ 2 መኝታ አፓርትመንት ለኪራይ", "የግራፊክስ ዲዛይን ስልጠና ምዝገባ ጀምረናል ይመዝገቡ"]
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, rules, tax, cleaning=CleaningConfig())
    vertical = preds.filter(pl.col("task") == "vertical").sort(pl.col("uid").cast(pl.Int64))
    assert [v[0] for v in vertical["value"].to_list()] == ["Real estate", "Education & training"]


def test_declared_signals_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {sale: 0.6},\n"
                   "       signals: {sale: ['ይሸ[ጣ']}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gate\.signals\.sale: bad pattern"):
        load_rules(bad, taxonomy=load_taxonomy())
    bad.write_text("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {phone: 0.6},\n"
                   "       signals: {phone: ['x']}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="may not redefine built-in"):
        load_rules(bad, taxonomy=load_taxonomy())


def test_declared_patterns_follow_text_norm_spelling(tmp_path: Path) -> None:
    # ጸ in the pattern matches text_norm's ፀ; a regex escape (\S) is not lower-cased away.
    rules = tmp_path / "rules.yaml"
    rules.write_text("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {promo: 0.6},\n"
                     "       signals: {promo: ['ጸጉር\\S+ ቤት']}}\n", encoding="utf-8")
    assert _gate(["ፀጉርና ቤት", "ፀጉር ቤት"], rules) == ["Ad", "Non-Ad"]
