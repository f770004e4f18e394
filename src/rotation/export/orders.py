"""Orders from positions: the trades that move current holdings to the target weights.

``read_positions(path, universe)`` reads a holdings file; ``plan_orders(...)`` is a pure function
of target weights, latest prices and holdings that returns an ``OrderPlan`` (sells first, then
buys); ``tracking(plan)`` compares the weights the plan leads to with the targets. Nothing here
sends anything.

Positions file: CSV with a header row naming at least ``symbol`` and ``quantity`` (any order,
case-insensitive; other columns are ignored), one row per symbol. Blank lines and lines starting
with ``#`` are skipped. Symbols are matched case-insensitively to the config's universe, and the
broker spellings ``BTC/USD`` (Alpaca) map to the config's ``BTC-USD``. Refused, with the file and
line: a missing header, a row with a missing or non-numeric quantity, a quantity that is not
finite (``1e400``) or above ``MAX_AMOUNT``, a negative quantity (short positions are not
supported), a symbol with control characters, a symbol listed twice, and a symbol outside the
universe (unless ``ignore_unknown``: such holdings are then left as they are, neither traded nor
counted in the equity, and reported). A path that is not a regular file (a folder, a FIFO,
``/dev/zero``) or a file over ``MAX_POSITIONS_BYTES`` is refused before it is read. The errors
are ``InputError`` (exit status 2 in the CLI), one line when there is one problem.

Sizing rules of ``plan_orders``:

- equity ``E`` is given (``equity``) or is ``cash`` + the holdings' value at the latest prices;
- target quantity of a symbol = weight x E / price, rounded toward the current holding to the
  asset's step: whole shares for equities and ETFs unless ``fractional_equities`` (then 1e-6),
  1e-6 units for crypto pairs. The rule is the engine's (``trades_whole_units`` in
  ``rotation.data.align``) and ``rotation export`` passes the config's ``fractional``, so the
  orders round as the backtest does. A target weight of 0 sells the whole holding, fractions
  included;
- drift band: a symbol whose current weight is within ``drift_band`` (absolute, 0.02 = 2 % of
  equity) of its target is not traded;
- a trade worth less than ``min_trade_value`` (currency) is not sent;
- buys are budgeted at price x (1 + ``cost_rate``) (the config's fees + slippage) against cash
  plus the sells' proceeds; when they do not fit, every buy is scaled down by the same factor,
  so the plan never needs more cash than the account holds.

Tracking (``tracking``): after the orders, a symbol's planned weight is its planned holding
(current quantity +/- its trade) at the latest price over the planned portfolio value (the
planned holdings' value + the estimated cash after), the way the backtest measures weights.
The tracking gap is half the sum of |planned - target| over the symbols and cash (target cash =
1 - the targets' sum): the fraction of the portfolio that sits somewhere else than the backtest
puts it. Rounding to whole shares, the drift band, the minimum trade and scaling the buys down
to the cash can each add to it; the estimated costs alone do not (they leave the portfolio).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rotation.data.align import is_crypto, trades_whole_units
from rotation.errors import DataError, InputError, RotationError

FRACTIONAL_STEP = 1e-6  # units: crypto, and equities when fractional shares are allowed
# Largest quantity, or amount of money, taken (a trillion): beyond any real account, and low
# enough that a float64 amount stays exact to the cent (2**53 cents is about 9e13).
MAX_AMOUNT = 1e12
MAX_POSITIONS_BYTES = 10_000_000
_MAX_LISTED_PROBLEMS = 10
# a plain decimal number: no thousands separators, no "nan"/"inf", no Python "1_000"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Holdings:
    """What a positions file holds: universe symbol -> quantity, and what was left aside."""

    quantities: Mapping[str, float]
    ignored: Mapping[str, float]  # symbols outside the universe (only with ignore_unknown)
    source: str


@dataclass(frozen=True)
class Trade:
    """One order: ``quantity`` > 0 units to ``side`` (buy/sell) at about ``price``."""

    symbol: str
    side: str
    quantity: float
    price: float
    current_quantity: float
    target_quantity: float
    current_weight: float
    target_weight: float

    @property
    def notional(self) -> float:
        return self.quantity * self.price

    @property
    def crypto(self) -> bool:
        return is_crypto(self.symbol)


@dataclass(frozen=True)
class Skipped:
    symbol: str
    reason: str


@dataclass(frozen=True)
class OrderPlan:
    """Trades (sells first, then buys) and how the money adds up, at the latest prices."""

    trades: tuple[Trade, ...]
    skipped: tuple[Skipped, ...]
    equity: float
    cash_before: float
    cash_after: float  # estimated: sells' proceeds and buys' cost at price -/+ cost_rate
    prices: Mapping[str, float]
    holdings: Mapping[str, float]
    weights: Mapping[str, float] = field(default_factory=dict)  # the targets, by symbol

    @property
    def planned_holdings(self) -> dict[str, float]:
        """symbol -> quantity held once every trade is filled (symbols of the targets)."""
        planned = {s: float(self.holdings.get(s, 0.0)) for s in self.weights}
        for t in self.trades:
            planned[t.symbol] = t.target_quantity
        return planned


@dataclass(frozen=True)
class PlannedWeight:
    """One symbol's target weight next to the weight its planned holding gives."""

    symbol: str
    target_weight: float
    planned_weight: float
    planned_quantity: float
    price: float

    @property
    def difference(self) -> float:
        return self.planned_weight - self.target_weight


