"""The types every generator shares: a request, a raw candidate, the generator protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from workbench.core.briefs import Brief
    from workbench.core.settings.generation import DecodingConfig
    from workbench.generation.registry import ModelSpec
    from workbench.rag.hits import Hit


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a generator may use for one brief."""

    brief: Brief
    #: Chat messages (optional system message, then the rendered user prompt).
    messages: list[dict[str, str]]
    #: The exact prompt text the model sees (chat template applied where the model has one).
    prompt: str
    #: Retrieved past ads, best first (all of them; the prompt may show fewer).
    retrieved: list[Hit]
    n: int
    decoding: DecodingConfig


@dataclass(frozen=True)
class RawCandidate:
    """One generated text before checks."""

    text: str
    #: Seed used for this candidate (``candidate_seed(decoding.seed, seed_key(request), index)``).
    seed: int
    #: Wall time of this candidate's generation.
    seconds: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: ``stop`` (end of text), ``length`` (hit max_new_tokens), ``baseline``, or the server's.
    finish_reason: str | None = None
    #: The retrieved ad a baseline adapted (retrieval baseline), else None.
    source_uid: str | None = None


class Generator(Protocol):
    """A loaded model (or baseline) that turns a request into candidates."""

    spec: ModelSpec
    #: Seconds spent loading (0 for baselines).
    load_seconds: float

    def render(self, messages: list[dict[str, str]]) -> str:
        """The exact prompt text the model will see for ``messages``."""
        ...

    def prompt_budget(self, max_new_tokens: int) -> int | None:
        """Most prompt tokens that fit beside ``max_new_tokens`` (None: no known limit)."""
        ...

    def count_tokens(self, text: str) -> int | None:
        """Tokens of ``text`` (None when the generator has no tokenizer)."""
        ...

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """``request.n`` candidates, in order.

        Candidate i uses ``candidate_seed(decoding.seed, seed_key(request), i)``.
        """
        ...


def seed_key(request: GenerationRequest) -> str:
    """The text candidate seeds are derived from: the user prompt, as the evaluation's items.

    See :func:`workbench.core.sampling.candidate_seed`.
    """
    users = [m["content"] for m in request.messages if m["role"] == "user"]
    return users[-1] if users else request.prompt
