"""The final stage: word frequencies, n-grams (per channel, never across messages), channel stats."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from workbench.core.config import CleaningConfig
from workbench.core.errors import DataContractError
from workbench.core.schemas import PARSED_SCHEMA
from workbench.ingest.clean import clean_messages
from workbench.ingest.stats import FINAL_SCHEMAS, _count_ngrams, _Packing, build_final, tokenize

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def parsed_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A PARSED_SCHEMA frame; each row gives at least ``channel_id`` and ``text``.

    Optional keys: ``channel_name`` (default "ch<id>"), ``minute`` (date offset, default the row
    number), ``forwarded_from``, ``media_type``.
    """
    data: dict[str, list[Any]] = {name: [] for name in PARSED_SCHEMA}
    for i, row in enumerate(rows):
        cid = row["channel_id"]
        values = {
            "uid": f"{cid}:{i + 1}",
            "channel_id": cid,
            "channel_name": row.get("channel_name", f"ch{cid}"),
            "channel_type": "public_channel",
            "message_id": i + 1,
            "date": T0 + timedelta(minutes=row.get("minute", i)),
            "edited": None,
            "sender": None,
            "sender_id": None,
            "author": None,
            "forwarded_from": row.get("forwarded_from"),
            "reply_to": None,
            "media_type": row.get("media_type"),
            "text": row["text"],
            "entities": [],
            "source": "t/result.json",
            "source_sha256": "abc",
        }
        for name in PARSED_SCHEMA:
            data[name].append(values[name])
    return pl.DataFrame(data, schema=PARSED_SCHEMA)


def final_of(rows: list[dict[str, Any]], **kwargs: Any) -> dict[str, pl.DataFrame]:
    return build_final(clean_messages(parsed_rows(rows), CleaningConfig()), **kwargs)


# Tiny corpus, counted by hand. text_norm: "ሀ ለ ሀ" | "ሀ ለ መ" | "ሀ ለ" | "" (photo).
CORPUS = [
    {"channel_id": 1, "text": "ሐ ለ ሀ"},  # ሐ unifies to ሀ
    {"channel_id": 1, "text": "ሀ፡ለ።መ 🔥"},  # Ethiopic punctuation separates tokens
    {"channel_id": 2, "text": "ሀ, ለ!"},
    {"channel_id": 2, "text": "", "media_type": "photo"},
]


def as_rows(df: pl.DataFrame, *cols: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in df.select(cols).iter_rows()]


def test_schemas_and_keys() -> None:
    out = final_of(CORPUS)
    assert set(out) == set(FINAL_SCHEMAS)
    for name, schema in FINAL_SCHEMAS.items():
        assert dict(out[name].schema) == schema, name


def test_word_freq_hand_computed() -> None:
    out = final_of(CORPUS)
    assert as_rows(out["word_freq.parquet"], "token", "count", "overall") == [
        ("ሀ", 4, 0.5),
        ("ለ", 3, 0.375),
        ("መ", 1, 0.125),
    ]
    assert as_rows(out["word_freq_by_channel.parquet"], "channel_id", "channel_name", "token",
                   "count") == [
        (1, "ch1", "ሀ", 3),
        (1, "ch1", "ለ", 2),
        (1, "ch1", "መ", 1),
        (2, "ch2", "ሀ", 1),
        (2, "ch2", "ለ", 1),
    ]


def test_ngrams_hand_computed_and_never_cross_messages() -> None:
    out = final_of(CORPUS)
    assert as_rows(out["ngrams.parquet"], "n", "ngram", "count") == [
        (1, "ሀ", 4),
        (1, "ለ", 3),
        (1, "መ", 1),
        (2, "ሀ ለ", 3),
        (2, "ለ ሀ", 1),
        (2, "ለ መ", 1),
        (3, "ሀ ለ ሀ", 1),
        (3, "ሀ ለ መ", 1),
    ]
    # "ሀ ሀ" would join message 1's end to message 2's start; "መ ሀ" message 2 to message 3.
    ngrams = set(out["ngrams.parquet"]["ngram"])
    assert "ሀ ሀ" not in ngrams
    assert "መ ሀ" not in ngrams
    assert as_rows(out["ngrams_by_channel.parquet"], "channel_id", "n", "ngram", "count") == [
        (1, 1, "ሀ", 3),
        (1, 1, "ለ", 2),
        (1, 1, "መ", 1),
        (1, 2, "ሀ ለ", 2),
        (1, 2, "ለ ሀ", 1),
        (1, 2, "ለ መ", 1),
        (1, 3, "ሀ ለ ሀ", 1),
        (1, 3, "ሀ ለ መ", 1),
        (2, 1, "ሀ", 1),
        (2, 1, "ለ", 1),
        (2, 2, "ሀ ለ", 1),
    ]
    assert set(out["ngrams_by_channel.parquet"]["channel_name"]) == {"ch1", "ch2"}


