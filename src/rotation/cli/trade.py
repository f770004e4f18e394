"""``rotation trade CONFIG --paper``: one idempotent trading day on Alpaca, for cron or a timer.

    rotation trade CONFIG [--paper | --live] [--asof DATE] [--fill-timeout S] [--alpaca-url URL]

Refreshes the config's data (``data: live`` brings the cache up to date from the providers and
falls back to it with a warning; a bundled or local config is read as it is), recomputes the
signal, refuses stale or missing inputs exactly as ``rotation export`` does, reads the Alpaca
account, and rebalances it (``rotation.export.rebalance``): sells, their fills, then buys from the
cash left. Each run writes a new export folder with the journal ``alpaca/sent.jsonl``. Order ids
come from the config and the decision date, so running it again the same day (or after any
failure) sends only what is missing: nothing, once the day is done.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from rotation.cli._alpaca import alpaca_options
from rotation.cli._options import Output, output_options, results_option, signal_date_options


@click.command("trade")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--paper",
    is_flag=True,
    help="Trade the Alpaca paper account (the default; say it in scripts to be explicit).",
)
@signal_date_options("Trade")
@click.option(
    "--ignore-unknown",
    is_flag=True,
    default=None,
    help="Leave account positions outside the universe untouched instead of refusing.",
)
@alpaca_options
@results_option("Parent of each run's export folder.")
@output_options("Print only errors and the export folder.")
def trade(
    config_path: Path,
    paper: bool,
    asof: dt.datetime | None,
    max_age_days: int | None,
    allow_missing: tuple[str, ...],
    ignore_unknown: bool | None,
    alpaca_url: str | None,
    live: bool,
    fill_timeout: float | None,
    results_dir: Path,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run one trading day of CONFIG on Alpaca: refresh, signal, reconcile, send, journal.

    Paper trading unless --live. Idempotent: a second run on the same day sends nothing new.
    --json prints the export as `rotation export --json` does, with what was sent.
    """
    from rotation.cli._alpaca import send_to_alpaca
    from rotation.errors import RotationError
    from rotation.export import ExportOptions

    if paper and live:
        raise RotationError("give --paper or --live, not both")
    given = {
        "asof": asof.date() if asof else None,
        "max_age_days": max_age_days,
        "allow_missing": tuple(allow_missing) or None,
        "ignore_unknown": ignore_unknown,
    }
    options = ExportOptions(tools=("alpaca",), **{k: v for k, v in given.items() if v is not None})
    send_to_alpaca(
        config_path,
        options,
        alpaca_url=alpaca_url,
        live=live,
        fill_timeout=fill_timeout,
        out=None,
        results_dir=results_dir,
        output=Output(as_json=as_json, quiet=quiet),
        daily=True,
    )
