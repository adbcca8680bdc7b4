"""Local Hugging Face causal LMs behind the generator protocol.

The model is loaded by :func:`workbench.core.models.load_causal_lm` and sampled by
:func:`workbench.core.sampling.sample_text`, as the evaluation's model systems are. Candidate i of a
brief is sampled with ``candidate_seed(seed, user_prompt, i)``, so each candidate can be reproduced
on its own and does not depend on the other briefs of the run.
"""

from __future__ import annotations

import time

from workbench.core.errors import ConfigError
from workbench.core.models import load_causal_lm
from workbench.core.sampling import candidate_seed, sample_text
from workbench.core.settings.generation import GenerationConfig
from workbench.generation.candidates import GenerationRequest, RawCandidate, seed_key
from workbench.generation.registry import ModelSpec


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
        """Sample ``request.n`` candidates one by one (:func:`candidate_seed` each)."""
        dec = request.decoding
        out = []
        for i in range(request.n):
            # A chat template writes its own BOS; a plain prompt gets the tokenizer's.
            sample = sample_text(self.model, self.tokenizer, request.prompt,
                                 seed=candidate_seed(dec.seed, seed_key(request), i),
                                 max_new_tokens=dec.max_new_tokens, settings=dec,
                                 add_special_tokens=not self.chat)
            out.append(RawCandidate(text=sample.text, seed=sample.seed, seconds=sample.seconds,
                                    prompt_tokens=sample.prompt_tokens,
                                    completion_tokens=len(sample.token_ids),
                                    finish_reason=sample.finish_reason))
        return out
