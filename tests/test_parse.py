"""The export parser: every text shape, lineage columns, quarantine of malformed messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from tests.exports import BASE_TS, export, message, service
from workbench.core.errors import InputFileError
from workbench.core.schemas import PARSED_SCHEMA, QUARANTINE_SCHEMA
from workbench.ingest.parse import parse_export


def _parse(obj: object, source: str = "t/result.json") -> tuple[pl.DataFrame, pl.DataFrame, int]:
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    out = parse_export(data, source, "abc123")
    return out.messages, out.quarantine, out.n_service


def test_plain_string_text_and_columns() -> None:
    df, q, n_service = _parse(export([message(1, "ሰላም ለሁላችሁ"), service(2)]))
    assert dict(df.schema) == PARSED_SCHEMA
    assert dict(q.schema) == QUARANTINE_SCHEMA
    assert n_service == 1
    row = df.row(0, named=True)
    assert row["uid"] == "100:1"
    assert row["text"] == "ሰላም ለሁላችሁ"
    assert row["entities"] == []
    assert row["date"] == datetime.fromtimestamp(BASE_TS + 60, tz=UTC)
    assert row["channel_name"] == "Test Channel"
    assert row["channel_type"] == "public_channel"
    assert row["source"] == "t/result.json"
    assert row["source_sha256"] == "abc123"


def test_list_text_is_exact_concatenation_with_entities() -> None:
    pieces = [
        "🔥 ቅናሽ ",
        {"type": "bold", "text": "ሳምሰንግ A15"},
        " በ 12,500 ብር! ይደውሉ ",
        {"type": "phone", "text": "0911 23 45 67"},
        " ",
        {"type": "mention", "text": "@addis_shop"},
        " ",
        {"type": "text_link", "text": "ድረ ገጽ", "href": "https://example.com/a"},
        " ",
        {"type": "hashtag", "text": "#ቅናሽ"},
        {"type": "custom_emoji", "text": "🎉", "document_id": "x/y.webp"},
    ]
    df, q, _ = _parse(export([message(5, pieces)]))
    assert q.height == 0
    row = df.row(0, named=True)
    expected = "".join(p if isinstance(p, str) else p["text"] for p in pieces)
    assert row["text"] == expected
    types = [e["type"] for e in row["entities"]]
    assert types == ["bold", "phone", "mention", "text_link", "hashtag", "custom_emoji"]
    assert row["entities"][3]["href"] == "https://example.com/a"
    assert row["entities"][0]["href"] is None


def test_photo_only_edited_forwarded_reply_and_media() -> None:
    msgs = [
        message(1, "", photo="photos/p1.jpg", width=800, height=600),
        message(2, "ተስተካክሏል", edited="2024-03-02T10:00:00", edited_unixtime=str(BASE_TS + 86400)),
        message(3, "Forwarded", forwarded_from="Other Channel"),
        message(4, "reply", reply_to_message_id=3),
        message(5, "video", media_type="video_file", file="video.mp4"),
        message(6, "doc", file="files/a.pdf"),
    ]
    df, q, _ = _parse(export(msgs))
    assert q.height == 0
    rows = {r["message_id"]: r for r in df.iter_rows(named=True)}
    assert rows[1]["text"] == ""
    assert rows[1]["media_type"] == "photo"
    assert rows[2]["edited"] == datetime.fromtimestamp(BASE_TS + 86400, tz=UTC)
    assert rows[1]["edited"] is None
    assert rows[3]["forwarded_from"] == "Other Channel"
    assert rows[4]["reply_to"] == 3
    assert rows[5]["media_type"] == "video_file"
    assert rows[6]["media_type"] == "document"


def test_date_without_unixtime_falls_back_to_iso() -> None:
    """The local ``date`` is read in ``ingest.export_timezone`` (default UTC+3, Addis Ababa)."""
    msg = message(1, "x")
    del msg["date_unixtime"]
    msg["date"] = "2024-03-01T10:00:00"
    df, q, _ = _parse(export([msg]))
    assert q.height == 0
    assert df.row(0, named=True)["date"] == datetime(2024, 3, 1, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bad", "reason_part"),
    [
        ({"type": "message", "text": "no id"}, "id"),
        ({"id": "seven", "type": "message", "text": "x"}, "id"),
        ({"id": 9, "type": "message", "text": 42, "date_unixtime": "1"}, "text"),
        ({"id": 9, "type": "message", "text": [{"type": "bold"}], "date_unixtime": "1"}, "text"),
        ({"id": 9, "type": "message", "text": "x"}, "date"),
        ({"id": 9, "type": "message", "text": "x", "date_unixtime": "soon"}, "date_unixtime"),
        ({"id": 2**70, "type": "message", "text": "x", "date_unixtime": "1"}, "id"),
        ("just a string", "object"),
    ],
)
def test_malformed_message_is_quarantined_and_rest_kept(bad: object, reason_part: str) -> None:
    msgs = [message(1, "ጥሩ"), bad, message(3, "ሌላ")]
    df, q, _ = _parse(export(msgs))
    assert df.get_column("message_id").to_list() == [1, 3]
    assert q.height == 1
    rec = q.row(0, named=True)
    assert rec["index"] == 1
    assert reason_part in rec["reason"]
    assert rec["source"] == "t/result.json"
    assert json.loads(rec["raw"]) == bad


def test_unpaired_surrogate_is_quarantined_not_fatal() -> None:
    good = json.dumps(message(1, "ok"))
    bad = json.dumps(message(2, "x")).replace('"text": "x"', '"text": "\\ud800"', 1)
    data = f'{{"name": "c", "type": "public_channel", "id": 5, "messages": [{good}, {bad}]}}'
    out = parse_export(data.encode(), "s.json", "h")
    assert out.messages.get_column("message_id").to_list() == [1]
    assert out.quarantine.height == 1
    assert "surrogate" in out.quarantine.item(0, "reason")


def test_full_account_export_with_chats_list() -> None:
    obj = {"about": "x", "chats": {"about": "y", "list": [
        export([message(1, "a")], cid=1, name="A"),
        export([message(1, "b")], cid=2, name="B"),
    ]}}
    df, _, _ = _parse(obj)
    assert sorted(df.get_column("uid").to_list()) == ["1:1", "2:1"]


def test_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(export([message(1, "a")])).encode()
    assert parse_export(data, "s", "h").messages.height == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"name": "c", "id": 1, "messages": [', "truncated JSON"),
        (b'{"name": "c", "id": 1, messages: []}', "invalid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2, 3]", "top level is a list, expected an object"),
        (b'"x"', "top level is a string, expected an object"),
        (b'{"name": "c"}', "not a Telegram export"),
        (b'{"name": "c", "id": 1, "type": "x", "messages": {"a": 1}}', "'messages' is an object"),
        (b'{"name": "c", "id": 1, "type": "x", "messages": null}', "'messages' is null, expected"),
        (b'{"name": 5, "id": 1, "type": "x", "messages": []}', "'name' must be a string, got a number"),
        (b'{"name": "c", "id": "x", "type": "x", "messages": []}', "channel 'id'"),
    ],
)
def test_broken_file_is_a_one_line_user_error(data: bytes, expected: str) -> None:
    with pytest.raises(InputFileError) as info:
        parse_export(data, "bad/result.json", "h")
    text = str(info.value)
    assert text.startswith("bad/result.json: ")
    assert expected in text
    assert "\n" not in text


def test_fast_and_slow_paths_agree_on_the_samples() -> None:
    from workbench.core.resources import sample
    from workbench.ingest.parse import _Columns, _parse_slow

    samples = sample("telegram")
    for path in sorted(samples.rglob("result.json")):
        data = path.read_bytes()
        fast = parse_export(data, str(path), "h")
        acc = _Columns(str(path), "h")
        _parse_slow(data, str(path), acc)
        slow, slow_q = acc.frames()
        assert fast.messages.equals(slow), path
        assert fast.n_service == acc.n_service
        assert slow_q.height == fast.quarantine.height == 0
