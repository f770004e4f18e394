"""The report's derived tables: pure functions, frames in, frames out.

Statistics that the metrics module already computes are taken from it (never re-derived);
what is here is reshaping (months x years, sleeves) and the few series the report adds.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from rotation._types import Regime, Returns, Weights
from rotation.metrics import (
    PERIODS_PER_YEAR,
    annual_return,
    by_regime,
    conditional_value_at_risk,
    drawdown,
    value_at_risk,
)
from rotation.regime import spells

ROLLING_DAYS = PERIODS_PER_YEAR  # "12 months" of trading days


def sleeve_weights(weights: Weights, sleeves: dict[str, list[str]]) -> pd.DataFrame:
    """dates x sleeves: the summed held weight of each sleeve's assets, plus ``cash``."""
    frame = pd.DataFrame(
        {sleeve: weights[symbols].sum(axis=1) for sleeve, symbols in sleeves.items()},
        index=weights.index,
    )
    frame["cash"] = (1.0 - weights.sum(axis=1)).clip(lower=0.0)
    return frame


def periodic_returns(returns: Returns, by: str) -> pd.Series:
    """Compounded returns per calendar period: ``by`` = "month" (index (year, month)) or "year"."""
    dates = cast(pd.DatetimeIndex, returns.index)  # returns are indexed by date
    keys = [dates.year] if by == "year" else [dates.year, dates.month]
    grouped = (1.0 + returns).groupby(keys).prod() - 1.0
    grouped.index.names = ["year"] if by == "year" else ["year", "month"]
    return grouped


def monthly_table(returns: Returns) -> pd.DataFrame:
    """years x months (1..12): compounded monthly return; NaN for months outside the run."""
    monthly = periodic_returns(returns, "month").unstack("month")
    return monthly.reindex(columns=range(1, 13))


def yearly_table(returns: Returns, benchmark: Returns) -> pd.DataFrame:
    """years x (strategy, benchmark): compounded calendar-year returns."""
    return pd.DataFrame(
        {
            "strategy": periodic_returns(returns, "year"),
            "benchmark": periodic_returns(benchmark, "year"),
        }
    )


def rolling_stats(returns: Returns, risk_free: Returns, window: int = ROLLING_DAYS) -> pd.DataFrame:
    """dates x (sharpe, volatility) over the trailing ``window`` days, annualized.

    Same definitions as the headline numbers (empyrical): Sharpe = mean / std (ddof 1) of the
    returns less the daily ``risk_free`` rate, * sqrt(252); volatility = std of the returns *
    sqrt(252). NaN until ``window`` days are known.
    """
    excess = returns - risk_free
    mean = excess.rolling(window).mean()
    excess_std = excess.rolling(window).std(ddof=1)
    scale = np.sqrt(PERIODS_PER_YEAR)
    sharpe = (mean / excess_std.where(excess_std > 0)) * scale
    volatility = returns.rolling(window).std(ddof=1) * scale
    return pd.DataFrame({"sharpe": sharpe, "volatility": volatility})


def regime_spans(regime: Regime) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """(first day, first day of the next spell or last day, state) of each spell of one state
    (``rotation.regime.spells``), so shading drawn from them leaves no gap."""
    runs = spells(regime)
    if runs.empty:
        return []
    starts = list(runs["start"])
    ends = [*starts[1:], runs["end"].iloc[-1]]
    return [(s, e, str(state)) for s, e, state in zip(starts, ends, runs["state"], strict=True)]


def regime_table(
    table: pd.DataFrame,
    benchmark: Returns,
    regime: Regime,
    execution_lag: int,
    risk_free: Returns,
) -> pd.DataFrame:
    """The run's per-regime table with the benchmark's annual return in each state added.

    ``table`` is the run's regime.csv; the benchmark column uses the same attribution (a
    day's return counts for the state its positions were decided under) via
    ``metrics.by_regime``.
    """
    bench = by_regime(benchmark, regime, execution_lag, risk_free)
    out = table.copy()
    out["benchmark_annual_return"] = bench["annual_return"].reindex(out.index)
    return out


