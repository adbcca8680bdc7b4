r"""The per-string forms of the Amharic text rules: queries, briefs, output checks, evaluation.

Extraction and replacement run the Polars expressions of :mod:`workbench.core.amharic.exprs` on
one string, so a query, a brief or a generated ad is read by the same Rust patterns and engine
as ingest read the corpus (Python's :mod:`re` does not know ``\p{..}``). Normalisation applies
the same character table as ingest's ``text_norm`` with :meth:`str.translate` (no Polars call
needed for one string); the project's cleaning config is a required argument, so a query is
always normalised the way the corpus was.

Examples
--------
>>> from workbench.core.config import CleaningConfig
>>> normalize("  ፀሐይ  SHOP ", CleaningConfig())
'ፀሀይ shop'
>>> normalize("ፀሐይ", CleaningConfig(tsa_series_target="ጸ"))
'ጸሀይ'
>>> find_phones("ይደውሉ 0911-22 33 44 ወይም +251 11 123 4567")
['+251911223344', '+251111234567']
>>> find_price_phrases("ዋጋ 1,500 ብር። ETB 300")
['1,500 ብር', 'ETB 300']
>>> replace_phones("ስልክ፦0911223344", "0922000000")
'ስልክ፦0922000000'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import polars as pl

from workbench.core.amharic import exprs
from workbench.core.amharic.patterns import (
    FULL_STOP_SPELLINGS,
    LINK_PATTERN,
    MENTION_HANDLE_PATTERN,
    MENTION_PREFIX_PATTERN,
    PHONE_NUMBER_PATTERN,
    PHONE_PREFIX_CHAR_PATTERN,
    WHITESPACE,
    normalization_table,
)
from workbench.core.config import CleaningConfig

_WHITESPACE_RUN = re.compile(f"[{WHITESPACE}]+")


def _on_one(expr_of: Callable[[pl.Expr], pl.Expr], text: str) -> Any:
    """``expr_of`` evaluated on the one string ``text``."""
    return pl.select(expr_of(pl.lit(text, dtype=pl.Utf8))).item()


def _as_list(value: pl.Series | None) -> list[Any]:
    return [] if value is None else value.to_list()


@functools.cache
def _translation(cleaning: CleaningConfig) -> dict[int, str]:
    return str.maketrans(normalization_table(cleaning))


def normalize(text: str, cleaning: CleaningConfig) -> str:
    """``text`` normalised as ``text_norm`` is, whitespace collapsed (one line).

    Parameters
    ----------
    text
        Free text: a query, a brief, a generated ad, a reference.
    cleaning
        The project's ``cleaning:`` config: its homophone, ጸ/ፀ and casefold switches.

    Returns
    -------
    str
        The text :func:`~workbench.core.amharic.exprs.normalize_text` makes of it after
        :func:`~workbench.core.amharic.exprs.collapse_whitespace`; for a text ingest keeps
        as is (no link, emoji or symbol to remove), exactly its ``text_norm``.
    """
    if cleaning.unify_full_stop:
        for spelling, full_stop in FULL_STOP_SPELLINGS.items():
            text = text.replace(spelling, full_stop)
    translated = text.translate(_translation(cleaning))
    return _WHITESPACE_RUN.sub(" ", translated).strip(WHITESPACE)


def find_phones(text: str) -> list[str]:
    """Ethiopian phone numbers in ``text`` as E.164, de-duplicated, in order."""
    return _as_list(_on_one(exprs.extract_phones, text))


def find_prices(text: str) -> list[float]:
    """Birr amounts in ``text``: amount-first prices in order, then currency-first ones."""
    return _as_list(_on_one(exprs.extract_prices, text))


def find_scaled_amounts(text: str) -> list[float]:
    """Amounts with a multiplier word ("2.5 ሚሊዮን" -> 2500000.0), in order; see :func:`~workbench.core.amharic.exprs.extract_scaled_amounts`."""
    return _as_list(_on_one(exprs.extract_scaled_amounts, text))


def find_price_phrases(text: str) -> list[str]:
    """Prices as written ("1,500 ብር"), in :func:`find_prices`' order, whitespace collapsed."""
    return _as_list(_on_one(exprs.extract_price_phrases, text))


def find_links(text: str) -> list[str]:
    """URLs in ``text``, de-duplicated, in order."""
    return _as_list(_on_one(lambda t: exprs.links_from_tags(exprs.find_tags(t)), text))


def is_link(text: str) -> bool:
    """``text`` is one whole link (a brief's contact link, validated)."""
    return bool(_on_one(lambda t: t.str.contains(f"^(?:{LINK_PATTERN})$"), text))


def find_mentions(text: str) -> list[str]:
    """@handles in ``text`` (without '@'), de-duplicated, in order; none from inside a URL."""
    return _as_list(_on_one(lambda t: exprs.mentions_from_tags(exprs.find_tags(t)), text))


def find_hashtags(text: str) -> list[str]:
    """Hashtags in ``text`` (without '#'), de-duplicated, in order; none from inside a URL."""
    return _as_list(_on_one(lambda t: exprs.hashtags_from_tags(exprs.find_tags(t)), text))


def find_emojis(text: str) -> list[str]:
    """Whole emoji sequences in ``text``, in order, repeats kept."""
    return _as_list(_on_one(exprs.extract_emojis, text))


def ethiopic_ratio(text: str) -> float:
    """Ethiopic letters / all letters of ``text`` (0.0 without letters), as ingest counts them."""
    return float(_on_one(exprs.ethiopic_ratio, text))


def _replacement(new: str) -> str:
    # '$' starts a group reference in a Polars replacement; '$$' is a literal one.
    return new.replace("$", "$$")


def replace_links(text: str, new: str) -> str:
    """Every link in ``text`` replaced by ``new`` (an empty ``new`` removes them)."""
    return _on_one(lambda t: t.str.replace_all(LINK_PATTERN, _replacement(new)), text)


def replace_mentions(text: str, new: str) -> str:
    """Every @mention replaced by ``new``; the character before it (never part of it) stays."""
    pattern = f"({MENTION_PREFIX_PATTERN}){MENTION_HANDLE_PATTERN}"
    return _on_one(lambda t: t.str.replace_all(pattern, "${1}" + _replacement(new)), text)


def replace_phones(text: str, new: str) -> str:
    """Every phone number replaced by ``new``; the character before it stays."""
    pattern = f"({PHONE_PREFIX_CHAR_PATTERN}){PHONE_NUMBER_PATTERN}"
    return _on_one(lambda t: t.str.replace_all(pattern, "${1}" + _replacement(new)), text)
