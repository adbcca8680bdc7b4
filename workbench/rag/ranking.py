"""Hybrid ranking of search candidates: fusion, n-gram coverage, whole-word matches, duplicates.

Pure functions over ids, texts and scores (no LanceDB): :mod:`workbench.rag.search` fetches the
candidates and calls these to order them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.rag.embedders import Embedder

_WORD = re.compile(r"\w+")


def query_ngram_weights(embedder: Embedder, query_norm: str) -> dict[str, float]:
    """IDF weight of each known character n-gram of the query ({} without n-gram statistics)."""
    weights = getattr(embedder, "ngram_weights", None)
    return weights(query_norm) if weights is not None else {}


def ngram_coverage(weights: dict[str, float], text_norm: str) -> float:
    """IDF-weighted share of the query's n-grams that occur in ``text_norm`` (0.0 .. 1.0).

    N-grams are matched as substrings of the space-padded text, so word-boundary n-grams
    (" ቤት ") only match at word boundaries, as they were extracted.

    Examples
    --------
    >>> ngram_coverage({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, "ቤት ለኪራይ")
    1.0
    >>> ngram_coverage({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, "የቤት ኪራይ")
    0.75
    """
    return ngram_coverages(weights, [text_norm])[0]


def ngram_coverages(weights: dict[str, float], texts: Sequence[str | None]) -> list[float]:
    """:func:`ngram_coverage` of each text (a missing text covers nothing).

    Examples
    --------
    >>> ngram_coverages({" ቤ": 1.0, "ቤት": 2.0, "ት ": 1.0}, ["ቤት ለኪራይ", "የቤት ኪራይ", None])
    [1.0, 0.75, 0.0]
    """
    grams, values = list(weights), list(weights.values())
    total = sum(values)
    if total <= 0:
        return [0.0] * len(texts)
    # compress/map run the substring tests in C: half the time of a generator expression
    # (a hybrid search scores ~80 candidates against ~25 n-grams).
    return [sum(compress(values, map(f" {text or ''} ".__contains__, grams))) / total
            for text in texts]


def rrf_scores(ranked_ids: list[list[Any]], *, rrf_k: int) -> dict[Any, float]:
    """Reciprocal-rank fusion of ranked id lists: each list adds ``1 / (rrf_k + rank)`` to an id.

    Returns
    -------
    dict
        Score per id, ids in order of first appearance.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in rrf_scores([["a", "b"], ["b"]], rrf_k=60).items()}
    {'a': 0.0164, 'b': 0.0325}
    """
    scores: dict[Any, float] = {}
    for ranked in ranked_ids:
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (rrf_k + rank)
    return scores


def fuse(ranked_lists: list[list[dict[str, Any]]], *, key: str, rrf_k: int) -> list[dict[str, Any]]:
    """Reciprocal-rank fusion: each list adds ``1 / (rrf_k + rank)`` to a row's score.

    Parameters
    ----------
    ranked_lists
        Result rows of each search, best first (``_score`` / ``_distance`` kept per row).
    key
        Column identifying a row across lists.
    rrf_k
        The RRF constant (60 in the original paper and in LanceDB).

    Returns
    -------
    list of dict
        Rows merged across lists (both component scores when both found it), with
        ``_relevance_score``; best first, ties in order of first appearance.

    Examples
    --------
    >>> rows = fuse([[{"id": "a"}, {"id": "b"}], [{"id": "b"}]], key="id", rrf_k=60)
    >>> [(r["id"], round(r["_relevance_score"], 4)) for r in rows]
    [('b', 0.0325), ('a', 0.0164)]
    """
    scores = rrf_scores([[row[key] for row in ranked] for ranked in ranked_lists], rrf_k=rrf_k)
    merged: dict[Any, dict[str, Any]] = {}
    for ranked in ranked_lists:
        for row in ranked:
            into = merged.setdefault(row[key], {})
            into.update((k, v) for k, v in row.items() if v is not None or k not in into)
    for rid, row in merged.items():
        row["_relevance_score"] = scores[rid]
    # sorted() is stable and dicts keep insertion order: ties stay in order of first appearance.
    return sorted(merged.values(), key=lambda r: -r["_relevance_score"])


#: Below this n-gram coverage a candidate shares fragments of the query's words, not the words
#: (the heart clinic's "የልብ" covers 0.17 of "ልብስ"; a misspelt word keeps most of its n-grams):
#: such candidates are ordered by the fused rank, where meaning (the vectors) counts.
MIN_TEXT_COVERAGE = 0.4


def text_coverage(coverage: float) -> float:
    """``coverage`` when it shows the query's words, else 0.0 (see :data:`MIN_TEXT_COVERAGE`).

    Examples
    --------
    >>> text_coverage(0.75), text_coverage(0.17)
    (0.75, 0.0)
    """
    return coverage if coverage >= MIN_TEXT_COVERAGE else 0.0


def relevance(whole_share: float, coverage: float) -> float:
    """The hybrid score: half whole-word share, half n-gram coverage (0.0 .. 1.0).

    An ad holding every query word whole scores at least 0.5, which an ad sharing fragments
    of the words only (no whole word) never exceeds; between them, coverage decides, and a
    coverage below :data:`MIN_TEXT_COVERAGE` counts as none.

    Examples
    --------
    >>> relevance(1.0, 0.34), relevance(0.0, 1.0), relevance(1.0, 1.0)
    (0.5, 0.5, 1.0)
    """
    return 0.5 * whole_share + 0.5 * text_coverage(coverage)


def whole_word_shares(query_norm: str, texts: Sequence[str | None]) -> list[float]:
    """Share of the query's words that each text holds as a whole word (0.0 .. 1.0).

    A word counts when one of its forms (:func:`workbench.rag.text.word_forms`: attached
    prefixes and clitics stripped) is a form of a word of the text: "ልብስ" (clothes) is whole in
    "የልብስ" (of clothes) but not in "የልብ" (of the heart), which only shares its first letters.
    Hybrid search ranks by this first, so a short prefix match never outranks whole words.

    Examples
    --------
    >>> whole_word_shares("ልብስ", ["የልብስ መሸጫ", "የልብ ህክምና", None])
    [1.0, 0.0, 0.0]
    >>> whole_word_shares("ቤት ኪራይ", ["ቤቶች ለሽያጭ"])
    [0.5]
    """
    from workbench.rag.text import word_forms

    wanted = [set(word_forms(word)) for word in _WORD.findall(query_norm)]
    if not wanted:
        return [0.0] * len(texts)
    shares = []
    for text in texts:
        forms = {form for word in _WORD.findall(text or "") for form in word_forms(word)}
        shares.append(sum(1 for w in wanted if w & forms) / len(wanted))
    return shares


def shingle_set(text: str, size: int) -> frozenset[str]:
    """Character ``size``-grams of ``text`` (a shorter, non-empty text is one shingle)."""
    if len(text) <= size:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i:i + size] for i in range(len(text) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two shingle sets (0.0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def collapse_near_duplicates(ids: Sequence[Any], texts: Sequence[str | None], *, keep: int,
                             threshold: float, shingle: int) -> list[tuple[Any, int]]:
    """The best ``keep`` candidates that are not near-duplicates of a better one, with counts.

    The same notion as ``workbench curate dedup``: Jaccard similarity of character-shingle sets
    at or above ``threshold`` (``curation.dedup``'s settings), computed exactly here since a
    search ranks tens of candidates, not a whole corpus.

    Parameters
    ----------
    ids, texts
        Candidates best first, and their ``text_norm``.
    keep
        Hits wanted.
    threshold, shingle
        Jaccard threshold and shingle length.

    Returns
    -------
    list of (id, int)
        Each kept candidate, best first, with how many lower-ranked candidates were folded into
        it as near-duplicates.

    Examples
    --------
    >>> collapse_near_duplicates(["a", "b", "c"], ["ቴሌቪዥን በቅናሽ ዋጋ", "ቴሌቪዥን በቅናሽ ዋጋ!", "ልብስ"],
    ...                          keep=2, threshold=0.6, shingle=3)
    [('a', 1), ('c', 0)]
    """
    kept: list[tuple[Any, frozenset[str]]] = []
    folded: dict[Any, int] = {}
    for rid, text in zip(ids, texts, strict=True):
        shingles = shingle_set(text or "", shingle)
        twin = next((kid for kid, ks in kept if shingles and jaccard(shingles, ks) >= threshold),
                    None)
        if twin is not None:
            folded[twin] += 1
        elif len(kept) < keep:
            kept.append((rid, shingles))
            folded[rid] = 0
    return [(rid, folded[rid]) for rid, _ in kept]
