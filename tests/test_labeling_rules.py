"""The packaged rules on hand-written real-style Amharic: ads without phones pass, news quoting prices does not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.rules_fixtures import (
    ADS_WITHOUT_PHONE_BY_KIND,
    NEWS_WITH_PRICES,
    ROUND3_DEV_FILE,
    ROUND3_HELDOUT_FILE,
    STRUCTURE_ADS_BY_KIND,
    STRUCTURE_NON_ADS_BY_KIND,
    round3_dev,
)
from workbench.core.config import CleaningConfig
from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import (
    SIGNAL_PREFIX,
    gate_evidence,
    load_rules,
    rule_inputs,
    rule_predictions,
)


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
    texts = ["ቦሌ ባለ 2 መኝታ አፓርትመንት ለኪራይ", "የግራፊክስ ዲዛይን ስልጠና ምዝገባ ጀምረናል ይመዝገቡ",
             "ክፍት የስራ ቦታ፤ ደመወዝ፦ በስምምነት", "የፅዳት አገልግሎት፤ ቢሮ እና ቤት እናፀዳለን", "ለሽያጭ የቀረበ"]
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, rules, tax, cleaning=CleaningConfig())
    vertical = preds.filter(pl.col("task") == "vertical").sort(pl.col("uid").cast(pl.Int64))
    assert [v[0] for v in vertical["value"].to_list()] == [
        "Real estate", "Education & training", "Other", "Other", "Other"]
    # A vacancy and a cleaning service are Other by its own words (a keyword score); an ad with no
    # vertical word at all gets Other as the low-score fallback.
    scores = vertical["score"].to_list()
    assert min(scores[:4]) > rules.fallback_score
    assert scores[4] == rules.fallback_score


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


@pytest.mark.parametrize(("kind", "text"), STRUCTURE_ADS_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_ADS_BY_KIND)])
def test_ads_by_structure_alone_are_ads(kind: str, text: str) -> None:
    # A listing with only field lines, an arrival with a price, a rent verb with an area, a model
    # year, a service that comes to the customer: no phone, and no sale keyword needed.
    assert "+251" not in text
    assert "09" not in text
    assert _gate([text]) == ["Ad"], kind


@pytest.mark.parametrize(("kind", "text"), STRUCTURE_NON_ADS_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_NON_ADS_BY_KIND)])
def test_look_alikes_of_those_structures_are_not_ads(kind: str, text: str) -> None:
    # A news report with a bulleted price list, a tweet quoting a rent, football results in dash
    # lines, people who "have arrived": shaped like the ads above, not ads.
    assert _gate([text]) == ["Non-Ad"], kind


def _evidence(texts: list[str]) -> list[set[str]]:
    tax = load_taxonomy()
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    ev = gate_evidence(frame, load_rules(taxonomy=tax), cleaning=CleaningConfig())
    return [{k.removeprefix(SIGNAL_PREFIX) for k, v in row.items() if k.startswith(SIGNAL_PREFIX) and v}
            for row in ev.sort(pl.col("uid").cast(pl.Int64)).iter_rows(named=True)]


def test_listing_layout_counts_lines_of_the_post_as_written() -> None:
    # Three "field: value" lines make a listing; the same fields on one line (what text_norm
    # holds, line breaks collapsed) or only two such lines do not.
    three = "ብራንድ: ሊፋን\nቀለም: ጥቁር\nሞተር: 1500"
    fired = _evidence([three, three.replace("\n", " "), "ብራንድ: ሊፋን\nቀለም: ጥቁር"])
    assert ["listing_layout" in f for f in fired] == [True, False, False]
    # Windows line breaks count alike; a football score ("ቡና 2 - 1 ፋሲል") is no field line.
    assert "listing_layout" in _evidence([three.replace("\n", "\r\n")])[0]
    scores = "ቡና 2 - 1 ፋሲል\nጊዮርጊስ 0 - 0 ባህር ዳር\nአዳማ 1 - 3 ሀዋሳ"
    assert "listing_layout" not in _evidence([scores])[0]


def test_verb_forms_across_prefixes_and_suffixes() -> None:
    # One root, many forms: the rent root in relative, third person, first person plural and
    # polite "for you" forms; not the noun of "rent-seeking" or "my landlord".
    rent = ["የሚከራይ ቤት", "ቤቱ ይከራያል", "አዳራሽ እናከራያለን", "እናከራይልዎታለን"]
    assert all("sale_rent" in f for f in _evidence(rent))
    assert not any("sale_rent" in f for f in _evidence(["ኪራይ ሰብሳቢነት", "የኔ ቤት አከራይ"]))
    # Offering verbs in the first person plural ("we prepare", "we teach", "we repair").
    offers = ["ምግብ እናዘጋጃለን", "እንግሊዝኛ እናስተምራለን", "ስልክ እንጠግናለን"]
    assert all("offer" in f for f in _evidence(offers))


def test_signal_long_form_min_count_and_per_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {bullets: 0.6},\n"
        "       signals: {bullets: {patterns: ['^- '], min_count: 2, per_line: true}}}\n",
        encoding="utf-8")
    assert _gate(["- a\n- b", "- a", "x - a - b"], rules) == ["Ad", "Non-Ad", "Non-Ad"]
    rules.write_text(
        "gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {bullets: 0.6},\n"
        "       signals: {bullets: {patterns: ['^- '], min_count: 0}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="min_count"):
        load_rules(rules, taxonomy=load_taxonomy())


def test_round3_dev_file_reads_as_labeled_posts() -> None:
    # The development set the bench reads: labels and verticals from the taxonomy, line breaks
    # restored from the file's "\n".
    posts = round3_dev()
    tax = load_taxonomy()
    assert ROUND3_DEV_FILE.exists()
    assert len(posts) >= 100
    assert {p.label for p in posts} == {"Ad", "Non-Ad"}
    assert {p.vertical for p in posts if p.label == "Ad"} <= set(tax.task("vertical").values)
    assert all(p.vertical == "" for p in posts if p.label == "Non-Ad")
    assert any("\n" in p.text for p in posts)
    assert not any("\\n" in p.text for p in posts)


def test_held_out_round_keeps_the_measured_recall() -> None:
    # Measured once on the frozen rules-v4 (62 of 70 ads, 2 of 45 non-ads; README). A floor, not
    # a target to tune to: a rule change that loses held-out ads shows up here.
    posts = round3_dev(ROUND3_HELDOUT_FILE)
    ads = [p.text for p in posts if p.label == "Ad"]
    non_ads = [p.text for p in posts if p.label == "Non-Ad"]
    assert (len(ads), len(non_ads)) == (70, 45)
    assert sum(v == "Ad" for v in _gate(ads)) >= 0.8 * len(ads)
    assert sum(v == "Ad" for v in _gate(non_ads)) <= 2
