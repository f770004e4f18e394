"""The engine: simulate target weights, one variant or thousands, in one numba kernel.

Contract with strategies: a target-weights frame shaped like the prices, rows sum to <= 1
(the rest is cash), NaN row = no trade that day. The engine applies the trading delay once,
here, as ``execution_lag``: a target decided at the close of row t is traded at the close of row
t + execution_lag (>= 1), so no decision can use the price it trades at.

Accounting is vectorbt's ``Portfolio.from_orders(size_type="targetpercent", group_by=True,
cash_sharing=True, call_seq="auto")``, repeated operation for operation by the kernel in
``rotation._sim`` (its docstring has the rules): on a trading row each target is a fraction of
the portfolio value at that row's close; sells execute before buys; each fill pays ``slippage``
on the price and ``fees`` on the traded value; buys are capped by the cash available (no
leverage). The books (cash, shares, value) are rebuilt from the fills as vectorbt rebuilds
them, so a run equals its vectorbt ``Portfolio`` bit for bit (tests/test_sim.py). vectorbt itself
is imported only when a run's ``Simulation.portfolio`` is asked for.

Whole shares: with the config's ``fractional: false`` every equity and ETF trades whole shares
(crypto still trades fractions). The rule is vectorbt's ``size_granularity`` per column, 1.0 or
NaN, built by ``size_granularity`` alone for single runs, sweeps and walk-forward: each order is
floored to whole shares, after the cash check too, so the leftover stays in cash. ``rotation
export`` rounds with the same rule (``rotation.data.align.trades_whole_units``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rotation._sim import books, simulate_from_weights_frame
from rotation._types import Prices, Weights
from rotation.data.align import trades_whole_units
from rotation.errors import StrategyError

WEIGHT_TOLERANCE = 1e-9
WHOLE_SHARE = 1.0  # vectorbt size granularity of an asset traded in whole shares


def size_granularity(symbols: Iterable[str], fractional: bool) -> np.ndarray:
    """(N,) vectorbt ``size_granularity`` of ``symbols``, in order: ``WHOLE_SHARE`` for those
    that trade whole units (``trades_whole_units``), NaN (any size) for the others."""
    return np.array(
        [WHOLE_SHARE if trades_whole_units(s, fractional) else np.nan for s in symbols],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class Simulation:
    """What the engine produced, every frame on the prices' index.

    ``value``: portfolio value at each close (currency of ``init_cash``); ``cash``; ``shares``:
    dates x symbols held after the row's trades; ``weights``: dates x symbols of asset value /
    portfolio value at the close; ``executed_targets``: the lagged targets actually sent;
    ``orders``: one row per fill (date, symbol, side, shares, price, value, fees, slippage;
    money in the currency of ``init_cash``, slippage = ``|price - close| * shares``); ``close``:
    the prices valued at (filled before listings); ``fees``, ``slippage``, ``init_cash``: the
    cost rates and capital simulated; ``turnover`` and ``initial_turnover``: the kernel's
    turnover sums (``rotation.metrics.annual_turnover`` annualizes); ``fees_paid``,
    ``slippage_paid``, ``fee_drag_sum``, ``slippage_drag_sum``: the kernel's cost totals
    (``rotation._sim.SimResult``), the very numbers a sweep of the same variant reports;
    ``size_granularity``: symbol -> 1.0 (whole shares) or NaN.
    """

    value: pd.Series
    cash: pd.Series
    shares: pd.DataFrame
    weights: pd.DataFrame
    executed_targets: Weights
    orders: pd.DataFrame
    close: Prices
    fees: float
    slippage: float
    init_cash: float
    turnover: float
    initial_turnover: float
    fees_paid: float
    slippage_paid: float
    fee_drag_sum: float
    slippage_drag_sum: float
    size_granularity: pd.Series

    @functools.cached_property
    def portfolio(self) -> Any:
        """The same simulation as a vectorbt ``Portfolio`` (``.stats()``, ``.plot()``, ...).

        Built on first use with ``from_orders``; importing vectorbt takes seconds, which is why
        nothing else in a run needs it.
        """
        import vectorbt as vbt

        return vbt.Portfolio.from_orders(
            self.close,
            size=self.executed_targets,
            size_type="targetpercent",
            group_by=True,
            cash_sharing=True,
            call_seq="auto",
            fees=self.fees,
            slippage=self.slippage,
            init_cash=self.init_cash,
            size_granularity=self.size_granularity.to_numpy()[None, :],  # one row: every date
            freq="1D",
        )


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
    fractional: bool = True,
) -> Simulation:
    """Trade ``targets`` (decision rows) on ``prices`` after ``execution_lag`` rows;
    ``fractional=False`` trades whole shares of equities and ETFs (``size_granularity``)."""
    check_target_weights(targets, prices)
    executed = apply_execution_lag(targets, execution_lag)
    check_target_weights(executed, prices)  # an asset may lose its price on the trade row
    # Before listing an asset has no price; its weight is 0 there, so any finite placeholder
    # price leaves the accounting unchanged. Back-fill is that placeholder.
    close = prices.ffill().bfill()
    granularity = size_granularity(map(str, prices.columns), fractional)
    result = simulate_from_weights_frame(
        close,
        executed,
        fees,
        slippage,
        init_cash,
        size_granularity=granularity,
        record_orders=True,
    )
    assert result.orders is not None  # record_orders=True records them
    fills = result.orders[0]
    book = books(close.to_numpy(dtype=np.float64), fills, init_cash)
    index, columns = prices.index, prices.columns
    value = pd.Series(book.value, index=index, name="value")
    orders = pd.DataFrame(
        {
            "date": index[fills.row],
            "symbol": columns[fills.asset],
            "side": np.where(fills.side == 0, "buy", "sell"),
            "shares": fills.shares,
            "price": fills.price,
            "value": fills.shares * fills.price,
            "fees": fills.fees,
            "slippage": fills.slippage,
        }
    )
    return Simulation(
        value=value,
        cash=pd.Series(book.cash, index=index, name="cash"),
        shares=pd.DataFrame(book.shares, index=index, columns=columns),
        weights=pd.DataFrame(book.asset_value, index=index, columns=columns).div(value, axis=0),
        executed_targets=executed,
        orders=orders,
        close=close,
        fees=float(fees),
        slippage=float(slippage),
        init_cash=float(init_cash),
        turnover=float(result.turnover[0]),
        initial_turnover=float(result.initial_turnover[0]),
        fees_paid=float(result.fees_paid[0]),
        slippage_paid=float(result.slippage_paid[0]),
        fee_drag_sum=float(result.fee_drag_sum[0]),
        slippage_drag_sum=float(result.slippage_drag_sum[0]),
        size_granularity=pd.Series(granularity, index=columns, name="size_granularity"),
    )
