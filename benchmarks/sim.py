"""Variants per second: the one-pass kernel against vectorbt ``from_orders``, on synthetic data.

Workload (all synthetic): geometric Brownian motion prices on business days 2012-2024, monthly
rebalancing (first business day of each month) to random fully-invested target weights, fees
0.1 %, no slippage, cash sharing, 100,000 initial cash. Every timing includes building the
weights and reading the equity curve out (``pf.value()`` for vectorbt).

- (a) kernel: ``simulate_target_weights`` over all variants in one pass.
- (b) vectorbt, one ``from_orders`` call per variant: a sample is timed, the rate extrapolated.
- (c) vectorbt, a sample of variants as column groups of one ``from_orders`` call.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import vectorbt as vbt

from rotation._sim import bytes_per_variant, iter_variant_chunks, simulate_target_weights

START, END = "2012-01-01", "2024-12-31"
FEES = 0.001
INIT_CASH = 100_000.0


@dataclass
class Measurement:
    label: str
    variants: int
    seconds: float
    note: str = ""

    @property
    def variants_per_second(self) -> float:
        return self.variants / self.seconds


@dataclass
class Results:
    n_rows: int
    n_rebalances: int
    measurements: list[Measurement] = field(default_factory=list)
    scaling: list[Measurement] = field(default_factory=list)
    compile_seconds: float = 0.0
    kernel_peak_mb: float = 0.0
    vectorbt_groups_peak_mb: float = 0.0
    process_max_rss_mb: float = 0.0
    max_rel_diff: float = 0.0


def synthetic_gbm_close(n_assets: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic GBM prices, business days ``START``..``END``, 15-45 % annual volatility."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(START, END, name="date")
    vol = rng.uniform(0.15, 0.45, n_assets) / np.sqrt(252)
    log_returns = rng.normal(0.0003, 1.0, (len(index), n_assets)) * vol
    prices = rng.uniform(10, 300, n_assets) * np.exp(np.cumsum(log_returns, axis=0))
    return pd.DataFrame(prices, index=index, columns=[f"SYN{j}" for j in range(n_assets)])


def month_start_rows(index: pd.DatetimeIndex) -> np.ndarray:
    """Rows of the first business day of each month."""
    month = index.year * 12 + index.month
    return np.flatnonzero(np.r_[True, month[1:] != month[:-1]])


def random_targets(rng: np.random.Generator, n_variants: int, n_rebalances: int, n_assets: int):
    """(V, R, N) random fully-invested weights."""
    raw = rng.random((n_variants, n_rebalances, n_assets))
    return raw / raw.sum(axis=2, keepdims=True)


def weights_frame(close: pd.DataFrame, rows: np.ndarray, targets: np.ndarray) -> pd.DataFrame:
    weights = np.full(close.shape, np.nan)
    weights[rows] = targets
    return pd.DataFrame(weights, index=close.index, columns=close.columns)


def vectorbt_value(close: pd.DataFrame, weights: pd.DataFrame, group_by=True) -> np.ndarray:
    pf = vbt.Portfolio.from_orders(
        close,
        size=weights,
        size_type="targetpercent",
        group_by=group_by,
        cash_sharing=True,
        call_seq="auto",
        fees=FEES,
        slippage=0.0,
        init_cash=INIT_CASH,
        freq="1D",
    )
    return pf.value().to_numpy()


def kernel_pass(close: np.ndarray, rows: np.ndarray, n_variants: int, seed: int, budget_mb=None):
    """Build random targets and simulate them; in chunks when a memory budget is given."""
    rng = np.random.default_rng(seed)
    n_rows, n_assets = close.shape
    if budget_mb is None:
        chunks = [slice(0, n_variants)]
    else:
        chunks = iter_variant_chunks(n_variants, n_rows, n_assets, len(rows), budget_mb)
    final_values = np.empty(n_variants)
    for chunk in chunks:
        targets = random_targets(rng, chunk.stop - chunk.start, len(rows), n_assets)
        result = simulate_target_weights(close, targets, rows, FEES, 0.0, INIT_CASH)
        final_values[chunk] = result.value[-1]
    return final_values


def timed(func: Callable[[], object], repeat: int = 1) -> tuple[float, str, object]:
    """Median wall time of ``repeat`` calls, a note on the spread, and the last call's output."""
    times = []
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    spread = f"median of {repeat} runs ({min(times):.3f}-{max(times):.3f} s)" if repeat > 1 else ""
    return float(np.median(times)), spread, out


