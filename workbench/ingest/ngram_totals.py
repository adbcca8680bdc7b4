"""``ngrams.parquet`` and ``word_freq.parquet``: the corpus-wide n-gram counts, summed on disk.

Each batch of channels hands over its n-gram counts (:attr:`~workbench.ingest.stats.ChannelFinal.ngrams`),
which are written as a run sorted by (n, n-gram). At the end the runs are merged and equal
n-grams summed (:func:`~workbench.ingest.external_sort.merge_runs`), the totals are cut into runs
sorted the way ``ngrams.parquet`` is (n, count descending, n-gram) and merged again into the
file. No step holds the corpus' distinct n-grams: memory follows
:data:`~workbench.ingest.external_sort.SORT_ROWS` and the merge's buffers, however large the corpus.
The rows are those :func:`~workbench.ingest.stats.corpus_ngrams` builds in memory.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.ingest.external_sort import Order, merge_runs, sort_into_runs, write_run
from workbench.ingest.parquet_stream import ParquetAppender
from workbench.ingest.stats import COUNT_SCHEMA, FINAL_SCHEMAS, word_freq

#: Partial counts: one row per (n, n-gram) in a batch, summed across batches.
COUNT_ORDER = Order(COUNT_SCHEMA, ("n", "ngram"), (False, False), total="count")
#: The order of ``ngrams.parquet``: by n, then count descending, then n-gram.
RANK_ORDER = Order(FINAL_SCHEMAS["ngrams.parquet"], ("n", "count", "ngram"), (False, True, False))


class NgramTotals:
    """The n-gram counts of every batch so far, as runs in ``work``.

    Parameters
    ----------
    work
        A scratch folder (created when missing); its runs are removed as they are merged.
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.work.mkdir(parents=True, exist_ok=True)
        self.tokens = 0
        self._runs: list[Path] = []

    def add(self, counts: pl.DataFrame, tokens: int) -> None:
        """Add one batch's counts (:data:`COUNT_SCHEMA`, one row per n-gram) and token total."""
        # The batch's own table (what channel_final returned): sorted where it is held.
        ordered = counts.sort(list(COUNT_ORDER.keys))
        self._runs.append(write_run(self.work / f"counts-{len(self._runs)}.parquet",
                                    [ordered], COUNT_ORDER))
        self.tokens += tokens

    def write(self, final: Path, *, min_count: int = 1) -> dict[str, int]:
        """Write ``final/ngrams.parquet`` and ``final/word_freq.parquet``; return their rows.

        ``min_count`` as in :func:`~workbench.ingest.stats.build_final`.
        """
        totals = merge_runs(self._runs, COUNT_ORDER, self.work, "totals", combine=True)
        kept = (frame.filter(pl.col("count") >= min_count) for frame in totals)
        ranked = sort_into_runs(kept, RANK_ORDER, self.work, "ranked")
        with (ParquetAppender(final / "ngrams.parquet", RANK_ORDER.schema) as ngrams,
              ParquetAppender(final / "word_freq.parquet",
                              FINAL_SCHEMAS["word_freq.parquet"]) as words):
            for chunk in merge_runs(ranked, RANK_ORDER, self.work, "ranked"):
                ngrams.write(chunk)
                words.write(word_freq(chunk, self.tokens))
        return {"ngrams.parquet": ngrams.rows, "word_freq.parquet": words.rows}
