"""Rating projects pushed to, annotated in, and pulled from a real Label Studio.

The server is the session's one Label Studio (``ls_server`` in tests/conftest.py, migrated once
and reused from a template DB). Annotations are created through the project's own client
(``LabelStudioApi``) as two annotator users.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from tests.conftest import SessionServer

if TYPE_CHECKING:
    from workbench.labeling.labelstudio.api import LabelStudioApi

pytestmark = pytest.mark.labelstudio


@pytest.fixture(scope="session")
def label_studio(ls_server: SessionServer) -> dict[str, str]:
    """The session's real Label Studio (tests/conftest.py): its url, admin and API token."""
    return json.loads(ls_server.credentials.read_text(encoding="utf-8"))


QUALITY = {"good": 4.5, "fair": 3.0, "poor": 1.5}


@pytest.fixture
def eval_dir(tmp_path: Path, label_studio: dict[str, str]) -> tuple[Path, Path]:
    """A data dir with Label Studio credentials and an evaluation's generations (3 systems)."""
    from workbench.core.briefs import Brief
    from workbench.evaluation.run import GENERATIONS_SCHEMA
    from workbench.evaluation.tasks import coverage_of

    data_dir = tmp_path / "data"
    (data_dir / "labelstudio").mkdir(parents=True)
    (data_dir / "labelstudio" / "credentials.json").write_text(json.dumps(label_studio))
    folder = data_dir / "eval" / f"ratings-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    rows = []
    for i in range(6):
        brief = coverage_of(Brief.model_validate({
            "brand": "Nike", "product": "ጫማ", "offer": "1,200 ብር ብቻ", "vertical": "Retail",
            "target_channel": "ሸገር ገበያ", "call_to_action": "ይደውሉ", "contact": "0911223344"}))
        for system in QUALITY:
            rows.append({"eval_id": folder.name, "task": "brief_to_ad",
                         "item_id": f"brief_to_ad:1000:{i}", "uid": f"1000:{i}",
                         "system": system, "sample": 0, "seed": i, "prompt": "p",
                         "brief": json.dumps(brief, ensure_ascii=False),
                         "text": f"{system} ጫማ በቅናሽ {i}", "reference": "ref"})
    pl.DataFrame(rows, schema=GENERATIONS_SCHEMA).write_parquet(folder / "generations.parquet")
    return data_dir, folder


def _with_blank_candidates(folder: Path) -> None:
    """A fourth system whose candidates are blank, null (a failed generation) or real."""
    gens = pl.read_parquet(folder / "generations.parquet")
    broken = gens.filter(pl.col("system") == "good").with_columns(
        system=pl.lit("broken"),
        text=pl.when(pl.col("seed") % 3 == 0).then(pl.lit(" \n "))
        .when(pl.col("seed") % 3 == 1).then(pl.lit(None, dtype=pl.Utf8))
        .otherwise(pl.lit("broken ጫማ")))
    pl.concat([gens, broken]).write_parquet(folder / "generations.parquet")


def _api(creds: dict[str, str]) -> LabelStudioApi:
    from workbench.labeling.labelstudio.api import LabelStudioApi
    from workbench.labeling.labelstudio.server import Credentials

    return LabelStudioApi(Credentials(**{k: creds[k] for k in ("url", "username", "password",
                                                               "token")}))


def _annotate(creds: dict[str, str], push: dict[str, Any], keys: pl.DataFrame) -> None:
    """Two annotators: Likert scores by system quality; pairwise for the better one, or a tie."""
    ls = _api(creds)
    tag = secrets.token_hex(3)
    users = [ls.request("POST", "/api/users/", json={"username": f"rater{i}-{tag}",
                                                     "email": f"rater{i}-{tag}@wb.local"})["id"]
             for i in range(2)]
    by_key = {r["key"]: r for r in keys.iter_rows(named=True)}
    for task in ls.iter_tasks(push["projects"]["likert"]):
        meta = by_key[task["data"]["key"]]
        for n, user in enumerate(users):
            score = round(QUALITY[meta["system"]]) - (n if meta["system"] == "fair" else 0)
            result = [{"from_name": c, "to_name": "ad", "type": "rating",
                       "value": {"rating": max(1, min(5, score))}}
                      for c in ("fluency", "relevance", "catchiness", "amharic")]
            ls.create_annotation(task["id"], result, completed_by=user)
    for task in ls.iter_tasks(push["projects"]["pairwise"]):
        meta = by_key[task["data"]["key"]]
        left, right = meta["left_system"], meta["right_system"]
        for user in users:
            if {left, right} == {"good", "fair"} and user == users[1]:
                result = [{"from_name": "tie", "to_name": "left", "type": "choices",
                           "value": {"choices": ["Equally good or bad"]}}]
            else:
                side = "left" if QUALITY[left] > QUALITY[right] else "right"
                result = [{"from_name": "preference", "to_name": "left,right", "type": "pairwise",
                           "value": {"selected": side}}]
            ls.create_annotation(task["id"], result, completed_by=user)
    # One invalid rating (Label Studio accepts it; the pull must not).
    first = next(ls.iter_tasks(push["projects"]["likert"]))
    ls.create_annotation(first["id"], [{"from_name": "fluency", "to_name": "ad",
                                        "type": "rating", "value": {"rating": 9}}])
    ls.close()


