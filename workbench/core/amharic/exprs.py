"""The Polars expression forms of the Amharic text rules: extraction, display text, ``text_norm``.

Everything is a Polars expression (regex passes in Rust, ``list.eval`` for per-item work): no
Python runs per row, which is what keeps 200k messages in the seconds range. The ingest stage
composes these into ``cleaned/messages.parquet``; :mod:`workbench.core.amharic.strings` runs the
same expressions on one string for queries, briefs, checks and evaluation.

Storage forms
-------------
* hashtags: tag text without '#' ("#ቅናሽ" -> "ቅናሽ"), as written, de-duplicated, first-seen order.
* mentions: handle without '@' ("@shop_et" -> "shop_et"), as written, de-duplicated, 4 to
  :data:`~workbench.core.amharic.patterns.MAX_HANDLE_LEN` characters.
* links: URLs in the text, de-duplicated.
* emojis: every whole emoji sequence, in order, repeats kept (counts mean something).
* phones: E.164 ``+251XXXXXXXXX``, de-duplicated, first-seen order.
* prices: amounts in birr as floats, repeats kept (amount-first notation "500 ብር" in order,
  then currency-first "ብር 500").
"""

from __future__ import annotations

import polars as pl

from workbench.core.amharic.patterns import (
    EMOJI_PATTERN,
    EMOJI_RESIDUE_PATTERN,
    HASHTAG_PATTERN,
    INVISIBLE_FORMAT_PATTERN,
    LINK_PATTERN,
    MAX_HANDLE_LEN,
    MENTION_HANDLE_PATTERN,
    MENTION_PATTERN,
    MENTION_PREFIX_PATTERN,
    NATIONAL_NUMBER_PATTERN,
    PHONE_PATTERN,
    PHONE_PREFIX_PATTERN,
    SYMBOL_KEEPING_EMOJI_PATTERN,
    SYMBOL_PATTERN,
    WHITESPACE,
    WHITESPACE_RUN_PATTERN,
    normalization_replacements,
)
from workbench.core.amharic.prices import (
    AMOUNT_PATTERN,
    DIGIT_SPACE_PATTERN,
    LEADING_ZERO_NUMBER_PATTERN,
    MULTIPLIERS,
    NOT_SPACED_AMOUNT_PATTERN,
    PRICE_AMOUNT_FIRST_PATTERN,
    PRICE_CURRENCY_FIRST_PATTERN,
    PRICE_MULTIPLIERS,
    PRICE_PHRASE_PATTERN,
    PRICE_TERM_VALUE_PATTERN,
    SCALED_AMOUNT_PATTERN,
    SCALED_AMOUNT_WORD_PATTERN,
    SPACED_AMOUNT_START_PATTERN,
    SPOKEN_DECIMAL_PATTERN,
)
from workbench.core.config import CleaningConfig

_EL = pl.element()


def dedupe(expr: pl.Expr) -> pl.Expr:
    """Unique list items in order of first appearance ("the first phone in the ad")."""
    return expr.list.unique(maintain_order=True)


# Links, hashtags and mentions in one scan. Links come first in the alternation so the '#' and
# '@' inside a URL ("site.com/#top", "medium.com/@user") are consumed with it and never read as
# a hashtag or mention; the three kinds are then told apart by their first characters.
_TAGS_PATTERN = f"{LINK_PATTERN}|{HASHTAG_PATTERN}|{MENTION_PATTERN}"
_LINK_START = r"^(?i:https?://|www\.|(?:t|telegram)\.(?:me|dog)/)"
# A mention match is "<one prefix char>@handle" or "@handle"; links and hashtags never look so.
_MENTION_MATCH = r"^(?s:.)?@[A-Za-z0-9_]+$"


def find_tags(text: pl.Expr) -> pl.Expr:
    """Raw link / hashtag / mention matches of each text, for the ``*_from_tags`` helpers."""
    return text.str.extract_all(_TAGS_PATTERN)


def hashtags_from_tags(tags: pl.Expr) -> pl.Expr:
    """Hashtags (without '#') from :func:`find_tags`, de-duplicated, in order."""
    return dedupe(tags.list.eval(_EL.filter(_EL.str.starts_with("#")).str.slice(1)))


