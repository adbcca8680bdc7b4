"""Sorting and summing on disk gives what the in-memory sort gives, holding a bounded number of rows."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.ingest import external_sort
from workbench.ingest.external_sort import Order, merge_runs, sort_into_runs, write_run

SCHEMA: dict[str, pl.DataType] = {"n": pl.Int8, "ngram": pl.Utf8, "count": pl.Int64}
BY_KEY = Order(SCHEMA, ("n", "ngram"), (False, False), total="count")
RANKED = Order(SCHEMA, ("n", "count", "ngram"), (False, True, False))
WORDS = ["ቅናሽ", "ዋጋ", "ብር", "a", "ab", "b", "ä", "1,500", "ሽያጭ", "z"]


def partial_counts(seed: int, batches: int) -> list[pl.DataFrame]:
    """Per-batch count tables: one row per (n, n-gram) in each, many n-grams in several."""
    rng = random.Random(seed)
    tables = []
    for _ in range(batches):
        rows = {(n, " ".join(rng.choice(WORDS) for _ in range(n))): rng.randint(1, 4)
                for n in (1, 2, 3) for _ in range(rng.randint(0, 12))}
        tables.append(pl.DataFrame([(n, g, c) for (n, g), c in rows.items()],
                                   schema=SCHEMA, orient="row"))
    return tables


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tiny buffers (every path of the merge runs); returns the sizes of the frames held."""
    monkeypatch.setattr(external_sort, "READ_ROWS", 4)
    monkeypatch.setattr(external_sort, "FAN_IN", 3)
    monkeypatch.setattr(external_sort, "SORT_ROWS", 7)
    held: list[int] = []
    real = external_sort.arrange

    def arrange(frame: pl.DataFrame, order: Order, **kwargs: Any) -> pl.DataFrame:
        held.append(frame.height)
        return real(frame, order, **kwargs)

    monkeypatch.setattr(external_sort, "arrange", arrange)
    return held


@pytest.mark.parametrize("seed", range(5))
def test_summed_and_ranked_on_disk_equals_the_in_memory_tables(
    tmp_path: Path, tiny: list[int], seed: int
) -> None:
    tables = partial_counts(seed, batches=8)
    runs = [write_run(tmp_path / f"counts-{i}.parquet", [t.sort(["n", "ngram"])], BY_KEY)
            for i, t in enumerate(tables)]
    totals = list(merge_runs(runs, BY_KEY, tmp_path, "totals", combine=True))
    expected = (pl.concat(tables).group_by("n", "ngram").agg(pl.col("count").sum())
                .sort("n", "ngram").select(list(SCHEMA)))
    assert pl.concat(totals).equals(expected)
    ranked = sort_into_runs(totals, RANKED, tmp_path, "ranked")
    assert len(ranked) > external_sort.FAN_IN  # the final merge takes more than one pass
    merged = pl.concat(merge_runs(ranked, RANKED, tmp_path, "ranked"))
    assert merged.equals(expected.sort(["n", "count", "ngram"], descending=[False, True, False]))
    assert expected.height > 3 * external_sort.READ_ROWS * external_sort.FAN_IN
    assert max(tiny) <= max(external_sort.SORT_ROWS,
                            external_sort.FAN_IN * external_sort.READ_ROWS)


def test_nothing_in_nothing_out(tmp_path: Path, tiny: list[int]) -> None:
    assert list(merge_runs([], BY_KEY, tmp_path, "totals", combine=True)) == []
    assert sort_into_runs([], RANKED, tmp_path, "ranked") == []
    empty = write_run(tmp_path / "empty.parquet", [pl.DataFrame(schema=SCHEMA)], BY_KEY)
    assert list(merge_runs([empty], BY_KEY, tmp_path, "totals", combine=True)) == []


def test_a_descending_text_key_is_refused() -> None:
    with pytest.raises(ValueError, match="ngram: only numeric keys can sort descending"):
        Order(SCHEMA, ("ngram",), (True,))
