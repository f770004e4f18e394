"""Pages of the many-run commands: the sweep heatmap, the compare overlay and the
walk-forward page. Each page is one HTML file with plotly.js inline (opens offline), in the
tearsheet's frame: the same header, navigation, CSS, legend chips, colour map and metrics
table (``rotation.report.html``), figures from ``rotation.report.figures``.

Frames and results in, HTML out; the computation modules (``sweep``, ``compare``,
``walkforward``) call these from their ``save``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from rotation.metrics import metric as metric_entry
from rotation.report import figures as fg
from rotation.report.html import chart, legend, metrics_table, page, page_body, page_header
from rotation.report.style import AXIS, BENCHMARK_COLOR, STRATEGY_COLOR, ChartData

if TYPE_CHECKING:
    from rotation.walkforward import WalkForward

STUDY_FOOTER = "rotation · built from this folder's results · opens offline"


def _study_page(
    title: str, parts: Sequence[Any], sections: list[tuple[str, str, str]], data: ChartData
) -> str:
    """A page of a many-run command in the tearsheet's frame: the same header, navigation,
    cards, CSS, legend chips, colours and metrics tables (``rotation.report.html``)."""
    return page(title, page_header(title, parts) + page_body(sections), STUDY_FOOTER, data=data)


def sweep_page(table: pd.DataFrame, keys: Sequence[str], metric: str, name: str) -> str:
    """The sweep page: ``metric`` over a two-key grid as a heatmap (rows: first key,
    columns: second; red low to green high, each cell labelled) and the variants' metrics
    table, best first by ``metric`` (its direction from the metrics registry)."""
    pivot = table.pivot_table(index=keys[0], columns=keys[1], values=metric, aggfunc="first")
    data = ChartData()
    heatmap = chart(
        fg.grid_heatmap(pivot, metric), "chart-sweep", static=False, data=data,
        caption=f"{metric} by {keys[0]} x {keys[1]} (in sample: every variant on the same days)",
    )  # fmt: skip
    higher = metric_entry(metric).better != "lower"
    ranked = table.sort_values(metric, ascending=not higher)
    columns = [ranked[k].tolist() for k in keys]  # each key's own type (no float upcast)
    ranked.index = pd.Index(
        [
            ", ".join(f"{k}={v}" for k, v in zip(keys, row, strict=True))
            for row in zip(*columns, strict=True)
        ]
    )
    shown = [c for c in ranked.columns if c not in keys]
    return _study_page(
        f"{name}: sweep",
        (f"{len(table):,} variants", f"grid {' x '.join(keys)}", f"best by {metric}"),
        [
            ("heatmap", "Grid", heatmap),
            ("variants", "Variants, best first", metrics_table(ranked[shown], "data-variant")),
        ],
        data,
    )


def compare_page(values: Mapping[str, pd.Series], table: pd.DataFrame) -> str:
    """The compare page: the configs' metrics table (rank order), their equity curves (log
    scale, same initial cash) and drawdowns, one colour per config.

    ``values``: config name -> daily portfolio value, in rank order (the legend's order);
    ``table``: configs x metrics (``rotation.compare``).
    """
    from rotation.metrics import drawdown

    colors = fg.series_colors(list(values))
    equity = pd.DataFrame(dict(values))
    drawdowns = pd.DataFrame(
        {name: drawdown(v.dropna().pct_change().fillna(0.0)) for name, v in values.items()}
    )
    data = ChartData()

    def plot(fig: fg.Figure, chart_id: str, caption: str) -> str:
        return chart(fig, chart_id, static=False, caption=caption, data=data)

    sections = [
        ("metrics", "Metrics", legend(colors, "Configs, best first:")
         + metrics_table(table, "data-compare", colors)),
        ("equity", "Equity curve", plot(
            fg.lines_figure(equity, colors, yformat="~s", log_scale=True, height=420),
            "chart-compare-equity", "Portfolio value, log scale (same initial cash)")),
        ("drawdown", "Drawdown", plot(
            fg.lines_figure(drawdowns, colors, yformat=".0%", height=300),
            "chart-compare-drawdown", "Fraction below the running peak")),
    ]  # fmt: skip
    return _study_page("Compare", (f"{len(values)} configs", ", ".join(values)), sections, data)


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
    """The walk-forward page: the headline curves' metrics, the out-of-sample equity (test
    windows shaded), in- vs out-of-sample Sharpe per window, and the windows table."""
    s = result.summary
    head = walkforward_headline(result).T
    short = result.windows.loc[result.windows["short"], "fold"].tolist()
    labels = {
        "walk_forward": "walk-forward (out of sample)",
        "static": f"{result.config.name} (no selection)",
        "benchmark": f"benchmark {result.config.benchmark}",
    }
    curves = result.equity[list(labels)].rename(columns=labels)
    colors = fg.series_colors(list(curves.columns)[:2])
    data = ChartData()
    equity = fg.lines_figure(
        curves, colors, yformat="~s", log_scale=True, height=420, dashed=[labels["benchmark"]]
    )
    equity["layout"]["shapes"] = [
        {"type": "rect", "xref": "x", "yref": "paper", "x0": str(row.test_start),
         "x1": str(row.test_end), "y0": 0, "y1": 1, "fillcolor": AXIS, "opacity": 0.25,
         "layer": "below", "line": {"width": 0}}
        for position, row in enumerate(result.windows.itertuples()) if position % 2 == 0
    ]  # fmt: skip
    window_labels = [f"{r.test_start}..{r.test_end}" for r in result.windows.itertuples()]
    sharpe = pd.DataFrame(
        {
            "in sample": result.windows["is_sharpe"].to_numpy(dtype="float64"),
            "out of sample": result.windows["oos_sharpe"].to_numpy(dtype="float64"),
        },
        index=window_labels,
    )
    bars = fg.period_bars(
        sharpe, {"in sample": BENCHMARK_COLOR, "out of sample": STRATEGY_COLOR}, yformat=".2f"
    )

    def plot(fig: fg.Figure, chart_id: str, caption: str) -> str:
        return chart(fig, chart_id, static=False, caption=caption, data=data)

    method = (
        f"<p class='note'>Method: {_escape(s['method'])}.</p>"
        f"<p class='note'>In sample: {_escape(s['in_sample']['definition'])}.</p>"
        f"<p class='note'>Benchmark: {_escape(s['benchmark']['measure'])}, from the first test "
        "window. Sharpe is in excess of the risk-free rate: "
        f"{_escape(s['risk_free']['description'])}.</p>"
    )
    windows_note = (
        "<p class='note'>Each window's figures are its own (total return, not annualized); "
        "<code>weight</code> is its share of the out-of-sample days. "
        + (
            f"Short windows (fewer than {s['short_window_share']:.0%} of the longest one's "
            f"days), whose figures are the least reliable: {_escape(', '.join(map(str, short)))}."
            if short
            else "No window is short."
        )
        + "</p>"
    )
    windows_table = result.windows[list(WINDOW_COLUMNS)].to_html(
        index=False, float_format=lambda x: f"{x:,.3f}", na_rep="n/a", border=0
    )
    sections = [
        ("metrics", "Headline", legend(colors, "Curves:") + metrics_table(head, "data-curve")
         + method),
        ("equity", "Out-of-sample equity", plot(
            equity, "chart-walkforward-equity",
            "Out-of-sample equity, log scale (each test window run afresh; every other window "
            "shaded)")),
        ("sharpe", "Sharpe per window", plot(
            bars, "chart-walkforward-sharpe",
            "Sharpe per window: in sample (training) vs out of sample (test)")),
        ("windows", "Windows", windows_note + f'<div class="wide">{windows_table}</div>'),
    ]  # fmt: skip
    parts = (
        f"train {s['train']}, test {s['test']}{' (anchored)' if s['anchored'] else ''}",
        f"{s['variants']} variants, best by {s['metric']} on each training window",
        f"out of sample {s['out_of_sample']['start']} .. {s['out_of_sample']['end']}",
    )
    return _study_page(f"{result.config.name}: walk-forward", parts, sections, data)


def _escape(text: Any) -> str:
    from rotation.report.html import _e  # the report's one escaping rule

    return _e(text)
