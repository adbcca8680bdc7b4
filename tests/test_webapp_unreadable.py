"""A truncated file under the web app: the page says which one and keeps the rest; never a 500.

Over a copy of the shared web world (files written by the real stages), one file at a time is
cut short as a full disk or an interrupted copy leaves it. Pages answer 200 with an
``unreadable: <file relative to the data dir>`` note and every section that does not need the
file; the JSON API answers 409 with that note as its detail.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_core_io import truncate
from tests.webapp_world import ANALYST, MARKETER_A, PASSWORD, WebWorld, csrf_of
from workbench.webapp.app import create_app
from workbench.webapp.store import db_path


@pytest.fixture
def world(web_world: WebWorld, tmp_path: Path) -> tuple[Path, Any]:
    """A fresh copy of the web world and the app over it."""
    root = tmp_path / "data"
    shutil.copytree(web_world.root, root)
    return root, create_app(root, web_world.cfg)


def sign_in(app: Any, email: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": csrf_of(client.get("/login").text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


def note(name: str) -> str:
    return f"unreadable: <code>{name}</code>"


def brief_with_generations(client: TestClient, models: tuple[str, ...]) -> tuple[int, dict]:
    """A brief made through the API, and one generation per model: (row, model -> JSON)."""
    csrf = {"x-csrf-token": csrf_of(client.get("/studio").text)}
    made = client.post("/api/briefs", headers=csrf, json={
        "brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
        "target_channel": "Addis Deals", "contact": "0911223344"})
    assert made.status_code == 201, made.text
    row = made.json()["id"]
    gens = {}
    for model in models:
        response = client.post(f"/api/briefs/{row}/generations", headers=csrf,
                               json={"model": model, "n": 2})
        assert response.status_code == 201, response.text
        gens[model] = response.json()
    return row, gens


def test_brief_page_with_one_unreadable_generation(world: tuple[Path, Any]) -> None:
    root, app = world
    client = sign_in(app, MARKETER_A)
    csrf = {"x-csrf-token": csrf_of(client.get("/studio").text)}
    row, gens = brief_with_generations(client, ("template", "retrieval"))
    with sqlite3.connect(db_path(root)) as db:
        (bad_path,) = db.execute("SELECT parquet_path FROM generations WHERE id = ?",
                                 (gens["template"]["id"],)).fetchone()
    truncate(Path(bad_path))
    name = Path(bad_path).resolve().relative_to(root.resolve()).as_posix()
    assert name.startswith("webapp/generations/")

    page = client.get(f"/studio/briefs/{row}")
    assert page.status_code == 200, page.text[:500]
    bad_section = page.text.split(f'id="gen-{gens["template"]["id"]}"', 1)[1].split("</section>")[0]
    assert note(name) in bad_section
    assert 'class="candidate' not in bad_section
    good = gens["retrieval"]
    for candidate in good["candidates"]:
        assert f'id="ad-{good["id"]}-{candidate["index"]}"' in page.text
    assert str(root) not in page.text

    broken = client.get(f"/api/generations/{gens['template']['id']}")
    assert broken.status_code == 409
    assert broken.json()["detail"].startswith(f"unreadable: {name} ")
    assert str(root) not in broken.text
    assert client.get(f"/api/generations/{good['id']}").status_code == 200
    pick = client.post(f"/api/generations/{gens['template']['id']}/pick", headers=csrf,
                       json={"candidate_index": 0})
    assert pick.status_code == 409
    assert pick.json()["detail"].startswith(f"unreadable: {name} ")
    # The readable generation can still be picked (the export leaves the lost one out).
    assert client.post(f"/api/generations/{good['id']}/pick", headers=csrf,
                       json={"candidate_index": 0}).status_code == 200


def test_brief_page_with_an_unreadable_brief_file(world: tuple[Path, Any]) -> None:
    root, app = world
    client = sign_in(app, MARKETER_A)
    csrf = {"x-csrf-token": csrf_of(client.get("/studio").text)}
    made = client.post("/api/briefs", headers=csrf, json={
        "brand": "Abebe Shoes", "product": "ጫማ", "vertical": "Retail",
        "target_channel": "Addis Deals", "contact": "0911223344"})
    row = made.json()["id"]
    with sqlite3.connect(db_path(root)) as db:
        (brief_path,) = db.execute("SELECT path FROM briefs WHERE id = ?", (row,)).fetchone()
    Path(brief_path).write_text("brand: [unclosed\n", encoding="utf-8")
    name = Path(brief_path).resolve().relative_to(root.resolve()).as_posix()
    page = client.get(f"/studio/briefs/{row}")
    assert page.status_code == 409
    assert f"unreadable: {name}" in page.text
    api = client.get(f"/api/briefs/{row}")
    assert api.status_code == 409
    assert api.json()["detail"].startswith(f"unreadable: {name} ")
    generate = client.post(f"/api/briefs/{row}/generations", headers=csrf,
                           json={"model": "template", "n": 1})
    assert generate.status_code == 409
    assert str(root) not in generate.text
    # The studio's list still shows the brief, marked.
    listing = client.get("/studio")
    assert listing.status_code == 200
    assert "(brief file unreadable)" in listing.text


@pytest.mark.parametrize("name", ["summary.parquet", "scores.parquet", "summary.json"])
def test_leaderboard_with_an_unreadable_evaluation_file(world: tuple[Path, Any],
                                                        web_world: WebWorld, name: str) -> None:
    root, app = world
    truncate(root / "eval" / web_world.eval_id / name)
    page = sign_in(app, ANALYST).get("/leaderboard")
    assert page.status_code == 200, page.text[:500]
    assert note(f"eval/{web_world.eval_id}/{name}") in page.text
    assert 'id="no-eval"' not in page.text  # there is one, it just cannot be read
    assert "Ad studio picks" in page.text  # the sections that do not need it still show
    assert str(root) not in page.text


def test_leaderboard_with_unreadable_studio_picks(world: tuple[Path, Any],
                                                  web_world: WebWorld) -> None:
    root, app = world
    marketer = sign_in(app, MARKETER_A)
    _, gens = brief_with_generations(marketer, ("template",))
    picked = marketer.post(f"/api/generations/{gens['template']['id']}/pick", json={
        "candidate_index": 0}, headers={"x-csrf-token": csrf_of(marketer.get("/studio").text)})
    assert picked.status_code == 200
    truncate(root / "webapp" / "preferences.parquet")
    page = sign_in(app, ANALYST).get("/leaderboard")
    assert page.status_code == 200
    assert note("webapp/preferences.parquet") in page.text
    assert f"<code>{web_world.eval_id}</code>" in page.text  # the evaluation still shows


@pytest.mark.parametrize("relative", ["curated/label_issues.parquet",
                                      "curated/splits/train.parquet",
                                      "curated/splits/manifest.json"])
def test_dashboard_with_an_unreadable_curation_file(world: tuple[Path, Any],
                                                    relative: str) -> None:
    root, app = world
    assert (root / relative).exists()
    truncate(root / relative)
    page = sign_in(app, ANALYST).get("/dashboard")
    assert page.status_code == 200, page.text[:500]
    assert note(relative) in page.text
    if relative != "curated/label_issues.parquet":
        assert 'id="flag-counts"' in page.text  # the flagged items still show


@pytest.mark.parametrize("name", ["manifest.json", "metrics.jsonl"])
def test_run_page_with_an_unreadable_run_file(world: tuple[Path, Any], name: str) -> None:
    from tests.webapp_world import RUN_ID

    root, app = world
    path = root / "runs" / RUN_ID / name
    assert path.exists()
    # Corrupt in the middle (a cut-short last line of the log is normal and tolerated).
    data = path.read_bytes()
    path.write_bytes(b"\x00" * 16 + b"\n" + data)
    page = sign_in(app, ANALYST).get(f"/runs/{RUN_ID}")
    assert page.status_code == 409, page.text[:500]
    assert f"unreadable: runs/{RUN_ID}/{name}" in page.text
    assert str(root) not in page.text


def test_leaderboard_with_an_unreadable_compare(world: tuple[Path, Any],
                                                web_world: WebWorld) -> None:
    """A cut-short compare.json takes out the verdict only; the tables still show."""
    from workbench.cli import main

    root, app = world
    client = sign_in(app, ANALYST)
    assert client.get("/leaderboard").status_code == 200  # the report is cached
    with pytest.raises(SystemExit):
        main(["eval", "compare", "template", "--against", "retrieval", "--eval-id",
              web_world.eval_id, "--data-dir", str(root), "--quiet"])
    truncate(root / "eval" / web_world.eval_id / "compare.json")
    page = client.get("/leaderboard")
    assert page.status_code == 200, page.text[:500]
    assert note(f"eval/{web_world.eval_id}/compare.json") in page.text
    assert 'id="no-comparison"' in page.text
    assert 'id="leaderboard-brief_to_ad"' in page.text
    assert str(root) not in page.text
