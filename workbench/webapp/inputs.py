"""Request input the routes can trust: JSON bodies, form numbers, names in paths.

Whatever a client sends, a route gets either a validated value or :class:`BadInputError`, whose
message names the field (the app answers 400 with it, never 500):

- JSON is checked for depth before it is parsed (the parser recurses: 1,000 nested lists would
  end in ``RecursionError``);
- numbers Python cannot hold as asked (``1e400``, ``NaN``, ``Infinity``, a 5,000-digit integer
  beyond Python's int-to-string limit) become a marker every field's validation refuses;
- validation messages never echo the input back (it may be huge, or not printable as JSON);
- a run, evaluation or figure name in a URL is a plain name, and a file served for it must
  resolve inside its folder (otherwise 404, as for a missing one).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench.core.errors import InputFileError
from workbench.core.layout import safe_name
from workbench.webapp.studio import NotFoundError

#: Deeper JSON than any of the app's bodies (a brief is flat) is refused before parsing.
MAX_JSON_DEPTH = 32
#: Longer integers are not ids, counts or indexes (SQLite's largest integer has 19 digits).
MAX_INT_DIGITS = 30
#: Row ids live in SQLite's signed 64-bit integer.
MAX_ROW_ID = 2**63 - 1

Model = TypeVar("Model", bound=BaseModel)

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:]', re.S)


class BadInputError(ValueError):
    """Input the app refuses (400); the message names the field."""


class UnusableNumber:
    """Stands in for a JSON number Python cannot use; no validator accepts it."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"<{self.why}>"


def _check_depth(text: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH`, naming the top-level field."""
    depth = 0
    field = "body"
    last_string = None
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                msg = f"{field}: nested more than {MAX_JSON_DEPTH} levels deep"
                raise BadInputError(msg)
        elif token in "]}":
            depth -= 1
        elif token == ":" and depth == 1 and last_string is not None:
            field = _printable(last_string)
        last_string = token if token.startswith('"') else None


def _printable(json_string: str) -> str:
    """A JSON key as a short field name for a message."""
    try:
        name = str(json.loads(json_string))
    except ValueError:
        name = json_string.strip('"')
    return name[:60] if name.isprintable() else repr(name[:60])


def _parse_int(digits: str) -> int | UnusableNumber:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return UnusableNumber(f"integer of {len(digits)} digits")
    return int(digits)


def _parse_float(text: str) -> float | UnusableNumber:
    value = float(text)
    return value if math.isfinite(value) else UnusableNumber(f"number {text[:20]} out of range")


def _parse_constant(name: str) -> UnusableNumber:
    return UnusableNumber(f"{name} is not a number")


def parse_json(raw: bytes) -> Any:
    """The parsed JSON body.

    Raises
    ------
    BadInputError
        Not UTF-8, not JSON, or nested too deep.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        msg = "body: not UTF-8"
        raise BadInputError(msg) from None
    _check_depth(text)
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                          parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        msg = f"body: invalid JSON ({exc.msg} at character {exc.pos})"
        raise BadInputError(msg) from None
    except (RecursionError, ValueError):
        msg = "body: invalid JSON"
        raise BadInputError(msg) from None


def validation_message(exc: ValidationError) -> str:
    """``field: what is wrong`` for the first error (and how many more), without the input."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {first['msg']}{more}"


def parse_model(raw: bytes, model: type[Model]) -> Model:
    """A JSON body validated as ``model``.

    Raises
    ------
    BadInputError
        As :func:`parse_json`, or a field that does not validate (named in the message).
    """
    data = parse_json_object(raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInputError(validation_message(exc)) from None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON body that must be an object (its fields are validated by the caller)."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        msg = "body: must be a JSON object"
        raise BadInputError(msg)
    return data


def form_int(value: object, field: str, *, default: int, low: int, high: int) -> int:
    """A whole number from a form field, ``default`` when the field is absent or empty.

    Raises
    ------
    BadInputError
        Not a whole number, or outside ``[low, high]``; the message names ``field``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d{1,30}", text):
        msg = f"{field}: must be a whole number"
        raise BadInputError(msg)
    number = int(text)
    if not low <= number <= high:
        msg = f"{field}: must be between {low} and {high}"
        raise BadInputError(msg)
    return number


def plain_name(value: str) -> str:
    """``value`` when it is a plain file or folder name (no dot name, no separator), else 404."""
    try:
        return safe_name(value, "name")
    except InputFileError:
        raise NotFoundError from None


def inside(path: Path | None, root: Path) -> Path:
    """``path`` when it is a file that resolves under ``root`` (links included), else 404."""
    if path is None:
        raise NotFoundError
    resolved = path.resolve()
    if not (resolved.is_file() and resolved.is_relative_to(root.resolve())):
        raise NotFoundError
    return resolved


class GenerateBody(BaseModel):
    """``POST /api/briefs/{id}/generations``."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1, max_length=200)
    n: int = Field(default=3, ge=1, le=20)


class PickBody(BaseModel):
    """``POST /api/generations/{id}/pick``."""

    model_config = ConfigDict(extra="forbid")
    candidate_index: int = Field(ge=0, le=MAX_ROW_ID)
