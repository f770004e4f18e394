"""Interactive Brokers: a TWS BasketTrader basket file (CSV) of the plan's orders.

Spec followed (IBKR TWS Users' Guide, "Manually Create a Basket File" and "Basket Fields"): the
first row is a header row of TWS field names, each following row one order with a value per
header field, no space around the commas. A market order takes the eight fields of IBKR's own
example, ``Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType`` (``BUY`` or
``SELL``; ``STK``; ``SMART``; ``USD``; ``DAY``; ``MKT``); we add ``BasketTag``, "any unique
string of alpha or numeric characters used to identify the basket order" that TWS shows as the
Order Reference of the trades.

Quantities are the plan's: whole shares, or fractions when the export sizes equities in
fractions (the config's ``fractional``), which the account must be permitted to trade; the export
then says so in a note.

Symbols: Yahoo's share-class dash becomes IBKR's space (``BRK-B`` -> ``BRK B``). Crypto pairs
are refused: the documented basket SecTypes (stk, opt, fut, fop, war, cash, fund, bag) have no
crypto; IBKR trades crypto as SecType ``CRYPTO`` on ``PAXOS`` through other order entry, so such
orders have to be placed there (or exported for Alpaca).
"""

from __future__ import annotations

import csv
import io
import re

from rotation.errors import RotationError
from rotation.export.orders import OrderPlan, format_quantity

BASKET_COLUMNS = (
    "Action", "Quantity", "Symbol", "SecType", "Exchange", "Currency", "TimeInForce",
    "OrderType", "BasketTag",
)  # fmt: skip


def ibkr_symbol(symbol: str) -> str:
    """IBKR's spelling of a US equity symbol: ``BRK-B`` -> ``BRK B``."""
    return symbol.replace("-", " ")


def basket_tag(config_name: str, decided_at: str) -> str:
    """An alphanumeric tag naming the config and the decision date."""
    return re.sub(r"[^A-Za-z0-9]", "", f"rotation{config_name}{decided_at}")


def basket_rows(plan: OrderPlan, tag: str) -> list[dict[str, str]]:
    """One basket row per trade (sells first); ``RotationError`` for crypto orders."""
    crypto = [t.symbol for t in plan.trades if t.crypto]
    if crypto:
        raise RotationError(
            f"IBKR basket: crypto pair(s) {', '.join(crypto)} cannot go in a basket; "
            "TWS basket files document no crypto SecType (IBKR trades crypto as CRYPTO on "
            "PAXOS through other order entry). Leave ibkr out (--tool) or hold no crypto."
        )
    return [
        {
            "Action": t.side.upper(),
            "Quantity": format_quantity(t.quantity),
            "Symbol": ibkr_symbol(t.symbol),
            "SecType": "STK",
            "Exchange": "SMART",
            "Currency": "USD",
            "TimeInForce": "DAY",
            "OrderType": "MKT",
            "BasketTag": tag,
        }
        for t in plan.trades
    ]


def basket_csv(plan: OrderPlan, tag: str) -> str:
    """The basket file's text: the header row, then one row per order."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=BASKET_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(basket_rows(plan, tag))
    return buffer.getvalue()
