"""Regime states from the composite score, with hysteresis and a minimum holding period.

Two methods (``RegimeConfig.method``): fixed thresholds with hysteresis (``classify``), or a
Gaussian hidden Markov model refitted walk-forward on past composite values only
(``hmm_classify``). Both walk forward: the state on day t depends on the composite up to t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numba
import numpy as np
import pandas as pd

from rotation._types import Regime
from rotation.config import RegimeConfig

ABUNDANT, NEUTRAL, SCARCE = "abundant", "neutral", "scarce"
STATES = (ABUNDANT, NEUTRAL, SCARCE)


def classify(composite: pd.Series, rules: RegimeConfig) -> Regime:
    """State per day from the composite, walking forward only.

    From neutral, the state becomes scarce when the composite reaches ``scarce_enter`` and
    abundant when it falls to ``abundant_enter``. Scarce lasts until the composite falls below
    ``scarce_exit`` (abundant until it rises above ``abundant_exit``); a state is held at
    least ``min_days`` rows before it may change. NaN composite: the state is NaN (warm-up)
    before the first known value and unchanged on later gaps.
    """
    if rules.method == "hmm":
        return hmm_classify(composite, rules)
    codes = _threshold_codes(
        composite.to_numpy(dtype="float64"),
        rules.scarce_enter,
        rules.scarce_exit,
        rules.abundant_enter,
        rules.abundant_exit,
        rules.min_days,
    )
    return _labelled(codes, composite.index)


@numba.njit(cache=True)
def _threshold_codes(
    values: np.ndarray,
    scarce_enter: float,
    scarce_exit: float,
    abundant_enter: float,
    abundant_exit: float,
    min_days: int,
) -> np.ndarray:
    """The walk of ``classify``: -1 unknown, else an index into ``STATES`` per row."""
    codes = np.full(len(values), -1, dtype=np.int8)
    state, held = -1, 0  # held: rows the current state has lasted before this row
    for i in range(len(values)):
        x = values[i]
        if np.isnan(x):
            codes[i] = state
            if state >= 0:
                held += 1
            continue
        if state == -1:
            state, held = 1, 0
        proposed = state
        if state == 1:
            if x >= scarce_enter:
                proposed = 2
            elif x <= abundant_enter:
                proposed = 0
        elif state == 2 and x < scarce_exit:
            proposed = 0 if x <= abundant_enter else 1
        elif state == 0 and x > abundant_exit:
            proposed = 2 if x >= scarce_enter else 1
        if proposed != state and held >= min_days:
            state, held = proposed, 0
        held += 1
        codes[i] = state
    return codes


def _labelled(codes: np.ndarray, index: pd.Index) -> Regime:
    labels = np.array(STATES, dtype=object)
    out = pd.Series(np.where(codes >= 0, labels[np.clip(codes, 0, 2)], None), index=index)
    return out.astype("object").rename("regime")


def spells(regime: Regime) -> pd.DataFrame:
    """One row per uninterrupted run of a state: state, start, end, days (rows)."""
    known = regime.dropna()
    if known.empty:
        return pd.DataFrame(columns=["state", "start", "end", "days"])
    new = known.ne(known.shift()).to_numpy()
    spell_id = np.cumsum(new)
    groups = pd.DataFrame({"state": known.to_numpy(), "id": spell_id, "date": known.index})
    out = groups.groupby("id").agg(
        state=("state", "first"), start=("date", "first"), end=("date", "last"), days=("id", "size")
    )
    return out.reset_index(drop=True)


def regime_changes(regime: Regime) -> pd.Series:
    """Boolean per day: the known state differs from the previous day's known state."""
    known = regime.dropna()
    changed = known.ne(known.shift()) & known.shift().notna()
    return changed.reindex(regime.index, fill_value=False)


# --- Gaussian HMM, walk-forward ------------------------------------------------------------


@dataclass(frozen=True)
class HmmFit:
    """A fitted 1-D Gaussian HMM; states ordered by ascending ``means``."""

    initial: np.ndarray  # (K,) state probabilities at the first observation
    transition: np.ndarray  # (K, K) row i -> probability of moving to state j
    means: np.ndarray  # (K,)
    variances: np.ndarray  # (K,)
    log_likelihood: float
    iterations: int


_VARIANCE_FLOOR = 1e-4