def mentions_from_tags(tags: pl.Expr, also: pl.Expr | None = None) -> pl.Expr:
    """@handles (without '@') from :func:`find_tags`, then ``also``'s, valid ones, de-duplicated.

    ``also`` is a list of further handles (ingest passes the ``mention`` entities'); a handle
    longer than Telegram allows is dropped rather than cut short.
    """
    handles = tags.list.eval(
        _EL.filter(_EL.str.contains(_MENTION_MATCH)).str.replace(r"^(?s:.)?@", "")
    )
    if also is not None:
        handles = pl.concat_list(handles, also)
    valid = handles.list.eval(
        _EL.filter(
            _EL.str.contains(r"^[A-Za-z0-9_]{4,}$") & (_EL.str.len_chars() <= MAX_HANDLE_LEN)
        )
    )
    return dedupe(valid)


def links_from_tags(tags: pl.Expr, also: pl.Expr | None = None) -> pl.Expr:
    """URLs from :func:`find_tags`, then ``also``'s (e.g. ``text_link`` hrefs), de-duplicated."""
    urls = tags.list.eval(_EL.filter(_EL.str.contains(_LINK_START)))
    return dedupe(urls if also is None else pl.concat_list(urls, also))


def extract_emojis(text: pl.Expr) -> pl.Expr:
    """Whole emoji sequences (ZWJ, skin tone, VS16, keycap, flag), in order, repeats kept."""
    return text.str.extract_all(EMOJI_PATTERN)


def extract_phones(text: pl.Expr) -> pl.Expr:
    """Ethiopian phone numbers as E.164 ``+251XXXXXXXXX``, de-duplicated, in order."""
    national = text.str.extract_all(PHONE_PATTERN).list.eval(
        _EL.str.replace_all(r"[^0-9]", "").str.replace(PHONE_PREFIX_PATTERN, "")
    )
    valid = national.list.eval(
        pl.lit("+251") + _EL.filter(_EL.str.contains(NATIONAL_NUMBER_PATTERN))
    )
    return dedupe(valid)


def _price_matches(text: pl.Expr) -> pl.Expr:
    """Price matches, amount-first ones in order, then currency-first ones (two passes).

    See :data:`~workbench.core.amharic.prices.PRICE_PATTERN` for why: a currency word already
    used by an amount-first price is not read again as currency-first. A match whose number
    has a leading zero (a phone number after "CBE Birr") is dropped.
    """
    rest = text.str.replace_all(PRICE_AMOUNT_FIRST_PATTERN, " ")
    matches = pl.concat_list(
        text.str.extract_all(PRICE_AMOUNT_FIRST_PATTERN),
        rest.str.extract_all(PRICE_CURRENCY_FIRST_PATTERN),
    )
    return matches.list.eval(
        _EL.filter(~_price_phrase(_EL).str.contains(LEADING_ZERO_NUMBER_PATTERN)))


def _price_phrase(match: pl.Expr) -> pl.Expr:
    """The price as written in a price match, its neighbours cut off.

    Leading digit groups that are no spaced amount (a phone number's) are cut off too:
    "0911 223 344 500 ብር" is "500 ብር".
    """
    raw = match.str.extract(f"({PRICE_PHRASE_PATTERN})", 1)
    not_spaced = raw.str.contains(r"^[0-9]+ [0-9]") & ~raw.str.contains(SPACED_AMOUNT_START_PATTERN)
    return pl.when(not_spaced).then(raw.str.replace(NOT_SPACED_AMOUNT_PATTERN, "${1}")).otherwise(raw)


