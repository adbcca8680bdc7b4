"""A search hit, how a result row becomes one, and the terminal table of hits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

TableName = Literal["ads", "briefs"]


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``score`` is what the ranking used: n-gram coverage (hybrid with the default embedder, 0..1),
    the fused reciprocal-rank score (hybrid otherwise), BM25 (text) or cosine similarity
    (vector). ``bm25``, ``cosine`` and ``rrf`` are the components when known. ``similar``
    counts the lower-ranked near-duplicates (reposts) folded into this hit.
    """

    rank: int
    key: str
    score: float
    bm25: float | None
    cosine: float | None
    rrf: float | None
    channel: str | None
    vertical: str | None
    date: datetime | None
    text: str
    similar: int = 0


def format_hits(hits: list[Hit], *, width: int = 90) -> str:
    """A plain-text table of hits for the terminal.

    Ids are shown whole (a cut id names no post); channel and vertical names are cut at a word
    boundary, with an ellipsis, when longer than their column.
    """
    if not hits:
        return "no hits"
    id_width = max(2, *(len(h.key) for h in hits))
    lines = [f"{'#':>3}  {'score':>7}  {'bm25':>6}  {'cos':>5}  {'id':<{id_width}}  "
             f"{'channel':<24}  {'vertical':<20}  text"]
    for h in hits:
        bm25 = f"{h.bm25:6.2f}" if h.bm25 is not None else f"{'-':>6}"
        cos = f"{h.cosine:5.2f}" if h.cosine is not None else f"{'-':>5}"
        snippet = " ".join(h.text.split())
        snippet = snippet if len(snippet) <= width else snippet[: width - 1] + "…"
        if h.similar:
            snippet += f" (+{h.similar} similar)"
        lines.append(f"{h.rank:>3}  {h.score:7.4f}  {bm25}  {cos}  {h.key:<{id_width}}  "
                     f"{fit_words(h.channel or '-', 24):<24}  "
                     f"{fit_words(h.vertical or '-', 20):<20}  {snippet}")
    return "\n".join(lines)


def fit_words(text: str, width: int) -> str:
    """``text`` cut at a word boundary to ``width`` characters, with an ellipsis if cut.

    Examples
    --------
    >>> fit_words("Sheger Gebeya", 24), fit_words("Computing products & consumer electronics", 20)
    ('Sheger Gebeya', 'Computing products…')
    """
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(" &,") if " " in text[: width - 1] else ""
    return (cut or text[: width - 1]) + "…"


def hit_from_row(rank: int, row: dict[str, Any], table: TableName) -> Hit:
    """The :class:`Hit` of a result row (its columns plus the scores the ranking used)."""
    bm25 = row.get("_score")
    distance = row.get("_distance")
    cosine = None if distance is None else 1.0 - float(distance)
    rrf = row.get("_relevance_score")
    if "_coverage" in row:
        score = float(row["_coverage"])
    elif rrf is not None:
        score = float(rrf)
    elif bm25 is not None:
        score = float(bm25)
    else:
        score = cosine if cosine is not None else 0.0
    if table == "ads":
        return Hit(rank=rank, key=row["uid"], score=score, bm25=bm25, cosine=cosine, rrf=rrf,
                   channel=row.get("channel_name"), vertical=row.get("vertical"),
                   date=row.get("date"), text=row.get("text") or "",
                   similar=row.get("_similar", 0))
    return Hit(rank=rank, key=row["brief_id"], score=score, bm25=bm25, cosine=cosine, rrf=rrf,
               channel=row.get("target_channel"), vertical=row.get("vertical"), date=None,
               text=row.get("text") or "", similar=row.get("_similar", 0))
