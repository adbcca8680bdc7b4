"""One owner of the Amharic text rules: the per-string forms agree with ingest's Polars forms.

The cleaned frames here come from the real parser and cleaner (a Telegram export written with
tests/exports.py, parsed by ``parse_export``, cleaned by ``clean_messages``), and each column is
compared with what the per-string function used by queries, briefs, checks and evaluation makes
of the same text.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.exports import export, message
from workbench.core.amharic import strings
from workbench.core.amharic.patterns import WHITESPACE
from workbench.core.amharic.prices import parse_price_amount
from workbench.core.config import CleaningConfig, ProjectConfig
from workbench.ingest.clean import clean_messages
from workbench.ingest.parse import parse_export

#: Strings that have broken one engine or the other: homophones of every kind, both ጸ/ፀ
#: series, Latin case beyond ASCII, whitespace Python splits on but Unicode does not (U+001C),
#: glued and over-long phones, prices in both notations (and ብርሃን, "brand" that are none),
#: links glued to Ge'ez or followed by punctuation, e-mails and URL paths that look like
#: mentions, keycaps that look like hashtags, ZWJ / skin-tone / flag / keycap emojis.
TRICKY = [
    "ሐሳብ ፀሐይ ጸሎት ሠርግ ዐይን ኀይል ጸጉር ፀጉር ABC Äpfel Ωmega İstanbul",
    "ዋጋ 1,500ብር። 2,500.50 ብር, ETB:300 Br. 40 ብርሃን 1500 brand 100 ብር 200 ብር 500 birr ETB 300",
    "ስልክ0911223344 / +251 (0) 911 22 33 44, 0911-22-33-44 and 09112233445566 or 0711 22 33 44",
    "t.me/shopይቀላቀሉ https://example.com/a#top?x=1). www.site.et, awww.x.com TELEGRAM.ME/Big",
    "በ@shop_et a@b.com @abc @this_handle_is_far_too_long_for_telegram_x medium.com/@user @Ok_Shop",
    "#ቅናሽ #️⃣ #sale_2024 ##double #ሽያጭ።",
    "👨\u200d👩\u200d👧 👍🏽 ❤️ 🇪🇹 1️⃣ ★ ► • \u200d ሰላም",
    "\x1c ጽሑፍ \u00a0\u2003 Text\u3000 \t\n\n መጨረሻ \u2028",
    "ከኋላ ከሗላ ልብሷ ልብሧ ጿ ፇ ሰ\u200bላ\u00adም «ጥቅስ» …",
    "ቤት ይከራያል፡፡ ዋጋ ድርድር አለ፡፡፡ ሰላም፡ ።",
    "",
    "    ",
]

CONFIGS = [
    CleaningConfig(),
    CleaningConfig(tsa_series_target="ጸ"),
    CleaningConfig(casefold_latin=False),
    CleaningConfig(unify_homophones=False, tsa_series_target="ጸ"),
    CleaningConfig(remove_links=False, remove_mentions=False, remove_emojis=False),
    CleaningConfig(remove_symbols=False, remove_hashtags=False),
    CleaningConfig(unify_labialised=True, tsa_series_target="ጸ"),
    CleaningConfig(unify_full_stop=False, unify_homophones=False, casefold_latin=False),
]


def ingested(texts: list[str], cfg: CleaningConfig) -> pl.DataFrame:
    """``cleaned/messages.parquet`` rows for ``texts``, made by the real parser and cleaner."""
    data = json.dumps(export([message(i + 1, t) for i, t in enumerate(texts)])).encode()
    parsed = parse_export(data, "t/result.json", "h").messages
    # The parser keeps every text as exported; the order is the messages' order.
    assert parsed.get_column("text").to_list() == texts
    return clean_messages(parsed, cfg)


@pytest.fixture(scope="module", params=range(len(CONFIGS)), ids=lambda i: f"cfg{i}")
def cleaned(request: pytest.FixtureRequest) -> tuple[CleaningConfig, pl.DataFrame]:
    cfg = CONFIGS[request.param]
    return cfg, ingested(TRICKY, cfg)


def test_extractions_agree(cleaned: tuple[CleaningConfig, pl.DataFrame]) -> None:
    _, frame = cleaned
    for row in frame.iter_rows(named=True):
        text = row["text"]
        assert strings.find_phones(text) == row["phones"], text
        assert strings.find_prices(text) == row["prices"], text
        assert strings.find_links(text) == row["links"], text
        assert strings.find_mentions(text) == row["mentions"], text
        assert strings.find_hashtags(text) == row["hashtags"], text
        assert strings.find_emojis(text) == row["emojis"], text
        assert strings.ethiopic_ratio(row["text_clean"]) == pytest.approx(row["ethiopic_ratio"])


def test_normalize_agrees_with_text_norm(cleaned: tuple[CleaningConfig, pl.DataFrame]) -> None:
    cfg, frame = cleaned
    for clean, norm in frame.select("text_clean", "text_norm").iter_rows():
        assert strings.normalize(clean, cfg) == norm, clean


def test_the_extractions_find_what_they_should() -> None:
    # The agreement tests cannot fail when both forms are wrong alike: pin the values.
    # Amount-first prices in order ("300 Br." is one: "Br." follows 300), then currency-first.
    assert strings.find_prices(TRICKY[1]) == [1500.0, 2500.5, 300.0, 100.0, 200.0, 500.0, 40.0,
                                              300.0]
    phrases = strings.find_price_phrases(TRICKY[1])
    assert phrases[:4] == ["1,500ብር", "2,500.50 ብር", "300 Br", "100 ብር"]
    assert phrases[-1] == "ETB 300"
    assert [parse_price_amount(p) for p in phrases] == strings.find_prices(TRICKY[1])
    assert strings.find_phones(TRICKY[2]) == ["+251911223344", "+251711223344"]
    assert strings.find_links(TRICKY[3]) == ["t.me/shop", "https://example.com/a#top?x=1",
                                             "www.site.et", "TELEGRAM.ME/Big"]
    assert strings.find_mentions(TRICKY[4]) == ["shop_et", "Ok_Shop"]
    assert strings.find_hashtags(TRICKY[5]) == ["ቅናሽ", "sale_2024", "double", "ሽያጭ"]
    assert strings.find_emojis(TRICKY[6])[:4] == ["👨\u200d👩\u200d👧", "👍🏽", "❤️", "🇪🇹"]
    assert strings.normalize(TRICKY[7], CleaningConfig()) == "\x1c ፅሁፍ text መጨረሻ"


def test_replacements_keep_the_neighbour() -> None:
    assert strings.replace_phones("ስልክ፦0911 22 33 44።", "+251900000000") == "ስልክ፦+251900000000።"
    assert strings.replace_mentions("በ@oldshop ይጻፉ", "@new") == "በ@new ይጻፉ"
    assert strings.replace_links("ይቀላቀሉ t.me/old።", "t.me/$new") == "ይቀላቀሉ t.me/$new።"
    assert strings.is_link("https://t.me/shop")
    assert not strings.is_link("t.me/shop ይቀላቀሉ")


def test_whitespace_set_is_the_engines_backslash_s() -> None:
    chars = [chr(c) for c in range(0x3001)]
    spaces = pl.Series(chars).str.contains(r"^\s$").to_list()
    assert [c for c, is_space in zip(chars, spaces, strict=True) if is_space] == list(WHITESPACE)


@pytest.mark.parametrize("tsa", ["ፀ", "ጸ"])
def test_a_non_default_tsa_target_reaches_queries_and_evaluation(tsa: str) -> None:
    """A project's ጸ/ፀ choice gives the same text from ingest as from query and eval paths."""
    from workbench.evaluation.run import _normalizer
    from workbench.evaluation.suite import Suite

    cfg = ProjectConfig.model_validate({"cleaning": {"tsa_series_target": tsa}})
    texts = ["ፀሐይ ጸሎት ቤት", "ጸጉር ቤት ለኪራይ ፀጥ ያለ", "Addis ፀሀይ SHOP"]
    text_norm = ingested(texts, cfg.cleaning).get_column("text_norm").to_list()
    assert all(("ጸ" if tsa == "ፀ" else "ፀ") not in t for t in text_norm)
    suite = Suite.model_validate({"name": "t", "systems": ["template"],
                                  "tasks": [{"name": "brief_to_ad", "metrics": ["chrf"]}]})
    scoring = _normalizer(suite, cfg)
    assert [scoring(t) for t in texts] == text_norm
    assert [strings.normalize(t, cfg.cleaning) for t in texts] == text_norm


