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
    ROUND4_DEV_FILE,
    ROUND4_HELDOUT_FILE,
    ROUND5_DEV_FILE,
    ROUND5_HELDOUT_FILE,
    ROUND6_FILE,
    ROUND7_FILE,
    ROUND8_DEV_FILE,
    ROUND8_HELDOUT_FILE,
    ROUND9_DEV_FILE,
    ROUND9_HELDOUT_FILE,
    ROUND10_FILE,
    ROUND11_FILE,
    STRUCTURE_ADS_BY_KIND,
    STRUCTURE_NON_ADS_BY_KIND,
    round3_dev,
)
from tests.rules_helpers import gate_of, signals_of, verticals_of
from workbench.core.config import CleaningConfig
from workbench.core.errors import ConfigError
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import (
    load_rules,
    rule_inputs,
    rule_predictions,
)


@pytest.mark.parametrize(("kind", "text"), ADS_WITHOUT_PHONE_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(ADS_WITHOUT_PHONE_BY_KIND)])
def test_ads_without_phone_are_ads(kind: str, text: str) -> None:
    assert "+251" not in text
    assert "09" not in text
    assert gate_of([text]) == ["Ad"], kind


def test_news_quoting_prices_is_not_an_ad() -> None:
    assert gate_of(NEWS_WITH_PRICES) == ["Non-Ad"] * len(NEWS_WITH_PRICES)


def test_news_language_holds_back_a_sale_word() -> None:
    # The same sale sentence passes alone and is held back by reporting language.
    ad = "አያት አካባቢ ኮንዶሚኒየም ቤት ይሸጣል"
    news = ad + " ሲሉ ሚኒስቴሩ ገልፀዋል"
    assert gate_of([ad, news]) == ["Ad", "Non-Ad"]


def test_verticals_of_the_new_labels() -> None:
    tax = load_taxonomy()
    rules = load_rules(taxonomy=tax)
    texts = ["ቦሌ ባለ 2 መኝታ አፓርትመንት ለኪራይ", "የግራፊክስ ዲዛይን ስልጠና ምዝገባ ጀምረናል ይመዝገቡ",
             "የጥበቃ እና የፅዳት ሰራተኞችን እናቀርባለን፤ ኤጀንሲያችን ህጋዊ ፍቃድ አለው",
             "የፅዳት አገልግሎት፤ ቢሮ እና ቤት እናፀዳለን", "ለሽያጭ የቀረበ"]
    frame = rule_inputs(pl.DataFrame({"text": texts}), CleaningConfig())
    preds = rule_predictions(frame, rules, tax, cleaning=CleaningConfig())
    vertical = preds.filter(pl.col("task") == "vertical").sort(pl.col("uid").cast(pl.Int64))
    assert [v[0] for v in vertical["value"].to_list()] == [
        "Real estate", "Education & training", "Other", "Other", "Other"]
    # A placement agency and a cleaning service are Other by its own words (a keyword score); an ad with no
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
    assert gate_of(["ፀጉርና ቤት", "ፀጉር ቤት"], rules) == ["Ad", "Non-Ad"]


@pytest.mark.parametrize(("kind", "text"), STRUCTURE_ADS_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_ADS_BY_KIND)])
def test_ads_by_structure_alone_are_ads(kind: str, text: str) -> None:
    # A listing with only field lines, an arrival with a price, a rent verb with an area, a model
    # year, a service that comes to the customer: no phone, and no sale keyword needed.
    assert "+251" not in text
    assert "09" not in text
    assert gate_of([text]) == ["Ad"], kind


@pytest.mark.parametrize(("kind", "text"), STRUCTURE_NON_ADS_BY_KIND,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(STRUCTURE_NON_ADS_BY_KIND)])
def test_look_alikes_of_those_structures_are_not_ads(kind: str, text: str) -> None:
    # A news report with a bulleted price list, a tweet quoting a rent, football results in dash
    # lines, people who "have arrived": shaped like the ads above, not ads.
    assert gate_of([text]) == ["Non-Ad"], kind



