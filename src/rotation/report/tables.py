"""The report's derived tables: pure functions, frames in, frames out.

Statistics that the metrics module already computes are taken from it (never re-derived);
what is here is reshaping (months x years, sleeves) and the few series the report adds.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from rotation._types import Regime, Returns, Weights
from rotation.metrics import PERIODS_PER_YEAR, by_regime
from rotation.regime import spells

ROLLING_DAYS = PERIODS_PER_YEAR  # "12 months" of trading days


def time_in_market(weights: Weights) -> float:
    """Share of days on which any asset is held (weight > 0) at the close."""
    if weights.empty:
        return 0.0
    return float((weights.fillna(0.0) > 0).any(axis=1).mean())


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
