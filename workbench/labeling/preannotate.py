"""``workbench label preannotate``: the pre-annotations push would send, for any file of texts.

A team checks the pre-annotations on its own posts before pushing: read a CSV, Parquet or JSONL
file with a ``text`` column (and an optional ``uid``), compute the rule inputs with the same core
expressions ingest uses, and take the pre-annotations from the same place push does
(:func:`workbench.labeling.push.load_preannotations`): curation's predictions for the uids the
data dir has predictions for, the rules (``labeling/rules.yaml``) for every other text. The
workbench persists no classifier model, so a text curation has not seen always gets the rules.
Only answers push would send are kept: valid labels whose taxonomy conditions hold.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError
from workbench.core.io import atomic_path
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.push import load_preannotations, usable_predictions
from workbench.labeling.rules import rule_inputs

#: File types by extension (lower case).
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}

#: Columns of the output, one row per (text, task) pre-annotated.
OUTPUT_COLUMNS = ("uid", "text", "task", "value", "score", "model_version")


def file_format(path: Path, role: str) -> str:
    """``csv``, ``parquet`` or ``jsonl`` by ``path``'s extension; a one-line error naming ``role`` otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        msg = (f"{path}: unknown {role} file type '{path.suffix or '(none)'}'; "
               f"use one of {', '.join(sorted(FORMATS))}")
        raise InputFileError(msg)
    return fmt


def _read_csv(path: Path, max_chars: int | None) -> pl.DataFrame:
    # Python's csv module (not Polars) so a malformed line is named by its line number; strict,
    # so a quote left open is an error, not a field that swallows the rest of the file.
    previous = csv.field_size_limit()
    # The field limit is the text limit: a longer field is a post ingest would quarantine (or a
    # quote left open), named as such, instead of the csv module's "field larger than field
    # limit (131072)" past its own default and silence below it.
    csv.field_size_limit(max_chars + 1 if max_chars is not None else sys.maxsize)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            header = _next_record(reader, path, max_chars)
            if header is None:
                msg = f"{path}: empty CSV file (no header line)"
                raise InputFileError(msg)
            rows = _csv_rows(reader, header, path, max_chars)
    finally:
        csv.field_size_limit(previous)
    if len(set(header)) != len(header):
        msg = f"{path}: repeated column name in the CSV header {header}"
        raise InputFileError(msg)
    return pl.DataFrame(dict(zip(header, zip(*rows, strict=True), strict=True)) if rows else
                        {name: [] for name in header}, schema=dict.fromkeys(header, pl.Utf8))


def _csv_rows(reader: Any, header: list[str], path: Path, max_chars: int | None) -> list[list[str]]:
    """The records after the header, each as long as the header."""
    rows: list[list[str]] = []
    while (row := _next_record(reader, path, max_chars)) is not None:
        if not row:
            # A blank line: in a one-column file an empty cell (as Polars and spreadsheets write
            # it: an empty text, left out and counted later), else no row at all (as
            # csv.DictReader reads it).
            if len(header) == 1:
                rows.append([""])
            continue
        if len(row) != len(header):
            msg = (f"{path}: malformed CSV at line {reader.line_num}: {len(row)} field(s), "
                   f"the header has {len(header)}")
            raise InputFileError(msg)
        rows.append(row)
    return rows


def _next_record(reader: Any, path: Path, max_chars: int | None) -> list[str] | None:
    """The reader's next record (None at the end); a csv error names the line its record starts on."""
    start = reader.line_num + 1
    try:
        return next(reader, None)
    except csv.Error as exc:
        if max_chars is not None and "field larger than field limit" in str(exc):
            msg = (f"{path}: a field of the record starting at line {start:,} is over "
                   f"ingest.max_text_chars ({max_chars:,} characters): ingest would quarantine "
                   "such a post (or a quote is left open there)")
            raise InputFileError(msg) from None
        # An open quote runs on to the end of the file or past the field limit: the line the
        # record started on is where to look, not the line the reader gave up at.
        msg = (f"{path}: malformed CSV in the record starting at line {start}: {exc} "
               "(a quote left open?)")
        raise InputFileError(msg) from None


