"""``rotation signals``: the regime now, its history (CSV), a chart, and with ``--diagnose`` the
forward returns of each sleeve per regime state."""

from __future__ import annotations

from pathlib import Path

import click

from rotation.cli._options import results_option


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--diagnose",
    "with_diagnosis",
    is_flag=True,
    help="Also print state frequency, durations and forward 1/3/6-month sleeve returns per state.",
)
@results_option("Folder that receives a new RESULTS/<name>-signals-<time>/ folder.")
def signals(config_path: str, with_diagnosis: bool, results_dir: Path) -> None:
    """Print CONFIG's current regime and components; write the history and a chart.

    Writes signals.csv (components, composite, regime per day), chart.png and chart.html
    (composite with regime shading; the HTML works offline) and, with --diagnose,
    states.csv and forward_returns.csv.
    """
    from rotation.validate import load_config

    config = load_config(config_path)
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
    folder = save(history, results_dir, diagnosis)
    click.echo()
    click.echo(f"wrote {folder}")
