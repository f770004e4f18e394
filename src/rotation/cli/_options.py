"""Options several commands share, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

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


def signal_date_options(verb: str) -> Callable[[FC], FC]:
    """``--asof``, ``--max-age-days``, ``--allow-missing``: the signal's date and how stale its
    inputs may be (``rotation export``, ``rotation trade``); ``verb`` opens the help texts."""

    def decorate(f: FC) -> FC:
        f = click.option(
            "--allow-missing",
            multiple=True,
            metavar="NAME",
            help=f"{verb} even though this signal input (series id, or component) is missing; "
            "recorded in the feed. Repeatable.",
        )(f)
        f = click.option(
            "--max-age-days",
            type=int,
            default=None,
            help="Refuse when a price is older than this many calendar days [default: 7].",
        )(f)
        return click.option(
            "--asof",
            type=click.DateTime(["%Y-%m-%d"]),
            default=None,
            help=f"{verb} the signal as of this date: nothing observed later is read "
            "[default: today].",
        )(f)

    return decorate
