"""Pydantic validation errors as messages a user can act on: every error, by field path.

The one place that turns a :class:`pydantic.ValidationError` into words. Each error becomes one
line ``field.path: what is wrong``; an unknown key lists every allowed key (with a "did you mean"
hint) and a choice lists every allowed value, never "(+N more)". The CLI prints a
:class:`~workbench.core.errors.WorkbenchError` with details as a headline and one line per error.

Examples
--------
>>> from workbench.core.strict_model import StrictModel
>>> class Size(StrictModel):
...     width: int
...     height: int
>>> from pydantic import ValidationError
>>> try:
...     Size.model_validate({"widht": 1, "height": "tall"})
... except ValidationError as exc:
...     for line in validation_problems(exc, Size):
...         print(line)
width: Field required
height: Input should be a valid integer, unable to parse string as an integer (got 'tall')
unknown key 'widht' (did you mean 'width'?); allowed: height, width
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from workbench.core.errors import ConfigError, WorkbenchError

#: Error types whose message already says what was given (or where nothing was given).
_SAYS_ITS_INPUT = frozenset({"missing", "extra_forbidden", "value_error", "assertion_error"})
_INPUT_CHARS = 40


def validation_problems(err: ValidationError, model: type[BaseModel]) -> list[str]:
    """Every error of ``err`` as one line naming its field path, in pydantic's order.

    Parameters
    ----------
    err
        The error raised by ``model.model_validate``.
    model
        The model validated (its nested models give the allowed keys of an unknown key).

    Returns
    -------
    list[str]
        One ``path: message`` line per error (``<top level>`` for errors of the whole object).
    """
    return [_problem(error, model) for error in err.errors()]


def format_validation_error(err: ValidationError, model: type[BaseModel], source: str) -> str:
    """One line naming ``source`` and every error (for places that show a single line).

    Parameters
    ----------
    err, model
        As for :func:`validation_problems`.
    source
        What was validated: a file path, ``"brief"``...

    Returns
    -------
    str
        ``"source: path: msg"`` for one error, ``"source: N errors: a; b; c"`` for several.
    """
    return str(validation_failure(err, model, source))


def validation_failure(err: ValidationError, model: type[BaseModel], source: str,
                       error_class: type[WorkbenchError] = ConfigError) -> WorkbenchError:
    """The user error to raise for ``err``: a headline, plus one detail line per error.

    Parameters
    ----------
    err, model, source
        As for :func:`format_validation_error`.
    error_class
        The :class:`WorkbenchError` subclass to build (``ConfigError`` by default).

    Returns
    -------
    WorkbenchError
        With one error, its message is ``"source: path: msg"`` and there are no details; with
        several, the headline is ``"source: N errors"`` and ``details`` holds one line each.
    """
    problems = validation_problems(err, model)
    if len(problems) == 1:
        return error_class(f"{source}: {problems[0]}")
    return error_class(f"{source}: {len(problems)} errors", details=problems)


def _problem(error: Any, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    path = ".".join(str(p) for p in loc) or "<top level>"
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        parent = _model_at(model, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(key, allowed, n=1)
        did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
        listed = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown key '{path}'{did_you_mean}{listed}"
    message = str(error["msg"])
    # pydantic prefixes a validator's own message with its error kind; the message says enough.
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    given = error.get("input")
    if error["type"] not in _SAYS_ITS_INPUT and isinstance(given, str | int | float | bool):
        shown = repr(given)
        if len(shown) > _INPUT_CHARS:
            shown = shown[:_INPUT_CHARS - 1] + "…"
        message += f" (got {shown})"
    return f"{path}: {message}"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk field annotations along ``loc`` to find the nested model (list indices skipped)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _first_model(field.annotation)
    return current


def _first_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None
