"""Fertility: what a tokenizer costs on Amharic text, as numbers, a table and a plot.

An English-centric tokenizer splits each Ge'ez syllable into byte pieces (SentencePiece's
``<0xE1>``-style byte fallback, or fragments of a character in a byte-level BPE), so an Amharic
ad costs many times more tokens than its English translation, shrinks the usable context and
slows training. Measured here:

- tokens per word (words: runs of non-space characters, split at Ethiopic punctuation too);
- characters per token (whitespace excluded);
- unknown share (``<unk>`` tokens);
- byte-fallback share: tokens that are not whole characters (``<0xNN>`` pieces, or byte-level
  tokens whose bytes are not valid UTF-8 on their own).

Examples
--------
>>> from workbench.training.tokenizer import train_bpe
>>> tok = train_bpe(["ሰላም ለሁላችሁ", "ስልክ ይደውሉ"] * 20, vocab_size=600)
>>> stats = fertility(tok, ["ሰላም ለሁላችሁ"])
>>> stats["unk_rate"], stats["words"]
(0.0, 2)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.io import atomic_path

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
WORDS = re.compile(r"[^\s\u1361-\u1368]+")

#: Columns of the fertility table, in order, with their headers.
COLUMNS = (("vocab_size", "vocab"), ("tokens_per_word", "tokens/word"),
           ("chars_per_token", "chars/token"), ("unk_rate", "unk share"),
           ("byte_fallback_rate", "byte-fallback share"))


@cache
def _byte_decoder() -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}


def _is_byte_level(tokenizer: PreTrainedTokenizerBase) -> bool:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return backend is not None and "ByteLevel" in str(backend.decoder)


def byte_fallback_ids(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int],
                      cache: dict[int, bool]) -> int:
    """How many of ``ids`` are byte pieces rather than whole characters (``cache``: per id)."""
    byte_level = _is_byte_level(tokenizer)
    decoder = _byte_decoder() if byte_level else {}
    count = 0
    for token_id in ids:
        if token_id not in cache:
            piece = tokenizer.convert_ids_to_tokens(token_id) or ""
            if BYTE_PIECE.match(piece):
                cache[token_id] = True
            elif byte_level and all(c in decoder for c in piece):
                try:
                    bytes(decoder[c] for c in piece).decode("utf-8")
                    cache[token_id] = False
                except UnicodeDecodeError:
                    cache[token_id] = True
            else:
                cache[token_id] = False
        count += cache[token_id]
    return count


def fertility(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> dict[str, float]:
    """Tokens per word, characters per token, unknown and byte-fallback shares on ``texts``.

    Special tokens the tokenizer would add (BOS...) are not counted.

    Returns
    -------
    dict
        ``texts``, ``words``, ``tokens`` (counts), ``tokens_per_word``, ``chars_per_token``,
        ``unk_rate``, ``byte_fallback_rate`` and ``vocab_size``.
    """
    unk = tokenizer.unk_token_id
    n_tokens = n_words = n_chars = n_unk = n_bytes = 0
    seen: dict[int, bool] = {}
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        n_tokens += len(ids)
        n_words += len(WORDS.findall(text))
        n_chars += sum(not c.isspace() for c in text)
        if unk is not None:
            n_unk += sum(i == unk for i in ids)
        n_bytes += byte_fallback_ids(tokenizer, ids, seen)
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
    head = "| tokenizer | " + " | ".join(title for _, title in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, stats in rows:
        cells = [f"{stats[key]:,}" if key == "vocab_size" else str(stats[key]) for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_fertility(rows: Sequence[tuple[str, dict[str, float]]], out: Path, *,
                   title: str) -> Path:
    """Bar charts of tokens per word and byte-fallback share per tokenizer, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name for name, _ in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 0.5 * len(rows) + 1.6), dpi=100,
                                      sharey=True)
    _bars(left, names, [s["tokens_per_word"] for _, s in rows], "tokens per word", "{:.2f}")
    _bars(right, names, [100 * s["byte_fallback_rate"] for _, s in rows],
          "byte-fallback tokens (%)", "{:.0f}%")
    left.invert_yaxis()  # first row on top, as in the table
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return out


def _bars(ax: Any, names: list[str], values: list[float], label: str, fmt: str) -> None:
    bars = ax.barh(names, values, color="#4c72b0")
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=8, padding=2)
    ax.set_xlabel(label)
    ax.margins(x=0.15)
