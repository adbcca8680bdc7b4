"""The marketer's and the analyst's pages in headless Chromium, on a served copy of the web world.

- Required brief fields carry ``required`` and a visible marker; the browser stops an empty
  submit, and the server's errors (the browser's check bypassed) appear beside their fields.
- An empty candidate (an endpoint model that answers with nothing) is a failure with no Copy and
  no "Mark best"; a copy of a past ad is marked and picked only after a confirm; a progress
  indicator shows as soon as the brief is submitted.
- The dashboard's split counts equal counts made here from the split files (tags over ads only).
- Two runs compared: one figure with both runs' loss curves, and their recipe difference.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from tests.chat_endpoint import ChatEndpoint
from tests.test_webapp_e2e import Server, browser_page, needs_chromium, sign_in
from tests.webapp_world import ANALYST, CONFIG, MARKETER_A, RUN_ID, WebWorld, start_serve

#: A second run on the same base, trained (in the fixture's words) with other LoRA settings.
OTHER_RUN = "tiny-20260102-000000-beef"
OTHER_RECIPE = ["lora.r=16", "seed=7"]


def blank_endpoint() -> ChatEndpoint:
    """An OpenAI-compatible server whose model answers with nothing."""
    return ChatEndpoint(lambda body: "")


@dataclass
class UxWorld:
    root: Path
    endpoint: ChatEndpoint


@pytest.fixture(scope="module")
def ux_world(web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[UxWorld]:
    """A copy of the web world with a second run and a blank endpoint model ("blank")."""
    from tests.eval_data import make_fake_run

    root = tmp_path_factory.mktemp("ux") / "data"
    shutil.copytree(web_world.root, root)
    make_fake_run(root, root / "tiny-base", OTHER_RUN, losses=20,
                  recipe_overrides=OTHER_RECIPE)
    endpoint = blank_endpoint()
    config = {**yaml.safe_load(CONFIG)}
    config["generation"]["endpoints"] = {"blank": {"base_url": endpoint.url, "model": "blank"}}
    (root / "workbench.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    yield UxWorld(root=root, endpoint=endpoint)
    endpoint.close()


@pytest.fixture(scope="module")
def ux_server(ux_world: UxWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("ux-serve") / "serve.log"
    url, proc = start_serve(ux_world.root, ux_world.root / "workbench.yaml", log)
    yield Server(url=url, log=log, proc=proc)
    proc.terminate()
    proc.wait(timeout=30)


def fill_brief(page: Any, channel: str) -> None:
    page.fill("input[name=brand]", "Abebe Shoes")
    page.fill("input[name=product]", "የቆዳ ጫማ")
    page.select_option("select[name=vertical]", "Retail")
    page.fill("input[name=target_channel]", channel)
    page.fill("input[name=contact]", "0911 22 33 44")


@needs_chromium
def test_required_fields_are_marked_and_errors_shown_beside_them(ux_server: Server) -> None:
    from playwright.sync_api import sync_playwright

    from workbench.webapp.brief_form import FIELD_LABELS, REQUIRED_FIELDS

    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, ux_server)
        try:
            sign_in(page, ux_server, MARKETER_A)
            for name in FIELD_LABELS:
                field = page.locator(f"[data-field={name}]")
                control = field.locator("input, select, textarea")
                marked = field.locator(".req").count() == 1
                assert marked == (name in REQUIRED_FIELDS), name
                assert control.evaluate("c => c.required") == (name in REQUIRED_FIELDS), name
                if marked:
                    assert field.locator(".req").is_visible()
            # The browser refuses an empty submit: the page stays, the brand is invalid.
            page.click("#generate")
            assert page.url.endswith("/studio")
            assert page.locator("#f-brand:invalid").count() == 1
            # The server's errors (browser check bypassed), each beside its field.
            page.evaluate("document.getElementById('brief-form').noValidate = true")
            page.fill("input[name=brand]", "Abebe Shoes")
            page.fill("input[name=contact]", "call me maybe")
            with page.expect_navigation():
                page.click("#generate")
            summary = page.locator("#brief-error").inner_text()
            assert "(+" not in summary
            for name in ("product", "target_channel", "contact"):
                error = page.locator(f"[data-field={name}] .field-error")
                assert error.is_visible(), name
                assert error.inner_text().strip(), name
                assert FIELD_LABELS[name].lower() in summary
                assert page.locator(f"#f-{name}").get_attribute("aria-invalid") == "true"
            assert "phone" in page.locator("[data-field=contact] .field-error").inner_text()
            assert page.locator("[data-field=brand] .field-error").count() == 0
            assert page.input_value("input[name=brand]") == "Abebe Shoes"  # kept
        finally:
            browser.close()
    assert outside == []


@needs_chromium
def test_no_pick_on_an_empty_candidate_and_a_copy_is_marked(
        ux_server: Server, ux_world: UxWorld, web_world: WebWorld, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, ux_server)
        try:
            sign_in(page, ux_server, MARKETER_A)
            labels = dict(page.eval_on_selector_all(
                "#model option", "os => os.map(o => [o.value, o.textContent])"))
            # Models by name, training date and key metric, never a raw registry id.
            assert f"run:{RUN_ID}" in labels
            assert RUN_ID not in labels[f"run:{RUN_ID}"]
            assert re.search(r"trained \d+ \w+ \d{4} · validation loss [\d.]+$",
                             labels[f"run:{RUN_ID}"])
            assert labels["retrieval"] != "retrieval"
            fill_brief(page, web_world.channel)
            page.select_option("#model", "blank")
            page.fill("input[name=n]", "2")
            # What the page shows once the submit is under way, recorded by a listener that runs
            # after the app's own and read back on the page the submit leads to.
            page.evaluate("""() => document.addEventListener("submit", () => {
                const p = document.getElementById("generate-progress");
                sessionStorage.setItem("progress", JSON.stringify({
                    visible: !p.hidden && p.offsetHeight > 0, text: p.innerText,
                    disabled: document.getElementById("generate").disabled}));
            })""")
            with page.expect_navigation(url=re.compile(r".*/studio/briefs/\d+$"), timeout=60_000):
                page.click("#generate")
            progress = json.loads(page.evaluate("sessionStorage.getItem('progress')"))
            assert progress["visible"]
            assert progress["disabled"]
            assert "Generating candidates" in progress["text"]
            generation = page.locator("section.generation[data-model=blank]")
            empty = generation.locator("article.candidate")
            assert empty.count() == 2
            for i in range(2):
                card = empty.nth(i)
                assert "empty" in (card.get_attribute("class") or "")
                assert "the model wrote nothing" in card.inner_text()
                assert card.locator("button.copy, button.pick").count() == 0
            # A copy of a past ad: marked, naming the ad; "Mark best" asks first.
            page.select_option("#model", "retrieval")
            page.fill("#regenerate-form input[name=n]", "1")
            with page.expect_navigation(timeout=60_000):
                page.click("#regenerate")
            copy = page.locator("section.generation[data-model=retrieval] article.candidate")
            assert copy.count() == 1
            assert "Copy of a past ad" in copy.locator(".copy-note").inner_text()
            assert "copies a past ad" in copy.locator(".checks .bad").inner_text()
            dialogs: list[str] = []

            def dismiss(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.once("dialog", dismiss)
            copy.locator("button.pick").click()
            assert dialogs
            assert "copies a past ad" in dialogs[0]
            assert page.locator("article.candidate.picked").count() == 0  # declined: no pick
            page.once("dialog", lambda dialog: dialog.accept())
            with page.expect_navigation():
                copy.locator("button.pick").click()
            assert page.locator(
                "section.generation[data-model=retrieval] article.candidate.picked").count() == 1
            page.screenshot(path=str(tmp_path / "studio-failures.png"), full_page=True)
            # The server refuses an empty pick whatever the page offered.
            csrf = page.get_attribute("meta[name=csrf-token]", "content")
            gen_id = generation.get_attribute("id").removeprefix("gen-")
            refused = page.request.post(f"{ux_server.url}/api/generations/{gen_id}/pick",
                                        data={"candidate_index": 0},
                                        headers={"x-csrf-token": csrf})
            assert refused.status == 400
            assert "empty" in refused.json()["detail"]
        finally:
            browser.close()
    assert outside == []
    prefs = pl.read_parquet(ux_world.root / "webapp" / "preferences.parquet")
    assert prefs.filter(pl.col("model") == "retrieval")["chosen_is_copy"].to_list()[-1] is True


def expected_split_counts(root: Path) -> dict[str, dict[str, dict[str, int]]]:
    """Task -> label -> split -> count, made here from the split files: vertical and tags of ads."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for split in ("train", "val", "test"):
        frame = pl.read_parquet(root / "curated" / "splits" / f"{split}.parquet")
        ads = frame.filter(pl.col("is_ad") == "Ad")
        for task, rows in (("is_ad", frame), ("vertical", ads)):
            for label, n in rows[task].drop_nulls().value_counts().iter_rows():
                counts.setdefault(task, {}).setdefault(label, {})[split] = n
        for tags in ads["tags"].to_list():
            for label in tags or ["(no tag)"]:
                per = counts.setdefault("tags", {}).setdefault(label, {})
                per[split] = per.get(split, 0) + 1
    return counts


