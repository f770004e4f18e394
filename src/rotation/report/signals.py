"""The regime laboratory's chart (``rotation signals``): composite, thresholds and components,
regimes shaded, as a PNG (matplotlib) and a self-contained HTML page (plotly, inline).

Regime colours are the report's (``rotation.report.style.REGIME_COLORS``), so a state has the
same colour here as in every tearsheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rotation.report.style import REGIME_COLORS

if TYPE_CHECKING:
    from rotation.config import RegimeConfig
    from rotation.diagnose import SignalHistory

SHADE_ALPHA = 0.25
TITLE = "{name}: capital-scarcity composite and regime"


def threshold_labels(regime: RegimeConfig) -> dict[float, str]:
    """level -> "scarce exit / abundant exit" (levels shared by two thresholds are merged);
    empty unless the regime is classified by thresholds."""
    if regime.method != "thresholds":
        return {}
    labels: dict[float, list[str]] = {}
    for label, level in [
        ("scarce enter", regime.scarce_enter),
        ("scarce exit", regime.scarce_exit),
        ("abundant exit", regime.abundant_exit),
        ("abundant enter", regime.abundant_enter),
    ]:
        labels.setdefault(level, []).append(label)
    return {level: " / ".join(names) for level, names in labels.items()}


def signal_chart_png(history: SignalHistory, path: Path) -> Path:
    """Write the chart of ``history`` as a PNG to ``path``; return ``path``. Names are drawn
    as written (``rotation.report.static.PLAIN_TEXT``: a ``$`` is not TeX)."""
    import matplotlib

    from rotation.report.static import PLAIN_TEXT

    with matplotlib.rc_context(PLAIN_TEXT):
        return _signal_chart_png(history, path)


def _signal_chart_png(history: SignalHistory, path: Path) -> Path:
    from matplotlib.figure import Figure  # no pyplot: no global figure state to clean up
    from matplotlib.patches import Patch

    from rotation.regime import spells

    s = history.signals
    fig = Figure(figsize=(13, 7))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for _, spell in spells(history.regime).iterrows():
        top.axvspan(
            spell["start"], spell["end"], color=REGIME_COLORS[spell["state"]], alpha=SHADE_ALPHA,
            lw=0,
        )  # fmt: skip
    top.plot(s.index, s["composite"], color="black", lw=0.8, label="composite")
    for level, label in threshold_labels(history.config.regime).items():
        top.axhline(level, ls="--", lw=0.6, color="grey")
        top.annotate(
            label, (s.index[-1], level), fontsize=7, color="dimgrey", va="bottom", ha="right"
        )
    handles = [Patch(color=c, alpha=0.4, label=state) for state, c in REGIME_COLORS.items()]
    top.legend(handles=[*top.get_legend_handles_labels()[0], *handles], loc="upper left", ncol=4)
    top.set_title(TITLE.format(name=history.config.name))
    top.set_ylabel("score (z units)")
    for column in [c for c in s.columns if c != "composite"]:
        bottom.plot(s.index, s[column], lw=0.7, label=column)
    bottom.axhline(0, lw=0.5, color="grey")
    bottom.legend(loc="upper left", ncol=4, fontsize=8)
    bottom.set_ylabel("components")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def signal_chart_html(history: SignalHistory, path: Path) -> Path:
    """Write the chart of ``history`` as a self-contained HTML page to ``path``; return it.

    The tearsheet's regime chart in the tearsheet's frame (``rotation.report.html``): the
    composite (bold) and its components, entry thresholds dashed, each regime spell shaded
    in its colour with the same legend, the view clipped to a robust range with a note naming
    what lies outside it.
    """
    from rotation.report import figures as fg
    from rotation.report import tables
    from rotation.report.html import (
        chart,
        outliers_html,
        page,
        page_body,
        page_header,
        regime_legend,
    )
    from rotation.report.style import ChartData

    config = history.config
    scores = history.signals.select_dtypes("number")
    regime = history.regime.reindex(scores.index)
    thresholds = (
        {"scarce_enter": config.regime.scarce_enter, "abundant_enter": config.regime.abundant_enter}
        if config.regime.method == "thresholds"
        else {}
    )
    view = tables.robust_range(scores, keep=tuple(thresholds.values()))
    data = ChartData()
    body = (
        chart(
            fg.regime_figure(scores, regime, thresholds, view),
            "chart-signals",
            static=False,
            caption="Composite score (bold) and its components, z-scores; dashed: entry thresholds",
            data=data,
        )
        + regime_legend()
        + outliers_html(tables.outside(scores, view), view)
    )
    title = TITLE.format(name=config.name)
    dates = f"{scores.index[0]:%Y-%m-%d} → {scores.index[-1]:%Y-%m-%d}" if len(scores) else ""
    html = page(
        title,
        page_header(title, (f"regime method {config.regime.method}", dates))
        + page_body([("regime", "Regime score", body)]),
        "rotation signals · built from this folder's signals.csv · opens offline",
        data=data,
    )
    path.write_text(html, encoding="utf-8")
    return path
