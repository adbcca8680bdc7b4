"""``ingest:`` section of ``workbench.yaml``: how large an input ``workbench ingest`` accepts.

The limits keep a crafted or damaged export from exhausting memory or disk: ingest parses one
export file at a time (parsing takes about 4x the file's size in memory), zip members are measured
while they are decompressed, and every stored string is bounded before it is copied into a column.
Each limit names itself in the error, so a user with a genuinely larger export knows which key to
raise.
"""

from __future__ import annotations

from pydantic import Field

from workbench.core.strict_model import StrictModel

MIB = 1024 * 1024


class IngestConfig(StrictModel):
    """``workbench ingest`` input limits."""

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

    @property
    def max_file_bytes(self) -> int:
        """:attr:`max_file_mib` in bytes."""
        return self.max_file_mib * MIB

    @property
    def max_zip_total_bytes(self) -> int:
        """:attr:`max_zip_total_mib` in bytes."""
        return self.max_zip_total_mib * MIB
