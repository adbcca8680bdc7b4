"""``workbench eval promote`` and ``workbench eval compare``: champion history, gate, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workbench.core.io import sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import ChampionRecord, CompareMetric, CompareResult, HumanPreference
from workbench.core.runs import model_display_name
from workbench.evaluation.compare import verdict
from workbench.evaluation.suite import GateConfig

SUITE = """
name: cmp
systems: [retrieval, template]
items: {n: 12}
tasks:
  - name: brief_to_ad
    metrics: [chrf, bleu, length]
    max_new_tokens: 12
seed: 5
bootstrap: {n_resamples: 400}
gate: {min_delta: 0.0, max_check_drop_points: 2, min_human_win_rate: 0.5}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.eval_data import make_fake_run, make_splits, make_tiny_base

    root = tmp_path_factory.mktemp("compare")
    make_splits(root)
    base = make_tiny_base(root / "tiny-base", root)
    run_dir = make_fake_run(root, base)
    suite_path = root / "cmp.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    return {"root": root, "suite": suite_path, "run_dir": run_dir}


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from workbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def _oracle_eval(root: Path, eval_id: str) -> str:
    """A copy of ``eval_id`` with a system "oracle": the template's scores, but a perfect chrF
    (100) on every other item, so it is known to be better on half the items and equal elsewhere.
    """
    import shutil

    import polars as pl

    lay = Layout(root)
    shutil.copytree(lay.eval(eval_id), lay.eval("oracle"))
    path = lay.eval("oracle") / "scores.parquet"
    scores = pl.read_parquet(path)
    template = scores.filter(pl.col("system") == "template")
    items = sorted(set(template["item_id"].to_list()))
    better = set(items[::2])
    oracle = template.with_columns(
        system=pl.lit("oracle"),
        value=pl.when(pl.col("metric").is_in(["chrf", "chrf@checked"])
                      & pl.col("item_id").is_in(better))
        .then(100.0).otherwise(pl.col("value")))
    pl.concat([scores, oracle]).write_parquet(path)
    return "oracle"


