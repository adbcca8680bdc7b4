r"""Amharic / Ge'ez facts as data: script ranges, character tables and regular expressions.

Every pattern here is written for the Rust ``regex`` engine that Polars runs (no look-around, no
backreferences); Unicode properties such as ``\p{Ethiopic}`` and ``\p{Extended_Pictographic}``
are supported there (checked against Polars 2.1). Python's :mod:`re` does not know ``\p{..}``:
per-string code runs these patterns through Polars (:mod:`workbench.core.amharic.strings`), and
the few pure-Python helpers below only use patterns both engines accept.

Examples
--------
>>> normalize_phone("0911-22 33 44")
'+251911223344'
>>> parse_price_amount("2,500.50 ብር")
2500.5
>>> normalization_table(CleaningConfig(tsa_series_target="ጸ"))["ፀ"]
'ጸ'
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from workbench.core.config import CleaningConfig

TsaTarget = Literal["ፀ", "ጸ"]

# --- Script ranges -----------------------------------------------------------------------------

#: Unicode blocks of the Ethiopic script, ``(first, last, block name)``, inclusive.
ETHIOPIC_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x1200, 0x137F, "Ethiopic"),
    (0x1380, 0x139F, "Ethiopic Supplement"),
    (0x2D80, 0x2DDF, "Ethiopic Extended"),
    (0xAB00, 0xAB2F, "Ethiopic Extended-A"),
    (0x1E7E0, 0x1E7FF, "Ethiopic Extended-B"),
)

#: Ethiopic punctuation kept in ``text_clean``: wordspace ፡, full stop ።, comma ፣, semicolon ፤,
#: colon ፥, preface colon ፦, question mark ፧. (፠ section mark and ፨ paragraph separator are
#: decorative and count as stray symbols.)
ETHIOPIC_PUNCTUATION = "፡።፣፤፥፦፧"

#: Every Ethiopic punctuation sign (U+1360..U+1368); none is ever part of a token.
ETHIOPIC_PUNCTUATION_ALL = "".join(chr(c) for c in range(0x1360, 0x1369))


def is_ethiopic(char: str) -> bool:
    """True when ``char`` (one character) lies in an Ethiopic block."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi, _ in ETHIOPIC_RANGES)


# --- Homophone series --------------------------------------------------------------------------

#: Number of vowel orders unified per series (ä, u, i, a, e, ə, o: offsets 0..6 of a series).
ORDERS = 7

#: First code point of each consonant series involved in unification.
SERIES_HA = 0x1200  # ሀ
SERIES_HHA = 0x1210  # ሐ
SERIES_SZA = 0x1220  # ሠ
SERIES_SA = 0x1230  # ሰ
SERIES_XA = 0x1280  # ኀ
SERIES_GLOTTAL_A = 0x12A0  # አ
SERIES_PHARYNGEAL_A = 0x12D0  # ዐ
SERIES_TSA = 0x1338  # ጸ
SERIES_TZA = 0x1340  # ፀ

#: (source series, target series) pairs that never depend on configuration.
FIXED_SERIES_MAP: tuple[tuple[int, int], ...] = (
    (SERIES_HHA, SERIES_HA),
    (SERIES_XA, SERIES_HA),
    (SERIES_SZA, SERIES_SA),
    (SERIES_PHARYNGEAL_A, SERIES_GLOTTAL_A),
)


#: The 8th form of a series, where it has one: its labialised syllable ("-wa", e.g. ሷ), or for
#: ሀ and ኀ the "-oa" one (ሇ, ኇ), pronounced alike.
LABIALISED_ORDER = 7
#: ኋ (XWAA, "hʷa"): the spelling of "hwa" in ኋላ ("after"), which real text also writes ሗ (the
#: ሐ-series' 8th form); the ሀ-series writes it ሇ.
XWAA = "\u128b"