def test_listing_layout_counts_lines_of_the_post_as_written() -> None:
    # Three "field: value" lines make a listing; the same fields on one line (what text_norm
    # holds, line breaks collapsed) or only two such lines do not.
    three = "ብራንድ: ሊፋን\nቀለም: ጥቁር\nሞተር: 1500"
    fired = signals_of([three, three.replace("\n", " "), "ብራንድ: ሊፋን\nቀለም: ጥቁር"])
    assert ["listing_layout" in f for f in fired] == [True, False, False]
    # Windows line breaks count alike; a football score ("ቡና 2 - 1 ፋሲል") is no field line.
    assert "listing_layout" in signals_of([three.replace("\n", "\r\n")])[0]
    scores = "ቡና 2 - 1 ፋሲል\nጊዮርጊስ 0 - 0 ባህር ዳር\nአዳማ 1 - 3 ሀዋሳ"
    assert "listing_layout" not in signals_of([scores])[0]


def test_verb_forms_across_prefixes_and_suffixes() -> None:
    # One root, many forms: the rent root in relative, third person, first person plural and
    # polite "for you" forms; not the noun of "rent-seeking" or "my landlord".
    rent = ["የሚከራይ ቤት", "ቤቱ ይከራያል", "አዳራሽ እናከራያለን", "እናከራይልዎታለን"]
    assert all("sale_rent" in f for f in signals_of(rent))
    assert not any("sale_rent" in f for f in signals_of(["ኪራይ ሰብሳቢነት", "የኔ ቤት አከራይ"]))
    # Offering verbs in the first person plural ("we prepare", "we teach", "we repair").
    offers = ["ምግብ እናዘጋጃለን", "እንግሊዝኛ እናስተምራለን", "ስልክ እንጠግናለን"]
    assert all("offer" in f for f in signals_of(offers))


def test_signal_long_form_min_count_and_per_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {bullets: 0.6},\n"
        "       signals: {bullets: {patterns: ['^- '], min_count: 2, per_line: true}}}\n",
        encoding="utf-8")
    assert gate_of(["- a\n- b", "- a", "x - a - b"], rules) == ["Ad", "Non-Ad", "Non-Ad"]
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
    assert sum(v == "Ad" for v in gate_of(ads)) >= 0.8 * len(ads)
    assert sum(v == "Ad" for v in gate_of(non_ads)) <= 2


