"""What real Telegram Desktop exports hold that the samples do not, and how it is ingested.

Polls, contact cards, locations, url buttons, link entities, older exports' local dates, left
channels of a full-account export, cut and malformed files, and the Amharic text of real posts
(quotation marks, invisible characters, labialised spellings). Every export here is written as
Telegram Desktop writes it (field names and shapes of its JSON export) and goes through
:func:`run_ingest`, the path ``workbench ingest`` takes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.exports import export, message, write
from workbench.core.config import CleaningConfig, load_config
from workbench.core.errors import ConfigError, InputFileError
from workbench.core.settings.ingest import IngestConfig
from workbench.ingest.pipeline import run_ingest


def _poll(mid: int, question: Any, answers: list[Any]) -> dict[str, Any]:
    """A poll as Telegram Desktop exports it: empty text, the words under ``poll``."""
    return message(mid, "", poll={
        "question": question, "closed": False, "total_voters": 15,
        "answers": [{"text": a, "voters": 5, "chosen": False} for a in answers]})


def _parsed(data: Path) -> dict[str, dict[str, Any]]:
    rows = pl.read_parquet(data / "parsed" / "messages.parquet").to_dicts()
    return {row["uid"]: row for row in rows}


@pytest.mark.parametrize("slow_path", [False, True], ids=["typed-decode", "per-message"])
def test_poll_question_and_answers_are_the_text(tmp_path: Path, slow_path: bool) -> None:
    """A poll's question was dropped (empty text); it is the message's text now, counted."""
    messages = [
        _poll(1, "የትኛውን መኪና ይመርጣሉ?", ["ቶዮታ ቪትዝ", "ሱዙኪ ዲዛየር"]),
        # Newer exports may write the question with entities, as a list of pieces.
        _poll(2, ["ዋጋ ", {"type": "bold", "text": "ስንት"}, " ይሻላል?"], ["1,500 ብር", ""]),
        message(3, "ሰላም"),
    ]
    if slow_path:  # a malformed message sends the whole file through per-message validation
        messages.append({"id": 4, "type": "message", "text": 5, "date_unixtime": "1"})
    path = write(tmp_path / "poll" / "result.json", export(messages))
    summary = run_ingest([path], tmp_path / "data", CleaningConfig())
    rows = _parsed(tmp_path / "data")
    first, second = rows["100:1"], rows["100:2"]
    assert first["text"] == "የትኛውን መኪና ይመርጣሉ?\nቶዮታ ቪትዝ\nሱዙኪ ዲዛየር"
    assert first["media_type"] == "poll"
    assert [(e["type"], e["text"]) for e in first["entities"]] == [
        ("poll_question", "የትኛውን መኪና ይመርጣሉ?"), ("poll_answer", "ቶዮታ ቪትዝ"),
        ("poll_answer", "ሱዙኪ ዲዛየር")]
    assert second["text"] == "ዋጋ ስንት ይሻላል?\n1,500 ብር"
    assert rows["100:3"]["entities"] == []
    assert summary.polls == 2
    assert "2 poll(s): the question and answers are the message's text" in summary.line()
    cleaned = pl.read_parquet(tmp_path / "data" / "cleaned" / "messages.parquet")
    assert cleaned.filter(pl.col("uid") == "100:2").item(0, "prices").to_list() == [1500.0]
    assert not cleaned.filter(pl.col("uid") == "100:1").item(0, "is_empty")


def test_a_poll_of_the_wrong_shape_is_quarantined_with_a_reason(tmp_path: Path) -> None:
    path = write(tmp_path / "p" / "result.json",
                 export([message(1, "", poll="ጥያቄ"), message(2, "ሰላም")]))
    summary = run_ingest([path], tmp_path / "data", CleaningConfig())
    assert summary.quarantine_reasons == {
        "invalid message: 'poll' is a string; expected an object or null": 1}
    assert list(_parsed(tmp_path / "data")) == ["100:2"]


def test_contact_and_location_messages_say_what_they_are(tmp_path: Path) -> None:
    """Empty-text contact cards and locations were indistinguishable from empty posts."""
    path = write(tmp_path / "c" / "result.json", export([
        message(1, "", contact_information={"first_name": "Abebe", "last_name": "",
                                            "phone_number": "+251911223344"},
                contact_vcard="contacts/contact_1.vcf", contact_vcard_file_size=120),
        message(2, "", location_information={"latitude": 9.01, "longitude": 38.76}),
        message(3, "", file="stickers/sticker.webp", media_type="sticker", sticker_emoji="😂"),
        message(4, ""),
    ]))
    run_ingest([path], tmp_path / "data", CleaningConfig())
    rows = _parsed(tmp_path / "data")
    assert [rows[f"100:{i}"]["media_type"] for i in (1, 2, 3, 4)] == [
        "contact", "location", "sticker", None]


def _old_desktop_export(tmp_path: Path, name: str, date: str, edited: str | None = None,
                        text: str = "ቤት ለሽያጭ") -> Path:
    """An export of an older Telegram Desktop: local ``date``, no ``date_unixtime``."""
    msg = message(1, text)
    del msg["date_unixtime"]
    msg["date"] = date
    if edited is not None:
        msg["edited"] = edited
    return write(tmp_path / name / "result.json", export([msg, message(2, "ሰላም")]))


def test_local_date_is_read_in_the_export_time_zone(tmp_path: Path) -> None:
    """Telegram Desktop writes ``date`` in local time; it was read as UTC (3 hours off)."""
    path = _old_desktop_export(tmp_path, "old", "2024-03-01T11:00:00", "2024-03-01T12:30:00")
    data = tmp_path / "data"
    summary = run_ingest([path], data, CleaningConfig())
    row = _parsed(data)["100:1"]
    # Africa/Addis_Ababa (UTC+3, the default) : 11:00 local is 08:00 UTC.
    assert row["date"] == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert row["edited"] == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert summary.local_dates == 1
    assert ("1 message(s) without date_unixtime (an older Telegram Desktop): their local date "
            "was read as Africa/Addis_Ababa time (ingest.export_timezone") in summary.line()
    manifest = json.loads((data / "parsed" / "manifest.json").read_text())
    assert manifest["config"] == {"export_timezone": "Africa/Addis_Ababa"}
    (entry,) = [i for i in manifest["inputs"] if i["path"] == str(path)]
    assert manifest["local_time_zones"] == {entry["sha256"]: "Africa/Addis_Ababa"}


def test_a_zone_with_summer_time_uses_the_offset_of_that_date(tmp_path: Path) -> None:
    winter = _old_desktop_export(tmp_path, "winter", "2024-01-15T12:00:00")
    summer = write(tmp_path / "summer" / "result.json", export([
        {**{k: v for k, v in message(7, "በጋ").items() if k != "date_unixtime"},
         "date": "2024-07-15T12:00:00"}]))
    run_ingest([winter, summer], tmp_path / "data", CleaningConfig(),
               IngestConfig(export_timezone="Europe/Berlin"))
    rows = _parsed(tmp_path / "data")
    assert rows["100:1"]["date"] == datetime(2024, 1, 15, 11, tzinfo=UTC)  # CET, UTC+1
    assert rows["100:7"]["date"] == datetime(2024, 7, 15, 10, tzinfo=UTC)  # CEST, UTC+2


def test_reingest_with_a_corrected_zone_replaces_the_dates(tmp_path: Path) -> None:
    """A user who set the wrong zone ingests the same export again: the dates follow."""
    path = _old_desktop_export(tmp_path, "old", "2024-03-01T11:00:00")
    data = tmp_path / "data"
    run_ingest([path], data, CleaningConfig(), IngestConfig(export_timezone="UTC"))
    assert _parsed(data)["100:1"]["date"] == datetime(2024, 3, 1, 11, tzinfo=UTC)
    summary = run_ingest([path], data, CleaningConfig())
    assert _parsed(data)["100:1"]["date"] == datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert (summary.new_messages, summary.updated_messages) == (0, 1)
    manifest = json.loads((data / "parsed" / "manifest.json").read_text())
    assert set(manifest["local_time_zones"].values()) == {"Africa/Addis_Ababa"}


def test_an_edit_survives_an_older_export_in_another_zone(tmp_path: Path) -> None:
    """Dates never decide the merge: an edited text is not undone by an older, unedited copy."""
    data = tmp_path / "data"
    edited = write(tmp_path / "new" / "result.json", export([
        message(1, "ቤት ለሽያጭ፤ ዋጋ ቀንሷል", edited="2024-03-02T09:00:00",
                edited_unixtime="1709359200")]))
    run_ingest([edited], data, CleaningConfig())
    run_ingest([_old_desktop_export(tmp_path, "old", "2024-03-01T23:00:00")], data,
               CleaningConfig(), IngestConfig(export_timezone="Pacific/Kiritimati"))
    assert _parsed(data)["100:1"]["text"] == "ቤት ለሽያጭ፤ ዋጋ ቀንሷል"


@pytest.mark.parametrize("zone", ["Mars/Base", "EAT", "Africa", "", "../../etc/passwd"])
def test_an_unknown_time_zone_is_a_one_line_config_error(tmp_path: Path, zone: str) -> None:
    path = tmp_path / "workbench.yaml"
    path.write_text(f"ingest:\n  export_timezone: '{zone}'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message_ = str(info.value)
    assert "ingest.export_timezone" in message_
    assert f"unknown time zone {zone!r}" in message_
    assert "\n" not in message_


def test_channels_the_account_left_are_ingested_from_a_full_export(tmp_path: Path) -> None:
    """``left_chats`` of a full-account export were ignored without a word."""
    def chat(name: str, ctype: str, cid: int, text: str) -> dict[str, Any]:
        return {"name": name, "type": ctype, "id": cid, "messages": [message(1, text)]}

    full = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 1, "first_name": "Me"},
        "chats": {"about": "This page lists all chats from this export.", "list": [
            chat("Mom", "personal_chat", 42, "ሰላም እማዬ"),
            chat("ዳጉ ስፖርት", "public_channel", 200, "ጎል!")]},
        "left_chats": {"about": "This page lists all chats that you have left.", "list": [
            chat("የቀድሞ ገበያ", "public_channel", 300, "መኪና ለሽያጭ 2 ሚሊዮን ብር"),
            chat("Old friend", "personal_chat", 43, "ቻው")]},
    }
    path = write(tmp_path / "DataExport" / "result.json", full)
    summary = run_ingest([path], tmp_path / "data", CleaningConfig())
    assert sorted(_parsed(tmp_path / "data")) == ["200:1", "300:1"]
    assert summary.chats_skipped == {"personal_chat": 2}


def test_a_cut_copy_of_an_amharic_export_is_called_truncated(tmp_path: Path) -> None:
    """A download cut inside an Ethiopic character was reported as 'not UTF-8'."""
    data = json.dumps(export([message(1, "ሰላም ለሁሉም")]), ensure_ascii=False).encode()
    cut = data[: data.index("ሁ".encode()) + 1]
    path = tmp_path / "result.json"
    path.write_bytes(cut)
    with pytest.raises(InputFileError) as info:
        run_ingest([path], tmp_path / "data", CleaningConfig())
    assert f"{path}: truncated (the file ends inside a multi-byte character" in str(info.value)
    assert "export the chat again" in str(info.value)


@pytest.mark.parametrize(("fields", "reason"), [
    ({"edited": "yesterday"}, "edited 'yesterday' is not an ISO timestamp"),
    ({"edited": "2024-03-01T12:00:00", "edited_unixtime": "soon"},
     "edited_unixtime 'soon' is not an integer"),
    ({"date_unixtime": "soon"}, "date_unixtime 'soon' is not an integer"),
])
def test_a_bad_edit_date_is_named_as_the_edit_date(
    tmp_path: Path, fields: dict[str, str], reason: str,
) -> None:
    path = write(tmp_path / "e" / "result.json", export([message(1, "x", **fields)]))
    summary = run_ingest([path], tmp_path / "data", CleaningConfig())
    assert summary.quarantine_reasons == {reason: 1}


@pytest.mark.parametrize("remove_emojis", [True, False])
def test_cleaning_keeps_quotes_and_words_whole(tmp_path: Path, remove_emojis: bool) -> None:
    """Amharic quotation marks, the ellipsis and typographic apostrophes were removed as symbols,
    and an invisible joiner or soft hyphen pasted inside a word split it in two."""
    path = write(tmp_path / "q" / "result.json", export([
        message(1, "«ቅናሽ» አለ… “Sale” don’t [ዛሬ] – ብቻ"),
        message(2, "ሰላ\u200bም ኢት\u200cዮ\u00adጵያ\ufeff ቤ\u200dት 👨\u200d👩\u200d👧 ★"),
    ]))
    cfg = CleaningConfig(remove_emojis=remove_emojis)
    run_ingest([path], tmp_path / "data", cfg)
    cleaned = pl.read_parquet(tmp_path / "data" / "cleaned" / "messages.parquet")
    quotes, joined = cleaned.get_column("text_clean").to_list()
    assert quotes == "«ቅናሽ» አለ… “Sale” don’t [ዛሬ] – ብቻ"
    family = " 👨\u200d👩\u200d👧 ★" if not remove_emojis else ""
    assert joined == "ሰላም ኢትዮጵያ ቤት" + family
    assert cleaned.get_column("text_norm").to_list()[1].startswith("ሰላም ኢትዮጵያ ቤት")
    # The original text is never changed.
    assert cleaned.get_column("text").to_list()[1].startswith("ሰላ\u200bም")


def test_links_telegram_marked_are_links(tmp_path: Path) -> None:
    """A bare domain Telegram marks as a ``link`` entity was missing from ``links``."""
    path = write(tmp_path / "l" / "result.json", export([message(1, [
        "ድረ ገጻችን ", {"type": "link", "text": "ethiotelecom.et"}, " እና ",
        {"type": "text_link", "text": "እዚህ", "href": "https://t.me/shop"}, " ",
        {"type": "link", "text": "https://t.me/shop"}])]))
    run_ingest([path], tmp_path / "data", CleaningConfig())
    cleaned = pl.read_parquet(tmp_path / "data" / "cleaned" / "messages.parquet")
    assert cleaned.item(0, "links").to_list() == ["https://t.me/shop", "ethiotelecom.et"]


def test_labialised_spellings_unify_when_asked(tmp_path: Path) -> None:
    """Real tweets write "after" both ከኋላ (244 ኋ in AfriSenti) and ከሗላ (22 ሗ): one text_norm
    with ``cleaning.unify_labialised``; the brief's 7 orders alone leave them apart."""
    from workbench.core.amharic.strings import normalize

    path = write(tmp_path / "h" / "result.json", export([
        message(1, "ከኋላ ልብሷ ጿ"), message(2, "ከሗላ ልብሧ ፇ")]))
    for unify, same in ((False, False), (True, True)):
        data = tmp_path / f"data-{unify}"
        cfg = CleaningConfig(unify_labialised=unify)
        run_ingest([path], data, cfg)
        norms = pl.read_parquet(data / "cleaned" / "messages.parquet")["text_norm"].to_list()
        assert (norms[0] == norms[1]) is same
        assert [normalize(t, cfg) for t in ("ከኋላ ልብሷ ጿ", "ከሗላ ልብሧ ፇ")] == norms
    assert norms[0] == "ከሇላ ልብሷ ፇ"