def test_distinct_bigrams_and_no_trigram_count() -> None:
    # Three two-word messages: three distinct bigrams and no trigram. Polars 2.1 panicked
    # counting these inside one lazy query (its streaming RLE node).
    out = final_of([{"channel_id": 1, "text": f"ሰላም {i}"} for i in range(1, 4)])
    assert as_rows(out["ngrams.parquet"], "n", "ngram", "count") == [
        (1, "ሰላም", 3), (1, "1", 1), (1, "2", 1), (1, "3", 1),
        (2, "ሰላም 1", 1), (2, "ሰላም 2", 1), (2, "ሰላም 3", 1),
    ]


def test_min_count() -> None:
    out = final_of(CORPUS, min_count=2)
    assert as_rows(out["ngrams.parquet"], "n", "ngram", "count") == [
        (1, "ሀ", 4), (1, "ለ", 3), (2, "ሀ ለ", 3),
    ]
    # The relative frequency stays relative to all tokens.
    assert out["word_freq.parquet"]["overall"].to_list() == [0.5, 0.375]
    assert as_rows(out["ngrams_by_channel.parquet"], "channel_id", "ngram") == [
        (1, "ሀ"), (1, "ለ"), (1, "ሀ ለ"),
    ]
    with pytest.raises(ValueError, match="min_count"):
        final_of(CORPUS, min_count=0)


def test_tokenize() -> None:
    df = pl.DataFrame({"t": ["ዋጋ፦ 1,500 ብር። ok-now (a) 3:30 2.5", "", None]})
    assert df.select(tokenize(pl.col("t")))["t"].to_list() == [
        ["ዋጋ", "1,500", "ብር", "ok", "now", "a", "3:30", "2.5"],
        [],
        [],
    ]


def test_channel_stats_hand_computed() -> None:
    rows = [
        {"channel_id": 100, "channel_name": "Shop", "text": "ዋጋ 1,500 ብር 0911223344", "minute": 0},
        {"channel_id": 100, "channel_name": "Shop", "text": "https://t.me/x abc", "minute": 1,
         "forwarded_from": "Other"},
        {"channel_id": 100, "channel_name": "Shop", "text": "", "minute": 2,
         "media_type": "photo"},
        {"channel_id": 100, "channel_name": "Shop", "text": "ሰላም", "minute": 3},
        # Channel 200 was renamed: the most recent title wins.
        {"channel_id": 200, "channel_name": "News", "text": "ሰላም ab", "minute": 9},
        {"channel_id": 200, "channel_name": "Old News", "text": "", "minute": 5},
    ]
    stats = final_of(rows)["channel_stats.parquet"]
    assert stats["channel_id"].to_list() == [100, 200]
    shop, news = stats.iter_rows(named=True)
    assert shop == {
        "channel_id": 100,
        "channel_name": "Shop",
        "messages": 4,
        "first_date": T0,
        "last_date": T0 + timedelta(minutes=3),
        "share_with_phone": 0.25,
        "share_with_link": 0.25,
        "share_with_price": 0.25,
        # n_chars: 22 ("ዋጋ 1,500 ብር 0911223344"), 3 ("abc"), 0, 3 -> median 3
        "median_n_chars": 3.0,
        "share_empty": 0.25,
        # over non-empty messages: (1.0 + 0.0 + 1.0) / 3
        "mean_ethiopic_ratio": pytest.approx(2 / 3),
        "n_forwarded": 1,
    }
    assert news["channel_name"] == "News"
    assert news["messages"] == 2
    assert news["first_date"] == T0 + timedelta(minutes=5)
    assert news["share_empty"] == 0.5
    assert news["median_n_chars"] == 3.0  # 6 and 0
    assert news["mean_ethiopic_ratio"] == pytest.approx(3 / 5)
    assert news["n_forwarded"] == 0


