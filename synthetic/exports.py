"""Deterministic synthetic Telegram Desktop exports of Amharic ad and news channels.

Everything here is made up for this project: the Amharic (Ge'ez script) ad and news templates,
the brands, people, handles and numbers. Nothing is copied from real channels. The generator
exists so that tests, samples and benchmarks exercise every shape a real ``result.json`` has:

* ``text`` as a plain string, and as a list mixing plain strings and typed pieces (bold, italic,
  link, text_link with ``href``, mention, hashtag, phone, email, custom_emoji with
  ``document_id``), with ``text_entities`` always the same content as typed pieces;
* service messages (``create_channel``, ``pin_message``), photo-only posts with empty text,
  video posts, edited, forwarded and reply posts, emoji-heavy posts (ZWJ sequences, skin tones,
  keycaps, the Ethiopian flag), posts longer than 2,000 characters;
* the same ad reposted verbatim and with a small edit (price, phone or one word), inside a
  channel and across channels, for near-duplicate detection;
* Ge'ez homophone spelling variants (ሠ/ሰ, ጸ/ፀ, ሐ/ኀ/ሀ, ዐ/አ) so that normalisation matters.

Each content message comes with its *intended* label (Ad / Non-Ad, vertical, tags), which is what
the template was written to be. These are seed labels for testing the labeling loop, not human
annotations.

Output is a pure function of the arguments: the same seed gives the same bytes.

Run ``python -m synthetic.exports --out DIR --messages N`` (from the checkout root) to write a
corpus, or ``python -m synthetic.exports --samples workbench/defaults/samples/telegram`` to rewrite
the committed samples.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "CORPUS_CHANNELS",
    "SAMPLE_CHANNELS",
    "TAGS",
    "VERTICALS",
    "ChannelSpec",
    "channel_slug",
    "generate_corpus",
    "generate_export",
    "main",
    "write_corpus",
    "write_export",
    "write_samples",
]

VERTICALS: tuple[str, ...] = (
    "Retail",
    "Automotive",
    "Financial services",
    "Telecom",
    "CPG & consumer products",
    "Travel",
    "Computing products & consumer electronics",
    "Media",
    "Entertainment",
    "Healthcare & pharma",
)
TAGS: tuple[str, ...] = ("Gambling", "Politics", "Profanity", "Religious")

SEED_LABEL_NOTE = "synthetic seed label: the generator's intended label, not a human annotation"

# A piece of message text: (type, text, href, document_id); type "plain" for untyped text.
Piece = tuple[str, str, str | None, str | None]

# ---------------------------------------------------------------------------------------------
# Content: pools of slot values. Brands are (Amharic name, handle slug, English name).
# ---------------------------------------------------------------------------------------------

Brand = tuple[str, str, str]

# Brands by the kind of business, per vertical; {name} slots pick from these, {brand} from all.
_SUB_BRANDS: dict[str, dict[str, tuple[Brand, ...]]] = {
    "Retail": {
        "fashion_brand": (
            ("ሉሲ ፋሽን", "lucy_fashion_et", "Lucy Fashion"),
            ("ሸገር የልብስ መደብር", "sheger_libs", "Sheger Clothing"),
            ("ሚኪ ፋሽን", "miki_fashion", "Miki Fashion"),
            ("ቤተልሔም ቡቲክ", "betty_boutique", "Betty Boutique"),
            ("ቤተልሄም ቡቲክ", "betty_boutique", "Betty Boutique"),
        ),
        "home_brand": (
            ("ዘመን የቤት እቃዎች", "zemen_furniture", "Zemen Furniture"),
            ("ምቹ ፈርኒቸር", "michu_furniture", "Michu Furniture"),
        ),
        "store_brand": (
            ("ሀበሻ ሞል", "habesha_mall", "Habesha Mall"),
            ("አበባ ሾፕ", "abeba_shop", "Abeba Shop"),
            ("ሸዋ ሱፐርማርኬት", "shewa_supermarket", "Shewa Supermarket"),
        ),
    },
    "Automotive": {
        "dealer": (
            ("ሰላም ሞተርስ", "selam_motors", "Selam Motors"),
            ("አባይ አውቶ", "abay_auto_et", "Abay Auto"),
            ("ሮሃ መኪና አስመጪ", "roha_cars", "Roha Cars"),
        ),
        "parts_shop": (
            ("ጎማ ቤት", "goma_bet", "Goma Bet Tyres"),
            ("አባይ መለዋወጫ", "abay_spares", "Abay Spares"),
        ),
        "garage": (
            ("ፈጣን ጋራዥ", "fetan_garage", "Fetan Garage"),
            ("ታማኝ ጋራዥ", "tamagn_garage", "Tamagn Garage"),
        ),
        "school": (
            ("ጥበብ የማሽከርከር ትምህርት ቤት", "tibeb_driving", "Tibeb Driving School"),
            ("ፍኖት የአሽከርካሪዎች ማሰልጠኛ", "finot_driving", "Finot Driving School"),
        ),
    },
    "Financial services": {
        "bank": (
            ("ንጋት ባንክ", "nigat_bank", "Nigat Bank"),
            ("ሳባ ባንክ", "saba_bank_et", "Saba Bank"),
            ("ተስፋ ማይክሮ ፋይናንስ", "tesfa_mfi", "Tesfa Microfinance"),
            ("አንድነት ቁጠባና ብድር", "andinet_saccos", "Andinet SACCO"),
        ),
        "insurer": (
            ("ብርሃን ኢንሹራንስ", "birhan_insurance", "Birhan Insurance"),
            ("ዋስትና ኢንሹራንስ", "wastina_insurance", "Wastina Insurance"),
        ),
        "wallet": (
            ("ቀሊል ፔይ", "qelil_pay", "Qelil Pay"),
            ("ፈጣን ብር", "fetan_birr", "Fetan Birr"),
        ),
    },
    "Telecom": {
        "telco": (
            ("ሸገር ቴሌኮም", "sheger_telecom", "Sheger Telecom"),
            ("ሀገሬ ሞባይል", "hagere_mobile", "Hagere Mobile"),
            ("ቅጽበት ሞባይል", "qitsibet_mobile", "Qitsibet Mobile"),
            ("ቅፅበት ሞባይል", "qitsibet_mobile", "Qitsibet Mobile"),
        ),
        "isp": (
            ("ለማት ፋይበር", "lemat_fiber", "Lemat Fiber"),
            ("አዲስ ኔት", "addis_net", "Addis Net"),
        ),
    },
    "CPG & consumer products": {
        "food_brand": (
            ("ገበታ", "gebeta_foods", "Gebeta Foods"),
            ("ጣዕም", "taem_foods", "Taem Foods"),
            ("ሸገር ምግብ", "sheger_foods", "Sheger Foods"),
        ),
        "coffee_brand": (
            ("አቢሲኒያ ቡና", "abyssinia_buna", "Abyssinia Coffee"),
            ("ጀበና ቡና", "jebena_buna", "Jebena Coffee"),
        ),
        "cos_brand": (
            ("ውብ ኮስሞቲክስ", "wub_cosmetics", "Wub Cosmetics"),
            ("ልዩ ውበት", "liyu_wubet", "Liyu Wubet"),
        ),
        "soap_brand": (
            ("ንፁህ ሳሙና", "nitsuh_soap", "Nitsuh Soap"),
            ("ንጹህ ሳሙና", "nitsuh_soap", "Nitsuh Soap"),
            ("ብሩህ ዲተርጀንት", "biruh_detergent", "Biruh Detergent"),
        ),
        "honey_brand": (
            ("ወለላ ማር", "welela_honey", "Welela Honey"),
            ("እማማ ማር", "emama_mar", "Emama Honey"),
        ),
    },
    "Travel": {
        "agency": (
            ("ሰላም ትራቭል", "selam_travel", "Selam Travel"),
            ("ስካይ ሀበሻ ትራቭል", "sky_habesha", "Sky Habesha Travel"),
            ("ስካይ ሐበሻ ትራቭል", "sky_habesha", "Sky Habesha Travel"),
        ),
        "tour": (
            ("ላሊበላ ቱርስ", "lalibela_tours", "Lalibela Tours"),
            ("አክሱም ጉዞ", "axum_guzo", "Axum Guzo"),
        ),
        "hotel": (
            ("ጣና ሆቴል", "tana_hotel_et", "Tana Hotel"),
            ("ሀይቅ ዳር ሪዞርት", "haik_dar_resort", "Haik Dar Resort"),
        ),
    },
    "Computing products & consumer electronics": {
        "tech_shop": (
            ("ቴክ ዞን", "techzone_et", "Tech Zone"),
            ("ስማርት ኤሌክትሮኒክስ", "smart_electronics_et", "Smart Electronics"),
            ("ዲጂታል ሀበሻ", "digital_habesha", "Digital Habesha"),
            ("ሳሪስ ኮምፒውተር", "saris_computer", "Saris Computer"),
            ("ሞባይል ዓለም", "mobile_alem", "Mobile Alem"),
            ("ሞባይል አለም", "mobile_alem", "Mobile Alem"),
        ),
    },
    "Media": {
        "tv": (("ብሩህ ቲቪ", "biruh_tv", "Biruh TV"), ("ሸገር ቲቪ ፕላስ", "sheger_tv_plus", "Sheger TV Plus")),
        "press": (
            ("ሀሁ መጽሔት", "hahu_magazine", "Hahu Magazine"),
            ("ሀሁ መፅሔት", "hahu_magazine", "Hahu Magazine"),
            ("ዕለታዊ ጋዜጣ", "eletawi_gazette", "Eletawi Gazette"),
        ),
        "radio": (("ዜማ ኤፍ ኤም", "zema_fm", "Zema FM"), ("ድምፅ ሬዲዮ", "dimts_radio", "Dimts Radio")),
        "podcast": (("ሀበሻ ፖድካስት", "habesha_podcast", "Habesha Podcast"),),
    },
    "Entertainment": {
        "cinema": (("ሸገር ሲኒማ", "sheger_cinema", "Sheger Cinema"), ("ዓለም ሲኒማ", "alem_cinema", "Alem Cinema")),
        "club": (("ዜማ ምሽት ክለብ", "zema_club", "Zema Club"), ("ሸገር ላውንጅ", "sheger_lounge", "Sheger Lounge")),
        "gamezone": (("ጨዋታ ዞን", "chewata_zone", "Chewata Zone"),),
        "events": (("ላሊ ኢቨንትስ", "lali_events", "Lali Events"), ("ሸገር ኢቨንትስ", "sheger_events", "Sheger Events")),
    },
    "Healthcare & pharma": {
        "clinic": (
            ("ሕይወት ክሊኒክ", "hiwot_clinic", "Hiwot Clinic"),
            ("ህይወት ክሊኒክ", "hiwot_clinic", "Hiwot Clinic"),
            ("ጤና ልዩ ሆስፒታል", "tena_hospital", "Tena Specialty Hospital"),
            ("ፈውስ አጠቃላይ ሆስፒታል", "fews_hospital", "Fews General Hospital"),
        ),
        "lab": (("ምርመራ ላብ", "mirmera_lab", "Mirmera Lab"), ("ትክክል የምርመራ ማዕከል", "tikikil_lab", "Tikikil Lab")),
    },
}
_BRANDS: dict[str, tuple[Brand, ...]] = {
    vertical: tuple(b for group in groups.values() for b in group)
    for vertical, groups in _SUB_BRANDS.items()
}
_BET_BRANDS: tuple[Brand, ...] = (
    ("ዕድል ቤት", "edil_bet", "Edil Bet"),
    ("ጎል ቤት", "gol_bet_et", "Gol Bet"),
    ("ሀበሻ ቤቲንግ", "habesha_betting", "Habesha Betting"),
    ("ላኪ ቤት", "lucky_bet_et", "Lucky Bet"),
)
_PHARMACIES: tuple[Brand, ...] = (
    ("ፈውስ ፋርማሲ", "fews_pharmacy", "Fews Pharmacy"),
    ("ጤና መድኃኒት ቤት", "tena_pharmacy", "Tena Pharmacy"),
    ("ፈውስ መድሀኒት ቤት", "fews_pharmacy", "Fews Pharmacy"),
)
_DENTAL: tuple[Brand, ...] = (
    ("ፈገግታ የጥርስ ክሊኒክ", "fegegta_dental", "Fegegta Dental"),
    ("ነጭ ጥርስ ክሊኒክ", "nech_dental", "Nech Dental"),
)
_EYE: tuple[Brand, ...] = (
    ("ብሩህ የዓይን ሕክምና ማዕከል", "biruh_eye", "Biruh Eye Center"),
    ("ብሩህ የአይን ህክምና ማእከል", "biruh_eye", "Biruh Eye Center"),
)
_ORGS: tuple[Brand, ...] = (
    ("ሀበሻ ቢዝነስ ግሩፕ", "habeshagroup", "Habesha Business Group"),
    ("አዲስ ኮንስትራክሽን", "addisconstruction", "Addis Construction"),
    ("ብሩህ ፋውንዴሽን", "biruhfoundation", "Biruh Foundation"),
    ("ገበታ ፉድስ", "gebetafoods", "Gebeta Foods"),
    ("ንጋት ባንክ", "nigatbank", "Nigat Bank"),
    ("ሰላም ሞተርስ", "selammotors", "Selam Motors"),
)

_PLACES = (
    "ቦሌ", "ፒያሳ", "መርካቶ", "ካዛንቺስ", "መገናኛ", "ሲኤምሲ", "አራት ኪሎ", "ሳር ቤት", "ጀሞ", "ለቡ",
    "ሃያ ሁለት", "ቃሊቲ", "ሰሚት", "አያት", "ጎሮ", "ልደታ", "ሜክሲኮ", "ስታዲየም", "ቦሌ ሚካኤል",
    "ጦር ኃይሎች", "ጦር ሀይሎች", "ሰሜን ሆቴል", "አውቶቡስ ተራ", "ኮተቤ",
)
_PLACES_EN = ("Bole", "Piassa", "Merkato", "Kazanchis", "Megenagna", "CMC", "Sar Bet", "Ayat")
_LANDMARKS = (
    "አደባባይ አጠገብ", "ዋናው መንገድ ላይ", "ሞል 2ኛ ፎቅ", "ሞል 3ኛ ፎቅ ቁጥር 305", "ከቤተክርስቲያኑ ፊት ለፊት",
    "ህንፃ 1ኛ ፎቅ", "ሕንፃ ምድር ቤት", "ከባንኩ ጎን", "ታክሲ ተራ አጠገብ",
)
_CTAS = (
    "አሁኑኑ ይደውሉ", "ለበለጠ መረጃ ይደውሉልን", "ፈጥነው ይዘዙ", "በውስጥ መስመር ያናግሩን",
    "ዛሬውኑ ይጎብኙን", "እቃው ከማለቁ በፊት ይድረሱ", "እንዳያመልጥዎ!", "አሁኑኑ ይዘዙ",
    "ቦታ ያስይዙ", "ዛሬውኑ ይመዝገቡ",
)
_CTA_LINKS = ("እዚህ ይጫኑ", "ለማዘዝ ይጫኑ", "ቻናላችንን ይቀላቀሉ", "ዝርዝሩን ይመልከቱ", "ይመዝገቡ")
_MONTHS = (
    "መስከረም", "ጥቅምት", "ኅዳር", "ህዳር", "ታኅሣሥ", "ታህሳስ", "ጥር", "የካቲት", "መጋቢት", "ሚያዝያ",
    "ግንቦት", "ሰኔ", "ሐምሌ", "ሀምሌ", "ነሐሴ", "ነሀሴ",
)
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "September", "October")
_CITIES = (
    "አዳማ", "ሀዋሳ", "ባህር ዳር", "መቀሌ", "ጎንደር", "ድሬዳዋ", "ጅማ", "ደሴ", "ደብረ ብርሃን", "ሐረር",
    "ሀረር", "አርባ ምንጭ", "ሆሳዕና", "ሆሳእና",
)
_CITIES_EN = ("Adama", "Hawassa", "Bahir Dar", "Dire Dawa", "Jimma", "Gondar", "Dessie")
_REGIONS = (
    "አማራ", "ኦሮሚያ", "ደቡብ ኢትዮጵያ", "ሲዳማ", "ትግራይ", "አፋር", "ሶማሌ", "ቤኒሻንጉል ጉሙዝ",
    "ጋምቤላ", "ማዕከላዊ ኢትዮጵያ",
)
_REL_HOLIDAYS = (
    "ገና", "ጥምቀት", "ፋሲካ", "ትንሣኤ", "ትንሳኤ", "መስቀል", "ኢድ አል ፈጥር", "ኢድ አል አድሃ",
)

# Per-vertical slot pools.
_POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    "Retail": {
        "product": (
            "የሴቶች ቀሚስ", "የወንዶች ሱፍ", "የሀበሻ ቀሚስ", "የቆዳ ጫማ", "የስፖርት ጫማ", "የእጅ ቦርሳ",
            "የልጆች ልብስ", "ጃኬት", "ጂንስ ሱሪ", "ሸሚዝ", "የሠርግ ቀሚስ", "የሰርግ ቀሚስ",
        ),
        "home_product": ("ሶፋ", "የአልጋ ልብስ", "ምንጣፍ", "የኩሽና እቃዎች", "መጋረጃ", "የምግብ ጠረጴዛ", "ቁም ሳጥን"),
        "product_en": ("shoes", "dresses", "bags", "kids' clothes", "jackets", "suits"),
        "emoji": ("🛍", "👗", "👠", "👜", "🎁", "✨", "🛋"),
        "hashtag": ("#ቅናሽ", "#ሽያጭ", "#ፋሽን", "#Sale", "#AddisShopping"),
    },
    "Automotive": {
        "car": (
            "ቶዮታ ቪትዝ", "ቶዮታ ኮሮላ", "ሀዩንዳይ ኤላንትራ", "ሱዙኪ ዲዛየር", "ቶዮታ ያሪስ", "ኒሳን ሰኒ",
            "ኢሱዙ የጭነት መኪና", "ቶዮታ ሃይሉክስ", "Toyota Vitz", "Hyundai Creta", "Suzuki Dzire",
        ),
        "part": (
            "የመኪና ጎማ", "የመኪና ባትሪ", "የሞተር ዘይት", "የፍሬን ሸራ", "መለዋወጫ እቃዎች", "የመኪና መብራት",
        ),
        "part_en": ("tyres", "batteries", "engine oil", "brake pads", "spare parts"),
        "ev": ("ኤሌክትሪክ መኪና", "BYD ኤሌክትሪክ መኪና", "ኤሌክትሪክ ሞተር ሳይክል", "ኤሌክትሪክ ባጃጅ"),
        "emoji": ("🚗", "🚙", "🛞", "🔧", "⛽️", "🏎"),
        "hashtag": ("#መኪና", "#ለሽያጭ", "#CarsForSale", "#Automotive"),
    },
    "Financial services": {
        "account": (
            "የቁጠባ ሂሳብ", "የሴቶች ቁጠባ ሂሳብ", "የልጆች ቁጠባ ሂሳብ", "የዲያስፖራ ሂሳብ", "የጊዜ ገደብ ተቀማጭ ሂሳብ",
        ),
        "fin_service": (
            "የቁጠባ ሂሳብ", "ከወለድ ነፃ ሂሳብ", "ከወለድ ነጻ ሂሳብ", "የሞባይል ባንኪንግ", "ዲጂታል ብድር",
            "የውጭ ምንዛሬ",
        ),
        "fin_product_en": ("savings account", "diaspora account", "youth account"),
        "insurance": ("የሕይወት ኢንሹራንስ", "የህይወት ኢንሹራንስ", "የጤና ኢንሹራንስ", "የመኪና ኢንሹራንስ"),
        "emoji": ("🏦", "💰", "💳", "💸", "📈", "🪙"),
        "hashtag": ("#ባንክ", "#ቁጠባ", "#Banking", "#DigitalPayments"),
    },
    "Telecom": {
        "tel_product": (
            "ያልተገደበ የኢንተርኔት ጥቅል", "ሳምንታዊ የዳታ ጥቅል", "ወርሃዊ የድምፅ ጥቅል", "ወርሃዊ የድምጽ ጥቅል",
            "የማታ ጥቅል", "የሶሻል ሚዲያ ጥቅል",
        ),
        "emoji": ("📶", "📱", "📞", "🌐", "🚀"),
        "hashtag": ("#ኢንተርኔት", "#ዳታ", "#4G", "#5G", "#Telecom"),
    },
    "CPG & consumer products": {
        "cpg_product": (
            "የምግብ ዘይት", "ፓስታ", "ማካሮኒ", "ብስኩት", "የታሸገ ውሃ", "ቡና", "የለስላሳ መጠጥ", "ዱቄት",
            "ሻይ ቅጠል",
        ),
        "cpg_product_en": ("mango juice", "bottled water", "biscuits", "instant coffee"),
        "cosmetic": ("ሻምፖ", "የሰውነት ቅባት", "የፊት ክሬም", "የፀጉር ዘይት", "የጸጉር ዘይት", "ሽቶ"),
        "cosmetic_en": ("shea butter", "hair oil", "face cream", "perfume"),
        "detergent": ("የልብስ ሳሙና", "የእቃ ማጠቢያ ፈሳሽ", "የዱቄት ሳሙና", "የመፀዳጃ ቤት ማፅጃ"),
        "spice": ("በርበሬ", "ሚጥሚጣ", "ሽሮ", "የተፈጨ ቅመም", "ኮረሪማ"),
        "coffee_origin": ("ይርጋጨፌ", "ሲዳማ", "ጅማ", "ሐረር", "ሀረር", "ጉጂ", "ሊሙ"),
        "size": ("5 ሊትር", "3 ሊትር", "1 ኪሎ", "25 ኪሎ", "500 ግራም", "ካርቶን (24 ፍሬ)"),
        "emoji": ("🛒", "🧴", "🧼", "☕️", "🍯", "🥤"),
        "hashtag": ("#ጥራት", "#MadeInEthiopia", "#ቅናሽ"),
    },
    "Travel": {
        "dest": ("ዱባይ", "ኢስታንቡል", "ናይሮቢ", "ጅዳ", "ባንኮክ", "ጓንግዡ", "ካይሮ", "ጆሃንስበርግ"),
        "dest_en": ("Dubai", "Istanbul", "Nairobi", "Bangkok", "Guangzhou", "Cairo"),
        "ethdest": ("ላሊበላ", "ጎንደር", "አክሱም", "ባህር ዳር", "ሀዋሳ", "አርባ ምንጭ", "ሐረር", "ሀረር", "ወንጪ"),
        "resort": ("ቢሾፍቱ ሀይቅ ዳር", "ሀዋሳ ሐይቅ ዳር", "ላንጋኖ", "ወንጪ", "ሶደሬ"),
        "emoji": ("✈️", "🌍", "🏨", "🌴", "🧳", "🗺"),
        "hashtag": ("#ጉዞ", "#Travel", "#VisitEthiopia", "#ቪዛ"),
    },
    "Computing products & consumer electronics": {
        "laptop": (
            "HP EliteBook 840 G5", "Dell Latitude 7490", "Lenovo ThinkPad T480", "MacBook Air M1",
            "HP ProBook 450", "Dell XPS 13",
        ),
        "phone_model": (
            "iPhone 13 Pro", "iPhone 11", "Samsung Galaxy A54", "Samsung Galaxy S21",
            "Tecno Camon 20", "Infinix Hot 30", "Redmi Note 12",
        ),
        "gadget": (
            "ስማርት ሰዓቶች", "የጆሮ ማዳመጫዎች", "ፓወር ባንኮች", "ፍላሽ ዲስኮች", "ኪቦርድና ማውስ", "ራውተሮች",
            "ስፒከሮች",
        ),
        "appliance": (
            "ስማርት ቲቪ 55 ኢንች", "ፍሪጅ", "የልብስ ማጠቢያ ማሽን", "ማይክሮዌቭ", "የኤሌክትሪክ ምጣድ", "ብሌንደር",
        ),
        "emoji": ("💻", "📱", "🖥", "🎧", "⌨️", "🔌"),
        "hashtag": ("#ላፕቶፕ", "#ሞባይል", "#Electronics", "#Tech"),
    },
    "Media": {
        "person": (
            "አርቲስት ሰላማዊት ገብሬ", "ዶ/ር ዳዊት አለሙ", "ደራሲ ሕሊና ታደሰ", "ሥራ ፈጣሪ ናትናኤል ከበደ",
            "ስራ ፈጣሪ ሊድያ ሙሉጌታ",
        ),
        "topic": (
            "ሥራ ፈጠራ በኢትዮጵያ", "የወጣቶች ሕልም", "ቴክኖሎጂና ትምህርት", "ቤተሰብና ትዳር", "የገንዘብ አያያዝ",
        ),
        "freq": ("96.3", "99.1", "102.9", "105.7"),
        "emoji": ("📺", "📻", "📰", "🎙", "🔔"),
        "hashtag": ("#ቲቪ", "#ፖድካስት", "#Media", "#Subscribe"),
    },
    "Entertainment": {
        "artist": ("ድምፃዊት ሜሮን ተፈራ", "ድምፃዊ ዮናስ በቀለ", "ሀሁ ባንድ", "ድምፃዊት ትዕግስት አየለ"),
        "artist_en": ("Meron Tefera", "Yonas Bekele", "the Hahu Band"),
        "venue": ("ሚሌኒየም አዳራሽ", "ብሔራዊ ቴአትር", "ሸገር ፓርክ", "ሀበሻ ሆቴል አዳራሽ"),
        "venue_en": ("Millennium Hall", "the National Theatre", "Sheger Park"),
        "film": ("የልብ ወዳጅ", "ሰባተኛው ቀን", "ያልተነገረ ፍቅር", "መንታ መንገድ", "እንግዳ ሰው"),
        "team1": ("አርሰናል", "ቼልሲ", "ማንቸስተር ዩናይትድ", "ሊቨርፑል", "ሪያል ማድሪድ", "ባርሴሎና"),
        "team2": ("ማን ሲቲ", "ቶተንሃም", "ኒውካስል", "አትሌቲኮ ማድሪድ", "ባየርን ሙኒክ", "ጁቬንቱስ"),
        "emoji": ("🎤", "🎬", "🎶", "🎉", "🍿", "⚽️"),
        "hashtag": ("#ኮንሰርት", "#ፊልም", "#Weekend", "#Events"),
    },
    "Healthcare & pharma": {
        "service": (
            "እናቶችና ሕፃናት", "እናቶችና ህፃናት", "ውስጥ ደዌ", "ቀዶ ጥገና", "ማህፀን", "ልብ", "አጥንት", "ቆዳ",
        ),
        "check": ("ስኳር", "ደም ግፊት", "ጡት ካንሰር", "ኩላሊት", "ዓይን", "አይን"),
        "emoji": ("🏥", "💊", "🩺", "🦷", "❤️‍🩹", "🧪"),
        "hashtag": ("#ጤና", "#Health", "#ክሊኒክ"),
    },
}

# Non-ad pools (shared by the non-ad categories).
_NONAD_POOLS: dict[str, tuple[str, ...]] = {
    "eteam": ("ቅዱስ ጊዮርጊስ", "ኢትዮጵያ ቡና", "ፋሲል ከነማ", "መቻል", "ሀዋሳ ከተማ"),
    "eteam2": ("ባህር ዳር ከተማ", "ወላይታ ድቻ", "ሲዳማ ቡና", "ሀዲያ ሆሳዕና", "አዳማ ከተማ"),
    "eteam_en": ("St. George", "Ethiopia Bunna", "Fasil Kenema"),
    "eteam_en2": ("Mechal", "Hawassa City", "Sidama Bunna"),
    "team1": ("አርሰናል", "ቼልሲ", "ማንቸስተር ዩናይትድ", "ሊቨርፑል", "ሪያል ማድሪድ", "ባርሴሎና"),
    "team2": ("ማን ሲቲ", "ቶተንሃም", "ኒውካስል", "አትሌቲኮ ማድሪድ", "ባየርን ሙኒክ", "ጁቬንቱስ"),
    "africa_team": ("ግብፅ", "ግብጽ", "ናይጄሪያ", "ጋና", "ሞሮኮ", "ሴኔጋል", "ታንዛኒያ", "ኬንያ"),
    "player": ("ዳዊት ተስፋዬ", "ሚኪያስ ግርማ", "ቢኒያም አለማየሁ"),
    "player2": ("ያሬድ ከበደ", "ናሆም ደሳለኝ", "ሱራፌል ታደሰ"),
    "athlete": ("አትሌት ሰላማዊት ታደሰ", "አትሌት ብርቱካን ወልዴ", "አትሌት ሊያ በቀለ", "አትሌት ፀሐይ ተሰማ"),
    "wcity": ("በርሊን", "ለንደን", "ቦስተን", "ዱባይ", "ቶኪዮ", "ቺካጎ", "ፓሪስ"),
    "policy": ("የግብር", "የመሬት ይዞታ", "የሚዲያ", "የንግድ ፈቃድ", "የትምህርት"),
    "position": (
        "የሂሳብ ባለሙያ", "ሾፌር", "የሽያጭ ሰራተኛ", "ሶፍትዌር ኢንጂነር", "ፀሐፊ", "ጸሃፊ", "ነርስ",
        "የጥበቃ ሠራተኛ", "ማርኬቲንግ ኦፊሰር",
    ),
    "position_en": ("accountant", "sales officer", "software engineer", "nurse", "driver"),
    "insult": ("ደደብ", "ባለጌ", "ጅል"),
    "insult_en": ("damn", "crappy", "bloody"),
    "verse": (
        "ተስፋ አትቁረጥ፤ ፈጣሪ ከአንተ ጋር ነው", "ትዕግስት መራራ ናት ፍሬዋ ግን ጣፋጭ ነው",
        "ፍቅር ሁሉን ይችላል", "ምስጋና የልብ ሰላም ነው",
    ),
    "emoji": ("📢", "📌", "🔴", "⚡️", "📰"),
    "hashtag": ("#ኢትዮጵያ", "#Ethiopia", "#AddisAbaba", "#አዲስ_አበባ", "#ዜና"),
}

# Vertical price ranges in birr: (low, high) drawn log-uniformly and rounded to 2 significant figures.
_PRICE_RANGES: dict[str, tuple[int, int]] = {
    "Retail": (300, 8_000),
    "price_home": (3_000, 60_000),
    "price_laptop": (25_000, 180_000),
    "price_phone": (8_000, 150_000),
    "price_appliance": (5_000, 120_000),
    "price_ticket": (9_000, 150_000),
    "price_night": (1_500, 12_000),
    "price_trip": (2_500, 25_000),
    "price_premium": (150, 3_000),
    "Automotive": (1_500, 60_000),
    "Financial services": (5_000, 500_000),
    "Telecom": (10, 1_500),
    "CPG & consumer products": (30, 3_000),
    "Travel": (3_000, 60_000),
    "Computing products & consumer electronics": (300, 20_000),
    "Media": (20, 800),
    "Entertainment": (100, 5_000),
    "Healthcare & pharma": (200, 3_000),
    "price_car": (300_000, 6_500_000),
    "price_big": (10_000, 1_000_000),
    "price_food": (50, 250),
    "nonad": (50, 5_000),
}

# ---------------------------------------------------------------------------------------------
# Templates. Markup: {slot}, [alternative|spellings], <b>bold</b>, <i>italic</i>.
# Each entry: (template, tags, weight).
# ---------------------------------------------------------------------------------------------

TemplateSpec = tuple[str, tuple[str, ...], float]
_R: tuple[str, ...] = ("Religious",)
_G: tuple[str, ...] = ("Gambling",)
_P: tuple[str, ...] = ("Politics",)
_X: tuple[str, ...] = ("Profanity",)
_N: tuple[str, ...] = ()

_AD_TEMPLATES: dict[str, list[TemplateSpec]] = {
    "Retail": [
        ("🤬 ይሄን ደደብ ዋጋ አይተው ያውቃሉ?! {product} በ{price} ብቻ — የቀድሞው ሻጭ ባለጌ ነበር፣ እኛ አይደለንም 😂 "
         "{phone}", _X, 0.5),
        ("{emoji}{emoji} <b>[ታላቅ|ልዩ|የበዓል] ቅናሽ!</b> {emoji}\n{fashion_brand} በሁሉም {product} ላይ እስከ "
         "{discount} ቅናሽ አድርጓል።\n📍 አድራሻ፦ {addr}\n📞 {phone}\n{cta}", _N, 1.0),
        ("አዲስ የገቡ {product} 😍\n<i>ጥራታቸውን የጠበቁ፣ በተመጣጣኝ ዋጋ።</i>\n💰 ዋጋ፦ {price}\nለማዘዝ፦ {handle}\n"
         "📍 {place}", _N, 1.0),
        ("<b>{store_brand}</b>\n✅ {product}\n✅ {home_product}\n✅ {product}\nሁሉም በአንድ ቦታ! 🛍\n"
         "በ{place} ቅርንጫፋችን ይጎብኙን ወይም {phone} ላይ ይደውሉ።", _N, 1.0),
        ("የቤትዎን ውበት በ{home_brand} ይቀይሩ {emoji}\n{home_product} በ[ዱቤ|ብድር|ቅድመ ክፍያ] መግዛት ይችላሉ። "
         "ከ{price_home} ጀምሮ።\n📞 {phone} | {handle}", _N, 0.8),
        ("ጥራት ያለው {product} በፈለጉት መጠንና ቀለም {emoji}\nዋጋ፦ {price} ብቻ!\n[ቻናላችንን ይቀላቀሉ|ለተጨማሪ "
         "ምርጫዎች ቻናላችንን ይቀላቀሉ] 👉 {link}", _N, 1.0),
        ("🌼 እንኳን ለ{relholiday} በዓል በሰላም አደረሳችሁ! 🌼\n{store_brand} በዓሉን ምክንያት በማድረግ በ{product} "
         "ላይ {discount} ቅናሽ አድርጓል። {cta_link}", _R, 0.4),
        ("ለምን {fashion_brand}?\n1️⃣ [ኦሪጅናል|ጥራት ያለው] እቃ\n2️⃣ ነፃ የቤት ለቤት አቅርቦት 🚚\n3️⃣ ተመጣጣኝ "
         "ዋጋ\n{product} — {price}\n{cta} ☎️ {phone}", _N, 0.6),
        ("🔥 <b>FLASH SALE</b> at {brand_en}! Up to {discount} off all {product_en}. Visit us at "
         "{place_en} or call {phone}. {hashtag}", _N, 0.5),
        ("New arrivals 😍 {product} ገብተዋል! Size 36-44 | Price: {price}\nFree delivery በአዲስ አበባ ውስጥ "
         "🚚 DM {handle}", _N, 0.5),
    ],
    "Automotive": [
        ("🚗 <b>{car} ለሽያጭ</b>\n✔️ የተመረተበት [ዓመት|አመት]፦ {year}\n✔️ የተጓዘው፦ {km} ኪ.ሜ\n✔️ ዋጋ፦ "
         "{price_car} (ድርድር አለ)\n📞 {phone}", _N, 1.2),
        ("{parts_shop} — ኦሪጅናል {part} ከ{discount} ቅናሽ ጋር {emoji}\n📍 {addr}\n{cta}", _N, 1.0),
        ("መኪናዎ [ችግር ገጥሞታል|ተበላሽቷል]? 🔧 {garage} [ሙያዊ|ፈጣን] ጥገና በ24 ሰዓት ውስጥ።\nሞተር፣ ፍሬን፣ "
         "ኤሌክትሪክ እና የቦዲ ስራዎች\n☎️ {phone}", _N, 1.0),
        ("አዲስ {car} ከቀረጥ ነፃ ዋጋ {price_car} 🔥 {dealer}\nበባንክ ብድር መግዛት ይቻላል።\n{handle}", _N, 1.0),
        ("የነዳጅ ወጪዎን ይቀንሱ! ⚡ {ev} አሁን በ{dealer} ይገኛል።\nለሙከራ ማሽከርከር {cta_link}", _N, 0.8),
        ("የመንጃ ፍቃድ ስልጠና 🚦 {school} ምዝገባ ጀምሯል! ክፍያ {price} በ2 ዙር።\n📍 {place} 📞 {phone}",
         _N, 0.7),
        ("🚙 {car} for sale — clean, {year} model, {km} km. Asking {price_car_en}. Call {phone}", _N, 0.5),
        ("Original {part_en} በቅናሽ ዋጋ 🛞 Toyota, Hyundai, Suzuki... ሁሉም አለ! {parts_shop} {handle}",
         _N, 0.5),
    ],
    "Financial services": [
        ("🏦 <b>{bank}</b>\n{account} ከፍተው [በዓመት|በየዓመቱ|በአመት] እስከ {rate}% ወለድ ያግኙ!\nበአቅራቢያዎ "
         "ቅርንጫፍ ይምጡ ወይም {ussd} ይደውሉ።", _N, 1.0),
        ("ያለ ማስያዣ እስከ {price} ብድር በ5 ደቂቃ 📲\nየ{wallet} መተግበሪያን አውርደው ይመዝገቡ 👉 {link}",
         _N, 1.0),
        ("ቤተሰብዎን በ{insurer} {insurance} ይጠብቁ 🛡\nወርሃዊ ክፍያ ከ{price_premium} ጀምሮ።\nለበለጠ መረጃ፦ {phone}",
         _N, 1.0),
        ("ከውጭ የሚላክልዎን ገንዘብ በ{bank} ይቀበሉ 💸 በየሳምንቱ በሚወጣ ዕጣ ሽልማት ያሸንፉ! 🎉\n{cta}",
         _N, 0.8),
        ("{wallet} — በስልክዎ ገንዘብ ይላኩ፣ ይቀበሉ፣ ክፍያ ይፈጽሙ ✅ አሁን {fin_service} አገልግሎትም ጀምረናል።\n"
         "{handle}",
         _N, 1.0),
        ("{bank} አዲስ የዲጂታል ብድር አገልግሎት ይፋ አደረገ። ደንበኞች ያለ ማስያዣ እስከ {price} መበደር ይችላሉ። "
         "ዝርዝሩን ይመልከቱ 👉 {link}", _N, 0.6),
        ("💳 የ{bank} ዴቢት ካርድ ባለቤት ይሁኑ! በሁሉም ኤቲኤሞች እና የክፍያ ማሽኖች ይጠቀሙ።\n{cta_link}",
         _N, 0.7),
        ("እንኳን ለ{relholiday} በዓል በሰላም አደረሳችሁ 🙏🏽 {bank} ለደንበኞቹ መልካም በዓል ይመኛል። በዓሉን "
         "በካርድዎ ይሸምቱ 💳", _R, 0.3),
        ("Open a {fin_product_en} with {bank_en} today and earn up to {rate}% interest 📈 Dial {ussd} "
         "or visit {link}", _N, 0.5),
        ("📲 Mobile banking ከ{bank} — 24/7 አገልግሎት! Transfer, bill payment, airtime ሁሉንም በአንድ app። "
         "Download 👉 {link}", _N, 0.5),
    ],
    "Telecom": [
        ("📶 <b>{telco}</b>\n{tel_product} — {gb} GB በ{price} ብቻ!\nለመግዛት {ussd} ይደውሉ።", _N, 1.2),
        ("የቤትዎን ኢንተርኔት በ{isp} ፋይበር ያፍጥኑ 🚀 እስከ {mbps} Mbps\nየመግጠሚያ ክፍያ የለም! 📞 {phone}",
         _N, 1.0),
        ("አዲስ! የ{telco} 4G አገልግሎት በ{place} እና አካባቢው ተጀመረ 🎉 ሲም ካርድዎን ዛሬውኑ ያሳድጉ።",
         _N, 1.0),
        ("ወዳጆችዎን ያለ ገደብ ያውሩ 📞 {tel_product} በቀን {price}።\nዝርዝሩን እዚህ ይመልከቱ 👉 {link}", _N, 1.0),
        ("🎁 የ{telco} ቦነስ፦ ዳታ ሲገዙ {pct}% ተጨማሪ ያግኙ። እስከ {month} {day} ብቻ የሚቆይ ቅናሽ።", _N, 1.0),
        ("{telco} የ5G አገልግሎቱን በ{place} አካባቢ አስጀመረ። ደንበኞች ሲም ካርዳቸውን በነፃ ማሳደግ ይችላሉ። "
         "{ussd} ይደውሉ።", _N, 0.6),
        ("ሲም ካርድ ጠፋብዎት? 📱 በ{telco} የደንበኞች ማዕከል በ5 ደቂቃ ይተኩ። [ነፃ|ነጻ|ያለ ክፍያ] ነው! ☎️ {short}",
         _N, 0.7),
        ("Stay connected 🌐 {telco_en} unlimited night package — just {price_en}! Dial {ussd}", _N, 0.5),
        ("🔥 Weekend offer: {gb}GB data በ{price} ብቻ! Valid for 7 days። {ussd} ይደውሉ", _N, 0.5),
    ],
    "CPG & consumer products": [
        ("🍝 <b>ለቤተሰብዎ ምርጡን!</b> {food_brand} {cpg_product} አሁን በሁሉም ሱፐርማርኬቶች ይገኛል።", _N, 1.0),
        ("☕ <b>እውነተኛው የኢትዮጵያ ጣዕም!</b> {coffee_brand} — ከ{coffee_origin} የተመረጠ ቡና። የተቆላ እና "
         "የተፈጨ 1 ኪሎ {price}", _N, 0.8),
        ("{cpg_product} {size} በ{price} 🛒 በጅምላ ለሚገዙ ልዩ ዋጋ!\n📍 {place} | 📞 {phone}", _N, 1.0),
        ("[ለፀጉርዎ|ለጸጉርዎ] ልስላሴ 💆‍♀️ {cos_brand} {cosmetic} ይጠቀሙ። ከኬሚካል [ነፃ|ነጻ] ✅\nለማዘዝ {handle}",
         _N, 1.0),
        ("[ንፁህ|ንጹህ|ንጹሕ] ቤት፣ ደስተኛ ቤተሰብ 🧼 {soap_brand} {detergent} — ትንሽ ይጠቀሙ፣ ብዙ ያጥቡ።", _N, 1.0),
        ("በቤት ውስጥ የተዘጋጀ {spice} 🌶 [ንፅህናው|ንጽህናው] የተጠበቀ። 1 ኪሎ {price}\nቤት ድረስ እናደርሳለን 🚚 "
         "{phone}", _N, 1.0),
        ("🍯 [የተፈጥሮ|ንፁህ] የ{region} ማር በ{honey_brand}! ያለ ምንም ቅልቅል። ግማሽ ኪሎ {price}\n{cta} "
         "{handle}", _N, 0.8),
        ("Taste the difference 🥤 {food_brand_en} {cpg_product_en} — now in 500ml and 1L. Find it at "
         "your nearest shop!", _N, 0.5),
        ("🧴 Original {cosmetic_en} ከዱባይ የመጣ! Price: {price} | Delivery አለ 🚚 {phone}", _N, 0.5),
    ],
    "Travel": [
        ("✈️ <b>{agency}</b>\nወደ {dest} የደርሶ መልስ ትኬት ከ{price_ticket} ጀምሮ!\nቪዛ እና ሆቴል እናመቻቻለን። 📞 "
         "{phone}", _N, 1.2),
        ("የ[ዕረፍት|እረፍት] ጊዜዎን በ{resort} ያሳልፉ 🌴 ለ2 ሰው የ3 ቀን ቆይታ {price}\nቁርስና እራት ተካቷል። {cta}",
         _N, 1.0),
        ("ለ{relholiday} በዓል ወደ {ethdest} የጉዞ ፕሮግራም 🚌 {tour} — ቦታ ውስን ነው! ይመዝገቡ {handle}", _R, 0.4),
        ("የ{dest} ቪዛ በ10 የ[ሥራ|ስራ] ቀናት 🛂 {agency} ታማኝ አገልግሎት። 📍 {addr}", _N, 1.0),
        ("🏨 {hotel} — ምቹ መኝታ ክፍሎች፣ ዋይፋይ እና የአየር ማረፊያ ትራንስፖርት። አንድ ምሽት ከ{price_night}። ቦታ "
         "ለማስያዝ {phone}", _N, 1.0),
        ("🗺 የሳምንቱ መጨረሻ ጉዞ ወደ {ethdest} ከ{tour} ጋር! ትራንስፖርት፣ ምግብና መኝታ ጨምሮ በ{price_trip}። "
         "{cta_link}", _N, 1.0),
        ("✈️ Book your flight to {dest_en} from {price_ticket_en}! Visa support & hotel booking by "
         "{agency_en}. DM {handle}", _N, 0.5),
        ("Honeymoon package 💑 ወደ {ethdest} 3 ምሽት ብቻ {price_trip}! Limited offer 🔥 {phone}", _N, 0.5),
    ],
    "Computing products & consumer electronics": [
        ("💻 <b>{laptop}</b>\n🔹 RAM፦ {ram}GB\n🔹 ማከማቻ፦ {ssd}GB SSD\n🔹 ባትሪ፦ [በጣም ጥሩ|ጥሩ]\n💵 ዋጋ፦ "
         "{price_laptop}\n📲 {phone} | {handle}", _N, 1.2),
        ("📱 {phone_model} — ኦሪጅናል፣ ከ1 [ዓመት|አመት] ዋስትና ጋር ✅\nዋጋ፦ {price_phone}\n📍 {addr}", _N, 1.0),
        ("{tech_shop} ላይ አዳዲስ {gadget} ገብተዋል 🔥 በብዛት ለሚወስዱ ቅናሽ አለ።\n{cta} ☎️ {phone}", _N, 1.0),
        ("ያገለገለ {phone_model} በጥሩ ሁኔታ ላይ የሚገኝ 👌 ዋጋ፦ {price_phone} (ድርድር አለ)\nውስጥ መስመር {handle}",
         _N, 1.0),
        ("⚡ የቤት ኤሌክትሮኒክስ ቅናሽ! {appliance} ከ{price_appliance} ጀምሮ። ጥገናም እንሰራለን 🛠 📍 {place}", _N, 1.0),
        ("🖥 ለቢሮዎ ሙሉ የኮምፒውተር ሲስተም፣ ፕሪንተር እና የኔትወርክ ዝርጋታ — {tech_shop}። ለድርጅቶች በዱቤ። 📧 "
         "{email}", _N, 0.6),
        ("Brand new {laptop} 💻 {ram}GB RAM / {ssd}GB SSD — {price_laptop_en}. Warranty included. Call {phone}",
         _N, 0.5),
        ("🎧 Wireless earbuds, power bank, smart watch — ሁሉም original! Price ከ{price} ጀምሮ። Order: "
         "{handle}", _N, 0.5),
    ],
    "Media": [
        ("📺 ዛሬ ምሽት 2፡00 ሰዓት በ{tv} ይጠብቁን! ልዩ ቃለ መጠይቅ ከ{person} ጋር። <i>እንዳያመልጥዎ!</i>", _N, 1.0),
        ("የ{tv} ዩቲዩብ ቻናልን ሰብስክራይብ ያድርጉ 🔔 አዳዲስ ፕሮግራሞች በየሳምንቱ!\n{link}", _N, 1.0),
        ("📰 አዲሱ የ{press} እትም ወጥቷል! በ{price} በሁሉም የጋዜጣ መሸጫዎች ያገኙታል።", _N, 1.0),
        ("📲 <b>ቻናላችንን ይቀላቀሉ!</b> ትኩስ መረጃዎችን በፍጥነት ያግኙ 👇\n{link}", _N, 1.0),
        ("🎙 አዲስ የ{podcast} ክፍል፦ «{topic}» — አሁኑኑ ያዳምጡ {cta_link}", _N, 1.0),
        ("📻 {radio} {freq} — በየቀኑ ከጠዋቱ 12 ሰዓት ጀምሮ ሙዚቃ፣ ዜና እና መዝናኛ። ማስታወቂያ ለማሰራት {phone}",
         _N, 0.8),
        ("📺 Don't miss tonight's episode on {tv_en}! Subscribe on YouTube 🔔 {link}", _N, 0.5),
        ("Join our channel 👉 {link} ለዕለታዊ ዜና፣ ስፖርት እና መዝናኛ። Share ያድርጉ 🙏", _N, 0.5),
        ("🗳 ልዩ የፖለቲካ ክርክር ፕሮግራም፦ የተቃዋሚ እና የገዢው ፓርቲ ተወካዮች ዛሬ ምሽት 3፡00 በ{tv}! "
         "ይከታተሉን {link}", _P, 1.0),
    ],
    "Entertainment": [
        ("🎤 <b>ታላቅ የሙዚቃ ኮንሰርት</b> ከ{artist} ጋር!\n📅 {month} {day}\n📍 {venue}\nአዘጋጅ፦ {events}\n"
         "ትኬት፦ {price} | {phone}", _N, 1.0),
        ("🎬 አዲሱ የአማርኛ ፊልም «{film}» ከዓርብ ጀምሮ በ{cinema}! ትኬትዎን አሁኑኑ ይቁረጡ 🍿", _N, 1.0),
        ("የሳምንቱ መጨረሻ ምሽት በ{club} 🎶 ዲጄ፣ ቀጥታ ሙዚቃ እና ልዩ መጠጦች። መግቢያ {price}", _N, 0.8),
        ("⚽️ በ{betbrand} ይወራረዱ! ለአዲስ ተመዝጋቢዎች {pct}% ቦነስ 💰\nዛሬውኑ ይመዝገቡ 👉 {link}", _G, 0.9),
        ("🔥 የዛሬ ምሽት ጨዋታዎች\n{team1} vs {team2} — ኦድ {odd}\n{team1} vs {team2} — ኦድ {odd}\n"
         "በ{betbrand} ይጫወቱ፣ ያሸንፉ! 18+ 🔞", _G, 0.8),
        ("💸 በ10 ብር ብቻ ተወራርደው እስከ {price_big} ያሸንፉ! {betbrand} — ፈጣን ክፍያ በሞባይል ገንዘብ። "
         "{handle}", _G, 0.7),
        ("🎮 {gamezone} — PS5፣ FIFA እና ሌሎችም ጨዋታዎች። በሰዓት {price}። 📍 {place}", _N, 0.6),
        ("🎉 Live music night with {artist_en} this Friday at {venue_en}! Tickets {price_en} — call {phone}",
         _N, 0.5),
        ("Bet smarter ⚽️ {betbrand}: Odds ከፍተኛ፣ withdrawal ፈጣን! Sign up 👉 {link} 18+", _G, 0.4),
        ("😂 ያልተቆረጠ ስታንድአፕ ኮሜዲ በ{club}! «እነዚህ ደደብ ሹፌሮች» ሾው ተመልሷል 🔞 18+ ብቻ። "
         "መግቢያ {price} | {phone}", _X, 1.0),
    ],
    "Healthcare & pharma": [
        ("🏥 <b>{clinic}</b>\nየ{service} ሕክምና አገልግሎት በ[ልምድ ባላቸው|ባለሙያ] [ሐኪሞች|ሀኪሞች|ሃኪሞች]። "
         "24/7 ክፍት ነን።\n📍 {addr} | ☎️ {phone}", _N, 1.2),
        ("🩺 [ነፃ|ነጻ] የ{check} ምርመራ ከ{month} {day} ጀምሮ ለ{n2} ቀናት ብቻ! {clinic} ይጎብኙ።", _N, 1.0),
        ("💊 {pharmacy} — የስኳር፣ የደም ግፊት እና ሌሎች [መድኃኒቶች|መድሀኒቶች|መድሃኒቶች] በተመጣጣኝ ዋጋ። ቤት "
         "ድረስ እናደርሳለን 🚚 {phone}", _N, 1.0),
        ("የጥርስ [ሕመም|ህመም] አስቸግሮዎታል? 🦷 {dental} ጥርስ [ማፅዳት|ማጽዳት] በ{price} ብቻ!\n{cta}", _N, 1.0),
        ("{clinic} አዲስ የልብ ሕክምና ክፍል ከፈተ። ታካሚዎች ከሰኞ ጀምሮ ቀጠሮ መያዝ ይችላሉ፤ ለቀጠሮ {phone}",
         _N, 0.5),
        ("🧪 {lab} — የላብራቶሪ ምርመራ በቤትዎ! ናሙና ከቤትዎ ወስደን ውጤቱን በ24 ሰዓት እንልካለን። {handle}",
         _N, 0.8),
        ("👁 {eye} — የዓይን ምርመራ እና መነፅር በአንድ ቦታ። ለተማሪዎች {discount} ቅናሽ። 📍 {place}", _N, 0.8),
        ("🏥 {clinic_en}: specialist doctors, lab and pharmacy under one roof. Book an appointment: "
         "{phone}", _N, 0.5),
        ("Dental check-up 🦷 በ{price} ብቻ! Whitening, braces እና implants። {dental} Call {phone}", _N, 0.5),
    ],
}

_NONAD_TEMPLATES: dict[str, list[TemplateSpec]] = {
    "news": [
        ("<b>{city}</b>\n{city} ከተማ [ዛሬ ጠዋት|ትናንት ምሽት] በደረሰ የትራፊክ አደጋ የ{n} ሰዎች [ሕይወት|ህይወት] "
         "ሲያልፍ {n2} ሰዎች ላይ ጉዳት ደርሷል። ፖሊስ የአደጋውን መንስኤ እያጣራ መሆኑን ገልጿል።", _N, 1.0),
        ("የአዲስ አበባ ከተማ አስተዳደር የ{n} ኪሎ ሜትር የመንገድ ግንባታ ማስጀመሩን አስታወቀ። ግንባታው በ{n2} ወራት "
         "ውስጥ ይጠናቀቃል ተብሏል።", _N, 1.0),
        ("⛽️ <b>የነዳጅ ዋጋ ማስተካከያ</b>\nከነገ ጀምሮ ቤንዚን በሊትር {price_fuel}፣ ናፍጣ በሊትር {price_fuel} "
         "እንደሚሸጥ የንግድ ሚኒስቴር አስታውቋል።", _N, 0.7),
        ("⚡️ የኤሌክትሪክ አገልግሎት መቋረጥ\nነገ ከጠዋቱ 2፡00 እስከ ቀኑ 11፡00 ሰዓት በ{place}፣ {place} እና "
         "አካባቢው የኤሌክትሪክ አገልግሎት ይቋረጣል።", _N, 1.0),
        ("📚 የ12ኛ ክፍል ብሔራዊ ፈተና ውጤት ይፋ ሆነ። ተማሪዎች ውጤታቸውን {link} ላይ ወይም ወደ {short} አጭር የጽሑፍ "
         "መልዕክት በመላክ ማየት ይችላሉ።", _N, 0.6),
        ("{city_tag}\nበ{city} ከተማ ትናንት በተነሳ የእሳት ቃጠሎ {n} የንግድ ሱቆች ወድመዋል። በሰው ላይ የደረሰ "
         "ጉዳት የለም።", _N, 1.0),
        ("💧 በ{place} አካባቢ ከነገ ጀምሮ ለ{n2} ቀናት የውሃ አቅርቦት እንደሚቋረጥ የከተማው ውሃና ፍሳሽ ባለስልጣን "
         "አሳውቋል።", _N, 0.8),
        ("📈 ባለፈው ወር አጠቃላይ የዋጋ ንረት {pct}.{n2} በመቶ መድረሱን የስታቲስቲክስ አገልግሎት ገለጸ። የምግብ "
         "ዋጋ ንረት ከፍተኛውን ድርሻ ይዟል።", _N, 0.7),
        ("BREAKING: A fire at a market in {city_en} destroyed {n} shops overnight; no injuries were "
         "reported, police said. #Ethiopia", _N, 0.5),
        ("Update 📢 የ{place} መንገድ ለጥገና ዝግ ነው። Please use alternative routes። #AddisAbaba", _N, 0.4),
    ],
    "politics": [
        ("የሕዝብ ተወካዮች ምክር ቤት ዛሬ ባካሄደው [መደበኛ|አስቸኳይ] ስብሰባ የ{eyear} በጀት ዓመት ረቂቅ በጀትን "
         "መርምሮ [አፀደቀ|አጸደቀ]።", _P, 1.0),
        ("🗳 ብሔራዊ የምርጫ ቦርድ በ{region} ክልል ለሚካሄደው ምርጫ የዕጩዎች ምዝገባ መጀመሩን አስታወቀ።", _P, 1.0),
        ("የ{region} ክልል [መንግሥት|መንግስት] እና ተቃዋሚ ፓርቲዎች በሰላም ድርድሩ ዙሪያ ውይይት አካሄዱ። ውይይቱ "
         "በሚቀጥለው ሳምንት ይቀጥላል ተብሏል።", _P, 1.0),
        ("#ፖለቲካ\n{n} የተቃዋሚ ፓርቲዎች በጋራ ባወጡት መግለጫ በ{region} ያለው የፀጥታ ሁኔታ እንዲሻሻል "
         "[መንግሥት|መንግስት] አፋጣኝ እርምጃ እንዲወስድ ጠየቁ።", _P, 1.0),
        ("የፌዴራል [መንግሥቱ|መንግስቱ] አዲሱን {policy} ረቂቅ አዋጅ ለሕዝብ ውይይት አቀረበ። ዜጎች እስከ {month} "
         "{day} ድረስ አስተያየት መስጠት ይችላሉ።", _P, 1.0),
        ("Parliament approved the {eyear} E.C. federal budget on Tuesday after a long debate, "
         "officials said.", _P, 0.4),
    ],
    "sport": [
        ("⚽️ <b>የኢትዮጵያ ፕሪምየር ሊግ</b>\n{eteam} {s1} - {s2} {eteam2}\nግቦቹን {player} እና {player2} "
         "አስቆጥረዋል።", _N, 1.2),
        ("🏃🏾‍♀️ {athlete} በ{wcity} ማራቶን አንደኛ በመውጣት አሸነፈች! 🥇🇪🇹 እንኳን ደስ አለሽ!", _N, 1.0),
        ("ዋልያዎቹ ለአፍሪካ ዋንጫ ማጣሪያ ከ{africa_team} ጋር ነገ ምሽት 1፡00 ሰዓት ይጫወታሉ። ቡድኑ ዛሬ የመጨረሻ "
         "ልምምዱን አድርጓል።", _N, 1.0),
        ("[ዝውውር|የዝውውር ዜና] 🔄 {player} ለ{eteam} ለ{years} ዓመት ለመጫወት ፈርሟል።", _N, 0.8),
        ("የእንግሊዝ ፕሪምየር ሊግ ውጤት፦ {team1} {s1}-{s2} {team2} ⚽️", _N, 1.0),
        ("FULL TIME ⏱ {eteam_en} {s1}-{s2} {eteam_en2}. #EthiopianPremierLeague", _N, 0.4),
    ],
    "tips": [
        ("📊 የዛሬ ትንበያ\n{team1} vs {team2} — 1X\n{team1} vs {team2} — ከ2.5 በላይ ጎል\nሁሉም በራስዎ "
         "ኃላፊነት 🔞", _G, 1.0),
        ("ትናንት ከሰጠናችሁ 5 ትንበያዎች 4ቱ ገብተዋል ✅✅✅✅❌ ዛሬም ይጠብቁን! 🔞", _G, 0.6),
    ],
    "weather": [
        ("🌦 <b>የአየር ሁኔታ ትንበያ</b>\nበሚቀጥሉት {n2} ቀናት በ{region} እና በአዲስ አበባ ከባድ ዝናብ ይጠበቃል። "
         "ህብረተሰቡ ጥንቃቄ እንዲያደርግ የሚቲዮሮሎጂ ኢንስቲትዩት አሳስቧል።", _N, 1.0),
        ("☀️ ዛሬ በአዲስ አበባ የቀኑ ከፍተኛ የሙቀት መጠን {temp}°C ሲሆን ዝቅተኛው {temp2}°C ይሆናል ተብሎ "
         "ይጠበቃል።", _N, 1.0),
        ("🌫 በ{region} ቆላማ አካባቢዎች ሞቃታማና ደረቅ የአየር ሁኔታ ይቀጥላል። አርሶ አደሮች ውሃ እንዲያቆሩ "
         "ምክር ተሰጥቷል።", _N, 0.8),
        ("Weather: light rain expected in Addis Ababa this afternoon, high of {temp}°C ☔", _N, 0.4),
    ],
    "religious": [
        ("✝️ እንኳን ለብርሃነ ልደቱ በሰላም አደረሳችሁ! 🎄 መልካም የገና በዓል ይሁንላችሁ። 🙏🏾", _R, 1.0),
        ("🌙 ኢድ ሙባረክ! እንኳን ለ{hijri}ኛው የኢድ አል ፈጥር በዓል በሰላም አደረሳችሁ። 🤲🏽", _R, 1.0),
        ("እንኳን ለብርሃነ [ትንሣኤው|ትንሳኤው] በሰላም አደረሳችሁ! 🐣 መልካም የፋሲካ በዓል! 🕊", _R, 1.0),
        ("🔥 መልካም የመስቀል በዓል! የደመራ በዓል በ{city} በድምቀት ተከበረ። ✝️", _R, 1.0),
        ("💧 እንኳን ለከተራ እና ለጥምቀት በዓል በሰላም አደረሳችሁ። መልካም በዓል! ✝️", _R, 1.0),
        ("🕌 የረመዳን ወር ተጀመረ። ረመዳን ከሪም! ለሙስሊሙ ማህበረሰብ መልካም የ[ፆም|ጾም] ወቅት እንመኛለን። 🌙",
         _R, 1.0),
        ("🙏 <i>«{verse}»</i> — የዕለቱ መልዕክት", _R, 0.7),
        ("Merry Christmas to everyone celebrating today! 🎄 መልካም በዓል! 🇪🇹", _R, 0.4),
    ],
    "job": [
        ("📢 <b>የ[ሥራ|ስራ] ማስታወቂያ</b>\nድርጅት፦ {org}\nየሥራ መደብ፦ {position}\nብዛት፦ {n2}\nየትምህርት "
         "ደረጃ፦ [ዲግሪ|ዲፕሎማ|ማስተርስ]\nየሥራ ልምድ፦ {n2} ዓመት\nደመወዝ፦ በስምምነት\nየማመልከቻ ማብቂያ፦ {month} "
         "{day}\nCV ወደ {email} ይላኩ።", _N, 1.0),
        ("#ክፍት_የሥራ_ቦታ\n{org} {position} መቅጠር ይፈልጋል። አመልካቾች የትምህርት ማስረጃቸውን ይዘው {place} በሚገኘው "
         "ቢሯችን በአካል መቅረብ ይችላሉ።", _N, 1.0),
        ("We're hiring! 💼 {org_en} is looking for a {position_en}. Send your CV to {email} before "
         "{month_en} {day}.", _N, 0.5),
        ("Vacancy 📢 {position} — {org}። Experience: {n2} years። Apply via {email}", _N, 0.5),
    ],
    "opinion": [
        ("የኑሮ ውድነቱ ከአቅም በላይ ሆኗል። አንድ ኪሎ ሽንኩርት {price_food} ሲገባ ደመወዛችን ግን ያው ነው። "
         "[መንግሥት|መንግስት] ምን እየሰራ ነው? 🤔", _P, 1.0),
        ("እውነት ለመናገር የዘንድሮው ክረምት ከባድ ነበር። ግን ተስፋ አንቆርጥም 💪🏾", _N, 1.0),
        ("ታክሲ ውስጥ ዛሬ ያየሁት ነገር... ሰዎች እርስ በእርስ መከባበር ትተናል እንዴ? 😔", _N, 1.0),
        ("እነዚህ {insult} ሹፌሮች መንገዱን ሁሉ ዘጉት! ትራፊክ ፖሊስ የት ነው ያለው? 😡", _X, 0.3),
        ("What the hell is wrong with this {insult_en} network?! ዛሬ ሙሉ ቀን ኢንተርኔት የለም 🤬", _X, 0.2),
        ("የሰላም ድርድሩ ውጤት ያመጣል ብላችሁ ታስባላችሁ? ሀሳባችሁን በኮመንት አጋሩን 👇", _P, 0.8),
        ("📖 የዕለቱ ምክር፦ ቁጠባ ከትንሽ ይጀምራል። በየቀኑ 10 ብር ብታስቀምጡ በዓመት 3,650 ብር ይሆናል።",
         _N, 0.6),
        ("Honestly, Addis traffic gets worse every year. Anyone else spend 2 hours on the road "
         "today? 🚕", _N, 0.4),
    ],
    # Business news that names the same brands the ads do: hard negatives for an ad classifier.
    "business": [
        ("🏦 {bank} በ{city} ከተማ {n} አዳዲስ ቅርንጫፎችን መክፈቱን አስታወቀ። ባንኩ በዘንድሮው በጀት ዓመት "
         "ትርፉ መጨመሩንም ገልጿል።", _N, 1.0),
        ("{telco} የደንበኞቹ ቁጥር {n} ሚሊዮን መድረሱን ገለጸ። ኩባንያው በ{region} ክልል የኔትወርክ ሽፋኑን "
         "እያሰፋ መሆኑን አስታውቋል።", _N, 1.0),
        ("{dealer} ከውጭ ያስገባቸው {n} ኤሌክትሪክ መኪኖች በጉምሩክ ምክንያት መዘግየታቸው ተገለጸ።", _N, 0.8),
        ("የ{clinic} ሐኪሞች በ{city} ለ{n} ቀናት ነፃ የቀዶ ጥገና ዘመቻ ማካሄዳቸው ተነገረ። 🏥", _N, 0.8),
        ("{food_brand} በ{city} አዲስ የምግብ ማቀነባበሪያ ፋብሪካ ገንብቶ ለ{n}00 ሰዎች የሥራ ዕድል ፈጠረ።", _N, 0.8),
        ("{tech_shop}ን ጨምሮ የኤሌክትሮኒክስ መሸጫ ሱቆች ስለ ሞባይል ቀረጥ ጭማሪ ቅሬታ አቀረቡ። 📱 ዋጋ በ{pct}% "
         "ሊጨምር ይችላል ተብሏል።", _N, 0.7),
        ("Business: {bank_en} reported a {pct}% rise in deposits this year and plans {n} new branches.",
         _N, 0.4),
    ],
    "notice": [
        ("ውድ ደንበኞቻችን 🙏 ነገ በበዓሉ ምክንያት ሱቃችን ዝግ መሆኑን እናሳውቃለን። ከሰኞ ጀምሮ እንደተለመደው "
         "እንጠብቃችኋለን።", _N, 1.0),
        ("ሰላም ውድ የቻናላችን ቤተሰቦች 👋 ዛሬ {n}ኬ ተከታዮች ደረስን! ስለ ድጋፋችሁ እናመሰግናለን ❤️🇪🇹", _N, 1.0),
        ("❓ ጥያቄ፦ በሚቀጥለው ምን አይነት ፖስቶችን ማየት ትፈልጋላችሁ? በኮመንት ንገሩን 👇", _N, 1.0),
        ("መልካም ቅዳሜ! ☀️ ሳምንቱን እንዴት አሳለፋችሁ?", _N, 1.0),
        ("[ሰላም|ሠላም] ለሁላችሁ! 🙏 ዛሬ ጠዋት ቴክኒካል ችግር ስለነበር ፖስቶች ዘግይተዋል። ይቅርታ እንጠይቃለን።",
         _N, 0.8),
        ("Good morning everyone ☀️ Have a blessed day! 🙏🏽", _N, 0.4),
    ],
}

_LONG_LINE_ITEMS: dict[str, tuple[str, ...]] = {
    "Computing products & consumer electronics": (
        "{laptop} — {price_laptop}", "{phone_model} — {price_phone}", "{gadget} — {price}",
        "{appliance} — {price_appliance}",
    ),
    "Retail": ("{product} — {price}", "{home_product} — {price_home}"),
}

# Emoji clusters for emoji-heavy posts: ZWJ sequences, skin tones, keycaps, the flag.
_EMOJI_HEAVY = (
    "🇪🇹🇪🇹🇪🇹", "👨‍👩‍👧‍👦", "👍🏽👍🏾👍🏿", "🙏🏾", "💃🏽🕺🏾", "👩🏾‍💻", "❤️‍🔥", "🏃🏽‍♀️", "1️⃣2️⃣3️⃣",
    "🔥🔥🔥", "✨✨", "👏🏻👏🏼", "🧑🏿‍🍳", "🎉🎊",
)
_KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
_CUSTOM_EMOJI = ("🔥", "⭐️", "✅", "❤️", "👑", "💎")

# Homophone series (first member of each 7-order series): spelling variants writers mix.
_SERIES_SWAPS = ((0x1230, 0x1220), (0x1200, 0x1210), (0x1200, 0x1280), (0x12A0, 0x12D0),
                 (0x1340, 0x1338), (0x1338, 0x1340))
_HOMOPHONE_TABLES = tuple(
    str.maketrans({chr(src + k): chr(dst + k) for k in range(7)}) for src, dst in _SERIES_SWAPS
)

# One-word swaps used to make near-duplicate reposts (each keeps the token count).
_WORD_SWAPS = (
    ("ይደውሉ", "ይደውሉልን"), ("አሁኑኑ", "ዛሬውኑ"), ("ቅናሽ", "ቅናሾች"), ("ጥራት", "ጥራቱ"),
    ("ይጎብኙን", "ይምጡ"), ("አዲስ", "አዳዲስ"), ("ብቻ!", "ብቻ!!"), ("ያግኙ", "ያሸንፉ"),
    ("ይገኛል", "ያገኙታል"), ("call", "Call"), ("ዋጋ፦", "ዋጋ:"),
)

# ---------------------------------------------------------------------------------------------
# Channels.
# ---------------------------------------------------------------------------------------------

ChannelSpec = tuple[str, int, str, str, str, float, float]
"""(name, id, slug, handle, profile, ad_share, size weight)."""

CORPUS_CHANNELS: tuple[ChannelSpec, ...] = (
    ("TIKVAH-ETHIOPIA", 1144508711, "tikvah-ethiopia", "tikvahethiopia", "news", 0.25, 3.0),
    ("Sheger Press", 1309852264, "sheger-press", "shegerpress", "news", 0.3, 1.5),
    ("Wasu Mohammed", 1261047745, "wasu-mohammed", "wasumohammed", "news", 0.2, 1.2),
    ("ኢትዮ መረጃ - NEWS", 1418833920, "ethio-mereja-news", "ethiomerejanews", "news", 0.3, 1.2),
    ("አዲስ ነገር መረጃ", 1552013478, "addis-neger-mereja", "addisnegermereja", "news", 0.35, 1.2),
    ("YeneTube", 1199002811, "yenetube", "yenetube", "entertainment", 0.4, 1.2),
    ("ዳጉ ስፖርት DAGU SPORT", 1633407012, "dagu-sport", "dagusport", "sport", 0.35, 1.2),
    ("ሸገር ገበያ Sheger Gebeya", 1720446391, "sheger-gebeya", "shegergebeya", "shop", 0.75, 1.0),
    ("Merkato Online Shop", 1498120057, "merkato-online-shop", "merkatoonline", "shop", 0.8, 0.8),
    ("ቦሌ ኤሌክትሮኒክስ", 1587336104, "bole-electronics", "boleelectronics", "tech", 0.8, 0.8),
    ("Habesha Cars ET", 1366701188, "habesha-cars-et", "habeshacarset", "auto", 0.85, 0.7),
    ("ጤና ይስጥልኝ", 1475590231, "tena-yistilign", "tenayistilign", "health", 0.5, 0.7),
    ("Addis Jobs Hub", 1602284497, "addis-jobs-hub", "addisjobshub", "jobs", 0.15, 0.8),
    ("ሐበሻ ቢዝነስ", 1288817362, "habesha-business", "habeshabusiness", "business", 0.4, 0.8),
    ("Ethio Travel Deals", 1654029318, "ethio-travel-deals", "ethiotraveldeals", "travel", 0.75, 0.6),
    ("ዜማ መዝናኛ", 1539901127, "zema-meznagna", "zemameznagna", "entertainment", 0.45, 0.7),
    ("Betting Tips ET", 1702215573, "betting-tips-et", "bettingtipset", "sport", 0.5, 0.6),
    ("የኔ ቴክ", 1411259986, "yene-tech", "yenetech", "tech", 0.5, 0.7),
    ("Addis Fashion Hub", 1689902240, "addis-fashion-hub", "addisfashionhub", "shop", 0.85, 0.6),
    ("ኢትዮ ኢኮኖሚ", 1322710045, "ethio-economy", "ethioeconomy", "business", 0.3, 0.7),
    ("ቅዳሜ ገበያ", 1744093318, "kidame-gebeya", "kidamegebeya", "shop", 0.7, 0.6),
    ("ፍኖተ ጤና", 1566142209, "finote-tena", "finotetena", "health", 0.35, 0.6),
    ("Ethio Mobile Deals", 1598773402, "ethio-mobile-deals", "ethiomobiledeals", "tech", 0.75, 0.6),
    ("መረጃ ቲቪ", 1230984417, "mereja-tv", "merejatv", "news", 0.3, 1.0),
    ("Addis Insider", 1673301994, "addis-insider", "addisinsider", "english", 0.3, 0.8),
)

#: The committed samples: (name, id, slug, handle, profile, ad_share, number of messages).
SAMPLE_CHANNELS: tuple[ChannelSpec, ...] = (
    ("TIKVAH-ETHIOPIA", 1144508711, "tikvah-ethiopia", "tikvahethiopia", "news", 0.3, 300),
    ("Sheger Press", 1309852264, "sheger-press", "shegerpress", "news", 0.3, 140),
    ("አዲስ ነገር መረጃ", 1552013478, "addis-neger-mereja", "addisnegermereja", "news", 0.35, 120),
    ("ሸገር ገበያ Sheger Gebeya", 1720446391, "sheger-gebeya", "shegergebeya", "shop", 0.75, 160),
)

_ALL_CHANNEL_NAMES = tuple(c[0] for c in CORPUS_CHANNELS)
_KNOWN_CHANNELS = {c[0]: c for c in CORPUS_CHANNELS}

_UNIFORM = dict.fromkeys(VERTICALS, 1.0)
_PROFILES: dict[str, tuple[dict[str, float], dict[str, float], float]] = {
    # profile: (non-ad category weights, vertical weights, share of English/mixed templates)
    "mixed": ({"news": 3, "business": 1, "politics": 1.5, "sport": 1.5, "weather": 1, "religious": 0.8, "job": 0.8,
               "opinion": 1.2, "notice": 0.8, "tips": 0.3}, _UNIFORM, 0.12),
    "news": ({"news": 5, "business": 1.2, "politics": 3, "sport": 1.5, "weather": 1, "religious": 0.7, "job": 0.6,
              "opinion": 1.2, "notice": 0.3, "tips": 0.15}, _UNIFORM, 0.08),
    "english": ({"news": 5, "business": 1.2, "politics": 3, "sport": 1.5, "weather": 1, "religious": 0.7, "job": 0.6,
                 "opinion": 1.2, "notice": 0.3}, _UNIFORM, 0.7),
    "sport": ({"sport": 8, "tips": 1.5, "news": 1, "opinion": 1, "religious": 0.3, "notice": 0.5},
              {**dict.fromkeys(VERTICALS, 0.5), "Entertainment": 5, "Telecom": 2,
               "CPG & consumer products": 2, "Media": 1.5}, 0.12),
    "shop": ({"notice": 4, "religious": 1.5, "opinion": 1, "news": 0.5, "job": 0.5},
             {**dict.fromkeys(VERTICALS, 0.8), "Retail": 4, "CPG & consumer products": 2,
              "Computing products & consumer electronics": 2}, 0.15),
    "tech": ({"news": 2, "business": 1, "notice": 2, "opinion": 1, "job": 0.5},
             {**dict.fromkeys(VERTICALS, 0.4), "Computing products & consumer electronics": 5,
              "Telecom": 3, "Financial services": 1}, 0.2),
    "auto": ({"notice": 2, "news": 1.5, "opinion": 1},
             {**dict.fromkeys(VERTICALS, 0.3), "Automotive": 6, "Financial services": 1}, 0.15),
    "health": ({"news": 2, "notice": 1.5, "religious": 1, "opinion": 1},
               {**dict.fromkeys(VERTICALS, 0.4), "Healthcare & pharma": 6,
                "CPG & consumer products": 1.5}, 0.1),
    "travel": ({"notice": 2, "news": 1.5, "weather": 1, "religious": 1},
               {**dict.fromkeys(VERTICALS, 0.4), "Travel": 6, "Financial services": 1}, 0.2),
    "entertainment": ({"news": 2, "sport": 1.5, "opinion": 1.5, "notice": 1, "religious": 0.5},
                      {**dict.fromkeys(VERTICALS, 0.6), "Entertainment": 4, "Media": 3}, 0.15),
    "jobs": ({"job": 8, "notice": 1, "news": 1},
             {**dict.fromkeys(VERTICALS, 0.5), "Financial services": 2,
              "Computing products & consumer electronics": 1.5}, 0.3),
    "business": ({"news": 3, "business": 4, "politics": 2, "opinion": 1, "job": 1},
                 {**dict.fromkeys(VERTICALS, 0.6), "Financial services": 4, "Automotive": 1.2,
                  "Telecom": 1.2}, 0.12),
}

# ---------------------------------------------------------------------------------------------
# Slot machinery.
# ---------------------------------------------------------------------------------------------

Ctx = dict[str, Any]
SlotFn = Callable[[random.Random, Ctx], Piece]


def _choice(rng: random.Random, seq: Sequence[Any]) -> Any:
    """``rng.choice`` without its rejection loop (several times faster, still deterministic)."""
    return seq[int(rng.random() * len(seq))]


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in ``lo..hi`` inclusive (fast ``rng.randint``)."""
    return lo + int(rng.random() * (hi - lo + 1))


