"""The house style of every chart and page: one colour map, one font, one plotly.js encoding.

Colours are fixed by meaning so every chart of every command reads the same: regimes scarce =
warm, abundant = cool, neutral = grey; the strategy dark, the benchmark grey and dashed; each
sleeve one hue; diverging scales red (worse) to green (better). Figures are plotly.js specs
as plain dicts (``{"data": [...], "layout": {...}}``): building them through plotly's
graph_objects validates every value, which costs more than the rest of a report.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

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
"""Diverging: red = worse (a loss, a lower score), green = better."""

NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}
"""plotly's ``template="none"`` as plotly.py writes it into a figure's JSON."""


def base_layout(*, height: int = 320, yformat: str = "") -> dict[str, Any]:
    """House layout. No title: a page puts each chart's caption in the HTML above it."""
    return {
        "template": NO_TEMPLATE,
        "height": height,
        "margin": {"l": 64, "r": 24, "t": 40, "b": 36},
        "font": {"family": FONT, "size": 12, "color": TEXT},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"showgrid": False, "showline": True, "linecolor": AXIS, "ticks": "outside"},
        "yaxis": {
            "gridcolor": GRID,
            "zeroline": False,
            "showline": False,
            "tickformat": yformat,
            "hoverformat": yformat or ".2f",
        },
    }


def hline(y: float, line: dict[str, Any]) -> dict[str, Any]:
    """A horizontal line across the plot at ``y`` (a layout shape, as ``add_hline`` makes)."""
    return {
        "type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
        "line": line,
    }  # fmt: skip


def _typed_array(value: Any) -> Any:
    """``json.dumps`` default: float arrays as plotly.js typed arrays (base64, a third of the
    bytes of decimal text, exactly what plotly.py writes), other arrays as lists."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            data = np.ascontiguousarray(value, dtype="<f8")
            spec = {"dtype": "f8", "bdata": base64.b64encode(data.tobytes()).decode("ascii")}
            if data.ndim > 1:
                spec["shape"] = ", ".join(str(n) for n in data.shape)
            return spec
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} in a figure")


def figure_json(figure: dict[str, Any]) -> str:
    """The figure as plotly.js JSON."""
    return json.dumps(figure, default=_typed_array, separators=(",", ":"))


def plotly_js() -> str:
    """plotly.js as the installed plotly package ships it (what ``plotly.offline.get_plotlyjs``
    returns), for pages that embed it inline and so open offline."""
    import pkgutil

    data = pkgutil.get_data("plotly", "package_data/plotly.min.js")
    if data is None:
        raise FileNotFoundError("plotly.min.js is missing from the plotly package")
    return data.decode("utf-8")
