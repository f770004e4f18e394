"""One backtest end to end: the prepared stages (``rotation.pipeline``), the engine, metrics.

``run_backtest`` is deterministic given a config and its inputs (same inputs, same numbers,
bit for bit), which is what lets the tests perturb the inputs after a date and check that
nothing before it moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from rotation import riskfree
from rotation._types import Prices, Regime, Weights
from rotation.config import Config
from rotation.data.align import align_prices
from rotation.engine import Simulation, simulate
from rotation.errors import DataError
from rotation.metrics import (
    COSTS,
    Sample,
    by_regime,
    compute,
    finite_or_none,
    performance,
    regime_in_force,
)
from rotation.pipeline import Inputs, Prepared, Window, prepare
from rotation.regime import STATES
from rotation.runs import Identity, identity


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
    risk_free: pd.Series
    metrics: dict[str, Any]
    regime_table: pd.DataFrame
    source: str
    identity: Identity  # run id, config and data hashes, strategy and package code
    notes: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """The data fingerprint (``Inputs.fingerprint``)."""
        return self.identity.data_fingerprint

    @property
    def returns(self) -> pd.Series:
        return self.simulation.value.pct_change().fillna(0.0).rename("returns")

    @property
    def excess_returns(self) -> pd.Series:
        """Daily returns less the risk-free rate (``risk_free``): what Sharpe measures."""
        return (self.returns - self.risk_free).rename("excess_returns")

    @property
    def portfolio(self) -> Any:
        """The run as a vectorbt ``Portfolio`` (``.stats()``, ``.plot()``), built on first use."""
        return self.simulation.portfolio

    def _repr_html_(self) -> str:
        """The run's table (``rotation.summary``) as HTML, for Jupyter."""
        from rotation.summary import comparison_html

        caption = f"run {self.identity.run_id} ({self.source} data)"
        return comparison_html([self.config.name], [self.metrics], caption)


def run_backtest(config: Config, inputs: Inputs | None = None) -> Backtest:
    """Run ``config`` on ``inputs`` (loaded from the config's data source when omitted)."""
    return simulate_prepared(prepare(config, inputs))


def cost_metrics(
    simulation: Simulation,
    returns: pd.Series,
    risk_free: pd.Series,
    names: Sequence[str] = COSTS,
) -> dict[str, float | None]:
    """The registry metrics ``names`` (default: the cost metrics, ``COSTS``) of ``simulation``
    from the engine's totals (a sweep reads the same ones): costs, turnover and the initial
    investment; ``returns``: its daily returns (their length is the T of the 252 / T) and
    ``risk_free`` the rate on those days."""
    sample = Sample(
        returns.to_numpy(),
        risk_free=risk_free.to_numpy(),
        turnover=simulation.turnover,
        initial_turnover=simulation.initial_turnover,
        fees_paid=simulation.fees_paid,
        slippage_paid=simulation.slippage_paid,
        fee_drag_sum=simulation.fee_drag_sum,
        slippage_drag_sum=simulation.slippage_drag_sum,
    )
    return {name: finite_or_none(v) for name, v in compute(sample, names).items()}