def homophone_table(tsa_target: TsaTarget = "ፀ", *, labialised: bool = False) -> dict[str, str]:
    """The character map that unifies Ge'ez homophone series, order by order.

    Parameters
    ----------
    tsa_target
        Direction of the ጸ/ፀ pair: ``"ፀ"`` (the brief's default) maps the ጸ-series onto the
        ፀ-series, ``"ጸ"`` maps ፀ onto ጸ.
    labialised
        Also map each series' 8th (labialised) form, and ኋ, onto the target series' 8th form:
        ሗ, ኇ, ኋ -> ሇ; ሧ -> ሷ; ጿ <-> ፇ (``cleaning.unify_labialised``). The ዐ-series has none.

    Returns
    -------
    dict[str, str]
        35 single-character entries (5 series x 7 orders), built from code points so every vowel
        order lines up (e.g. ሑ -> ሁ, ኆ -> ሆ, ዑ -> ኡ); 40 with ``labialised``.

    Raises
    ------
    ValueError
        When ``tsa_target`` is neither ``"ፀ"`` nor ``"ጸ"``.
    """
    if tsa_target == "ፀ":
        tsa = (SERIES_TSA, SERIES_TZA)
    elif tsa_target == "ጸ":
        tsa = (SERIES_TZA, SERIES_TSA)
    else:
        msg = f"tsa_target must be 'ፀ' or 'ጸ', got {tsa_target!r}"
        raise ValueError(msg)
    table: dict[str, str] = {}
    for src, dst in (*FIXED_SERIES_MAP, tsa):
        for order in range(ORDERS):
            table[chr(src + order)] = chr(dst + order)
        if labialised and src != SERIES_PHARYNGEAL_A:
            table[chr(src + LABIALISED_ORDER)] = chr(dst + LABIALISED_ORDER)
    if labialised:
        table[XWAA] = chr(SERIES_HA + LABIALISED_ORDER)
    return table


@functools.cache
def latin_lowercase_table() -> dict[str, str]:
    """Upper-case -> lower-case for the Latin blocks (Basic Latin to Latin Extended-B).

    Only one-to-one mappings: "İ" (which lower-cases to two characters) is left alone. Ge'ez has
    no case, so the full Unicode mapping is not needed.
    """
    table = {}
    for code in range(0x41, 0x250):
        char = chr(code)
        lower = char.lower()
        if lower != char and len(lower) == 1:
            table[char] = lower
    return table


def normalization_table(cleaning: CleaningConfig) -> dict[str, str]:
    """The single-character map that turns a clean text into ``text_norm``.

    Homophone series unified (:func:`homophone_table`, in the configured ጸ/ፀ direction) and Latin
    lower-cased (:func:`latin_lowercase_table`), each when the cleaning config switches it on.
    Both the Polars form (ingest's ``text_norm``) and the per-string form (queries, briefs,
    evaluation) apply this table, so the two cannot drift apart.
    """
    table: dict[str, str] = {}
    if cleaning.unify_homophones:
        table |= homophone_table(cleaning.tsa_series_target, labialised=cleaning.unify_labialised)
    if cleaning.casefold_latin:
        table |= latin_lowercase_table()
    return table


# --- Whitespace ----------------------------------------------------------------------------------

#: The Unicode White_Space characters (what the Rust engine's ``\s`` matches; Python's
#: ``str.split()`` also splits on U+001C..U+001F, which are not whitespace here).
WHITESPACE = "".join(chr(c) for c in (
    *range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
    0x202F, 0x205F, 0x3000,
))

#: What collapsing whitespace rewrites to one space: a run of two or more whitespace characters,
#: or one that is not a plain space (only those need rewriting: far fewer matches than every
#: single space, about 2x faster in Polars).
WHITESPACE_RUN_PATTERN = "[" + WHITESPACE + "]{2,}|[" + WHITESPACE.replace(" ", "") + "]"


# --- Phones --------------------------------------------------------------------------------------

# A separator people put inside numbers: a space, dash (- or –) or dot, a dash between spaces
# ("0911 - 22 33 44"), two spaces, or a parenthesis with its spaces ("(0911) 22 33 44",
# "+251 (11) 551 2345"); nothing else, so "0911223344/0922334455" stays two numbers.
_SEP = r"(?:[ \t]?[.\-–]?[ \t]?|[ \t]?[()][ \t]?)"