def _plain(text: str) -> Piece:
    return ("plain", text, None, None)


def _price_value(rng: random.Random, lo: int, hi: int) -> int:
    value = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    mag = 10 ** max(len(str(value)) - 2, 0)
    return max(value // mag * mag, 1)


def _fmt_birr(rng: random.Random, value: int, *, english: bool = False) -> str:
    r = rng.random()
    if english:
        return f"ETB {value:,}" if r < 0.5 else f"{value:,} Birr"
    if r < 0.6:
        return f"{value:,} ብር"
    if r < 0.8:
        return f"{value} ብር"
    if r < 0.9:
        return f"ብር {value:,}"
    return f"{value:,} birr"


def _price_slot(key: str, *, english: bool = False) -> SlotFn:
    lo, hi = _PRICE_RANGES[key]

    def slot(rng: random.Random, ctx: Ctx) -> Piece:
        return _plain(_fmt_birr(rng, _price_value(rng, lo, hi), english=english))

    return slot


def _fuel_price(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(f"{rng.uniform(70, 140):.2f} ብር")


def _phone_number(rng: random.Random) -> tuple[str, bool]:
    """A made-up Ethiopian mobile number in one of the usual spellings, and whether it is +251."""
    nsn = ("9" if rng.random() < 0.85 else "7") + f"{int(rng.random() * 1e8):08d}"
    r = rng.random()
    if r < 0.35:
        return f"0{nsn[0:3]} {nsn[3:5]} {nsn[5:7]} {nsn[7:9]}", False
    if r < 0.6:
        return f"0{nsn}", False
    if r < 0.8:
        return f"+251 {nsn[0:3]} {nsn[3:6]} {nsn[6:9]}", True
    if r < 0.9:
        return f"+251{nsn}", True
    return f"0{nsn[0:3]}-{nsn[3:6]}-{nsn[6:9]}", False


def _phone(rng: random.Random, ctx: Ctx) -> Piece:
    number, intl = _phone_number(rng)
    if rng.random() < (0.95 if intl else 0.5):
        return ("phone", number, None, None)
    return _plain(number)


def _brand_slot(pool: Sequence[Brand], key: str, *, english: bool = False) -> SlotFn:
    """A brand of ``pool``: the same one for every use of ``key`` within a message."""
    field = 2 if english else 0

    def slot(rng: random.Random, ctx: Ctx) -> Piece:
        brand = ctx.get(key)
        if brand is None:
            brand = ctx[key] = _choice(rng, pool)
            ctx.setdefault("brand_obj", brand)
        return _plain(brand[field])

    return slot


def _ctx_brand(rng: random.Random, ctx: Ctx) -> Brand:
    brand = ctx.get("brand_obj")
    if brand is None:
        brand = ctx["brand_obj"] = _choice(rng, ctx["brands"])
    return brand


def _brand_en(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(_ctx_brand(rng, ctx)[2])


def _handle(rng: random.Random, ctx: Ctx) -> Piece:
    return ("mention", "@" + _ctx_brand(rng, ctx)[1], None, None)


def _link(rng: random.Random, ctx: Ctx) -> Piece:
    slug = _ctx_brand(rng, ctx)[1] if ctx["is_ad"] else ctx["channel_handle"]
    r = rng.random()
    url = f"https://t.me/{slug}" if r < 0.7 else f"t.me/{slug}"
    return ("link", url, None, None)


def _cta_link(rng: random.Random, ctx: Ctx) -> Piece:
    return ("text_link", _choice(rng, _CTA_LINKS), f"https://t.me/{_ctx_brand(rng, ctx)[1]}", None)


def _email(rng: random.Random, ctx: Ctx) -> Piece:
    slug = _ctx_brand(rng, ctx)[1].replace("_", "")
    r = rng.random()
    if r < 0.4:
        address = f"{slug}@gmail.com"
    elif r < 0.7:
        address = f"hr@{slug}.com.et"
    else:
        address = f"info@{slug}.et"
    return ("email", address, None, None)


def _hashtag(rng: random.Random, ctx: Ctx) -> Piece:
    return ("hashtag", _choice(rng, ctx["hashtags"]), None, None)


def _addr(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(f"{_choice(rng, _PLACES)} {_choice(rng, _LANDMARKS)}")


def _ussd(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(f"*{_between(rng, 100, 999)}#")


def _pool_slot(values: Sequence[str]) -> SlotFn:
    n = len(values)
    pieces = [_plain(v) for v in values]

    def slot(rng: random.Random, ctx: Ctx) -> Piece:
        return pieces[int(rng.random() * n)]

    return slot


def _int_slot(lo: int, hi: int, step: int = 1, fmt: str = "{}") -> SlotFn:
    n_steps = (hi - lo) // step + 1

    def slot(rng: random.Random, ctx: Ctx) -> Piece:
        return _plain(fmt.format(lo + step * int(rng.random() * n_steps)))

    return slot


def _odd(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(f"{rng.uniform(1.2, 4.5):.2f}")


def _city_name(rng: random.Random, ctx: Ctx) -> str:
    city = ctx.get("city")
    if city is None:
        city = ctx["city"] = _choice(rng, _CITIES)
    return city


def _city(rng: random.Random, ctx: Ctx) -> Piece:
    return _plain(_city_name(rng, ctx))


def _city_tag(rng: random.Random, ctx: Ctx) -> Piece:
    return ("hashtag", "#" + _city_name(rng, ctx).replace(" ", "_"), None, None)


_COMMON_SLOTS: dict[str, SlotFn] = {
    "phone": _phone,
    "handle": _handle,
    "link": _link,
    "cta_link": _cta_link,
    "email": _email,
    "hashtag": _hashtag,
    "addr": _addr,
    "ussd": _ussd,
    "odd": _odd,
    "city_tag": _city_tag,
    "brand_en": _brand_en,
    "place": _pool_slot(_PLACES),
    "place_en": _pool_slot(_PLACES_EN),
    "cta": _pool_slot(_CTAS),
    "month": _pool_slot(_MONTHS),
    "month_en": _pool_slot(_MONTHS_EN),
    "city": _city,
    "city_en": _pool_slot(_CITIES_EN),
    "region": _pool_slot(_REGIONS),
    "relholiday": _pool_slot(_REL_HOLIDAYS),
    "short": _int_slot(6000, 9999),
    "n": _int_slot(2, 30),
    "n2": _int_slot(2, 9),
    "years": _int_slot(1, 4),
    "pct": _int_slot(5, 50, 5),
    "discount": _int_slot(10, 60, 5, "{}%"),
    "rate": _int_slot(7, 18),
    "year": _int_slot(2010, 2023),
    "km": _int_slot(20_000, 250_000, 1_000, "{:,}"),
    "ram": _pool_slot(("4", "8", "16", "32")),
    "ssd": _pool_slot(("128", "256", "512", "1024")),
    "gb": _pool_slot(("1", "2", "3", "5", "10", "15", "25", "50")),
    "mbps": _pool_slot(("20", "40", "60", "100", "200")),
    "temp": _int_slot(18, 30),
    "temp2": _int_slot(6, 14),
    "s1": _int_slot(0, 4),
    "s2": _int_slot(0, 3),
    "day": _int_slot(1, 30),
    "day2": _int_slot(1, 30),
    "eyear": _pool_slot(("2016", "2017", "2018")),
    "hijri": _pool_slot(("1444", "1445", "1446")),
    "price_car": _price_slot("price_car"),
    "price_car_en": _price_slot("price_car", english=True),
    **{name: _price_slot(name) for name in ("price_home", "price_laptop", "price_phone",
                                            "price_appliance", "price_ticket", "price_night",
                                            "price_trip", "price_premium")},
    "price_laptop_en": _price_slot("price_laptop", english=True),
    "price_ticket_en": _price_slot("price_ticket", english=True),
    "price_big": _price_slot("price_big"),
    "price_food": _price_slot("price_food"),
    "price_fuel": _fuel_price,
    "betbrand": _brand_slot(_BET_BRANDS, "betbrand"),
    "pharmacy": _brand_slot(_PHARMACIES, "pharmacy"),
    "dental": _brand_slot(_DENTAL, "dental"),
    "eye": _brand_slot(_EYE, "eye"),
    "org": _brand_slot(_ORGS, "org"),
}


_COMMON_SLOTS["org_en"] = _brand_slot(_ORGS, "org", english=True)

# ---------------------------------------------------------------------------------------------
# Template compilation.
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\{(\w+)\}|\[([^\[\]|]*(?:\|[^\[\]|]*)+)\]|<(/?)([bi])>|([^{\[<]+|.)", re.S)
_HASHTAG_RE = re.compile(r"(?<!\S)(#\w+)")
_STYLE = {"b": "bold", "i": "italic"}
_LIT, _ALT, _SLOT = 0, 1, 2
_MERGEABLE = frozenset(("plain", "bold", "italic"))

Token = tuple[int, Any, str]


class _Template:
    """A compiled template: tokens plus the label facts it was written for."""

    __slots__ = ("lang", "tags", "tokens")

    def __init__(self, tokens: list[Token], tags: tuple[str, ...], lang: str) -> None:
        self.tokens = tokens
        self.tags = tags
        self.lang = lang


def _lang_of(source: str) -> str:
    literal = re.sub(r"\{\w+\}", "", source)
    if not re.search("[\u1200-\u137f]", literal):
        return "en"
    if len(re.findall(r"[A-Za-z][a-z]{2,}", literal)) >= 2:
        return "mixed"
    return "am"


def _compile(source: str, tags: tuple[str, ...], slots: dict[str, SlotFn]) -> _Template:
    tokens: list[Token] = []
    style = "plain"
    for m in _TOKEN_RE.finditer(source):
        slot, alt, closing, tag, lit = m.groups()
        if slot is not None:
            if slot not in slots:
                msg = f"template slot {{{slot}}} has no filler: {source[:60]!r}"
                raise KeyError(msg)
            tokens.append((_SLOT, slots[slot], style))
        elif alt is not None:
            tokens.append((_ALT, tuple(alt.split("|")), style))
        elif tag is not None:
            style = "plain" if closing else _STYLE[tag]
        elif style == "plain":
            # Telegram marks hashtags typed in the text as hashtag entities.
            for k, part in enumerate(_HASHTAG_RE.split(lit)):
                if part:
                    tokens.append((_LIT, part, "hashtag" if k % 2 else "plain"))
        else:
            tokens.append((_LIT, lit, style))
    return _Template(tokens, tags, _lang_of(source))


class _Category:
    """Templates of one vertical or non-ad category, split by language, with their weights."""

    __slots__ = ("ctx_base", "foreign", "foreign_w", "native", "native_w", "slots")

    def __init__(self, specs: list[TemplateSpec], slots: dict[str, SlotFn], ctx_base: Ctx) -> None:
        self.slots = slots
        self.ctx_base = ctx_base
        compiled = [(_compile(src, tags, slots), w) for src, tags, w in specs]
        self.native = [t for t, _ in compiled if t.lang == "am"]
        self.native_w = _cumulative([w for t, w in compiled if t.lang == "am"])
        self.foreign = [t for t, _ in compiled if t.lang != "am"] or self.native
        self.foreign_w = _cumulative([w for t, w in compiled if t.lang != "am"]) or self.native_w

    def pick(self, rng: random.Random, foreign_share: float) -> _Template:
        if rng.random() < foreign_share:
            return self.foreign[_weighted_index(rng, self.foreign_w)]
        return self.native[_weighted_index(rng, self.native_w)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    out: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _weighted_index(rng: random.Random, cum: Sequence[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _build_categories() -> tuple[dict[str, _Category], dict[str, _Category]]:
    ads: dict[str, _Category] = {}
    for vertical in VERTICALS:
        slots = dict(_COMMON_SLOTS)
        pools = _POOLS[vertical]
        for name, values in pools.items():
            slots[name] = _pool_slot(values)
        brands = _BRANDS[vertical]
        slots["brand"] = _brand_slot(brands, "brand")
        for name, group in _SUB_BRANDS[vertical].items():
            slots[name] = _brand_slot(group, name)
            slots[f"{name}_en"] = _brand_slot(group, name, english=True)
        slots["price"] = _price_slot(vertical)
        slots["price_en"] = _price_slot(vertical, english=True)
        ctx = {"brands": brands, "hashtags": pools["hashtag"], "emojis": pools["emoji"]}
        ads[vertical] = _Category(_AD_TEMPLATES[vertical], slots, ctx)
    nonads: dict[str, _Category] = {}
    base_slots = dict(_COMMON_SLOTS)
    for name, values in _NONAD_POOLS.items():
        base_slots[name] = _pool_slot(values)
    base_slots["price"] = _price_slot("nonad")
    for groups in _SUB_BRANDS.values():
        for name, group in groups.items():
            base_slots[name] = _brand_slot(group, name)
            base_slots[f"{name}_en"] = _brand_slot(group, name, english=True)
    base_slots["brand"] = _brand_slot(_ORGS, "brand")
    ctx = {"brands": _ORGS, "hashtags": _NONAD_POOLS["hashtag"], "emojis": _NONAD_POOLS["emoji"]}
    for category, specs in _NONAD_TEMPLATES.items():
        nonads[category] = _Category(specs, base_slots, ctx)
    return ads, nonads


_AD_CATS, _NONAD_CATS = _build_categories()


def _render(tokens: list[Token], rng: random.Random, ctx: Ctx) -> list[Piece]:
    """Fill a template: consecutive plain/bold/italic text is merged into one piece."""
    out: list[Piece] = []
    run_type = ""
    run: list[str] = []
    rand = rng.random
    for kind, val, style in tokens:
        if kind == _LIT:
            ptype, text = style, val
        elif kind == _ALT:
            ptype, text = style, val[int(rand() * len(val))]
        else:
            ptype, text, href, doc = val(rng, ctx)
            if style != "plain":
                ptype = style
            elif ptype not in _MERGEABLE:
                if run:
                    out.append((run_type, "".join(run), None, None))
                    run = []
                    run_type = ""
                out.append((ptype, text, href, doc))
                continue
        if ptype == run_type:
            run.append(text)
            continue
        if run:
            out.append((run_type, "".join(run), None, None))
        if ptype in _MERGEABLE:
            run_type, run = ptype, [text]
        else:  # a hashtag typed in the template
            out.append((ptype, text, None, None))
            run_type, run = "", []
    if run:
        out.append((run_type, "".join(run), None, None))
    return out


def _merge(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        if not piece[1]:
            continue
        if out and piece[0] == "plain" and out[-1][0] == "plain":
            out[-1] = ("plain", out[-1][1] + piece[1], None, None)
        else:
            out.append(piece)
    return out


# ---------------------------------------------------------------------------------------------
# Message-level variation.
# ---------------------------------------------------------------------------------------------


def _long_ad(rng: random.Random, vertical: str, ctx: Ctx) -> list[Piece]:
    """A price list longer than 2,000 characters."""
    cat = _AD_CATS[vertical]
    items = [_compile(f"▪️ {item}\n", (), cat.slots) for item in _LONG_LINE_ITEMS[vertical]]
    head = _compile("📋 <b>የዛሬ የዋጋ ዝርዝር</b> — {brand}\n\n", (), cat.slots)
    tail = _compile("\n📍 {addr}\n📞 {phone}\n{handle}", (), cat.slots)
    pieces = _render(head.tokens, rng, ctx)
    length = 0
    while length < 2100:
        line = _render(_choice(rng, items).tokens, rng, ctx)
        length += sum(len(p[1]) for p in line)
        pieces.extend(line)
    pieces.extend(_render(tail.tokens, rng, ctx))
    return _merge(pieces)


def _long_news(rng: random.Random, ctx: Ctx) -> tuple[list[Piece], set[str]]:
    """A numbered news digest longer than 2,000 characters."""
    pieces: list[Piece] = [("bold", "📰 የዕለቱ ዋና ዋና ዜናዎች", None, None), _plain("\n\n")]
    tags: set[str] = set()
    length, k = 0, 0
    while length < 2100:
        category = _choice(rng, ("news", "news", "politics", "sport", "weather"))
        template = _NONAD_CATS[category].pick(rng, 0.0)
        tags.update(template.tags)
        item = _render(template.tokens, rng, dict(ctx))
        pieces.append(_plain(f"{_KEYCAPS[k % len(_KEYCAPS)]} "))
        pieces.extend(item)
        pieces.append(_plain("\n\n"))
        length += sum(len(p[1]) for p in item) + 4
        k += 1
    pieces.append(_plain("ሙሉውን ለማንበብ 👉 "))
    pieces.append(("text_link", "ድረ ገፃችንን ይጎብኙ", f"https://t.me/{ctx['channel_handle']}", None))
    return _merge(pieces), tags


def _decorate(pieces: list[Piece], rng: random.Random, ctx: Ctx, is_ad: bool) -> list[Piece]:
    """Channel habits and noise: hashtags, signature, emoji bursts, custom emoji, spellings."""
    r = rng.random()
    if r < 0.06:
        burst = _choice(rng, _EMOJI_HEAVY) + _choice(rng, _EMOJI_HEAVY)
        pieces = [_plain(burst + " "), *pieces, _plain(" " + _choice(rng, _EMOJI_HEAVY) + "🇪🇹")]
    elif is_ad and r < 0.12:
        pieces = [("custom_emoji", _choice(rng, _CUSTOM_EMOJI), None,
                   str(rng.randrange(5_000_000_000_000_000_000, 5_999_999_999_999_999_999))),
                  _plain(" "), *pieces]
    if rng.random() < 0.06:
        pieces = [*pieces, _plain("\n\n"), ("hashtag", _choice(rng, ctx["hashtags"]), None, None)]
    if ctx["signs"] and rng.random() < 0.12:
        pieces = [*pieces, _plain("\n\n"), ("mention", "@" + ctx["channel_handle"], None, None)]
    if rng.random() < 0.04:
        table = _choice(rng, _HOMOPHONE_TABLES)
        pieces = [(p[0], p[1].translate(table), p[2], p[3]) if p[0] in ("plain", "bold") else p
                  for p in pieces]
    return _merge(pieces)


_NUM_BEFORE_BIRR = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?=(?: ?(?:ብር|birr|Birr)))|(?<=ብር )(\d{1,3}(?:,\d{3})+|\d+)")
_WORD_SWAP_RES = tuple(
    (re.compile(rf"(?<!\S){re.escape(old)}(?!\S)"), new) for old, new in _WORD_SWAPS
)
_LOCAL_PHONE = re.compile(r"(?:\+251 ?|0)[79]\d{2}(?:[ -]?\d){6}")


def _near_duplicate(pieces: list[Piece], rng: random.Random) -> list[Piece]:
    """Copy of an ad with one small edit: the price, the phone number or one word."""
    ops = ["price", "phone", "word"]
    rng.shuffle(ops)
    for op in ops:
        for i, (ptype, text, href, doc) in enumerate(pieces):
            new = None
            if op == "price" and ptype in ("plain", "bold"):
                m = _NUM_BEFORE_BIRR.search(text)
                if m:
                    raw = m.group(1) or m.group(2)
                    value = int(raw.replace(",", ""))
                    changed = max(value + max(value // 10, 1) * _choice(rng, (-1, 1)), 1)
                    fmt = f"{changed:,}" if "," in raw else str(changed)
                    new = text[: m.start()] + fmt + text[m.end():]
            elif op == "phone" and (ptype == "phone" or (ptype == "plain" and _LOCAL_PHONE.search(text))):
                m = _LOCAL_PHONE.search(text) if ptype == "plain" else None
                start, end = (m.start(), m.end()) if m else (0, len(text))
                number = text[start:end]
                last = number[-2:]
                repl = f"{(int(last) + _between(rng, 1, 98)) % 100:02d}"
                new = text[:start] + number[:-2] + repl + text[end:]
            elif op == "word" and ptype in ("plain", "bold"):
                for pattern, replacement in _WORD_SWAP_RES:
                    new, n_subs = pattern.subn(replacement, text, count=1)
                    if n_subs:
                        break
            if new is not None and new != text:
                out = list(pieces)
                out[i] = (ptype, new, href, doc)
                return out
    return _merge([*pieces, _plain(" 🔥")])


def _text_fields(pieces: list[Piece], *, flatten: bool = False) -> tuple[str | list[Any], list[dict[str, str]]]:
    """``text`` and ``text_entities`` the way Telegram Desktop writes them.

    Text without typed pieces (or with ``flatten``) is a plain string; otherwise a list.
    """
    if not pieces:
        return "", []
    if flatten or all(p[0] == "plain" for p in pieces):
        joined = "".join(p[1] for p in pieces)
        return joined, [{"type": "plain", "text": joined}]
    text: list[Any] = []
    entities: list[dict[str, str]] = []
    for ptype, value, href, doc in pieces:
        if ptype == "plain":
            text.append(value)
            entities.append({"type": "plain", "text": value})
            continue
        obj = {"type": ptype, "text": value}
        if href is not None:
            obj["href"] = href
        if doc is not None:
            obj["document_id"] = doc
        text.append(obj)
        entities.append(obj)
    return text, entities


def _pieces_of(message: dict[str, Any]) -> list[Piece]:
    return [(e["type"], e["text"], e.get("href"), e.get("document_id"))
            for e in message["text_entities"]]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: generation allocates millions of acyclic objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _local_iso(unix: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix + 3 * 3600))


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------


def channel_slug(name: str, channel_id: int) -> str:
    """Folder name for a channel: the known slug, else an ASCII slug of the name, else its id.

    Parameters
    ----------
    name
        Channel name as exported.
    channel_id
        Channel id as exported.

    Returns
    -------
    str
        A file-system friendly, ASCII folder name.
    """
    known = _KNOWN_CHANNELS.get(name)
    if known is not None and known[1] == channel_id:
        return known[2]
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or f"channel-{channel_id}"


def generate_export(
    channel_name: str,
    channel_id: int,
    n_messages: int,
    *,
    seed: int,
    ad_share: float = 0.35,
    start_id: int = 1,
    profile: str = "mixed",
    handle: str | None = None,
    id_span: int | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Generate one channel's Telegram Desktop export and the intended labels of its messages.

    Parameters
    ----------
    channel_name
        The channel's display name (``name``, ``from``).
    channel_id
        The channel's id (``id``; messages carry ``from_id`` = ``"channel<id>"``).
    n_messages
        Number of message objects, service messages included.
    seed
        Random seed; the output is a pure function of all the arguments.
    ad_share
        Probability that a content message with text is an ad.
    start_id
        Id of the first message; when 1 the first message is the ``create_channel`` service
        message.
    profile
        Channel kind steering topics and verticals: ``"mixed"``, ``"news"``, ``"english"``,
        ``"sport"``, ``"shop"``, ``"tech"``, ``"auto"``, ``"health"``, ``"travel"``,
        ``"entertainment"``, ``"jobs"`` or ``"business"``.
    handle
        The channel's @handle (without ``@``) used in signatures and links; derived from the
        name when omitted.
    id_span
        When given, message ids are spread over ``start_id .. start_id + id_span - 1`` (gaps as
        after deletions in a big channel) instead of being nearly consecutive.

    Returns
    -------
    tuple of (dict, list of dict)
        The export (``name``, ``type``, ``id``, ``messages``) and one label per content
        (non-service) message: ``{"uid", "is_ad", "vertical", "tags"}`` where ``is_ad`` is
        ``"Ad"`` or ``"Non-Ad"``, ``vertical`` one of :data:`VERTICALS` for ads and None
        otherwise, and ``tags`` a sorted subset of :data:`TAGS`. Photo- or video-only posts
        with empty text are labeled Non-Ad.

    Raises
    ------
    ValueError
        For an unknown profile, a negative count or an ``id_span`` smaller than the count.
    """
    with _gc_paused():
        return _generate_export(channel_name, channel_id, n_messages, seed=seed, ad_share=ad_share,
                                start_id=start_id, profile=profile, handle=handle, id_span=id_span)


def _generate_export(
    channel_name: str,
    channel_id: int,
    n_messages: int,
    *,
    seed: int,
    ad_share: float,
    start_id: int,
    profile: str,
    handle: str | None,
    id_span: int | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if profile not in _PROFILES:
        msg = f"unknown profile {profile!r}; expected one of {', '.join(sorted(_PROFILES))}"
        raise ValueError(msg)
    if n_messages < 0:
        msg = "n_messages must be >= 0"
        raise ValueError(msg)
    if id_span is not None and id_span < n_messages:
        msg = f"id_span {id_span} is smaller than n_messages {n_messages}"
        raise ValueError(msg)
    rng = random.Random(f"{seed}:{channel_id}:{channel_name}:{n_messages}:{start_id}")
    nonad_weights, vertical_weights, foreign = _PROFILES[profile]
    nonad_names = list(nonad_weights)
    nonad_cum = _cumulative(list(nonad_weights.values()))
    vertical_names = list(vertical_weights)
    vertical_cum = _cumulative(list(vertical_weights.values()))
    channel_handle = handle or (re.sub(r"[^a-z0-9]", "", channel_name.lower()) or f"c{channel_id}")
    from_id = f"channel{channel_id}"
    signs = rng.random() < 0.6
    authors = ("Admin", "ሄኖክ", "Selam T.", "ማህሌት", "Editor") if rng.random() < 0.4 else ()
    forward_sources = [n for n in _ALL_CHANNEL_NAMES if n != channel_name]

    if id_span is not None and n_messages > 0:
        ids = [start_id, *sorted(rng.sample(range(start_id + 1, start_id + id_span), n_messages - 1))]
    else:
        ids = []
        next_id = start_id
        for _ in range(n_messages):
            ids.append(next_id)
            next_id += 1 if rng.random() > 0.03 else _between(rng, 2, 6)
    span = 3 * 365 * 86400
    unix = 1_609_459_200 + int(rng.random() * 365 * 86400)  # some time in 2021
    mean_gap = max(span // max(n_messages, 1), 60)

    channel_ctx = {"channel_handle": channel_handle, "signs": signs}
    ad_ctx = {v: {**channel_ctx, **cat.ctx_base, "is_ad": True} for v, cat in _AD_CATS.items()}
    nonad_ctx = {**channel_ctx, **_NONAD_CATS["news"].ctx_base, "is_ad": False}
    messages: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    recent_ads: list[tuple[list[Piece], str, tuple[str, ...]]] = []
    content_ids: list[int] = []
    photo_no = video_no = 0

    for index, mid in enumerate(ids):
        unix += _between(rng, 30, 2 * mean_gap)
        date = _local_iso(unix)
        head = {"id": mid, "type": "message", "date": date, "date_unixtime": str(unix)}
        if index == 0 and start_id == 1:
            head.update(type="service", actor=channel_name, actor_id=from_id, action="create_channel",
                        title=channel_name, text="", text_entities=[])
            messages.append(head)
            continue
        if content_ids and rng.random() < 0.006:
            head.update(type="service", actor=channel_name, actor_id=from_id, action="pin_message",
                        message_id=_choice(rng, content_ids[-20:]), text="", text_entities=[])
            messages.append(head)
            continue

        msg = head
        r = rng.random()
        if r < 0.1:
            edited = unix + _between(rng, 60, 6 * 3600)
            msg["edited"] = _local_iso(edited)
            msg["edited_unixtime"] = str(edited)
        msg["from"] = channel_name
        msg["from_id"] = from_id
        if authors and rng.random() < 0.5:
            msg["author"] = _choice(rng, authors)
        if rng.random() < 0.04:
            msg["forwarded_from"] = _choice(rng, forward_sources)
        if content_ids and rng.random() < 0.04:
            msg["reply_to_message_id"] = _choice(rng, content_ids[-30:])

        media = rng.random()
        empty = media < 0.07
        tags: tuple[str, ...] = ()
        vertical: str | None = None
        if empty:
            pieces: list[Piece] = []
        elif rng.random() < ad_share:
            vertical = vertical_names[_weighted_index(rng, vertical_cum)]
            cat = _AD_CATS[vertical]
            ctx = ad_ctx[vertical].copy()
            rr = rng.random()
            if recent_ads and rr < 0.04:
                pieces, vertical, tags = _choice(rng, recent_ads)
                if rng.random() < 0.5:
                    pieces = _near_duplicate(pieces, rng)
            else:
                if rr < 0.055 and vertical in _LONG_LINE_ITEMS:
                    pieces = _long_ad(rng, vertical, ctx)
                else:
                    template = cat.pick(rng, foreign)
                    tags = template.tags
                    pieces = _render(template.tokens, rng, ctx)
                pieces = _decorate(pieces, rng, ctx, True)
                recent_ads.append((pieces, vertical, tags))
                if len(recent_ads) > 40:
                    recent_ads.pop(0)
        else:
            ctx = nonad_ctx.copy()
            if rng.random() < 0.004:
                pieces, tag_set = _long_news(rng, ctx)
                tags = tuple(sorted(tag_set))
            else:
                category = nonad_names[_weighted_index(rng, nonad_cum)]
                template = _NONAD_CATS[category].pick(rng, foreign)
                tags = template.tags
                pieces = _decorate(_render(template.tokens, rng, ctx), rng, ctx, False)

        if media < 0.06 or (not empty and media < (0.4 if vertical else 0.22)):
            stamp = f"{date[8:10]}-{date[5:7]}-{date[0:4]}_{date[11:13]}-{date[14:16]}-{date[17:19]}"
            photo_no += 1
            if rng.random() < 0.05:
                msg["photo"] = "(File not included. Change data exporting settings to download.)"
            else:
                msg["photo"] = f"photos/photo_{photo_no}@{stamp}.jpg"
            msg["width"], msg["height"] = _choice(rng, ((1280, 1280), (1280, 960), (960, 1280), (1080, 1350)))
        elif media < 0.07 or (not empty and media > 0.96):
            stamp = f"{date[8:10]}-{date[5:7]}-{date[0:4]}_{date[11:13]}-{date[14:16]}-{date[17:19]}"
            video_no += 1
            msg["file"] = f"video_files/video_{video_no}@{stamp}.mp4"
            msg["thumbnail"] = f"video_files/video_{video_no}@{stamp}.mp4_thumb.jpg"
            msg["media_type"] = "video_file"
            msg["mime_type"] = "video/mp4"
            msg["duration_seconds"] = _between(rng, 5, 300)
            msg["width"], msg["height"] = _choice(rng, ((1280, 720), (720, 1280), (848, 480)))

        msg["text"], msg["text_entities"] = _text_fields(pieces, flatten=rng.random() < 0.04)
        messages.append(msg)
        content_ids.append(mid)
        labels.append({
            "uid": f"{channel_id}:{mid}",
            "is_ad": "Ad" if vertical else "Non-Ad",
            "vertical": vertical,
            # The taxonomy asks for tags on ads only (labeling/taxonomy.yaml `when`).
            "tags": sorted(tags) if vertical else [],
        })

    export = {"name": channel_name, "type": "public_channel", "id": channel_id, "messages": messages}
    return export, labels


def _cross_post(corpus: list[tuple[dict[str, Any], list[dict[str, Any]]]], rng: random.Random) -> None:
    """Repost some ads of each channel in the next one, verbatim and with one small edit."""
    n = len(corpus)
    if n < 2:
        return
    for i in range(n):
        src_export, src_labels = corpus[i]
        dst_export, dst_labels = corpus[(i + 1) % n]
        src_msgs = {m["id"]: m for m in src_export["messages"] if m["type"] == "message"}
        src_ads = [lab for lab in src_labels if lab["is_ad"] == "Ad"]
        dst_index = {lab["uid"]: k for k, lab in enumerate(dst_labels)}
        dst_msgs = [m for m in dst_export["messages"]
                    if m["type"] == "message" and m["text"] and "forwarded_from" not in m]
        k = min(max(2, len(src_ads) // 40), len(src_ads), len(dst_msgs) // 4)
        if k <= 0:
            continue
        sources = rng.sample(src_ads, k)
        targets = rng.sample(dst_msgs, 2 * k)
        for j, label in enumerate(sources):
            src = src_msgs[int(label["uid"].split(":")[1])]
            pieces = _pieces_of(src)
            for target, edit in ((targets[2 * j], False), (targets[2 * j + 1], True)):
                new_pieces = _near_duplicate(pieces, rng) if edit else pieces
                target["text"], target["text_entities"] = _text_fields(
                    new_pieces, flatten=isinstance(src["text"], str))
                uid = f"{dst_export['id']}:{target['id']}"
                dst_labels[dst_index[uid]] = {
                    "uid": uid, "is_ad": "Ad", "vertical": label["vertical"], "tags": list(label["tags"]),
                }


def _corpus_from_specs(
    specs: Sequence[tuple[ChannelSpec, int]], seed: int, id_spans: dict[str, int] | None = None,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    corpus = []
    for k, (spec, count) in enumerate(specs):
        name, cid, _slug, handle, profile, ad_share, _w = spec
        span = (id_spans or {}).get(name)
        corpus.append(generate_export(
            name, cid, count, seed=seed * 1_000_003 + k, ad_share=ad_share, profile=profile,
            handle=handle, id_span=max(span, count) if span else None,
        ))
    _cross_post(corpus, random.Random(f"cross:{seed}"))
    return corpus


def generate_corpus(n_messages: int, *, n_channels: int = 25, seed: int = 0) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Generate exports of ``n_channels`` channels totalling ``n_messages`` message objects.

    Channels differ in size and kind (news, sport, shops...); some ads reappear in the next
    channel verbatim and with a small edit. TIKVAH-ETHIOPIA's ids span 1..90000 at least, so the
    annotator-group id slices all hold messages.

    Parameters
    ----------
    n_messages
        Total number of message objects over all channels (service messages included).
    n_channels
        Number of channels; the first 25 are :data:`CORPUS_CHANNELS`, further ones are generic.
    seed
        Random seed.

    Returns
    -------
    list of (dict, list of dict)
        One ``(export, labels)`` pair per channel, as :func:`generate_export` returns them.

    Raises
    ------
    ValueError
        When ``n_channels`` is not positive.
    """
    if n_channels <= 0:
        msg = "n_channels must be positive"
        raise ValueError(msg)
    specs = list(CORPUS_CHANNELS[:n_channels])
    for extra in range(len(specs), n_channels):
        specs.append((f"ገበያ ቻናል {extra + 1}", 1800000000 + extra, f"channel-{extra + 1}",
                      f"gebeyachannel{extra + 1}", "mixed", 0.35, 0.6))
    weights = [s[6] for s in specs]
    total_w = sum(weights)
    counts = [int(n_messages * w / total_w) for w in weights]
    for k in range(n_messages - sum(counts)):
        counts[k % n_channels] += 1
    with _gc_paused():
        return _corpus_from_specs(list(zip(specs, counts, strict=True)), seed,
                                  {"TIKVAH-ETHIOPIA": 90_000})


# Nesting of an export: top object > messages > message > text piece > piece field (5), plus room.
_MAX_DEPTH = 7


def _dumps(export: dict[str, Any]) -> bytes:
    """JSON like Telegram Desktop writes it: UTF-8, one space of indentation per level."""
    data = orjson.dumps(export, option=orjson.OPT_INDENT_2)
    if b"  " not in orjson.dumps(export):
        # No string holds two spaces in a row, so every double space is indentation (orjson
        # indents by two): halving them all gives one space per level, in one fast pass.
        return data.replace(b"  ", b" ") + b"\n"
    # Otherwise halve only line-leading runs, deepest first, via a placeholder byte that orjson
    # never emits unescaped (a JSON string cannot hold a raw newline, so "\n" + spaces is always
    # indentation).
    if b"\n" + b"  " * (_MAX_DEPTH + 1) in data:  # deeper than any export: take the slow road
        return (json.dumps(export, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    for depth in range(_MAX_DEPTH, 0, -1):
        data = data.replace(b"\n" + b"  " * depth, b"\n" + b"\x01" * depth)
    return data.replace(b"\x01", b" ") + b"\n"


def write_export(export: dict[str, Any], path: Path) -> None:
    """Write an export as UTF-8 JSON (Ge'ez unescaped, indentation 1, like Telegram Desktop).

    Parameters
    ----------
    export
        The export dict, e.g. from :func:`generate_export`.
    path
        Destination file (parents are created).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_dumps(export))


def _labels_jsonl(labels: Sequence[dict[str, Any]]) -> bytes:
    lines = [
        json.dumps({"uid": lab["uid"], "is_ad": lab["is_ad"], "vertical": lab["vertical"],
                    "tags": lab["tags"], "note": SEED_LABEL_NOTE}, ensure_ascii=False)
        for lab in labels
    ]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def write_corpus(
    corpus: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]], out_dir: Path,
) -> list[Path]:
    """Write each export as ``out_dir/<slug>/result.json`` and all labels as ``seed_labels.jsonl``.

    Parameters
    ----------
    corpus
        ``(export, labels)`` pairs, e.g. from :func:`generate_corpus`.
    out_dir
        Destination folder (created when missing).

    Returns
    -------
    list of Path
        The written ``result.json`` files, in corpus order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    all_labels: list[dict[str, Any]] = []
    for export, labels in corpus:
        path = out_dir / channel_slug(export["name"], export["id"]) / "result.json"
        write_export(export, path)
        paths.append(path)
        all_labels.extend(labels)
    (out_dir / "seed_labels.jsonl").write_bytes(_labels_jsonl(all_labels))
    return paths


def write_samples(out_dir: Path, *, seed: int = 7) -> list[Path]:
    """Write the committed sample exports (``workbench/defaults/samples/telegram``) into ``out_dir``.

    Four channels from :data:`SAMPLE_CHANNELS` (720 messages; TIKVAH-ETHIOPIA's ids spread over
    1..90000) as ``out_dir/<slug>/result.json``, plus ``out_dir/seed_labels.jsonl`` with the
    intended label of every content message.

    Parameters
    ----------
    out_dir
        Destination folder, normally ``workbench/defaults/samples/telegram``.
    seed
        Random seed (the committed samples use the default).

    Returns
    -------
    list of Path
        The written ``result.json`` files.
    """
    specs = [(spec, int(spec[6])) for spec in SAMPLE_CHANNELS]
    corpus = _corpus_from_specs(specs, seed, {"TIKVAH-ETHIOPIA": 89_990})
    return write_corpus(corpus, out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a synthetic corpus, or the committed samples.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m synthetic.exports",
        description="Write synthetic Telegram Desktop exports (DIR/<slug>/result.json) and their "
                    "intended labels (DIR/seed_labels.jsonl).",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="folder for a generated corpus")
    target.add_argument("--samples", type=Path,
                        help="folder to (re)write the committed samples into, e.g. workbench/defaults/samples/telegram")
    parser.add_argument("--messages", type=int, default=10_000, help="total messages (default 10000)")
    parser.add_argument("--channels", type=int, default=25, help="number of channels (default 25)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0; samples: 7)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.samples is not None:
        paths = write_samples(args.samples, seed=7 if args.seed is None else args.seed)
    else:
        corpus = generate_corpus(args.messages, n_channels=args.channels,
                                 seed=0 if args.seed is None else args.seed)
        paths = write_corpus(corpus, args.out)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} exports ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s "
          f"to {paths[0].parent.parent if paths else '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
