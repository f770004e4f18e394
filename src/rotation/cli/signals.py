"""``rotation signals``: the regime now, its history (CSV), a chart, and with ``--diagnose`` the
forward returns of each sleeve per regime state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rotation.cli._options import Output, output_options, results_option

if TYPE_CHECKING:
    import pandas as pd

    from rotation._types import Regime
    from rotation.config import Config


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
@output_options()
def signals(
    config_path: str,
    with_diagnosis: bool,
    with_vintages: bool,
    results_dir: Path,
    as_json: bool,
    quiet: bool,
) -> None:
    """Print CONFIG's current regime and components; write the history and a chart.

    Writes signals.csv (components, composite, regime per day), chart.png and chart.html
    (composite with regime shading; the HTML works offline) and, with --diagnose,
    states.csv and forward_returns.csv. --json prints {folder, current: {date, regime, since,
    days_in_state, previous, composite, components: {name: {score, weight, last_known}},
    changes}}.
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

    out = Output(as_json=as_json, quiet=quiet)
    with out.progress("loading data, computing signals") as progress:
        history = signal_history(config)
        state = current_state(history)
        if with_diagnosis:
            progress.stage("diagnosing")
        diagnosis = diagnose(history) if with_diagnosis else None
        vintages = None
        if with_vintages:
            progress.stage("building the regime from first-release and from latest data")
            vintages = _vintage_differences(config)
        progress.stage("writing the signals folder")
        folder = save(history, results_dir, diagnosis)
    out.text(format_current(state))
    if diagnosis is not None:
        out.text()
        out.text(format_diagnosis(diagnosis))
    if vintages is not None:
        from rotation.diagnose import format_regime_differences

        out.text()
        out.text(format_regime_differences(vintages[1], vintages[0]))
    out.text()
    out.wrote(folder)
    components = {
        name: {"score": score, "weight": weight, "last_known": known}
        for name, (score, weight, known) in state["components"].items()
    }
    payload = {"folder": folder, "current": {**state, "components": components}}
    if vintages is not None:
        payload["vintage_differences"] = vintages[1].to_dict("records")
    out.json(payload)


def _vintage_differences(config: Config) -> tuple[Regime, pd.DataFrame]:
    """The regime from first-release (ALFRED) data, and the runs of days where it differs from
    the regime on the latest data."""
    import dataclasses

    from rotation.diagnose import regime_differences, signal_history

    def regime_of(vintages: bool) -> Regime:
        data = dataclasses.replace(config.data, vintages=vintages)
        return signal_history(config.replace(data=data)).regime

    first = regime_of(True)
    return first, regime_differences(first, regime_of(False))
