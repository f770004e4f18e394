"""Static PNG copies of the report's plotly figures, drawn with matplotlib.

Plotly's own PNG export needs kaleido and a Chrome build, which an offline machine may not
have; matplotlib (a vectorbt dependency) is always there. This is not a general converter:
it draws the trace kinds ``figures`` uses (lines, filled and stacked areas, grouped bars,
annotated heatmaps) and its shapes (regime shading, threshold lines), from the same figure
specs (plain dicts), so the static copy shows the same data as the interactive one.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter
from matplotlib.typing import ColorType, LineStyleType, RcKeyType

from rotation.report.figures import Figure, si_format

WIDTH_PX = 1100
DPI = 100
DASHES = {"dash": (0, (5, 3)), "dot": (0, (1, 2)), "dashdot": (0, (5, 2, 1, 2))}


def _linestyle(line: Mapping[str, Any]) -> LineStyleType:
    return DASHES.get(line.get("dash") or "", "-")  # plotly's "solid" or none: a solid line


def _x(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind in "OU" and len(array) and isinstance(array[0], str):
        try:
            return pd.to_datetime(array, format="%Y-%m-%d").to_numpy()
        except (ValueError, TypeError):
            return array
    return array


def _color(color: ColorType | None, opacity: float | None = None) -> ColorType | None:
    if color is None:
        return None
    if isinstance(color, str) and color.startswith("rgba("):
        r, g, b, a = (float(v) for v in color[5:-1].split(","))
        return (r / 255, g / 255, b / 255, a)
    return to_rgba(color, opacity) if opacity is not None else color


def _scatter(ax: Axes, trace: Mapping[str, Any], stacks: dict[str, np.ndarray]) -> None:
    x, y = _x(trace["x"]), np.asarray(trace["y"], dtype="float64")
    line = trace.get("line") or {}
    color = _color(line.get("color"))
    name = trace.get("name")
    style = {
        "color": color,
        "linewidth": line.get("width") or 1.5,
        "linestyle": _linestyle(line),
        "alpha": trace.get("opacity", 1.0),
        "label": name,
    }
    group = trace.get("stackgroup")
    if group:
        base = stacks.get(group, np.zeros(len(y)))
        top = base + np.nan_to_num(y)
        fill = _color(trace.get("fillcolor")) or color
        ax.fill_between(x, base, top, color=fill, linewidth=0, label=name)
        stacks[group] = top
        return
    if trace.get("fill") == "tozeroy":
        ax.fill_between(x, 0, y, color=_color(trace.get("fillcolor")) or color, linewidth=0)
    ax.plot(x, y, **style)


def _bars(ax: Axes, traces: list[Mapping[str, Any]]) -> None:
    categories = list(dict.fromkeys(str(v) for t in traces for v in t["x"]))
    positions = {c: i for i, c in enumerate(categories)}
    width = 0.8 / len(traces)
    for n, trace in enumerate(traces):
        x = np.array([positions[str(v)] for v in trace["x"]]) - 0.4 + width * (n + 0.5)
        y = np.asarray(trace["y"], dtype="float64")
        color = (trace.get("marker") or {}).get("color")
        ax.bar(x, y, width, color=color, label=trace.get("name"))
    step = max(1, len(categories) // 14)
    ax.set_xticks(range(0, len(categories), step), categories[::step])


def _heatmap(ax: Axes, trace: Mapping[str, Any]) -> None:
    z = np.asarray(trace["z"], dtype="float64")
    scale = [(float(pos), color) for pos, color in trace["colorscale"]]
    cmap = LinearSegmentedColormap.from_list("report", scale)
    vmin, vmax = trace.get("zmin"), trace.get("zmax")
    ax.imshow(np.ma.masked_invalid(z), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(trace["x"])), list(trace["x"]))
    ax.set_yticks(range(len(trace["y"])), list(trace["y"]))
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if trace.get("text") is not None:
        for (row, col), label in np.ndenumerate(np.asarray(trace["text"])):
            if label:
                ax.text(col, row, label, ha="center", va="center", fontsize=7.5, color="#1f2933")


def _shapes(ax: Axes, layout: Mapping[str, Any]) -> None:
    for shape in layout.get("shapes") or ():
        if shape["type"] == "rect":
            ax.axvspan(
                *_x([shape["x0"], shape["x1"]]),
                color=_color(shape.get("fillcolor"), shape.get("opacity")),
                linewidth=0,
                zorder=0,
            )
        elif shape["type"] == "line" and shape["y0"] == shape["y1"]:
            line = shape.get("line") or {}
            ax.axhline(
                shape["y0"],
                color=_color(line.get("color")),
                linewidth=line.get("width") or 1,
                linestyle=_linestyle(line),
            )


def _axes_format(ax: Axes, layout: Mapping[str, Any]) -> None:
    yaxis = layout.get("yaxis") or {}
    if yaxis.get("type") == "log":
        ax.set_yscale("log")
    fmt = yaxis.get("tickformat") or ""
    if fmt.endswith("%"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif fmt == "~s":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: si_format(v)))
    if yaxis.get("tickmode") == "array" and yaxis.get("tickvals"):
        ticks = list(yaxis["tickvals"])
        ax.set_yticks(ticks, list(yaxis.get("ticktext") or ticks))
        ax.yaxis.set_minor_formatter(NullFormatter())
    if yaxis.get("range") is not None:
        ax.set_ylim(*yaxis["range"])
    if yaxis.get("autorange") == "reversed" and not ax.yaxis_inverted():
        ax.invert_yaxis()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e8ebee", linewidth=0.8)
    ax.set_axisbelow(True)


PLAIN_TEXT: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}
"""matplotlib settings under which every text is drawn as written: names of configs, sleeves
and symbols come from files, and a ``$`` in one is a dollar sign, never TeX."""


def figure_png(fig: Figure) -> bytes:
    """The figure drawn with matplotlib, as PNG bytes (width ``WIDTH_PX``, the figure's height);
    text as written (``PLAIN_TEXT``)."""
    with matplotlib.rc_context(PLAIN_TEXT):
        return _figure_png(fig)


def _figure_png(fig: Figure) -> bytes:
    layout, traces = fig["layout"], fig["data"]
    height = (layout.get("height") or 340) / DPI
    canvas = MplFigure(figsize=(WIDTH_PX / DPI, height), dpi=DPI, layout="constrained")
    ax = canvas.add_subplot()
    stacks: dict[str, np.ndarray] = {}
    bars = [t for t in traces if t["type"] == "bar"]
    for trace in traces:
        if trace["type"] == "scatter":
            _scatter(ax, trace, stacks)
        elif trace["type"] == "heatmap":
            _heatmap(ax, trace)
    if bars:
        _bars(ax, bars)
    _shapes(ax, layout)
    if not any(t["type"] == "heatmap" for t in traces):
        _axes_format(ax, layout)
        if any(t.get("name") for t in traces):
            ax.legend(
                loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=8, frameon=False, ncols=8
            )
    buffer = io.BytesIO()
    canvas.savefig(buffer, format="png")
    return _palette_png(buffer.getvalue())


PNG_COLORS = 128


def _palette_png(png: bytes) -> bytes:
    """``png`` with at most ``PNG_COLORS`` colours (a chart has a few hues and their
    anti-aliased edges): a third of the bytes of the full-colour image, the same to the eye."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(PNG_COLORS, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    return buffer.getvalue()
