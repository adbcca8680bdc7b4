"""A Telegram Desktop message as the workbench reads it: typed fields, text, dates, media type.

The :mod:`msgspec` structs are what both parse paths decode into; the helpers turn one message
into the values of its row: its text (a poll's question and answers included) with its typed
pieces collected in an :class:`EntityBuffer`, its dates as seconds since the epoch, its media
type, and the checks types cannot express (ranges, string limits) as quarantine reasons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pyarrow as pa

from workbench.core.settings.ingest import IngestConfig

#: Largest id or reply id a message may carry (stored as a signed 64-bit integer).
INT64_MAX = 2**63 - 1


class Piece(msgspec.Struct, gc=False):
    """A typed piece of a message's ``text`` list (bold, link, mention, phone...)."""

    type: str
    text: str
    href: str | None = None


class PollAnswer(msgspec.Struct, gc=False):
    """One answer of a poll (its vote counts are not kept)."""

    text: str | list[str | Piece] = ""


class Poll(msgspec.Struct, gc=False):
    """A poll: Telegram Desktop writes its question and answers here, and an empty ``text``."""

    question: str | list[str | Piece] = ""
    answers: list[PollAnswer] = []


class InlineButton(msgspec.Struct, gc=False):
    """A button under a post; a ``url`` button's ``data`` is its address."""

    type: str = ""
    text: str = ""
    data: str | None = None


class RawMessage(msgspec.Struct, gc=False):
    """The fields of a Telegram Desktop message the workbench keeps (others are ignored)."""

    id: int
    type: str
    date: str | None = None
    date_unixtime: str | None = None
    edited: str | None = None
    edited_unixtime: str | None = None
    from_: str | None = msgspec.field(name="from", default=None)
    from_id: str | None = None
    author: str | None = None
    photo: str | None = None
    file: str | None = None
    media_type: str | None = None
    forwarded_from: str | None = None
    reply_to_message_id: int | None = None
    text: str | list[str | Piece] = ""
    poll: Poll | None = None
    contact_information: dict[str, Any] | None = None
    location_information: dict[str, Any] | None = None
    inline_bot_buttons: list[list[InlineButton]] | None = None


class RawExport(msgspec.Struct, gc=False):
    """A single-chat export: the shape Telegram Desktop writes for one channel."""

    type: str
    id: int
    messages: list[RawMessage]
    name: str | None = None


class EntityBuffer:
    """The typed pieces of the messages of one export, for the ``entities`` column.

    Kept flat (one list per struct field, and the offsets where each message's pieces end) and
    assembled as one Arrow ListArray: building a list-of-structs column from Python dicts is
    ~40x slower.
    """

    def __init__(self) -> None:
        self.types: list[str] = []
        self.texts: list[str] = []
        self.hrefs: list[str | None] = []
        self.offsets: list[int] = [0]

    def add(self, kind: str, text: str, href: str | None = None) -> None:
        """One piece of the current message."""
        self.types.append(kind)
        self.texts.append(text)
        self.hrefs.append(href)

    def close(self) -> None:
        """End the current message's pieces."""
        self.offsets.append(len(self.types))

    def array(self) -> pa.ListArray:
        """The pieces of every message as one Arrow list-of-structs array."""
        return pa.ListArray.from_arrays(
            pa.array(self.offsets, pa.int32()),
            pa.StructArray.from_arrays(
                [pa.array(self.types, pa.string()), pa.array(self.texts, pa.string()),
                 pa.array(self.hrefs, pa.string())],
                names=["type", "text", "href"],
            ),
        )


def semantic_problem(msg: RawMessage) -> str | None:
    """What a message that fits the types still gets wrong (a range, no date), as a reason."""
    if not 0 <= msg.id <= INT64_MAX:
        return f"message id {msg.id} out of range"
    if msg.reply_to_message_id is not None and not 0 <= msg.reply_to_message_id <= INT64_MAX:
        return f"reply_to_message_id {msg.reply_to_message_id} out of range"
    if msg.date_unixtime is None and msg.date is None:
        return "missing date and date_unixtime"
    return None


#: The strings a message contributes to the stored columns (message field, column): dates are
#: stored as timestamps and photo/file as a media type, so their strings are never kept.
MESSAGE_STRING_FIELDS = (("from_", "sender"), ("from_id", "sender_id"), ("author", "author"),
                          ("media_type", "media_type"), ("forwarded_from", "forwarded_from"))
STORED_STRING_COLUMNS = tuple(column for _, column in MESSAGE_STRING_FIELDS)