def simulate_prepared(prepared: Prepared) -> Backtest:
    """Simulate a prepared config over its window: engine, benchmark, metrics."""
    config, inputs, window = prepared.config, prepared.inputs, prepared.window
    rows = prepared.in_window
    prices_w, targets_w = prepared.prices.loc[rows], prepared.targets.loc[rows]
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
    entry = entry_row(simulation, config.execution_lag)
    benchmark_value = benchmark_curve(
        inputs.closes[config.benchmark], calendar, entry, config.init_cash
    ).rename("benchmark")
    risk_free = riskfree.in_window(prepared.risk_free.loc[rows], config.risk_free)
    returns = simulation.value.pct_change().fillna(0.0)
    bench_returns = benchmark_value.pct_change().fillna(0.0)
    # alpha and beta on the days both are invested: after the common entry
    metrics = performance(returns, risk_free, benchmark=bench_returns.iloc[entry + 1 :])
    traded_days = simulation.orders["date"].nunique() if len(simulation.orders) else 0
    in_force = regime_in_force(prepared.regime, config.execution_lag).loc[rows].dropna()
    engine = cost_metrics(
        simulation, returns, risk_free, ("annual_turnover", "initial_investment", *COSTS)
    )
    entry_day = calendar[entry].date().isoformat()
    metrics.update(
        {
            "start": window.start.date().isoformat(),
            "end": window.end.date().isoformat(),
            "days": len(returns),
            "final_value": float(simulation.value.iloc[-1]),
            "annual_turnover": engine.pop("annual_turnover"),
            "initial_investment": engine.pop("initial_investment"),
            "rebalances": int(traded_days),
            "orders": len(simulation.orders),
            **engine,  # the cost metrics
            "time_in_regime": {
                s: float((in_force == s).mean()) if len(in_force) else 0.0 for s in STATES
            },
            "risk_free": riskfree.summary(config.risk_free, risk_free.to_numpy()),
            "benchmark": config.benchmark,
            "benchmark_entry": entry_day,
            "benchmark_measure": benchmark_measure(config.benchmark, entry_day),
            "benchmark_total_return": float(benchmark_value.iloc[-1] / config.init_cash - 1),
        }
    )
    table = by_regime(returns, prepared.regime, config.execution_lag, risk_free)
    metrics["return_by_regime"] = (
        {str(k): finite_or_none(v) for k, v in table["annual_return"].items()} if len(table) else {}
    )
    return Backtest(
        config=config,
        window=window,
        prices=prices_w,
        signals=prepared.signals.loc[rows],
        regime=prepared.regime.loc[rows],
        targets=targets_w,
        simulation=simulation,
        benchmark_value=benchmark_value,
        risk_free=risk_free,
        metrics=metrics,
        regime_table=table,
        source=inputs.source,
        identity=identity(config, inputs.fingerprint(), prepared.stages.strategy(config)),
        notes=(*window.notes, *_regime_notes(config, table)),
    )


def _regime_notes(config: Config, table: pd.DataFrame) -> tuple[str, ...]:
    """A note when no regime state was in force on any day: the per-regime figures are empty."""
    if len(table):
        return ()
    why = (
        f"the HMM needs {config.regime.hmm_min_train_days:,} days of composite first "
        "(regime.hmm_min_train_days)"
        if config.regime.method == "hmm"
        else f"the composite needs {config.signal.min_components} known components and "
        f"{config.signal.min_history_days} days of history"
    )
    return (
        f"no regime state was known on any day of the window ({why}): the strategy ran without "
        "one and there are no per-regime figures",
    )


def entry_row(simulation: Simulation, execution_lag: int) -> int:
    """The row of the strategy's first fill, where the benchmark is bought too.

    A strategy whose first targets hold only cash enters on its first fill; one that never
    fills is compared from its first executed target (else from the first row any decision
    could trade, ``execution_lag``), so the benchmark is never bought before the strategy
    could have been.
    """
    index = simulation.value.index
    if len(simulation.orders):
        return int(index.searchsorted(simulation.orders["date"].min()))
    executed = simulation.executed_targets.notna().any(axis=1).to_numpy()
    if executed.any():
        return int(np.argmax(executed))
    return min(execution_lag, len(index) - 1)


def benchmark_curve(
    close: pd.Series, calendar: pd.DatetimeIndex, entry: int, init_cash: float
) -> pd.Series:
    """The benchmark as a buy-and-hold of ``init_cash`` bought at the close of row ``entry``
    (the strategy's first trade: same day, same close), without costs; cash before it."""
    bench = align_prices({"benchmark": close}, calendar)["benchmark"].ffill()
    price = bench.to_numpy(dtype=np.float64)
    if not np.isfinite(price[entry]):
        raise DataError(
            f"benchmark {close.name!r} has no close on {calendar[entry].date()}, the "
            "strategy's first trade; move start to after its first close"
        )
    value = np.full(len(price), float(init_cash))
    value[entry:] = init_cash * (price[entry:] / price[entry])
    return pd.Series(value, index=calendar)


def benchmark_measure(symbol: str, entry_day: str) -> str:
    """How the benchmark is measured, in words every table and chart shows."""
    return (
        f"{symbol} bought at the close of {entry_day} (the strategy's first trade), held, no costs"
    )
