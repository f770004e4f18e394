"""Alpaca: order request bodies for ``POST /v2/orders``, and sending them to paper trading.

Spec followed (Alpaca docs, "Orders" / "Create an order", "Crypto Orders", "Fractional
trading"): the body is JSON with ``symbol``; ``qty`` (string, up to 9 decimals) or ``notional``,
never both; ``side`` (``buy``/``sell``); ``type`` (``market``); ``time_in_force``; and an optional
``client_order_id`` (unique per order; at most 48 characters). Equities use ``day`` (the only
``time_in_force`` fractional equity orders accept); crypto pairs are spelled ``BTC/USD`` and use
``gtc`` (crypto accepts ``gtc`` and ``ioc``). Requests are authenticated with the headers
``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY``.

Sending (``send_orders``) happens only when asked (``rotation export --send``):

- the keys come from the environment only: ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` (the
  names Alpaca's own SDKs read), or ``ALPACA_API_KEY_ID`` / ``ALPACA_API_SECRET_KEY``;
- the base URL is ``--alpaca-url``, else ``APCA_API_BASE_URL`` / ``ALPACA_BASE_URL``, else the
  paper endpoint; only the paper endpoint or a server on this machine (127.0.0.1, ::1,
  localhost) is accepted, and plain ``http`` only for the latter;
- orders go one by one; the first HTTP error stops the run with Alpaca's message;
- each request and response is recorded (``alpaca/sent.json``) without the headers, and the
  key values are scrubbed from everything written or raised; redirects are not followed, so the
  key headers never travel to another host.

``client_order_id`` is derived from the config, the data, the decision and the holdings, so
sending the same export twice is refused by Alpaca as a duplicate order id rather than doubling
the trades.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rotation._atomic import write_file
from rotation.data.align import is_crypto
from rotation.errors import RotationError
from rotation.export.http import LOCAL_HOSTS, HttpError, JsonClient
from rotation.export.orders import OrderPlan, format_quantity

PAPER_URL = "https://paper-api.alpaca.markets"
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


def resolve_base_url(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
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
    if not (paper or (local and parts.scheme in ("http", "https"))):
        raise RotationError(
            f"refusing to send to {chosen}: rotation sends only to Alpaca paper trading "
            f"({PAPER_URL}) or to a server on this machine (http://127.0.0.1:PORT)"
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


def send_orders(
    requests: Sequence[Mapping[str, Any]],
    *,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    record: Path | None = None,
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """POST each request to ``{base_url}/v2/orders``; return (and write to ``record``) the log.

    Stops at the first failure with a ``RotationError`` that names the order, the HTTP status and
    Alpaca's message; the log then holds every order tried, the failed one included.
    """
    base = resolve_base_url(base_url, env)
    url = base + ORDERS_PATH
    key, secret = credentials(env)
    client = JsonClient(
        base, headers=auth_headers(key, secret), secrets=(key, secret), timeout=timeout, retries=0
    )
    log: list[dict[str, Any]] = []
    for number, body in enumerate(requests, start=1):
        entry: dict[str, Any] = {
            "url": url,
            "request": dict(body),
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        failure = None
        try:
            answer = client.request("POST", ORDERS_PATH, dict(body))
            entry["status"], entry["response"] = answer.status, answer.body
        except HttpError as exc:
            entry["status"], entry["response"] = exc.status, exc.body
            failure = str(exc)
        log.append(entry)
        if record is not None:
            write_file(record, (client.scrub(json.dumps(log, indent=2)) + "\n").encode())
        if failure is not None:
            raise RotationError(
                f"order {number}/{len(requests)} ({body.get('side')} {body.get('qty')} "
                f"{body.get('symbol')}, client_order_id {body.get('client_order_id')}) failed: "
                f"{failure}; {number - 1} sent before it, none after"
                + (f"; log in {record}" if record is not None else "")
            )
    return log


def auth_headers(key: str, secret: str) -> dict[str, str]:
    """Alpaca's authentication headers."""
    return {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}
