"""Amharic tokenizers: BPE, SentencePiece, extending a base, fertility, embedding resize."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import polars as pl
import pytest

from synthetic.splits import synthetic_posts
from workbench.core.errors import ConfigError
from workbench.training import fertility as fertility_module
from workbench.training import tokenizer as tokenizer_module
from workbench.training import tokenizer_bases as bases_module
from workbench.training.fertility import fertility
from workbench.training.tokenizer import train_bpe, train_sentencepiece
from workbench.training.tokenizer_command import train_tokenizer
from workbench.training.tokenizer_extend import extend_tokenizer

ENGLISH = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "New phones and laptops at the best price in town, call us today.",
    "Our shop opens at nine in the morning and closes late at night.",
    "Order now and get free delivery anywhere in the city this week.",
] * 30


@pytest.fixture(scope="module")
def texts() -> tuple[list[str], list[str]]:
    posts = synthetic_posts(n_ads=200, n_non_ads=40, seed=11)
    return ([p.text for p in posts if p.split == "train"],
            [p.text for p in posts if p.split == "test"])


@pytest.fixture(scope="module")
def english_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An English-centric byte-level BPE, saved like a hub tokenizer (stands in for Llama-2's)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(ENGLISH, vocab_size=600, special_tokens=["<unk>", "<s>", "</s>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, unk_token="<unk>",
                                  bos_token="<s>", eos_token="</s>")
    out = tmp_path_factory.mktemp("english-base")
    tok.save_pretrained(out)
    return out


def test_bpe_knows_every_ethiopic_syllable(texts: tuple[list[str], list[str]]) -> None:
    train, test = texts
    tok = train_bpe(train, vocab_size=1200)
    unseen = "ቈቊቋ ፙፚ"  # rare syllables absent from the training text
    assert not any(c in "".join(train) for c in unseen.replace(" ", ""))
    ids = tok(unseen, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids) == unseen
    stats = fertility(tok, test)
    assert stats["unk_rate"] < 0.05  # only emojis the training text never had
    assert stats["chars_per_token"] > 2.0
    for text in test[:10]:
        assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_sentencepiece_conversion_matches_sentencepiece(texts: tuple[list[str], list[str]]) -> None:
    import sentencepiece as spm

    train, test = texts
    tok, proto = train_sentencepiece(train, vocab_size=700)
    sp = spm.SentencePieceProcessor(model_proto=proto)
    for text in test:
        ours = tok.convert_ids_to_tokens(tok(text, add_special_tokens=False)["input_ids"])
        assert ours == sp.encode(text, out_type=str)
        assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    # Byte fallback instead of <unk> for characters never seen.
    ids = tok("ቈ", add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids) == "ቈ"


def test_extend_base_lowers_fertility_and_keeps_base_ids(
    texts: tuple[list[str], list[str]], english_base: Path
) -> None:
    from transformers import AutoTokenizer

    train, test = texts
    base = AutoTokenizer.from_pretrained(english_base)
    extended, added = extend_tokenizer(base, train, n_new=300)
    assert 50 < len(added) <= 300
    assert len(extended) == len(base) + len(added)
    before, after = fertility(base, test), fertility(extended, test)
    assert after["tokens_per_word"] < 0.5 * before["tokens_per_word"]
    sentence = ENGLISH[1]
    assert extended(sentence)["input_ids"] == base(sentence)["input_ids"]
    for text in test[:5]:
        assert extended.decode(extended(text, add_special_tokens=False)["input_ids"]).replace(
            " ", "") == text.replace(" ", "")


def test_tokenizer_command_writes_files_and_fertility_table(
    tmp_path: Path, english_base: Path
) -> None:
    from transformers import AutoTokenizer

    posts = synthetic_posts(n_ads=150, n_non_ads=30, seed=5)
    cleaned = tmp_path / "messages.parquet"
    pl.DataFrame({"uid": [p.uid for p in posts], "text": [p.text for p in posts]}).write_parquet(
        cleaned)

    report = train_tokenizer(cleaned, tmp_path / "bpe", kind="bpe", vocab_size=1000,
                             bases=[str(english_base)], held_out=0.2)
    names = [name for name, _ in report.rows]
    assert names == [f"base: {english_base}", "bpe 1,000"]
    base_stats, ours = report.rows[0][1], report.rows[1][1]
    assert ours["tokens_per_word"] < base_stats["tokens_per_word"]
    table = (tmp_path / "bpe" / "fertility.md").read_text(encoding="utf-8")
    assert table.startswith("| tokenizer | vocab | tokens/word | chars/token | unk share |")
    assert json.loads((tmp_path / "bpe" / "manifest.json").read_text())["held_out_texts"] > 0
    reloaded = AutoTokenizer.from_pretrained(tmp_path / "bpe")
    assert len(reloaded) == ours["vocab_size"]

    sp = train_tokenizer(cleaned, tmp_path / "sp", kind="sentencepiece", vocab_size=600)
    assert (tmp_path / "sp" / "sentencepiece.model").exists()
    assert sp.rows[0][0] == "sentencepiece 600"

    ext = train_tokenizer(cleaned, tmp_path / "ext", kind="extend", bases=[str(english_base)],
                          n_new=100)
    assert ext.added
    record = json.loads((tmp_path / "ext" / "extension.json").read_text(encoding="utf-8"))
    base_tok = AutoTokenizer.from_pretrained(english_base)
    assert record["base_vocab_size"] == len(base_tok)
    for entry in record["pieces"][:20]:  # byte-level base: the pieces spell out in its ids
        assert base_tok.decode(entry["replaces"]) == entry["piece"]
    assert ext.rows[1][1]["tokens_per_word"] < ext.rows[0][1]["tokens_per_word"]

    with pytest.raises(ConfigError, match="--kind extend needs one --base"):
        train_tokenizer(cleaned, tmp_path / "x", kind="extend")
    with pytest.raises(ConfigError, match="cannot load tokenizer"):
        train_tokenizer(cleaned, tmp_path / "x", bases=[str(tmp_path / "missing")])


def test_run_resizes_embeddings_for_an_extended_tokenizer(
    tmp_path: Path, texts: tuple[list[str], list[str]]
) -> None:
    from transformers import AutoTokenizer

    from workbench.training.recipe import Recipe, TinyModelConfig
    from workbench.training.run import load_base_model
    from workbench.training.tiny_model import build_tiny_base

    train, _ = texts
    base_dir = build_tiny_base(tmp_path / "base", train, TinyModelConfig(vocab_size=600),
                               chat_template="{{ bos_token }}")
    base_tok = AutoTokenizer.from_pretrained(base_dir)
    extended, added = extend_tokenizer(base_tok, [*train, "ሞባይል ባንኪንግ አገልግሎት"] * 3, n_new=40)
    extended.save_pretrained(tmp_path / "ext")
    recipe = Recipe.model_validate({
        "name": "ext", "method": "lora",
        "model": {"base": str(base_dir), "tokenizer": str(tmp_path / "ext"), "dtype": "float32"},
        "lora": {"modules_to_save": ["embed_tokens", "lm_head"]},
    })
    model = load_base_model(recipe, str(base_dir), vocab_size=len(extended))
    assert model.get_input_embeddings().weight.shape[0] == len(base_tok) + len(added)
    assert model.get_output_embeddings().weight.shape[0] == len(extended)


def test_tokenizer_doctests() -> None:
    assert doctest.testmod(tokenizer_module).failed == 0
    assert doctest.testmod(fertility_module).failed == 0
    assert doctest.testmod(bases_module).failed == 0