#: The character before a phone number (or the start): one that is no digit or '+', so a
#: number glued to an Amharic word ("ስልክ0911223344") is found but one inside a longer digit run
#: is not. A replacement puts it back.
PHONE_PREFIX_CHAR_PATTERN = r"^|[^0-9+]"
#: The number itself. Prefixes: +251 / 251 (optionally "(0)") or a national 0; then a mobile
#: (9.. Ethio Telecom, 7.. Safaricom) or landline (area codes 11..58) part of 9 digits. Trailing
#: digits are swallowed (``[0-9]*``) so that an over-long run fails normalisation instead of
#: yielding its first ten digits.
PHONE_NUMBER_PATTERN = (
    r"(?:\+?251" + _SEP + r"(?:\(0\)" + _SEP + r"|0)?|0)"
    r"[1-579](?:" + _SEP + r"[0-9]){8}[0-9]*"
)
#: Ethiopian phone numbers, each match with the character before it.
PHONE_PATTERN = r"(?:" + PHONE_PREFIX_CHAR_PATTERN + r")" + PHONE_NUMBER_PATTERN

#: A normalised national significant number: 9 digits, mobile (7, 9) or landline (1..5).
NATIONAL_NUMBER_PATTERN = r"^[1-579][0-9]{8}$"

#: What to strip from the digits of a match to get the national number: country code, trunk 0.
PHONE_PREFIX_PATTERN = r"^(?:251)?0?"


def normalize_phone(raw: str) -> str | None:
    """E.164 form (``+2519XXXXXXXX``) of one matched phone string, or None when not valid.

    Parameters
    ----------
    raw
        A match of :data:`PHONE_PATTERN` (leading non-digit and separators allowed).

    Returns
    -------
    str or None
        ``"+251"`` followed by the 9-digit national number; None for a wrong digit count.
    """
    digits = re.sub(r"[^0-9]", "", raw)
    national = re.sub(PHONE_PREFIX_PATTERN, "", digits, count=1)
    if re.fullmatch(NATIONAL_NUMBER_PATTERN, national) is None:
        return None
    return "+251" + national


# --- Prices --------------------------------------------------------------------------------------

#: An amount: thousands with commas ("1,500") or a plain digit run, optional decimals.
AMOUNT_PATTERN = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"

# "ሚሊ" (millilitre, too) and "m" (metre) are left out: both are sizes as often as prices.
# Real ads (and not only the samples) write large prices with a multiplier word and no currency:
# "2.5 ሚሊዮን", "850 ሺ", "1.2-1.5 ሚሊየን", "3 million". The multiplier must end the word (ሺዎች,
# "thousands of", is a count of people in news, not a price), hence the trailing non-letter.
_MULTIPLIERS = {
    "ሺህ": 1e3, "ሺ": 1e3, "ሚሊዮን": 1e6, "ሚሊየን": 1e6, "ሚልዮን": 1e6,
    "ቢሊዮን": 1e9, "ቢሊየን": 1e9,
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mil": 1e6, "billion": 1e9, "bn": 1e9,
}
_ETHIOPIC_MULTIPLIER = "|".join(sorted((k for k in _MULTIPLIERS if not k.isascii()), key=len, reverse=True))
_LATIN_MULTIPLIER = "|".join(sorted((k for k in _MULTIPLIERS if k.isascii()), key=len, reverse=True))
_MULTIPLIER = rf"(?:{_ETHIOPIC_MULTIPLIER}|(?i:{_LATIN_MULTIPLIER}))"

# Currency words: the Ge'ez ብር and the Latin spellings (case-insensitive).
_CURRENCY = r"(?:ብር|(?i:birr|etb|br))"

