"""Alpaca: order request bodies for ``POST /v2/orders``, and sending them to paper trading.

Spec followed (Alpaca docs, "Orders" / "Create an order", "Crypto Orders", "Fractional
trading"): the body is JSON with ``symbol``; ``qty`` (string, up to 9 decimals) or ``notional``,
never both; ``side`` (``buy``/``sell``); ``type`` (``market``); ``time_in_force``; and an optional
``client_order_id`` (unique per order; at most 48 characters). Equities use ``day`` (the only
``time_in_force`` fractional equity orders accept); crypto pairs are spelled ``BTC/USD`` and use
``gtc`` (crypto accepts ``gtc`` and ``ioc``). Requests are authenticated with the headers
``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY``.

Talking to the account (``AlpacaAccount``, used by ``rotation export --send`` and
``rotation trade``; ``rotation.export.rebalance`` runs the day):

- the keys come from the environment only: ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` (the
  names Alpaca's own SDKs read), or ``ALPACA_API_KEY_ID`` / ``ALPACA_API_SECRET_KEY``;
- the base URL is ``--alpaca-url``, else ``APCA_API_BASE_URL`` / ``ALPACA_BASE_URL``, else the
  paper endpoint; only the paper endpoint or a server on this machine (127.0.0.1, ::1,
  localhost) is accepted, and plain ``http`` only for the latter. The live endpoint
  (``https://api.alpaca.markets``) is accepted only with ``live=True`` (``--live``, which the
  CLI confirms by having the account number typed);
- every request goes through ``rotation.export.http.JsonClient`` (timeouts, retries, 429
  ``Retry-After``, no redirects) and is journaled with the key values scrubbed.

Endpoints read (Alpaca trading API v2): ``GET /v2/account`` (``account_number``, ``status``,
``cash``, ``buying_power``, ``equity``, ``trading_blocked``, ``account_blocked``; amounts are
decimal strings), ``GET /v2/positions`` (``symbol``, ``qty``, ``asset_class``; crypto pairs are
listed without the slash, ``BTCUSD``), ``GET /v2/assets/{symbol}`` (``fractionable``),
``GET /v2/orders?status=all&after=...`` and ``GET /v2/orders/{id}`` (``client_order_id``,
``status``, ``qty``, ``filled_qty``, ``filled_avg_price``). A ``POST /v2/orders`` refused as a
duplicate ``client_order_id`` (HTTP 422) is answered by reading the existing order
(``GET /v2/orders:by_client_order_id``): the order was placed by an earlier attempt whose answer
was lost.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from rotation.data.align import is_crypto
from rotation.errors import RotationError
from rotation.export.http import LOCAL_HOSTS, HttpError, JsonClient
from rotation.export.journal import Journal
from rotation.export.orders import OrderPlan, format_quantity

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
KEY_ID_ENV = ("APCA_API_KEY_ID", "ALPACA_API_KEY_ID")
SECRET_ENV = ("APCA_API_SECRET_KEY", "ALPACA_API_SECRET_KEY")
BASE_URL_ENV = ("APCA_API_BASE_URL", "ALPACA_BASE_URL")
ORDERS_PATH = "/v2/orders"
EQUITY_TIME_IN_FORCE = "day"
CRYPTO_TIME_IN_FORCE = "gtc"


def alpaca_symbol(symbol: str) -> str:
    """Alpaca's spelling: crypto pairs ``BTC-USD`` -> ``BTC/USD``; equities unchanged."""
    if is_crypto(symbol):
        base, _, quote = symbol.rpartition("-")
        return f"{base}/{quote}"
    return symbol


def order_requests(plan: OrderPlan, order_ids: Mapping[str, str]) -> list[dict[str, str]]:
    """One ``POST /v2/orders`` body per trade, in the plan's order (sells first)."""
    return [
        {
            "symbol": alpaca_symbol(t.symbol),
            "qty": format_quantity(t.quantity),
            "side": t.side,
            "type": "market",
            "time_in_force": CRYPTO_TIME_IN_FORCE if t.crypto else EQUITY_TIME_IN_FORCE,
            "client_order_id": order_ids[t.symbol],
        }
        for t in plan.trades
    ]