def test_channel_with_only_empty_messages() -> None:
    out = final_of([{"channel_id": 7, "text": ""}])
    stats = out["channel_stats.parquet"].row(0, named=True)
    assert stats["messages"] == 1
    assert stats["share_empty"] == 1.0
    assert stats["mean_ethiopic_ratio"] is None
    assert out["word_freq.parquet"].height == 0
    assert out["ngrams.parquet"].height == 0


def test_empty_input() -> None:
    empty = clean_messages(pl.DataFrame(schema=PARSED_SCHEMA), CleaningConfig())
    out = build_final(empty)
    for name, schema in FINAL_SCHEMAS.items():
        assert out[name].height == 0
        assert dict(out[name].schema) == schema


def test_missing_column() -> None:
    cleaned = clean_messages(parsed_rows(CORPUS), CleaningConfig())
    with pytest.raises(DataContractError, match="text_norm"):
        build_final(cleaned.drop("text_norm"))


def test_matches_plain_python_counter_on_random_corpus() -> None:
    rng = random.Random(7)
    words = ["ሀ", "ለ", "መ", "ሰላም", "ዋጋ", "ብር", "sale", "ok", "1,500", "ቅናሽ"]
    rows = [
        {"channel_id": rng.choice([5, 11, 42]),
         "text": " ".join(rng.choice(words) for _ in range(rng.randint(0, 9)))}
        for _ in range(300)
    ]
    out = final_of(rows)
    expected: Counter[tuple[int, int, str]] = Counter()
    for row in rows:
        toks = row["text"].split()
        for n in (1, 2, 3):
            for i in range(len(toks) - n + 1):
                expected[(row["channel_id"], n, " ".join(toks[i:i + n]))] += 1
    got = {(c, n, g): k for c, n, g, k in as_rows(
        out["ngrams_by_channel.parquet"], "channel_id", "n", "ngram", "count")}
    assert got == dict(expected)
    overall: Counter[tuple[int, str]] = Counter()
    for (_, n, g), k in expected.items():
        overall[(n, g)] += k
    assert {(n, g): k for n, g, k in as_rows(out["ngrams.parquet"], "n", "ngram", "count")} == (
        dict(overall)
    )
    # Sorted: n ascending, count descending, ties by token.
    table = out["ngrams.parquet"]
    assert table.equals(table.sort(["n", "count", "ngram"], descending=[False, True, False]))


def test_wide_keys_when_vocabulary_is_huge() -> None:
    # More than 2**21 distinct tokens: channel + 3 token ids no longer fit 64 bits (UInt128 path).
    vocab = pl.int_range(0, 2**21 + 1, eager=True).cast(pl.Utf8)
    big = 2**21
    rows = pl.DataFrame(
        {"_msg": [0, 0, 0, 1, 1, 1], "_ch": [1, 1, 1, 0, 0, 0], "_tok": [big, 5, big - 1, big, 5, big - 1]},
        schema={"_msg": pl.UInt32, "_ch": pl.UInt32, "_tok": pl.UInt32},
    )
    channels = pl.DataFrame({"channel_id": [10, 20], "channel_name": ["a", "b"]})
    assert _Packing(3, len(vocab), channels.height).dtype == pl.UInt128
    assert _Packing(2, len(vocab), channels.height).dtype == pl.UInt64
    overall, by_channel = _count_ngrams(rows, 3, vocab, channels, 1)
    assert as_rows(overall, "ngram", "count") == [(f"{big} 5 {big - 1}", 2)]
    assert as_rows(by_channel, "channel_id", "channel_name", "ngram", "count") == [
        (10, "a", f"{big} 5 {big - 1}", 1),
        (20, "b", f"{big} 5 {big - 1}", 1),
    ]


def test_build_final_from_a_parquet_scan_equals_from_a_frame(tmp_path: Any) -> None:
    # Ingest hands build_final a lazy scan of cleaned/messages.parquet (only needed columns read).
    cleaned = clean_messages(parsed_rows(CORPUS), CleaningConfig())
    path = tmp_path / "cleaned.parquet"
    cleaned.write_parquet(path)
    eager = build_final(cleaned)
    lazy = build_final(pl.scan_parquet(path))
    for name, table in eager.items():
        assert lazy[name].equals(table), name
