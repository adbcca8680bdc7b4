"""A local OpenAI-compatible chat endpoint for tests of the endpoint models (no network).

It stands in for a hosted model a team would call, not for a component the workbench runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ChatEndpoint:
    """``POST .../chat/completions`` on 127.0.0.1, answering ``reply(body)`` (or ``status``).

    Parameters
    ----------
    reply
        The assistant message for a request body.
    status
        HTTP status; other than 200, the body is an error object.

    Attributes
    ----------
    requests
        Every request received: ``path``, JSON ``body`` and ``auth`` (the Authorization header).
    url
        The base URL to configure (``http://127.0.0.1:<port>/v1``).
    """

    def __init__(self, reply: Callable[[dict[str, Any]], str], status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append({"path": self.path, "body": body,
                                          "auth": self.headers.get("Authorization")})
                if status != 200:
                    payload = b'{"error": "boom"}'
                else:
                    payload = json.dumps({
                        "choices": [{"message": {"role": "assistant", "content": reply(body)},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 50, "completion_tokens": 12},
                    }, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()
