"""Parse one Telegram Desktop export (``result.json`` bytes) into columns and a quarantine.

Two paths, one result:

* the fast path decodes the whole file with typed ``msgspec`` structs (about as fast as a bare
  ``orjson.loads``, see ``bench/ingest.py``);
* if anything in the file does not fit the types (a message without an id, a number where text
  belongs...), the slow path decodes it generically and validates message by message, so the bad
  messages go to the quarantine with a reason and every good one is kept.

A file that is empty, HTML, not UTF-8 (anywhere, skipped fields included), not JSON, nested
beyond the decoder's depth, not an export at all, or with a channel name or type over its limit
is an :class:`InputFileError` naming the file. A message with a string over its limit (see
:class:`~workbench.core.settings.ingest.IngestConfig`) is quarantined.

A poll's text is empty in the export: its question and answers are the message's text, one per
line (counted as ``n_polls``). A ``date`` without ``date_unixtime`` (older Telegram Desktop
versions) is the exporting machine's local time, read in ``ingest.export_timezone`` (counted as
``n_local_dates``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import msgspec
import polars as pl

from workbench.core.errors import InputFileError
from workbench.core.schemas import PARSED_SCHEMA, QUARANTINE_SCHEMA
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.input_checks import chats_of, check_json_text, check_names, json_kind
from workbench.ingest.messages import (
    INT64_MAX,
    STORED_STRING_COLUMNS,
    EntityBuffer,
    RawExport,
    RawMessage,
    media_type_of,
    message_text,
    oversized_field,
    semantic_problem,
    timestamp,
)
from workbench.ingest.reasons import invalid_message_reason

_FAST_DECODER = msgspec.json.Decoder(RawExport)


@dataclass
class ParsedExport:
    """What one export file yields."""

    messages: pl.DataFrame
    quarantine: pl.DataFrame
    n_service: int = 0
    channels: list[str] = field(default_factory=list)
    chats_skipped: dict[str, int] = field(default_factory=dict)
    """Private chats of a full-account export left out, per chat type."""
    n_polls: int = 0
    """Polls kept, their question and answers as the message's text."""
    n_local_dates: int = 0
    """Messages whose date (or edit date) had no ``date_unixtime``: read in the export time zone."""


class _Columns:
    """Column-wise accumulator: appending to lists beats building one dict per row."""

    def __init__(self, source: str, sha: str, limits: IngestConfig | None = None) -> None:
        self.source, self.sha, self.limits = source, sha, limits or IngestConfig()
        self.cols: dict[str, list[Any]] = {name: [] for name in PARSED_SCHEMA if name != "entities"}
        self.entities = EntityBuffer()
        self.quarantine: dict[str, list[Any]] = {name: [] for name in QUARANTINE_SCHEMA}
        self.n_service = 0
        self.n_polls = 0
        self.n_local_dates = 0
        self.chats_skipped: dict[str, int] = {}

    def reject(self, index: int, channel_id: int | None, reason: str, raw: Any) -> None:
        q = self.quarantine
        q["source"].append(self.source)
        q["source_sha256"].append(self.sha)
        q["index"].append(index)
        q["channel_id"].append(channel_id)
        q["reason"].append(reason.encode("utf-8", "backslashreplace").decode("utf-8"))
        # Unpaired surrogates cannot be stored as UTF-8: keep them as visible escapes.
        q["raw"].append(_dump_raw(raw).encode("utf-8", "backslashreplace").decode("utf-8"))

    def add(self, index: int, chat: tuple[int, str, str], msg: RawMessage, raw: Any = None) -> None:
        """Validate the semantic rules types cannot express, then append one row."""
        channel_id, channel_name, channel_type = chat
        if msg.type == "service":
            self.n_service += 1
            return
        reason = semantic_problem(msg) or oversized_field(msg, self.limits)
        if reason is None:
            zone = self.limits.export_zone
            try:
                date = timestamp(msg.date_unixtime, msg.date, zone)
                edited = (
                    timestamp(msg.edited_unixtime, msg.edited, zone, "edited")
                    if (msg.edited_unixtime or msg.edited) else None
                )
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            self.reject(index, channel_id, reason, raw if raw is not None else msg)
            return
        if msg.date_unixtime is None or (msg.edited is not None and msg.edited_unixtime is None):
            self.n_local_dates += 1
        self.n_polls += msg.poll is not None
        text = message_text(msg, self.entities)
        c = self.cols
        c["uid"].append(f"{channel_id}:{msg.id}")
        c["channel_id"].append(channel_id)
        c["channel_name"].append(channel_name)
        c["channel_type"].append(channel_type)
        c["message_id"].append(msg.id)
        c["date"].append(date)
        c["edited"].append(edited)
        c["sender"].append(msg.from_)
        c["sender_id"].append(msg.from_id)
        c["author"].append(msg.author)
        c["forwarded_from"].append(msg.forwarded_from)
        c["reply_to"].append(msg.reply_to_message_id)
        c["media_type"].append(media_type_of(msg))
        c["text"].append(text)
        c["source"].append(self.source)
        c["source_sha256"].append(self.sha)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        cols = dict(self.cols)
        # Seconds since the epoch -> UTC datetimes, vectorised.
        for name in ("date", "edited"):
            cols[name] = pl.Series(name, cols[name], dtype=pl.Int64)
        skip = ("date", "edited", "entities")
        df = pl.DataFrame(
            {k: v for k, v in cols.items() if k not in skip},
            schema={k: v for k, v in PARSED_SCHEMA.items() if k not in skip},
        )
        entities = self.entities.array()
        df = df.with_columns(
            pl.Series("entities", entities).cast(PARSED_SCHEMA["entities"]),
            pl.from_epoch(cols["date"], "s").dt.replace_time_zone("UTC").cast(PARSED_SCHEMA["date"]),
            pl.from_epoch(cols["edited"], "s").dt.replace_time_zone("UTC")
            .cast(PARSED_SCHEMA["edited"]),
        ).select(list(PARSED_SCHEMA))
        quarantine = pl.DataFrame(self.quarantine, schema=QUARANTINE_SCHEMA)
        return df, quarantine