def _read_jsonl(path: Path) -> pl.DataFrame:
    records: list[dict] = []
    keys: dict[str, None] = {}  # every key seen, in order: named when 'text' is missing
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                msg = f"{path}: malformed JSONL at line {number}: {exc.msg}"
                raise InputFileError(msg) from None
            if not isinstance(obj, dict):
                msg = f"{path}: malformed JSONL at line {number}: not a JSON object"
                raise InputFileError(msg)
            keys.update(dict.fromkeys(obj))
            records.append({k: obj.get(k) for k in ("uid", "text") if k in obj})
            if "text" in obj and obj["text"] is not None and not isinstance(obj["text"], str):
                msg = f"{path}: line {number}: 'text' must be a string, got {type(obj['text']).__name__}"
                raise InputFileError(msg)
    if not any("text" in r for r in records):
        return pl.DataFrame({key: [] for key in keys} or {"_": []})
    return pl.DataFrame(records, schema={"uid": pl.Utf8, "text": pl.Utf8}
                        if any("uid" in r for r in records) else {"text": pl.Utf8})


def _first_non_utf8(path: Path) -> tuple[int, int]:
    """Byte offset and line of the first byte of ``path`` that is not UTF-8.

    A text-mode reader's :class:`UnicodeDecodeError` counts from the start of its buffered chunk,
    not of the file, so the file is decoded again here, chunk by chunk, to find the real place.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, line + chunk.count(b"\n", 0, exc.start)
            offset += len(chunk)
            line += chunk.count(b"\n")
    return offset - len(decoder.getstate()[0]), line  # the file ends inside a character


def read_texts(path: Path, *, max_chars: int | None = None) -> pl.DataFrame:
    """The ``uid`` (optional) and ``text`` columns of a CSV, Parquet or JSONL file.

    Parameters
    ----------
    path
        The file; its extension says its type.
    max_chars
        The longest text accepted (``ingest.max_text_chars``: a longer post is never pushed);
        None accepts any length.

    Raises
    ------
    InputFileError
        Missing file, unknown extension, malformed CSV or JSONL line (named by number), not
        UTF-8, no ``text`` column (the columns found are listed), or a text over ``max_chars``.
    """
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InputFileError(msg)
    fmt = file_format(path, "input")
    try:
        if fmt == "csv":
            frame = _read_csv(path, max_chars)
        elif fmt == "jsonl":
            frame = _read_jsonl(path)
        else:
            try:
                frame = pl.read_parquet(path)
            except (pl.exceptions.PolarsError, OSError) as exc:
                msg = f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})"
                raise InputFileError(msg) from None
    except UnicodeDecodeError:
        offset, line = _first_non_utf8(path)
        msg = (f"{path}: not UTF-8 text (invalid byte at offset {offset:,}, line {line:,}); "
               "save the file as UTF-8")
        raise InputFileError(msg) from None
    if "text" not in frame.columns:
        found = ", ".join(c for c in frame.columns if c != "_") or "none"
        msg = f"{path}: no 'text' column (columns found: {found})"
        raise InputFileError(msg)
    if frame.schema["text"] != pl.Utf8:
        msg = f"{path}: column 'text' must hold strings, got {frame.schema['text']}"
        raise InputFileError(msg)
    if max_chars is not None:
        lengths = frame.select(pl.col("text").str.len_chars().fill_null(0)).to_series()
        if (lengths.max() or 0) > max_chars:
            row = int(lengths.arg_max() or 0)
            msg = (f"{path}: the text of row {row + 1:,} is {lengths[row]:,} characters, over "
                   f"ingest.max_text_chars ({max_chars:,}); ingest would quarantine such a post")
            raise InputFileError(msg)
    if "uid" not in frame.columns:
        return frame.select("text")
    frame = frame.select(pl.col("uid").cast(pl.Utf8), "text")
    if frame["uid"].null_count() or frame["uid"].n_unique() != frame.height:
        msg = f"{path}: column 'uid' must be unique and non-empty in every row (or left out)"
        raise InputFileError(msg)
    return frame


@dataclass(frozen=True)
class Preannotated:
    """What :func:`preannotate` returns."""

    rows: pl.DataFrame
    """One row per (text, task): :data:`OUTPUT_COLUMNS`."""
    texts: int
    """Texts read."""
    sources: dict[str, int]
    """model_version -> texts pre-annotated by it."""
    empty: int = 0
    """Texts left out: nothing left after cleaning (push never sends such a post)."""


def preannotate(texts: pl.DataFrame, data_dir: Path, cfg: ProjectConfig, taxonomy: Taxonomy) -> Preannotated:
    """Pre-annotations for ``texts`` (columns ``text``, optional ``uid``), as push makes them.

    Curation's predictions (``DIR/curated/predictions.parquet``) are used for the uids they
    cover; every other text gets the rules.
    """
    frame = rule_inputs(texts, cfg.cleaning)
    text_of = dict(zip(frame["uid"].to_list(), texts["text"].to_list(), strict=True))
    # Push leaves out posts with no text after cleaning (photo-only, emoji-only): so does this,
    # instead of showing them a Non-Ad push would never send. text_norm is blank exactly when
    # ingest's text_clean is.
    blank = frame.get_column("text_norm").fill_null("").str.strip_chars() == ""
    frame = frame.filter(~blank)
    preds, _ = load_preannotations(data_dir, frame, taxonomy, cfg)
    usable = usable_predictions(preds, taxonomy)
    rows = [(uid, text_of[uid], p.task, p.value, p.score, version)
            for uid in frame["uid"].to_list() if uid in usable
            for version, predictions in [usable[uid]] for p in predictions]
    out = pl.DataFrame(rows, schema={"uid": pl.Utf8, "text": pl.Utf8, "task": pl.Utf8,
                                     "value": pl.List(pl.Utf8), "score": pl.Float64,
                                     "model_version": pl.Utf8}, orient="row")
    sources = Counter(usable[uid][0] for uid in frame["uid"].to_list() if uid in usable)
    return Preannotated(rows=out, texts=texts.height, sources=dict(sources),
                        empty=int(blank.sum()))


def write_preannotations(rows: pl.DataFrame, out: Path) -> None:
    """Write by extension: Parquet and JSONL keep ``value`` a list, CSV joins it with ``|``."""
    fmt = file_format(out, "output")
    # Atomic: a run stopped half-way leaves the previous file, never a truncated one.
    with atomic_path(out) as tmp:
        if fmt == "parquet":
            rows.write_parquet(tmp)
        elif fmt == "jsonl":
            rows.write_ndjson(tmp)
        else:
            rows.with_columns(pl.col("value").list.join("|")).write_csv(tmp)


def summary_lines(result: Preannotated) -> list[str]:
    """What the command prints: texts, sources, and per task the predicted labels with counts."""
    empty = (f", {result.empty} left out: no text after cleaning (push never sends those)"
             if result.empty else "")
    lines = [f"{result.texts} text(s){empty}; pre-annotations from: "
             + (", ".join(f"{v} ({n})" for v, n in sorted(result.sources.items())) or "none")]
    for task in result.rows["task"].unique(maintain_order=True).to_list():
        part = result.rows.filter(pl.col("task") == task)
        counts = Counter("|".join(v) or "(none)" for v in part["value"].to_list())
        shown = ", ".join(f"{label} {n}" for label, n in counts.most_common())
        lines.append(f"  {task}: {shown}")
    return lines
