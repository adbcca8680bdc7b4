"""Hosted baselines: any OpenAI-compatible ``/chat/completions`` endpoint.

vLLM, llama.cpp's server, TGI or a hosted API, registered in ``generation.endpoints``::

    generation:
      endpoints:
        hosted:
          base_url: http://127.0.0.1:8000/v1
          model: my-model
          api_key_env: HOSTED_API_KEY     # the key is read from this variable, never stored

One request per candidate (``n`` = 1, ``seed`` = :func:`~workbench.core.sampling.candidate_seed`,
the rule local models sample by), because many servers ignore ``n`` or ``seed``; the seed
actually sent is recorded. Uses the standard library only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from workbench.core.errors import ConfigError, ServiceError
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
        self.endpoint = spec.endpoint
        self._key: str | None = None
        if self.endpoint.api_key_env:
            self._key = os.environ.get(self.endpoint.api_key_env)
            if not self._key:
                msg = (f"endpoint '{spec.name}': environment variable "
                       f"{self.endpoint.api_key_env} (api_key_env) is not set")
                raise ConfigError(msg)

    def render(self, messages: list[dict[str, str]]) -> str:
        """The messages as sent (JSON), so the prompt hash covers exactly what the server saw."""
        return json.dumps(messages, ensure_ascii=False)

    def prompt_budget(self, max_new_tokens: int) -> int | None:
        """Unknown for a remote model."""
        return None

    def count_tokens(self, text: str) -> int | None:
        """No local tokenizer."""
        return None

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.endpoint.base_url}/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers=headers, method="POST")
        where = f"endpoint '{self.spec.name}' ({url})"
        try:
            with urllib.request.urlopen(req, timeout=self.endpoint.timeout_s) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            msg = f"{where}: HTTP {exc.code} {exc.reason}: {' '.join(detail.split())}"
            raise ServiceError(msg) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            msg = f"{where}: unreachable ({reason})"
            raise ServiceError(msg) from None
        try:
            return json.loads(payload)
        except json.JSONDecodeError:
            msg = f"{where}: the answer is not JSON"
            raise ServiceError(msg) from None

    def generate(self, request: GenerationRequest) -> list[RawCandidate]:
        """One chat completion per candidate."""
        dec = request.decoding
        out = []
        for i in range(request.n):
            seed = candidate_seed(dec.seed, seed_key(request), i)
            body: dict[str, Any] = {
                "model": self.endpoint.model, "messages": request.messages, "n": 1,
                "temperature": dec.temperature, "top_p": dec.top_p,
                "max_tokens": dec.max_new_tokens,
            }
            if self.endpoint.send_seed:
                body["seed"] = seed
            start = time.perf_counter()
            answer = self._post(body)
            seconds = time.perf_counter() - start
            try:
                choice = answer["choices"][0]
                text = choice["message"]["content"] or ""
            except (KeyError, IndexError, TypeError):
                msg = (f"endpoint '{self.spec.name}': unexpected answer (no "
                       "choices[0].message.content)")
                raise ServiceError(msg) from None
            usage = answer.get("usage") or {}
            out.append(RawCandidate(text=text.strip(), seed=seed, seconds=seconds,
                                    prompt_tokens=usage.get("prompt_tokens"),
                                    completion_tokens=usage.get("completion_tokens"),
                                    finish_reason=choice.get("finish_reason")))
        return out
