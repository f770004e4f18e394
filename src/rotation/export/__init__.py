"""Export: a config's signal and target weights in the formats trading tools take.

Nothing is ever sent unless ``alpaca.send_orders`` is called (``rotation export --send``).

- ``build_feed`` -> ``SignalFeed``: regime, composite, components and target weights per decision
  date, with provenance; refuses stale or missing data (``StaleDataError``).
- ``read_positions`` / ``plan_orders`` -> ``OrderPlan``: the trades from holdings to targets.
- ``export_signal`` writes the feed, the orders and every tool's format into a new folder.
- ``tradingview``, ``alpaca``, ``ibkr``, ``generic``: one module per tool format.
"""

import importlib
from typing import Any

FORMATS = ("csv", "json", "parquet")
"""Formats of the signal feed file (``--format``)."""
TOOLS = ("tradingview", "alpaca", "ibkr", "generic")
"""Trading tools whose formats an export can write (``--tool``)."""

# The public names below are imported on first use (PEP 562), so ``FORMATS`` and ``TOOLS`` can
# be read (by the CLI's option choices) without loading pandas and the backtest stack.
_LAZY = {
    "send_orders": "alpaca",
    **dict.fromkeys(
        (
            "DEFAULT_MAX_AGE_DAYS", "FEED_FIELDS", "SCHEMA_VERSION", "Decision", "Provenance",
            "SignalFeed", "StaleDataError", "build_feed", "feed_columns", "write_feed",
        ),
        "feed",
    ),
    **dict.fromkeys(("ExportOptions", "ExportResult", "export_signal"), "folder"),
    **dict.fromkeys(
        ("Holdings", "OrderPlan", "Skipped", "Trade", "plan_orders", "read_positions"), "orders"
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"rotation.export.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
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
    "send_orders",
    "write_feed",
]
