"""Screenshot a labeling page in headless Chromium and check Amharic text really renders.

"Renders" is checked two ways: the message's pixels are not blank, and Chromium reports (through
the DevTools ``CSS.getPlatformFontsForNode`` call) which installed font drew the glyphs: an
Ethiopic-capable family must have drawn some. Without one, Ge'ez appears as empty boxes, which a
pixel check alone would not notice. Uses the Debian ``chromium`` binary; never downloads a browser.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import ServiceError
from workbench.labeling.labelstudio.server import Credentials

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

#: Families that cover the Ethiopic block (see taxonomy_render.ETHIOPIC_FONTS).
ETHIOPIC_FAMILIES = ("Abyssinica SIL", "Noto Sans Ethiopic", "Noto Serif Ethiopic", "Nyala",
                     "Ebrima", "Kefa")


@dataclass
class ScreenshotCheck:
    """What the screenshot showed."""

    path: Path
    message_text: str
    fonts: dict[str, int] = field(default_factory=dict)
    checked_choices: list[str] = field(default_factory=list)
    ink_stddev: float = 0.0
    #: Everything the labeling page shows as text (the task's headers, choices, notes).
    page_text: str = ""

    @property
    def ethiopic_glyphs(self) -> int:
        """Glyphs drawn with an Ethiopic-capable font."""
        return sum(n for fam, n in self.fonts.items() if fam in ETHIOPIC_FAMILIES)


def chromium_path() -> Path | None:
    """The Chromium binary to use, if installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def screenshot_task(creds: Credentials, project_id: int, task_id: int, out: Path,
                    *, labels: list[str] | None = None, timeout_ms: int = 90_000) -> ScreenshotCheck:
    """Log in, open one task's labeling page, save a PNG and measure the message rendering.

    Parameters
    ----------
    creds
        Admin credentials (the login form is used, as an annotator would).
    project_id, task_id
        The task to open.
    out
        Where to write the PNG (the message area is saved beside it as ``<stem>-message.png``).
    timeout_ms
        How long to wait for the labeling page to render.
    """
    from PIL import Image, ImageStat
    from playwright.sync_api import sync_playwright

    browser_path = chromium_path()
    if browser_path is None:
        msg = "chromium not found (Debian: apt install chromium); the screenshot check needs it"
        raise ServiceError(msg)
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(browser_path), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{creds.url}/user/login/", timeout=timeout_ms)
            page.fill("input[name=email]", creds.username)
            page.fill("input[name=password]", creds.password)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
            page.goto(f"{creds.url}/projects/{project_id}/data?tab=0&task={task_id}",
                      timeout=timeout_ms)
            page.wait_for_selector(".wb-message", timeout=timeout_ms)
            if labels:
                # The pre-annotation fills the form a moment after the text appears.
                page.wait_for_function(
                    """labels => [...document.querySelectorAll('input:checked')].some(e => {
                        const t = (e.closest('label')?.innerText || '').replace(/\\[.*\\]/, '').trim();
                        return labels.includes(t); })""",
                    arg=labels, timeout=timeout_ms)
            # Web fonts finish loading after the DOM is there.
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=str(out))
            message = page.query_selector(".wb-message")
            if message is None:
                msg = f"task {task_id}: the labeling page shows no message"
                raise ServiceError(msg)
            crop = out.with_name(f"{out.stem}-message.png")
            message.screenshot(path=str(crop))
            text = message.inner_text()
            page_text = page.inner_text("body")
            fonts = fonts_of(page, ".wb-message *")
            checked = page.eval_on_selector_all(
                "input:checked",
                "els => els.map(e => (e.closest('label')?.innerText || e.value)"
                ".replace(/\\[.*\\]/, '').trim())")
        finally:
            browser.close()
    with Image.open(crop) as img:
        stddev = float(sum(ImageStat.Stat(img.convert("L")).stddev))
    return ScreenshotCheck(path=out, message_text=text, fonts=fonts,
                           checked_choices=[c for c in checked if c], ink_stddev=stddev,
                           page_text=page_text)


def fonts_of(page: object, selector: str) -> dict[str, int]:
    """Font family -> glyphs drawn, over the nodes matching ``selector`` (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    cdp.send("CSS.enable")
    counts: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node}).get("fonts", []):
            counts[font["familyName"]] = counts.get(font["familyName"], 0) + int(font["glyphCount"])
    return counts
