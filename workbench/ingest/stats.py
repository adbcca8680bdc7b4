"""The final stage: word frequencies, n-grams and per-channel statistics of the cleaned messages.

All tables come from ``text_norm`` (homophones unified, lower-cased) so spelling variants of the
same word count together. Tokens are runs of letters, marks and digits (see
:data:`~workbench.core.amharic.patterns.TOKEN_PATTERN`): whitespace, Latin and Ethiopic punctuation
(። ፣ ፤ ፥ ፦ ፧ ፡) separate them, and "1,500" stays one token.

N-grams never cross a message boundary: tokens are exploded one row per occurrence (rows of a
message stay contiguous), the k-th next token is ``shift(-k)`` and is kept only where the message
row index shifted the same way is equal: ``shift(-k).over("uid")`` without a window. Tokens are
replaced by integer ids first and each (channel, n-gram) is packed into one integer, so the heavy
counting never hashes strings (see :func:`_count_ngrams`).

Everything is counted a few whole channels at a time (:func:`channel_final`) and the corpus-wide
tables are sums of those count tables (:func:`corpus_ngrams`), so memory follows the largest batch
of channels, not the corpus; ingest streams the batches' pieces to disk and sums the n-gram
counts there (:mod:`workbench.ingest.ngram_totals`); :func:`build_final` is the same assembly in
memory, one channel at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from workbench.core.amharic.patterns import TOKEN_PATTERN
from workbench.core.schemas import UTC_DATETIME, require_columns

#: Schemas of the files written to ``DIR/final/``, keyed by file name.
FINAL_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "word_freq.parquet": {"token": pl.Utf8, "count": pl.Int64, "overall": pl.Float64},
    "word_freq_by_channel.parquet": {
        "channel_id": pl.Int64,
        "channel_name": pl.Utf8,
        "token": pl.Utf8,
        "count": pl.Int64,
    },
    "ngrams.parquet": {"n": pl.Int8, "ngram": pl.Utf8, "count": pl.Int64},
    "ngrams_by_channel.parquet": {
        "channel_id": pl.Int64,
        "channel_name": pl.Utf8,
        "n": pl.Int8,
        "ngram": pl.Utf8,
        "count": pl.Int64,
    },
    "channel_stats.parquet": {
        "channel_id": pl.Int64,
        "channel_name": pl.Utf8,
        "messages": pl.Int64,
        "first_date": UTC_DATETIME,
        "last_date": UTC_DATETIME,
        "share_with_phone": pl.Float64,
        "share_with_link": pl.Float64,
        "share_with_price": pl.Float64,
        "median_n_chars": pl.Float64,
        "share_empty": pl.Float64,
        "mean_ethiopic_ratio": pl.Float64,
        "n_forwarded": pl.Int64,
    },
}

#: Columns of the cleaned frame that :func:`build_final` reads.
REQUIRED_COLUMNS = (
    "channel_id", "channel_name", "date", "forwarded_from", "text_norm", "phones",
    "links", "prices", "n_chars", "is_empty", "ethiopic_ratio",
)

#: N-gram orders written to ``ngrams*.parquet``.
NGRAM_ORDERS = (1, 2, 3)  # 1 must come first: the word tables are the unigram tables


def tokenize(text: pl.Expr) -> pl.Expr:
    """The token list of each text (see the module docstring)."""
    return text.fill_null("").str.extract_all(TOKEN_PATTERN)


def _channel_names(cleaned: pl.LazyFrame) -> pl.DataFrame:
    # A channel may be renamed between exports: report its most recent title.
    return cleaned.group_by("channel_id").agg(
        channel_name=pl.col("channel_name").sort_by("date", nulls_last=False).last()
    ).collect()


def _token_rows(cleaned: pl.LazyFrame) -> tuple[pl.DataFrame, pl.Series]:
    """One row per token occurrence, with small integer ids instead of strings.

    Returns
    -------
    rows
        ``_msg`` (message row, contiguous), ``_ch`` (index into the sorted distinct
        ``channel_id`` values), ``_tok`` (token id); token order inside a message is kept.
    vocab
        Token strings; ``vocab[i]`` is token id ``i``. Ids follow lexicographic token order, so
        every table built from them has a deterministic order for ties.
    """
    rows = (
        cleaned
        .select(
            _ch=(pl.col("channel_id").rank("dense") - 1).cast(pl.UInt32),
            tokens=tokenize(pl.col("text_norm")),
        )
        .with_row_index("_msg")
        .explode("tokens")
        .drop_nulls("tokens")
        # Categorical: one hash per occurrence, and 4 bytes per row instead of a string (the
        # token strings of a large corpus would dominate ingest's peak memory).
        .select("_msg", "_ch", _cat=pl.col("tokens").cast(pl.Categorical))
        .collect()
    )
    distinct = rows.get_column("_cat").unique()
    codes = pl.DataFrame(
        {"_code": distinct.to_physical(), "tokens": distinct.cast(pl.Utf8)}
    ).sort("tokens")
    rows = rows.select("_msg", "_ch", _code=pl.col("_cat").to_physical())
    # Categorical codes are not dense (and their order depends on what the process cast
    # before): map them to lexicographic ranks through a lookup array indexed by code.
    size = int(codes["_code"].max() or 0) + 1
    lookup = pl.zeros(size, dtype=pl.UInt32, eager=True).scatter(
        codes["_code"], pl.int_range(codes.height, dtype=pl.UInt32, eager=True)
    )
    rows = rows.select("_msg", "_ch", _tok=pl.lit(lookup).gather(pl.col("_code")))
    return rows, codes["tokens"]


class _Packing:
    """Bit layout of one (channel, n-gram) key: channel index, then ``n`` token ids."""

    def __init__(self, n: int, n_tokens: int, n_channels: int) -> None:
        self.n = n
        self.tok_bits = max(1, (n_tokens - 1).bit_length())
        bits = max(1, (n_channels - 1).bit_length()) + n * self.tok_bits
        if bits > 128:  # pragma: no cover - needs > 2**41 distinct tokens
            msg = f"{n_tokens} distinct tokens are too many to count {n}-grams"
            raise ValueError(msg)
        self.dtype = pl.UInt64 if bits <= 64 else pl.UInt128

    def lit(self, value: int) -> pl.Expr:
        return pl.lit(value, dtype=self.dtype)

    def key(self) -> pl.Expr:
        """The packed key of the n-gram starting at each token row."""
        key = pl.col("_ch").cast(self.dtype)
        for k in range(self.n):
            key = key * self.lit(1 << self.tok_bits) + pl.col("_tok").shift(-k).cast(self.dtype)
        return key

    def channel(self, key: pl.Expr) -> pl.Expr:
        return (key // self.lit(1 << (self.tok_bits * self.n))).cast(pl.UInt32)

    def tokens_part(self, key: pl.Expr) -> pl.Expr:
        """The key without its channel: identifies the n-gram corpus-wide."""
        return key % self.lit(1 << (self.tok_bits * self.n))

    def ngram(self, key: pl.Expr, vocab: pl.Series) -> pl.Expr:
        """The n-gram text of a key: its tokens joined by one space."""
        mask = self.lit(1 << self.tok_bits)
        parts = [
            pl.lit(vocab).gather(
                (key // self.lit(1 << (self.tok_bits * (self.n - 1 - k))) % mask).cast(pl.UInt32)
            )
            for k in range(self.n)
        ]
        return pl.concat_str(parts, separator=" ")


def _count_ngrams(
    rows: pl.DataFrame, n: int, vocab: pl.Series, channels: pl.DataFrame, min_count: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Corpus-wide and per-channel counts of the n-grams of ``rows``.

    Each n-gram is packed with its channel into one unsigned integer, counted by sort +
    run-length encoding (2-4x faster than a multi-column or string ``group_by`` at millions of
    distinct keys, measured), and only the distinct n-grams kept are turned back into strings.
    Ties in count keep key order, i.e. token-id (lexicographic) order.
    """
    pack = _Packing(n, len(vocab), channels.height)
    # The k-th next row belongs to the same message exactly when its _msg is equal (rows are
    # contiguous per message): shift(-k).over(message) without a window. The shifts must see
    # every row, so the key is built before the filter.
    same_message = pl.col("_msg").shift(-(n - 1)) == pl.col("_msg")
    keys = (
        rows.lazy()
        .select(_key=pack.key(), _keep=same_message)
        .filter(pl.col("_keep"))
        .select("_key")
        .sort("_key")
        .collect()
    )
    # Run-length encoded on the collected frame: inside the lazy query Polars 2.1's streaming
    # RLE node panics ("chunks.len() == 1") on some small inputs (three two-word messages).
    runs = (
        keys.select(pl.col("_key").rle())
        .unnest("_key")
        .select(key="value", count=pl.col("len").cast(pl.Int64))
    )
    overall = (
        runs.lazy()
        .group_by(pack.tokens_part(pl.col("key")))
        .agg(pl.col("count").sum())
        .filter(pl.col("count") >= min_count)
        .sort(["count", "key"], descending=[True, False])
        .select(n=pl.lit(n, dtype=pl.Int8), ngram=pack.ngram(pl.col("key"), vocab), count="count")
        .collect()
    )
    ch = pack.channel(pl.col("key"))
    by_channel = (
        runs.lazy()
        .filter(pl.col("count") >= min_count)
        .sort([ch, pl.col("count")], descending=[False, True], maintain_order=True)
        .select(
            channel_id=pl.lit(channels["channel_id"]).gather(ch),
            channel_name=pl.lit(channels["channel_name"]).gather(ch),
            n=pl.lit(n, dtype=pl.Int8),
            ngram=pack.ngram(pl.col("key"), vocab),
            count="count",
        )
        .collect()
    )
    return overall, by_channel


