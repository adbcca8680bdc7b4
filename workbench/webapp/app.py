"""The FastAPI application behind ``workbench serve``.

Pages (HTML, forms with CSRF tokens) and a JSON API under ``/api`` share one set of rules:

- Nothing but ``/login`` and ``/static`` answers an anonymous user: pages redirect to the
  sign-in form, the API answers 401.
- A role opens only its areas (:data:`workbench.webapp.accounts.ROLE_AREAS`; otherwise 403), and a
  company reads only its own briefs and generations (otherwise 404, the same as a missing id).
- Every state-changing request carries the session's CSRF token (form field or
  ``X-CSRF-Token``), else 403; before that, :mod:`workbench.webapp.guard` refuses foreign
  origins, anonymous posts (before their body is read) and bodies over ``web.max_body_bytes``.
- Crafted input is a 400 naming the field (:mod:`workbench.webapp.inputs`), never a 500: ids are
  bounded to SQLite's integer, JSON is depth-checked, numbers Python cannot hold are refused.
- Run, evaluation and figure names are plain names, and a served file must resolve inside its
  folder.
- Generation runs on worker threads, at most ``web.generation_workers`` at once; the rest queue.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures' annotations
at run time, and the dependency aliases are local to :func:`create_app`.
"""

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from workbench.core.config import ProjectConfig
from workbench.core.errors import UnreadableFileError, WorkbenchError
from workbench.core.layout import Layout
from workbench.webapp import dashboard as dash
from workbench.webapp import leaderboard as board
from workbench.webapp import run_compare, studio
from workbench.webapp.accounts import ROLE_AREAS
from workbench.webapp.brief_form import FIELD_LABELS, REQUIRED_FIELDS, errors_of
from workbench.webapp.error_pages import Anonymous, Forbidden, install_error_handlers
from workbench.webapp.formatting import install_filters
from workbench.webapp.guard import RequestGuard
from workbench.webapp.inputs import (
    MAX_ROW_ID,
    GenerateBody,
    PickBody,
    form_int,
    inside,
    parse_json_object,
    parse_model,
    plain_name,
)
from workbench.webapp.passwords import (
    PasswordChecks,
    PasswordChecksBusyError,
    dummy_hash,
    needs_rehash,
)
from workbench.webapp.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    Sessions,
    User,
    cookie_args,
    new_token,
    same_token,
)
from workbench.webapp.store import Store, db_path
from workbench.webapp.unreadable import UnreadableFiles, unreadable_detail, unreadable_name

log = logging.getLogger("workbench.webapp")
HERE = Path(__file__).parent
BriefId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]
GenerationId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


