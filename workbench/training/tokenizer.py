"""Amharic tokenizers: train BPE or SentencePiece on cleaned text, or extend a base tokenizer.

Why it matters: English-centric tokenizers split each Ge'ez syllable into several byte tokens, so
an Amharic ad costs 3-10x more tokens than its English translation, shrinks the usable context and
slows training. The fertility table (tokens per word, characters per token, unknown and
byte-fallback rates on held-out text) shows what a tokenizer buys before any training run.

Design choices:

- ``Metaspace`` pre-tokenization, never ``ByteLevel`` (which turns each Ge'ez character into three
  byte symbols before BPE even starts);
- the BPE alphabet is seeded with the whole Ethiopic block U+1200..U+137F and printable ASCII, so
  rare syllables (or an @ sign) absent from the training text are still tokens, not ``<unk>``;
- SentencePiece models are trained with identity normalization (no NFKC: the original text is
  the training text) and byte fallback, then converted to a fast tokenizer from their pieces and
  scores (``LlamaTokenizer(vocab_file=...)`` silently yields a 3-token vocabulary on
  transformers 5);
- extending a base adds frequent Amharic pieces as added tokens; the model's embeddings are
  resized (mean-initialised) when a run loads the extended tokenizer.

Examples
--------
>>> tok = train_bpe(["ሰላም ለሁላችሁ", "ስልክ ይደውሉ"] * 20, vocab_size=600)
>>> tok.convert_ids_to_tokens(tok("ሰላም")["input_ids"])
['▁ሰላም']
>>> fertility(tok, ["ሰላም ለሁላችሁ"])["unk_rate"]
0.0
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file, write_json_atomic, write_text_atomic
from workbench.core.manifests import build_manifest

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

BOS, EOS, UNK, PAD = "<s>", "</s>", "<unk>", "<pad>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")
SPECIAL_TOKENS = (UNK, BOS, EOS, PAD, *ROLE_TOKENS)

TokenizerKind = Literal["bpe", "sentencepiece", "extend"]

_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
_ETHIOPIC = re.compile(r"[\u1200-\u137F]")
_WORDS = re.compile(r"[^\s\u1361-\u1368]+")


def seed_alphabet() -> list[str]:
    """Characters every BPE vocabulary gets, seen in the training text or not.

    The Ethiopic block U+1200..U+137F, printable ASCII (Amharic posts mix Latin digits, letters,
    @handles, #tags and quotes) plus newline and tab: 481 characters. Measured on AfriSenti
    tweets, a BPE trained without ASCII seeding turned 8.6% of the test split's tokens into
    ``<unk>`` (quotes, @ and # that the train split happened not to contain).
    """
    ascii_printable = [chr(c) for c in range(0x20, 0x7F)]
    return [chr(c) for c in range(0x1200, 0x1380)] + ascii_printable + ["\n", "\t"]


def _wrap(tok: Any, special_tokens: Sequence[str]) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    extra = [t for t in special_tokens if t not in (BOS, EOS, UNK, PAD)]
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOS, unk_token=UNK, pad_token=PAD,
        extra_special_tokens=extra, clean_up_tokenization_spaces=False,
    )


def train_bpe(
    texts: Iterable[str], vocab_size: int, *, special_tokens: Sequence[str] = SPECIAL_TOKENS
) -> PreTrainedTokenizerFast:
    """Train a Metaspace BPE tokenizer whose alphabet includes every Ethiopic character.

    Parameters
    ----------
    texts
        Training text (original text: emojis, digits and Latin words are learnt too).
    vocab_size
        Target vocabulary size, special tokens and the 481 seeded characters included.
    special_tokens
        Tokens never split (the first four are unk, bos, eos, pad).

    Returns
    -------
    transformers.PreTrainedTokenizerFast
        Ready for ``save_pretrained``; its chat template is unset.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=UNK))
    # "first": a leading ▁ only at the very start of a text, never after a special token, so the
    # text right after a chat-template role marker tokenizes the same way alone or in context.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
    tok.decoder = decoders.Metaspace(prepend_scheme="first")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(special_tokens),
        initial_alphabet=seed_alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return _wrap(tok, special_tokens)


