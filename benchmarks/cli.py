"""End-to-end CLI figures for issue 13's speed targets, measured in one run on one machine.

Every figure is a ratio or a rate of things measured in the same run, so a busy machine moves
them much less than it moves the seconds. Workload: ``configs/capital_scarcity.yaml`` on the
bundled data.

1. Start-up: ``python -c "import pandas"`` (the baseline), ``rotation --help`` and a config
   error (a copy of the config with an unknown key), each as a ratio to the baseline.
2. A warm ``rotation backtest`` (report included) as a ratio to the baseline.
3. A 5,000-variant ``rotation sweep`` with its start-up subtracted: the same command with a
   1-variant grid is the start-up, variants/s = 4,999 / (t_5000 - t_1).
4. vectorbt on the same 5,000 variants (same target weights and decision rows, built by the
   library): a loop of single ``Portfolio.from_orders`` calls, a sample timed, extrapolated;
   reported as CLI-sweep rate / vectorbt-loop rate.
5. The kernel pass alone (``simulate_target_weights``) on those targets, chunked as the sweep
   chunks them -> variants/s.

1-3 run the installed ``rotation`` console script (next to ``sys.executable``) as child
processes from the repository root, single-threaded (NUMBA_NUM_THREADS=1); each child's wall
time and max RSS come from ``os.wait4`` in a small launcher process (a child forked from this
big process would report this process's memory as its own). The commands of 1-2 run in rounds
(the baseline and every command once per round, one after the other), and a ratio is the
median over rounds of the command's time over the same round's baseline, so load that comes
and goes hits both. The two sweeps alternate the same way. 4-5 run in this process, after a warm-up.

Run: ``python -m benchmarks --only cli`` or ``python -m benchmarks.cli`` (prints the markdown
section); ``python -m benchmarks`` appends the section to RESULTS.md with the others.
"""

from __future__ import annotations

import os

# Single core, set before numba is imported (``python -m benchmarks.cli`` does not go through
# benchmarks/__main__.py); the child processes get the same settings explicitly.
os.environ["NUMBA_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "capital_scarcity.yaml"
CONFIG_ARG = "configs/capital_scarcity.yaml"  # as typed, from ROOT

# 10 x 10 x 5 x 2 x 5 = 5,000 variants
GRID: dict[str, list] = {
    "regime.scarce_enter": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2],
    "strategy.params.vol_lookback": [10, 21, 42, 63, 84, 105, 126, 147, 168, 189],
    "costs.fees": [0.0, 0.0005, 0.001, 0.002, 0.005],
    "execution_lag": [1, 2],
    "regime.min_days": [1, 5, 10, 15, 20],
}
ONE_VARIANT_GRID = {key: values[:1] for key, values in GRID.items()}
N_VARIANTS = int(np.prod([len(v) for v in GRID.values()]))
MEMORY_MB = 512.0  # the sweep's default budget

TARGETS = {  # issue 13
    "help": ("<= 1x", lambda ratio: ratio <= 1.0),
    "config_error": ("<= 1x", lambda ratio: ratio <= 1.0),
    "backtest": ("<= 4x", lambda ratio: ratio <= 4.0),
    "sweep": (">= 5,000/s", lambda rate: rate >= 5000),
    "vectorbt": (">= 100x", lambda ratio: ratio >= 100),
    "kernel": ("> 10,000/s", lambda rate: rate > 10_000),
}


# --- the adapter: the ONLY place that calls the library (update it with the sweep) ------------


@dataclass
class KernelPass:
    """One chunk of the sweep: its variants (grid numbers) and the kernel's inputs."""

    variants: np.ndarray  # (V,) variant numbers, grid order
    targets: np.ndarray  # (V, R, N) already lagged: row r applies on close row rows[r]
    rows: np.ndarray  # (R,) rows of ``close`` where the targets are traded
    fees: np.ndarray  # (V,)
    slippage: np.ndarray  # (V,)


@dataclass
class KernelInputs:
    close: pd.DataFrame  # in-window prices, back-filled before listings, as the kernel gets them
    init_cash: float
    passes: list[KernelPass]


