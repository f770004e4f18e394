"""Return and risk attribution: hand-checked days, the pieces add up, costs are the residual."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rotation.attribution import CASH, RESIDUAL, attribute, daily_contributions
from rotation.engine import simulate
from rotation.metrics import regime_in_force
from rotation.regime import spells

DATES = pd.bdate_range("2024-01-01", periods=4)


def test_contribution_is_the_previous_weight_times_the_return():
    weights = pd.DataFrame({"A": [0.5, 0.5, 0.2, 0.0], "B": [0.25, 0.3, 0.3, 0.8]}, DATES)
    prices = pd.DataFrame({"A": [10.0, 11.0, 11.0, 9.9], "B": [20.0, 19.0, 19.0, 38.0]}, DATES)
    returns = pd.Series([0.0, 0.04, 0.0, 0.28], DATES)
    c = daily_contributions(weights, prices, returns)
    # day 2: 0.5 * 10% (A) + 0.25 * -5% (B); day 4: 0.2 * -10% + 0.3 * 100%
    assert c.loc[DATES[1], "A"] == pytest.approx(0.05)
    assert c.loc[DATES[1], "B"] == pytest.approx(-0.0125)
    assert c.loc[DATES[1], RESIDUAL] == pytest.approx(0.04 - 0.0375)
    assert c.loc[DATES[3], "A"] == pytest.approx(-0.02)
    assert c.loc[DATES[3], "B"] == pytest.approx(0.3)
    assert c.iloc[0].abs().sum() == 0.0  # nothing held before the first close


@pytest.fixture(scope="module")
def engine_run():
    """A small engine run with costs: three assets over 300 days, rebalanced every 20 days."""
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2020-01-01", periods=300)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.015, (300, 3)), axis=0)), dates, ["A", "B", "C"]
    )
    targets = pd.DataFrame(np.nan, dates, prices.columns)
    decisions = dates[::20]
    targets.loc[decisions] = rng.dirichlet(np.ones(4), len(decisions))[:, :3]
    sim = simulate(
        prices, targets, fees=0.001, slippage=0.0005, execution_lag=1, init_cash=100_000.0
    )
    regime = pd.Series(np.where(np.arange(300) // 50 % 2 == 0, "scarce", "abundant"), dates)
    regime.iloc[:10] = np.nan
    returns = sim.value.pct_change().fillna(0.0)
    sleeves = {"growth": ["A", "B"], "safe": ["C"]}
    return sim, returns, attribute(sim.weights, sim.close, returns, sleeves, regime, 1), regime


def test_pieces_add_up_to_the_portfolio_return_every_day(engine_run):
    _, returns, attribution, _ = engine_run
    np.testing.assert_allclose(attribution.daily.sum(axis=1), returns, rtol=0, atol=1e-15)
    total = returns.sum()
    assert attribution.by_sleeve["return_contribution"].sum() == pytest.approx(total, abs=1e-12)
    assert attribution.by_asset["return_contribution"].sum() == pytest.approx(total, abs=1e-12)
    assert attribution.by_sleeve.loc[CASH, "return_contribution"] == 0.0


def test_the_residual_is_the_costs_of_the_day_over_the_previous_value(engine_run):
    """Independent of the definition: each day's fees and slippage from orders.csv."""
    sim, _, attribution, _ = engine_run
    costs = sim.orders.groupby("date")[["fees", "slippage"]].sum().sum(axis=1)
    expected = -(costs / sim.value.shift(1).reindex(costs.index))
    expected = expected.reindex(sim.value.index, fill_value=0.0)
    np.testing.assert_allclose(attribution.daily[RESIDUAL], expected, rtol=1e-9, atol=1e-15)
    assert (attribution.daily[RESIDUAL] <= 1e-15).all()  # costs never add money


def test_risk_shares_are_the_covariance_form_and_sum_to_one(engine_run):
    sim, returns, attribution, _ = engine_run
    assets = daily_contributions(sim.weights, sim.close, returns)
    for column in assets:
        cov = np.cov(assets[column], returns)
        assert attribution.by_asset.loc[column, "risk_contribution"] == pytest.approx(
            cov[0, 1] / cov[1, 1]
        )
    assert attribution.by_asset["risk_contribution"].sum() == pytest.approx(1.0)
    assert attribution.by_sleeve["risk_contribution"].sum() == pytest.approx(1.0)
    sleeve = attribution.by_asset.groupby("sleeve")["risk_contribution"].sum()
    assert attribution.by_sleeve.loc["growth", "risk_contribution"] == pytest.approx(
        sleeve["growth"]
    )


def test_regimes_and_spells_credit_each_day_to_the_regime_in_force(engine_run):
    _, returns, attribution, regime = engine_run
    in_force = regime_in_force(regime, 1)
    for state, row in attribution.by_regime.iterrows():
        days = in_force == state
        assert row["days"] == days.sum()
        assert row["total"] == pytest.approx(returns[days].sum(), abs=1e-12)
    by_spell = attribution.by_spell
    assert by_spell[["state", "start", "end", "days"]].equals(spells(in_force))
    summed = by_spell.groupby("state")[["growth", "safe", RESIDUAL, "total"]].sum()
    pd.testing.assert_frame_equal(
        summed, attribution.by_regime[summed.columns], check_names=False, atol=1e-12
    )


def test_to_json_is_json_safe_and_keeps_the_numbers(engine_run):
    _, _, attribution, _ = engine_run
    data = json.loads(json.dumps(attribution.to_json(), allow_nan=False))
    assert data["total"] == attribution.total
    sleeves = {r["sleeve"]: r["return_contribution"] for r in data["by_sleeve"]}
    assert sleeves == attribution.by_sleeve["return_contribution"].to_dict()
    assert data["by_spell"][0]["start"] == f"{attribution.by_spell['start'].iloc[0]:%Y-%m-%d}"
    last = {k: v[-1] for k, v in data["cumulative"]["series"].items()}
    assert last == pytest.approx(attribution.by_sleeve["return_contribution"].to_dict())