def test_push_is_blind_and_pull_round_trips(eval_dir: tuple[Path, Path],
                                            label_studio: dict[str, str]) -> None:
    from workbench.core.errors import DataContractError
    from workbench.evaluation.ratings import push_ratings
    from workbench.evaluation.ratings_pull import pull_ratings
    from workbench.evaluation.report_human import human_results

    data_dir, folder = eval_dir
    pushed = push_ratings(data_dir, folder, n_items=4, seed=1, systems=list(QUALITY))
    assert (pushed.likert_tasks, pushed.pairwise_tasks, pushed.items) == (12, 12, 4)
    assert pushed.excluded.total == 0
    push = json.loads((folder / "ratings" / "push.json").read_text())
    keys = pl.read_parquet(folder / "ratings" / "keys.parquet")
    with _api(label_studio) as ls:
        pair_tasks = list(ls.iter_tasks(push["projects"]["pairwise"]))
    # Blind: the tasks hold texts and an opaque key, never a system name.
    assert len(pair_tasks) == 12
    for task in pair_tasks:
        assert set(task["data"]) == {"brief", "left", "right", "key"}
        assert not any(s in task["data"]["key"] for s in QUALITY)
    # Sides are randomised: the better system is not always on the same side.
    pairs = keys.filter(pl.col("kind") == "pairwise")
    assert 0 < pairs.filter(pl.col("left_system") == "good").height < pairs.filter(
        (pl.col("left_system") == "good") | (pl.col("right_system") == "good")).height
    with pytest.raises(DataContractError, match="already pushed"):
        push_ratings(data_dir, folder, n_items=4, seed=1)

    _annotate(label_studio, push, keys)
    pulled = pull_ratings(data_dir, folder)
    assert pulled.likert_ratings == 12 * 2 * 4
    assert pulled.pairwise_votes == 12 * 2
    assert pulled.annotators == 2
    assert pulled.skipped.get("invalid_rating") == 1
    ratings = pl.read_parquet(folder / "ratings.parquet")
    assert all(a.startswith("rater") and a.endswith("@wb.local") for a in ratings["annotator"])
    votes = ratings.filter(pl.col("kind") == "pairwise")
    assert votes.filter(pl.col("outcome") == "tie").height == 4  # good vs fair, second rater
    for vote in votes.filter(pl.col("outcome") != "tie").iter_rows(named=True):
        # Sides mapped back to systems: the better system of the pair won.
        assert vote["winner"] == max(vote["left_system"], vote["right_system"], key=QUALITY.get)
        assert vote["winner"] == vote[f"{vote['outcome']}_system"]
    human = human_results(ratings, list(QUALITY))
    assert [r["system"] for r in human.bt] == ["good", "fair", "poor"]
    likert = human.likert.filter(pl.col("criterion") == "fluency").sort("mean", descending=True)
    assert likert["system"].to_list() == ["good", "fair", "poor"]
    alphas = dict(zip(human.agreement["criterion"].to_list(), human.agreement["alpha"].to_list(),
                      strict=True))
    assert alphas["fluency"] > 0.5
    assert alphas["preference"] < 1.0  # the tie disagreement shows
    # What the web leaderboard shows of them: every system with its votes and both intervals.
    from workbench.evaluation.ratings_pull import rating_votes
    from workbench.webapp.leaderboard import preference_rows

    rows = preference_rows(*rating_votes(ratings))
    assert [r["system"] for r in rows] == ["good", "fair", "poor"]
    assert {r["votes"] for r in rows} == {2 * 2 * 4}  # 2 pairs per item, 4 items, 2 raters
    assert all(re.fullmatch(r"-?\d+ \[-?\d+, -?\d+\]", r["rating_text"]) for r in rows)
    assert all(re.fullmatch(r"\d+% \[\d+%, \d+%\]", r["win_text"]) for r in rows)


