"""Render the taxonomy into each backend's own declaration: Label Studio XML, Argilla settings.

Both are generated, never written by hand, so adding a task to ``labeling/taxonomy.yaml`` is the
only edit a team makes to label a new dimension.

Examples
--------
>>> from workbench.core.taxonomy import load_taxonomy
>>> xml = label_studio_xml(load_taxonomy())
>>> '<Choices name="is_ad" toName="text" choice="single-radio"' in xml
True
>>> spec = argilla_settings_spec(load_taxonomy(), "# Guidelines")
>>> [q["kind"] for q in spec["questions"]]
['label', 'label', 'multi_label']
"""

from __future__ import annotations

from itertools import groupby
from typing import Any
from xml.sax.saxutils import quoteattr

from workbench.core.taxonomy import Task, Taxonomy
from workbench.labeling.instructions import GUIDELINES_HEADING, guidelines_markdown, when_text

#: Name of the Text object every Choices tag points to (the original message text).
TEXT_NAME = "text"

# Label Studio's own UI font first (Latin and digits), then Ethiopic-capable fonts: browsers pick
# a font per character, so Ge'ez falls through to SIL Abyssinica (Debian fonts-sil-abyssinica),
# Noto (Android, most Linux), Nyala/Ebrima (Windows) or Kefa (macOS). Without any of them Ge'ez
# shows as empty boxes, so the page asks for them by name instead of trusting the default font.
ETHIOPIC_FONTS = ('"Figtree", "Abyssinica SIL", "Noto Sans Ethiopic", "Noto Serif Ethiopic", '
                  '"Nyala", "Ebrima", "Kefa", sans-serif, "Noto Color Emoji"')

# !important: Label Studio's own text classes are more specific than a config <Style> selector.
_STYLE = (
    ".wb-message, .wb-message * {"
    f" font-family: {ETHIOPIC_FONTS} !important; font-size: 19px !important;"
    " line-height: 1.6 !important; }"
    f" .wb-meta, .wb-meta * {{ font-family: {ETHIOPIC_FONTS} !important; color: #555; }}"
)


#: The line above every task's questions that points to the full guidelines (the project's
#: instructions, which Label Studio shows before the first task and behind its Instructions button).
GUIDELINES_POINTER = (f"Unsure? {GUIDELINES_HEADING} with Amharic examples: the Instructions "
                      "button at the top right of this page.")


def _attrs(**pairs: str | None) -> str:
    return "".join(f" {k}={quoteattr(v)}" for k, v in pairs.items() if v is not None)


def _choices_xml(task: Task, indent: str) -> list[str]:
    # single-radio: one click answers, the radio look says "exactly one"; multiple: checkboxes.
    choice = "single-radio" if task.kind == "single" else "multiple"
    required = "true" if task.kind == "single" else None
    lines = [
        f"{indent}<Header value={quoteattr(task.title)} size=\"5\"/>",
        f"{indent}<Choices{_attrs(name=task.name, toName=TEXT_NAME, choice=choice, required=required, showInline='true')}>",
    ]
    for label in task.labels:
        lines.append(
            f"{indent}  <Choice{_attrs(value=label.value, hotkey=label.hotkey, hint=label.guideline or None)}/>"
        )
    lines.append(f"{indent}</Choices>")
    return lines


def _condition_key(task: Task) -> tuple[str, str] | None:
    return (task.when.task, task.when.equals) if task.when else None


