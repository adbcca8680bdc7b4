"""Local Hugging Face causal LMs: a base, a merged model, or a peft adapter over its base.

Loading follows what was measured on this project's machines: the adapter goes onto a full-precision
load of the base (adapters trained on a 4-bit base carry bfloat16 weights that fail on a 4-bit
merge), then is merged so generation runs at plain-model speed. A tokenizer saved with the adapter
(runs save theirs, chat template included) wins over the base's; when it is longer than the base's
embedding matrix, the embeddings are resized first, as the training run did.

Candidate i is sampled after ``torch.manual_seed(seed + i)``, so each candidate can be reproduced
on its own.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.settings.generation import GenerationConfig
from workbench.generation.candidates import GenerationRequest, RawCandidate
from workbench.generation.registry import LocalModel, ModelSpec


def _dtype(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return getattr(torch, name)


def load_causal_lm(local: LocalModel, *, dtype: str = "auto",
                   load_in_4bit: bool = False) -> tuple[Any, Any, dict[str, Any]]:
    """Load model and tokenizer from local folders only.

    Parameters
    ----------
    local
        Model folder, optional adapter folder.
    dtype
        ``auto`` (bfloat16 on GPU, float32 on CPU), ``float32``, ``bfloat16`` or ``float16``.
    load_in_4bit
        Load the base in NF4 (then the adapter is applied unmerged).

    Returns
    -------
    (model, tokenizer, facts)
        The model in eval mode, its tokenizer, and facts for provenance (dtype, device, merged).

    Raises
    ------
    ConfigError
        When a folder cannot be loaded (the first line of the library's message is kept).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    # Per-shard progress bars on stderr say nothing about generation; the CLI prints results.
    hf_logging.disable_progress_bar()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs: dict[str, Any] = {"dtype": _dtype(dtype), "local_files_only": True}
    if load_in_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16)
        kwargs["device_map"] = device
    try:
        tokenizer = AutoTokenizer.from_pretrained(local.tokenizer_dir, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(local.model_dir, **kwargs)
    except (OSError, ValueError) as exc:
        msg = f"cannot load model '{local.model_dir}': {str(exc).splitlines()[0]}"
        raise ConfigError(msg) from None
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    merged = False
    if local.adapter_dir is not None:
        from peft import PeftModel

        with warnings.catch_warnings():
            # peft reads a deprecated transformers property (is_gradient_checkpointing): harmless.
            warnings.simplefilter("ignore", FutureWarning)
            try:
                model = PeftModel.from_pretrained(model, str(local.adapter_dir))
            except (OSError, ValueError, RuntimeError) as exc:
                msg = f"cannot load adapter '{local.adapter_dir}': {str(exc).splitlines()[0]}"
                raise ConfigError(msg) from None
            if not load_in_4bit:
                model = model.merge_and_unload()
                merged = True
    if not load_in_4bit:
        model = model.to(device)
    model.eval()
    facts = {"dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
             "device": device, "load_in_4bit": load_in_4bit, "adapter_merged": merged}
    return model, tokenizer, facts


class HFGenerator:
    """A local causal LM behind the :class:`~workbench.generation.candidates.Generator` protocol.

    Parameters
    ----------
    spec
        A resolved ``hf`` model spec.
    cfg
        Generation config (dtype, 4-bit).
    """

    def __init__(self, spec: ModelSpec, cfg: GenerationConfig) -> None:
        if spec.local is None:
            msg = f"model '{spec.name}' is not a local model"
            raise ConfigError(msg)
        self.spec = spec
        start = time.perf_counter()
        self.model, self.tokenizer, self.facts = load_causal_lm(
            spec.local, dtype=cfg.dtype, load_in_4bit=cfg.load_in_4bit)
        self.load_seconds = time.perf_counter() - start
        self.chat = bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, messages: list[dict[str, str]]) -> str:
        """The chat template applied (generation prompt added), else system + user as text.

        Some chat templates (Mistral's, for one) reject a system message: the system prompt
        then goes at the top of the user message instead.
        """
        if not self.chat:
            return "\n\n".join(m["content"] for m in messages) + "\n\n"
        import jinja2

        try:
            return self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=True)
        except jinja2.TemplateError:
            if messages[0]["role"] != "system":
                raise
            merged = [{"role": "user",
                       "content": messages[0]["content"] + "\n\n" + messages[1]["content"]}]
            return self.tokenizer.apply_chat_template(merged, tokenize=False,
                                                      add_generation_prompt=True)

    def count_tokens(self, text: str) -> int | None:
        """Tokens of ``text`` as it will be encoded."""
        return len(self.tokenizer(text, add_special_tokens=not self.chat)["input_ids"])

    def prompt_budget(self, max_new_tokens: int) -> int | None:
        """The model's context length minus ``max_new_tokens``."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        return None if limit is None else max(1, int(limit) - max_new_tokens)

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """Sample ``request.n`` candidates one by one (seed + i each)."""
        import torch

        dec = request.decoding
        # A chat template writes its own BOS; a plain prompt gets the tokenizer's.
        enc = self.tokenizer(request.prompt, return_tensors="pt",
                             add_special_tokens=not self.chat)
        enc = {k: v.to(self.model.device) for k, v in enc.items()
               if k in ("input_ids", "attention_mask")}
        n_prompt = int(enc["input_ids"].shape[1])
        eos = self.tokenizer.eos_token_id
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos
        kwargs: dict[str, Any] = {"max_new_tokens": dec.max_new_tokens,
                                  "repetition_penalty": dec.repetition_penalty,
                                  "pad_token_id": pad, "eos_token_id": eos}
        if dec.temperature > 0:
            kwargs |= {"do_sample": True, "temperature": dec.temperature, "top_p": dec.top_p}
        else:
            kwargs |= {"do_sample": False}
        out = []
        for i in range(request.n):
            seed = dec.seed + i
            torch.manual_seed(seed)
            if torch.cuda.is_available():
                torch.cuda.manual_seed_all(seed)
            start = time.perf_counter()
            with torch.inference_mode():
                ids = self.model.generate(**enc, **kwargs)[0, n_prompt:]
            seconds = time.perf_counter() - start
            new = ids.tolist()
            stopped = eos is not None and eos in new
            if stopped:
                new = new[: new.index(eos)]
            text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
            out.append(RawCandidate(text=text, seed=seed, seconds=seconds,
                                    prompt_tokens=n_prompt, completion_tokens=len(new),
                                    finish_reason="stop" if stopped else "length"))
        return out