def train_sentencepiece(
    texts: Iterable[str],
    vocab_size: int,
    *,
    model_type: Literal["unigram", "bpe"] = "unigram",
    special_tokens: Sequence[str] = SPECIAL_TOKENS,
) -> tuple[PreTrainedTokenizerFast, bytes]:
    """Train a SentencePiece model (Google's library) and convert it to a fast tokenizer.

    Returns
    -------
    (PreTrainedTokenizerFast, bytes)
        The converted tokenizer and the serialized ``.model`` (kept beside it for tools that want
        SentencePiece itself).
    """
    import sentencepiece as spm
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    model = io.BytesIO()
    extra = [t for t in special_tokens if t not in (BOS, EOS, UNK, PAD)]
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(list(texts)), model_writer=model, vocab_size=vocab_size,
            model_type=model_type, character_coverage=1.0, byte_fallback=True,
            normalization_rule_name="identity", remove_extra_whitespaces=False,
            split_digits=True, hard_vocab_limit=False, user_defined_symbols=extra,
            unk_id=0, bos_id=1, eos_id=2, pad_id=3, minloglevel=2, num_threads=1,
            unk_piece=UNK, bos_piece=BOS, eos_piece=EOS, pad_piece=PAD,
        )
    except RuntimeError as exc:
        msg = f"sentencepiece training failed: {str(exc).splitlines()[-1]}"
        raise ConfigError(msg) from None
    proto = model.getvalue()
    sp = spm.SentencePieceProcessor(model_proto=proto)
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    if model_type == "unigram":
        core = models.Unigram(vocab, unk_id=0, byte_fallback=True)
    else:
        # SentencePiece BPE scores are merge ranks; rebuild the merges from piece order.
        core = _bpe_from_pieces(vocab)
    tok = Tokenizer(core)
    # Same layout as SentencePiece itself: spaces become ▁, one ▁ prepended to the text
    # (add_dummy_prefix), no splitting before the model; decoding undoes both.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first",
                                                 split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    return _wrap(tok, special_tokens), proto


def _bpe_from_pieces(vocab: list[tuple[str, float]]) -> Any:
    from tokenizers import models

    ids = {piece: i for i, (piece, _) in enumerate(vocab)}
    merges = []
    for piece, _ in vocab:
        if len(piece) < 2 or _BYTE_PIECE.match(piece) or piece.startswith("<"):
            continue
        # The best split is the one whose parts are both pieces, with the latest-ranked parts.
        splits = [(piece[:i], piece[i:]) for i in range(1, len(piece))
                  if piece[:i] in ids and piece[i:] in ids]
        if splits:
            merges.append(min(splits, key=lambda s: max(ids[s[0]], ids[s[1]])))
    return models.BPE(vocab=ids, merges=merges, unk_token=UNK, byte_fallback=True)


def amharic_pieces(texts: Sequence[str], base: PreTrainedTokenizerBase, n_new: int) -> list[str]:
    """Frequent multi-character Amharic pieces the base vocabulary lacks, best first."""
    probe = train_bpe(texts, vocab_size=max(1000, n_new * 3 + 400))
    base_vocab = set(base.get_vocab())
    pieces = []
    # A BPE vocabulary lists merges in the order they were learnt: most frequent first.
    for piece, _ in sorted(probe.get_vocab().items(), key=lambda kv: kv[1]):
        word = piece.lstrip("▁")
        if (len(word) < 2 or not _ETHIOPIC.search(word) or any(c.isspace() for c in word)
                or word in base_vocab
                or f"▁{word}" in base_vocab or word in pieces):
            continue
        pieces.append(word)
        if len(pieces) == n_new:
            break
    return pieces


def extend_tokenizer(
    base: PreTrainedTokenizerBase, texts: Sequence[str], n_new: int
) -> tuple[PreTrainedTokenizerBase, list[str]]:
    """Add up to ``n_new`` Amharic pieces to a copy of ``base`` as added tokens.

    The base's own pieces and ids are untouched (its embeddings stay valid); the new ids come
    after them, and a run that loads this tokenizer resizes the model's embeddings to match.
    """
    import copy

    extended = copy.deepcopy(base)
    pieces = amharic_pieces(texts, base, n_new)
    extended.add_tokens(pieces)
    return extended, pieces


# --- Fertility -----------------------------------------------------------------------------------


