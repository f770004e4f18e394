"""Charts and pages of the many-run commands: the sweep heatmap, the compare overlay and the
walk-forward page. Each page is one HTML file with plotly.js inline (opens offline).

Frames and results in, plotly figures or HTML out; the computation modules (``sweep``,
``compare``, ``walkforward``) call these from their ``save``. Colours are the report's
(``rotation.report.style``): the benchmark grey and dashed, diverging scales red (worse) to
green (better).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rotation.report.style import BENCHMARK_COLOR, HEATMAP_SCALE, STRATEGY_COLOR

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from rotation.walkforward import WalkForward

BENCHMARK_LINE = {"color": BENCHMARK_COLOR, "dash": "dash"}


def write_figure_html(fig: go.Figure, path: Path) -> Path:
    """Write ``fig`` as a self-contained HTML page (plotly.js inline, no CDN); return ``path``."""
    fig.write_html(path, include_plotlyjs=True)
    return path


def sweep_heatmap(table: pd.DataFrame, keys: Sequence[str], metric: str) -> go.Figure:
    """``metric`` over a two-key grid (rows: first key, columns: second), red low to green
    high, each cell labelled with its value."""
    import plotly.graph_objects as go

    pivot = table.pivot_table(index=keys[0], columns=keys[1], values=metric, aggfunc="first")
    fig = go.Figure(
        go.Heatmap(
            z=pivot.to_numpy(),
            x=[str(c) for c in pivot.columns],
            y=[str(i) for i in pivot.index],
            colorscale=HEATMAP_SCALE,
            colorbar={"title": metric},
            text=np.round(pivot.to_numpy(), 3),
            texttemplate="%{text}",
        )
    )
    fig.update_layout(
        title=f"{metric} by {keys[0]} x {keys[1]}",
        xaxis_title=keys[1],
        yaxis_title=keys[0],
        template="plotly_white",
    )
    return fig


def compare_figure(values: Mapping[str, pd.Series]) -> go.Figure:
    """Equity curves (log scale, same initial cash) and drawdowns of every config, overlaid.

    ``values``: config name -> daily portfolio value, in rank order (the legend's order).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from rotation.metrics import drawdown

    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.05,
        subplot_titles=("Equity (log scale)", "Drawdown"),
    )  # fmt: skip
    for name, value in values.items():
        fig.add_trace(go.Scatter(x=value.index, y=value, name=name, legendgroup=name), 1, 1)
        dd = drawdown(value.pct_change().fillna(0.0))
        fig.add_trace(
            go.Scatter(x=dd.index, y=dd, name=name, legendgroup=name, showlegend=False), 2, 1
        )
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    fig.update_layout(height=750, template="plotly_white", hovermode="x unified")
    return fig


def walkforward_figure(result: WalkForward) -> go.Figure:
    """Out-of-sample equity (walk-forward, static config, benchmark; log scale) with the test
    windows shaded, and in-sample vs out-of-sample Sharpe per window."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2, cols=1, row_heights=[0.62, 0.38], vertical_spacing=0.1,
        subplot_titles=(
            "Out-of-sample equity (each test window run afresh)",
            "Sharpe per window: in sample (training) vs out of sample (test)",
        ),
    )  # fmt: skip
    eq = result.equity
    lines = {
        "walk_forward": ("walk-forward (out of sample)", {"color": STRATEGY_COLOR}),
        "static": (f"{result.config.name} (no selection)", None),
        "benchmark": (result.config.benchmark, BENCHMARK_LINE),
    }
    for column, (label, line) in lines.items():
        fig.add_trace(go.Scatter(x=eq.index, y=eq[column], name=label, line=line), 1, 1)
    for position, (_, row) in enumerate(result.windows.iterrows()):
        if position % 2 == 0:  # windows has a RangeIndex: the position is its label
            fig.add_vrect(
                x0=row["test_start"], x1=row["test_end"], fillcolor="grey", opacity=0.08,
                line_width=0, row=1, col=1,
            )  # fmt: skip
    labels = [f"{r.test_start}..{r.test_end}" for r in result.windows.itertuples()]
    fig.add_trace(go.Bar(x=labels, y=result.windows["is_sharpe"], name="in-sample Sharpe"), 2, 1)
    fig.add_trace(
        go.Bar(x=labels, y=result.windows["oos_sharpe"], name="out-of-sample Sharpe"), 2, 1
    )
    fig.update_yaxes(type="log", dtick="D2", tickformat="~s", row=1, col=1)
    fig.update_layout(height=820, template="plotly_white", barmode="group", hovermode="x")
    return fig


WINDOW_COLUMNS = (
    "fold", "test_start", "test_end", "test_days", "weight", "short", "winner_overrides",
    "is_sharpe", "oos_sharpe", "oos_rank", "oos_best_sharpe", "oos_total_return",
    "oos_max_drawdown", "oos_costs_paid", "oos_cost_drag", "start_capital", "end_value",
)  # fmt: skip
"""The columns of ``windows.csv`` the walk-forward page shows: per window, nothing annualized
but the Sharpe ratios, with the window's days and its weight in the out-of-sample curve."""


