"""Terminal tables: runs side by side (rows = metrics, columns = runs)."""

from __future__ import annotations

import html
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


def _cells(names: Sequence[str], metrics: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The header row then one row per entry of ``ROWS``: label, then one cell per run."""
    return [["", *names], *([label, *(render(m) for m in metrics)] for label, render in ROWS)]


def comparison_table(
    names: Sequence[str], metrics: Sequence[Mapping[str, Any]], width: int | None = None
) -> str:
    """An aligned plain-text table; one column per run. ``width``: the terminal's width in
    characters; a table wider than it is wrapped into blocks of as many runs as fit, each
    block with the labels again (one run per block at the least)."""
    table = _cells(names, metrics)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    blocks: list[list[int]] = [[]]
    used = widths[0]
    for column in range(1, len(widths)):
        if blocks[-1] and width is not None and used + 2 + widths[column] > width:
            blocks.append([])
            used = widths[0]
        blocks[-1].append(column)
        used += 2 + widths[column]
    lines: list[str] = []
    for block in blocks:
        if lines:
            lines.append("")
        for n, row in enumerate(table):
            cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in block]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * widths[i] for i in [0, *block]))
    return "\n".join(lines)


def comparison_html(
    names: Sequence[str], metrics: Sequence[Mapping[str, Any]], caption: str = ""
) -> str:
    """The same table as ``comparison_table``, as an HTML ``<table>`` (every name and value
    escaped): what a Jupyter notebook shows for a result (``_repr_html_``)."""
    e = html.escape
    header, *body = _cells(names, metrics)
    head = "".join(f"<th>{e(cell)}</th>" for cell in header)
    rows = "".join(
        f"<tr><th style='text-align:left'>{e(label)}</th>"
        + "".join(f"<td style='text-align:right'>{e(cell)}</td>" for cell in cells)
        + "</tr>"
        for label, *cells in body
    )
    title = f"<caption>{e(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
