"""``rotation.metrics`` against empyrical-reloaded, its oracle: every statistic bit for bit.

empyrical is imported here only (it is not a dependency of the metrics module any more).
"""

from __future__ import annotations

import subprocess
import sys

import empyrical
import numpy as np
import pandas as pd
import pytest

from rotation import metrics
from rotation._metric_names import RANKABLE
from rotation.metrics import METRICS, PERIODS_PER_YEAR, Sample, compute, finite_or_none

A = {"annualization": PERIODS_PER_YEAR}

# name -> (ours on a (T,) or (T, V) array, empyrical's on a (T,) array)
ORACLE = {
    "total_return": (metrics.total_return, empyrical.cum_returns_final),
    "annual_return": (metrics.annual_return, lambda r: empyrical.annual_return(r, **A)),
    "annual_volatility": (metrics.annual_volatility, lambda r: empyrical.annual_volatility(r, **A)),
    "sharpe": (metrics.sharpe_ratio, lambda r: empyrical.sharpe_ratio(r, **A)),
    "sortino": (metrics.sortino_ratio, lambda r: empyrical.sortino_ratio(r, **A)),
    "downside_risk": (metrics.downside_risk, lambda r: empyrical.downside_risk(r, **A)),
    "max_drawdown": (metrics.max_drawdown, empyrical.max_drawdown),
    "calmar": (metrics.calmar_ratio, lambda r: empyrical.calmar_ratio(r, **A)),
}


def same(a, b) -> bool:
    """Equal bit for bit, NaN equal to NaN."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (
        a.shape == b.shape
        and a.tobytes() == np.where(np.isnan(b), a, b).tobytes()
        and (np.array_equal(np.isnan(a), np.isnan(b)))
    )


def cases() -> list[np.ndarray]:
    """(T, V) returns: ordinary, with NaNs, with zero days, constant, all NaN, short."""
    rng = np.random.default_rng(13)
    out = []
    for t in (0, 1, 2, 3, 5, 30, 300, 1500):
        r = rng.normal(0.0004, 0.012, (t, 6))
        if t:
            r[rng.random(r.shape) < 0.1] = np.nan  # column 0..: scattered NaNs
            r[:, 1] = np.where(rng.random(t) < 0.5, 0.0, r[:, 1])  # many flat days
            r[:, 2] = 0.0  # never moves
            r[:, 3] = 0.001  # constant: zero dispersion
            r[:, 4] = np.nan  # nothing known
            r[:, 5] = np.abs(r[:, 5])  # never falls: no drawdown
        out.append(r)
    return out


@pytest.mark.parametrize("name", ORACLE)
def test_every_statistic_equals_empyrical_bit_for_bit_on_1d_and_2d(name):
    ours, theirs = ORACLE[name]
    for r in cases():
        for j in range(r.shape[1]):
            expected = theirs(r[:, j])
            got = ours(r[:, j])
            assert isinstance(got, float)
            assert same(got, expected), (name, r.shape, j, got, expected)
            assert same(ours(pd.Series(r[:, j])), expected)
            assert same(ours(r)[j], expected), (name, r.shape, j)  # one column of a 2-D input


@pytest.mark.parametrize("name", ["total_return", "annual_return", "annual_volatility", "sharpe",
                                  "sortino", "downside_risk", "max_drawdown"])  # fmt: skip
def test_2d_equals_empyrical_2d(name):
    """empyrical's own 2-D path (calmar has none) gives the same arrays."""
    ours, theirs = ORACLE[name]
    for r in cases():
        if len(r):
            assert same(ours(r), theirs(r)), (name, r.shape)


def test_alpha_beta_equal_empyrical_bit_for_bit():
    rng = np.random.default_rng(7)
    for t in (0, 1, 2, 3, 30, 700):
        bench = rng.normal(0.0003, 0.01, t)
        for r in (
            0.5 * bench + rng.normal(0.0001, 0.008, t),
            np.where(rng.random(t) < 0.1, np.nan, 1.2 * bench),
            np.zeros(t),
        ):
            expected = empyrical.alpha_beta(r, bench, **A)
            got = metrics.alpha_beta(r, bench, risk_free=0.0)
            assert same(got[0], expected[0]) and same(got[1], expected[1]), (t, got, expected)
            series = empyrical.alpha_beta(pd.Series(r), pd.Series(bench), **A)
            assert same(got[0], series[0]) and same(got[1], series[1])
    flat = metrics.alpha_beta(rng.normal(0, 0.01, 50), np.full(50, 0.001), risk_free=0.0)
    assert np.isnan(flat[1])  # a benchmark that never varies has no beta