def _dump_raw(raw: Any) -> str:
    if isinstance(raw, msgspec.Struct):
        return msgspec.json.encode(raw).decode()
    try:
        return json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(raw)


def parse_export(
    data: bytes, source: str, sha: str, limits: IngestConfig | None = None
) -> ParsedExport:
    """Parse the bytes of one export file.

    Parameters
    ----------
    data
        File content (UTF-8 JSON written by Telegram Desktop).
    source
        Human-readable origin, e.g. ``"exports/tikvah/result.json"`` or ``"all.zip:a/result.json"``.
    sha
        SHA-256 of ``data`` (recorded on every row, for lineage).
    limits
        String size limits (``ingest:`` in ``workbench.yaml``); the defaults when omitted.

    Returns
    -------
    ParsedExport
        Messages in :data:`~workbench.core.schemas.PARSED_SCHEMA`, the quarantine, the number of
        service messages skipped and the channel names seen.

    Raises
    ------
    InputFileError
        When the file is empty, HTML, not UTF-8, not JSON, too deeply nested, not a Telegram
        export, or its channel name or type is over its limit.
    """
    limits = limits or IngestConfig()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    check_json_text(data, source)
    try:
        return _parse_checked(data, source, sha, limits)
    except RecursionError:
        # Telegram writes 8 levels at most; a file nested hundreds deep is not an export.
        msg = f"{source}: JSON nested too deeply to be a Telegram export"
        raise InputFileError(msg) from None


def _parse_checked(data: bytes, source: str, sha: str, limits: IngestConfig) -> ParsedExport:
    try:
        export = _FAST_DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        export = None
    if export is not None:
        # The header is checked before any column repeats the name on every row.
        check_names(export.name, export.type, source, limits)
        fast = _columnar(export, source, sha, limits)
        if fast is not None:
            return fast
    # Something does not fit (types, semantics or sizes): validate message by message, so the
    # quarantine keeps each bad message's raw JSON exactly as exported and the rest is kept.
    acc = _Columns(source, sha, limits)
    channels = _parse_slow(data, source, acc)
    messages, quarantine = acc.frames()
    return ParsedExport(messages, quarantine, acc.n_service, channels, acc.chats_skipped,
                        acc.n_polls, acc.n_local_dates)