#: The multiplier words a price may carry: a scaled amount's, and a capital "M" ("2.5M ብር"; a
#: lower-case "m" is metres). The factor is looked up lower-cased in :data:`PRICE_MULTIPLIERS`.
_PRICE_MULTIPLIER = rf"(?:{_ETHIOPIC_MULTIPLIER}|(?i:{_LATIN_MULTIPLIER})|M)"

#: Decimals said as a word: "5 ነጥብ 5 ቢሊየን ብር" is 5.5 billion (ነጥብ, "point", is how news and
#: ads often write the decimal point). Group 1 and 2: the digits on either side.
SPOKEN_DECIMAL_PATTERN = r"([0-9])[ \t]*ነጥብ[ \t]*([0-9])"
_SPOKEN_DECIMALS = r"(?:[ \t]*ነጥብ[ \t]*[0-9]+)?"

#: An amount with its spoken decimals: the head of each term of a price's number.
_PRICE_TERM_HEAD = AMOUNT_PATTERN + _SPOKEN_DECIMALS
_TERM_JOIN = r"[ \t]+(?:እና[ \t]+)?"

#: The terms after the first term's multiplier word: more terms with theirs, then perhaps a
#: bare one. Written so that every match starts with an amount (a pattern that starts with a
#: repeated group was 8x slower on real text).
_MORE_TERMS = (rf"(?:{_TERM_JOIN}{_PRICE_TERM_HEAD}[ \t]*{_PRICE_MULTIPLIER})*"
               rf"(?:{_TERM_JOIN}{_PRICE_TERM_HEAD})?")

#: The number of a price: terms that add up, each but the last ending in a multiplier word and a
#: space ("2 ሚሊዮን 500 ሺ ብር" is 2,500,000; "1ሺ 258 ብር" is 1,258; "እና", "and", may join them).
PRICE_NUMBER_PATTERN = (
    _PRICE_TERM_HEAD + rf"(?:[ \t]*{_PRICE_MULTIPLIER}" + _MORE_TERMS + r")?"
)

#: An amount with spaces between its thousands ("12 000", "1 500 000"), up to 999 999 999 999.
_SPACED_AMOUNT = r"[1-9][0-9]{0,2}(?: [0-9]{3}){1,3}(?:\.[0-9]+)?"
#: A run of digit groups before a currency, read from its first digit: either a spaced amount
#: or not one (the groups of a phone number before a price, "0911 223 344 500 ብር", whose
#: price is its last group: see :data:`NOT_SPACED_AMOUNT_PATTERN`). Matching the whole run keeps
#: a later group ("911 223 344 500") from being read as an amount of its own.
_DIGIT_GROUPS = r"[0-9]+(?: [0-9]{3})+(?:\.[0-9]+)?"
#: A price phrase starting with digit groups that are not a spaced amount: all but the last group
#: are cut off before its value is read (group 1, the last group's first digit, is put back).
NOT_SPACED_AMOUNT_PATTERN = r"^(?:[0-9]+ )+([0-9])"
#: A price phrase that starts with a spaced amount (the digits joined before its value is read).
SPACED_AMOUNT_START_PATTERN = r"^" + _SPACED_AMOUNT + r"(?:[^0-9 ]|$| [^0-9])"

#: A number written with a leading zero ("0911223344"): a phone number or an id, never an amount
#: ("CBE Birr 0911223344" is how to pay, not a price of 911 million). A price phrase holding one
#: is no price.
LEADING_ZERO_NUMBER_PATTERN = r"(?:^|[^0-9.,\s])\s*0[0-9]"

#: A space between two digits of a price phrase: removed before its value is read.
DIGIT_SPACE_PATTERN = r"([0-9]) ([0-9])"

#: One term of a price's number once its spoken decimals are written with a '.', as group 1 the
#: amount and group 2 the multiplier word (for reading the value of a price phrase).
PRICE_TERM_VALUE_PATTERN = r"(" + AMOUNT_PATTERN + rf")(?:[ \t]*({_PRICE_MULTIPLIER}))?"