def test_run_performance_equals_empyrical_on_a_series():
    """The run path: a pandas Series of daily returns, a day-by-day risk-free rate and a
    benchmark, against empyrical given the same rate (``risk_free`` / ``required_return``)."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2020-01-01", periods=400)
    r = pd.Series(rng.normal(0.0005, 0.011, 400), index=days)
    b = pd.Series(rng.normal(0.0003, 0.009, 400), index=days)
    rf = pd.Series(rng.uniform(0.0, 0.0002, 400), index=days)  # synthetic daily rate
    got = metrics.performance(r, rf, benchmark=b)
    alpha, beta = empyrical.alpha_beta(r, b, risk_free=rf, **A)
    expected = {
        "total_return": empyrical.cum_returns_final(r),
        "annual_return": empyrical.annual_return(r, **A),
        "annual_volatility": empyrical.annual_volatility(r, **A),
        "sharpe": empyrical.sharpe_ratio(r, risk_free=rf, **A),
        "sortino": empyrical.sortino_ratio(r, required_return=rf, **A),
        "max_drawdown": empyrical.max_drawdown(r),
        "calmar": empyrical.calmar_ratio(r, **A),
        "alpha": alpha,
        "beta": beta,
    }
    for name, value in expected.items():
        assert got[name] == float(value), name
    assert set(got) == {*expected, "max_drawdown_peak", "max_drawdown_trough"}
    # the rate matters: the same returns against no rate give a higher Sharpe
    assert metrics.performance(r, 0.0)["sharpe"] == float(empyrical.sharpe_ratio(r, **A))
    assert metrics.performance(r, 0.0)["sharpe"] > got["sharpe"]


def test_sweep_samples_subtract_the_rate_from_every_column():
    """(T, V) returns and a (T,) rate: each column's Sharpe is its own excess Sharpe."""
    rng = np.random.default_rng(5)
    r = rng.normal(0.0004, 0.01, (300, 4))
    rf = rng.uniform(0.0, 0.0002, 300)
    got = compute(Sample(r, risk_free=rf), ["sharpe", "sortino"])
    for j in range(4):
        assert same(got["sharpe"][j], empyrical.sharpe_ratio(r[:, j], risk_free=rf, **A))
        assert same(got["sortino"][j], empyrical.sortino_ratio(r[:, j], required_return=rf, **A))
    with pytest.raises(ValueError, match="one per day"):
        Sample(r, risk_free=rf[:-1])


def test_a_known_value_curve_gives_total_return_and_drawdown_from_it():
    """Sweeps read total return and drawdown from the value curve (exact ratios); from the
    returns derived from it the numbers agree to rounding."""
    rng = np.random.default_rng(11)
    value = 100_000 * np.cumprod(1 + rng.normal(0.0004, 0.01, (500, 3)), axis=0)
    value[0] = 100_000
    returns = np.vstack([np.zeros((1, 3)), value[1:] / value[:-1] - 1.0])
    names = ["total_return", "max_drawdown"]
    from_value = compute(Sample(returns, risk_free=0.0, value=value), names)
    from_returns = compute(Sample(returns, risk_free=0.0), names)
    assert same(from_value["total_return"], value[-1] / value[0] - 1.0)
    for name in from_value:
        np.testing.assert_allclose(from_value[name], from_returns[name], rtol=1e-12)


def test_the_registry_is_complete_and_consistent():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    assert tuple(m.name for m in METRICS if m.rankable) == RANKABLE
    assert all(m.better in ("higher", "lower", None) for m in METRICS)
    returns_only = compute(Sample(np.zeros((10, 2)), risk_free=0.0))
    assert tuple(returns_only) == RANKABLE  # every rankable metric comes from returns alone
    full = compute(
        Sample(np.zeros((10, 2)), risk_free=np.zeros(10), value=np.ones((10, 2)),
               benchmark=np.zeros(10), turnover=np.zeros(2), initial_turnover=np.ones(2),
               fees_paid=np.zeros(2), slippage_paid=np.zeros(2), fee_drag_sum=np.zeros(2),
               slippage_drag_sum=np.zeros(2))
    )  # fmt: skip
    assert list(full) == [m.name for m in METRICS if m.compute is not None]


