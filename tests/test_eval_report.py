"""``workbench report``: a self-contained leaderboard, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html import escape as html_escape
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
    from workbench.evaluation.ratings_pull import RATINGS_SCHEMA

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
                                 "task": "brief_to_ad",
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
                                 "task": "brief_to_ad",
                                 "item_id": item, "annotator": annotator,
                                 "criterion": "preference", "left_system": left,
                                 "right_system": right, "outcome": outcome, "winner": winner})
    pl.DataFrame(rows, schema=RATINGS_SCHEMA).write_parquet(eval_dir / "ratings.parquet")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.eval_data import make_splits
    from workbench.evaluation.champion import promote
    from workbench.evaluation.compare import compare_eval
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
    # The model in use before the evaluation; the report leads with the compare against it.
    promote(root, "template", ProjectConfig(), by="tester", note="first champion")
    result = run_suite(suite, path, root, ProjectConfig())
    fake_ratings(result.out_dir, result.systems)
    compare = compare_eval(root, result.eval_id, "retrieval", "template")
    out = build_report(root, out_dir=root / "reports", examples=2)
    return {"root": root, "result": result, "out": out, "compare": compare}


def test_report_files_are_self_contained(report: dict[str, Any]) -> None:
    out = report["out"]
    html = out.html.read_text(encoding="utf-8")
    assert out.figures == ["metrics-brief_to_ad", "metrics-half_continuation", "win-rate",
                           "bradley-terry", "champion-history", "loss-curves"]
    assert html.count('src="data:image/png;base64,') == len(out.figures)
    # Nothing to fetch: no external URL in any src/href, no stylesheet or script link.
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    for tag in ("<script src", "<link", "@import"):
        assert tag not in html
    assert html.count("<script>") == 1  # the table sorter, inline
    assert "Abyssinica SIL" in html
    md = out.markdown.read_text(encoding="utf-8")
    assert "| # | system | chrf@checked ↑ | chrf ↑ | checks passed ↑ | novelty ↑ | copies" in md
    for fig in out.figures:
        assert (out.html.parent / "leaderboard_files" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"leaderboard_files/{fig}.png" in md
    assert "Bradley-Terry" in md
    assert "Krippendorff" in md


def test_report_ranks_systems_by_their_known_quality(report: dict[str, Any]) -> None:
    md = report["out"].markdown.read_text(encoding="utf-8")
    bt = md.split("### Bradley-Terry strengths", 1)[1].split("\n### ", 1)[0]
    lines = [line for line in bt.splitlines() if line.startswith("| ")]
    assert lines[0] == "| # | system | rating [95% CI] | votes | win rate [95% CI] |"
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:]]
    # Never a bare rating: each with its interval, its vote count and a win rate with interval.
    assert all(re.fullmatch(r"\d+ \[\d+, \d+\]", r[2]) for r in rows)
    assert all(int(r[3]) == 2 * 6 * 2 for r in rows)  # 2 annotators x 6 items x 2 opponents
    assert all(re.fullmatch(r"\d+% \[\d+%, \d+%\]", r[4]) for r in rows)
    assert [r[1] for r in rows] == QUALITY_ORDER
    assert [r[0] for r in rows] == ["1", "2", "3"]
    ratings = [float(r[2].split()[0]) for r in rows]
    assert ratings[0] > ratings[1] > ratings[2]
    # The report's Likert means follow the same order on every criterion.
    from workbench.evaluation.report_human import human_results

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
        assert len(sizes) == len(out.figures)
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
        # The comparison leads: the first section, with its verdict.
        first = page.evaluate("() => document.querySelector('body > section').id")
        assert first == "comparison"
        assert "does not win" in page.locator("#verdict").inner_text()
        # Every table fits a 1280 px window: wide ones scroll inside their own box.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
        boxes = page.locator("div.scroll").evaluate_all(
            "ds => ds.map(d => d.getBoundingClientRect().right)")
        assert boxes
        assert max(boxes) <= 1280
        # Clicking a header sorts the rows (by the cells' numbers), twice: the other way.
        table = "#leaderboard-brief_to_ad"
        column = page.locator(f"{table} thead th").all_inner_texts().index("novelty ↑")

        def novelty() -> list[float]:
            return page.locator(f"{table} tbody tr").evaluate_all(
                f"rs => rs.map(r => Number(r.cells[{column}].dataset.sort))")

        before = novelty()
        page.locator(f"{table} thead th").nth(column).click()
        assert novelty() == sorted(before)
        page.locator(f"{table} thead th").nth(column).click()
        assert novelty() == sorted(before, reverse=True)
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


def _rows(html: str, table_class: str) -> list[dict[str, str]]:
    """Each row of every ``<table class="... table_class ...">``: data attributes and p cell."""
    out = []
    for table in re.findall(rf'<table[^>]*class="[^"]*\b{table_class}\b[^"]*">(.*?)</table>',
                            html, re.S):
        for attrs, body in re.findall(r"<tr((?: data-[\w-]+=\"[^\"]*\")+)[^>]*>(.*?)</tr>",
                                      table, re.S):
            row = dict(re.findall(r'data-([\w-]+)="([^"]*)"', attrs))
            cells = re.findall(r"<td([^>]*)>(.*?)</td>", body, re.S)
            row["p_cell_sig"] = "1" if any("sig" in a.split('"')[1].split() for a, _ in cells
                                           if 'class="' in a) else "0"
            row["p_text"] = next(t for a, t in cells if 'data-sort="' in a and
                                 a.split('data-sort="')[1].split('"')[0] == row["p"])
            out.append(row)
    return out


def test_every_significance_mark_follows_the_legend(report: dict[str, Any]) -> None:
    """Green p exactly when the interval excludes 0 and p < 0.05, on the report's own rows."""
    html = report["out"].html.read_text(encoding="utf-8")
    assert "green</b> (Markdown: <code>*</code>) exactly when the interval excludes 0 and p &lt; 0.05" in html
    rows = _rows(html, "paired")
    marked = [r for r in rows if r["p_cell_sig"] == "1"]
    assert len(rows) > 20  # both kinds of row are checked
    assert 0 < len(marked) < len(rows)
    for row in rows:
        low, high, p = float(row["low"]), float(row["high"]), float(row["p"])
        assert float(row["alpha"]) == pytest.approx(0.05)
        rule = p < 0.05 and (low > 0 or high < 0)
        assert (row["p_cell_sig"] == "1") == rule == (row["sig"] == "1"), row
        assert row["p_text"] == f"{p:.3f}"
    # The compare's rows are among them: one per metric of the compared task.
    compare = report["compare"]
    assert sum(1 for r in rows if r.get("metric") and "low" in r) >= len(compare.metrics)