#: Birr prices written amount-first: "1,500 ብር", "1500br", "500 birr", "2,500.50 ብር", with a
#: multiplier word between amount and currency too ("12 ሚሊዮን ብር", "850ሺ ብር", "3 million birr",
#: "2.5M ብር"), decimals said as a word ("5 ነጥብ 5 ቢሊየን ብር") and terms that add up ("1ሺ 258 ብር"). The
#: currency word must end the word: ብርሃን ("light") starts with ብር and "1500 brand" is no price,
#: so a non-letter (or the end) must follow. That character is part of the match because the
#: engine has no look-ahead (Unicode ``\b`` would do, but it forces the slow regex engine on
#: non-ASCII text: ~8x slower here); the amount is re-extracted from the match.
PRICE_AMOUNT_FIRST_PATTERN = (
    r"(?:" + _DIGIT_GROUPS + r"|" + PRICE_NUMBER_PATTERN + r")"
    + r"[ \t]*" + _CURRENCY + r"(?:[^\p{L}\p{M}]|$)"
)

#: Birr prices written currency-first: "ብር 500", "ETB 300", "Br. 40", "ETB:300", "ብር 2.5 ሚሊዮን"
#: (a multiplier word after the amount counts when it ends its word: not "ETB 300 kids"). The currency
#: must start a word (not ገብር), so the preceding character (or the start) is part of the match;
#: it may not be a digit either ("1500ብር 20" is an amount-first price), which also keeps the
#: match's only amount the price.
PRICE_CURRENCY_FIRST_PATTERN = (
    r"(?:^|[^\p{L}\p{M}\p{N}])" + _CURRENCY + r"\.?[ \t]*:?[ \t]*"
    + r"(?:" + _SPACED_AMOUNT + r"(?:[^0-9]|$)|"
    # A number whose last word is a multiplier must end there ("ETB 300 kids" is 300).
    + _PRICE_TERM_HEAD + rf"(?:[ \t]*{_PRICE_MULTIPLIER}"
    + rf"(?:{_TERM_JOIN}{_PRICE_TERM_HEAD}[ \t]*{_PRICE_MULTIPLIER})*"
    + rf"(?:{_TERM_JOIN}{_PRICE_TERM_HEAD}|(?:[^\p{{L}}\p{{M}}]|$)))?)"
)

# The two forms are matched in two passes: amount-first on the text, then currency-first on the
# text with the amount-first prices blanked out, so "100 ብር 200 ብር" is [100, 200] (not also the
# currency-first reading "ብር 200") and "500 birr ETB 300" still finds both. One alternation
# cannot do this: the character consumed after "500 birr" may be the one "ETB" needs before it.
#: Both price forms, for callers that only need to know whether a text has a price.
PRICE_PATTERN = PRICE_AMOUNT_FIRST_PATTERN + "|" + PRICE_CURRENCY_FIRST_PATTERN

#: A price written with no multiplier word between its amount and its currency ("1,500 ብር", "ETB
#: 300", and the "ብር 2.5" of "ብር 2.5 ሚሊዮን"): the labeling rules' `price` evidence, as it was
#: when the rules were measured. A multiplier is the rules' `scaled_amount` evidence; counting
#: "12 ሚሊዮን ብር" as both raised the AfriSenti tweets marked Ad from 26 to 46 and gained no ad.
PLAIN_PRICE_PATTERN = (
    AMOUNT_PATTERN + r"[ \t]*" + _CURRENCY + r"(?:[^\p{L}\p{M}]|$)"
    + "|" + r"(?:^|[^\p{L}\p{M}\p{N}])" + _CURRENCY + r"\.?[ \t]*:?[ \t]*" + AMOUNT_PATTERN
)

#: A price as written, without the neighbouring character the two patterns above consume: what
#: is cut out of their matches to show a price ("1,500 ብር", "ETB 300").
PRICE_PHRASE_PATTERN = (
    r"(?:" + _DIGIT_GROUPS + "|" + PRICE_NUMBER_PATTERN + r")[ \t]*" + _CURRENCY
    + "|" + _CURRENCY + r"\.?[ \t]*:?[ \t]*(?:" + _SPACED_AMOUNT + "|" + PRICE_NUMBER_PATTERN + ")"
)


