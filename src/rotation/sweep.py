"""Sweeps: many variants of one config, one data load, shared work, one engine pass per chunk.

A variant is the base config with some dotted keys overridden (``regime.scarce_enter=0.3``,
``strategy.params.vol_lookback=21``, ``costs.fees=0.002``). Work is shared as far as the
parameters allow:

- the data is loaded once, and one ``rotation.pipeline.Stages`` computes each stage once per
  distinct config section: signals per ``signal`` block, regimes per (``signal``, ``regime``)
  pair, decision dates per (regime, ``rebalance``);
- target weights come from the strategy's one ``target_weights``, called once per chunk with
  all its variants (a single backtest is the same call with one);
- every variant of a chunk is simulated in one pass of the numba kernel (``rotation._sim``),
  the engine of single backtests too (whole shares or fractions per the variant's
  ``fractional``, through the engine's one ``size_granularity``), so a variant's numbers equal
  its own backtest's bit for bit; the tests also check them against vectorbt.

Chunks of variants keep the arrays that grow with the variants under ``memory_mb``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import yaml

from rotation import riskfree
from rotation._sim import SimResult, iter_variant_chunks, simulate_target_weights
from rotation._typed import coerce, field_types, suggest, to_plain
from rotation.config import Config
from rotation.engine import size_granularity
from rotation.errors import ConfigError
from rotation.metrics import METRICS, RANKABLE, Sample, compute, finite_or_none, rank_scores
from rotation.pipeline import Inputs, Stages, section_key
from rotation.runs import Identity, identity
from rotation.strategy import Strategy, load_strategy
from rotation.validate import check_config, check_macro

MAX_VARIANTS = 1_000_000


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
    if metric not in RANKABLE:
        raise ConfigError(
            f"unknown metric {metric!r}{suggest(metric, RANKABLE)}; choose one of "
            f"{', '.join(RANKABLE)}"
        )
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
_DATA_KEYS = (
    "data", "universe", "benchmark", "risk_free", "strategies_dir", "strategy.name", "start", "end",
)  # fmt: skip


def with_overrides(
    config: Config,
    overrides: Mapping[str, Any],
    *,
    strategy: Strategy | None = None,
    built: dict[Any, Any] | None = None,
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
            cache_key = (top, section_key(items))
            if cache_key not in built:
                built[cache_key] = coerce(_section(config, top, items), hints[top], top)
            changes[top] = built[cache_key]
        variant = config.replace(**changes)
        if touches_data or strategy is None:
            check_config(variant)
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


FIXED_KEYS = ("data", "universe", "benchmark", "risk_free", "start", "end", "init_cash")
"""Keys a sweep cannot vary: every variant runs on one data load, one universe and one window
(a walk-forward sets the windows itself). Compare such configs with ``rotation compare``."""


def variants_of(config: Config, grid: Mapping[str, Sequence[Any]]) -> list[Config]:
    """Every variant of the grid, all validated before any work starts: no key of
    ``FIXED_KEYS``, no value given twice, every series a variant's signal reads in the data."""
    overrides = expand_grid(grid)  # a grid too large is refused first, whatever its keys
    for key, values in grid.items():
        if key.split(".")[0] in FIXED_KEYS:
            raise ConfigError(
                f"grid: cannot vary {key!r}: every variant of a sweep runs on one data load, "
                f"universe and window, so none of {', '.join(FIXED_KEYS)} can vary; run one "
                "config per value and `rotation compare` them"
            )
        texts = [section_key(v) for v in values]
        twice = sorted({str(v) for v, t in zip(values, texts, strict=True) if texts.count(t) > 1})
        if twice:
            raise ConfigError(
                f"grid.{key}: {', '.join(twice)} given twice; a repeated value is the same "
                "variant run again, and would count as another trial in the luck check"
            )
    strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    built: dict[Any, Any] = {}
    variants = [with_overrides(config, o, strategy=strategy, built=built) for o in overrides]
    check_inputs(config, variants)
    return variants


