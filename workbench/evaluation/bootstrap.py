"""Bootstrap confidence intervals and paired bootstrap tests over evaluation items.

Items are the unit of resampling: a system's score is the mean of its per-item scores, its 95%
interval is the percentile interval of that mean over item resamples. Two systems are compared
on the items both have a score for, resampling the *same* items for both (paired), which cancels
the per-item difficulty both share and is far tighter than comparing two separate intervals.

The paired interval and p-value come from the *same* B resampled mean differences d*, so they
cannot contradict each other. The two-sided p-value is the share of d* on the far side of zero,
doubled and smoothed: p = min(1, 2 * (1 + min(#{d* <= 0}, #{d* >= 0})) / (B + 1)) (the +1s keep p
above zero). The interval is read off the sorted d* at the order statistic chosen so that, by
construction, the (1 - alpha) interval excludes 0 exactly when p < alpha: its low end is the k-th
smallest d*, its high end the k-th largest, where k is the number of counts m >= 0 with
2 * (1 + m) / (B + 1) < alpha (the p-value's own formula, so float rounding agrees too). The
one-sample interval of :func:`bootstrap_ci` uses the same order-statistic convention.

Examples
--------
>>> ci = bootstrap_ci([1.0, 2.0, 3.0, 4.0], n_resamples=2000, seed=0)
>>> ci.mean, ci.low <= 2.5 <= ci.high
(2.5, True)
>>> r = paired_bootstrap([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], seed=0)
>>> (r.delta, r.p_value)
(0.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Resamples are drawn in chunks so memory stays small for large item counts.
_CHUNK_CELLS = 5_000_000


@dataclass(frozen=True)
class Interval:
    """A mean with its bootstrap percentile interval."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class PairedResult:
    """Mean difference a - b with its interval and two-sided p-value."""

    delta: float
    low: float
    high: float
    p_value: float
    n: int


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _resampled_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_resamples`` resamples with replacement, shape (n_resamples,)."""
    n = values.size
    per_chunk = max(1, _CHUNK_CELLS // max(n, 1))
    out = np.empty(n_resamples)
    for start in range(0, n_resamples, per_chunk):
        stop = min(n_resamples, start + per_chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def order_index(n_resamples: int, alpha: float) -> int:
    """The k whose k-th smallest / largest resample bounds the (1 - alpha) interval.

    k counts the m >= 0 with ``2 * (1 + m) / (B + 1) < alpha``: the tail counts whose smoothed
    two-sided p-value is below alpha, so "interval excludes 0" and "p < alpha" are one event.

    Raises
    ------
    ValueError
        Too few resamples for this level (k would be 0: no interval could exclude anything).
    """
    k = 0
    while _two_sided_p(k, n_resamples) < alpha:
        k += 1
    if k == 0:
        msg = (f"{n_resamples} resamples are too few for a {1 - alpha:.3g} interval; "
               f"use at least {math.ceil(2 / alpha)}")
        raise ValueError(msg)
    return k


def _two_sided_p(tail_count: int, n_resamples: int) -> float:
    """Smoothed two-sided p-value of a tail holding ``tail_count`` of ``n_resamples`` draws."""
    return min(1.0, 2 * (1 + tail_count) / (n_resamples + 1))


def _interval(draws: np.ndarray, alpha: float) -> tuple[float, float]:
    """k-th smallest and k-th largest of ``draws`` (k from :func:`order_index`)."""
    k = order_index(draws.size, alpha)
    ordered = np.sort(draws)
    return float(ordered[k - 1]), float(ordered[draws.size - k])


def bootstrap_ci(values: Sequence[float] | np.ndarray, *, n_resamples: int = 1000,
                 confidence: float = 0.95, seed: int = 0) -> Interval:
    """Mean and percentile bootstrap interval of ``values`` (NaN and inf left out).

    Parameters
    ----------
    values
        Per-item scores, shape (n,).
    n_resamples
        Bootstrap resamples.
    confidence
        Interval level, e.g. 0.95.
    seed
        Seeds the resampling.

    Returns
    -------
    Interval
        NaN everywhere when no finite value is left; a zero-width interval for one value.
    """
    arr = _clean(values)
    if arr.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(arr.mean())
    if arr.size == 1:
        return Interval(mean, mean, mean, 1)
    means = _resampled_means(arr, n_resamples, np.random.default_rng(seed))
    low, high = _interval(means, 1.0 - confidence)
    return Interval(mean, low, high, int(arr.size))


def paired_bootstrap(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *,
                     n_resamples: int = 1000, confidence: float = 0.95,
                     seed: int = 0) -> PairedResult:
    """Paired bootstrap of mean(a - b) over the items where both are finite.

    Parameters
    ----------
    a, b
        Per-item scores of two systems on the same items, aligned, shape (n,).
    n_resamples, confidence, seed
        As in :func:`bootstrap_ci`.

    Returns
    -------
    PairedResult
        ``delta`` = mean(a - b), its interval and two-sided p-value, both from the same resampled
        differences (see the module docstring): the interval excludes 0 exactly when
        ``p_value < 1 - confidence``. NaN when no item has both scores.
    """
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape:
        msg = f"paired scores need the same items: got {x.size} and {y.size} values"
        raise ValueError(msg)
    both = np.isfinite(x) & np.isfinite(y)
    diff = x[both] - y[both]
    if diff.size == 0:
        return PairedResult(math.nan, math.nan, math.nan, math.nan, 0)
    means = _resampled_means(diff, n_resamples, np.random.default_rng(seed))
    low, high = _interval(means, 1.0 - confidence)
    tail = min(int(np.sum(means <= 0)), int(np.sum(means >= 0)))
    return PairedResult(float(diff.mean()), low, high, _two_sided_p(tail, n_resamples),
                        int(diff.size))
