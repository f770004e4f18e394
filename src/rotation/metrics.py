"""Every statistic of a run, a sweep or a walk-forward window, defined once, in one registry.

Returns are simple daily returns on the trading calendar, shaped ``(T,)`` for one series or
``(T, V)`` for V variants side by side (one column each); a statistic of a ``(T,)`` input is a
float, of a ``(T, V)`` input a ``(V,)`` array. Annualization uses 252 periods.

Sharpe, Sortino and alpha are measured against a risk-free rate: every ``Sample`` carries one
(``risk_free``: the daily rate on the same days, ``(T,)``, or a number; see
``rotation.riskfree``), and those three use ``returns - risk_free`` (and ``benchmark -
risk_free`` for alpha and beta), as empyrical's ``risk_free`` / ``required_return`` arguments
do. Nothing defaults to 0: a caller that wants no rate says ``risk_free=0``.

The arithmetic is empyrical-reloaded's, operation for operation, with the same numpy and
bottleneck primitives, so the numbers equal empyrical's bit for bit (``tests/test_metrics.py``
checks every registry metric against it on random data with NaNs, zeros and short series).
empyrical itself is not imported: it loads scipy and yfinance at import time, over a second of
start-up that a command-line backtest cannot afford.

``METRICS`` is the registry: name, label, which direction is better, unit (how it is printed)
and the function that computes it from a ``Sample``. Run tables, sweep tables, walk-forward
ranking, the compare table and the terminal summary all read it.

Costs. ``fees_paid`` and ``slippage_paid`` are money (the currency of ``init_cash``), summed
over the fills by the engine's kernel (``rotation._sim``; a fill's slippage is
``|execution price - close| * shares``); ``costs_paid`` is their sum. The drags are in % per
year: ``fee_drag = 252 / T * sum over trading days of (that day's fees / portfolio value at the
previous close)`` (``init_cash`` before the first day; T = days in the run), the same for
``slippage_drag``, and ``cost_drag = fee_drag + slippage_drag``. This is the return the costs
took, day by day, as a fraction of the capital they were taken from, annualized without
compounding. It needs no second, cost-free simulation (whose trades would differ: no costs,
different values, different share counts), and it is exact and reproducible from a run folder
alone: orders.csv (fees and slippage per fill, in execution order) and equity.csv (the value at
each close), summing left to right in file order as the kernel does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import bottleneck as bn
import numpy as np
import pandas as pd

from rotation._metric_names import RANKABLE
from rotation._types import Regime, Returns

__all__ = [
    "COSTS",
    "METRICS",
    "PERIODS_PER_YEAR",
    "RANKABLE",
    "Metric",
    "Sample",
    "alpha_beta",
    "annual_return",
    "annual_turnover",
    "annual_volatility",
    "by_regime",
    "calmar_ratio",
    "compute",
    "conditional_value_at_risk",
    "downside_risk",
    "drawdown",
    "finite_or_none",
    "max_drawdown",
    "metric",
    "performance",
    "regime_in_force",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
    "value_at_risk",
]

PERIODS_PER_YEAR = 252

Stat = Any  # float for a (T,) input, np.ndarray (V,) for a (T, V) input


def finite_or_none(x: Any) -> float | None:
    """``float(x)``, or None when ``x`` is None, NaN or infinite (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --- statistics (empyrical-reloaded's arithmetic) --------------------------------------------


def _array(returns: Any) -> np.ndarray:
    return np.asarray(returns, dtype=np.float64)


def _undefined(r: np.ndarray) -> Stat:
    return np.nan if r.ndim == 1 else np.full(r.shape[1:], np.nan)


def _out(x: Any, r: np.ndarray) -> Stat:
    return float(x) if r.ndim == 1 else np.asarray(x, dtype=np.float64)


def total_return(returns: Any) -> Stat:
    """Compounded return over the whole series (NaN days count as 0): prod(1 + r) - 1."""
    r = _array(returns)
    if len(r) == 0:
        return _undefined(r)
    return _out(np.nanprod(r + 1, axis=0) - 1, r)


def annual_return(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """Compound annual growth rate: (1 + total return) ** (annualization / T) - 1."""
    r = _array(returns)
    if len(r) < 1:
        return _undefined(r)
    num_years = len(r) / annualization
    ending_value = np.nanprod(r + 1, axis=0)
    return _out(ending_value ** (1 / num_years) - 1, r)


def annual_volatility(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """Standard deviation (ddof 1, NaNs skipped) times sqrt(annualization)."""
    r = _array(returns)
    if len(r) < 2:
        return _undefined(r)
    return _out(np.multiply(bn.nanstd(r, ddof=1, axis=0), annualization ** (1.0 / 2.0)), r)


def _zero_dispersion_std(values: np.ndarray, std: Any) -> np.ndarray:
    """``std`` with 0 where every present value of a column is equal (empyrical's rule: the
    float residue of a constant column would otherwise make the ratio ~1e15)."""
    with np.errstate(invalid="ignore"):
        constant = (bn.nanmax(values, axis=0) == bn.nanmin(values, axis=0)) & np.isfinite(std)
    return np.where(constant, 0.0, std)


def sharpe_ratio(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """mean / std (ddof 1) * sqrt(annualization); NaN with fewer than 2 days."""
    r = _array(returns)
    if len(r) < 2:
        return _undefined(r)
    std = _zero_dispersion_std(r, bn.nanstd(r, ddof=1, axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.multiply(np.divide(bn.nanmean(r, axis=0), std), np.sqrt(annualization))
    return _out(ratio, r)


def downside_risk(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """sqrt(mean(min(r, 0) ** 2)) * sqrt(annualization): the deviation below 0."""
    r = _array(returns)
    if len(r) < 1:
        return _undefined(r)
    below = np.clip(r, -np.inf, 0)
    np.square(below, out=below)
    risk = np.multiply(np.sqrt(bn.nanmean(below, axis=0)), np.sqrt(annualization))
    return _out(risk, r)


def sortino_ratio(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """Annualized mean return over annualized downside risk; NaN with fewer than 2 days."""
    r = _array(returns)
    if len(r) < 2:
        return _undefined(r)
    average_annual_return = bn.nanmean(r, axis=0) * annualization
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.divide(average_annual_return, downside_risk(r, annualization))
    return _out(ratio, r)


def max_drawdown(returns: Any) -> Stat:
    """Deepest fall below the running peak of the compounded curve, which starts at 1 before
    the first day (negative: -0.25 = 25 % below the peak; 0 if it never fell)."""
    r = _array(returns)
    if len(r) < 1:
        return _undefined(r)
    curve = np.empty((len(r) + 1, *r.shape[1:]))
    curve[0] = 100  # the anchor: the peak before the first day
    nan = np.isnan(r)
    if np.any(nan):
        r = r.copy()
        r[nan] = 0
    np.add(r, 1, out=curve[1:])
    curve[1:].cumprod(axis=0, out=curve[1:])
    np.multiply(curve[1:], 100, out=curve[1:])
    peak = np.fmax.accumulate(curve, axis=0)
    np.divide(curve - peak, peak, out=curve)
    return _out(bn.nanmin(curve[1:], axis=0), r)


def calmar_ratio(returns: Any, annualization: int = PERIODS_PER_YEAR) -> Stat:
    """Annual return over the magnitude of the max drawdown; NaN without a drawdown."""
    r = _array(returns)
    return _out(_calmar(annual_return(r, annualization), max_drawdown(r)), r)


def _calmar(annual: Stat, max_dd: Stat) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.asarray(max_dd) < 0, annual / np.abs(max_dd), np.nan)
    return np.where(np.isinf(ratio), np.nan, ratio)


def alpha_beta(
    returns: Any, benchmark: Any, *, risk_free: Any, annualization: int = PERIODS_PER_YEAR
) -> tuple[Stat, Stat]:
    """(annualized alpha, beta) of ``returns`` against ``benchmark`` (same days, ``(T,)``).

    beta = cov(r, b) / var(b) over the days r is known (NaN when var(b) < 1e-30); alpha =
    (1 + mean((r - rf) - beta * (b - rf))) ** annualization - 1, with ``risk_free`` the daily
    rate rf ((T,) or one number). As empyrical's ``alpha_beta``: beta on the returns, alpha on
    the excess returns.
    """
    r, b = _array(returns), _array(benchmark)
    rf = _array(risk_free)
    columns = r if r.ndim == 2 else r[:, np.newaxis]
    factor = b if b.ndim == 2 else b[:, np.newaxis]
    if len(columns) < 1 or len(factor) < 2:
        beta = np.full(columns.shape[1], np.nan)
    else:
        independent = np.where(np.isnan(columns), np.nan, factor)
        residual = independent - bn.nanmean(independent, axis=0)
        covariances = bn.nanmean(residual * columns, axis=0)
        np.square(residual, out=residual)
        variances = bn.nanmean(residual, axis=0)
        variances[variances < 1.0e-30] = np.nan
        beta = np.divide(covariances, variances)
    if len(r) < 2:
        return _undefined(r), _out(beta[0] if r.ndim == 1 else beta, r)
    slope = float(beta[0]) if r.ndim == 1 else beta
    rate = rf[:, np.newaxis] if r.ndim == 2 and rf.ndim else rf
    residual_returns = (r - rate) - slope * ((b if r.ndim == 1 else factor) - rate)
    alpha = np.subtract(np.power(np.add(bn.nanmean(residual_returns, axis=0), 1), annualization), 1)
    return _out(alpha, r), _out(slope, r)


def value_at_risk(returns: Any, cutoff: float = 0.05) -> float:
    """Historical value at risk of daily ``returns`` ((T,)): their ``cutoff`` percentile
    (numpy's linear interpolation), as empyrical's ``value_at_risk``; negative for a loss."""
    r = _array(returns)
    r = r[~np.isnan(r)]
    return float(np.percentile(r, 100 * cutoff)) if len(r) else math.nan


def conditional_value_at_risk(returns: Any, cutoff: float = 0.05) -> float:
    """Historical conditional value at risk (expected shortfall) of daily ``returns``: the mean
    of the int((T - 1) * ``cutoff``) + 1 worst days, as empyrical's
    ``conditional_value_at_risk`` (NaN days left out first)."""
    r = _array(returns)
    r = r[~np.isnan(r)]
    if not len(r):
        return math.nan
    index = int((len(r) - 1) * cutoff)
    return float(np.mean(np.partition(r, index)[: index + 1]))


def annual_turnover(turnover: Any, days: int) -> Any:
    """One-way turnover a year: ``turnover`` (the engine's sum, over every rebalance after the
    initial investment, of bought plus sold value over the portfolio value before that
    rebalance; ``rotation._sim.SimResult``) / 2, per year of ``days`` trading days.

    Selling a whole portfolio and buying another counts 100 %; a buy-and-hold counts 0 (its
    initial investment is ``initial_investment``, reported apart).
    """
    return np.asarray(turnover, dtype=np.float64) / 2.0 / (days / PERIODS_PER_YEAR)


# --- the registry -----------------------------------------------------------------------------


class Sample:
    """What metrics are computed from: daily ``returns`` ((T,) or (T, V)), the daily
    ``risk_free`` rate on the same days ((T,), or one number for every day; required) and, when
    known, the ``value`` curve they come from (same shape), the ``benchmark``'s daily returns on
    the same days ((T,)), and the engine's ``turnover``, ``initial_turnover`` (see
    ``annual_turnover``) and cost totals (``fees_paid``, ``slippage_paid``, ``fee_drag_sum``,
    ``slippage_drag_sum``: scalars or (V,), as ``rotation._sim.SimResult`` defines them).

    ``sample[name]`` computes a registry metric once and keeps it (calmar reuses the annual
    return and max drawdown).
    """

    def __init__(
        self,
        returns: Any,
        *,
        risk_free: Any,
        value: Any = None,
        benchmark: Any = None,
        turnover: Any = None,
        initial_turnover: Any = None,
        fees_paid: Any = None,
        slippage_paid: Any = None,
        fee_drag_sum: Any = None,
        slippage_drag_sum: Any = None,
    ) -> None:
        self.returns = _array(returns)
        self.risk_free = _array(risk_free)
        if self.risk_free.ndim and self.risk_free.shape != self.returns.shape[:1]:
            raise ValueError(
                f"risk_free must be one number or one per day ({self.returns.shape[0]}), "
                f"got shape {self.risk_free.shape}"
            )
        self.value = None if value is None else _array(value)
        self.benchmark = None if benchmark is None else _array(benchmark)
        self.turnover, self.initial_turnover = turnover, initial_turnover
        self.fees_paid, self.slippage_paid = fees_paid, slippage_paid
        self.fee_drag_sum, self.slippage_drag_sum = fee_drag_sum, slippage_drag_sum
        self._done: dict[str, Stat] = {}
        self._alpha_beta: tuple[Stat, Stat] | None = None
        self._excess: np.ndarray | None = None

    @property
    def excess(self) -> np.ndarray:
        """``returns`` less the risk-free rate of each day."""
        if self._excess is None:
            rate = self.risk_free
            self._excess = self.returns - (
                rate[:, np.newaxis] if self.returns.ndim == 2 and rate.ndim else rate
            )
        return self._excess

    def has(self, needs: Iterable[str]) -> bool:
        return all(getattr(self, need, None) is not None for need in needs)

    def __getitem__(self, name: str) -> Stat:
        if name not in self._done:
            compute = metric(name).compute
            if compute is None:  # the TypeError calling None would raise, with its reason
                raise TypeError(f"metric {name!r} is reported by the engine, not computed")
            self._done[name] = compute(self)
        return self._done[name]

    def required(self, need: str) -> np.ndarray:
        """The array field ``need`` (``value`` or ``benchmark``), which a metric listing it in
        ``needs`` may count on."""
        found: np.ndarray | None = getattr(self, need)
        if found is None:  # the TypeError indexing None would raise, with its reason
            raise TypeError(f"this sample has no {need!r}")
        return found

    def alpha_beta(self) -> tuple[Stat, Stat]:
        """(alpha, beta) against the benchmark; alpha in excess of the risk-free rate."""
        if self._alpha_beta is None:
            benchmark = self.required("benchmark")
            self._alpha_beta = alpha_beta(self.returns, benchmark, risk_free=self.risk_free)
        return self._alpha_beta


def _total_return(s: Sample) -> Stat:
    # A known value curve gives the exact ratio; compounding returns derived from it would
    # agree only to the last bits.
    if s.value is not None:
        return s.value[-1] / s.value[0] - 1.0
    return total_return(s.returns)


def _max_drawdown(s: Sample) -> Stat:
    if s.value is not None:  # as for the total return: read from the curve itself
        return (s.value / np.maximum.accumulate(s.value, axis=0) - 1.0).min(axis=0)
    return max_drawdown(s.returns)


def _drag(drag_sum: Any, s: Sample) -> Stat:
    """A cost's drag in % per year from its daily sum (see the module docstring)."""
    return drag_sum * PERIODS_PER_YEAR / len(s.returns)


def _format(unit: str, x: Any, missing: str) -> str:
    if x is None or pd.isna(x):
        return missing
    if unit == "pct":
        return f"{x * 100:,.1f}%"
    if unit == "ratio":
        return f"{x:,.2f}"
    if unit == "count":
        return f"{int(x):,}"
    return f"{x:,.0f}"  # money


@dataclass(frozen=True)
class Metric:
    """One registry entry.

    ``better``: which direction ranks first ("higher" / "lower"; None: not a ranking metric).
    ``unit``: "pct" (a fraction printed as %), "ratio", "count" or "money".
    ``needs``: the ``Sample`` fields it is computed from; ``compute`` is None for a number the
    engine reports itself (rebalance days).
    """

    name: str
    label: str
    better: Literal["higher", "lower"] | None
    unit: Literal["pct", "ratio", "count", "money"]
    needs: tuple[str, ...]
    compute: Callable[[Sample], Stat] | None

    @property
    def rankable(self) -> bool:
        """Computed from daily returns alone (so for any slice of days) and ranked."""
        return self.better is not None and self.needs == ("returns",)

    def format(self, x: Any, missing: str = "n/a") -> str:
        """``x`` as text in this metric's unit (``missing`` for None / NaN)."""
        return _format(self.unit, x, missing)


METRICS: tuple[Metric, ...] = (
    Metric("total_return", "total return", "higher", "pct", ("returns",), _total_return),
    Metric("annual_return", "annual return", "higher", "pct", ("returns",),
           lambda s: annual_return(s.returns)),
    Metric("annual_volatility", "annual volatility", "lower", "pct", ("returns",),
           lambda s: annual_volatility(s.returns)),
    Metric("sharpe", "Sharpe", "higher", "ratio", ("returns",),
           lambda s: sharpe_ratio(s.excess)),
    Metric("sortino", "Sortino", "higher", "ratio", ("returns",),
           lambda s: sortino_ratio(s.excess)),
    Metric("max_drawdown", "max drawdown", "higher", "pct", ("returns",), _max_drawdown),
    Metric("calmar", "Calmar", "higher", "ratio", ("returns",),
           lambda s: _out(_calmar(s["annual_return"], s["max_drawdown"]), s.returns)),
    Metric("alpha", "alpha (annual)", "higher", "pct", ("returns", "benchmark"),
           lambda s: s.alpha_beta()[0]),
    Metric("beta", "beta", None, "ratio", ("returns", "benchmark"),
           lambda s: s.alpha_beta()[1]),
    Metric("annual_turnover", "turnover / year", "lower", "pct", ("turnover",),
           lambda s: _out(annual_turnover(s.turnover, len(s.returns)), s.returns)),
    Metric("initial_investment", "initial investment", None, "pct", ("initial_turnover",),
           lambda s: _out(s.initial_turnover, s.returns)),
    Metric("rebalances", "rebalance days", None, "count", ("rebalances",), None),
    Metric("fees_paid", "fees paid", "lower", "money", ("fees_paid",), lambda s: s.fees_paid),
    Metric("slippage_paid", "slippage paid", "lower", "money", ("slippage_paid",),
           lambda s: s.slippage_paid),
    Metric("costs_paid", "costs paid (fees + slippage)", "lower", "money",
           ("fees_paid", "slippage_paid"), lambda s: s["fees_paid"] + s["slippage_paid"]),
    Metric("fee_drag", "fee drag / year", "lower", "pct", ("returns", "fee_drag_sum"),
           lambda s: _drag(s.fee_drag_sum, s)),
    Metric("slippage_drag", "slippage drag / year", "lower", "pct",
           ("returns", "slippage_drag_sum"), lambda s: _drag(s.slippage_drag_sum, s)),
    Metric("cost_drag", "cost drag / year", "lower", "pct",
           ("returns", "fee_drag_sum", "slippage_drag_sum"),
           lambda s: s["fee_drag"] + s["slippage_drag"]),
    Metric("final_value", "final value", "higher", "money", ("value",),
           lambda s: s.required("value")[-1]),
)  # fmt: skip
"""The registry, in the order tables show it. ``max_drawdown`` is negative, so higher (less
deep) is better."""

COSTS = ("fees_paid", "slippage_paid", "costs_paid", "fee_drag", "slippage_drag", "cost_drag")
"""The cost metrics, money then % per year (see the module docstring)."""

_BY_NAME = {m.name: m for m in METRICS}
if tuple(m.name for m in METRICS if m.rankable) != RANKABLE:  # pragma: no cover
    raise ImportError("rotation._metric_names.RANKABLE differs from the registry's rankable names")


def metric(name: str) -> Metric:
    """The registry entry called ``name`` (KeyError naming the choices otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; choose one of {', '.join(_BY_NAME)}") from None


def compute(sample: Sample, names: Iterable[str] | None = None) -> dict[str, Stat]:
    """Registry metrics of ``sample``, in registry order: ``names``, or every one it has the
    inputs for."""
    if names is None:
        names = [m.name for m in METRICS if m.compute is not None and sample.has(m.needs)]
    return {name: sample[name] for name in names}


def rank_scores(values: Any, name: str) -> np.ndarray:
    """``values`` of metric ``name`` turned so that higher is better (NaN ranks last)."""
    entry = metric(name)
    if entry.better is None:
        raise KeyError(f"metric {name!r} has no better direction to rank by")
    scores = np.asarray(values, dtype=np.float64)
    scores = scores if entry.better == "higher" else -scores
    return np.where(np.isnan(scores), -np.inf, scores)


# --- runs: a pandas series in, a JSON-ready dict or frame out --------------------------------


def drawdown(returns: Returns) -> pd.Series:
    """Fraction below the running peak of the compounded curve (0 at peaks, negative below)."""
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    return wealth / wealth.cummax() - 1.0


def performance(
    returns: Returns, risk_free: Returns | float, benchmark: Returns | None = None
) -> dict[str, Any]:
    """Headline statistics of a daily return series (NaN days dropped): every registry metric
    computable from returns against the daily ``risk_free`` rate (a series on the same days, or
    one number), the dates of the max drawdown, and alpha / beta against ``benchmark`` on the
    days it is given (pass only the days both are invested). Values are floats or None (not
    finite).
    """
    r = returns.dropna()
    rate = _on(risk_free, r.index)
    dd = drawdown(r)
    # Index labels are Hashable to pandas-stubs; returns are indexed by date.
    trough = cast("pd.Timestamp | None", dd.idxmin() if len(dd) else None)
    peak = cast(
        "pd.Timestamp | None",
        dd.loc[:trough][dd.loc[:trough] == 0].index.max() if trough is not None else None,
    )
    stats: dict[str, Any] = {}
    for name, v in compute(Sample(r.to_numpy(), risk_free=rate)).items():
        stats[name] = finite_or_none(v)
        if name == "max_drawdown":
            stats["max_drawdown_peak"] = peak.date().isoformat() if peak is not None else None
            stats["max_drawdown_trough"] = trough.date().isoformat() if trough is not None else None
    if benchmark is not None:
        joined = pd.concat([r, benchmark], axis=1, join="inner").dropna()
        pair = Sample(
            joined.iloc[:, 0].to_numpy(),
            risk_free=_on(risk_free, joined.index),
            benchmark=joined.iloc[:, 1].to_numpy(),
        )
        for name, v in compute(pair, ("alpha", "beta")).items():
            stats[name] = finite_or_none(v)
    return stats


def _on(risk_free: Returns | float, index: pd.Index) -> Any:
    """The rate on the days of ``index`` (a number stays a number)."""
    if isinstance(risk_free, pd.Series):
        rate = risk_free.reindex(index)
        if rate.isna().any():
            first = index[int(rate.isna().to_numpy().argmax())]
            raise ValueError(f"risk_free has no value on {first}")
        return rate.to_numpy(dtype=np.float64)
    return float(risk_free)


def regime_in_force(regime: Regime, execution_lag: int) -> Regime:
    """The regime a day's return is credited to: the one its positions were decided under.

    The return of day t is earned by the positions held at the close of t - 1, traded there on
    the decision of ``execution_lag`` rows earlier: the state known at the close of
    t - 1 - execution_lag.
    """
    return regime.shift(1 + execution_lag)


def by_regime(
    returns: Returns, regime: Regime, execution_lag: int, risk_free: Returns | float
) -> pd.DataFrame:
    """Per regime state: days, share of days, annual return, volatility, Sharpe, max drawdown.

    A day's return counts for the state its positions were decided under
    (``regime_in_force``); Sharpe is in excess of ``risk_free`` on those days. Statistics
    compound the days of each state as one series.
    """
    state = regime_in_force(regime, execution_lag).reindex(returns.index)
    shown = ("annual_return", "annual_volatility", "sharpe", "max_drawdown")
    rows = {}
    for name, days in returns.groupby(state, dropna=True):
        r = days.dropna()
        found = compute(Sample(r.to_numpy(), risk_free=_on(risk_free, r.index)), shown)
        rows[name] = {
            "days": len(r),
            "share_of_days": len(r) / max(1, int(state.notna().sum())),
            **{key: finite_or_none(v) for key, v in found.items()},
        }
    # the same columns when no state is ever known (e.g. an HMM that never had enough history)
    columns = ["days", "share_of_days", *shown]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns) if rows else None
    frame = pd.DataFrame(columns=columns, dtype="float64") if frame is None else frame
    frame.index.name = "regime"
    return frame