#: Columns of one channel's n-gram counts (:attr:`ChannelFinal.ngrams`).
COUNT_SCHEMA: dict[str, pl.DataType] = {"n": pl.Int8, "ngram": pl.Utf8, "count": pl.Int64}


@dataclass(frozen=True)
class ChannelFinal:
    """Some channels' share of the final tables (whole channels: never part of one)."""

    ngrams: pl.DataFrame
    """Every n-gram of these channels together (:data:`COUNT_SCHEMA`, no ``min_count``):
    summed with the other channels' for ``ngrams.parquet``."""
    by_channel: pl.DataFrame
    """The channels' rows of ``ngrams_by_channel.parquet`` (``min_count`` applied)."""
    stats: pl.DataFrame
    """The channels' rows of ``channel_stats.parquet``."""
    tokens: int
    """Token occurrences in the channels (the denominator of ``word_freq``'s ``overall``)."""


def channel_final(cleaned: pl.DataFrame | pl.LazyFrame, *, min_count: int = 1) -> ChannelFinal:
    """Count the n-grams and statistics of some whole channels.

    Parameters
    ----------
    cleaned
        The cleaned rows of one or more channels (every row of each), in the cleaned file's
        order.
    min_count
        As in :func:`build_final` (applied to :attr:`ChannelFinal.by_channel` only).
    """
    frame = cleaned.lazy()
    names = _channel_names(frame).sort("channel_id")
    rows, vocab = _token_rows(frame)
    counted = [_count_ngrams(rows, n, vocab, names, 1) for n in NGRAM_ORDERS]
    ngrams = _cast(pl.concat([overall for overall, _ in counted]), COUNT_SCHEMA)
    # Per-n tables are each sorted by channel; a stable sort on the channel interleaves them.
    by_channel = (
        pl.concat([by_channel for _, by_channel in counted])
        .filter(pl.col("count") >= min_count)
        .sort("channel_id", maintain_order=True)
    )
    not_empty = ~pl.col("is_empty")
    stats = (
        frame.group_by("channel_id")
        .agg(
            messages=pl.len(),
            first_date=pl.col("date").min(),
            last_date=pl.col("date").max(),
            share_with_phone=(pl.col("phones").list.len() > 0).mean(),
            share_with_link=(pl.col("links").list.len() > 0).mean(),
            share_with_price=(pl.col("prices").list.len() > 0).mean(),
            median_n_chars=pl.col("n_chars").median(),
            share_empty=pl.col("is_empty").mean(),
            mean_ethiopic_ratio=pl.col("ethiopic_ratio").filter(not_empty).mean(),
            n_forwarded=pl.col("forwarded_from").is_not_null().sum(),
        )
        .collect()
        .join(names, on="channel_id", how="left")
        .sort("channel_id")
    )
    return ChannelFinal(
        ngrams=ngrams,
        by_channel=_cast(by_channel, FINAL_SCHEMAS["ngrams_by_channel.parquet"]),
        stats=_cast(stats, FINAL_SCHEMAS["channel_stats.parquet"]),
        tokens=rows.height,
    )


