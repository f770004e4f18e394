"""The thesis page: one self-contained HTML page of a thesis test's results.

``thesis_html`` renders the dict ``rotation thesis`` produces (shape below) in the tearsheet's
style (``rotation.report.html``: same CSS, header, tables with exact ``data-value`` cells, charts
drawn by plotly.js inline, no network). Every key may be missing: its place shows "–". Every
value is escaped.

    {"config": str, "run_id": str, "verdict": [str, ...],
     "spreads": [{"pair", "state", "horizon_days", "mean", "median", "ci_low", "ci_high",
                  "hac_t", "spells", "days"}, ...],
     "placebo": {"regime_p_value", "strategy_sharpe_p_value", "universe_p_value", "draws"},
     "leave_one_spell_out": [{"spell_start", "spell_end", "state", "spread"}, ...],
     "sub_periods": [{"period", "spread", "sharpe"}, ...],
     "attribution": Attribution.to_json()}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rotation.report import figures as fg
from rotation.report.html import (
    _e,
    attribution_html,
    chart,
    num,
    page,
    page_body,
    page_header,
    pct,
    plain,
    records_table,
    whole,
)
from rotation.report.style import ChartData

__all__ = ["THESIS_SECTIONS", "thesis_html"]

THESIS_SECTIONS = (
    ("verdict", "Verdict"),
    ("spreads", "Spreads by regime"),
    ("placebo", "Placebo tests"),
    ("leave-one-out", "Leave one spell out"),
    ("sub-periods", "Sub-periods"),
    ("attribution", "Attribution"),
)


def _tolerant(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    """``fmt``, or the value as text when it is not a number (a thesis is not validated)."""

    def shown(value: Any) -> str:
        try:
            return fmt(value)
        except (TypeError, ValueError):
            return plain(value)

    return shown


PCT, NUM, WHOLE, TEXT = map(_tolerant, (pct, num, whole, plain))
P_VALUE = _tolerant(lambda x: "–" if x is None else f"{float(x):.3f}")

SPREAD_COLUMNS = (
    ("pair", "pair", TEXT), ("state", "state", TEXT), ("horizon_days", "horizon (days)", WHOLE),
    ("mean", "mean", PCT), ("median", "median", PCT), ("ci_low", "CI low", PCT),
    ("ci_high", "CI high", PCT), ("hac_t", "HAC t", NUM), ("spells", "spells", WHOLE),
    ("days", "days", WHOLE),
)  # fmt: skip
PLACEBO_COLUMNS = (
    ("regime_p_value", "regime p-value", P_VALUE),
    ("strategy_sharpe_p_value", "strategy Sharpe p-value", P_VALUE),
    ("universe_p_value", "universe p-value", P_VALUE),
    ("draws", "draws", WHOLE),
)
SPELL_COLUMNS = (
    ("spell_start", "spell start", TEXT), ("spell_end", "spell end", TEXT),
    ("state", "state", TEXT), ("spread", "spread without it", PCT),
)  # fmt: skip
PERIOD_COLUMNS = (("spread", "spread", PCT), ("sharpe", "Sharpe", NUM))


def _verdict(verdict: Any) -> str:
    lines = [str(v) for v in verdict] if isinstance(verdict, list) else []
    if isinstance(verdict, str):
        lines = [verdict]
    if not lines:
        return '<div class="verdict"><p class="lead">–</p></div>'
    rest = "".join(f"<p>{_e(line)}</p>" for line in lines[1:])
    return f'<div class="verdict"><p class="lead">{_e(lines[0])}</p>{rest}</div>'


def thesis_html(thesis: Mapping[str, Any]) -> str:
    """The thesis page of ``thesis`` (shape in the module docstring), a string of HTML."""

    data = ChartData()

    def plot(fig: fg.Figure, chart_id: str, caption: str) -> str:
        return chart(fig, chart_id, static=False, caption=caption, data=data)

    placebo = thesis.get("placebo")
    attribution = thesis.get("attribution")
    body = {
        "verdict": _verdict(thesis.get("verdict")),
        "spreads": records_table(thesis.get("spreads"), "", SPREAD_COLUMNS, "data-spread"),
        "placebo": records_table(
            [placebo] if isinstance(placebo, Mapping) else None,
            "",
            PLACEBO_COLUMNS,
            "data-placebo",
        ),
        "leave-one-out": records_table(
            thesis.get("leave_one_spell_out"), "", SPELL_COLUMNS, "data-leave-one-out"
        ),
        "sub-periods": records_table(
            thesis.get("sub_periods"), "period", PERIOD_COLUMNS, "data-sub-period"
        ),
        "attribution": attribution_html(attribution, plot, detail=True)
        if isinstance(attribution, Mapping)
        else '<p class="note">–</p>',
    }
    config, run_id = TEXT(thesis.get("config")), TEXT(thesis.get("run_id"))
    header = page_header(f"Thesis: {config}", (f"config {config}", f"run {run_id}"))
    return page(
        f"Thesis: {config}",
        header + page_body([(sid, title, body[sid]) for sid, title in THESIS_SECTIONS]),
        "rotation thesis · built from the thesis results only · opens offline",
        data=data,
    )
