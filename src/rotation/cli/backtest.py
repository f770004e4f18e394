"""``rotation backtest`` and ``rotation strategies``."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path

import click

from rotation.cli._options import plotly_option, quiet_option, results_option, static_option


@click.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Override the config's start.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Override the config's end.")
@results_option("Folder that receives one new run folder per config.")
@quiet_option("Print only the run folders.")
@static_option()
@plotly_option()
def backtest(
    configs: tuple[str, ...],
    start: dt.datetime | None,
    end: dt.datetime | None,
    results_dir: Path,
    quiet: bool,
    static: bool,
    plotly: str,
) -> None:
    """Backtest each CONFIG and print the runs side by side.

    Each run is written to a new folder RESULTS/<name>-<time>-<id>/ (config, manifest,
    metrics, equity, weights, orders, signals, and the HTML tearsheet report.html); an
    existing run is never overwritten.
    """
    from rotation.validate import load_config

    loaded = [load_config(path) for path in configs]  # every config checked before any work
    from rotation.backtest import run_backtest
    from rotation.report import REPORT_FILE, write_report
    from rotation.runs import save
    from rotation.summary import comparison_table

    overrides = {}
    if start:
        overrides["start"] = start.date()
    if end:
        overrides["end"] = end.date()
    names, metrics, reports = [], [], []
    # a progress bar only for people watching a terminal; scripts get plain lines
    progress = not quiet and len(loaded) > 1 and sys.stderr.isatty()
    held: list[tuple[str, bool]] = []  # (line, to stderr) printed after the bar

    def say(line: str, err: bool = False) -> None:
        if progress:
            held.append((line, err))
        else:
            click.echo(line, err=err)

    with click.progressbar(
        loaded, label="backtesting", file=sys.stderr, hidden=not progress
    ) as bar:
        for config in bar:
            config = config.replace(**overrides) if overrides else config
            result = run_backtest(config)
            folder = save(
                result,
                results_dir,
                finish=functools.partial(write_report, static=static, plotly=plotly),
            )
            reports.append(folder / REPORT_FILE)
            names.append(config.name)
            metrics.append(result.metrics)
            for note in result.notes:
                say(f"note ({config.name}): {note}", err=True)
            say(f"wrote {folder}" if not quiet else str(folder))
    for line, err in held:
        click.echo(line, err=err)
    if not quiet:
        header, *rows = comparison_table(names, metrics).splitlines()
        click.echo()
        click.secho(header, bold=True)  # styled on a terminal only; click strips it in pipes
        click.echo("\n".join(rows))
        click.echo()
        width = max(len(name) for name in names)
        for name, path in zip(names, reports, strict=True):
            click.echo(f"report  {name.ljust(width)}  {path}")


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("strategies"),
    show_default=True,
    help="Strategies folder to list.",
)
def strategies(folder: Path) -> None:
    """List the strategies in the strategies folder, with their parameters."""
    from rotation.strategy import available_strategies, load_strategy

    for name in available_strategies(folder):
        strategy = load_strategy(name, folder)
        click.echo(f"{name}: {strategy.description}")
        for param, default in strategy.parameters:
            click.echo(f"    {param} = {default}")