# --- price expressions (multipliers, per area, negotiable) ---------------------------------------

def test_scaled_amounts_polars_and_string_forms_agree() -> None:
    import polars as pl

    from workbench.core.amharic.exprs import extract_scaled_amounts
    from workbench.core.amharic.prices import parse_scaled_amount
    from workbench.core.amharic.strings import find_scaled_amounts

    cases = {
        "ዋጋ 2.5 ሚሊዮን": [2_500_000.0],
        "850ሺ ብር እና 3 Million": [850_000.0, 3_000_000.0],
        "1.2-1.5 ሚሊየን ብር": [1_200_000.0],  # a range reads as its low end
        "900k, 1,200 ሺህ።": [900_000.0, 1_200_000.0],
        "5 ሺዎች ሰዎች ተገኙ": [],  # "thousands of people": the word does not end at ሺ
        "500 ሚሊ ውሃ 5m ገመድ": [],  # millilitres and metres are sizes
    }
    frame = pl.DataFrame({"t": list(cases)}).select(a=extract_scaled_amounts(pl.col("t")))
    assert frame["a"].to_list() == list(cases.values())
    for text, want in cases.items():
        assert find_scaled_amounts(text) == want
    assert parse_scaled_amount("4.5 ሚሊዮን") == 4_500_000.0
    assert parse_scaled_amount("4.5") is None


