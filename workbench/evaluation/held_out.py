"""Whether a trained system's evaluation items are really held out from its training data.

A run trains on the train split of the split manifest current at training time. After a re-split
(``workbench curate split --by time``, new labels pulled and split again) the evaluation's items
come from a new test split, and some of them may be messages the run trained on: its scores on
them are not held-out, and a comparison with a system that never saw them is not fair. This
module finds those items (through :func:`workbench.core.trained_on.run_training_uids`) and words the
note that the evaluation keeps in ``summary.json`` and its manifest, prints, and the report and
the web app show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.manifests import GateCondition
from workbench.core.runs import run_display_name
from workbench.core.trained_on import run_training_uids
from workbench.evaluation.tasks import EvalItem

#: The lineage key an evaluation records for a run whose items may not be held out: task -> how
#: many of its items the run trained on, or None when that can no longer be read.
LINEAGE_KEY = "items_trained_on"


@dataclass(frozen=True)
class NotHeldOut:
    """A trained system some of whose evaluation items may be messages it trained on.

    Attributes
    ----------
    system
        The system's name in the evaluation.
    items_trained_on
        Task -> how many of its items the run trained on (only tasks with some), or None when
        the run's training messages can no longer be read.
    note
        The sentence the evaluation prints and keeps in its notes.
    """

    system: str
    items_trained_on: dict[str, int] | None
    note: str


def not_held_out(lineage: Mapping[str, Mapping[str, Any]],
                 items: Mapping[str, Sequence[EvalItem]], split_manifest_sha256: str,
                 data_dir: Path) -> list[NotHeldOut]:
    """The trained systems whose training split is not the evaluation's and may overlap it.

    Parameters
    ----------
    lineage
        System name -> its lineage (:func:`workbench.core.runs.run_lineage` keys for a run).
    items
        Task -> the evaluation's items.
    split_manifest_sha256
        The sha256 of the split manifest the items were drawn from.
    data_dir
        The data dir of the runs.

    Returns
    -------
    list[NotHeldOut]
        One per run trained on another split that trained on some of the items, or whose
        training messages can no longer be read; empty when every item is held out.
    """
    found = []
    for name, facts in lineage.items():
        trained_on = facts.get("split_manifest_sha256")
        if not facts.get("run_dir") or not trained_on or trained_on == split_manifest_sha256:
            continue
        who = f"system '{name}' ({run_display_name(str(facts['run_id']))})"
        where = (f"was trained on another split (split manifest {str(trained_on)[:12]}; this "
                 f"evaluation's is {split_manifest_sha256[:12]})")
        seen = run_training_uids(Path(str(facts["run_dir"])), data_dir)
        if seen is None:
            found.append(NotHeldOut(name, None, (
                f"not held out: {who} {where} and its training messages can no longer be read "
                "(its training data was rebuilt since), so its items may include messages it "
                f"trained on; {_REMEDY}")))
            continue
        overlap = {task: n for task, task_items in items.items()
                   if (n := sum(it.uid in seen for it in task_items))}
        if not overlap:
            continue
        counts = " and ".join(f"{n} of the {len(items[task])} {task} items"
                              for task, n in overlap.items())
        found.append(NotHeldOut(name, overlap, (
            f"not held out: {who} {where}: it trained on {counts}, so its scores on them are "
            f"not held-out; {_REMEDY}")))
    return found


_REMEDY = "retrain it on the current split (`workbench train run`) to compare held-out scores"


def held_out_condition(systems: Mapping[str, Mapping[str, Any]], challenger: str,
                       champion: str) -> GateCondition | None:
    """The gate condition "held-out items" when either compared system trained on some of them.

    A challenger that trained on the items fails it (its gain may be memory, not skill); a
    champion that did passes it (the comparison is then biased against the challenger, and
    a win still stands), and both are named with their counts.

    Parameters
    ----------
    systems
        The evaluation manifest's ``systems`` (each system's lineage).
    challenger, champion
        The compared systems' names in the evaluation.

    Returns
    -------
    GateCondition or None
        None when every item is held out from both.
    """
    def said(name: str) -> str | None:
        facts = systems.get(name) or {}
        if LINEAGE_KEY not in facts:
            return None
        counts = facts[LINEAGE_KEY]
        if counts is None:
            return f"{name} was trained on another split whose messages can no longer be read"
        return f"{name} trained on " + " and ".join(f"{n} {task} item(s)"
                                                    for task, n in counts.items())
    challenger_said, champion_said = said(challenger), said(champion)
    if challenger_said is None and champion_said is None:
        return None
    detail = "; ".join(s for s in (challenger_said, champion_said) if s)
    passed = challenger_said is None
    detail += (": the challenger's scores are not held-out; " + _REMEDY if not passed
               else ": only the champion saw them, which favours the champion")
    return GateCondition(name="held-out items", passed=passed, detail=detail)
