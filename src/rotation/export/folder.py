"""One export run: the feed, the orders, and every selected format in a new folder.

``export_signal(config, ExportOptions(...))`` builds the feed (``feed.build_feed``), plans the
orders when holdings or an equity are given (``orders``), renders each tool's format and writes
them all into a new folder: ``--out DIR`` (which must not exist or be empty) or
``results/<name>-export-<time>/``. The folder is written under a temporary name and renamed into
place in one step (``rotation.runs.new_folder``, as every command's output), so it is complete or
absent, and an existing export is never overwritten.
Nothing is sent from here (see ``rebalance.send_day``).

Orders are sized in whole shares or fractions as the config's ``fractional`` says, so they round
as its backtest does; ``ExportOptions.fractional`` (``--fractional`` / ``--whole-shares``)
overrides it, with a warning (``ExportResult.warnings``) that the orders will then drift from
the backtest.

Folder contents (tools selected by ``tools``):

    manifest.json                  provenance (run id and its hashes), options, files
                                   with their SHA-256
    signal.csv|json|parquet        the signal feed (schema in the README)
    orders.csv                     the trade plan (when holdings / equity were given)
    tracking.json                  the plan's weights next to the targets, and the tracking gap
    generic/weights.csv            date, symbol, weight
    generic/signals.jsonl          one JSON message per decision date
    tradingview/signal_alerts.json webhook bodies, one per decision date
    tradingview/order_alerts.json  webhook bodies, one per order
    tradingview/regime.pine        Pine Script v6 indicator plotting the regime history
    alpaca/orders.json             POST /v2/orders bodies, one per order
    ibkr/basket.csv                TWS BasketTrader basket file: the stock orders
    ibkr/crypto_orders.csv         the crypto orders as IBKR crypto contracts (CRYPTO on PAXOS),
    ibkr/CRYPTO_README.txt         with a note on placing them (only when crypto is traded)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rotation._atomic import new_folder, safe_name
from rotation.config import Config
from rotation.errors import ConfigError, RotationError
from rotation.export import alpaca, generic, ibkr, tradingview
from rotation.export.feed import (
    DEFAULT_MAX_AGE_DAYS,
    SCHEMA_VERSION,
    SignalFeed,
    build_feed,
    write_feed,
)
from rotation.export.formats import FORMATS, TOOLS
from rotation.export.orders import (
    MAX_AMOUNT,
    Holdings,
    OrderPlan,
    Sizing,
    order_ids,
    order_key,
    read_positions,
    tracking,
)
from rotation.pipeline import Inputs


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how to size orders; every field has the CLI flag of the same name."""

    format: str = "json"
    asof: dt.date | str | None = None
    history: bool = False
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    allow_missing: tuple[str, ...] = ()
    tools: tuple[str, ...] | None = None  # None: every tool that can hold the orders
    positions: Path | None = None
    ignore_unknown: bool = False
    equity: float | None = None
    cash: float | None = None
    min_trade: float = 1.0
    drift_band: float = 0.0
    fractional: bool | None = None  # None: the config's ``fractional``

    def __post_init__(self) -> None:
        _check_amounts(self)
        if self.format not in FORMATS:
            raise ConfigError(f"--format {self.format}: use one of {', '.join(FORMATS)}")
        for tool in self.tools or ():
            if tool not in TOOLS:
                raise ConfigError(f"--tool {tool}: use one of {', '.join(TOOLS)}")
        if self.max_age_days < 0:
            raise ConfigError(f"--max-age-days must be >= 0, got {self.max_age_days}")
        if self.equity is not None and self.cash is not None:
            raise ConfigError("give --equity or --cash, not both")
        if self.positions is not None and self.equity is None and self.cash is None:
            raise ConfigError(
                "--positions needs --cash (cash beside the holdings) or --equity (portfolio value)"
            )

    @property
    def selected_tools(self) -> tuple[str, ...]:
        return self.tools if self.tools is not None else TOOLS

    @property
    def sizes_orders(self) -> bool:
        return self.equity is not None or self.cash is not None

    def sizing(self, config: Config, whole_units: Collection[str] = ()) -> Sizing:
        """The order sizing of these options for ``config``: its ``fractional`` unless
        overridden, and its fees + slippage as the cost rate."""
        return Sizing(
            min_trade=self.min_trade,
            drift_band=self.drift_band,
            fractional=config.fractional if self.fractional is None else self.fractional,
            cost_rate=config.costs.fees + config.costs.slippage,
            whole_units=tuple(whole_units),
        )


