"""Options several commands share, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rotation._report_modes import PLOTLY_MODES

if TYPE_CHECKING:
    from click.decorators import FC


def results_option(help: str) -> Callable[[FC], FC]:
    """``--results DIR`` (default ``results``): where the command's new output folder goes."""
    return click.option(
        "--results",
        "results_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("results"),
        show_default=True,
        help=help,
    )


def quiet_option(help: str = "Print only the output folder.") -> Callable[[FC], FC]:
    """``--quiet/-q``: print only what a script needs."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


def grid_option() -> Callable[[FC], FC]:
    """``--grid KEY=V1,V2,...`` (repeatable): a dotted config key and the values to try."""
    return click.option(
        "--grid",
        "grid_items",
        multiple=True,
        metavar="KEY=V1,V2,...",
        help="A dotted config key and its values (repeatable); replaces the config's sweep.grid.",
    )


def static_option() -> Callable[[FC], FC]:
    """``--static/--no-static`` (default off): embed a PNG copy of each report chart."""
    return click.option(
        "--static/--no-static",
        default=False,
        show_default=True,
        help="Also embed a PNG copy of each chart, shown where JavaScript is off (slower to "
        "write, larger file).",
    )


def plotly_option() -> Callable[[FC], FC]:
    """``--plotly inline|shared|cdn`` (default inline): how a report loads plotly.js
    (``rotation._report_modes.PLOTLY_MODES``)."""
    return click.option(
        "--plotly",
        "plotly",
        type=click.Choice(PLOTLY_MODES),
        default="inline",
        show_default=True,
        help="How report.html loads plotly.js: inline (in the page, opens offline; ~2.5 MB), "
        "shared (one plotly-<version>.min.js in the folder above the run folder, the results "
        "folder, referenced from each report; opens offline while it sits there) or cdn "
        "(plotly's CDN, pinned version with an integrity hash; needs the network).",
    )
