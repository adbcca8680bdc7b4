"""Repeated draws of the folds: averaged out-of-fold probabilities, how many draws a task gets,
and that ``curate flag``, its manifest and ``--self-check`` agree on them."""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
from tests.curation_helpers import in_memory, write_stage
from workbench.cli import app, main
from workbench.core.settings import curation as curation_settings
from workbench.core.settings.curation import DEFAULT_REPEATS, FlagConfig
from workbench.curation import assess
from workbench.curation.classifiers import REGISTRY, fold_count, out_of_fold_probs
from workbench.curation.selfcheck import self_check


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(300, seed=5, difficulty=0.3)


def _toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-negative features with a class signal (naive Bayes needs counts-like input)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 20)
    x = rng.random((60, 8))
    x[np.arange(60), y] += 1.5 * rng.random(60)  # each class leans on its own column
    return x, y, rng.random((7, 8))


def test_repeats_average_the_draws_of_the_folds() -> None:
    x, y, unlabeled = _toy()
    spec = REGISTRY["tfidf_lr"]
    kw = {"spec": spec, "n_classes": 3, "folds": 4, "x_unlabeled": unlabeled}
    draws = [out_of_fold_probs(x, y, seed=s, **kw) for s in (3, 4, 5)]
    mean_items, mean_unlabeled = out_of_fold_probs(x, y, seed=3, repeats=3, **kw)
    # One draw is the plain K-fold run; three are the mean of the draws with seeds 3, 4, 5.
    one = out_of_fold_probs(x, y, seed=3, repeats=1, **kw)
    assert np.array_equal(one[0], draws[0][0])
    assert np.array_equal(one[1], draws[0][1])
    np.testing.assert_allclose(mean_items, np.mean([d[0] for d in draws], axis=0), atol=1e-5)
    np.testing.assert_allclose(mean_unlabeled, np.mean([d[1] for d in draws], axis=0), atol=1e-5)
    np.testing.assert_allclose(mean_items.sum(axis=1), 1.0)
    # Fits in parallel processes give the same mean as fits one after another.
    parallel = out_of_fold_probs(x, y, seed=3, repeats=3, n_jobs=2, **kw)
    np.testing.assert_allclose(parallel[0], mean_items)
    np.testing.assert_allclose(parallel[1], mean_unlabeled)
    # The draws differ: else repeating would buy nothing.
    assert not np.allclose(draws[0][0], draws[1][0])
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        out_of_fold_probs(x, y, seed=0, repeats=0, **kw)


def test_fold_count_is_lowered_to_the_rarest_label_given_twice() -> None:
    assert fold_count(np.array([0] * 10 + [1] * 3), 2, 5) == 3
    assert fold_count(np.array([0] * 10 + [1] * 10), 2, 5) == 5
    assert fold_count(np.array([0] * 10 + [1] * 2), 2, 5) == 2  # never below 2
    # A label given once lowers nothing: no K lets a model learn it and predict it unseen.
    assert fold_count(np.array([0] * 10 + [1]), 2, 5) == 5
    assert fold_count(np.array([0, 1, 2]), 3, 5) == 2  # no label given twice


def test_small_tasks_draw_the_folds_several_times_large_ones_once(monkeypatch) -> None:
    assert FlagConfig().repeats_for(9_999) == DEFAULT_REPEATS
    assert FlagConfig().repeats_for(curation_settings.REPEATS_BELOW) == 1
    assert FlagConfig(repeats=3).repeats_for(50_000) == 3  # the setting wins at any size
    monkeypatch.setattr(curation_settings, "REPEATS_BELOW", 100)
    assert FlagConfig().repeats_for(99) == DEFAULT_REPEATS
    assert FlagConfig().repeats_for(100) == 1


def test_flag_records_the_draws_each_task_used(tmp_path: Path, corpus, monkeypatch) -> None:
    labels, _ = flip_labels(corpus.truth, rate=0.1, seed=5)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(labels, annotator="a"))

    outputs: list[str] = []

    def flag(*extra: str) -> dict:
        result = CliRunner().invoke(app, ["curate", "flag", "--data-dir", str(root), "--folds",
                                          "3", *extra])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        return json.loads((root / "curated" / "manifest.json").read_text("utf-8"))["runs"]["flag"]

    run = flag()
    assert run["config"]["repeats"] is None  # the setting as given: unset, chosen by size
    draws = {t: run["tasks"][t]["fold_repeats"] for t in ("is_ad", "vertical", "tags")}
    # Single-choice tasks under the size limit average several draws; tags draw once.
    assert draws == {"is_ad": DEFAULT_REPEATS, "vertical": DEFAULT_REPEATS, "tags": 1}
    assert re.search(rf"is_ad: .*{DEFAULT_REPEATS} draws of the folds averaged", outputs[0])

    monkeypatch.setattr(curation_settings, "REPEATS_BELOW", 200)  # is_ad has 300 labels
    run = flag("--task", "is_ad")
    assert run["tasks"]["is_ad"]["fold_repeats"] == 1
    assert "draws of the folds" not in outputs[1]

    run = flag("--task", "is_ad", "--repeats", "2")  # the option wins at any size
    assert run["config"]["repeats"] == 2
    assert run["tasks"]["is_ad"]["fold_repeats"] == 2
    assert "is_ad: " in outputs[2]
    assert "2 draws of the folds averaged" in outputs[2]


def test_a_bad_repeats_value_is_one_line_exit_2(tmp_path: Path, corpus, capsys) -> None:
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    with pytest.raises(SystemExit) as exit_info:
        main(["curate", "flag", "--data-dir", str(root), "--repeats", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: invalid option: repeats"), err
    assert len(err.splitlines()) == 1, err


def test_self_check_runs_the_same_draws_as_the_flag(corpus, monkeypatch) -> None:
    seen: list[int] = []
    original = assess.out_of_fold_probs

    def spy(*args, **kwargs):
        seen.append(kwargs.get("repeats", 1))
        return original(*args, **kwargs)

    monkeypatch.setattr(assess, "out_of_fold_probs", spy)
    inputs = in_memory(corpus.messages, annotations_from_labels(corpus.truth, annotator="a"))
    checks = self_check(inputs, cfg=FlagConfig(folds=3, repeats=2), rate=0.1)
    assert [c.task for c in checks if not c.skipped] == ["is_ad", "vertical"]
    # The first run of every task, then one per single-choice task with the flips: all at 2.
    assert seen == [2, 2, 2, 2]


@pytest.mark.parametrize("name", ["workbench.core.settings.curation", "workbench.curation.classifiers",
                                  "workbench.curation.flag"])
def test_docstring_examples(name: str) -> None:
    # repeats_for, fold_count and flag_model_version are specified by their examples.
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
