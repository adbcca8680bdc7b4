"""Endpoint models: any OpenAI-compatible ``/chat/completions`` server, as a model.

vLLM, llama.cpp's server, TGI or a hosted API, registered in ``generation.endpoints``::

    generation:
      endpoints:
        hosted:
          base_url: http://127.0.0.1:8000/v1
          model: my-model
          api_key_env: HOSTED_API_KEY     # the key is read from this variable, never stored

Where :mod:`workbench.core.models` loads local models, :class:`EndpointModel` "loads" an endpoint:
it reads the key once and sends one request per completion (``n`` = 1 with the sample's seed,
because many servers ignore ``n`` or ``seed``). Uses the standard library only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import ConfigError, ServiceError
from workbench.core.settings.generation import EndpointConfig


@dataclass(frozen=True)
class Completion:
    """One chat completion as the server answered it."""

    text: str
    seed: int
    seconds: float
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None


class EndpointModel:
    """An OpenAI-compatible chat-completions endpoint.

    Parameters
    ----------
    name
        The registry name (for messages).
    endpoint
        Its ``generation.endpoints`` entry.

    Raises
    ------
    ConfigError
        When ``api_key_env`` names a variable that is not set.
    """

    def __init__(self, name: str, endpoint: EndpointConfig) -> None:
        self.name = name
        self.endpoint = endpoint
        self._key: str | None = None
        if endpoint.api_key_env:
            self._key = os.environ.get(endpoint.api_key_env)
            if not self._key:
                msg = (f"endpoint '{name}': environment variable {endpoint.api_key_env} "
                       "(api_key_env) is not set")
                raise ConfigError(msg)

    def describe(self) -> dict[str, Any]:
        """JSON-ready provenance (no secrets: the URL and model only)."""
        return {"base_url": self.endpoint.base_url, "model": self.endpoint.model}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.endpoint.base_url}/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers=headers, method="POST")
        where = f"endpoint '{self.name}' ({url})"
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

    def complete(self, messages: list[dict[str, str]], *, seed: int, temperature: float,
                 top_p: float, max_new_tokens: int) -> Completion:
        """One chat completion of ``messages``.

        Raises
        ------
        ServiceError
            Unreachable server, an HTTP error, or an answer without
            ``choices[0].message.content``.
        """
        body: dict[str, Any] = {
            "model": self.endpoint.model, "messages": messages, "n": 1,
            "temperature": temperature, "top_p": top_p, "max_tokens": max_new_tokens,
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
            msg = f"endpoint '{self.name}': unexpected answer (no choices[0].message.content)"
            raise ServiceError(msg) from None
        usage = answer.get("usage") or {}
        return Completion(text=text.strip(), seed=seed, seconds=seconds,
                          prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"),
                          finish_reason=choice.get("finish_reason"))