@numba.njit(cache=True)
def _emission(
    x: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> np.ndarray:  # pragma: no cover - numba
    n, k = x.shape[0], means.shape[0]
    out = np.empty((n, k))
    for t in range(n):
        for j in range(k):
            d = x[t] - means[j]
            out[t, j] = np.exp(-0.5 * d * d / variances[j]) / np.sqrt(2 * np.pi * variances[j])
    return out


@numba.njit(cache=True)
def _forward(
    x: np.ndarray,
    initial: np.ndarray,
    transition: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:  # pragma: no cover - numba
    """Scaled forward pass: alpha[t] = P(state_t | x_1..x_t) (filtered), and log P(x)."""
    n, k = x.shape[0], means.shape[0]
    b = _emission(x, means, variances)
    alpha = np.empty((n, k))
    scale = np.empty(n)
    for t in range(n):
        total = 0.0
        for j in range(k):
            if t == 0:
                prior = initial[j]
            else:
                prior = 0.0
                for i in range(k):
                    prior += alpha[t - 1, i] * transition[i, j]
            alpha[t, j] = prior * b[t, j] + 1e-300
            total += alpha[t, j]
        scale[t] = total
        for j in range(k):
            alpha[t, j] /= total
    return alpha, scale, np.log(scale).sum()


@numba.njit(cache=True)
def _baum_welch(
    x: np.ndarray,
    initial: np.ndarray,
    transition: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, int]:  # pragma: no cover - numba
    n, k = x.shape[0], means.shape[0]
    previous = -np.inf
    loglik = -np.inf
    iterations = 0
    for iteration in range(max_iter):
        iterations = iteration + 1
        b = _emission(x, means, variances)
        alpha, scale, loglik = _forward(x, initial, transition, means, variances)
        beta = np.ones((n, k))
        for t in range(n - 2, -1, -1):
            for i in range(k):
                acc = 0.0
                for j in range(k):
                    acc += transition[i, j] * b[t + 1, j] * beta[t + 1, j]
                beta[t, i] = acc / scale[t + 1]
        gamma = alpha * beta
        for t in range(n):
            gamma[t] /= gamma[t].sum()
        xi = np.zeros((k, k))
        for t in range(n - 1):
            for i in range(k):
                for j in range(k):
                    xi[i, j] += (
                        alpha[t, i] * transition[i, j] * b[t + 1, j] * beta[t + 1, j] / scale[t + 1]
                    )
        initial = gamma[0].copy()
        for i in range(k):
            row = xi[i].sum()
            for j in range(k):
                transition[i, j] = xi[i, j] / row if row > 0 else 1.0 / k
        for j in range(k):
            weight = gamma[:, j].sum()
            if weight > 1e-12:
                means[j] = (gamma[:, j] * x).sum() / weight
                d = x - means[j]
                variances[j] = max((gamma[:, j] * d * d).sum() / weight, 1e-4)
        if loglik - previous < tol * max(1.0, abs(loglik)):
            break
        previous = loglik
    return initial, transition, means, variances, loglik, iterations


def fit_hmm(
    values: np.ndarray,
    n_states: int,
    *,
    start: HmmFit | None = None,
    max_iter: int = 200,
    tol: float = 1e-7,
) -> HmmFit:
    """Fit a Gaussian HMM to ``values`` (1-D, no NaN) by Baum-Welch (EM).

    Starts from ``start`` (a previous fit, e.g. on a shorter history) or, deterministically,
    from means at the (k + 1/2)/K quantiles, the sample variance for every state and 0.95
    persistence. States are returned ordered by ascending mean.
    """
    x = np.ascontiguousarray(values, dtype="float64")
    k = n_states
    if start is not None and len(start.means) == k:
        means, variances = start.means.copy(), start.variances.copy()
        transition, initial = start.transition.copy(), start.initial.copy()
    else:
        means = np.quantile(x, (np.arange(k) + 0.5) / k)
        variances = np.full(k, max(float(x.var()), _VARIANCE_FLOOR))
        transition = np.full((k, k), 0.05 / (k - 1))
        np.fill_diagonal(transition, 0.95)
        initial = np.full(k, 1.0 / k)
    initial, transition, means, variances, loglik, iterations = _baum_welch(
        x, initial, transition, means, variances, max_iter, tol
    )
    order = np.argsort(means)
    return HmmFit(
        initial=initial[order],
        transition=transition[np.ix_(order, order)],
        means=means[order],
        variances=variances[order],
        log_likelihood=float(loglik),
        iterations=int(iterations),
    )


def filtered_probabilities(values: np.ndarray, fit: HmmFit) -> np.ndarray:
    """(T, K): P(state_t | values_1..values_t) under ``fit`` (the forward pass; no smoothing)."""
    x = np.ascontiguousarray(values, dtype="float64")
    alpha, _, _ = _forward(x, fit.initial, fit.transition, fit.means, fit.variances)
    return alpha


_REFIT_PERIOD = {"yearly": "Y", "quarterly": "Q", "monthly": "M"}


def hmm_classify(composite: pd.Series, rules: RegimeConfig) -> Regime:
    """States from a Gaussian HMM on the composite, refitted walk-forward.

    Refit dates are the first day of each ``rules.hmm_refit`` period once
    ``rules.hmm_min_train_days`` composite values are known. The model used from refit date r
    until the next one is fitted on the composite values dated strictly before r (EM started
    from the previous refit's parameters, themselves fitted on earlier data); each day's
    state is the most likely one given the composite up to that day (forward filter), mapped
    by ascending mean to abundant / scarce (2 states) or abundant / neutral / scarce (3), then
    held at least ``rules.min_days`` rows. NaN before the first fit; gaps keep the last state.
    """
    known = composite.dropna()
    x = known.to_numpy(dtype="float64")
    index = cast(pd.DatetimeIndex, known.index)  # the composite is indexed by date
    raw = np.full(len(x), -1, dtype=np.int8)
    if len(x) > rules.hmm_min_train_days:
        periods = index.to_period(_REFIT_PERIOD[rules.hmm_refit])
        starts = np.flatnonzero(np.r_[True, periods[1:] != periods[:-1]])
        starts = starts[starts >= rules.hmm_min_train_days]
        labels = np.array([0, 2] if rules.hmm_states == 2 else [0, 1, 2], dtype=np.int8)
        fit = None
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else len(x)
            fit = fit_hmm(x[:start], rules.hmm_states, start=fit)
            probs = filtered_probabilities(x[:stop], fit)[start:stop]
            raw[start:stop] = labels[probs.argmax(axis=1)]
    codes = pd.Series(raw, index=index).reindex(composite.index).ffill().fillna(-1)
    return _labelled(_hold(codes.to_numpy(dtype=np.int8), rules.min_days), composite.index)


def _hold(proposed: np.ndarray, min_days: int) -> np.ndarray:
    """Accept a change of state only once the current state has lasted ``min_days`` rows."""
    codes = np.full(len(proposed), -1, dtype=np.int8)
    state, held = -1, 0
    for i, p in enumerate(proposed):
        if state == -1 or (p != state and p >= 0 and held >= min_days):
            state, held = int(p), 0
        held += state >= 0
        codes[i] = state
    return codes
