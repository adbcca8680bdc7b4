"""The files curation reads: a texts file, the checks every input file gets, its manifest record.

A texts file (Parquet, CSV or TSV with ``uid`` and ``text``) is read with every value as text,
checked (unique non-empty uids, no text over ingest's limit) and completed with the cleaned columns
``workbench ingest`` would compute; without one, ``DIR/cleaned/messages.parquet`` is read.
:mod:`workbench.curation.inputs` reads the annotations and the tasks on top of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.config import CleaningConfig
from workbench.core.errors import DataContractError, InputFileError
from workbench.core.io import read_parquet_checked, sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import recorded_path
from workbench.core.schemas import CLEANED_SCHEMA, PARSED_SCHEMA


@dataclass(frozen=True)
class InputRecord:
    """An input file as the manifest records it."""

    role: str
    path: str
    sha256: str
    rows: int

    def as_dict(self) -> dict[str, Any]:
        """The manifest entry."""
        return {"role": self.role, "path": recorded_path(self.path), "sha256": self.sha256,
                "rows": self.rows}


def read_table(path: Path, *, what: str) -> pl.DataFrame:
    """Read a Parquet or CSV file given by the user; one clear line on failure."""
    if not path.is_file():
        msg = f"{path}: {what} file not found"
        raise InputFileError(msg)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return read_parquet_checked(path, remedy=f"give a readable {what} file")
    try:
        if suffix in {".csv", ".tsv"}:
            # Everything as text: uids such as "100:7" or "0012" must not become numbers.
            return pl.read_csv(path, infer_schema=False, separator="\t" if suffix == ".tsv" else ",")
    except (OSError, pl.exceptions.PolarsError) as exc:
        msg = f"{path}: cannot read {what} ({str(exc).splitlines()[0]})"
        raise InputFileError(msg) from None
    msg = f"{path}: {what} must be a .parquet or .csv file, got '{suffix or 'no extension'}'"
    raise InputFileError(msg)


def require_columns(df: pl.DataFrame, columns: Sequence[str], source: str, what: str) -> None:
    """One line naming the file, what it should be and the columns it lacks and has."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = (f"{source}: {what} needs column(s) {', '.join(missing)}; "
               f"found: {', '.join(df.columns) or 'none'}")
        raise DataContractError(msg)


def _check_uids(df: pl.DataFrame, source: str) -> None:
    uid = df.get_column("uid")
    if uid.null_count() or (uid == "").any():
        msg = f"{source}: {uid.null_count() + int((uid == '').sum())} row(s) have an empty uid"
        raise DataContractError(msg)
    dupes = df.filter(pl.col("uid").is_duplicated()).get_column("uid").unique().sort()
    if dupes.len():
        msg = (f"{source}: uid must be unique, {dupes.len()} repeated "
               f"(e.g. {', '.join(dupes.head(3).to_list())})")
        raise DataContractError(msg)


def load_texts(
    path: Path | None, data_dir: Path, *, cleaning: CleaningConfig | None = None,
    max_text_chars: int | None = None,
) -> tuple[pl.DataFrame, InputRecord]:
    """The messages to curate, with every cleaned column.

    Parameters
    ----------
    path
        A user file (Parquet/CSV with ``uid``, ``text``); None reads
        ``data_dir/cleaned/messages.parquet``.
    data_dir
        Root of the stage folders.
    cleaning
        Cleaning used to compute missing cleaned columns of a user file.
    max_text_chars
        The longest text a user file may hold (``ingest.max_text_chars``: ingest quarantines a
        longer post); None: any length.

    Returns
    -------
    tuple
        ``(n, >=len(CLEANED_SCHEMA))`` frame and the input record.
    """
    if path is None:
        path = Layout(data_dir).cleaned_messages
        df = read_parquet_checked(path, ["uid", "text", "text_norm"],
                                  hint="run `workbench ingest` first, or pass --texts FILE")
        _check_uids(df, str(path))
        missing = [c for c in CLEANED_SCHEMA if c not in df.columns]
        if missing:
            df = complete_cleaned(df, cleaning)
    else:
        df = read_table(path, what="texts")
        require_columns(df, ["uid", "text"], str(path), "a texts file")
        df = df.with_columns(pl.col("uid").cast(pl.Utf8), pl.col("text").cast(pl.Utf8))
        _check_uids(df, str(path))
        if max_text_chars is not None:
            _check_lengths(df, str(path), max_text_chars)
        df = complete_cleaned(df, cleaning)
    return df, InputRecord("texts", str(path), sha256_file(path), df.height)


def _check_lengths(df: pl.DataFrame, source: str, limit: int) -> None:
    # One 6-million-character text took curate flag to 1.6 GB (0.3 GB without it): refuse what
    # ingest would quarantine, before the cleaning and the features see it.
    lengths = df.get_column("text").str.len_chars().fill_null(0)
    if (lengths.max() or 0) > limit:
        row = int(lengths.arg_max() or 0)
        msg = (f"{source}: the text of uid {df.item(row, 'uid')} is {lengths[row]:,} characters, "
               f"over ingest.max_text_chars ({limit:,}); ingest would quarantine such a post")
        raise DataContractError(msg)


def complete_cleaned(df: pl.DataFrame, cleaning: CleaningConfig | None) -> pl.DataFrame:
    """Compute the cleaned columns a user file lacks, exactly as ``workbench ingest`` would."""
    from workbench.ingest.clean import clean_messages

    parsed = df.with_columns([
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in PARSED_SCHEMA.items() if name not in df.columns
    ]).with_columns([pl.col(name).cast(dtype) for name, dtype in PARSED_SCHEMA.items()])
    cleaned = clean_messages(parsed.select(list(PARSED_SCHEMA)), cleaning)
    own = [c for c in CLEANED_SCHEMA if c in df.columns and c not in PARSED_SCHEMA]
    extra = [c for c in df.columns if c not in CLEANED_SCHEMA]
    # A text_norm the user computed is kept: it is what they match on elsewhere.
    keep = df.select("uid", *own, *extra)
    return cleaned.drop(own).join(keep, on="uid", how="left", maintain_order="left").select(
        *CLEANED_SCHEMA, *extra)