def resolve_base_url(
    url: str | None = None, env: Mapping[str, str] | None = None, *, live: bool = False
) -> str:
    """The base URL to send to (see the module docstring); ``RotationError`` when not allowed."""
    env = os.environ if env is None else env
    chosen = url or next((env[name] for name in BASE_URL_ENV if env.get(name)), None) or PAPER_URL
    chosen = chosen.rstrip("/")
    parts = urlsplit(chosen)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        raise RotationError("the Alpaca URL must not carry credentials; keys come from env vars")
    local = host in LOCAL_HOSTS
    paper = parts.scheme == "https" and host == urlsplit(PAPER_URL).hostname
    if live and parts.scheme == "https" and host == urlsplit(LIVE_URL).hostname:
        paper = True  # allowed: the CLI has the user confirm it by typing the account number
    if not (paper or (local and parts.scheme in ("http", "https"))):
        raise RotationError(
            f"refusing to send to {chosen}: rotation sends only to Alpaca paper trading "
            f"({PAPER_URL}) or to a server on this machine (http://127.0.0.1:PORT)"
            + ("" if live else f"; live trading ({LIVE_URL}) needs --live")
        )
    if parts.path not in ("", "/"):
        raise RotationError(f"the Alpaca URL {chosen} should be a base URL without a path")
    return chosen


