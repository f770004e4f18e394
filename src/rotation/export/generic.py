"""Generic formats: target weights CSV, a JSON lines signal stream, and the trade list CSV.

``weights.csv``: ``date,symbol,weight``, one row per decision date and universe symbol (0 = not
held; a date's weights sum to <= 1, the rest is cash): the long form most backtesters and
spreadsheets read. ``signals.jsonl``: one self-contained JSON object per line and decision date
(schema version and provenance included in every line), for message queues. ``orders.csv``: the
trade plan with its sizing (current and target quantity and weight, price, value).
``tracking.json``: the weights the plan leads to next to the targets (``orders.tracking``):
``fractional`` (whole shares or fractions, as sized), ``value``, ``cash``, ``target_cash_weight``,
``cash_weight``, ``tracking_gap``, and per symbol ``symbol``, ``target_weight``,
``planned_weight``, ``difference``, ``planned_quantity`` and ``price``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from rotation.export.feed import SCHEMA_VERSION, SignalFeed, decision_dict
from rotation.export.orders import OrderPlan, Tracking, format_quantity

WEIGHTS_COLUMNS = ("date", "symbol", "weight")
ORDERS_COLUMNS = (
    "symbol", "side", "quantity", "price", "value", "current_quantity", "target_quantity",
    "current_weight", "target_weight", "order_id",
)  # fmt: skip


def weights_csv(feed: SignalFeed) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(WEIGHTS_COLUMNS)
    for d in feed.decisions:
        for symbol, weight in d.weights.items():
            writer.writerow([d.decided_at.date().isoformat(), symbol, repr(float(weight))])
    return buffer.getvalue()


def signals_jsonl(feed: SignalFeed) -> str:
    p = feed.provenance
    lines = []
    for d in feed.decisions:
        message = {
            "schema_version": SCHEMA_VERSION,
            "config_name": p.config_name,
            "config_hash": p.config_hash,
            "data_fingerprint": p.data_fingerprint,
            "asof": p.asof.date().isoformat(),
            "missing_inputs": list(p.missing_inputs),
            **decision_dict(d),
        }
        lines.append(json.dumps(message, allow_nan=False, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def orders_csv(plan: OrderPlan, order_ids: Mapping[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDERS_COLUMNS)
    for t in plan.trades:
        writer.writerow(
            [
                t.symbol, t.side, format_quantity(t.quantity), repr(t.price),
                f"{t.notional:.2f}", format_quantity(t.current_quantity),
                format_quantity(t.target_quantity), f"{t.current_weight:.6f}",
                f"{t.target_weight:.6f}", order_ids[t.symbol],
            ]
        )  # fmt: skip
    return buffer.getvalue()


def tracking_json(tracking: Tracking, *, fractional: bool) -> str:
    """``tracking.json``: the fields listed in the module docstring (currency to the cent)."""
    document = {
        "fractional": fractional,
        "value": round(tracking.value, 2),
        "cash": round(tracking.cash, 2),
        "target_cash_weight": tracking.target_cash_weight,
        "cash_weight": tracking.cash_weight,
        "tracking_gap": tracking.gap,
        "symbols": [
            {
                "symbol": r.symbol,
                "target_weight": r.target_weight,
                "planned_weight": r.planned_weight,
                "difference": r.difference,
                "planned_quantity": format_quantity(r.planned_quantity),
                "price": r.price,
            }
            for r in tracking.rows
        ],
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
