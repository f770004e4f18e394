"""The other pages (compare, signals chart, sweep heatmap, walk-forward) in the tearsheet's
frame: one header, legend, colour map and metrics table, built by the same functions; the
signals chart shades each regime spell."""

from __future__ import annotations

import pandas as pd
import pytest

from rotation.diagnose import signal_history
from rotation.regime import spells
from rotation.report import figures as fg
from rotation.report import html as page
from rotation.report.signals import signal_chart_html
from rotation.report.studies import compare_page, sweep_page
from rotation.report.style import REGIME_COLORS, unpack_chart_data
from rotation.validate import load_config
from tests.helpers import CONFIGS
from tests.report.conftest import Elements


def _frame_of(html: str) -> Elements:
    parsed = Elements()
    parsed.feed(html)
    return parsed


def _house_frame(html: str, *, chips: bool = True) -> None:
    """What every page shares with the tearsheet: its header, nav, cards, CSS, legend chips."""
    assert html.count('<header><div class="title"><h1>') == 1
    assert "<nav>" in html and "<main>" in html and '<section id="' in html
    assert page.CSS in html and ('class="legend"' in html) == chips
    assert 'id="plotly-gzip"' in html and 'id="chart-data-gzip"' in html


def test_compare_page_has_the_tearsheet_header_legend_and_metrics_table():
    """SYNTHETIC values and table: two configs over five days."""
    days = pd.bdate_range("2024-01-01", periods=5)
    values = {
        "alpha": pd.Series([100.0, 101, 99, 103, 104], index=days),
        "beta": pd.Series([100.0, 100, 100, 98, 99], index=days),
    }
    table = pd.DataFrame(
        {"sharpe": [1.2345678, -0.5], "max_drawdown": [-0.0198, -0.02]}, index=list(values)
    )
    html = compare_page(values, table)
    _house_frame(html)
    shown = {
        a["data-compare"]: (float(a["data-value"]), text)
        for a, text in _frame_of(html).valued
        if a.get("data-compare")
    }
    assert shown["alpha.sharpe"] == (1.2345678, "1.23")
    assert shown["beta.max_drawdown"][1] == "-2.0%"  # the registry's unit: a percentage
    colors = fg.series_colors(list(values))
    charts = unpack_chart_data(html)
    for chart in charts.values():
        assert {t["name"]: t["line"]["color"] for t in chart["data"]} == colors
    assert charts["chart-compare-drawdown"]["data"][1]["y"][3] == pytest.approx(-0.02)


def test_sweep_page_ranks_variants_by_the_registry_direction():
    """SYNTHETIC: a 2 x 2 grid; max drawdown is better when higher (less negative)."""
    table = pd.DataFrame(
        {"a": [1, 1, 2, 2], "b": [10, 20, 10, 20], "max_drawdown": [-0.3, -0.1, -0.2, -0.4]}
    )
    html = sweep_page(table, ["a", "b"], "max_drawdown", "grid")
    _house_frame(html, chips=False)  # a heatmap's legend is its colour bar
    rows = [a["data-variant"] for a, _ in _frame_of(html).valued if a.get("data-variant")]
    assert rows[0] == "a=1, b=20.max_drawdown" and rows[-1] == "a=2, b=20.max_drawdown"
    heatmap = unpack_chart_data(html)["chart-sweep"]["data"][0]
    assert heatmap["z"] == [[-0.3, -0.1], [-0.2, -0.4]]


@pytest.fixture(scope="module")
def signals_page(tmp_path_factory):
    history = signal_history(load_config(CONFIGS / "capital_scarcity.yaml"))
    path = signal_chart_html(history, tmp_path_factory.mktemp("signals") / "chart.html")
    return history, path.read_text(encoding="utf-8")


def test_signals_chart_shades_every_regime_spell_in_its_colour(signals_page):
    history, html = signals_page
    _house_frame(html)
    assert page.regime_legend() in html
    chart = unpack_chart_data(html)["chart-signals"]
    rects = [s for s in chart["layout"]["shapes"] if s["type"] == "rect"]
    runs = spells(history.regime)
    assert len(rects) == len(runs) > 3
    assert [r["fillcolor"] for r in rects] == [REGIME_COLORS[s] for s in runs["state"]]
    assert "range" in chart["layout"]["yaxis"]  # the composite's view, spikes clipped
