"""``rotation signals``: the regime now, its history (CSV), a chart, and with ``--diagnose`` the
forward returns of each sleeve per regime state."""

from __future__ import annotations

from pathlib import Path

import click

from rotation.cli._options import Output, output_options, results_option


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--diagnose",
    "with_diagnosis",
    is_flag=True,
    help="Also print state frequency, durations and forward 1/3/6-month sleeve returns per state.",
)
@results_option("Folder that receives a new RESULTS/<name>-signals-<time>/ folder.")
@output_options()
def signals(
    config_path: str, with_diagnosis: bool, results_dir: Path, as_json: bool, quiet: bool
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
        progress.stage("writing the signals folder")
        folder = save(history, results_dir, diagnosis)
    out.text(format_current(state))
    if diagnosis is not None:
        out.text()
        out.text(format_diagnosis(diagnosis))
    out.text()
    out.wrote(folder)
    components = {
        name: {"score": score, "weight": weight, "last_known": known}
        for name, (score, weight, known) in state["components"].items()
    }
    out.json({"folder": folder, "current": {**state, "components": components}})
