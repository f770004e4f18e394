"""One backtest end to end: inputs, calendar, signals, regime, weights, engine, metrics.

``load_inputs`` is the only step that reads data; ``run_backtest`` is deterministic given a
config and its inputs (same inputs, same numbers, bit for bit), which is what lets the tests
perturb the inputs after a date and check that nothing before it moves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from rotation import signals as sig
from rotation._types import Prices, Regime, Weights
from rotation.config import Config
from rotation.data.align import (
    MAX_PRICE_CARRY_DAYS,
    align_prices,
    as_known,
    publication,
    trading_calendar,
)
from rotation.data.sources import DataSource, open_source
from rotation.engine import Simulation, simulate
from rotation.errors import DataError
from rotation.metrics import annual_turnover, by_regime, finite_or_none, performance
from rotation.regime import STATES, classify
from rotation.strategy import StrategyInputs, load_strategy, schedule


@dataclass(frozen=True)
class Inputs:
    """Raw inputs by observation date, exactly as the source returned them.

    ``closes``: symbol -> close series (universe and benchmark); ``macro``: FRED id -> series;
    ``capex``: hyperscaler capex quarters with ``known_from`` dates (see ``data.capex``).
    """

    closes: Mapping[str, pd.Series]
    macro: Mapping[str, pd.Series]
    capex: pd.DataFrame
    source: str

    def fingerprint(self) -> str:
        """SHA-256 over every input's dates and values: the data half of a run's identity."""
        digest = hashlib.sha256()
        for group in (self.closes, self.macro):
            for key in sorted(group):
                series = group[key]
                digest.update(key.encode())
                # one unit, so equal dates hash equal whatever their resolution (CSV reads
                # give microseconds under pandas 3, Parquet and the live cache nanoseconds)
                digest.update(series.index.as_unit("us").asi8.tobytes())
                digest.update(series.to_numpy(dtype="float64").tobytes())
        digest.update(pd.util.hash_pandas_object(self.capex, index=False).to_numpy().tobytes())
        return digest.hexdigest()


def load_inputs(config: Config, source: DataSource | None = None) -> Inputs:
    """Read every series the config needs from its data source (or ``source``)."""
    source = source or open_source(config)
    symbols = dict.fromkeys([*config.symbols, config.benchmark])
    closes = {s: source.prices(s) for s in symbols}
    macro = {m: source.macro(m) for m in dict.fromkeys(config.signal.series)}
    reads_capex = config.signal.capex == "hyperscalers" and config.signal.weights.get("capex", 0)
    capex = source.capex_quarters() if reads_capex else pd.DataFrame()
    return Inputs(closes=closes, macro=macro, capex=capex, source=source.description)


def _known(inputs: Inputs, series_id: str, config: Config, calendar: pd.DatetimeIndex):
    rule = publication(series_id, config.signal.publication_lags)
    return as_known(inputs.macro[series_id], calendar, rule)


def capex_growth(inputs: Inputs, config: Config, calendar: pd.DatetimeIndex) -> pd.Series:
    """Capex growth YoY known on each day: the hyperscaler aggregate where it is known,
    PNFI's year-over-year growth (after its publication lag) before that."""
    pnfi = inputs.macro["PNFI"]
    pnfi_yoy = as_known(
        sig.pct_change(pnfi, 4).dropna(),
        calendar,
        publication("PNFI", config.signal.publication_lags),
    )
    if config.signal.capex == "pnfi" or inputs.capex.empty:
        return pnfi_yoy.rename("capex_growth_yoy")
    from rotation.data.capex import aggregate_capex_yoy

    hyperscalers = aggregate_capex_yoy(inputs.capex, calendar)
    return hyperscalers.combine_first(pnfi_yoy).rename("capex_growth_yoy")