@dataclass(frozen=True)
class Tracking:
    """How far the planned portfolio is from the targets (see the module docstring).

    ``rows``: symbols with a target or a planned holding, in the targets' order; ``value``:
    planned holdings at the latest prices + ``cash`` (the estimated cash after the orders);
    ``target_cash_weight`` / ``cash_weight``: cash over the value, wanted and planned; ``gap``:
    half the sum of |planned - target| over the rows and cash, 0 = on target.
    """

    rows: tuple[PlannedWeight, ...]
    value: float
    cash: float
    target_cash_weight: float
    cash_weight: float
    gap: float


@dataclass(frozen=True)
class Sizing:
    """How ``plan_orders`` sizes orders, besides the targets, prices and holdings.

    ``fractional``: equities in fractions (else whole shares); ``cost_rate``: fees + slippage,
    as fractions of traded value; ``whole_units``: symbols a broker trades only in whole units.
    """

    min_trade: float = 1.0
    drift_band: float = 0.0
    fractional: bool = False
    cost_rate: float = 0.0
    whole_units: Collection[str] = ()

    def plan(
        self,
        weights: Mapping[str, float],
        prices: Mapping[str, float],
        holdings: Mapping[str, float] | None = None,
        *,
        equity: float | None = None,
        cash: float | None = None,
        buy_budget: float | None = None,
    ) -> OrderPlan:
        return plan_orders(
            weights,
            prices,
            holdings,
            equity=equity,
            cash=cash,
            min_trade_value=self.min_trade,
            drift_band=self.drift_band,
            fractional_equities=self.fractional,
            cost_rate=self.cost_rate,
            whole_units=self.whole_units,
            buy_budget=buy_budget,
        )


