"""Sweeps and comparisons: one pass equals one run per variant; shared work is done once."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import rotation.pipeline as pipeline
import rotation.sweep as sweep_module
from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.config import read_config
from rotation.errors import ConfigError
from rotation.metrics import COSTS
from rotation.pipeline import load_inputs
from rotation.sweep import expand_grid, parse_grid, sweep, variants_of, with_overrides
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config


@pytest.fixture(scope="module")
def thesis():
    config = load_config(CONFIGS / "capital_scarcity.yaml").replace(
        start=__import__("datetime").date(2019, 1, 1)
    )
    return config, load_inputs(config)


def test_parse_grid_reads_yaml_scalars():
    grid = parse_grid(["costs.fees=0,0.001", "rebalance.on_regime_change=true,false", "a.b=x"])
    assert grid == {
        "costs.fees": [0, 0.001],
        "rebalance.on_regime_change": [True, False],
        "a.b": ["x"],
    }
    with pytest.raises(ConfigError, match="expected key=value1,value2"):
        parse_grid(["costs.fees"])


def test_expand_grid_is_the_cartesian_product_and_refuses_huge_grids():
    assert expand_grid({"a": [1, 2], "b": [3, 4, 5]})[1] == {"a": 1, "b": 4}
    assert len(expand_grid({"a": [1, 2], "b": [3, 4, 5]})) == 6
    with pytest.raises(ConfigError, match="more than 1,000,000"):
        expand_grid({f"k{i}": list(range(10)) for i in range(7)})


def test_invalid_combination_is_rejected_before_any_work(thesis, monkeypatch):
    config, _ = thesis
    monkeypatch.setattr(sweep_module, "run_variants", lambda *a, **k: pytest.fail("ran"))
    grid = {"strategy.params.allocations.scarce.cash_flow": [0.5, 0.9], "costs.fees": [0.001]}
    with pytest.raises(
        ConfigError,
        match=r"variant strategy\.params\.allocations\.scarce\.cash_flow=0\.9.*sums to 1\.2",
    ):
        variants_of(config, grid)
    with pytest.raises(
        ConfigError,
        match=r"variant costs\.fee=0\.1: .*unknown key 'costs.fee' \(did you mean 'fees'\?\)",
    ):
        variants_of(config, {"costs.fee": [0.1]})
    with pytest.raises(ConfigError, match="cannot vary 'benchmark'"):  # one data load per sweep
        variants_of(config, {"benchmark": ["NOPE"]})


GRID = {
    "regime.scarce_enter": [0.3, 0.8],
    "strategy.params.vol_lookback": [21, 63],
    "execution_lag": [1, 2],
    "costs.fees": [0.002],
}


def test_every_variant_equals_its_own_backtest_bit_for_bit(thesis):
    """One strategy call and one kernel serve both: a variant of a sweep is its own backtest,
    and that backtest is vectorbt's ``from_orders`` on the same targets."""
    config, inputs = thesis
    result = sweep(config, GRID, inputs)
    assert len(result.table) == 8
    for i, overrides in enumerate(expand_grid(GRID)):
        alone = run_backtest(with_overrides(config, overrides), inputs)
        np.testing.assert_array_equal(result.value[i].to_numpy(), alone.simulation.value)
        for metric in ("sharpe", "annual_return", "max_drawdown", "annual_volatility"):
            assert result.table.loc[i, metric] == pytest.approx(alone.metrics[metric], rel=1e-12)
        assert result.table.loc[i, "fees_paid"] == pytest.approx(
            alone.metrics["fees_paid"], rel=1e-12
        )
        if i in (0, 7):  # vectorbt takes seconds to import and a second per call
            np.testing.assert_array_equal(
                alone.portfolio.value().to_numpy(), alone.simulation.value.to_numpy()
            )


def test_a_variant_reports_the_same_costs_as_its_own_backtest(thesis):
    """Fees, slippage, their total and their drags: the kernel's totals, bit for bit."""
    config, inputs = thesis
    grid = {"costs.fees": [0.0, 0.002], "costs.slippage": [0.0, 0.001], "execution_lag": [1, 2]}
    result = sweep(config, grid, inputs)
    for i, overrides in enumerate(expand_grid(grid)):
        alone = run_backtest(with_overrides(config, overrides), inputs)
        for name in COSTS:
            assert result.table.loc[i, name] == alone.metrics[name], (overrides, name)
    assert (result.table["slippage_paid"] == 0).any() and (result.table["slippage_paid"] > 0).any()
    assert (result.table["fee_drag"] == 0).any() and (result.table["fee_drag"] > 0).any()


def test_whole_share_variants_equal_their_own_backtests(thesis):
    """A sweep obeys each variant's ``fractional``: a whole-share variant of the grid is its own
    whole-share backtest, bit for bit, and differs from its fractional twin."""
    config, inputs = thesis
    grid = {"fractional": [True, False], "costs.fees": [0.0, 0.002]}
    result = sweep(config, grid, inputs)
    for i, overrides in enumerate(expand_grid(grid)):
        alone = run_backtest(with_overrides(config, overrides), inputs)
        assert alone.config.fractional is overrides["fractional"]
        np.testing.assert_array_equal(result.value[i].to_numpy(), alone.simulation.value)
    assert not np.array_equal(result.value[0].to_numpy(), result.value[2].to_numpy())