#: An amount with a multiplier word, a range allowed ("1.2-1.5 ሚሊዮን" reads as its low end):
#: "2.5 ሚሊዮን", "850ሺ", "3 million", "900k". The character after the word is part of the match.
SCALED_AMOUNT_PATTERN = (
    AMOUNT_PATTERN + r"(?:[ \t]*[-–][ \t]*" + AMOUNT_PATTERN + r")?[ \t]*" + _MULTIPLIER
    + r"(?:[^\p{L}\p{M}]|$)"
)

#: A price or size per area: "በካሬ 45,000", "200 ካሬ ላይ", "120 ካሬ ሜትር", "per sqm", "85 m2". Square
#: kilometres ("300 ካሬ ኪ.ሜ", geography, not property) are not matched: after ካሬ comes any
#: character but ኪ (the engine has no look-ahead, so that character is part of the match).
PER_AREA_PATTERN = (
    r"በ[ \t]?ካሬ[ \t]*[0-9]|" + AMOUNT_PATTERN + r"[ \t]*ካሬ[ \t]*(?:[^ኪ \t]|$)"
    + "|" + AMOUNT_PATTERN + r"[ \t]*(?i:m2|m²|sqm|sq\.?[ \t]?m)(?:[^\p{L}\p{N}]|$)"
    + r"|(?i:per[ \t]+(?:sq(?:uare)?[ \t]*m(?:etre|eter)?|sqm|m2))"
)

#: "Negotiable" as a price term: ድርድር right after a price word or with አለው / ይቻላል ("ዋጋ ድርድር
#: አለው", "ዋጋው በድርድር", "ድርድር ይቻላል"), "negotiable", "nego". ድርድር alone is "negotiation", the
#: word of every news story about talks, so it does not count on its own.
NEGOTIABLE_PATTERN = (
    r"ዋጋ(?:ው|ችን)?[ \t:፦]*(?:በ|ለ)?ድርድር|ዋጋ(?:ው)?[ \t]*(?:ይደራደራል|ያደራድራል)"
    r"|ድርድር[ \t]*(?:አለው|አለ|ይቻላል|አለን)|(?i:negotiable|\bnego\b)"
)


def parse_scaled_amount(raw: str) -> float | None:
    """The value of a matched scaled amount ("2.5 ሚሊዮን" -> 2500000.0; a range: its low end)."""
    found = re.search(AMOUNT_PATTERN, raw)
    if found is None:
        return None
    rest = raw[found.end():]
    word = re.search(rf"({_ETHIOPIC_MULTIPLIER}|{_LATIN_MULTIPLIER})(?![^\W\d_])", rest, re.IGNORECASE)
    if word is None:
        return None
    return float(found.group(0).replace(",", "")) * _MULTIPLIERS[word.group(1).lower()]


#: The multiplier words (lower case) and their factors.
MULTIPLIERS: dict[str, float] = dict(_MULTIPLIERS)

#: The multiplier words of a price (lower case) and their factors: "M" ("2.5M ብር") too.
PRICE_MULTIPLIERS: dict[str, float] = {**_MULTIPLIERS, "m": 1e6}

#: The multiplier word of a scaled amount, as group 1 (for reading its factor).
SCALED_AMOUNT_WORD_PATTERN = (
    AMOUNT_PATTERN + r"(?:[ \t]*[-–][ \t]*" + AMOUNT_PATTERN + r")?[ \t]*(" + _MULTIPLIER + ")"
)


