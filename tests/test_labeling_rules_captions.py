"""rules-v6's kinds: photo captions (a model, specs and a price, often no contact) and a shop's posts that sell nothing.

Written for these tests, by kind, not copied from round 5's posts: each ad carries only the
evidence of its kind, each non-ad a kind of post a shop or a neighbourhood channel makes between
its ads (greetings, thanks, polls, tips, closures, warnings), with some ad evidence beside it.
"""

from __future__ import annotations

import pytest

from tests.rules_fixtures import ROUND5_DEV_FILE, round3_dev
from tests.rules_helpers import gate_of, signals_of, verticals_of

#: (kind, text): captions and short posts whose evidence is one of rules-v6's kinds.
CAPTION_ADS = [
    ("amount_line_spec", "Lenovo IdeaPad 3\n8GB | 512 SSD\n41,000"),
    ("amount_line_goods", "የቆዳ ጃኬት 🧥\nጥቁርና ቡናማ\n4,200 ብር"),
    ("amount_line_multiplier", "Infinix Hot 40 128GB\n17ሺ"),
    ("bundle_line", "Canon EOS 2000D\nከ 18-55 ሌንስ ጋር\n52ሺ"),
    ("price_terms", "Redmi Note 13\nያለ ድርድር 21,500"),
    ("price_in_private", "የሴቶች ሽቶ 🌸\nዋጋና ያሉትን አይነቶች በውስጥ መስመር ይጠይቁን"),
    ("wholesale", "የህፃናት ዳይፐር በጅምላና በችርቻሮ እናቀርባለን"),
    ("stock_we_have", "ኦሪጅናል የላፕቶፕ ቻርጀር ሁሌም አለን"),
    ("few_left", "የክረምት ሹራብ\nጥቂት ብቻ ቀርተዋል"),
    ("menu_line", "ልዩ በርገር ከድንች ጥብስ ጋር 450 ብር"),
    ("spec_goods_price", "Nivea body lotion 400ml\n1,150 ብር"),
    ("used_plural", "ያገለገሉ ላፕቶፖች በቅናሽ"),
    ("bet_bonus", "በመጀመሪያ ለሚያስገቡ 50% ቦነስ"),
    ("register_here", "የኤክሴል ስልጠና\nመመዝገቢያ 👉 @excel_reg"),
    ("short_course", "የአጭር ጊዜ የፎቶግራፍ ስልጠና ለ3 ሳምንት"),
    ("amount_line_birr", "የፀጉር ዘይት 🌿 ለፀጉር እድገት\nከተፈጥሮ የተዘጋጀ\n450 ብር"),
    ("amount_line_quantity", "ቡና ይርጋጨፌ\nየተቆላ እና የተፈጨ\n1 ኪሎ 1,100"),
    ("made_to_order", "የምግብ ጠረጴዛ ከ 6 ወንበር ጋር 🪑\nበትዕዛዝ እንሰራለን"),
    ("furniture_caption", "ባለ 2 በር ቁም ሳጥን\nMDF\n24,000"),
]

#: (kind, text, the against signal that holds it back): a shop's or a channel's posts between
#: its ads, each with ad evidence (goods, specs, prices, a handle).
SHOP_NON_ADS = [
    ("holiday_greeting", "እንኳን ለዘመን መለወጫ በሰላም አደረሳችሁ 🌼\nመልካም አዲስ ዓመት!\nከቤዛ ኮስሞቲክስ ቤተሰብ", "greeting"),
    ("thanks", "1000 ተከታዮች ደርሰናል 🎉 ሽቶ፣ ሎሽን እና ክሬም ከእኛ ስለገዛችሁ እናመሰግናለን", "greeting"),
    ("poll", "📊 Poll: የትኛው ይሻላል?\n🅰️ iPhone 15 128GB\n🅱️ Samsung S24 256GB", "not_selling"),
    ("tip", "ጠቃሚ ምክር 💡 ላፕቶፕዎን 100% ቻርጅ አድርገው ሁሌም ቻርጀር ላይ አይተዉት", "not_selling"),
    ("winner", "የgiveaway አሸናፊ @sara_t ሆናለች 🎁 እንኳን ደስ አለሽ! ሽልማትሽ 5,000 ብር የሚያወጣ ሽቶ ነው", "not_selling"),
    ("closure", "በበዓሉ ምክንያት እሁድ ሱቃችን ዝግ ነው። ሰኞ ጠዋት ሁሉም እቃዎች በቦታቸው ናቸው", "notice"),
    ("fake_account", "⚠️ በስማችን የተከፈተ ሀሰተኛ ገፅ አለ፤ 2,000 ብር ቅድሚያ ክፍያ የሚጠይቃችሁ እኛ አይደለንም", "notice"),
    ("meeting", "የህንፃው ነዋሪዎች ስብሰባ እሁድ 4 ሰዓት ይካሄዳል፤ ባለ 2 መኝታ ቤት ለምትኖሩ በሙሉ", "notice"),
]