def extract_prices(text: pl.Expr) -> pl.Expr:
    """Birr amounts as floats: amount-first prices in order, then currency-first ones.

    A multiplier word after an amount scales it ("12 ሚሊዮን ብር" -> 12000000.0, "ብር 2.5 ሚሊዮን"
    -> 2500000.0, "2.5M ብር"), decimals said as ነጥብ count ("5 ነጥብ 5 ቢሊየን ብር" -> 5.5e9)
    terms add up ("1ሺ 258 ብር" -> 1258.0, "2 ሚሊዮን 500 ሺ ብር" -> 2500000.0) and thousands
    may be spaced ("12 000 ብር" -> 12000.0), rounded to
    cents. The value is read from the price phrase (the match without its neighbours), as
    :func:`~workbench.core.amharic.prices.parse_price_amount` reads it.
    """
    term = pl.element()
    amount = term.str.extract(PRICE_TERM_VALUE_PATTERN, 1).str.replace_all(",", "").cast(pl.Float64)
    factor = (term.str.extract(PRICE_TERM_VALUE_PATTERN, 2).str.to_lowercase()
              .replace_strict(PRICE_MULTIPLIERS, default=1.0, return_dtype=pl.Float64))
    phrase = (_price_phrase(_EL)
              .str.replace_all(DIGIT_SPACE_PATTERN, "${1}${2}")
              .str.replace_all(SPOKEN_DECIMAL_PATTERN, "${1}.${2}"))
    return _price_matches(text).list.eval(
        phrase.str.extract_all(PRICE_TERM_VALUE_PATTERN)
        .list.eval(amount * factor).list.sum().round(2)
    )


def extract_price_phrases(text: pl.Expr) -> pl.Expr:
    """Prices as written ("1,500 ብር", "ETB 300"), in :func:`extract_prices`' order.

    The neighbouring character each match needs (the engine has no look-around) is cut off and
    inner whitespace collapsed to one space. A currency-first price is read from the text with
    the amount-first ones blanked out, so in a run such as "ETB:300 Br. 40" (read as "300 Br."
    and "ETB 40") its phrase spans the blank: "ETB: 40".
    """
    phrase = _price_phrase(_EL)
    return _price_matches(text).list.eval(
        phrase.str.replace_all(f"[{WHITESPACE}]+", " ")
    )


def extract_scaled_amounts(text: pl.Expr) -> pl.Expr:
    """Amounts written with a multiplier word, as floats ("2.5 ሚሊዮን" -> 2500000.0), in order.

    A range ("1.2-1.5 ሚሊዮን") reads as its low end. No currency is required: real ads write
    "ዋጋ 4.5 ሚሊዮን" without ብር, so this is a price *expression*, not a price in birr (the
    ``prices`` column stays currency-marked amounts only).
    """
    factor = (_EL.str.extract(SCALED_AMOUNT_WORD_PATTERN, 1).str.to_lowercase()
              .replace_strict(MULTIPLIERS, default=None, return_dtype=pl.Float64))
    amount = _EL.str.extract(AMOUNT_PATTERN, 0).str.replace_all(",", "").cast(pl.Float64)
    return text.str.extract_all(SCALED_AMOUNT_PATTERN).list.eval(amount * factor)


def collapse_whitespace(text: pl.Expr) -> pl.Expr:
    """Runs of whitespace (any Unicode White_Space) as one space, ends stripped."""
    return text.str.replace_all(WHITESPACE_RUN_PATTERN, " ").str.strip_chars(WHITESPACE)


