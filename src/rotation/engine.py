"""The engine: simulate target weights with vectorbt (the only module that imports it).

Contract with strategies: a target-weights frame shaped like the prices, rows sum to <= 1
(the rest is cash), NaN row = no trade that day. The engine applies the trading delay once,
here, as ``execution_lag``: a target decided at the close of row t is traded at the close of row
t + execution_lag (>= 1), so no decision can use the price it trades at.

Accounting (vectorbt ``from_orders``, ``size_type="targetpercent"``, one cash-sharing group,
``call_seq="auto"``): on a trading row each target is a fraction of the portfolio value at that
row's close; sells execute before buys; each fill pays ``slippage`` on the price and ``fees`` on
the traded value; buys are capped by the cash available (no leverage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import vectorbt as vbt

from rotation._types import Prices, Weights
from rotation.errors import StrategyError

WEIGHT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Simulation:
    """What the engine produced, every frame on the prices' index.

    ``value``: portfolio value at each close (currency of ``init_cash``); ``cash``; ``shares``:
    dates x symbols held after the row's trades; ``weights``: dates x symbols of asset value /
    portfolio value at the close; ``executed_targets``: the lagged targets actually sent;
    ``orders``: one row per fill (date, symbol, side, shares, price, value, fees).
    """

    value: pd.Series
    cash: pd.Series
    shares: pd.DataFrame
    weights: pd.DataFrame
    executed_targets: Weights
    orders: pd.DataFrame


def check_target_weights(targets: Weights, prices: Prices) -> None:
    """Raise ``StrategyError`` when targets break the contract (naming date and symbol)."""
    if not targets.index.equals(prices.index) or list(targets.columns) != list(prices.columns):
        raise StrategyError("target weights must have the same dates and symbols as the prices")
    values = targets.to_numpy(dtype="float64")
    rows = ~np.isnan(values).all(axis=1)
    if np.isnan(values[rows]).any():
        r, c = np.argwhere(np.isnan(values) & rows[:, None])[0]
        raise StrategyError(
            f"target weight for {targets.columns[c]!r} on {targets.index[r].date()} is NaN "
            "in a trading row; give every asset a weight (0 = not held)"
        )
    negative = values < -WEIGHT_TOLERANCE
    if negative.any():
        r, c = np.argwhere(negative)[0]
        raise StrategyError(
            f"negative target weight {values[r, c]:.4g} for {targets.columns[c]!r} on "
            f"{targets.index[r].date()} (short positions are not supported)"
        )
    sums = np.nansum(values, axis=1)
    if (sums > 1 + WEIGHT_TOLERANCE).any():
        r = int(np.argmax(sums > 1 + WEIGHT_TOLERANCE))
        raise StrategyError(f"target weights on {targets.index[r].date()} sum to {sums[r]:.6f} > 1")
    unlisted = (values > WEIGHT_TOLERANCE) & prices.isna().to_numpy()
    if unlisted.any():
        r, c = np.argwhere(unlisted)[0]
        raise StrategyError(
            f"target weight for {targets.columns[c]!r} on {targets.index[r].date()} but it has "
            "no price that day"
        )


def apply_execution_lag(targets: Weights, execution_lag: int) -> Weights:
    """Move each decision ``execution_lag`` rows later (the rows it is traded on)."""
    if execution_lag < 1:
        raise ValueError(f"execution_lag must be >= 1, got {execution_lag}")
    return targets.shift(execution_lag)


def simulate(
    prices: Prices,
    targets: Weights,
    *,
    fees: float,
    slippage: float,
    execution_lag: int,
    init_cash: float,
) -> Simulation:
    """Trade ``targets`` (decision rows) on ``prices`` after ``execution_lag`` rows."""
    check_target_weights(targets, prices)
    executed = apply_execution_lag(targets, execution_lag)
    check_target_weights(executed, prices)  # an asset may lose its price on the trade row
    # Before listing an asset has no price; its weight is 0 there, so any finite placeholder
    # price leaves the accounting unchanged. Back-fill is that placeholder.
    close = prices.ffill().bfill()
    portfolio = vbt.Portfolio.from_orders(
        close,
        size=executed,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=fees,
        slippage=slippage,
        init_cash=init_cash,
        freq="1D",
    )
    value = portfolio.value().rename("value")
    asset_value = portfolio.asset_value(group_by=False)
    records = portfolio.orders.values
    orders = pd.DataFrame(
        {
            "date": prices.index[records["idx"]],
            "symbol": prices.columns[records["col"]],
            "side": np.where(records["side"] == 0, "buy", "sell"),
            "shares": records["size"],
            "price": records["price"],
            "value": records["size"] * records["price"],
            "fees": records["fees"],
        }
    )
    return Simulation(
        value=value,
        cash=portfolio.cash().rename("cash"),
        shares=portfolio.assets(),
        weights=asset_value.div(value, axis=0),
        executed_targets=executed,
        orders=orders,
    )
