"""``workbench serve`` for real (a uvicorn process on 127.0.0.1) driven by headless Chromium.

A marketer signs in, writes a brief, generates with the tiny model, sees the candidates and the
past ads behind them, copies one and marks the best; an analyst opens the leaderboard (tables,
figures, a run's lineage) and the curation dashboard. The browser may fetch nothing but the app
itself, and Amharic must be drawn with an Ethiopic font. Then a bounded burst of concurrent
generation requests with a baseline model must all succeed. The server's log is checked for
secrets at the end.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from tests.webapp_world import ANALYST, MARKETER_A, PASSWORD, RUN_ID, WebWorld, csrf_of, start_serve
from workbench.labeling.screenshot import CHROMIUM_ARGS, ETHIOPIC_FAMILIES, chromium_path, fonts_of

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="chromium is not installed (CI installs it)")


@dataclass
class Server:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def server(web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    url, proc = start_serve(web_world.root, web_world.config_path, log)
    yield Server(url=url, log=log, proc=proc)
    proc.terminate()
    proc.wait(timeout=30)


def listening_addresses(port: int) -> list[str]:
    """IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_serve_binds_loopback_only(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    assert listening_addresses(port) == ["127.0.0.1"]
    assert f"http://127.0.0.1:{port}/" in server.log.read_text()


def browser_page(pw: Any, server: Server) -> tuple[Any, Any, list[str]]:
    browser = pw.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(server.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return browser, context.new_page(), outside


def sign_in(page: Any, server: Server, email: str) -> None:
    page.goto(f"{server.url}/")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


@needs_chromium
def test_marketer_generates_with_the_tiny_model_and_picks_one(
        server: Server, web_world: WebWorld, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, server)
        try:
            sign_in(page, server, MARKETER_A)
            assert page.url.endswith("/studio")
            page.fill("input[name=brand]", "Abebe Shoes")
            page.fill("input[name=product]", "የቆዳ ጫማ")
            page.select_option("select[name=vertical]", "Retail")
            page.fill("input[name=target_channel]", web_world.channel)
            page.fill("input[name=offer]", "20% ቅናሽ እስከ እሁድ")
            page.fill("input[name=call_to_action]", "ዛሬውኑ ይደውሉ")
            page.fill("input[name=contact]", "0911 22 33 44 / @abebeshoes")
            options = page.eval_on_selector_all("#model option", "os => os.map(o => o.value)")
            assert {"retrieval", "template", f"run:{RUN_ID}"} <= set(options)
            page.select_option("#model", f"run:{RUN_ID}")
            page.fill("input[name=n]", "2")
            # Generation takes seconds on a loaded 2-core machine: wait for the page it leads to.
            with page.expect_navigation(url=re.compile(r".*/studio/briefs/\d+$"), timeout=180_000):
                page.click("#generate", no_wait_after=True)  # the navigation has its own timeout
            generation = page.locator("section.generation").first
            assert generation.get_attribute("data-model") == f"run:{RUN_ID}"
            assert "tiny-test" in generation.locator("h2").inner_text()  # the run's name, not its id
            candidates = generation.locator("article.candidate")
            assert candidates.count() == 2
            texts = [t.strip() for t in candidates.locator("pre.ad").all_inner_texts()]
            assert all(texts)
            past = generation.locator("blockquote.past-ad")
            assert past.count() >= 1
            assert "ቅናሽ" in page.locator("dl.brief").inner_text()
            # Amharic is drawn with an Ethiopic-capable font, not boxes.
            page.evaluate("document.fonts.ready.then(() => true)")
            fonts = fonts_of(page, "dl.brief dd, blockquote.past-ad pre.ad")
            assert sum(n for f, n in fonts.items() if f in ETHIOPIC_FAMILIES) > 10, fonts
            # Copy puts the candidate's exact text on the clipboard.
            candidates.nth(1).locator("button.copy").click()
            page.wait_for_selector("button.copy[data-copied='1']")
            clip = page.evaluate("navigator.clipboard.readText()")
            assert clip.strip() == texts[1]
            # Mark the second one best: the page shows it, the preference file has it.
            with page.expect_navigation(timeout=60_000):
                candidates.nth(1).locator("button.pick").click()
            picked = page.locator("section.generation").first.locator("article.candidate.picked")
            assert picked.count() == 1
            assert picked.locator("pre.ad").inner_text().strip() == texts[1]
            page.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
            # Regenerate with a baseline: a second generation appears above the first.
            page.select_option("#model", "template")
            with page.expect_navigation(timeout=180_000):
                page.click("#regenerate", no_wait_after=True)
            assert page.locator("section.generation").count() == 2
        finally:
            browser.close()
    assert outside == []
    prefs = pl.read_parquet(web_world.root / "webapp" / "preferences.parquet")
    assert texts[1] in prefs["chosen_text"].to_list()


@needs_chromium
def test_analyst_sees_leaderboard_lineage_and_dashboard(server: Server, web_world: WebWorld,
                                                        tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, server)
        try:
            sign_in(page, server, ANALYST)
            assert page.url.endswith("/leaderboard")
            assert web_world.eval_id in page.locator("main").inner_text()
            rows = page.locator("#leaderboard-brief_to_ad tbody tr")
            systems = sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.system)"))
            assert systems == sorted(["retrieval", "template", f"run:{RUN_ID}"])
            # The report's sorter, served same-origin under the CSP: a header click sorts.
            page.locator("#leaderboard-brief_to_ad thead th", has_text="system").click()
            shown = rows.evaluate_all("rs => rs.map(r => r.dataset.system)")
            assert shown == sorted(systems, key=str.lower)
            page.locator("#leaderboard-brief_to_ad thead th", has_text="system").click()
            shown = rows.evaluate_all("rs => rs.map(r => r.dataset.system)")
            assert shown == sorted(systems, key=str.lower, reverse=True)
            sizes = page.locator("figure img").evaluate_all(
                "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
            assert len(sizes) >= 2
            assert all(ok and width > 100 for ok, width in sizes)
            page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)
            # The run's row links to its lineage: split manifest, label snapshot, metrics.
            page.click(f"#lineage a[href='/runs/{RUN_ID}']")
            page.wait_for_load_state("load")
            text = page.locator("main").inner_text()
            assert RUN_ID in text
            assert "synthetic-3" in text or "finished" in text
            assert page.locator("#run-metrics tr").count() >= 2
            page.goto(f"{server.url}/dashboard")
            flags = page.locator("#flag-counts tbody tr")
            assert flags.count() >= 1
            assert int(flags.first.locator("td.num").inner_text()) > 0
            page.locator("details.flagged").first.locator("summary").click()
            assert page.locator("details.flagged").first.locator("tbody tr").count() >= 1
            assert page.locator("table.splits").count() >= 1
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []


def api_client(server: Server, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, timeout=120)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code in (200, 303), response.text[:300]
    return client, client.get("/api/me").json()["csrf_token"]


def test_concurrent_generation_requests_all_succeed(server: Server, web_world: WebWorld) -> None:
    client, csrf = api_client(server, MARKETER_A)
    headers = {"x-csrf-token": csrf}
    brief = client.post("/api/briefs", headers=headers, json={
        "brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
        "target_channel": web_world.channel, "contact": "0911223344"})
    assert brief.status_code == 201, brief.text
    row = brief.json()["id"]

    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        r = client.post(f"/api/briefs/{row}/generations", headers=headers,
                        json={"model": "template", "n": 2})
        return r.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, range(30)))
    assert [status for status, _ in results] == [201] * 30
    generations = client.get(f"/api/briefs/{row}").json()["generations"]
    assert len(generations) == 30
    client.close()


def test_server_log_has_no_secrets(server: Server) -> None:
    client, _ = api_client(server, ANALYST)
    token = client.cookies.get("wb_session")
    assert client.get("/dashboard").status_code == 200
    client.close()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "signed in: " + ANALYST in log
    assert PASSWORD not in log
    assert token
    assert token not in log
    assert "$argon2" not in log
    assert "Traceback" not in log
