"""The segmented full-text column the index needs, built on ``text_norm``.

Normalisation itself (homophones, casefold, whitespace) is :mod:`workbench.core.amharic`'s: a
query goes through :func:`workbench.core.amharic.strings.normalize` with the project's cleaning
config, then through :func:`fts_terms` like an indexed ``text_norm``.

LanceDB's full-text tokenizers split Ge'ez on spaces and punctuation but never inside a word, and
Amharic attaches prepositions and clitics to the word: "ለኪራይ" (for rent) holds "ኪራይ" (rent),
"ቤቶችን" (the houses, object) holds "ቤት" (house). So each word of ``text_norm`` is indexed together
with the forms left after stripping one common prefix and/or a few common suffixes; a query is
expanded the same way, and BM25 matches through the attachments. The original words stay in the
column, so an exact form still scores higher than a shared stem.

The stripping is deliberately small (noun prefixes, plural, definite, object and conjunction
clitics): it adds recall for search, and a wrong split only adds one more searchable form.

Examples
--------
>>> word_forms("ለኪራይ")
['ለኪራይ', 'ኪራይ']
>>> word_forms("ቤቶችን")
['ቤቶችን', 'ቤቶች', 'ቤት']
>>> fts_terms("ሀሳብ ለኪራይ!")
'ሀሳብ ለኪራይ ኪራይ'
"""

from __future__ import annotations

import functools
import re

from workbench.core.amharic.patterns import is_ethiopic

#: Prefixes stripped from Ethiopic words, longest first (after homophone unification: no ዐ/ኀ).
PREFIXES = ("እንደ", "እስከ", "ስለ", "ወደ", "ከነ", "ያለ", "የ", "ለ", "በ", "ከ")

#: Clitics at the very end of a word: object -ን, "also" -ም, "and" -ና. (Topic -ስ is left out:
#: too many stems end in ስ, "አዲስ", "ፖሊስ".)
CLITIC_SUFFIXES = ("ን", "ም", "ና")

#: A stem keeps at least this many characters (shorter leftovers are not indexed).
MIN_STEM = 2

_WORD = re.compile(r"\w+")

#: Offset of the sixth order (ə) and of the seventh order (o) inside an Ethiopic series.
_SIXTH, _SEVENTH = 5, 6


def _ethiopic_series_base(char: str) -> int | None:
    code = ord(char)
    if 0x1200 <= code <= 0x1357:
        return code - (code - 0x1200) % 8
    return None


def _strip_plural(word: str) -> str | None:
    """``-ኦች`` fused into the last consonant ("ቤቶች" -> "ቤት"), or a plain ``-ዎች``/``-ች``."""
    if word.endswith("ዎች") and len(word) - 2 >= MIN_STEM:
        return word[:-2]
    if word.endswith("ች") and len(word) - 1 >= MIN_STEM:
        last = word[-2]
        base = _ethiopic_series_base(last)
        if base is not None and ord(last) - base == _SEVENTH:
            # The -o- of -ኦች sits in the consonant before ች: ቶ (t + o) goes back to ት (t + ə).
            return word[:-2] + chr(base + _SIXTH)
        return word[:-1]
    return None


@functools.lru_cache(maxsize=200_000)
def word_forms(word: str) -> list[str]:
    """The word itself followed by its stripped forms (Ethiopic words only), no repeats.

    Parameters
    ----------
    word
        One normalised word (homophones unified, Latin lower-cased).

    Returns
    -------
    list of str
        ``[word, ...]``: prefix stripped, then clitic, plural and definite suffixes stripped in
        turn, each form kept; every form has at least :data:`MIN_STEM` characters.
    """
    if not word or not is_ethiopic(word[0]):
        return [word]
    forms = [word]
    stem = word
    for prefix in PREFIXES:
        if stem.startswith(prefix) and len(stem) - len(prefix) >= MIN_STEM:
            stem = stem[len(prefix):]
            forms.append(stem)
            break
    for suffix in CLITIC_SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= MIN_STEM:
            stem = stem[: -len(suffix)]
            forms.append(stem)
            break
    plural = _strip_plural(stem)
    if plural is not None:
        stem = plural
        forms.append(stem)
    for suffix in ("ው", "ዋ"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= MIN_STEM:
            forms.append(stem[: -len(suffix)])
            break
    return list(dict.fromkeys(forms))


def fts_terms(text_norm: str) -> str:
    """The full-text column: every word of ``text_norm`` followed by its stripped forms.

    Punctuation (Latin and Ethiopic) separates words and is dropped; the result is
    space-separated, for LanceDB's ``whitespace`` tokenizer.
    """
    return " ".join(form for word in _WORD.findall(text_norm) for form in word_forms(word))
