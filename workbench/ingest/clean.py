"""The cleaned stage: extracted items, a display text and a normalized text, all vectorised.

``clean_messages`` adds the :data:`~workbench.core.schemas.CLEANED_EXTRA_SCHEMA` columns to a parsed
frame. The original ``text`` is never changed (training and display use it: ads need their
emojis, phones and handles); ``text_clean`` is the tidy display text and ``text_norm`` the
homophone-unified, case-folded form for search, dedup and scoring only.

Everything is a Polars expression (regex passes in Rust, ``list.eval`` for per-item work): no
Python runs per row, which is what keeps 200k messages in the seconds range.

Storage forms
-------------
* ``hashtags``: tag text without '#' ("#ቅናሽ" -> "ቅናሽ"), as written, de-duplicated, first-seen
  order.
* ``mentions``: handle without '@' ("@shop_et" -> "shop_et"), as written, from the text plus
  ``mention`` entities, de-duplicated, first-seen order.
* ``links``: URLs in the text, then the ``href`` of ``text_link`` entities, de-duplicated.
* ``emojis``: every whole emoji sequence, in order, repeats kept (counts mean something).
* ``phones``: E.164 ``+251XXXXXXXXX``, de-duplicated, first-seen order.
* ``prices``: amounts in birr as floats, repeats kept (amount-first notation "500 ብር" in order,
  then currency-first "ብር 500").

Rows are never dropped here: empty texts (photo-only posts) get ``is_empty`` = True so the caller
decides (the labeling queue skips them; lineage keeps them).
"""

from __future__ import annotations

import functools

import polars as pl

from workbench.core.config import CleaningConfig
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA, require_columns
from workbench.ingest.amharic import (
    AMOUNT_PATTERN,
    EMOJI_PATTERN,
    EMOJI_RESIDUE_PATTERN,
    HASHTAG_PATTERN,
    LINK_PATTERN,
    MAX_HANDLE_LEN,
    MENTION_HANDLE_PATTERN,
    MENTION_PATTERN,
    MENTION_PREFIX_PATTERN,
    NATIONAL_NUMBER_PATTERN,
    PHONE_PATTERN,
    PHONE_PREFIX_PATTERN,
    PRICE_AMOUNT_FIRST_PATTERN,
    PRICE_CURRENCY_FIRST_PATTERN,
    SYMBOL_KEEPING_EMOJI_PATTERN,
    SYMBOL_PATTERN,
    homophone_table,
)

_EL = pl.element()


def _entity_field(kind: str, field: str) -> pl.Expr:
    """A list of ``field`` of the entities whose type is ``kind`` (empty list for null)."""
    return (
        pl.col("entities")
        .fill_null([])
        .list.eval(_EL.filter(_EL.struct.field("type") == kind).struct.field(field))
    )


def _dedupe(expr: pl.Expr) -> pl.Expr:
    # Order of first appearance matters to a reader ("the first phone in the ad").
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
    return _dedupe(tags.list.eval(_EL.filter(_EL.str.starts_with("#")).str.slice(1)))


def mentions_from_tags(tags: pl.Expr) -> pl.Expr:
    """@handles (without '@') from :func:`find_tags` plus ``mention`` entities, de-duplicated."""
    handles = tags.list.eval(
        _EL.filter(_EL.str.contains(_MENTION_MATCH)).str.replace(r"^(?s:.)?@", "")
    )
    from_entities = _entity_field("mention", "text").list.eval(
        _EL.str.strip_chars().str.strip_prefix("@")
    )
    both = pl.concat_list(handles, from_entities).list.eval(
        _EL.filter(
            _EL.str.contains(r"^[A-Za-z0-9_]{4,}$") & (_EL.str.len_chars() <= MAX_HANDLE_LEN)
        )
    )
    return _dedupe(both)


def links_from_tags(tags: pl.Expr) -> pl.Expr:
    """URLs from :func:`find_tags`, then ``text_link`` entity hrefs, de-duplicated."""
    hrefs = _entity_field("text_link", "href").list.eval(_EL.drop_nulls())
    urls = tags.list.eval(_EL.filter(_EL.str.contains(_LINK_START)))
    return _dedupe(pl.concat_list(urls, hrefs))


def extract_hashtags(text: pl.Expr) -> pl.Expr:
    """Hashtags (without '#'), de-duplicated, in order; hashtags inside URLs are ignored."""
    return hashtags_from_tags(find_tags(text))


def extract_mentions(text: pl.Expr) -> pl.Expr:
    """@handles (without '@') in the text plus ``mention`` entities, de-duplicated."""
    return mentions_from_tags(find_tags(text))


def extract_links(text: pl.Expr) -> pl.Expr:
    """URLs in the text, then ``text_link`` entity hrefs, de-duplicated."""
    return links_from_tags(find_tags(text))


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
    return _dedupe(valid)


def extract_prices(text: pl.Expr) -> pl.Expr:
    """Birr amounts as floats: amount-first prices in order, then currency-first ones.

    Repeats are kept. The two notations are matched in two passes (see
    :data:`~workbench.ingest.amharic.PRICE_PATTERN`), hence the order; a currency word already
    used by an amount-first price is not read again as currency-first.
    """
    amount = _EL.str.extract(AMOUNT_PATTERN, 0).str.replace_all(",", "").cast(pl.Float64)
    rest = text.str.replace_all(PRICE_AMOUNT_FIRST_PATTERN, " ")
    return pl.concat_list(
        text.str.extract_all(PRICE_AMOUNT_FIRST_PATTERN).list.eval(amount),
        rest.str.extract_all(PRICE_CURRENCY_FIRST_PATTERN).list.eval(amount),
    )


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
        # Only runs of 2+ and single non-space whitespace need rewriting: far fewer matches
        # than ``\s+`` (every single space), about 2x faster.
        out = out.str.replace_all(r"\s{2,}|[^\S ]", " ").str.strip_chars()
    return out


