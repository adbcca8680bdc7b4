"""File-level checks of an export's bytes, before any decoder sees them.

The decoders only look at the strings they keep; these checks cover the whole file: not empty,
not Telegram's HTML export, UTF-8 everywhere (skipped fields and keys included). The channel
header's strings are checked here too, before a column repeats them on every row, and which chats
of the file are ingested at all.
"""

from __future__ import annotations

import codecs
from collections import Counter
from typing import Any

from workbench.core.errors import InputFileError
from workbench.core.settings.ingest import IngestConfig

_UTF8_CHUNK = 1 << 20
HTML_EXPORT_HINT = (
    "this is Telegram's HTML export; the workbench reads the JSON one: in Telegram Desktop "
    "choose Export chat history, set Format to 'Machine-readable JSON', and ingest its result.json"
)


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in words ("a list", "null"), not Python's type name."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    kinds = ((str, "a string"), ((int, float), "a number"), (list, "a list"), (dict, "an object"))
    return next((word for kind, word in kinds if isinstance(value, kind)), type(value).__name__)


def check_json_text(data: bytes, source: str) -> None:
    """Refuse an empty file, an HTML export, or bytes that are not UTF-8 (BOM already removed).

    Raises
    ------
    InputFileError
        Naming ``source`` and saying what to do.
    """
    head = data[:4096].lstrip()
    if not head:
        what = "empty (0 bytes)" if not data else "empty (only whitespace)"
        msg = f"{source}: the file is {what}; export the chat again"
        raise InputFileError(msg)
    if head.startswith(b"<"):
        msg = f"{source}: {HTML_EXPORT_HINT}"
        raise InputFileError(msg)
    check_utf8(data, source)


def check_utf8(data: bytes, source: str) -> None:
    """Raise :class:`InputFileError` at the first byte that is not UTF-8, anywhere in ``data``.

    The decoders only check the strings they keep, so skipped fields and keys are checked here;
    in chunks, so the check never holds a decoded copy of the whole file.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), _UTF8_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start:start + _UTF8_CHUNK])
        except UnicodeDecodeError as exc:
            offset = start - pending + exc.start
            msg = f"{source}: not UTF-8 (invalid byte at offset {offset:,})"
            raise InputFileError(msg) from None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        # Amharic text is all multi-byte: a copy or download cut short ends inside one.
        msg = (f"{source}: truncated (the file ends inside a multi-byte character, as a copy or "
               f"download cut short does); export the chat again")
        raise InputFileError(msg) from None


def check_names(name: str | None, ctype: str | None, source: str, limits: IngestConfig) -> None:
    """Refuse a channel name or type over ``ingest.max_name_chars`` or not encodable as UTF-8."""
    for what, value in (("name", name), ("type", ctype)):
        if value is None:
            continue
        if len(value) > limits.max_name_chars:
            msg = (f"{source}: channel {what} is {len(value):,} characters, over "
                   f"ingest.max_name_chars ({limits.max_name_chars:,})")
            raise InputFileError(msg)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            msg = f"{source}: channel {what} contains an unpaired surrogate escape (\\ud800-\\udfff)"
            raise InputFileError(msg) from None


#: Chat types of a full-account export ("Export Telegram data") that are private conversations,
#: not the channels and groups the workbench is for: left out, counted in the summary.
PRIVATE_CHAT_TYPES = frozenset({"personal_chat", "bot_chat", "saved_messages"})


def chats_of(obj: Any, source: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The chats to ingest from a single-chat or a full-account export (``chats.list``).

    A full-account export holds every chat of the account: its personal chats, bots and Saved
    Messages are left out (returned counted per type), so private conversations never reach
    the corpus or the annotators. Channels and groups the account has left (``left_chats``,
    written when the user ticks them) are ingested like the others. A chat exported on its own
    was chosen: kept whatever its type.
    """
    if not isinstance(obj, dict):
        msg = f"{source}: not a Telegram export (top level is {json_kind(obj)}, expected an object)"
        raise InputFileError(msg)
    skipped: Counter[str] = Counter()
    if "messages" in obj:
        chats = [obj]
    elif isinstance(obj.get("chats"), dict) and isinstance(obj["chats"].get("list"), list):
        chats = []
        left = obj.get("left_chats")
        left_list = left.get("list") if isinstance(left, dict) else None
        for chat in [*obj["chats"]["list"], *(left_list if isinstance(left_list, list) else [])]:
            if not isinstance(chat, dict) or "messages" not in chat:
                continue
            if chat.get("type") in PRIVATE_CHAT_TYPES:
                skipped[str(chat["type"])] += 1
            else:
                chats.append(chat)
    else:
        msg = f"{source}: not a Telegram export (no 'messages' list and no 'chats.list')"
        raise InputFileError(msg)
    for chat in chats:
        if not isinstance(chat["messages"], list):
            msg = f"{source}: not a Telegram export ('messages' is {json_kind(chat['messages'])}, expected a list)"
            raise InputFileError(msg)
    return chats, dict(sorted(skipped.items()))
