"""Export: a config's signal and target weights in the formats trading tools take.

Nothing is ever sent unless ``alpaca.send_orders`` is called (``rotation export --send``).

- ``build_feed`` -> ``SignalFeed``: regime, composite, components and target weights per decision
  date, with provenance; refuses stale or missing data (``StaleDataError``).
- ``read_positions`` / ``plan_orders`` -> ``OrderPlan``: the trades from holdings to targets.
- ``export_signal`` writes the feed, the orders and every tool's format into a new folder.
- ``tradingview``, ``alpaca``, ``ibkr``, ``generic``: one module per tool format.
"""

from rotation.export.alpaca import send_orders
from rotation.export.feed import (
    DEFAULT_MAX_AGE_DAYS,
    FEED_FIELDS,
    SCHEMA_VERSION,
    Decision,
    Provenance,
    SignalFeed,
    StaleDataError,
    build_feed,
    feed_columns,
    write_feed,
)
from rotation.export.folder import FORMATS, TOOLS, ExportOptions, ExportResult, export_signal
from rotation.export.orders import (
    Holdings,
    OrderPlan,
    Skipped,
    Trade,
    plan_orders,
    read_positions,
)

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