def test_prices_with_a_multiplier_word_are_priced_in_full() -> None:
    # Found on a walkthrough: "ዋጋ 12 ሚሊዮን ብር" had no price at all (the currency does not follow
    # the amount directly), and "ብር 2.5 ሚሊዮን" was a price of 2.5 birr.


    cases = {
        "ዋጋ 12 ሚሊዮን ብር ድርድር አለው": [12_000_000.0],
        "850 ሺ ብር፣ 4.1 ሚሊየን birr": [850_000.0, 4_100_000.0],
        "ዋጋ ብር 2.5 ሚሊዮን": [2_500_000.0],
        "ETB 3 million, 900k ETB": [900_000.0, 3_000_000.0],  # amount-first, then currency-first
        "1.2-1.5 ሚሊዮን ብር": [1_500_000.0],  # only the amount before the currency is its price
        "ETB 300 kids, 1,500 ብር": [1_500.0, 300.0],  # "k" must end its word
        "500 ብር 20 ሺዎች ሰዎች": [500.0],
    }
    _assert_prices(cases)
    assert strings.find_price_phrases("ዋጋ 12 ሚሊዮን ብር ድርድር") == ["12 ሚሊዮን ብር"]
    assert strings.find_price_phrases("ዋጋ ብር 2.5 ሚሊዮን።") == ["ብር 2.5 ሚሊዮን"]


def test_per_area_and_negotiable_patterns() -> None:
    import polars as pl

    from workbench.core.amharic.prices import NEGOTIABLE_PATTERN, PER_AREA_PATTERN

    def hits(pattern: str, texts: list[str]) -> list[bool]:
        return pl.DataFrame({"t": texts}).select(pl.col("t").str.contains(pattern))["t"].to_list()

    assert hits(PER_AREA_PATTERN, ["በካሬ 85,000 ብር", "200 ካሬ ላይ ያረፈ", "85 m2 flat", "price per sqm",
                                   "300 ካሬ ኪ.ሜ ስፋት", "ካሬ ብቻ"]) == [True, True, True, True, False, False]
    assert hits(NEGOTIABLE_PATTERN, ["ዋጋ ድርድር አለው", "ዋጋው በድርድር", "price negotiable",
                                     "የግድቡ ድርድር ተጀመረ"]) == [True, True, True, False]


