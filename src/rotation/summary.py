"""Terminal tables: runs side by side (rows = metrics, columns = runs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{x * 100:,.1f}%"


def _num(x: Any) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def _int(x: Any) -> str:
    return "n/a" if x is None else f"{int(x):,}"


def _money(x: Any) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


ROWS: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
    ("period", lambda m: f"{m['start']} .. {m['end']}"),
    ("total return", lambda m: _pct(m["total_return"])),
    ("annual return", lambda m: _pct(m["annual_return"])),
    ("annual volatility", lambda m: _pct(m["annual_volatility"])),
    ("Sharpe", lambda m: _num(m["sharpe"])),
    ("Sortino", lambda m: _num(m["sortino"])),
    ("max drawdown", lambda m: _pct(m["max_drawdown"])),
    ("Calmar", lambda m: _num(m["calmar"])),
    ("alpha (annual)", lambda m: _pct(m.get("alpha"))),
    ("beta", lambda m: _num(m.get("beta"))),
    ("benchmark", lambda m: f"{m['benchmark']} {_pct(m['benchmark_total_return'])}"),
    ("turnover / year", lambda m: _pct(m["annual_turnover"])),
    ("rebalances", lambda m: _int(m["rebalances"])),
    ("fees paid", lambda m: _money(m["fees_paid"])),
    ("final value", lambda m: _money(m["final_value"])),
    ("time scarce", lambda m: _pct(m["time_in_regime"]["scarce"])),
    ("time neutral", lambda m: _pct(m["time_in_regime"]["neutral"])),
    ("time abundant", lambda m: _pct(m["time_in_regime"]["abundant"])),
    ("return when scarce", lambda m: _pct(m["return_by_regime"].get("scarce"))),
    ("return when neutral", lambda m: _pct(m["return_by_regime"].get("neutral"))),
    ("return when abundant", lambda m: _pct(m["return_by_regime"].get("abundant"))),
)


def comparison_table(names: Sequence[str], metrics: Sequence[Mapping[str, Any]]) -> str:
    """An aligned plain-text table; one column per run."""
    header = ["", *names]
    body = [[label, *(render(m) for m in metrics)] for label, render in ROWS]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *body]):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
