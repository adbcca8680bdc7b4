"""Error analysis: check failures and moderation flags per system, with examples.

Both go into ``summary.json`` (sections ``errors`` and ``moderation``) as lists of rows::

    errors:      {task, system, kind, count, n, share, examples: [{item_id, sample, excerpt,
                  detail}]}
    moderation:  {measured, classifier, threshold, tags, not_measured: {tag: reason},
                  flagged: [{task, system, tag, count, n, share, examples: [...]}]}

``n`` counts the system's generations of the task; ``examples`` holds up to
:data:`EXAMPLES` of them, in item order.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from workbench.evaluation.output_checks import CHECK_KINDS

EXAMPLES = 3
EXCERPT_CHARS = 160


def _excerpt(text: str | None) -> str:
    one_line = " ".join((text or "").split())
    return one_line if len(one_line) <= EXCERPT_CHARS else one_line[:EXCERPT_CHARS - 1] + "…"


def _detail(kind: str, row: dict[str, Any]) -> str:
    if kind == "not_copy":
        return f"overlap {row['overlap_ratio']:.2f} with {row['overlap_uid']}"
    if kind == "no_leak":
        return f"leaked: {_excerpt(row['leaked_text'])}"
    return f"failed {kind}"


def check_failures(gens: pl.DataFrame, *, examples: int = EXAMPLES) -> list[dict[str, Any]]:
    """Failures per (task, system, kind), every kind listed (count 0 included)."""
    out = []
    for (task, system), part in gens.group_by("task", "system", maintain_order=True):
        rows = part.sort("item_id", "sample").to_dicts()
        for kind in CHECK_KINDS:
            applied = [r for r in rows if r[f"check_{kind}"] is not None]
            if not applied:
                continue
            failed = [r for r in applied if r[f"check_{kind}"] is False]
            out.append({
                "task": task, "system": system, "kind": kind, "count": len(failed),
                "n": len(applied), "share": round(len(failed) / len(applied), 4),
                "examples": [{"item_id": r["item_id"], "sample": r["sample"],
                              "excerpt": _excerpt(r["text"]), "detail": _detail(kind, r)}
                             for r in failed[:examples]],
            })
    return out


def moderation_flags(gens: pl.DataFrame, facts: dict[str, Any], *,
                     examples: int = EXAMPLES) -> dict[str, Any]:
    """Flagged outputs per (task, system, measured tag), with examples and the model's facts."""
    flagged = []
    for (task, system), part in gens.group_by("task", "system", maintain_order=True):
        rows = part.sort("item_id", "sample").to_dicts()
        for tag in facts["measured"]:
            hits = [r for r in rows if tag in (r["moderation_flags"] or [])]
            flagged.append({
                "task": task, "system": system, "tag": tag, "count": len(hits), "n": len(rows),
                "share": round(len(hits) / len(rows), 4) if rows else 0.0,
                "examples": [{"item_id": r["item_id"], "sample": r["sample"],
                              "excerpt": _excerpt(r["text"]),
                              "detail": f"p({tag}) = "
                                        f"{json.loads(r['moderation_scores'])[tag]:.2f}"}
                             for r in hits[:examples]],
            })
    return {**facts, "measured_any": bool(facts["measured"]), "flagged": flagged}
