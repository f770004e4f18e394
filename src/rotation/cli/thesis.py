"""``rotation thesis``: the statistics of the thesis (``rotation.thesis``), its verdict in plain
sentences, and a folder with thesis.json and a CSV of every table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rotation.cli._options import Output, quiet_option, results_option

if TYPE_CHECKING:
    import pandas as pd


def write_outputs(folder: Path, thesis: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    """thesis.json, thesis.html (``rotation.report.thesis.thesis_html``) and one CSV per table
    into ``folder`` (a staging folder)."""
    from rotation.report.thesis import thesis_html
    from rotation.runs import json_default

    for name, table in tables.items():
        labelled = name == "placebo_draws" or name.startswith("attribution_")  # index = labels
        table.to_csv(folder / f"{name}.csv", index=labelled)
    (folder / "thesis.json").write_text(
        json.dumps(thesis, indent=2, default=json_default, allow_nan=False) + "\n"
    )
    (folder / "thesis.html").write_text(thesis_html(thesis))


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--split",
    default=None,
    metavar="DATE",
    help="Sub-period split date (YYYY-MM-DD) inside the window [default: its midpoint].",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Draws of each placebo (shuffled regimes, random universes).",
)
@results_option("Folder that receives a new RESULTS/<name>-thesis-<time>/ folder.")
@quiet_option("Print only errors and the folder written.")
def thesis(config_path: str, split: str | None, draws: int, results_dir: Path, quiet: bool) -> None:
    """Put CONFIG's thesis on trial: regime-conditional forward spreads with bootstrap
    intervals and HAC t-statistics, placebos, leave-one-out and sub-periods; print the verdict.

    Writes thesis.json, thesis.html (the verdict first, every table, the contribution
    charts), spreads.csv, placebo_draws.csv, leave_one_spell_out.csv,
    leave_one_asset_out.csv, sub_periods.csv and attribution_by_{asset,sleeve,regime,spell}.csv.
    """
    from rotation.validate import load_config

    config = load_config(config_path)
    from rotation.runs import new_folder, timestamp
    from rotation.thesis import run_thesis

    out = Output(quiet=quiet)
    with out.progress(f"backtest, spreads, bootstrap and {draws:,} draws of each placebo") as bar:
        result, tables = run_thesis(config, split=split, draws=draws)
        bar.stage("writing the thesis folder")
        tag = f"thesis-{timestamp()}"
        with new_folder(results_dir, config.name, tag=tag, what="the thesis") as st:
            write_outputs(st.path, result, tables)
    placebo = result["placebo"]
    out.text(f"thesis of {config.name} ({result['window']['start']} .. {result['window']['end']})")
    out.text(
        f"placebo p-values ({draws} draws each): regime {_p(placebo['regime_p_value'])}, "
        f"strategy Sharpe {_p(placebo['strategy_sharpe_p_value'])} (proxy), universe "
        f"{_p(placebo['universe_p_value'])}"
    )
    out.text()
    for sentence in result["verdict"]:
        out.text(f"- {sentence}")
    out.text()
    assert st.published is not None  # new_folder sets it when the block succeeds
    out.wrote(st.published)