def test_report_leads_with_the_comparison(report: dict[str, Any]) -> None:
    out, compare = report["out"], report["compare"]
    assert out.sections[:3] == ["comparison", "lost-items", "leaderboard"]
    html = out.html.read_text(encoding="utf-8")
    first = html.split('<section id="', 2)[1]
    assert first.startswith("comparison")
    for condition in compare.conditions:
        assert html_escape(condition.detail) in first
    assert f"Verdict: challenger {'wins' if compare.wins else 'does not win'}" in first
    assert "check pass rate" in first
    human = compare.human
    assert human is not None  # the fake votes between the two
    assert (f"{100 * human.win_rate:.0f}% [{100 * human.ci_low:.0f}%, "
            f"{100 * human.ci_high:.0f}%], {human.votes} votes") in first
    md = out.markdown.read_text(encoding="utf-8")
    assert md.index("## Challenger vs champion") < md.index("## Leaderboard")
    # The items where the challenger lost most: reference, both outputs, scores, worst first.
    lost = html.split('<section id="lost-items">', 1)[1].split("</section>", 1)[0]
    losses = [float(x) for x in re.findall(r"lost by ([\d.]+)</h3>", lost)]
    assert losses
    assert losses == sorted(losses, reverse=True)
    assert lost.count('class="card ref"') == lost.count('class="card champion"') == len(losses)


def test_copying_system_is_marked_and_cannot_lead(report: dict[str, Any]) -> None:
    html = report["out"].html.read_text(encoding="utf-8")
    table = re.search(r'<table id="leaderboard-brief_to_ad"[^>]*>(.*?)</table>', html, re.S)[1]
    rows = re.findall(r'<tr data-system="([^"]+)" data-copies="(\d)"', table)
    copies = [s for s, c in rows if c == "1"]
    assert "retrieval" in copies  # the baseline that returns a past ad
    assert rows[0][0] not in copies
    assert table.count('class="copies"') == len(copies)
    assert re.search(r'<td class="copies"[^>]*>copies \(\d+%\)', table)


def test_history_shows_the_champion_over_time(report: dict[str, Any], tmp_path: Path) -> None:
    from workbench.evaluation.report import build_report

    root = report["root"]
    # A second evaluation kept beside the first (a copy: same scores, a later date).
    copy = root / "eval" / "later"
    shutil.copytree(report["result"].out_dir, copy)
    (copy / "compare.json").unlink()
    out = build_report(root, eval_id="later", out_dir=tmp_path / "r")
    html = out.html.read_text(encoding="utf-8")
    history = html.split('<section id="history">', 1)[1].split("</section>", 1)[0]
    points = re.findall(r'<tr data-eval="([^"]+)" data-champion="([^"]+)"', history)
    assert {c for _, c in points} == {"template"}
    assert {report["result"].eval_id, "later"} <= {e for e, _ in points}
    assert 'id="fig-champion-history"' in history
    assert re.search(r'<tr data-ref="template">.*?first champion', history, re.S)
    # No compare in that copy: the report says how to make one.
    assert "workbench eval compare" in html.split('<section id="comparison">', 1)[1][:2000]
    shutil.rmtree(copy)


