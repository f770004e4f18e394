"""The stage sequence, written once: inputs -> calendar -> prices -> signals -> regime ->
window -> decisions -> target weights.

Every command runs its configs through here: ``prepare(config)`` for one config, or one
``Stages`` for many configs that share their inputs (a sweep's variants, walk-forward folds, a
look-ahead check's reruns). ``Stages`` computes each stage once per distinct config section
(signals once per ``signal`` block, a regime once per ``signal`` and ``regime`` pair, decision
dates once per regime, ``rebalance`` and window) and hands every config the same objects.

``load_inputs`` is the only step that reads data; everything after it is deterministic given
a config and its inputs (same inputs, same numbers, bit for bit), which is what lets the tests
and ``rotation check lookahead`` change or cut the inputs after a date and check that nothing
before it moves.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from rotation._typed import to_plain
from rotation._types import Prices, Regime, Scores, Weights
from rotation.config import Config, SignalConfig
from rotation.data.align import MAX_PRICE_CARRY_DAYS, align_prices, trading_calendar
from rotation.data.sources import DataSource, open_source
from rotation.errors import DataError, RotationError, StrategyError
from rotation.regime import STATES, classify
from rotation.riskfree import risk_free_returns
from rotation.sandbox import SandboxViolation
from rotation.signals import (
    build_signals,
    macro_series,
    publication_rule,
    reads_capex,
    reads_funding,
)
from rotation.strategy import Batch, Strategy, load_strategy, schedule

T = TypeVar("T")


@dataclass(frozen=True)
class Inputs:
    """Raw inputs by observation date, exactly as the source returned them.

    ``closes``: symbol -> close series (universe and benchmark); ``macro``: FRED id -> series;
    ``capex``: hyperscaler capex quarters with ``known_from`` dates (see ``data.capex``);
    ``risk_free``: the series the config's ``risk_free`` names (a FRED yield or a symbol's
    closes; None for a constant rate), see ``rotation.riskfree``; ``funding``: the
    hyperscalers' funding items with ``known_from`` dates (``data.funding``; empty unless the
    config's signal has a ``funding`` weight).
    """

    closes: Mapping[str, pd.Series]
    macro: Mapping[str, pd.Series]
    capex: pd.DataFrame
    source: str
    risk_free: pd.Series | None = None
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)

    def fingerprint(self) -> str:
        """SHA-256 over every input's dates and values: the data part of a run's identity."""
        digest = hashlib.sha256()

        def add(label: str, series: pd.Series) -> None:
            digest.update(label.encode())
            # one unit, so equal dates hash equal whatever their resolution (CSV reads give
            # microseconds under pandas 3, Parquet and the live cache nanoseconds)
            index = pd.DatetimeIndex(series.index)  # dated series (pandas-stubs: Index)
            digest.update(index.as_unit("us").asi8.tobytes())
            digest.update(series.to_numpy(dtype="float64").tobytes())

        for group in (self.closes, self.macro):
            for key in sorted(group):
                add(key, group[key])
        digest.update(pd.util.hash_pandas_object(self.capex, index=False).to_numpy().tobytes())
        if self.risk_free is not None:
            add(f"risk_free:{self.risk_free.name}", self.risk_free)
        if len(self.funding):  # only configs that read funding hash it (ids of others unchanged)
            digest.update(b"funding")
            digest.update(
                pd.util.hash_pandas_object(self.funding, index=False).to_numpy().tobytes()
            )
        return digest.hexdigest()


def load_inputs(
    config: Config, source: DataSource | None = None, *, variants: Sequence[Config] = ()
) -> Inputs:
    """Read every series the config needs from its data source (or ``source``); with
    ``variants`` (a sweep's, same universe and data), also every series their signals read."""
    source = source or open_source(config)
    symbols = dict.fromkeys([*config.symbols, config.benchmark])
    closes = {s: source.prices(s) for s in symbols}
    signals = list({id(c.signal): c.signal for c in [config, *variants]}.values())
    macro = {m: source.macro(m) for s in signals for m in macro_series(s)}
    capex = source.capex_quarters() if any(map(reads_capex, signals)) else pd.DataFrame()
    funding = source.funding_items() if any(map(reads_funding, signals)) else pd.DataFrame()
    risk_free = None
    if config.risk_free_input is not None:
        kind, key = config.risk_free_input
        risk_free = (source.macro if kind == "macro" else source.prices)(key).rename(key)
    return Inputs(
        closes=closes,
        macro=macro,
        capex=capex,
        source=source.description,
        risk_free=risk_free,
        funding=funding,
    )


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    end: pd.Timestamp
    notes: tuple[str, ...] = ()


def backtest_window(
    config: Config, closes: Mapping[str, pd.Series], calendar: pd.DatetimeIndex | None = None
) -> Window:
    """[start, end] of the simulation: from the config, inside the span every asset has data.

    The end defaults to the earliest last close among the assets (so no asset silently stops
    mid-test); an explicit end beyond an asset's data is an error naming it. The window must
    hold more trading days than ``execution_lag`` (else nothing could ever trade), and no asset
    may go without a close, once listed, for longer than the alignment carries one
    (``MAX_PRICE_CARRY_DAYS``): such a gap is an error naming the symbol and its dates, where
    it would otherwise surface as a stale price or as a strategy-contract error.
    ``calendar``: the trading calendar of ``closes``, when the caller has it.
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
    first_to_end = min(last, key=lambda symbol: last[symbol])
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
    calendar = trading_calendar(closes) if calendar is None else calendar
    days = calendar[(calendar >= start) & (calendar <= end)]
    if len(days) <= config.execution_lag:
        raise DataError(
            f"the backtest window {start.date()} .. {end.date()} holds {len(days)} trading "
            f"day(s); with execution_lag {config.execution_lag} it needs at least "
            f"{config.execution_lag + 1} for any decision to trade"
        )
    for symbol, series in closes.items():
        _check_no_gap(symbol, series, calendar, days)
        _check_price_scale(symbol, series[(series.index >= start) & (series.index <= end)], config)
    return Window(start=start, end=end, notes=tuple(notes))


MAX_SHARES_PER_CASH = 1e10
"""The lowest price is ``init_cash / MAX_SHARES_PER_CASH`` (see ``_check_price_scale``)."""
MIN_ORDER_SHARE_OF_CASH = 1e-4
"""An order worth this share of ``init_cash`` must be at least the engine's minimum size."""
JUMP_WARNING = 10.0
"""A close this many times the previous one (or a tenth of it) gets a warning: an unadjusted
split or a unit change (cents for dollars) more often than a real move."""


def _check_price_scale(symbol: str, closes: pd.Series, config: Config) -> None:
    """Refuse prices the engine cannot trade faithfully, and warn of one-day jumps.

    The engine (``rotation._sim``, as vectorbt) rejects orders under ``MIN_ORDER_SHARES``
    shares, so a price above ``init_cash * MIN_ORDER_SHARE_OF_CASH / MIN_ORDER_SHARES`` (1e9
    for 100,000 of cash) would silently drop rebalancing orders worth a basis point of the
    capital; a price under ``init_cash / MAX_SHARES_PER_CASH`` (1e-5 for 100,000) makes share
    counts so large that values lose their precision (at 1e-299 they overflow). Either is
    refused naming the symbol, date and bounds; both scale with ``init_cash``.
    """
    from rotation._sim import MIN_ORDER_SHARES

    if closes.empty:
        return
    values = closes.to_numpy(dtype=np.float64)
    high = config.init_cash * MIN_ORDER_SHARE_OF_CASH / MIN_ORDER_SHARES
    low = config.init_cash / MAX_SHARES_PER_CASH
    for bad, bound, word in ((values > high, high, "above"), (values < low, low, "below")):
        if bad.any():
            when = closes.index[int(bad.argmax())]
            raise DataError(
                f"{symbol!r}: close {closes[when]:.6g} on {when.date()} is {word} {bound:.6g}, "
                f"the range the engine trades faithfully with init_cash {config.init_cash:,.0f} "
                f"({low:.6g} .. {high:.6g}); check the file's units or scale init_cash"
            )
    ratio = values[1:] / values[:-1]
    jumps = (ratio >= JUMP_WARNING) | (ratio <= 1 / JUMP_WARNING)
    if jumps.any():
        i = int(jumps.argmax()) + 1
        warnings.warn(
            f"{symbol!r}: close jumps from {values[i - 1]:.6g} on {closes.index[i - 1].date()} "
            f"to {values[i]:.6g} on {closes.index[i].date()} ({ratio[i - 1]:.3g} times): an "
            "unadjusted split or a change of units? The backtest trades it as a real move",
            stacklevel=2,
        )


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
class Prepared:
    """One config's stages on its inputs, each computed once.

    ``calendar``: the trading days of every close the config reads; ``prices``: the universe on
    it (NaN before listing); ``signals``: dates x (components..., composite) and ``regime``:
    the state known at each close, both on ``calendar``; ``window``: the simulated span;
    ``decisions``: the decision dates inside it; ``risk_free``: the daily risk-free return on
    ``calendar`` (``rotation.riskfree``).
    """

    config: Config
    inputs: Inputs
    calendar: pd.DatetimeIndex
    prices: Prices
    signals: Scores
    regime: Regime
    window: Window
    decisions: pd.DatetimeIndex
    risk_free: pd.Series
    stages: Stages = field(repr=False, compare=False)

    @property
    def in_window(self) -> np.ndarray:
        """(T,) whether each calendar day is inside the backtest window."""
        return np.asarray((self.calendar >= self.window.start) & (self.calendar <= self.window.end))

    @functools.cached_property
    def targets(self) -> Weights:
        """The strategy's target weights on ``calendar``: a row per decision date, NaN
        elsewhere (a batch of one through ``Stages.targets``)."""
        rows, targets = self.stages.targets([self.config])
        frame = np.full(self.prices.shape, np.nan)
        frame[rows] = targets[0]
        return pd.DataFrame(frame, index=self.prices.index, columns=self.prices.columns)


def prepare(config: Config, inputs: Inputs | None = None) -> Prepared:
    """``config``'s stages on ``inputs`` (loaded from its data source when omitted)."""
    return Stages(inputs or load_inputs(config)).prepare(config)


def section_key(value: Any) -> str:
    """A canonical text for a config section (or a list of them), usable as a dict key."""
    return json.dumps(to_plain(value), sort_keys=True, default=str)


class Stages:
    """The stages of every config prepared from one ``inputs``, each computed once.

    Keys are the canonical text of the config sections a stage reads, memoized by the
    sections' identity (the variants of a sweep share section objects), so equal sections
    share one computation whether or not they are the same object.
    """

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.calendar = trading_calendar(inputs.closes)
        self._texts: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}
        self._cache: dict[tuple[str, str], Any] = {}

    def key(self, *parts: Any) -> str:
        """``section_key(parts)``, memoized by the identity of the parts."""
        ident = tuple(id(p) for p in parts)
        if ident not in self._texts:
            self._texts[ident] = (
                parts,
                section_key(list(parts)),
            )  # parts kept alive: ids stay unique
        return self._texts[ident][1]

    def _once(self, stage: str, key: str, compute: Callable[[], T]) -> T:
        if (stage, key) not in self._cache:
            self._cache[(stage, key)] = compute()
        value: T = self._cache[(stage, key)]
        return value

    # Keys name config sections, never values built on each call (``config.symbols`` is a new
    # tuple every time), so that a section shared by thousands of variants is keyed once.

    def prices(self, config: Config) -> Prices:
        return self._once(
            "prices",
            self.key(config.universe),
            lambda: align_prices({s: self.inputs.closes[s] for s in config.symbols}, self.calendar),
        )

    def signals(self, config: Config) -> Scores:
        return self._once(
            "signals", self.key(config.signal), lambda: self._build_signals(config.signal)
        )

    def _build_signals(self, signal: SignalConfig) -> Scores:
        """The signals of ``signal`` from exactly the inputs it reads (inputs loaded for a
        sweep hold the series of every variant)."""
        missing = [m for m in macro_series(signal) if m not in self.inputs.macro]
        if missing:
            raise DataError(
                f"signal: the inputs hold no series {', '.join(map(repr, missing))}; load the "
                "inputs for this config (or pass the variants to load_inputs)"
            )
        macro = {m: self.inputs.macro[m] for m in macro_series(signal)}
        capex = self.inputs.capex if reads_capex(signal) else pd.DataFrame()
        funding = self.inputs.funding if reads_funding(signal) else pd.DataFrame()
        return build_signals(macro, capex, signal, self.calendar, funding)

    def regime(self, config: Config) -> Regime:
        return self._once(
            "regime",
            self.key(config.signal, config.regime),
            lambda: classify(self.signals(config)["composite"], config.regime),
        )

    def window(self, config: Config) -> Window:
        return self._once(
            "window",
            self.key(
                config.start, config.end, config.universe, config.benchmark, config.execution_lag
            ),
            lambda: backtest_window(config, self.inputs.closes, self.calendar),
        )

    def decisions(self, config: Config) -> pd.DatetimeIndex:
        def compute() -> pd.DatetimeIndex:
            window = self.window(config)
            days = self.calendar[(self.calendar >= window.start) & (self.calendar <= window.end)]
            return schedule(
                days,
                config.rebalance.every,
                regime=self.regime(config),
                on_regime_change=config.rebalance.on_regime_change,
            )

        key = self.key(
            config.signal,
            config.regime,
            config.rebalance,
            config.start,
            config.end,
            config.universe,
            config.benchmark,
            config.execution_lag,
        )
        return self._once("decisions", key, compute)

    def strategy(self, config: Config) -> Strategy:
        return self._once(
            "strategy",
            self.key(config.strategy.name, config.strategies_dir, config.source_path),
            lambda: load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir)),
        )

    def params(self, config: Config) -> Any:
        """The strategy's parsed ``Params`` (one parse per strategy section and universe)."""
        return self._once(
            "params",
            self.key(config.strategy, config.universe),
            lambda: self.strategy(config).parse_params(config.strategy.params, config),
        )

    def prepare(self, config: Config) -> Prepared:
        return Prepared(
            config=config,
            inputs=self.inputs,
            calendar=self.calendar,
            prices=self.prices(config),
            signals=self.signals(config),
            regime=self.regime(config),
            window=self.window(config),
            decisions=self.decisions(config),
            risk_free=self.risk_free(config),
            stages=self,
        )

    def risk_free(self, config: Config) -> pd.Series:
        """The daily risk-free return on the calendar (``rotation.riskfree``)."""
        series = None
        if config.risk_free_input is not None:
            series = self.inputs.risk_free
            if series is None or series.name != config.risk_free:
                held = "none" if series is None else repr(series.name)
                raise DataError(
                    f"risk_free: the config names {config.risk_free!r}, the inputs hold "
                    f"{held}; load the inputs for this config"
                )
        return self._once(
            "risk_free",
            self.key(config.risk_free, config.signal),
            lambda: risk_free_returns(
                config.risk_free,
                series,
                self.calendar,
                publication_rule(config.risk_free, config.signal),
            ),
        )

    def decision_dates(self, configs: Sequence[Config]) -> pd.DatetimeIndex:
        """The union of ``configs``' decision dates: the rows of their batch."""
        return _union([self.decisions(c) for c in configs])

    def batch(self, configs: Sequence[Config]) -> Batch:
        """What the strategy reads for ``configs`` (one strategy, universe and window): the
        union of their decision rows, which of them each decides on, and the regime and
        composite known on each."""
        decisions = [self.decisions(c) for c in configs]
        distinct = {id(d): d for d in decisions}  # variants share schedule objects
        union = _union(decisions)
        on_union = {key: union.isin(d) for key, d in distinct.items()}
        codes = {state: i for i, state in enumerate(STATES)}

        def regime_codes(config: Config) -> np.ndarray:
            regime = self.regime(config).reindex(union)
            return regime.map(codes).fillna(-1).to_numpy(dtype=np.int64)

        def composite(config: Config) -> np.ndarray:
            return self.signals(config)["composite"].reindex(union).to_numpy()

        codes_by_key: dict[str, np.ndarray] = {}
        composite_by_key: dict[str, np.ndarray] = {}
        for config in configs:
            key = self.key(config.signal, config.regime)
            if key not in codes_by_key:
                codes_by_key[key] = regime_codes(config)
            key = self.key(config.signal)
            if key not in composite_by_key:
                composite_by_key[key] = composite(config)
        return Batch(
            prices=self.prices(configs[0]),
            universe=configs[0].universe,
            rows=self.calendar.get_indexer(union),
            decide=np.array([on_union[id(d)] for d in decisions]),
            regime=np.array([codes_by_key[self.key(c.signal, c.regime)] for c in configs]),
            composite=np.array([composite_by_key[self.key(c.signal)] for c in configs]),
            # what strategies keep (a Panel, sleeve weights) belongs to these prices
            memo=self._once("memo", self.key(configs[0].universe), dict),
        )

    def targets(self, configs: Sequence[Config]) -> tuple[np.ndarray, np.ndarray]:
        """Decision rows (positions in ``calendar``) and (V, R, N) targets of ``configs``,
        which share one strategy, universe and window; NaN where a config does not decide."""
        batch = self.batch(configs)
        params = [self.params(c) for c in configs]
        return batch.rows, strategy_targets(self.strategy(configs[0]), batch, params)