def credentials(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(key id, secret) from the environment; ``RotationError`` naming the variables if unset."""
    env = os.environ if env is None else env
    key = next((env[n] for n in KEY_ID_ENV if env.get(n)), None)
    secret = next((env[n] for n in SECRET_ENV if env.get(n)), None)
    if not key or not secret:
        raise RotationError(
            f"--send needs the Alpaca keys in the environment: {KEY_ID_ENV[0]} and "
            f"{SECRET_ENV[0]} (or {KEY_ID_ENV[1]} and {SECRET_ENV[1]}); they are never read "
            "from the config file"
        )
    return key, secret


def auth_headers(key: str, secret: str) -> dict[str, str]:
    """Alpaca's authentication headers."""
    return {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}


FINAL_STATUSES = frozenset(
    {"filled", "canceled", "expired", "rejected", "done_for_day", "replaced", "stopped",
     "suspended", "calculated"}
)  # fmt: skip
"""Order statuses after which no more of the order fills today (Alpaca "Order Lifecycle")."""


@dataclass(frozen=True)
class Account:
    """The account fields rotation reads (amounts in the account currency)."""

    number: str
    status: str
    cash: float
    buying_power: float
    equity: float
    trading_blocked: bool

    def check_can_trade(self) -> None:
        """Refuse an account Alpaca would not let trade, before any order is posted."""
        if self.trading_blocked:
            raise RotationError(f"Alpaca account {self.number}: trading_blocked is true")
        if self.status != "ACTIVE":
            raise RotationError(f"Alpaca account {self.number}: status {self.status}, not ACTIVE")


@dataclass(frozen=True)
class Position:
    symbol: str  # as Alpaca lists it (BTCUSD for crypto)
    qty: float
    asset_class: str


@dataclass(frozen=True)
class Order:
    """One order as Alpaca reports it."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: float
    filled_qty: float
    filled_avg_price: float | None
    status: str

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def open_qty(self) -> float:
        """What may still fill: nothing once the order is final."""
        return 0.0 if self.final else max(0.0, self.qty - self.filled_qty)


class AlpacaAccount:
    """The Alpaca trading API endpoints rotation uses (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        key: str,
        secret: str,
        *,
        journal: Journal | None = None,
        **http: Any,
    ) -> None:
        self.base_url = base_url
        self.http = JsonClient(
            base_url,
            headers=auth_headers(key, secret),
            secrets=(key, secret),
            journal=journal,
            **http,
        )

    @classmethod
    def from_env(
        cls,
        url: str | None = None,
        *,
        live: bool = False,
        env: Mapping[str, str] | None = None,
        journal: Journal | None = None,
        **http: Any,
    ) -> AlpacaAccount:
        """The account at ``resolve_base_url(url)`` with the keys of ``credentials()``."""
        base = resolve_base_url(url, env, live=live)
        key, secret = credentials(env)
        return cls(base, key, secret, journal=journal, **http)

    def account(self) -> Account:
        body = self._object(self.http.request("GET", "/v2/account").body, "/v2/account")
        try:
            return Account(
                number=str(body["account_number"]),
                status=str(body["status"]),
                cash=float(body["cash"]),
                buying_power=float(body["buying_power"]),
                equity=float(body["equity"]),
                trading_blocked=bool(body.get("trading_blocked") or body.get("account_blocked")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RotationError(
                f"Alpaca {self.base_url}/v2/account: unexpected answer ({exc})"
            ) from None

    def positions(self) -> list[Position]:
        body = self.http.request("GET", "/v2/positions").body
        if not isinstance(body, list):
            raise RotationError(f"Alpaca {self.base_url}/v2/positions: expected a list")
        try:
            return [
                Position(str(p["symbol"]), float(p["qty"]), str(p.get("asset_class", "")))
                for p in body
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise RotationError(
                f"Alpaca {self.base_url}/v2/positions: unexpected answer ({exc})"
            ) from None

    def fractionable(self, symbol: str) -> bool:
        """Whether Alpaca trades fractions of ``symbol`` (the asset's ``fractionable``)."""
        path = "/v2/assets/" + quote(alpaca_symbol(symbol), safe="")
        body = self._object(self.http.request("GET", path).body, path)
        return bool(body.get("fractionable"))

    def orders_since(self, after: dt.datetime) -> list[Order]:
        """Every order created after ``after`` (any status), oldest first."""
        found: dict[str, Order] = {}
        cursor = after.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        while True:
            query = {"status": "all", "limit": str(ORDERS_PAGE), "after": cursor,
                     "direction": "asc"}  # fmt: skip
            body = self.http.request("GET", ORDERS_PATH, query=query).body
            if not isinstance(body, list):
                raise RotationError(f"Alpaca {self.base_url}{ORDERS_PATH}: expected a list")
            page = [self._order(o) for o in body]
            new = [o for o in page if o.id not in found]
            found.update((o.id, o) for o in new)
            if len(body) < ORDERS_PAGE or not new:
                return list(found.values())
            cursor = str(body[-1]["created_at"])

    def order(self, order_id: str) -> Order:
        return self._order(self.http.request("GET", f"{ORDERS_PATH}/{quote(order_id)}").body)

    def order_by_client_id(self, client_id: str) -> Order | None:
        try:
            answer = self.http.request(
                "GET", f"{ORDERS_PATH}:by_client_order_id", query={"client_order_id": client_id}
            )
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise
        return self._order(answer.body)

    def submit(self, body: Mapping[str, str]) -> Order:
        """POST one order; an order already placed under its client id is read back instead."""
        try:
            answer = self.http.request("POST", ORDERS_PATH, dict(body))
        except HttpError as exc:
            if exc.status == 422 and "client_order_id" in (exc.server_message or ""):
                existing = self.order_by_client_id(body["client_order_id"])
                if existing is not None:
                    return existing
            raise
        return self._order(answer.body)

    def _object(self, body: Any, where: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise RotationError(f"Alpaca {self.base_url}{where}: expected a JSON object")
        return body

    def _order(self, body: Any) -> Order:
        body = self._object(body, ORDERS_PATH)
        try:
            price = body.get("filled_avg_price")
            return Order(
                id=str(body["id"]),
                client_order_id=str(body.get("client_order_id") or ""),
                symbol=str(body["symbol"]),
                side=str(body["side"]),
                qty=float(body.get("qty") or 0),
                filled_qty=float(body.get("filled_qty") or 0),
                filled_avg_price=float(price) if price not in (None, "") else None,
                status=str(body["status"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RotationError(
                f"Alpaca {self.base_url}{ORDERS_PATH}: unexpected order ({exc})"
            ) from None


ORDERS_PAGE = 500  # the most GET /v2/orders returns at once
