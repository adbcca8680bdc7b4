"""Crafted inputs ``workbench ingest`` must refuse in one line naming the file, writing nothing.

Zips are byte-crafted here (unsupported method, encryption flag, corrupt deflate stream, bombs)
and each case also runs through the CLI: exit 2, one line on stderr, no traceback.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from tests.exports import export, message, write
from workbench.cli import main
from workbench.core.config import CleaningConfig
from workbench.core.errors import InputFileError
from workbench.core.settings.ingest import MIB, IngestConfig
from workbench.ingest.pipeline import run_ingest

_LOCAL, _CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def _export_bytes(n: int = 3, pad: int = 0) -> bytes:
    """A valid export; ``pad`` spaces of JSON whitespace make it compress like a zip bomb."""
    body = json.dumps(export([message(i, f"ሰላም {i}") for i in range(1, n + 1)]),
                      ensure_ascii=False).encode()
    return body[:-1] + b" " * pad + b"}"


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _patch_headers(path: Path, *, method: int | None = None, flag: int | None = None) -> None:
    """Rewrite the compression method / flag bits of every local and central header."""
    raw = bytearray(path.read_bytes())
    for signature, flag_at, method_at in ((_LOCAL, 6, 8), (_CENTRAL, 8, 10)):
        start = raw.find(signature)
        while start != -1:
            if flag is not None:
                old = struct.unpack_from("<H", raw, start + flag_at)[0]
                struct.pack_into("<H", raw, start + flag_at, old | flag)
            if method is not None:
                struct.pack_into("<H", raw, start + method_at, method)
            start = raw.find(signature, start + 4)
    path.write_bytes(bytes(raw))


def _corrupt_deflate(path: Path) -> None:
    """Overwrite the middle of the first member's compressed stream with garbage."""
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", raw, 26)
    size = struct.unpack_from("<I", raw, 18)[0]
    data_at = 30 + name_len + extra_len
    raw[data_at + size // 3: data_at + size // 3 + 16] = b"\xff" * 16
    path.write_bytes(bytes(raw))


def _refused(paths: list[Path], data: Path, limits: IngestConfig | None = None) -> str:
    with pytest.raises(InputFileError) as info:
        run_ingest(paths, data, CleaningConfig(), limits)
    assert not data.exists(), "a refused ingest must write nothing"
    return str(info.value)


def _cli_refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(["ingest", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    return err


@pytest.mark.parametrize(
    ("craft", "expected"),
    [
        (lambda p: _patch_headers(p, method=93), "zip compression method 93 is not supported"),
        (lambda p: _patch_headers(p, flag=0x1), "the zip is encrypted"),
        (_corrupt_deflate, "corrupt zip member"),
    ],
    ids=["unsupported-method", "encrypted", "corrupt-deflate"],
)
def test_unreadable_zip_members_are_one_line_naming_the_member(
    tmp_path: Path, craft: object, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _zip(tmp_path / "exports.zip", {"chat/result.json": _export_bytes(400)})
    craft(archive)  # type: ignore[operator]
    data = tmp_path / "data"
    text = _refused([archive], data)
    assert text.startswith(f"{archive}:chat/result.json: ")
    assert expected in text
    err = _cli_refused([str(archive), "--data-dir", str(data)], capsys)
    assert f"{archive}:chat/result.json" in err
    assert expected in err
    assert not data.exists()


def test_a_zip_bomb_is_stopped_while_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 40 MB of JSON whitespace deflates to ~40 KB: a 1000x ratio no export has.
    archive = _zip(tmp_path / "bomb.zip", {"result.json": _export_bytes(pad=40 * 10**6)})
    assert archive.stat().st_size < 100_000
    data = tmp_path / "data"
    text = _refused([archive], data)
    assert "over 100x its compressed size (ingest.max_zip_ratio)" in text
    assert "zip bomb" in _cli_refused([str(archive), "--data-dir", str(data)], capsys)
    # The limit is the config's: a generous ratio lets the same file through.
    summary = run_ingest([archive], data, CleaningConfig(), IngestConfig(max_zip_ratio=10_000))
    assert summary.content_messages == 3


def test_a_header_that_understates_the_size_does_not_pass(tmp_path: Path) -> None:
    # The central directory claims 100 bytes for a 40 MB member: reading stops at the
    # claimed size and the stream no longer matches its checksum.
    archive = _zip(tmp_path / "liar.zip", {"result.json": _export_bytes(pad=40 * 10**6)})
    raw = bytearray(archive.read_bytes())
    for signature, size_at in ((_LOCAL, 22), (_CENTRAL, 24)):
        at = raw.find(signature)
        struct.pack_into("<I", raw, at + size_at, 100)
    archive.write_bytes(bytes(raw))
    text = _refused([archive], tmp_path / "data", IngestConfig(max_zip_ratio=10_000))
    assert "corrupt zip member" in text


def test_a_zip_over_its_total_is_refused(tmp_path: Path) -> None:
    members = {f"c{i}/result.json": _export_bytes(pad=int(0.8 * MIB)) for i in range(3)}
    archive = _zip(tmp_path / "many.zip", members, method=zipfile.ZIP_STORED)
    text = _refused([archive], tmp_path / "data", IngestConfig(max_zip_total_mib=2))
    assert text == f"{archive}: decompresses to over ingest.max_zip_total_mib (2 MiB)"


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big" / "result.json"
    big.parent.mkdir()
    big.write_bytes(_export_bytes(pad=int(1.5 * MIB)))
    text = _refused([big], tmp_path / "data", IngestConfig(max_file_mib=1))
    assert text.startswith(f"{big}: 2 MiB or more, over ingest.max_file_mib (1)")
    archive = _zip(tmp_path / "big.zip", {"result.json": big.read_bytes()})
    text = _refused([archive], tmp_path / "data",
                    IngestConfig(max_file_mib=1, max_zip_ratio=10_000))
    assert "over ingest.max_file_mib (1)" in text
    # Through the CLI, the limit comes from workbench.yaml.
    (tmp_path / "workbench.yaml").write_text("ingest:\n  max_file_mib: 1\n")
    err = _cli_refused([str(big), "--data-dir", str(tmp_path / "data"),
                        "--config", str(tmp_path / "workbench.yaml")], capsys)
    assert "ingest.max_file_mib (1)" in err


def test_a_device_or_pipe_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    # /dev/zero reports size 0 and never ends: only the bytes actually read count.
    text = _refused([Path("/dev/zero")], tmp_path / "data", IngestConfig(max_file_mib=1))
    assert text.startswith("/dev/zero: 1 MiB or more, over ingest.max_file_mib (1)")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"<!DOCTYPE html>\n<html>", "Format to 'Machine-readable JSON'"),
        (b'{"name": "x", "type": "t", "id": 1, "z": ' + b"[" * 5000 + b"]" * 5000 + b"}",
         "nested too deeply"),
        (json.dumps(export([message(1, "x")], name="\ud800")).encode(),
         "channel name contains an unpaired surrogate"),
        (_export_bytes().replace(b'"from_id"', b'"from\xff_id"', 1), "not UTF-8"),
        (json.dumps(export([message(1, "x")], name="A" * 2_000_000)).encode(),
         "over ingest.max_name_chars"),
    ],
    ids=["empty", "html", "deep", "surrogate", "utf8-key", "huge-name"],
)
def test_cli_names_the_file_in_one_line(
    tmp_path: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "ok" / "result.json", export([message(1, "ሰላም")]))
    bad = tmp_path / "bad" / "result.json"
    bad.parent.mkdir()
    bad.write_bytes(content)
    err = _cli_refused([str(good), str(bad), "--data-dir", str(tmp_path / "data")], capsys)
    assert f"{bad}: " in err
    assert expected in err
    assert not (tmp_path / "data").exists()


def test_html_export_folder_and_file_get_the_json_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ChatExport_2024-03-01"
    folder.mkdir()
    (folder / "messages.html").write_text("<!DOCTYPE html>\n<html></html>\n")
    (folder / "css").mkdir()
    err = _cli_refused([str(folder), "--data-dir", str(tmp_path / "data")], capsys)
    assert "Telegram's HTML export" in err
    assert "Machine-readable JSON" in err
    err = _cli_refused([str(folder / "messages.html"), "--data-dir", str(tmp_path / "d")], capsys)
    assert f"{folder / 'messages.html'}: this is Telegram's HTML export" in err
    archive = _zip(tmp_path / "html.zip", {"ChatExport/messages.html": b"<html></html>"})
    err = _cli_refused([str(archive), "--data-dir", str(tmp_path / "d")], capsys)
    assert "Export chat history" in err


def test_cli_reports_quarantine_path_and_reasons_with_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write(tmp_path / "in" / "result.json", export([
        message(1, "ሰላም"),
        {"id": 2, "type": "message", "text": 5, "date_unixtime": "1"},
        {"id": 3, "type": "message", "text": 6, "date_unixtime": "1"},
        message(4, "x", date_unixtime="soon"),
        {"type": "message", "text": "no id"},
    ]))
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(src), "--data-dir", str(data)])
    assert info.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ingested 1 file(s): 1 content messages")
    assert out[1] == f"4 message(s) quarantined in parsed/quarantine.parquet (under {data}), by reason:"
    # msgspec's own wording ("Expected `str | array`, got `int` - at `$.text`") is not shown.
    assert out[2] == "  2 x invalid message: 'text' is a number; expected a string or a list"
    assert sorted(out[3:]) == sorted([
        "  1 x date_unixtime 'soon' is not an integer",
        "  1 x invalid message: no 'id' field",
    ])
    assert (data / "parsed" / "quarantine.parquet").exists()