def check_inputs(config: Config, variants: Sequence[Config]) -> None:
    """Every series the variants' signals read is in the data source (when it lists them)."""
    from rotation.data.sources import open_source

    signals = {id(v.signal): v.signal for v in variants}
    try:
        check_macro(signals.values(), open_source(config))
    except ConfigError as exc:
        raise ConfigError(f"grid: a variant's {exc}") from None


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """Per-variant metrics (one row per variant, in grid order) and the daily values."""

    table: pd.DataFrame
    value: pd.DataFrame  # dates x variant number
    overrides: list[dict[str, Any]]
    risk_free: pd.Series  # the daily risk-free rate on the same dates (``rotation.riskfree``)
    identity: Identity | None = None  # the base config's (``sweep`` sets it)

    def _repr_html_(self) -> str:
        """Every variant's parameters and metrics as an HTML table (escaped), for Jupyter."""
        return str(self.table.to_html(escape=True, max_rows=60))

    def excess_returns(self) -> pd.DataFrame:
        """dates x variants: daily returns less the risk-free rate, from the second day on."""
        returns = self.value.pct_change().iloc[1:]
        return returns.sub(self.risk_free.iloc[1:], axis=0)


def _metrics(result: SimResult, risk_free: np.ndarray) -> dict[str, Any]:
    """Registry metrics of one pass's (T, V) daily values and cost totals (``rotation.metrics``)
    against the (T,) daily ``risk_free`` rate; day 0 has return 0."""
    value = result.value
    returns = np.vstack([np.zeros((1, value.shape[1])), value[1:] / value[:-1] - 1.0])
    sample = Sample(
        returns,
        risk_free=risk_free,
        value=value,
        turnover=result.turnover,
        initial_turnover=result.initial_turnover,
        fees_paid=result.fees_paid,
        slippage_paid=result.slippage_paid,
        fee_drag_sum=result.fee_drag_sum,
        slippage_drag_sum=result.slippage_drag_sum,
    )
    return compute(sample)


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
        shared = (base.universe, base.benchmark, base.risk_free)
        if (v.universe, v.benchmark, v.risk_free) != shared:
            raise ConfigError("a sweep cannot vary the universe, the benchmark or risk_free")
        if (v.start, v.end, v.init_cash) != (base.start, base.end, base.init_cash):
            raise ConfigError("a sweep cannot vary start, end or init_cash")
    stages = Stages(inputs)
    prepared = stages.prepare(base)
    in_window_mask = prepared.in_window
    in_window = prepared.calendar[in_window_mask]
    offset = int(np.argmax(in_window_mask))
    close = prepared.prices.loc[in_window].ffill().bfill().to_numpy(dtype=np.float64)
    risk_free = riskfree.in_window(prepared.risk_free.loc[in_window], base.risk_free)

    n_rows, n_assets = close.shape
    symbols = [str(s) for s in prepared.prices.columns]
    granularity = {f: size_granularity(symbols, f) for f in {v.fractional for v in variants}}
    values = np.empty((n_rows, len(variants)))
    columns: dict[str, np.ndarray] = {}
    by_strategy: dict[str, list[int]] = {}
    for i, v in enumerate(variants):
        by_strategy.setdefault(stages.key(v.strategy.name, v.strategies_dir), []).append(i)
    for members in by_strategy.values():
        for lag in sorted({variants[i].execution_lag for i in members}):
            group = [i for i in members if variants[i].execution_lag == lag]
            # the rows a chunk's targets can have: every decision date of the group
            decision_rows = len(stages.decision_dates([variants[i] for i in group]))
            chunks = iter_variant_chunks(len(group), n_rows, n_assets, decision_rows, memory_mb)
            for chunk in chunks:
                idx = group[chunk]
                chunk_variants = [variants[i] for i in idx]
                rows, targets = stages.targets(chunk_variants)
                executed = rows - offset + lag
                keep = executed < n_rows
                result = simulate_target_weights(
                    close,
                    targets[:, keep],
                    executed[keep],
                    np.array([v.costs.fees for v in chunk_variants]),
                    np.array([v.costs.slippage for v in chunk_variants]),
                    base.init_cash,
                    size_granularity=np.stack([granularity[v.fractional] for v in chunk_variants]),
                    record_cash=False,
                )
                values[:, idx] = result.value
                stats = _metrics(result, risk_free.to_numpy())
                for name, column in stats.items():
                    columns.setdefault(name, np.full(len(variants), np.nan))[idx] = column
                if progress:
                    progress(len(idx))
    table = pd.DataFrame(columns)
    table.index.name = "variant"
    value = pd.DataFrame(values, index=in_window)
    return SweepResult(table=table, value=value, overrides=[], risk_free=risk_free)


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
    strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    ident = identity(config, inputs.fingerprint(), strategy)
    return SweepResult(
        table=table,
        value=result.value,
        overrides=overrides,
        risk_free=result.risk_free,
        identity=ident,
    )