@pytest.mark.parametrize(("kind", "text"), CAPTION_ADS,
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(CAPTION_ADS)])
def test_captions_and_short_offers_are_ads(kind: str, text: str) -> None:
    assert gate_of([text]) == ["Ad"], kind


@pytest.mark.parametrize(("kind", "text", "against"), SHOP_NON_ADS,
                         ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(SHOP_NON_ADS)])
def test_a_shops_posts_that_sell_nothing_are_not_ads(kind: str, text: str, against: str) -> None:
    assert gate_of([text]) == ["Non-Ad"], kind
    assert against in signals_of([text])[0], kind


def test_an_amount_line_is_a_line_of_its_own() -> None:
    # A caption's price stands on its own line; the same amount inside a sentence, a year or a
    # count beside a word, and a phone number are no amount line.
    fired = signals_of(["Dash cam\n4,900", "Dash cam 4,900 ብር ገዛሁ ትላንት", "ሞዴል\n2019 model",
                       "5 ሰዎች", "ይደውሉ\n0911 22 33 44"])
    assert ["amount_line" in f for f in fired] == [True, False, False, False, False]


def test_an_ad_that_thanks_its_customers_stays_an_ad() -> None:
    # Thanks only damp: a caption signed "thank you for choosing us" keeps its evidence.
    assert gate_of(["Samsung A25 128GB\n23,500 ብር\nስለመረጡን እናመሰግናለን 🙏"]) == ["Ad"]


def test_a_holiday_sale_keeps_its_evidence_past_the_greeting() -> None:
    # A greeting only damps: a holiday sale opens with one and still reads Ad; the greeting
    # alone with a shop's signature does not.
    sale = "እንኳን ለገና በዓል አደረሳችሁ 🎄\nበሁሉም ጫማዎች ላይ 30% ቅናሽ\nለማዘዝ ይደውሉ"
    greeting = "እንኳን ለገና በዓል አደረሳችሁ 🎄\nመልካም በዓል!\nሊያ ቡቲክ"
    assert gate_of([sale, greeting]) == ["Ad", "Non-Ad"]



def test_caption_verticals_by_kind_of_product() -> None:
    # Devices and appliances, supplements, furniture, snacks, exam preparation, consoles: the
    # lexicons hold words by kind of product, not a channel's products.
    texts = ["Hisense 50\" Smart TV\n31,000", "Vitamin C 1000mg\n900 ብር ብቻ", "የምግብ ጠረጴዛ ከ6 ወንበር ጋር\n38,000 ብር",
             "ዳቦ ቆሎ እና ጭኮ በኪሎ 300 ብር እንሸጣለን", "IELTS preparation class\nምዝገባ ተጀምሯል",
             "PS4 Slim ከ 2 controller ጋር\n29ሺ", "Philips blender 2L\n6,500 ብር"]
    assert verticals_of(texts) == ["Computing products & consumer electronics", "Healthcare & pharma", "Retail",
                                 "CPG & consumer products", "Education & training",
                                 "Computing products & consumer electronics",
                                 "Computing products & consumer electronics"]


def test_round5_file_reads_its_source_column() -> None:
    # Round 5's TSV has a `source` column (the channel): read apart, never into the text.
    posts = round3_dev(ROUND5_DEV_FILE)
    assert (sum(p.label == "Ad" for p in posts), sum(p.label == "Non-Ad" for p in posts)) == (113, 31)
    assert all(p.source and "\t" not in p.text and not p.text.startswith(p.source) for p in posts)
    assert len({p.source for p in posts}) >= 10