def create_app(data_dir: Path, cfg: ProjectConfig, *, secure_cookies: bool = False) -> FastAPI:
    """Build the app for one data dir.

    Parameters
    ----------
    data_dir
        Root of the stage folders; the app's own state is in ``DIR/webapp/``.
    cfg
        Project config (its ``web`` section: sessions, throttle, models).
    secure_cookies
        Mark cookies Secure (serve over HTTPS, or behind a TLS proxy).
    """
    store = Store(db_path(data_dir))
    layout = Layout(data_dir)
    sessions = Sessions(store, cfg.web)
    throttle = LoginThrottle(store, cfg.web)
    password_checks = PasswordChecks(cfg.web.password_checks_at_once,
                                     cfg.web.password_checks_waiting)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    install_filters(templates.env)
    app = FastAPI(title="Amharic ad workbench", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.limiter = anyio.CapacityLimiter(cfg.web.generation_workers)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    cookies = cookie_args(secure_cookies)

    # --- cross-cutting ---------------------------------------------------------------------

    app.add_middleware(RequestGuard, max_body_bytes=cfg.web.max_body_bytes,
                       signed_in=lambda token: sessions.user(token) is not None,
                       allowed_origins=cfg.web.allowed_origins)

    def page(request: Request, name: str, user: User | None, *, status: int = 200,
             **context: Any) -> Response:
        return templates.TemplateResponse(request, name, {
            "user": user, "areas": sorted(ROLE_AREAS[user.role]) if user else [],
            "csrf_field": CSRF_FIELD, **context}, status_code=status)

    install_error_handlers(app, page, data_dir)

    # --- who is asking -----------------------------------------------------------------------

    def current_user(request: Request) -> User:
        user = sessions.user(request.cookies.get(SESSION_COOKIE))
        if user is None:
            raise Anonymous
        return user

    async def checked_user(request: Request) -> User:
        """The user of a state-changing request whose CSRF token matches the session's."""
        user = current_user(request)
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and "form" in (request.headers.get("content-type") or ""):
            sent = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
        if not same_token(sent if isinstance(sent, str) else None, user.csrf_token):
            msg = "missing or wrong CSRF token; reload the page and try again"
            raise Forbidden(msg)
        return user

    def area(name: str) -> Callable[[User], User]:
        def check(user: Annotated[User, Depends(current_user)]) -> User:
            return _in_area(user, name)
        return check

    def checked_area(name: str) -> Callable[..., Awaitable[User]]:
        async def check(user: Annotated[User, Depends(checked_user)]) -> User:
            return _in_area(user, name)
        return check

    StudioUser = Annotated[User, Depends(area("studio"))]
    StudioWriter = Annotated[User, Depends(checked_area("studio"))]
    AnalystUser = Annotated[User, Depends(area("leaderboard"))]

    # --- sign in / out -----------------------------------------------------------------------

    def login_page(request: Request, *, status: int = 200, error: str | None = None,
                   email: str = "", next_url: str = "/") -> Response:
        token = new_token()
        response = page(request, "login.html", None, status=status, error=error, email=email,
                        login_csrf=token, next_url=next_url)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookies)
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        return login_page(request, next_url=_local_path(next))

    @app.post("/login")
    async def login(request: Request, email: Annotated[str, Form(max_length=320)] = "",
              password: Annotated[str, Form(max_length=1024)] = "",
              csrf_token: Annotated[str, Form(max_length=100)] = "",
              next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
        next_url = _local_path(next)
        if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
            return login_page(request, status=403, email=email, next_url=next_url,
                              error="The form expired; please sign in again.")
        client = request.client.host if request.client else "unknown"
        # Counted before the password is checked: a burst sent at once cannot pass the limit.
        verdict = await anyio.to_thread.run_sync(throttle.attempt, email, client)
        if not verdict.allowed:
            log.warning("sign-in throttled for %s from %s", email, client)
            response = login_page(request, status=429, email=email, next_url=next_url,
                                  error=f"Too many failed sign-ins. Try again in "
                                        f"{verdict.retry_after_s} s.")
            response.headers["Retry-After"] = str(verdict.retry_after_s)
            return response
        account = await anyio.to_thread.run_sync(
            store.one, "SELECT id, email, password_hash FROM users WHERE email = ?", email.strip())
        try:
            # Verify against a dummy hash for unknown e-mails: the same time either way.
            ok = await password_checks.verify(
                account["password_hash"] if account else dummy_hash(), password)
        except PasswordChecksBusyError:
            await anyio.to_thread.run_sync(throttle.withdraw, verdict.attempt_id)
            log.warning("sign-in refused while busy: %s from %s", email, client)
            response = login_page(request, status=503, email=email, next_url=next_url,
                                  error="The server is busy signing others in; try again.")
            response.headers["Retry-After"] = "5"
            return response
        if account is None or not ok:
            log.info("failed sign-in for %s from %s", email, client)
            return login_page(request, status=401, email=email, next_url=next_url,
                              error="Wrong e-mail or password.")
        session = await anyio.to_thread.run_sync(signed_in, account, password)
        response = RedirectResponse(next_url, 303)
        response.set_cookie(SESSION_COOKIE, session,
                            max_age=cfg.web.session_max_hours * 3600, **cookies)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    def signed_in(account: dict[str, Any], password: str) -> str:
        """After a right password: clear the failures, upgrade the hash; the new session."""
        throttle.succeeded(account["email"])
        if needs_rehash(account["password_hash"]):
            from workbench.webapp.passwords import hash_password

            store.write("UPDATE users SET password_hash = ? WHERE id = ?",
                        hash_password(password), account["id"])
        log.info("signed in: %s", account["email"])
        return sessions.create(account["id"])

    @app.post("/logout")
    async def logout(request: Request, user: Annotated[User, Depends(checked_user)]) -> Response:
        sessions.end(request.cookies.get(SESSION_COOKIE))
        log.info("signed out: %s", user.email)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/")
    def home(user: Annotated[User, Depends(current_user)]) -> Response:
        first = "studio" if "studio" in ROLE_AREAS[user.role] else "leaderboard"
        return RedirectResponse(f"/{first}", 303)

    # --- ad studio: pages --------------------------------------------------------------------

    def studio_context(user: User) -> dict[str, Any]:
        return {"briefs": studio.list_briefs(store, user), "required": REQUIRED_FIELDS,
                "labels": FIELD_LABELS,
                "models": studio.studio_model_choices(data_dir, cfg),
                "channels": studio.index_channels(data_dir, cfg),
                "verticals": studio.verticals(), "max_candidates": cfg.web.max_candidates}

    @app.get("/studio", response_class=HTMLResponse)
    def studio_page(request: Request, user: StudioUser) -> Response:
        return page(request, "studio.html", user, form={}, error=None, field_errors={},
                    **studio_context(user))

    @app.post("/studio/briefs")
    async def studio_new_brief(request: Request, user: StudioWriter,
                               brief_file: Annotated[UploadFile | None, File()] = None) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        model = fields.pop("model", "")
        n = form_int(fields.pop("n", None), "n", default=3, low=1, high=cfg.web.max_candidates)
        fields.pop(CSRF_FIELD, None)
        try:
            if brief_file is not None and brief_file.filename:
                data = await brief_file.read(studio.MAX_UPLOAD_BYTES + 1)
                brief = studio.brief_from_upload(data, brief_file.filename)
            else:
                brief = studio.brief_from_form(fields)
        except WorkbenchError as exc:
            return page(request, "studio.html", user, status=400, form=fields, error=str(exc),
                        field_errors=errors_of(exc), **studio_context(user))
        row = studio.save_brief(store, data_dir, user, brief)
        try:
            await run_generation(user, row, model, n)
        except WorkbenchError as exc:
            # The brief is saved; say why nothing was generated on its page.
            return brief_page(request, user, row, error=str(exc), status=400)
        return RedirectResponse(f"/studio/briefs/{row}", 303)

    def brief_page(request: Request, user: User, row: int, *, error: str | None = None,
                   status: int = 200) -> Response:
        found = studio.brief_row(store, user, row)
        brief = studio.load_brief_row(found).brief
        views = [studio.view_generation(data_dir, cfg, g)
                 for g in studio.generations_of(store, user, row)]
        return page(request, "brief.html", user, status=status, row=found, brief=brief,
                    generations=views, models=studio.studio_model_choices(data_dir, cfg),
                    error=error, max_candidates=cfg.web.max_candidates)

    @app.get("/studio/briefs/{row}", response_class=HTMLResponse)
    def studio_brief(request: Request, row: BriefId, user: StudioUser) -> Response:
        return brief_page(request, user, row)

    @app.post("/studio/briefs/{row}/generate")
    async def studio_regenerate(request: Request, row: BriefId, user: StudioWriter) -> Response:
        form = await request.form()
        model = str(form.get("model") or "")
        n = form_int(form.get("n"), "n", default=3, low=1, high=cfg.web.max_candidates)
        studio.brief_row(store, user, row)  # another company's brief: 404 before any work
        try:
            await run_generation(user, row, model, n)
        except WorkbenchError as exc:
            return brief_page(request, user, row, error=str(exc), status=400)
        return RedirectResponse(f"/studio/briefs/{row}", 303)

    @app.post("/studio/generations/{gen_id}/pick")
    async def studio_pick(request: Request, gen_id: GenerationId, user: StudioWriter) -> Response:
        form = await request.form()
        index = form_int(form.get("candidate_index"), "candidate_index", default=-1, low=0,
                         high=MAX_ROW_ID)
        found = studio.generation_row(store, user, gen_id)
        try:
            await anyio.to_thread.run_sync(studio.pick_candidate, store, data_dir, user, gen_id,
                                           index)
        except UnreadableFileError:
            raise  # the stored file is at fault, not the pick: 409 from its handler
        except WorkbenchError as exc:
            return brief_page(request, user, found["brief_row"], error=str(exc), status=400)
        return RedirectResponse(f"/studio/briefs/{found['brief_row']}#gen-{gen_id}", 303)

    async def run_generation(user: User, row: int, model: str, n: int) -> int:
        try:
            return await anyio.to_thread.run_sync(
                studio.generate_for_brief, store, data_dir, cfg, user, row, model, n,
                limiter=app.state.limiter)
        except UnreadableFileError as exc:  # not the request's fault: 409, not the callers' 400
            raise HTTPException(409, unreadable_detail(unreadable_name(exc, data_dir))) from None

    # --- ad studio: JSON API -----------------------------------------------------------------

    @app.get("/api/me")
    def api_me(user: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
        return {"email": user.email, "company": user.company, "role": user.role,
                "csrf_token": user.csrf_token}

    @app.get("/api/models")
    def api_models(user: StudioUser) -> dict[str, Any]:
        return {"models": studio.studio_models(data_dir, cfg)}

    @app.get("/api/briefs")
    def api_briefs(user: StudioUser) -> dict[str, Any]:
        return {"briefs": [{k: r[k] for k in ("id", "brief_id", "brand", "product",
                                              "target_channel", "created_at", "generations")}
                           for r in studio.list_briefs(store, user)]}

    @app.post("/api/briefs", status_code=201)
    async def api_new_brief(request: Request, user: StudioWriter) -> dict[str, Any]:
        body = parse_json_object(await request.body())
        try:
            brief = studio.brief_from_form(body)
        except WorkbenchError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"id": studio.save_brief(store, data_dir, user, brief)}

    @app.get("/api/briefs/{row}")
    def api_brief(row: BriefId, user: StudioUser) -> dict[str, Any]:
        found = studio.brief_row(store, user, row)
        return {"id": row, "brief": studio.load_brief_row(found).brief.model_dump(mode="json"),
                "generations": [g["id"] for g in studio.generations_of(store, user, row)]}

    @app.post("/api/briefs/{row}/generations", status_code=201)
    async def api_generate(request: Request, row: BriefId, user: StudioWriter) -> dict[str, Any]:
        body = parse_model(await request.body(), GenerateBody)
        try:
            gen_id = await run_generation(user, row, body.model, body.n)
        except WorkbenchError as exc:
            raise HTTPException(400, str(exc)) from None
        return generation_json(user, gen_id)

    @app.get("/api/generations/{gen_id}")
    def api_generation(gen_id: GenerationId, user: StudioUser) -> dict[str, Any]:
        return generation_json(user, gen_id)

    @app.post("/api/generations/{gen_id}/pick")
    async def api_pick(request: Request, gen_id: GenerationId, user: StudioWriter
                       ) -> dict[str, Any]:
        body = parse_model(await request.body(), PickBody)
        try:
            await anyio.to_thread.run_sync(studio.pick_candidate, store, data_dir, user, gen_id,
                                           body.candidate_index)
        except UnreadableFileError:
            raise
        except WorkbenchError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"generation": gen_id, "picked": body.candidate_index}

    def generation_json(user: User, gen_id: int) -> dict[str, Any]:
        view = studio.view_generation(data_dir, cfg, studio.generation_row(store, user, gen_id))
        if view.unreadable:
            raise HTTPException(409, unreadable_detail(view.unreadable))
        return {"id": view.id, "model": view.model, "created_at": view.created_at,
                "seconds": round(view.seconds, 4), "picked": view.picked,
                "candidates": [{"index": c["candidate_index"], "text": c["text"],
                                "checks_passed": c["checks_passed"],
                                "check_failures": c["check_failures"]} for c in view.candidates],
                "retrieved": [{"uid": r["uid"], "channel": r["channel"], "text": r["text"]}
                              for r in view.retrieved]}

    # --- analyst pages -----------------------------------------------------------------------

    @app.get("/leaderboard", response_class=HTMLResponse)
    def leaderboard_page(request: Request, user: AnalystUser) -> Response:
        files = UnreadableFiles(data_dir)
        lb = files.attempt(lambda: board.latest_leaderboard(data_dir))
        files.names += [n for n in (lb.unreadable if lb else []) if n not in files.names]
        prefs = files.attempt(lambda: board.studio_preferences(data_dir))
        return page(request, "leaderboard.html", user, lb=lb, prefs=prefs, unreadable=files.names)

    @app.get("/leaderboard/sort.js")
    def leaderboard_sort_script(user: AnalystUser) -> Response:
        # The report's table sorter, same-origin: the CSP allows no inline script.
        return Response(board.sort_script(), media_type="text/javascript")

    @app.get("/leaderboard/figures/{eval_id}/{name}.png")
    def leaderboard_figure(eval_id: str, name: str, user: AnalystUser) -> Response:
        path = board.figure_path(data_dir, plain_name(eval_id), plain_name(name))
        return FileResponse(inside(path, layout.webapp / "reports"), media_type="image/png")

    @app.get("/runs/compare", response_class=HTMLResponse)
    def run_compare_page(request: Request, user: AnalystUser, a: str = "", b: str = ""
                         ) -> Response:
        try:
            comparison = run_compare.compare_runs(data_dir, a and plain_name(a),
                                                  b and plain_name(b))
        except run_compare.UnknownRunError:
            raise studio.NotFoundError from None
        return page(request, "compare.html", user, cmp=comparison, picked={"a": a, "b": b})

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str, user: AnalystUser) -> Response:
        run = board.run_lineage(data_dir, plain_name(run_id))
        if run is None:
            raise studio.NotFoundError
        return page(request, "run.html", user, run=run)

    @app.get("/runs/{run_id}/loss.png")
    def run_plot(run_id: str, user: AnalystUser) -> Response:
        path = board.run_plot_path(data_dir, plain_name(run_id))
        return FileResponse(inside(path, layout.runs), media_type="image/png")

    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(request: Request, user: Annotated[User, Depends(area("dashboard"))]
                       ) -> Response:
        built = dash.build_dashboard(data_dir, cfg)
        return page(request, "dashboard.html", user, board=built, unreadable=built.unreadable)

    return app


def _in_area(user: User, name: str) -> User:
    """The user, when the role opens area ``name``; else Forbidden."""
    if name not in ROLE_AREAS[user.role]:
        msg = f"the {user.role} role cannot open the {name}"
        raise Forbidden(msg)
    return user


def _local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect after sign-in)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
