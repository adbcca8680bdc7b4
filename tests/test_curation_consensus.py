"""Consensus of several annotators: the workbench's path against plain CROWDLAB, and its edges."""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic.annotators import majority_first, plain_crowdlab, simulate_votes
from synthetic.corpus import annotations_from_labels, make_corpus
from tests.curation_helpers import in_memory
from workbench.core.settings.curation import FlagConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.curation.flag import flag_labels
from workbench.curation.multiannotator import crowdlab, dawid_skene
from workbench.curation.ties import break_ties_toward_rare, tied_items


def _simulated_verticals(n: int, seed: int, accuracies: tuple[float, ...]):
    """Synthetic ads, their gold vertical, and simulated answers of ``len(accuracies)`` annotators."""
    corpus = make_corpus(n, seed=seed, difficulty=0.6)
    ads = corpus.truth.filter(pl.col("vertical").is_not_null()).sort("uid")
    classes = load_taxonomy().task("vertical").values
    gold = np.array([classes.index(v) for v in ads.get_column("vertical")])
    # Neighbouring verticals in the taxonomy's order are the look-alikes of this simulation.
    k = len(classes)
    similarity = np.eye(k, k=1) + np.eye(k, k=-1)
    votes = simulate_votes(gold, similarity, accuracies=accuracies, seed=seed)
    parts = [annotations_from_labels(
        ads.select("uid", pl.Series("vertical", [classes[v] for v in votes[:, j]])),
        annotator=f"annotator{j + 1}", tasks=("vertical",)) for j in range(votes.shape[1])]
    messages = corpus.messages.join(ads.select("uid"), on="uid", how="semi").sort("uid")
    return messages, pl.concat(parts), gold, votes, classes


def _workbench_labels(messages: pl.DataFrame, annotations: pl.DataFrame,
                      classes: list[str]) -> np.ndarray:
    rows = flag_labels(in_memory(messages, annotations), cfg=FlagConfig()).label_issues
    rows = rows.filter(pl.col("task") == "vertical").sort("uid")
    return np.array([classes.index(v[0]) for v in rows.get_column("label").to_list()])


def test_workbench_consensus_is_at_least_plain_crowdlab() -> None:
    messages, annotations, gold, votes, classes = _simulated_verticals(1200, 3, (0.8, 0.65))
    ours = (_workbench_labels(messages, annotations, classes) == gold).mean()
    texts = messages.get_column("text_norm").fill_null("").to_list()
    plain = (plain_crowdlab(texts, votes, len(classes), seed=3) == gold).mean()
    majority = (majority_first(votes, len(classes)) == gold).mean()
    assert ours >= plain, (ours, plain, majority)
    assert ours >= majority, (ours, plain, majority)


def test_a_label_that_never_wins_a_vote_is_still_a_class() -> None:
    # Annotator b sometimes answers "Other" where a answers the true vertical: every such tie
    # goes to the vertical declared first, so "Other" is nobody's majority anywhere, yet it is an
    # answer CROWDLAB must represent (it was a KeyError).
    corpus = make_corpus(400, seed=4, difficulty=0.3)
    ads = corpus.truth.filter(pl.col("vertical").is_not_null() & (pl.col("vertical") != "Other"))
    ads = ads.sort("uid")
    odd = np.arange(ads.height) % 5 == 0
    b = ads.with_columns(vertical=pl.when(pl.Series(odd)).then(pl.lit("Other"))
                         .otherwise(pl.col("vertical")))
    ann = pl.concat([annotations_from_labels(ads, annotator="a", tasks=("vertical",)),
                     annotations_from_labels(b, annotator="b", tasks=("vertical",))])
    result = flag_labels(in_memory(corpus.messages, ann), cfg=FlagConfig(folds=3))
    rows = result.label_issues.filter(pl.col("task") == "vertical")
    assert rows.height == ads.height
    assert set(rows.get_column("label_source")) == {"consensus"}
    quality = result.annotator_quality.filter(pl.col("task") == "vertical").sort("quality")
    assert quality.get_column("annotator").to_list() == ["b", "a"]


def test_consensus_of_one_class_is_not_an_error() -> None:
    # Two annotators agree that everything is an ad: nothing to flag, and no crash.
    corpus = make_corpus(60, seed=4, difficulty=0.3)
    truth = corpus.truth.select("uid", is_ad=pl.lit("Ad"))
    ann = pl.concat([annotations_from_labels(truth, annotator=a, tasks=("is_ad",))
                     for a in ("a", "b")])
    rows = flag_labels(in_memory(corpus.messages, ann), cfg=FlagConfig(folds=3)).label_issues
    assert rows.height == truth.height
    assert not rows.get_column("is_issue").any()


