"""The tearsheet's charts: pure functions, frames in, plotly.js figure specs (dicts) out.

Colours and layout come from ``rotation.report.style`` (one colour map for every chart). Dates
are sent to plotly as "YYYY-MM-DD" strings (a third of the bytes of full timestamps); values as
float64 arrays, which ``style.ChartData`` rounds for the screen and packs into the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from rotation._types import Regime
from rotation.report.style import (
    AXIS,
    BENCHMARK_COLOR,
    CASH_COLOR,
    COMPONENT_COLORS,
    HEATMAP_SCALE,
    REGIME_COLORS,
    REGIME_SHADE_OPACITY,
    SLEEVE_PALETTE,
    STRATEGY_COLOR,
    base_layout,
    hline,
)
from rotation.report.tables import regime_spans

Figure = dict[str, Any]
"""A plotly.js figure: ``{"data": [trace, ...], "layout": {...}}``."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _dates(index: pd.Index) -> list[str]:
    dates: list[str] = np.datetime_as_string(pd.DatetimeIndex(index).to_numpy(), unit="D").tolist()
    return dates


def _values(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="float64")


def _line(x: list[str], y: np.ndarray, name: str, **style: Any) -> dict[str, Any]:
    return {"type": "scatter", "x": x, "y": y, "name": name, **style}


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


