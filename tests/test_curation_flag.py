"""``curate flag``: flips injected at known rows are found, bad annotators rank last, contracts."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from synthetic.corpus import (
    annotations_from_labels,
    flip_labels,
    make_corpus,
    simulate_annotators,
)
from tests.curation_helpers import flagged_uids, in_memory, precision_recall, write_stage
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.schemas import PREDICTIONS_SCHEMA
from workbench.core.settings.curation import FlagConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.curation.classifiers import get_classifier
from workbench.curation.flag import FlagResult, flag_duplicate_conflicts, flag_labels, run_flag
from workbench.curation.inputs import normalise_annotations, resolve_tasks
from workbench.curation.outputs import ANNOTATOR_QUALITY_SCHEMA, LABEL_ISSUES_SCHEMA

FLIP_RATE = 0.1


@pytest.fixture(scope="module")
def noisy() -> tuple[pl.DataFrame, dict[str, set[str]], FlagResult]:
    corpus = make_corpus(1500, seed=11, difficulty=0.3)
    labels, flipped = flip_labels(corpus.truth, rate=FLIP_RATE, seed=11)
    ann = annotations_from_labels(labels, annotator="a1@example.org")
    result = flag_labels(in_memory(corpus.messages, ann), cfg=FlagConfig())
    return corpus.messages, flipped, result


@pytest.mark.parametrize(("task", "min_precision", "min_recall"), [
    ("is_ad", 0.6, 0.5),
    ("vertical", 0.5, 0.3),
    ("tags", 0.5, 0.3),
])
def test_flips_are_found_well_above_chance(noisy, task: str, min_precision: float,
                                           min_recall: float) -> None:
    _, flipped, result = noisy
    precision, recall = precision_recall(flagged_uids(result.label_issues, task), flipped[task])
    # Chance precision is the flip rate (0.1): flagging at random finds flips that often.
    assert precision >= min_precision, (task, precision, recall)
    assert recall >= min_recall, (task, precision, recall)


def test_cleanlab_is_more_precise_than_predicted_not_given(noisy) -> None:
    _, flipped, result = noisy
    rows = result.label_issues.filter(pl.col("task") == "is_ad")
    naive = set(rows.filter(pl.col("given") != pl.col("suggested")).get_column("uid").to_list())
    p_naive, _ = precision_recall(naive, flipped["is_ad"])
    p_clean, _ = precision_recall(flagged_uids(result.label_issues, "is_ad"), flipped["is_ad"])
    assert p_clean > p_naive + 0.1


def test_output_contracts(noisy) -> None:
    messages, _, result = noisy
    issues = result.label_issues
    assert dict(issues.schema) == LABEL_ISSUES_SCHEMA
    assert dict(result.annotator_quality.schema) == ANNOTATOR_QUALITY_SCHEMA
    assert dict(result.predictions.schema) == PREDICTIONS_SCHEMA
    assert issues.select("uid", "task").is_duplicated().sum() == 0
    q = issues.get_column("label_quality")
    assert q.null_count() == 0
    assert q.min() >= 0.0
    assert q.max() <= 1.0
    assert issues.filter(pl.col("is_issue") & pl.col("reason").is_null()).height == 0
    assert set(issues.get_column("label_source").unique()) == {"single"}
    # vertical only among ads: every vertical row belongs to an item labeled Ad.
    ads = set(issues.filter((pl.col("task") == "is_ad") & (pl.col("label") == ["Ad"]))
              .get_column("uid").to_list())
    assert set(issues.filter(pl.col("task") == "vertical").get_column("uid").to_list()) <= ads
    # Predictions: every message (labeled or not) for every task, uncertainty in 0..1.
    preds = result.predictions
    assert preds.height == messages.height * 3
    assert preds.group_by("task").len().get_column("len").to_list() == [messages.height] * 3
    u = preds.get_column("uncertainty")
    assert u.min() >= 0.0
    assert u.max() <= 1.0
    assert preds.get_column("model_version").n_unique() == 1
    lines = result.summary_lines()
    assert lines[0].startswith("flag: 3 task(s)")
    assert any("worst item" in line for line in lines)
    # One annotator labeled everything: nobody to be "worst" among.
    assert not any("worst annotators" in line for line in lines)
    # Each task's accuracy is its classifier's out-of-fold suggestion against the labels.
    for outcome in result.outcomes:
        rows = issues.filter(pl.col("task") == outcome.task)
        same = [sorted(s) == sorted(g) for s, g in zip(rows["suggested"].to_list(),
                                                        rows["label"].to_list(), strict=True)]
        assert outcome.accuracy == pytest.approx(sum(same) / len(same))
        what = "exact-set accuracy" if outcome.kind == "multi" else "accuracy"
        assert f"out-of-fold {what} {outcome.accuracy:.3f}" in outcome.line()
    assert 0.5 < min(o.accuracy for o in result.outcomes) < 1.0


def test_consensus_ranks_the_bad_annotator_last() -> None:
    corpus = make_corpus(400, seed=5, difficulty=0.3)
    accuracy = {"ann_a": 0.95, "ann_b": 0.92, "ann_c": 0.9, "sloppy": 0.6}
    ann = simulate_annotators(corpus.truth, accuracy, per_item=3, seed=5)
    result = flag_labels(in_memory(corpus.messages, ann), cfg=FlagConfig(folds=4))
    quality = result.annotator_quality.filter(pl.col("task") == "is_ad").sort("quality")
    assert quality.item(0, "annotator") == "sloppy"
    assert any(line.startswith("  worst annotators: sloppy on ")
               for line in result.summary_lines())
    assert set(quality.get_column("method")) == {"dawid_skene"}
    rows = result.label_issues.filter(pl.col("task") == "is_ad").join(
        corpus.truth.select("uid", "is_ad"), on="uid")
    assert rows.get_column("consensus").null_count() == 0
    assert rows.get_column("answers").list.len().min() == 3  # the review screen shows them all
    assert rows.item(0, "answers")[0].split(": ")[0] in accuracy
    assert rows.get_column("label_source").unique().to_list() == ["consensus"]
    consensus_acc = (rows.get_column("consensus").list.first() == rows.get_column("is_ad")).mean()
    majority_acc = (rows.get_column("given").list.first() == rows.get_column("is_ad")).mean()
    assert consensus_acc >= majority_acc
    assert consensus_acc >= 0.95


def test_crowdlab_multilabel_consensus() -> None:
    corpus = make_corpus(300, seed=8, difficulty=0.3, tag_rate=0.3)
    ads = corpus.truth.filter(pl.col("is_ad") == "Ad")
    parts = [annotations_from_labels(corpus.truth, annotator="good1", tasks=("is_ad", "tags")),
             annotations_from_labels(corpus.truth, annotator="good2", tasks=("is_ad", "tags"))]
    rng = np.random.default_rng(0)
    bad = ads.with_columns(tags=pl.Series([
        [t for t in ["Gambling", "Politics", "Profanity", "Religious"] if rng.random() < 0.5]
        for _ in range(ads.height)], dtype=pl.List(pl.Utf8)))
    parts.append(annotations_from_labels(bad, annotator="random", tasks=("tags",)))
    result = flag_labels(in_memory(corpus.messages, pl.concat(parts)), cfg=FlagConfig(folds=3))
    tags = result.annotator_quality.filter(pl.col("task") == "tags").sort("quality")
    assert tags.item(0, "annotator") == "random"
    rows = result.label_issues.filter(pl.col("task") == "tags").join(
        corpus.truth.select("uid", pl.col("tags").alias("truth")), on="uid")
    agree = (rows.get_column("consensus").list.sort() == rows.get_column("truth").list.sort()).mean()
    assert agree >= 0.9


def test_adjudicated_answer_wins_and_closes_the_issue(tmp_path: Path) -> None:
    corpus = make_corpus(300, seed=3, difficulty=0.3)
    labels, flipped = flip_labels(corpus.truth, rate=0.1, seed=3, tasks=("is_ad",))
    ann = annotations_from_labels(labels, annotator="a1")
    root = write_stage(tmp_path, corpus.messages, ann)
    first = run_flag(root, ProjectConfig(), tasks=["is_ad"])
    uid = sorted(flagged_uids(first.label_issues, "is_ad") & flipped["is_ad"])[0]
    truth = corpus.truth.filter(pl.col("uid") == uid).item(0, "is_ad")
    when = datetime(2025, 1, 1, tzinfo=UTC)
    review = pl.DataFrame({"uid": [uid], "project": ["review"], "task": ["is_ad"],
                           "annotator": ["reviewer"], "value": [[truth]], "lead_time": [3.0],
                           "created_at": [when], "updated_at": [when],
                           "annotation_id": ["review-1"]}).cast(ann.schema)
    write_stage(tmp_path, corpus.messages, pl.concat([ann, review]))
    second = run_flag(root, ProjectConfig(), tasks=["is_ad"])
    row = second.label_issues.filter(pl.col("uid") == uid).row(0, named=True)
    assert row["is_issue"] is False
    assert row["label_source"] == "adjudicated"
    assert row["label"] == [truth]
    assert row["reason"] == "adjudicated in review"
    # The reviewer is not rated against the model: only annotators are.
    assert "reviewer" not in second.annotator_quality.get_column("annotator").to_list()


def test_duplicate_conflicts_flag_the_odd_one_out() -> None:
    rows = pl.DataFrame({
        "uid": ["1", "2", "3", "4", "5", "6", "7"],
        "task": ["is_ad"] * 7,
        "label": [["Ad"], ["Ad"], ["Non-Ad"], ["Ad"], ["Non-Ad"], ["Non-Ad"], ["Ad"]],
        "label_quality": [0.9, 0.8, 0.2, 0.9, 0.1, 0.5, 0.9],
        "is_issue": [False] * 7,
        "reason": [None] * 7,
        "label_source": ["single"] * 5 + ["adjudicated", "single"],
    })
    clusters = pl.DataFrame({"uid": ["1", "2", "3", "4", "5", "6", "7"],
                             "cluster_id": ["a", "a", "a", "b", "b", "c", "c"]})
    out = flag_duplicate_conflicts(rows, clusters)
    flagged = out.filter(pl.col("_dup_conflict")).get_column("uid").to_list()
    # a: 2 vs 1 -> the one; b: tie -> the one the model likes less; c: the adjudicated wins.
    assert flagged == ["3", "5", "7"]
    assert "near-duplicate conflict: cluster a has Ad×2, Non-Ad×1" in out.item(2, "reason")
    # A tie lists its labels in label order, whatever order the groups come in: a re-run on the
    # same files wrote "Non-Ad×1, Ad×1" one time and "Ad×1, Non-Ad×1" the next.
    for _ in range(20):
        again = flag_duplicate_conflicts(rows.reverse(), clusters)
        assert "cluster b has Ad×1, Non-Ad×1" in again.filter(pl.col("uid") == "5").item(0, "reason")
    # An exact tie (no label quality on either side) flags the same copy on every run.
    blind = rows.with_columns(label_quality=pl.lit(None, dtype=pl.Float64))
    for _ in range(20):
        for order in (blind, blind.reverse()):
            got = flag_duplicate_conflicts(order, clusters).filter(pl.col("_dup_conflict"))
            assert sorted(got.get_column("uid").to_list()) == ["3", "5", "7"]


def test_unknown_names_fail_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean 'tfidf_lr'"):
        get_classifier("tfidf_rl")
    ann = normalise_annotations(pl.DataFrame({
        "uid": ["1"], "task": ["is_ad"], "annotator": ["a"], "value": ["Ad"]}), source="x.csv")
    with pytest.raises(DataContractError, match="did you mean 'is_ad'"):
        resolve_tasks(ann, load_taxonomy(), only=["is_add"])


def test_csv_inputs_labels_outside_the_taxonomy_and_pipe_separated_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = make_corpus(120, seed=2, difficulty=0.2)
    texts = tmp_path / "texts.csv"
    corpus.messages.select("uid", "text").write_csv(texts)
    truth = corpus.truth
    rows = truth.select("uid", task=pl.lit("sentiment"), annotator=pl.lit("x"),
                        value=pl.when(pl.col("is_ad") == "Ad").then(pl.lit("promo"))
                        .otherwise(pl.lit("other")))
    tags = truth.filter(pl.col("is_ad") == "Ad").select(
        "uid", task=pl.lit("topics"), annotator=pl.lit("x"),
        value=pl.col("tags").list.join("|"))
    annotations = tmp_path / "ann.csv"
    pl.concat([rows, tags]).write_csv(annotations)
    # Named as a user types them, relative to where they stand.
    monkeypatch.chdir(tmp_path)
    result = run_flag(Path("data"), ProjectConfig(), texts=Path("texts.csv"),
                      annotations=Path("ann.csv"), out=Path("out"))
    tasks = {o.task: o for o in result.outcomes}
    assert set(tasks) == {"sentiment", "topics"}
    # The manifest names the files absolutely: a reader started elsewhere finds them.
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    run = manifest["runs"]["flag"]
    assert {i["role"]: i["path"] for i in run["inputs"]} == {
        "texts": str(texts), "annotations": str(annotations)}
    assert run["label_snapshot"]["path"] == str(annotations)
    assert run["tasks"]["sentiment"]["accuracy"] == pytest.approx(tasks["sentiment"].accuracy,
                                                                  abs=1e-4)
    assert tasks["topics"].kind == "multi"
    assert (tmp_path / "out" / "label_issues.parquet").exists()
    assert result.predictions.filter(pl.col("task") == "sentiment").height == 120


def test_bad_annotation_values_are_one_line_errors(tmp_path: Path) -> None:
    corpus = make_corpus(30, seed=1)
    bad = pl.DataFrame({"uid": [corpus.truth.item(0, "uid")], "task": ["is_ad"],
                        "annotator": ["a"], "value": ["Add"]})
    path = tmp_path / "ann.csv"
    bad.write_csv(path)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(corpus.truth,
                                                                          annotator="a"))
    with pytest.raises(DataContractError, match=r"unknown label\(s\) \['Add'\]"):
        run_flag(root, ProjectConfig(), annotations=path)
    two = bad.with_columns(value=pl.lit("Ad|Non-Ad"))
    two.write_csv(path)
    with pytest.raises(DataContractError, match="takes one label"):
        run_flag(root, ProjectConfig(), annotations=path)
    with pytest.raises(ConfigError, match="folds"):
        run_flag(root, ProjectConfig(), folds=1)


def test_rerun_of_one_task_keeps_the_others(tmp_path: Path) -> None:
    corpus = make_corpus(200, seed=4, difficulty=0.3)
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    run_flag(root, ProjectConfig())
    again = run_flag(root, ProjectConfig(), tasks=["vertical"])
    assert set(again.label_issues.get_column("task")) == {"is_ad", "vertical", "tags"}
    written = pl.read_parquet(root / "curated" / "label_issues.parquet")
    assert written.height == again.label_issues.height


def test_push_orders_by_the_calibrated_uncertainty_curation_writes(noisy) -> None:
    from workbench.labeling.push import build_records

    messages, _, result = noisy
    preds = result.predictions
    projects = messages.select("uid", project=pl.lit("ungrouped"))
    order = [r.uid for r in build_records(messages, projects, preds, load_taxonomy(),
                                          order="uncertainty")["ungrouped"]]
    most = preds.group_by("uid").agg(pl.col("uncertainty").max())
    assert order == most.sort("uncertainty", "uid", descending=[True, False])["uid"].to_list()
    # Recomputing 1 - score (the multi-label tags score averages its labels) orders otherwise.
    naive = preds.group_by("uid").agg((1.0 - pl.col("score")).max().alias("u"))
    assert order != naive.sort("u", "uid", descending=[True, False])["uid"].to_list()


def test_model_version_changes_with_what_changes_the_predictions() -> None:
    corpus = make_corpus(200, seed=3, difficulty=0.3)
    inputs = in_memory(corpus.messages, annotations_from_labels(corpus.truth, annotator="a"))
    inputs = replace(inputs, tasks=[t for t in inputs.tasks if t.name == "is_ad"])

    def version(cfg: FlagConfig, evidence=None) -> tuple[str, np.ndarray]:
        result = flag_labels(inputs, cfg=cfg, rule_evidence=evidence)
        preds = result.predictions
        assert preds.get_column("model_version").n_unique() == 1
        return preds.get_column("model_version")[0], result.probabilities["is_ad"][1]

    one, probs_one = version(FlagConfig(folds=3, repeats=1))
    again, probs_again = version(FlagConfig(folds=3, repeats=1, n_jobs=2))
    assert again == one  # parallel fits give the same predictions, and the same version
    np.testing.assert_allclose(probs_again, probs_one)
    two, probs_two = version(FlagConfig(folds=3, repeats=2))
    assert two != one  # more draws: other probabilities, another version
    assert not np.allclose(probs_two, probs_one)
    assert two.rsplit("-", 1)[1] == one.rsplit("-", 1)[1]  # the same labels
    # Rule evidence (an edited rules file gives other evidence) is part of the version too.
    from workbench.curation.rule_prior import RuleEvidence

    labels = next(t for t in inputs.tasks if t.name == "is_ad").labels
    flat = RuleEvidence(list(labels), np.full((inputs.texts.height, len(labels)), 0.5))
    tilted = RuleEvidence(list(labels), np.tile([0.6, 0.4], (inputs.texts.height, 1)))
    with_flat, _ = version(FlagConfig(folds=3, repeats=1), {"is_ad": flat})
    with_tilted, _ = version(FlagConfig(folds=3, repeats=1), {"is_ad": tilted})
    assert len({one, with_flat, with_tilted}) == 3


def test_rare_labels_are_named_and_a_typo_does_not_multiply_the_flags() -> None:
    # A label given once (a typo) used to lower K from 5 to 2 for every label, and cleanlab's
    # per-label threshold for it (~0) more than doubled the flags; both passed in silence.
    corpus = make_corpus(200, seed=4)
    ann = annotations_from_labels(corpus.truth, annotator="a", tasks=("is_ad",)).with_columns(
        task=pl.lit("kind"))

    def relabel(rows: int, value: str) -> pl.DataFrame:
        return ann.with_columns(value=pl.when(pl.int_range(pl.len()) < rows)
                                .then(pl.lit([value])).otherwise(pl.col("value")))

    cfg = FlagConfig(repeats=1, duplicate_conflicts=False)
    clean = flag_labels(in_memory(corpus.messages, ann), cfg=cfg).outcomes[0]
    assert (clean.folds, clean.rare_labels) == (5, {})
    assert "folds" not in clean.line()
    typo = flag_labels(in_memory(corpus.messages, relabel(1, "Adx")), cfg=cfg).outcomes[0]
    assert (typo.folds, typo.rare_labels) == (5, {"Adx": 1})
    assert "; label(s) given once, a typo?: 'Adx' 1]" in typo.line()
    assert typo.n_issues <= clean.n_issues + 3
    rare = flag_labels(in_memory(corpus.messages, relabel(3, "Adx")), cfg=cfg).outcomes[0]
    assert (rare.folds, rare.rare_labels) == (3, {"Adx": 3})
    assert "; 3 folds, not 5: label(s) with fewer than 5 items: 'Adx' 3]" in rare.line()


def test_labels_of_an_older_taxonomy_version_map_forward(tmp_path: Path) -> None:
    # A team's annotations file written before a label was renamed: the taxonomy says where the
    # label went, and curation refused it as "unknown label" (only `label pull` mapped it).
    from workbench.core.taxonomy import Taxonomy
    from workbench.curation.inputs import load_inputs

    raw = load_taxonomy().model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["version"] = raw["version"] + 1
    raw["migrations"] = [*raw["migrations"], {"from": raw["version"] - 1,
                                              "map": {"vertical": {"Telecom": "Telecom & internet"}}}]
    vertical = next(t for t in raw["tasks"] if t["name"] == "vertical")
    next(lab for lab in vertical["labels"] if lab["value"] == "Telecom")["value"] = "Telecom & internet"
    taxonomy = Taxonomy.model_validate(raw)
    texts = tmp_path / "texts.csv"
    pl.DataFrame({"uid": ["1", "2", "3"], "text": ["ኢትዮ ቴሌኮም ጥቅል", "ሳፋሪኮም ዳታ", "ዜና"]}).write_csv(texts)
    annotations = tmp_path / "annotations.csv"
    pl.DataFrame({"uid": ["1", "1", "2", "2", "3"],
                  "task": ["is_ad", "vertical", "is_ad", "vertical", "is_ad"],
                  "annotator": ["a"] * 5,
                  "value": ["Ad", "Telecom", "Ad", "Telecom & internet", "Non-Ad"]}).write_csv(annotations)
    inputs = load_inputs(tmp_path / "data", texts=texts, annotations=annotations, taxonomy=taxonomy)
    got = inputs.annotations.filter(pl.col("task") == "vertical").get_column("value").to_list()
    assert got == [["Telecom & internet"], ["Telecom & internet"]]
    assert ("1 answer(s) with labels of an older taxonomy version mapped forward (taxonomy "
            "migrations): vertical 'Telecom' -> 'Telecom & internet'") in inputs.notes


def test_repeated_answers_are_counted_in_a_note(tmp_path: Path) -> None:
    from workbench.curation.inputs import load_inputs

    texts = tmp_path / "texts.csv"
    pl.DataFrame({"uid": ["1", "2"], "text": ["ሀ", "ለ"]}).write_csv(texts)
    annotations = tmp_path / "annotations.csv"
    pl.DataFrame({"uid": ["1", "1", "1", "2"], "task": ["is_ad"] * 4, "annotator": ["a"] * 4,
                  "value": ["Ad", "Ad", "Non-Ad", "Ad"]}).write_csv(annotations)
    inputs = load_inputs(tmp_path / "data", texts=texts, annotations=annotations)
    assert inputs.annotations.get_column("value").to_list() == [["Non-Ad"], ["Ad"]]
    assert ("2 repeated answer(s) (same uid, task and annotator): the latest kept (by "
            "updated_at, else the last row)") in inputs.notes


@pytest.mark.parametrize("times", [
    ["2024-06-02T10:00:00.000000+0000", "2024-06-01T10:00:00.000000+0000"],  # as pull writes
    ["2024-06-02 13:00:00+03:00", "2024-06-01"],  # an offset; a date alone (naive: UTC)
])
def test_the_latest_answer_wins_by_the_times_a_csv_gives(tmp_path: Path, times: list[str]) -> None:
    # Polars 2 no longer casts text to datetimes: a CSV's updated_at was a traceback.
    from workbench.curation.inputs import load_inputs

    texts = tmp_path / "texts.csv"
    pl.DataFrame({"uid": ["1"], "text": ["ሀ"]}).write_csv(texts)
    annotations = tmp_path / "annotations.csv"
    pl.DataFrame({"uid": ["1", "1"], "task": ["is_ad"] * 2, "annotator": ["a"] * 2,
                  "value": ["Ad", "Non-Ad"], "updated_at": times}).write_csv(annotations)
    inputs = load_inputs(tmp_path / "data", texts=texts, annotations=annotations)
    assert inputs.annotations.get_column("value").to_list() == [["Ad"]]  # the later, not the last


def test_a_user_text_over_the_ingest_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    # One 6-million-character text took curate flag from 0.3 GB to 1.6 GB; ingest would have
    # quarantined it, so curation refuses it as preannotate does.
    texts = tmp_path / "texts.csv"
    pl.DataFrame({"uid": ["1", "big"], "text": ["ሀ", "ለ" * 70_000]}).write_csv(texts)
    annotations = tmp_path / "annotations.csv"
    pl.DataFrame({"uid": ["1"], "task": ["is_ad"], "annotator": ["a"], "value": ["Ad"]}).write_csv(annotations)
    with pytest.raises(DataContractError, match=r"the text of uid big is 70,000 characters, over "
                       r"ingest.max_text_chars \(65,536\)"):
        run_flag(tmp_path / "data", ProjectConfig(), texts=texts, annotations=annotations)


def test_a_label_given_once_does_not_make_every_item_an_issue() -> None:
    from cleanlab.filter import find_label_issues

    from workbench.curation.cleanlab_issues import cleanlab_single

    rng = np.random.default_rng(0)
    n = 400
    truth = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 4)) + 2.5 * np.eye(4)[truth]
    logits[:, 3] = -8.0  # label 3 is given once below: no fold could learn it
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    given = truth.copy()
    flipped = rng.choice(np.arange(1, n), 40, replace=False)
    given[flipped] = (truth[flipped] + 1) % 3
    clean_mask, _ = cleanlab_single(given, probs[:, :3] / probs[:, :3].sum(axis=1, keepdims=True),
                                    "low_self_confidence")
    given[0] = 3  # one typo'd label
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = find_label_issues(given, probs, filter_by="low_self_confidence")
    assert raw.sum() > 2 * clean_mask.sum()  # what cleanlab alone does with it
    mask, quality = cleanlab_single(given, probs, "low_self_confidence")
    assert mask[0]  # the typo is flagged
    assert (mask[1:] == clean_mask[1:]).mean() > 0.98  # and the rest as without it
    assert quality.shape == (n,)


def test_the_dashboard_shows_flagged_texts_of_a_csv_named_from_another_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `curate flag --texts texts.csv` typed in one folder, the web app started in another: the
    # dashboard reads the texts the curated manifest names, a CSV here.
    from workbench.webapp.dashboard import build_dashboard

    corpus = make_corpus(150, seed=3, difficulty=0.2)
    labels, _ = flip_labels(corpus.truth, rate=FLIP_RATE, seed=3)
    files = tmp_path / "files"
    files.mkdir()
    corpus.messages.select("uid", "text").write_csv(files / "texts.csv")
    annotations_from_labels(labels, annotator="a", tasks=("is_ad",)).with_columns(
        pl.col("value").list.join("|")).write_csv(files / "ann.csv")
    monkeypatch.chdir(files)
    result = run_flag(Path("../data"), ProjectConfig(), texts=Path("texts.csv"),
                      annotations=Path("ann.csv"))
    assert result.outcomes[0].n_issues
    elsewhere = tmp_path / "app"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    board = build_dashboard(tmp_path / "data", ProjectConfig(), max_age_s=0)
    shown = {i["uid"]: i["text"] for f in board.flagged for i in f["items"]}
    text_of = dict(corpus.messages.select("uid", "text").iter_rows())
    assert shown
    assert shown == {uid: text_of[uid] for uid in shown}
    # Grouped by the kind of reason, not by its figures (each item was its own group), each
    # item keeping its own reason.
    assert [(f["task"], f["reason"], f["count"]) for f in board.flagged] == [
        ("is_ad", "classifier disagrees", result.outcomes[0].n_issues)]
    assert all(i["why"].startswith("classifier disagrees: P(") for i in board.flagged[0]["items"])