def test_a_tie_trains_as_the_rarer_label_not_the_first_declared() -> None:
    # The fallback when too few untied items remain to train the classifier on.
    votes = [[("a", ["x"]), ("b", ["y"])],      # tie: y is rarer than x in the task
             [("a", ["x"]), ("b", ["x"])],
             [("a", ["x"]), ("b", ["z"])],      # tie: z is rarer still
             [("a", ["y"]), ("b", ["x"])]]      # tie, but adjudicated: left alone
    tied = tied_items(votes, [None, None, None, ["x"]])
    assert tied.tolist() == [True, False, True, False]
    index = {"x": 0, "y": 1, "z": 2}
    y = np.array([0, 0, 0, 0])  # the majority with ties to the label declared first
    assert break_ties_toward_rare(y, votes, tied, index).tolist() == [1, 0, 2, 0]


def test_a_tie_of_two_annotators_goes_to_the_better_one() -> None:
    # Two annotators, every disagreement a tie. CROWDLAB weighs two annotators equally and let
    # the classifier settle each tie (64% went to the careful annotator here); the consensus
    # must learn which annotator is careful, and settle the ties at least as well as always
    # siding with them would (it may overrule them where the classifier is sure).
    messages, annotations, gold, votes, classes = _simulated_verticals(600, 12, (0.85, 0.6))
    ours = _workbench_labels(messages, annotations, classes)
    tie = votes[:, 0] != votes[:, 1]
    assert tie.sum() >= 100
    assert (ours[tie] == votes[tie, 0]).mean() > 0.5
    assert (ours[tie] == gold[tie]).mean() >= (votes[tie, 0] == gold[tie]).mean()
    assert (ours == gold).mean() >= (majority_first(votes, len(classes)) == gold).mean()
    result = flag_labels(in_memory(messages, annotations), cfg=FlagConfig())
    quality = result.annotator_quality.filter(pl.col("task") == "vertical").sort("quality")
    assert quality.get_column("annotator").to_list() == ["annotator2", "annotator1"]
    assert set(quality.get_column("method")) == {"dawid_skene"}


def test_dawid_skene_trusts_the_annotator_the_evidence_says_is_careful() -> None:
    # Annotator a is always right, b right 60% of the time; the classifier is right 60% of the
    # time and never sure. Neither annotator's agreement with the other can tell them apart;
    # their agreement with the classifier can, and every tie must then go to a.
    rng = np.random.default_rng(0)
    n, k = 2000, 4
    gold = rng.integers(0, k, n)
    wrong = (gold + rng.integers(1, k, n)) % k
    b = np.where(rng.random(n) < 0.6, gold, wrong)
    guess = np.where(rng.random(n) < 0.6, gold, (gold + rng.integers(1, k, n)) % k)
    prior = np.full((n, k), 0.5 / (k - 1))
    prior[np.arange(n), guess] = 0.5
    votes = np.stack([gold, b], axis=1).astype(float)
    result = dawid_skene(votes, prior, annotators=["a", "b"])
    tie = gold != b
    assert (result.consensus[tie] == gold[tie]).all()
    quality = dict(zip(result.annotators.get_column("annotator"),
                       result.annotators.get_column("quality"), strict=True))
    assert quality["a"] > 0.95
    assert abs(quality["b"] - 0.6) < 0.05
    # CROWDLAB gives both the same weight, so the classifier settles the ties.
    crowd = crowdlab(votes, prior, annotators=["a", "b"]).consensus
    assert (crowd[tie] == gold[tie]).mean() < 0.8


def test_dawid_skene_with_missing_answers_and_unanimous_items() -> None:
    votes = np.array([[0, 0, np.nan], [1, np.nan, 1], [2, 2, 2], [np.nan, 0, 0]], dtype=float)
    prior = np.full((4, 3), 1 / 3)
    result = dawid_skene(votes, prior, annotators=["a", "b", "c"])
    assert result.consensus.tolist() == [0, 1, 2, 0]
    assert result.n_annotators.tolist() == [2, 2, 3, 2]
    assert result.agreement.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert result.annotators.get_column("n_items").to_list() == [3, 3, 3]
    assert np.all((result.quality > 0.5) & (result.quality <= 1.0))