def trades(orders: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """One row per fill: date, symbol, side, from/to weight, traded value, fees, slippage, cost.

    ``from_weight`` is the weight held at the previous close, ``to_weight`` the weight held at
    this close after the trade (both from weights.csv). Fees and slippage are orders.csv's (the
    engine's, per fill); ``cost`` is fees + slippage, in the portfolio's currency.
    """
    columns = [
        "date", "symbol", "side", "from_weight", "to_weight", "value", "fees", "slippage", "cost",
    ]  # fmt: skip
    if orders.empty:
        return pd.DataFrame(columns=columns)
    before = weights.shift(1).fillna(0.0)
    # pd.Index(...) is what get_indexer makes of a Series itself (pandas-stubs wants an Index).
    rows = weights.index.get_indexer(pd.Index(orders["date"]))
    cols = weights.columns.get_indexer(pd.Index(orders["symbol"]))
    known = (rows >= 0) & (cols >= 0)
    from_w = np.full(len(orders), np.nan)
    to_w = np.full(len(orders), np.nan)
    from_w[known] = before.to_numpy()[rows[known], cols[known]]
    to_w[known] = weights.to_numpy()[rows[known], cols[known]]
    value = orders["value"].abs()
    out = pd.DataFrame(
        {
            "date": orders["date"],
            "symbol": orders["symbol"],
            "side": orders["side"],
            "from_weight": from_w,
            "to_weight": to_w,
            "value": value,
            "fees": orders["fees"],
            "slippage": orders["slippage"],
        }
    )
    out["cost"] = out["fees"] + out["slippage"]
    return out[columns].reset_index(drop=True)


# --- what quantstats and pyfolio show next to the headline numbers ---------------------------

TOP_DRAWDOWNS = 5


def drawdown_periods(returns: Returns, top: int = TOP_DRAWDOWNS) -> pd.DataFrame:
    """The ``top`` deepest drawdowns of the compounded curve (``metrics.drawdown``), deepest
    first: one row per fall below a peak until the curve is back at it.

    Columns: ``peak`` (last day at the old high), ``trough`` (deepest day), ``recovery``
    (first day back at the old high; NaT if the run ended below it), ``depth`` (negative
    fraction), ``days_to_trough`` and ``days`` (calendar days from the peak to the trough and
    to the recovery, or to the last day of the run when not recovered), ``recovered``.
    The deepest row is metrics.json's max drawdown, with its peak and trough dates.
    """
    columns = ["peak", "trough", "recovery", "depth", "days_to_trough", "days", "recovered"]
    dd = drawdown(returns)
    under = (dd < 0).to_numpy()
    if not under.any():
        return pd.DataFrame(columns=columns)
    dates = cast(pd.DatetimeIndex, dd.index)
    values = dd.to_numpy()
    starts = np.flatnonzero(under & ~np.concatenate([[False], under[:-1]]))
    ends = np.flatnonzero(under & ~np.concatenate([under[1:], [False]]))  # last day under
    rows = []
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        low = first + int(np.argmin(values[first : last + 1]))
        peak = dates[first - 1] if first > 0 else dates[first]
        recovered = last + 1 < len(dates)
        end = dates[last + 1] if recovered else dates[last]
        rows.append(
            {
                "peak": peak,
                "trough": dates[low],
                "recovery": end if recovered else pd.NaT,
                "depth": float(values[low]),
                "days_to_trough": int((dates[low] - peak).days),
                "days": int((end - peak).days),
                "recovered": recovered,
            }
        )
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("depth", kind="stable").head(top).reset_index(drop=True)


TRAILING = ("MTD", "YTD", "1Y", "3Y", "5Y", "since inception")
"""Trailing windows ending on the last day; 3Y, 5Y and since inception (when longer than a
year) are annualized as ``metrics.annual_return`` does."""


def trailing_returns(returns: Returns) -> pd.DataFrame:
    """windows (``TRAILING``) x (return, annualized, start): the compounded return of the days
    in each window ending on the run's last day, its annualized rate where the window is
    longer than a year (``metrics.annual_return``, 252 days a year; NaN otherwise), and the
    window's first day. A window longer than the run is NaN (no partial figure passes for a
    full one). Month- and year-to-date start after the previous month's or year's last day.
    """
    dates = cast(pd.DatetimeIndex, returns.index)
    last = dates[-1]
    starts = {
        "MTD": last.replace(day=1),
        "YTD": last.replace(month=1, day=1),
        "1Y": last - pd.DateOffset(years=1),
        "3Y": last - pd.DateOffset(years=3),
        "5Y": last - pd.DateOffset(years=5),
    }
    rows = {}
    for name in TRAILING:
        if name == "since inception":
            window, start = returns, dates[0]
            long = (last - dates[0]).days > 366
        else:
            start = starts[name]
            # a year-long window holds the days after the date a year back
            inside = dates >= start if name in ("MTD", "YTD") else dates > start
            window = returns[inside]
            long = name in ("3Y", "5Y")
            if name not in ("MTD", "YTD") and dates[0] > start:
                window = returns.iloc[:0]
        total = float(np.prod(1.0 + window.to_numpy()) - 1.0) if len(window) else np.nan
        annual = float(annual_return(window.to_numpy())) if long and len(window) else np.nan
        first = window.index[0] if len(window) else pd.NaT
        rows[name] = {"return": total, "annualized": annual, "start": first}
    return pd.DataFrame.from_dict(rows, orient="index")


VAR_LEVEL = 0.95


def distribution(returns: Returns) -> dict[str, float]:
    """Statistics of the daily returns (the run's every day) and of the calendar months.

    ``skew``; ``excess_kurtosis`` (normal = 0); both the bias-corrected sample estimates
    pandas gives. ``var`` / ``cvar``: historical daily value at risk at ``VAR_LEVEL`` and the
    mean of the days beyond it (``metrics.value_at_risk``, ``conditional_value_at_risk``);
    both negative for a loss. ``best_day``, ``worst_day``, ``best_month``, ``worst_month``
    (compounded calendar months, first and last partial); ``win_days`` / ``win_months``: the
    share of days (months) with a positive return among those with a non-zero one.
    """
    r = returns.dropna()
    months = periodic_returns(r, "month")
    cutoff = 1.0 - VAR_LEVEL
    moved, moved_months = r[r != 0], months[months != 0]
    return {
        "skew": float(cast(float, r.skew())),
        "excess_kurtosis": float(cast(float, r.kurt())),
        "var": value_at_risk(r.to_numpy(), cutoff),
        "cvar": conditional_value_at_risk(r.to_numpy(), cutoff),
        "best_day": float(np.max(r.to_numpy())),
        "worst_day": float(np.min(r.to_numpy())),
        "best_month": float(months.max()),
        "worst_month": float(months.min()),
        "win_days": float((moved > 0).mean()) if len(moved) else np.nan,
        "win_months": float((moved_months > 0).mean()) if len(moved_months) else np.nan,
    }


def histogram(returns: pd.DataFrame, bins: int = 60) -> pd.DataFrame:
    """bins x columns: the share of each column's days whose return falls in each bin; one
    set of equal-width bins (indexed by their centres) spans every column's range."""
    values = returns.to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (-0.01, 0.01)
    edges = np.linspace(low, high if high > low else low + 1e-6, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    shares = {}
    for column in returns.columns:
        series = returns[column].dropna().to_numpy()
        counts, _ = np.histogram(series, bins=edges)
        shares[column] = counts / max(1, len(series))
    return pd.DataFrame(shares, index=pd.Index(centres, name="return"))


def rolling_beta(returns: Returns, benchmark: Returns, window: int = ROLLING_DAYS) -> pd.Series:
    """Beta of ``returns`` against ``benchmark`` over the trailing ``window`` days:
    cov / var of the days, as ``metrics.alpha_beta`` computes it; NaN until ``window`` days are
    known or where the benchmark did not move."""
    cov = returns.rolling(window).cov(benchmark, ddof=0)
    var = benchmark.rolling(window).var(ddof=0)
    return (cov / var.where(var >= 1.0e-30)).rename("beta")


def trading_by_year(orders: pd.DataFrame, value: pd.Series, init_cash: float) -> pd.DataFrame:
    """years x (turnover, traded, fees, slippage, costs, cost_drag, rebalances) from orders.csv
    and the value curve (equity.csv's ``value``), as ``metrics`` defines them summed over the
    year's days:

    ``turnover``: one-way, half of each rebalance's traded value (buys + sells) over the
    portfolio value before it (the close value plus that day's costs, which is what the engine
    divides by), summed, the initial investment (first traded day) left out: the years add up
    to ``annual_turnover`` x years. ``traded``, ``fees``, ``slippage``, ``costs`` in money;
    ``cost_drag``: each day's costs over the value at the previous close (``init_cash`` before
    the first day), summed (not annualized: the years add up to ``cost_drag`` x years).
    """
    columns = ["turnover", "traded", "fees", "slippage", "costs", "cost_drag", "rebalances"]
    if orders.empty:
        return pd.DataFrame(columns=columns)
    fills = orders.assign(value=orders["value"].abs())
    days = fills.groupby("date")[["value", "fees", "slippage"]].sum()
    days["costs"] = days["fees"] + days["slippage"]
    close = value.reindex(days.index)
    previous = value.shift(1).fillna(init_cash).reindex(days.index)
    before = close + days["costs"]
    days["turnover"] = (days["value"] / before / 2.0).where(before > 0, 0.0)
    days.loc[days.index[0], "turnover"] = 0.0  # the initial investment, reported apart
    days["cost_drag"] = (days["costs"] / previous).where(previous > 0, 0.0)
    years = cast(pd.DatetimeIndex, days.index).year
    grouped = days.groupby(years)
    out = grouped[["turnover", "value", "fees", "slippage", "costs", "cost_drag"]].sum()
    out = out.rename(columns={"value": "traded"})
    out["rebalances"] = grouped.size()
    out.index.name = "year"
    return out[columns]


def sleeve_exposure(weights: Weights, sleeves: dict[str, list[str]]) -> pd.Series:
    """sleeves (+ ``cash``): the average held weight of each over the run's days (what the
    portfolio was exposed to; a defensive sleeve such as T-bills is its own line)."""
    return sleeve_weights(weights, sleeves).mean()


def robust_range(
    scores: pd.DataFrame, keep: tuple[float, ...] = (), quantile: float = 0.01
) -> tuple[float, float]:
    """A value-axis view of ``scores`` (dates x series) that one spike cannot stretch: the
    ``quantile`` and 1 - ``quantile`` of every plotted value, widened to hold the whole
    ``composite`` column (when there is one) and each level in ``keep`` (thresholds), plus a
    5 % margin."""
    values = scores.to_numpy(dtype="float64").ravel()
    values = values[np.isfinite(values)]
    if not values.size:
        return (-1.0, 1.0)
    low, high = np.quantile(values, [quantile, 1.0 - quantile])
    always = list(keep)
    if "composite" in scores and scores["composite"].notna().any():
        always += [float(scores["composite"].min()), float(scores["composite"].max())]
    low, high = min(float(low), *always), max(float(high), *always)
    margin = 0.05 * (high - low) if high > low else 0.5
    return (low - margin, high + margin)


def outside(scores: pd.DataFrame, view: tuple[float, float]) -> pd.DataFrame:
    """Per series with values outside ``view``: days outside, and its most extreme value and
    that value's date (what a clipped chart must say it does not show)."""
    rows = []
    low, high = view
    for column in scores.columns:
        series = scores[column].dropna()
        out = series[(series < low) | (series > high)]
        if out.empty:
            continue
        at = int(np.argmax(np.abs(out.to_numpy())))
        rows.append(
            {"series": str(column), "days": len(out), "value": float(out.iloc[at]),
             "date": out.index[at]}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["series", "days", "value", "date"])
