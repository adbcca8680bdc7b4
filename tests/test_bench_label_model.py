"""``bench/label_model.py``: the labeling functions are the gate's own signals, voting as the gate weighs them.

Snorkel is a bench-only extra: every test here but the last runs without it.
"""

from __future__ import annotations

import sys

import numpy as np
import polars as pl
import pytest

from bench.label_model import (
    ABSTAIN,
    AD,
    NON_AD,
    labeling_functions,
    main,
    majority_ad,
    vote_matrix,
)
from tests.rules_fixtures import (
    ADS_WITHOUT_PHONE,
    HELD_OUT_NON_ADS,
    NEWS_WITH_PRICES,
    ROUND2_ADS,
    ROUND2_NON_ADS,
    STRUCTURE_ADS,
)
from workbench.core.config import CleaningConfig
from workbench.core.taxonomy import load_taxonomy
from workbench.labeling.rules import Rules, load_rules, rule_inputs, rule_predictions

TEXTS = ADS_WITHOUT_PHONE + NEWS_WITH_PRICES + ROUND2_ADS + ROUND2_NON_ADS + STRUCTURE_ADS + HELD_OUT_NON_ADS


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(None, taxonomy=load_taxonomy())


def test_one_labeling_function_per_weighted_and_against_signal(rules: Rules) -> None:
    lfs = labeling_functions(rules.gate)
    assert [lf.signal for lf in lfs if lf.vote == AD] == list(rules.gate.weights)
    assert [lf.signal for lf in lfs if lf.vote == NON_AD] == list(rules.gate.against)
    assert len({lf.name for lf in lfs}) == len(lfs)


def test_votes_name_the_signals_a_reader_expects(rules: Rules) -> None:
    sale = "አያት አካባቢ ባለ 3 መኝታ ኮንዶሚኒየም ቤት በአስቸኳይ ይሸጣል"
    inflation = NEWS_WITH_PRICES[0]  # a price in birr, reported by the national bank
    votes = vote_matrix([sale, inflation], rules, CleaningConfig())
    column = {lf.name: i for i, lf in enumerate(votes.lfs)}
    assert votes.matrix[0, column["sale_rent"]] == AD
    assert votes.matrix[0, column["against:news"]] == ABSTAIN
    assert votes.matrix[1, column["price"]] == AD
    assert votes.matrix[1, column["against:news"]] == NON_AD
    assert votes.matrix[1, column["sale_rent"]] == ABSTAIN
    assert votes.gate_ad.tolist() == [True, False]


def test_the_noisy_or_of_the_votes_is_the_gates_decision(rules: Rules) -> None:
    """Weighing the matrix's votes as the rules file does reproduces ``rule_predictions`` post by post."""
    cleaning = CleaningConfig()
    votes = vote_matrix(TEXTS, rules, cleaning)
    weight = np.array([(rules.gate.weights if lf.vote == AD else rules.gate.against)[lf.signal]
                       for lf in votes.lfs])
    fired = votes.matrix != ABSTAIN
    is_for = np.array([lf.vote == AD for lf in votes.lfs])
    p_ad = (1 - np.prod(np.where(fired & is_for, 1 - weight, 1.0), axis=1)) * np.prod(
        np.where(fired & ~is_for, 1 - weight, 1.0), axis=1)
    preds = rule_predictions(rule_inputs(pl.DataFrame({"text": TEXTS}), cleaning), rules, load_taxonomy(),
                             cleaning=cleaning).filter(pl.col("task") == rules.gate.task)
    gate = preds.sort(pl.col("uid").cast(pl.Int64))["value"].list.first().to_list()
    assert (p_ad >= rules.gate.threshold).tolist() == [g == rules.gate.positive for g in gate]
    assert votes.gate_ad.tolist() == [g == rules.gate.positive for g in gate]
    # Both kinds of vote occur, so the check above reads every column kind.
    assert (votes.matrix == AD).any()
    assert (votes.matrix == NON_AD).any()


def test_majority_vote_needs_more_ad_votes_than_non_ad_votes() -> None:
    matrix = np.array([[AD, ABSTAIN, ABSTAIN],      # one Ad vote
                       [AD, NON_AD, ABSTAIN],       # a tie
                       [ABSTAIN, ABSTAIN, ABSTAIN],  # nothing fires
                       [AD, AD, NON_AD],            # two to one
                       [NON_AD, ABSTAIN, ABSTAIN]])
    assert majority_ad(matrix).tolist() == [True, False, False, True, False]


def test_the_bench_says_in_one_line_when_snorkel_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snorkel", None)  # `import snorkel` raises ImportError
    monkeypatch.setattr(sys, "argv", ["bench/label_model.py"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert "snorkel" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_the_label_model_fit_is_deterministic(rules: Rules) -> None:
    pytest.importorskip("snorkel")
    from bench.label_model import A_PRIORI, fit_label_model, label_model_ad

    votes = vote_matrix(TEXTS, rules, CleaningConfig())
    first = fit_label_model(votes.matrix, None, **A_PRIORI)
    second = fit_label_model(votes.matrix, None, **A_PRIORI)
    np.testing.assert_array_equal(first.predict_proba(votes.matrix), second.predict_proba(votes.matrix))
    # A post no labeling function votes on is a tie under the uniform prior: Non-Ad, not Ad.
    silent = np.full((1, votes.matrix.shape[1]), ABSTAIN)
    assert label_model_ad(first, silent).tolist() == [False]
