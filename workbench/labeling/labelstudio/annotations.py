"""Label Studio's exported annotations read as the workbench's :class:`RawAnnotation` records.

Only ``choices`` results are answers; anything else a client stored (Label Studio keeps whatever
it is sent) becomes a ``(name, reason)`` problem on the record, for ``label pull`` to report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workbench.labeling.records import RawAnnotation


def raw_annotation(key: str, project_id: int, uid: Any, ann: dict[str, Any],
                   emails: dict[int, str]) -> RawAnnotation:
    """One annotation of Label Studio's export as the workbench reads it (problems listed).

    Parameters
    ----------
    key, project_id
        The managed project it is in.
    uid
        The task's ``data.uid`` (None for a task imported outside the workbench).
    ann
        The export's annotation object.
    emails
        User id -> e-mail, to name the annotator.
    """
    user = ann.get("completed_by")
    if isinstance(user, dict):
        annotator = str(user.get("email") or user.get("id"))
    else:
        annotator = emails.get(int(user), str(user)) if user is not None else "unknown"
    answers, problems = parse_result(ann.get("result"))
    if uid is None:
        problems.append(("", "task has no data.uid (imported outside the workbench)"))
    return RawAnnotation(
        uid=str(uid) if uid is not None else "",
        project=key,
        annotator=annotator,
        annotation_id=f"ls:{project_id}:{ann['id']}",
        answers=answers,
        created_at=parse_time(ann.get("created_at")),
        updated_at=parse_time(ann.get("updated_at") or ann.get("created_at")),
        lead_time=float(ann["lead_time"]) if ann.get("lead_time") is not None else None,
        problems=problems,
        raw={"result": ann.get("result"), "task_uid": uid},
    )


def parse_result(result: Any) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Label Studio result items -> ``{from_name: labels}`` and ``(name, reason)`` problems."""
    answers: dict[str, list[str]] = {}
    problems: list[tuple[str, str]] = []
    if not isinstance(result, list):
        return answers, [("", f"result is not a list: {type(result).__name__}")]
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            problems.append(("", f"result item {i} is not an object"))
            continue
        name = str(item.get("from_name", ""))
        if item.get("type") != "choices":
            problems.append((name, f"result '{name}' has type {item.get('type')!r}, expected 'choices'"))
            continue
        choices = (item.get("value") or {}).get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            problems.append((name, f"result '{name}' has no list of choices"))
            continue
        if name in answers:
            problems.append((name, f"result '{name}' appears twice"))
            continue
        answers[name] = list(choices)
    return answers, problems


def parse_time(value: Any) -> datetime:
    """An export's timestamp in UTC (the epoch when absent; naive times are UTC)."""
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