def fertility(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> dict[str, float]:
    """Tokens per word, characters per token, unknown and byte-fallback rates on ``texts``.

    Words are runs of non-space characters (Ethiopic word and sentence marks also separate
    words); characters exclude whitespace. Special tokens the tokenizer would add (BOS...) are
    not counted.
    """
    unk = tokenizer.unk_token_id
    n_tokens = n_words = n_chars = n_unk = n_bytes = 0
    vocab_pieces = tokenizer.convert_ids_to_tokens
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        n_tokens += len(ids)
        n_words += len(_WORDS.findall(text))
        n_chars += sum(not c.isspace() for c in text)
        if unk is not None:
            n_unk += sum(i == unk for i in ids)
        n_bytes += sum(bool(_BYTE_PIECE.match(p or "")) for p in vocab_pieces(ids))
    return {
        "texts": len(texts),
        "words": n_words,
        "tokens": n_tokens,
        "tokens_per_word": round(n_tokens / max(1, n_words), 3),
        "chars_per_token": round(n_chars / max(1, n_tokens), 3),
        "unk_rate": round(n_unk / max(1, n_tokens), 4),
        "byte_fallback_rate": round(n_bytes / max(1, n_tokens), 4),
        "vocab_size": len(tokenizer),
    }


def fertility_table(rows: Sequence[tuple[str, dict[str, float]]]) -> str:
    """A Markdown table of :func:`fertility` results, one row per tokenizer."""
    cols = ("vocab_size", "tokens_per_word", "chars_per_token", "unk_rate", "byte_fallback_rate")
    head = "| tokenizer | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for name, stats in rows:
        lines.append(f"| {name} | " + " | ".join(str(stats[c]) for c in cols) + " |")
    return "\n".join(lines)


# --- Command -------------------------------------------------------------------------------------


@dataclass
class TokenizerReport:
    """What ``workbench train tokenizer`` produced."""

    out_dir: Path
    rows: list[tuple[str, dict[str, float]]]
    added: list[str]

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


def load_base_tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    """A tokenizer from a local directory or hub id (one-line error when it cannot be loaded)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as exc:
        msg = f"cannot load tokenizer '{name_or_path}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None


def train_tokenizer(
    texts_path: Path,
    out_dir: Path,
    *,
    kind: TokenizerKind = "bpe",
    vocab_size: int = 16000,
    base: str | None = None,
    n_new: int = 4000,
    held_out: float = 0.05,
) -> TokenizerReport:
    """Train (or extend) a tokenizer on cleaned text and compare fertility on held-out text.

    Parameters
    ----------
    texts_path
        ``cleaned/messages.parquet`` (column ``text``) or a UTF-8 file, one text per line.
    out_dir
        Where the tokenizer, ``fertility.json`` and ``fertility.md`` are written.
    kind
        ``bpe`` (tokenizers BPE), ``sentencepiece`` (unigram, byte fallback) or ``extend``
        (add Amharic pieces to ``base``).
    vocab_size
        Vocabulary size for ``bpe`` and ``sentencepiece``.
    base
        Base tokenizer (directory or hub id): compared against, and required for ``extend``.
    n_new
        Pieces to add with ``extend``.
    held_out
        Share of texts (chosen by a hash of their id, so stable) kept out of training.

    Returns
    -------
    TokenizerReport
        Output folder, fertility rows (base first when given) and the added pieces.
    """
    if kind == "extend" and base is None:
        msg = "--kind extend needs --base (a tokenizer directory or hub id)"
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
    base_tok = load_base_tokenizer(base) if base else None
    added: list[str] = []
    proto = None
    if kind == "bpe":
        tok = train_bpe(train, vocab_size)
    elif kind == "sentencepiece":
        tok, proto = train_sentencepiece(train, vocab_size)
    else:
        assert base_tok is not None  # checked above; narrows the type
        tok, added = extend_tokenizer(base_tok, train, n_new)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out_dir)
    if proto is not None:
        (out_dir / "sentencepiece.model").write_bytes(proto)
    rows = []
    if base_tok is not None:
        rows.append((f"base ({base})", fertility(base_tok, test)))
    rows.append((kind, fertility(tok, test)))
    report = TokenizerReport(out_dir, rows, added)
    manifest = build_manifest(
        "tokenizer",
        inputs=[{"path": str(texts_path), "sha256": sha256_file(texts_path)}],
        outputs={"tokenizer.json": {"vocab_size": len(tok)}},
        config={"kind": kind, "vocab_size": vocab_size, "base": base, "n_new": n_new,
                "held_out": held_out},
        extra={"train_texts": len(train), "held_out_texts": len(test),
               "fertility": dict(rows), "added_pieces": len(added)},
    )
    write_json_atomic(out_dir / "manifest.json", manifest)
    write_text_atomic(out_dir / "fertility.md", report.table() + "\n")
    write_text_atomic(out_dir / "fertility.json", json.dumps(dict(rows), indent=2) + "\n")
    return report
