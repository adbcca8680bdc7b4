"""The cleaned stage: Ge'ez homophones, extraction of ad items, display/normalized text, switches."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from workbench.core.amharic.patterns import (
    ETHIOPIC_PUNCTUATION,
    ORDERS,
    homophone_table,
    is_ethiopic,
    latin_lowercase_table,
    normalize_phone,
)
from workbench.core.amharic.prices import parse_price_amount
from workbench.core.amharic.strings import normalize
from workbench.core.config import CleaningConfig
from workbench.core.errors import DataContractError
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA
from workbench.ingest.clean import clean_messages

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def parsed(*texts: str, channel_id: int = 100, **columns: list[Any]) -> pl.DataFrame:
    """A PARSED_SCHEMA frame with one message per text; ``columns`` override whole columns."""
    n = len(texts)
    data: dict[str, list[Any]] = {
        "uid": [f"{channel_id}:{i + 1}" for i in range(n)],
        "channel_id": [channel_id] * n,
        "channel_name": ["Test Channel"] * n,
        "channel_type": ["public_channel"] * n,
        "message_id": list(range(1, n + 1)),
        "date": [T0 + timedelta(minutes=i) for i in range(n)],
        "edited": [None] * n,
        "sender": ["Test Channel"] * n,
        "sender_id": ["channel100"] * n,
        "author": [None] * n,
        "forwarded_from": [None] * n,
        "reply_to": [None] * n,
        "media_type": [None] * n,
        "text": list(texts),
        "entities": [[] for _ in range(n)],
        "source": ["t/result.json"] * n,
        "source_sha256": ["abc"] * n,
    }
    data.update(columns)
    return pl.DataFrame(data, schema=PARSED_SCHEMA)


def clean_one(text: str, cfg: CleaningConfig | None = None, **columns: list[Any]) -> dict[str, Any]:
    return clean_messages(parsed(text, **columns), cfg or CleaningConfig()).row(0, named=True)


# --- homophones ---------------------------------------------------------------------------------

VOWELS = ["A", "U", "I", "AA", "EE", "E", "O"]

# (source consonant, target consonant) as they appear in Unicode character names.
SERIES_NAMES = [
    ("HH", "H", 0x1210, 0x1200),
    ("X", "H", 0x1280, 0x1200),
    ("SZ", "S", 0x1220, 0x1230),
    ("PHARYNGEAL ", "GLOTTAL ", 0x12D0, 0x12A0),
]


def _name(char: str) -> str:
    return unicodedata.name(char).removeprefix("ETHIOPIC SYLLABLE ")


@pytest.mark.parametrize(("src_cons", "dst_cons", "src", "dst"), SERIES_NAMES)
@pytest.mark.parametrize("order", range(ORDERS))
def test_homophone_series_each_order_by_unicode_name(
    src_cons: str, dst_cons: str, src: int, dst: int, order: int
) -> None:
    table = homophone_table()
    source = chr(src + order)
    assert _name(source) == src_cons + VOWELS[order]
    assert _name(table[source]) == dst_cons + VOWELS[order]
    assert table[source] == chr(dst + order)


@pytest.mark.parametrize("order", range(ORDERS))
def test_tsa_series_both_directions(order: int) -> None:
    tsa, tza = chr(0x1338 + order), chr(0x1340 + order)
    assert _name(tsa) == "TS" + VOWELS[order]
    assert _name(tza) == "TZ" + VOWELS[order]
    forward = homophone_table("ፀ")
    assert forward[tsa] == tza
    assert tza not in forward
    backward = homophone_table("ጸ")
    assert backward[tza] == tsa
    assert tsa not in backward


def test_spot_check_names() -> None:
    table = homophone_table()
    assert unicodedata.name(table["ሐ"]) == "ETHIOPIC SYLLABLE HA"
    assert unicodedata.name("ሐ") == "ETHIOPIC SYLLABLE HHA"
    assert table["ኆ"] == "ሆ"
    assert table["ሡ"] == "ሱ"
    assert table["ዑ"] == "ኡ"


def test_table_has_exactly_seven_orders_per_series() -> None:
    table = homophone_table()
    assert len(table) == 5 * ORDERS
    # The 8th (labialised / extra) forms are not part of the brief's 7-order unification.
    assert chr(0x1210 + 7) not in table
    # Targets are never themselves rewritten (the map is idempotent).
    assert not set(table.values()) & set(table)


def test_unknown_tsa_target_rejected() -> None:
    with pytest.raises(ValueError, match="tsa_target"):
        homophone_table("x")  # type: ignore[arg-type]


def test_normalize_per_string() -> None:
    assert normalize("ሐሳብ ፀሐይ ጸሎት ሠርግ ዐይን", CleaningConfig()) == "ሀሳብ ፀሀይ ፀሎት ሰርግ አይን"
    assert normalize("ፀሐይ", CleaningConfig(tsa_series_target="ጸ")) == "ጸሀይ"
    assert normalize(" ሐሳብ\n ABC ", CleaningConfig(unify_homophones=False)) == "ሐሳብ abc"
    assert normalize("ሐሳብ ABC", CleaningConfig(casefold_latin=False)) == "ሀሳብ ABC"
    # Two wordspaces typed for the full stop read as the full stop; one wordspace stays.
    assert normalize("ይከራያል፡፡ ሰላም፡ አለ፡፡፡", CleaningConfig()) == "ይከራያል። ሰላም፡ አለ።፡"
    assert normalize("ይከራያል፡፡", CleaningConfig(unify_full_stop=False)) == "ይከራያል፡፡"


def test_text_norm_reads_two_wordspaces_as_the_full_stop_and_text_clean_keeps_them() -> None:
    row = clean_one("ቤት ይከራያል፡፡ ዋጋ ድርድር አለ፡፡")
    assert row["text_clean"] == "ቤት ይከራያል፡፡ ዋጋ ድርድር አለ፡፡"
    assert row["text_norm"] == "ቤት ይከራያል። ዋጋ ድርድር አለ።"


def test_text_norm_unifies_all_series_and_text_is_untouched() -> None:
    src = "".join(chr(b + k) for b in (0x1210, 0x1280, 0x1220, 0x12D0, 0x1338) for k in range(7))
    want = "".join(chr(b + k) for b in (0x1200, 0x1200, 0x1230, 0x12A0, 0x1340) for k in range(7))
    row = clean_one(src)
    assert row["text"] == src
    assert row["text_clean"] == src
    assert row["text_norm"] == want


def test_text_norm_tsa_reverse_direction() -> None:
    row = clean_one("ፀሐይ ጸሎት", CleaningConfig(tsa_series_target="ጸ"))
    assert row["text_norm"] == "ጸሀይ ጸሎት"
    assert row["text"] == "ፀሐይ ጸሎት"


def test_unify_homophones_switch_off() -> None:
    row = clean_one("ሐሳብ ABC", CleaningConfig(unify_homophones=False))
    assert row["text_norm"] == "ሐሳብ abc"


def test_casefold_latin_switch() -> None:
    assert clean_one("Sale ÉTÉ ሐ")["text_norm"] == "sale été ሀ"
    assert clean_one("Sale", CleaningConfig(casefold_latin=False))["text_norm"] == "Sale"
    assert latin_lowercase_table()["Ä"] == "ä"


def test_is_ethiopic() -> None:
    assert is_ethiopic("ሀ")
    assert is_ethiopic("።")
    assert not is_ethiopic("a")


# --- phones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0911223344", ["+251911223344"]),
        ("0911 223 344", ["+251911223344"]),
        ("0911-22-33-44", ["+251911223344"]),
        ("0911.223.344", ["+251911223344"]),
        ("09 11 22 33 44", ["+251911223344"]),
        ("0711223344", ["+251711223344"]),
        ("+251911223344", ["+251911223344"]),
        ("+251 911 223 344", ["+251911223344"]),
        ("+251-911-223344", ["+251911223344"]),
        ("251911223344", ["+251911223344"]),
        ("+251 (0) 911 223344", ["+251911223344"]),
        ("+2510911223344", ["+251911223344"]),
        ("011 123 4567", ["+251111234567"]),
        ("+251 11 123 4567", ["+251111234567"]),
        ("ስልክ0911223344", ["+251911223344"]),
        ("ይደውሉ፦0911223344።", ["+251911223344"]),
        ("0911223344/0922334455", ["+251911223344", "+251922334455"]),
        ("0911223344 0911-22-33-44", ["+251911223344"]),  # de-duplicated
        ("09112233445", []),  # 11 digits: not a phone
        ("1234567890", []),
        ("20911223344", []),  # inside a longer digit run
        ("ዋጋ 1,500 ብር", []),
        ("0811223344", []),  # no 08 mobile range
    ],
)
def test_phones(text: str, expected: list[str]) -> None:
    row = clean_one(text)
    assert row["phones"] == expected
    # Phones stay in the display text, exactly as written.
    assert row["text_clean"] == text


def test_normalize_phone_helper() -> None:
    assert normalize_phone("0911-22 33 44") == "+251911223344"
    assert normalize_phone(" +251 11 123 4567") == "+251111234567"
    assert normalize_phone("091122334") is None


# --- prices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ዋጋ 1,500 ብር", [1500.0]),
        ("ዋጋ፦ ብር 500", [500.0]),
        ("only 500 birr", [500.0]),
        ("ETB 300", [300.0]),
        ("ETB300", [300.0]),
        ("1500br", [1500.0]),
        ("1500 Br.", [1500.0]),
        ("2,500.50 ብር", [2500.5]),
        ("በ500ብር።", [500.0]),
        ("1,250,000 ብር", [1250000.0]),
        ("500 birr ETB 300", [500.0, 300.0]),
        ("100 ብር 200 ብር 100 ብር", [100.0, 200.0, 100.0]),  # repeats kept, no "ብር 200"
        ("ብር 500 ብር", [500.0]),  # one price, whichever way it is read
        ("ዋጋ፦ብር 200", [200.0]),
        # ብርሃን ("light") starts with ብር: not a price, before or after a number.
        ("5 ብርሃን", []),
        ("ብርሃን 5", []),
        ("ገብር 500", []),  # ብር inside a word
        ("1500 brand new", []),
        ("ዋጋ 1500", []),  # no currency
    ],
)
def test_prices(text: str, expected: list[float]) -> None:
    row = clean_one(text)
    assert row["prices"] == expected
    assert text.split()[0] in row["text_clean"] or not row["text_clean"]


def test_parse_price_amount_helper() -> None:
    assert parse_price_amount("2,500.50 ብር") == 2500.5
    assert parse_price_amount("ብር") is None


# --- hashtags, mentions, links ------------------------------------------------------------------------


def test_hashtags_geez_and_latin_stored_without_hash() -> None:
    row = clean_one("ቅናሽ! #ቅናሽ #sale_2024 #ሽያጭ#ቅናሽ ዋጋ")
    assert row["hashtags"] == ["ቅናሽ", "sale_2024", "ሽያጭ"]
    assert row["text_clean"] == "ቅናሽ! ዋጋ"


def test_hashtag_inside_url_and_keycap_are_not_hashtags() -> None:
    row = clean_one("https://example.com/page#top #️⃣ #ok")
    assert row["hashtags"] == ["ok"]


def test_mentions_stored_without_at_and_emails_skipped() -> None:
    row = clean_one("ይቀላቀሉ @shop_et ለበለጠ በ@addis_deals info@shop.com @abc @ab")
    assert row["mentions"] == ["shop_et", "addis_deals"]
    assert "shop_et" not in row["text_clean"]
    assert "addis_deals" not in row["text_clean"]
    assert "በ" in row["text_clean"].split()


def test_mention_entities_are_added() -> None:
    ents = [[{"type": "mention", "text": "@other_channel", "href": None},
             {"type": "mention", "text": "@shop_et", "href": None}]]
    row = clean_one("@shop_et", entities=ents)
    assert row["mentions"] == ["shop_et", "other_channel"]


def test_too_long_handle_dropped() -> None:
    assert clean_one("@" + "a" * 33)["mentions"] == []
    assert clean_one("@" + "a" * 32)["mentions"] == ["a" * 32]


def test_links_in_text_and_text_link_hrefs() -> None:
    ents = [[
        {"type": "text_link", "text": "እዚህ", "href": "https://shop.example/item/7"},
        {"type": "link", "text": "t.me/shop_et", "href": None},
        {"type": "bold", "text": "ዋጋ", "href": None},
    ]]
    text = "ዋጋ ይመልከቱ t.me/shop_et, https://x.com/a?b=1. www.example.org እዚህ"
    row = clean_one(text, entities=ents)
    assert row["links"] == [
        "t.me/shop_et", "https://x.com/a?b=1", "www.example.org", "https://shop.example/item/7"
    ]
    assert row["text_clean"] == "ዋጋ ይመልከቱ , . እዚህ"


def test_link_stops_at_ethiopic_text() -> None:
    assert clean_one("t.me/shop_etይቀላቀሉ")["links"] == ["t.me/shop_et"]
    assert clean_one("at.me/x")["links"] == []


def test_null_entities_and_null_text() -> None:
    df = parsed("a", "b", entities=[None, None], text=[None, "ok @shop_et"])
    out = clean_messages(df, CleaningConfig())
    assert out["text"].to_list() == [None, "ok @shop_et"]
    assert out["is_empty"].to_list() == [True, False]
    assert out["mentions"].to_list() == [[], ["shop_et"]]
    assert out["links"].to_list() == [[], []]


# --- emojis -------------------------------------------------------------------------------------------

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # man ZWJ woman ZWJ girl
THUMBS_MEDIUM = "\U0001F44D\U0001F3FD"
HEART_VS16 = "\u2764\uFE0F"
KEYCAP_ONE = "1\uFE0F\u20E3"
FLAG_ET = "\U0001F1EA\U0001F1F9"
RAINBOW_FLAG = "\U0001F3F3\uFE0F\u200D\U0001F308"
ENGLAND = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"


@pytest.mark.parametrize(
    "emoji", [FAMILY, THUMBS_MEDIUM, HEART_VS16, KEYCAP_ONE, FLAG_ET, RAINBOW_FLAG, ENGLAND, "🔥"]
)
def test_emoji_sequences_extracted_whole_and_removed_fully(emoji: str) -> None:
    row = clean_one(f"ሰላም{emoji}ዋጋ {emoji}")
    assert row["emojis"] == [emoji, emoji]
    assert row["text_clean"] == "ሰላም ዋጋ"
    for glue in ("\uFE0F", "\u200D", "\u20E3", "\U0001F3FD", "\U000E007F"):
        assert glue not in row["text_clean"]


def test_emoji_order_and_repeats() -> None:
    row = clean_one(f"🔥🔥 {FLAG_ET} ቅናሽ {KEYCAP_ONE}")
    assert row["emojis"] == ["🔥", "🔥", FLAG_ET, KEYCAP_ONE]


def test_stray_emoji_glue_removed() -> None:
    # A VS16 after a non-emoji letter and a lone ZWJ are leftovers, not text.
    row = clean_one("ሀ\uFE0F ለ\u200Dመ")
    assert row["emojis"] == []
    assert "\uFE0F" not in row["text_clean"]
    assert "\u200D" not in row["text_clean"]


def test_keep_emojis_switch() -> None:
    row = clean_one(f"ሰላም {FAMILY} • {HEART_VS16}", CleaningConfig(remove_emojis=False))
    assert row["text_clean"] == f"ሰላም {FAMILY} {HEART_VS16}"
    assert row["emojis"] == [FAMILY, HEART_VS16]


# --- symbols, whitespace, switches --------------------------------------------------------------------


def test_symbols_removed_punctuation_kept() -> None:
    text = "• ልብስ ➡ ► ★ ✔ ╔═╗ ■ ዋጋ፦ 50% (ቅናሽ)። ጥያቄ? \"ok\" 'a' a/b +1 ፣፤፥፧፡ $ & _ ~"
    row = clean_one(text)
    assert row["text_clean"] == "ልብስ ዋጋ፦ 50% (ቅናሽ)። ጥያቄ? \"ok\" 'a' a/b +1 ፣፤፥፧፡"
    for punct in ETHIOPIC_PUNCTUATION:
        assert punct in clean_one(f"ሀ{punct}ለ")["text_clean"]


def test_symbol_switch_off() -> None:
    row = clean_one("• ልብስ ★", CleaningConfig(remove_symbols=False))
    assert row["text_clean"] == "• ልብስ ★"


def test_whitespace_collapse_and_switch() -> None:
    text = "  ሰላም\n\nለሁላችሁ\t ዋጋ\u00a0 ብር  "
    assert clean_one(text)["text_clean"] == "ሰላም ለሁላችሁ ዋጋ ብር"
    kept = clean_one(text, CleaningConfig(collapse_whitespace=False))["text_clean"]
    assert kept == text


def test_each_removal_switch_keeps_its_item() -> None:
    text = "ሰላም #ቅናሽ @shop_et https://t.me/shop_et 🔥 •"
    cases = {
        "remove_hashtags": "#ቅናሽ",
        "remove_mentions": "@shop_et",
        "remove_links": "https://t.me/shop_et",
        "remove_emojis": "🔥",
        "remove_symbols": "•",
    }
    everything = clean_one(text)["text_clean"]
    assert everything == "ሰላም"
    for flag, item in cases.items():
        row = clean_one(text, CleaningConfig(**{flag: False}))
        assert item in row["text_clean"], flag
        others = [other for f, other in cases.items() if f != flag]
        assert not any(o in row["text_clean"] for o in others), (flag, row["text_clean"])
        # Extraction does not depend on the removal switches.
        assert row["hashtags"] == ["ቅናሽ"]
        assert row["mentions"] == ["shop_et"]
        assert row["links"] == ["https://t.me/shop_et"]
        assert row["emojis"] == ["🔥"]


def test_kept_links_are_not_cut_by_other_rules() -> None:
    text = "ይመልከቱ https://x.com/@user/a_b?c=1&d=2#frag ዋጋ #ቅናሽ @shop_et"
    row = clean_one(text, CleaningConfig(remove_links=False))
    assert row["text_clean"] == "ይመልከቱ https://x.com/@user/a_b?c=1&d=2#frag ዋጋ"
    assert row["hashtags"] == ["ቅናሽ"]
    assert row["mentions"] == ["shop_et"]


def test_nothing_removed_when_all_switches_off() -> None:
    cfg = CleaningConfig(
        remove_hashtags=False, remove_emojis=False, remove_links=False, remove_mentions=False,
        remove_symbols=False, collapse_whitespace=False, unify_homophones=False,
        casefold_latin=False,
    )
    text = "ሐ #ቅናሽ @shop_et t.me/x 🔥 •\n"
    row = clean_one(text, cfg)
    assert row["text_clean"] == text
    assert row["text_norm"] == text


# --- ratio, n_chars, is_empty, schema ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("ሰላም", 1.0),  # 3 Ethiopic letters of 3
        ("ሰላም abc", 0.5),  # 3 of 6
        ("ሰላም ab 12 ።", 0.6),  # 3 of 5 letters; digits and punctuation are not letters
        ("abc", 0.0),
        ("123 !", 0.0),  # no letters at all
        ("", 0.0),
        ("ሰላም 🔥 #sale", 1.0),  # emoji and hashtag are gone from text_clean
    ],
)
def test_ethiopic_ratio(text: str, ratio: float) -> None:
    assert clean_one(text)["ethiopic_ratio"] == pytest.approx(ratio)


def test_photo_only_post_is_empty() -> None:
    df = parsed("", "🔥🔥 #sale", "ሰላም", media_type=["photo", "photo", None])
    out = clean_messages(df, CleaningConfig())
    assert out["is_empty"].to_list() == [True, True, False]
    assert out["n_chars"].to_list() == [0, 0, 3]
    assert out["text_clean"].to_list() == ["", "", "ሰላም"]


def test_n_chars_counts_characters_not_bytes() -> None:
    assert clean_one("ሰላም ለሁሉም")["n_chars"] == 8


def test_output_schema_order_and_rows_kept() -> None:
    df = parsed("ሰላም", "", "#ok", "ዋጋ 1,500 ብር")
    out = clean_messages(df, CleaningConfig())
    assert dict(out.schema) == CLEANED_SCHEMA
    assert out.columns == list(CLEANED_SCHEMA)
    assert out["uid"].to_list() == df["uid"].to_list()
    assert out.select(list(PARSED_SCHEMA)).equals(df)


def test_default_config_and_missing_columns() -> None:
    assert clean_messages(parsed("ሰላም")).height == 1
    with pytest.raises(DataContractError, match="text"):
        clean_messages(parsed("ሰላም").drop("text"), CleaningConfig())


def test_empty_frame() -> None:
    out = clean_messages(pl.DataFrame(schema=PARSED_SCHEMA), CleaningConfig())
    assert out.height == 0
    assert dict(out.schema) == CLEANED_SCHEMA


def test_full_ad() -> None:
    text = (
        "🔥🔥 ልዩ ቅናሽ! 🔥🔥\n\n"
        "➡ የሴቶች ጫማ ዋጋ፦ 1,500 ብር ብቻ\n"
        "• ስልክ፦ 0911-22-33-44 / +251 922 334455\n"
        "📍 አዲስ አበባ, ቦሌ\n"
        "@shop_et ይቀላቀሉ 👉 https://t.me/shop_et\n"
        "#ቅናሽ #ጫማ"
    )
    row = clean_one(text)
    assert row["text_clean"] == (
        "ልዩ ቅናሽ! የሴቶች ጫማ ዋጋ፦ 1,500 ብር ብቻ ስልክ፦ 0911-22-33-44 / +251 922 334455 "
        "አዲስ አበባ, ቦሌ ይቀላቀሉ"
    )
    assert row["phones"] == ["+251911223344", "+251922334455"]
    assert row["prices"] == [1500.0]
    assert row["hashtags"] == ["ቅናሽ", "ጫማ"]
    assert row["mentions"] == ["shop_et"]
    assert row["links"] == ["https://t.me/shop_et"]
    assert row["emojis"] == ["🔥", "🔥", "🔥", "🔥", "➡", "📍", "👉"]
    assert row["text"] == text
