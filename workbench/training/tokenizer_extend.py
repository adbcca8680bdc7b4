"""Extend a real base tokenizer with Amharic pieces, and initialise their embeddings.

The Amharic Llama-2 method: learn a SentencePiece model on Amharic text, append the pieces the
base lacks to the base's own SentencePiece model (its pieces and ids untouched, the new ids after
them), and start each new embedding row as the mean of the rows of the base pieces that the new
piece replaces (``ሰላም`` -> the mean of its six byte pieces), not as noise.

- A SentencePiece base (Mistral v1, Llama-2, a folder with ``tokenizer.model``) gets real pieces
  merged into its model: the result is a ``LlamaTokenizer`` folder (``tokenizer.model`` and
  ``tokenizer.json``) that ``AutoTokenizer.from_pretrained`` loads, and whose segmentation equals
  SentencePiece's on the merged model.
- Any other base (byte-level BPE) gets the pieces as added tokens.

Either way ``extension.json`` records, for every new id, the base ids it replaces; a training run
whose ``model.tokenizer`` has that file resizes the embeddings and calls
:func:`init_new_embeddings`.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import write_json_atomic
from workbench.training.tokenizer import train_bpe
from workbench.training.tokenizer_bases import (
    TokenizerBase,
    load_tokenizer_folder,
    write_sentencepiece_folder,
)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

EXTENSION_FILE = "extension.json"
_ETHIOPIC = re.compile(r"[\u1200-\u137F]")
_NORMAL, _BPE = 1, 2  # SentencePiece piece type NORMAL, model type BPE


@dataclass
class Extension:
    """An extended tokenizer and what it added.

    Attributes
    ----------
    tokenizer
        The extended tokenizer (base ids unchanged).
    base_vocab_size
        Length of the base tokenizer: new ids start there.
    pieces
        The added pieces, in id order.
    replaces
        For each added piece, the base ids that spell it.
    """

    tokenizer: PreTrainedTokenizerBase
    base_vocab_size: int
    pieces: list[str]
    replaces: list[list[int]]

    def save(self, out_dir: Path, *, base_name: str) -> None:
        """Save the tokenizer and ``extension.json`` into ``out_dir``."""
        self.tokenizer.save_pretrained(out_dir)
        first = self.base_vocab_size
        write_json_atomic(out_dir / EXTENSION_FILE, {
            "base": base_name, "base_vocab_size": first, "added": len(self.pieces),
            "init": "mean of the base pieces each new piece replaces",
            "pieces": [{"id": first + i, "piece": p, "replaces": ids}
                       for i, (p, ids) in enumerate(zip(self.pieces, self.replaces, strict=True))],
        })


def _sentencepiece_file(base: TokenizerBase) -> Path | None:
    if base.format == "sentencepiece":
        return base.path
    candidate = base.path / "tokenizer.model"
    return candidate if base.format == "transformers" and candidate.is_file() else None


def extend_base(base: TokenizerBase, texts: Sequence[str], n_new: int, *, work_dir: Path
                ) -> Extension:
    """Add up to ``n_new`` Amharic pieces learnt from ``texts`` to ``base``.

    Parameters
    ----------
    base
        The base tokenizer (packaged, folder, or hub id).
    texts
        Training text (the user's cleaned posts).
    n_new
        Most pieces to add.
    work_dir
        Folder the merged SentencePiece model is written to (the output folder).
    """
    model_file = _sentencepiece_file(base)
    if model_file is not None:
        return extend_sentencepiece(model_file.read_bytes(), texts, n_new, work_dir=work_dir)
    base_tok = base.load()
    extended, pieces = extend_tokenizer(base_tok, texts, n_new)
    replaces = [base_tok(p, add_special_tokens=False)["input_ids"] for p in pieces]
    return Extension(extended, len(base_tok), pieces, replaces)


def _learn_pieces(texts: Sequence[str], base: Any, vocab_size: int) -> Any:
    """A SentencePiece model learnt on ``texts`` with the base's type and normalization."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    norm, trainer = base.normalizer_spec, base.trainer_spec
    out = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(list(texts)), model_writer=out, vocab_size=vocab_size,
            model_type="bpe" if trainer.model_type == _BPE else "unigram",
            character_coverage=1.0, byte_fallback=False,
            normalization_rule_name=norm.name or "identity",
            add_dummy_prefix=norm.add_dummy_prefix,
            remove_extra_whitespaces=norm.remove_extra_whitespaces,
            split_digits=trainer.split_digits,
            max_sentencepiece_length=trainer.max_sentencepiece_length or 16,
            hard_vocab_limit=False, bos_id=-1, eos_id=-1, unk_id=0,
            minloglevel=2, num_threads=1,
        )
    except RuntimeError as exc:
        msg = f"learning Amharic pieces failed: {str(exc).splitlines()[-1]}"
        raise DataContractError(msg) from None
    learnt = pb.ModelProto()
    learnt.ParseFromString(out.getvalue())
    return learnt


