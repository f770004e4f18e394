"""One reconciled, resumable rebalance on Alpaca: the account is the holdings, sells fill first.

``send_day(config, options, alpaca)`` is what ``rotation export --send`` and ``rotation trade``
run:

1. read the account (``GET /v2/account``, ``GET /v2/positions``): its positions are the holdings
   and its cash the cash beside them (``read_snapshot``); a blocked or inactive account, or one
   with negative cash (margin in use), is refused before anything is computed;
2. build the feed and write the export folder as ``rotation export`` does, its orders planned
   from the account (so stale or missing data is refused exactly as there, before any order);
3. ``rebalance``: list the orders placed since the decision date; post the sells not yet placed;
   poll every open sell (``GET /v2/orders/{id}``) until it is final or ``fill_timeout`` seconds
   have passed. A sell still open then (not filled, or partly filled) holds the buys back: they
   are not sent this run, since their cash is not there yet and a buy sized from less could
   never be topped up under its id; run again later. Otherwise read the account again, size the
   buys from the cash it now holds, capped by its buying power, post the buys not yet placed,
   wait for them the same way, and read the account a last time.

Every order's ``client_order_id`` comes from the config hash, the decision date, the symbol and
the side (``orders.client_order_id``), never from the holdings. An id already among the
account's orders is not posted again, whatever its state: a rerun after a refusal, a dropped
connection or a crash posts exactly the orders still missing, and a rerun after a complete day
posts nothing. A partly filled order keeps its id: its unfilled rest is not sent a second time
(it fills, or stays open, or expires at the close, as Alpaca decides). An order refused by
Alpaca (e.g. HTTP 403 insufficient buying power) creates no order, so a rerun tries it again.

Equities are sized in fractions when the config's ``fractional`` (or ``--fractional``) says so
and Alpaca marks the asset ``fractionable``; otherwise in whole shares. Crypto is always
fractional. Every request and answer is appended to ``alpaca/sent.jsonl`` in the export folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rotation.config import Config
from rotation.data.align import is_crypto
from rotation.errors import RotationError
from rotation.export.alpaca import (
    Account,
    AlpacaAccount,
    Order,
    alpaca_symbol,
    order_requests,
)
from rotation.export.folder import ExportOptions, ExportResult, export_signal
from rotation.export.http import HttpError
from rotation.export.journal import Journal
from rotation.export.orders import (
    Holdings,
    OrderPlan,
    Sizing,
    client_order_id,
    format_quantity,
    order_ids,
    order_key,
)
from rotation.pipeline import Inputs

JOURNAL = "alpaca/sent.jsonl"
DEFAULT_FILL_TIMEOUT = 60.0  # seconds to wait for the sells (then the buys) to fill
DEFAULT_POLL_EVERY = 1.0


@dataclass(frozen=True)
class Snapshot:
    """The account at one moment: its fields, universe holdings, and positions left aside."""

    account: Account
    holdings: Mapping[str, float]  # universe symbol -> quantity
    ignored: Mapping[str, float]  # Alpaca symbol -> quantity, outside the universe


@dataclass(frozen=True)
class Targets:
    """What the orders aim at, and how they are sized (``orders.Sizing``)."""

    weights: Mapping[str, float]  # universe symbol -> target weight
    prices: Mapping[str, float]  # universe symbol -> latest close (the sizing price)
    sizing: Sizing = field(default_factory=Sizing)

    def plan(self, snapshot: Snapshot, *, buy_budget: float | None = None) -> OrderPlan:
        return self.sizing.plan(
            self.weights,
            self.prices,
            snapshot.holdings,
            cash=snapshot.account.cash,
            buy_budget=buy_budget,
        )


@dataclass
class Placed:
    """One order of the day: its request, and what became of it."""

    symbol: str
    body: Mapping[str, str]
    order: Order | None  # None when Alpaca refused it
    outcome: str  # "sent", "already placed" or "refused"
    message: str | None = None


@dataclass
class DayReport:
    """What one ``rebalance`` did, for printing and tests."""

    before: Snapshot
    orders: list[Placed] = field(default_factory=list)
    still_open: list[Order] = field(default_factory=list)  # open at the fill timeout
    buy_budget: float | None = None
    after: Snapshot | None = None
    buys_deferred: bool = False  # sells were still open at the fill timeout

    @property
    def sent(self) -> list[Placed]:
        return [p for p in self.orders if p.outcome == "sent"]

    @property
    def refused(self) -> list[Placed]:
        return [p for p in self.orders if p.outcome == "refused"]


@dataclass(frozen=True)
class DayResult:
    export: ExportResult
    report: DayReport
    journal: str


def read_snapshot(
    alpaca: AlpacaAccount, universe: Iterable[str], *, ignore_unknown: bool = False
) -> Snapshot:
    """The account and its positions, mapped to the config's universe (see the module doc)."""
    account = alpaca.account()
    account.check_can_trade()
    if account.cash < 0:
        raise RotationError(
            f"Alpaca account {account.number}: cash {account.cash:,.2f} is negative (margin in "
            "use); rotation sizes orders from cash only"
        )
    by_spelling: dict[str, str] = {}
    for symbol in universe:
        by_spelling[alpaca_symbol(symbol).upper()] = symbol
        by_spelling[alpaca_symbol(symbol).replace("/", "").upper()] = symbol  # BTCUSD
    holdings: dict[str, float] = {}
    ignored: dict[str, float] = {}
    for position in alpaca.positions():
        known = by_spelling.get(position.symbol.upper())
        if position.qty < 0:
            raise RotationError(
                f"Alpaca account {account.number}: short position {position.qty:g} "
                f"{position.symbol} (short positions are not supported)"
            )
        if known is None:
            ignored[position.symbol] = position.qty
        else:
            holdings[known] = holdings.get(known, 0.0) + position.qty
    if ignored and not ignore_unknown:
        listed = ", ".join(f"{q:g} {s}" for s, q in ignored.items())
        raise RotationError(
            f"Alpaca account {account.number} holds positions outside the config's universe: "
            f"{listed} (pass --ignore-unknown to leave them untouched)"
        )
    return Snapshot(account, holdings, ignored)


