"""The shared checked readers: every way a stage file can be bad is one line naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from workbench.core.errors import DataContractError, UnreadableFileError
from workbench.core.io import (
    data_relative,
    iter_parquet_checked,
    read_json_checked,
    read_parquet_checked,
    write_json_atomic,
    write_parquet_atomic,
)

SCHEMA: dict[str, pl.DataType] = {"uid": pl.Utf8, "n": pl.Int64}


def written(path: Path) -> Path:
    write_parquet_atomic(path, pl.DataFrame({"uid": ["1:1", "1:2"], "n": [1, 2],
                                             "extra": [0.5, 1.5]}))
    return path


def truncate(path: Path, keep: float = 0.5) -> Path:
    """Cut a file short, as a full disk or an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    return path


def test_good_file_reads_with_schema_and_projection(tmp_path: Path) -> None:
    path = written(tmp_path / "m.parquet")
    assert read_parquet_checked(path, ["uid"]).columns == ["uid", "n", "extra"]
    assert read_parquet_checked(path, ["uid"], project=True).columns == ["uid"]
    typed = read_parquet_checked(path, schema={"uid": pl.Utf8, "n": pl.Float64})
    assert dict(typed.schema) == {"uid": pl.Utf8, "n": pl.Float64}


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.95])
def test_truncated_parquet_is_one_line_naming_the_file(tmp_path: Path, keep: float) -> None:
    path = truncate(written(tmp_path / "m.parquet"), keep)
    with pytest.raises(UnreadableFileError) as caught:
        read_parquet_checked(path, ["uid"], remedy="run the step again")
    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable Parquet file, truncated or corrupt (")
    assert message.endswith("; run the step again")
    assert "\n" not in message
    assert caught.value.path == path


@pytest.mark.parametrize("read", [
    read_parquet_checked,
    lambda path: list(iter_parquet_checked(path, schema={"uid": pl.Utf8}, batch_rows=1_000)),
], ids=["whole", "streamed"])
def test_corrupt_bytes_in_the_middle(tmp_path: Path, read: Callable[[Path], object]) -> None:
    path = tmp_path / "m.parquet"
    write_parquet_atomic(path, pl.DataFrame({"uid": [str(i) * 5 for i in range(20_000)]}))
    data = bytearray(path.read_bytes())
    data[200:len(data) // 2] = bytes(len(data) // 2 - 200)
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFileError, match="truncated or corrupt"):
        read(path)


def test_absent_file_and_missing_column_say_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match=r"not found; run `workbench ingest` first$"):
        read_parquet_checked(tmp_path / "none.parquet", hint="run `workbench ingest` first")
    path = written(tmp_path / "m.parquet")
    with pytest.raises(DataContractError) as caught:
        read_parquet_checked(path, ["uid", "text"], hint="run `workbench ingest` first")
    assert str(caught.value) == f"{path}: missing column(s) text; run `workbench ingest` first"
    assert not isinstance(caught.value, UnreadableFileError)


def test_wrong_column_type_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    write_parquet_atomic(path, pl.DataFrame({"uid": ["1:1"], "n": ["not a number"]}))
    with pytest.raises(DataContractError) as caught:
        read_parquet_checked(path, schema=SCHEMA, remedy="move it away")
    assert str(caught.value) == (f"{path}: column(s) of the wrong type: n (String, expected "
                                 "Int64); move it away")


@pytest.mark.parametrize("content", [b'{"a": [1, 2', b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000])
def test_bad_json_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "summary.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as caught:
        read_json_checked(path)
    assert str(caught.value).startswith(f"{path}: not a readable JSON file, truncated or corrupt")
    assert "\n" not in str(caught.value)


def test_a_folder_where_a_file_should_be(tmp_path: Path) -> None:
    (tmp_path / "summary.json").mkdir()
    with pytest.raises(DataContractError, match="not found"):  # not a file
        read_json_checked(tmp_path / "summary.json")
    (tmp_path / "m.parquet").mkdir()
    with pytest.raises(UnreadableFileError) as caught:
        read_parquet_checked(tmp_path / "m.parquet", remedy="move it away")
    assert str(caught.value) == f"{tmp_path / 'm.parquet'}: a folder, not a Parquet file; move it away"


def test_json_round_trip_and_absent(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "a.json", {"ጽሑፍ": [1]})
    assert read_json_checked(tmp_path / "a.json") == {"ጽሑፍ": [1]}
    with pytest.raises(DataContractError, match="not found; run it"):
        read_json_checked(tmp_path / "b.json", "run it")
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == {"ጽሑፍ": [1]}


def test_data_relative(tmp_path: Path) -> None:
    assert data_relative(tmp_path / "eval" / "x" / "summary.parquet", tmp_path) == \
        "eval/x/summary.parquet"
    assert data_relative(Path("/elsewhere/file.parquet"), tmp_path) == "file.parquet"


def test_the_streamed_reader_holds_one_batch_and_gives_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    frame = pl.DataFrame({"uid": [f"1:{i}" for i in range(10)], "n": range(10), "x": [0.5] * 10})
    write_parquet_atomic(path, frame)
    chunks = list(iter_parquet_checked(path, schema={"n": pl.Float64, "uid": pl.Utf8},
                                       batch_rows=3))
    assert [c.height for c in chunks] == [3, 3, 3, 1]
    assert pl.concat(chunks).equals(frame.select(pl.col("n").cast(pl.Float64), "uid"))


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.95])
def test_the_streamed_reader_fails_as_the_whole_file_reader(tmp_path: Path, keep: float) -> None:
    path = truncate(written(tmp_path / "m.parquet"), keep)
    with pytest.raises(UnreadableFileError) as caught:
        list(iter_parquet_checked(path, schema=SCHEMA, remedy="run the step again"))
    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable Parquet file, truncated or corrupt (")
    assert message.endswith("; run the step again")
    assert "\n" not in message
    with pytest.raises(DataContractError, match=r"not found; run `workbench ingest` first$"):
        list(iter_parquet_checked(tmp_path / "none.parquet", "run `workbench ingest` first",
                                  schema=SCHEMA))
    good = written(tmp_path / "good.parquet")
    with pytest.raises(DataContractError) as missing:
        list(iter_parquet_checked(good, "run `workbench ingest` first",
                                  schema={"uid": pl.Utf8, "text": pl.Utf8}))
    assert str(missing.value) == f"{good}: missing column(s) text; run `workbench ingest` first"
    write_parquet_atomic(path, pl.DataFrame({"uid": ["1:1"], "n": ["not a number"]}))
    with pytest.raises(DataContractError, match=r"n \(String, expected Int64\); move it away$"):
        list(iter_parquet_checked(path, schema=SCHEMA, remedy="move it away"))
