"""The web leaderboard's human preferences and paired tests, in process (FastAPI's TestClient).

Picks are made through the studio like a marketer makes them (a brief, ads from two models, one
picked), in a copy of the shared web world with no pick yet, so the counts are known exactly.
A rating never shows without its vote count and interval; one pick shows as one vote with a
wide interval and "too few votes", never as a bare 1340 vs 660.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.webapp_world import ANALYST, MARKETER_A, PASSWORD, WebWorld, csrf_of
from workbench.webapp.app import create_app
from workbench.webapp.store import db_path


@pytest.fixture
def app(web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app over a fresh copy of the web world whose picks are all removed."""
    root = tmp_path_factory.mktemp("board") / "data"
    shutil.copytree(web_world.root, root)
    (root / "webapp" / "preferences.parquet").unlink(missing_ok=True)
    with sqlite3.connect(db_path(root)) as db:
        db.execute("DELETE FROM picks")
    return create_app(root, web_world.cfg)


def sign_in(app: Any, email: str) -> TestClient:
    client = TestClient(app)
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": csrf_of(client.get("/login").text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


def pick(client: TestClient, n: int, winner: str) -> None:
    """A brief with ads from template and retrieval; the marketer picks ``winner``'s first ad."""
    csrf = csrf_of(client.get("/studio").text)
    made = client.post("/api/briefs", headers={"x-csrf-token": csrf}, json={
        "brand": f"Board Shoes {n}", "product": "የቆዳ ጫማ", "vertical": "Retail",
        "target_channel": "Addis Deals", "contact": "0911223344"})
    assert made.status_code == 201, made.text
    row = made.json()["id"]
    gens = {}
    for model in ("template", "retrieval"):
        response = client.post(f"/api/briefs/{row}/generations", headers={"x-csrf-token": csrf},
                               json={"model": model, "n": 1})
        assert response.status_code == 201, response.text
        gens[model] = response.json()["id"]
    assert client.post(f"/api/generations/{gens[winner]}/pick", json={"candidate_index": 0},
                       headers={"x-csrf-token": csrf}).status_code == 200


def picks_table(app: Any) -> dict[str, dict[str, str]]:
    """The analyst's studio-picks table: model -> votes, win, rating cells."""
    page = sign_in(app, ANALYST).get("/leaderboard").text
    table = re.search(r'<table id="studio-picks">(.*?)</table>', page, re.S).group(1)
    rows = {}
    for model, body in re.findall(r'<tr data-model="([^"]+)">(.*?)</tr>', table, re.S):
        rows[model] = {name: re.search(rf'class="num {name}">([^<]*)<', body).group(1)
                       for name in ("votes", "win", "rating")}
    return rows


def interval(text: str) -> tuple[float, float]:
    low, high = re.search(r"\[(-?[\d.]+)%?, (-?[\d.]+)%?\]", text).groups()
    return float(low), float(high)


def test_one_pick_shows_one_vote_and_a_wide_interval(app: Any) -> None:
    pick(sign_in(app, MARKETER_A), 0, "retrieval")
    rows = picks_table(app)
    assert set(rows) == {"retrieval", "template"}
    for model, row in rows.items():
        assert row["votes"] == "1"
        assert row["rating"].startswith("too few votes")
        low, high = interval(row["rating"])
        assert high - low >= 400, (model, row)  # 10:1 odds either way: nothing is known
    assert rows["retrieval"]["win"] == "100% [21%, 100%]"
    assert rows["template"]["win"] == "0% [0%, 79%]"


def test_enough_picks_show_ratings_with_intervals_and_counts(app: Any) -> None:
    from workbench.evaluation.bradley_terry import MIN_VOTES

    client = sign_in(app, MARKETER_A)
    total = MIN_VOTES + 2
    for n in range(total):
        pick(client, n, "template" if n % 3 == 2 else "retrieval")
    template_wins = sum(1 for n in range(total) if n % 3 == 2)
    rows = picks_table(app)
    assert {r["votes"] for r in rows.values()} == {str(total)}
    for row in rows.values():
        found = re.fullmatch(r"(\d+) \[(\d+), (\d+)\]", row["rating"])
        assert found, row
        rating, low, high = map(int, found.groups())
        assert low < rating < high
    share = template_wins / total
    assert rows["template"]["win"].startswith(f"{100 * share:.0f}% [")
    assert int(rows["retrieval"]["rating"].split()[0]) > int(rows["template"]["rating"].split()[0])


