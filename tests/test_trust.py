"""The definitions around a run's numbers, rebuilt independently from its outputs.

Each test here pins one promise of the README's "What the numbers mean": the benchmark is
bought when the strategy first trades, Sharpe / Sortino / alpha are in excess of a stated
risk-free rate, turnover is one way per rebalance after the initial investment, and a day's
return is credited to the regime its positions were decided under. Runs are on the bundled
(real) data.
"""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest

from rotation.backtest import run_backtest
from rotation.config import read_config
from rotation.data.sources import bundled
from rotation.errors import ConfigError
from rotation.pipeline import load_inputs
from rotation.validate import check_config
from tests.helpers import CONFIGS

A = {"annualization": 252}


@pytest.fixture(scope="module")
def spy_config():
    return read_config(CONFIGS / "spy_buy_hold.yaml")


@pytest.fixture(scope="module")
def spy_inputs(spy_config):
    return load_inputs(spy_config)


@pytest.fixture(scope="module")
def scarcity():
    config = read_config(CONFIGS / "capital_scarcity.yaml")
    return run_backtest(config)


# --- 1. the benchmark enters with the strategy ---------------------------------------------


# The two dates, a pre-holiday Friday, a crash day, and dates drawn with a fixed seed.
_rng = np.random.default_rng(20261201)
_DRAWN = [
    str(pd.Timestamp(d).date())
    for d in _rng.choice(pd.bdate_range("2015-02-01", "2025-06-30"), size=5, replace=False)
]
STARTS = ["2015-01-01", "2020-03-13", "2018-12-21", "2020-03-16", *_DRAWN]


@pytest.mark.parametrize("start", STARTS)
def test_buy_and_hold_of_the_benchmark_never_beats_it(spy_config, spy_inputs, start):
    """Holding SPY and paying costs returns no more than the SPY benchmark, with beta 1 and
    alpha within costs of 0, whatever the start."""
    run = run_backtest(spy_config.replace(start=pd.Timestamp(start).date()), spy_inputs)
    m = run.metrics
    first_fill = run.simulation.orders["date"].min()
    assert m["benchmark_entry"] == first_fill.date().isoformat()
    assert m["total_return"] <= m["benchmark_total_return"]
    # bought once at close * (1 + slippage) with fees: exactly that much behind
    costs = (1 + spy_config.costs.slippage) * (1 + spy_config.costs.fees)
    assert (1 + m["total_return"]) * costs == pytest.approx(1 + m["benchmark_total_return"])
    assert m["beta"] == pytest.approx(1.0, abs=1e-9)
    assert abs(m["alpha"]) < 1e-9  # the costs are paid on the entry day, before alpha's days
    before = run.benchmark_value.loc[: first_fill - pd.Timedelta(days=1)]
    assert (before == spy_config.init_cash).all()  # cash until the common entry


def test_the_benchmark_curve_is_its_close_from_the_entry(spy_config, spy_inputs):
    run = run_backtest(spy_config.replace(start=pd.Timestamp("2020-03-13").date()), spy_inputs)
    close = bundled().prices("SPY").loc["2020-03-16" : run.metrics["end"]]
    expected = close / close.iloc[0] * spy_config.init_cash
    got = run.benchmark_value.loc["2020-03-16":]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-13)
    assert run.metrics["benchmark_measure"].startswith("SPY bought at the close of 2020-03-16")


def test_alpha_and_beta_use_only_the_days_both_are_invested(scarcity):
    m = scarcity.metrics
    entry = pd.Timestamp(m["benchmark_entry"])
    days = scarcity.returns.index > entry
    r, b = scarcity.returns[days], scarcity.benchmark_value.pct_change()[days]
    alpha, beta = empyrical.alpha_beta(r, b, risk_free=scarcity.risk_free[days], **A)
    assert m["alpha"] == float(alpha) and m["beta"] == float(beta)


