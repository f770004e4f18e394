"""How much of a sweep's best result is luck: PSR, DSR and PBO, as pure functions.

Every Sharpe ratio here is **per period** (daily, not annualized): the formulas below are
stated for the per-observation Sharpe ratio, and annualizing changes the answers. Multiply by
``sqrt(252)`` to show one next to the engine's annualized Sharpe ratios.

- Probabilistic Sharpe Ratio (PSR): the probability that the true Sharpe ratio exceeds a
  benchmark ``SR*``, given the estimate's sample length, skewness and kurtosis.
  Bailey, D. H. and M. López de Prado (2012), "The Sharpe Ratio Efficient Frontier",
  Journal of Risk 15(2), eq. (11).
- Deflated Sharpe Ratio (DSR): the PSR against the Sharpe ratio that the best of N unskilled
  trials would reach by chance, which grows with N and the variance of the trials' Sharpe
  ratios. Bailey, D. H. and M. López de Prado (2014), "The Deflated Sharpe Ratio: Correcting
  for Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio
  Management 40(5), pp. 94-107, eqs. (1)-(2).
- Probability of Backtest Overfitting (PBO) by combinatorially symmetric cross-validation
  (CSCV): how often the variant that is best in sample ranks in the bottom half out of
  sample. Bailey, D. H., J. M. Borwein, M. López de Prado and Q. J. Zhu (2017), "The
  Probability of Backtest Overfitting", Journal of Computational Finance 20(4), pp. 39-69,
  section 2.

Returns matrices are ``(T, N)``: T periods (rows, oldest first) by N variants (columns) of
simple returns.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit
from scipy.stats import kurtosis as _kurtosis
from scipy.stats import norm
from scipy.stats import skew as _skew

from rotation.metrics import finite_or_none

__all__ = [
    "EULER_GAMMA",
    "PBO",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "moments",
    "pbo_cscv",
    "probabilistic_sharpe_ratio",
    "selection_statistics",
    "sharpe_ratio",
]

EULER_GAMMA = 0.5772156649015329
"""The Euler-Mascheroni constant, in the expected maximum of N Gaussian draws."""

Metric = Callable[[np.ndarray], np.ndarray]
"""A performance statistic per column: ``(rows, N)`` returns -> ``(N,)``; higher is better."""


def sharpe_ratio(returns: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of each column: mean / standard deviation (ddof=1), no
    risk-free rate. ``(T, N)`` -> ``(N,)``; a 1-D input gives a 0-d array. NaN where a column
    does not vary. Equals ``empyrical.sharpe_ratio`` divided by ``sqrt(252)``."""
    r = np.asarray(returns, dtype=np.float64)
    std = r.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, r.mean(axis=0) / np.where(std > 0, std, 1.0), np.nan)


def moments(returns: np.ndarray) -> dict[str, Any]:
    """What the PSR needs of one return series: ``n_obs``, per-period ``sharpe``, ``skew`` and
    ``kurtosis`` (Pearson's, *not* excess: 3 for a normal distribution). Skewness and
    kurtosis are the sample moments the papers use (biased, divided by T)."""
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"moments: expected one series, got shape {r.shape}")
    r = r[np.isfinite(r)]
    return {
        "n_obs": len(r),
        "sharpe": float(sharpe_ratio(r)),
        "skew": float(_skew(r)) if len(r) > 2 else math.nan,
        "kurtosis": float(_kurtosis(r, fisher=False)) if len(r) > 3 else math.nan,
    }