def test_prices_as_amharic_posts_write_them() -> None:
    """Measured on real Amharic posts: spoken decimals and added terms were misread.

    "5 ነጥብ 5 ቢሊየን ብር" (5.5 billion) read 5 billion, "1 ነጥብ 2 ቢሊየን ብር" read 2 billion, and
    "1ሺ 258 ብር" (1,258) read 258; "12 000 ብር" read 0 and "2.5M ብር" was no price.
    """


    cases = {
        "ገቢ 5 ነጥብ 5 ቢሊየን ብር ሰበሰበ": [5_500_000_000.0],
        "በ1 ነጥብ 2 ቢሊየን ብር የሚካሄዱ": [1_200_000_000.0],
        "ዝቅተኛ ክፍያ 1ሺ 258 ብር ሲሆን": [1_258.0],
        "ዋጋ 2 ሚሊዮን 500 ሺ ብር፤ ብር 3 ሚሊዮን እና 200 ሺ": [2_500_000.0, 3_200_000.0],
        "ዋጋ 12 000 ብር፣ ETB 1 500 000።": [12_000.0, 1_500_000.0],
        "ዋጋ 2.5M ብር 5m ገመድ": [2_500_000.0],  # a capital M is million, a small m metres
        # The spaced groups of a phone number before a price are not part of its amount.
        "ስልክ 0911 223 344 500 ብር": [500.0],
        "+251 911 223 344 500 ብር፤ 100 ብር 1 500 000 000 ብር": [500.0, 100.0, 1_500_000_000.0],
        "ETB 300 2 pcs": [300.0],
        # A phone number after a payment service's name is how to pay, not a price.
        "በCBE Birr 0911223344 ይክፈሉ፤ ዋጋ 0.5 ሚሊዮን ብር": [500_000.0],
        "ከ100ሺ እስከ 400 ሺ ብር": [400_000.0],  # "until" ends a sum: the range's last price
    }
    _assert_prices(cases)
    assert strings.find_price_phrases("ገቢ 5 ነጥብ 5 ቢሊየን ብር ሰበሰበ") == ["5 ነጥብ 5 ቢሊየን ብር"]
    assert strings.find_price_phrases("ክፍያ 1ሺ 258 ብር።") == ["1ሺ 258 ብር"]
    assert strings.find_price_phrases("ስልክ 0911 223 344 500 ብር") == ["500 ብር"]


def test_phone_numbers_as_ads_write_them() -> None:
    """A parenthesised prefix, an en dash, a dash between spaces or two spaces hid a number."""
    import polars as pl

    from workbench.core.amharic.exprs import extract_phones

    cases = {
        "ይደውሉ (0911) 22 33 44": ["+251911223344"],
        "ቢሮ (011) 551 2345፣ +251 (911) 22 33 44": ["+251115512345", "+251911223344"],
        "0911–223344 ወይም 0711 - 22 33 44": ["+251911223344", "+251711223344"],
        "ስልክ፦ 0911  22 33 44": ["+251911223344"],
        # Still not phones: two numbers side by side, a number too long, scores and years.
        "0911223344/0922334455": ["+251911223344", "+251922334455"],
        "0911 223 3445 ውጤት 0 - 1 (2 - 3) 2015 - 2016": [],
    }
    frame = pl.DataFrame({"t": list(cases)}).select(p=extract_phones(pl.col("t")))
    assert frame["p"].to_list() == list(cases.values())
    for text, want in cases.items():
        assert strings.find_phones(text) == want, text
    assert strings.replace_phones("ስልክ፦0911 - 22 33 44።", "0922000000") == "ስልክ፦0922000000።"


def _assert_prices(cases: dict[str, list[float]]) -> None:
    """Each text's prices, read alike by the Polars expression, the string reader and the phrases."""
    import polars as pl

    from workbench.core.amharic.exprs import extract_prices

    frame = pl.DataFrame({"t": list(cases)}).select(p=extract_prices(pl.col("t")))
    assert frame["p"].to_list() == list(cases.values())
    for text, want in cases.items():
        assert strings.find_prices(text) == want, text
        phrases = strings.find_price_phrases(text)
        assert [parse_price_amount(p) for p in phrases] == want, text