def read_positions(
    path: str | Path, universe: Iterable[str], *, ignore_unknown: bool = False
) -> Holdings:
    """Read a positions CSV (see the module docstring); ``InputError`` naming each bad line."""
    path = Path(path)
    universe = tuple(universe)
    by_key = {_key(s): s for s in universe}
    try:
        if not path.is_file():  # a folder, a FIFO or a device is never read
            what = "not found" if not path.exists() else "not a regular file"
            raise InputError(f"{path}: positions file {what}")
        size = path.stat().st_size
        if size > MAX_POSITIONS_BYTES:
            raise InputError(
                f"{path}: positions file is {size:,} bytes, over the {MAX_POSITIONS_BYTES:,} "
                "a list of holdings can need"
            )
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read positions file ({exc})") from None
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(text.splitlines()), start=1)
        if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise InputError(f"{path}: positions file is empty (expected a header 'symbol,quantity')")
    header_line, header = rows[0]
    names = [cell.strip().lower() for cell in header]
    if "symbol" not in names or "quantity" not in names:
        raise InputError(
            f"{path} line {header_line}: missing header; the first row must name the columns "
            f"'symbol' and 'quantity', got {','.join(header)!r}"
        )
    symbol_at, quantity_at = names.index("symbol"), names.index("quantity")
    problems: list[str] = []
    quantities: dict[str, float] = {}
    ignored: dict[str, float] = {}
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for number, row in rows[1:]:
        where = f"{path} line {number}"
        if len(row) != len(header):
            problems.append(
                f"{where}: malformed row {','.join(row)!r} ({len(row)} fields, the header has "
                f"{len(header)})"
            )
            continue
        raw_symbol, raw_quantity = row[symbol_at].strip(), row[quantity_at].strip()
        if not raw_symbol:
            problems.append(f"{where}: empty symbol")
            continue
        if not raw_symbol.isprintable():
            problems.append(f"{where}: symbol {raw_symbol!r} has control characters")
            continue
        if not _NUMBER.match(raw_quantity):
            problems.append(f"{where}: quantity {raw_quantity!r} of {raw_symbol} is not a number")
            continue
        quantity = float(raw_quantity)
        if not abs(quantity) <= MAX_AMOUNT:  # 1e400 reads as inf
            problems.append(
                f"{where}: quantity {raw_quantity} of {raw_symbol} is out of range (at most "
                f"{MAX_AMOUNT:g})"
            )
            continue
        if quantity < 0:
            problems.append(
                f"{where}: negative quantity {raw_quantity} of {raw_symbol} (short positions "
                "are not supported)"
            )
            continue
        key = _key(raw_symbol)
        if key in seen:
            problems.append(f"{where}: {raw_symbol} is already listed on line {seen[key]}")
            continue
        seen[key] = number
        symbol = by_key.get(key)
        if symbol is None:
            if ignore_unknown:
                ignored[raw_symbol] = quantity
            else:
                unknown.append(f"{raw_symbol} (line {number})")
            continue
        quantities[symbol] = quantity
    if unknown:
        problems.append(
            f"{path}: not in the config's universe: {', '.join(unknown)}; universe: "
            f"{', '.join(universe)} (pass --ignore-unknown to leave such holdings untouched)"
        )
    if len(problems) == 1:
        raise InputError(f"bad positions file: {problems[0]}")
    if problems:
        more = len(problems) - _MAX_LISTED_PROBLEMS
        listed = problems[:_MAX_LISTED_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise InputError("bad positions file:\n  " + "\n  ".join(listed))
    return Holdings(quantities=quantities, ignored=ignored, source=str(path))


def _key(symbol: str) -> str:
    return symbol.strip().upper().replace("/", "-")


def plan_orders(
    weights: Mapping[str, float],
    prices: Mapping[str, float],
    holdings: Mapping[str, float] | None = None,
    *,
    equity: float | None = None,
    cash: float | None = None,
    min_trade_value: float = 1.0,
    drift_band: float = 0.0,
    fractional_equities: bool = False,
    cost_rate: float = 0.0,
    whole_units: Collection[str] = (),
    buy_budget: float | None = None,
) -> OrderPlan:
    """Trades moving ``holdings`` (symbol -> quantity) to ``weights`` at ``prices``.

    Exactly one of ``equity`` (the portfolio value to allocate) and ``cash`` (cash beside the
    holdings) is given. ``weights`` and ``prices`` cover the universe; holdings outside it are an
    error (filter them with ``read_positions`` first). See the module docstring for the rules.

    ``whole_units``: symbols the broker trades only in whole units (Alpaca assets that are not
    ``fractionable``), sized in whole units even with ``fractional_equities``. ``buy_budget``:
    the money the buys may spend, instead of cash plus the sells' proceeds (when the sells were
    sent already and their proceeds are in the cash, or not yet, as the account says).
    """
    holdings = dict(holdings or {})
    if (equity is None) == (cash is None):
        raise RotationError("give exactly one of --equity (portfolio value) and --cash")
    for name, value in (("min trade value", min_trade_value), ("drift band", drift_band)):
        if not value >= 0:
            raise RotationError(f"{name} must be >= 0, got {value}")
    outside = sorted(set(holdings) - set(weights))
    if outside:
        raise RotationError(f"holdings outside the universe: {', '.join(outside)}")
    for symbol, weight in weights.items():
        price = prices.get(symbol)
        usable = price is not None and math.isfinite(price) and price > 0
        if not usable and (weight > 0 or holdings.get(symbol, 0) > 0):
            raise DataError(f"no usable latest price for {symbol} ({price})")
    held_value = sum(q * prices[s] for s, q in holdings.items())
    if cash is not None:
        if cash < 0:
            raise RotationError(f"--cash must be >= 0, got {cash}")
        equity = cash + held_value
    else:
        assert equity is not None
        if equity < held_value - 1e-9:
            raise RotationError(
                f"--equity {equity:,.2f} is less than the holdings' value {held_value:,.2f} at "
                "the latest prices; pass --cash (cash beside the holdings) instead"
            )
        cash = equity - held_value
    if equity <= 0:
        raise RotationError("nothing to allocate: equity is 0")

    wanted: list[Trade] = []
    skipped: list[Skipped] = []
    for symbol, target_weight in weights.items():
        held = holdings.get(symbol, 0.0)
        if held == 0 and target_weight == 0:
            continue
        price = prices[symbol]
        current_weight = held * price / equity
        if abs(current_weight - target_weight) <= drift_band:
            if drift_band > 0:
                skipped.append(Skipped(symbol, f"within the drift band ({drift_band:g})"))
            continue
        step = _step(symbol, fractional_equities and symbol not in whole_units)
        if target_weight == 0:
            delta = -held
        else:
            delta = _toward_zero((target_weight * equity / price) - held, step)
        if delta == 0:
            skipped.append(Skipped(symbol, f"less than one step ({step:g}) from target"))
            continue
        wanted.append(
            Trade(
                symbol=symbol,
                side="buy" if delta > 0 else "sell",
                quantity=abs(delta),
                price=price,
                current_quantity=held,
                target_quantity=_round(held + delta),
                current_weight=current_weight,
                target_weight=target_weight,
            )
        )
    sells = [t for t in wanted if t.side == "sell"]
    buys = [t for t in wanted if t.side == "buy"]
    if buy_budget is None:
        budget = cash + sum(t.notional for t in sells) * (1 - cost_rate)
    else:
        budget = buy_budget
    cost = sum(t.notional for t in buys) * (1 + cost_rate)
    if cost > budget + 1e-9:
        scale = max(budget, 0.0) / cost
        buys = [
            _scaled(t, scale, fractional_equities and t.symbol not in whole_units) for t in buys
        ]
        skipped.extend(
            Skipped(t.symbol, "buy scaled to zero by the available cash")
            for t in buys
            if t.quantity == 0
        )
        buys = [t for t in buys if t.quantity > 0]
    trades = []
    for t in [*sells, *buys]:
        if t.notional < min_trade_value:
            skipped.append(
                Skipped(t.symbol, f"{t.side} of {t.notional:,.2f} below the minimum trade")
            )
        else:
            trades.append(t)
    proceeds = sum(t.notional for t in trades if t.side == "sell") * (1 - cost_rate)
    spent = sum(t.notional for t in trades if t.side == "buy") * (1 + cost_rate)
    return OrderPlan(
        trades=tuple(trades),
        skipped=tuple(skipped),
        equity=float(equity),
        cash_before=float(cash),
        cash_after=float(cash + proceeds - spent),
        prices={s: float(prices[s]) for s in weights if s in prices},
        holdings=holdings,
        weights={s: float(w) for s, w in weights.items()},
    )


def tracking(plan: OrderPlan) -> Tracking:
    """The planned weights after ``plan``'s orders against its targets, and the tracking gap."""
    planned = plan.planned_holdings
    held_value = {s: q * plan.prices[s] for s, q in planned.items() if q}
    value = sum(held_value.values()) + plan.cash_after
    if value <= 0:
        raise RotationError("the planned portfolio is worth nothing: cannot compute its weights")
    rows = tuple(
        PlannedWeight(
            symbol=symbol,
            target_weight=target,
            planned_weight=held_value.get(symbol, 0.0) / value,
            planned_quantity=planned[symbol],
            price=plan.prices.get(symbol, math.nan),
        )
        for symbol, target in plan.weights.items()
        if target != 0 or planned[symbol] != 0
    )
    target_cash = 1.0 - sum(plan.weights.values())
    cash_weight = plan.cash_after / value
    gap = (sum(abs(r.difference) for r in rows) + abs(cash_weight - target_cash)) / 2
    return Tracking(
        rows=rows,
        value=value,
        cash=plan.cash_after,
        target_cash_weight=target_cash,
        cash_weight=cash_weight,
        gap=gap,
    )


def _step(symbol: str, fractional_equities: bool) -> float:
    return 1.0 if trades_whole_units(symbol, fractional_equities) else FRACTIONAL_STEP


def _toward_zero(value: float, step: float) -> float:
    """``value`` rounded toward zero to a multiple of ``step`` (tolerating float noise)."""
    units = math.floor(abs(value) / step + 1e-9)
    return _round(math.copysign(units * step, value)) if units else 0.0


def _round(value: float) -> float:
    return round(value, 9) + 0.0  # + 0.0 turns -0.0 into 0.0


def _scaled(trade: Trade, scale: float, fractional_equities: bool) -> Trade:
    step = _step(trade.symbol, fractional_equities)
    quantity = _toward_zero(trade.quantity * scale, step)
    return Trade(
        symbol=trade.symbol,
        side=trade.side,
        quantity=quantity,
        price=trade.price,
        current_quantity=trade.current_quantity,
        target_quantity=_round(trade.current_quantity + quantity),
        current_weight=trade.current_weight,
        target_weight=trade.target_weight,
    )


def format_quantity(value: float) -> str:
    """A quantity as brokers take it: plain decimal, at most 9 decimals, no trailing zeros."""
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"


def order_key(config_hash: str, decided_at: str) -> str:
    """What order ids are derived from besides the symbol and side: the config and the decision.

    Not the data fingerprint (it grows every day with live data, while the decision it led to
    may not change), and not the holdings (a rerun after a partial send sees other holdings).
    """
    return f"{config_hash}|{decided_at}"


def client_order_id(key: str, symbol: str, side: str) -> str:
    """A deterministic order id, ``rot-`` + 24 hex digits, for one symbol and side under ``key``.

    One decision gives one id per symbol and side, however often it is exported or sent, so a
    broker that refuses a duplicate id (Alpaca does) never takes the same order twice, and a
    rerun can tell which of a decision's orders already exist.
    """
    return "rot-" + hashlib.sha256(f"{key}|{symbol}|{side}".encode()).hexdigest()[:24]


def order_ids(plan: OrderPlan, key: str) -> dict[str, str]:
    """symbol -> ``client_order_id(key, symbol, side)`` for each trade of ``plan``."""
    return {t.symbol: client_order_id(key, t.symbol, t.side) for t in plan.trades}