def test_turnover_is_one_way_a_year_after_the_initial_investment():
    """252 days (one year) with a kernel sum of 3.0 (buys + sells over the value before each
    rebalance, initial investment excluded): 1.5 a year, one way."""
    sample = Sample(np.zeros(252), risk_free=0.0, turnover=3.0, initial_turnover=1.0)
    got = compute(sample, ["annual_turnover", "initial_investment"])
    assert got == {"annual_turnover": 1.5, "initial_investment": 1.0}
    two_years = Sample(np.zeros(504), risk_free=0.0, turnover=3.0)
    assert compute(two_years, ["annual_turnover"])["annual_turnover"] == 0.75


def test_regime_in_force_is_the_state_the_positions_were_decided_under():
    """The return of day t is earned by positions traded at the close of t - 1 on the decision
    of execution_lag rows before: with lag 2, day 5's return belongs to day 2's state."""
    days = pd.bdate_range("2024-01-01", periods=8)
    regime = pd.Series(["scarce"] * 3 + ["abundant"] * 5, index=days)
    in_force = metrics.regime_in_force(regime, 2)
    assert in_force.iloc[5] == "scarce" and in_force.iloc[6] == "abundant"
    assert in_force.iloc[:3].isna().all()
    returns = pd.Series(np.r_[0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07], index=days)
    table = metrics.by_regime(returns, regime, 2, 0.0)
    assert table.loc["scarce", "days"] == 3  # days 3, 4, 5
    assert table.loc["abundant", "days"] == 2  # days 6, 7
    expected = (1.03 * 1.04 * 1.05) ** (252 / 3) - 1
    assert table.loc["scarce", "annual_return"] == pytest.approx(expected, rel=1e-12)


def test_cost_metrics_are_money_and_annualized_drag():
    # 504 days (two years); fees 30 and slippage 10 in money; the daily sums of cost / value
    # at the previous close are 0.02 (fees) and 0.005 (slippage), so per year 0.01 and 0.0025
    costs = metrics.compute(
        Sample(np.zeros(504), risk_free=0.0, fees_paid=30.0, slippage_paid=10.0,
               fee_drag_sum=0.02, slippage_drag_sum=0.005),
        metrics.COSTS,
    )  # fmt: skip
    assert costs["fees_paid"] == 30.0 and costs["slippage_paid"] == 10.0
    assert costs["costs_paid"] == 40.0
    assert costs["fee_drag"] == pytest.approx(0.01, rel=1e-15)
    assert costs["slippage_drag"] == pytest.approx(0.0025, rel=1e-15)
    assert costs["cost_drag"] == costs["fee_drag"] + costs["slippage_drag"]
    assert all(metrics.metric(name).better == "lower" for name in metrics.COSTS)


def test_ranking_follows_the_direction():
    assert list(metrics.rank_scores([0.1, 0.3, np.nan], "sharpe")) == [0.1, 0.3, -np.inf]
    assert list(metrics.rank_scores([0.1, 0.3], "annual_volatility")) == [-0.1, -0.3]
    with pytest.raises(KeyError, match="no better direction"):
        metrics.rank_scores([1.0], "beta")
    with pytest.raises(KeyError, match="choose one of"):
        metrics.metric("sharp")


def test_formats():
    assert metrics.metric("sharpe").format(1.234) == "1.23"
    assert metrics.metric("max_drawdown").format(-0.25) == "-25.0%"
    assert metrics.metric("final_value").format(123456.7) == "123,457"
    assert metrics.metric("rebalances").format(1234) == "1,234"
    assert metrics.metric("sharpe").format(None) == "n/a"
    assert metrics.metric("sharpe").format(float("nan"), "–") == "–"


def test_finite_or_none():
    assert finite_or_none(np.float64(1.5)) == 1.5 and type(finite_or_none(np.float64(1))) is float
    assert finite_or_none(None) is None
    assert finite_or_none(np.nan) is None and finite_or_none(-np.inf) is None


def test_importing_the_metrics_loads_neither_scipy_nor_empyrical():
    code = (
        "import sys, rotation.metrics; "
        "print(sorted(m for m in ('scipy', 'empyrical', 'yfinance') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
