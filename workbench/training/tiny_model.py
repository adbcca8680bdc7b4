"""Build a tiny Llama and its Amharic tokenizer locally from text (no download, ~1 s).

The tiny base exists so that every code path a 7B QLoRA run takes (4-bit loading, peft, trl,
checkpoints, merge) runs on a laptop CPU in tests and the demo. Its weights are random, so it
only learns what the run teaches it; that is why its recipe trains ``lm_head`` in full.

Examples
--------
>>> import tempfile
>>> from workbench.training.recipe import TinyModelConfig
>>> path = build_tiny_base(Path(tempfile.mkdtemp()), ["ሰላም ለሁላችሁ 0911223344"] * 50,
...                        TinyModelConfig(vocab_size=600), chat_template="{{ bos_token }}")
>>> sorted(p.name for p in path.iterdir())[:3]
['chat_template.jinja', 'config.json', 'generation_config.json']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.core.io import write_json_atomic
from workbench.training.recipe import TinyModelConfig
from workbench.training.tokenizer import train_bpe

MARKER = "tiny_base.json"


def build_tiny_base(
    out_dir: Path,
    texts: Iterable[str],
    spec: TinyModelConfig,
    *,
    chat_template: str,
    seed: int = 0,
    dtype: str = "float32",
    device: str = "cpu",
) -> Path:
    """Train a BPE tokenizer on ``texts`` and save it with a randomly initialised tiny Llama.

    Parameters
    ----------
    out_dir
        Folder for ``config.json``, the weights and the tokenizer files.
    texts
        Everything the model will see: prompts *and* completions (a character absent from the
        tokenizer's training text would become ``<unk>``).
    spec
        Model shape and vocabulary size.
    chat_template
        Jinja chat template stored with the tokenizer.
    seed
        Seeds the weight initialisation.
    dtype
        Dtype the weights are saved in (``bfloat16`` halves a GPU benchmark's 7B base).
    device
        Where the weights are initialised: ``cuda`` builds a billion-parameter base in
        seconds, where the CPU takes minutes.

    Returns
    -------
    Path
        ``out_dir``, loadable with ``AutoModelForCausalLM.from_pretrained``.
    """
    tokenizer = train_bpe(texts, spec.vocab_size)
    tokenizer.chat_template = chat_template
    save_random_llama(out_dir, tokenizer, spec, seed=seed, dtype=dtype, device=device)
    write_json_atomic(out_dir / MARKER, {"spec": spec.model_dump(), "seed": seed,
                                         "vocab_size": len(tokenizer)})
    return out_dir


def save_random_llama(
    out_dir: Path,
    tokenizer: Any,
    spec: TinyModelConfig,
    *,
    seed: int = 0,
    dtype: str = "float32",
    device: str = "cpu",
) -> Path:
    """Save a randomly initialised Llama of ``spec``'s shape for ``tokenizer``, and the tokenizer.

    The vocabulary is the tokenizer's (``spec.vocab_size`` is ignored), so a real tokenizer
    (Mistral's 32,000 pieces, or an extended one) gets a tiny model of its own.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        max_position_embeddings=spec.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    # fork_rng: building the base must not move the global RNG the run seeds afterwards.
    cuda = [] if device == "cpu" else None  # None: every CUDA device's generator
    with torch.random.fork_rng(devices=cuda), torch.device(device):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config).to(getattr(torch, dtype))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