def signal_calendar(inputs: Inputs, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Business days from the first macro observation to ``end``.

    Signals live on this calendar, not on the universe's trading days, so that one signal
    config gives one regime history whatever assets a config trades.
    """
    first = min(series.index[0] for series in inputs.macro.values())
    return pd.bdate_range(first, end, name="date")


def build_signals(inputs: Inputs, config: Config, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    """Component scores and the composite on ``calendar`` (dates x components + composite).

    Computed on the business-day ``signal_calendar`` and sampled on ``calendar`` by taking,
    on each day, the latest business day's values at or before it.
    """
    days = signal_calendar(inputs, calendar[-1])
    return _build_signals(inputs, config, days).reindex(calendar, method="ffill")


def _build_signals(inputs: Inputs, config: Config, calendar: pd.DatetimeIndex) -> pd.DataFrame:
    s = config.signal
    normalize = {
        "method": s.normalization,
        "window": s.window_days,
        "min_periods": s.min_history_days,
    }
    change = {"change_days": s.change_days, **normalize}
    rrp = _known(inputs, "RRPONTSYD", config, calendar)
    net = None
    if s.liquidity == "net_liquidity":
        net = sig.net_liquidity(
            _known(inputs, "WALCL", config, calendar),
            _known(inputs, "WTREGEN", config, calendar),
            rrp,
        )
    capex = capex_growth(inputs, config, calendar)
    components = {
        "cost_of_capital": lambda: sig.cost_of_capital_score(
            _known(inputs, s.yield_series, config, calendar), **change
        ),
        "credit": lambda: sig.credit_score(
            _known(inputs, s.credit_series, config, calendar), **change
        ),
        "liquidity": lambda: sig.liquidity_score(rrp, net, drain=s.liquidity_drain, **change),
        "capex": lambda: sig.capex_score(
            capex, acceleration_days=s.change_days if s.capex_acceleration else None, **normalize
        ),
        "real_yield": lambda: sig.cost_of_capital_score(
            _known(inputs, s.real_yield_series, config, calendar), **change
        ),
        "curve": lambda: sig.curve_score(
            _known(inputs, s.curve_series, config, calendar), **change
        ),
        "high_yield": lambda: sig.credit_score(
            _known(inputs, s.high_yield_series, config, calendar), **change
        ),
        "conditions": lambda: sig.conditions_score(
            _known(inputs, s.conditions_series, config, calendar), **change
        ),
    }
    scores = pd.DataFrame({c: components[c]() for c in s.components}, index=calendar)
    scores["composite"] = sig.composite(scores, s.weights, min_components=s.min_components)
    return scores


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp
    notes: tuple[str, ...] = ()


def backtest_window(config: Config, closes: Mapping[str, pd.Series]) -> Window:
    """[start, end] of the simulation: from the config, inside the span every asset has data.

    The end defaults to the earliest last close among the assets (so no asset silently stops
    mid-test); an explicit end beyond an asset's data is an error naming it. The window must
    hold more trading days than ``execution_lag`` (else nothing could ever trade), and no asset
    may go without a close, once listed, for longer than the alignment carries one
    (``MAX_PRICE_CARRY_DAYS``): such a gap is an error naming the symbol and its dates, where
    it would otherwise surface as a stale price or as a strategy-contract error.
    """
    notes = []
    bench = closes[config.benchmark]
    start = pd.Timestamp(config.start) if config.start else bench.index[0]
    if start < bench.index[0]:
        notes.append(
            f"start moved from {start.date()} to {bench.index[0].date()}, the first close "
            f"of the benchmark {config.benchmark}"
        )
        start = bench.index[0]
    last = {s: c.index[-1] for s, c in closes.items()}
    first_to_end = min(last, key=last.get)
    end = last[first_to_end]
    if config.end is not None:
        wanted = pd.Timestamp(config.end)
        if wanted > end:
            raise DataError(
                f"end {wanted.date()} is after the last close of {first_to_end!r} "
                f"({end.date()}); set end on or before it"
            )
        end = wanted
    elif any(v > end for v in last.values()):
        notes.append(f"end set to {end.date()}, the last close of {first_to_end!r}")
    for symbol, series in closes.items():
        if series.index[0] > end:
            raise DataError(f"{symbol!r} has no data before the backtest end {end.date()}")
    if start >= end:
        why = f" (the last close of {first_to_end!r})" if config.end is None else ""
        raise DataError(
            f"no overlap: backtest start {start.date()} is not before end {end.date()}{why}"
        )
    calendar = trading_calendar(closes)
    days = calendar[(calendar >= start) & (calendar <= end)]
    if len(days) <= config.execution_lag:
        raise DataError(
            f"the backtest window {start.date()} .. {end.date()} holds {len(days)} trading "
            f"day(s); with execution_lag {config.execution_lag} it needs at least "
            f"{config.execution_lag + 1} for any decision to trade"
        )
    for symbol, series in closes.items():
        _check_no_gap(symbol, series, calendar, days)
    return Window(start=start, end=end, notes=tuple(notes))


def _check_no_gap(
    symbol: str, series: pd.Series, calendar: pd.DatetimeIndex, days: pd.DatetimeIndex
) -> None:
    """Raise ``DataError`` when ``series`` has no price on some of ``days`` after its listing."""
    aligned = align_prices({symbol: series}, days)[symbol]
    missing = aligned.isna().to_numpy() & (days >= series.index[0])
    if not missing.any():
        return
    first_missing = days[int(missing.argmax())]
    before = series.index[series.index < first_missing][-1]
    after = series.index[series.index > first_missing]
    until = after[0] if len(after) else calendar[-1]
    skipped = int(((calendar > before) & (calendar < until)).sum())
    raise DataError(
        f"{symbol!r} has no close from {before.date()} to {until.date()} ({skipped} trading "
        f"days) inside the backtest window {days[0].date()} .. {days[-1].date()}; a close is "
        f"carried at most {MAX_PRICE_CARRY_DAYS} days, so the asset would have no price. Fill "
        "the gap in the data or move start/end outside it"
    )


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
    metrics: dict
    regime_table: pd.DataFrame
    fingerprint: str
    source: str
    notes: tuple[str, ...] = field(default=())

    @property
    def returns(self) -> pd.Series:
        return self.simulation.value.pct_change().fillna(0.0).rename("returns")


def compute_weights(
    config: Config, inputs: Inputs
) -> tuple[pd.DatetimeIndex, Prices, pd.DataFrame, Regime, Weights]:
    """Calendar, aligned prices, signals, regime and target weights, all on the full calendar.

    Decisions are only scheduled inside the backtest window.
    """
    calendar = trading_calendar(inputs.closes)
    universe_closes = {s: inputs.closes[s] for s in config.symbols}
    prices = align_prices(universe_closes, calendar)
    signals = build_signals(inputs, config, calendar)
    regime = classify(signals["composite"], config.regime)
    window = backtest_window(config, inputs.closes)
    in_window = calendar[(calendar >= window.start) & (calendar <= window.end)]
    decisions = schedule(
        in_window,
        config.rebalance.every,
        regime=regime,
        on_regime_change=config.rebalance.on_regime_change,
    )
    strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    params = strategy.parse_params(config.strategy.params, config)
    targets = strategy.target_weights(
        StrategyInputs(
            prices=prices,
            signals=signals,
            regime=regime,
            universe=config.universe,
            schedule=decisions,
        ),
        params,
    )
    return calendar, prices, signals, regime, targets


def run_backtest(config: Config, inputs: Inputs | None = None) -> Backtest:
    """Run ``config`` on ``inputs`` (loaded from the config's data source when omitted)."""
    inputs = inputs or load_inputs(config)
    window = backtest_window(config, inputs.closes)
    _, prices, signals, regime, targets = compute_weights(config, inputs)
    rows = (prices.index >= window.start) & (prices.index <= window.end)
    prices_w, targets_w = prices.loc[rows], targets.loc[rows]
    simulation = simulate(
        prices_w,
        targets_w,
        fees=config.costs.fees,
        slippage=config.costs.slippage,
        execution_lag=config.execution_lag,
        init_cash=config.init_cash,
    )
    bench = align_prices({config.benchmark: inputs.closes[config.benchmark]}, prices_w.index)
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