def best(table: pd.DataFrame, metric_name: str) -> pd.Series:
    """The row with the best ``metric_name``, in the registry's direction (for max_drawdown,
    the least negative); the first in grid order among equals."""
    choices = [m.name for m in METRICS if m.better is not None and m.name in table.columns]
    if metric_name not in choices:
        raise ConfigError(f"unknown metric {metric_name!r}; choose one of {', '.join(choices)}")
    return table.iloc[int(np.argmax(rank_scores(table[metric_name], metric_name)))]


def overfitting(
    result: SweepResult, metric: str, benchmark: pd.Series | None = None
) -> dict[str, Any]:
    """PSR, DSR and PBO (``rotation.overfit.selection_statistics``) of taking the best variant
    by ``metric`` out of all the sweep's variants, from their daily returns in excess of the
    risk-free rate (the returns Sharpe measures). The best variant's figures are in sample;
    variants with identical returns count once (PBO, effective number of trials).

    ``benchmark``: the benchmark's closes (any dates; sampled on the sweep's calendar); when
    given, ``spa`` holds Hansen's SPA test of all the variants against it
    (``rotation.overfit.spa_test``) on the same excess returns."""
    from rotation.data.align import align_prices
    from rotation.overfit import selection_statistics, spa_test

    excess = result.excess_returns()
    stats = selection_statistics(excess.to_numpy(), _variant(best(result.table, metric)))
    if benchmark is not None:
        calendar = pd.DatetimeIndex(result.value.index)
        close = align_prices({"benchmark": benchmark}, calendar)["benchmark"].ffill()
        bench = close.pct_change().iloc[1:] - result.risk_free.iloc[1:]
        stats["spa"] = spa_test(excess.to_numpy(), bench.to_numpy())
    return stats


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

    if result.identity is None:
        raise ValueError("sweep.save needs a result of sweep(), which records its identity")
    top = best(result.table, metric)
    best_config = with_overrides(config, result.overrides[_variant(top)])
    summary = {
        "config": config.source_path,
        # the base config's identity: run id, config hash, data, strategy and code hashes
        **result.identity.to_dict(),
        "grid": {k: list(v) for k, v in grid.items()},
        "variants": len(result.table),
        "metric": metric,
        "best_variant": _variant(top),
        # chosen on the very days it is measured on: see "overfitting" for how much is luck
        "best_is_in_sample": True,
        "best": {k: _json_value(v) for k, v in top.items()},
        "overfitting": overfit if overfit is not None else overfitting(result, metric),
        "seconds": seconds,
        "versions": package_versions(),
    }
    with new_folder(results_dir, config.name, tag=f"sweep-{timestamp()}") as staging:
        folder = staging.path
        result.table.to_csv(folder / "variants.csv")
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (folder / "best.yaml").write_text(
            yaml.safe_dump(best_config.runnable_dict(), sort_keys=False, allow_unicode=True)
        )
        if len(grid) == 2:
            from rotation.report.studies import sweep_page

            page = sweep_page(result.table, list(grid), metric, config.name)
            (folder / "heatmap.html").write_text(page, encoding="utf-8")
    assert staging.published is not None  # new_folder sets it when the block succeeds
    return staging.published


def _variant(row: pd.Series) -> int:
    """The variant number of a row of a sweep table (indexed by variant number)."""
    return int(cast(int, row.name))  # pandas-stubs types a row's name as any Hashable


def _json_value(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return finite_or_none(value)  # JSON has no NaN
    if isinstance(value, np.generic):
        return value.item()
    return value
