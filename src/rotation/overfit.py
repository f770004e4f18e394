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
  (CSCV): how often the variant that is best in sample ranks strictly below the median out
  of sample. Bailey, D. H., J. M. Borwein, M. López de Prado and Q. J. Zhu (2017), "The
  Probability of Backtest Overfitting", Journal of Computational Finance 20(4), pp. 39-69,
  section 2.
- Superior Predictive Ability (SPA): the p-value of the null "no variant's expected daily
  return beats the benchmark's", which accounts for the search over all the variants
  (``spa_test``, with ``arch.bootstrap.SPA``). Hansen, P. R. (2005), "A Test for Superior
  Predictive Ability", Journal of Business & Economic Statistics 23(4), pp. 365-380.
- Effective number of trials: ``N_eff = rho + (1 - rho) * N`` from the average pairwise
  correlation ``rho`` of the trials' returns: 1 when they all move together, N when they
  are uncorrelated. The DSR's ``N`` is meant to count *independent* trials (Bailey and López
  de Prado 2014, section 3); a grid of near-identical variants is few trials, not many. This
  is the simple average-correlation estimate, not López de Prado's clustering of trials.

Variants whose returns are identical are one trial: PBO collapses them before CSCV, and the
effective number of trials counts them once.

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
from scipy.stats import norm, rankdata
from scipy.stats import skew as _skew

from rotation.metrics import finite_or_none

__all__ = [
    "EULER_GAMMA",
    "PBO",
    "PBO_RULE",
    "deflated_sharpe_ratio",
    "distinct_columns",
    "effective_trials",
    "expected_max_sharpe",
    "moments",
    "pbo_cscv",
    "probabilistic_sharpe_ratio",
    "selection_statistics",
    "sharpe_ratio",
]

EULER_GAMMA = 0.5772156649015329
"""The Euler-Mascheroni constant, in the expected maximum of N Gaussian draws."""

PBO_RULE = (
    "a split counts as overfit when the in-sample best ranks strictly below the "
    "out-of-sample median (logit < 0); ranks tied out of sample share their average rank, "
    "variants tied in sample share their mean out-of-sample rank, so a full tie (logit 0) "
    "is not overfit; variants with identical returns are collapsed into one first"
)
"""How PBO counts a split, in words (printed with the number)."""

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


