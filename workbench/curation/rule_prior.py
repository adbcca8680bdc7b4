"""The labeling rules' evidence, pooled with the classifier's probabilities where it helps.

Few labels teach a text classifier little about thirteen verticals (README, vertical benchmark:
~0.65 accuracy after 112 hand-written ads), while the rules' keyword lexicons know every vertical
before the first label. :func:`rule_priors` turns the rules' evidence into a distribution per
message for each task the rules cover: the gate's noisy-OR score for the gate task (``is_ad``),
and for a keyword task (``vertical``) the rules' own score spread over the labels with the most
keyword matches, the rest shared by the other labels (uniform where no keyword matches, so a
message without evidence is left to the classifier). Counted whatever the gate decides: a
vertical is only assessed on posts a person labeled Ad.

:class:`TaskPrior` pools it log-linearly, ``p ∝ p_classifier * p_rules ** w``, with ``w`` chosen
among :data:`WEIGHTS` by the out-of-fold log loss on the task's own labels, so rules that do not
help the user's data get ``w = 0`` and change nothing. One number chosen on many labels: the
out-of-fold probabilities stay honest to within that choice.

Examples
--------
>>> import numpy as np
>>> prior = TaskPrior(np.array([[0.9, 0.1], [0.5, 0.5]]), np.zeros((0, 2)))
>>> items, _ = prior.apply(np.array([[0.4, 0.6], [0.6, 0.4]]), None, np.array([0, 1]))
>>> prior.weight, items.round(2).tolist()
(2.0, [[0.98, 0.02], [0.6, 0.4]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.core.config import CleaningConfig, ProjectConfig
from workbench.core.settings.curation import FlagConfig
from workbench.curation.classifiers import log_loss_of
from workbench.curation.inputs import CurationInputs, TaskSpec
from workbench.labeling.rules import (
    RULE_COLUMNS,
    Rules,
    gate_evidence,
    keyword_counts,
    load_rules,
    rule_inputs,
)

#: Pooling weights tried per task (0: the classifier alone).
WEIGHTS = (0.0, 0.5, 1.0, 2.0)

#: The gate's score is kept inside this, so one rule cannot veto the classifier outright.
GATE_CLIP = (0.02, 0.98)


@dataclass(frozen=True)
class RuleEvidence:
    """One task's rule distribution over its labels, one row per text."""

    labels: list[str]
    probs: np.ndarray

    def over(self, classes: Sequence[str]) -> np.ndarray:
        """``(n_texts, len(classes))``: the columns of ``classes``, renormalised.

        A class the rules do not know (a label only the data has) gets the flat share.
        """
        flat = np.full(self.probs.shape[0], 1.0 / max(len(self.labels), 1))
        cols = np.column_stack([self.probs[:, self.labels.index(c)] if c in self.labels else flat
                                for c in classes])
        return cols / cols.sum(axis=1, keepdims=True)


def project_rule_priors(inputs: CurationInputs, cfg: ProjectConfig,
                        flag: FlagConfig) -> dict[str, RuleEvidence]:
    """:func:`rule_priors` with the project's rules, when ``curation.flag.rule_prior`` is on."""
    if not flag.rule_prior:
        return {}
    from workbench.core.taxonomy import load_taxonomy

    rules = load_rules(cfg.labeling.rules, taxonomy=load_taxonomy())
    return rule_priors(inputs.texts, inputs.tasks, rules, cleaning=cfg.cleaning)


def rule_priors(texts: pl.DataFrame, tasks: Sequence[TaskSpec], rules: Rules, *,
                cleaning: CleaningConfig) -> dict[str, RuleEvidence]:
    """The rules' distribution for each single-choice task they cover, aligned with ``texts``.

    Parameters
    ----------
    texts
        The run's texts (cleaned rows, or a user's file with ``text``), one row per uid.
    tasks
        The tasks being assessed.
    rules
        The project's labeling rules.
    cleaning
        Normalises keywords as ``text_norm`` is normalised.
    """
    singles = {t.name: t for t in tasks if t.kind == "single"}
    covered = [n for n in singles if n == rules.gate.task or n in rules.keywords]
    if not covered:
        return {}
    frame = texts if set(RULE_COLUMNS) <= set(texts.columns) else rule_inputs(
        texts.select("uid", "text"), cleaning)
    out: dict[str, RuleEvidence] = {}
    for name in covered:
        labels = list(singles[name].labels)
        if name == rules.gate.task:
            out[name] = _gate_evidence(frame, rules, labels, cleaning)
        else:
            counts = keyword_counts(frame, rules, name, cleaning=cleaning)
            out[name] = _keyword_evidence(counts, labels, rules.max_score)
    return out