def test_invalid_message_reasons_are_worded_for_people() -> None:
    import msgspec

    from workbench.ingest.parse import RawMessage
    from workbench.ingest.reasons import invalid_message_reason

    def reason(raw: object) -> str:
        with pytest.raises(msgspec.ValidationError) as info:
            msgspec.convert(raw, RawMessage)
        return invalid_message_reason(info.value)

    assert reason({"id": "a", "type": "message"}) == "invalid message: 'id' is a string; expected a whole number"
    assert reason({"id": None, "type": "message"}) == "invalid message: 'id' is null; expected a whole number"
    assert reason({"id": 1, "type": "message", "text": ["a", {"type": 1, "text": "x"}]}) == (
        "invalid message: 'text[1].type' is a number; expected a string")
    assert reason({"id": 1, "type": "message", "text": ["a", {"type": "bold"}]}) == (
        "invalid message: no 'text' field in 'text[1]'")
    assert reason([1]) == "invalid message: a list; expected an object"


def test_a_full_account_export_keeps_channels_and_groups_not_private_chats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found on a walkthrough: "Export Telegram data" (every chat of the account) put personal
    # conversations, bots and Saved Messages into the corpus, to be pushed to annotators.
    chats = [export([message(1, "የሚሸጥ ቤት 0911 23 45 67")], cid=10, name="Addis Bet"),
             export([message(1, "ሰላም ወንድሜ")], cid=11, name="Abebe", ctype="personal_chat"),
             export([message(1, "/start")], cid=12, name="Some Bot", ctype="bot_chat"),
             export([message(1, "የግል ማስታወሻ")], cid=13, name="", ctype="saved_messages"),
             export([message(1, "ውይይት")], cid=14, name="Team", ctype="private_supergroup")]
    src = write(tmp_path / "in" / "result.json", {"about": "", "chats": {"about": "", "list": chats}})
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(src), "--data-dir", str(data), "--quiet"])
    assert info.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ingested 1 file(s): 2 content messages")
    assert out[1] == ("skipped 3 private chat(s) of a full-account export (bot_chat 1, "
                      "personal_chat 1, saved_messages 1): only channels and groups are ingested")
    import polars as pl

    kept = pl.read_parquet(data / "parsed" / "messages.parquet")["channel_id"].to_list()
    assert sorted(kept) == [10, 14]
    # A chat exported on its own was chosen by the user: kept whatever its type.
    single = write(tmp_path / "one" / "result.json",
                   export([message(2, "ሰላም")], cid=11, name="Abebe", ctype="personal_chat"))
    with pytest.raises(SystemExit):
        main(["ingest", str(single), "--data-dir", str(data), "--quiet"])
    assert "private chat" not in capsys.readouterr().out