#: rules-v5's kinds of non-ads that carry an ad's evidence (a salary is a price, "apply" is a
#: contact line, a member's wish list is a listing). Written for these tests.
NON_ADS_WITH_AD_EVIDENCE = [
    ("vacancy", "የስራ ማስታወቂያ\nየስራ መደብ፦ ሹፌር\nደመወዝ፦ 12,000 ብር\nአመልካቾች በአካል ይቅረቡ፤ ስልክ 0911 22 33 44"),
    ("vacancy", "We are hiring!\nPosition: Cashier\nSalary: 8,000 ETB\nSend your CV to @hr_desk"),
    ("vacancy", "ተፈላጊ የሱቅ ሰራተኛ\nደመወዝ በወር 6,000 ብር\nቦታ፦ መርካቶ\nይደውሉ 0922 11 22 33"),
    ("vacancy", "ልምድ ያለው ሹፌር ይፈለጋል፤ ደመወዝ በስምምነት፤ ቦታ ቃሊቲ፤ 0933 44 55 66 ይደውሉ"),
    ("member_asks", "ላፕቶፕ ልገዛ ነው፤ በጀቴ 40 ሺ ብር ነው። HP ወይስ Dell ይሻላል? አማክሩኝ"),
    ("member_asks", "ሰላም ቤተሰብ፣ ጥሩ የጥርስ ክሊኒክ የት ነው ማግኘት የምችለው? በካርድ ክፍያ 500 ብር ቢሆን"),
    ("member_asks", "ባለ 2 መኝታ ኮንዶሚኒየም እፈልጋለሁ\nጀሞ ወይም አያት\nእስከ 18,000 ብር በወር\nየምታውቁ ጠቁሙኝ"),
    ("member_asks", "ሲኤምሲ አካባቢ የሚከራይ ስቱዲዮ ካለ በውስጥ መስመር አሳውቁኝ፤ እስከ 12,000 ብር"),
    ("member_asks", "ጥሩ የመኪና ጋራዥ የሚያሳየኝ ሰው አለ? ቶዮታ ያሪስ ሞተሩ ይጮሃል፤ 0944 55 66 77"),
    ("vacancy", "Now hiring: Graphic Designer\nExperience: 2 years\nSalary: 25,000 ETB\nApply via @studio_hr"),
    ("lost", "ቦርሳ ጠፍቷል 🙏\nመገናኛ አካባቢ ታክሲ ውስጥ፤ መታወቂያ እና ሰነዶች አሉበት\nያገኛችሁ 0911 99 88 77 ደውሉልን"),
    ("closure", "ማሳሰቢያ ለደንበኞቻችን\nበጥገና ምክንያት ቅርንጫፋችን እሁድ ዝግ ይሆናል\nለበለጠ መረጃ 0115 55 44 33"),
    ("public_notice", "ህብረተሰቡ ከነገ ጀምሮ በአቅራቢያው ባሉ ጣቢያዎች እንዲከተብ ጥሪ ቀርቧል፤ ክትባቱ በነፃ ነው፤ አሁኑኑ ይመዝገቡ"),
    ("group_rules", "📌 የቻናሉ ህጎች\n1. ያለ ፈቃድ የሽያጭ ፖስት ክልክል ነው\n2. ስድብ አይፈቀድም\n3. ህጉን የጣሰ ይወገዳል"),
    ("appeal", "የእርዳታ ጥሪ 🙏\nለእናታችን የኩላሊት ህክምና 800 ሺ ብር ያስፈልጋል\nየባንክ ሂሳብ፦ 1000 1234 5678\nአግዙ"),
    ("lottery_results", "የእንቁጣጣሽ ሎተሪ ዕጣ ወጣ፤ አንደኛ ዕጣ 5 ሚሊዮን ብር ያሸነፈው ቁጥር 0123456 ነው"),
    ("price_reported", "ሲሚንቶ በኩንታል 1,900 ብር ሆኗል፤ ቤት መስራት ህልም ሆነ"),
    ("price_report_list", "⛽️ የዛሬ የነዳጅ ዋጋ\nቤንዚን — 112.67 ብር\nናፍጣ — 109.45 ብር\nኬሮሲን — 109.45 ብር"),
]

#: Ads of the kinds rules-v5 reads: a recruitment service selling itself, a show asking to be
#: watched or heard, where to buy, an app or account to open, a rate per hour, an entry fee, a
#: private landlord speaking in the first person, a listing with one "no brokers" line, a price
#: list in dotted lines, a business's opening hours beside a quality claim.
ADS_OF_NEW_KINDS = [
    ("recruiter", "የስራ ፈላጊዎችን ከቀጣሪ ድርጅቶች ጋር እናገናኛለን፤ ምዝገባ በነፃ"),
    ("job_channel", "ትኩስ የስራ ማስታወቂያዎችን በየቀኑ እናደርሳለን፤ ቻናሉን ይቀላቀሉ"),
    ("media_call", "የፖድካስታችን ክፍል 12 ወጥቷል፤ በSpotify ያድምጡ"),
    ("where_to_buy", "አዲሱ የገብስ ዱቄታችን በአቅራቢያዎ ባሉ ሱቆች ያገኙታል"),
    ("app_imperative", "ቁጠባ ቀላል ሆነ! አሁኑኑ አፑን ያውርዱ እና ሂሳብ ይክፈቱ"),
    ("hourly_price", "የመዋኛ ገንዳ በሰዓት 150 ብር፤ ቅዳሜና እሁድ ክፍት ነን"),
    ("entry_fee", "የልጆች የስዕል ውድድር፤ መግቢያ ለተወዳዳሪዎች 100 ብር"),
    ("landlord_first_person", "ቤቴን ማከራየት እፈልጋለሁ፤ ባለ 2 መኝታ ለኪራይ፤ ፍላጎት ያላችሁ አውሩኝ"),
    ("price_list", "የሴቶች ጫማ 👠\nሳንዳል ... 1,200 ብር\nቦት ጫማ ... 2,900 ብር\nስኒከር ... 3,400 ብር"),
    ("course_fields", "የኮምፒውተር ስልጠና ለ3 ወር\nየትምህርት ደረጃ፦ 10ኛ ክፍል ያጠናቀቁ\nየመመዝገቢያ ጊዜ፦ እስከ ጥር 30\nምዝገባ ተጀምሯል"),
    ("opening_hours", "የጥርስ ህክምና ልምድ ባላቸው ባለሙያዎች፤ ሰኞ - ቅዳሜ ክፍት ነን"),
    ("tenant_wanted", "ለሱቅ የሚሆን ቤት ተከራይ ይፈለጋል፤ መርካቶ፤ 40 ካሬ"),
    ("landlord_wants_tenant", "ተከራይ እፈልጋለሁ፤ ባለ 2 መኝታ ኮንዶሚኒየም አያት፤ በወር 14,000 ብር"),
    ("one_prohibition", "ባለ 1 መኝታ ቤት ለኪራይ\nበወር 9,000 ብር\nደላላ አይፈቀድም"),
]


