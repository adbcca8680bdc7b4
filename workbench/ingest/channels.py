"""The per-channel pass of an ingest: merge, clean and count whole channels, a batch at a time.

Message uids are channel-scoped, so each channel's staged parts and its rows already in
``parsed/`` are merged on their own; the merged rows are cleaned and counted right away, and each
result is appended to its staged file (a Parquet writer left open over the whole pass), in
channel order, which is the order the stage files promise. Small channels go together in batches
of up to :data:`BATCH_ROWS` rows (a query has a fixed cost); a larger channel is a batch of its
own. The corpus-wide n-gram sums are merged on disk from the batches' count tables at the end
(:mod:`workbench.ingest.ngram_totals`). Memory follows the largest batch (the batch size or the
largest channel), never the whole corpus.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.core.config import CleaningConfig
from workbench.core.io import iter_parquet_checked, read_parquet_checked
from workbench.core.layout import Layout
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA, empty_frame
from workbench.ingest.clean import clean_lazy
from workbench.ingest.ngram_totals import NgramTotals
from workbench.ingest.parquet_stream import ParquetAppender
from workbench.ingest.stats import FINAL_SCHEMAS, channel_final, words_by_channel

#: Rows of small channels processed together (a 40 MB export holds about 50,000 messages).
BATCH_ROWS = 50_000

#: What to do when a previous ingest's output cannot be read back.
REINGEST = "move it away and run `workbench ingest` again on all your exports"


@dataclass
class MergeResult:
    """What the per-channel pass merged, for the summary and the manifests."""

    incoming: int = 0
    """Rows read from this ingest's exports."""
    new: int = 0
    """Distinct incoming uids not in ``parsed/`` before."""
    updated: int = 0
    """Known messages whose text, date or edit time changed."""
    duplicates: int = 0
    """Rows merged away (existing + incoming - merged)."""
    total: int = 0
    """Rows of the new ``parsed/messages.parquet``."""
    channel_rows: list[dict[str, object]] = field(default_factory=list)
    """Rows per (``channel_id``, ``channel_name``), by channel: the parsed manifest's channels."""
    empty_texts: int = 0
    """Cleaned rows with ``is_empty``."""
    final_rows: dict[str, int] = field(default_factory=dict)
    """Rows of each ``final/`` table, by file name."""


def merge_messages(existing: pl.DataFrame, incoming: pl.DataFrame) -> pl.DataFrame:
    """Union on ``uid``; per uid the newest edit wins, and on a tie the incoming row.

    A message never edited counts as older than any edit of it, so an export taken before an
    edit never undoes it. Its ``date`` does not decide: Telegram never changes a message's date,
    and an export re-read with a corrected ``ingest.export_timezone`` must replace the dates
    read before.

    Returns the merged frame sorted by channel and message id (a stable, diffable order).
    """
    if existing.is_empty() and incoming.get_column("uid").is_unique().all():
        return incoming.sort(["channel_id", "message_id"])
    both = pl.concat(
        [
            existing.with_columns(pl.lit(0, pl.Int32).alias("_order")),
            incoming.with_row_index("_i").with_columns((pl.col("_i") + 1).cast(pl.Int32)
                                                       .alias("_order")).drop("_i"),
        ],
        how="vertical",
    )
    return (
        both.sort(["edited", "_order"], nulls_last=False)
        .unique(subset="uid", keep="last", maintain_order=False)
        .drop("_order")
        .sort(["channel_id", "message_id"])
    )


def channel_batches(existing: Mapping[int, int], incoming: Mapping[int, int],
                    batch_rows: int) -> list[list[int]]:
    """Channel ids in ascending order, grouped into batches of whole channels.

    A batch takes the next channel while its rows (already stored plus incoming) stay within
    ``batch_rows``; a channel larger than that is a batch of its own.
    """
    batches: list[list[int]] = []
    held = 0
    for cid in sorted({*existing, *incoming}):
        size = existing.get(cid, 0) + incoming.get(cid, 0)
        if not batches or held + size > batch_rows:
            batches.append([])
            held = 0
        batches[-1].append(cid)
        held += size
    return batches


