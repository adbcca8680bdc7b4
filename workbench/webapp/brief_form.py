"""The studio's brief form: which fields are required, and each error beside its field.

The rules are the :class:`~workbench.core.briefs.Brief` model's own: a field is required when the
model has no default for it, and a validation error is shown beside the form field it belongs
to (a nested key such as ``contact.phone`` beside ``contact``), every error named, none hidden
behind a count.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from workbench.core.briefs import Brief
from workbench.core.errors import ConfigError

#: Form fields the brief cannot do without (the id is the studio's to give).
REQUIRED_FIELDS: frozenset[str] = frozenset(
    name for name, info in Brief.model_fields.items() if info.is_required() and name != "id")

#: Where an error about something that is not one of the form's fields is shown.
FORM_WIDE = "form"

#: Each field's label on the form (the summary line names fields by them, in lower case).
FIELD_LABELS: dict[str, str] = {
    "brand": "Brand", "product": "Product", "vertical": "Vertical",
    "target_channel": "Target channel", "campaign_goal": "Campaign goal", "offer": "Offer",
    "call_to_action": "Call to action", "contact": "Contact", "language": "Language",
    "notes": "Notes",
}


class BriefFormError(ConfigError):
    """The form's fields do not make a valid brief.

    Attributes
    ----------
    fields
        Form field name -> what is wrong with it (:data:`FORM_WIDE` for the rest).

    Its message is one line naming every field and its problem (the page's summary, the API's
    ``detail``).
    """

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        named = "; ".join(f"{FIELD_LABELS.get(k, k).lower()}: {v}" for k, v in fields.items())
        super().__init__(f"The brief was not saved. Please check {named}.")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Form field -> message for every error of a brief's validation (joined per field).

    Examples
    --------
    >>> try:
    ...     Brief.model_validate({"brand": "", "vertical": "Retail"})
    ... except ValidationError as exc:
    ...     sorted(field_errors(exc).items())[:2]
    [('brand', 'must not be empty'), ('contact', 'this field is required')]
    """
    found: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = error["loc"]
        name = str(loc[0]) if loc else FORM_WIDE
        if name not in Brief.model_fields:
            # repr: a key from the request may hold a line break or run long.
            name, message = FORM_WIDE, f"unknown field {name[:40]!r}"
        else:
            message = _message(error)
        found.setdefault(name, [])
        if message not in found[name]:
            found[name].append(message)
    return {name: "; ".join(messages) for name, messages in found.items()}


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "this field is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    inner = [str(p) for p in error["loc"][1:] if not isinstance(p, int)]
    return f"{'.'.join(inner)}: {message}" if inner else message


def errors_of(exc: Exception) -> dict[str, str]:
    """The per-field errors an exception carries (none for any other error)."""
    return dict(exc.fields) if isinstance(exc, BriefFormError) else {}