def corpus_ngrams(counts: pl.LazyFrame, *, min_count: int = 1) -> pl.DataFrame:
    """``ngrams.parquet``: the channels' :attr:`ChannelFinal.ngrams` summed per n-gram.

    One n at a time, so at most one order's distinct n-grams are held. Sorted by n, count
    descending, then lexicographically (tokens never hold a space or anything below it, so
    the joined text sorts as the token sequence).
    """
    tables = [
        counts.filter(pl.col("n") == n)
        .group_by("ngram")
        .agg(pl.col("count").sum())
        .filter(pl.col("count") >= min_count)
        .sort(["count", "ngram"], descending=[True, False])
        .select(n=pl.lit(n, dtype=pl.Int8), ngram="ngram", count="count")
        .collect()
        for n in NGRAM_ORDERS
    ]
    return _cast(pl.concat(tables), FINAL_SCHEMAS["ngrams.parquet"])


def word_freq(ngrams: pl.DataFrame, tokens: int) -> pl.DataFrame:
    """``word_freq.parquet`` from ``ngrams.parquet`` and the corpus' token occurrences."""
    words = ngrams.filter(pl.col("n") == 1).select(token="ngram", count="count")
    return _cast(words.with_columns(overall=pl.col("count") / tokens if tokens else pl.lit(0.0)),
                 FINAL_SCHEMAS["word_freq.parquet"])


