"""A brief derived from a past ad: what its campaign team would have handed over.

Training derives one per ad and teaches "brief -> that ad"; evaluation derives one per held-out
ad. The result is the :class:`~workbench.core.briefs.Brief` a campaign team writes, so the prompt
built from it is the one generation builds from a brief file.

Examples
--------
>>> salient_words("Samsung ስልክ በቅናሽ ዋጋ ስልክ", idf={}, k=2)
['Samsung', 'ስልክ']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from workbench.core.briefs import CTA_LEXICON, FROM_AD, Brief, contact_of_ad, cta_phrases

#: Function words and ad boilerplate that are never product or brand words.
_STOPWORDS_TEXT = """
እና ላይ ነው ወደ ከ የ በ ለ ይህ ይህን ናቸው ነበር ግን ሁሉ እስከ ጋር ውስጥ ወይም ብቻ ብር ዋጋ መረጃ ለበለጠ
አሁን አሁኑኑ በቅናሽ ቅናሽ ልዩ ያለው ደግሞ እንዲሁም ነገር ሲሆን
the and for with only now price call order new
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_WORD_SPLIT = re.compile(r"[\s\u1360-\u1368.,;:!?()\[\]{}\"'“”‘’/\\|+*=<>~^`#@_-]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
#: A Latin word that looks like a brand name ("Samsung", "HP").
LATIN_BRAND = re.compile(r"^[A-Z][A-Za-z0-9&']+$|^[A-Z0-9]{2,}$")


def words_of(text: str) -> list[str]:
    """Word tokens of ``text``: split on spaces and punctuation (Ethiopic too), letters only."""
    return [w for w in _WORD_SPLIT.split(text) if w and _HAS_LETTER.search(w)]


def _cta_words() -> frozenset[str]:
    return frozenset(w for phrases in CTA_LEXICON.values() for p in phrases for w in p.split())


def salient_words(text: str, idf: dict[str, float], k: int) -> list[str]:
    """The ``k`` most ad-specific words of ``text`` (tf-idf; Latin brand-like words first).

    Parameters
    ----------
    text
        Ad text, preferably with emojis, links and handles removed (``text_clean``).
    idf
        Inverse document frequency per lower-cased word; unseen words get the largest value.
    k
        How many words to return.

    Returns
    -------
    list of str
        Words as written in the ad, best first; ties keep the order of appearance.
    """
    if k <= 0:
        return []
    cta = _cta_words()
    top_idf = max(idf.values(), default=1.0)
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    shown: dict[str, str] = {}
    for pos, word in enumerate(words_of(text)):
        key = word.lower()
        # Digits are prices and phone numbers (their own brief fields), not product words.
        if key in STOPWORDS or key in cta or len(word) < 2 or any(c.isdigit() for c in word):
            continue
        counts[key] += 1
        first.setdefault(key, pos)
        shown.setdefault(key, word)

    def score(key: str) -> tuple[float, int]:
        brand = 2.0 if LATIN_BRAND.match(shown[key]) else 1.0
        return (-(counts[key] * idf.get(key, top_idf) * brand), first[key])

    return [shown[key] for key in sorted(counts, key=score)[:k]]


def document_idf(texts: Iterable[str]) -> dict[str, float]:
    """Smoothed inverse document frequency of lower-cased words over ``texts``."""
    df: Counter[str] = Counter()
    n = 0
    for text in texts:
        n += 1
        df.update({w.lower() for w in words_of(text)})
    return {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}


def _format_price(value: float) -> str:
    amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{amount} ብር"


def _phone_as_written(e164: str, text: str) -> str:
    """The phone number as the ad writes it (09.. / +251 9..), else the E.164 form."""
    national = e164.removeprefix("+251")
    sep = r"[ .\-]?"
    pattern = r"(?:\+?251" + sep + r"|0)" + sep.join(re.escape(d) for d in national)
    found = re.search(pattern, text)
    return found.group(0) if found else e164


def derive_brief(row: dict[str, Any], idf: dict[str, float], n_words: int) -> Brief:
    """The brief a campaign team would have handed over for one past ad.

    Parameters
    ----------
    row
        An ad with the curated-split columns (``text``, ``channel_name``, ``vertical``; the
        ingest columns ``text_clean``, ``phones``, ``mentions``, ``links``, ``prices`` when
        present).
    idf
        Word idf over the train split (:func:`document_idf`).
    n_words
        How many salient words become the brand and product.

    Returns
    -------
    Brief
        Brand: the first brand-like Latin word among the salient words (else empty); product:
        the other salient words; offer: the ad's prices; call to action: the phrases of
        :data:`CTA_LEXICON` found; contact: the ad's phones (as written), @handles and links.
    """
    text = row["text"] or ""
    clean = row.get("text_clean") or text
    contacts = [_phone_as_written(p, text) for p in row.get("phones") or []]
    # Ingest stores handles without the "@"; the brief shows them the way an ad writes them.
    contacts += [m if m.startswith("@") else f"@{m}" for m in row.get("mentions") or [] if m]
    contacts += [link for link in row.get("links") or [] if link]
    words = salient_words(clean, idf, n_words)
    brand = next((w for w in words if LATIN_BRAND.match(w)), "")
    prices = [_format_price(p) for p in dict.fromkeys(row.get("prices") or []) if p is not None]
    return Brief.model_validate({
        "brand": brand,
        "product": " ".join(w for w in words if w != brand),
        "offer": ", ".join(prices),
        "vertical": row.get("vertical") or "",
        "target_channel": row["channel_name"] or "",
        "call_to_action": ", ".join(phrase for _, phrase in cta_phrases(text)),
        "contact": contact_of_ad(contacts),
    }, context=FROM_AD)
