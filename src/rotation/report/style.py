"""The house style of every chart and page: one colour map, one font, one plotly.js encoding.

Colours are fixed by meaning so every chart of every command reads the same: regimes scarce =
warm, abundant = cool, neutral = grey; the strategy dark, the benchmark grey and dashed; each
sleeve one hue; diverging scales red (worse) to green (better). Figures are plotly.js specs
as plain dicts (``{"data": [...], "layout": {...}}``): building them through plotly's
graph_objects validates every value, which costs more than the rest of a report.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from rotation._atomic import write_file
from rotation._report_modes import PLOTLY_MODES

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


CHART_DIGITS = 4
"""Chart values are rounded to what a screen can show (a pixel is one part in ~1000 of a
chart): 4 significant digits. Exact values are in the page's tables (``data-value``), never
read from a chart."""


def rounded(values: np.ndarray) -> list[float | None]:
    """``values`` to ``CHART_DIGITS`` significant digits, as a list (None for NaN / inf).

    Each is k / 10^n (or k * 10^n), so it is the double nearest that short decimal and JSON
    writes it as such (0.1235, not 0.12349999...)."""
    x = np.asarray(values, dtype="float64").ravel()
    finite = np.isfinite(x) & (x != 0)
    out = np.where(np.isfinite(x), x, np.nan)
    magnitude = np.zeros_like(x)
    magnitude[finite] = np.floor(np.log10(np.abs(x[finite])))
    places = (CHART_DIGITS - 1 - magnitude).astype(int)
    small = finite & (places >= 0)
    large = finite & (places < 0)
    out[small] = np.round(x[small] * 10.0 ** places[small]) / 10.0 ** places[small]
    out[large] = np.round(x[large] / 10.0 ** -places[large]) * 10.0 ** -places[large]
    return [None if v != v else v for v in out.tolist()]


SHARED_MIN = 64
"""Lists at least this long (the date axes) are written once per page, not once per trace."""


class ChartData:
    """The figures of one page, written into it in one gzip-compressed block
    (``{"shared": [...], "charts": {id: figure}}``, base64), unpacked by the browser
    (``UNPACK``) and drawn by the page's script: chart data is about a fifth of its plain JSON.

    Long lists (the date axis, repeated by every trace of every chart) are stored once, a
    trace's ``x`` becoming ``{"shared": n}``, which the drawing script puts back; float arrays
    are decimal text rounded to what a screen can show (``CHART_DIGITS``), which compresses
    to a third of float32.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[Any, ...], int] = {}
        self._charts: dict[str, dict[str, Any]] = {}

    def add(self, chart_id: str, figure: dict[str, Any]) -> None:
        """Keep ``figure``, to be drawn into ``<div id=chart_id>``."""
        data = []
        for trace in figure.get("data") or []:
            x = trace.get("x")
            if isinstance(x, list) and len(x) >= SHARED_MIN:
                key = tuple(x)
                trace = {**trace, "x": {"shared": self._ids.setdefault(key, len(self._ids))}}
            data.append(trace)
        self._charts[chart_id] = {**figure, "data": data}

    def script(self) -> str:
        """The block (``<script id="chart-data-gzip">``); "" without charts."""
        if not self._charts:
            return ""
        text = json.dumps(
            {"shared": [list(key) for key in self._ids], "charts": self._charts},
            default=_decimal_array,
            separators=(",", ":"),
        )
        packed = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
        data = base64.b64encode(packed).decode("ascii")
        return f'<script type="application/octet-stream" id="chart-data-gzip">{data}</script>'


