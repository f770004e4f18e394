"""Walk-forward selection: pick the best variant on each training window, run it on the next.

Windows. From the first day of the backtest window, a training window of ``train`` (e.g. 3
years) is followed by a test window of ``test`` (e.g. 1 year); then both roll forward by
``test``, so the test windows tile the span without overlap (``anchored``: every training
window starts on the first day instead, and grows). A last test window shorter than
``min_test_days`` trading days is dropped.

Selection. Every variant of the grid is run once over the whole span (one sweep); a
variant's daily value on day t depends only on data published by t, because signals (rolling
and expanding z-scores, the HMM regime with its walk-forward refits), regimes, schedules and
target weights are point-in-time by construction (``tests/test_lookahead.py``). So the
sweep's daily returns sliced to a training window are exactly what was known at its end;
the variant with the best ``metric`` over that slice wins the window (the first in grid order
among those equal up to rounding). Nothing from the test
window, or after it, enters the choice or the signals used in it.

Out of sample. The winner is then run afresh on its test window (``simulate_prepared`` with
``start`` / ``end`` set to the test window): it starts from cash, with the capital the
previous test window ended with, and builds its positions on its first decision day (paying
costs), exactly as a trader switching to it would. At each hand-over the positions are
valued as if sold at the last close, paying the config's fees and slippage (long positions).
The test windows' equity curves, chained, are the out-of-sample curve. For reference the
base config (no selection) is run the same way, once, over the whole out-of-sample span.

In-sample metrics of a window are the winner's over its training slice of the sweep (its
state carried in from before the window, as in the sweep); out-of-sample metrics are the
fresh run's, with the costs it paid in the test window (``oos_`` + ``rotation.metrics.COSTS``:
fees, slippage, total, and their drags).

Headline. Figures of windows of different lengths are never averaged (the annualized return
of a short last window can be several times that of a full one). The summary compares three
curves, each measured once over all its days: the out-of-sample curve (the test windows
chained); the in-sample curve (each window's winner's daily returns over its own training
window, in the sweep, chained window after window: what the selection saw when it chose,
train / test times as many days as the out-of-sample curve, so its drawdown is left out); and
the base config without selection over the out-of-sample span. Per window, ``weight`` is the
window's share of the out-of-sample days and ``short`` marks a test window with fewer than
``SHORT_WINDOW`` of the longest one's trading days. ``oos_rank`` says where the in-sample winner's
sweep returns ranked among all variants over the test window by the same metric (1 = best),
and ``oos_best_sharpe`` is the best Sharpe ratio any variant had there (in hindsight):
persistently poor ranks mean the selection does not carry over.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from rotation import riskfree
from rotation.backtest import cost_metrics, simulate_prepared
from rotation.config import Config
from rotation.engine import simulate
from rotation.errors import ConfigError, DataError
from rotation.metrics import (
    RANKABLE,
    Sample,
    compute,
    finite_or_none,
    performance,
    rank_scores,
)
from rotation.pipeline import Inputs, Stages
from rotation.runs import identity
from rotation.sweep import SweepResult, expand_grid, run_variants, variants_of

__all__ = [
    "Fold",
    "WalkForward",
    "folds",
    "parse_span",
    "save",
    "walk_forward",
    "window_metrics",
]

SHORT_WINDOW = 0.9
"""A test window with fewer trading days than this share of the longest one's is ``short``."""

IN_SAMPLE_SHOWN = ("sharpe", "sortino", "annual_return", "annual_volatility")
"""Metrics of the chained in-sample curve that do not grow with its length (not drawdowns)."""

_SPAN = re.compile(r"^\s*(\d+)\s*([ym])\s*$", re.IGNORECASE)


MAX_SPAN_YEARS = 100
"""The longest training or test window (longer ones cannot fit any data's calendar)."""


def parse_span(text: str, what: str = "window length") -> pd.DateOffset:
    """``"3y"`` -> 3 years, ``"18m"`` -> 18 months (calendar time), at most
    ``MAX_SPAN_YEARS``; ``what`` names the setting in errors (e.g. ``--train``)."""
    match = _SPAN.match(str(text)[:40])
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"{what} {text!r}: expected years or months, e.g. 3y or 18m")
    n, unit = int(match.group(1)), match.group(2).lower()
    if n > (MAX_SPAN_YEARS if unit == "y" else 12 * MAX_SPAN_YEARS):
        raise ConfigError(
            f"{what} {text!r}: at most {MAX_SPAN_YEARS} years ({12 * MAX_SPAN_YEARS} months)"
        )
    return pd.DateOffset(years=n) if unit == "y" else pd.DateOffset(months=n)


@dataclass(frozen=True)
class Fold:
    """One walk-forward step; all dates are trading days of the calendar, inclusive."""

    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp


