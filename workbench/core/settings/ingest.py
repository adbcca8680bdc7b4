"""``ingest:`` section of ``workbench.yaml``: how large an input ``workbench ingest`` accepts.

The limits keep a crafted or damaged export from exhausting memory or disk: ingest parses one
export file at a time (parsing takes about 4x the file's size in memory), zip members are measured
while they are decompressed, and every stored string is bounded before it is copied into a column.
Each limit names itself in the error, so a user with a genuinely larger export knows which key to
raise.

``export_timezone`` is not a limit: it says where the exports were made, since Telegram Desktop
versions that write no ``date_unixtime`` write ``date`` in the exporting machine's local time.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from workbench.core.strict_model import StrictModel

MIB = 1024 * 1024

#: Where the team exports its channels: Telegram Desktop writes a message's ``date`` in the
#: exporting machine's local time, which in Ethiopia is East Africa Time (UTC+3, no daylight
#: saving).
DEFAULT_EXPORT_TIMEZONE = "Africa/Addis_Ababa"


class IngestConfig(StrictModel):
    """``workbench ingest`` input limits, and the time zone the exports were made in."""

    max_file_mib: int = Field(
        default=2048, ge=1,
        description="Largest export file (a result.json, or one inside a zip, uncompressed) in "
        "MiB. Parsing a file takes about 4x its size in memory.")
    max_zip_total_mib: int = Field(
        default=16384, ge=1,
        description="Most uncompressed bytes read from one .zip, all members together, in MiB.")
    max_zip_ratio: int = Field(
        default=100, ge=1,
        description="Largest uncompressed/compressed size ratio of a zip member (exports "
        "compress 5-15x; a zip bomb compresses 1000x), checked while reading.")
    max_name_chars: int = Field(
        default=1024, ge=1,
        description="Longest channel name or type (Telegram allows 128 characters): they are "
        "repeated on every row, so a long one costs memory per message.")
    max_text_chars: int = Field(
        default=65536, ge=1,
        description="Longest message text (Telegram allows 4,096); a longer message is "
        "quarantined, the rest of its file kept.")
    max_field_chars: int = Field(
        default=8192, ge=1,
        description="Longest other string of a message (sender, author, link, entity, date...); "
        "a longer one quarantines the message.")

    export_timezone: str = Field(
        default=DEFAULT_EXPORT_TIMEZONE,
        description="Time zone (IANA name, e.g. Africa/Addis_Ababa, Europe/Berlin, UTC) of the "
        "machine that exported the chats. Used only for messages without date_unixtime (exports "
        "of older Telegram Desktop versions), whose `date` is that machine's local time; "
        "recorded in parsed/manifest.json.")

    @field_validator("export_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            msg = (f"unknown time zone {value!r}; use an IANA name such as "
                   f"{DEFAULT_EXPORT_TIMEZONE}, Europe/London or UTC")
            raise ValueError(msg) from None
        return value

    @property
    def export_zone(self) -> ZoneInfo:
        """:attr:`export_timezone` as a :class:`~zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.export_timezone)

    @property
    def max_file_bytes(self) -> int:
        """:attr:`max_file_mib` in bytes."""
        return self.max_file_mib * MIB

    @property
    def max_zip_total_bytes(self) -> int:
        """:attr:`max_zip_total_mib` in bytes."""
        return self.max_zip_total_mib * MIB