def test_a_rule_signal_is_spelt_as_the_unified_text(tmp_path: Path) -> None:
    """A declared signal written with ኋ matches a post written with ሗ once both are unified."""
    from workbench.labeling.rules import signal_pattern

    cfg = CleaningConfig(unify_labialised=True)
    path = write(tmp_path / "s" / "result.json", export([message(1, "ከሗላ ይደውሉ")]))
    run_ingest([path], tmp_path / "data", cfg)
    norm = pl.read_parquet(tmp_path / "data" / "cleaned" / "messages.parquet")["text_norm"]
    pattern = signal_pattern(["ከኋላ"], cfg)
    assert pattern is not None
    assert norm.str.contains(pattern).to_list() == [True]


@pytest.mark.parametrize("slow_path", [False, True], ids=["typed-decode", "per-message"])
def test_a_url_button_under_a_post_is_a_link(tmp_path: Path, slow_path: bool) -> None:
    """Ads put their shop or contact link in a button; the export's buttons were ignored."""
    buttons = [[{"type": "url", "text": "📞 ይዘዙ", "data": "https://t.me/sheger_shop"},
                {"type": "callback", "text": "❤️", "dataBase64": "bGlrZQ==", "data": "like"}]]
    messages = [message(1, "አዲስ ጫማ 2,300 ብር", inline_bot_buttons=buttons),
                message(2, "", poll={"question": "የትኛው?", "answers": [{"text": "ቀይ"}]},
                        inline_bot_buttons=buttons)]
    if slow_path:
        messages.append({"id": 3, "type": "message", "text": 5, "date_unixtime": "1"})
    path = write(tmp_path / "b" / "result.json", export(messages))
    run_ingest([path], tmp_path / "data", CleaningConfig())
    cleaned = pl.read_parquet(tmp_path / "data" / "cleaned" / "messages.parquet")
    assert cleaned["links"].to_list() == [["https://t.me/sheger_shop"]] * 2
    assert cleaned["text"].to_list() == ["አዲስ ጫማ 2,300 ብር", "የትኛው?\nቀይ"]
    assert cleaned["entities"].to_list()[1][-1] == {
        "type": "button_url", "text": "📞 ይዘዙ", "href": "https://t.me/sheger_shop"}


def test_an_oversized_button_is_quarantined_on_either_path(tmp_path: Path) -> None:
    huge = [[{"type": "url", "text": "x" * 9000, "data": "https://t.me/x"}]]
    path = write(tmp_path / "b" / "result.json",
                 export([message(1, "ሰላም", inline_bot_buttons=huge), message(2, "ደህና")]))
    summary = run_ingest([path], tmp_path / "data", CleaningConfig())
    assert summary.quarantine_reasons == {
        "button text is 9,000 characters, over ingest.max_field_chars (8,192)": 1}
