"""``bench/verticals.py`` measures what ``curate flag`` computes, on folds that never leak."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from bench.vertical_ads import Scores, fold_splits, load_ads, prepare
from bench.verticals import (
    RuleVerticals,
    curve_runs,
    default_with_draws,
    learning_curve,
    nested_auto,
    pooled,
    rules_then,
    with_syllables,
)
from tests.rules_fixtures import ROUND3_DEV_FILE
from workbench.core.config import ProjectConfig
from workbench.curation.classifiers import get_classifier, out_of_fold_probs
from workbench.curation.flag import run_flag

DEV = [("dev", ROUND3_DEV_FILE)]


def test_the_bench_reproduces_curate_flag_on_the_same_posts(tmp_path: Path) -> None:
    run = prepare(DEV, folds=5, seeds=[0])
    ads = run.ads
    # The posts as a team would hand them to `curate flag`: every post, is_ad for all, vertical
    # for the ads.
    # flag orders items by uid: zero-padded, so its order is the file's, as the bench's is.
    uids = [f"p{i:04d}" for i in range(len(ads.texts))]
    texts = tmp_path / "posts.csv"
    pl.DataFrame({"uid": uids, "text": ads.texts}).write_csv(texts)
    is_ad = ["Non-Ad"] * len(uids)
    for row in ads.ad_rows:
        is_ad[row] = "Ad"
    annotations = tmp_path / "labels.csv"
    pl.concat([
        pl.DataFrame({"uid": uids, "task": "is_ad", "annotator": "a", "value": is_ad}),
        pl.DataFrame({"uid": [uids[r] for r in ads.ad_rows], "task": "vertical", "annotator": "a",
                      "value": ads.verticals}),
    ]).write_csv(annotations)
    ours, _ = out_of_fold_probs(run.features[run.default], run.y,
                                spec=get_classifier(run.default), n_classes=run.n_classes,
                                folds=5, seed=0)
    # The entries' rows score one draw of the folds per fold seed (curation.flag.repeats: 1);
    # the default row with draws, rules pooled, is what curate flag writes with no setting.
    alone = ProjectConfig.model_validate({"curation": {"flag": {"rule_prior": False,
                                                                 "repeats": 1}}})
    for cfg, name in ((alone, "alone"), (ProjectConfig(), "default")):
        result = run_flag(tmp_path / "data", cfg, texts=texts, annotations=annotations,
                          tasks=["vertical"], classifier=run.default, out=tmp_path / name)
        classes, flag_probs = result.probabilities["vertical"]
        assert classes == run.classes
        want = ours
        if name == "default":
            drawn = default_with_draws(run)
            want = pooled(run, drawn).probs[0]
            assert not np.allclose(want, drawn.probs[0])  # the rules do move these ads' probabilities
            assert not np.allclose(drawn.probs[0], ours)  # and the draws do differ from one
        np.testing.assert_allclose(flag_probs[ads.ad_rows], want, atol=1e-9)


def test_only_ads_with_a_vertical_are_scored_and_every_post_is_kept() -> None:
    ads = load_ads(DEV)
    lines = [ln for ln in ROUND3_DEV_FILE.read_text(encoding="utf-8").splitlines()[1:] if ln]
    assert len(ads.texts) == len(lines)
    assert len(ads.verticals) == sum(ln.startswith("Ad\t") for ln in lines) == ads.ad_rows.size
    assert all(ads.verticals)
    assert set(ads.rounds) == {"dev"}


def test_nested_auto_with_one_candidate_is_that_candidate_out_of_fold() -> None:
    run = prepare(DEV, folds=5, seeds=[3])
    spec = get_classifier("tfidf_nb")
    probs, picks = nested_auto([spec], run.features, run.y, run.n_classes, folds=5, seed=3)
    direct, _ = out_of_fold_probs(run.features["tfidf_nb"], run.y, spec=spec,
                                  n_classes=run.n_classes, folds=5, seed=3)
    # Same folds as out_of_fold_probs, so the same fits and the same probabilities.
    np.testing.assert_allclose(probs, direct, atol=1e-9)
    assert picks == ["tfidf_nb"] * len(fold_splits(run.y, 5, 3))


def test_learning_curve_trains_on_growing_prefixes_never_on_the_test_fold() -> None:
    y = np.repeat(np.arange(3), 10)
    runs = list(curve_runs(y, [4, 8, 100], folds=5, seed=1))
    assert len(runs) == 15
    by_fold: dict[tuple[int, ...], dict[int, np.ndarray]] = {}
    for size, train, test in runs:
        assert not set(train) & set(test)
        by_fold.setdefault(tuple(test), {})[size] = train
    assert sorted(i for test in by_fold for i in test) == list(range(30))
    for test, trains in by_fold.items():
        assert trains[4].size == 4
        assert trains[8].size == 8
        assert set(trains[4]) <= set(trains[8])  # labels collected in one order
        everything_else = np.setdiff1d(np.arange(30), np.array(test))
        np.testing.assert_array_equal(trains[100], everything_else)  # clipped, in file order


def test_learning_curve_at_the_whole_training_part_is_the_out_of_fold_accuracy() -> None:
    run = prepare(DEV, folds=5, seeds=[0])
    spec = get_classifier(run.default)
    x = run.features[run.default]
    curve = learning_curve(spec, x, run.y, run.n_classes, [10, 10_000], folds=5, seed=0)
    probs, _ = out_of_fold_probs(x, run.y, spec=spec, n_classes=run.n_classes, folds=5, seed=0)
    assert curve[10_000] == float((probs.argmax(axis=1) == run.y).mean())
    assert 0.0 <= curve[10] <= 1.0


def test_rules_then_classifier_takes_only_keyword_verticals_from_the_rules() -> None:
    run = prepare(DEV, folds=5, seeds=[0])
    n = run.y.size
    classifier = Scores("c", accuracy=[0.0], predicted=[np.zeros(n, dtype=np.int64)])
    truth = [run.classes[c] for c in run.y]
    # Ad 0: a keyword vertical (score above the fallback's); ad 1: the fallback guess; ad 2: the
    # gate missed it (no vertical); the rest: keyword verticals that are wrong.
    wrong = next(c for c in run.classes if c != truth[3])
    values = [truth[0], truth[1], None] + [wrong] * (n - 3)
    scores = [0.8, 0.2, None] + [0.65] * (n - 3)
    rules = RuleVerticals("rules-test", values, scores, fallback_score=0.2)
    row = rules_then(run, rules, classifier)
    combined = row.predicted[0]
    assert combined[0] == run.y[0]
    assert combined[1] == 0  # the fallback guess is not taken: the classifier's answer is
    assert combined[2] == 0
    assert (combined[3:] == run.classes.index(wrong)).all()
    assert row.accuracy == [float((combined == run.y).mean())]


def test_the_syllables_option_changes_the_default_entry_s_features_only() -> None:
    run = prepare(DEV, folds=5, seeds=[0])
    split = with_syllables(run)
    changed = [name for name in run.features if split.features[name] is not run.features[name]]
    assert changed == [run.default]
    x = split.features[run.default]
    assert x.shape[0] == run.y.size  # the ads' rows, aligned with their verticals
    assert x.shape[1] != run.features[run.default].shape[1]