def walkforward_headline(result: WalkForward) -> pd.DataFrame:
    """metrics x curves: the chained out-of-sample curve, the chained in-sample curve, the
    base config and the benchmark over the out-of-sample span, each measured once over its
    days (``rotation.walkforward``); n/a where a figure is not comparable."""
    s = result.summary
    shown = ["days", "sharpe", "annual_return", "max_drawdown"]
    curves = {
        "walk-forward (out of sample, chained)": s["walk_forward"],
        "in sample (winners' training windows, chained)": s["in_sample"],
        f"{result.config.name} (no selection)": s["static"],
        f"benchmark {result.config.benchmark}": s["benchmark"],
    }
    return pd.DataFrame(
        {label: [stats.get(m) for m in shown] for label, stats in curves.items()}, index=shown
    )


def walkforward_page(result: WalkForward) -> str:
    """A self-contained HTML page: the headline curves, the figure, the windows table."""
    s = result.summary
    head = walkforward_headline(result)
    short = result.windows.loc[result.windows["short"], "fold"].tolist()
    plot: str = walkforward_figure(result).to_html(include_plotlyjs=True, full_html=False)
    head_html: str = head.apply(
        lambda row: row.map(
            lambda x: (
                "n/a" if x is None or x != x else f"{x:,.0f}" if row.name == "days" else f"{x:.3f}"
            )
        ),
        axis=1,
    ).to_html()
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{_escape(result.config.name)} walk-forward</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;"
        "white-space:nowrap}"
        "</style></head><body>"
        f"<h1>{_escape(result.config.name)}: walk-forward</h1>"
        f"<p>Train {_escape(s['train'])}, test {_escape(s['test'])}"
        f"{' (anchored)' if s['anchored'] else ''}; {_escape(s['variants'])} variants; best by "
        f"{_escape(s['metric'])} on each training window. Out of sample "
        f"{_escape(s['out_of_sample']['start'])} .. {_escape(s['out_of_sample']['end'])}.</p>"
        f"<p>Method: {_escape(s['method'])}.</p>"
        f"<p>In sample: {_escape(s['in_sample']['definition'])}.</p>"
        f"<p>Benchmark: {_escape(s['benchmark']['measure'])}, from the first test window. "
        "Sharpe is in excess of the risk-free rate: "
        f"{_escape(s['risk_free']['description'])}.</p>"
        + head_html
        + plot
        + "<h2>Windows</h2>"
        + "<p>Each window's figures are its own (total return, not annualized); "
        "<code>weight</code> is its share of the out-of-sample days. "
        + (
            f"Short windows (fewer than {s['short_window_share']:.0%} of the longest one's days), "
            "whose "
            f"figures are the least reliable: {_escape(', '.join(map(str, short)))}."
            if short
            else "No window is short."
        )
        + "</p>"
        + result.windows[list(WINDOW_COLUMNS)].to_html(
            index=False, float_format=lambda x: f"{x:,.3f}", na_rep="n/a"
        )
        + "</body></html>\n"
    )


def _escape(text: Any) -> str:
    from rotation.report.html import _e  # the report's one escaping rule

    return _e(text)
