"""Bradley-Terry strengths from pairwise votes, with ties, and bootstrap confidence intervals.

Each system i has a strength theta_i (log scale). Two ways to count a tie:

``davidson`` (default)
    Davidson's (1970) extension: with pi = exp(theta) and a tie parameter nu > 0,
    P(i beats j) = pi_i / D, P(tie) = nu * sqrt(pi_i * pi_j) / D,
    D = pi_i + pi_j + nu * sqrt(pi_i * pi_j). nu is fitted with the strengths.
``half``
    A tie is half a win for each side (what Chatbot Arena does); plain Bradley-Terry.

The maximum-likelihood fit adds a weak Gaussian prior on theta (``prior``, default 0.01 per
squared unit): a system that never lost would otherwise run off to infinity. Strengths are
centred (mean 0). ``rating`` puts them on the Elo-like scale arenas report:
1000 + 400 * theta / ln(10) (a 400-point gap: 10:1 odds). Confidence intervals resample the
votes with replacement and refit (the Chatbot Arena method); with fewer than :data:`MIN_VOTES`
votes for a system they mean little, which ``BTResult.rows`` says (``enough_votes``). Win rates
come with Wilson intervals (:func:`win_rate_intervals`), honest down to a single vote.

Examples
--------
>>> fit = fit_bradley_terry(["a", "a", "a", "b"], ["b", "b", "b", "a"], ["a", "a", "tie", "b"])
>>> fit.systems, bool(fit.theta[0] > fit.theta[1])
(['a', 'b'], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

TieMode = Literal["davidson", "half"]
OUTCOMES = ("a", "b", "tie")
ELO_SCALE = 400.0 / math.log(10.0)
#: Fewer votes than this for a system: show its votes and win rate with an interval, no rating.
#: A bootstrap of a handful of votes resamples the same few outcomes, so its interval is far too
#: narrow (zero-width for a single vote) and the fitted gap is the prior's, not the data's.
MIN_VOTES = 10
#: Pseudo-count per outcome of each compared pair when resampling (see bootstrap_bradley_terry).
PSEUDO_VOTE = 0.5


@dataclass(frozen=True)
class BTFit:
    """Fitted strengths."""

    systems: list[str]
    #: Log-strengths, centred, shape (k,).
    theta: np.ndarray
    #: Davidson tie parameter (NaN in ``half`` mode).
    nu: float
    n_votes: int

    @property
    def rating(self) -> np.ndarray:
        """Elo-like ratings, shape (k,)."""
        return 1000.0 + ELO_SCALE * self.theta


@dataclass(frozen=True)
class BTResult:
    """Strengths with bootstrap intervals."""

    fit: BTFit
    #: Percentile interval of theta per system, shape (k, 2).
    theta_ci: np.ndarray
    n_resamples: int
    #: Votes each system took part in, shape (k,).
    votes: np.ndarray

    def rows(self) -> list[dict[str, float | str | int | bool]]:
        """One dict per system, strongest first, with its vote count.

        ``enough_votes`` is False below :data:`MIN_VOTES`: show the count, not the rating.
        """
        order = np.argsort(-self.fit.theta)
        out: list[dict[str, float | str | int | bool]] = []
        for rank, i in enumerate(order, start=1):
            lo, hi = self.theta_ci[i]
            out.append({"rank": rank, "system": self.fit.systems[i],
                        "theta": float(self.fit.theta[i]), "theta_low": float(lo),
                        "theta_high": float(hi), "rating": float(self.fit.rating[i]),
                        "rating_low": 1000.0 + ELO_SCALE * float(lo),
                        "rating_high": 1000.0 + ELO_SCALE * float(hi),
                        "votes": int(self.votes[i]),
                        "enough_votes": bool(self.votes[i] >= MIN_VOTES)})
        return out


def _counts(a: np.ndarray, b: np.ndarray, outcome: np.ndarray, k: int) -> np.ndarray:
    """Counts per ordered pair (i < j): [i wins, j wins, ties], shape (k, k, 3)."""
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    # Outcome in terms of the smaller index: 0 = lo wins, 1 = hi wins, 2 = tie.
    a_is_lo = a == lo
    res = np.where(outcome == 2, 2, np.where((outcome == 0) == a_is_lo, 0, 1))
    counts = np.zeros((k, k, 3))
    np.add.at(counts, (lo, hi, res), 1.0)
    return counts


def _fit_counts(counts: np.ndarray, ties: TieMode, prior: float,
                start: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Newton's method on the (concave) log-likelihood; returns centred theta and nu.

    Parameters are theta (k) and, for Davidson, log nu. Every outcome's log-probability is a
    log-softmax of terms linear in the parameters (theta_i, theta_j, log nu + mean of both), so
    the log-likelihood is concave and Newton with a backtracking line search converges in a
    handful of steps (scipy's L-BFGS-B took ~30 ms a fit here, too slow for the bootstrap).
    """
    k = counts.shape[0]
    ii, jj = np.nonzero(counts.sum(axis=2))
    wi, wj, t = (counts[ii, jj, c] for c in range(3))
    davidson = ties == "davidson"
    if not davidson:
        wi, wj, t = wi + t / 2.0, wj + t / 2.0, np.zeros_like(t)
    n = wi + wj + t
    n_terms = 3 if davidson else 2
    dim = k + 1 if davidson else k
    # Jacobian of the terms with respect to the parameters, per compared pair: (m, terms, dim).
    jac = np.zeros((ii.size, n_terms, dim))
    rows = np.arange(ii.size)
    jac[rows, 0, ii] = 1.0
    jac[rows, 1, jj] = 1.0
    if davidson:
        jac[rows, 2, ii] = 0.5
        jac[rows, 2, jj] = 0.5
        jac[:, 2, k] = 1.0
    observed = np.stack([wi, wj, t][:n_terms], axis=1)  # (m, terms)
    ridge = np.zeros(dim)
    ridge[:k] = prior

    def evaluate(params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        z = jac @ params  # (m, terms)
        top = z.max(axis=1, keepdims=True)
        p = np.exp(z - top)
        total = p.sum(axis=1, keepdims=True)
        p /= total
        lse = (top + np.log(total)).ravel()
        theta = params[:k]
        ll = float((observed * z).sum() - n @ lse - 0.5 * prior * theta @ theta)
        resid = observed - n[:, None] * p  # (m, terms)
        grad = np.einsum("mt,mtd->d", resid, jac) - ridge * params
        cov = p[:, :, None] * np.eye(n_terms)[None] - p[:, :, None] * p[:, None, :]
        hess = -np.einsum("m,mtd,mts,mse->de", n, jac, cov, jac) - np.diag(ridge)
        return ll, grad, hess

    params = np.zeros(dim)
    if davidson:
        params[k] = math.log(0.5)
    if start is not None:
        params[:] = start[:dim]
    ll, grad, hess = evaluate(params)
    for _ in range(100):
        # A tiny ridge keeps the solve defined when the prior is 0 (theta is shift-invariant).
        step = np.linalg.solve(-hess + 1e-9 * np.eye(dim), grad)
        size = 1.0
        while size > 1e-8:
            trial = params + size * step
            new_ll, new_grad, new_hess = evaluate(trial)
            if new_ll >= ll + 1e-4 * size * float(grad @ step):
                break
            size /= 2.0
        else:
            break
        params, ll, grad, hess = trial, new_ll, new_grad, new_hess
        if float(np.abs(grad).max()) < 1e-9 or float(np.abs(size * step).max()) < 1e-10:
            break
    theta = params[:k] - params[:k].mean()
    # All ties (a resample can draw them) send log nu off to infinity: cap it, no overflow.
    nu = math.exp(min(float(params[k]), 50.0)) if davidson else math.nan
    return theta, nu


def _start(theta: np.ndarray, nu: float) -> np.ndarray:
    return np.append(theta, math.log(nu) if math.isfinite(nu) and nu > 0 else math.log(0.5))


def _encode(systems_a: Sequence[str], systems_b: Sequence[str], outcomes: Sequence[str],
            systems: Sequence[str] | None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    if not (len(systems_a) == len(systems_b) == len(outcomes)):
        msg = "systems_a, systems_b and outcomes must have the same length"
        raise ValueError(msg)
    bad = sorted({o for o in outcomes if o not in OUTCOMES})
    if bad:
        msg = f"outcomes must be 'a', 'b' or 'tie', got {bad}"
        raise ValueError(msg)
    names = list(systems) if systems is not None else sorted({*systems_a, *systems_b})
    index = {s: i for i, s in enumerate(names)}
    same = [i for i, (x, y) in enumerate(zip(systems_a, systems_b, strict=True)) if x == y]
    if same:
        msg = f"vote {same[0]} compares '{systems_a[same[0]]}' with itself"
        raise ValueError(msg)
    a = np.array([index[s] for s in systems_a], dtype=int)
    b = np.array([index[s] for s in systems_b], dtype=int)
    o = np.array([OUTCOMES.index(x) for x in outcomes], dtype=int)
    return names, a, b, o


def fit_bradley_terry(systems_a: Sequence[str], systems_b: Sequence[str], outcomes: Sequence[str],
                      *, ties: TieMode = "davidson", prior: float = 0.01,
                      systems: Sequence[str] | None = None) -> BTFit:
    """Maximum-likelihood strengths from votes.

    Parameters
    ----------
    systems_a, systems_b
        The two systems of each vote, shape (n,).
    outcomes
        ``"a"`` (a won), ``"b"`` (b won) or ``"tie"``, shape (n,).
    ties
        ``davidson`` or ``half`` (see the module docstring).
    prior
        Gaussian prior precision on theta (0: plain MLE, which diverges for an unbeaten system).
    systems
        Order of the systems in the result (default: sorted names).

    Returns
    -------
    BTFit
        Centred log-strengths, the tie parameter, the vote count.
    """
    names, a, b, o = _encode(systems_a, systems_b, outcomes, systems)
    if a.size == 0:
        return BTFit(names, np.zeros(len(names)), math.nan, 0)
    theta, nu = _fit_counts(_counts(a, b, o, len(names)), ties, prior)
    return BTFit(names, theta, nu, int(a.size))


def bootstrap_bradley_terry(systems_a: Sequence[str], systems_b: Sequence[str],
                            outcomes: Sequence[str], *, ties: TieMode = "davidson",
                            prior: float = 0.01, n_resamples: int = 200,
                            confidence: float = 0.95, seed: int = 0,
                            systems: Sequence[str] | None = None) -> BTResult:
    """:func:`fit_bradley_terry` plus percentile intervals from resampled votes.

    Resampling n votes with replacement is the same as drawing the (pair, outcome) cell counts
    from a multinomial with the observed cell shares, which is what is done: cheap whatever the
    number of votes. Each refit starts from the full fit.

    The shares are smoothed with :data:`PSEUDO_VOTE` per outcome of every compared pair (a
    Jeffreys-style half vote): with plain shares, a pair whose votes all agree resamples to the
    same counts every time, so one vote or ten unanimous ones got a zero-width interval around
    a gap set by the prior alone. The point estimate is the unsmoothed fit; with many votes the
    smoothing is negligible.
    """
    names, a, b, o = _encode(systems_a, systems_b, outcomes, systems)
    k = len(names)
    votes = np.bincount(np.concatenate([a, b]), minlength=k)
    if a.size == 0:
        fit = BTFit(names, np.zeros(k), math.nan, 0)
        return BTResult(fit, np.full((k, 2), np.nan), 0, votes)
    counts = _counts(a, b, o, k)
    theta, nu = _fit_counts(counts, ties, prior)
    start = _start(theta, nu)
    rng = np.random.default_rng(seed)
    compared = counts.sum(axis=2, keepdims=True) > 0
    flat = (counts + PSEUDO_VOTE * compared).ravel()
    draws = np.empty((n_resamples, k))
    for r in range(n_resamples):
        resampled = rng.multinomial(a.size, flat / flat.sum()).astype(float).reshape(counts.shape)
        draws[r], _ = _fit_counts(resampled, ties, prior, start)
    alpha = (1.0 - confidence) / 2.0
    ci = np.quantile(draws, [alpha, 1.0 - alpha], axis=0).T
    return BTResult(BTFit(names, theta, nu, int(a.size)), ci, n_resamples, votes)


def wilson_interval(wins: float, games: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a win rate (a tie counts half a win).

    Used for win rates rather than a bootstrap: it stays honest for a handful of games (one win
    in one game: [0.21, 1.00] at 95%, where a bootstrap gives [1, 1]). NaNs for no game.
    """
    if games <= 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = wins / games
    denom = 1.0 + z * z / games
    centre = (p + z * z / (2 * games)) / denom
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class WinRates:
    """Observed win rates with Wilson intervals: per pair, and per system against all others."""

    systems: list[str]
    #: Win rate of row over column (a tie counts half), NaN where never compared, shape (k, k).
    rate: np.ndarray
    #: Interval bounds of ``rate``, shape (k, k) each.
    low: np.ndarray
    high: np.ndarray
    #: Votes between row and column, shape (k, k).
    games: np.ndarray
    confidence: float

    @property
    def votes(self) -> np.ndarray:
        """Votes each system took part in, shape (k,)."""
        return self.games.sum(axis=1).astype(int)

    def overall(self, i: int) -> tuple[float, float, float]:
        """System ``i``'s win rate over all its votes, with its interval (NaNs without votes)."""
        games = int(self.games[i].sum())
        if games == 0:
            return math.nan, math.nan, math.nan
        wins = float(np.nansum(self.rate[i] * self.games[i]))
        return (wins / games, *wilson_interval(wins, games, self.confidence))

    def rows(self) -> list[dict[str, float | str | int]]:
        """One dict per system (in ``systems`` order): votes, win rate, its interval."""
        out: list[dict[str, float | str | int]] = []
        for i, name in enumerate(self.systems):
            rate, low, high = self.overall(i)
            out.append({"system": name, "votes": int(self.votes[i]), "win_rate": rate,
                        "win_low": low, "win_high": high})
        return out


def win_rate_intervals(systems_a: Sequence[str], systems_b: Sequence[str],
                       outcomes: Sequence[str], *, systems: Sequence[str] | None = None,
                       confidence: float = 0.95) -> WinRates:
    """Win rates of every pair and of every system overall, with Wilson intervals.

    Parameters
    ----------
    systems_a, systems_b, outcomes
        Votes, as for :func:`fit_bradley_terry`.
    systems
        Order of the systems (default: sorted names).
    confidence
        Of the intervals.
    """
    names, a, b, o = _encode(systems_a, systems_b, outcomes, systems)
    k = len(names)
    wins = np.zeros((k, k))
    games = np.zeros((k, k))
    for x, y, res in zip(a, b, o, strict=True):
        score = 1.0 if res == 0 else 0.0 if res == 1 else 0.5
        wins[x, y] += score
        wins[y, x] += 1.0 - score
        games[x, y] += 1
        games[y, x] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(games > 0, wins / games, np.nan)
    low = np.full((k, k), np.nan)
    high = np.full((k, k), np.nan)
    for i, j in zip(*np.nonzero(games), strict=True):
        low[i, j], high[i, j] = wilson_interval(wins[i, j], int(games[i, j]), confidence)
    return WinRates(names, rate, low, high, games.astype(int), confidence)


def win_rates(systems_a: Sequence[str], systems_b: Sequence[str], outcomes: Sequence[str],
              systems: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Observed win rate of row over column (a tie counts half), NaN where never compared.

    Returns
    -------
    (names, matrix)
        Matrix of shape (k, k). :func:`win_rate_intervals` adds intervals and counts.
    """
    found = win_rate_intervals(systems_a, systems_b, outcomes, systems=systems)
    return found.systems, found.rate


#: Resamples behind every shown rating interval (the report's and the web app's alike, so one
#: set of votes reads the same on both).
RATING_RESAMPLES = 500


def preference_table(systems_a: Sequence[str], systems_b: Sequence[str],
                     outcomes: Sequence[str], *, systems: Sequence[str] | None = None,
                     n_resamples: int = RATING_RESAMPLES, seed: int = 0,
                     confidence: float = 0.95) -> list[dict[str, float | str | int | bool]]:
    """Per system, strongest first: votes, win rate and Bradley-Terry rating with intervals.

    The win rate has its Wilson interval, the rating its bootstrap interval, and
    ``enough_votes`` says whether there are enough votes to read the rating. What every human-preference table shows (the report's, the web app's), so a rating never
    appears without its interval and its vote count.

    Examples
    --------
    >>> row = {r["system"]: r for r in preference_table(["x"], ["y"], ["a"])}["x"]
    >>> row["votes"], row["enough_votes"], round(row["win_low"], 2), row["win_high"]
    (1, False, 0.21, 1.0)
    """
    bt = bootstrap_bradley_terry(systems_a, systems_b, outcomes, systems=systems,
                                 n_resamples=n_resamples, seed=seed, confidence=confidence)
    wins = {r["system"]: r for r in win_rate_intervals(
        systems_a, systems_b, outcomes, systems=bt.fit.systems, confidence=confidence).rows()}
    return [{**row, **wins[str(row["system"])]} for row in bt.rows()]
