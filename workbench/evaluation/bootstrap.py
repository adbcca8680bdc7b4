"""Bootstrap confidence intervals and paired bootstrap tests over evaluation items.

Items are the unit of resampling: a system's score is the mean of its per-item scores, its 95%
interval is the percentile interval of that mean over item resamples. Two systems are compared
on the items both have a score for, resampling the *same* items for both (paired), which cancels
the per-item difficulty both share and is far tighter than comparing two separate intervals.

The paired p-value is two-sided and computed from the resampled differences shifted to mean
zero (the null): p = (1 + #{|d* - d| >= |d|}) / (B + 1), where d is the observed mean difference
and d* the resampled ones (Efron and Tibshirani's shift method; the +1s keep p above zero).

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
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return Interval(mean, float(low), float(high), int(arr.size))


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
        ``delta`` = mean(a - b), its percentile interval, and the two-sided p-value of the
        shift method (see the module docstring). NaN when no item has both scores.
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
    delta = float(diff.mean())
    if diff.size == 1 or np.all(diff == diff[0]):
        # No spread: the difference is what it is (p = 1 when it is zero, else tiny).
        p = 1.0 if delta == 0 else 1.0 / (n_resamples + 1)
        return PairedResult(delta, delta, delta, p, int(diff.size))
    means = _resampled_means(diff, n_resamples, np.random.default_rng(seed))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    extreme = int(np.sum(np.abs(means - delta) >= abs(delta)))
    p = (1 + extreme) / (n_resamples + 1)
    return PairedResult(delta, float(low), float(high), float(min(1.0, p)), int(diff.size))
