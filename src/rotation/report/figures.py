"""The report's charts: pure functions, frames in, plotly figures out (no I/O).

Colors are fixed by meaning so every chart and every run reads the same: regimes scarce =
warm, abundant = cool, neutral = grey; the strategy dark, the benchmark grey and dashed; each
sleeve one hue, its assets shades of that hue. Dates are sent to plotly as "YYYY-MM-DD"
strings (a third of the bytes of full timestamps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rotation._types import Regime
from rotation.report.tables import regime_spans

FONT = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
TEXT = "#1f2933"
GRID = "#e8ebee"
AXIS = "#c4c9ce"
STRATEGY_COLOR = "#14213d"
BENCHMARK_COLOR = "#8a8f96"
REGIME_COLORS = {"scarce": "#d1603d", "neutral": "#9aa1a8", "abundant": "#3a78c2"}
REGIME_SHADE_OPACITY = 0.14
SLEEVE_PALETTE = ("#7b4fa0", "#2a9d8f", "#c9a227", "#c8553d", "#3d5a80", "#8d6e63", "#5c946e")
CASH_COLOR = "#dde1e5"
COMPONENT_COLORS = (
    "#8e5ea2", "#2a9d8f", "#c9a227", "#8d6e63", "#5c946e", "#d17ca8", "#4f8fbf", "#a3a847",
)  # fmt: skip
HEATMAP_SCALE = [[0.0, "#b2182b"], [0.5, "#f7f7f7"], [1.0, "#1a7f4b"]]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _dates(index: pd.Index) -> list[str]:
    return list(pd.DatetimeIndex(index).strftime("%Y-%m-%d"))


def _values(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="float64")


def _base_layout(fig: go.Figure, *, height: int = 320, yformat: str = "") -> go.Figure:
    """House style. No title: the report puts each chart's caption in the HTML above it."""
    fig.update_layout(
        template="none",
        height=height,
        margin={"l": 64, "r": 24, "t": 40, "b": 36},
        font={"family": FONT, "size": 12, "color": TEXT},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode="x unified",
        legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        xaxis={"showgrid": False, "showline": True, "linecolor": AXIS, "ticks": "outside"},
        yaxis={
            "gridcolor": GRID,
            "zeroline": False,
            "showline": False,
            "tickformat": yformat,
            "hoverformat": yformat or ".2f",
        },
    )
    return fig


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps covering [low, high] (for a log value axis)."""
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0 or high <= 0:
        return []
    ticks = []
    for exponent in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1):
        for mantissa in (1, 2, 5):
            tick = mantissa * 10.0**exponent
            if low / 1.5 <= tick <= high * 1.5:
                ticks.append(tick)
    return ticks


def shade_regimes(fig: go.Figure, regime: Regime) -> go.Figure:
    """Shade the plot behind the data by the regime known at each close."""
    shades = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": start.strftime("%Y-%m-%d"),
            "x1": end.strftime("%Y-%m-%d"),
            "y0": 0,
            "y1": 1,
            "fillcolor": REGIME_COLORS.get(state, REGIME_COLORS["neutral"]),
            "opacity": REGIME_SHADE_OPACITY,
            "layer": "below",
            "line": {"width": 0},
        }
        for start, end, state in regime_spans(regime)
    ]
    # one layout update: add_vrect per span is slow (it re-validates every shape each time)
    return fig.update_layout(shapes=[*fig.layout.shapes, *shades])


def equity_figure(
    equity: pd.DataFrame, regime: Regime, *, benchmark: str, log_scale: bool = True
) -> go.Figure:
    """Portfolio value and the benchmark's (same starting cash), regimes shaded behind.

    Buttons switch the value axis between log and linear; ``log_scale`` picks the start.
    """
    fig = go.Figure()
    x = _dates(equity.index)
    fig.add_scatter(
        x=x,
        y=_values(equity["benchmark"]),
        name=f"benchmark ({benchmark})",
        line={"color": BENCHMARK_COLOR, "width": 1.4, "dash": "dash"},
    )
    fig.add_scatter(
        x=x, y=_values(equity["value"]), name="strategy", line={"color": STRATEGY_COLOR, "width": 2}
    )
    _base_layout(fig, height=420, yformat="~s")
    fig.update_yaxes(hoverformat=",.0f")
    values = equity[["value", "benchmark"]].to_numpy(dtype="float64")
    ticks = log_ticks(float(np.nanmin(values)), float(np.nanmax(values)))
    log_axis = {
        "yaxis.type": "log",
        "yaxis.tickmode": "array",
        "yaxis.tickvals": ticks,
        "yaxis.ticktext": [si_format(t) for t in ticks],
    }
    linear_axis = {
        "yaxis.type": "linear",
        "yaxis.tickmode": "auto",
        "yaxis.tickvals": None,
        "yaxis.ticktext": None,
    }
    fig.update_layout(_plain(log_axis if log_scale else linear_axis))
    fig.update_layout(
        margin={"t": 64},  # room for the buttons below the hover toolbar
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.02,
                "yanchor": "bottom",
                "pad": {"b": 2},
                "showactive": True,
                "active": 0 if log_scale else 1,
                "bgcolor": "#f4f5f7",
                "bordercolor": AXIS,
                "font": {"size": 11},
                "buttons": [
                    {"label": "log scale", "method": "relayout", "args": [log_axis]},
                    {"label": "linear", "method": "relayout", "args": [linear_axis]},
                ],
            }
        ],
    )
    return shade_regimes(fig, regime)


def si_format(value: float) -> str:
    """A compact value label: 200k, 1.5M (what d3's "~s" gives, without "G" for billions)."""
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def _plain(dotted: dict) -> dict:
    """{"yaxis.type": v} -> {"yaxis": {"type": v}} for ``update_layout``."""
    nested: dict = {}
    for key, value in dotted.items():
        outer, inner = key.split(".")
        nested.setdefault(outer, {})[inner] = value
    return nested


def drawdown_figure(drawdowns: pd.DataFrame, *, benchmark: str) -> go.Figure:
    """Underwater chart: dates x (strategy, benchmark) fraction below the running peak."""
    fig = go.Figure()
    x = _dates(drawdowns.index)
    fig.add_scatter(
        x=x,
        y=_values(drawdowns["benchmark"]),
        name=f"benchmark ({benchmark})",
        line={"color": BENCHMARK_COLOR, "width": 1.2, "dash": "dash"},
    )
    fig.add_scatter(
        x=x,
        y=_values(drawdowns["strategy"]),
        name="strategy",
        fill="tozeroy",
        fillcolor="rgba(178, 24, 43, 0.22)",
        line={"color": "#b2182b", "width": 1.2},
    )
    return _base_layout(fig, height=280, yformat=".0%")


def sleeve_colors(sleeves: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """A color per sleeve and per asset (shades of its sleeve's hue); ``cash`` light grey."""
    colors = {"cash": CASH_COLOR}
    for n, (sleeve, symbols) in enumerate(sleeves.items()):
        base = SLEEVE_PALETTE[n % len(SLEEVE_PALETTE)]
        colors[sleeve] = base
        for k, symbol in enumerate(symbols):
            # spread the assets from darker to lighter around the sleeve's hue
            mix = -0.35 + 0.8 * k / max(1, len(symbols) - 1) if len(symbols) > 1 else 0.0
            colors[symbol] = _shade(base, mix)
    return colors


def _shade(color: str, amount: float) -> str:
    """``amount`` > 0 mixes toward white, < 0 toward black."""
    rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    target = 255.0 if amount > 0 else 0.0
    mixed = rgb + (target - rgb) * abs(amount)
    return "#" + "".join(f"{round(v):02x}" for v in mixed)


def weights_figure(weights: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Stacked areas of held weights (dates x columns), bottom to top in column order."""
    fig = go.Figure()
    x = _dates(weights.index)
    for column in weights.columns:
        color = colors.get(column, CASH_COLOR)
        fig.add_scatter(
            x=x,
            y=_values(weights[column]),
            name=str(column),
            stackgroup="weights",
            line={"width": 0.3, "color": color},
            fillcolor=color,
        )
    _base_layout(fig, height=320, yformat=".0%")
    fig.update_yaxes(range=[0, 1])
    fig.update_layout(legend={"font": {"size": 11}})
    return fig


def regime_figure(
    scores: pd.DataFrame, regime: Regime, thresholds: Mapping[str, float]
) -> go.Figure:
    """The composite score (bold) and its components, entry thresholds dashed, regimes shaded.

    ``scores``: dates x (components..., composite); ``thresholds``: the config's regime keys
    (``scarce_enter``, ``abundant_enter``).
    """
    fig = go.Figure()
    x = _dates(scores.index)
    components = [c for c in scores.columns if c != "composite" and scores[c].notna().any()]
    for n, column in enumerate(components):
        fig.add_scatter(
            x=x,
            y=_values(scores[column]),
            name=column.replace("_", " "),
            opacity=0.75,
            line={"color": COMPONENT_COLORS[n % len(COMPONENT_COLORS)], "width": 1},
        )
    if "composite" in scores:
        fig.add_scatter(
            x=x,
            y=_values(scores["composite"]),
            name="composite",
            line={"color": STRATEGY_COLOR, "width": 2.2},
        )
    for key, state in (("scarce_enter", "scarce"), ("abundant_enter", "abundant")):
        if key in thresholds:
            fig.add_hline(
                y=float(thresholds[key]),
                line={"color": REGIME_COLORS[state], "width": 1.2, "dash": "dash"},
            )
    _base_layout(fig, height=360)
    return shade_regimes(fig, regime)


def rolling_figure(frame: pd.DataFrame, *, yformat: str = "", zero_line: bool = False) -> go.Figure:
    """dates x (strategy, benchmark) trailing statistic as two lines."""
    fig = go.Figure()
    x = _dates(frame.index)
    fig.add_scatter(
        x=x,
        y=_values(frame["benchmark"]),
        name="benchmark",
        line={"color": BENCHMARK_COLOR, "width": 1.2, "dash": "dash"},
    )
    fig.add_scatter(
        x=x,
        y=_values(frame["strategy"]),
        name="strategy",
        line={"color": STRATEGY_COLOR, "width": 1.8},
    )
    if zero_line:
        fig.add_hline(y=0.0, line={"color": AXIS, "width": 1})
    return _base_layout(fig, height=300, yformat=yformat)


def monthly_heatmap(monthly: pd.DataFrame) -> go.Figure:
    """years x months (1..12) of compounded monthly returns; color saturates at the 95th
    percentile of the absolute returns so one extreme month does not wash out the rest."""
    z = monthly.to_numpy(dtype="float64")
    finite = np.abs(z[np.isfinite(z)])
    limit = float(np.quantile(finite, 0.95)) if finite.size else 0.1
    limit = limit if limit > 0 else 0.1
    text = np.where(np.isfinite(z), np.char.mod("%.1f%%", np.nan_to_num(z) * 100), "")
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(MONTHS),
            y=[str(y) for y in monthly.index],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            colorscale=HEATMAP_SCALE,
            zmin=-limit,
            zmax=limit,
            zmid=0.0,
            xgap=1,
            ygap=1,
            showscale=False,
            hovertemplate="%{y} %{x}: %{z:.2%}<extra></extra>",
        )
    )
    height = max(240, 26 * len(monthly) + 80)
    _base_layout(fig, height=height)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(showline=False, ticks="", side="top")
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)", type="category")
    return fig


def yearly_figure(yearly: pd.DataFrame) -> go.Figure:
    """years x (strategy, benchmark) calendar-year returns as grouped bars."""
    fig = go.Figure()
    years = [str(y) for y in yearly.index]
    strategy, benchmark = _values(yearly["strategy"]), _values(yearly["benchmark"])
    fig.add_bar(x=years, y=strategy, name="strategy", marker_color=STRATEGY_COLOR)
    fig.add_bar(x=years, y=benchmark, name="benchmark", marker_color=BENCHMARK_COLOR)
    _base_layout(fig, height=300, yformat=".0%")
    fig.update_layout(barmode="group", bargap=0.25, hovermode="x")
    fig.update_xaxes(type="category")
    return fig
