"""Sweeps: many variants of one config, one data load, shared work, one engine pass per chunk.

A variant is the base config with some dotted keys overridden (``regime.scarce_enter=0.3``,
``strategy.params.vol_lookback=21``, ``costs.fees=0.002``). Work is shared as far as the
parameters allow:

- the data is loaded once; prices are aligned once per universe and window;
- signals are computed once per distinct ``signal`` block, regimes once per distinct
  (``signal``, ``regime``) pair, decision dates once per distinct (regime, ``rebalance``);
- target weights come from the strategy's ``batch_target_weights`` when it has one (all
  variants of a chunk in a few array operations), else from ``target_weights`` once per distinct
  (strategy, regime, schedule) key;
- every variant of a chunk is simulated in one pass of the numba kernel (``rotation._sim``),
  which repeats vectorbt's accounting; a test checks each variant against its own vectorbt run.

Chunks of variants keep the arrays that grow with the variants under ``memory_mb``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import empyrical
import numpy as np
import pandas as pd
import yaml

from rotation._sim import iter_variant_chunks, simulate_target_weights
from rotation._typed import coerce, field_types, suggest, to_plain
from rotation.backtest import Inputs, backtest_window, build_signals
from rotation.config import Config, validate_against_data
from rotation.data.align import align_prices, trading_calendar
from rotation.errors import ConfigError
from rotation.metrics import PERIODS_PER_YEAR
from rotation.regime import STATES, classify
from rotation.strategy import Strategy, StrategyInputs, load_strategy, schedule

MAX_VARIANTS = 1_000_000
RANKABLE = ("sharpe", "sortino", "calmar", "annual_return", "total_return", "max_drawdown")


# --- grids ------------------------------------------------------------------------------------


def sweep_settings(
    config: Config,
    grid_items: Sequence[str] = (),
    metric: str | None = None,
    memory_mb: float | None = None,
    *,
    purpose: str = "sweep",
) -> tuple[dict[str, list[Any]], str, float]:
    """(grid, metric, memory budget): command-line values where given, else the config's
    ``sweep`` block, else the defaults (sharpe, 512 MB). An empty grid is an error."""
    settings = config.sweep
    grid = parse_grid(grid_items) if grid_items else dict(settings.grid) if settings else {}
    if not grid:
        where = config.source_path or config.name
        raise ConfigError(f"{where}: nothing to {purpose}: give --grid or a sweep.grid block")
    metric = metric or (settings.metric if settings else "sharpe")
    memory_mb = memory_mb or (settings.memory_mb if settings else 512.0)
    return {k: list(v) for k, v in grid.items()}, metric, memory_mb


def parse_grid(items: Iterable[str]) -> dict[str, list[Any]]:
    """``["key=v1,v2", ...]`` -> ``{"key": [v1, v2]}``; each value is read as a YAML scalar."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ConfigError(f"--grid {item!r}: expected key=value1,value2,...")
        try:
            parsed = [yaml.safe_load(v) for v in values.split(",")]
        except yaml.YAMLError:
            raise ConfigError(f"--grid {item!r}: a value is not a plain scalar") from None
        if key in grid:
            raise ConfigError(f"--grid: key {key!r} given twice")
        grid[key] = parsed
    return grid


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of the grid, in key order (the last key varies fastest)."""
    if not grid:
        return [{}]
    sizes = [len(values) for values in grid.values()]
    for key, values in grid.items():
        if not values:
            raise ConfigError(f"grid: no values for {key!r}")
    if int(np.prod(sizes, dtype=float)) > MAX_VARIANTS:
        raise ConfigError(
            f"grid: {' x '.join(map(str, sizes))} = {int(np.prod(sizes, dtype=float)):,} "
            f"variants is more than {MAX_VARIANTS:,}; split the sweep"
        )
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError(f"cannot set {key!r}: {where!r} is not a mapping")
        node = child
    node[parts[-1]] = value


# Overrides under these keys can change what data or which strategy a variant needs, so the
# variant is checked against the data source again; others only need their own validation.
_DATA_KEYS = ("data", "universe", "benchmark", "strategies_dir", "strategy.name", "start", "end")


def with_overrides(
    config: Config,
    overrides: Mapping[str, Any],
    *,
    strategy: Strategy | None = None,
    built: dict | None = None,
) -> Config:
    """``config`` with dotted keys replaced, validated like a config file (errors name the
    variant). ``strategy``: the base config's loaded strategy, reused when the overrides keep it.

    Only the top-level sections an override touches are rebuilt; the others stay the very same
    objects. ``built`` (a dict kept across calls) makes variants with the same values in a
    section share one section object, which lets a sweep recognize shared work by identity.
    """
    if not overrides:
        return config
    built = {} if built is None else built
    label = ", ".join(f"{k}={v}" for k, v in overrides.items())
    touches_data = any(k == d or k.startswith(d + ".") for k in overrides for d in _DATA_KEYS)
    by_section: dict[str, list[tuple[str, Any]]] = {}
    for key, value in overrides.items():
        top, _, rest = key.partition(".")
        by_section.setdefault(top, []).append((rest, value))
    try:
        fields, hints = field_types(Config)
        changes = {}
        for top, items in by_section.items():
            if top not in fields or top == "source_path":
                raise ConfigError(f"unknown key {top!r}{suggest(top, fields)}")
            cache_key = (top, _key(items))
            if cache_key not in built:
                built[cache_key] = coerce(_section(config, top, items), hints[top], top)
            changes[top] = built[cache_key]
        variant = config.replace(**changes)
        if touches_data or strategy is None:
            validate_against_data(variant)
        else:
            # the universe is unchanged here, so one check per distinct strategy section
            params_key = ("strategy.params", id(variant.strategy))
            if params_key not in built:
                built[params_key] = strategy.parse_params(variant.strategy.params, variant)
    except ConfigError as exc:
        raise ConfigError(f"variant {label}: {exc}") from None
    return variant


def _section(config: Config, top: str, items: list[tuple[str, Any]]) -> Any:
    """The raw value of section ``top`` of ``config`` with the dotted ``items`` set."""
    if len(items) == 1 and not items[0][0]:
        return items[0][1]  # the whole section, e.g. execution_lag=2
    current = getattr(config, top)
    if not (dataclasses.is_dataclass(current) or isinstance(current, Mapping)):
        raise ConfigError(f"cannot set {top}.{items[0][0]}: {top!r} is not a section")
    raw = json.loads(json.dumps(to_plain(current), default=str))
    for rest, value in items:
        _set_dotted(raw, rest, value)
    return raw


def variants_of(config: Config, grid: Mapping[str, Sequence[Any]]) -> list[Config]:
    """Every variant of the grid, all validated before any work starts."""
    strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    built: dict = {}
    return [with_overrides(config, o, strategy=strategy, built=built) for o in expand_grid(grid)]


# --- evaluation -------------------------------------------------------------------------------


def _key(value: Any) -> str:
    """A canonical text for a config section (or a list of them), usable as a dict key."""
    return json.dumps(to_plain(value), sort_keys=True, default=str)


@dataclass(frozen=True)
class BatchInputs:
    """What ``batch_target_weights`` reads, for V variants sharing prices and universe.

    ``rows``: (R,) positions in ``prices.index`` of the union of the variants' decision dates;
    ``decide``: (V, R) whether variant v decides on that row; ``regime``: (V, R) state index into
    ``rotation.regime.STATES`` known on that row (-1 = unknown); ``composite``: (V, R) score;
    ``memo``: a dict kept for the whole sweep, where a strategy may keep what its variants share.
    """

    prices: pd.DataFrame
    universe: Mapping[str, tuple[str, ...]]
    rows: np.ndarray
    decide: np.ndarray
    regime: np.ndarray
    composite: np.ndarray
    memo: dict


@dataclass(frozen=True)
class SweepResult:
    """Per-variant metrics (one row per variant, in grid order) and the daily values."""

    table: pd.DataFrame
    value: pd.DataFrame  # dates x variant number
    overrides: list[dict[str, Any]]


def _metrics(value: np.ndarray, fees_paid: np.ndarray, traded: np.ndarray) -> dict[str, Any]:
    returns = np.vstack([np.zeros((1, value.shape[1])), value[1:] / value[:-1] - 1.0])
    annual = empyrical.annual_return(returns, annualization=PERIODS_PER_YEAR)
    max_dd = (value / np.maximum.accumulate(value, axis=0) - 1.0).min(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        calmar = np.where(max_dd < 0, annual / np.abs(max_dd), np.nan)
    years = value.shape[0] / PERIODS_PER_YEAR
    return {
        "total_return": value[-1] / value[0] - 1.0,
        "annual_return": annual,
        "annual_volatility": empyrical.annual_volatility(returns, annualization=PERIODS_PER_YEAR),
        "sharpe": empyrical.sharpe_ratio(returns, annualization=PERIODS_PER_YEAR),
        "sortino": empyrical.sortino_ratio(returns, annualization=PERIODS_PER_YEAR),
        "max_drawdown": max_dd,
        "calmar": calmar,
        "annual_turnover": traded / 2.0 / value.mean(axis=0) / years,
        "fees_paid": fees_paid,
        "final_value": value[-1],
    }


class _Shared:
    """Memoized pieces shared between variants (signals, regimes, schedules, strategies)."""

    def __init__(self, inputs: Inputs, calendar: pd.DatetimeIndex) -> None:
        self.inputs, self.calendar = inputs, calendar
        self.signals: dict[str, pd.DataFrame] = {}
        self.regimes: dict[str, pd.Series] = {}
        self.schedules: dict[str, pd.DatetimeIndex] = {}
        self.memo: dict = {}  # for strategies' batch_target_weights
        self.keys: dict[tuple[int, ...], tuple[tuple, str]] = {}
        self.strategies: dict[str, Strategy] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.composites: dict[str, np.ndarray] = {}
        self.parsed: dict[str, Any] = {}

    def key(self, *parts: Any) -> str:
        """``_key(parts)``, memoized by the identity of the parts (variants share sections)."""
        ident = tuple(id(p) for p in parts)
        if ident not in self.keys:
            self.keys[ident] = (parts, _key(list(parts)))  # parts kept alive: ids stay unique
        return self.keys[ident][1]

    def signal(self, config: Config) -> pd.DataFrame:
        key = self.key(config.signal)
        if key not in self.signals:
            self.signals[key] = build_signals(self.inputs, config, self.calendar)
        return self.signals[key]

    def regime(self, config: Config) -> pd.Series:
        key = self.key(config.signal, config.regime)
        if key not in self.regimes:
            self.regimes[key] = classify(self.signal(config)["composite"], config.regime)
        return self.regimes[key]

    def strategy(self, config: Config) -> Strategy:
        key = self.key(config.strategy.name, config.strategies_dir, config.source_path)
        if key not in self.strategies:
            folder = config.resolve_path(config.strategies_dir)
            self.strategies[key] = load_strategy(config.strategy.name, folder)
        return self.strategies[key]

    def params(self, strategy: Strategy, config: Config) -> Any:
        """The strategy's parsed ``Params`` of a variant (one parse per strategy section)."""
        key = self.key(config.strategy, config.universe)
        if key not in self.parsed:
            self.parsed[key] = strategy.parse_params(config.strategy.params, config)
        return self.parsed[key]

    def regime_codes(self, config: Config, dates: pd.DatetimeIndex) -> np.ndarray:
        """Index into ``STATES`` of the regime on ``dates`` (-1 = unknown)."""
        key = self.key(config.signal, config.regime) + dates.asi8.tobytes().hex()
        if key not in self.codes:
            codes = {s: i for i, s in enumerate(STATES)}
            regime = self.regime(config).reindex(dates)
            self.codes[key] = regime.map(codes).fillna(-1).to_numpy(dtype=np.int64)
        return self.codes[key]

    def composite_at(self, config: Config, dates: pd.DatetimeIndex) -> np.ndarray:
        key = self.key(config.signal) + dates.asi8.tobytes().hex()
        if key not in self.composites:
            self.composites[key] = self.signal(config)["composite"].reindex(dates).to_numpy()
        return self.composites[key]

    def decisions(self, config: Config, in_window: pd.DatetimeIndex) -> pd.DatetimeIndex:
        key = self.key(config.signal, config.regime, config.rebalance) + str(in_window[0])
        if key not in self.schedules:
            self.schedules[key] = schedule(
                in_window,
                config.rebalance.every,
                regime=self.regime(config),
                on_regime_change=config.rebalance.on_regime_change,
            )
        return self.schedules[key]