@needs_chromium
def test_dashboard_counts_match_the_split_files(ux_server: Server, ux_world: UxWorld) -> None:
    from playwright.sync_api import sync_playwright

    expected = expected_split_counts(ux_world.root)
    non_ads = sum(pl.read_parquet(ux_world.root / "curated" / "splits" / f"{s}.parquet")
                  .filter(pl.col("is_ad") != "Ad").height for s in ("train", "val", "test"))
    assert non_ads > 0  # else counting over every row would look right too
    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, ux_server)
        try:
            sign_in(page, ux_server, ANALYST)
            page.goto(f"{ux_server.url}/dashboard")
            for task, labels in expected.items():
                table = page.locator(f"#splits-{task}")
                header = table.locator("thead th").all_inner_texts()
                shown: dict[str, dict[str, int]] = {}
                for row in table.locator("tbody tr").all():
                    cells = row.locator("td").all_inner_texts()
                    shown[cells[0]] = {s: int(v) for s, v in zip(header[1:], cells[1:],
                                                                  strict=True) if int(v)}
                assert shown == labels, task
                # Numbers and their headers line up on the right.
                aligned = table.locator("th.num").evaluate_all(
                    "hs => hs.map(h => getComputedStyle(h).textAlign)")
                assert aligned
                assert set(aligned) == {"right"}
        finally:
            browser.close()
    assert outside == []