def oversized_field(msg: RawMessage, limits: IngestConfig) -> str | None:
    """The first string of ``msg`` longer than its limit, as a quarantine reason."""
    text = msg.text
    pieces = [] if isinstance(text, str) else text
    n_text = len(text) if isinstance(text, str) else sum(
        len(p) if isinstance(p, str) else len(p.text) for p in pieces)
    if msg.poll is not None:
        poll_pieces = [msg.poll.question, *(answer.text for answer in msg.poll.answers)]
        n_text += sum(len(p) if isinstance(p, str) else sum(
            len(x) if isinstance(x, str) else len(x.text) for x in p) for p in poll_pieces)
    if n_text > limits.max_text_chars:
        return f"text is {n_text:,} characters, over ingest.max_text_chars ({limits.max_text_chars:,})"
    for name, _ in MESSAGE_STRING_FIELDS:
        value = getattr(msg, name)
        if value is not None and len(value) > limits.max_field_chars:
            return (f"'{name.rstrip('_')}' is {len(value):,} characters, over "
                    f"ingest.max_field_chars ({limits.max_field_chars:,})")
    for row in msg.inline_bot_buttons or ():
        for button in row:
            for name, value in (("text", button.text), ("data", button.data)):
                if value is not None and len(value) > limits.max_field_chars:
                    return (f"button {name} is {len(value):,} characters, over "
                            f"ingest.max_field_chars ({limits.max_field_chars:,})")
    for piece in pieces:
        if isinstance(piece, Piece):
            for name, value in (("type", piece.type), ("href", piece.href)):
                if value is not None and len(value) > limits.max_field_chars:
                    return (f"text piece '{name}' is {len(value):,} characters, over "
                            f"ingest.max_field_chars ({limits.max_field_chars:,})")
    return None


def timestamp(unixtime: str | None, iso: str | None, zone: ZoneInfo, name: str = "date") -> int:
    """Seconds since the epoch; ``date_unixtime`` is exact, ``date`` (local time) is the fallback.

    Telegram Desktop writes ``date`` in the exporting machine's local time, without an offset:
    it is read in ``zone`` (``ingest.export_timezone``). A ``date`` that carries an offset is
    exact and read as written. ``name`` is the field (``date`` or ``edited``) a reason names.
    """
    if unixtime is not None:
        try:
            value = int(unixtime)
        except ValueError:
            msg = f"{name}_unixtime {unixtime[:40]!r} is not an integer"
            raise ValueError(msg) from None
        if not -(2**40) < value < 2**40:
            msg = f"{name}_unixtime {value} out of range"
            raise ValueError(msg)
        return value
    try:
        parsed = datetime.fromisoformat(iso or "")
    except ValueError:
        msg = f"{name} {str(iso)[:40]!r} is not an ISO timestamp"
        raise ValueError(msg) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return int(parsed.timestamp())


def message_text(msg: RawMessage, entities: EntityBuffer) -> str:
    """The message's text; a poll's is its question and answers, one per line.

    The poll's pieces are recorded as entities too (``poll_question``, ``poll_answer``), so a
    later stage can tell a poll's words from a caption's. A ``url`` button under the post is an
    entity ``button_url`` (its label, its address): ads often put their contact or shop link
    there, not in the text.
    """
    if msg.poll is None and msg.inline_bot_buttons is None:
        return flatten_text(msg.text, entities)
    text = flatten_text(msg.text, entities, close=False)
    if msg.poll is not None:
        lines = [text] if text else []
        for kind, piece in (("poll_question", msg.poll.question),
                            *(("poll_answer", answer.text) for answer in msg.poll.answers)):
            line = plain_text(piece)
            if line:
                lines.append(line)
                entities.add(kind, line)
        text = "\n".join(lines)
    for row in msg.inline_bot_buttons or ():
        for button in row:
            if button.type == "url" and button.data:
                entities.add("button_url", button.text, button.data)
    entities.close()
    return text


def plain_text(text: str | list[str | Piece]) -> str:
    """The characters of a text field, its pieces joined (no entities recorded)."""
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else p.text for p in text)


def flatten_text(text: str | list[str | Piece], entities: EntityBuffer, *,
                 close: bool = True) -> str:
    """Exact concatenation of the pieces, in order; typed pieces are appended as entities.

    ``close`` ends the message's entity list (off when more entities of it follow).
    """
    if text.__class__ is str:
        if close:
            entities.close()
        return text  # type: ignore[return-value]
    parts: list[str] = []
    for piece in text:
        if isinstance(piece, str):
            parts.append(piece)
        else:
            parts.append(piece.text)
            entities.add(piece.type, piece.text, piece.href)
    if close:
        entities.close()
    return "".join(parts)


def media_type_of(msg: RawMessage) -> str | None:
    """The stored media type: the export's, else what the message carries.

    A photo, a file (``document``), a poll, a contact card or a location.
    """
    if msg.media_type:
        return msg.media_type
    if msg.photo is not None:
        return "photo"
    if msg.file is not None:
        return "document"
    if msg.poll is not None:
        return "poll"
    if msg.contact_information is not None:
        return "contact"
    if msg.location_information is not None:
        return "location"
    return None