def expected_max_sharpe(n_trials: float, var_sr: float, mean_sr: float = 0.0) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled trials.

    Bailey and López de Prado (2014), eq. (2) (the "False Strategy" theorem)::

        E[max SR] = mean + sqrt(V[SR_n]) * ((1 - gamma) * Z^-1(1 - 1/N)
                                            + gamma * Z^-1(1 - 1/(N e)))

    where ``V[SR_n]`` (``var_sr``) is the variance of the trials' estimated Sharpe ratios,
    ``gamma`` the Euler-Mascheroni constant and ``Z^-1`` the standard normal quantile. One
    trial has nothing to select from: the answer is ``mean_sr``. ``n_trials`` may be a
    fractional effective count (``effective_trials``); the approximation, asymptotic in N,
    dips below ``mean_sr`` for N under about 1.3, where the best of N >= 1 trials cannot be
    expected to fall short of one trial, so it is held at ``mean_sr`` there.
    """
    if not n_trials >= 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1 or not var_sr > 0:
        return float(mean_sr)
    z = (1.0 - EULER_GAMMA) * norm.ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * norm.ppf(
        1.0 - 1.0 / (n_trials * math.e)
    )
    return float(mean_sr + math.sqrt(var_sr) * max(z, 0.0))


def deflated_sharpe_ratio(
    sr: float, n_obs: int, skew: float, kurtosis: float, n_trials: float, var_sr: float
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
    """The outcome of CSCV (``PBO_RULE`` says how a split is counted).

    ``pbo``: share of combinations whose logit is < 0 (the in-sample best ranked strictly
    below the out-of-sample median). ``logits``: ``(C,)`` one per combination,
    ``ln(w / (1 - w))`` of the relative out-of-sample rank ``w`` of the in-sample best.
    ``is_metric`` / ``oos_metric``: ``(C,)`` that variant's metric in and out of sample.
    ``chosen``: ``(C,)`` its column in the input (the first of the variants tied in sample).
    ``n_distinct``: the distinct columns CSCV ran on (identical columns are one variant).
    ``rows_used``: rows kept (the oldest ``T mod S`` rows are dropped so the blocks are equal).
    """

    pbo: float
    logits: np.ndarray
    is_metric: np.ndarray
    oos_metric: np.ndarray
    chosen: np.ndarray
    n_splits: int
    rows_used: int
    n_distinct: int

    @property
    def n_combinations(self) -> int:
        return len(self.logits)


def distinct_columns(returns: np.ndarray) -> np.ndarray:
    """Indices of the first of each group of identical columns of ``(T, N)`` ``returns``, in
    column order. Identical means equal value for value (NaN equals NaN, -0.0 equals 0.0).

    Columns are grouped by a fingerprint (a fixed-weight sum, the same for equal columns)
    and compared in full only within a group, so a sweep of many variants is not copied."""
    r = np.asarray(returns, dtype=np.float64)
    fingerprints = _fingerprints_nb(r)
    groups: dict[float | str, list[int]] = {}
    keep: list[int] = []
    for j, fp in enumerate(fingerprints.tolist()):
        members = groups.setdefault(fp if fp == fp else "nan", [])
        if not any(np.array_equal(r[:, k], r[:, j], equal_nan=True) for k in members):
            members.append(j)
            keep.append(j)
    return np.array(keep, dtype=np.int64)


@njit(cache=True)
def _fingerprints_nb(returns: np.ndarray) -> np.ndarray:
    """(N,) ``sum_i returns[i, j] * (1 + i / T)``, added in row order: equal columns give equal
    sums bit for bit, and a shift of returns between days changes the sum."""
    n_rows, n = returns.shape
    out = np.empty(n)
    for j in range(n):
        total = 0.0
        for i in range(n_rows):
            total += (returns[i, j] + 0.0) * (1.0 + i / n_rows)
        out[j] = total
    return out


def pbo_cscv(
    returns: np.ndarray,
    n_splits: int = 16,
    metric: Metric = sharpe_ratio,
) -> PBO:
    """Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado, Zhu).

    ``returns``: ``(T, N)``, with at least 2 distinct columns (identical columns are
    collapsed into one first: running a variant twice is not a second trial). The procedure
    of section 2 of the paper:

    1. Split the rows into ``S = n_splits`` (even) contiguous blocks of equal size.
    2. For each of the C(S, S/2) ways to pick S/2 blocks as the training set J (the other
       S/2 blocks, J', are the test set; both keep their time order):
    3. compute ``metric`` of every variant on J and on J'; take the variant n* that is best
       on J;
    4. its relative rank out of sample is ``w = rank(n* on J') / (N + 1)``, ranks 1 (worst)
       .. N (best), ties sharing their average rank; when several variants tie for best on
       J, ``rank`` is the mean of their out-of-sample ranks (the expected rank of a pick
       among them); its logit is ``ln(w / (1 - w))``.
    5. PBO = share of the logits that are < 0: the pick ranks strictly below the median
       out of sample. A logit of exactly 0 (at the median, e.g. every variant tied out of
       sample) is not counted as overfit.

    A metric of NaN (a variant that never varies) ranks below every number. With the
    default ``metric`` (Sharpe ratio) the combinations are evaluated from per-block sums
    computed column by column in a fixed order (compensated), so equal returns give equal
    Sharpe ratios bit for bit, whatever the memory layout of ``returns``.
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
    keep = distinct_columns(r)
    if len(keep) < 2:
        raise ValueError(
            f"pbo_cscv: the {r.shape[1]} variants have identical returns: 1 distinct "
            "variant, nothing to choose between"
        )
    r = r[r.shape[0] - block * n_splits :, keep]
    n = r.shape[1]
    combos = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    train = np.zeros((len(combos), n_splits), dtype=bool)
    train[np.arange(len(combos))[:, None], combos] = True

    if metric is sharpe_ratio:
        chosen, is_best, oos_best, rank = _cscv_sharpe(r, n_splits, train)
    else:
        blocks = r.reshape(n_splits, block, n)
        is_all = np.array([metric(blocks[t].reshape(-1, n)) for t in train])
        oos_all = np.array([metric(blocks[~t].reshape(-1, n)) for t in train])
        is_all = np.where(np.isnan(is_all), -np.inf, is_all)
        oos_all = np.where(np.isnan(oos_all), -np.inf, oos_all)
        chosen = np.argmax(is_all, axis=1)
        rows = np.arange(len(combos))
        is_best, oos_best = is_all[rows, chosen], oos_all[rows, chosen]
        oos_ranks = rankdata(oos_all, method="average", axis=1)  # 1 = worst, ties averaged
        tied_best = is_all == is_best[:, None]
        rank = (oos_ranks * tied_best).sum(axis=1) / tied_best.sum(axis=1)
    w = rank / (n + 1)
    logits = np.log(w / (1.0 - w))
    return PBO(
        pbo=float(np.mean(logits < 0)),
        logits=logits,
        is_metric=is_best,
        oos_metric=oos_best,
        chosen=keep[chosen],
        n_splits=n_splits,
        rows_used=r.shape[0],
        n_distinct=n,
    )


def _cscv_sharpe(
    returns: np.ndarray, n_splits: int, train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSCV with the Sharpe ratio (ddof=1), from per-block counts, sums and sums of squares.
    Returns, per combination: the in-sample best column, its Sharpe ratio in and out of
    sample, and its out-of-sample rank (1 = worst, ties averaged); NaN Sharpe ratios count
    as -inf.

    No shift (such as the column's mean) enters the sums: it would differ between two
    columns that agree on some blocks only, and so would their Sharpe ratios there, in the
    last bits, which decides rankings between variants that trade alike."""
    if not np.array_equal(train[::-1], ~train):
        raise ValueError("_cscv_sharpe: combinations must be in lexicographic order")
    s1, s2 = _block_sums_nb(returns, n_splits)
    count = (returns.shape[0] // n_splits) * (n_splits // 2)
    return _cscv_sharpe_nb(s1, s2, count, train)


@njit(cache=True)
def _block_sums_nb(returns: np.ndarray, n_splits: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, S) sums and sums of squares of each column over each block of rows, added row by
    row in time order with Neumaier's compensation: the same values give the same sums
    bit for bit, whatever the array's memory layout."""
    n_rows, n = returns.shape
    size = n_rows // n_splits
    s1 = np.empty((n, n_splits))
    s2 = np.empty((n, n_splits))
    for j in range(n):
        for s in range(n_splits):
            a = 0.0
            ca = 0.0
            b = 0.0
            cb = 0.0
            for i in range(s * size, (s + 1) * size):
                x = returns[i, j]
                t = a + x
                ca += (a - t) + x if abs(a) >= abs(x) else (x - t) + a
                a = t
                x2 = x * x
                t = b + x2
                cb += (b - t) + x2 if abs(b) >= abs(x2) else (x2 - t) + b
                b = t
            s1[j, s] = a + ca
            s2[j, s] = b + cb
    return s1, s2


@njit(cache=True)
def _sharpe_from_sums(
    s1: np.ndarray, s2: np.ndarray, count: int, blocks_in: np.ndarray, out: np.ndarray
) -> None:
    """``out[j]``: column j's Sharpe ratio over the blocks ``blocks_in`` (-inf if flat).

    ``s1``, ``s2``: (N, S) per-block sums; the blocks are added in ascending order."""
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
            out[j] = mean / np.sqrt(var)
        else:
            out[j] = -np.inf


@njit(cache=True)
def _rank_best(is_values: np.ndarray, oos_values: np.ndarray) -> tuple[int, float, float, float]:
    """The first column best in sample, its values in and out of sample, and the mean
    out-of-sample rank (1 = worst, ties averaged) of the columns tied for best in sample."""
    n = is_values.shape[0]
    best = 0
    for j in range(1, n):
        if is_values[j] > is_values[best]:
            best = j
    total = 0.0
    picks = 0
    for k in range(n):
        if is_values[k] != is_values[best]:
            continue
        below = 0
        tied = 0
        for j in range(n):
            if oos_values[j] < oos_values[k]:
                below += 1
            elif oos_values[j] == oos_values[k]:
                tied += 1
        total += below + (tied + 1) / 2.0
        picks += 1
    return best, is_values[best], oos_values[best], total / picks


@njit(cache=True)
def _cscv_sharpe_nb(
    s1: np.ndarray, s2: np.ndarray, count: int, train: np.ndarray
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
        _sharpe_from_sums(s1, s2, count, inside, first)
        _sharpe_from_sums(s1, s2, count, outside, second)
        chosen[c], is_best[c], oos_best[c], rank[c] = _rank_best(first, second)
        if other != c:
            chosen[other], is_best[other], oos_best[other], rank[other] = _rank_best(second, first)
    return chosen, is_best, oos_best, rank


def effective_trials(returns: np.ndarray) -> tuple[float, float]:
    """(``N_eff``, ``rho``): the effective number of independent trials among the ``(T, N)``
    ``returns`` columns, ``N_eff = rho + (1 - rho) * N``, from their average pairwise
    correlation ``rho`` (module docstring). Columns that never vary carry no correlation and
    are left out of ``rho``; ``N_eff`` is kept within [1, N] (a negative ``rho`` does not make
    more trials than were run). Computed without the N x N matrix: the sum of all pairwise
    correlations is the squared norm of the sum of the standardized columns, / (T - 1)."""
    r = np.asarray(returns, dtype=np.float64)
    n_rows, n = r.shape
    if n < 2 or n_rows < 3:
        return float(n), math.nan
    total = np.zeros(n_rows)
    varying = 0
    for start in range(0, n, 1024):  # columns in chunks: memory stays a fraction of r's
        chunk = r[:, start : start + 1024]
        std = chunk.std(axis=0, ddof=1)
        ok = std > 0
        total += ((chunk[:, ok] - chunk[:, ok].mean(axis=0)) / std[ok]).sum(axis=1)
        varying += int(ok.sum())
    if varying < 2:
        return float(n), math.nan
    rho = (float(total @ total) / (n_rows - 1) - varying) / (varying * (varying - 1))
    return float(min(max(rho + (1.0 - rho) * n, 1.0), n)), rho


def selection_statistics(
    returns: np.ndarray,
    selected: int,
    *,
    n_splits: int = 16,
    periods_per_year: int = 252,
) -> dict[str, Any]:
    """PSR, DSR and PBO of choosing column ``selected`` out of the ``(T, N)`` ``returns``.

    Everything about the selected column (Sharpe ratio, PSR, DSR) is **in sample**: it was
    chosen on the same returns it is measured on. ``var_sr`` is the variance (ddof=1) of the
    per-period Sharpe ratios of the distinct variants (``distinct_columns``). The DSR is
    given twice: ``dsr`` counts every variant run as a trial (``n_trials`` = N), and
    ``dsr_effective`` the effective number of independent trials ``n_effective``
    (``effective_trials`` of the distinct variants, with their ``mean_correlation``).
    Sharpe ratios are also given annualized (``* sqrt(periods_per_year)``) for display.
    PBO is ``None`` (with ``pbo_note``) when fewer than 2 variants are distinct or T is too
    short for ``n_splits``; ``pbo_rule`` says how it counts. A JSON-safe dict.
    """
    r = np.asarray(returns, dtype=np.float64)
    n_trials = r.shape[1]
    distinct = r[:, distinct_columns(r)]
    sharpes = sharpe_ratio(distinct)
    finite = sharpes[np.isfinite(sharpes)]
    var_sr = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    n_effective, rho = effective_trials(distinct)
    m = moments(r[:, selected])
    scale = math.sqrt(periods_per_year)
    args = (m["sharpe"], m["n_obs"], m["skew"], m["kurtosis"])
    out: dict[str, Any] = {
        "selected": int(selected),
        "in_sample": (
            "the selected variant's sharpe, psr and dsr are in sample: it was chosen on the "
            "same days they are measured on"
        ),
        "n_trials": int(n_trials),
        "n_distinct": int(distinct.shape[1]),
        "mean_correlation": finite_or_none(rho),
        "n_effective": finite_or_none(n_effective),
        "n_obs": m["n_obs"],
        "sharpe": finite_or_none(m["sharpe"] * scale),
        "skew": finite_or_none(m["skew"]),
        "kurtosis": finite_or_none(m["kurtosis"]),
        "sharpe_std_across_trials": finite_or_none(math.sqrt(var_sr) * scale),
        "expected_max_sharpe": finite_or_none(expected_max_sharpe(n_trials, var_sr) * scale),
        "expected_max_sharpe_effective": finite_or_none(
            expected_max_sharpe(n_effective, var_sr) * scale
        ),
        "psr": finite_or_none(probabilistic_sharpe_ratio(*args)),
        "dsr": finite_or_none(deflated_sharpe_ratio(*args, n_trials, var_sr)),
        "dsr_effective": finite_or_none(deflated_sharpe_ratio(*args, n_effective, var_sr)),
        "pbo": None,
        "pbo_rule": PBO_RULE,
        "pbo_splits": n_splits,
        "pbo_combinations": None,
    }
    try:
        result = pbo_cscv(r, n_splits=n_splits)
    except ValueError as exc:
        out["pbo_note"] = str(exc).removeprefix("pbo_cscv: ")
    else:
        out["pbo"] = result.pbo
        out["pbo_combinations"] = result.n_combinations
        out["pbo_median_logit"] = float(np.median(result.logits))
    return out


SPA_REPS = 1000
"""Stationary-bootstrap draws of the SPA test, for up to ``SPA_BUDGET / SPA_REPS`` variants."""
SPA_BUDGET = 500_000
"""Draws x variants: beyond 500 distinct variants the draws shrink to keep the test's cost
(about reps x T x N) near that of 1,000 draws of 500 variants, never below ``SPA_MIN_REPS``."""
SPA_MIN_REPS = 200
SPA_BLOCK = 21
"""Mean block length of the SPA bootstrap, in days (a month of daily returns)."""
SPA_MAX_VARIANTS = 1000
"""At most this many distinct variants enter the SPA test (measured on 2,900 days: 500
variants at 1,000 draws ~4.5 s, 1,000 at 500 draws ~6.5 s, 2,000 at 250 draws ~18 s)."""
SPA_SEED = 20260516


def spa_test(
    returns: np.ndarray,
    benchmark: np.ndarray,
    *,
    reps: int | None = None,
    block: int = SPA_BLOCK,
    max_variants: int = SPA_MAX_VARIANTS,
    seed: int = SPA_SEED,
) -> dict[str, Any]:
    """Hansen's SPA test of the ``(T, N)`` ``returns`` against the ``(T,)`` ``benchmark``
    returns (losses = minus returns; stationary bootstrap of mean block ``block``, seeded;
    ``reps`` draws, by default ``SPA_REPS`` shrunk to the ``SPA_BUDGET``). Identical variants
    count once; beyond ``max_variants`` distinct ones, those with the highest mean return over
    the benchmark's are kept, which makes the test less strict (``spa_note`` says so). Days
    where any series is not finite are dropped.
    ``spa_p_value`` is Hansen's consistent p-value, with the lower and upper bounds beside it.
    A JSON-safe dict."""
    from arch.bootstrap import SPA

    r = np.asarray(returns, dtype=np.float64)
    b = np.asarray(benchmark, dtype=np.float64)
    r = r[:, distinct_columns(r)]
    rows = np.isfinite(b) & np.isfinite(r).all(axis=1)
    r, b = r[rows], b[rows]
    out: dict[str, Any] = {
        "spa_p_value": None,
        "spa_p_lower": None,
        "spa_p_upper": None,
        "spa_variants": int(r.shape[1]),
        "spa_obs": len(b),
        "spa_reps": None,
        "spa_block": block,
        "spa_null": "no variant's expected daily return exceeds the benchmark's",
    }
    if r.shape[1] > max_variants:
        keep = np.argsort(-(r - b[:, None]).mean(axis=0), kind="stable")[:max_variants]
        r = r[:, np.sort(keep)]
        out["spa_variants"] = max_variants
        out["spa_note"] = (
            f"only the {max_variants} distinct variants with the highest mean return over the "
            "benchmark's: less strict than testing all"
        )
    if reps is None:
        reps = max(SPA_MIN_REPS, min(SPA_REPS, SPA_BUDGET // max(r.shape[1], 1)))
    out["spa_reps"] = reps
    if len(b) < 2 * block or r.shape[1] == 0:
        out["spa_note"] = f"too few days ({len(b)}) for blocks of {block}"
        return out
    spa = SPA(-b, -r, block_size=block, reps=reps, seed=np.random.default_rng(seed))
    spa.compute()
    p = spa.pvalues
    out.update(
        spa_p_value=finite_or_none(float(p["consistent"])),
        spa_p_lower=finite_or_none(float(p["lower"])),
        spa_p_upper=finite_or_none(float(p["upper"])),
    )
    return out