def test_errors_and_moderation_sections(report: dict[str, Any]) -> None:
    summary = json.loads((report["result"].out_dir / "summary.json").read_text())
    html = report["out"].html.read_text(encoding="utf-8")
    errors = html.split('<section id="errors">', 1)[1].split("</section>", 1)[0]
    failed = [e for e in summary["errors"] if e["task"] == "brief_to_ad" and e["count"]]
    assert failed
    for e in failed:
        assert f"{e['count']}/{e['n']}" in errors
    moderation = html.split('<section id="moderation">', 1)[1].split("</section>", 1)[0]
    for tag, reason in summary["moderation"]["not_measured"].items():
        assert f'data-tag="{tag}"' in moderation
        assert html_escape(reason) in moderation


def test_history_skips_an_evaluation_without_the_champion_quietly(
        report: dict[str, Any]) -> None:
    """A champion no kept evaluation scored adds no point and no library warning to the output."""
    import warnings

    from workbench.core.manifests import ChampionEntry, ChampionRecord
    from workbench.evaluation.report_history import history_points

    absent = ChampionEntry(ref="run:tiny-20250101-000000-dead", promoted_by="tester",
                           promoted_at="2020-01-01T00:00:00+00:00")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert history_points(report["root"], ChampionRecord(history=[absent])) == []


def test_eval_run_prints_each_figure_as_the_report_writes_it(report: dict[str, Any]) -> None:
    """`eval run`'s table and the report's leaderboard show one number one way (CLI, report and
    the web app, which shows the report's tables): ranking metric with its interval, plain
    metric, check pass rate, novelty."""
    result = report["result"]
    headline = "chrf"
    printed = "\n".join(result.lines(headline))
    md = report["out"].markdown.read_text(encoding="utf-8")
    compared = 0
    for task in result.items:
        table = md.split(f"### {task}\n", 1)[1].split("\n\n### ", 1)[0]
        rows = [[c.strip() for c in line.strip("|").split("|")]
                for line in table.splitlines() if re.match(r"\| \d+ \|", line)]
        assert rows, task
        for cells in rows:
            ranked, plain, passed, novelty = cells[2:6]
            line = next(li for li in printed.splitlines()
                        if re.match(rf"\s+{cells[0]}\. {re.escape(cells[1].split()[0])}\s", li)
                        and li in printed.split(f"  {task} (", 1)[1])
            assert (f" {ranked}  {headline} {plain.split(' [')[0]}  passed "
                    f"{passed.split(' [')[0]}  novelty {novelty.split(' [')[0]}  ") in line, (
                line, cells)
            compared += 1
    assert compared >= 6


def test_human_ratings_read_the_same_in_the_report_and_the_web_app(
        report: dict[str, Any]) -> None:
    """One set of votes, one rating interval: the web app's table and the report's BT table."""
    from workbench.evaluation.ratings_pull import rating_votes
    from workbench.webapp.leaderboard import preference_rows

    md = report["out"].markdown.read_text(encoding="utf-8")
    bt = md.split("### Bradley-Terry strengths", 1)[1].split("\n### ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")]
            for line in bt.splitlines() if re.match(r"\| \d+ \|", line)]
    ratings = pl.read_parquet(report["result"].out_dir / "ratings.parquet")
    votes = rating_votes(ratings)
    web = {r["system"]: r for r in preference_rows(
        *votes, systems=[s for s in report["result"].systems if s in {*votes[0], *votes[1]}])}
    assert rows
    for _, system, rating, _votes, win in rows:
        assert web[system]["rating_text"] == rating, system
        assert web[system]["win_text"] == win, system


def test_loss_curves_find_a_run_recorded_relative_to_another_folder(
        report: dict[str, Any]) -> None:
    """An evaluation run with ``--data-dir data`` records ``data/runs/<id>``; a report built
    from another working folder still finds the run in its data dir."""
    from workbench.evaluation.report_figures import run_records

    run_id = "tiny-20260101-000000-beef"
    lineage = {"tuned": {"run_id": run_id, "run_dir": f"data/runs/{run_id}"}}
    records = run_records(report["root"], lineage)
    assert set(records) == {run_id}
    assert records[run_id][0]["loss"] == 5.0
