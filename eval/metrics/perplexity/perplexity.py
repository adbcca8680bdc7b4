"""Perplexity of texts under a LOCAL causal language model, optionally after a context.

``evaluate``'s hub perplexity downloads its model by name; this one only opens local folders
(``local_files_only``, through ``workbench.core.models.load_causal_lm``, the loader generation
and evaluation use): a model folder, or a peft adapter folder on top of one (``adapter_path``;
the base is ``model_path``). With ``contexts``, each text is scored as the continuation of its
context (the context's tokens condition the model and are not scored), which is how the
half-continuation task scores the true second half after the first half, and how the brief -> ad
task scores the real ad after the rendered prompt.

Tokens: the context is encoded with ``add_special_tokens`` (True: the tokenizer's BOS; pass False
when the context is a chat-rendered prompt that already has one); the text is encoded without
special tokens and appended. Texts longer than the model's context window are cut from the left
of the context first, then of the text.

Returns per-text perplexities and the token-weighted corpus perplexity, exp(total NLL / tokens).
"""

import math

import datasets
import evaluate
import torch

_DESCRIPTION = "Perplexity under a local causal LM (and optional peft adapter), given contexts."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): texts to score.
    model_path (str): local model folder (required).
    adapter_path (str, optional): local peft adapter folder applied on model_path.
    contexts (list of str, optional): text before each prediction (conditions, not scored).
    add_special_tokens (bool): encode contexts with special tokens (default True).
    max_length (int, optional): tokens per sequence (default: the model's context size).
    dtype (str): "auto" (bfloat16 on a GPU, float32 on CPU), "float32" or "bfloat16".
Returns:
    score (float): corpus perplexity, exp(sum NLL / sum tokens).
    scores (list of float): perplexity of each text (NaN for a text of no token).
    tokens (list of int): scored tokens per text.
"""

_CACHE = {}


def load(model_path, adapter_path=None, dtype="auto"):
    """Model and tokenizer through the workbench's one loader (cached per paths in the process).

    The tokenizer is the adapter folder's when it has one (runs save theirs), else the model's.
    """
    from pathlib import Path

    from workbench.core.models import LocalModel, load_causal_lm

    key = (model_path, adapter_path, dtype)
    if key in _CACHE:
        return _CACHE[key]
    local = LocalModel(model_dir=Path(model_path),
                       adapter_dir=Path(adapter_path) if adapter_path else None)
    model, tokenizer, _ = load_causal_lm(local, dtype=dtype)
    _CACHE.clear()  # one model at a time: a 7B model twice would not fit
    _CACHE[key] = (model, tokenizer)
    return model, tokenizer


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Perplexity(evaluate.Metric):
    """Perplexity under a local model, continuation-aware."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, model_path=None, adapter_path=None,
                 contexts=None, add_special_tokens=True, max_length=None, dtype="auto"):
        if not model_path:
            raise ValueError("perplexity needs model_path (a local model folder)")
        if contexts is not None and len(contexts) != len(predictions):
            raise ValueError("contexts must have one entry per prediction")
        model, tokenizer = load(model_path, adapter_path, dtype)
        limit = max_length or getattr(model.config, "max_position_embeddings", None) or 2048
        bos = tokenizer.bos_token_id
        scores, tokens, total_nll, total_tokens = [], [], 0.0, 0
        for i, text in enumerate(predictions):
            target = tokenizer(text, add_special_tokens=False)["input_ids"]
            if contexts is not None:
                ctx = tokenizer(contexts[i], add_special_tokens=add_special_tokens)["input_ids"]
            else:
                # Without a context the first token needs something to condition on.
                ctx = [bos] if (add_special_tokens and bos is not None) else []
            if not target:
                scores.append(float("nan"))
                tokens.append(0)
                continue
            target = target[: limit - 1] if len(target) >= limit else target
            ctx = ctx[max(0, len(ctx) + len(target) - limit):]
            if not ctx:
                # No conditioning token: the first target token cannot be scored.
                ctx, target = target[:1], target[1:]
            if not target:
                scores.append(float("nan"))
                tokens.append(0)
                continue
            ids = torch.tensor([ctx + target], device=model.device)
            with torch.inference_mode():
                logits = model(input_ids=ids).logits[0, len(ctx) - 1:-1].float()
            nll = torch.nn.functional.cross_entropy(
                logits, torch.tensor(target, device=model.device), reduction="sum").item()
            scores.append(math.exp(nll / len(target)))
            tokens.append(len(target))
            total_nll += nll
            total_tokens += len(target)
        score = math.exp(total_nll / total_tokens) if total_tokens else float("nan")
        return {"score": score, "scores": scores, "tokens": tokens}
