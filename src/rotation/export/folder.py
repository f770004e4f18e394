"""One export run: the feed, the orders, and every selected format in a new folder.

``export_signal(config, ExportOptions(...))`` builds the feed (``feed.build_feed``), plans the
orders when holdings or an equity are given (``orders``), renders each tool's format and writes
them all into a new folder: ``--out DIR`` (which must not exist or be empty) or
``results/<name>-export-<time>/``. The folder is written under a temporary name and renamed into
place in one step (``rotation.runs.new_folder``, as every command's output), so it is complete or
absent, and an existing export is never overwritten.
Nothing is sent from here (see ``alpaca.send_orders``).

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
    ibkr/basket.csv                TWS BasketTrader basket file
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rotation._atomic import new_folder, safe_name
from rotation.config import Config
from rotation.errors import RotationError
from rotation.export import alpaca, generic, ibkr, tradingview
from rotation.export.feed import (
    DEFAULT_MAX_AGE_DAYS,
    SCHEMA_VERSION,
    SignalFeed,
    build_feed,
    write_feed,
)
from rotation.export.formats import FORMATS, TOOLS
from rotation.export.orders import OrderPlan, order_ids, plan_orders, read_positions, tracking
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
        if self.format not in FORMATS:
            raise RotationError(f"--format {self.format}: use one of {', '.join(FORMATS)}")
        for tool in self.tools or ():
            if tool not in TOOLS:
                raise RotationError(f"--tool {tool}: use one of {', '.join(TOOLS)}")
        if self.max_age_days < 0:
            raise RotationError(f"--max-age-days must be >= 0, got {self.max_age_days}")
        if self.equity is not None and self.cash is not None:
            raise RotationError("give --equity or --cash, not both")
        if self.positions is not None and self.equity is None and self.cash is None:
            raise RotationError(
                "--positions needs --cash (cash beside the holdings) or --equity (portfolio value)"
            )

    @property
    def selected_tools(self) -> tuple[str, ...]:
        return self.tools if self.tools is not None else TOOLS

    @property
    def sizes_orders(self) -> bool:
        return self.equity is not None or self.cash is not None


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
) -> ExportResult:
    """Build the feed and orders of ``config``; write the selected formats to a new folder."""
    now = now or dt.datetime.now(dt.UTC)
    _check_out(out)
    holdings = None  # read first: a bad positions file fails before any computation
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
    fractional = config.fractional if options.fractional is None else options.fractional
    warnings = []
    if options.sizes_orders and fractional != config.fractional:
        warnings.append(
            f"{'--fractional' if fractional else '--whole-shares'} overrides the config's "
            f"fractional: {str(config.fractional).lower()}: the orders will drift from the backtest"
        )
    if options.sizes_orders:
        plan = plan_orders(
            feed.latest.weights,
            {s: price for s, (_, price) in feed.latest_closes.items()},
            holdings.quantities if holdings is not None else {},
            equity=options.equity,
            cash=options.cash,
            min_trade_value=options.min_trade,
            drift_band=options.drift_band,
            fractional_equities=fractional,
            cost_rate=config.costs.fees + config.costs.slippage,
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
        ids = order_ids(
            plan, f"{p.config_hash}|{p.data_fingerprint}|{feed.latest.decided_at.date()}"
        )
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
        files["tradingview/regime.pine"] = tradingview.pine_script(feed).encode()
        if plan is not None:
            files["tradingview/order_alerts.json"] = _json(
                tradingview.order_alerts(plan, feed, ids)
            )
    if "alpaca" in tools and plan is not None:
        requests = alpaca.order_requests(plan, ids)
        files["alpaca/orders.json"] = _json(requests)
    if "ibkr" in tools and plan is not None:
        tag = ibkr.basket_tag(p.config_name, feed.latest.decided_at.date().isoformat())
        try:
            files["ibkr/basket.csv"] = ibkr.basket_csv(plan, tag).encode()
        except RotationError as exc:
            if options.tools is not None:
                raise
            notes.append(f"ibkr/basket.csv not written: {exc}")
        else:
            if any(t.quantity % 1 for t in plan.trades):
                notes.append(
                    "ibkr/basket.csv has fractional share quantities: the IBKR account needs "
                    "fractional-share trading (else export with --whole-shares)"
                )
    return files, requests, notes


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