# --- 2. a risk-free rate, named and used ---------------------------------------------------


def test_sharpe_sortino_and_alpha_are_in_excess_of_the_3_month_bill(scarcity):
    m = scarcity.metrics
    assert m["risk_free"]["setting"] == "DGS3MO"
    assert "3-month Treasury bill" in m["risk_free"]["description"]
    r, rf = scarcity.returns, scarcity.risk_free
    assert rf.iloc[0] == 0.0 and (rf.iloc[1:] != 0).mean() > 0.7  # bills paid most days
    assert m["sharpe"] == float(empyrical.sharpe_ratio(r, risk_free=rf, **A))
    assert m["sortino"] == float(empyrical.sortino_ratio(r, required_return=rf, **A))
    assert m["sharpe"] < float(empyrical.sharpe_ratio(r, **A))  # the old, flattering number
    # the annual mean against the raw FRED series over the same span (percent a year)
    raw = bundled().macro("DGS3MO").loc[m["start"] : m["end"]]
    assert m["risk_free"]["annual_mean"] == pytest.approx(raw.mean() / 100, abs=0.002)


def test_a_constant_rate_accrues_over_calendar_days(spy_config, spy_inputs):
    config = spy_config.replace(risk_free="0.04")
    run = run_backtest(config, load_inputs(config))
    days = run.returns.index.to_series().diff().dt.days.to_numpy()
    expected = 1.04 ** (days / 365.0) - 1.0
    expected[0] = 0.0
    np.testing.assert_allclose(run.risk_free.to_numpy(), expected, rtol=1e-15)
    assert run.metrics["risk_free"]["annual_mean"] == pytest.approx(0.04, abs=0.0015)
    assert run.metrics["sharpe"] == float(
        empyrical.sharpe_ratio(run.returns, risk_free=run.risk_free, **A)
    )


def test_a_symbol_rate_is_its_daily_total_return(spy_config):
    config = spy_config.replace(risk_free="BIL")
    run = run_backtest(config, load_inputs(config))
    bil = bundled().prices("BIL").reindex(run.returns.index).pct_change()
    np.testing.assert_allclose(run.risk_free.iloc[1:], bil.iloc[1:], rtol=1e-15)
    zero = spy_config.replace(risk_free="0")
    none = run_backtest(zero, load_inputs(zero))
    assert none.metrics["risk_free"]["description"] == "none (0)"
    assert none.metrics["sharpe"] == float(empyrical.sharpe_ratio(none.returns, **A))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("^IRX", "a Yahoo index such as ^IRX is a yield"),
        (4.5, "a constant rate is a fraction a year"),
        (10**400, "a constant rate is a fraction a year.*got inf"),  # too large for a float
        ("NOPE", "risk_free: unknown symbol 'NOPE'"),
        ("DGS1MO", "risk_free: unknown FRED series 'DGS1MO'"),
    ],
)
def test_a_bad_risk_free_names_the_key(write_config, value, message):
    from tests.helpers import base_config

    path = write_config(base_config(risk_free=value))
    with pytest.raises(ConfigError, match=message.replace("^", r"\^")) as caught:
        check_config(read_config(path))
    assert str(path) in str(caught.value)


def test_a_rate_unknown_inside_the_window_is_an_error_naming_it(spy_config):
    """Data that stops: the T-bill series cut in 2020 cannot measure a run to 2026."""
    from dataclasses import replace

    from rotation.errors import DataError

    inputs = load_inputs(spy_config)
    assert inputs.risk_free is not None
    cut = replace(inputs, risk_free=inputs.risk_free.loc[:"2020-06-30"])
    with pytest.raises(DataError, match=r"risk_free 'DGS3MO' has no value known on 2020-07"):
        run_backtest(spy_config, cut)


# --- 4. turnover: one definition ----------------------------------------------------------


