"""rules-v8's kinds: posts in English and in Amharic typed in Latin letters, and the tags.

Written for these tests, not copied from round 8's posts: each ad carries the evidence of its
kind in English or Latin-typed Amharic ("yishetal", "lekiray", "15k bewer", "le mereja dwelu"),
each non-ad a kind of post that quotes prices or sale words without selling (a member asking to
buy, a rate list, English news, a complaint, a lost ID), and the tags cases the issue names:
Latin "bet" is ቤት (a house) in these channels far more often than a wager, an ekub's draw (ዕጣ)
is no lottery, and a party is not politics.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.rules_fixtures import ROUND8_DEV_FILE, round3_dev
from tests.rules_helpers import gate_of, signals_of, verticals_of
from workbench.core.config import CleaningConfig
from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import load_rules, rule_inputs, rule_predictions

#: (kind, text): ads in English or Latin-typed Amharic, most without a phone.
LATIN_ADS = [
    ("latin_sale", "Samsung A25 256gb yishetal, 3 wer bicha yageleglew, 24k nego"),
    ("latin_rent", "Sukk lekiray Merkato akababi, 30 kare, bewer 40k"),
    ("latin_rent_house", "Bet yikerayal Lebu, 2 megnita, le mereja dwelu"),
    ("latin_car", "Corolla 2011 automatic yishetal, code 3, 1.45M"),
    ("english_rent", "2 bedroom condo for rent at Ayat\n16k per month\nDM for details"),
    ("english_sale", "MacBook Air M1 for sale, barely used, 58k birr, inbox"),
    ("english_delivery", "Fresh bread and cakes every morning 🥐 delivered anywhere in Bole, order today"),
    ("english_from_price", "Zanzibar holiday package 5 nights from $890 per person, book now"),
    ("short_caption", "Vitz 2013 ✅ 1.25M"),
    ("english_branch", "Open your savings account at any of our branches and get a free debit card"),
    ("private_seller_have", "የልጅ ጋሪ 2 አለኝ ፣ ለሚፈልግ ሰው በቅናሽ"),
    # news words that an ad says too: a loan "for government employees", a "food court"
    ("government_employees", "Special car loan for government employees, up to 80% financing, apply at "
                             "any of our branches"),
    ("food_court", "Food court space for rent at Bole mall, 40 sqm, 60k per month"),
]

#: (kind, text): non-ads in English or Latin letters that quote prices, sale words or contacts.
LATIN_NON_ADS = [
    ("member_asks", "Does anyone know where I can buy a cheap fridge? my budget is 30k"),
    ("member_asks_latin", "iPhone 12 legeza new, ahun sint new? yemitawku tekumugn"),
    ("anyone_selling", "Anyone selling a second hand stroller? Bole area, budget 5k"),
    ("rate_list", "Today's rates\nUSD = 158 birr\nEUR = 171 birr\nGBP = 199 birr"),
    ("gold_list", "Gold today: 22 karat = 12,000 birr per gram, 18 karat = 9,900 birr per gram"),
    ("english_news", "The ministry said landlords who raise the rent above the cap will face fines, "
                     "officials reported on Monday."),
    ("complaint", "They charged me 100 birr for parking at the mall for one hour, can you believe it?"),
    ("lost_id", "Lost my ID card around Piassa yesterday 🙏 if found please inbox me"),
    ("latin_chat", "Concert ticket gezahu gin tesarze, genzeben min madreg alebign?"),
]


@pytest.mark.parametrize(("kind", "text"), LATIN_ADS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(LATIN_ADS)])
def test_english_and_latin_typed_ads_are_ads(kind: str, text: str) -> None:
    assert gate_of([text]) == ["Ad"], kind


@pytest.mark.parametrize(("kind", "text"), LATIN_NON_ADS,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(LATIN_NON_ADS)])
def test_english_and_latin_typed_non_ads_are_not_ads(kind: str, text: str) -> None:
    assert gate_of([text]) == ["Non-Ad"], kind


def test_latin_sale_and_rent_roots_not_the_bare_nouns() -> None:
    # The roots in their Latin-typed forms fire; the noun "kiray" (the rent people pay) and
    # English "rent" in a sentence (news, complaints) do not.
    fired = signals_of(["Laptop yishetal", "Bet lekiray", "enakerayalen", "Condo yikerayal",
                        "bet kiray tchemere", "house rent rose again this year"])
    assert ["sale_rent" in f for f in fired] == [True, True, True, True, False, False]


def test_a_rate_list_holds_back_its_buy_and_sell_words() -> None:
    # An exchange-rate list names buying and selling (ግዢ / ሽያጭ) and prices: a rate list, not an ad.
    text = "የዛሬ ምንዛሬ\nUSD ግዢ 156.10 / ሽያጭ 159.20\nEUR ግዢ 169.00 / ሽያጭ 172.40"
    assert "rate_list" in signals_of([text])[0]
    assert gate_of([text]) == ["Non-Ad"]


def tags_of(texts: list[str]) -> list[set[str] | None]:
    """The rules' tags for each text (None where the gate reads Non-Ad: tags are asked of ads)."""
    tax = load_taxonomy()
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, load_rules(taxonomy=tax), tax, cleaning=CleaningConfig())
    got = {int(u): set(v) for u, v in
           preds.filter(pl.col("task") == "tags").select("uid", "value").iter_rows()}
    return [got.get(i) for i in range(len(texts))]