def _weights_for(
    variants: Sequence[Config],
    shared: _Shared,
    prices: pd.DataFrame,
    in_window: pd.DatetimeIndex,
) -> tuple[np.ndarray, np.ndarray]:
    """Decision rows (positions in ``prices``) and targets (V, R, N) for variants that share
    one strategy."""
    first = variants[0]
    strategy = shared.strategy(first)
    decisions = [shared.decisions(v, in_window) for v in variants]
    distinct = {id(d): d for d in decisions}  # variants share schedule objects
    union = functools.reduce(pd.DatetimeIndex.union, distinct.values())
    rows = prices.index.get_indexer(union)
    on_union = {key: union.isin(d) for key, d in distinct.items()}
    decide = np.array([on_union[id(d)] for d in decisions])
    batch = strategy.batch_target_weights
    if batch is not None:
        regimes = np.array([shared.regime_codes(v, union) for v in variants])
        composite = np.array([shared.composite_at(v, union) for v in variants])
        params = [shared.params(strategy, v) for v in variants]
        batch_inputs = BatchInputs(
            prices, first.universe, rows, decide, regimes, composite, shared.memo
        )
        targets = np.asarray(batch(batch_inputs, params), dtype=np.float64)
    else:
        targets = np.empty((len(variants), len(union), prices.shape[1]))
        cache: dict[str, np.ndarray] = {}
        for v, variant in enumerate(variants):
            key = shared.key(variant.signal, variant.regime, variant.rebalance, variant.strategy)
            if key not in cache:
                frame = strategy.target_weights(
                    StrategyInputs(
                        prices=prices,
                        signals=shared.signal(variant),
                        regime=shared.regime(variant),
                        universe=variant.universe,
                        schedule=decisions[v],
                    ),
                    shared.params(strategy, variant),
                )
                cache[key] = frame.reindex(union).to_numpy(dtype=np.float64)
            targets[v] = cache[key]
    targets[~decide] = np.nan
    return rows, targets