def prepare_kernel_inputs(config_path: Path, grid: dict, memory_mb: float) -> KernelInputs:
    """ADAPTER: the sweep's kernel inputs, built as ``rotation.sweep.run_variants`` builds them
    (one ``rotation.pipeline.Stages``, grouped by execution lag, chunked by the budget)."""
    from rotation import sweep as sw
    from rotation._sim import iter_variant_chunks
    from rotation.pipeline import Stages, load_inputs
    from rotation.validate import load_config

    config = load_config(config_path)
    variants = sw.variants_of(config, grid)
    assert len({(v.strategy.name, v.strategies_dir) for v in variants}) == 1, "one strategy"
    stages = Stages(load_inputs(config))
    prepared = stages.prepare(config)
    mask = prepared.in_window
    in_window, offset = prepared.calendar[mask], int(np.argmax(mask))
    close = prepared.prices.loc[in_window].ffill().bfill()
    passes = []
    for lag in sorted({v.execution_lag for v in variants}):
        group = [i for i, v in enumerate(variants) if v.execution_lag == lag]
        decision_rows = len(stages.decision_dates([variants[i] for i in group]))
        for chunk in iter_variant_chunks(len(group), *close.shape, decision_rows, memory_mb):
            idx = group[chunk]
            chunk_variants = [variants[i] for i in idx]
            rows, targets = stages.targets(chunk_variants)
            executed = rows - offset + lag
            keep = executed < len(in_window)
            passes.append(
                KernelPass(
                    np.array(idx),
                    np.ascontiguousarray(targets[:, keep]),
                    executed[keep],
                    np.array([v.costs.fees for v in chunk_variants]),
                    np.array([v.costs.slippage for v in chunk_variants]),
                )
            )
    return KernelInputs(close=close, init_cash=config.init_cash, passes=passes)


# --- child processes --------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float  # wall
    cpu_seconds: float  # user + system: what the command itself used, less moved by load
    rss_mb: float
    stdout: str


@dataclass
class Command:
    key: str
    label: str
    shown: str  # the command as a user types it (<tmp>: a temporary folder)
    argv: list[str]  # "{results}" is replaced by a new empty folder for each run
    expect_rc: int = 0
    expect_err: str | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def rss_mb(self) -> float:
        return statistics.median(r.rss_mb for r in self.runs)