#: (kind, ad text, its tags): the tags' ambiguities and each theme in Amharic and English.
TAG_CASES = [
    ("latin_bet_is_a_house", "Bet lekiray Bole Rwanda, 3 megnita, 25k bewer", set()),
    ("latin_bet_for_sale", "Bet yishetal Summit, 180 kare, karta alew, 11M", set()),
    ("betting_promo_english", "Register on LuckyBet today and get a 100% bonus on your first deposit! "
                              "18+ play responsibly", {"Gambling"}),
    ("betting_promo_amharic", "በዛሬው ደርቢ ላይ ይወራረዱ! ጠቅላላ ኦድ 12.5 ፣ ለመጀመሪያ ዲፖዚት 50% ቦነስ ፣ "
                              "አሁኑኑ ይመዝገቡ", {"Gambling"}),
    ("vip_tips", "VIP tips channel 📈 daily sure odds, 300 birr per month, join now", {"Gambling"}),
    ("ekub_draw", "ዕቁብ አለን ፤ በወር 3,000 ብር ፣ 10 አባላት ፣ ዕጣ በየወሩ ይወጣል ፤ 2 ቦታ ቀርቷል", set()),
    ("new_year_party", "New Year party at the Skylight lounge 🎉 DJ, dinner and drinks, entry 1,500 birr, "
                       "book your table now", set()),
    ("party_amharic", "የልደት ፓርቲ ዝግጅት እናዘጋጃለን ፤ ዲኮር ፣ ኬክ እና ፎቶ በአንድ ዋጋ", set()),
    ("umrah", "የዑምራ ጉዞ ምዝገባ ጀምረናል ፤ 14 ቀን ፣ ቪዛ ፣ ትኬት እና ሆቴል ተካቷል", {"Religious"}),
    ("interest_free_bank", "Interest-free savings accounts, Sharia compliant, now at all our branches",
     {"Religious"}),
    ("aviator_sunglasses", "Ray-Ban Aviator sunglasses, original, 6,500 birr, delivery available", set()),
    ("capital_city", "በመዲናችን አዲስ አበባ 5ኛ ቅርንጫፋችንን ከፍተናል ፤ ልብሶች በ 20% ቅናሽ", set()),
    ("politics_book", "New book: 'Politics of the Horn' 📚 launch on Saturday, tickets 300 birr, "
                      "register now", {"Politics"}),
]


@pytest.mark.parametrize(("kind", "text", "tags"), TAG_CASES,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(TAG_CASES)])
def test_tags_of_ads(kind: str, text: str, tags: set[str]) -> None:
    assert tags_of([text]) == [tags], kind