@pytest.mark.parametrize(("kind", "text"), NON_ADS_WITH_AD_EVIDENCE,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(NON_ADS_WITH_AD_EVIDENCE)])
def test_non_ads_that_carry_ad_evidence_are_not_ads(kind: str, text: str) -> None:
    # A vacancy, a member asking the group, a group's rules, an appeal, lottery results, a price
    # reported as having risen: each has a price, a contact line or a listing's layout. The
    # signals' evidence against keeps each of them out.
    assert gate_of([text], signals_only=True) == ["Non-Ad"], kind


def test_the_learned_part_lets_few_of_them_through() -> None:
    """The learned part reads ad-likeness, not reporting or asking: with it, the lost bag with
    a phone and "call us" and the shop's closure notice (both within 0.06 of the threshold on
    the signals alone) read Ad, the other 16 do not (rules-v7, measured). A floor on the trade
    it makes for +4.7 points of ads on a blind round (README)."""
    texts = [text for _, text in NON_ADS_WITH_AD_EVIDENCE]
    marked = [kind for (kind, _), got in zip(NON_ADS_WITH_AD_EVIDENCE, gate_of(texts), strict=True)
              if got == "Ad"]
    assert len(marked) <= 2, marked


@pytest.mark.parametrize(("kind", "text"), ADS_OF_NEW_KINDS,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(ADS_OF_NEW_KINDS)])
def test_ads_of_the_kinds_rules_v5_reads_are_ads(kind: str, text: str) -> None:
    assert gate_of([text]) == ["Ad"], kind


def test_a_vacancy_vetoes_the_same_words_a_recruiter_sells_with() -> None:
    # The recruiter's evidence passes alone; a salary line and an application line make the same
    # post a vacancy (Non-Ad, one policy with the guidelines and the taxonomy).
    ad = "የጥበቃ ሰራተኞችን ለድርጅቶች እናቀርባለን"
    vacancy = ad + "\nደመወዝ፦ 7,000 ብር\nአመልካቾች ሲቪ ይላኩ"
    assert gate_of([ad, vacancy]) == ["Ad", "Non-Ad"]
    fired = signals_of([vacancy])[0]
    assert {"recruiter", "vacancy"} <= fired


def test_sale_words_in_the_genitive_are_not_an_offer() -> None:
    # የሽያጭ ("of sales": a salesperson, a group's "sale posts") names selling; ለሽያጭ offers it.
    fired = signals_of(["የሽያጭ ሰራተኛ", "የሽያጭ ፖስቶች በሳምንት አንድ ጊዜ", "መኪና ለሽያጭ", "የአክሲዮን ሽያጭ ተጀምሯል"])
    assert ["sale_rent" in f for f in fired] == [False, False, True, True]



