"""``rotation check``: checks of a config's honesty (``lookahead``)."""

from __future__ import annotations

import sys

import click


@click.group()
def check() -> None:
    """Check configs for mistakes that make a backtest look better than it can be."""


@click.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--samples", type=click.IntRange(1, 500), default=8, show_default=True,
    help="Cut-off dates per config (about half of them decision dates).",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the date sample.")
def lookahead(configs: tuple[str, ...], samples: int, seed: int) -> None:
    """Perturb every input published after sampled dates; nothing on or before them may move.

    For each CONFIG, compares prices, signals, regime and target weights up to each date,
    bit for bit, and names the first output (and the input) that moved. Exits with status 1
    when any config fails.
    """
    from rotation.lookahead import check_lookahead
    from rotation.validate import load_config

    failed = 0
    for path in configs:
        report = check_lookahead(load_config(path), samples=samples, seed=seed)
        click.echo(report.summary())
        failed += not report.passed
    if len(configs) > 1:
        click.echo(f"{len(configs) - failed} of {len(configs)} configs passed")
    if failed:
        sys.exit(1)


check.add_command(lookahead)
