"""Human ratings in Label Studio: ``workbench eval rate push`` and ``workbench eval rate pull``.

Push makes two projects from an evaluation's generations (one sample per item and system):

``Likert``
    One task per (item, system): the brief and the ad, rated 1-5 for fluency, relevance to the
    brief, catchiness and Amharic correctness.
``Pairwise``
    One task per (item, pair of systems): the brief and two ads, sides drawn at random with the
    seed; the annotator picks the better ad (Label Studio's ``<Pairwise>``) or ticks "equally
    good or bad" (a tie).

A candidate that failed or is blank is never shown: it is left out, with every pair it is in,
and counted per system and reason (``push.json`` ``excluded``, and the push's summary line).
Both projects carry the raters' instructions (:mod:`workbench.evaluation.rating_guide`).

Blind by construction: Label Studio only ever sees the texts and an opaque ``key``; which system
wrote which side is kept in ``DIR/eval/<eval_id>/ratings/keys.parquet`` (Label Studio's data
manager shows every task field to annotators, so the mapping must not be a field). Task ids are
never used as keys (SQLite reuses them after a project is deleted).

Pull (:mod:`workbench.evaluation.ratings_pull`) exports both projects and writes ``DIR/eval/<eval_id>/ratings.parquet``, one row per rating
(Likert: one per criterion; pairwise: one per vote) with the annotator's e-mail; results are
checked on the client (Label Studio stores whatever a client posts), invalid ones counted and left
out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.core.errors import ConfigError, DataContractError, ServiceError
from workbench.core.io import (
    read_json_checked,
    read_parquet_checked,
    sha256_file,
    write_json_atomic,
    write_parquet_atomic,
)
from workbench.evaluation.agreement import LIKERT_CRITERIA
from workbench.evaluation.rating_guide import (
    CRITERIA_HELP,
    human_brief,
    likert_instructions,
    pairwise_instructions,
    project_title,
)
from workbench.evaluation.tasks import HALF_CONTINUATION

if TYPE_CHECKING:
    from workbench.labeling.labelstudio.api import LabelStudioApi

TIE_CHOICE = "Equally good or bad"

KEYS_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.Utf8, "kind": pl.Utf8, "item_id": pl.Utf8, "uid": pl.Utf8, "task": pl.Utf8,
    "system": pl.Utf8, "left_system": pl.Utf8, "right_system": pl.Utf8,
}


def likert_config() -> str:
    """Label config of the Likert project."""
    ratings = "\n".join(
        f'  <Header value="{CRITERIA_HELP[c]}" size="5"/>\n'
        f'  <Rating name="{c}" toName="ad" maxRating="5" required="true"/>'
        for c in LIKERT_CRITERIA)
    return ("<View>\n"
            '  <Header value="Brief" size="4"/>\n  <Text name="brief" value="$brief"/>\n'
            '  <Header value="Ad" size="4"/>\n  <Text name="ad" value="$ad"/>\n'
            f"{ratings}\n</View>")


def pairwise_config() -> str:
    """Label config of the pairwise project (pick a side, or tick the tie box)."""
    return ("<View>\n"
            '  <Header value="Brief" size="4"/>\n  <Text name="brief" value="$brief"/>\n'
            '  <Header value="Which ad is better for this brief? Click it." size="4"/>\n'
            '  <Text name="left" value="$left"/>\n  <Text name="right" value="$right"/>\n'
            '  <Pairwise name="preference" toName="left,right"/>\n'
            f'  <Choices name="tie" toName="left" choice="single" required="false">\n'
            f'    <Choice value="{TIE_CHOICE}"/>\n  </Choices>\n</View>')


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def ratings_dir(eval_dir: Path) -> Path:
    """``DIR/eval/<eval_id>/ratings``."""
    return eval_dir / "ratings"


#: Why a candidate is left out of the rating projects (raters must never see a blank ad).
EXCLUSION_REASONS = ("failed", "empty")


def exclusion_reason(text: str | None) -> str | None:
    """``failed`` (no text: generation failed), ``empty`` (blank after strip), or None."""
    if text is None:
        return "failed"
    return "empty" if not text.strip() else None


@dataclass
class Excluded:
    """Candidates left out of the rating projects, and the pairs that would have shown them."""

    #: system -> reason -> candidates left out.
    candidates: dict[str, dict[str, int]] = field(default_factory=dict)
    pairs: int = 0

    def add(self, system: str, reason: str) -> None:
        """Count one candidate of ``system`` left out for ``reason``."""
        per = self.candidates.setdefault(system, {})
        per[reason] = per.get(reason, 0) + 1

    @property
    def total(self) -> int:
        """Candidates left out, all systems."""
        return sum(n for per in self.candidates.values() for n in per.values())

    def text(self, names: Mapping[str, str] | None = None) -> str:
        """``tiny-run 2 empty, 1 failed; template 1 empty (5 pairs)``, or ``none``.

        ``names`` maps a system to the name people read (a run's recipe and training time,
        :func:`workbench.evaluation.compare.display_names`); a system not in it keeps its own.
        """
        if not self.total:
            return "none"
        shown = names or {}
        parts = [f"{shown.get(system, system)} "
                 + ", ".join(f"{n} {r}" for r, n in sorted(per.items()))
                 for system, per in sorted(self.candidates.items())]
        return "; ".join(parts) + f" ({self.pairs} pairs)"

    def as_json(self) -> dict[str, Any]:
        """What ``push.json`` records under ``excluded``."""
        return {"candidates": {s: dict(sorted(per.items()))
                               for s, per in sorted(self.candidates.items())},
                "pairs": self.pairs, "total": self.total}


@dataclass
class RatingTasks:
    """The tasks of both projects and the key table (see :func:`rating_tasks`)."""

    likert: list[dict[str, Any]]
    pairwise: list[dict[str, Any]]
    keys: pl.DataFrame
    excluded: Excluded


@dataclass
class PushResult:
    """What was pushed."""

    url: str
    likert_project: int
    #: None when there is no pair to compare (one system): no empty project is made.
    pairwise_project: int | None
    likert_tasks: int
    pairwise_tasks: int
    items: int
    systems: list[str]
    excluded: Excluded = field(default_factory=Excluded)

    def line(self, names: Mapping[str, str] | None = None) -> str:
        """One-line summary; ``names`` as for :meth:`Excluded.text`."""
        pairs = (f"{self.pairwise_tasks} pairwise tasks (project {self.pairwise_project})"
                 if self.pairwise_project is not None
                 else "no pairwise project (fewer than two systems to compare)")
        return (f"pushed {self.items} items x {len(self.systems)} systems: "
                f"{self.likert_tasks} Likert tasks (project {self.likert_project}), {pairs}; "
                f"excluded empty or failed candidates: {self.excluded.text(names)} "
                f"-> {self.url}/projects/{self.likert_project}")


def label_studio_client(data_dir: Path) -> LabelStudioApi:
    """The project's Label Studio client (failures are one-line ServiceErrors)."""
    from workbench.labeling.labelstudio.api import LabelStudioApi
    from workbench.labeling.labelstudio.server import load_credentials

    return LabelStudioApi(load_credentials(data_dir))


