"""The outermost wall of the web app: an ASGI middleware that runs before any route reads a byte.

For every HTTP request, in this order:

1. A state-changing request (POST, PUT, PATCH, DELETE) that a browser labels
   ``Sec-Fetch-Site: cross-site``, or whose ``Origin`` (``Referer`` when there is no ``Origin``)
   is not this site, is refused (403). This is a second line behind the CSRF tokens: a request
   without either header (a script with a valid token) passes.
2. A state-changing request without a valid session is refused before its body is read (the API
   answers 401, pages redirect to the sign-in form); only ``/login`` takes anonymous posts.
3. A ``Content-Length`` that is not a number is refused (400), one over the limit at once (413),
   and every body is counted as it arrives, chunked ones included: 413 as soon as it passes the
   limit, so nothing ever buffers more than the limit.
4. Every response gets :data:`workbench.webapp.security.SECURITY_HEADERS`, and every response but
   static files ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.webapp.security import SECURITY_HEADERS, SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The only route that takes a state-changing request without a session.
ANONYMOUS_POSTS = frozenset({"/login"})


class BodyTooLargeError(HTTPException):
    """The body passed the limit while it arrived (a route reading it gets 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


def is_api(path: str) -> bool:
    """Whether ``path`` is a JSON API route (answers in JSON, never redirects)."""
    return path.startswith("/api/")


def anonymous_response(request: Request) -> Response:
    """What a request without a valid session gets: 401 from the API, else the sign-in form."""
    if is_api(request.url.path):
        return JSONResponse({"detail": "sign in first"}, 401)
    if request.method != "GET":
        return RedirectResponse("/login", 303)  # a form post cannot be replayed after sign-in
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)


def _has_body(headers: Headers) -> bool:
    """Whether the request says a body follows."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


def _origin_of(url: str) -> tuple[str, str]:
    """``(scheme, netloc)`` of a URL, lower-cased; empty strings when it has none."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower()


class RequestGuard:
    """The middleware (see the module docstring).

    Parameters
    ----------
    app
        The application it wraps.
    max_body_bytes
        Largest request body.
    signed_in
        Whether a session cookie value belongs to a live session (runs on a worker thread).
    allowed_origins
        Origins accepted besides the request's own ``Host`` (``scheme://host[:port]``).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int,
                 signed_in: Callable[[str | None], bool],
                 allowed_origins: list[str] | tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.signed_in = signed_in
        self.allowed_origins = frozenset(_origin_of(o) for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request, or pass it on with its body counted and headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        send = self._with_headers(scope, send)
        refusal = await self._refusal(request)
        if refusal is not None:
            if _has_body(request.headers):
                # Otherwise the server reads (and drops) the rest of the body to keep the
                # connection: a 200 MiB upload would still be received in full.
                refusal.headers["Connection"] = "close"
            await refusal(scope, receive, send)
            return
        started = False
        over = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    over = True
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if over:
                    MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLargeError as exc:
            # Raised where no exception handler answered (a body read outside a route).
            if started:
                raise
            await JSONResponse({"detail": exc.detail}, 413,
                               headers={"Connection": "close"})(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        """The response that ends the request here, or None to let it through."""
        headers = request.headers
        if request.method in UNSAFE_METHODS:
            if headers.get("sec-fetch-site") == "cross-site" or not self._same_origin(headers):
                return JSONResponse({"detail": "cross-site request refused"}, 403)
            if request.url.path not in ANONYMOUS_POSTS:
                token = request.cookies.get(SESSION_COOKIE)
                if not await anyio.to_thread.run_sync(self.signed_in, token):
                    return anonymous_response(request)
        length = headers.get("content-length")
        if length is not None and not length.isdigit():
            return JSONResponse({"detail": "Content-Length is not a number"}, 400)
        if length is not None and int(length) > self.max_body_bytes:
            # Briefs are small: refuse big bodies before anything parses or spools them.
            return JSONResponse({"detail": f"request body over {self.max_body_bytes} bytes"}, 413)
        return None

    def _same_origin(self, headers: Headers) -> bool:
        """Whether the request's Origin (else Referer) is this site; True when it has neither."""
        claimed = headers.get("origin") or headers.get("referer")
        if claimed is None:
            return True  # not a browser, or one that sends neither: the CSRF token decides
        scheme, netloc = _origin_of(claimed)
        if (scheme, netloc) in self.allowed_origins:
            return True
        host = (headers.get("host") or "").lower()
        return scheme in ("http", "https") and bool(netloc) and netloc == host

    @staticmethod
    def _with_headers(scope: Scope, send: Send) -> Callable[[Message], Awaitable[None]]:
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        return send_with_headers