def folds(
    dates: pd.DatetimeIndex,
    train: pd.DateOffset,
    test: pd.DateOffset,
    *,
    anchored: bool = False,
    min_test_days: int = 21,
) -> list[Fold]:
    """The train/test windows over the trading days ``dates`` (see the module docstring)."""
    origin = dates[0]
    out: list[Fold] = []
    k = 0
    while True:
        test_from = origin + train + test * k if k else origin + train
        test_to = test_from + test
        train_from = origin if anchored or k == 0 else origin + test * k
        train_days = dates[(dates >= train_from) & (dates < test_from)]
        test_days = dates[(dates >= test_from) & (dates < test_to)]
        if len(test_days) < min_test_days or len(train_days) < 2:
            break
        out.append(Fold(train_days[0], train_days[-1], test_days[0], test_days[-1]))
        k += 1
    if not out:
        raise DataError(
            f"no walk-forward window fits in {dates[0].date()} .. {dates[-1].date()}: the "
            f"training window plus at least {min_test_days} test days is longer than the data"
        )
    return out


def window_metrics(returns: np.ndarray, risk_free: np.ndarray) -> dict[str, np.ndarray]:
    """The ``RANKABLE`` registry metrics (``rotation.metrics``) of each column of ``(T, N)``
    daily returns, against the (T,) daily ``risk_free`` rate."""
    return compute(Sample(returns, risk_free=risk_free), RANKABLE)


@dataclass(frozen=True)
class WalkForward:
    """What ``walk_forward`` produced.

    ``windows``: one row per fold (dates, winner and its overrides, in-sample and
    out-of-sample metrics, capital). ``equity``: dates x (walk_forward, static, benchmark,
    fold, risk_free) over the out-of-sample span, the curves all starting at ``init_cash``
    (``risk_free``: the day's risk-free return the metrics are in excess of). ``summary``: overall
    numbers (JSON-safe). ``sweep``: the whole-span sweep the choices were made from.
    """

    config: Config
    grid: Mapping[str, Sequence[Any]]
    metric: str
    windows: pd.DataFrame
    equity: pd.DataFrame
    summary: dict[str, Any]
    sweep: SweepResult


