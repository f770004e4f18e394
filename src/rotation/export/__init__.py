"""Export: a config's signal and target weights in the formats trading tools take.

Nothing is ever sent unless ``rebalance.send_day`` is called (``rotation export --send``,
``rotation trade``).

- ``build_feed`` -> ``SignalFeed``: regime, composite, components and target weights per decision
  date, with provenance; refuses stale or missing data (``StaleDataError``).
- ``read_positions`` / ``plan_orders`` -> ``OrderPlan``: the trades from holdings to targets.
- ``export_signal`` writes the feed, the orders and every tool's format into a new folder.
- ``send_day`` (``rebalance``): read the Alpaca account, export, then sells, fills, buys.
- ``tradingview``, ``alpaca``, ``ibkr``, ``generic``: one module per tool format; ``http`` and
  ``journal``: the one HTTP client and request journal every send goes through.
"""

from typing import Any

from rotation.export.formats import FORMATS, TOOLS

# The public names below are imported on first use (PEP 562), so ``FORMATS`` and ``TOOLS`` can
# be read (by the CLI's option choices) without loading pandas and the backtest stack.
_FEED = (
    "DEFAULT_MAX_AGE_DAYS", "FEED_FIELDS", "SCHEMA_VERSION", "Decision", "Provenance",
    "SignalFeed", "StaleDataError", "build_feed", "feed_columns", "write_feed",
)  # fmt: skip
_FOLDER = ("ExportOptions", "ExportResult", "export_signal")
_ORDERS = ("Holdings", "OrderPlan", "Skipped", "Trade", "plan_orders", "read_positions")


def __getattr__(name: str) -> Any:
    if name == "send_day":
        from rotation.export import rebalance

        return getattr(rebalance, name)
    if name in _FEED:
        from rotation.export import feed

        return getattr(feed, name)
    if name in _FOLDER:
        from rotation.export import folder

        return getattr(folder, name)
    if name in _ORDERS:
        from rotation.export import orders

        return getattr(orders, name)
    raise AttributeError(f"module 'rotation.export' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "FEED_FIELDS",
    "FORMATS",
    "SCHEMA_VERSION",
    "TOOLS",
    "Decision",
    "ExportOptions",
    "ExportResult",
    "Holdings",
    "OrderPlan",
    "Provenance",
    "SignalFeed",
    "Skipped",
    "StaleDataError",
    "Trade",
    "build_feed",
    "export_signal",
    "feed_columns",
    "plan_orders",
    "read_positions",
    "send_day",
    "write_feed",
]