def _check_amounts(options: ExportOptions) -> None:
    """``ConfigError`` (exit status 2) naming the option for a money amount or a band that is
    not a finite number in its range: ``--equity nan`` or ``inf`` would size orders of NaN
    shares, a negative one nothing, and an amount above ``MAX_AMOUNT`` no real account."""
    limits = (
        ("--equity", options.equity, 0.0, MAX_AMOUNT, False),
        ("--cash", options.cash, 0.0, MAX_AMOUNT, True),
        ("--min-trade", options.min_trade, 0.0, MAX_AMOUNT, True),
        ("--drift-band", options.drift_band, 0.0, 1.0, True),
    )
    for flag, value, low, high, low_allowed in limits:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{flag} {value!r}: expected a number")
        above = value >= low if low_allowed else value > low
        if not (math.isfinite(value) and above and value <= high):
            bound = ">=" if low_allowed else ">"
            raise ConfigError(
                f"{flag} {value:g}: expected a finite number {bound} {low:g} and <= {high:g}"
            )


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    feed: SignalFeed
    plan: OrderPlan | None
    files: tuple[str, ...]  # relative to ``folder``
    fractional: bool  # whether equities were sized in fractions (config or override)
    alpaca_requests: tuple[dict[str, str], ...]
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())  # e.g. sizing that departs from the backtest