def regime_shapes(regime: Regime) -> list[dict[str, Any]]:
    """Shading behind the data by the regime known at each close, one rect per spell."""
    return [
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


def equity_figure(
    equity: pd.DataFrame, regime: Regime, *, benchmark: str, log_scale: bool = True
) -> Figure:
    """Portfolio value and the benchmark's (same starting cash), regimes shaded behind.

    Buttons switch the value axis between log and linear; ``log_scale`` picks the start.
    """
    x = _dates(equity.index)
    data = [
        _line(
            x, _values(equity["benchmark"]), f"benchmark ({benchmark})",
            line={"color": BENCHMARK_COLOR, "width": 1.4, "dash": "dash"},
        ),
        _line(x, _values(equity["value"]), "strategy", line={"color": STRATEGY_COLOR, "width": 2}),
    ]  # fmt: skip
    layout = base_layout(height=420, yformat="~s")
    layout["yaxis"]["hoverformat"] = ",.0f"
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
    for key, value in (log_axis if log_scale else linear_axis).items():
        if value is not None:
            layout["yaxis"][key.split(".")[1]] = value
    layout["margin"]["t"] = 64  # room for the buttons below the hover toolbar
    layout["updatemenus"] = [
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
    ]
    layout["shapes"] = regime_shapes(regime)
    return {"data": data, "layout": layout}


def si_format(value: float) -> str:
    """A compact value label: 200k, 1.5M (what d3's "~s" gives, without "G" for billions)."""
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def drawdown_figure(
    drawdowns: pd.DataFrame, *, benchmark: str, regime: Regime | None = None
) -> Figure:
    """Underwater chart: dates x (strategy, benchmark) fraction below the running peak,
    ``regime`` (when given) shaded behind."""
    x = _dates(drawdowns.index)
    data = [
        _line(
            x, _values(drawdowns["benchmark"]), f"benchmark ({benchmark})",
            line={"color": BENCHMARK_COLOR, "width": 1.2, "dash": "dash"},
        ),
        _line(
            x, _values(drawdowns["strategy"]), "strategy", fill="tozeroy",
            fillcolor="rgba(178, 24, 43, 0.22)", line={"color": "#b2182b", "width": 1.2},
        ),
    ]  # fmt: skip
    layout = base_layout(height=280, yformat=".0%")
    if regime is not None:
        layout["shapes"] = regime_shapes(regime)
    return {"data": data, "layout": layout}


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


def weights_figure(weights: pd.DataFrame, colors: Mapping[str, str]) -> Figure:
    """Stacked areas of held weights (dates x columns), bottom to top in column order."""
    x = _dates(weights.index)
    data = []
    for column in weights.columns:
        color = colors.get(column, CASH_COLOR)
        data.append(
            _line(
                x, _values(weights[column]), str(column), stackgroup="weights",
                line={"width": 0.3, "color": color}, fillcolor=color,
            )
        )  # fmt: skip
    layout = base_layout(height=320, yformat=".0%")
    layout["yaxis"]["range"] = [0, 1]
    layout["legend"]["font"] = {"size": 11}
    return {"data": data, "layout": layout}


def regime_figure(
    scores: pd.DataFrame,
    regime: Regime,
    thresholds: Mapping[str, float],
    yrange: tuple[float, float] | None = None,
) -> Figure:
    """The composite score (bold) and its components, entry thresholds dashed, regimes shaded.

    ``scores``: dates x (components..., composite); ``thresholds``: the config's regime keys
    (``scarce_enter``, ``abundant_enter``); ``yrange``: the value axis's initial view
    (``tables.robust_range``; plotly's autoscale button shows everything).
    """
    x = _dates(scores.index)
    components = [c for c in scores.columns if c != "composite" and scores[c].notna().any()]
    data = [
        _line(
            x, _values(scores[column]), column.replace("_", " "), opacity=0.75,
            line={"color": COMPONENT_COLORS[n % len(COMPONENT_COLORS)], "width": 1},
        )
        for n, column in enumerate(components)
    ]  # fmt: skip
    if "composite" in scores:
        data.append(
            _line(
                x, _values(scores["composite"]), "composite",
                line={"color": STRATEGY_COLOR, "width": 2.2},
            )
        )  # fmt: skip
    layout = base_layout(height=360)
    layout["shapes"] = [
        hline(float(thresholds[key]), {"color": REGIME_COLORS[state], "width": 1.2, "dash": "dash"})
        for key, state in (("scarce_enter", "scarce"), ("abundant_enter", "abundant"))
        if key in thresholds
    ] + regime_shapes(regime)
    if yrange is not None:
        layout["yaxis"]["range"] = [float(yrange[0]), float(yrange[1])]
    return {"data": data, "layout": layout}


def rolling_figure(
    frame: pd.DataFrame,
    *,
    yformat: str = "",
    zero_line: bool = False,
    regime: Regime | None = None,
    levels: Sequence[float] = (),
) -> Figure:
    """dates x (strategy[, benchmark]) trailing statistic as lines, ``regime`` (when given)
    shaded behind, a grey line at 0 (``zero_line``) and at each of ``levels``."""
    x = _dates(frame.index)
    data = []
    if "benchmark" in frame:
        data.append(
            _line(
                x, _values(frame["benchmark"]), "benchmark",
                line={"color": BENCHMARK_COLOR, "width": 1.2, "dash": "dash"},
            )
        )  # fmt: skip
    strategy = {"color": STRATEGY_COLOR, "width": 1.8}
    data.append(_line(x, _values(frame["strategy"]), "strategy", line=strategy))
    layout = base_layout(height=300, yformat=yformat)
    lines = [0.0] if zero_line else []
    layout["shapes"] = [
        hline(y, {"color": AXIS, "width": 1, "dash": "solid" if y == 0 else "dash"})
        for y in (*lines, *levels)
    ] + (regime_shapes(regime) if regime is not None else [])
    return {"data": data, "layout": layout}


YEAR_COLUMN = "Year"


def monthly_heatmap(monthly: pd.DataFrame, yearly: pd.Series | None = None) -> Figure:
    """years x months (1..12) of compounded monthly returns and, with ``yearly`` (years ->
    compounded calendar-year return), a last ``Year`` column; color saturates at the 95th
    percentile of the absolute monthly returns so one extreme month does not wash out the rest
    (a year's total, usually larger, shows its exact value as text)."""
    months = monthly.to_numpy(dtype="float64")
    z = months
    columns = list(MONTHS)
    if yearly is not None:
        z = np.column_stack([months, yearly.reindex(monthly.index).to_numpy(dtype="float64")])
        columns.append(YEAR_COLUMN)
    finite = np.abs(months[np.isfinite(months)])
    limit = float(np.quantile(finite, 0.95)) if finite.size else 0.1
    limit = limit if limit > 0 else 0.1
    text = np.where(np.isfinite(z), np.char.mod("%.1f%%", np.nan_to_num(z) * 100), "")
    trace = {
        "type": "heatmap",
        "z": z,
        "x": columns,
        "y": [str(y) for y in monthly.index],
        "text": text.tolist(),
        "texttemplate": "%{text}",
        "textfont": {"size": 10},
        "colorscale": HEATMAP_SCALE,
        "zmin": -limit,
        "zmax": limit,
        "zmid": 0.0,
        "xgap": 1,
        "ygap": 1,
        "showscale": False,
        "hovertemplate": "%{y} %{x}: %{z:.2%}<extra></extra>",
    }
    layout = base_layout(height=max(240, 26 * len(monthly) + 80))
    layout["hovermode"] = "closest"
    layout["xaxis"].update(showline=False, ticks="", side="top")
    layout["yaxis"].update(autorange="reversed", gridcolor="rgba(0,0,0,0)", type="category")
    return {"data": [trace], "layout": layout}


def yearly_figure(yearly: pd.DataFrame) -> Figure:
    """years x (strategy, benchmark) calendar-year returns as grouped bars."""
    years = [str(y) for y in yearly.index]
    data = [
        {"type": "bar", "x": years, "y": _values(yearly[column]), "name": column,
         "marker": {"color": color}}
        for column, color in (("strategy", STRATEGY_COLOR), ("benchmark", BENCHMARK_COLOR))
    ]  # fmt: skip
    layout = base_layout(height=300, yformat=".0%")
    layout.update(barmode="group", bargap=0.25, hovermode="x")
    layout["xaxis"]["type"] = "category"
    return {"data": data, "layout": layout}


def contribution_figure(cumulative: pd.DataFrame, colors: Mapping[str, str]) -> Figure:
    """dates x (sleeves..., costs and rounding): cumulative (summed) contribution to return,
    one line per column; the residual grey and dashed (``rotation.attribution``)."""
    x = _dates(cumulative.index)
    data = []
    for column in cumulative.columns:
        color = colors.get(str(column), BENCHMARK_COLOR)
        dash = "dot" if str(column) not in colors else "solid"
        data.append(
            _line(
                x, _values(cumulative[column]), str(column),
                line={"color": color, "width": 1.8, "dash": dash},
            )
        )  # fmt: skip
    layout = base_layout(height=320, yformat=".0%")
    layout["shapes"] = [hline(0.0, {"color": AXIS, "width": 1})]
    return {"data": data, "layout": layout}


def contribution_bars(totals: pd.Series, colors: Mapping[str, str]) -> Figure:
    """Total contribution to return per item (an asset or a sleeve, and the residual), as bars
    in the item's colour (grey for the residual)."""
    names = [str(n) for n in totals.index]
    trace = {
        "type": "bar",
        "x": names,
        "y": _values(totals),
        "name": "contribution to return",
        "marker": {"color": [colors.get(n, BENCHMARK_COLOR) for n in names]},
        "hovertemplate": "%{x}: %{y:.1%}<extra></extra>",
    }
    layout = base_layout(height=300, yformat=".0%")
    layout.update(bargap=0.3, hovermode="closest", showlegend=False)
    layout["xaxis"]["type"] = "category"
    return {"data": [trace], "layout": layout}


def histogram_figure(shares: pd.DataFrame) -> Figure:
    """bins x (strategy, benchmark): the share of days per return bin (``tables.histogram``)
    as overlaid bars, bins labelled by their centre in %."""
    labels = [f"{c * 100:.2f}%" for c in shares.index]
    data = [
        {"type": "bar", "x": labels, "y": _values(shares[column]), "name": column,
         "marker": {"color": color}, "opacity": 0.75}
        for column, color in (("benchmark", BENCHMARK_COLOR), ("strategy", STRATEGY_COLOR))
        if column in shares
    ]  # fmt: skip
    layout = base_layout(height=300, yformat=".1%")
    layout.update(barmode="group", bargap=0.05, hovermode="x")
    layout["xaxis"].update(type="category", nticks=12)
    return {"data": data, "layout": layout}


def period_bars(frame: pd.DataFrame, colors: Mapping[str, str], *, yformat: str) -> Figure:
    """periods x series: grouped bars per period (a year), one colour per series."""
    periods = [str(p) for p in frame.index]
    data = [
        {"type": "bar", "x": periods, "y": _values(frame[column]), "name": str(column),
         "marker": {"color": colors.get(str(column), STRATEGY_COLOR)}}
        for column in frame.columns
    ]  # fmt: skip
    layout = base_layout(height=280, yformat=yformat)
    layout.update(barmode="group", bargap=0.25, hovermode="x")
    layout["xaxis"]["type"] = "category"
    return {"data": data, "layout": layout}


def series_colors(names: Sequence[str]) -> dict[str, str]:
    """A colour per compared series (configs, curves): the first the strategy's, the rest the
    palette's hues in turn."""
    palette = (STRATEGY_COLOR, *SLEEVE_PALETTE)
    return {str(name): palette[n % len(palette)] for n, name in enumerate(names)}


def lines_figure(
    frame: pd.DataFrame,
    colors: Mapping[str, str],
    *,
    yformat: str = "",
    log_scale: bool = False,
    height: int = 360,
    dashed: Sequence[str] = (),
) -> Figure:
    """dates x series as lines in their ``colors`` (grey where none), ``dashed`` ones dashed
    (a benchmark); a log value axis with ``log_scale``."""
    x = _dates(frame.index)
    data = [
        _line(
            x, _values(frame[column]), str(column),
            line={"color": colors.get(str(column), BENCHMARK_COLOR), "width": 1.6,
                  "dash": "dash" if str(column) in dashed else "solid"},
        )
        for column in frame.columns
    ]  # fmt: skip
    layout = base_layout(height=height, yformat=yformat)
    if log_scale:
        values = frame.to_numpy(dtype="float64")
        ticks = log_ticks(float(np.nanmin(values)), float(np.nanmax(values)))
        layout["yaxis"].update(
            type="log", tickmode="array", tickvals=ticks, ticktext=[si_format(t) for t in ticks]
        )
    return {"data": data, "layout": layout}


def grid_heatmap(pivot: pd.DataFrame, metric: str, *, text_format: str = ".3g") -> Figure:
    """rows x columns of a two-key grid: ``metric`` per cell, red low to green high (the
    diverging scale of every heatmap), each cell labelled with its value."""
    z = pivot.to_numpy(dtype="float64")
    text = [["" if not np.isfinite(v) else format(v, text_format) for v in row] for row in z]
    trace = {
        "type": "heatmap", "z": z, "x": [str(c) for c in pivot.columns],
        "y": [str(i) for i in pivot.index], "text": text, "texttemplate": "%{text}",
        "colorscale": HEATMAP_SCALE, "xgap": 1, "ygap": 1,
        "colorbar": {"title": {"text": metric}},
        "hovertemplate": f"{pivot.index.name}=%{{y}}, {pivot.columns.name}=%{{x}}: %{{z}}"
        "<extra></extra>",
    }  # fmt: skip
    layout = base_layout(height=max(260, 40 * len(pivot) + 120))
    layout["hovermode"] = "closest"
    layout["xaxis"].update(type="category", title={"text": str(pivot.columns.name)})
    layout["yaxis"].update(type="category", title={"text": str(pivot.index.name)})
    return {"data": [trace], "layout": layout}
