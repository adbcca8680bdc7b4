"""The labeling rules pooled into curate flag's probabilities, at a weight the labels choose."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.rules_fixtures import ROUND3_DEV_FILE, round3_dev
from workbench.core.config import CleaningConfig, ProjectConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.curation.flag import run_flag
from workbench.curation.inputs import TaskSpec
from workbench.curation.rule_prior import WEIGHTS, TaskPrior, pool, rule_priors
from workbench.labeling.rules import load_rules


@pytest.fixture(scope="module")
def posts():
    return list(round3_dev(ROUND3_DEV_FILE))


def _specs() -> list[TaskSpec]:
    taxonomy = load_taxonomy()
    return [TaskSpec("is_ad", "single", taxonomy.task("is_ad").values),
            TaskSpec("vertical", "single", taxonomy.task("vertical").values, ("is_ad", "Ad")),
            TaskSpec("topic", "single", ["sport", "politics"])]


def _evidence(texts: list[str]):
    frame = pl.DataFrame({"uid": [str(i) for i in range(len(texts))], "text": texts})
    taxonomy = load_taxonomy()
    return rule_priors(frame, _specs(), load_rules(None, taxonomy=taxonomy),
                       cleaning=CleaningConfig())


def test_evidence_covers_the_rules_tasks_only_and_sums_to_one(posts) -> None:
    evidence = _evidence([p.text for p in posts])
    assert set(evidence) == {"is_ad", "vertical"}  # no rule knows a "topic"
    for ev in evidence.values():
        assert ev.probs.shape == (len(posts), len(ev.labels))
        assert np.allclose(ev.probs.sum(axis=1), 1.0)
        assert (ev.probs > 0).all()  # the rules never rule a label out


def test_vertical_evidence_points_at_the_keyword_vertical_and_is_flat_without_one() -> None:
    texts = ["🏡 የሚሸጥ G+1 ቤት\nቦታ፦ ሲኤምሲ\nስፋት፦ 250 ካሬ\nዋጋ፦ 18 ሚሊዮን ብር",
             "ዛሬ ጠዋት ዝናብ ዘነበ"]
    ev = _evidence(texts)["vertical"]
    assert ev.labels[int(ev.probs[0].argmax())] == "Real estate"
    assert ev.probs[0].max() >= 0.5
    assert np.allclose(ev.probs[1], 1.0 / len(ev.labels))
    # Only a task's classes in use: renormalised over them.
    two = ev.over(["Real estate", "Automotive"])
    assert np.allclose(two.sum(axis=1), 1.0)
    assert two[0, 0] > 0.9
    # A label only the data knows carries no rule evidence, and nothing fails on it.
    odd = ev.over(["Real estate", "Kiosk"])
    assert np.allclose(odd[1], 0.5)
    assert odd[0, 0] > odd[0, 1]


def test_gate_evidence_follows_the_gate_score(posts) -> None:
    ev = _evidence([p.text for p in posts])["is_ad"]
    ad = ev.labels.index("Ad")
    is_ad = np.array([p.label == "Ad" for p in posts])
    # The rules mark most of these ads and few of the non-ads (README: rules-v4 on round 3).
    assert (ev.probs[is_ad, ad] >= 0.5).mean() > 0.8
    assert (ev.probs[~is_ad, ad] < 0.5).mean() > 0.9


def test_rules_that_carry_no_information_get_weight_zero() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    probs = np.full((300, 3), 0.1)
    probs[np.arange(300), y] = 0.8  # a classifier that is right and sure
    noise = rng.dirichlet(np.ones(3), size=300)
    prior = TaskPrior(noise, np.zeros((0, 3)))
    pooled, _ = prior.apply(probs, None, y)
    assert prior.weight == 0.0
    assert np.array_equal(pooled, probs)


def test_informative_rules_get_a_weight_and_fix_what_the_classifier_misses() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 400)
    probs = rng.dirichlet(np.ones(4), size=400)  # a classifier that knows little
    rule = np.full((400, 4), 0.1)
    rule[np.arange(400), y] = 0.7  # rules right on every item, at their usual confidence
    other = np.full((5, 4), 0.25)
    prior = TaskPrior(rule, other)
    pooled, pooled_other = prior.apply(probs, other, y)
    assert prior.weight in WEIGHTS
    assert prior.weight > 0
    assert (pooled.argmax(axis=1) == y).mean() > (probs.argmax(axis=1) == y).mean() + 0.3
    assert set(prior.log_loss) == set(WEIGHTS)
    # Flat evidence leaves a text as the classifier had it.
    assert np.allclose(pooled_other, pool(other, other, prior.weight))


def _write_inputs(tmp: Path, posts) -> tuple[Path, Path]:
    uids = [f"p{i:04d}" for i in range(len(posts))]
    texts = tmp / "posts.csv"
    pl.DataFrame({"uid": uids, "text": [p.text for p in posts]}).write_csv(texts)
    rows = [{"uid": u, "task": "is_ad", "annotator": "a", "value": p.label}
            for u, p in zip(uids, posts, strict=True)]
    rows += [{"uid": u, "task": "vertical", "annotator": "a", "value": p.vertical}
             for u, p in zip(uids, posts, strict=True) if p.label == "Ad"]
    labels = tmp / "labels.csv"
    pl.DataFrame(rows).write_csv(labels)
    return texts, labels


def test_curate_flag_pools_the_rules_and_records_the_weight(tmp_path: Path, posts) -> None:
    texts, labels = _write_inputs(tmp_path, posts)
    on = run_flag(tmp_path / "data", ProjectConfig(), texts=texts, annotations=labels,
                  out=tmp_path / "on")
    off = run_flag(tmp_path / "data",
                   ProjectConfig.model_validate({"curation": {"flag": {"rule_prior": False}}}),
                   texts=texts, annotations=labels, out=tmp_path / "off")
    tasks = json.loads((tmp_path / "on" / "manifest.json").read_text(encoding="utf-8"))["runs"][
        "flag"]["tasks"]
    assert tasks["vertical"]["rule_weight"] in WEIGHTS
    assert tasks["vertical"]["rule_weight"] > 0  # 70 hand-written ads: the lexicons help
    off_tasks = json.loads((tmp_path / "off" / "manifest.json").read_text(encoding="utf-8"))[
        "runs"]["flag"]["tasks"]
    assert off_tasks["vertical"]["rule_weight"] is None
    vertical = next(o for o in on.outcomes if o.task == "vertical")
    assert "rules pooled at weight" in vertical.line()
    # Pooled, the vertical's out-of-fold predictions are right more often than the classifier's.
    truth = {f"p{i:04d}": p.vertical for i, p in enumerate(posts) if p.label == "Ad"}

    def right(result) -> float:
        rows = result.label_issues.filter(pl.col("task") == "vertical")
        return float(np.mean([s == [truth[u]] for u, s in
                              zip(rows.get_column("uid"), rows.get_column("suggested"),
                                  strict=True)]))

    assert right(on) > right(off)