def _reachable(piece: str, known: set[str]) -> bool:
    """Whether a BPE merge of two known pieces spells ``piece`` (single characters always do)."""
    return len(piece) == 1 or any(piece[:i] in known and piece[i:] in known
                                  for i in range(1, len(piece)))


def extend_sentencepiece(model: bytes, texts: Sequence[str], n_new: int, *, work_dir: Path
                         ) -> Extension:
    """Append Amharic pieces to a SentencePiece model and load it as a ``LlamaTokenizer``.

    New pieces are the learnt pieces containing Ge'ez the base lacks: Ge'ez characters first,
    then merged pieces in the order they were learnt (most frequent first). In a BPE base they
    score below every base piece (base merges keep their priority) and each is kept only when
    two known pieces spell it, so every piece can actually be produced.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    base = pb.ModelProto()
    base.ParseFromString(model)
    learnt = _learn_pieces(texts, base, vocab_size=int(n_new * 1.25) + 500)
    known = {p.piece for p in base.pieces}
    candidates = [p for p in learnt.pieces if p.type == _NORMAL and _ETHIOPIC.search(p.piece)
                  and p.piece not in known]
    ordered = ([p for p in candidates if len(p.piece) == 1]
               + [p for p in candidates if len(p.piece) > 1])
    bpe = base.trainer_spec.model_type == _BPE
    lowest = min((p.score for p in base.pieces if p.type == _NORMAL), default=0.0)
    merged = copy.deepcopy(base)
    added: list[str] = []
    for learnt_piece in ordered:
        if len(added) == n_new:
            break
        if bpe and not _reachable(learnt_piece.piece, known):
            continue
        score = lowest - 1 - len(added) if bpe else learnt_piece.score
        merged.pieces.append(pb.ModelProto.SentencePiece(piece=learnt_piece.piece, score=score,
                                                         type=_NORMAL))
        known.add(learnt_piece.piece)
        added.append(learnt_piece.piece)
    if not added:
        msg = "no Amharic piece to add: the texts hold no Ge'ez the base lacks"
        raise DataContractError(msg)
    work_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer_folder(write_sentencepiece_folder(merged.SerializeToString(),
                                                                 work_dir))
    # The base, spelling each piece exactly (no dummy prefix: "▁" in a piece is a real space).
    spelling = copy.deepcopy(base)
    spelling.normalizer_spec.add_dummy_prefix = False
    speller = spm.SentencePieceProcessor(model_proto=spelling.SerializeToString())
    replaces = [speller.encode(p.replace("▁", " ")) for p in added]
    return Extension(tokenizer, len(base.pieces), added, replaces)


def amharic_pieces(texts: Sequence[str], base: PreTrainedTokenizerBase, n_new: int) -> list[str]:
    """Frequent multi-character Amharic pieces the base vocabulary lacks, best first."""
    probe = train_bpe(texts, vocab_size=max(1000, n_new * 3 + 400))
    base_vocab = set(base.get_vocab())
    pieces: list[str] = []
    # A BPE vocabulary lists merges in the order they were learnt: most frequent first.
    for piece, _ in sorted(probe.get_vocab().items(), key=lambda kv: kv[1]):
        word = piece.lstrip("▁")
        if (len(word) < 2 or not _ETHIOPIC.search(word) or any(c.isspace() for c in word)
                or word in base_vocab or f"▁{word}" in base_vocab or word in pieces):
            continue
        pieces.append(word)
        if len(pieces) == n_new:
            break
    return pieces


def extend_tokenizer(
    base: PreTrainedTokenizerBase, texts: Sequence[str], n_new: int
) -> tuple[PreTrainedTokenizerBase, list[str]]:
    """Add up to ``n_new`` Amharic pieces to a copy of ``base`` as added tokens.

    For bases without a SentencePiece model (byte-level BPE): the base's pieces and ids are
    untouched, the new ids come after them.
    """
    extended = copy.deepcopy(base)
    pieces = amharic_pieces(texts, base, n_new)
    extended.add_tokens(pieces)
    return extended, pieces


# --- Embeddings ----------------------------------------------------------------------------------


def read_extension(tokenizer_dir: str | Path | None) -> dict[str, Any] | None:
    """``extension.json`` of a tokenizer folder, or None when it is not an extended tokenizer."""
    if tokenizer_dir is None:
        return None
    path = Path(tokenizer_dir) / EXTENSION_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["pieces"] = [(int(p["id"]), [int(i) for i in p["replaces"]])
                            for p in record["pieces"]]
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{path}: not a valid extension record ({exc}); extend the tokenizer again"
        raise ConfigError(msg) from None
    return record


def resize_embeddings(model: Any, vocab_size: int, tokenizer_dir: str | Path | None) -> int:
    """Fit the model's embeddings to a tokenizer of ``vocab_size`` ids; initialise new pieces.

    Rows are added when the tokenizer is longer than the embeddings (mean of all rows, the
    library's default). When ``tokenizer_dir`` holds an extended tokenizer, each new piece's row
    (input and output) is then set to the mean of the rows of the base pieces it replaces, also
    when it falls in rows the base had already (vocabularies padded to a multiple of 64).

    Returns
    -------
    int
        How many rows were set from the pieces they replace.

    Raises
    ------
    ConfigError
        When the tokenizer extends a base with more pieces than the model has rows (a tokenizer
        extended from another base).
    """
    rows = model.get_input_embeddings().weight.shape[0]
    extension = read_extension(tokenizer_dir)
    if extension is not None and extension["base_vocab_size"] > rows:
        msg = (f"tokenizer {tokenizer_dir} extends a base of {extension['base_vocab_size']:,} "
               f"pieces but the model has {rows:,} embedding rows: extend this model's own "
               "tokenizer")
        raise ConfigError(msg)
    if vocab_size > rows:
        model.resize_token_embeddings(vocab_size, mean_resizing=True)
    return 0 if extension is None else init_new_embeddings(model, extension)


def init_new_embeddings(model: Any, extension: dict[str, Any]) -> int:
    """Set each new embedding row (input and output) to the mean of the rows it replaces.

    Call after ``resize_token_embeddings``. Returns how many rows were set.
    """
    import torch

    matrices = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None and output.weight is not matrices[0]:
        matrices.append(output.weight)
    rows = matrices[0].shape[0]
    done = 0
    with torch.no_grad():
        for new_id, replaced in extension["pieces"]:
            sources = [i for i in replaced if i < extension["base_vocab_size"]]
            if new_id >= rows or not sources:
                continue
            for weight in matrices:
                weight[new_id] = weight[sources].float().mean(dim=0).to(weight.dtype)
            done += 1
    return done
