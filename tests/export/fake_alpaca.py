"""A fake Alpaca trading API: a real HTTP server on 127.0.0.1 speaking Alpaca's JSON (test fixture).

It keeps an account (cash, positions, orders) and answers the endpoints rotation uses, with the
field names and error bodies of Alpaca's trading API v2 (numbers as strings, as Alpaca sends):

    GET  /v2/account                        account object (cash, buying_power, equity, status...)
    GET  /v2/positions                      positions (crypto spelled BTCUSD, as Alpaca does)
    GET  /v2/assets/{symbol}                asset object with ``fractionable``
    GET  /v2/orders?status=all&after=...    orders, newest first
    GET  /v2/orders/{id}                    one order
    GET  /v2/orders:by_client_order_id      one order by its client_order_id
    POST /v2/orders                         new order (422 on a duplicate client_order_id,
                                            403 "insufficient buying power" when it does not fit)

Fills are driven by reads, so tests are deterministic: an order fills when it has been read
(``GET`` of the order, by id or client id) ``fill_delay`` times; with ``partial`` (symbol ->
fraction) it first fills that fraction (``partially_filled``) and the rest one read later, or
never for a symbol in ``stuck``. Buying power is cash minus the cost of open buys, so a buy
posted before the sells fill is refused, as Alpaca does. Faults: ``reject_buys`` (symbols whose
buys are refused with 403), ``drop_posts`` (POST number -> ``"before"``/``"after"``: close the
connection without an answer, before or after the order is created), ``throttle`` (request
number -> Retry-After value: answer 429).

SYNTHETIC: prices, cash and holdings are whatever a test sets; nothing here is market data.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.helpers import LoopbackServer

KEY_ID = "PKFAKEALPACAKEY00000"
SECRET = "fake-alpaca-secret-that-must-never-be-written"
ENV = {"APCA_API_KEY_ID": KEY_ID, "APCA_API_SECRET_KEY": SECRET}
OPEN = ("new", "accepted", "pending_new", "partially_filled")


def _num(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"


class FakeAlpaca(LoopbackServer):
    """The fake account and its server (see the module docstring)."""

    def __init__(
        self,
        *,
        cash: float,
        positions: dict[str, float],
        prices: dict[str, float],
        not_fractionable: tuple[str, ...] = (),
        account_number: str = "PA3FAKE0001",
    ) -> None:
        self.cash = cash
        self.positions = dict(positions)  # Alpaca order symbol (BTC/USD) -> quantity
        self.prices = dict(prices)
        self.not_fractionable = set(not_fractionable)
        self.account_number = account_number
        self.trading_blocked = False
        self.account_changes: dict[str, Any] = {}  # fields to answer differently (tests)
        self.fill_delay = 0
        self.partial: dict[str, float] = {}
        self.stuck: set[str] = set()
        self.reject_buys: set[str] = set()
        self.drop_posts: dict[int, str] = {}
        self.throttle: dict[int, str] = {}
        self.orders: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.posts = 0
        self._reads: dict[str, int] = {}
        self._lock = threading.RLock()
        super().__init__(self._handler())

    # --- the account -----------------------------------------------------------------------

    def holdings(self) -> dict[str, float]:
        with self._lock:
            return {s: q for s, q in self.positions.items() if q}

    def posted(self) -> list[dict[str, Any]]:
        """The orders created, oldest first."""
        with self._lock:
            return list(self.orders)

    def _open_buy_cost(self) -> float:
        return sum(
            (float(o["qty"]) - float(o["filled_qty"])) * self.prices[o["symbol"]]
            for o in self.orders
            if o["side"] == "buy" and o["status"] in OPEN
        )

    def buying_power(self) -> float:
        return self.cash - self._open_buy_cost()

    def _equity(self) -> float:
        return self.cash + sum(q * self.prices[s] for s, q in self.positions.items())

    def _account(self) -> dict[str, Any]:
        return {
            "id": "b5b3c9a0-0000-4000-8000-000000000001",
            "account_number": self.account_number,
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "buying_power": _num(round(self.buying_power(), 2)),
            "regt_buying_power": _num(round(self.buying_power(), 2)),
            "non_marginable_buying_power": _num(round(self.buying_power(), 2)),
            "cash": _num(round(self.cash, 2)),
            "portfolio_value": _num(round(self._equity(), 2)),
            "equity": _num(round(self._equity(), 2)),
            "last_equity": _num(round(self._equity(), 2)),
            "long_market_value": _num(round(self._equity() - self.cash, 2)),
            "short_market_value": "0",
            "multiplier": "1",
            "pattern_day_trader": False,
            "trading_blocked": self.trading_blocked,
            "transfers_blocked": False,
            "account_blocked": False,
            "trade_suspended_by_user": False,
            "shorting_enabled": False,
            "created_at": "2026-01-05T14:30:00Z",
            **self.account_changes,
        }

    def _positions(self) -> list[dict[str, Any]]:
        out = []
        for symbol, qty in sorted(self.positions.items()):
            if not qty:
                continue
            crypto = "/" in symbol
            price = self.prices[symbol]
            out.append(
                {
                    "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)),
                    "symbol": symbol.replace("/", ""),  # Alpaca lists BTC/USD as BTCUSD
                    "exchange": "CRYPTO" if crypto else "NASDAQ",
                    "asset_class": "crypto" if crypto else "us_equity",
                    "asset_marginable": not crypto,
                    "qty": _num(qty),
                    "qty_available": _num(qty),
                    "avg_entry_price": _num(price),
                    "side": "long",
                    "market_value": _num(round(qty * price, 2)),
                    "cost_basis": _num(round(qty * price, 2)),
                    "current_price": _num(price),
                    "lastday_price": _num(price),
                    "change_today": "0",
                }
            )
        return out

    def _asset(self, symbol: str) -> dict[str, Any] | None:
        spelled = symbol if symbol in self.prices else symbol.replace("USD", "/USD")
        if spelled not in self.prices:
            return None
        crypto = "/" in spelled
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, spelled)),
            "class": "crypto" if crypto else "us_equity",
            "exchange": "CRYPTO" if crypto else "NASDAQ",
            "symbol": spelled,
            "name": spelled,
            "status": "active",
            "tradable": True,
            "marginable": not crypto,
            "shortable": not crypto,
            "easy_to_borrow": not crypto,
            "fractionable": spelled not in self.not_fractionable,
        }

    # --- orders ------------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        symbol, side = body.get("symbol"), body.get("side")
        cid = body.get("client_order_id") or str(uuid.uuid4())
        if any(o["client_order_id"] == cid for o in self.orders):
            return 422, {"code": 40010001, "message": "client_order_id must be unique"}
        if symbol not in self.prices:
            return 422, {"code": 40010001, "message": f"asset {symbol!r} not found"}
        if body.get("type") != "market" or body.get("time_in_force") not in ("day", "gtc"):
            return 422, {"code": 40010001, "message": "invalid order type or time_in_force"}
        if ("qty" in body) == ("notional" in body):
            return 422, {"code": 40010001, "message": "qty or notional is required, not both"}
        price = self.prices[symbol]
        qty = float(body["qty"]) if "qty" in body else float(body["notional"]) / price
        if qty <= 0:
            return 422, {"code": 40010001, "message": "qty must be > 0"}
        if qty % 1 and symbol in self.not_fractionable:
            return 422, {"code": 40010001, "message": f"asset {symbol} is not fractionable"}
        if side == "buy":
            if symbol in self.reject_buys or qty * price > self.buying_power() + 1e-9:
                return 403, {"code": 40310000, "message": "insufficient buying power"}
        elif side == "sell":
            held = self.positions.get(symbol, 0.0)
            pending = sum(
                float(o["qty"]) - float(o["filled_qty"])
                for o in self.orders
                if o["symbol"] == symbol and o["side"] == "sell" and o["status"] in OPEN
            )
            if qty > held - pending + 1e-9:
                return 403, {
                    "code": 40310000,
                    "message": f"insufficient qty available for order (requested: {_num(qty)}, "
                    f"available: {_num(held - pending)})",
                }
        else:
            return 422, {"code": 40010001, "message": f"invalid side {side!r}"}
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        order = {
            "id": str(uuid.uuid4()),
            "client_order_id": cid,
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
            "filled_at": None,
            "asset_class": "crypto" if "/" in symbol else "us_equity",
            "symbol": symbol,
            "notional": body.get("notional"),
            "qty": _num(qty),
            "filled_qty": "0",
            "filled_avg_price": None,
            "order_class": "",
            "order_type": "market",
            "type": "market",
            "side": side,
            "time_in_force": body["time_in_force"],
            "status": "accepted",
            "extended_hours": False,
        }
        self.orders.append(order)
        return 200, order

    def _read(self, order: dict[str, Any]) -> dict[str, Any]:
        """An order as read now: each read brings it closer to its fill (module docstring)."""
        if order["status"] in OPEN:
            reads = self._reads[order["id"]] = self._reads.get(order["id"], 0) + 1
            if reads > self.fill_delay:
                qty, done = float(order["qty"]), float(order["filled_qty"])
                fraction = self.partial.get(order["symbol"])
                if fraction is not None and done == 0:
                    self._fill(order, qty * fraction)
                elif order["symbol"] not in self.stuck or fraction is None:
                    self._fill(order, qty - done)
        return dict(order)

    def _fill(self, order: dict[str, Any], qty: float) -> None:
        price = self.prices[order["symbol"]]
        sign = 1 if order["side"] == "buy" else -1
        self.cash -= sign * qty * price
        held = self.positions.get(order["symbol"], 0.0) + sign * qty
        self.positions[order["symbol"]] = round(held, 9)
        filled = float(order["filled_qty"]) + qty
        order["filled_qty"] = _num(filled)
        order["filled_avg_price"] = _num(price)
        now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        order["updated_at"] = now
        if abs(filled - float(order["qty"])) < 1e-9:
            order["status"], order["filled_at"] = "filled", now
        else:
            order["status"] = "partially_filled"

    # --- HTTP ------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if path == "/v2/account" and method == "GET":
            return 200, self._account()
        if path == "/v2/positions" and method == "GET":
            return 200, self._positions()
        if path.startswith("/v2/assets/") and method == "GET":
            asset = self._asset(unquote(path.removeprefix("/v2/assets/")))
            return (200, asset) if asset else (404, {"code": 40410000, "message": "not found"})
        if path == "/v2/orders" and method == "POST":
            return self._create(body if isinstance(body, dict) else {})
        if path == "/v2/orders" and method == "GET":
            after = query.get("after", "")
            listed = [dict(o) for o in self.orders if o["created_at"] > after]
            if query.get("direction", "desc") == "desc":
                listed.reverse()
            return 200, listed[: int(query.get("limit", "50"))]
        if path == "/v2/orders:by_client_order_id" and method == "GET":
            cid = query.get("client_order_id")
            found = [o for o in self.orders if o["client_order_id"] == cid]
            if found:
                return 200, self._read(found[0])
            return 404, {"code": 40410000, "message": "order not found"}
        if path.startswith("/v2/orders/") and method == "GET":
            found = [o for o in self.orders if o["id"] == path.removeprefix("/v2/orders/")]
            if found:
                return 200, self._read(found[0])
            return 404, {"code": 40410000, "message": "order not found"}
        return 404, {"code": 40400000, "message": "endpoint not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with fake._lock:
                    fake.requests.append((self.command, self.path))
                    number = len(fake.requests)
                    drop = None
                    if self.command == "POST" and parts.path == "/v2/orders":
                        fake.posts += 1
                        drop = fake.drop_posts.pop(fake.posts, None)
                    retry_after = fake.throttle.pop(number, None)
                    if retry_after is not None:
                        status, answer, headers = (
                            429,
                            {"message": "too many requests"},
                            {"Retry-After": retry_after},
                        )
                    elif (
                        self.headers.get("APCA-API-KEY-ID") != KEY_ID
                        or self.headers.get("APCA-API-SECRET-KEY") != SECRET
                    ):
                        status, answer, headers = 401, {"message": "unauthorized."}, {}
                    elif drop == "before":
                        status, answer, headers = 0, None, {}
                    else:
                        body = json.loads(raw) if raw else None
                        status, answer = fake._route(self.command, parts.path, query, body)
                        headers = {}
                if drop is not None:
                    self.close_connection = True
                    self.connection.close()  # no answer: the client sees the connection drop
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def running(**account: Any) -> Iterator[FakeAlpaca]:
    """A started fake Alpaca (for ``yield from`` in a fixture); stopped afterwards."""
    with FakeAlpaca(**account) as fake:
        yield fake
