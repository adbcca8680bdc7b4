"""Quarantine reasons in words: what msgspec says of a message it refused, rephrased.

msgspec's own wording ("Expected `str | array`, got `int` - at `$.text`") is a library's; the
ingest summary and ``parsed/quarantine.parquet`` name the field and the types in plain words.
"""

from __future__ import annotations

import re

import msgspec

#: JSON types as msgspec names them, in the words of a quarantine reason.
_JSON_TYPES = {"str": "a string", "int": "a number", "float": "a number", "array": "a list",
               "object": "an object", "null": "null", "bool": "true or false"}
_EXPECTED = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`(?: - at `\$(?P<at>[^`]*)`)?")
_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]+)`(?: - at `\$(?P<at>[^`]*)`)?")


def invalid_message_reason(exc: msgspec.ValidationError) -> str:
    """A quarantine reason for a message msgspec refused, in words (not msgspec's own).

    >>> invalid_message_reason(msgspec.ValidationError("Expected `str | array`, got `int` - at `$.text`"))
    "invalid message: 'text' is a number; expected a string or a list"
    """
    text = str(exc)
    if (m := _EXPECTED.fullmatch(text)) is not None:
        want = " or ".join(
            "a whole number" if w.strip() == "int" else _JSON_TYPES.get(w.strip(), w.strip())
            for w in m["want"].split("|"))
        got = _JSON_TYPES.get(m["got"], m["got"])
        if not m["at"]:
            return f"invalid message: {got}; expected {want}"
        return f"invalid message: '{m['at'].lstrip('.')}' is {got}; expected {want}"
    if (m := _MISSING.fullmatch(text)) is not None:
        where = f" in '{m['at'].lstrip('.')}'" if m["at"] else ""
        return f"invalid message: no '{m['field']}' field{where}"
    return f"invalid message: {text}"