def test_english_and_latin_vertical_words() -> None:
    texts = ["2 bedroom apartment for rent, fully furnished, 30k per month",
             "Bet yishetal Ayat, 200 kare, karta alew",
             "Toyota Vitz 2014 for sale, automatic, 1.3M",
             "Samsung Galaxy S23 256gb for sale, 70k nego",
             "Vitamin D3 and omega 3 supplements 🌿 1,200 birr, delivered anywhere in Addis"]
    assert verticals_of(texts) == ["Real estate", "Real estate", "Automotive",
                                   "Computing products & consumer electronics",
                                   "Healthcare & pharma"]


def test_vertical_words_read_as_whole_words() -> None:
    # Kia (ኪያ) is inside መለኪያ ("a meter"), data (ዳታ) inside እርዳታ ("help"): a glucose meter
    # is no car and a first-aid box no data plan.
    texts = ["የስኳር መለኪያ ከነ ስትሪፑ 2,400 ብር ፤ ፋርማሲያችን ይምጡ",
             "የመጀመሪያ እርዳታ ሳጥን እና የፊት ማስክ በቅናሽ ዋጋ ፤ ፋርማሲያችን ውስጥ ያገኙታል",
             "ኪያ ሪዮ 2015 ሞዴል ይሸጣል"]
    assert verticals_of(texts) == ["Healthcare & pharma", "Healthcare & pharma", "Automotive"]


def test_round_files_read_their_columns_by_header(tmp_path: Path) -> None:
    # Round 8's file adds a tags column before source; several tags in one cell are split.
    path = tmp_path / "round.tsv"
    path.write_text("label\tvertical\ttags\tsource\ttext\n"
                    "Ad\tEntertainment\tGambling, Religious\tch1\tline one\\nline two\n"
                    "Non-Ad\t\t\tch2\tplain\twith a tab\n", encoding="utf-8")
    posts = round3_dev(path)
    assert [(p.label, p.vertical, p.tags, p.source, p.text) for p in posts] == [
        ("Ad", "Entertainment", ("Gambling", "Religious"), "ch1", "line one\nline two"),
        ("Non-Ad", "", (), "ch2", "plain\twith a tab")]
    dev = round3_dev(ROUND8_DEV_FILE)
    assert {t for p in dev for t in p.tags} == {"Gambling", "Politics", "Profanity", "Religious"}
    assert not any("\t" in p.text for p in dev)
    path.write_text("label\tcolour\ttext\nAd\tred\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns must be among"):
        round3_dev(path)


def test_round8_dev_tags_on_its_ads() -> None:
    # Written against (rules-v8's development half): every tag of its 93 ads right, none given
    # that the writer did not give (rules-v7: Gambling 1 right, 2 wrong, Religious 0 of 3).
    ads = [p for p in round3_dev(ROUND8_DEV_FILE) if p.label == "Ad"]
    got = tags_of([p.text for p in ads])
    wrong = [(p.tags, g, p.text[:60]) for p, g in zip(ads, got, strict=True)
             if g is not None and g != set(p.tags)]
    assert not wrong
    assert sum(bool(p.tags) for p in ads) == 5


def test_label_patterns_are_checked(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    gate = "gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {phone: 0.6}}\n"
    rules.write_text(gate + "patterns: {tags: {Gambling: ['ውርርድ[']}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"patterns\.tags\.Gambling: bad pattern"):
        load_rules(rules, taxonomy=load_taxonomy())
    rules.write_text(gate + "patterns: {tags: {Lottery: ['x']}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="has no label"):
        load_rules(rules, taxonomy=load_taxonomy())
    # A pattern counts as a keyword hit: a label with patterns and no keywords is predicted.
    rules.write_text(gate + "patterns: {tags: {Gambling: ['(?-u:\\b)bet(?-u:\\b)[^።]{0,20}bonus']}}\n",
                     encoding="utf-8")
    loaded = load_rules(rules, taxonomy=load_taxonomy())
    frame = rule_inputs(pl.DataFrame({"text": ["bet now bonus 0911223344", "bet lekiray 0911223344"]}),
                        CleaningConfig())
    preds = rule_predictions(frame, loaded, load_taxonomy(), cleaning=CleaningConfig())
    tags = preds.filter(pl.col("task") == "tags").sort("uid")["value"].to_list()
    assert tags == [["Gambling"], []]
