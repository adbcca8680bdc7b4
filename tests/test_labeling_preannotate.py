"""``workbench label preannotate``: every file type, the curation/rules choice, bad input (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.test_cli import run
from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError
from workbench.core.layout import Layout
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.preannotate import preannotate, read_texts

AD = "ቦሌ ባለ 2 መኝታ አፓርትመንት ለኪራይ፤ ለበለጠ መረጃ @bole_homes"
NEWS = "የነዳጅ ዋጋ በሊትር 5 ብር ጭማሪ እንደሚኖረው ሚኒስቴሩ ገልጿል"


def _write(path: Path, rows: list[dict]) -> Path:
    frame = pl.DataFrame(rows)
    {".csv": frame.write_csv, ".parquet": frame.write_parquet, ".jsonl": frame.write_ndjson}[path.suffix](path)
    return path


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".jsonl"])
def test_each_file_type_in_and_out(tmp_path: Path, ext: str) -> None:
    src = _write(tmp_path / f"posts{ext}", [{"uid": "a", "text": AD}, {"uid": "b", "text": NEWS}])
    out = tmp_path / f"pre{ext}"
    res = run("label", "preannotate", "--texts", str(src), "--out", str(out),
              "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 0, res.stderr
    assert "2 text(s); pre-annotations from: rules-v9 (2)" in res.stdout
    assert "is_ad: Ad 1, Non-Ad 1" in res.stdout
    got = {".csv": pl.read_csv, ".parquet": pl.read_parquet, ".jsonl": pl.read_ndjson}[ext](out)
    assert got.columns == ["uid", "text", "task", "value", "score", "model_version"]
    rows = {(u, t): v for u, t, v in got.select("uid", "task", "value").rows()}
    ad_vertical = rows[("a", "vertical")]
    assert (ad_vertical if ext == ".csv" else ad_vertical[0]) == "Real estate"
    assert (rows[("b", "is_ad")] if ext == ".csv" else rows[("b", "is_ad")][0]) == "Non-Ad"
    assert ("b", "vertical") not in rows  # conditional tasks only for predicted ads, as push


def test_without_out_prints_a_summary_and_writes_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path / "posts.csv", [{"text": AD}])
    res = run("label", "preannotate", "--texts", str(src), "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 0, res.stderr
    assert "vertical: Real estate 1" in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posts.csv"]


def test_curation_predictions_for_known_uids_rules_for_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = Layout(data).predictions
    path.parent.mkdir(parents=True)
    pl.DataFrame({"uid": ["1:1", "1:1"], "task": ["is_ad", "vertical"], "value": [["Ad"], ["Travel"]],
                  "score": [0.97, 0.8], "model_version": ["clf-v3"] * 2, "uncertainty": [0.05, 0.3]},
                 schema=PREDICTIONS_SCHEMA).write_parquet(path)
    texts = pl.DataFrame({"uid": ["1:1", "x"], "text": ["ሌላ ጽሑፍ", AD]})
    result = preannotate(texts, data, ProjectConfig(), load_taxonomy())
    got = {(u, t): (v, m) for u, t, v, m in result.rows.select("uid", "task", "value", "model_version").rows()}
    assert got[("1:1", "vertical")] == (["Travel"], "clf-v3")
    assert got[("x", "is_ad")] == (["Ad"], "rules-v9")
    assert result.sources == {"clf-v3": 1, "rules-v9": 1}
    # A uid curation predicted only for a task outside the taxonomy (a team's own topic task)
    # gets the rules: such a prediction pre-fills nothing, and the text got nothing at all.
    own = pl.DataFrame({"uid": ["t1"], "task": ["topic"], "value": [["sports"]], "score": [0.9],
                        "model_version": ["clf-v3"], "uncertainty": [0.1]}, schema=PREDICTIONS_SCHEMA)
    pl.concat([pl.read_parquet(path), own]).write_parquet(path)
    result = preannotate(pl.DataFrame({"uid": ["t1"], "text": [AD]}), data, ProjectConfig(),
                         load_taxonomy())
    assert result.sources == {"rules-v9": 1}
    # None of the texts known to curation: all get the rules.
    result = preannotate(texts.filter(pl.col("uid") == "x"), data, ProjectConfig(), load_taxonomy())
    assert result.sources == {"rules-v9": 1}


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.csv", None, "no such file"),
    ("posts.txt", "text\nx\n", "unknown input file type '.txt'"),
    ("posts.csv", "body,uid\nx,1\n", "no 'text' column (columns found: body, uid)"),
    ("posts.csv", "uid,text\n1,ok\n2,too,many\n", "malformed CSV at line 3: 3 field(s), the header has 2"),
    ("posts.jsonl", '{"text": "ok"}\n{"text": "broken\n', "malformed JSONL at line 2"),
    ("posts.jsonl", '{"text": "ok"}\n[1, 2]\n', "malformed JSONL at line 2: not a JSON object"),
    # The keys the file has are named (a labels file given for a texts file, say).
    ("posts.jsonl", '{"uid": "1:2", "is_ad": "Ad"}\n{"uid": "1:3", "note": "x"}\n',
     "no 'text' column (columns found: uid, is_ad, note)"),
    ("posts.csv", "uid,text\n1,a\n1,b\n", "column 'uid' must be unique"),
    # A quote left open used to swallow the rest of the file into one text, silently.
    ("posts.csv", 'uid,text\n1,"open\n2,ok\n', "malformed CSV in the record starting at line 2"),
    # A field over the csv module's limit used to end in a traceback (exit 1), then in "field
    # larger than field limit (131072) (a quote left open?)": a long post is named as one.
    ("posts.csv", 'text\n"' + "ሀ" * 140_000 + '"\n',
     "a field of the record starting at line 2 is over ingest.max_text_chars (65,536 characters)"),
    ("posts.csv", "uid,text\n1,ok\n2," + "ሀ" * 200_000 + "\n",
     "a field of the record starting at line 3 is over ingest.max_text_chars (65,536 characters)"),
    ("posts.jsonl", '{"text": "' + "ሀ" * 70_000 + '"}\n',
     "the text of row 1 is 70,000 characters, over ingest.max_text_chars (65,536)"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, name: str, content: str | None, expected: str) -> None:
    src = tmp_path / name
    if content is not None:
        src.write_text(content, encoding="utf-8")
    res = run("label", "preannotate", "--texts", str(src), "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert expected in lines[0]
    assert str(src) in lines[0]


@pytest.mark.parametrize("ext", [".csv", ".jsonl"])
def test_not_utf8_names_the_byte_offset_in_the_file(tmp_path: Path, ext: str) -> None:
    # Far past the first chunk a text reader decodes: the offset must count from the file's start.
    good = "ሀሁሂ" * 10
    lines = [f'{{"text": "{good}"}}' for _ in range(5000)] if ext == ".jsonl" else ["text"] + [good] * 5000
    data = "\n".join(lines).encode() + b"\n"
    bad = data + (b'{"text": "caf\xe9"}\n' if ext == ".jsonl" else b"caf\xe9\n")
    src = tmp_path / f"posts{ext}"
    src.write_bytes(bad)
    offset = bad.index(b"\xe9")
    line = bad[:offset].count(b"\n") + 1
    with pytest.raises(InputFileError, match=f"invalid byte at offset {offset:,}, line {line:,}"):
        read_texts(src)


def test_out_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.labeling.preannotate import write_preannotations

    out = tmp_path / "pre.csv"
    out.write_text("previous\n", encoding="utf-8")
    rows = preannotate(pl.DataFrame({"uid": ["a"], "text": [AD]}), tmp_path / "data",
                       ProjectConfig(), load_taxonomy()).rows

    def cut_short(self: pl.DataFrame, file: Path) -> None:
        Path(file).write_text("uid,te", encoding="utf-8")
        raise OSError("No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", cut_short)
    with pytest.raises(OSError, match="No space"):
        write_preannotations(rows, out)
    assert out.read_text(encoding="utf-8") == "previous\n"  # never a truncated file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pre.csv"]  # no temp file left


def test_out_may_not_be_the_texts_file(tmp_path: Path) -> None:
    src = _write(tmp_path / "posts.csv", [{"uid": "a", "text": AD}])
    before = src.read_bytes()
    res = run("label", "preannotate", "--texts", str(src), "--out", str(src),
              "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 2
    assert "--out is the --texts file" in res.stderr
    assert src.read_bytes() == before


def test_bad_out_extension_fails_before_reading(tmp_path: Path) -> None:
    res = run("label", "preannotate", "--texts", str(tmp_path / "missing.csv"), "--out",
              str(tmp_path / "pre.xlsx"), "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 2
    assert "unknown output file type '.xlsx'" in res.stderr


def test_parquet_without_text_column_and_non_string_text(tmp_path: Path) -> None:
    pl.DataFrame({"uid": [1], "body": ["x"]}).write_parquet(tmp_path / "a.parquet")
    with pytest.raises(InputFileError, match=r"no 'text' column \(columns found: uid, body\)"):
        read_texts(tmp_path / "a.parquet")
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": 5}) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="'text' must be a string"):
        read_texts(tmp_path / "b.jsonl")


def test_texts_with_nothing_left_after_cleaning_are_left_out_as_push_does(tmp_path: Path) -> None:
    # Push never sends a post whose cleaned text is blank; preannotate showed them as Non-Ad.
    from workbench.labeling.preannotate import summary_lines

    texts = pl.DataFrame({"uid": ["a", "b", "c", "d"], "text": [AD, None, "", "😊😊"]})
    result = preannotate(texts, tmp_path / "data", ProjectConfig(), load_taxonomy())
    assert set(result.rows.get_column("uid").to_list()) == {"a"}
    assert (result.texts, result.empty) == (4, 3)
    assert summary_lines(result)[0] == ("4 text(s), 3 left out: no text after cleaning (push never "
                                        "sends those); pre-annotations from: rules-v9 (1)")


def test_blank_lines_of_a_csv(tmp_path: Path) -> None:
    # Found on a walkthrough: a one-column CSV with an empty cell (a blank line, as Polars and
    # spreadsheets write it) was "malformed CSV at line 3: 0 field(s), the header has 1".
    from workbench.labeling.preannotate import read_texts

    one = tmp_path / "one.csv"
    one.write_text('text\nሰላም\n\n""\n', encoding="utf-8")
    assert read_texts(one)["text"].to_list() == ["ሰላም", "", ""]  # empty texts: left out, counted
    res = run("label", "preannotate", "--texts", str(one), "--data-dir", str(tmp_path / "data"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("3 text(s), 2 left out: no text after cleaning")
    # With more columns a blank line holds no row at all (as csv.DictReader reads it).
    two = tmp_path / "two.csv"
    two.write_text("uid,text\n1,a\n\n2,b\n", encoding="utf-8")
    assert read_texts(two).rows() == [("1", "a"), ("2", "b")]
