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


def memory_option() -> Callable[[FC], FC]:
    """``--memory-mb MB``: the memory budget of one engine pass, a finite number > 0."""
    return click.option(
        "--memory-mb",
        type=click.FloatRange(min=0, max=1e9, min_open=True),
        callback=_not_nan,
        default=None,
        help="Memory budget of one pass [512].",
    )


def _not_nan(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value != value:  # NaN passes click's range checks
        raise click.BadParameter("not a number (nan)", ctx=ctx, param=param)
    return value
