"""The web app's rules, in process (FastAPI's TestClient speaks to the real app, no server).

Anonymous users are refused everywhere; a company never sees another's briefs or generations,
even by guessing ids; form posts need the CSRF token; sign-in is throttled; bad briefs get one
clear message; secrets stay out of pages and logs.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.webapp_world import (
    ANALYST,
    MARKETER_A,
    MARKETER_B,
    PASSWORD,
    RUN_ID,
    WebWorld,
    csrf_of,
)
from workbench.core.config import ProjectConfig
from workbench.core.settings.web import WebConfig
from workbench.webapp.app import create_app
from workbench.webapp.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from workbench.webapp.store import db_path


@pytest.fixture(scope="module")
def world(web_world: WebWorld) -> WebWorld:
    return web_world


@pytest.fixture(scope="module")
def app(world: WebWorld) -> Any:
    return create_app(world.root, world.cfg)


def sign_in(app: Any, email: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(client.get("/login").text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


def brief_fields(**override: str) -> dict[str, str]:
    fields = {"brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
              "target_channel": "Addis Deals", "contact": "0911 22 33 44",
              "call_to_action": "ዛሬውኑ ይደውሉ", "offer": "20% ቅናሽ", "language": "am",
              "model": "template", "n": "2"}
    fields.update(override)
    return fields


def new_brief(client: TestClient, **override: str) -> int:
    csrf = csrf_of(client.get("/studio").text)
    response = client.post("/studio/briefs", data={"csrf_token": csrf, **brief_fields(**override)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:800]
    found = re.match(r"^/studio/briefs/(\d+)$", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_refuses_an_anonymous_user(app: Any) -> None:
    client = TestClient(app)
    checked = 0
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.path == "/login":
            continue
        for method in route.methods:
            response = client.request(method, concrete(route.path), follow_redirects=False)
            if route.path.startswith("/api/"):
                assert response.status_code == 401, (method, route.path)
                assert response.json() == {"detail": "sign in first"}
            elif method == "GET":
                assert response.status_code == 303, (method, route.path)
                assert response.headers["location"].startswith("/login?next=")
            else:
                # Posts without a session are refused before anything is read or written.
                assert response.status_code in (303, 401), (method, route.path)
            checked += 1
    assert checked >= 20  # every page and API endpoint, not a sample


def test_sign_in_sets_a_hardened_session_cookie_and_logout_ends_it(app: Any) -> None:
    client = TestClient(app)
    page = client.get("/login?next=/studio")
    assert LOGIN_CSRF_COOKIE in page.headers["set-cookie"]
    response = client.post("/login", data={"email": MARKETER_A, "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text), "next": "/studio"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/studio"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    token = client.cookies[SESSION_COOKIE]
    assert client.get("/studio").status_code == 200
    csrf = csrf_of(client.get("/studio").text)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    # The old cookie is dead on the server, not only deleted in this browser.
    replay = TestClient(app, cookies={SESSION_COOKIE: token})
    assert replay.get("/studio", follow_redirects=False).status_code == 303
    assert replay.get("/api/me").status_code == 401


def test_password_is_stored_as_argon2id_and_never_shown(world: WebWorld) -> None:
    with sqlite3.connect(db_path(world.root)) as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
        tokens = [r[0] for r in db.execute("SELECT token_sha256 FROM sessions")]
    assert hashes
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    assert all(re.fullmatch(r"[0-9a-f]{64}", t) for t in tokens)  # digests, not cookie values


def test_wrong_password_and_unknown_email_look_the_same(app: Any) -> None:
    client = TestClient(app)
    answers = []
    for email in (MARKETER_B, "nobody@nowhere.et"):
        r = client.post("/login", data={"email": email, "password": "wrong password!",
                                        "csrf_token": csrf_of(client.get("/login").text)})
        answers.append((r.status_code, re.search(r'id="login-error">([^<]+)<', r.text).group(1)))
    assert answers[0] == answers[1] == (401, "Wrong e-mail or password.")


def test_repeated_wrong_passwords_are_throttled(world: WebWorld) -> None:
    cfg = world.cfg.model_copy(update={"web": WebConfig(max_failures_per_email=3,
                                                        max_failures_per_client=6)})
    throttled_app = create_app(world.root, cfg)
    client = TestClient(throttled_app)

    def attempt(email: str, password: str) -> Any:
        return client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(client.get("/login").text)},
                           follow_redirects=False)

    statuses = [attempt(ANALYST, f"guess number {i}").status_code for i in range(3)]
    assert statuses == [401, 401, 401]
    blocked = attempt(ANALYST, PASSWORD)  # even the right password is not checked now
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in blocked.text
    # Other accounts from this address still work until the address limit...
    assert attempt(MARKETER_B, PASSWORD).status_code == 303
    for i in range(3):
        attempt(MARKETER_B, f"other guess {i}")
    # ...which now stops every e-mail from it.
    assert attempt(MARKETER_A, PASSWORD).status_code == 429
    with sqlite3.connect(db_path(world.root)) as db:
        db.execute("DELETE FROM login_failures")


def test_forms_without_the_csrf_token_are_refused(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client)
    csrf = csrf_of(client.get("/studio").text)
    before = client.get(f"/api/briefs/{row}").json()["generations"]
    for data in ({}, {"csrf_token": "forged-token"}):
        response = client.post(f"/studio/briefs/{row}/generate",
                               data={"model": "template", "n": "1", **data})
        assert response.status_code == 403
        assert "CSRF" in response.text
    api = client.post(f"/api/briefs/{row}/generations", json={"model": "template", "n": 1})
    assert api.status_code == 403
    assert client.get(f"/api/briefs/{row}").json()["generations"] == before  # nothing generated
    # The sign-in form too (double-submit cookie), and cross-site posts whatever they carry.
    anonymous = TestClient(app)
    assert anonymous.post("/login", data={"email": MARKETER_A, "password": PASSWORD,
                                          "csrf_token": "x"}).status_code == 403
    cross = client.post(f"/studio/briefs/{row}/generate", headers={"sec-fetch-site": "cross-site"},
                        data={"model": "template", "n": "1", "csrf_token": csrf})
    assert cross.status_code == 403
    # With the token it works.
    ok = client.post(f"/studio/briefs/{row}/generate", data={"model": "template", "n": "1",
                                                             "csrf_token": csrf},
                     follow_redirects=False)
    assert ok.status_code == 303


def test_a_company_never_sees_another_companys_briefs(app: Any) -> None:
    a = sign_in(app, MARKETER_A)
    b = sign_in(app, MARKETER_B)
    row = new_brief(a, brand="Abebe Secret Brand")
    gen_id = a.get(f"/api/briefs/{row}").json()["generations"][0]
    b_csrf = csrf_of(b.get("/studio").text)
    assert "Abebe Secret Brand" not in b.get("/studio").text
    assert all(x["brand"] != "Abebe Secret Brand" for x in b.get("/api/briefs").json()["briefs"])
    # Guessing ids: every brief and generation of A is "not found" for B, pages and API alike.
    b_rows = {x["id"] for x in b.get("/api/briefs").json()["briefs"]}
    for guess in range(1, row + 3):
        page, api = b.get(f"/studio/briefs/{guess}"), b.get(f"/api/briefs/{guess}")
        expected = 200 if guess in b_rows else 404
        assert (page.status_code, api.status_code) == (expected, expected), guess
        assert "Abebe Secret Brand" not in page.text
    assert b.get(f"/api/generations/{gen_id}").status_code == 404
    assert b.post(f"/api/generations/{gen_id}/pick", json={"candidate_index": 0},
                  headers={"x-csrf-token": b_csrf}).status_code == 404
    assert b.post(f"/studio/briefs/{row}/generate", data={"model": "template", "n": "1",
                                                          "csrf_token": b_csrf}).status_code == 404
    assert b.post(f"/api/briefs/{row}/generations", json={"model": "template"},
                  headers={"x-csrf-token": b_csrf}).status_code == 404
    # B's own brief is B's; A cannot see it either.
    b_row = new_brief(b, brand="Beta Mobile", vertical="Telecom")
    assert a.get(f"/studio/briefs/{b_row}").status_code == 404
    assert a.get(f"/studio/briefs/{row}").status_code == 200
    # A's pick is stored; B's attempt left nothing.
    assert a.get(f"/api/generations/{gen_id}").json()["picked"] is None


def test_roles_open_only_their_areas(app: Any) -> None:
    marketer = sign_in(app, MARKETER_A)
    analyst = sign_in(app, ANALYST)
    for path in ("/leaderboard", "/dashboard", f"/runs/{RUN_ID}"):
        assert marketer.get(path).status_code == 403
        assert analyst.get(path).status_code == 200
    assert analyst.get("/studio").status_code == 403
    assert analyst.get("/api/briefs").status_code == 403
    assert marketer.get("/", follow_redirects=False).headers["location"] == "/studio"
    assert analyst.get("/", follow_redirects=False).headers["location"] == "/leaderboard"


@pytest.mark.parametrize(("override", "message"), [
    ({"contact": "call me maybe"}, "contact"),
    ({"vertical": "Retale"}, "did you mean 'Retail'"),
    ({"brand": ""}, "brand"),
])
def test_bad_briefs_get_one_clear_message(app: Any, override: dict[str, str], message: str) -> None:
    client = sign_in(app, MARKETER_A)
    count = len(client.get("/api/briefs").json()["briefs"])
    csrf = csrf_of(client.get("/studio").text)
    response = client.post("/studio/briefs", data={"csrf_token": csrf, **brief_fields(**override)})
    assert response.status_code == 400
    error = re.search(r'id="brief-error">([^<]+)<', response.text).group(1)
    assert message in error.replace("&#39;", "'")
    assert "Traceback" not in response.text
    # What was typed is kept in the form; nothing was stored.
    assert 'value="Abebe Shoes"' in response.text or override.get("brand") == ""
    assert len(client.get("/api/briefs").json()["briefs"]) == count


def test_uploaded_brief_yaml_is_validated_like_a_file(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    csrf = csrf_of(client.get("/studio").text)
    good = ("brand: Abebe Shoes\nproduct: ጫማ\nvertical: Retail\ntarget_channel: Addis Deals\n"
            "contact: '@abebeshoes'\n")
    ok = client.post("/studio/briefs", data={"csrf_token": csrf, "model": "template", "n": "1"},
                     files={"brief_file": ("shoes.yaml", good.encode(), "application/yaml")},
                     follow_redirects=False)
    assert ok.status_code == 303
    bad = client.post("/studio/briefs", data={"csrf_token": csrf, "model": "template"},
                      files={"brief_file": ("shoes.yaml", b"brand: [unclosed\n", "text/yaml")})
    assert bad.status_code == 400
    assert "shoes.yaml" in bad.text
    assert "invalid YAML" in bad.text
    typo = client.post("/studio/briefs", data={"csrf_token": csrf, "model": "template"},
                       files={"brief_file": ("x.yaml", (good + "brnad: x\n").encode(), "text/yaml")})
    assert typo.status_code == 400
    assert "unknown key" in typo.text


def test_unknown_model_is_a_message_not_a_crash(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client)
    csrf = csrf_of(client.get("/studio").text)
    response = client.post(f"/api/briefs/{row}/generations", json={"model": "gpt-17"},
                           headers={"x-csrf-token": csrf})
    assert response.status_code == 400
    assert "not offered" in response.json()["detail"]


def test_pick_is_stored_as_a_human_preference(app: Any, world: WebWorld) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client, n="3")
    gen_id = client.get(f"/api/briefs/{row}").json()["generations"][0]
    csrf = csrf_of(client.get(f"/studio/briefs/{row}").text)
    response = client.post(f"/studio/generations/{gen_id}/pick",
                           data={"csrf_token": csrf, "candidate_index": "1"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/generations/{gen_id}").json()["picked"] == 1
    assert "★ best" in client.get(f"/studio/briefs/{row}").text
    prefs = pl.read_parquet(world.root / "webapp" / "preferences.parquet")
    mine = prefs.filter(pl.col("generation_id") == gen_id).to_dicts()
    assert len(mine) == 1
    generation = client.get(f"/api/generations/{gen_id}").json()
    texts = [c["text"] for c in generation["candidates"]]
    assert mine[0]["chosen_text"] == texts[1]
    assert sorted(mine[0]["rejected_texts"]) == sorted([texts[0], texts[2]])
    assert mine[0]["picked_by"] == MARKETER_A
    assert mine[0]["company"] == "Abebe Shoes"
    # A pick of a candidate that does not exist is "not found", and changes nothing.
    assert client.post(f"/api/generations/{gen_id}/pick", json={"candidate_index": 9},
                       headers={"x-csrf-token": csrf}).status_code == 404
    assert client.get(f"/api/generations/{gen_id}").json()["picked"] == 1


def test_secrets_never_reach_pages_or_logs(app: Any, world: WebWorld,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = sign_in(app, MARKETER_A)
    token = client.cookies[SESSION_COOKIE]
    row = new_brief(client)
    analyst = sign_in(app, ANALYST)
    pages = [client.get(p).text for p in ("/studio", f"/studio/briefs/{row}", "/api/me",
                                          "/api/briefs")]
    pages += [analyst.get(p).text for p in ("/leaderboard", "/dashboard", f"/runs/{RUN_ID}")]
    with sqlite3.connect(db_path(world.root)) as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
    for text in [*pages, caplog.text]:
        assert PASSWORD not in text
        assert token not in text
        assert analyst.cookies[SESSION_COOKIE] not in text
        assert not any(h in text for h in hashes)
    assert "signed in: " + MARKETER_A in caplog.text  # the log says who, never with what


def test_sessions_expire_when_idle_and_when_the_password_changes(app: Any, world: WebWorld) -> None:
    from workbench.webapp.accounts import set_password
    from workbench.webapp.store import Store

    client = sign_in(app, MARKETER_B)
    assert client.get("/studio").status_code == 200
    with sqlite3.connect(db_path(world.root)) as db:
        db.execute("UPDATE sessions SET last_seen = ? WHERE user_id = "
                   "(SELECT id FROM users WHERE email = ?)", (time.time() - 3 * 3600, MARKETER_B))
    assert client.get("/studio", follow_redirects=False).status_code == 303
    client = sign_in(app, MARKETER_B)
    set_password(Store(db_path(world.root)), MARKETER_B, "another long passphrase")
    assert client.get("/studio", follow_redirects=False).status_code == 303
    set_password(Store(db_path(world.root)), MARKETER_B, PASSWORD)


def test_no_open_redirect_after_sign_in(app: Any) -> None:
    client = TestClient(app)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = client.get("/login", params={"next": target})
        response = client.post("/login", data={"email": ANALYST, "password": PASSWORD,
                                               "csrf_token": csrf_of(page.text),
                                               "next": target}, follow_redirects=False)
        assert response.headers["location"] == "/", target


def test_every_response_carries_the_security_headers(app: Any) -> None:
    client = sign_in(app, ANALYST)
    for path in ("/login", "/leaderboard", "/static/app.css"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    assert client.get("/leaderboard").headers["cache-control"] == "no-store"


def test_run_page_and_figures_cannot_escape_their_folders(app: Any) -> None:
    client = sign_in(app, ANALYST)
    for path in ("/runs/..%2F..%2Fetc", "/runs/%2E%2E/loss.png",
                 "/leaderboard/figures/..%2F..%2Fwebapp/app.sqlite3.png",
                 "/leaderboard/figures/x/..%2Fapp.png"):
        assert client.get(path).status_code == 404, path


def test_users_cli(tmp_path: Path) -> None:
    def run(*args: str, password: str = "a long enough secret") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workbench", "users", *args,
                               "--data-dir", str(tmp_path)], input=password + "\n",
                              capture_output=True, text=True, timeout=120, check=False)

    ok = run("add", "a@b.et", "--company", "Abebe", "--role", "analyst", "--password-stdin")
    assert ok.returncode == 0, ok.stderr
    for args, password, message in [
        (("add", "c@b.et", "--company", "Abebe"), "short", "at least 10 characters"),
        (("add", "A@B.et", "--company", "X"), "a long enough secret", "already has an account"),
        (("add", "d@b.et", "--company", "X", "--role", "boss"), "a long enough secret",
         "role 'boss'"),
        (("add", "not-an-email", "--company", "X"), "a long enough secret", "not an e-mail"),
        (("remove", "nobody@b.et"), "", "no account for nobody@b.et"),
    ]:
        bad = run(*args, "--password-stdin", password=password) if args[0] == "add" else run(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert message in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1  # one line, no traceback
    listing = run("ls")
    assert "a@b.et" in listing.stdout
    assert "argon2" not in listing.stdout
    assert run("remove", "a@b.et").returncode == 0
    assert "no accounts yet" in run("ls").stdout


def test_web_config_is_validated(tmp_path: Path) -> None:
    from workbench.core.config import load_config
    from workbench.core.errors import ConfigError

    path = tmp_path / "workbench.yaml"
    path.write_text("web:\n  prot: 9000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'port'"):
        load_config(path)
    path.write_text("web:\n  port: 9000\n  models: [template]\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.web.port == 9000
    assert isinstance(cfg, ProjectConfig)


def test_user_text_is_escaped_in_pages(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client, brand="<script>alert(1)</script>", notes='"><img src=x onerror=alert(2)>')
    page = client.get(f"/studio/briefs/{row}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert" not in client.get("/studio").text


def test_oversized_bodies_are_refused_before_parsing(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    csrf = csrf_of(client.get("/studio").text)
    response = client.post("/studio/briefs", data={"csrf_token": csrf, "model": "template"},
                           files={"brief_file": ("big.yaml", b"#" * (2 * 1024 * 1024), "text/yaml")})
    assert response.status_code == 413


def test_generation_failure_is_shown_on_the_brief_page(app: Any) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client)
    csrf = csrf_of(client.get(f"/studio/briefs/{row}").text)
    response = client.post(f"/studio/briefs/{row}/generate",
                           data={"csrf_token": csrf, "model": "no-such-model", "n": "1"})
    assert response.status_code == 400
    assert "not offered" in re.search(r'id="generate-error">([^<]+)<', response.text).group(1)
    # Messages come from the server's own outcome, never from the URL.
    assert "injected" not in client.get(f"/studio/briefs/{row}?error=injected").text


def test_a_pick_across_models_is_a_vote_for_the_picked_model(app: Any, world: WebWorld) -> None:
    client = sign_in(app, MARKETER_A)
    row = new_brief(client, brand="Cross Model Shoes", n="2")  # first generation: template
    csrf = csrf_of(client.get(f"/studio/briefs/{row}").text)
    second = client.post(f"/api/briefs/{row}/generations", headers={"x-csrf-token": csrf},
                         json={"model": "retrieval", "n": 2})
    assert second.status_code == 201
    gen_template, gen_retrieval = sorted(client.get(f"/api/briefs/{row}").json()["generations"])
    # Pick a template ad, then change one's mind: the retrieval ad. One pick per brief.
    for gen_id in (gen_template, gen_retrieval):
        assert client.post(f"/api/generations/{gen_id}/pick", json={"candidate_index": 0},
                           headers={"x-csrf-token": csrf}).status_code == 200
    assert client.get(f"/api/generations/{gen_template}").json()["picked"] is None
    assert client.get(f"/api/generations/{gen_retrieval}").json()["picked"] == 0
    prefs = pl.read_parquet(world.root / "webapp" / "preferences.parquet")
    mine = prefs.filter(pl.col("brief_id") == f"studio-{row}").to_dicts()
    assert len(mine) == 1
    assert mine[0]["model"] == "retrieval"
    assert sorted(mine[0]["rejected_models"]) == ["retrieval", "template", "template"]
    assert set(mine[0]["models_shown"]) == {"template", "retrieval"}
    # The analyst's leaderboard counts it: retrieval picked on this brief, template not.
    page = sign_in(app, ANALYST).get("/leaderboard").text
    table = re.search(r'<table id="studio-picks">(.*?)</table>', page, re.S).group(1)
    cells = {m.group(1): m.group(2) for m in re.finditer(
        r'<tr data-model="([^"]+)">(.*?)</tr>', table, re.S)}
    assert {"retrieval", "template"} <= set(cells)
    retrieval_picks = int(re.findall(r'class="num">(\d+)<', cells["retrieval"])[1])
    assert retrieval_picks >= 1


def test_studio_votes_and_their_bradley_terry_order() -> None:
    from workbench.evaluation.bradley_terry import fit_bradley_terry
    from workbench.webapp.studio import PREFERENCE_SCHEMA, studio_votes

    rows = [{"model": "run:new", "models_shown": ["template", "run:new", "retrieval"]},
            {"model": "run:new", "models_shown": ["run:new", "template"]},
            {"model": "template", "models_shown": ["template", "retrieval"]},
            {"model": "retrieval", "models_shown": ["retrieval"]}]  # one model: no vote
    prefs = pl.DataFrame(rows, schema={k: PREFERENCE_SCHEMA[k] for k in ("model", "models_shown")})
    a, b, outcomes = studio_votes(prefs)
    assert list(zip(a, b, strict=True)) == [("run:new", "template"), ("run:new", "retrieval"),
                                            ("run:new", "template"), ("template", "retrieval")]
    assert set(outcomes) == {"a"}
    fit = fit_bradley_terry(a, b, outcomes)
    rating = dict(zip(fit.systems, fit.rating, strict=True))
    assert rating["run:new"] > rating["template"] > rating["retrieval"]


def test_loopback_detection_decides_secure_cookies() -> None:
    from workbench.webapp.cli import is_loopback

    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")
    assert not is_loopback("example.org")