def _check_known(kind: str, asked: list[str], known: list[str], eval_id: str) -> None:
    """One line naming what the evaluation lacks, with what it has and the closest name."""
    import difflib

    for name in asked:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            msg = (f"evaluation {eval_id} has no {kind} '{name}'{did}; its {kind}s: "
                   f"{', '.join(known)}")
            raise ConfigError(msg)


def rating_tasks(generations: pl.DataFrame, *, eval_id: str, task: str, n_items: int | None,
                 seed: int, systems: list[str] | None = None) -> RatingTasks:
    """Likert tasks, pairwise tasks (both shuffled) and the key table, from generations.

    A candidate that failed (no text) or is blank is never shown to raters: it gets no Likert
    task, and no pair involving it is made; each is counted in ``excluded`` by system and reason.

    Parameters
    ----------
    generations
        ``generations.parquet`` of an evaluation.
    eval_id
        Mixed into the keys, so two evaluations never share one.
    task
        Which task's generations are rated (``brief_to_ad`` or ``half_continuation``; the
        latter shows raters the ad's first half instead of brief fields).
    n_items
        Items sampled with ``seed`` (None: all).
    seed
        Seeds the item sample, the sides of each pair and the task order.
    systems
        Restrict to these systems (default: all in the generations).

    Raises
    ------
    DataContractError
        No generations of ``task``, or none with a text to rate.
    """
    _check_known("task", [task], generations["task"].unique(maintain_order=True).to_list(),
                 eval_id)
    if systems:
        _check_known("system", systems,
                     generations["system"].unique(maintain_order=True).to_list(), eval_id)
    frame = generations.filter((pl.col("task") == task) & (pl.col("sample") == 0))
    if systems:
        frame = frame.filter(pl.col("system").is_in(systems))
    if frame.height == 0:
        msg = f"no {task} generations to rate in evaluation {eval_id}"
        raise DataContractError(msg)
    names = list(dict.fromkeys(frame["system"].to_list()))
    items = sorted(frame["item_id"].unique().to_list())
    rng = np.random.default_rng(seed)
    if n_items is not None and n_items < len(items):
        items = sorted(rng.choice(items, size=n_items, replace=False).tolist())
    by_item: dict[str, dict[str, dict[str, Any]]] = {}
    for row in frame.filter(pl.col("item_id").is_in(items)).iter_rows(named=True):
        by_item.setdefault(row["item_id"], {})[row["system"]] = row
    excluded = Excluded()
    likert, pairwise, keys = [], [], []
    for item_id in items:
        rows = by_item.get(item_id, {})
        first = next(iter(rows.values()))
        brief = human_brief(json.loads(first["brief"] or "{}"),
                            first_half=first["prompt"] if task == HALF_CONTINUATION else None)
        shown = {}
        for system, row in rows.items():
            reason = exclusion_reason(row["text"])
            if reason is not None:
                excluded.add(system, reason)
                continue
            shown[system] = row
            key = "L-" + _key(eval_id, item_id, system)
            likert.append({"brief": brief, "ad": row["text"], "key": key})
            keys.append({"key": key, "kind": "likert", "item_id": item_id, "uid": row["uid"],
                         "task": task, "system": system})
        for a, b in combinations([s for s in names if s in rows], 2):
            if a not in shown or b not in shown:
                excluded.pairs += 1
                continue
            left, right = (a, b) if rng.random() < 0.5 else (b, a)  # a coin
            key = "P-" + _key(eval_id, item_id, a, b)
            pairwise.append({"brief": brief, "left": rows[left]["text"],
                             "right": rows[right]["text"], "key": key})
            keys.append({"key": key, "kind": "pairwise", "item_id": item_id,
                         "uid": first["uid"], "task": task, "left_system": left,
                         "right_system": right})
    if not likert:
        msg = (f"every sampled {task} candidate of evaluation {eval_id} is empty or failed "
               f"({excluded.text()}): nothing to rate")
        raise DataContractError(msg)
    # Shuffled so annotators never see one system's ads in a block.
    likert = [likert[i] for i in rng.permutation(len(likert))]
    pairwise = [pairwise[i] for i in rng.permutation(len(pairwise))]
    return RatingTasks(likert, pairwise, pl.DataFrame(keys, schema=KEYS_SCHEMA), excluded)