def rotation_executable() -> str:
    """The ``rotation`` console script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "rotation"
    found = str(beside) if beside.exists() else shutil.which("rotation")
    if not found:
        raise SystemExit("benchmarks.cli: no `rotation` console script next to python or on PATH")
    return found


# A child's max RSS counts the memory of the process it was forked from (Linux records the old
# address space's peak at exec, vfork included), so a child of this process would report at least
# this process's size. The commands are therefore started by this small launcher (python -S:
# ~10 MB), which times one command and reports its wall time, max RSS and exit status.
_LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(report, "w") as f:
    cpu = usage.ru_utime + usage.ru_stime
    f.write(f"{seconds!r} {cpu!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_child(command: Command, scratch: Path, keep: bool = True) -> Run:
    """Run ``command`` once from ROOT: its wall time and its own max RSS (see ``_LAUNCHER``)."""
    results = Path(tempfile.mkdtemp(dir=scratch))
    argv = [a.replace("{results}", str(results)) for a in command.argv]
    report = results / "launcher.txt"
    env = {**os.environ, **THREAD_ENV}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, str(report), *argv]
        subprocess.run(launcher, stdout=out, stderr=err, env=env, cwd=ROOT, check=True)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    seconds, cpu, rss_kib, rc = report.read_text().split()
    if int(rc) != command.expect_rc or (command.expect_err and command.expect_err not in stderr):
        raise RuntimeError(
            f"{command.shown}: exit status {rc} (expected {command.expect_rc})\n{stderr[-2000:]}"
        )
    run = Run(float(seconds), float(cpu), int(rss_kib) / 1024, stdout)  # ru_maxrss: KiB on Linux
    if keep:
        command.runs.append(run)
    return run


def paired_ratio(command: Command, baseline: Command, what: str = "seconds") -> float:
    """Median over rounds of the command's time / the same round's baseline time."""
    pairs = zip(command.runs, baseline.runs, strict=True)
    return statistics.median(getattr(c, what) / getattr(b, what) for c, b in pairs)


def grid_args(grid: dict) -> list[str]:
    return [a for k, v in grid.items() for a in ("--grid", f"{k}={','.join(map(str, v))}")]


# --- in-process measurements ------------------------------------------------------------------


def kernel_pass(prepared: KernelInputs) -> np.ndarray:
    """Every chunk through the kernel; the daily value (T, variants), grid order."""
    from rotation._sim import simulate_target_weights

    close = prepared.close.to_numpy()
    n_variants = sum(len(p.variants) for p in prepared.passes)
    value = np.empty((len(close), n_variants))
    for p in prepared.passes:
        result = simulate_target_weights(
            close, p.targets, p.rows, p.fees, p.slippage, prepared.init_cash, record_cash=False
        )
        value[:, p.variants] = result.value
    return value


def vectorbt_value(prepared: KernelInputs, p: KernelPass, j: int) -> np.ndarray:
    """Variant ``j`` of pass ``p`` as one vectorbt ``from_orders`` call; its daily value."""
    import vectorbt as vbt

    weights = np.full(prepared.close.shape, np.nan)
    weights[p.rows] = p.targets[j]
    size = pd.DataFrame(weights, index=prepared.close.index, columns=prepared.close.columns)
    pf = vbt.Portfolio.from_orders(
        prepared.close,
        size=size,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=float(p.fees[j]),
        slippage=float(p.slippage[j]),
        init_cash=prepared.init_cash,
        freq="1D",
    )
    return pf.value().to_numpy()


def median_time(func: Callable[[], object], repeat: int) -> tuple[float, list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, out


# --- the benchmark ----------------------------------------------------------------------------


def run(
    repeat: int = 5,
    sweep_repeat: int = 3,
    vectorbt_sample: int = 20,
    log: Callable[[str], None] = print,
) -> dict:
    load_before = os.getloadavg()
    started_all = time.perf_counter()
    rotation = rotation_executable()
    sweep_argv = [rotation, "sweep", CONFIG_ARG, "--results", "{results}", "-q"]
    with tempfile.TemporaryDirectory(prefix="rotation-bench-cli-") as tmp:
        scratch = Path(tmp)
        bad = scratch / "unknown_key.yaml"
        bad.write_text(CONFIG.read_text() + "\nno_such_key: 1\n")
        baseline = Command(
            "baseline", "baseline: import pandas", 'python -c "import pandas"',
            [sys.executable, "-c", "import pandas"],
        )  # fmt: skip
        startup = [
            baseline,
            Command("help", "help", "rotation --help", [rotation, "--help"]),
            Command(
                "config_error", "config error (unknown key)",
                "rotation backtest <tmp>/unknown_key.yaml",
                [rotation, "backtest", str(bad)], expect_rc=2, expect_err="no_such_key",
            ),
            Command(
                "backtest", "warm backtest, report included",
                f"rotation backtest {CONFIG_ARG} --results <tmp>",
                [rotation, "backtest", CONFIG_ARG, "--results", "{results}"],
            ),
        ]  # fmt: skip
        sweeps = [
            Command(
                "sweep_1", "sweep, 1 variant (start-up)", "the sweep below, one value per key",
                sweep_argv + grid_args(ONE_VARIANT_GRID),
            ),
            Command(
                "sweep", f"sweep, {N_VARIANTS:,} variants", "the sweep below",
                sweep_argv + grid_args(GRID),
            ),
        ]  # fmt: skip

        log("cli: warm-up (file cache, numba cache) ...")
        for command in (*startup, sweeps[0]):
            run_child(command, scratch, keep=False)
        for r in range(repeat):
            log(f"cli: start-up and backtest, round {r + 1}/{repeat} ...")
            for command in startup:
                run_child(command, scratch)
        for r in range(sweep_repeat):
            log(f"cli: sweeps (1 and {N_VARIANTS:,} variants), round {r + 1}/{sweep_repeat} ...")
            for command in sweeps:
                run_child(command, scratch)
        # the last big sweep's table, to check the kernel pass below against it
        folder = Path(sweeps[1].runs[-1].stdout.strip().splitlines()[-1])
        cli_final = pd.read_csv(folder / "variants.csv", index_col="variant")["final_value"]
        cli_final = cli_final.sort_index().to_numpy()

    t_one, t_all = sweeps[0].seconds, sweeps[1].seconds
    sweep_rate = (N_VARIANTS - 1) / (t_all - t_one)
    sweep_cpu_rate = (N_VARIANTS - 1) / (sweeps[1].cpu_seconds - sweeps[0].cpu_seconds)

    log(f"cli: building the {N_VARIANTS:,} variants' targets through the library ...")
    started = time.perf_counter()
    prepared = prepare_kernel_inputs(CONFIG, GRID, MEMORY_MB)
    prepare_seconds = time.perf_counter() - started

    log("cli: kernel pass ...")
    kernel_pass(prepared)  # warm-up: numba compile or cache load
    kernel_seconds, kernel_times, value = median_time(lambda: kernel_pass(prepared), repeat)
    kernel_rate = N_VARIANTS / kernel_seconds
    cli_diff = float(np.max(np.abs(value[-1] / cli_final - 1)))

    log(f"cli: vectorbt loop, {vectorbt_sample} variants ...")
    where = {int(v): (p, j) for p in prepared.passes for j, v in enumerate(p.variants)}
    picks = np.linspace(0, N_VARIANTS - 1, vectorbt_sample).astype(int)
    vectorbt_value(prepared, *where[int(picks[0])])  # warm-up

    def vectorbt_loop() -> list[np.ndarray]:
        return [vectorbt_value(prepared, *where[int(i)]) for i in picks]

    vbt_seconds, vbt_times, vbt_values = median_time(vectorbt_loop, max(1, sweep_repeat))
    vbt_rate = vectorbt_sample / vbt_seconds
    vbt_diff = max(
        float(np.max(np.abs(value[:, i] / v - 1))) for i, v in zip(picks, vbt_values, strict=True)
    )

    return {
        "rotation": rotation,
        "python": sys.executable,
        "repeat": repeat,
        "sweep_repeat": sweep_repeat,
        "startup": startup,
        "sweeps": sweeps,
        "ratios": {c.key: paired_ratio(c, baseline) for c in startup[1:]},
        "cpu_ratios": {c.key: paired_ratio(c, baseline, "cpu_seconds") for c in startup[1:]},
        "sweep_rate": sweep_rate,
        "sweep_cpu_rate": sweep_cpu_rate,
        "days": len(prepared.close),
        "assets": prepared.close.shape[1],
        "chunks": [len(p.variants) for p in prepared.passes],
        "rebalance_rows": [len(p.rows) for p in prepared.passes],
        "prepare_seconds": prepare_seconds,
        "kernel_seconds": kernel_seconds,
        "kernel_times": kernel_times,
        "kernel_rate": kernel_rate,
        "vectorbt_sample": vectorbt_sample,
        "vectorbt_seconds": vbt_seconds,
        "vectorbt_times": vbt_times,
        "vectorbt_rate": vbt_rate,
        "max_rel_diff_cli": cli_diff,
        "max_rel_diff_vectorbt": vbt_diff,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "self_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cores": os.cpu_count(),
        "total_seconds": time.perf_counter() - started_all,
    }


def _met(key: str, value: float) -> tuple[str, str]:
    text, check = TARGETS[key]
    return text, "yes" if check(value) else "**no**"


def _runs(times: Sequence[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def render_markdown(r: dict) -> str:
    baseline, *commands = r["startup"]
    sweep_one, sweep_all = r["sweeps"]
    lines = [
        "## End-to-end CLI (`benchmarks/cli.py`, issue 13 targets)",
        "",
        f"`{CONFIG_ARG}` on the bundled data ({r['days']:,} trading days, {r['assets']} "
        "assets). Commands run from the repository root as child processes, single-threaded "
        "(NUMBA_NUM_THREADS=1); seconds, CPU s and RSS are medians per command of the wall "
        "time, the child's user + system time and its max RSS (`os.wait4` in a small launcher "
        "process). Start-up and backtest: one warm-up run each, then "
        f"{r['repeat']} rounds of the baseline and each command one after the other; a ratio is "
        "the median over rounds of the command's time over the same round's baseline. The targets "
        "are judged on wall time; the same figures from CPU time, which other work on the "
        "machine moves less, are in brackets. Sweeps: "
        f"{r['sweep_repeat']} rounds of the 1-variant and the {N_VARIANTS:,}-variant sweep "
        "after a warm-up; rate = 4,999 / (median t_5000 - median t_1). The vectorbt loop and the "
        "kernel pass run in the benchmark's process on the very targets and decision rows the "
        "sweep builds (through the library, not timed).",
        "",
        "| what | command | seconds | CPU s | RSS MB | ratio or rate | target | met? |",
        "|---|---|---:|---:|---:|---|---|---|",
        f"| {baseline.label} | `{baseline.shown}` | {baseline.seconds:.2f} | "
        f"{baseline.cpu_seconds:.2f} | {baseline.rss_mb:,.0f} | 1x | | |",
    ]
    for c in commands:
        ratio = r["ratios"][c.key]
        target, met = _met(c.key, ratio)
        lines.append(
            f"| {c.label} | `{c.shown}` | {c.seconds:.2f} | {c.cpu_seconds:.2f} "
            f"| {c.rss_mb:,.0f} | {ratio:.1f}x (CPU time: {r['cpu_ratios'][c.key]:.1f}x) "
            f"| {target} | {met} |"
        )
    target, met = _met("sweep", r["sweep_rate"])
    lines += [
        f"| {sweep_one.label} | {sweep_one.shown} | {sweep_one.seconds:.2f} | "
        f"{sweep_one.cpu_seconds:.2f} | {sweep_one.rss_mb:,.0f} | | | |",
        f"| {sweep_all.label} | {sweep_all.shown} | {sweep_all.seconds:.2f} | "
        f"{sweep_all.cpu_seconds:.2f} | {sweep_all.rss_mb:,.0f} | {r['sweep_rate']:,.0f} "
        f"variants/s, start-up subtracted (CPU time: {r['sweep_cpu_rate']:,.0f}) "
        f"| {target} | {met} |",
    ]
    vbt_ratio = r["sweep_rate"] / r["vectorbt_rate"]
    target, met = _met("vectorbt", vbt_ratio)
    lines.append(
        f"| vectorbt, loop of single `from_orders` calls, same {N_VARIANTS:,} variants "
        f"| in process | {N_VARIANTS / r['vectorbt_rate']:,.1f} (extrapolated) | | | "
        f"{r['vectorbt_rate']:,.1f} variants/s; CLI sweep / this = {vbt_ratio:,.1f}x "
        f"| {target} | {met} |"
    )
    target, met = _met("kernel", r["kernel_rate"])
    lines += [
        f"| kernel pass alone (`simulate_target_weights`), {len(r['chunks'])} chunks "
        f"| in process | {r['kernel_seconds']:.2f} | | | {r['kernel_rate']:,.0f} variants/s "
        f"| {target} | {met} |",
        "",
        "The sweep (the 1-variant start-up run gives each key its first value only):",
        "",
        "```",
        f"rotation sweep {CONFIG_ARG} \\",
        *[f"  --grid {k}={','.join(map(str, v))} \\" for k, v in GRID.items()],
        "  --results <tmp> -q",
        "```",
        "",
        "- Runs (s): "
        + "; ".join(f"{c.key} {_runs([x.seconds for x in c.runs])}" for c in r["startup"])
        + f"; sweep_1 {_runs([x.seconds for x in sweep_one.runs])}; "
        f"sweep {_runs([x.seconds for x in sweep_all.runs])}; kernel pass "
        f"{_runs(r['kernel_times'])}; vectorbt sample of {r['vectorbt_sample']} "
        f"{_runs(r['vectorbt_times'])}.",
        f"- vectorbt: {r['vectorbt_sample']} variants spread over the grid timed (weights frame "
        "built and `pf.value()` read inside the timing), rate extrapolated. Kernel: chunks of "
        f"{', '.join(map(str, r['chunks']))} variants (512 MB budget, split by execution lag), "
        f"{', '.join(map(str, r['rebalance_rows']))} decision rows; building the targets "
        f"through the library took {r['prepare_seconds']:.1f} s, not timed. Kernel pass / "
        f"vectorbt loop: {r['kernel_rate'] / r['vectorbt_rate']:,.0f}x. The benchmark process "
        f"(all {N_VARIANTS:,} variants' targets held, vectorbt loaded) peaked at "
        f"{r['self_max_rss_mb']:,.0f} MB RSS.",
        f"- Checks: final value, kernel pass vs the CLI sweep's `variants.csv`, largest "
        f"relative difference {r['max_rel_diff_cli']:.1e}; daily value, kernel vs vectorbt "
        f"over the sample, {r['max_rel_diff_vectorbt']:.1e}.",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in r['load_before'])}"
        f"; after: {', '.join(f'{x:.2f}' for x in r['load_after'])} ({r['cores']} cores; "
        "other work on the machine stretches the seconds, the ratios much less). Whole "
        f"measurement: {r['total_seconds']:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the start-up commands")
    parser.add_argument("--sweep-repeat", type=int, default=3, help="rounds of the two sweeps")
    parser.add_argument("--vectorbt-sample", type=int, default=20, help="vectorbt calls timed")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.sweep_repeat, args.vectorbt_sample)
    print(render_markdown(results))


if __name__ == "__main__":
    main()