def normalize_text(text_clean: pl.Expr, cfg: CleaningConfig) -> pl.Expr:
    """``text_norm``: homophones unified (``unify_homophones``), lower-cased (``casefold_latin``)."""
    table: dict[str, str] = {}
    if cfg.unify_homophones:
        table |= homophone_table(cfg.tsa_series_target)
    if cfg.casefold_latin:
        table |= latin_lowercase_table()
    if not table:
        return text_clean
    # One Aho-Corasick pass over single-character patterns does both jobs: faster than
    # replace_many + to_lowercase (whose full Unicode mapping is not needed: Ge'ez has no case).
    return text_clean.str.replace_many(list(table), list(table.values()))


@functools.cache
def latin_lowercase_table() -> dict[str, str]:
    """Upper-case -> lower-case for the Latin blocks (Basic Latin to Latin Extended-B).

    Only one-to-one mappings: "İ" (which lower-cases to two characters) is left alone.
    """
    table = {}
    for code in range(0x41, 0x250):
        char = chr(code)
        lower = char.lower()
        if lower != char and len(lower) == 1:
            table[char] = lower
    return table


def ethiopic_ratio(text: pl.Expr) -> pl.Expr:
    r"""Ethiopic letters / all letters (``\p{L}``), 0.0 when there is no letter.

    On a frame, prefer computing the two counts once as columns (as :func:`clean_messages`
    does): an expression used twice is evaluated twice outside lazy common-subexpression
    elimination.
    """
    return _ratio(*_letter_counts(text))


def _letter_counts(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(letters, non-Ethiopic letters) of each text."""
    # The rarer classes (non-letters, non-Ethiopic letters) are counted: about 2x faster than
    # counting letters and Ethiopic letters directly on Amharic text.
    letters = text.str.len_chars() - text.str.count_matches(r"\P{L}")
    return letters, text.str.count_matches(r"[\p{L}--\p{Ethiopic}]")


def _ratio(letters: pl.Expr, other_letters: pl.Expr) -> pl.Expr:
    ethiopic = (letters - other_letters).cast(pl.Float64)
    return pl.when(letters > 0).then(ethiopic / letters.cast(pl.Float64)).otherwise(0.0)


def clean_messages(df: pl.DataFrame, cfg: CleaningConfig | None = None) -> pl.DataFrame:
    """Add the cleaned columns to a parsed frame.

    Parameters
    ----------
    df
        A frame with the :data:`~workbench.core.schemas.PARSED_SCHEMA` columns.
    cfg
        What ``text_clean`` / ``text_norm`` do; defaults to ``CleaningConfig()``.

    Returns
    -------
    pl.DataFrame
        The same rows in the same order, columns in :data:`~workbench.core.schemas.CLEANED_SCHEMA`
        order and dtypes. ``text`` is untouched. Extracted lists come from the original
        ``text`` (and ``entities``), whatever the removal switches say:

        * ``hashtags``: tag text without '#'; ``mentions``: handle without '@' (text plus
          mention entities); ``links``: URLs in text plus ``text_link`` hrefs; these three and
          ``phones`` (E.164) are de-duplicated keeping first-seen order;
        * ``emojis`` (whole sequences) and ``prices`` (floats) keep every occurrence in order;
        * ``text_clean``: see :func:`clean_text`; ``text_norm``: see :func:`normalize_text`;
        * ``ethiopic_ratio``: Ethiopic letters / letters in ``text_clean`` (0.0 without
          letters); ``n_chars``: characters of ``text_clean``; ``is_empty``: ``text_clean``
          has nothing but whitespace (empty when ``collapse_whitespace`` is on).

    Raises
    ------
    DataContractError
        When a parsed column is missing.
    """
    cfg = cfg or CleaningConfig()
    require_columns(df, PARSED_SCHEMA, "clean_messages input")
    # A null text (never written by the parser, but possible in hand-made frames) cleans as "".
    text = pl.col("text").fill_null("")
    letters, other_letters = _letter_counts(pl.col("text_clean"))
    extras = (
        df.lazy()
        .with_columns(
            _tags=find_tags(text),
            text_clean=clean_text(text, cfg),
            emojis=extract_emojis(text),
            phones=extract_phones(text),
            prices=extract_prices(text),
        )
        .with_columns(
            hashtags=hashtags_from_tags(pl.col("_tags")),
            mentions=mentions_from_tags(pl.col("_tags")),
            links=links_from_tags(pl.col("_tags")),
            _letters=letters,
            _other_letters=other_letters,
            text_norm=normalize_text(pl.col("text_clean"), cfg),
            n_chars=pl.col("text_clean").str.len_chars(),
            is_empty=pl.col("text_clean").str.strip_chars() == "",
        )
        .with_columns(ethiopic_ratio=_ratio(pl.col("_letters"), pl.col("_other_letters")))
        .select([pl.col(name).cast(dtype) for name, dtype in CLEANED_SCHEMA.items()])
    )
    return extras.collect()
