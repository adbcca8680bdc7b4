r"""Prices as Amharic posts write them: amounts, currency words, multipliers, per-area, negotiable.

Written for the Rust ``regex`` engine Polars runs, like :mod:`workbench.core.amharic.patterns`
(no look-around: a pattern that must see the character before or after a price consumes it,
and the price is cut out of the match). The Polars forms are in
:mod:`workbench.core.amharic.exprs`; :func:`parse_price_amount` reads one price phrase in Python
the same way.

Two groups of patterns:

* the price reader (the ``prices`` column and price phrases): :data:`PRICE_AMOUNT_FIRST_PATTERN`,
  :data:`PRICE_CURRENCY_FIRST_PATTERN`, :data:`PRICE_PHRASE_PATTERN`;
* the labeling rules' evidence, kept as they were measured: :data:`PLAIN_PRICE_PATTERN`,
  :data:`SCALED_AMOUNT_PATTERN`, :data:`PER_AREA_PATTERN`, :data:`NEGOTIABLE_PATTERN` (changing
  one changes what ``bench/rules.py`` prints).

Examples
--------
>>> parse_price_amount("2,500.50 ብር")
2500.5
>>> parse_price_amount("5 ነጥብ 5 ቢሊየን ብር")
5500000000.0
"""

from __future__ import annotations

import re

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