def merge_by_channel(
    current: Layout, out: Layout, work: Path, parts: Mapping[int, Sequence[Path]],
    cleaning: CleaningConfig, batch_rows: int | None = None,
) -> MergeResult:
    """Write ``out``'s parsed messages, cleaned messages and final tables, channel by channel.

    Parameters
    ----------
    current
        The data dir: its ``parsed/messages.parquet`` (when present) is merged in.
    out
        The staged outputs (manifests are the caller's).
    work
        A scratch folder in the staging area (the channels' n-gram counts go there).
    parts
        This ingest's staged message parts per channel id, in input order.
    cleaning
        Cleaning options for ``cleaned/``.
    batch_rows
        Small channels are processed together up to this many rows (default
        :data:`BATCH_ROWS`) (each query has a fixed
        cost, the regex compilations among them); see :func:`channel_batches`.
    """
    previous = current.parsed_messages
    sizes = _stored_channel_sizes(previous) if previous.exists() else {}
    incoming_sizes = {cid: sum(_rows(p) for p in paths) for cid, paths in parts.items()}
    result = MergeResult()
    ngrams = NgramTotals(work)
    with contextlib.ExitStack() as stack:
        def writer(dest: Path, schema: Mapping[str, pl.DataType]) -> ParquetAppender:
            return stack.enter_context(ParquetAppender(dest, schema))

        parsed = writer(out.parsed_messages, PARSED_SCHEMA)
        cleaned_out = writer(out.cleaned_messages, CLEANED_SCHEMA)
        by_channel = writer(out.final / "ngrams_by_channel.parquet",
                            FINAL_SCHEMAS["ngrams_by_channel.parquet"])
        words = writer(out.final / "word_freq_by_channel.parquet",
                       FINAL_SCHEMAS["word_freq_by_channel.parquet"])
        stats = writer(out.final / "channel_stats.parquet",
                       FINAL_SCHEMAS["channel_stats.parquet"])
        for batch in channel_batches(sizes, incoming_sizes,
                                     batch_rows or BATCH_ROWS):
            existing = (read_parquet_checked(previous, hint=REINGEST, schema=PARSED_SCHEMA,
                                             remedy=REINGEST,
                                             where=pl.col("channel_id").is_in(batch))
                        if any(cid in sizes for cid in batch) else empty_frame(PARSED_SCHEMA))
            incoming = _read_parts([p for cid in batch for p in parts.get(cid, ())])
            merged = merge_messages(existing, incoming)
            _count_merge(result, existing, incoming, merged)
            del existing, incoming
            parsed.write(merged)
            cleaned = clean_lazy(merged.lazy(), cleaning).collect()
            del merged
            cleaned_out.write(cleaned)
            result.empty_texts += int(cleaned.get_column("is_empty").sum())
            final = channel_final(cleaned)
            del cleaned
            by_channel.write(final.by_channel)
            words.write(words_by_channel(final.by_channel.lazy()).collect())
            stats.write(final.stats)
            ngrams.add(final.ngrams, final.tokens)
    rows = {"ngrams_by_channel.parquet": by_channel.rows,
            "word_freq_by_channel.parquet": words.rows,
            "channel_stats.parquet": stats.rows}
    rows |= ngrams.write(out.final)
    result.final_rows = {name: rows[name] for name in FINAL_SCHEMAS}
    return result


def _stored_channel_sizes(previous: Path) -> dict[int, int]:
    """Rows per channel in ``parsed/messages.parquet``, read a row group at a time."""
    sizes: Counter[int] = Counter()
    for chunk in iter_parquet_checked(previous, REINGEST, schema={"channel_id": pl.Int64},
                                      remedy=REINGEST):
        counts = chunk.group_by("channel_id").len()
        sizes.update(dict(zip(counts["channel_id"].to_list(), counts["len"].to_list(),
                              strict=True)))
    return dict(sizes)


def _rows(part: Path) -> int:
    return int(pl.scan_parquet(part).select(pl.len()).collect().item())


def _read_parts(paths: Sequence[Path]) -> pl.DataFrame:
    if not paths:
        return empty_frame(PARSED_SCHEMA)
    return pl.read_parquet(list(paths)).select(list(PARSED_SCHEMA)).cast(PARSED_SCHEMA)  # type: ignore[arg-type]


def _count_merge(result: MergeResult, existing: pl.DataFrame, incoming: pl.DataFrame,
                 merged: pl.DataFrame) -> None:
    incoming_uids = incoming.get_column("uid").unique()
    seen = incoming_uids.is_in(existing.get_column("uid").implode())
    result.incoming += incoming.height
    result.new += int((~seen).sum())
    result.updated += _count_updated(existing, merged, incoming_uids.filter(seen))
    result.duplicates += existing.height + incoming.height - merged.height
    result.total += merged.height
    names = merged.group_by("channel_id", "channel_name").len().sort("channel_id", "channel_name")
    result.channel_rows.extend(names.to_dicts())


def _count_updated(existing: pl.DataFrame, merged: pl.DataFrame, overlap: pl.Series) -> int:
    """How many already-known messages changed text, date or edit time in this ingest."""
    if overlap.is_empty():
        return 0
    cols = ["uid", "text", "date", "edited"]
    before = existing.filter(pl.col("uid").is_in(overlap.implode())).select(cols)
    after = merged.filter(pl.col("uid").is_in(overlap.implode())).select(cols)
    joined = before.join(after, on="uid", suffix="_new")
    changed = joined.filter(
        (pl.col("text") != pl.col("text_new")) | (pl.col("date") != pl.col("date_new"))
        | pl.col("edited").ne_missing(pl.col("edited_new"))
    )
    return changed.height
