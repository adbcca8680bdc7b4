"""Project titles and descriptions named for the annotator's job, and back to project keys.

A title reads ``"<prefix>: <job> — <place>"``: the job from the taxonomy's tasks ("label ad,
vertical, tags") or the review ("re-check flagged labels"), the place from the project key
("group 1", "no group", "review"). Label Studio allows :data:`~workbench.labeling.labelstudio.api.MAX_TITLE`
characters; a title that would not fit drops the job (``"<prefix>: <key>"``, the form projects
were created with before), never a cut word. :func:`project_key` reads both forms back, so
projects made under the old titles are found and renamed by the next push.

Examples
--------
>>> from workbench.core.taxonomy import load_taxonomy
>>> tax = load_taxonomy()
>>> project_title("Amharic ads", "group-1", tax, 50)
'Amharic ads: label ad, vertical, tags — group 1'
>>> project_title("Amharic ads", "review", tax, 50)
'Amharic ads: re-check flagged labels — review'
>>> project_key("Amharic ads", "Amharic ads: label ad, vertical, tags — no group")
'ungrouped'
>>> project_key("Amharic ads", "Amharic ads: group-2")
'group-2'
>>> project_key("Amharic ads", "Score ads 1-5 · demo") is None
True
"""

from __future__ import annotations

import re

from workbench.core.taxonomy import Taxonomy
from workbench.labeling.instructions import when_text
from workbench.labeling.records import REVIEW_PROJECT, UNGROUPED_PROJECT

#: Between the job and the place in a title.
PLACE_SEPARATOR = " — "

#: The review project's job.
REVIEW_JOB = "re-check flagged labels"

_GROUP_KEY = re.compile(r"group-(\d+)")
_GROUP_PLACE = re.compile(r"group (\d+)")


def place(key: str) -> str:
    """Where a project's messages come from, as annotators read it (``group-1`` -> ``group 1``)."""
    if key == UNGROUPED_PROJECT:
        return "no group"
    match = _GROUP_KEY.fullmatch(key)
    return f"group {match.group(1)}" if match else key


def key_of_place(text: str) -> str:
    """Inverse of :func:`place`."""
    if text == "no group":
        return UNGROUPED_PROJECT
    match = _GROUP_PLACE.fullmatch(text)
    return f"group-{match.group(1)}" if match else text


def task_words(taxonomy: Taxonomy) -> list[str]:
    """Each task's name as a word (``is_ad`` -> ``ad``, ``vertical``, ``tags``)."""
    return [task.name.removeprefix("is_").replace("_", " ") for task in taxonomy.tasks]


def job(key: str, taxonomy: Taxonomy) -> str:
    """What annotators do in project ``key``."""
    if key == REVIEW_PROJECT:
        return REVIEW_JOB
    return "label " + ", ".join(task_words(taxonomy))


def project_title(prefix: str, key: str, taxonomy: Taxonomy, max_chars: int) -> str:
    """The project's title: prefix, job and place; without the job when that would not fit."""
    title = f"{prefix}: {job(key, taxonomy)}{PLACE_SEPARATOR}{place(key)}"
    return title if len(title) <= max_chars else f"{prefix}: {key}"


def project_key(prefix: str, title: str) -> str | None:
    """The project key a title was made for (either form), or None for another project."""
    head = f"{prefix}: "
    if not title.startswith(head):
        return None
    rest = title[len(head):]
    if PLACE_SEPARATOR in rest:
        return key_of_place(rest.rsplit(PLACE_SEPARATOR, 1)[1])
    return rest or None


def project_description(key: str, taxonomy: Taxonomy) -> str:
    """One paragraph for the project list: the questions asked and whose messages these are."""
    if key == REVIEW_PROJECT:
        return ("Re-check labels the curation step flagged as likely wrong: the note above each "
                "message shows the label given, the one suggested and why. Your answer is final. "
                f"Guidelines: the project's Instructions (taxonomy v{taxonomy.version}).")
    questions = " ".join(f"{task.title}{when_text(task.when)}" for task in taxonomy.tasks)
    whose = "messages from channels of no annotator group" if key == UNGROUPED_PROJECT \
        else f"messages for annotator {place(key)}"
    return (f"Read each Telegram message and answer: {questions} ({whose}; taxonomy "
            f"v{taxonomy.version}). Guidelines with Amharic examples: the project's Instructions.")