def test_a_paid_post_marker_lifts_the_damping_of_news_language(tmp_path: Path) -> None:
    # rules-v9: "#ማስታወቂያ", "Sponsored" or ስፖንሰርድ heading a post is the channel saying it is
    # an ad; the word ማስታወቂያ alone also heads notices and vacancies ("የስራ ማስታወቂያ").
    fired = signals_of(["#ማስታወቂያ\nአዲሱ ፋብሪካ ስራ ጀመረ", "Sponsored | Admissions open",
                        "ስፖንሰርድ ✨ ዲጂታል ብድር", "የስራ ማስታወቂያ፦ መምህራን እንፈልጋለን",
                        "The match was sponsored by a bank"])
    assert ["paid_marker" in f for f in fired] == [True, True, True, False, False]
    rules = tmp_path / "rules.yaml"
    gate = ("gate: {task: is_ad, positive: Ad, negative: Non-Ad, weights: {paid: 0.6},\n"
            "       against: {news: 0.6}, signals: {paid: ['ስፖንሰርድ'], news: ['አስታወቀ']}%s}\n")
    texts = ["ስፖንሰርድ: ባንኩ አዲስ አገልግሎት አስታወቀ", "ባንኩ አዲስ አገልግሎት አስታወቀ"]
    rules.write_text(gate % "", encoding="utf-8")
    assert gate_of(texts, rules) == ["Non-Ad", "Non-Ad"]
    rules.write_text(gate % ", overrides: [paid]", encoding="utf-8")
    assert gate_of(texts, rules) == ["Ad", "Non-Ad"]
    rules.write_text(gate % ", overrides: [sponsored]", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown signal"):
        load_rules(rules, taxonomy=load_taxonomy())


def test_vertical_words_do_not_match_inside_other_words() -> None:
    # Honey (ማር) is inside ሱፐርማርኬት and በአማርኛ; a tour (ቱር) inside ቱርክ; a plural stem changes
    # its last letter (ልብስ, ልብሶች).
    texts = ["የሱፐርማርኬታችን የሳምንቱ ቅናሽ፤ ልብሶች እና ጫማዎች ለሽያጭ",
             "የኤክሴል ኮርስ በአማርኛ፤ ምዝገባ ተጀምሯል ይመዝገቡ",
             "ከቱርክ የመጡ ካርፔቶች ለሽያጭ",
             "የህፃናት ልብሶች ለሽያጭ"]
    assert verticals_of(texts) == ["Retail", "Education & training", "Retail", "Retail"]


@pytest.mark.parametrize(("path", "sizes", "min_ads", "max_non_ads", "min_verticals"), [
    # rules-v5 was written against round 4's development half (README): a floor that shows a
    # rule change losing what was reached, not a blind figure.
    (ROUND4_DEV_FILE, (83, 47), 83, 0, 82),
    # The held-out half, measured once on the frozen rules-v5: a floor, not a target to tune to.
    # rules-v6 reads 80 and 1 (as v5) and 71 verticals; rules-v9 83, 1 and 73.
    (ROUND4_HELDOUT_FILE, (83, 47), 83, 1, 73),
    # rules-v6 was written against round 5's development half (a third writer, split by
    # channel): 105 of 113 ads, 0 of 31 non-ads, 99 verticals (rules-v5: 84, 0, 63).
    (ROUND5_DEV_FILE, (113, 31), 105, 0, 99),
    # Its other channels, measured once on the frozen rules-v6: a floor, not a target.
    (ROUND5_HELDOUT_FILE, (109, 38), 86, 2, 65),
    # Round 6, measured once, whole, on rules-v7 (146b0e4): 145 of 171, 1 of 70, 104 verticals;
    # rules-v9 reads 148, 0, 111.
    (ROUND6_FILE, (171, 70), 148, 0, 111),
    # Round 7, measured once, whole, on rules-v7 (754f182): 219 of 233, 2 of 47, 170 verticals;
    # rules-v9 reads 222, 1, 179.
    (ROUND7_FILE, (233, 47), 222, 1, 179),
    # rules-v8 was written against round 8's development half (a sixth writer, split by channel;
    # English and Latin-typed posts): 91 of 93 ads, 0 of 47 non-ads, 84 verticals (rules-v7: 84,
    # 4, 63). A floor, not a blind figure.
    (ROUND8_DEV_FILE, (93, 47), 91, 0, 84),
    # Its other channels, measured once on the frozen rules-v8 (32a9b73): 111 of 125 ads, 2 of
    # 39 non-ads, 90 verticals (rules-v7: 109, 2, 79). rules-v9 was written against it and its
    # learned part fitted on it (with rounds 9 and 10): 118, 0, 95, not blind figures.
    (ROUND8_HELDOUT_FILE, (125, 39), 118, 0, 95),
    # Round 9, news channels with sponsored posts, measured once, whole, on rules-v8 (66001fc):
    # 72 of 82 ads, 25 of 259 news posts (rules-v7: 72, 32), 58 verticals on the writer's
    # labels. Ten posts of news channels promoting their own pages, labeled Non-Ad by the writer,
    # are Ad (Media) by the guidelines and by two independent annotators, and were corrected:
    # on those labels rules-v8 reads 78 of 92 ads and 19 of 249 news posts (42, 14, 30 verticals
    # and 36, 5, 32 by half). rules-v9 was written against both halves, its learned part fitted
    # on them: 47, 4, 34 and 39, 0, 35 below, not blind figures.
    (ROUND9_DEV_FILE, (50, 141), 47, 4, 34),
    (ROUND9_HELDOUT_FILE, (42, 108), 39, 0, 35),
    # Round 10, business channels' histories (their non-offer posts beside the offers), measured
    # once, whole, on rules-v8 (ec0958f): 158 of 178 ads, 4 of 129 non-ads, 123 verticals.
    # rules-v9 was written against it, its learned part fitted on it: 173, 0, 135, not blind.
    (ROUND10_FILE, (178, 129), 173, 0, 135),
    # Round 11, a labeling batch from 40 channels and groups, measured once, whole, on the
    # rules-v9 freeze (215f2fd): 99 of 104 ads, 5 of 196 non-ads, 75 verticals (rules-v8: 94, 9,
    # 70). A floor, not a target to tune to.
    (ROUND11_FILE, (104, 196), 99, 5, 75),
], ids=["round4-dev", "round4-held-out", "round5-dev", "round5-held-out", "round6", "round7",
        "round8-dev", "round8-held-out", "round9-dev", "round9-held-out", "round10",
        "round11"])
def test_labeled_rounds_keep_the_level_the_rules_reached(path: Path, sizes: tuple[int, int], min_ads: int,
                                                         max_non_ads: int, min_verticals: int) -> None:
    posts = round3_dev(path)
    ads = [p for p in posts if p.label == "Ad"]
    non_ads = [p.text for p in posts if p.label == "Non-Ad"]
    assert (len(ads), len(non_ads)) == sizes
    assert sum(v == "Ad" for v in gate_of([p.text for p in ads])) >= min_ads
    assert sum(v == "Ad" for v in gate_of(non_ads)) <= max_non_ads
    verticals = verticals_of([p.text for p in ads])
    assert sum(got == p.vertical for got, p in zip(verticals, ads, strict=True)) >= min_verticals


def test_asking_is_a_member_wanting_not_a_seller_wanting_to_sell() -> None:
    # "I want X" with a noun is a member asking; "I want to sell / let" (an infinitive, with or
    # without ለ) and "I want a buyer" are a seller speaking.
    fired = signals_of(["ላፕቶፕ እፈልጋለሁ", "ሶፋዬን ለመሸጥ እፈልጋለሁ", "ቤቴን መሸጥ እፈልጋለሁ", "ገዢ እፈልጋለሁ"])
    assert ["asking" in f for f in fired] == [True, False, False, False]


def test_two_wordspaces_for_the_full_stop_change_no_answer() -> None:
    # Many people type "፡፡" for "።"; text_norm reads both alike, so a rule's sentence bound
    # ([^።]) and the learned part see the same post either way.
    texts = [p.text for f in (ROUND6_FILE, ROUND7_FILE) for p in round3_dev(f) if "።" in p.text]
    assert len(texts) >= 60
    typed = [t.replace("።", "፡፡") for t in texts]
    assert signals_of(typed) == signals_of(texts)
    assert gate_of(typed) == gate_of(texts)
    assert verticals_of(typed) == verticals_of(texts)
