"""Crafted requests against the real app (FastAPI's TestClient, no server): a 4xx, never a 500.

- ids beyond SQLite's integer, negative or not numbers, on every route with an id: 400 naming it;
- JSON numbers Python cannot use (``1e400``, ``NaN``, ``Infinity``, 5,000 digits) and bodies
  nested 1,000 deep: 400 naming the field;
- ``..`` and other dot names are never run, evaluation or figure names, and a served file must
  resolve inside its folder (a linked run folder pointing elsewhere is not served);
- a state-changing request from another origin is refused even with a valid CSRF token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.test_webapp_security import new_brief, sign_in
from tests.webapp_world import ANALYST, MARKETER_A, RUN_ID, WebWorld, csrf_of
from workbench.core.settings.web import WebConfig
from workbench.webapp.app import create_app

HUGE_IDS = ["99999999999999999999999", str(2**63), "9" * 5000, "0", "-1", "1e400", "nan"]
DEEP = "[" * 1000 + "]" * 1000
VALID_BRIEF = {"brand": "Abebe Shoes", "product": "ጫማ", "vertical": "Retail",
               "target_channel": "Addis Deals", "contact": "0911223344"}


def brief_with(field: str, raw: str) -> str:
    """A valid brief as JSON text, but ``field`` holds the raw JSON ``raw``."""
    fields = {**{k: json.dumps(v, ensure_ascii=False) for k, v in VALID_BRIEF.items()}, field: raw}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


@pytest.fixture(scope="module")
def app(web_world: WebWorld) -> Any:
    return create_app(web_world.root, web_world.cfg)


@pytest.fixture(scope="module")
def marketer(app: Any) -> tuple[TestClient, str, int, int]:
    """A signed-in marketer, the CSRF token, one brief and its first generation."""
    client = sign_in(app, MARKETER_A)
    row = new_brief(client, brand="Crafted Input Shoes")
    gen_id = client.get(f"/api/briefs/{row}").json()["generations"][0]
    return client, csrf_of(client.get("/studio").text), row, gen_id


def id_routes(app: Any) -> list[tuple[str, str]]:
    return sorted((method, route.path) for route in app.routes if isinstance(route, APIRoute)
                  for method in route.methods if re.search(r"\{(row|gen_id)\}", route.path))


def test_every_route_with_an_id_refuses_ids_sqlite_cannot_hold(
        app: Any, marketer: tuple[TestClient, str, int, int]) -> None:
    client, csrf, _, _ = marketer
    routes = id_routes(app)
    assert len(routes) == 7  # every page and API route with an id, not a sample
    for method, path in routes:
        name = "brief id" if "{row}" in path else "generation id"
        for bad in HUGE_IDS:
            url = re.sub(r"\{(row|gen_id)\}", bad, path)
            if path.startswith("/api/"):
                response = client.request(method, url, headers={"x-csrf-token": csrf},
                                          json={"model": "template", "candidate_index": 0})
                assert response.status_code == 400, (method, url[:80], response.text[:200])
                assert response.json()["detail"].startswith(f"{name}: ")
            else:
                response = client.request(method, url, data={"csrf_token": csrf})
                assert response.status_code == 400, (method, url[:80], response.text[:200])
                assert name in response.text
            assert "9" * 100 not in response.text  # the input is not echoed back


@pytest.mark.parametrize(("route", "body", "field"), [
    ("generations", '{"model": "template", "n": 1e400}', "n"),
    ("generations", '{"model": "template", "n": -1e400}', "n"),
    ("generations", '{"model": "template", "n": NaN}', "n"),
    ("generations", '{"model": "template", "n": Infinity}', "n"),
    ("generations", '{"model": "template", "n": ' + "9" * 5000 + "}", "n"),
    ("generations", '{"model": "template", "n": 2.5}', "n"),
    ("generations", '{"model": ' + DEEP + ', "n": 1}', "model"),
    ("generations", '{"model": "template", "n": 1, "extra": 1}', "extra"),
    ("generations", "[" + DEEP + "]", "body"),
    ("briefs", brief_with("brand", DEEP), "brand"),
    ("briefs", brief_with("contact", "9" * 5000), "contact"),
    ("briefs", brief_with("brand", "1e400"), "brand"),
    ("briefs", brief_with("notes", "NaN"), "notes"),
    ("briefs", brief_with("offer", "-Infinity"), "offer"),
    ("briefs", '"just a string"', "body"),
    ("briefs", '{"brand": "unterminated', "body"),
    ("pick", '{"candidate_index": 1e400}', "candidate_index"),
    ("pick", '{"candidate_index": ' + "9" * 5000 + "}", "candidate_index"),
    ("pick", '{"candidate_index": ' + "9" * 25 + "}", "candidate_index"),
    ("pick", '{"candidate_index": -Infinity}', "candidate_index"),
])
def test_crafted_json_is_a_400_naming_the_field(
        marketer: tuple[TestClient, str, int, int], route: str, body: str, field: str) -> None:
    client, csrf, row, gen_id = marketer
    path = {"generations": f"/api/briefs/{row}/generations", "briefs": "/api/briefs",
            "pick": f"/api/generations/{gen_id}/pick"}[route]
    before = client.get(f"/api/briefs/{row}").json()
    response = client.post(path, content=body.encode(),
                           headers={"x-csrf-token": csrf, "content-type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    detail = response.json()["detail"]
    assert re.search(rf"(^|: |check ){re.escape(field)}[:.]", detail), detail
    assert len(detail) < 300
    assert client.get(f"/api/briefs/{row}").json() == before  # nothing was stored


@pytest.mark.parametrize(("path", "field", "value"), [
    ("/studio/briefs", "n", "9" * 5000),
    ("/studio/briefs", "n", "1e400"),
    ("/studio/briefs", "n", "0"),
    ("brief", "n", "99999999999999999999999"),
    ("pick", "candidate_index", "9" * 5000),
    ("pick", "candidate_index", "nan"),
])
def test_crafted_form_numbers_are_a_400_naming_the_field(
        marketer: tuple[TestClient, str, int, int], path: str, field: str, value: str) -> None:
    client, csrf, row, gen_id = marketer
    url = {"brief": f"/studio/briefs/{row}/generate",
           "pick": f"/studio/generations/{gen_id}/pick"}.get(path, path)
    data = {"csrf_token": csrf, "model": "template", "brand": "B", "product": "P",
            "vertical": "Retail", "target_channel": "Addis Deals", "contact": "0911223344",
            field: value}
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 400, response.text[:300]
    assert f"{field}: must be" in response.text


def test_dot_names_are_never_runs_evaluations_or_figures(app: Any, web_world: WebWorld) -> None:
    client = sign_in(app, ANALYST)
    assert client.get(f"/runs/{RUN_ID}").status_code == 200
    for path in ("/runs/%2e%2e", "/runs/%2E%2E/loss.png", "/runs/%2e", "/runs/.hidden/loss.png",
                 "/runs/..%2Fruns%2F" + RUN_ID, "/runs/%2e%2e%5C%2e%2e/loss.png",
                 "/leaderboard/figures/%2e%2e/x.png",
                 f"/leaderboard/figures/{web_world.eval_id}/%2e%2e.png",
                 "/leaderboard/figures/%2e%2e/%2e%2e.png",
                 f"/leaderboard/figures/%2e%2e%2Fevals%2F{web_world.eval_id}/x.png"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "image/png" not in response.headers["content-type"]


def test_a_served_file_must_resolve_inside_its_folder(web_world: WebWorld, tmp_path: Path) -> None:
    import shutil

    from workbench.webapp.accounts import add_user
    from workbench.webapp.store import Store, db_path

    # A data dir with a run of its own and a run folder that links to a run elsewhere.
    root, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    for folder in (root / "runs" / "own", elsewhere / "run"):
        shutil.copytree(web_world.root / "runs" / RUN_ID, folder)
        (folder / "loss.png").write_bytes(b"\x89PNG\r\n\x1a\n" + folder.name.encode())
    (root / "runs" / "linked").symlink_to(elsewhere / "run", target_is_directory=True)
    add_user(Store(db_path(root)), ANALYST, company="Team", role="analyst",
             password="correct horse battery staple")
    client = sign_in(create_app(root, web_world.cfg), ANALYST)
    own = client.get("/runs/own/loss.png")
    assert (own.status_code, own.content[-3:]) == (200, b"own")
    assert client.get("/runs/linked/loss.png").status_code == 404


def test_state_changing_requests_from_another_origin_are_refused(
        app: Any, marketer: tuple[TestClient, str, int, int], web_world: WebWorld) -> None:
    client, csrf, row, _ = marketer
    path = f"/api/briefs/{row}/generations"
    body = {"model": "template", "n": 1}
    count = len(client.get(f"/api/briefs/{row}").json()["generations"])
    for headers in ({"origin": "https://evil.example"}, {"origin": "null"},
                    {"origin": "http://testserver.evil.example"},
                    {"referer": "https://evil.example/page"},
                    {"origin": "https://evil.example", "referer": "http://testserver/studio"}):
        response = client.post(path, json=body, headers={"x-csrf-token": csrf, **headers})
        assert response.status_code == 403, headers
        assert response.json() == {"detail": "cross-site request refused"}
    # Forms too, and sign-in.
    form = client.post(f"/studio/briefs/{row}/generate", headers={"origin": "https://evil.example"},
                       data={"csrf_token": csrf, "model": "template", "n": "1"})
    assert form.status_code == 403
    anonymous = TestClient(app)
    login_csrf = csrf_of(anonymous.get("/login").text)
    assert anonymous.post("/login", headers={"origin": "https://evil.example"},
                          data={"email": MARKETER_A, "password": "x", "csrf_token": login_csrf},
                          ).status_code == 403
    assert len(client.get(f"/api/briefs/{row}").json()["generations"]) == count
    # Same origin, and no header at all (a script with the token), pass; reads are never checked.
    for headers in ({"origin": "http://testserver"}, {"referer": "http://testserver/studio"}, {}):
        response = client.post(path, json=body, headers={"x-csrf-token": csrf, **headers})
        assert response.status_code == 201, (headers, response.text[:200])
    assert client.get("/api/briefs", headers={"origin": "https://evil.example"}).status_code == 200
    # A configured public origin (a proxy that rewrites Host) passes too.
    cfg = web_world.cfg.model_copy(update={"web": WebConfig(
        allowed_origins=["https://ads.example.et"])})
    proxied = sign_in(create_app(web_world.root, cfg), MARKETER_A)
    proxied_csrf = proxied.get("/api/me").json()["csrf_token"]
    response = proxied.post(path, json=body, headers={"x-csrf-token": proxied_csrf,
                                                      "origin": "https://ads.example.et"})
    assert response.status_code == 201