def clean_text(text: pl.Expr, cfg: CleaningConfig) -> pl.Expr:
    """The display text: removals switched by ``cfg``, then whitespace collapsed.

    Order: links, mentions, hashtags, then emojis and stray symbols in one pass, then
    whitespace. Removed links, emojis and symbols become one space, so the words around them
    never glue together; hashtags and mentions are deleted (their greedy match already ends at
    a non-letter; a mention's preceding character is put back). Phones and prices stay. With
    ``remove_links`` off, links are protected from the later rules by matching them first in the
    same pass and putting them back (``$1``); kept hashtags and mentions are protected from the
    symbol rule the same way. A protected item is then followed by one space when symbols are
    removed (invisible once whitespace is collapsed).
    """
    out = text
    # Links first: they contain '#', '@' and symbols the later rules would otherwise cut up.
    keep_links = not cfg.remove_links
    if cfg.remove_links:
        out = out.str.replace_all(LINK_PATTERN, " ")
    if cfg.remove_mentions:
        if keep_links:
            pattern = f"({LINK_PATTERN})|({MENTION_PREFIX_PATTERN}){MENTION_HANDLE_PATTERN}"
            out = out.str.replace_all(pattern, "${1}${2}")
        else:
            pattern = f"({MENTION_PREFIX_PATTERN}){MENTION_HANDLE_PATTERN}"
            # The prefix character is not part of the mention: put it back.
            out = out.str.replace_all(pattern, "${1}")
    # Hashtags before symbols: the symbol rule would turn '#' into a space and leave the tag.
    if cfg.remove_hashtags:
        if keep_links:
            out = out.str.replace_all(f"({LINK_PATTERN})|{HASHTAG_PATTERN}", "${1}")
        else:
            out = out.str.replace_all(HASHTAG_PATTERN, "")
    # Emojis and symbols share one pass (one scan instead of two). Whole sequences and their
    # leftover glue (a VS16 after a non-emoji, a lone ZWJ) go; kept emojis are spared by the
    # symbol rule's character class, kept links/hashtags/mentions by matching them first and
    # putting them back (their '/', '#', '@', '_' are "symbols" otherwise).
    if cfg.remove_emojis or cfg.remove_symbols:
        # Invisible characters inside a word go without a trace (the pass below would leave a
        # space and split the word); a joiner inside an emoji sequence stays with it.
        out = out.str.replace_all(INVISIBLE_FORMAT_PATTERN, "${1}")
    removals: list[str] = []
    if cfg.remove_emojis:
        removals += [EMOJI_PATTERN, EMOJI_RESIDUE_PATTERN]
    protect: list[str] = []
    if cfg.remove_symbols:
        removals.append(SYMBOL_PATTERN if cfg.remove_emojis else SYMBOL_KEEPING_EMOJI_PATTERN)
        protect = [
            pattern
            for pattern, kept in (
                (LINK_PATTERN, keep_links),
                (HASHTAG_PATTERN, not cfg.remove_hashtags),
                (MENTION_HANDLE_PATTERN, not cfg.remove_mentions),
            )
            if kept
        ]
    if removals:
        pattern = "|".join(removals)
        if protect:
            out = out.str.replace_all(f"({'|'.join(protect)})|{pattern}", "${1} ")
        else:
            out = out.str.replace_all(pattern, " ")
    if cfg.collapse_whitespace:
        out = collapse_whitespace(out)
    return out


def normalize_text(text_clean: pl.Expr, cfg: CleaningConfig) -> pl.Expr:
    """``text_norm``: :func:`~workbench.core.amharic.patterns.normalization_replacements` applied."""
    table = normalization_replacements(cfg)
    if not table:
        return text_clean
    # One Aho-Corasick pass over single-character patterns does both jobs: faster than
    # replace_many + to_lowercase.
    return text_clean.str.replace_many(list(table), list(table.values()))


def letter_counts(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(letters, non-Ethiopic letters) of each text, the inputs of :func:`letter_ratio`."""
    # The rarer classes (non-letters, non-Ethiopic letters) are counted: about 2x faster than
    # counting letters and Ethiopic letters directly on Amharic text.
    letters = text.str.len_chars() - text.str.count_matches(r"\P{L}")
    return letters, text.str.count_matches(r"[\p{L}--\p{Ethiopic}]")


def letter_ratio(letters: pl.Expr, other_letters: pl.Expr) -> pl.Expr:
    """Ethiopic letters / all letters from :func:`letter_counts`, 0.0 without letters."""
    ethiopic = (letters - other_letters).cast(pl.Float64)
    return pl.when(letters > 0).then(ethiopic / letters.cast(pl.Float64)).otherwise(0.0)


def ethiopic_ratio(text: pl.Expr) -> pl.Expr:
    r"""Ethiopic letters / all letters (``\p{L}``), 0.0 when there is no letter.

    On a frame, prefer computing the two counts once as columns (as ingest does): an expression
    used twice is evaluated twice outside lazy common-subexpression elimination.
    """
    return letter_ratio(*letter_counts(text))
