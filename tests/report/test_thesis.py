"""The thesis page, on a SYNTHETIC thesis dict (``tests.helpers.synthetic_thesis``): every value
escaped and shown exactly in ``data-value``, missing keys as "–", the verdict first.
The browser checks are in test_browser.py."""

from __future__ import annotations

import pytest

from rotation.attribution import attribute
from rotation.report.html import CSS
from rotation.report.thesis import THESIS_SECTIONS, thesis_html
from tests.helpers import synthetic_thesis
from tests.report.test_html import Elements
from tests.test_attribution import engine_run  # noqa: F401  (a fixture)


@pytest.fixture(scope="module")
def attribution_json(engine_run):  # noqa: F811
    sim, returns, _, regime = engine_run
    sleeves = {"growth": ["A", "B"], "safe": ["C"]}
    return attribute(sim.weights, sim.close, returns, sleeves, regime, 1).to_json()


def _parse(html: str) -> Elements:
    parsed = Elements()
    parsed.feed(html)
    return parsed


def test_verdict_first_and_every_section_in_order(attribution_json):
    html = thesis_html(synthetic_thesis(attribution_json))
    parsed = _parse(html)
    sections = [a["id"] for tag, a in parsed.tags if tag == "section"]
    assert sections == [sid for sid, _ in THESIS_SECTIONS]
    lead = html.index('<p class="lead">')
    assert lead < html.index('id="spreads"')
    assert html[lead:].startswith('<p class="lead">SYNTHETIC: cash-flow assets beat')
    charts = {a["id"] for tag, a in parsed.tags if tag == "div" and a.get("class") == "chart"}
    assert charts == {"chart-contribution-sleeve", "chart-contribution-asset"}
    assert f"<style>{CSS}</style>" in html  # the tearsheet's style


def test_values_are_escaped_and_exact(attribution_json):
    thesis = synthetic_thesis(attribution_json)
    html = thesis_html(thesis)
    assert "synthetic &lt;thesis&gt; &amp; co" in html and "<thesis>" not in html
    parsed = _parse(html)
    spreads = {a["data-spread"]: a["data-value"] for a, _ in parsed.valued if "data-spread" in a}
    for n, row in enumerate(thesis["spreads"], start=1):
        for key, value in row.items():
            assert spreads[f"{n}.{key}"] == ("" if value is None else str(value))
    shown = {
        a["data-attribution-regime"]: float(a["data-value"])
        for a, _ in parsed.valued
        if "data-attribution-regime" in a
    }
    for row in attribution_json["by_regime"]:
        assert shown[f"{row['regime']}.total"] == row["total"]


def test_missing_keys_show_a_dash():
    thesis = synthetic_thesis()
    parsed = _parse(thesis_html(thesis))
    placebo = {a["data-placebo"]: text for a, text in parsed.valued if "data-placebo" in a}
    assert placebo["1.universe_p_value"] == "–" and placebo["1.regime_p_value"] == "0.031"
    periods = {a["data-sub-period"]: text for a, text in parsed.valued if "data-sub-period" in a}
    assert periods["2016.spread"] == "–"
    empty = thesis_html({})
    assert 'id="attribution"' in empty and "Thesis: –" in empty
    assert '<p class="lead">–</p>' in empty
