"""What ``rotation export --send`` and ``rotation trade`` share: Alpaca options, the live-trading
confirmation, and the printout of a day's orders. Imports only click at the top."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from rotation.errors import RotationError

if TYPE_CHECKING:
    from pathlib import Path

    from click.decorators import FC

    from rotation.cli._options import Output
    from rotation.config import Config
    from rotation.export import ExportOptions, ExportResult
    from rotation.export.alpaca import AlpacaAccount
    from rotation.export.rebalance import DayResult


def alpaca_options(f: FC) -> FC:
    """``--alpaca-url``, ``--live``, ``--fill-timeout``."""
    f = click.option(
        "--fill-timeout",
        type=click.FloatRange(min=0),
        default=None,
        help="Seconds to wait for the sells to fill before sizing the buys, and for the buys "
        "[default: 60].",
    )(f)
    f = click.option(
        "--live",
        is_flag=True,
        help="Allow Alpaca's live endpoint (https://api.alpaca.markets); asks you to type the "
        "account number, so it needs a terminal. Without it only paper trading is reached.",
    )(f)
    f = click.option(
        "--alpaca-url",
        default=None,
        help="Alpaca base URL [default: $APCA_API_BASE_URL, else https://paper-api.alpaca.markets].",
    )(f)
    return f


def connect(alpaca_url: str | None, live: bool) -> AlpacaAccount:
    """The account to trade, its URL and keys checked before anything is computed; a journal
    (kept in memory until the export folder exists) records every request."""
    from rotation.export.alpaca import AlpacaAccount
    from rotation.export.journal import Journal

    return AlpacaAccount.from_env(alpaca_url, live=live, journal=Journal(None))


def confirm_live(
    alpaca: AlpacaAccount,
    live: bool,
    *,
    is_tty: Callable[[], bool] = lambda: sys.stdin.isatty(),
    ask: Callable[[str], str] = lambda text: str(click.prompt(text, default="")),
) -> None:
    """With ``--live``: refuse unless the user types the account number at a terminal."""
    if not live:
        return
    if not is_tty():
        raise RotationError(
            "--live sends real orders and needs the account number typed at a terminal; "
            "stdin is not a terminal, so nothing was sent"
        )
    number = alpaca.account().number
    typed = ask(f"LIVE trading on Alpaca account {number}: type the account number to go on")
    if typed.strip() != number:
        raise RotationError("live trading not confirmed (the account number did not match)")


def send_to_alpaca(
    config_path: Path,
    options: ExportOptions,
    *,
    alpaca_url: str | None,
    live: bool,
    fill_timeout: float | None,
    out: Path | None,
    results_dir: Path,
    output: Output,
    daily: bool = False,
    also: Callable[[ExportResult], dict[str, Any]] | None = None,
) -> DayResult:
    """Check the destination and keys, load the config, confirm ``--live``, run the day and
    print it (``export --send``; ``trade`` with ``daily``, which notes data not refreshed);
    The export is printed (and ``also`` run on it: ``--post``) before any order is sent;
    with ``--json`` one document holds the export, what ``also`` returned and what each order
    became."""
    from rotation.cli._exported import day_json, export_json, print_summary
    from rotation.validate import load_config

    payload: dict[str, Any] = {}

    def exported(result: ExportResult) -> None:
        print_summary(result, output)
        payload.update(export_json(result))
        if also is not None:
            payload.update(also(result))

    alpaca = connect(alpaca_url, live)  # before anything is computed or written
    config = load_config(config_path)
    if daily and config.data.source != "live":
        output.note(
            f"{config.name} reads {config.data.source} data, which is not refreshed; a "
            "daily loop wants `data: live`"
        )
    confirm_live(alpaca, live)
    day = run_day(
        config,
        options,
        alpaca,
        fill_timeout=fill_timeout,
        out=out,
        results_dir=results_dir,
        exported=exported,
        output=output,
    )
    output.json({**payload, "sent": day_json(day)})
    return day


def run_day(
    config: Config,
    options: ExportOptions,
    alpaca: AlpacaAccount,
    *,
    fill_timeout: float | None,
    out: Path | None,
    results_dir: Path,
    exported: Callable[[ExportResult], None],
    output: Output,
) -> DayResult:
    """``rebalance.send_day`` with progress printed; exits 1 when Alpaca refused an order."""
    from rotation.export.alpaca import LIVE_URL
    from rotation.export.rebalance import DEFAULT_FILL_TIMEOUT, send_day

    journal = alpaca.http.journal
    assert journal is not None  # ``connect`` gives every account a journal
    kind = "LIVE" if alpaca.base_url == LIVE_URL else "paper or local"
    output.text(f"Alpaca ({kind}) at {alpaca.base_url}")
    day_timeout = DEFAULT_FILL_TIMEOUT if fill_timeout is None else fill_timeout
    day = send_day(
        config,
        options,
        alpaca,
        journal=journal,
        fill_timeout=day_timeout,
        echo=output.text,
        out=out,
        results_dir=results_dir,
        exported=exported,
    )
    report = day.report
    placed = sum(1 for p in report.orders if p.outcome == "already placed")
    output.text(
        f"{len(report.sent)} order(s) sent, {placed} already placed earlier, "
        f"{len(report.refused)} refused, {len(report.still_open)} still open; "
        f"journal {day.journal}"
    )
    if not report.sent and not report.refused:
        output.text("nothing new to send")
    if report.refused:
        listed = "; ".join(
            f"{p.body['side']} {p.body['qty']} {p.symbol}: {p.message}" for p in report.refused
        )
        raise RotationError(
            f"{len(report.refused)} order(s) refused by Alpaca ({listed}); the others stand. "
            "Run again to retry the refused ones: orders already placed are not sent twice"
        )
    if report.buys_deferred:
        raise RotationError(
            f"{len(report.still_open)} sell(s) still open after {day_timeout:g} s: the buys "
            "were not sent; run the same command again once the sells have filled"
        )
    return day