def label_studio_xml(taxonomy: Taxonomy, *, review: bool = False) -> str:
    """The Label Studio labeling config for ``taxonomy``.

    Parameters
    ----------
    taxonomy
        The tasks to ask, in order.
    review
        Add the curation review header (``$review_note``: given vs suggested label and why).

    Returns
    -------
    str
        XML accepted by Label Studio's ``label_config``. Conditional tasks sit in a ``View`` shown
        only when their condition holds; Label Studio does not submit hidden choices and only
        enforces ``required`` on visible ones.
    """
    lines = ["<View>", f"  <Style>{_STYLE}</Style>"]
    lines.append('  <View className="wb-meta"><Text name="meta" value="$meta"/></View>')
    if review:
        lines.append('  <View className="wb-meta"><Text name="review_note" value="$review_note"/></View>')
    lines.append(f'  <View className="wb-message"><Text name="{TEXT_NAME}" value="$text"/></View>')
    lines.append(f'  <View className="wb-meta"><Header value={quoteattr(GUIDELINES_POINTER)} size="6"/></View>')
    for cond, tasks in groupby(taxonomy.tasks, key=_condition_key):
        if cond is None:
            for task in tasks:
                lines.extend(_choices_xml(task, "  "))
            continue
        lines.append(
            f"  <View{_attrs(visibleWhen='choice-selected', whenTagName=cond[0], whenChoiceValue=cond[1])}>"
        )
        for task in tasks:
            lines.extend(_choices_xml(task, "    "))
        lines.append("  </View>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


#: argilla-server 2.8 rejects longer question descriptions (HTTP 422); the full text is in the
#: dataset guidelines anyway.
ARGILLA_DESCRIPTION_MAX = 1000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def argilla_settings_spec(taxonomy: Taxonomy, guidelines: str, *,
                          min_submitted: int = 1) -> dict[str, Any]:
    """Argilla dataset settings as plain data (the SDK needs a live server to build objects).

    A conditional task cannot be hidden in Argilla, so it is optional there and its description
    says when to answer it; ``label pull`` enforces the condition for both backends alike.
    """
    questions = []
    for task in taxonomy.tasks:
        questions.append({
            "name": task.name,
            "kind": "label" if task.kind == "single" else "multi_label",
            "title": task.title + when_text(task.when),
            "labels": {label.value: label.value for label in task.labels},
            "description": _clip("; ".join(f"{lab.value}: {lab.guideline}" for lab in task.labels),
                                 ARGILLA_DESCRIPTION_MAX),
            # A multi task may legitimately be empty, so it is never required.
            "required": task.kind == "single" and task.when is None,
        })
    return {
        "fields": [{"name": TEXT_NAME, "title": "Message", "use_markdown": False}],
        "questions": questions,
        "metadata": [
            {"name": "channel", "kind": "terms", "title": "Channel"},
            {"name": "date", "kind": "terms", "title": "Date (UTC)"},
            {"name": "group", "kind": "terms", "title": "Annotator group"},
            {"name": "message_id", "kind": "integer", "title": "Message id"},
        ],
        "guidelines": guidelines_markdown(taxonomy, guidelines),
        "min_submitted": min_submitted,
    }


def argilla_settings(spec: dict[str, Any], client: Any) -> Any:
    """Build ``argilla.Settings`` from :func:`argilla_settings_spec` (needs a connected client)."""
    import argilla as rg

    questions = []
    for q in spec["questions"]:
        cls = rg.LabelQuestion if q["kind"] == "label" else rg.MultiLabelQuestion
        questions.append(cls(name=q["name"], labels=q["labels"], title=q["title"],
                             description=q["description"], required=q["required"], client=client))
    metadata = []
    for m in spec["metadata"]:
        if m["kind"] == "terms":
            metadata.append(rg.TermsMetadataProperty(name=m["name"], title=m["title"], client=client))
        else:
            metadata.append(rg.IntegerMetadataProperty(name=m["name"], title=m["title"], client=client))
    fields = [rg.TextField(name=f["name"], title=f["title"], use_markdown=f["use_markdown"],
                           client=client) for f in spec["fields"]]
    return rg.Settings(
        fields=fields, questions=questions, metadata=metadata, guidelines=spec["guidelines"],
        distribution=rg.TaskDistribution(min_submitted=spec["min_submitted"]),
    )