def parse_price_amount(raw: str) -> float | None:
    """The amount of a price phrase as a float ("2,500.50 ብር" -> 2500.5).

    A multiplier word after an amount scales it ("12 ሚሊዮን ብር" -> 12000000.0), decimals said
    as ነጥብ count ("5 ነጥብ 5 ቢሊየን ብር" -> 5500000000.0), terms add up ("1ሺ 258 ብር" ->
    1258.0) and thousands may be spaced ("12 000 ብር" -> 12000.0); None for a number with a
    leading zero ("Birr 0911223344", a phone number), rounded to cents as :func:`~workbench.core.amharic.exprs.extract_prices` rounds
    (4.1 x 1e6 is not exactly 4100000 in binary floating point).
    """
    if re.search(LEADING_ZERO_NUMBER_PATTERN, raw):
        return None
    if re.match(r"[0-9]+ [0-9]", raw) and not re.match(SPACED_AMOUNT_START_PATTERN, raw):
        raw = re.sub(NOT_SPACED_AMOUNT_PATTERN, r"\1", raw)
    written = re.sub(SPOKEN_DECIMAL_PATTERN, r"\1.\2", re.sub(DIGIT_SPACE_PATTERN, r"\1\2", raw))
    terms = re.findall(PRICE_TERM_VALUE_PATTERN, written)
    if not terms:
        return None
    total = sum(float(amount.replace(",", "")) * PRICE_MULTIPLIERS.get(word.lower(), 1.0)
                for amount, word in terms)
    return round(total, 2)


# --- Emoji ---------------------------------------------------------------------------------------

# A pictographic emoji character: Emoji AND Extended_Pictographic, which excludes digits, '#'
# and '*' (Emoji but not pictographic) and reserved or text-only pictographs such as ★ ► (which
# the symbol rule removes instead).
_PICTO = r"[\p{Emoji}&&\p{Extended_Pictographic}]"
# What may follow a pictograph inside one emoji: skin tones, VS16, a tag sequence (subdivision
# flags like England's: black flag + tag letters + cancel tag).
_PICTO_TAIL = r"(?:\p{Emoji_Modifier}|\x{FE0F})*(?:[\x{E0020}-\x{E007E}]+\x{E007F})?"
_PICTO_ELEMENT = _PICTO + _PICTO_TAIL

#: One whole emoji: keycap (1️⃣ #️⃣), flag (🇪🇹: two regional indicators), ZWJ sequence of
#: pictographs each with optional skin tone / VS16 (👨‍👩‍👧, 👍🏽, ❤️); then lone skin tones and
#: lone regional indicators, so nothing half-emoji survives extraction.
EMOJI_PATTERN = (
    r"[0-9#*]\x{FE0F}?\x{20E3}"
    r"|\p{Regional_Indicator}{2}"
    r"|" + _PICTO_ELEMENT + r"(?:\x{200D}" + _PICTO_ELEMENT + r")*"
    r"|\p{Emoji_Modifier}|\p{Regional_Indicator}"
)

#: Emoji glue that can be left over after the sequences are gone (VS15/VS16, ZWJ, keycap mark,
#: tag characters): removed from ``text_clean`` together with the emojis.
EMOJI_RESIDUE_PATTERN = r"[\x{FE0E}\x{FE0F}\x{200D}\x{20E3}\x{E0020}-\x{E007F}]"

#: Characters of an emoji, for the symbol rule to leave alone when emojis are kept.
EMOJI_CHARS_CLASS = (
    r"\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}"
    r"\x{FE0E}\x{FE0F}\x{200D}\x{20E3}\x{E0020}-\x{E007F}"
)

# --- Hashtags, mentions, links -----------------------------------------------------------------

#: A hashtag: '#' then a letter, digit or '_' (so "#️⃣" is not one), then letters, marks,
#: digits, '_' (Ge'ez works: "#ቅናሽ").
HASHTAG_PATTERN = r"#[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*"

#: Characters that may not precede '@' in a mention: they make it an e-mail ("a@b.com") or part
#: of a URL path. Ethiopic letters may precede it: prefixes attach to handles ("በ@shop").
_MENTION_BLOCKERS = r"A-Za-z0-9_.@/+%\-"

