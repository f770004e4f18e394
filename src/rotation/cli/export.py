"""``rotation export``: a config's latest (or dated) signal in the formats trading tools take.

    rotation export CONFIG [--format csv|json|parquet] [--asof DATE] [--history]
                           [--positions FILE] [--cash X | --equity X] [--post URL]
    rotation export CONFIG --send [--fill-timeout S] [--alpaca-url URL] [--live]

Writes a new folder (``--out``, or ``results/<name>-export-<time>/``), prints the signal, the
orders and exactly what ``--send`` would post. Nothing is sent without ``--send``, which reads
the holdings and cash from the Alpaca account and rebalances it (``rotation.export.rebalance``:
sells, their fills, then buys sized from the cash left; a rerun sends only what is missing).
No alert is delivered without ``--post``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rotation.cli._alpaca import alpaca_options
from rotation.cli._exported import export_json, print_summary
from rotation.cli._options import Output, output_options, results_option, signal_date_options
from rotation.errors import RotationError
from rotation.export import TOOLS

if TYPE_CHECKING:
    from rotation.export import ExportResult
    from rotation.export.webhook import Delivery, Webhook


@click.command("export")
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "parquet"]),
    default=None,
    help="Format of the signal feed file [default: json].",
)
@signal_date_options("Export")
@click.option(
    "--history",
    is_flag=True,
    default=None,
    help="Every decision date up to --asof, not only the latest.",
)
@click.option(
    "--tool",
    "tools",
    multiple=True,
    type=click.Choice(TOOLS),
    help="Tool formats to write (repeatable) [default: every tool that can hold the orders].",
)
@click.option(
    "--positions",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Current holdings: CSV with columns symbol,quantity.",
)
@click.option(
    "--ignore-unknown",
    is_flag=True,
    default=None,
    help="Leave holdings outside the universe untouched instead of refusing.",
)
@click.option(
    "--equity", type=float, default=None, help="Portfolio value to allocate (holdings + cash)."
)
@click.option("--cash", type=float, default=None, help="Cash beside the holdings.")
@click.option(
    "--min-trade",
    type=float,
    default=None,
    help="Skip trades worth less than this (currency) [default: 1].",
)
@click.option(
    "--drift-band",
    type=float,
    default=None,
    help="Leave a symbol alone while |weight - target| <= this (0.02 = 2 points) [default: 0].",
)
@click.option(
    "--fractional/--whole-shares",
    default=None,
    help="Size equity and ETF orders in fractional or whole shares (crypto is always "
    "fractional) [default: the config's fractional]. Disagreeing with the config warns: the "
    "orders then drift from the backtest.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (must not exist or be empty).",
)
@results_option("Parent of the default export folder.")
@click.option(
    "--send",
    is_flag=True,
    help="Rebalance the Alpaca paper account (keys from APCA_API_KEY_ID / APCA_API_SECRET_KEY): "
    "its positions and cash are the holdings; sells first, then buys sized from the cash left. "
    "Without it nothing is sent.",
)
@alpaca_options
@click.option(
    "--post",
    "post_url",
    default=None,
    metavar="URL",
    help="POST the TradingView alert bodies (signal, then orders) to this webhook, with "
    "retries; bodies already delivered there (by id, per the journal) are not posted again.",
)
@click.option(
    "--post-journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Journal of webhook deliveries, kept across exports [default: RESULTS/"
    "webhook-journal.jsonl].",
)
@output_options("Print only errors and the export folder.")
def export(
    config_path: Path,
    fmt: str | None,
    asof: dt.datetime | None,
    history: bool | None,
    max_age_days: int | None,
    allow_missing: tuple[str, ...],
    tools: tuple[str, ...],
    positions: Path | None,
    ignore_unknown: bool | None,
    equity: float | None,
    cash: float | None,
    min_trade: float | None,
    drift_band: float | None,
    fractional: bool | None,
    out: Path | None,
    results_dir: Path,
    send: bool,
    alpaca_url: str | None,
    live: bool,
    fill_timeout: float | None,
    post_url: str | None,
    post_journal: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Export CONFIG's signal, target weights and orders for trading tools.

    Writes the signal feed, target weights, TradingView alerts and Pine Script, Alpaca order
    requests, an IBKR basket and a JSON lines stream into a new folder, and prints what
    --send would post. Refuses stale data or missing signal inputs, naming them. --post URL
    delivers the TradingView alert bodies to a webhook. --json prints {folder, config, asof,
    data_end, regime, composite, decision, orders, tracking_gap, notes, warnings, and
    alpaca_requests (dry run), sent (--send) or webhook (--post)}.
    """
    from rotation.cli._alpaca import send_to_alpaca
    from rotation.export import ExportOptions, export_signal
    from rotation.export.webhook import JOURNAL_NAME
    from rotation.validate import load_config

    given = {
        "format": fmt,
        "asof": asof.date() if asof else None,
        "history": history,
        "max_age_days": max_age_days,
        "allow_missing": tuple(allow_missing) or None,
        "tools": tuple(dict.fromkeys(tools)) or None,
        "positions": positions,
        "ignore_unknown": ignore_unknown,
        "equity": equity,
        "cash": cash,
        "min_trade": min_trade,
        "drift_band": drift_band,
        "fractional": fractional,
    }
    options = ExportOptions(**{k: v for k, v in given.items() if v is not None})
    if send and "alpaca" not in options.selected_tools:
        raise RotationError("--send posts the Alpaca orders: include --tool alpaca")
    if send and (options.positions is not None or options.sizes_orders):
        raise RotationError(
            "--send reads the holdings and cash from the Alpaca account: drop --positions, "
            "--cash and --equity (they size orders for the other tools)"
        )
    if not send and (live or fill_timeout is not None):
        raise RotationError("--live and --fill-timeout apply to --send")
    webhook = _webhook(post_url, options.selected_tools)
    output = Output(as_json=as_json, quiet=quiet)

    def deliver(result: ExportResult) -> dict[str, Any]:
        """``--post``: the alert bodies to the webhook; what it did, for --json."""
        if webhook is None:
            return {}
        delivery = _post(result, webhook, post_journal or results_dir / JOURNAL_NAME, output)
        return {
            "webhook": {
                "url": webhook.shown,
                "posted": delivery.posted,
                "already_delivered": delivery.already,
                "journal": delivery.journal,
            }
        }

    if send:
        send_to_alpaca(
            config_path,
            options,
            alpaca_url=alpaca_url,
            live=live,
            fill_timeout=fill_timeout,
            out=out,
            results_dir=results_dir,
            output=output,
            also=deliver,
        )
        return
    with output.progress("loading data, computing the signal and the orders"):
        config = load_config(config_path)
        result = export_signal(config, options, out=out, results_dir=results_dir)
    print_summary(result, output)
    payload = {**export_json(result), **deliver(result)}
    if result.alpaca_requests:
        _print_dry_run(result, alpaca_url, output)
    output.json({**payload, "alpaca_requests": result.alpaca_requests})


