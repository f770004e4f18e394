"""Terminal tables: runs side by side (rows = metrics, columns = runs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rotation.metrics import METRICS, Metric, metric


def _pct(x: Any) -> str:
    return metric("total_return").format(x)


Row = tuple[str, Callable[[Mapping[str, Any]], str]]


def _metric_row(entry: Metric) -> Row:
    return entry.label, lambda m: entry.format(m.get(entry.name))


ROWS: tuple[Row, ...] = (
    ("period", lambda m: f"{m['start']} .. {m['end']}"),
    *(_metric_row(entry) for entry in METRICS),
    ("benchmark", lambda m: f"{m['benchmark']} {_pct(m['benchmark_total_return'])}"),
    ("benchmark bought", lambda m: f"close of {m['benchmark_entry']}, no costs"),
    (
        "risk-free rate",
        lambda m: f"{m['risk_free']['setting']} {_pct(m['risk_free']['annual_mean'])}/yr",
    ),
    ("time scarce", lambda m: _pct(m["time_in_regime"]["scarce"])),
    ("time neutral", lambda m: _pct(m["time_in_regime"]["neutral"])),
    ("time abundant", lambda m: _pct(m["time_in_regime"]["abundant"])),
    ("return when scarce", lambda m: _pct(m["return_by_regime"].get("scarce"))),
    ("return when neutral", lambda m: _pct(m["return_by_regime"].get("neutral"))),
    ("return when abundant", lambda m: _pct(m["return_by_regime"].get("abundant"))),
)
"""(label, render) of each row: the period, every registry metric (its label and unit), then
the benchmark (bought at the close of the strategy's first trade), the risk-free rate Sharpe,
Sortino and alpha are measured against (its mean a year over the run), and the regime
breakdown (a day counts for the regime its positions were decided under)."""


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