def test_leaderboard_shows_the_evaluations_paired_tests(app: Any, web_world: WebWorld) -> None:
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.report_data import load_eval
    from workbench.evaluation.report_tables import digits_for

    data = load_eval(find_eval(web_world.root, None))
    expected = data.paired.filter(data.paired["metric"] == data.headline)
    assert expected.height > 0
    page = sign_in(app, ANALYST).get("/leaderboard").text
    assert f"Paired tests on {data.headline}" in page
    table = re.search(r'<table id="paired"[^>]*>(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<tr data-a="([^"]+)" data-b="([^"]+)">(.*?)</tr>', table, re.S)
    assert sorted((a, b) for a, b, _ in rows) == sorted(
        zip(expected["system_a"], expected["system_b"], strict=True))
    for row in expected.iter_rows(named=True):
        body = next(body for a, b, body in rows if (a, b) == (row["system_a"], row["system_b"]))
        # Written as the report writes the same difference (one figure, one way).
        d = digits_for(row["metric"], row["delta"])
        assert f"{row['delta']:+.{d}f} [{row['ci_low']:+.{d}f}, {row['ci_high']:+.{d}f}]" in body
        assert f"{row['p_value']:.3f}" in body
    assert any(abs(r["delta"]) >= 10 for r in expected.iter_rows(named=True)), \
        "a difference of 10 or more, written with one decimal"


