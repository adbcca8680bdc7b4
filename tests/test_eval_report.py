"""``workbench report``: a self-contained leaderboard, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from workbench.core.config import ProjectConfig
from workbench.core.errors import DataContractError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SUITE = """
name: report-test
systems: [retrieval, template, {name: copy-of-template, ref: template}]
items: {n: 6}
tasks:
  - {name: brief_to_ad, metrics: [chrf, bleu, brief_coverage, ethiopic_share]}
  - {name: half_continuation, metrics: [chrf]}
seed: 3
bootstrap: {n_resamples: 200}
"""


#: The known quality ranking the fake ratings are drawn from, best first (not the suite's order,
#: so a report that lists systems as given cannot pass by accident).
QUALITY_ORDER = ["template", "retrieval", "copy-of-template"]


def fake_ratings(eval_dir: Path, systems: list[str]) -> None:
    """Two annotators' Likert ratings and pairwise votes drawn from :data:`QUALITY_ORDER`.

    The better system of a pair wins 90% of the votes that are not ties (20% are ties).
    """
    from workbench.evaluation.ratings import RATINGS_SCHEMA

    items = pl.read_parquet(eval_dir / "items.parquet").filter(pl.col("task") == "brief_to_ad")
    rng = np.random.default_rng(0)
    quality = {s: 4.0 - QUALITY_ORDER.index(s) for s in systems}
    rows: list[dict[str, Any]] = []
    for item in items["item_id"].to_list():
        for annotator in ("a@x", "b@x"):
            for s in systems:
                for c in ("fluency", "relevance", "catchiness", "amharic"):
                    score = float(np.clip(round(quality[s] + rng.normal(0, 0.5)), 1, 5))
                    rows.append({"kind": "likert", "key": f"L-{item}-{s}", "item_id": item,
                                 "annotator": annotator, "criterion": c, "system": s,
                                 "score": score})
            for i, left in enumerate(systems):
                for right in systems[i + 1:]:
                    tie = rng.random() < 0.2
                    better = "left" if quality[left] > quality[right] else "right"
                    worse = "right" if better == "left" else "left"
                    outcome = "tie" if tie else better if rng.random() < 0.9 else worse
                    winner = {"tie": "tie", "left": left, "right": right}[outcome]
                    rows.append({"kind": "pairwise", "key": f"P-{item}-{left}-{right}",
                                 "item_id": item, "annotator": annotator,
                                 "criterion": "preference", "left_system": left,
                                 "right_system": right, "outcome": outcome, "winner": winner})
    pl.DataFrame(rows, schema=RATINGS_SCHEMA).write_parquet(eval_dir / "ratings.parquet")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.eval_data import make_splits
    from workbench.evaluation.report import build_report
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    root = tmp_path_factory.mktemp("report")
    make_splits(root)
    # A run folder with a loss history (the report plots every run when none was evaluated).
    run_dir = root / "runs" / "tiny-20260101-000000-beef"
    run_dir.mkdir(parents=True)
    records = [{"step": s, "loss": 5.0 / s} for s in range(1, 21)]
    records += [{"step": s, "eval_loss": 4.0 / s ** 0.5} for s in (5, 10, 15, 20)]
    (run_dir / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    # run.json makes it a started run for the run registry, as training writes it first.
    (run_dir / "run.json").write_text(json.dumps({"status": "finished", "global_step": 20}))
    suite_path = root / "suite.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    suite, path = load_suite(suite_path)
    result = run_suite(suite, path, root, ProjectConfig())
    fake_ratings(result.out_dir, result.systems)
    out = build_report(root, out_dir=root / "reports", examples=2)
    return {"root": root, "result": result, "out": out}


def test_report_files_are_self_contained(report: dict[str, Any]) -> None:
    out = report["out"]
    html = out.html.read_text(encoding="utf-8")
    assert out.figures == ["metrics-brief_to_ad", "metrics-half_continuation", "bradley-terry",
                           "win-rate", "loss-curves"]
    assert html.count('src="data:image/png;base64,') == len(out.figures)
    # Nothing to fetch: no external URL in any src/href, no stylesheet or script link.
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    for tag in ("<script", "<link", "@import"):
        assert tag not in html
    assert "Abyssinica SIL" in html
    md = out.markdown.read_text(encoding="utf-8")
    assert "| # | system | chrf ↑" in md
    for fig in out.figures:
        assert (out.html.parent / "leaderboard_files" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"leaderboard_files/{fig}.png" in md
    assert "Bradley-Terry" in md
    assert "Krippendorff" in md


def test_report_ranks_systems_by_their_known_quality(report: dict[str, Any]) -> None:
    md = report["out"].markdown.read_text(encoding="utf-8")
    bt = md.split("### Bradley-Terry strengths", 1)[1].split("\n\n", 2)[1]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in bt.splitlines()[2:]]
    assert [r[1] for r in rows] == QUALITY_ORDER
    assert [r[0] for r in rows] == ["1", "2", "3"]
    ratings = [float(r[2].split()[0]) for r in rows]
    assert ratings[0] > ratings[1] > ratings[2]
    # The report's Likert means follow the same order on every criterion.
    from workbench.evaluation.report import human_results

    ratings = pl.read_parquet(report["result"].out_dir / "ratings.parquet")
    likert = human_results(ratings, report["result"].systems).likert
    for _, per_criterion in likert.group_by("criterion"):
        assert per_criterion.sort("mean", descending=True)["system"].to_list() == QUALITY_ORDER


def test_report_renders_in_headless_chromium(report: dict[str, Any]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    out = report["out"]
    systems = report["result"].systems
    blocked: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(out.html.as_uri())
        page.wait_for_load_state("load")
        assert blocked == []
        assert "leaderboard" in page.title().lower()
        # One row per system in each task's table.
        for task in ("brief_to_ad", "half_continuation"):
            rows = page.locator(f"#leaderboard-{task} tbody tr")
            assert rows.count() == len(systems)
            assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.system)")) == sorted(systems)
        # Every plot decoded to a real image.
        sizes = page.locator("figure img").evaluate_all(
            "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(sizes) == 5
        assert all(ok and w > 100 and h > 100 for ok, w, h in sizes)
        # Ethiopic text is drawn with real glyphs: its width differs from the same number of
        # "tofu" boxes (an unassigned code point, drawn as the missing-glyph box). Without an
        # Ethiopic font every Ge'ez letter would be that box too. (document.fonts.check is no
        # help: it answers true for a font that is not installed at all.)
        widths = page.evaluate("""() => {
            const sample = document.querySelector('.examples .card.ref .am').textContent;
            const make = (t) => { const s = document.createElement('span'); s.className = 'am';
                s.style.whiteSpace = 'pre'; s.textContent = t; document.body.appendChild(s);
                const w = s.getBoundingClientRect().width; s.remove(); return w; };
            const geez = Array.from(sample).filter(c => /[\\u1200-\\u137F]/.test(c))
                .slice(0, 12).join('');
            const tofu = '\\u0378'.repeat(Array.from(geez).length);
            return {geez, w: make(geez), tofu: make(tofu)};
        }""")
        assert len(widths["geez"]) >= 3
        assert widths["w"] > 0
        assert abs(widths["w"] - widths["tofu"]) > 1.0
        png = page.screenshot(full_page=True)
        assert png[:4] == b"\x89PNG"
        browser.close()


def test_report_without_ratings_says_how_to_get_them(report: dict[str, Any],
                                                     tmp_path: Path) -> None:
    from workbench.evaluation.report import build_report

    root = report["root"]
    eval_dir = report["result"].out_dir
    copy = root / "eval" / "no-ratings"
    shutil.copytree(eval_dir, copy)
    (copy / "ratings.parquet").unlink()
    out = build_report(root, eval_id="no-ratings", out_dir=tmp_path / "r")
    html = out.html.read_text(encoding="utf-8")
    assert "No human ratings pulled yet" in html
    assert "win-rate" in out.figures  # from the per-item headline metric instead
    with pytest.raises(DataContractError, match="did you mean 'no-ratings'"):
        build_report(root, eval_id="no-rating", out_dir=tmp_path / "r")
