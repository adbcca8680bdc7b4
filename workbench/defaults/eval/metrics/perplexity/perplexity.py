"""Perplexity of texts under a LOCAL causal language model, optionally after a context.

``evaluate``'s hub perplexity downloads its model by name; this one only opens local folders
(``local_files_only``): a model folder, or a peft adapter folder on top of one (``adapter_path``;
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
import os

import datasets
import evaluate
import torch

_DESCRIPTION = "Perplexity under a local causal LM (and optional peft adapter), given contexts."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): texts to score.
    model_path (str): local model folder (required).
    adapter_path (str, optional): local peft adapter folder applied on model_path.
    tokenizer_path (str, optional): tokenizer folder (default: adapter_path if it has one,
        else model_path).
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


def _has_tokenizer(path):
    return any(os.path.exists(os.path.join(path, f))
               for f in ("tokenizer.json", "tokenizer_config.json"))


def load(model_path, adapter_path=None, tokenizer_path=None, dtype="auto"):
    """Model and tokenizer (cached per paths for the life of the process)."""
    key = (model_path, adapter_path, tokenizer_path, dtype)
    if key in _CACHE:
        return _CACHE[key]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok_dir = tokenizer_path or (adapter_path if adapter_path and _has_tokenizer(adapter_path)
                                 else model_path)
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, local_files_only=True)
    cuda = torch.cuda.is_available()
    if dtype == "auto":
        dtype = "bfloat16" if cuda else "float32"
    model = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True,
                                                 dtype=getattr(torch, dtype))
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    if adapter_path:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_path).merge_and_unload()
    model = model.to("cuda" if cuda else "cpu").eval()
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

    def _compute(self, predictions, model_path=None, adapter_path=None, tokenizer_path=None,
                 contexts=None, add_special_tokens=True, max_length=None, dtype="auto"):
        if not model_path:
            raise ValueError("perplexity needs model_path (a local model folder)")
        if contexts is not None and len(contexts) != len(predictions):
            raise ValueError("contexts must have one entry per prediction")
        model, tokenizer = load(model_path, adapter_path, tokenizer_path, dtype)
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