def _gate_evidence(frame: pl.DataFrame, rules: Rules, labels: list[str],
                   cleaning: CleaningConfig) -> RuleEvidence:
    score = gate_evidence(frame, rules, cleaning=cleaning).get_column("score").to_numpy()
    p_pos = np.clip(score.astype(np.float64), *GATE_CLIP)
    probs = np.full((p_pos.size, len(labels)), 1.0)
    # Labels other than the gate's two (a taxonomy may have more) carry no rule evidence.
    if rules.gate.positive in labels and rules.gate.negative in labels:
        probs[:, labels.index(rules.gate.positive)] = p_pos
        probs[:, labels.index(rules.gate.negative)] = 1.0 - p_pos
    return RuleEvidence(labels, probs / probs.sum(axis=1, keepdims=True))


def _keyword_evidence(counts: pl.DataFrame, labels: list[str], max_score: float) -> RuleEvidence:
    hits = np.zeros((counts.height, len(labels)))
    for j, lab in enumerate(labels):
        if lab in counts.columns:
            hits[:, j] = counts.get_column(lab).fill_null(0).to_numpy()
    best = hits.max(axis=1, keepdims=True)
    top = (hits == best) & (best > 0)
    n_top = top.sum(axis=1, keepdims=True)
    # The rules' own confidence (rule_predictions: 0.5 + 0.15 per match, capped), shared by the
    # tied labels; the rest of the mass spread evenly, so no label is ruled out.
    share = np.minimum(0.5 + 0.15 * best, max_score)
    rest = np.maximum(len(labels) - n_top, 1)
    probs = np.where(top, share / np.maximum(n_top, 1), (1.0 - share) / rest)
    no_evidence = (best[:, 0] == 0) | (n_top[:, 0] == len(labels))
    probs[no_evidence] = 1.0 / len(labels)
    return RuleEvidence(labels, probs / probs.sum(axis=1, keepdims=True))


@dataclass
class TaskPrior:
    """The rule evidence of one task's labeled items and other texts, and the weight it chose.

    Parameters
    ----------
    items
        ``(n, K)`` rule distribution of the labeled items, in the task's class order.
    other
        ``(u, K)`` for every other text (may have no rows).
    """

    items: np.ndarray
    other: np.ndarray
    weight: float | None = None
    log_loss: dict[float, float] = field(default_factory=dict)

    @classmethod
    def of(cls, evidence: RuleEvidence, classes: Sequence[str], items: np.ndarray,
           other: np.ndarray) -> TaskPrior:
        """The evidence at the text rows of a task's labeled ``items`` and ``other`` texts."""
        probs = evidence.over(classes)
        return cls(probs[items], probs[other])

    def apply(self, probs: np.ndarray, probs_other: np.ndarray | None,
              y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Choose the weight on ``(probs, y)`` (out of fold) and pool both parts with it."""
        self.log_loss = {w: round(log_loss_of(y, pool(probs, self.items, w)), 4) for w in WEIGHTS}
        self.weight = min(WEIGHTS, key=lambda w: (self.log_loss[w], w))
        if not self.weight:
            return probs, probs_other
        other = None if probs_other is None else pool(probs_other, self.other, self.weight)
        return pool(probs, self.items, self.weight), other


def pool(probs: np.ndarray, rule: np.ndarray, weight: float) -> np.ndarray:
    """``probs * rule ** weight``, rows renormalised (log-linear pooling)."""
    if weight == 0:
        return probs
    out = probs * np.power(rule, weight)
    return out / out.sum(axis=1, keepdims=True)
