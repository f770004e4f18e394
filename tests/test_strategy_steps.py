"""The named strategy steps on tiny hand-checked frames (synthetic, labeled), and the sleeve
strategies built from them (regime_switch, regime_tilt) on the bundled data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotation import strategy as steps
from rotation.backtest import compute_weights, load_inputs
from rotation.config import load_config
from rotation.errors import ConfigError
from rotation.strategy import StrategyInputs, VolTarget, Within
from tests.helpers import CONFIGS, base_config


def _prices(columns: dict, start="2024-01-01") -> pd.DataFrame:
    frame = pd.DataFrame(columns, dtype="float64")
    frame.index = pd.bdate_range(start, periods=len(frame), name="date")
    return frame


def test_capped_weights_redistributes_the_excess_pro_rata():
    w = pd.Series({"a": 0.6, "b": 0.3, "c": 0.1})
    got = steps.capped_weights(w, 0.4)
    # a capped at 0.4; 0.2 goes to b and c by 3:1 -> b 0.45 > 0.4 capped, 0.05 more to c
    assert got.to_dict() == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.2})
    assert steps.capped_weights(pd.Series({"a": 0.5, "b": 0.5}), 0.3).sum() == pytest.approx(0.6)
    assert steps.capped_weights(w, 1.0).equals(w)


def test_momentum_filter_keeps_risers_with_enough_history():
    prices = _prices({"up": [1, 2, 3, 4], "down": [4, 3, 2, 1], "young": [np.nan] * 3 + [5.0]})
    date = prices.index[-1]
    assert steps.momentum_filter(prices, date, ["up", "down", "young"], 3) == ["up"]
    assert steps.momentum_filter(prices, date, ["up"], 10) == []  # not enough rows


def test_switch_and_tilt_give_sleeve_weights():
    by_state = {"scarce": "cash_flow", "neutral": "cash", "abundant": "speculative"}
    assert steps.switch("scarce", by_state, "neutral") == {"cash_flow": 1.0}
    assert steps.switch(None, by_state, "neutral") == {"cash": 1.0}  # warm-up
    base, sens = {"spec": 0.4, "cf": 0.4}, {"spec": -0.2, "cf": 0.2}
    assert steps.tilt(1.0, base, sens) == pytest.approx({"spec": 0.2, "cf": 0.6})
    assert steps.tilt(5.0, base, sens, clip=2.0) == pytest.approx({"spec": 0.0, "cf": 0.8})
    assert steps.tilt(float("nan"), base, sens) == base
    # sums above 1 are scaled to 1
    assert sum(steps.tilt(2.0, {"a": 0.9, "b": 0.1}, {"b": 0.5}).values()) == pytest.approx(1.0)


def test_allocate_keeps_the_cash_sleeve_in_cash():
    members = {"cf": pd.Series({"MU": 1.0}), "def": pd.Series({"BIL": 1.0})}
    row = steps.allocate({"cf": 0.5, "cash": 0.5}, members, fallback="def", columns=["MU", "BIL"])
    assert row.to_dict() == {"MU": 0.5, "BIL": 0.0}


def test_vol_target_scales_down_to_the_target_and_never_levers():
    rng = np.random.default_rng(0)  # synthetic returns, 2 % daily vol ~ 32 % a year
    returns = rng.normal(0, 0.02, (300, 2))
    prices = _prices(
        {"a": 100 * np.cumprod(1 + returns[:, 0]), "b": 50 * np.cumprod(1 + returns[:, 1])}
    )
    row = pd.Series({"a": 0.5, "b": 0.5})
    date = prices.index[-1]
    scaled = steps.vol_target(row, prices, date, annual=0.10, lookback=250)
    window = prices.iloc[-251:].pct_change().iloc[1:]
    sigma = np.sqrt(row.to_numpy() @ window.cov().to_numpy() @ row.to_numpy() * 252)
    assert scaled.sum() == pytest.approx(0.10 / sigma)
    assert steps.vol_target(row, prices, date, annual=2.0, lookback=250).equals(row)


def test_drift_bands_skip_small_drifts_and_trade_large_ones():
    # synthetic: a doubles while b is flat between the first and the third decision
    prices = _prices({"a": [1.0, 1.05, 2.0, 2.0], "b": [1.0, 1.0, 1.0, 1.0]})
    targets = pd.DataFrame(np.nan, index=prices.index, columns=["a", "b"])
    targets.iloc[0] = [0.5, 0.5]
    targets.iloc[1] = [0.5, 0.5]  # a drifted to 0.512: inside a 5-point band -> no trade
    targets.iloc[2] = [0.5, 0.5]  # a drifted to 2/3: outside -> trade
    got = steps.drift_bands(targets, prices, band=0.05)
    assert got.iloc[0].tolist() == [0.5, 0.5]
    assert got.iloc[1].isna().all()
    assert got.iloc[2].tolist() == [0.5, 0.5]
    assert got.iloc[3].isna().all()
    # cash counts: 50 % in a, 50 % cash; a doubles -> 2/3 of the portfolio
    half = targets.copy()
    half.iloc[:3] = [[0.5, 0.0]] * 3
    half.iloc[1] = np.nan
    assert steps.drift_bands(half, prices, band=0.15).iloc[2].tolist() == [0.5, 0.0]
    assert steps.drift_bands(half, prices, band=0.2).iloc[2].isna().all()
    assert steps.drift_bands(targets, prices, band=0.0).equals(targets)


@pytest.fixture(scope="module")
def bundled_case():
    config = load_config(CONFIGS / "regime_switch.yaml")
    inputs = load_inputs(config)
    _, prices, signals, regime, _ = compute_weights(config, inputs)
    schedule = prices.index[(prices.index >= "2019-01-01") & (prices.index <= "2024-12-31")]
    schedule = schedule[
        schedule.to_period("M").to_series().diff().ne(pd.offsets.MonthEnd(0)).to_numpy()
    ]
    return StrategyInputs(
        prices=prices,
        signals=signals,
        regime=regime,
        universe=config.universe,
        schedule=steps.schedule(schedule, "monthly"),
    )


@pytest.mark.parametrize(
    "within",
    [
        Within(),
        Within(weigh="equal", max_weight=0.4, momentum_days=126),
        Within(lookback=21, max_weight=0.3),
    ],
)
def test_sleeve_rotation_equals_the_public_steps(bundled_case, within):
    """The numpy fast path of sleeve_rotation computes what the readable steps compute."""
    inputs = bundled_case

    def sleeves(date):
        return steps.tilt(
            inputs.signals["composite"].get(date),
            {"speculative": 0.4, "cash_flow": 0.4, "cash": 0.2},
            {"speculative": -0.2, "cash_flow": 0.2},
        )

    volatility = VolTarget(annual=0.2, lookback=63)
    fast = steps.sleeve_rotation(
        inputs, sleeves, within=within, fallback="defensive", volatility=volatility
    )
    rows = {}
    for date in inputs.schedule:
        members = steps.sleeve_members(inputs.prices, date, inputs.universe, within)
        row = steps.allocate(
            sleeves(date), members, fallback="defensive", columns=inputs.prices.columns
        )
        rows[date] = steps.vol_target(row, inputs.prices, date, 0.2, 63)
    slow = steps.weights_frame(inputs.prices.index, inputs.prices.columns, rows)
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-12, atol=1e-12)
    decided = fast.loc[inputs.schedule]
    assert (decided.sum(axis=1) <= 1 + 1e-12).all() and decided.notna().all().all()


def test_regime_switch_holds_one_sleeve_per_state():
    config = load_config(CONFIGS / "regime_switch.yaml")
    _, _, _, regime, targets = compute_weights(config, load_inputs(config))
    decided = targets.dropna(how="all")
    sleeve_of = config.sleeve_of
    for date, row in decided.iloc[::7].iterrows():
        held = {sleeve_of[s] for s, w in row.items() if w > 0}
        expected = {"scarce": "cash_flow", "neutral": "defensive", "abundant": "speculative"}
        assert held == {expected[regime.loc[date]]}, date
        assert row.sum() == pytest.approx(1.0)
        n = int((row > 0).sum())
        assert row.max() <= max(0.5, 1 / n) + 1e-12  # max_weight, never below 1/n


def test_regime_tilt_weights_follow_the_composite():
    config = load_config(CONFIGS / "regime_tilt.yaml")
    _, _, signals, _, targets = compute_weights(config, load_inputs(config))
    decided = targets.dropna(how="all")
    cash_flow = decided[list(config.universe["cash_flow"])].sum(axis=1)
    speculative = decided[list(config.universe["speculative"])].sum(axis=1)
    tilt = (cash_flow - speculative).corr(signals["composite"].reindex(decided.index))
    assert tilt > 0.9  # more cash flow the scarcer (drift bands skip some decisions)
    assert len(decided) < len(steps.schedule(decided.index, "monthly")) + 200


def test_sleeve_strategy_params_are_validated(write_config):
    bad = base_config(
        strategy={"name": "regime_switch", "params": {"sleeves": {"scarce": "cashflow"}}}
    )
    with pytest.raises(ConfigError, match="sleeves: missing state"):
        load_config(write_config(bad))
    sleeves = {"scarce": "cashflow", "neutral": "cash", "abundant": "speculative"}
    bad = base_config(strategy={"name": "regime_switch", "params": {"sleeves": sleeves}})
    with pytest.raises(ConfigError, match=r"sleeves.scarce.cashflow: no such sleeve.*cash_flow"):
        load_config(write_config(bad))
    bad = base_config(strategy={"name": "regime_tilt", "params": {"within": {"max_weight": 2}}})
    with pytest.raises(
        ConfigError, match=r"strategy.params.within.max_weight: must be in \(0, 1\]"
    ):
        load_config(write_config(bad))
    bad = base_config(strategy={"name": "regime_tilt", "params": {"vol_target": {"anual": 0.1}}})
    with pytest.raises(ConfigError, match="did you mean 'annual'"):
        load_config(write_config(bad))
