"""The engine against an independent plain-numpy rebalancing, and the execution-lag contract.

Prices and weights here are synthetic (hand-made or seeded random), labeled as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotation.backtest import run_backtest
from rotation.engine import apply_execution_lag, check_target_weights, simulate
from rotation.errors import StrategyError
from rotation.validate import load_config
from tests.helpers import CONFIGS


def reference_equity(close, executed, fees, slippage, init_cash):
    """Rebalance to target fractions of the portfolio value at each trading row's close.

    Sells before buys (ascending order value), slippage moves the fill price against us, fees
    are a fraction of the filled value, buys are cut to the cash available. Plain numpy.
    """
    n_rows, n_assets = close.shape
    shares = np.zeros(n_assets)
    cash = init_cash
    out = np.empty(n_rows)
    for t in range(n_rows):
        target = executed[t]
        if not np.isnan(target).all():
            value = cash + shares @ close[t]
            wanted = np.where(np.isnan(target), shares * close[t], target * value)
            delta_value = wanted - shares * close[t]
            for i in np.argsort(delta_value, kind="stable"):
                delta = delta_value[i] / close[t, i]
                if delta < 0:
                    price = close[t, i] * (1 - slippage)
                    shares[i] += delta
                    cash += -delta * price * (1 - fees)
                elif delta > 0:
                    price = close[t, i] * (1 + slippage)
                    delta = min(delta, cash / (price * (1 + fees)))
                    shares[i] += delta
                    cash -= delta * price * (1 + fees)
        out[t] = cash + shares @ close[t]
    return out


def _frame(values, columns=("a", "b", "c")):
    index = pd.bdate_range("2021-01-04", periods=len(values), name="date")
    return pd.DataFrame(np.asarray(values, dtype=float), index=index, columns=list(columns))


def test_hand_made_rebalance_matches_numpy_reference():
    # synthetic prices: three assets over eight days
    prices = _frame(
        [[10, 20, 5], [11, 19, 5], [12, 18, 6], [11, 21, 6], [10, 22, 7],
         [12, 20, 6], [13, 19, 5], [12, 23, 6]]
    )  # fmt: skip
    targets = prices * np.nan
    targets.iloc[0] = [0.5, 0.5, 0.0]  # fully invested: the last buy is cut by fees
    targets.iloc[3] = [0.2, 0.3, 0.4]  # partly in cash
    targets.iloc[5] = [0.0, 1.0, 0.0]
    sim = simulate(prices, targets, fees=0.001, slippage=0.0005, execution_lag=1, init_cash=1000)
    executed = apply_execution_lag(targets, 1).to_numpy()
    expected = reference_equity(prices.to_numpy(), executed, 0.001, 0.0005, 1000.0)
    np.testing.assert_allclose(sim.value.to_numpy(), expected, rtol=1e-9)
    # before the first trade nothing moves; costs make the first trade lose a little
    assert sim.value.iloc[0] == 1000.0
    assert sim.value.iloc[1] < 1000.0


@pytest.mark.parametrize("seed", range(6))
def test_random_rebalancing_matches_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_assets = 120, 5
    # synthetic geometric random walks
    prices = _frame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_rows, n_assets)), axis=0)),
        columns=[f"s{i}" for i in range(n_assets)],
    )
    targets = prices * np.nan
    for row in range(0, n_rows, 7):
        w = rng.dirichlet(np.ones(n_assets)) * rng.choice([0.6, 1.0])
        w[rng.random(n_assets) < 0.3] = 0.0
        targets.iloc[row] = w
    fees, slippage, lag = rng.choice([0.0, 0.001, 0.005]), rng.choice([0.0, 0.001]), 1 + seed % 3
    sim = simulate(prices, targets, fees=fees, slippage=slippage, execution_lag=lag, init_cash=1e5)
    expected = reference_equity(
        prices.to_numpy(), apply_execution_lag(targets, lag).to_numpy(), fees, slippage, 1e5
    )
    np.testing.assert_allclose(sim.value.to_numpy(), expected, rtol=1e-9)


def test_a_decision_trades_only_after_the_lag():
    prices = _frame([[10, 10, 10]] * 3 + [[20, 10, 10]] * 5)  # synthetic: asset a doubles on row 3
    targets = prices * np.nan
    targets.iloc[2] = [1.0, 0.0, 0.0]  # decided at the close of row 2, just before the jump
    lag1 = simulate(prices, targets, fees=0, slippage=0, execution_lag=1, init_cash=100)
    lag2 = simulate(prices, targets, fees=0, slippage=0, execution_lag=2, init_cash=100)
    assert lag1.value.iloc[-1] == pytest.approx(100.0)  # bought at 20, after the jump
    assert lag2.value.iloc[-1] == pytest.approx(100.0)
    assert lag1.orders["date"].iloc[0] == prices.index[3]
    assert lag2.orders["date"].iloc[0] == prices.index[4]


def test_costs_never_add_money():
    rng = np.random.default_rng(42)
    prices = _frame(100 * np.exp(np.cumsum(rng.normal(0, 0.02, (200, 3)), axis=0)))
    targets = prices * np.nan
    for row in range(0, 200, 5):
        targets.iloc[row] = rng.dirichlet(np.ones(3))
    free = simulate(prices, targets, fees=0, slippage=0, execution_lag=1, init_cash=1e4)
    costly = simulate(prices, targets, fees=0.002, slippage=0.001, execution_lag=1, init_cash=1e4)
    assert (costly.value <= free.value + 1e-9).all()
    assert costly.orders["fees"].sum() > 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0.7, 0.5, 0.0], "sum to 1.200000 > 1"),
        ([-0.1, 0.5, 0.0], "negative target weight"),
        ([0.5, np.nan, 0.0], "is NaN in a trading row"),
    ],
)
def test_broken_weights_are_rejected_with_date_and_symbol(row, message):
    prices = _frame([[10, 20, 5]] * 4)
    targets = prices * np.nan
    targets.iloc[1] = row
    with pytest.raises(StrategyError, match=message.replace("(", r"\(")):
        check_target_weights(targets, prices)


def test_weight_on_an_asset_without_price_is_rejected():
    prices = _frame([[10, np.nan, 5], [10, np.nan, 5], [10, 20, 5]])  # b lists on row 2
    targets = prices * np.nan
    targets.iloc[0] = [0.5, 0.5, 0.0]
    with pytest.raises(StrategyError, match="'b' on 2021-01-04 but it has no price"):
        check_target_weights(targets, prices)


@pytest.mark.parametrize("fractional", [True, False], ids=["fractional", "whole_shares"])
@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_equals_its_vectorbt_portfolio_bit_for_bit(path, fractional):
    """The engine is vectorbt's ``from_orders`` accounting: the run's books and fills equal
    the ``Portfolio`` it hands to notebook users, to the last bit; with ``fractional: false``
    that ``Portfolio`` gets ``size_granularity`` 1.0 on the equities."""
    result = run_backtest(load_config(path).replace(fractional=fractional))
    sim, portfolio = result.simulation, result.portfolio
    np.testing.assert_array_equal(sim.value.to_numpy(), portfolio.value().to_numpy())
    np.testing.assert_array_equal(sim.cash.to_numpy(), portfolio.cash().to_numpy())
    np.testing.assert_array_equal(sim.shares.to_numpy(), portfolio.assets().to_numpy())
    records = portfolio.orders.values
    np.testing.assert_array_equal(sim.orders["shares"].to_numpy(), records["size"])
    np.testing.assert_array_equal(sim.orders["price"].to_numpy(), records["price"])
    np.testing.assert_array_equal(sim.orders["fees"].to_numpy(), records["fees"])


def test_whole_shares_hold_integer_equities_and_fractional_crypto():
    """``fractional: false``: every equity/ETF position is a whole number of shares at every
    close, crypto keeps fractions, and the leftover of each rebalance stays in cash."""
    config = load_config(CONFIGS / "capital_scarcity.yaml")
    whole = run_backtest(config.replace(fractional=False)).simulation
    fractional = run_backtest(config).simulation
    crypto = [s for s in whole.shares.columns if s.endswith("-USD")]
    equities = [s for s in whole.shares.columns if s not in crypto]
    assert crypto and equities
    held = whole.shares[equities].to_numpy()
    np.testing.assert_array_equal(held, np.floor(held))
    assert (whole.shares[crypto].to_numpy() % 1 != 0).any()
    assert (whole.orders["shares"][whole.orders["symbol"].isin(equities)] % 1 == 0).all()
    assert (fractional.shares[equities].to_numpy() % 1 != 0).any()
    assert whole.size_granularity[equities].eq(1.0).all()
    assert whole.size_granularity[crypto].isna().all()
    assert (whole.cash > fractional.cash).mean() > 0.9  # rounding down leaves cash idle