#: A Telegram @mention: the preceding character (or start) is part of the match because the
#: engine has no look-behind; the handle is then taken from after the '@'. Handles are 4+ word
#: characters; over-long ones (> 32) are dropped after matching rather than cut short.
MENTION_PREFIX_PATTERN = r"^|[^" + _MENTION_BLOCKERS + r"]"
#: The '@handle' part of a mention.
MENTION_HANDLE_PATTERN = r"@[A-Za-z0-9_]{4,}"
MENTION_PATTERN = r"(?:" + MENTION_PREFIX_PATTERN + r")" + MENTION_HANDLE_PATTERN

#: Longest Telegram handle kept as a mention.
MAX_HANDLE_LEN = 32

#: Characters a URL body may hold: no whitespace, quotes or angle brackets, and no Ethiopic
#: script (Amharic text glued to a link, "t.me/shopይቀላቀሉ", is not part of the URL).
_URL_BODY = r"[^\s<>\"\p{Ethiopic}]"
#: Trailing characters a URL does not end with (sentence punctuation after a link).
_URL_END = r"[^\s<>\"\p{Ethiopic}.,;:!?)\]}'’”»]"

#: Links: http(s)://..., www...., t.me/... (also telegram.me, telegram.dog).
LINK_PATTERN = (
    r"(?i:https?://|(?-u:\b)www\.|(?-u:\b)(?:t|telegram)\.(?:me|dog)/)"
    r"(?:" + _URL_BODY + r"*" + _URL_END + r")?"
)

# --- Stray symbols -----------------------------------------------------------------------------

#: Punctuation kept in ``text_clean`` besides the ASCII marks: the quotation marks Amharic writes
#: (« » ‹ ›) and the typographic ones (“ ” ‘ ’ „), the ellipsis, dashes and brackets. The symbol
#: rule turned them into spaces ("don’t" became "don t") in 22% of the AfriSenti tweets and 4.8%
#: of the SIB-200 sentences (``bench/text_rules.py``).
TYPOGRAPHIC_PUNCTUATION = "«»‹›“”‘’„…–—[]"

#: What ``text_clean`` keeps when symbols are removed: letters, marks, digits, whitespace,
#: Ethiopic, ordinary and typographic punctuation. Everything else (bullets •, arrows ► ➡,
#: stars ★, box drawing, check marks, currency signs, '#', '@', '_') goes.
KEEP_CHARS_CLASS = (r"\p{L}\p{M}\p{N}\s" + ETHIOPIC_PUNCTUATION + r".,!?:;()/'\"%+\-"
                    + TYPOGRAPHIC_PUNCTUATION.replace("[", r"\[").replace("]", r"\]"))

#: Invisible characters that join or split nothing a reader sees: zero-width space, non-joiner,
#: word joiner, byte-order mark, soft hyphen, and a zero-width joiner before a letter or digit
#: (in an emoji sequence one comes before a pictograph; the letter is group 1, to put back).
#: Copy-pasted posts carry them inside words; removing them as symbols (a space) split the word
#: in two, so they are deleted.
INVISIBLE_FORMAT_PATTERN = (r"[\x{200B}\x{200C}\x{2060}\x{FEFF}\x{00AD}]"
                            r"|\x{200D}([\p{L}\p{M}\p{N}])")

#: One stray symbol character (the complement of :data:`KEEP_CHARS_CLASS`).
SYMBOL_PATTERN = r"[^" + KEEP_CHARS_CLASS + r"]"

#: A stray symbol when emojis are kept: the emoji characters are taken out of the set.
SYMBOL_KEEPING_EMOJI_PATTERN = r"[^" + KEEP_CHARS_CLASS + EMOJI_CHARS_CLASS + r"]"

# --- Tokens --------------------------------------------------------------------------------------

#: A word token for frequencies and n-grams: letters/marks/digits, with '.', ',' or ':' kept
#: only between digits ("1,500", "2.5", "3:30"). Whitespace, Latin and Ethiopic punctuation and
#: symbols separate tokens.
TOKEN_PATTERN = r"[0-9]+(?:[.,:][0-9]+)+|[\p{L}\p{M}\p{N}]+"