def _columnar(
    export: RawExport, source: str, sha: str, limits: IngestConfig
) -> ParsedExport | None:
    """Columns straight from the typed structs; None when any message needs the slow path.

    One list comprehension per field is several times faster than appending row by row, and
    the checks run vectorised in Polars.
    """
    if not 0 <= export.id <= INT64_MAX:
        return None
    msgs = [m for m in export.messages if m.type != "service"]
    ids = [m.id for m in msgs]
    replies = [m.reply_to_message_id for m in msgs]
    unix = [m.date_unixtime for m in msgs]
    edited_unix = [m.edited_unixtime for m in msgs]
    if (
        (ids and (min(ids) < 0 or max(ids) > INT64_MAX))
        or any(r is not None and not 0 <= r <= INT64_MAX for r in replies)
        or any(u is None for u in unix)
        or any(e is None and m.edited is not None for e, m in zip(edited_unix, msgs, strict=True))
    ):
        return None
    dates = pl.Series(unix, dtype=pl.Utf8).cast(pl.Int64, strict=False)
    edits = pl.Series(edited_unix, dtype=pl.Utf8).cast(pl.Int64, strict=False)
    bad_date = dates.is_null() | (dates.abs() >= 2**40)
    bad_edit = (edits.is_null() & pl.Series(edited_unix, dtype=pl.Utf8).is_not_null()) | (
        edits.abs() >= 2**40).fill_null(value=False)
    if (bad_date | bad_edit).any():
        return None

    buffer = EntityBuffer()
    texts = [message_text(m, buffer) for m in msgs]
    entities = buffer.array()
    n = len(msgs)
    df = pl.DataFrame(
        {
            "channel_id": pl.Series([export.id] * n, dtype=pl.Int64),
            "message_id": pl.Series(ids, dtype=pl.Int64),
            "date": dates,
            "edited": edits,
            "sender": pl.Series([m.from_ for m in msgs], dtype=pl.Utf8),
            "sender_id": pl.Series([m.from_id for m in msgs], dtype=pl.Utf8),
            "author": pl.Series([m.author for m in msgs], dtype=pl.Utf8),
            "forwarded_from": pl.Series([m.forwarded_from for m in msgs], dtype=pl.Utf8),
            "reply_to": pl.Series(replies, dtype=pl.Int64),
            "media_type": pl.Series([media_type_of(m) for m in msgs], dtype=pl.Utf8),
            "text": pl.Series(texts, dtype=pl.Utf8),
            "entities": pl.Series(entities).cast(PARSED_SCHEMA["entities"]),
        }
    )
    if _any_oversized(df, limits) or any(
            oversized_field(m, limits) for m in msgs if m.inline_bot_buttons):
        return None
    df = df.with_columns(
        pl.concat_str(pl.col("channel_id"), pl.lit(":"), pl.col("message_id")).alias("uid"),
        pl.lit(export.name or "", pl.Utf8).alias("channel_name"),
        pl.lit(export.type, pl.Utf8).alias("channel_type"),
        pl.from_epoch("date", "s").dt.replace_time_zone("UTC").cast(PARSED_SCHEMA["date"]),
        pl.from_epoch("edited", "s").dt.replace_time_zone("UTC").cast(PARSED_SCHEMA["edited"]),
        pl.lit(source, pl.Utf8).alias("source"),
        pl.lit(sha, pl.Utf8).alias("source_sha256"),
    ).select(list(PARSED_SCHEMA))
    quarantine = pl.DataFrame(schema=QUARANTINE_SCHEMA)
    return ParsedExport(df, quarantine, len(export.messages) - n, [export.name or str(export.id)],
                        n_polls=sum(m.poll is not None for m in msgs))


def _any_oversized(df: pl.DataFrame, limits: IngestConfig) -> bool:
    """Whether a stored string is over its limit (the slow path then names the message).

    Checked on the columns already built, so the fast path pays one vectorised pass.
    """
    def longest(expr: pl.Expr) -> pl.Expr:
        return expr.str.len_chars().max().fill_null(0)

    piece = pl.col("entities").explode().struct
    text, field = df.select(
        longest(pl.col("text")),
        pl.max_horizontal(
            *(longest(pl.col(name)) for name in STORED_STRING_COLUMNS),
            longest(piece.field("type")),
            longest(piece.field("href")),
        ),
    ).row(0)
    return text > limits.max_text_chars or field > limits.max_field_chars


def _parse_slow(data: bytes, source: str, acc: _Columns) -> list[str]:
    """Generic decode + per-message validation; bad messages are quarantined, not fatal."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{source}: not UTF-8 (invalid byte at offset {exc.start})"
        raise InputFileError(msg) from None
    try:
        # The stdlib decoder, unlike msgspec/orjson, accepts escaped unpaired surrogates, so one
        # odd string costs one quarantined message instead of the whole file.
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if exc.pos >= len(text.rstrip()) else f"invalid JSON ({exc.msg})"
        msg = f"{source}: {what} at line {exc.lineno}, column {exc.colno}"
        raise InputFileError(msg) from None
    except RecursionError:
        msg = f"{source}: JSON nested too deeply"
        raise InputFileError(msg) from None
    chats, acc.chats_skipped = chats_of(obj, source)
    names = []
    for chat_obj in chats:
        chat = _chat_header(chat_obj, source, acc.limits)
        names.append(chat[1] or str(chat[0]))
        for index, raw in enumerate(chat_obj["messages"]):
            try:
                msg_struct = msgspec.convert(raw, RawMessage)
                # Strings must be encodable as UTF-8 to be stored (unpaired surrogates are not).
                msgspec.json.encode(msg_struct).decode("utf-8").encode("utf-8")
            except msgspec.ValidationError as exc:
                acc.reject(index, chat[0], invalid_message_reason(exc), raw)
                continue
            except UnicodeError:
                acc.reject(index, chat[0], "invalid message: unpaired surrogate in a string", raw)
                continue
            acc.add(index, chat, msg_struct, raw)
    return names


def _chat_header(
    chat: dict[str, Any], source: str, limits: IngestConfig
) -> tuple[int, str, str]:
    cid, name, ctype = chat.get("id"), chat.get("name"), chat.get("type")
    if not isinstance(cid, int) or isinstance(cid, bool) or not 0 <= cid <= INT64_MAX:
        msg = f"{source}: export has no valid integer channel 'id' (got {str(cid)[:40]!r})"
        raise InputFileError(msg)
    if name is not None and not isinstance(name, str):
        msg = f"{source}: export 'name' must be a string, got {json_kind(name)}"
        raise InputFileError(msg)
    ctype = ctype if isinstance(ctype, str) else "unknown"
    check_names(name, ctype, source, limits)
    return cid, name or "", ctype
