"""The cleaned stage: extracted items, a display text and a normalized text, all vectorised.

``clean_messages`` adds the :data:`~workbench.core.schemas.CLEANED_EXTRA_SCHEMA` columns to a parsed
frame. The original ``text`` is never changed (training and display use it: ads need their
emojis, phones and handles); ``text_clean`` is the tidy display text and ``text_norm`` the
homophone-unified, case-folded form for search, dedup and scoring only.

The rules themselves (patterns, tables, their Polars expressions and the storage forms of each
item) are :mod:`workbench.core.amharic`'s; this module applies them to a frame and adds what
Telegram's entities say: ``mention`` entities join the mentions; ``text_link`` hrefs, ``link``
texts (Telegram marks a bare domain such as "ethiotelecom.et" as a ``link``; no pattern can tell
it from a sentence end) and the addresses of ``url`` buttons under the post the links.

Rows are never dropped here: empty texts (photo-only posts) get ``is_empty`` = True so the caller
decides (the labeling queue skips them; lineage keeps them).
"""

from __future__ import annotations

import polars as pl

from workbench.core.amharic.exprs import (
    clean_text,
    extract_emojis,
    extract_phones,
    extract_prices,
    find_tags,
    hashtags_from_tags,
    letter_counts,
    letter_ratio,
    links_from_tags,
    mentions_from_tags,
    normalize_text,
)
from workbench.core.config import CleaningConfig
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA, require_columns

_EL = pl.element()


def _entity_field(kind: str, field: str) -> pl.Expr:
    """A list of ``field`` of the entities whose type is ``kind`` (empty list for null)."""
    return (
        pl.col("entities")
        .fill_null([])
        .list.eval(_EL.filter(_EL.struct.field("type") == kind).struct.field(field))
    )


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
          mention entities); ``links``: URLs in text plus ``text_link`` hrefs, ``link``
          entities' text and ``button_url`` addresses; these three and
          ``phones`` (E.164) are de-duplicated keeping first-seen order;
        * ``emojis`` (whole sequences) and ``prices`` (floats) keep every occurrence in order;
        * ``text_clean``: see :func:`~workbench.core.amharic.exprs.clean_text`; ``text_norm``:
          see :func:`~workbench.core.amharic.exprs.normalize_text`;
        * ``ethiopic_ratio``: Ethiopic letters / letters in ``text_clean`` (0.0 without
          letters); ``n_chars``: characters of ``text_clean``; ``is_empty``: ``text_clean``
          has nothing but whitespace (empty when ``collapse_whitespace`` is on).

    Raises
    ------
    DataContractError
        When a parsed column is missing.
    """
    require_columns(df, PARSED_SCHEMA, "clean_messages input")
    return clean_lazy(df.lazy(), cfg).collect()


def clean_lazy(frame: pl.LazyFrame, cfg: CleaningConfig | None = None) -> pl.LazyFrame:
    """:func:`clean_messages` as a lazy query, for streaming a Parquet file through it.

    Every step is row-wise, so the query runs in batches (``sink_parquet``) without holding
    the whole frame.
    """
    cfg = cfg or CleaningConfig()
    # A null text (never written by the parser, but possible in hand-made frames) cleans as "".
    text = pl.col("text").fill_null("")
    letters, other_letters = letter_counts(pl.col("text_clean"))
    entity_handles = _entity_field("mention", "text").list.eval(
        _EL.str.strip_chars().str.strip_prefix("@"))
    entity_links = pl.concat_list(
        _entity_field("text_link", "href"), _entity_field("link", "text"),
        _entity_field("button_url", "href"),
    ).list.eval(_EL.drop_nulls().str.strip_chars())
    return (
        frame
        .with_columns(
            _tags=find_tags(text),
            text_clean=clean_text(text, cfg),
            emojis=extract_emojis(text),
            phones=extract_phones(text),
            prices=extract_prices(text),
        )
        .with_columns(
            hashtags=hashtags_from_tags(pl.col("_tags")),
            mentions=mentions_from_tags(pl.col("_tags"), also=entity_handles),
            links=links_from_tags(pl.col("_tags"), also=entity_links),
            _letters=letters,
            _other_letters=other_letters,
            text_norm=normalize_text(pl.col("text_clean"), cfg),
            n_chars=pl.col("text_clean").str.len_chars(),
            is_empty=pl.col("text_clean").str.strip_chars() == "",
        )
        .with_columns(ethiopic_ratio=letter_ratio(pl.col("_letters"), pl.col("_other_letters")))
        .select([pl.col(name).cast(dtype) for name, dtype in CLEANED_SCHEMA.items()])
    )
