"""Interactive Brokers: a TWS BasketTrader basket file (CSV) of the stock orders, and the crypto
orders in IBKR's crypto contract form in a file of their own.

Spec followed (IBKR TWS Users' Guide, "Manually Create a Basket File" and "Basket Fields"): the
first row is a header row of TWS field names, each following row one order with a value per
header field, no space around the commas. A market order takes the eight fields of IBKR's own
example, ``Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType`` (``BUY`` or
``SELL``; ``STK``; ``SMART``; ``USD``; ``DAY``; ``MKT``); we add ``BasketTag``, "any unique
string of alpha or numeric characters used to identify the basket order" that TWS shows as the
Order Reference of the trades.

Stocks (and ETFs) always go in ``basket.csv``. Symbols: Yahoo's share-class dash becomes IBKR's
space (``BRK-B`` -> ``BRK B``).

Fractional shares: the basket fields document ``Quantity`` as a share count ("e.g. 100 or 1"),
and IBKR documents fractional shares as cash-quantity orders entered with the size wand (a
currency amount instead of shares), not as fractional basket quantities. So a stock order with a
fractional quantity is refused (``FractionalSharesError``, naming the symbols), never written:
export with ``--whole-shares`` for IBKR.

Crypto: the documented basket SecTypes (stk, opt, fut, fop, war, cash, fund, bag) have no crypto,
so crypto orders never go in the basket. They are written to ``crypto_orders.csv`` in the
contract form IBKR's TWS API documents for cryptocurrency (``Symbol`` the coin, e.g. ``BTC``;
``SecType`` ``CRYPTO``; ``Exchange`` ``PAXOS``; ``Currency`` ``USD``), with the same order
market-order fields but no ``TimeInForce`` (set in IBKR's crypto order entry), quantities in
coins, and ``CRYPTO_README.txt`` beside it saying how to place them (TWS
order entry or the API: the basket import is not documented to read them).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from rotation.errors import RotationError
from rotation.export.orders import OrderPlan, Trade, format_quantity

BASKET_COLUMNS = (
    "Action", "Quantity", "Symbol", "SecType", "Exchange", "Currency", "TimeInForce",
    "OrderType", "BasketTag",
)  # fmt: skip
# crypto rows: the same fields without TimeInForce, which IBKR's crypto order entry sets itself
CRYPTO_COLUMNS = tuple(c for c in BASKET_COLUMNS if c != "TimeInForce")
CRYPTO_EXCHANGE = "PAXOS"  # "exchange should be PAXOS for all Cryptocurrency contracts"
BASKET_FILE = "ibkr/basket.csv"
CRYPTO_FILE = "ibkr/crypto_orders.csv"
CRYPTO_README_FILE = "ibkr/CRYPTO_README.txt"


class FractionalSharesError(RotationError):
    """A stock order has a fractional share quantity, which the basket file cannot carry."""


def ibkr_symbol(symbol: str) -> str:
    """IBKR's spelling of a US equity symbol: ``BRK-B`` -> ``BRK B``."""
    return symbol.replace("-", " ")


def crypto_symbol(symbol: str) -> str:
    """IBKR's crypto contract symbol: the coin of a Yahoo pair, ``BTC-USD`` -> ``BTC``."""
    return symbol.rpartition("-")[0]


def basket_tag(config_name: str, decided_at: str) -> str:
    """An alphanumeric tag naming the config and the decision date."""
    return re.sub(r"[^A-Za-z0-9]", "", f"rotation{config_name}{decided_at}")


def fractional_stocks(plan: OrderPlan) -> list[Trade]:
    """The stock (non-crypto) trades of ``plan`` whose quantity is not a whole number."""
    return [t for t in plan.trades if not t.crypto and t.quantity % 1]


def check_whole_shares(plan: OrderPlan) -> None:
    """``FractionalSharesError`` naming every stock order with a fractional quantity."""
    fractional = fractional_stocks(plan)
    if fractional:
        listed = ", ".join(f"{t.side} {format_quantity(t.quantity)} {t.symbol}" for t in fractional)
        raise FractionalSharesError(
            f"IBKR basket: fractional share quantities ({listed}); a TWS basket file takes "
            "share counts, and IBKR trades fractions only as cash-quantity orders entered in "
            "TWS. Export with --whole-shares for IBKR, or leave ibkr out (--tool)."
        )


def basket_rows(plan: OrderPlan, tag: str) -> list[dict[str, str]]:
    """One basket row per stock trade (sells first); crypto trades are left out (see
    ``crypto_rows``). ``FractionalSharesError`` if a stock quantity is fractional."""
    check_whole_shares(plan)
    return [
        _row(t, tag, ibkr_symbol(t.symbol), "STK", "SMART") for t in plan.trades if not t.crypto
    ]


def crypto_rows(plan: OrderPlan, tag: str) -> list[dict[str, str]]:
    """One row per crypto trade in IBKR's crypto contract form (CRYPTO on PAXOS, in USD)."""
    rows = [
        _row(t, tag, crypto_symbol(t.symbol), "CRYPTO", CRYPTO_EXCHANGE)
        for t in plan.trades
        if t.crypto
    ]
    return [{c: row[c] for c in CRYPTO_COLUMNS} for row in rows]


def _row(trade: Trade, tag: str, symbol: str, sec_type: str, exchange: str) -> dict[str, str]:
    return {
        "Action": trade.side.upper(),
        "Quantity": format_quantity(trade.quantity),
        "Symbol": symbol,
        "SecType": sec_type,
        "Exchange": exchange,
        "Currency": "USD",
        "TimeInForce": "DAY",
        "OrderType": "MKT",
        "BasketTag": tag,
    }


def basket_csv(plan: OrderPlan, tag: str) -> str:
    """The basket file's text: the header row, then one row per stock order."""
    return _csv(basket_rows(plan, tag), BASKET_COLUMNS)


def crypto_csv(plan: OrderPlan, tag: str) -> str:
    """The crypto orders' text, in the basket layout with IBKR's crypto contract fields."""
    return _csv(crypto_rows(plan, tag), CRYPTO_COLUMNS)


def crypto_readme(plan: OrderPlan) -> str:
    """The note written beside ``crypto_orders.csv``."""
    listed = "\n".join(
        f"  {t.side.upper()} {format_quantity(t.quantity)} {crypto_symbol(t.symbol)} "
        f"(about {t.notional:,.2f} USD at the latest close)"
        for t in plan.trades
        if t.crypto
    )
    return (
        "Crypto orders for Interactive Brokers\n\n"
        f"{listed}\n\n"
        "These are NOT in basket.csv: TWS basket files document no crypto security type\n"
        "(stk, opt, fut, fop, war, cash, fund, bag). crypto_orders.csv gives each order in the\n"
        "contract form IBKR documents for cryptocurrency (Symbol = the coin, SecType = CRYPTO,\n"
        f"Exchange = {CRYPTO_EXCHANGE}, Currency = USD), as a market order for a quantity in\n"
        "coins; the time in force is left to IBKR's crypto order entry. Place them in TWS (order\n"
        "entry on the crypto contract) or through the TWS API with that contract; the account\n"
        "needs crypto trading permission. The stock orders in basket.csv do not depend on these.\n"
    )


def _csv(rows: Sequence[dict[str, str]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
