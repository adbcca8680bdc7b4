"""Ingest's memory follows the largest channel: no step holds more than a batch of channels.

Peak RSS is not asserted (it depends on the allocator and the machine); instead every step
that materialises messages is watched, and each must see whole channels within the batch size
(or one channel larger than it), however many exports and channels the ingest has. The streamed concatenations are checked by the outputs equaling
the in-memory build (tests/test_stats.py, tests/test_ingest_pipeline.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.exports import export, message, write
from workbench.core.config import CleaningConfig
from workbench.ingest import channels as per_channel
from workbench.ingest.pipeline import run_ingest
from workbench.ingest.stats import build_final

#: Messages of channel i: 3 + i (the largest channel is the last one).
N_CHANNELS = 5


def _write_exports(root: Path, first_id: int = 1) -> Path:
    for c in range(N_CHANNELS):
        messages = [message(first_id + i, f"ቅናሽ {c} ዋጋ {i} ብር #ሽያጭ") for i in range(3 + c)]
        write(root / f"ch{c}" / "result.json", export(messages, cid=100 + c, name=f"Shop {c}"))
    return root


def _watch(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, pl.DataFrame]]:
    seen: list[tuple[str, pl.DataFrame]] = []
    real_merge, real_final = per_channel.merge_messages, per_channel.channel_final
    real_read = per_channel.read_parquet_checked

    def merge(existing: pl.DataFrame, incoming: pl.DataFrame) -> pl.DataFrame:
        seen.extend([("existing", existing), ("incoming", incoming)])
        return real_merge(existing, incoming)

    def final(cleaned: pl.DataFrame, **kwargs: Any) -> Any:
        seen.append(("cleaned", cleaned))
        return real_final(cleaned, **kwargs)

    def read(path: Path, *args: Any, **kwargs: Any) -> pl.DataFrame:
        frame = real_read(path, *args, **kwargs)
        if frame.width > 1:  # the channel id list is one narrow column
            seen.append(("read", frame))
        return frame

    monkeypatch.setattr(per_channel, "merge_messages", merge)
    monkeypatch.setattr(per_channel, "channel_final", final)
    monkeypatch.setattr(per_channel, "read_parquet_checked", read)
    return seen


def _second_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   batch_rows: int) -> tuple[Any, list[tuple[str, pl.DataFrame]]]:
    data = tmp_path / "data"
    run_ingest([_write_exports(tmp_path / "first")], data, CleaningConfig())
    monkeypatch.setattr(per_channel, "BATCH_ROWS", batch_rows)
    seen = _watch(monkeypatch)
    # The second ingest merges new and re-exported messages with every channel already there.
    summary = run_ingest([_write_exports(tmp_path / "second", first_id=3)], data,
                         CleaningConfig())
    assert summary.total_messages == sum(3 + c + 2 for c in range(N_CHANNELS))
    assert {step for step, _ in seen} == {"existing", "incoming", "cleaned", "read"}
    return summary, seen


#: Rows of the largest channel after the second ingest (the last one, ids 1..3 + 4 + 2).
LARGEST = 3 + N_CHANNELS - 1 + 2


def test_with_a_batch_of_one_row_each_step_holds_one_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, seen = _second_ingest(tmp_path, monkeypatch, batch_rows=1)
    for step, frame in seen:
        assert frame.get_column("channel_id").n_unique() <= 1, step
        assert frame.height <= LARGEST, step
    assert sum(1 for step, _ in seen if step == "cleaned") == N_CHANNELS


def test_small_channels_are_batched_whole_within_the_batch_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, seen = _second_ingest(tmp_path, monkeypatch, batch_rows=14)
    cleaned = [frame for step, frame in seen if step == "cleaned"]
    # Stored + incoming rows per channel: 6, 8, 10, 12, 14; batches [6 + 8], [10], [12], [14].
    assert [sorted(set(f["channel_id"].to_list())) for f in cleaned] == [
        [100, 101], [102], [103], [104]]
    assert sum(f.height for f in cleaned) == summary.total_messages
    for step, frame in seen:
        assert frame.height <= 14, step


def test_channel_batches_keep_channels_whole_and_in_order() -> None:
    batches = per_channel.channel_batches({3: 4, 1: 2}, {2: 3, 1: 1, 9: 50}, batch_rows=6)
    assert batches == [[1, 2], [3], [9]]
    assert per_channel.channel_batches({}, {}, batch_rows=6) == []


def test_the_per_channel_ingest_writes_what_the_whole_corpus_build_gives(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_ingest([_write_exports(tmp_path / "first")], data, CleaningConfig())
    run_ingest([_write_exports(tmp_path / "second", first_id=3)], data, CleaningConfig())
    whole = build_final(pl.read_parquet(data / "cleaned" / "messages.parquet"))
    for name, table in whole.items():
        assert pl.read_parquet(data / "final" / name).equals(table), name
    parsed = pl.read_parquet(data / "parsed" / "messages.parquet")
    assert parsed.equals(parsed.sort(["channel_id", "message_id"]))
    assert parsed.get_column("uid").is_unique().all()