def run_variants(
    variants: Sequence[Config],
    inputs: Inputs,
    *,
    memory_mb: float = 512,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Evaluate every variant on ``inputs``; variants must share universe, benchmark and window.

    ``progress(n)`` is called after each chunk with the number of variants it finished.
    """
    base = variants[0]
    for v in variants[1:]:
        if v.universe != base.universe or v.benchmark != base.benchmark:
            raise ConfigError("a sweep cannot vary the universe or the benchmark")
        if (v.start, v.end, v.init_cash) != (base.start, base.end, base.init_cash):
            raise ConfigError("a sweep cannot vary start, end or init_cash")
    calendar = trading_calendar(inputs.closes)
    prices = align_prices({s: inputs.closes[s] for s in base.symbols}, calendar)
    window = backtest_window(base, inputs.closes)
    in_window_mask = (calendar >= window.start) & (calendar <= window.end)
    in_window = calendar[in_window_mask]
    offset = int(np.argmax(in_window_mask))
    close = prices.loc[in_window].ffill().bfill().to_numpy(dtype=np.float64)
    shared = _Shared(inputs, calendar)

    n_rows, n_assets = close.shape
    values = np.empty((n_rows, len(variants)))
    columns: dict[str, np.ndarray] = {}
    by_strategy: dict[str, list[int]] = {}
    for i, v in enumerate(variants):
        by_strategy.setdefault(shared.key(v.strategy.name, v.strategies_dir), []).append(i)
    for members in by_strategy.values():
        for lag in sorted({variants[i].execution_lag for i in members}):
            group = [i for i in members if variants[i].execution_lag == lag]
            estimate = len(in_window) // 15 + 1
            for chunk in iter_variant_chunks(len(group), n_rows, n_assets, estimate, memory_mb):
                idx = group[chunk]
                chunk_variants = [variants[i] for i in idx]
                rows, targets = _weights_for(chunk_variants, shared, prices, in_window)
                executed = rows - offset + lag
                keep = executed < n_rows
                result = simulate_target_weights(
                    close,
                    targets[:, keep],
                    executed[keep],
                    np.array([v.costs.fees for v in chunk_variants]),
                    np.array([v.costs.slippage for v in chunk_variants]),
                    base.init_cash,
                )
                values[:, idx] = result.value
                stats = _metrics(result.value, result.fees_paid, result.traded_value)
                for name, column in stats.items():
                    columns.setdefault(name, np.full(len(variants), np.nan))[idx] = column
                if progress:
                    progress(len(idx))
    table = pd.DataFrame(columns)
    table.index.name = "variant"
    value = pd.DataFrame(values, index=in_window)
    return SweepResult(table=table, value=value, overrides=[])


def sweep(
    config: Config,
    grid: Mapping[str, Sequence[Any]],
    inputs: Inputs,
    *,
    variants: Sequence[Config] | None = None,
    memory_mb: float = 512,
    progress: Callable[[int], None] | None = None,
    executor: Callable[..., SweepResult] | None = None,
) -> SweepResult:
    """All variants of ``grid`` over ``config``: a table of overrides and metrics per variant.

    ``variants``: the output of ``variants_of(config, grid)`` when the caller validated already.
    ``executor``: runs the variants instead of ``run_variants``, with its signature and the same
    numbers (e.g. ``rotation.distributed.DaskExecutor``).
    """
    overrides = expand_grid(grid)
    variants = variants if variants is not None else variants_of(config, grid)
    run = executor or run_variants
    result = run(variants, inputs, memory_mb=memory_mb, progress=progress)
    params = pd.DataFrame(overrides, index=result.table.index)
    table = pd.concat([params, result.table], axis=1) if len(params.columns) else result.table
    return SweepResult(table=table, value=result.value, overrides=overrides)


def best(table: pd.DataFrame, metric: str) -> pd.Series:
    """The row with the best ``metric`` (highest; for max_drawdown, the least negative)."""
    if metric not in table.columns:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {', '.join(RANKABLE)}")
    return table.loc[table[metric].idxmax()]


def overfitting(result: SweepResult, metric: str) -> dict[str, Any]:
    """PSR, DSR and PBO (``rotation.overfit.selection_statistics``) of taking the best variant
    by ``metric`` out of all the sweep's variants, from their daily returns."""
    from rotation.overfit import selection_statistics

    returns = result.value.pct_change().iloc[1:].to_numpy()
    return selection_statistics(returns, int(best(result.table, metric).name))


def save(
    result: SweepResult,
    config: Config,
    grid: Mapping[str, Sequence[Any]],
    metric: str,
    results_dir: Path,
    *,
    seconds: float | None = None,
    overfit: dict[str, Any] | None = None,
) -> Path:
    """Write a sweep folder: every variant's parameters and metrics, the best, a heatmap.

    ``overfit``: the output of ``overfitting(result, metric)`` if the caller has it.
    """
    from rotation.runs import new_folder, package_versions, timestamp

    top = best(result.table, metric)
    best_config = with_overrides(config, result.overrides[int(top.name)])
    summary = {
        "config": config.source_path,
        "config_hash": config.config_hash(),
        "grid": {k: list(v) for k, v in grid.items()},
        "variants": len(result.table),
        "metric": metric,
        "best_variant": int(top.name),
        "best": {k: _json_value(v) for k, v in top.items()},
        "overfitting": overfit if overfit is not None else overfitting(result, metric),
        "seconds": seconds,
        "versions": package_versions(),
    }
    with new_folder(results_dir, f"{config.name}-sweep-{timestamp()}") as staging:
        folder = staging.path
        result.table.to_csv(folder / "variants.csv")
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (folder / "best.yaml").write_text(
            yaml.safe_dump(best_config.to_dict(), sort_keys=False, allow_unicode=True)
        )
        if len(grid) == 2:
            from rotation.report.studies import sweep_heatmap, write_figure_html

            heatmap = sweep_heatmap(result.table, list(grid), metric)
            write_figure_html(heatmap, folder / "heatmap.html")
    return staging.published


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