@needs_chromium
def test_two_runs_compared(ux_server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, outside = browser_page(pw, ux_server)
        try:
            sign_in(page, ux_server, ANALYST)
            page.goto(f"{ux_server.url}/runs/{RUN_ID}")
            roles = page.locator("#run-inputs tbody td:first-child").all_inner_texts()
            assert roles
            assert all(r.strip() for r in roles)
            values = page.locator("#run-metrics td.num").all_inner_texts()
            assert "1.44" in values  # 5 / sqrt(12), the last validation loss
            for value in values:
                mantissa = value.split("e")[0]
                if "." in mantissa:  # a fraction: 3 significant digits at most
                    assert len(mantissa.replace(".", "").lstrip("0")) <= 3, value
            config = yaml.safe_load(page.locator("#run-config").inner_text())
            assert config["name"] == "tiny-test"
            assert config["lora"]["r"] == 8
            page.click("#compare-link")
            page.wait_for_load_state("load")
            assert page.input_value("#run-a") == RUN_ID
            page.select_option("#run-b", OTHER_RUN)
            with page.expect_navigation():
                page.click("#compare")
            curves = page.locator("#loss-overlay svg polyline.curve")
            labels = curves.evaluate_all("cs => cs.map(c => c.dataset.label)")
            assert len(labels) == 4  # training and validation loss of each run, one figure
            assert sum(RUN_ID in label for label in labels) == 2
            assert sum(OTHER_RUN in label for label in labels) == 2
            box = page.locator("#loss-overlay svg").bounding_box()
            assert box
            assert box["width"] > 600
            diff = {row.get_attribute("data-key"): row.locator("td").all_inner_texts()[1:]
                    for row in page.locator("#config-diff tbody tr").all()}
            assert diff == {"lora.r": ["8", "16"], "seed": ["42", "7"]}
            page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
            assert page.goto(f"{ux_server.url}/runs/compare?a={RUN_ID}&b=nope").status == 404
        finally:
            browser.close()
    assert outside == []
