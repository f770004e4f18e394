"""One backtest end to end: the prepared stages (``rotation.pipeline``), the engine, metrics.

``run_backtest`` is deterministic given a config and its inputs (same inputs, same numbers,
bit for bit), which is what lets the tests perturb the inputs after a date and check that
nothing before it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from rotation._types import Prices, Regime, Weights
from rotation.config import Config
from rotation.data.align import align_prices
from rotation.engine import Simulation, simulate
from rotation.metrics import annual_turnover, by_regime, finite_or_none, performance
from rotation.pipeline import Inputs, Prepared, Window, prepare
from rotation.regime import STATES


@dataclass(frozen=True)
class Backtest:
    """Everything one run produced; ``runs.save`` writes it to a results folder."""

    config: Config
    window: Window
    prices: Prices
    signals: pd.DataFrame
    regime: Regime
    targets: Weights
    simulation: Simulation
    benchmark_value: pd.Series
    metrics: dict[str, Any]
    regime_table: pd.DataFrame
    fingerprint: str
    source: str
    notes: tuple[str, ...] = field(default=())

    @property
    def returns(self) -> pd.Series:
        return self.simulation.value.pct_change().fillna(0.0).rename("returns")

    @property
    def portfolio(self) -> Any:
        """The run as a vectorbt ``Portfolio`` (``.stats()``, ``.plot()``), built on first use."""
        return self.simulation.portfolio


def run_backtest(config: Config, inputs: Inputs | None = None) -> Backtest:
    """Run ``config`` on ``inputs`` (loaded from the config's data source when omitted)."""
    return simulate_prepared(prepare(config, inputs))


def simulate_prepared(prepared: Prepared) -> Backtest:
    """Simulate a prepared config over its window: engine, benchmark, metrics."""
    config, inputs, window = prepared.config, prepared.inputs, prepared.window
    prices, signals, regime, targets = (
        prepared.prices,
        prepared.signals,
        prepared.regime,
        prepared.targets,
    )
    rows = prepared.in_window
    prices_w, targets_w = prices.loc[rows], targets.loc[rows]
    simulation = simulate(
        prices_w,
        targets_w,
        fees=config.costs.fees,
        slippage=config.costs.slippage,
        execution_lag=config.execution_lag,
        init_cash=config.init_cash,
        fractional=config.fractional,
    )
    calendar = cast(pd.DatetimeIndex, prices_w.index)  # prices are indexed by date
    bench = align_prices({config.benchmark: inputs.closes[config.benchmark]}, calendar)
    bench_close = bench[config.benchmark].ffill()
    benchmark_value = (bench_close / bench_close.iloc[0] * config.init_cash).rename("benchmark")
    returns = simulation.value.pct_change().fillna(0.0)
    bench_returns = benchmark_value.pct_change().fillna(0.0)
    regime_w = regime.loc[rows]
    metrics = performance(returns, bench_returns)
    traded_days = simulation.orders["date"].nunique() if len(simulation.orders) else 0
    state_in_force = regime_w.shift(1).dropna()
    metrics.update(
        {
            "start": window.start.date().isoformat(),
            "end": window.end.date().isoformat(),
            "days": len(returns),
            "final_value": float(simulation.value.iloc[-1]),
            "annual_turnover": annual_turnover(simulation.orders, simulation.value),
            "rebalances": int(traded_days),
            "orders": len(simulation.orders),
            "fees_paid": float(simulation.orders["fees"].sum()) if traded_days else 0.0,
            "time_in_regime": {
                s: float((state_in_force == s).mean()) if len(state_in_force) else 0.0
                for s in STATES
            },
            "benchmark": config.benchmark,
            "benchmark_total_return": float(benchmark_value.iloc[-1] / config.init_cash - 1),
        }
    )
    table = by_regime(returns, regime_w)
    metrics["return_by_regime"] = (
        {str(k): finite_or_none(v) for k, v in table["annual_return"].items()} if len(table) else {}
    )
    return Backtest(
        config=config,
        window=window,
        prices=prices_w,
        signals=signals.loc[rows],
        regime=regime_w,
        targets=targets_w,
        simulation=simulation,
        benchmark_value=benchmark_value,
        metrics=metrics,
        regime_table=table,
        fingerprint=inputs.fingerprint(),
        source=inputs.source,
        notes=window.notes,
    )
