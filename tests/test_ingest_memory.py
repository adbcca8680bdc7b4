"""Ingest's memory follows the largest channel: no step holds more than one channel's rows.

Peak RSS is not asserted (it depends on the allocator and the machine); instead every step
that materialises messages is watched, and each must see one channel, however many exports
and channels the ingest has. The streamed concatenations are checked by the outputs equaling
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


def test_no_ingest_step_holds_more_than_one_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    run_ingest([_write_exports(tmp_path / "first")], data, CleaningConfig())
    seen = _watch(monkeypatch)
    # The second ingest merges new and re-exported messages with every channel already there.
    summary = run_ingest([_write_exports(tmp_path / "second", first_id=3)], data,
                         CleaningConfig())
    largest = 3 + N_CHANNELS - 1 + 2  # the last channel, ids 1..(largest) after the merge
    assert summary.total_messages == sum(3 + c + 2 for c in range(N_CHANNELS))
    steps = {step for step, _ in seen}
    assert steps == {"existing", "incoming", "cleaned", "read"}
    for step, frame in seen:
        assert frame.get_column("channel_id").n_unique() <= 1, step
        assert frame.height <= largest, step
    assert sum(1 for step, _ in seen if step == "cleaned") == N_CHANNELS


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