def export_signal(
    config: Config,
    options: ExportOptions = ExportOptions(),
    *,
    out: Path | None = None,
    results_dir: Path = Path("results"),
    inputs: Inputs | None = None,
    now: dt.datetime | None = None,
    holdings: Holdings | None = None,
    whole_units: Collection[str] = (),
) -> ExportResult:
    """Build the feed and orders of ``config``; write the selected formats to a new folder.

    ``holdings``: read from a broker instead of ``options.positions`` (with ``options.cash``);
    ``whole_units``: symbols the broker trades in whole units only (``orders.plan_orders``).
    """
    now = now or dt.datetime.now(dt.UTC)
    _check_out(out)
    if holdings is not None and options.positions is not None:
        raise RotationError("give the holdings from a broker or --positions, not both")
    # read first: a bad positions file fails before any computation
    if options.positions is not None:
        holdings = read_positions(
            options.positions, config.symbols, ignore_unknown=options.ignore_unknown
        )
    feed = build_feed(
        config,
        asof=options.asof,
        history=options.history,
        max_age_days=options.max_age_days,
        allow_missing=options.allow_missing,
        inputs=inputs,
        now=now,
    )
    notes = [f"missing input allowed: {name}" for name in feed.provenance.missing_inputs]
    plan = None
    if holdings is not None:
        notes += [
            f"left untouched (not in the universe): {q:g} {s}" for s, q in holdings.ignored.items()
        ]
    sizing = options.sizing(config, whole_units)
    fractional = sizing.fractional
    warnings = []
    if options.sizes_orders and fractional != config.fractional:
        warnings.append(
            f"{'--fractional' if fractional else '--whole-shares'} overrides the config's "
            f"fractional: {str(config.fractional).lower()}: the orders will drift from the backtest"
        )
    if options.sizes_orders:
        plan = sizing.plan(
            feed.latest.weights,
            {s: price for s, (_, price) in feed.latest_closes.items()},
            holdings.quantities if holdings is not None else {},
            equity=options.equity,
            cash=options.cash,
        )
        notes += [f"not traded: {s.symbol}, {s.reason}" for s in plan.skipped]
    files, requests, skipped_tools = _render(feed, plan, options, fractional)
    notes += skipped_tools
    folder = _write_folder(
        files, feed, plan, options, fractional, out=out, results_dir=results_dir, now=now
    )
    return ExportResult(
        folder=folder,
        feed=feed,
        plan=plan,
        files=tuple(sorted(files)),
        fractional=fractional,
        alpaca_requests=tuple(requests),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _render(
    feed: SignalFeed, plan: OrderPlan | None, options: ExportOptions, fractional: bool
) -> tuple[dict[str, bytes | SignalFeed], list[dict[str, str]], list[str]]:
    """Relative path -> file content (the feed itself for the ``signal.*`` file), the Alpaca
    requests, and notes on tools left out (only when no tool was named explicitly)."""
    p = feed.provenance
    files: dict[str, bytes | SignalFeed] = {f"signal.{options.format}": feed}
    ids = {}
    if plan is not None:
        ids = order_ids(plan, order_key(p.config_hash, str(feed.latest.decided_at.date())))
        files["orders.csv"] = generic.orders_csv(plan, ids).encode()
        files["tracking.json"] = generic.tracking_json(
            tracking(plan), fractional=fractional
        ).encode()
    requests: list[dict[str, str]] = []
    notes: list[str] = []
    tools = set(options.selected_tools)
    if "generic" in tools:
        files["generic/weights.csv"] = generic.weights_csv(feed).encode()
        files["generic/signals.jsonl"] = generic.signals_jsonl(feed).encode()
    if "tradingview" in tools:
        files["tradingview/signal_alerts.json"] = _json(tradingview.signal_alerts(feed))
        try:
            files["tradingview/regime.pine"] = tradingview.pine_script(feed).encode()
        except tradingview.PineSizeError as exc:
            if options.tools is not None:
                raise
            notes.append(f"tradingview/regime.pine not written: {exc}")
        if plan is not None:
            files["tradingview/order_alerts.json"] = _json(
                tradingview.order_alerts(plan, feed, ids)
            )
    if "alpaca" in tools and plan is not None:
        requests = alpaca.order_requests(plan, ids)
        files["alpaca/orders.json"] = _json(requests)
    if "ibkr" in tools and plan is not None:
        notes += _render_ibkr(files, feed, plan, explicit=options.tools is not None)
    return files, requests, notes


def _render_ibkr(
    files: dict[str, bytes | SignalFeed], feed: SignalFeed, plan: OrderPlan, *, explicit: bool
) -> list[str]:
    """Add the IBKR files to ``files``: stocks in the basket, crypto in a file of its own (see
    ``ibkr``). Fractional share quantities are refused: an error when ibkr was asked for by
    name (``explicit``), else the IBKR files are left out with a note."""
    try:
        ibkr.check_whole_shares(plan)
    except ibkr.FractionalSharesError as exc:
        if explicit:
            raise
        return [f"ibkr/ not written: {exc}"]
    tag = ibkr.basket_tag(feed.provenance.config_name, feed.latest.decided_at.date().isoformat())
    files[ibkr.BASKET_FILE] = ibkr.basket_csv(plan, tag).encode()
    crypto = [t.symbol for t in plan.trades if t.crypto]
    if not crypto:
        return []
    files[ibkr.CRYPTO_FILE] = ibkr.crypto_csv(plan, tag).encode()
    files[ibkr.CRYPTO_README_FILE] = ibkr.crypto_readme(plan).encode()
    return [
        f"IBKR crypto orders ({', '.join(crypto)}) are in {ibkr.CRYPTO_FILE}, not in the "
        f"basket: TWS basket files have no crypto security type; place them as IBKR crypto "
        f"contracts (CRYPTO on {ibkr.CRYPTO_EXCHANGE}), see {ibkr.CRYPTO_README_FILE}"
    ]


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode()


def _write_folder(
    files: dict[str, bytes | SignalFeed],
    feed: SignalFeed,
    plan: OrderPlan | None,
    options: ExportOptions,
    fractional: bool,
    *,
    out: Path | None,
    results_dir: Path,
    now: dt.datetime,
) -> Path:
    _check_out(out)
    if out is not None:
        parent, name, tag = Path(out).parent, Path(out).name, ""
    else:
        config_name = safe_name(feed.provenance.config_name, "export")
        parent, name, tag = Path(results_dir), config_name, f"export-{now:%Y%m%dT%H%M%S}"
    with new_folder(parent, name, tag=tag, exact=out is not None, what="the export") as staging:
        digests = {}
        for relative, content in files.items():
            path = staging.path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, SignalFeed):
                write_feed(content, path, options.format)
            else:
                path.write_bytes(content)
            digests[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest = _manifest(feed, plan, options, fractional, digests)
        (staging.path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    assert staging.published is not None  # set when the block above completes
    return staging.published


def _check_out(out: Path | None) -> None:
    if out is None or not Path(out).exists():
        return
    if not Path(out).is_dir() or any(Path(out).iterdir()):
        raise RotationError(f"--out {out} already exists and is not empty; exports never overwrite")


def _manifest(
    feed: SignalFeed,
    plan: OrderPlan | None,
    options: ExportOptions,
    fractional: bool,
    digests: dict[str, str],
) -> dict[str, Any]:
    p = feed.provenance
    opts = asdict(options)
    opts["fractional"] = fractional  # as sized: the config's setting unless overridden
    opts["positions"] = str(options.positions) if options.positions is not None else None
    opts["asof"] = p.asof.date().isoformat()
    return {
        "kind": "rotation export",
        "schema_version": SCHEMA_VERSION,
        "config_name": p.config_name,
        "config_file": p.config_file,
        **p.identity.to_dict(),  # run id, config and data hashes, strategy and code hashes
        "data_source": p.data_source,
        "asof": p.asof.date().isoformat(),
        "data_end": p.data_end.date().isoformat(),
        "generated_at": p.generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "rotation_version": p.rotation_version,
        "missing_inputs": list(p.missing_inputs),
        "latest_decision": feed.latest.decided_at.date().isoformat(),
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in opts.items()},
        "orders": len(plan.trades) if plan is not None else None,
        "files": digests,
    }
