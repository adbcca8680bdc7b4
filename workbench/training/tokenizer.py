"""Train new Amharic tokenizers (BPE or SentencePiece) on cleaned text.

Why it matters: English-centric tokenizers split each Ge'ez syllable into several byte tokens
(Mistral 7B's: about 10 tokens per Amharic word), which shrinks the usable context and slows
training.

Design choices:

- ``Metaspace`` pre-tokenization, never ``ByteLevel`` (which turns each Ge'ez character into three
  byte symbols before BPE even starts);
- the BPE alphabet is seeded with the whole Ethiopic block U+1200..U+137F and printable ASCII, so
  rare syllables (or an @ sign) absent from the training text are still tokens, not ``<unk>``;
- SentencePiece models are trained with identity normalization (no NFKC: the original text is
  the training text) and byte fallback, then converted to a fast tokenizer from their pieces and
  scores (``LlamaTokenizer(vocab_file=...)`` silently yields a 3-token vocabulary on
  transformers 5);
- extending a real base is :mod:`workbench.training.tokenizer_extend`, fertility is
  :mod:`workbench.training.fertility`, the command is :mod:`workbench.training.tokenizer_command`.

Examples
--------
>>> tok = train_bpe(["ሰላም ለሁላችሁ", "ስልክ ይደውሉ"] * 20, vocab_size=600)
>>> tok.convert_ids_to_tokens(tok("ሰላም")["input_ids"])
['▁ሰላም']
>>> tok.unk_token_id in tok("ሰላም ለሁላችሁ")["input_ids"]
False
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.errors import ConfigError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

BOS, EOS, UNK, PAD = "<s>", "</s>", "<unk>", "<pad>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>")
SPECIAL_TOKENS = (UNK, BOS, EOS, PAD, *ROLE_TOKENS)

_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


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
