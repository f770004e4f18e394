"""``rotation walkforward``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import cast

import click

from rotation.cli._options import grid_option, memory_option, quiet_option, results_option
from rotation.errors import ConfigError


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--train", default="3y", show_default=True, help="Training window: 3y, 18m, ... (<= 100y)."
)
@click.option("--test", default="1y", show_default=True, help="Test window (and the roll).")
@grid_option()
@click.option("--metric", default=None, help="Metric that picks each window's winner [sharpe].")
@click.option("--anchored", is_flag=True, help="Training windows all start on the first day.")
@memory_option()
@results_option("Folder that receives the output folder.")
@quiet_option()
def walkforward(
    config_path: str,
    train: str,
    test: str,
    grid_items: tuple[str, ...],
    metric: str | None,
    anchored: bool,
    memory_mb: float | None,
    results_dir: Path,
    quiet: bool,
) -> None:
    """Walk-forward selection over a grid: on each training window pick the best variant,
    run it afresh on the following test window, and chain the test windows into one
    out-of-sample equity curve.

    Example: rotation walkforward configs/capital_scarcity.yaml --train 3y --test 1y
    --grid regime.scarce_enter=0.3,0.5,0.8 --grid strategy.params.vol_lookback=21,63.
    The headline measures each curve once over all its days: the chained out-of-sample curve,
    the chained in-sample curve (each winner over its own training window) and the config
    without selection over the same span; per-window figures are shown with their days and
    weight, short windows flagged, and never averaged. Writes
    RESULTS/<name>-walkforward-<time>/ with windows.csv (dates, winner, in-sample and
    out-of-sample metrics per window), oos_equity.csv, summary.json and walkforward.html.
    """
    from rotation.validate import load_config

    config = load_config(config_path)
    from rotation.pipeline import load_inputs
    from rotation.report.studies import walkforward_headline
    from rotation.sweep import sweep_settings, variants_of
    from rotation.walkforward import parse_span, save, walk_forward

    grid, metric, memory_mb = sweep_settings(
        config, grid_items, metric, memory_mb, purpose="select from"
    )
    for option, text in (("--train", train), ("--test", test)):  # errors before any work
        try:
            parse_span(text, option)
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint=option) from None
    variants = variants_of(config, grid)  # every variant validated before any work
    started = time.perf_counter()
    inputs = load_inputs(config, variants=variants)
    show = not quiet and sys.stdout.isatty()
    with click.progressbar(length=len(variants), label="variants", hidden=not show) as bar:
        result = walk_forward(
            config, grid, inputs, train=train, test=test, metric=metric, anchored=anchored,
            variants=variants, memory_mb=memory_mb, progress=bar.update,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    folder = save(result, results_dir, seconds=seconds)
    if not quiet:
        s = result.summary
        click.echo(
            f"{s['windows']} windows (train {train}, test {test}), {s['variants']:,} variants, "
            f"best by {metric}, in {seconds:.1f} s"
        )
        click.echo(
            f"{'test window':<24} {'days':>5} {'weight':>6} {'IS Sharpe':>9} {'OOS Sharpe':>10} "
            f"{'OOS return':>10}  winner"
        )
        for row in result.windows.itertuples():
            click.echo(
                f"{row.test_start} .. {row.test_end} {row.test_days:>5} {row.weight:>6.1%} "
                f"{row.is_sharpe:>9.2f} {_num(row.oos_sharpe):>10} "
                f"{_pct(cast(float, row.oos_total_return)):>10}  {row.winner_overrides}"
                + ("  [short window]" if row.short else "")
            )
        click.echo(
            "(per window: its own figures, return not annualized; weight = share of the "
            "out-of-sample days)"
        )
        headline = walkforward_headline(result)
        click.echo(
            f"\neach curve measured once over all its days "
            f"(out of sample {s['out_of_sample']['start']} .. {s['out_of_sample']['end']}):"
        )
        click.echo(f"{'':<48} {'days':>6} {'Sharpe':>7} {'annual':>8} {'max DD':>8}")
        for label, column in headline.items():
            days, sharpe, annual, drawdown = column
            click.echo(
                f"{label:<48} {days:>6,.0f} {_num(sharpe):>7} {_pct(annual):>8} {_pct(drawdown):>8}"
            )
        click.echo(f"in sample = {s['in_sample']['definition']}")
    click.echo(f"wrote {folder}" if not quiet else str(folder))


def _num(x: object) -> str:  # a number, None or NaN (a table cell)
    return "n/a" if x is None or x != x else f"{x:.2f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None or x != x else f"{x * 100:.1f}%"