def walk_forward(
    config: Config,
    grid: Mapping[str, Sequence[Any]],
    inputs: Inputs,
    *,
    train: str | pd.DateOffset,
    test: str | pd.DateOffset,
    metric: str = "sharpe",
    anchored: bool = False,
    min_test_days: int = 21,
    variants: Sequence[Config] | None = None,
    memory_mb: float = 512,
    executor: Callable[..., SweepResult] | None = None,
    progress: Callable[[int], None] | None = None,
) -> WalkForward:
    """Walk-forward selection of ``grid``'s variants of ``config`` (see the module docstring).

    ``train`` / ``test``: ``"3y"``, ``"18m"`` or a ``pd.DateOffset``. ``variants``: the
    output of ``variants_of(config, grid)`` when the caller validated already.
    ``executor``: runs the sweep (default ``rotation.sweep.run_variants``; a
    ``rotation.distributed.DaskExecutor`` gives the same numbers).
    """
    if metric not in RANKABLE:
        raise ConfigError(f"unknown metric {metric!r}; choose one of {', '.join(RANKABLE)}")
    train_span = parse_span(train, "train") if isinstance(train, str) else train
    test_span = parse_span(test, "test") if isinstance(test, str) else test
    overrides = expand_grid(grid)
    variants = variants if variants is not None else variants_of(config, grid)
    run = executor or run_variants
    result = run(variants, inputs, memory_mb=memory_mb, progress=progress)
    stages = Stages(inputs)  # the fresh runs share signals and regimes
    value = result.value
    returns = value.pct_change().fillna(0.0).to_numpy()
    risk_free = result.risk_free.to_numpy()
    dates = cast(pd.DatetimeIndex, value.index)  # the variants' values are indexed by date
    steps = folds(dates, train_span, test_span, anchored=anchored, min_test_days=min_test_days)

    rows, segments, chain = [], [], []
    capital = config.init_cash
    for k, fold in enumerate(steps):
        train_rows = (dates >= fold.train_start) & (dates <= fold.train_end)
        test_rows = (dates >= fold.test_start) & (dates <= fold.test_end)
        in_sample = window_metrics(returns[train_rows], risk_free[train_rows])
        winner = _first_best(rank_scores(in_sample[metric], metric))
        hindsight = window_metrics(returns[test_rows], risk_free[test_rows])
        oos_scores = rank_scores(hindsight[metric], metric)
        chosen = variants[winner]
        run_oos = _fresh_run(chosen, stages, fold.test_start, fold.test_end, capital)
        segment = run_oos.value
        oos = performance(segment.pct_change().iloc[1:], run_oos.risk_free)
        end_value = float(segment.iloc[-1])
        handover = _liquidation_cost(chosen, run_oos) if k < len(steps) - 1 else 0.0
        chain.append((returns[train_rows, winner], risk_free[train_rows]))
        rows.append(
            {
                "fold": k,
                "train_start": fold.train_start.date(),
                "train_end": fold.train_end.date(),
                "test_start": fold.test_start.date(),
                "test_end": fold.test_end.date(),
                "train_days": int(train_rows.sum()),
                "test_days": int(test_rows.sum()),
                "winner": winner,
                "winner_overrides": _label(overrides[winner]),
                **{f"winner.{key}": v for key, v in overrides[winner].items()},
                **{f"is_{m}": float(in_sample[m][winner]) for m in RANKABLE},
                **{f"oos_{m}": oos.get(m) for m in RANKABLE},
                **{f"oos_{m}": v for m, v in run_oos.costs.items()},
                "oos_rank": int(1 + (oos_scores > oos_scores[winner]).sum()),
                "oos_best_sharpe": float(np.nanmax(hindsight["sharpe"])),
                "start_capital": capital,
                "end_value": end_value,
                "handover_cost": handover,
            }
        )
        segments.append(segment.rename("walk_forward").to_frame().assign(fold=k))
        capital = end_value - handover

    windows = pd.DataFrame(rows)
    after_days = list(windows.columns).index("test_days") + 1
    windows.insert(after_days, "weight", windows["test_days"] / windows["test_days"].sum())
    short = windows["test_days"] < SHORT_WINDOW * windows["test_days"].max()
    windows.insert(after_days + 1, "short", short)
    windows["oos_total_return"] = windows["end_value"] / windows["start_capital"] - 1.0
    chained_in_sample = Sample(
        np.concatenate([r for r, _ in chain]), risk_free=np.concatenate([f for _, f in chain])
    )
    equity = pd.concat(segments)
    first, last = steps[0].test_start, steps[-1].test_end
    static = _fresh_run(config, stages, first, last, config.init_cash)
    equity.insert(1, "static", static.value.reindex(equity.index))
    equity.insert(2, "benchmark", static.benchmark.reindex(equity.index))
    equity["risk_free"] = result.risk_free.reindex(equity.index)
    equity.index.name = "date"
    summary = _summary(
        config, grid, metric, windows, equity, chained_in_sample, static, train, test, anchored
    )
    # the base config's identity: run id, config hash, data, strategy and code hashes
    ident = identity(config, inputs.fingerprint(), stages.strategy(config))
    summary = {"config": summary.pop("config"), **ident.to_dict(), **summary}
    result = dataclasses.replace(result, identity=ident)
    summary["variants"] = len(variants)
    return WalkForward(config, grid, metric, windows, equity, summary, result)


def _first_best(scores: np.ndarray) -> int:
    """The first variant, in grid order, whose score (higher is better, NaN = -inf) is the
    highest up to rounding (variants that trade alike in a window tie up to the last bits)."""
    top = scores.max()
    if not np.isfinite(top):
        return int(np.argmax(scores))
    return int(np.argmax(scores >= top - 1e-9 * max(1.0, abs(top))))


@dataclass(frozen=True)
class _Segment:
    """A fresh run cut at the end of its test window."""

    value: pd.Series
    benchmark: pd.Series
    risk_free: pd.Series
    held: float  # gross value of the positions at the last close
    benchmark_measure: str  # how the benchmark was measured (``Backtest.metrics``)
    costs: dict[str, float | None]  # the registry's cost metrics over the window


def _fresh_run(
    config: Config, stages: Stages, start: pd.Timestamp, end: pd.Timestamp, cash: float
) -> _Segment:
    """``config`` run from ``cash`` starting on ``start``, cut at ``end``.

    The run goes on to the config's own end (an asset listed after ``end`` would make a run
    that stops at ``end`` invalid) and is cut: the engine is causal, so the days up to ``end``
    are those of a run that stops there.
    """
    fresh = config.replace(start=start.date(), init_cash=float(cash))
    run = simulate_prepared(stages.prepare(fresh))
    value = run.simulation.value.loc[:end]
    shares = run.simulation.shares.loc[:end].iloc[-1].to_numpy()
    close = run.prices.ffill().loc[:end].iloc[-1].to_numpy()
    held = float(np.nansum(np.abs(shares * close)))
    # the engine is causal: the same targets simulated up to ``end`` give the window's fills,
    # and the kernel's cost totals over them. Assets not listed yet by ``end`` (weight 0
    # throughout) are left out: the engine needs a price in every column.
    prices = run.prices.loc[:end]
    listed = prices.columns[prices.notna().any()]
    window = simulate(
        prices[listed],
        run.targets.loc[:end, listed],
        fees=fresh.costs.fees,
        slippage=fresh.costs.slippage,
        execution_lag=fresh.execution_lag,
        init_cash=fresh.init_cash,
        fractional=fresh.fractional,
    )
    risk_free = run.risk_free.loc[:end]
    costs = cost_metrics(window, window.value.pct_change().fillna(0.0), risk_free)
    return _Segment(
        value,
        run.benchmark_value.loc[:end],
        risk_free,
        held,
        run.metrics["benchmark_measure"],
        costs,
    )