def push_ratings(data_dir: Path, eval_dir: Path, *, task: str = "brief_to_ad",
                 n_items: int | None = 20, seed: int = 0, systems: list[str] | None = None,
                 replace: bool = False) -> PushResult:
    """Create the Likert and pairwise projects of an evaluation in Label Studio.

    Each project carries the raters' instructions (shown before the first task) and a title
    saying what raters do. ``push.json`` records the projects and the candidates left out
    (``excluded``: per system and reason, and the pairs dropped with them).

    Raises
    ------
    DataContractError
        No generations, or a push already recorded (pass ``replace`` to push again).
    ServiceError
        Label Studio unreachable or refusing.
    """
    out = ratings_dir(eval_dir)
    if (out / "push.json").exists() and not replace:
        previous = read_json_checked(out / "push.json")
        msg = (f"{eval_dir.name} was already pushed (projects {previous['projects']}); pull with "
               "`workbench eval rate pull`, or push again with --replace")
        raise DataContractError(msg)
    gen_path = eval_dir / "generations.parquet"
    generations = read_parquet_checked(
        gen_path, ("task", "item_id", "uid", "system", "sample", "prompt", "brief", "text"),
        "run `workbench eval run SUITE` first")
    eval_id = eval_dir.name
    made = rating_tasks(generations, eval_id=eval_id, task=task, n_items=n_items, seed=seed,
                        systems=systems)
    likert, pairwise, keys = made.likert, made.pairwise, made.keys
    from workbench.labeling.labelstudio.api import MAX_TITLE

    stamp = datetime.now(UTC).strftime("%m%d-%H%M")
    with label_studio_client(data_dir) as ls:
        url = ls.url
        likert_project = ls.create_project(
            title=project_title("likert", eval_id, stamp, MAX_TITLE),
            label_config=likert_config(),
            description=f"Score each ad 1-5 on four criteria ({eval_id}, {task}).",
            expert_instruction=likert_instructions(), show_instruction=True)["id"]
        ls.import_tasks(likert_project, likert)
        pair_project = None
        if pairwise:  # raters never get an empty project to open
            pair_project = ls.create_project(
                title=project_title("pairwise", eval_id, stamp, MAX_TITLE),
                label_config=pairwise_config(),
                description=f"Pick the ad you would rather publish ({eval_id}, {task}).",
                expert_instruction=pairwise_instructions(), show_instruction=True)["id"]
            ls.import_tasks(pair_project, pairwise)
    write_parquet_atomic(out / "keys.parquet", keys)
    systems_used = sorted(set(keys["system"].drop_nulls().to_list()))
    write_json_atomic(out / "push.json", {
        "url": url, "projects": {"likert": likert_project, "pairwise": pair_project},
        "eval_id": eval_id, "task": task, "seed": seed, "items": int(keys["item_id"].n_unique()),
        "systems": systems_used, "likert_tasks": len(likert), "pairwise_tasks": len(pairwise),
        "excluded": made.excluded.as_json(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "keys_sha256": sha256_file(out / "keys.parquet"),
    })
    return PushResult(url=url, likert_project=likert_project,
                      pairwise_project=pair_project, likert_tasks=len(likert),
                      pairwise_tasks=len(pairwise), items=int(keys["item_id"].n_unique()),
                      systems=systems_used, excluded=made.excluded)


def server_answers(data_dir: Path, timeout: float = 2.0) -> bool:
    """Whether ``credentials.json`` exists and its server answers ``/api/version``."""
    import httpx

    from workbench.labeling.labelstudio.server import credentials_path, load_credentials

    if not credentials_path(data_dir).exists():
        return False
    try:
        creds = load_credentials(data_dir)
        return httpx.get(f"{creds.url}/api/version", timeout=timeout).status_code == 200
    except (ServiceError, httpx.HTTPError):
        return False