def strategy_targets(strategy: Strategy, batch: Batch, params: Sequence[Any]) -> np.ndarray:
    """(V, R, N) targets of ``strategy`` on ``batch``, NaN where a variant does not decide;
    a wrong shape is a ``StrategyError`` naming the file."""
    try:
        targets = np.asarray(strategy.target_weights(batch, params), dtype=np.float64)
    except (RotationError, SandboxViolation):  # errors that name their cause already; the
        raise  # lookahead check counts the sandbox's violations itself
    except (Exception, SystemExit) as exc:  # the strategy's own bug (or exit), not rotation's
        raise StrategyError(f"{strategy.path}: target_weights raised {exc!r}") from exc
    expected = (len(params), len(batch.rows), len(batch.prices.columns))
    if targets.shape != expected:
        raise StrategyError(
            f"{strategy.path}: target_weights returned shape {targets.shape}; expected "
            f"(variants, decision rows, assets) = {expected}"
        )
    targets = targets.copy()
    targets[~batch.decide] = np.nan
    return targets


def _union(decisions: Sequence[pd.DatetimeIndex]) -> pd.DatetimeIndex:
    """The union of decision dates; variants share schedule objects, so each is merged once."""
    distinct = {id(d): d for d in decisions}
    return functools.reduce(pd.DatetimeIndex.union, distinct.values())
