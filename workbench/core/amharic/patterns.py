r"""Amharic / Ge'ez facts as data: script ranges, character tables and regular expressions.

Every pattern here is written for the Rust ``regex`` engine that Polars runs (no look-around, no
backreferences); Unicode properties such as ``\p{Ethiopic}`` and ``\p{Extended_Pictographic}``
are supported there (checked against Polars 2.1). Python's :mod:`re` does not know ``\p{..}``:
per-string code runs these patterns through Polars (:mod:`workbench.core.amharic.strings`), and
the few pure-Python helpers below only use patterns both engines accept. Prices, multipliers and
the other price expressions are :mod:`workbench.core.amharic.prices`'.

Examples
--------
>>> normalize_phone("0911-22 33 44")
'+251911223344'
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


#: Spellings of the Ethiopic full stop that ``text_norm`` reads as "።": two wordspaces, which
#: people type where their keyboard has no full stop (535 of the 4,404 full stops in the AfriSenti
#: Amharic tweets, about one in eight).
FULL_STOP_SPELLINGS = {"፡፡": "።"}


def normalization_replacements(cleaning: CleaningConfig) -> dict[str, str]:
    """Everything that turns a clean text into ``text_norm``, multi-character spellings included.

    :func:`normalization_table` (one character for another) plus :data:`FULL_STOP_SPELLINGS`
    when ``cleaning.unify_full_stop`` is on. The Polars forms replace them all in one pass; the
    per-string form replaces the spellings, then translates the characters (the two sets share
    no character, so the order does not matter).
    """
    table = normalization_table(cleaning)
    if cleaning.unify_full_stop:
        table |= FULL_STOP_SPELLINGS
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
