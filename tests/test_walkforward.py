"""Walk-forward: windows, the in-sample pick, fresh out-of-sample runs, no look-ahead."""

from __future__ import annotations

import json
from html import escape

import empyrical
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.errors import ConfigError, DataError
from rotation.metrics import COSTS, PERIODS_PER_YEAR
from rotation.pipeline import load_inputs
from rotation.sweep import expand_grid, with_overrides
from rotation.validate import load_config
from rotation.walkforward import folds, parse_span, walk_forward, window_metrics
from tests.helpers import base_config
from tests.test_pipeline import perturb_after

GRID = {"regime.scarce_enter": [0.3, 0.8], "strategy.params.vol_lookback": [21, 63]}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    import yaml

    from tests.helpers import STRATEGIES

    path = tmp_path_factory.mktemp("cfg") / "wf.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(name="wf")}  # 2019 .. 2024
    path.write_text(yaml.safe_dump(raw))
    config = load_config(path)
    inputs = load_inputs(config)
    return config, inputs, walk_forward(config, GRID, inputs, train="2y", test="1y")


def test_parse_span():
    assert parse_span("3y") == pd.DateOffset(years=3)
    assert parse_span("18M") == pd.DateOffset(months=18)
    for bad in ("3w", "y", "0y", "1.5y"):
        with pytest.raises(ConfigError, match="expected years or months"):
            parse_span(bad)


def test_folds_roll_by_the_test_length():
    days = pd.bdate_range("2015-01-01", "2020-06-30")
    steps = folds(days, parse_span("2y"), parse_span("1y"))
    assert [(f.train_start, f.train_end, f.test_start, f.test_end) for f in steps] == [
        tuple(pd.Timestamp(d) for d in dates)
        for dates in [
            ("2015-01-01", "2016-12-30", "2017-01-02", "2017-12-29"),
            ("2016-01-01", "2017-12-29", "2018-01-01", "2018-12-31"),
            ("2017-01-02", "2018-12-31", "2019-01-01", "2019-12-31"),
            ("2018-01-01", "2019-12-31", "2020-01-01", "2020-06-30"),  # last one partial
        ]
    ]
    anchored = folds(days, parse_span("2y"), parse_span("1y"), anchored=True)
    assert {f.train_start for f in anchored} == {pd.Timestamp("2015-01-01")}
    assert [f.test_start for f in anchored] == [f.test_start for f in steps]
    short = folds(days[days <= "2020-01-20"], parse_span("2y"), parse_span("1y"))
    assert len(short) == 3  # 14 test days left in 2020: fewer than 21, dropped
    with pytest.raises(DataError, match="no walk-forward window fits"):
        folds(days, parse_span("6y"), parse_span("1y"))


def test_window_metrics_match_empyrical():
    rng = np.random.default_rng(5)  # synthetic returns
    returns = rng.normal(0.0005, 0.01, (300, 3))
    rate = rng.uniform(0.0, 0.0002, 300)  # synthetic daily risk-free rate
    got = window_metrics(returns, rate)
    for j in range(3):
        r = returns[:, j]
        assert got["sharpe"][j] == pytest.approx(
            empyrical.sharpe_ratio(r, risk_free=rate, annualization=PERIODS_PER_YEAR)
        )
        assert got["max_drawdown"][j] == pytest.approx(empyrical.max_drawdown(r))
        assert got["total_return"][j] == pytest.approx(empyrical.cum_returns_final(r))
        assert got["calmar"][j] == pytest.approx(
            empyrical.calmar_ratio(r, annualization=PERIODS_PER_YEAR)
        )


def test_windows_tile_the_span_and_training_ends_before_testing(case):
    _, _, wf = case
    w = wf.windows
    assert len(w) == 4  # tests 2021, 2022, 2023, 2024
    assert (pd.to_datetime(w["train_end"]) < pd.to_datetime(w["test_start"])).all()
    dates = wf.sweep.value.index
    for prev, nxt in zip(w.itertuples(), w.iloc[1:].itertuples(), strict=False):
        after = dates[dates > pd.Timestamp(prev.test_end)][0]
        assert pd.Timestamp(nxt.test_start) == after  # no gap, no overlap
    assert wf.equity.index.is_unique and wf.equity.index[0] == pd.Timestamp(w["test_start"][0])


def test_each_winner_is_the_best_of_its_training_window_run_alone(case):
    config, inputs, wf = case
    overrides = expand_grid(GRID)
    # every variant run alone (the vectorbt engine), sliced to each training window
    alone = [run_backtest(with_overrides(config, o), inputs) for o in overrides]
    for row in wf.windows.itertuples():
        span = slice(str(row.train_start), str(row.train_end))
        sharpe = [
            empyrical.sharpe_ratio(
                run.returns.loc[span],
                risk_free=run.risk_free.loc[span],
                annualization=PERIODS_PER_YEAR,
            )
            for run in alone
        ]
        best = max(sharpe)
        assert row.winner == next(i for i, x in enumerate(sharpe) if x >= best - 1e-6)
        assert row.is_sharpe == pytest.approx(best, rel=1e-6)
        assert row.winner_overrides == "; ".join(
            f"{k}={v}" for k, v in overrides[row.winner].items()
        )


