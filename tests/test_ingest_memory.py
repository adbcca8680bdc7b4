"""Ingest's memory follows the largest channel: no step holds more than a batch of channels.

Peak RSS is not asserted (it depends on the allocator and the machine); instead every step
that materialises messages is watched, and each must see whole channels within the batch size
(or one channel larger than it), however many exports and channels the ingest has. The
corpus-wide n-gram sums and the quarantine are watched the same way: every frame they hold is
within the spill sizes (:mod:`workbench.ingest.external_sort`) or one export's quarantine. The
streamed concatenations are checked by the outputs equaling the in-memory build
(tests/test_stats.py, tests/test_ingest_pipeline.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.exports import export, message, write
from workbench.core.config import CleaningConfig
from workbench.ingest import channels as per_channel
from workbench.ingest import external_sort, quarantine
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


def test_the_ngram_sums_are_merged_on_disk_a_bounded_chunk_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    run_ingest([_write_exports(tmp_path / "first")], data, CleaningConfig())
    monkeypatch.setattr(per_channel, "BATCH_ROWS", 1)  # one count run per channel: 5 runs
    monkeypatch.setattr(external_sort, "READ_ROWS", 4)
    monkeypatch.setattr(external_sort, "FAN_IN", 3)
    monkeypatch.setattr(external_sort, "SORT_ROWS", 10)
    held: list[int] = []
    runs: list[str] = []
    real_arrange, real_run = external_sort.arrange, external_sort.write_run

    def arrange(frame: pl.DataFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        held.append(frame.height)
        return real_arrange(frame, *args, **kwargs)

    def write_run(path: Path, *args: Any) -> Path:
        runs.append(path.name)
        return real_run(path, *args)

    monkeypatch.setattr(external_sort, "arrange", arrange)
    monkeypatch.setattr(external_sort, "write_run", write_run)
    run_ingest([_write_exports(tmp_path / "second", first_id=3)], data, CleaningConfig())

    whole = build_final(pl.read_parquet(data / "cleaned" / "messages.parquet"))
    for name, table in whole.items():
        assert pl.read_parquet(data / "final" / name).equals(table), name
    bound = max(external_sort.SORT_ROWS, external_sort.FAN_IN * external_sort.READ_ROWS)
    assert whole["ngrams.parquet"].height > 4 * bound  # far more n-grams than any step holds
    assert held
    assert max(held) <= bound
    # 5 count runs > FAN_IN: merged in passes; the ranked totals are cut into several runs.
    assert any(name.startswith("totals-pass") for name in runs)
    assert sum(name.startswith("ranked-") for name in runs) > external_sort.FAN_IN


def _quarantining_export(root: Path, cid: int, first_id: int, bad: int) -> Path:
    messages = [message(first_id + i, f"ሰላም {cid} {i}") for i in range(3)]
    messages += [{"id": first_id + 10 + i, "type": "message", "text": i, "date_unixtime": "1"}
                 for i in range(bad)]  # text of a wrong type: quarantined
    return write(root / "result.json", export(messages, cid=cid, name=f"Shop {cid}"))


def test_the_quarantine_is_streamed_and_the_newest_row_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [_quarantining_export(tmp_path / "a", 100, 1, bad=3),
             _quarantining_export(tmp_path / "b", 101, 1, bad=4)]
    again = tmp_path / "again"  # a's bytes under another path, given twice in the second ingest
    again.mkdir()
    (again / "result.json").write_bytes(first[0].read_bytes())
    second = [again, _quarantining_export(tmp_path / "c", 102, 1, bad=2), first[0]]
    data, fresh = tmp_path / "data", tmp_path / "fresh"
    run_ingest(first, data, CleaningConfig())
    stored = pl.read_parquet(data / "parsed" / "quarantine.parquet")
    run_ingest(second, fresh, CleaningConfig())
    expected = (pl.concat([stored, pl.read_parquet(fresh / "parsed" / "quarantine.parquet")])
                .unique(subset=["source_sha256", "index"], keep="last", maintain_order=True))

    chunks: list[pl.DataFrame] = []
    parts: list[pl.DataFrame] = []
    real_iter, real_part = quarantine.iter_parquet_checked, quarantine._read_part

    def iter_checked(path: Path, *args: Any, **kwargs: Any) -> Any:
        for chunk in real_iter(path, *args, **{**kwargs, "batch_rows": 2}):
            chunks.append(chunk)
            yield chunk

    def read_part(path: Path) -> pl.DataFrame:
        parts.append(real_part(path))
        return parts[-1]

    monkeypatch.setattr(quarantine, "iter_parquet_checked", iter_checked)
    monkeypatch.setattr(quarantine, "_read_part", read_part)
    summary = run_ingest(second, data, CleaningConfig())

    merged = pl.read_parquet(data / "parsed" / "quarantine.parquet")
    assert merged.equals(expected)
    assert merged.height == 4 + 3 + 2  # b's stored rows, then a's (re-ingested) and c's
    assert merged.item(-1, "source") == str(first[0])  # the last path of a's bytes wins
    assert summary.quarantined == 3 + 2 + 3
    # The stored file was read 2 rows at a time, and each new part is one export's rows.
    assert len(chunks) == 4
    assert max(c.height for c in chunks) <= 2
    assert sorted(p.height for p in parts) == [2, 3]
