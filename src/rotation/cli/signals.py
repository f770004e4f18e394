"""``rotation signals``: the regime now, its history (CSV), a chart, and with ``--diagnose`` the
forward returns of each sleeve per regime state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rotation.cli._options import results_option

if TYPE_CHECKING:
    from rotation._types import Regime


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--diagnose",
    "with_diagnosis",
    is_flag=True,
    help="Also print state frequency, durations and forward 1/3/6-month sleeve returns per state.",
)
@click.option(
    "--vintages",
    "with_vintages",
    is_flag=True,
    help="With data: live, also build the regime from first-release FRED data (ALFRED, "
    "FRED_API_KEY) and from the latest data, and print where they differ.",
)
@results_option("Folder that receives a new RESULTS/<name>-signals-<time>/ folder.")
def signals(config_path: str, with_diagnosis: bool, with_vintages: bool, results_dir: Path) -> None:
    """Print CONFIG's current regime and components; write the history and a chart.

    Writes signals.csv (components, composite, regime per day), chart.png and chart.html
    (composite with regime shading; the HTML works offline) and, with --diagnose,
    states.csv and forward_returns.csv.
    """
    from rotation.validate import load_config

    config = load_config(config_path)
    if with_vintages and config.data.source != "live":
        from rotation.errors import ConfigError

        raise ConfigError(
            f"{config_path}: --vintages needs data: live (the {config.data.source} data holds "
            "one vintage of each series)"
        )
    from rotation.diagnose import (
        current_state,
        diagnose,
        format_current,
        format_diagnosis,
        save,
        signal_history,
    )

    history = signal_history(config)
    click.echo(format_current(current_state(history)))
    diagnosis = diagnose(history) if with_diagnosis else None
    if diagnosis is not None:
        click.echo()
        click.echo(format_diagnosis(diagnosis))
    if with_vintages:
        import dataclasses

        from rotation.diagnose import format_regime_differences, regime_differences

        def regime_of(vintages: bool) -> Regime:
            data = dataclasses.replace(config.data, vintages=vintages)
            return signal_history(config.replace(data=data)).regime

        first, latest = regime_of(True), regime_of(False)
        click.echo()
        click.echo(format_regime_differences(regime_differences(first, latest), first))
    folder = save(history, results_dir, diagnosis)
    click.echo()
    click.echo(f"wrote {folder}")
