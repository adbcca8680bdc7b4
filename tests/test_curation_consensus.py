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
    from workbench.curation.answers import TaskAnswers
    from workbench.curation.assess import _break_ties_toward_rare, _TaskData

    answers = TaskAnswers(
        uids=["1", "2", "3", "4"],
        votes=[[("a", ["x"]), ("b", ["y"])],      # tie: y is rarer than x in the task
               [("a", ["x"]), ("b", ["x"])],
               [("a", ["x"]), ("b", ["z"])],      # tie: z is rarer still
               [("a", ["y"]), ("b", ["x"])]],     # tie, but adjudicated: left alone
        adjudicated=[None, None, None, ["x"]])
    index = {"x": 0, "y": 1, "z": 2}
    data = _TaskData(None, answers, [], [], np.array([2, 2, 2, 2]), list(index), None)  # type: ignore[arg-type]
    y = np.array([0, 0, 0, 0])  # the majority with ties to the label declared first
    assert _break_ties_toward_rare(y, answers, data, index).tolist() == [1, 0, 2, 0]
