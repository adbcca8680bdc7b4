"""How the web app answers what goes wrong: a page for a browser, ``{"detail"}`` under ``/api``.

Anonymous: the sign-in redirect (pages) or 401 (API). Crafted or invalid input: 400 naming the
field. A role without the area or a wrong CSRF token: 403. A missing id, or another company's:
404. A file the page cannot do without is unreadable: 409. Never a 500 with a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from workbench.core.errors import UnreadableFileError
from workbench.webapp import studio
from workbench.webapp.guard import anonymous_response, is_api
from workbench.webapp.inputs import BadInputError
from workbench.webapp.unreadable import unreadable_detail, unreadable_name

#: What the id parameters of the routes are called in messages.
ID_NAMES = {"row": "brief id", "gen_id": "generation id"}

#: Renders a template: ``page(request, name, user, status=..., **context)``.
PageRenderer = Callable[..., Response]


class Anonymous(Exception):
    """No valid session."""


class Forbidden(Exception):
    """Signed in, but the role does not open this area, or the CSRF token is wrong."""


def install_error_handlers(app: FastAPI, page: PageRenderer, data_dir: Path) -> None:
    """Answer the app's errors as the module says (``page`` renders ``error.html``).

    Parameters
    ----------
    app
        The application.
    page
        The app's page renderer.
    data_dir
        Root of the stage folders (an unreadable file is named relative to it).
    """

    @app.exception_handler(Anonymous)
    async def _anonymous(request: Request, _exc: Anonymous) -> Response:
        return anonymous_response(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer echoes the input (an inf or a huge number cannot even be JSON).
        errors = exc.errors()
        loc = [str(part) for part in errors[0].get("loc", ()) if part not in ("path", "body")]
        field = ID_NAMES.get(loc[-1], loc[-1]) if loc else "request"
        message = f"{field}: {errors[0].get('msg', 'invalid')}"
        return bad_request(request, message)

    @app.exception_handler(BadInputError)
    async def _bad_input(request: Request, exc: BadInputError) -> Response:
        return bad_request(request, str(exc))

    def bad_request(request: Request, message: str) -> Response:
        if is_api(request.url.path):
            return JSONResponse({"detail": message}, 400)
        return page(request, "error.html", None, status=400, title="Bad request", message=message)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if is_api(request.url.path):
            return JSONResponse({"detail": str(exc)}, 403)
        return page(request, "error.html", None, status=403, title="Not allowed",
                    message=str(exc))

    @app.exception_handler(studio.NotFoundError)
    async def _not_found(request: Request, _exc: studio.NotFoundError) -> Response:
        if is_api(request.url.path):
            return JSONResponse({"detail": "not found"}, 404)
        return page(request, "error.html", None, status=404, title="Not found",
                    message="There is nothing here, or it belongs to another company.")

    @app.exception_handler(UnreadableFileError)
    async def _unreadable(request: Request, exc: UnreadableFileError) -> Response:
        # What a page cannot do without (its brief, a file a pick needs); sections that can be
        # left out are, with a note (UnreadableFiles).
        detail = unreadable_detail(unreadable_name(exc, data_dir))
        if is_api(request.url.path):
            return JSONResponse({"detail": detail}, 409)
        return page(request, "error.html", None, status=409, title="Unreadable file",
                    message=detail)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if is_api(request.url.path):
            return JSONResponse({"detail": exc.detail}, exc.status_code)
        return page(request, "error.html", None, status=exc.status_code, title="Error",
                    message=str(exc.detail))
