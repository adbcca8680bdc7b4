"""The one sampling loop: a loaded causal LM writes a continuation of one prompt.

``workbench generate`` (and the web app's studio through it) and the evaluation's model systems
all sample through :func:`sample_text`, seeded by one rule: :func:`item_seed` mixes the run's seed
with a checksum of the prompt, so an item's output depends on its prompt and the seed only, never
on which other items were in the batch or in what order. Candidate ``i`` of a prompt uses
``item_seed(seed + i, prompt)`` (:func:`candidate_seed`).

torch is imported inside the functions: ``workbench --help`` stays light.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class SamplingSettings(Protocol):
    """The decoding settings the loop reads (the generation and evaluation configs both have them)."""

    temperature: float
    top_p: float
    repetition_penalty: float


def item_seed(seed: int, prompt: str) -> int:
    """Seed of one item: the run's seed mixed with a checksum of the prompt.

    Examples
    --------
    >>> item_seed(0, "x") == item_seed(0, "x")
    True
    >>> item_seed(0, "x") != item_seed(1, "x") and item_seed(0, "x") != item_seed(0, "y")
    True
    """
    return (seed * 1_000_003 + zlib.crc32(prompt.encode("utf-8"))) % (2**31 - 1)


def candidate_seed(seed: int, prompt: str, index: int) -> int:
    """Seed of candidate ``index`` of ``prompt``: :func:`item_seed` of ``seed + index``."""
    return item_seed(seed + index, prompt)


@dataclass(frozen=True)
class Sample:
    """One sampled continuation.

    Attributes
    ----------
    text
        The new tokens decoded (special tokens skipped, whitespace stripped).
    token_ids
        The new token ids, without the stop token.
    generated_tokens
        How many tokens the model produced (the stop token included): at least 1 whenever
        ``max_new_tokens`` is, whatever the weights are.
    prompt_tokens
        Tokens of the prompt as the model saw it (after cutting it to fit).
    finish_reason
        ``stop`` (the end-of-text token) or ``length`` (``max_new_tokens`` reached).
    seed
        The seed the sample was drawn with.
    seconds
        Wall time of the generation.
    """

    text: str
    token_ids: list[int]
    generated_tokens: int
    prompt_tokens: int
    finish_reason: Literal["stop", "length"]
    seed: int
    seconds: float


def _generate_kwargs(tokenizer: Any, settings: SamplingSettings,
                     max_new_tokens: int) -> dict[str, Any]:
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": pad,
                              "eos_token_id": eos,
                              "repetition_penalty": settings.repetition_penalty}
    if settings.temperature > 0:
        kwargs |= {"do_sample": True, "temperature": settings.temperature,
                   "top_p": settings.top_p}
    else:
        kwargs |= {"do_sample": False}
    return kwargs


def fit_prompt(ids: list[int], context_length: int | None, max_new_tokens: int) -> list[int]:
    """The prompt ids cut from the left so that they and ``max_new_tokens`` fit the context.

    The end is kept: it holds the generation prompt and the brief's tail.

    Examples
    --------
    >>> fit_prompt([1, 2, 3, 4], 5, 2)
    [2, 3, 4]
    >>> fit_prompt([1, 2], None, 100)
    [1, 2]
    """
    if context_length is None or len(ids) + max_new_tokens <= context_length:
        return ids
    return ids[-max(1, int(context_length) - max_new_tokens):]


def sample_text(model: Any, tokenizer: Any, prompt: str, *, seed: int, max_new_tokens: int,
                settings: SamplingSettings, add_special_tokens: bool) -> Sample:
    """Sample one continuation of ``prompt`` with ``seed``.

    Parameters
    ----------
    model, tokenizer
        From :func:`workbench.core.models.load_causal_lm`.
    prompt
        The exact text the model conditions on (chat template already applied, if any).
    seed
        This sample's seed (:func:`item_seed` / :func:`candidate_seed`).
    max_new_tokens
        Generation budget.
    settings
        Temperature (0: greedy), top-p and repetition penalty.
    add_special_tokens
        Add the tokenizer's BOS (False when a chat template already wrote it).

    Returns
    -------
    Sample
        The new text and tokens only: the prompt is never part of the output.
    """
    import torch

    ids = tokenizer(prompt, add_special_tokens=add_special_tokens)["input_ids"]
    ids = fit_prompt(ids, getattr(model.config, "max_position_embeddings", None), max_new_tokens)
    input_ids = torch.tensor([ids], device=model.device)
    kwargs = _generate_kwargs(tokenizer, settings, max_new_tokens)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    start = time.perf_counter()
    with torch.inference_mode():
        new = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                             **kwargs)[0, len(ids):].tolist()
    seconds = time.perf_counter() - start
    generated = len(new)
    eos = kwargs["eos_token_id"]
    stopped = eos is not None and eos in new
    if stopped:
        new = new[: new.index(eos)]
    return Sample(text=tokenizer.decode(new, skip_special_tokens=True).strip(), token_ids=new,
                  generated_tokens=generated, prompt_tokens=len(ids),
                  finish_reason="stop" if stopped else "length", seed=seed, seconds=seconds)