def traced_peak_mb(func: Callable[[], object]) -> float:
    """Peak of Python/NumPy allocations while ``func`` runs (tracemalloc), in MB."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


def run(
    n_variants: int = 1000,
    n_assets: int = 20,
    loop_sample: int = 20,
    group_sample: int = 50,
    scaling_assets: tuple[int, ...] = (200, 1000),
    scaling_budget_mb: float = 512.0,
    log: Callable[[str], None] = print,
) -> Results:
    close_frame = synthetic_gbm_close(n_assets)
    close = close_frame.to_numpy()
    rows = month_start_rows(close_frame.index)
    results = Results(n_rows=len(close), n_rebalances=len(rows))

    # Compile (or load from the numba cache) on a tiny input, timed apart.
    start = time.perf_counter()
    simulate_target_weights(
        close[:30, :2], np.full((1, 2, 2), 0.5), np.array([0, 20]), FEES, 0.0, 1
    )
    results.compile_seconds = time.perf_counter() - start

    log(f"(a) kernel, {n_variants} variants x {n_assets} assets ...")
    seconds, spread, _ = timed(lambda: kernel_pass(close, rows, n_variants, seed=1), repeat=5)
    kernel = Measurement("(a) kernel, one pass", n_variants, seconds, spread)
    results.measurements.append(kernel)

    # The same random variants for both vectorbt modes and the kernel check.
    sample_targets = random_targets(np.random.default_rng(2), loop_sample, len(rows), n_assets)
    vectorbt_value(close_frame, weights_frame(close_frame, rows, sample_targets[0]))  # compile

    log(f"(b) vectorbt, {loop_sample} single from_orders calls ...")

    def vectorbt_loop() -> list[np.ndarray]:
        return [
            vectorbt_value(close_frame, weights_frame(close_frame, rows, targets))
            for targets in sample_targets
        ]

    seconds, spread, loop_values = timed(vectorbt_loop, repeat=3)
    loop = Measurement(
        "(b) vectorbt, loop of single calls",
        loop_sample,
        seconds,
        f"{loop_sample} variants timed, rate extrapolated to {n_variants}; {spread}",
    )
    results.measurements.append(loop)

    kernel_values = simulate_target_weights(close, sample_targets, rows, FEES, 0.0, INIT_CASH).value
    results.max_rel_diff = max(
        float(np.max(np.abs(kernel_values[:, k] / loop_values[k] - 1))) for k in range(loop_sample)
    )

    log(f"(c) vectorbt, {group_sample} variants as column groups of one call ...")
    group_targets = random_targets(np.random.default_rng(3), group_sample, len(rows), n_assets)

    def vectorbt_groups() -> np.ndarray:
        wide_close = pd.concat([close_frame] * group_sample, axis=1, keys=range(group_sample))
        wide_weights = np.full(wide_close.shape, np.nan)
        wide_weights[rows] = group_targets.transpose(1, 0, 2).reshape(len(rows), -1)
        wide_weights = pd.DataFrame(
            wide_weights, index=wide_close.index, columns=wide_close.columns
        )
        return vectorbt_value(wide_close, wide_weights, group_by=0)  # level 0 = variant

    seconds, spread, group_values = timed(vectorbt_groups, repeat=3)
    results.measurements.append(
        Measurement(
            "(c) vectorbt, variants as column groups",
            group_sample,
            seconds,
            f"{group_sample} variants in one call; {spread}",
        )
    )
    group_kernel = simulate_target_weights(close, group_targets, rows, FEES, 0.0, INIT_CASH).value
    results.max_rel_diff = max(
        results.max_rel_diff, float(np.max(np.abs(group_kernel / group_values - 1)))
    )

    log("peak memory ...")
    results.kernel_peak_mb = traced_peak_mb(lambda: kernel_pass(close, rows, n_variants, seed=1))
    results.vectorbt_groups_peak_mb = traced_peak_mb(vectorbt_groups)

    for scaled_assets in scaling_assets:
        log(f"scaling: kernel, {n_variants} variants x {scaled_assets} synthetic assets ...")
        scaled_close = synthetic_gbm_close(scaled_assets, seed=scaled_assets).to_numpy()
        per_variant_mb = bytes_per_variant(len(scaled_close), scaled_assets, len(rows)) / 2**20
        seconds, _, _ = timed(
            lambda c=scaled_close: kernel_pass(c, rows, n_variants, 4, scaling_budget_mb)
        )
        chunk = min(n_variants, int(scaling_budget_mb // per_variant_mb))
        results.scaling.append(
            Measurement(
                f"kernel, {scaled_assets} synthetic assets",
                n_variants,
                seconds,
                f"chunks of {chunk} variants ({scaling_budget_mb:.0f} MB budget)",
            )
        )
        log(f"scaling: vectorbt, 3 single calls x {scaled_assets} synthetic assets ...")
        scaled_frame = synthetic_gbm_close(scaled_assets, seed=scaled_assets)
        scaled_targets = random_targets(np.random.default_rng(5), 3, len(rows), scaled_assets)
        seconds, _, _ = timed(
            lambda f=scaled_frame, t=scaled_targets: [
                vectorbt_value(f, weights_frame(f, rows, targets)) for targets in t
            ]
        )
        results.scaling.append(
            Measurement(
                f"vectorbt loop, {scaled_assets} synthetic assets",
                3,
                seconds,
                "3 variants timed",
            )
        )

    results.process_max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def render_markdown(results: Results, n_assets: int, machine: dict[str, str]) -> str:
    """RESULTS.md: machine, workload and the measured table."""
    kernel, loop = results.measurements[0], results.measurements[1]
    speedup = kernel.variants_per_second / loop.variants_per_second
    lines = [
        "# Benchmark: one-pass kernel vs vectorbt `from_orders`",
        "",
        "Generated by `python -m benchmarks` (`make bench`). The kernel sections use synthetic "
        "data (labeled); the sweep sections use the bundled real data.",
        "",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
        f"Workload: synthetic GBM, {results.n_rows} business days ({START[:4]}-{END[:4]}), "
        f"{n_assets} assets, {results.n_rebalances} monthly rebalances to random fully-invested "
        f"weights, fees {FEES:.1%}, cash sharing, call_seq auto. Single core "
        "(NUMBA_NUM_THREADS=1, no parallel kernel). Times include building the weights and "
        "reading out the daily equity curve.",
        "",
        "| mode | variants timed | seconds | variants/s | note |",
        "|---|---:|---:|---:|---|",
    ]
    for m in results.measurements:
        lines.append(
            f"| {m.label} | {m.variants} | {m.seconds:.3f} | {m.variants_per_second:,.1f} "
            f"| {m.note} |"
        )
    lines += [
        "",
        f"- Speed-up (a)/(b): **{speedup:,.0f}x** (target >= 40x); "
        f"(a) = {kernel.variants_per_second:,.0f} variants/s (target >= 2,000).",
        f"- (b) extrapolated to {kernel.variants} variants: "
        f"{kernel.variants / loop.variants_per_second:,.1f} s, vs {kernel.seconds:.3f} s for (a).",
        f"- Kernel compile / cache load (once per process): {results.compile_seconds:.2f} s, "
        "not in (a).",
        f"- Largest relative difference of daily value, kernel vs vectorbt, over the "
        f"{loop.variants} + {results.measurements[2].variants} sampled variants: "
        f"{results.max_rel_diff:.2e}.",
        f"- Peak traced memory (tracemalloc) of (a) with {kernel.variants} variants: "
        f"{results.kernel_peak_mb:,.1f} MB; of (c) with {results.measurements[2].variants} "
        f"variants: {results.vectorbt_groups_peak_mb:,.1f} MB. Process max RSS (everything, "
        f"vectorbt included): {results.process_max_rss_mb:,.0f} MB.",
        "",
        "## Scaling with the number of assets (synthetic)",
        "",
        "| mode | variants timed | seconds | variants/s | note |",
        "|---|---:|---:|---:|---|",
    ]
    for m in results.scaling:
        lines.append(
            f"| {m.label} | {m.variants} | {m.seconds:.3f} | {m.variants_per_second:,.1f} "
            f"| {m.note} |"
        )
    lines.append("")
    for kernel_row, loop_row in zip(results.scaling[::2], results.scaling[1::2], strict=True):
        ratio = kernel_row.variants_per_second / loop_row.variants_per_second
        lines.append(f"- {kernel_row.label}: {ratio:,.0f}x the vectorbt loop.")
    return "\n".join(lines) + "\n"