def probabilistic_sharpe_ratio(
    sr: float, n_obs: int, skew: float, kurtosis: float, sr_benchmark: float = 0.0
) -> float:
    """PSR: probability that the true per-period Sharpe ratio exceeds ``sr_benchmark``.

    Bailey and López de Prado (2012), eq. (11)::

        PSR(SR*) = Phi( (SR - SR*) * sqrt(T - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR^2) )

    with ``SR`` the estimated per-period Sharpe ratio over ``T = n_obs`` returns, ``g3`` their
    skewness and ``g4`` their (non-excess) kurtosis; ``Phi`` the standard normal CDF. Negative
    skew and fat tails widen the estimate's error and lower the PSR.
    """
    if n_obs < 2 or not np.isfinite(sr):
        return math.nan
    variance = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr**2
    if not variance > 0:
        return math.nan
    return float(norm.cdf((sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(variance)))


def expected_max_sharpe(n_trials: int, var_sr: float, mean_sr: float = 0.0) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials.

    Bailey and López de Prado (2014), eq. (2) (the "False Strategy" theorem)::

        E[max SR] = mean + sqrt(V[SR_n]) * ((1 - gamma) * Z^-1(1 - 1/N)
                                            + gamma * Z^-1(1 - 1/(N e)))

    where ``V[SR_n]`` (``var_sr``) is the variance of the trials' estimated Sharpe ratios,
    ``gamma`` the Euler-Mascheroni constant and ``Z^-1`` the standard normal quantile. One
    trial has nothing to select from: the answer is ``mean_sr``.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1 or not var_sr > 0:
        return float(mean_sr)
    z = (1.0 - EULER_GAMMA) * norm.ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * norm.ppf(
        1.0 - 1.0 / (n_trials * math.e)
    )
    return float(mean_sr + math.sqrt(var_sr) * z)


def deflated_sharpe_ratio(
    sr: float, n_obs: int, skew: float, kurtosis: float, n_trials: int, var_sr: float
) -> float:
    """DSR: the PSR of the selected per-period Sharpe ratio ``sr`` against the expected
    maximum Sharpe ratio of ``n_trials`` trials whose Sharpe ratios have variance ``var_sr``.

    Bailey and López de Prado (2014), eq. (1)::

        DSR = PSR(SR0),  SR0 = sqrt(V[SR_n]) * ((1 - gamma) * Z^-1(1 - 1/N)
                                               + gamma * Z^-1(1 - 1/(N e)))

    ``n_obs``, ``skew`` and ``kurtosis`` (non-excess) are those of the selected strategy's
    returns. A DSR near 1 says the Sharpe ratio is unlikely to be the luck of the search.
    """
    benchmark = expected_max_sharpe(n_trials, var_sr)
    return probabilistic_sharpe_ratio(sr, n_obs, skew, kurtosis, sr_benchmark=benchmark)


@dataclass(frozen=True)
class PBO:
    """The outcome of CSCV.

    ``pbo``: share of combinations whose logit is <= 0 (the in-sample best ranked in the
    bottom half out of sample, or at the median). ``logits``: ``(C,)`` one per combination,
    ``ln(w / (1 - w))`` of the relative out-of-sample rank ``w`` of the in-sample best.
    ``is_metric`` / ``oos_metric``: ``(C,)`` that variant's metric in and out of sample.
    ``chosen``: ``(C,)`` its column. ``rows_used``: rows kept (the oldest ``T mod S`` rows
    are dropped so the blocks are equal).
    """

    pbo: float
    logits: np.ndarray
    is_metric: np.ndarray
    oos_metric: np.ndarray
    chosen: np.ndarray
    n_splits: int
    rows_used: int

    @property
    def n_combinations(self) -> int:
        return len(self.logits)


def pbo_cscv(
    returns: np.ndarray,
    n_splits: int = 16,
    metric: Metric = sharpe_ratio,
) -> PBO:
    """Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado, Zhu).

    ``returns``: ``(T, N)``, N >= 2 variants. The procedure of section 2 of the paper:

    1. Split the rows into ``S = n_splits`` (even) contiguous blocks of equal size.
    2. For each of the C(S, S/2) ways to pick S/2 blocks as the training set J (the other
       S/2 blocks, J', are the test set; both keep their time order):
    3. compute ``metric`` of every variant on J and on J'; take the variant n* that is best
       on J (the first one on ties);
    4. its relative rank out of sample is ``w = rank(n* on J') / (N + 1)``, ranks 1 (worst)
       .. N (best), ties sharing their average rank; its logit is ``ln(w / (1 - w))``.
    5. PBO = share of the logits that are <= 0.

    A metric of NaN (a variant that never varies) ranks below every number. With the
    default ``metric`` (Sharpe ratio) the combinations are evaluated from per-block sums,
    which gives the same numbers as slicing the rows, in a fraction of the time.
    """
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError(f"pbo_cscv: need a (T, N) matrix with N >= 2, got shape {r.shape}")
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"pbo_cscv: n_splits must be an even number >= 2, got {n_splits}")
    block = r.shape[0] // n_splits
    if block < 2:
        raise ValueError(
            f"pbo_cscv: {r.shape[0]} rows are too few for {n_splits} blocks of >= 2 rows"
        )
    r = r[r.shape[0] - block * n_splits :]
    blocks = r.reshape(n_splits, block, r.shape[1])
    combos = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    train = np.zeros((len(combos), n_splits), dtype=bool)
    train[np.arange(len(combos))[:, None], combos] = True

    if metric is sharpe_ratio:
        chosen, is_best, oos_best, rank = _cscv_sharpe(blocks, train)
    else:
        is_all = np.array([metric(blocks[t].reshape(-1, r.shape[1])) for t in train])
        oos_all = np.array([metric(blocks[~t].reshape(-1, r.shape[1])) for t in train])
        is_all = np.where(np.isnan(is_all), -np.inf, is_all)
        oos_all = np.where(np.isnan(oos_all), -np.inf, oos_all)
        chosen = np.argmax(is_all, axis=1)
        rows = np.arange(len(combos))
        is_best, oos_best = is_all[rows, chosen], oos_all[rows, chosen]
        below = (oos_all < oos_best[:, None]).sum(axis=1)
        tied = (oos_all == oos_best[:, None]).sum(axis=1)  # includes n* itself
        rank = below + (tied + 1) / 2.0
    w = rank / (r.shape[1] + 1)
    logits = np.log(w / (1.0 - w))
    return PBO(
        pbo=float(np.mean(logits <= 0)),
        logits=logits,
        is_metric=is_best,
        oos_metric=oos_best,
        chosen=chosen,
        n_splits=n_splits,
        rows_used=r.shape[0],
    )