def test_each_test_window_is_a_fresh_run_on_the_capital_carried_over(case):
    config, inputs, wf = case
    capital = config.init_cash
    for row in wf.windows.itertuples():
        assert row.start_capital == pytest.approx(capital)
        variant = with_overrides(config, expand_grid(GRID)[row.winner])
        alone = run_backtest(
            variant.replace(start=row.test_start, end=row.test_end, init_cash=capital), inputs
        )
        fresh = alone.simulation.value
        for name in COSTS:  # the costs paid in the window, as its own backtest reports them
            assert getattr(row, f"oos_{name}") == alone.metrics[name], (row.fold, name)
        segment = wf.equity.loc[wf.equity["fold"] == row.fold, "walk_forward"]
        np.testing.assert_allclose(segment.to_numpy(), fresh.to_numpy(), rtol=1e-12)
        assert segment.iloc[0] == pytest.approx(capital)  # starts in cash
        assert row.oos_sharpe == pytest.approx(
            empyrical.sharpe_ratio(
                fresh.pct_change().iloc[1:],
                risk_free=alone.risk_free.iloc[1:],
                annualization=PERIODS_PER_YEAR,
            )
        )
        assert row.handover_cost >= 0
        capital = row.end_value - row.handover_cost
    assert wf.windows["handover_cost"].iloc[:-1].gt(0).all()  # selling costs something


def test_data_after_a_test_window_changes_nothing_up_to_it(case):
    config, inputs, wf = case
    cut = pd.Timestamp(wf.windows["test_end"][1])
    later = walk_forward(config, GRID, perturb_after(inputs, cut, seed=1), train="2y", test="1y")
    early = ["winner", "is_sharpe", "oos_sharpe", "end_value", "handover_cost"]
    pd.testing.assert_frame_equal(later.windows[early].iloc[:2], wf.windows[early].iloc[:2])
    pd.testing.assert_frame_equal(later.equity.loc[:cut], wf.equity.loc[:cut])
    assert not later.equity.loc[cut:].iloc[1:].equals(wf.equity.loc[cut:].iloc[1:])


def test_cli_writes_windows_equity_summary_and_page(tmp_path, write_config):
    path = write_config(base_config(name="wfcli"))
    out = CliRunner().invoke(
        main,
        [
            "walkforward", str(path), "--train", "2y", "--test", "18m",
            "--grid", "regime.scarce_enter=0.3,0.8", "--results", str(tmp_path),
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "in-sample Sharpe (mean of windows)" in out.output
    folder = next(tmp_path.glob("wfcli-walkforward-*"))
    assert {p.name for p in folder.iterdir()} == {
        "windows.csv",
        "oos_equity.csv",
        "summary.json",
        "walkforward.html",
    }
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["train"] == "2y" and summary["test"] == "18m" and summary["variants"] == 2
    assert summary["windows"] == len(pd.read_csv(folder / "windows.csv")) == 3
    # how the benchmark is measured and the rate Sharpe is in excess of are stated
    assert "bought at the close of" in summary["benchmark"]["measure"]
    assert summary["risk_free"]["setting"] == "DGS3MO"
    page = (folder / "walkforward.html").read_text()
    assert escape(summary["benchmark"]["measure"]) in page and "risk-free rate" in page
    assert set(summary["walk_forward"]) >= {"sharpe", "annual_return", "max_drawdown"}
    equity = pd.read_csv(folder / "oos_equity.csv", index_col="date", parse_dates=True)
    assert list(equity.columns) == ["walk_forward", "static", "benchmark", "fold", "risk_free"]
    html = (folder / "walkforward.html").read_text()
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly inline, no CDN


def test_cli_needs_a_grid(tmp_path, write_config):
    out = CliRunner().invoke(main, ["walkforward", str(write_config(base_config()))])
    assert out.exit_code == 2 and "nothing to select from" in out.output
    out = CliRunner().invoke(
        main, ["walkforward", str(write_config(base_config())), "--train", "3w", "--grid", "a=1"]
    )
    assert out.exit_code == 2 and "expected years or months" in out.output


def test_whole_shares_hold_in_the_selection_and_in_the_fresh_runs(case):
    """``fractional: false`` reaches both halves of a walk-forward: the sweep it selects from
    and the out-of-sample runs (each a whole-share backtest of its winner)."""
    config, inputs, fractional = case
    whole_config = config.replace(fractional=False)
    wf = walk_forward(whole_config, GRID, inputs, train="2y", test="1y")
    overrides = expand_grid(GRID)
    alone = run_backtest(with_overrides(whole_config, overrides[0]), inputs).simulation
    np.testing.assert_array_equal(wf.sweep.value[0].to_numpy(), alone.value.to_numpy())
    assert not np.array_equal(wf.sweep.value[0].to_numpy(), fractional.sweep.value[0].to_numpy())
    row = next(wf.windows.itertuples())
    variant = with_overrides(whole_config, overrides[row.winner])
    fresh = run_backtest(
        variant.replace(start=row.test_start, end=row.test_end, init_cash=row.start_capital), inputs
    ).simulation
    segment = wf.equity.loc[wf.equity["fold"] == row.fold, "walk_forward"]
    np.testing.assert_allclose(segment.to_numpy(), fresh.value.to_numpy(), rtol=1e-12)
    held = fresh.shares.drop(columns=[s for s in fresh.shares.columns if s.endswith("-USD")])
    np.testing.assert_array_equal(held.to_numpy(), np.floor(held.to_numpy()))
