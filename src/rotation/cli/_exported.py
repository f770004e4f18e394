"""How an export (``rotation export``, ``export --send``, ``rotation trade``) is printed:
the signal, the decision, the orders and the tracking gap for people, and the same as one JSON
document for ``--json``; and what a day of sending did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rotation.cli._options import Output

if TYPE_CHECKING:
    from rotation.export import ExportResult
    from rotation.export.orders import Tracking
    from rotation.export.rebalance import DayResult


def export_json(result: ExportResult) -> dict[str, Any]:
    """The export as ``--json`` prints it (``rotation trade`` too)."""
    from rotation.export.orders import tracking

    feed, plan = result.feed, result.plan
    p, latest, current = feed.provenance, feed.latest, feed.current
    orders = None
    if plan is not None:
        orders = [
            {"side": t.side, "symbol": t.symbol, "quantity": t.quantity, "price": t.price,
             "notional": t.notional}
            for t in plan.trades
        ]  # fmt: skip
    return {
        "folder": result.folder,
        "config": p.config_name,
        "asof": p.asof,
        "data_end": p.data_end,
        "regime": current.regime,
        "composite": current.composite,
        "decision": {
            "decided_at": latest.decided_at,
            "trade_on_or_after": latest.trade_on_or_after,
            "weights": dict(latest.weights),
            "cash_weight": latest.cash_weight,
        },
        "orders": orders,
        "tracking_gap": None if plan is None else tracking(plan).gap,
        "notes": list(result.notes),
        "warnings": list(result.warnings),
    }


def day_json(day: DayResult) -> dict[str, Any]:
    """What a day of ``--send`` (or ``rotation trade``) did, as ``--json`` prints it."""
    report = day.report
    return {
        "orders": [
            {"symbol": p.symbol, "side": p.body.get("side"), "qty": p.body.get("qty"),
             "client_order_id": p.body.get("client_order_id"), "outcome": p.outcome,
             "message": p.message}
            for p in report.orders
        ],
        "still_open": len(report.still_open),
        "journal": day.journal,
    }  # fmt: skip


def print_summary(result: ExportResult, output: Output) -> None:
    from rotation.export.orders import format_quantity, tracking

    feed, plan = result.feed, result.plan
    p, latest, current = feed.provenance, feed.latest, feed.current
    composite = f"{current.composite:+.3f}" if current.composite is not None else "n/a"
    output.text(
        f"{p.config_name} as of {p.asof.date()} (data to {p.data_end.date()}): regime "
        f"{current.regime}, composite {composite}"
    )
    held = ", ".join(f"{s} {w:.4f}" for s, w in latest.weights.items() if w > 0) or "nothing"
    output.text(
        f"latest decision {latest.decided_at.date()} (trade on or after "
        f"{latest.trade_on_or_after.date()}): {held}; cash {latest.cash_weight:.4f}"
    )
    for note in result.notes:
        output.note(note)
    for warning in result.warnings:
        output.note(warning, prefix="warning")
    if plan is not None:
        shares = "fractional" if result.fractional else "whole"
        output.text(
            f"orders at the latest closes (equity {plan.equity:,.2f}, cash {plan.cash_before:,.2f}"
            f" -> about {plan.cash_after:,.2f}; {shares} shares of equities):"
        )
        for t in plan.trades:
            output.text(
                f"  {t.side.upper():4} {format_quantity(t.quantity):>12} {t.symbol:<8} @ "
                f"{t.price:,.2f} = {t.notional:,.2f}"
            )
        if not plan.trades:
            output.text("  none")
        print_tracking(tracking(plan), output)
    if output.quiet:
        output.result(str(result.folder))
    else:
        output.text(f"wrote {result.folder} ({len(result.files) + 1} files)")


def print_tracking(track: Tracking, output: Output) -> None:
    output.text("weights after the orders (at the latest closes) against the targets:")
    output.text(f"  {'symbol':<8} {'target':>8} {'planned':>8} {'diff':>8}")
    for r in track.rows:
        output.text(
            f"  {r.symbol:<8} {r.target_weight:8.4f} {r.planned_weight:8.4f} {r.difference:+8.4f}"
        )
    cash_diff = track.cash_weight - track.target_cash_weight
    output.text(
        f"  {'cash':<8} {track.target_cash_weight:8.4f} {track.cash_weight:8.4f} {cash_diff:+8.4f}"
    )
    output.text(
        f"tracking gap {track.gap:.4f} (half the sum of |planned - target|, cash included); "
        f"cash left about {track.cash:,.2f}"
    )