def test_no_pushed_task_shows_an_empty_ad(eval_dir: tuple[Path, Path],
                                          label_studio: dict[str, str]) -> None:
    """Blank and failed candidates are left out (with their pairs) and counted; every task
    Label Studio holds has text on each side; projects carry instructions and say what to do."""
    from workbench.evaluation.ratings import push_ratings
    from workbench.labeling.labelstudio.api import MAX_TITLE

    data_dir, folder = eval_dir
    _with_blank_candidates(folder)
    gens = pl.read_parquet(folder / "generations.parquet").filter(pl.col("system") == "broken")
    blank = gens.filter(pl.col("text").is_not_null()
                        & (pl.col("text").str.strip_chars() == "")).height
    failed = gens["text"].null_count()
    assert blank > 0
    assert failed > 0
    pushed = push_ratings(data_dir, folder, n_items=None, seed=2)
    assert pushed.excluded.candidates == {"broken": {"empty": blank, "failed": failed}}
    # Each left-out candidate drops its pairs with the three other systems.
    assert pushed.excluded.pairs == 3 * (blank + failed)
    assert pushed.likert_tasks == 6 * 4 - blank - failed
    assert pushed.pairwise_tasks == 6 * 6 - pushed.excluded.pairs
    assert f"broken {blank} empty, {failed} failed" in pushed.line()
    push = json.loads((folder / "ratings" / "push.json").read_text())
    assert push["excluded"]["candidates"] == {"broken": {"empty": blank, "failed": failed}}
    assert push["excluded"]["pairs"] == pushed.excluded.pairs
    with _api(label_studio) as ls:
        likert = list(ls.iter_tasks(push["projects"]["likert"]))
        pairwise = list(ls.iter_tasks(push["projects"]["pairwise"]))
        projects = {kind: ls.project(push["projects"][kind]) for kind in ("likert", "pairwise")}
    assert (len(likert), len(pairwise)) == (pushed.likert_tasks, pushed.pairwise_tasks)
    for task in likert:
        assert task["data"]["ad"].strip()
    for task in pairwise:
        assert task["data"]["left"].strip()
        assert task["data"]["right"].strip()
    # The brief shows as its fields, not a keyword list.
    brief = likert[0]["data"]["brief"]
    assert brief.splitlines() == ["Brand / ብራንድ: Nike", "Product / ምርት: ጫማ",
                                  "Offer / ቅናሽ: 1,200 ብር ብቻ", "Call to action / ጥሪ: ይደውሉ",
                                  "Contact / አድራሻ: 0911223344", "Channel / ቻናል: ሸገር ገበያ",
                                  "Industry / ዘርፍ: Retail"]
    for project in projects.values():
        assert project["show_instruction"] is True
        text = project["expert_instruction"]
        assert all(part in text for part in ("ቅናሽ", "good ad", "bad ad"))
        assert len(project["title"]) <= MAX_TITLE
        assert folder.name in project["title"]
    assert projects["likert"]["title"].startswith("Score ads 1-5")
    assert all(c in projects["likert"]["expert_instruction"]
               for c in ("Fluency", "Relevance", "Catchiness"))
    assert projects["pairwise"]["title"].startswith("Pick the better ad")
    assert "rather publish" in projects["pairwise"]["expert_instruction"]


def test_one_system_gets_no_empty_pairwise_project(eval_dir: tuple[Path, Path],
                                                   label_studio: dict[str, str]) -> None:
    """Rating one system: its Likert project only (no "Pick the better ad" project with no
    task for raters to open), and the pull reads what there is."""
    from workbench.evaluation.ratings import push_ratings
    from workbench.evaluation.ratings_pull import pull_ratings

    data_dir, folder = eval_dir
    with _api(label_studio) as ls:
        before = {p["id"] for p in ls.projects()}
    pushed = push_ratings(data_dir, folder, n_items=3, seed=1, systems=["good"])
    assert (pushed.likert_tasks, pushed.pairwise_tasks, pushed.pairwise_project) == (3, 0, None)
    assert "no pairwise project (fewer than two systems to compare)" in pushed.line()
    with _api(label_studio) as ls:
        made = {p["id"] for p in ls.projects()}
    assert made - before == {pushed.likert_project}
    push = json.loads((folder / "ratings" / "push.json").read_text())
    assert push["projects"] == {"likert": pushed.likert_project, "pairwise": None}
    pulled = pull_ratings(data_dir, folder)
    assert (pulled.likert_ratings, pulled.pairwise_votes) == (0, 0)