def test_compare_runs_an_evaluation_and_writes_compare_json(
        world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    root, suite = str(world["root"]), str(world["suite"])
    code, out, _ = _cli(["eval", "compare", "retrieval", "--against", "template", "--suite", suite,
                         "--data-dir", root, "--quiet"], capsys)
    assert "retrieval (challenger) vs template (champion)" in out
    # The evaluation runs the output checks: retrieval copies past ads, the template does not.
    assert "check pass rate: not measured" not in out
    eval_id = out.split("evaluation ")[1].split(":")[0]
    saved = CompareResult.model_validate_json(
        Layout(world["root"]).compare(eval_id).read_text(encoding="utf-8"))
    assert code == (0 if saved.wins else 1)
    assert [m.metric for m in saved.metrics] == ["chrf", "bleu", "length", "novelty",
                                                "check_pass_rate", "chrf@checked"]
    for m in saved.metrics:
        assert m.delta == pytest.approx(m.challenger - m.champion)
        assert (m.ci_low > 0 or m.ci_high < 0) == (m.p_value < 0.05)


def test_better_challenger_wins_and_worse_loses(world: dict[str, Any],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.core.config import ProjectConfig
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    suite, path = load_suite(world["suite"])
    result = run_suite(suite, path, world["root"], ProjectConfig(), eval_id="base-eval")
    oracle = _oracle_eval(world["root"], result.eval_id)
    root = str(world["root"])
    code, out, _ = _cli(["eval", "compare", "oracle", "--against", "template", "--eval-id",
                         oracle, "--data-dir", root], capsys)
    assert code == 0, out
    assert "[pass] chrf@checked improves" in out
    assert out.rstrip().endswith("verdict: challenger wins")
    saved = CompareResult.model_validate_json(
        Layout(world["root"]).compare(oracle).read_text(encoding="utf-8"))
    chrf = next(m for m in saved.metrics if m.metric == "chrf")
    assert chrf.ci_low > 0
    assert chrf.p_value < 0.05
    assert saved.baselines["retrieval"]["chrf"] > 0, "baselines shown for scale"
    assert "baselines for scale (chrf@checked): retrieval" in out
    # Roles swapped: the worse system does not win, exit 1.
    code, out, _ = _cli(["eval", "compare", "template", "--against", "oracle", "--eval-id",
                         oracle, "--data-dir", root], capsys)
    assert code == 1
    assert "[FAIL] chrf@checked improves" in out
    assert out.rstrip().endswith("verdict: challenger does not win")


def test_errors_are_one_line_exit_2(world: dict[str, Any], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    code, _, err = _cli(["eval", "compare", "template", "--suite", str(world["suite"]),
                         "--data-dir", str(fresh)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "no champion promoted yet" in err
    code, _, err = _cli(["eval", "promote", "run:nope", "--data-dir", str(world["root"])], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "run 'nope'" in err
    code, _, err = _cli(["eval", "promote", "templat", "--data-dir", str(fresh)], capsys)
    assert code == 2
    assert "did you mean 'template'" in err
    assert not Layout(fresh).champion.exists()


def test_champion_history_is_append_only_with_lineage(world: dict[str, Any], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    root = tmp_path / "data"
    shutil.copytree(world["root"] / "curated", root / "curated")
    shutil.copytree(world["root"] / "runs", root / "runs")
    shutil.copytree(world["root"] / "training", root / "training")
    shutil.copytree(world["root"] / "labels", root / "labels")
    seen: list[list[dict[str, Any]]] = []
    for ref in ("run:latest", "template", "retrieval"):
        code, out, err = _cli(["eval", "promote", ref, "--note", f"try {ref}",
                               "--data-dir", str(root)], capsys)
        assert code == 0, err
        data = json.loads(Layout(root).champion.read_text(encoding="utf-8"))
        seen.append(data["history"])
        # What a person reads: the model by name; the manifest path and hash stay in the file.
        assert out.startswith(f"champion: {model_display_name(data['history'][-1]['ref'])}, "), out
        assert "manifest.json" not in out
        assert all(entry["run_manifest_sha256"] not in out for entry in data["history"]
                   if entry["run_manifest_sha256"])
    assert [len(h) for h in seen] == [1, 2, 3]
    assert seen[2][:2] == seen[1], "earlier entries never change"
    assert seen[1][:1] == seen[0]
    record = ChampionRecord.model_validate({"history": seen[-1]})
    first = record.history[0]
    run_id = world["run_dir"].name
    assert first.ref == f"run:{run_id}", "run:latest is pinned to the run it named"
    manifest = Path(first.run_manifest or "")
    assert first.run_manifest_sha256 == sha256_file(manifest)
    assert first.label_snapshot is not None
    assert first.base_model
    assert record.current.ref == "retrieval"
    # The champion against itself (promote, then compare before a new run): what to do instead.
    code, _, err = _cli(["eval", "compare", "retrieval", "--suite", str(world["suite"]),
                         "--data-dir", str(root)], capsys)
    assert code == 2
    assert err.strip() == ("error: challenger and champion are the same system 'retrieval' "
                           "(the promoted champion): train a new run to compare, or name another "
                           "model with --against")
    # The promoted champion is the default opponent, recorded in compare.json.
    code, out, _ = _cli(["eval", "compare", "template", "--suite", str(world["suite"]),
                         "--data-dir", str(root), "--quiet"], capsys)
    assert "template (challenger) vs retrieval (champion)" in out
    eval_id = out.split("evaluation ")[1].split(":")[0]
    saved = json.loads(Layout(root).compare(eval_id).read_text(encoding="utf-8"))
    assert code == (0 if saved["wins"] else 1)
    assert saved["champion_record"]["ref"] == "retrieval"


def _metric(low: float, high: float, *, higher: bool | None = True) -> CompareMetric:
    return CompareMetric(metric="chrf", higher_is_better=higher, challenger=50.0, champion=48.0,
                         delta=(low + high) / 2, ci_low=low, ci_high=high, p_value=0.01, n=40)


def test_gate_conditions() -> None:
    gate = GateConfig()
    won = verdict([_metric(0.5, 3.0)], 0.90, 0.91, None, gate, "chrf")
    assert [c.passed for c in won] == [True, True, True]
    assert "not measured" in won[2].detail
    # A check pass rate 3 points lower fails even with a clear metric gain.
    drop = verdict([_metric(0.5, 3.0)], 0.87, 0.90, None, gate, "chrf")
    assert [c.passed for c in drop] == [True, False, True]
    # Humans prefer the champion: the win rate's CI lies wholly below 50%.
    human = HumanPreference(win_rate=0.3, ci_low=0.2, ci_high=0.45, votes=40)
    assert not verdict([_metric(0.5, 3.0)], None, None, human, gate, "chrf")[2].passed
    # An interval touching 0 is no win; for a lower-is-better metric the gain is the negation.
    assert not verdict([_metric(0.0, 3.0)], None, None, None, gate, "chrf")[0].passed
    assert verdict([_metric(-3.0, -0.5, higher=False)], None, None, None, gate, "chrf")[0].passed
    with pytest.raises(Exception, match="gate metric 'bleu'"):
        verdict([_metric(0.5, 3.0)], None, None, None, gate, "bleu")


def test_suite_rejects_too_few_resamples_for_its_level() -> None:
    from pydantic import ValidationError

    from workbench.evaluation.suite import Suite

    with pytest.raises(ValidationError, match=r"too few for a 0\.999 interval"):
        Suite.model_validate({"name": "x", "systems": ["template"],
                              "tasks": [{"name": "brief_to_ad", "metrics": ["chrf"]}],
                              "bootstrap": {"n_resamples": 100, "confidence": 0.999}})
    assert Suite.model_validate({"name": "x", "systems": ["template"], "tasks": [
        {"name": "brief_to_ad", "metrics": ["chrf"]}]}).gate.max_check_drop_points == 2


def _simulated_votes(root: Path, eval_id: str, prefer: str) -> None:
    """ratings.parquet as `eval rate pull` writes it: the rating stage's own tasks and export
    parser, with an annotator who always picks ``prefer``'s side."""
    import polars as pl

    from workbench.evaluation.ratings import rating_tasks
    from workbench.evaluation.ratings_pull import RATINGS_SCHEMA, parse_export

    eval_dir = Layout(root).eval(eval_id)
    made = rating_tasks(pl.read_parquet(eval_dir / "generations.parquet"), eval_id=eval_id,
                        task="brief_to_ad", n_items=None, seed=0)
    pairwise, keys = made.pairwise, made.keys
    sides = {r["key"]: r for r in keys.iter_rows(named=True)}
    export = [{"data": {"key": t["key"]}, "annotations": [{
        "id": i, "completed_by": 1, "result": [{"type": "pairwise", "value": {
            "selected": "left" if sides[t["key"]]["left_system"] == prefer else "right"}}]}]}
        for i, t in enumerate(pairwise)]
    rows = parse_export(export, keys, eval_id=eval_id, emails={1: "rater@example.org"},
                        skipped={})
    pl.DataFrame(rows, schema=RATINGS_SCHEMA).write_parquet(eval_dir / "ratings.parquet")


def test_human_preference_enters_the_gate(world: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.core.config import ProjectConfig
    from workbench.evaluation.compare import compare_eval
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite

    suite, path = load_suite(world["suite"])
    run_suite(suite, path, world["root"], ProjectConfig(), eval_id="rated")
    _simulated_votes(world["root"], "rated", prefer="template")
    liked = compare_eval(world["root"], "rated", "template", "retrieval")
    assert liked.human is not None
    assert liked.human.win_rate == 1.0
    assert liked.human.votes == liked.metrics[0].n, "one vote per item"
    assert liked.conditions[2].passed
    disliked = compare_eval(world["root"], "rated", "retrieval", "template")
    assert disliked.human is not None
    assert disliked.human.win_rate == 0.0
    assert not disliked.conditions[2].passed
    assert not disliked.wins
    code, out, _ = _cli(["eval", "compare", "retrieval", "--against", "template", "--eval-id",
                         "rated", "--data-dir", str(world["root"])], capsys)
    assert code == 1
    assert "human win rate of retrieval over template: 0.00 [0.00, 0.28] " in out
    assert "[FAIL] human win rate" in out


def test_rating_an_unknown_system_or_task_names_what_the_evaluation_has(
        world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Before any Label Studio call: one line, exit 2, the evaluation's own names listed."""
    root = str(world["root"])
    code, out, _ = _cli(["eval", "run", str(world["suite"]), "--eval-id", "to-rate",
                         "--data-dir", root, "--quiet"], capsys)
    assert code == 0, out
    code, _, err = _cli(["eval", "rate", "push", "--eval-id", "to-rate", "--system", "templat",
                         "--data-dir", root], capsys)
    assert code == 2
    assert err.strip() == ("error: evaluation to-rate has no system 'templat' (did you mean "
                           "'template'?); its systems: retrieval, template")
    code, _, err = _cli(["eval", "rate", "push", "--eval-id", "to-rate", "--task", "nosuch",
                         "--data-dir", root], capsys)
    assert code == 2
    assert err.strip() == "error: evaluation to-rate has no task 'nosuch'; its tasks: brief_to_ad"


def test_a_base_champion_that_now_means_another_model_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'base' is the newest run's base: a later run must not swap the champion silently."""
    import shutil

    from tests.eval_data import make_fake_run, make_splits, make_tiny_base

    root = tmp_path / "data"
    make_splits(root)
    first = make_tiny_base(tmp_path / "base-1", root)
    make_fake_run(root, first, "tiny-20260101-000000-abcd")
    suite = tmp_path / "cmp.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    code, out, _ = _cli(["eval", "promote", "base", "--data-dir", str(root)], capsys)
    assert code == 0, out
    assert f"  base is {first.resolve()} (pinned" in out
    record = ChampionRecord.model_validate_json(
        Layout(root).champion.read_text(encoding="utf-8"))
    assert record.current.base_model == str(first.resolve())
    # An evaluation of 'base' while it is still that model compares against it.
    run_entries = "systems: [retrieval, template, base]"
    (tmp_path / "with-base.yaml").write_text(SUITE.replace("systems: [retrieval, template]",
                                                           run_entries), encoding="utf-8")
    code, out, _ = _cli(["eval", "run", str(tmp_path / "with-base.yaml"), "--eval-id",
                         "with-base", "--data-dir", str(root), "--quiet"], capsys)
    assert code == 0, out
    code, out, err = _cli(["eval", "compare", "template", "--eval-id", "with-base",
                           "--data-dir", str(root)], capsys)
    assert code in (0, 1), err
    assert "template (challenger) vs base (champion)" in out
    # A copy of the same weights elsewhere is the same model: still compared against.
    same = tmp_path / "base-copy"
    shutil.copytree(first, same)
    make_fake_run(root, same, "tiny-20260101-120000-abcd")
    code, out, err = _cli(["eval", "compare", "template", "--suite", str(suite),
                           "--data-dir", str(root), "--quiet"], capsys)
    assert code in (0, 1), err
    # A newer run on another base: 'base' now means that one.
    second = tmp_path / "base-2"
    shutil.copytree(first, second)
    config = json.loads((second / "config.json").read_text(encoding="utf-8"))
    config["rms_norm_eps"] = config.get("rms_norm_eps", 1e-6) * 2  # another model
    (second / "config.json").write_text(json.dumps(config), encoding="utf-8")
    make_fake_run(root, second, "tiny-20260102-000000-abcd")
    code, _, err = _cli(["eval", "compare", "template", "--suite", str(suite), "--data-dir",
                         str(root), "--quiet"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert f"the champion 'base' was promoted as {first.resolve()}" in err
    assert f"'base' now is {second.resolve()}" in err
    # The evaluation made before still scored the promoted base: comparing on it is fine.
    code, out, err = _cli(["eval", "compare", "template", "--eval-id", "with-base",
                           "--data-dir", str(root)], capsys)
    assert code in (0, 1), err
    # One made after scored the other base: refused.
    code, out, _ = _cli(["eval", "run", str(tmp_path / "with-base.yaml"), "--eval-id",
                         "after", "--data-dir", str(root), "--quiet"], capsys)
    assert code == 0, out
    code, _, err = _cli(["eval", "compare", "template", "--eval-id", "after", "--data-dir",
                         str(root)], capsys)
    assert code == 2
    assert f"'base' in evaluation after is {second.resolve()}" in err
    # The champion's history has a point for each evaluation of the promoted base (its copy
    # included) and none for the other base's.
    from workbench.evaluation.report_history import history_points

    points = history_points(root, ChampionRecord.model_validate_json(
        Layout(root).champion.read_text(encoding="utf-8")))
    ids = [p["eval_id"] for p in points]
    assert ids[0] == "with-base"
    assert len(ids) == 2
    assert ids[1].startswith("cmp-")
    assert "after" not in ids
    # The web leaderboard's lineage names the folder 'base' was in that evaluation.
    from workbench.webapp.leaderboard import latest_leaderboard

    board = latest_leaderboard(root)
    assert board is not None
    assert board.eval_id == "after"
    row = next(r for r in board.lineage if r["system"] == "base")
    assert row["base_model"] == str(second.resolve())
