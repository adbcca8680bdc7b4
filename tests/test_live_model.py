"""The live refresher's pure parts: training sets from validated annotations, models, conditions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.labeling_data import ADS, NEWS
from workbench.core.settings.curation import FlagConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.curation.classifiers import get_classifier
from workbench.curation.live_model import (
    consistent,
    live_classifiers,
    predict_answers,
    training_targets,
)
from workbench.labeling.pull import validate_annotations
from workbench.labeling.records import RawAnnotation

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def raw(uid: str, answers: dict[str, list[str]], *, annotator: str = "a@x",
        project: str = "group-1") -> RawAnnotation:
    """One annotation as the Label Studio backend returns it (tags left empty: no result)."""
    return RawAnnotation(uid=uid, project=project, annotator=annotator,
                         annotation_id=f"ls:{uid}:{annotator}:{project}", answers=answers,
                         created_at=T0, updated_at=T0, lead_time=2.0, raw={"answers": answers})


def targets_of(raws: list[RawAnnotation]) -> dict[str, dict[str, list[str]]]:
    tax = load_taxonomy()
    annotations, quarantine = validate_annotations(raws, tax)
    assert quarantine.height == 0
    return training_targets(annotations, tax)[1]


def test_conditional_training_set_holds_only_messages_whose_resolved_gate_opens_it() -> None:
    targets = targets_of([
        raw("a", {"is_ad": ["Ad"], "vertical": ["Retail"], "tags": ["Gambling"]}),
        raw("b", {"is_ad": ["Ad"], "vertical": ["Telecom"]}),  # tags left empty: "none"
        raw("c", {"is_ad": ["Non-Ad"]}),
        # Majority Non-Ad: the one annotator's vertical and empty tags do not count.
        raw("d", {"is_ad": ["Ad"], "vertical": ["Travel"]}, annotator="a@x"),
        raw("d", {"is_ad": ["Non-Ad"]}, annotator="b@x"),
        raw("d", {"is_ad": ["Non-Ad"]}, annotator="c@x"),
        # An adjudicated review answer wins over the annotator's.
        raw("e", {"is_ad": ["Ad"], "vertical": ["Media"], "tags": ["Politics"]}),
        raw("e", {"is_ad": ["Non-Ad"]}, annotator="lead@x", project="review"),
    ])
    assert targets["is_ad"] == {"a": ["Ad"], "b": ["Ad"], "c": ["Non-Ad"], "d": ["Non-Ad"],
                                "e": ["Non-Ad"]}
    assert targets["vertical"] == {"a": ["Retail"], "b": ["Telecom"]}
    assert targets["tags"] == {"a": ["Gambling"], "b": []}


def test_multilabel_majority_per_label() -> None:
    targets = targets_of([
        raw("a", {"is_ad": ["Ad"], "vertical": ["Retail"], "tags": ["Gambling", "Politics"]}, annotator="x"),
        raw("a", {"is_ad": ["Ad"], "vertical": ["Retail"], "tags": ["Gambling"]}, annotator="y"),
        raw("a", {"is_ad": ["Ad"], "vertical": ["Telecom"]}, annotator="z"),
        raw("b", {"is_ad": ["Ad"], "vertical": ["Telecom"]}),
    ])
    assert targets["tags"] == {"a": ["Gambling"], "b": []}
    assert targets["vertical"] == {"a": ["Retail"], "b": ["Telecom"]}


def test_a_task_with_one_class_seen_is_not_learned() -> None:
    targets = targets_of([
        raw("a", {"is_ad": ["Ad"], "vertical": ["Retail"]}),
        raw("b", {"is_ad": ["Ad"], "vertical": ["Retail"], "tags": ["Gambling"]}),
        raw("c", {"is_ad": ["Ad"], "vertical": ["Retail"], "tags": ["Gambling"]}),
    ])
    assert targets["tags"] == {"a": [], "b": ["Gambling"], "c": ["Gambling"]}
    assert set(targets) == {"tags"}  # is_ad and vertical: one class each
    assert targets_of([raw("a", {"is_ad": ["Ad"], "vertical": ["Retail"]}),
                       raw("b", {"is_ad": ["Non-Ad"]})]).keys() == {"is_ad"}  # tags: all empty
    assert training_targets(validate_annotations([], load_taxonomy())[0], load_taxonomy()) == ([], {})


def test_predict_answers_follows_the_labels_of_the_same_texts() -> None:
    tax = load_taxonomy()
    raws = [raw("ad0", {"is_ad": ["Ad"], "vertical": ["Travel"]}),
            raw("ad1", {"is_ad": ["Ad"], "vertical": ["Media"], "tags": ["Gambling"]}),
            raw("ad2", {"is_ad": ["Ad"], "vertical": ["Media"]})]
    raws += [raw(f"news{i}", {"is_ad": ["Non-Ad"]}) for i in range(3)]
    tasks, targets = training_targets(validate_annotations(raws, tax)[0], tax)
    texts = ADS[:3] + NEWS[:3] + [ADS[0], ADS[1], NEWS[0]]
    uids = ["ad0", "ad1", "ad2", "news0", "news1", "news2", "u1", "u2", "u3"]
    specs = {"single": get_classifier("tfidf_lr"), "multi": get_classifier("tfidf_lr")}
    answers = predict_answers(texts, uids, [6, 7, 8], tasks, targets, specs)
    assert list(answers) == ["is_ad", "vertical", "tags"]
    assert [a["value"]["choices"] for a in answers["is_ad"]] == [["Ad"], ["Ad"], ["Non-Ad"]]
    assert [a["value"]["choices"] for a in answers["vertical"]][:2] == [["Travel"], ["Media"]]
    assert [a and a["value"]["choices"] for a in answers["tags"]] == [None, ["Gambling"], None]
    for result in [*answers["is_ad"], *answers["vertical"], answers["tags"][1]]:
        assert result["to_name"] == "text"
        assert result["type"] == "choices"
        assert 0.5 <= result["score"] <= 1.0
    # Training rows whose message is not among the texts (another project's) are skipped.
    targets["is_ad"]["gone"] = ["Ad"]
    assert predict_answers(texts, uids, [6], tasks, {"is_ad": targets["is_ad"]}, specs).keys() == {"is_ad"}
    # A task whose labeled messages are all gone (or down to one class) is not learned.
    gone = {"vertical": {"gone1": ["Retail"], "gone2": ["Media"]},
            "tags": {"ad0": [], "gone3": ["Gambling"]}}
    assert predict_answers(texts, uids, [6], tasks, gone, specs) == {}


def _answer(task: str, *labels: str) -> dict:
    return {"from_name": task, "value": {"choices": list(labels)}, "score": 0.9}


def test_consistent_drops_answers_whose_condition_fails_fresh_or_kept() -> None:
    conditions = {"vertical": ("is_ad", "Ad"), "tags": ("is_ad", "Ad")}
    non_ad = [_answer("is_ad", "Non-Ad"), _answer("vertical", "Retail"), _answer("tags", "Gambling")]
    assert [r["from_name"] for r in consistent(non_ad, conditions)] == ["is_ad"]
    ad = [_answer("is_ad", "Ad"), _answer("vertical", "Retail"), _answer("tags", "Gambling")]
    assert consistent(ad, conditions) == ad
    # Conditions chain: dropping the middle answer drops the one that depends on it.
    chain = {"b": ("a", "yes"), "c": ("b", "yes")}
    assert [r["from_name"] for r in consistent(
        [_answer("a", "no"), _answer("b", "yes"), _answer("c", "yes")], chain)] == ["a"]


@pytest.mark.parametrize(("live", "flag", "want"), [
    (None, FlagConfig(), {"single": "tfidf_nb_svm", "multi": "tfidf_lr"}),
    (None, FlagConfig(classifier={"single": "tfidf_nb", "multi": "word_char_lr"}),
     {"single": "tfidf_nb", "multi": "word_char_lr"}),
    (None, FlagConfig(classifier={"multi": "auto"}), {"single": "tfidf_nb_svm", "multi": "tfidf_lr"}),
    ("tfidf_sgd", FlagConfig(classifier="tfidf_nb"), {"single": "tfidf_sgd", "multi": "tfidf_sgd"}),
])
def test_classifier_per_task_kind_follows_curation(live: str | None, flag: FlagConfig,
                                                   want: dict[str, str]) -> None:
    assert live_classifiers(live, flag) == want


def test_pooled_rules_can_name_a_vertical_nobody_has_labeled_yet() -> None:
    import numpy as np
    import polars as pl

    from workbench.core.config import CleaningConfig
    from workbench.curation.rule_prior import rule_priors
    from workbench.labeling.rules import load_rules

    tax = load_taxonomy()
    # Two verticals labeled so far, each once: no fold can choose a weight yet.
    raws = [raw("a", {"is_ad": ["Ad"], "vertical": ["Travel"]}),
            raw("b", {"is_ad": ["Ad"], "vertical": ["Media"]}),
            raw("n", {"is_ad": ["Non-Ad"]}), raw("m", {"is_ad": ["Non-Ad"]})]
    tasks, targets = training_targets(validate_annotations(raws, tax)[0], tax)
    house = "🏡 የሚሸጥ G+1 ቤት\nቦታ፦ ሲኤምሲ\nስፋት፦ 250 ካሬ\nዋጋ፦ 18 ሚሊዮን ብር"
    texts = [ADS[0], ADS[1], NEWS[0], NEWS[1], house]
    uids = ["a", "b", "n", "m", "u"]
    specs = {"single": get_classifier("tfidf_nb_svm"), "multi": get_classifier("tfidf_lr")}
    frame = pl.DataFrame({"uid": uids, "text": texts})
    evidence = rule_priors(frame, tasks, load_rules(None, taxonomy=tax), cleaning=CleaningConfig())
    alone = predict_answers(texts, uids, [4], tasks, targets, specs)
    pooled = predict_answers(texts, uids, [4], tasks, targets, specs, evidence=evidence)
    # The classifier alone can only answer a vertical it was shown; with the rules, the
    # labels not seen yet share the Good-Turing missing mass (here all of it: each seen once).
    assert alone["vertical"][0]["value"]["choices"][0] in {"Travel", "Media"}
    assert pooled["vertical"][0]["value"]["choices"] == ["Real estate"]
    assert 0.0 < pooled["vertical"][0]["score"] <= 1.0
    assert np.isfinite(pooled["is_ad"][0]["score"])