def whole_unit_symbols(alpaca: AlpacaAccount, symbols: Iterable[str], fractional: bool) -> set[str]:
    """The equities among ``symbols`` Alpaca does not trade in fractions (asks only when the
    orders are sized in fractions: whole shares need no answer)."""
    if not fractional:
        return set()
    return {s for s in symbols if not is_crypto(s) and not alpaca.fractionable(s)}


def rebalance(
    alpaca: AlpacaAccount,
    targets: Targets,
    *,
    key: str,
    since: dt.datetime,
    universe: Iterable[str],
    before: Snapshot | None = None,
    ignore_unknown: bool = False,
    fill_timeout: float = DEFAULT_FILL_TIMEOUT,
    poll_every: float = DEFAULT_POLL_EVERY,
    echo: Callable[[str], None] = lambda line: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DayReport:
    """Sells, their fills, then buys sized from the cash left (module docstring, step 3).

    ``key``: ``orders.order_key`` of the decision; ``since``: orders created after it are this
    decision's (the decision date, 00:00 UTC). Returns the report; a connection lost for good
    raises ``RotationError`` after the orders already placed (the journal has them all).
    """
    universe = tuple(universe)
    report = DayReport(before or read_snapshot(alpaca, universe, ignore_unknown=ignore_unknown))
    ours = {client_order_id(key, s, side) for s in universe for side in ("buy", "sell")}

    def listed() -> dict[str, Order]:  # this decision's orders (not the user's own)
        return {
            o.client_order_id: o for o in alpaca.orders_since(since) if o.client_order_id in ours
        }

    existing = listed()

    def place(plan: OrderPlan, side: str) -> list[Order]:
        trades = [t for t in plan.trades if t.side == side]
        bodies = [b for b in order_requests(plan, order_ids(plan, key)) if b["side"] == side]
        waiting = []
        for trade, body in zip(trades, bodies, strict=True):
            found = existing.get(body["client_order_id"])
            if found is not None:
                report.orders.append(Placed(trade.symbol, body, found, "already placed"))
                echo(
                    f"  {side.upper():4} {trade.symbol:<8} already placed "
                    f"({body['client_order_id']}): {_state(found)}; not sent again"
                )
                waiting.append(found)
                continue
            try:
                order = alpaca.submit(body)
            except HttpError as exc:
                if exc.status is None:
                    raise RotationError(
                        f"{side} {body['qty']} {body['symbol']} ({body['client_order_id']}): "
                        f"{exc}; run again to send what is missing (orders already placed are "
                        "recognised by their client_order_id and not sent twice)"
                    ) from None
                message = exc.server_message or str(exc)
                report.orders.append(Placed(trade.symbol, body, None, "refused", message))
                echo(
                    f"  {side.upper():4} {body['qty']:>12} {trade.symbol:<8} refused: HTTP "
                    f"{exc.status} {message}"
                )
                continue
            existing[order.client_order_id] = order
            report.orders.append(Placed(trade.symbol, body, order, "sent"))
            echo(
                f"  {side.upper():4} {body['qty']:>12} {trade.symbol:<8} sent "
                f"({order.client_order_id}): {order.status}"
            )
            waiting.append(order)
        return waiting

    echo(describe("holdings before", report.before))
    echo("sells:")
    sells = place(targets.plan(report.before), "sell")
    _none_if_empty(sells, echo)
    sells += _open(existing.values(), "sell", sells)
    report.still_open += _wait(alpaca, sells, fill_timeout, poll_every, echo, clock, sleep)
    if report.still_open:
        report.after = read_snapshot(alpaca, universe, ignore_unknown=ignore_unknown)
        report.buys_deferred = True
        echo(
            f"buys not sent: {len(report.still_open)} sell(s) still open, so the cash they bring "
            "is not there yet; run again once they have filled (nothing is sent twice)"
        )
        echo(describe("holdings after", report.after))
        return report
    middle = read_snapshot(alpaca, universe, ignore_unknown=ignore_unknown)
    existing.update(listed())
    open_buys = [o for o in existing.values() if o.side == "buy" and not o.final]
    middle, reserved = _with_open_buys(middle, open_buys, targets.prices, universe)
    report.buy_budget = max(0.0, min(middle.account.cash, middle.account.buying_power))
    echo(
        f"buys, sized from the account now: cash {middle.account.cash + reserved:,.2f}"
        + (f" ({reserved:,.2f} held for {len(open_buys)} open buy(s))" if open_buys else "")
        + f", buying power {middle.account.buying_power:,.2f}:"
    )
    buys = place(targets.plan(middle, buy_budget=report.buy_budget), "buy")
    _none_if_empty(buys, echo)
    buys += _open(open_buys, "buy", buys)
    report.still_open += _wait(alpaca, buys, fill_timeout, poll_every, echo, clock, sleep)
    report.after = read_snapshot(alpaca, universe, ignore_unknown=ignore_unknown)
    echo(describe("holdings after", report.after))
    return report


def describe(title: str, snapshot: Snapshot) -> str:
    """One line: the universe holdings and the account's cash, buying power and equity."""
    held = ", ".join(f"{format_quantity(q)} {s}" for s, q in sorted(snapshot.holdings.items()) if q)
    a = snapshot.account
    return (
        f"{title}: {held or 'nothing'}; cash {a.cash:,.2f}, buying power "
        f"{a.buying_power:,.2f}, equity {a.equity:,.2f}"
    )


def _with_open_buys(
    snapshot: Snapshot, orders: list[Order], prices: Mapping[str, float], universe: Iterable[str]
) -> tuple[Snapshot, float]:
    """``snapshot`` as if this decision's open buys (placed by an earlier run) had filled at the
    sizing prices: their rest added to the holdings, its cost taken from the cash (Alpaca's
    buying power already holds it back). Returns the snapshot and the cost set aside."""
    if not orders:
        return snapshot, 0.0
    by_spelling = {alpaca_symbol(s): s for s in universe}
    holdings = dict(snapshot.holdings)
    reserved = 0.0
    for order in orders:
        symbol = by_spelling.get(order.symbol)
        if symbol is None:
            continue
        holdings[symbol] = holdings.get(symbol, 0.0) + order.open_qty
        reserved += order.open_qty * prices[symbol]
    cash = max(0.0, snapshot.account.cash - reserved)
    account = dataclasses.replace(snapshot.account, cash=cash)
    return Snapshot(account, holdings, snapshot.ignored), reserved


def _open(orders: Iterable[Order], side: str, listed: list[Order]) -> list[Order]:
    """This decision's open ``side`` orders not in ``listed`` (placed by an earlier run and no
    longer in the plan): waited for all the same."""
    seen = {o.id for o in listed}
    return [o for o in orders if o.side == side and not o.final and o.id not in seen]


def _none_if_empty(orders: list[Order], echo: Callable[[str], None]) -> None:
    if not orders:
        echo("  none")


def _state(order: Order) -> str:
    filled = f"{format_quantity(order.filled_qty)}/{format_quantity(order.qty)} filled"
    price = f" @ {order.filled_avg_price:,.2f}" if order.filled_avg_price is not None else ""
    return f"{order.status}, {filled}{price}"


def _wait(
    alpaca: AlpacaAccount,
    orders: list[Order],
    timeout: float,
    poll_every: float,
    echo: Callable[[str], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[Order]:
    """Poll ``orders`` until each is final or ``timeout`` seconds passed; the ones still open."""
    pending = {o.id: o for o in orders if not o.final}
    if not pending:
        return []
    echo(f"waiting up to {timeout:g} s for {len(pending)} order(s) to fill")
    deadline = clock() + timeout
    while True:
        for order_id in list(pending):
            order = alpaca.order(order_id)
            if order.final:
                del pending[order_id]
                echo(f"  {order.side.upper():4} {order.symbol:<8} {_state(order)}")
                continue
            if order.filled_qty != pending[order_id].filled_qty:  # a partial fill
                echo(f"  {order.side.upper():4} {order.symbol:<8} {_state(order)}")
            pending[order_id] = order
        if not pending or clock() >= deadline:
            break
        sleep(poll_every)
    for order in pending.values():
        echo(
            f"  {order.side.upper():4} {order.symbol:<8} still {_state(order)} after "
            f"{timeout:g} s; its rest is not sent again"
        )
    return list(pending.values())


def send_day(
    config: Config,
    options: ExportOptions,
    alpaca: AlpacaAccount,
    *,
    journal: Journal,
    out: Path | None = None,
    results_dir: Path = Path("results"),
    fill_timeout: float = DEFAULT_FILL_TIMEOUT,
    poll_every: float = DEFAULT_POLL_EVERY,
    inputs: Inputs | None = None,
    now: dt.datetime | None = None,
    echo: Callable[[str], None] = lambda line: None,
    exported: Callable[[ExportResult], None] = lambda result: None,
) -> DayResult:
    """Read the account, export, rebalance (module docstring); ``journal`` is ``alpaca``'s
    journal, attached to ``alpaca/sent.jsonl`` in the export folder once that exists;
    ``exported`` is called with the export before any order is sent."""
    if options.positions is not None or options.sizes_orders:
        raise RotationError(
            "sending to Alpaca reads the holdings and cash from the account: drop --positions, "
            "--cash and --equity"
        )
    before = read_snapshot(alpaca, config.symbols, ignore_unknown=options.ignore_unknown)
    whole = whole_unit_symbols(alpaca, config.symbols, options.sizing(config).fractional)
    holdings = Holdings(
        quantities=dict(before.holdings),
        ignored=dict(before.ignored),
        source=f"Alpaca account {before.account.number} at {alpaca.base_url}",
    )
    sized = dataclasses.replace(options, cash=before.account.cash)
    result = export_signal(
        config,
        sized,
        out=out,
        results_dir=results_dir,
        inputs=inputs,
        now=now,
        holdings=holdings,
        whole_units=whole,
    )
    path = result.folder / JOURNAL
    journal.attach(path)
    exported(result)
    feed = result.feed
    decided = feed.latest.decided_at.date()
    targets = Targets(
        weights=dict(feed.latest.weights),
        prices={s: price for s, (_, price) in feed.latest_closes.items()},
        sizing=options.sizing(config, whole),
    )
    report = rebalance(
        alpaca,
        targets,
        key=order_key(feed.provenance.config_hash, decided.isoformat()),
        since=dt.datetime(decided.year, decided.month, decided.day, tzinfo=dt.UTC),
        universe=config.symbols,
        before=before,
        ignore_unknown=options.ignore_unknown,
        fill_timeout=fill_timeout,
        poll_every=poll_every,
        echo=echo,
    )
    return DayResult(export=result, report=report, journal=str(path))