def test_another_strategy_and_schedule_match_their_backtests_too(thesis):
    config, inputs = thesis
    base = config.replace(
        strategy=with_overrides(
            config, {"strategy.name": "equal_weight", "strategy.params": {}}
        ).strategy
    )
    grid = {"costs.slippage": [0.0, 0.001], "rebalance.every": ["monthly", "quarterly"]}
    result = sweep(base, grid, inputs)
    for i, overrides in enumerate(expand_grid(grid)):
        alone = run_backtest(with_overrides(base, overrides), inputs).simulation.value
        np.testing.assert_array_equal(result.value[i].to_numpy(), alone.to_numpy())


def test_signals_are_computed_once_per_distinct_signal_block(thesis, monkeypatch):
    config, inputs = thesis
    calls = []
    real = pipeline.build_signals
    monkeypatch.setattr(pipeline, "build_signals", lambda *args: calls.append(1) or real(*args))
    grid = {
        "signal.change_days": [21, 63],
        "regime.scarce_enter": [0.3, 0.5, 0.8],
        "costs.fees": [0.0, 0.001],
    }
    sweep(config, grid, inputs)
    assert len(calls) == 2


def test_small_memory_budget_runs_in_chunks_with_the_same_numbers(thesis, monkeypatch):
    config, inputs = thesis
    chunks = []
    real = sweep_module.simulate_target_weights
    monkeypatch.setattr(
        sweep_module,
        "simulate_target_weights",
        lambda *a, **k: chunks.append(a[1].shape[0]) or real(*a, **k),
    )
    one = sweep(config, {"costs.fees": [0.0, 0.001, 0.002, 0.003]}, inputs, memory_mb=64)
    assert chunks == [4]
    chunks.clear()
    many = sweep(config, {"costs.fees": [0.0, 0.001, 0.002, 0.003]}, inputs, memory_mb=0.1)
    assert len(chunks) > 1 and sum(chunks) == 4
    np.testing.assert_array_equal(one.value.to_numpy(), many.value.to_numpy())


def test_each_chunk_fits_the_memory_budget(thesis, monkeypatch):
    """Chunks are sized by the real number of decision rows (the union of the variants'
    decision dates, which a weekly schedule or regime changes make longer than a guess)."""
    from rotation._sim import bytes_per_variant

    config, inputs = thesis
    passes = []
    real = sweep_module.simulate_target_weights
    monkeypatch.setattr(
        sweep_module,
        "simulate_target_weights",
        lambda *a, **k: passes.append((a[0].shape, a[1].shape)) or real(*a, **k),
    )
    grid = {"rebalance.every": ["weekly"], "regime.scarce_enter": [0.2, 0.4, 0.6, 0.8, 1.0]}
    budget_mb = 0.2
    sweep(config, grid, inputs, memory_mb=budget_mb)
    assert len(passes) > 1
    for (n_rows, n_assets), (n_variants, n_rebalances, _) in passes:
        used = n_variants * bytes_per_variant(n_rows, n_assets, n_rebalances)
        assert used <= budget_mb * 1024 * 1024, (n_variants, n_rebalances)


def test_sweep_cli_writes_table_best_and_heatmap(tmp_path):
    out = CliRunner().invoke(
        main,
        [
            "sweep", str(CONFIGS / "capital_scarcity.yaml"),
            "--grid", "regime.scarce_enter=0.3,0.8", "--grid", "costs.fees=0,0.002",
            "--metric", "calmar", "--results", str(tmp_path),
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    folder = next(tmp_path.glob("capital_scarcity-sweep-*"))
    assert {p.name for p in folder.iterdir()} == {
        "variants.csv",
        "summary.json",
        "best.yaml",
        "heatmap.html",
    }
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["variants"] == 4 and summary["metric"] == "calmar"
    spa = summary["overfitting"]["spa"]  # Hansen's SPA of the variants against SPY
    assert 0 < spa["spa_p_value"] <= 1 and spa["spa_variants"] <= 4 and spa["spa_reps"] == 1000
    assert "Hansen's SPA p-value" in out.output
    best = read_config(folder / "best.yaml")
    assert best.regime.scarce_enter == summary["best"]["regime.scarce_enter"]
    html = (folder / "heatmap.html").read_text()
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly.js inline, no CDN


def test_sweep_block_in_the_config(tmp_path, write_config):
    path = write_config(
        base_config(sweep={"grid": {"costs.fees": [0.0, 0.001]}, "metric": "sortino"})
    )
    out = CliRunner().invoke(
        main, ["sweep", str(path), "--results", str(tmp_path / "r"), "--quiet"]
    )
    assert out.exit_code == 0, out.output
    summary = json.loads(next((tmp_path / "r").glob("*-sweep-*/summary.json")).read_text())
    assert summary["variants"] == 2 and summary["metric"] == "sortino"


def test_compare_aligns_windows_and_ranks(tmp_path, write_config):
    late = write_config(base_config(start="2021-01-04", end="2024-06-28", name="late"), name="late")
    early = write_config(
        base_config(start="2019-01-02", end="2024-12-31", name="early"), name="early"
    )
    out = CliRunner().invoke(
        main, ["compare", str(early), str(late), "--results", str(tmp_path / "r")]
    )
    assert out.exit_code == 0, out.output
    assert (
        "early: window 2019-01-02 .. 2024-12-31 aligned to the common 2021-01-04 .. 2024-06-28"
        in out.output
    )
    table = json.loads(next((tmp_path / "r").glob("compare-*/table.json")).read_text())
    assert set(table) == {"early", "late"}
    assert table["early"]["sharpe"] == pytest.approx(
        table["late"]["sharpe"]
    )  # same config, same window
    assert sorted(row["rank"] for row in table.values()) == [1, 1]
