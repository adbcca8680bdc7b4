"""``workbench eval rate pull``: the human ratings from Label Studio into ``ratings.parquet``.

Both projects pushed by ``eval rate push`` (:mod:`workbench.evaluation.ratings`) are exported;
each rating is mapped back to its systems through ``ratings/keys.parquet`` (Label Studio never
sees them) and checked on the client (Label Studio stores whatever a client posts): invalid
results are counted by reason and left out. One row per rating: Likert, one per criterion;
pairwise, one per vote; with the annotator's e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.errors import DataContractError
from workbench.core.io import (
    read_json_checked,
    read_parquet_checked,
    sha256_file,
    write_json_atomic,
    write_parquet_atomic,
)
from workbench.evaluation.agreement import LIKERT_CRITERIA
from workbench.evaluation.ratings import TIE_CHOICE, label_studio_client, ratings_dir

RATINGS_SCHEMA: dict[str, pl.DataType] = {
    "eval_id": pl.Utf8, "kind": pl.Utf8, "key": pl.Utf8, "item_id": pl.Utf8, "uid": pl.Utf8,
    "task": pl.Utf8, "annotator": pl.Utf8, "annotation_id": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"), "lead_time": pl.Float64, "criterion": pl.Utf8,
    "system": pl.Utf8, "score": pl.Float64, "left_system": pl.Utf8, "right_system": pl.Utf8,
    "outcome": pl.Utf8, "winner": pl.Utf8,
}


@dataclass
class PullResult:
    """What was pulled."""

    path: Path
    likert_ratings: int
    pairwise_votes: int
    annotators: int
    skipped: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """One-line summary."""
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()) if v) or "none"
        return (f"{self.likert_ratings} Likert ratings, {self.pairwise_votes} pairwise votes from "
                f"{self.annotators} annotators (skipped: {skipped}) -> {self.path}")


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _annotator(completed_by: Any, emails: dict[int, str]) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id"))
    return emails.get(int(completed_by), str(completed_by)) if completed_by is not None else "?"


def parse_export(tasks: list[dict[str, Any]], keys: pl.DataFrame, *, eval_id: str,
                 emails: dict[int, str], skipped: dict[str, int]) -> list[dict[str, Any]]:
    """Rating rows from a Label Studio JSON export (both projects' tasks may be mixed).

    Invalid results are counted in ``skipped`` by reason and left out: an unknown key, a rating
    outside 1-5, a pairwise task with neither a side nor the tie box.
    """
    by_key = {r["key"]: r for r in keys.iter_rows(named=True)}
    rows: list[dict[str, Any]] = []
    for task in tasks:
        meta = by_key.get((task.get("data") or {}).get("key"))
        if meta is None:
            skipped["unknown_key"] = skipped.get("unknown_key", 0) + 1
            continue
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                skipped["cancelled"] = skipped.get("cancelled", 0) + 1
                continue
            base = {"eval_id": eval_id, "kind": meta["kind"], "key": meta["key"],
                    "item_id": meta["item_id"], "uid": meta["uid"], "task": meta["task"],
                    "annotator": _annotator(ann.get("completed_by"), emails),
                    "annotation_id": ann.get("id"),
                    "created_at": _timestamp(ann.get("updated_at") or ann.get("created_at")),
                    "lead_time": ann.get("lead_time")}
            results = ann.get("result") or []
            if meta["kind"] == "likert":
                rows.extend(_likert_rows(results, base, meta, skipped))
            else:
                row = _pairwise_row(results, base, meta, skipped)
                if row is not None:
                    rows.append(row)
    return rows


def _likert_rows(results: list[dict[str, Any]], base: dict[str, Any], meta: dict[str, Any],
                 skipped: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for res in results:
        name = res.get("from_name")
        if res.get("type") != "rating" or name not in LIKERT_CRITERIA:
            continue
        value = (res.get("value") or {}).get("rating")
        if not isinstance(value, int | float) or not 1 <= value <= 5 or value != int(value):
            skipped["invalid_rating"] = skipped.get("invalid_rating", 0) + 1
            continue
        out.append({**base, "criterion": name, "system": meta["system"], "score": float(value)})
    if not out:
        skipped["empty_likert"] = skipped.get("empty_likert", 0) + 1
    return out


def _pairwise_row(results: list[dict[str, Any]], base: dict[str, Any], meta: dict[str, Any],
                  skipped: dict[str, int]) -> dict[str, Any] | None:
    selected = None
    tie = False
    for res in results:
        value = res.get("value") or {}
        if res.get("type") == "pairwise":
            selected = value.get("selected")
        elif res.get("type") == "choices" and res.get("from_name") == "tie":
            tie = TIE_CHOICE in (value.get("choices") or [])
    if tie:
        outcome, winner = "tie", "tie"
    elif selected in ("left", "right"):
        outcome = selected
        winner = meta["left_system"] if selected == "left" else meta["right_system"]
    else:
        skipped["no_preference"] = skipped.get("no_preference", 0) + 1
        return None
    return {**base, "criterion": "preference", "left_system": meta["left_system"],
            "right_system": meta["right_system"], "outcome": outcome, "winner": winner}


def pull_ratings(data_dir: Path, eval_dir: Path) -> PullResult:
    """Export both projects and write ``ratings.parquet``.

    Raises
    ------
    DataContractError
        Nothing was pushed for this evaluation.
    ServiceError
        Label Studio unreachable or refusing.
    """
    out = ratings_dir(eval_dir)
    if not (out / "push.json").exists():
        msg = f"{eval_dir.name}: no rating projects pushed yet; run `workbench eval rate push` first"
        raise DataContractError(msg)
    push = read_json_checked(out / "push.json")
    keys = read_parquet_checked(out / "keys.parquet", ("key", "kind"))
    skipped: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    with label_studio_client(data_dir) as ls:
        url = ls.url
        emails = {int(u["id"]): str(u.get("email") or u.get("username") or u["id"])
                  for u in ls.users()}
        for kind in ("likert", "pairwise"):
            if push["projects"].get(kind) is None:
                continue  # one system rated: no pairwise project was made
            tasks = ls.export_annotated(push["projects"][kind])
            rows += parse_export(tasks, keys, eval_id=eval_dir.name, emails=emails,
                                 skipped=skipped)
    frame = pl.DataFrame(rows, schema=RATINGS_SCHEMA)
    path = eval_dir / "ratings.parquet"
    write_parquet_atomic(path, frame)
    likert = frame.filter(pl.col("kind") == "likert")
    write_json_atomic(out / "pull.json", {
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"), "url": url,
        "projects": push["projects"], "rows": frame.height, "skipped": skipped,
        "sha256": sha256_file(path),
    })
    return PullResult(path=path, likert_ratings=likert.height,
                      pairwise_votes=frame.height - likert.height,
                      annotators=int(frame["annotator"].n_unique()) if frame.height else 0,
                      skipped=skipped)


def rating_votes(ratings: pl.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """The pairwise votes of ``ratings.parquet``, each annotator's latest per task.

    Returns
    -------
    tuple
        ``(systems_a, systems_b, outcomes)`` (left system, right system, ``a``/``b``/``tie``) for
        :mod:`workbench.evaluation.bradley_terry`.
    """
    from workbench.evaluation.agreement import latest

    votes = latest(ratings.filter(pl.col("kind") == "pairwise"))
    outcomes = [{"left": "a", "right": "b"}.get(o, "tie") for o in votes["outcome"].to_list()]
    return votes["left_system"].to_list(), votes["right_system"].to_list(), outcomes