def test_leaderboard_tables_sort_with_a_same_origin_script(app: Any) -> None:
    """The report's sortable tables work under the app's CSP: the sorter is a served file."""
    from workbench.evaluation.report_page import SORT_SCRIPT

    client = sign_in(app, ANALYST)
    response = client.get("/leaderboard")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    page = response.text
    assert re.search(r'<table id="leaderboard-brief_to_ad" class="sortable', page)
    assert '<script src="/leaderboard/sort.js" defer></script>' in page
    assert not re.search(r"<script>(?!</script>)", page)  # no inline script: the CSP drops it
    script = client.get("/leaderboard/sort.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.text == SORT_SCRIPT


def test_leaderboard_names_the_trained_model_as_generate_does(app: Any) -> None:
    """A suite's label for a run ("run:<id>") is shown with the run's display name under it."""
    from tests.webapp_world import RUN_ID
    from workbench.core.runs import model_display_name

    page = sign_in(app, ANALYST).get("/leaderboard").text
    table = page.split('<table id="leaderboard-brief_to_ad"', 1)[1].split("</table>", 1)[0]
    name = model_display_name(f"run:{RUN_ID}")
    assert name == "tiny (trained 2026-01-01 00:00 UTC)"
    assert f'<span class="ci">{name}</span>' in table


def test_run_page_keeps_its_label_snapshot_after_the_splits_are_made_again(
        app: Any, web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The run's own record (label snapshot, split manifest) stays; a re-split is said."""
    from tests.webapp_world import RUN_ID
    from workbench.cli import main
    from workbench.core.manifests import RunManifest, read_manifest

    root = tmp_path_factory.mktemp("resplit") / "data"
    shutil.copytree(web_world.root, root)
    resplit = create_app(root, web_world.cfg)
    run = read_manifest(root / "runs" / RUN_ID / "manifest.json", RunManifest)
    snapshot = f"label snapshot <code>{run.label_snapshot.id}</code>"
    page = sign_in(resplit, ANALYST).get(f"/runs/{RUN_ID}").text
    assert snapshot in page
    assert 'id="split-inputs"' in page
    assert "splits-made-again" not in page
    with pytest.raises(SystemExit) as exc:
        main(["curate", "split", "--seed", "7", "--data-dir", str(root), "--quiet"])
    assert exc.value.code in (0, None)
    page = sign_in(resplit, ANALYST).get(f"/runs/{RUN_ID}").text
    assert snapshot in page
    assert f"split manifest <code>{run.split_manifest_sha256[:12]}</code>" in page
    assert 'id="splits-made-again"' in page
    assert 'id="split-inputs"' not in page


def test_leaderboard_leads_with_the_verdict_of_eval_compare(
        web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The analyst's decision (challenger vs champion) is on the page as the report gives it."""
    from workbench.cli import main
    from workbench.core.layout import Layout
    from workbench.core.manifests import CompareResult

    root = tmp_path_factory.mktemp("verdict") / "data"
    shutil.copytree(web_world.root, root)
    client = sign_in(create_app(root, web_world.cfg), ANALYST)
    page = client.get("/leaderboard").text
    card = page.split('<section class="card" id="comparison">', 1)[1].split("</section>", 1)[0]
    assert "No comparison in this evaluation yet" in card
    assert "workbench eval compare" in card
    with pytest.raises(SystemExit):
        main(["eval", "compare", "template", "--against", "retrieval", "--eval-id",
              web_world.eval_id, "--data-dir", str(root)])
    saved = CompareResult.model_validate_json(
        Layout(root).compare(web_world.eval_id).read_text(encoding="utf-8"))
    # The evaluation's trained run is no baseline "for scale".
    assert saved.baselines == {}
    page = client.get("/leaderboard").text
    card = page.split('<section class="card" id="comparison">', 1)[1].split("</section>", 1)[0]
    verdict = "challenger wins" if saved.wins else "challenger does not win"
    assert f"Verdict: {verdict}</p>" in card
    assert page.index('id="comparison"') < page.index("Paired tests on")
    gate = re.findall(r'<tr data-passed="([01])"[^>]*><td>(.*?)</td>', card, re.S)
    assert gate == [("1" if c.passed else "0", c.name) for c in saved.conditions]


def test_dashboard_writes_progress_as_label_status_does(
        web_world: WebWorld, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The curation dashboard (an analyst page beside the leaderboard) and `workbench label
    status` print one figure one way: done share, median seconds per item."""
    import polars as pl

    from workbench.core.layout import Layout
    from workbench.labeling.pull import write_snapshot
    from workbench.labeling.records import ProjectProgress
    from workbench.labeling.status import render, run_status

    root = tmp_path_factory.mktemp("progress") / "data"
    shutil.copytree(web_world.root, root)
    lay = Layout(root)
    # The last pull again, with the server's project counters it records (Label Studio's
    # own are what `label status` reads back without a server).
    write_snapshot(root, pl.read_parquet(lay.annotations), pl.read_parquet(lay.label_quarantine),
                   inputs=[], projects=[ProjectProgress("group-1", 1, 178, 173, 173),
                                        ProjectProgress("group-2", 2, 3, 2, 2)])
    report = run_status(root, web_world.cfg, from_file=True)
    assert [p.key for p in report.projects] == ["group-1", "group-2"]
    cli = "\n".join(render(report))
    page = sign_in(create_app(root, web_world.cfg), ANALYST).get("/dashboard").text
    table = page.split('<table id="progress">', 1)[1].split("</table>", 1)[0]
    for p in report.projects:
        row = re.search(rf"<tr><td>{re.escape(p.key)}</td>(.*?)</tr>", table, re.S).group(1)
        shown = re.search(r"</meter> ([^<]+)</td>", row).group(1)
        assert re.search(rf"^{re.escape(p.key)}\s.*\s{re.escape(shown)}\s", cli, re.M), (shown, cli)
        assert re.fullmatch(r"\d+\.\d%", shown)
    annotators = page.split('<table id="annotators">', 1)[1].split("</table>", 1)[0]
    for a in report.annotators.iter_rows(named=True):
        cell = re.search(rf"<td>{re.escape(a['annotator'])}</td><td class=\"num\">\d+</td>"
                         r"<td class=\"num\">([^<]+)</td>", annotators).group(1)
        assert re.search(rf"{re.escape(a['annotator'])}\s+\d+\s+\d+\s+{re.escape(cell)}", cli)


def test_run_page_says_which_train_loss_is_which(app: Any, web_world: WebWorld) -> None:
    """`train ls` shows the last logged loss as the train loss; the run page, beside the
    trainer's mean ``train_loss``, says which is which (two values, one name otherwise)."""
    from tests.webapp_world import RUN_ID
    from workbench.core.runs import find_run
    from workbench.webapp.formatting import sig3

    run = find_run(web_world.root, RUN_ID)
    assert run is not None
    last = run.last_metrics
    page = sign_in(app, ANALYST).get(f"/runs/{RUN_ID}").text
    table = page.split('<table id="run-metrics">', 1)[1].split("</table>", 1)[0]
    row = re.search(r"<tr><td>loss <span class=\"meta\">· ([^<]+)</span></td>"
                    r"<td class=\"num\">([^<]+)</td>", table)
    assert row is not None, table
    assert "last logged step" in row.group(1)
    assert row.group(2) == sig3(last["loss"])


def test_studio_picks_name_models_as_the_studio_does(app: Any) -> None:
    """The picks table names each model as the studio's model list does, not by its ref."""
    from workbench.webapp.model_labels import FIXED_LABELS

    pick(sign_in(app, MARKETER_A), 0, "template")
    page = sign_in(app, ANALYST).get("/leaderboard").text
    table = page.split('<table id="studio-picks">', 1)[1].split("</table>", 1)[0]
    names = dict(re.findall(r'<tr data-model="([^"]+)"><td>([^<]+)</td>', table))
    assert names == {m: FIXED_LABELS[m] for m in ("template", "retrieval")}