def test_buy_and_hold_turns_nothing_over_and_shows_its_initial_investment(spy_config, spy_inputs):
    m = run_backtest(spy_config, spy_inputs).metrics
    assert m["annual_turnover"] == 0.0
    costs = (1 + spy_config.costs.slippage) * (1 + spy_config.costs.fees)
    # all the cash, fees included, went in: notional at the fill price = cash / (1 + fees)
    assert m["initial_investment"] == pytest.approx(1 / (1 + spy_config.costs.fees), rel=1e-12)
    assert costs > 1


def test_turnover_rebuilt_from_the_run_outputs(scarcity):
    """Half of bought plus sold value over the value before each rebalance (shares held at
    the previous close valued at this close, plus cash), summed after the first rebalance,
    per year."""
    sim = scarcity.simulation
    orders = sim.orders
    close = sim.close
    per_day = []
    for day, fills in orders.groupby("date", sort=True):
        row = close.index.get_loc(day)
        held = sim.shares.iloc[row - 1] if row else sim.shares.iloc[0] * 0
        cash = sim.cash.iloc[row - 1] if row else sim.init_cash
        before = float((held * close.iloc[row]).sum() + cash)
        per_day.append(float(fills["value"].abs().sum()) / before)
    years = len(scarcity.returns) / 252
    assert scarcity.metrics["initial_investment"] == pytest.approx(per_day[0], rel=1e-12)
    expected = sum(per_day[1:]) / 2 / years
    assert scarcity.metrics["annual_turnover"] == pytest.approx(expected, rel=1e-12)


# --- 5. per-regime returns follow the decision ---------------------------------------------


@pytest.mark.parametrize("lag", [1, 3])
def test_each_day_counts_for_the_regime_its_positions_were_decided_under(lag):
    config = read_config(CONFIGS / "capital_scarcity.yaml").replace(execution_lag=lag)
    from rotation.pipeline import prepare

    prepared = prepare(config)
    run = run_backtest(config, prepared.inputs)
    decided = prepared.regime.shift(1 + lag).reindex(run.returns.index)
    counts = decided.value_counts()
    table = run.regime_table
    for state in table.index:
        assert table.loc[state, "days"] == counts[state], state
        days = run.returns[decided == state]
        rate = run.risk_free[decided == state]
        assert table.loc[state, "annual_return"] == pytest.approx(
            float(empyrical.annual_return(days, **A)), rel=1e-12
        )
        assert table.loc[state, "sharpe"] == pytest.approx(
            float(empyrical.sharpe_ratio(days, risk_free=rate, **A)), rel=1e-12
        )
    shares = (decided.dropna().value_counts() / decided.notna().sum()).to_dict()
    for state, share in run.metrics["time_in_regime"].items():
        assert share == pytest.approx(shares.get(state, 0.0), rel=1e-12)


def test_a_strategy_that_starts_in_cash_is_compared_from_its_first_fill(write_config, spy_inputs):
    """First decisions that hold only cash are not an entry: the benchmark waits for the
    first fill (synthetic allocation on real data: all cash when scarce, SPY otherwise)."""
    from tests.helpers import base_config

    raw = base_config(
        universe={"equity": ["SPY"], "defensive": ["BIL"]},
        start="2015-07-01",  # the regime is scarce from 2015-06-04 to 2015-09-14
        strategy={
            "name": "capital_scarcity",
            "params": {
                "allocations": {
                    "scarce": {},
                    "neutral": {"equity": 1.0},
                    "abundant": {"equity": 1.0},
                },
                "within_sleeve": "equal",
            },
        },
    )
    config = read_config(write_config(raw))
    run = run_backtest(config, load_inputs(config))
    first_fill = run.simulation.orders["date"].min()
    first_target = run.simulation.executed_targets.dropna(how="all").index[0]
    assert first_fill > first_target  # it started in cash
    assert run.metrics["benchmark_entry"] == first_fill.date().isoformat()
    assert (run.benchmark_value.loc[:first_fill] == config.init_cash).all()