def words_by_channel(ngrams_by_channel: pl.LazyFrame) -> pl.LazyFrame:
    """``word_freq_by_channel.parquet``: the unigram rows of ``ngrams_by_channel``."""
    return (ngrams_by_channel.filter(pl.col("n") == 1).rename({"ngram": "token"})
            .select(list(FINAL_SCHEMAS["word_freq_by_channel.parquet"])))


def channel_ids(cleaned: pl.DataFrame | pl.LazyFrame) -> list[int]:
    """The distinct ``channel_id`` values, ascending (the order of every by-channel table)."""
    ids = cleaned.lazy().select(pl.col("channel_id").unique().sort()).collect()
    return ids.get_column("channel_id").to_list()


def build_final(
    cleaned: pl.DataFrame | pl.LazyFrame, *, min_count: int = 1
) -> dict[str, pl.DataFrame]:
    """Build the tables of ``DIR/final/`` from a cleaned frame.

    Parameters
    ----------
    cleaned
        A frame with the :data:`~workbench.core.schemas.CLEANED_SCHEMA` columns (at least
        :data:`REQUIRED_COLUMNS`).
    min_count
        Rows of the frequency and n-gram tables with a smaller count are left out (1 keeps all;
        raise it to shrink ``ngrams_by_channel`` on very large corpora). ``overall`` in
        ``word_freq`` is always relative to all tokens.

    Returns
    -------
    dict[str, pl.DataFrame]
        File name -> table, with the schemas in :data:`FINAL_SCHEMAS`:

        * ``word_freq.parquet``: ``token``, ``count``, ``overall`` (= count / all tokens of the
          corpus, a relative frequency);
        * ``word_freq_by_channel.parquet``: ``channel_id``, ``channel_name``, ``token``,
          ``count``;
        * ``ngrams.parquet``: ``n`` (1..3), ``ngram`` (tokens joined by one space), ``count``;
          ``ngrams_by_channel.parquet`` adds ``channel_id`` and ``channel_name`` in front;
        * ``channel_stats.parquet``: per channel, ``messages`` (all rows, empty ones included),
          ``first_date``/``last_date``, the share of messages with at least one phone / link /
          price, ``median_n_chars``, ``share_empty``, ``mean_ethiopic_ratio`` (over non-empty
          messages only, so photo-only posts do not drag it to 0; null when a channel has none)
          and ``n_forwarded`` (rows with ``forwarded_from`` set).

        Count tables are sorted by channel (where present), then n, then count descending, ties
        in lexicographic token order. N-grams never cross a message boundary; unigrams are the
        word counts. ``channel_name`` is the channel's most recent title.

    Raises
    ------
    DataContractError
        When a required column is missing.
    ValueError
        When ``min_count`` is below 1.
    """
    if min_count < 1:
        msg = f"min_count must be at least 1, got {min_count}"
        raise ValueError(msg)
    require_columns(cleaned, REQUIRED_COLUMNS, "build_final input")
    frame = cleaned.lazy()
    channels = [channel_final(frame.filter(pl.col("channel_id") == cid), min_count=min_count)
                for cid in channel_ids(frame)]
    return assemble_final(channels, min_count=min_count)


def assemble_final(channels: Iterable[ChannelFinal], *, min_count: int = 1
                   ) -> dict[str, pl.DataFrame]:
    """The tables of :func:`build_final` from its channels' pieces, in channel order."""
    pieces = list(channels)
    ngrams_by_channel = _concat([c.by_channel for c in pieces],
                                FINAL_SCHEMAS["ngrams_by_channel.parquet"])
    ngrams = corpus_ngrams(_concat([c.ngrams for c in pieces], COUNT_SCHEMA).lazy(),
                           min_count=min_count)
    return {
        "word_freq.parquet": word_freq(ngrams, sum(c.tokens for c in pieces)),
        "word_freq_by_channel.parquet": words_by_channel(ngrams_by_channel.lazy()).collect(),
        "ngrams.parquet": ngrams,
        "ngrams_by_channel.parquet": ngrams_by_channel,
        "channel_stats.parquet": _concat([c.stats for c in pieces],
                                         FINAL_SCHEMAS["channel_stats.parquet"]),
    }


def _cast(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select([pl.col(col).cast(dtype) for col, dtype in schema.items()])


def _concat(frames: list[pl.DataFrame], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