def _cscv_sharpe(
    blocks: np.ndarray, train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSCV with the Sharpe ratio (ddof=1), from per-block counts, sums and sums of squares,
    centered on each column's mean so the sums keep their precision. Returns, per
    combination: the in-sample best column, its Sharpe ratio in and out of sample, and its
    out-of-sample rank (1 = worst, ties averaged); NaN Sharpe ratios count as -inf."""
    n_splits, size, n = blocks.shape
    flat = blocks.reshape(-1, n)
    shift = flat.mean(axis=0)
    centered = blocks - shift
    s1 = np.ascontiguousarray(centered.sum(axis=1).T)  # (N, S)
    s2 = np.ascontiguousarray((centered**2).sum(axis=1).T)
    complements = train[::-1]
    if not np.array_equal(complements, ~train):
        raise ValueError("_cscv_sharpe: combinations must be in lexicographic order")
    return _cscv_sharpe_nb(s1, s2, shift, size * (n_splits // 2), train)


@njit(cache=True)
def _sharpe_from_sums(
    s1: np.ndarray,
    s2: np.ndarray,
    shift: np.ndarray,
    count: int,
    blocks_in: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out[j]``: column j's Sharpe ratio over the blocks ``blocks_in`` (-inf if flat).

    ``s1``, ``s2``: (N, S) per-block sums, so a column's blocks are adjacent in memory; the
    blocks are added in ascending order."""
    n = s1.shape[0]
    for j in range(n):
        a = 0.0
        b = 0.0
        for s in blocks_in:
            a += s1[j, s]
            b += s2[j, s]
        mean = a / count
        var = (b - a * mean) / (count - 1)
        if var > 0:
            out[j] = (mean + shift[j]) / np.sqrt(var)
        else:
            out[j] = -np.inf


@njit(cache=True)
def _rank_best(is_values: np.ndarray, oos_values: np.ndarray) -> tuple[int, float, float, float]:
    """The first column best in sample, its values in and out of sample, and its out-of-sample
    rank (1 = worst, ties averaged)."""
    n = is_values.shape[0]
    best = 0
    for j in range(1, n):
        if is_values[j] > is_values[best]:
            best = j
    value = oos_values[best]
    below = 0
    tied = 0
    for j in range(n):
        if oos_values[j] < value:
            below += 1
        elif oos_values[j] == value:
            tied += 1
    return best, is_values[best], value, below + (tied + 1) / 2.0


@njit(cache=True)
def _cscv_sharpe_nb(
    s1: np.ndarray, s2: np.ndarray, shift: np.ndarray, count: int, train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The loop of ``_cscv_sharpe`` over the combinations ``train`` (combos x splits).

    ``train`` lists the combinations in lexicographic order, where the complement of
    combination c is combination C - 1 - c: each half's Sharpe ratios are computed once and
    serve as one combination's in-sample and its complement's out-of-sample values."""
    n_combos, n_splits = train.shape
    n = s1.shape[0]
    chosen = np.empty(n_combos, dtype=np.int64)
    is_best = np.empty(n_combos)
    oos_best = np.empty(n_combos)
    rank = np.empty(n_combos)
    first = np.empty(n)
    second = np.empty(n)
    half = n_splits // 2
    inside = np.empty(half, dtype=np.int64)
    outside = np.empty(half, dtype=np.int64)
    for c in range((n_combos + 1) // 2):
        other = n_combos - 1 - c
        k_in = 0
        k_out = 0
        for s in range(n_splits):
            if train[c, s]:
                inside[k_in] = s
                k_in += 1
            else:
                outside[k_out] = s
                k_out += 1
        _sharpe_from_sums(s1, s2, shift, count, inside, first)
        _sharpe_from_sums(s1, s2, shift, count, outside, second)
        chosen[c], is_best[c], oos_best[c], rank[c] = _rank_best(first, second)
        if other != c:
            chosen[other], is_best[other], oos_best[other], rank[other] = _rank_best(second, first)
    return chosen, is_best, oos_best, rank


def selection_statistics(
    returns: np.ndarray,
    selected: int,
    *,
    n_splits: int = 16,
    periods_per_year: int = 252,
) -> dict[str, Any]:
    """PSR, DSR and PBO of choosing column ``selected`` out of the ``(T, N)`` ``returns``.

    The number of trials is N (every variant tried; correlated variants make this
    conservative) and ``var_sr`` the variance (ddof=1) of their per-period Sharpe ratios.
    Sharpe ratios are also given annualized (``* sqrt(periods_per_year)``) for display.
    PBO is ``None`` (with ``pbo_note``) when N < 2 or T is too short for ``n_splits``.
    A JSON-safe dict.
    """
    r = np.asarray(returns, dtype=np.float64)
    n_trials = r.shape[1]
    sharpes = sharpe_ratio(r)
    finite = sharpes[np.isfinite(sharpes)]
    var_sr = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    m = moments(r[:, selected])
    scale = math.sqrt(periods_per_year)
    expected = expected_max_sharpe(n_trials, var_sr)
    out: dict[str, Any] = {
        "selected": int(selected),
        "n_trials": int(n_trials),
        "n_obs": m["n_obs"],
        "sharpe": finite_or_none(m["sharpe"] * scale),
        "skew": finite_or_none(m["skew"]),
        "kurtosis": finite_or_none(m["kurtosis"]),
        "sharpe_std_across_trials": finite_or_none(math.sqrt(var_sr) * scale),
        "expected_max_sharpe": finite_or_none(expected * scale),
        "psr": finite_or_none(
            probabilistic_sharpe_ratio(m["sharpe"], m["n_obs"], m["skew"], m["kurtosis"])
        ),
        "dsr": finite_or_none(
            deflated_sharpe_ratio(
                m["sharpe"], m["n_obs"], m["skew"], m["kurtosis"], n_trials, var_sr
            )
        ),
        "pbo": None,
        "pbo_splits": n_splits,
        "pbo_combinations": None,
    }
    try:
        result = pbo_cscv(r, n_splits=n_splits)
    except ValueError as exc:
        out["pbo_note"] = str(exc)
    else:
        out["pbo"] = result.pbo
        out["pbo_combinations"] = result.n_combinations
        out["pbo_median_logit"] = float(np.median(result.logits))
    return out