def _webhook(url: str | None, tools: tuple[str, ...]) -> Webhook | None:
    """The checked ``--post`` URL (before anything is computed), or None."""
    if url is None:
        return None
    from rotation.errors import ConfigError
    from rotation.export.webhook import parse_webhook

    if "tradingview" not in tools:
        raise ConfigError(
            "--post delivers the TradingView alert bodies: include --tool tradingview"
        )
    return parse_webhook(url)


def _post(result: ExportResult, webhook: Webhook, journal: Path, output: Output) -> Delivery:
    from rotation.export.webhook import alert_bodies, post_alerts

    bodies = alert_bodies(result.folder)
    output.text(f"posting {len(bodies)} alert bodies to {webhook.shown}")
    delivery = post_alerts(bodies, webhook, journal=journal)
    output.text(
        f"delivered {len(delivery.posted)} now, {len(delivery.already)} already delivered "
        f"before; journal {delivery.journal}"
    )
    return delivery


def _print_dry_run(result: ExportResult, alpaca_url: str | None, output: Output) -> None:
    from rotation.export.alpaca import ORDERS_PATH, resolve_base_url

    try:
        url = resolve_base_url(alpaca_url) + ORDERS_PATH
    except RotationError as exc:
        output.note(f"--send would refuse: {exc}")
        url = "(refused URL)" + ORDERS_PATH
    output.text(
        f"dry run, nothing sent. With --send these {len(result.alpaca_requests)} requests go to "
        f"Alpaca, with headers APCA-API-KEY-ID and APCA-API-SECRET-KEY from the environment:"
    )
    for body in result.alpaca_requests:
        output.text(f"  POST {url} {json.dumps(body)}")
