"""``rotation compare`` and ``rotation sweep``."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path
from typing import Any

import click

from rotation.cli._options import (
    Output,
    grid_option,
    memory_option,
    output_options,
    results_option,
    terminal_width,
)
from rotation.cli.backtest import compile_note, engine_stage
from rotation.errors import ConfigError

_results = results_option("Folder that receives the output folder.")


@click.command()
@click.argument("runs", metavar="CONFIG_OR_RUN...", nargs=-1, required=True, type=click.Path())
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Common start (default: latest).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Common end (default: earliest).")
@click.option("--rank-by", default="sharpe", show_default=True, help="Metric that ranks configs.")
@_results
@output_options()
def compare(
    runs: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
    rank_by: str,
    results_dir: Path,
    as_json: bool,
    quiet: bool,
) -> None:
    """Compare configs and finished runs on one window, rank them, write a table and a page.

    Each argument is a config file (run now) or a run folder written by `rotation backtest`
    (read back as it is: nothing is re-run, its numbers are its metrics.json). Configs whose
    data windows differ are aligned to the window they all cover (a note says so); --start
    and --end apply to configs, and a run folder keeps its own window (a note says when it
    differs). Writes RESULTS/compare-<time>/ with table.csv, table.json and compare.html.
    --json prints {folder, rank_by, ranked, notes, table}.
    """
    from rotation.compare import check_rank_by

    out = Output(as_json=as_json, quiet=quiet)
    check_rank_by(rank_by)  # before any work
    from rotation.validate import load_config

    configs = {path: load_config(path) for path in runs if not Path(path).is_dir()}
    from rotation.compare import by_rank
    from rotation.compare import compare as compare_runs
    from rotation.compare import save as save_comparison
    from rotation.stored import load_run
    from rotation.summary import comparison_table

    with out.progress("reading run folders") as progress:
        loaded = [configs[path] if path in configs else load_run(path) for path in runs]
        if configs:
            compile_note(out)
            progress.stage(f"running {len(configs)} configs: " + engine_stage())
        result = compare_runs(loaded, start=start, end=end, rank_by=rank_by)
        progress.stage("writing the comparison")
        folder = save_comparison(result, results_dir)
    for note in result.notes:
        out.note(note)
    ranked = by_rank(result)
    out.text(
        comparison_table(list(result.table.index), [r.metrics for r in ranked], terminal_width())
    )
    n = len(result.table)
    out.text(f"\nluck check (the {n} configs compared count as {n} trials):")
    for name, row in result.table.iterrows():
        out.text(f"  {name:<32} PSR {_odds(row['psr'])}  DSR {_odds(row['dsr'])}")
    out.text()
    out.text(f"ranked by {rank_by}: {', '.join(result.table.index)}")
    out.wrote(folder)
    out.json(
        {
            "folder": folder,
            "rank_by": rank_by,
            "ranked": list(result.table.index),
            "notes": list(result.notes),
            "table": result.table.to_dict(orient="index"),  # every digit
        }
    )


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@grid_option()
@click.option("--metric", default=None, help="Metric that picks the best variant [sharpe].")
@memory_option()
@click.option(
    "--executor",
    "executor_name",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run the variants in this process, or in chunks on a Dask cluster.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="dask: processes of the local cluster [2].",
)  # fmt: skip
@click.option(
    "--scheduler", metavar="URL", default=None, help="dask: join the cluster at tcp://HOST:PORT."
)
@_results
@output_options()
def sweep(
    config_path: str,
    grid_items: tuple[str, ...],
    metric: str | None,
    memory_mb: float | None,
    executor_name: str,
    workers: int | None,
    scheduler: str | None,
    results_dir: Path,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run every variant of a grid over CONFIG in one vectorized pass.

    Any config key can be swept, e.g. --grid regime.scarce_enter=0.3,0.5,0.8
    --grid strategy.params.vol_lookback=21,63 --grid costs.fees=0,0.001, except those one
    data load and window fix (data, universe, benchmark, risk_free, start, end, init_cash);
    a value given twice is refused. Every variant is validated before any work starts.
    Writes RESULTS/<name>-sweep-<time>/ with variants.csv
    (parameters and metrics of each variant), summary.json, best.yaml and, for two keys,
    heatmap.html. The best variant's metrics are in sample (chosen on the days they are
    measured on); the output and summary.json also say how much of them may be luck: its
    Probabilistic Sharpe Ratio, its Deflated Sharpe Ratio for the variants run and for the
    effective number of independent ones (from their average correlation), and the
    Probability of Backtest Overfitting over the distinct variants (n/a with fewer than 2).

    --executor dask runs chunks of variants on a local Dask cluster (--workers N processes),
    or on a running cluster (--scheduler tcp://HOST:PORT); the numbers are the same.
    --json prints {folder, variants, seconds, metric, best, overfitting}.
    """
    if executor_name == "local" and (workers is not None or scheduler):
        raise ConfigError("--workers and --scheduler need --executor dask")
    from rotation.validate import load_config

    out = Output(as_json=as_json, quiet=quiet)
    config = load_config(config_path)
    from rotation.pipeline import load_inputs
    from rotation.sweep import best, overfitting, sweep_settings, variants_of
    from rotation.sweep import save as save_sweep
    from rotation.sweep import sweep as run_sweep

    grid, metric, memory_mb = sweep_settings(config, grid_items, metric, memory_mb)
    variants = variants_of(config, grid)  # all validated before any work
    compile_note(out)
    with contextlib.ExitStack() as stack:
        executor = None
        if executor_name == "dask":
            from rotation.distributed import open_executor

            executor = stack.enter_context(open_executor(scheduler=scheduler, workers=workers))
            out.note(executor.describe(), prefix="dask")
        progress = stack.enter_context(out.progress("loading data"))
        started = time.perf_counter()
        inputs = load_inputs(config, variants=variants)
        progress.stage(f"variants ({engine_stage()})", total=len(variants))
        result = run_sweep(
            config, grid, inputs, variants=variants, memory_mb=memory_mb,
            progress=progress.advance, executor=executor,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        progress.stage("luck statistics and the sweep folder")
        overfit = overfitting(result, metric, benchmark=inputs.closes[config.benchmark])
        folder = save_sweep(
            result, config, grid, metric, results_dir, seconds=seconds, overfit=overfit
        )
    top = best(result.table, metric)
    out.text(f"{len(variants):,} variants in {seconds:.2f} s; best by {metric} (in sample):")
    for key, value in top.items():
        out.text(f"  {key:<44} {_value(str(key), value)}")
    out.text(_overfit_lines(overfit))
    out.wrote(folder)
    out.json(
        {
            "folder": folder,
            "variants": len(variants),
            "seconds": seconds,
            "metric": metric,
            "best": top.to_dict(),
            "overfitting": overfit,
        }
    )


def _value(key: str, value: Any) -> str:
    """A best variant's cell as text: a registry metric in its unit (``4,351.7%``, ``1.21``,
    ``16,532``), a swept parameter as given."""
    from rotation.metrics import METRICS

    entry = next((m for m in METRICS if m.name == key), None)
    return entry.format(value) if entry is not None else str(value)


def _odds(x: float | None) -> str:
    return "  n/a" if x is None or x != x else f"{x:.3f}"


def _sharpe(x: float | None) -> str:
    """An annualized Sharpe ratio as the tables print it (2 decimals), with 2 significant
    digits below 0.1 so that a small expected maximum does not read as 0.00."""
    if x is None:
        return "n/a"
    return f"{x:.2f}" if abs(x) >= 0.1 or x == 0 else f"{x:.2g}"


def _overfit_lines(stats: dict[str, Any]) -> str:
    """How much of the best variant's Sharpe ratio may be the luck of the search."""

    def num(x: float | None, digits: int = 2) -> str:
        return "n/a" if x is None else f"{x:.{digits}f}"

    n, distinct, effective = stats["n_trials"], stats["n_distinct"], stats["n_effective"]
    sharpe = _sharpe(stats["sharpe"])
    rows = [
        ("probabilistic Sharpe ratio (PSR, SR > 0)", num(stats["psr"], 3), ""),
        (
            f"deflated Sharpe ratio (DSR), {n:,} trials",
            num(stats["dsr"], 3),
            f"(its Sharpe {sharpe} vs {_sharpe(stats['expected_max_sharpe'])}, the expected "
            f"best Sharpe of {n:,} independent unskilled variants; both annualized)",
        ),
        (
            f"deflated Sharpe ratio (DSR), {num(effective)} effective",
            num(stats["dsr_effective"], 3),
            f"(its Sharpe {sharpe} vs {_sharpe(stats['expected_max_sharpe_effective'])}, the "
            f"same for {num(effective)} independent ones)",
        ),
    ]
    if stats["pbo"] is None:
        rows.append(("probability of backtest overfitting (PBO)", "n/a", f"({stats['pbo_note']})"))
    else:
        rows.append(
            (
                "probability of backtest overfitting (PBO)",
                num(stats["pbo"], 3),
                f"(CSCV by Sharpe over {distinct:,} distinct variants, {stats['pbo_splits']} "
                f"blocks, {stats['pbo_combinations']:,} splits; overfit = the in-sample best "
                "ranks strictly below the out-of-sample median)",
            )
        )
    spa = stats.get("spa")
    if spa is not None:
        rows.append(
            (
                "Hansen's SPA p-value (any variant > benchmark)",
                num(spa["spa_p_value"], 3),
                f"({spa['spa_variants']:,} distinct variants vs the benchmark's daily returns, "
                f"stationary bootstrap, {spa['spa_reps']:,} reps, mean block "
                f"{spa['spa_block']} days"
                + (f"; {spa['spa_note']}" if spa.get("spa_note") else "")
                + ")",
            )
        )
    lines = [
        f"luck check (best of {n:,} variants: {distinct:,} distinct, {num(effective)} "
        f"effective trials at mean correlation {num(stats['mean_correlation'], 3)}; "
        f"{stats['n_obs']:,} days).",
        "  The best variant's figures above are in sample: it was chosen on the days they are "
        "measured on.",
        *(f"  {label:<47} {value:>5}   {note}".rstrip() for label, value, note in rows),
    ]
    return "\n".join(lines)
