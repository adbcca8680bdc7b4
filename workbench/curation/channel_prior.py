"""What the other labels of a post's channel say, pooled with the classifier where it helps.

A Telegram channel that sells phones posts phone ads; a property broker posts property. The
labels already given to a channel's other posts are evidence about the next one that no text
feature carries, and that evidence is strongest exactly where text classifiers are weakest:
short photo captions ("iPhone 13 Pro Max 256GB / ዋጋ 72ሺ"). On a blind round of 222
hand-written ads from 25 channels and 3 buy-and-sell groups, pooling it raised the vertical's
out-of-fold accuracy from 0.80 to 0.91 (README, vertical benchmark).

:class:`ChannelPrior` gives each labeled item the label distribution of the *other* labeled
items of its channel (its own label left out, so the out-of-fold probabilities stay honest),
smoothed and mixed with the uniform distribution by how often the channel's labeled posts agree
with each other (:func:`neighbour_prior`); every other text gets the distribution of all of its
channel's labeled items, the same way. It is pooled like the rules
(:func:`~workbench.curation.rule_prior.pool`), ``p ∝ p_classifier * p_channel ** w``, with ``w``
chosen among :data:`~workbench.curation.rule_prior.WEIGHTS` by out-of-fold log loss on the
task's labels: a buy-and-sell group, whose members post anything, or a label the channel does
not predict (ad or not, in a shop that also posts greetings), gets a low weight or none.

The channel is read from the ``uid`` (``"<channel_id>:<message_id>"``, as ingest writes it,
:data:`workbench.core.schemas.CLEANED_SCHEMA`); a texts file whose uids have no ``:`` has no
channel, and nothing changes.

Examples
--------
>>> import numpy as np
>>> prior = ChannelPrior(np.array(["a", "a", "a", "b"], dtype=object), np.array(["a"], dtype=object))
>>> prior.item_probs(np.array([0, 0, 1, 1]), 2).round(2).tolist()
[[0.5, 0.5], [0.5, 0.5], [0.83, 0.17], [0.5, 0.5]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.curation.classifiers import log_loss_of
from workbench.curation.rule_prior import WEIGHTS, pool

#: Pseudo-counts spread evenly over the labels: one labeled neighbour moves the prior halfway.
SMOOTHING = 1.0


def channel_keys(texts: pl.DataFrame) -> np.ndarray | None:
    """The channel of each text (the ``uid`` before its first ``:``), or None when no uid has one.

    Examples
    --------
    >>> channel_keys(pl.DataFrame({"uid": ["-100:1", "-100:2", "x"]})).tolist()
    ['-100', '-100', None]
    >>> channel_keys(pl.DataFrame({"uid": ["r5-1", "r5-2"]})) is None
    True
    """
    uids = texts.get_column("uid").cast(pl.Utf8).fill_null("").to_list()
    keys = [uid.split(":", 1)[0] if ":" in uid else None for uid in uids]
    if all(key is None for key in keys):
        return None
    return np.array(keys, dtype=object)


def neighbour_prior(counts: np.ndarray) -> np.ndarray:
    """``(n, K)`` label distributions from ``(n, K)`` counts of each row's labeled neighbours.

    The neighbours' label shares, smoothed by :data:`SMOOTHING` pseudo-counts, mixed with the
    uniform distribution by the channel's *purity*: the share of pairs of neighbours that agree
    (one for a shop whose posts share one label, small for a buy-and-sell group whose members
    post anything; 0.5 with fewer than two neighbours to judge by). A group's posts are then
    left to the text, while a shop's pull hard: one weight per task could not do both.

    Examples
    --------
    >>> neighbour_prior(np.array([[4.0, 0.0], [2.0, 2.0], [0.0, 0.0]])).round(2).tolist()
    [[0.9, 0.1], [0.5, 0.5], [0.5, 0.5]]
    """
    k = counts.shape[1]
    n = counts.sum(axis=1, keepdims=True)
    shares = (counts + SMOOTHING / k) / (n + SMOOTHING)
    agreeing = (counts * (counts - 1.0)).sum(axis=1, keepdims=True)
    purity = np.where(n >= 2, agreeing / np.maximum(n * (n - 1.0), 1.0), 0.5)
    return purity * shares + (1.0 - purity) / k


@dataclass
class ChannelPrior:
    """The channels of one task's labeled items and other texts, and the weight it chose.

    Parameters
    ----------
    items
        ``(n,)`` channel of each labeled item (None: unknown).
    other
        ``(u,)`` channel of every other text.
    """

    items: np.ndarray
    other: np.ndarray
    weight: float | None = None
    log_loss: dict[float, float] = field(default_factory=dict)

    def item_probs(self, y: np.ndarray, n_classes: int,
                   counts: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``(n, K)``: each item's channel's other labels (:func:`neighbour_prior`)."""
        counts = self._counts(y, n_classes) if counts is None else counts
        own = np.zeros((y.size, n_classes))
        own[np.arange(y.size), y] = 1.0
        rows = np.array([counts.get(k, np.zeros(n_classes)) for k in self.items]).reshape(
            y.size, n_classes) - own
        rows[[k is None for k in self.items]] = 0.0
        return neighbour_prior(rows)

    def other_probs(self, y: np.ndarray, n_classes: int,
                    counts: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """``(u, K)``: every label of each other text's channel (:func:`neighbour_prior`)."""
        counts = self._counts(y, n_classes) if counts is None else counts
        rows = np.array([counts.get(k, np.zeros(n_classes)) if k is not None
                         else np.zeros(n_classes) for k in self.other]).reshape(
            len(self.other), n_classes)
        return neighbour_prior(rows)

    def _counts(self, y: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
        """Channel -> how many of its labeled items have each label."""
        counts: dict[str, np.ndarray] = {}
        for key, label in zip(self.items, y, strict=True):
            if key is not None:
                counts.setdefault(key, np.zeros(n_classes))[label] += 1.0
        return counts

    def apply(self, probs: np.ndarray, probs_other: np.ndarray | None,
              y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Choose the weight on ``(probs, y)`` (out of fold) and pool both parts with it."""
        k = probs.shape[1]
        counts = self._counts(y, k)
        prior = self.item_probs(y, k, counts)
        self.log_loss = {w: round(log_loss_of(y, pool(probs, prior, w)), 4) for w in WEIGHTS}
        self.weight = min(WEIGHTS, key=lambda w: (self.log_loss[w], w))
        if not self.weight:
            return probs, probs_other
        other = (None if probs_other is None
                 else pool(probs_other, self.other_probs(y, k, counts), self.weight))
        return pool(probs, prior, self.weight), other