def _decimal_array(value: Any) -> Any:
    """``json.dumps`` default: float arrays as rounded decimal lists (``rounded``), other
    arrays as lists, numpy scalars as numbers."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and value.ndim == 2:
            return [rounded(row) for row in value]
        if value.dtype.kind == "f":
            return rounded(value)
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} in a figure")


def unpack_chart_data(page: str) -> dict[str, dict[str, Any]]:
    """chart id -> figure of a page's ``ChartData`` block, the shared lists put back: what the
    page's script hands to plotly (for tests and tools that read a report's charts)."""
    import re

    packed = re.search(r'id="chart-data-gzip">([^<]*)</script>', page)
    if not packed:
        return {}
    found = json.loads(gzip.decompress(base64.b64decode(packed.group(1))))
    for figure in found["charts"].values():
        for trace in figure.get("data") or []:
            x = trace.get("x")
            if isinstance(x, dict) and "shared" in x:
                trace["x"] = found["shared"][x["shared"]]
    return dict(found["charts"])


@functools.cache
def plotly_js() -> str:
    """plotly.js as the installed plotly package ships it (what ``plotly.offline.get_plotlyjs``
    returns), for pages that embed it inline and so open offline."""
    import pkgutil

    data = pkgutil.get_data("plotly", "package_data/plotly.min.js")
    if data is None:
        raise FileNotFoundError("plotly.min.js is missing from the plotly package")
    return data.decode("utf-8")


def plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return str(get_plotlyjs_version())


def plotly_file() -> str:
    """The name ``shared`` gives the plotly.js file in the results folder."""
    return f"plotly-{plotly_version()}.min.js"


@functools.cache
def _plotly_gzip() -> str:
    """plotly.js gzip-compressed (mtime 0: the same bytes every time), base64."""
    packed = gzip.compress(plotly_js().encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode("ascii")


UNPACK = (
    "<script>window.rotationGunzip = function (id) {"
    "if (!('DecompressionStream' in window)) { return Promise.reject(new Error("
    "'this browser cannot unpack the page (no DecompressionStream: a browser from before "
    "2023)')); }"
    "var text = atob(document.getElementById(id).textContent);"
    "var bytes = new Uint8Array(text.length);"
    "for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }"
    "var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));"
    "return new Response(stream).text(); };</script>"
)
"""The page head's ``rotationGunzip(id)``: the text of the base64 gzip block ``id``, unpacked
by the browser's own gzip (DecompressionStream), as a promise."""

# Runs the inline plotly.js; ``window.plotlyReady`` settles once Plotly is defined.
_RUN_INLINE_PLOTLY = (
    "<script>window.plotlyReady = window.rotationGunzip('plotly-gzip').then(function (code) {"
    "var script = document.createElement('script'); script.text = code;"
    "document.head.appendChild(script); });</script>"
)


def plotly_tag(mode: str, folder: Path | None = None) -> str:
    """The HTML that loads plotly.js in ``mode`` (``PLOTLY_MODES``) for a page written into
    ``folder``, after ``UNPACK``; ``shared`` writes the file into ``folder``'s parent (once:
    an identical file is left alone) and needs ``folder``."""
    if mode == "inline":
        return (
            f'<script type="application/octet-stream" id="plotly-gzip">{_plotly_gzip()}</script>'
            + _RUN_INLINE_PLOTLY
        )
    if mode == "shared":
        if folder is None:
            raise ValueError("plotly mode 'shared' needs the page's folder")
        name = plotly_file()
        target = folder.parent / name
        code = plotly_js().encode("utf-8")
        if not target.is_file() or target.read_bytes() != code:
            write_file(target, code)
        return f'<script charset="utf-8" src="../{name}"></script>'
    if mode == "cdn":
        digest = hashlib.sha384(plotly_js().encode("utf-8")).digest()
        integrity = "sha384-" + base64.b64encode(digest).decode("ascii")
        return (
            f'<script charset="utf-8" src="https://cdn.plot.ly/plotly-{plotly_version()}.min.js"'
            f' integrity="{integrity}" crossorigin="anonymous"></script>'
        )
    raise ValueError(f"plotly mode must be one of {', '.join(PLOTLY_MODES)}, not {mode!r}")
