"""Hosted baselines: an OpenAI-compatible endpoint behind the generator protocol.

The endpoint itself (key, request, answer checks) is :class:`workbench.core.endpoints.EndpointModel`.
One request per candidate, with ``seed`` = :func:`~workbench.core.sampling.candidate_seed` (the
rule local models sample by); the seed actually sent is recorded.
"""

from __future__ import annotations

import json

from workbench.core.endpoints import EndpointModel
from workbench.core.errors import ConfigError
from workbench.core.sampling import candidate_seed
from workbench.generation.candidates import GenerationRequest, RawCandidate, seed_key
from workbench.generation.registry import ModelSpec


class OpenAICompatGenerator:
    """Chat completions over HTTP behind the generator protocol."""

    load_seconds = 0.0

    def __init__(self, spec: ModelSpec) -> None:
        if spec.endpoint is None:
            msg = f"model '{spec.name}' is not an endpoint"
            raise ConfigError(msg)
        self.spec = spec
        self.model = EndpointModel(spec.name, spec.endpoint)

    def render(self, messages: list[dict[str, str]]) -> str:
        """The messages as sent (JSON), so the prompt hash covers exactly what the server saw."""
        return json.dumps(messages, ensure_ascii=False)

    def prompt_budget(self, max_new_tokens: int) -> int | None:
        """Unknown for a remote model."""
        return None

    def count_tokens(self, text: str) -> int | None:
        """No local tokenizer."""
        return None

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """One chat completion per candidate."""
        dec = request.decoding
        out = []
        for i in range(request.n):
            done = self.model.complete(request.messages,
                                       seed=candidate_seed(dec.seed, seed_key(request), i),
                                       temperature=dec.temperature, top_p=dec.top_p,
                                       max_new_tokens=dec.max_new_tokens)
            out.append(RawCandidate(text=done.text, seed=done.seed, seconds=done.seconds,
                                    prompt_tokens=done.prompt_tokens,
                                    completion_tokens=done.completion_tokens,
                                    finish_reason=done.finish_reason))
        return out
