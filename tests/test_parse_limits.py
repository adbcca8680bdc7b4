"""Crafted exports the parser must refuse in one line naming the file, or quarantine per message.

Each case is byte-crafted here: deep nesting, unpaired surrogates, invalid UTF-8 where the
decoders do not look, oversized strings, empty and HTML files.
"""

from __future__ import annotations

import json

import pytest

from tests.exports import export, message
from workbench.core.errors import InputFileError
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.parse import parse_export

SOURCE = "exports/shop/result.json"


def _bytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _refused(data: bytes, limits: IngestConfig | None = None) -> str:
    with pytest.raises(InputFileError) as info:
        parse_export(data, SOURCE, "sha", limits)
    text = str(info.value)
    assert text.startswith(f"{SOURCE}: ")
    assert "\n" not in text
    return text


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_unknown_field_nested_deeply_is_refused(depth: int) -> None:
    deep = "[" * depth + "]" * depth
    msg = _bytes(message(1, "ሰላም"))[:-1] + b', "reactions": ' + deep.encode() + b"}"
    data = b'{"name": "a", "type": "public_channel", "id": 1, "messages": [' + msg + b"]}"
    assert "nested too deeply" in _refused(data)
    top = b'{"name": "a", "type": "t", "id": 1, "x": ' + deep.encode() + b', "messages": []}'
    assert "nested too deeply" in _refused(top)


def test_unknown_field_nested_a_little_is_ignored() -> None:
    msg = message(1, "ሰላም", reactions=[[[{"a": [[1]]}]]])
    parsed = parse_export(_bytes(export([msg])), SOURCE, "sha")
    assert parsed.messages.get_column("text").to_list() == ["ሰላም"]


@pytest.mark.parametrize("field", ["name", "ctype"])
def test_unpaired_surrogate_in_channel_name_or_type_is_refused(field: str) -> None:
    # json.dumps escapes the lone surrogate as \ud800, exactly what a crafted file carries.
    data = json.dumps(export([message(1, "x")], **{field: "ሱቅ \ud800"})).encode("ascii")
    what = "name" if field == "name" else "type"
    assert f"channel {what} contains an unpaired surrogate" in _refused(data)


@pytest.mark.parametrize(
    ("label", "original", "invalid"),
    [
        ("inside a skipped field", b'"type": "plain", "text": "XX"', b'"type": "plain", "text": "\xff\xfe"'),
        ("in a key", b'"from_id"', b'"from\xc3_id"'),
        ("a cut multi-byte character", b'"date"', b'"da\xe1\x88te"'),
    ],
)
def test_invalid_utf8_anywhere_is_refused_with_its_offset(
    label: str, original: bytes, invalid: bytes
) -> None:
    good = _bytes(export([message(1, ["ሰላም", {"type": "plain", "text": "XX"}])]))
    assert original in good, label
    data = good.replace(original, invalid, 1)
    offset = next(i for i in range(len(data)) if data[i] != good[i])
    assert f"not UTF-8 (invalid byte at offset {offset:,})" in _refused(data)


def test_utf8_check_handles_characters_across_its_chunks() -> None:
    # Ge'ez is 3 bytes in UTF-8; a Latin prefix of 0-2 letters makes one straddle the checker's
    # 1 MiB chunk boundary at 2 MiB.
    boundary = 2 * 1024 * 1024
    limits = IngestConfig(max_text_chars=10**6)
    for pad in range(3):
        text = "a" * pad + "ሀ" * 800_000
        data = _bytes(export([message(1, text)]))
        start = data.index(b"\xe1", boundary - 2)
        if start < boundary:
            break
    assert start < boundary < start + 3
    assert parse_export(data, SOURCE, "sha", limits).messages.item(0, "text") == text
    # The character's last byte, in the next chunk, is broken: the error is where it starts.
    bad = data[:start + 2] + b"\xff" + data[start + 3:]
    assert f"invalid byte at offset {start:,})" in _refused(bad, limits)


def test_a_file_ending_inside_a_character_is_refused() -> None:
    assert "ends inside a multi-byte character" in _refused(_bytes(export([])) + b" \xe1\x88")


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "the file is empty (0 bytes)"),
    (b" \n\t\r\n", "the file is empty (only whitespace)"),
    (b"\xef\xbb\xbf", "the file is empty"),
])
def test_an_empty_file_says_it_is_empty(data: bytes, expected: str) -> None:
    text = _refused(data)
    assert expected in text
    assert "truncated" not in text


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html>\n<html>\n<head>\n <meta charset=\"utf-8\"/>\n<title>Exported Data</title>",
    b"\n  <html><body><div class=\"message\">",
])
def test_an_html_export_says_how_to_export_json(data: bytes) -> None:
    text = _refused(data)
    assert "HTML export" in text
    assert "Export chat history" in text
    assert "Machine-readable JSON" in text


def test_a_huge_channel_name_is_refused_before_any_row_repeats_it() -> None:
    data = _bytes(export([message(i, "ሰላም") for i in range(1, 200)], name="A" * 2_000_000))
    text = _refused(data)
    assert "channel name is 2,000,000 characters, over ingest.max_name_chars (1,024)" in text
    # The same check holds on the slow path (a message needing quarantine sends it there).
    slow = _bytes(export([{"id": "x", "type": "message"}], name="A" * 2_000))
    assert "ingest.max_name_chars" in _refused(slow)
    assert parse_export(data, SOURCE, "sha", IngestConfig(max_name_chars=2_000_000)).messages.height


@pytest.mark.parametrize(
    ("msg", "limits", "reason"),
    [
        (message(2, "ሀ" * 70_000), IngestConfig(),
         "text is 70,000 characters, over ingest.max_text_chars (65,536)"),
        (message(2, ["ሀ" * 40, {"type": "bold", "text": "ለ" * 40}]), IngestConfig(max_text_chars=50),
         "text is 80 characters, over ingest.max_text_chars (50)"),
        (message(2, "x", **{"from": "B" * 9_000}), IngestConfig(),
         "'from' is 9,000 characters, over ingest.max_field_chars (8,192)"),
        (message(2, ["x", {"type": "text_link", "text": "y", "href": "h" * 100}]),
         IngestConfig(max_field_chars=99),
         "text piece 'href' is 100 characters, over ingest.max_field_chars (99)"),
    ],
)
def test_an_oversized_string_quarantines_its_message_only(
    msg: dict[str, object], limits: IngestConfig, reason: str
) -> None:
    parsed = parse_export(_bytes(export([message(1, "ሰላም"), msg, message(3, "ደህና")])),
                          SOURCE, "sha", limits)
    assert parsed.messages.get_column("message_id").to_list() == [1, 3]
    assert parsed.quarantine.get_column("reason").to_list() == [reason]
    assert parsed.quarantine.item(0, "index") == 1