def _liquidation_cost(config: Config, segment: _Segment) -> float:
    """Fees and slippage of selling every position of ``segment`` at its last close."""
    fees, slippage = config.costs.fees, config.costs.slippage
    return segment.held * (1.0 - (1.0 - slippage) * (1.0 - fees))


def _label(overrides: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in overrides.items()) or "(base config)"


def _summary(
    config: Config,
    grid: Mapping[str, Sequence[Any]],
    metric: str,
    windows: pd.DataFrame,
    equity: pd.DataFrame,
    in_sample: Sample,
    static: _Segment,
    train: Any,
    test: Any,
    anchored: bool,
) -> dict[str, Any]:
    """The headline (see the module docstring): each curve measured once over all its days."""

    def perf(values: pd.Series) -> dict[str, Any]:
        stats = performance(values.pct_change().iloc[1:], equity["risk_free"])
        stats["total_return"] = float(values.iloc[-1] / values.iloc[0] - 1.0)
        return {"days": len(values) - 1, **{k: v for k, v in stats.items() if k in RANKABLE}}

    chained = compute(in_sample, IN_SAMPLE_SHOWN)
    winners = windows.groupby("winner_overrides", sort=False)["fold"].apply(list)
    return {
        "config": config.source_path,
        "config_hash": config.config_hash(),
        "grid": {k: list(v) for k, v in grid.items()},
        "metric": metric,
        "train": _span_text(train),
        "test": _span_text(test),
        "anchored": anchored,
        "windows": len(windows),
        "short_windows": [int(f) for f in windows.loc[windows["short"], "fold"]],
        "short_window_share": SHORT_WINDOW,
        "out_of_sample": {
            "start": str(equity.index[0].date()),
            "end": str(equity.index[-1].date()),
        },
        "walk_forward": perf(equity["walk_forward"]),
        "in_sample": {
            "days": len(in_sample.returns),
            **{m: finite_or_none(v) for m, v in chained.items()},
            "definition": (
                "each window's winner's daily returns over its own training window (in the "
                "sweep), chained window after window; drawdowns are left out: the chain is "
                "train / test times longer than the out-of-sample curve"
            ),
        },
        "static": perf(equity["static"]),
        "benchmark": {
            "symbol": config.benchmark,
            "measure": static.benchmark_measure,
            **perf(equity["benchmark"]),
        },
        "risk_free": riskfree.summary(config.risk_free, equity["risk_free"].to_numpy()[1:]),
        "winners": {label: folds_won for label, folds_won in winners.items()},
        "handover_costs": finite_or_none(windows["handover_cost"].sum()),
        "method": (
            "one sweep over the whole span (point-in-time signals); the best variant by "
            f"{metric} on each training slice is run afresh from cash on the next test window "
            "with the capital the previous one ended with; every curve is measured once over "
            "all its days, no figure of a window is averaged"
        ),
    }


def _span_text(span: str | pd.DateOffset) -> str:
    if isinstance(span, str):
        return span.strip().lower()
    return " ".join(f"{v}{k[0]}" for k, v in span.kwds.items())


# --- output -----------------------------------------------------------------------------------


def save(result: WalkForward, results_dir: Path, *, seconds: float | None = None) -> Path:
    """Write ``results_dir/<name>-walkforward-<time>/``: windows.csv, oos_equity.csv,
    summary.json and walkforward.html (``rotation.report.studies``; plotly inline, no CDN)."""
    from rotation.runs import json_default, new_folder, package_versions, timestamp

    summary = {**result.summary, "seconds": seconds, "versions": package_versions()}
    tag = f"walkforward-{timestamp()}"
    with new_folder(results_dir, result.config.name, tag=tag) as staging:
        folder = staging.path
        result.windows.to_csv(folder / "windows.csv", index=False)
        result.equity.to_csv(folder / "oos_equity.csv")
        (folder / "summary.json").write_text(
            json.dumps(summary, indent=2, default=json_default) + "\n"
        )
        from rotation.report.studies import walkforward_page

        (folder / "walkforward.html").write_text(walkforward_page(result), encoding="utf-8")
    assert staging.published is not None  # new_folder sets it when the block succeeds
    return staging.published
