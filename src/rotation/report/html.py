"""Assemble the tearsheet: one self-contained HTML page from a run folder's frames.

plotly.js is embedded once, inline, in the page head (no CDN, no network: the page opens
offline). Every chart is a ``<div class="chart">`` with its figure as a JSON block beside it,
drawn by one inline script at the end of the page, plus a matplotlib PNG of the same figure
inside ``<noscript>`` as a base64 data URI, so the file alone still shows every chart where
JavaScript is off (only with ``static``: drawing them is most of a report's cost). Every
headline number is written with its exact value in ``data-value``
next to the rounded text, which is what the tests compare with metrics.json.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from rotation.attribution import CASH, RESIDUAL
from rotation.errors import RotationError
from rotation.metrics import COSTS, drawdown, metric, performance
from rotation.report import figures as fg
from rotation.report import tables
from rotation.report._run import Run
from rotation.report.style import (
    BENCHMARK_COLOR,
    CASH_COLOR,
    REGIME_COLORS,
    STRATEGY_COLOR,
    UNPACK,
    ChartData,
    plotly_tag,
)

SECTIONS = (
    ("metrics", "Headline metrics"),
    ("trailing", "Trailing returns"),
    ("equity", "Equity curve"),
    ("drawdown", "Drawdown"),
    ("weights", "Weights and exposure"),
    ("regime", "Regime score"),
    ("rolling", "Rolling 12-month risk"),
    ("returns", "Monthly and yearly returns"),
    ("distribution", "Distribution of returns"),
    ("regimes", "By regime"),
    ("attribution", "Contribution by sleeve and asset"),
    ("trading", "Turnover and costs over time"),
    ("trades", "Trades"),
    ("provenance", "Provenance"),
)
REGIME_ORDER = ("scarce", "neutral", "abundant")
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def pct(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x * 100:,.1f}%"


def num(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:,.2f}"


def money(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:,.0f}"


def whole(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{int(x):,}"


def weight(x: Any) -> str:
    return "–" if x is None or pd.isna(x) else f"{x * 100:.1f}%"


def plain(x: Any) -> str:
    return "–" if x is None else str(x)


UNIT_FORMATS: dict[str, Callable[[Any], str]] = {
    "pct": pct, "ratio": num, "count": whole, "money": money,
}  # fmt: skip


def _registered(name: str) -> tuple[str, str, Callable[[Any], str]]:
    """(label, key, formatter) of a metrics-registry entry: its label and its unit."""
    entry = metric(name)
    return entry.label[:1].upper() + entry.label[1:], name, UNIT_FORMATS[entry.unit]


HEADLINE: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    *map(_registered, ("total_return", "annual_return", "annual_volatility", "sharpe")),
    *map(_registered, ("sortino", "calmar", "max_drawdown")),
    ("Max drawdown peak", "max_drawdown_peak", plain),
    ("Max drawdown trough", "max_drawdown_trough", plain),
    *map(_registered, ("alpha", "beta", "annual_turnover", "initial_investment", "rebalances")),
    *map(_registered, COSTS),
    _registered("final_value"),
)
HEADLINE_SPLIT = 9  # rows of the left table
"""(label, key, formatter) of the headline table; keys are metrics.json's."""

TILES = tuple(map(_registered, ("total_return", "annual_return", "sharpe", "max_drawdown")))


def _e(value: Any) -> str:
    """``value`` as HTML text or attribute value: every value from a file, a config or a result
    reaches a page through here (or ``_td``), never raw."""
    return html.escape(str(value), quote=True)


def _td(text: Any, css_class: str = "") -> str:
    """A table cell holding ``text``, escaped, with an escaped class."""
    attribute = f' class="{_e(css_class)}"' if css_class else ""
    return f"<td{attribute}>{_e(text)}</td>"


def _raw(value: Any) -> str:
    """Exact machine-readable value for ``data-value`` (repr round-trips a float)."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _cell(value: Any, fmt: Callable[[Any], str], attr: str, key: str) -> str:
    exact = _e(_raw(value))
    return f'<td class="num" {attr}="{_e(key)}" data-value="{exact}">{_e(fmt(value))}</td>'


def _chip(color: str, label: str) -> str:
    return f'<span class="chip"><i style="background:{_e(color)}"></i>{_e(label)}</span>'


def regime_legend() -> str:
    colors = {s: REGIME_COLORS[s] for s in REGIME_ORDER}
    return legend(colors, "Shading: regime known at the close.")


def chart(
    fig: fg.Figure,
    chart_id: str,
    *,
    static: bool,
    caption: str,
    data: ChartData,
) -> str:
    """A chart block: caption, the plotly div and, with ``static``, a ``<noscript>`` PNG copy;
    the figure goes into ``data``, the page's ``ChartData`` (handed to ``page``)."""
    data.add(chart_id, fig)
    height = int(fig["layout"].get("height") or 340)
    fallback = ""
    if static:
        from rotation.report.static import figure_png  # matplotlib: only when asked for

        png = base64.b64encode(figure_png(fig)).decode("ascii")
        fallback = (
            f'<noscript><img class="static" alt="{_e(caption)}" '
            f'src="data:image/png;base64,{png}"></noscript>'
        )
    return (
        f'<div class="block"><h3>{_e(caption)}</h3>'
        f'<div class="chart" id="{chart_id}" style="--height:{height}px"></div>{fallback}'
        "</div>"
    )


# Draws every chart once plotly.js is there (``window.plotlyReady``, set by the inline
# loader) from the page's packed block (``style.ChartData``), the shared lists put back first;
# one chart failing is logged and the rest still draw; plotly.js or the data failing to load
# says so in every chart's place.
DRAW_CHARTS = (
    "<script>(window.plotlyReady || Promise.resolve()).then(function () {"
    "if (!document.getElementById('chart-data-gzip')) { return {shared: [], charts: {}}; }"
    " return window.rotationGunzip('chart-data-gzip').then(JSON.parse);"
    "}).then(function (found) {"
    "Object.keys(found.charts).forEach(function (id) {"
    "try { var f = found.charts[id];"
    "f.data.forEach(function (t) { if (t.x && t.x.shared !== undefined) {"
    " t.x = found.shared[t.x.shared]; } });"
    f" Plotly.newPlot(id, f.data, f.layout, {json.dumps(PLOTLY_CONFIG)}); }}"
    " catch (error) { console.error('chart ' + id + ': ' + error); }"
    "}); }).catch(function (error) {"
    "document.querySelectorAll('div.chart').forEach(function (el) {"
    " el.textContent = 'Chart not drawn: ' + error.message; });"
    " console.error(String(error)); });</script>"
)


def headline_table(
    metrics: Mapping[str, Any], bench: Mapping[str, Any], benchmark: str, measure: str
) -> str:
    """Two side-by-side tables (returns and risk | relative and trading), strategy vs benchmark,
    and a note saying how the benchmark is measured (``measure``) and against which rate."""
    head = f'<tr><th></th><th class="num">strategy</th><th class="num">{_e(benchmark)}</th></tr>'
    halves = []
    for part in (HEADLINE[:HEADLINE_SPLIT], HEADLINE[HEADLINE_SPLIT:]):
        rows = []
        for label, key, fmt in part:
            strategy = _cell(metrics.get(key), fmt, "data-metric", key)
            if key in bench:
                other = _cell(bench[key], fmt, "data-benchmark-metric", key)
            else:
                other = '<td class="num muted">–</td>'
            rows.append(f"<tr><th>{_e(label)}</th>{strategy}{other}</tr>")
        halves.append(
            f'<table class="metrics"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        )
    rate = metrics.get("risk_free") or {}
    return (
        f'<div class="two tables">{"".join(halves)}</div>'
        f'<p class="note">Benchmark: {_e(measure)}, from the same starting cash; alpha and '
        "beta are the strategy's against it, on the days both are invested. Sharpe, Sortino and "
        f"alpha are in excess of the risk-free rate: {_e(rate.get('description', '–'))}, "
        f"<span data-metric='risk_free.annual_mean'>{_e(pct(rate.get('annual_mean')))}</span> "
        "a year on average over the run. Turnover: one-way (half of bought plus sold value over "
        "the value before each rebalance) a year, after the initial investment, shown apart. "
        "Rebalance days: days with at least one fill. Exposure by sleeve: under Weights.</p>"
    )


def regime_html(table: pd.DataFrame) -> str:
    columns = (
        ("days", "days", whole),
        ("share_of_days", "share of days", pct),
        ("annual_return", "annual return", pct),
        ("benchmark_annual_return", "benchmark annual return", pct),
        ("annual_volatility", "volatility", pct),
        ("sharpe", "Sharpe", num),
        ("max_drawdown", "max drawdown", pct),
    )
    head = "".join(f'<th class="num">{_e(label)}</th>' for _, label, _ in columns)
    rows = []
    states = [s for s in REGIME_ORDER if s in table.index]
    states += [s for s in table.index if s not in states]
    for state in states:
        color = REGIME_COLORS.get(str(state), REGIME_COLORS["neutral"])
        cells = "".join(
            _cell(table.loc[state, key], fmt, "data-regime-metric", f"{state}.{key}")
            for key, _, fmt in columns
            if key in table.columns
        )
        rows.append(f"<tr><th>{_chip(color, str(state))}</th>{cells}</tr>")
    return (
        f'<table class="regimes"><thead><tr><th>regime</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p class="note">A day\'s return counts for the regime its positions were decided '
        "under: the one known at the close of the decision that set them, execution_lag + 1 "
        "closes before the day (the benchmark's days are counted the same way). Returns are "
        "annualized, Sharpe is over the risk-free rate, statistics compound the days of each "
        "regime as one series.</p>"
    )


def trades_html(trades: pd.DataFrame, colors: Mapping[str, str], slippage: float) -> str:
    rows = []
    for row in trades.itertuples(index=False):
        symbol = str(row.symbol)  # already text; pandas-stubs types a row field as any scalar
        side = str(row.side)
        rows.append(
            f"<tr>{_td(f'{row.date:%Y-%m-%d}')}"
            f"<td>{_chip(colors.get(symbol, CASH_COLOR), symbol)}</td>"
            + _td(side, side if side in ("buy", "sell") else "")
            + _td(weight(row.from_weight))
            + _td(weight(row.to_weight))
            + _td(money(row.value))
            + _td(num(row.fees))
            + _td(num(row.slippage))
            + _td(num(row.cost))
            + "</tr>"
        )
    days = trades["date"].nunique() if len(trades) else 0
    totals = (
        f'<tr><th colspan="5">total: {len(trades):,} fills on {days:,} days</th>'
        f'<td class="num">{money(trades["value"].sum())}</td>'
        f'<td class="num" data-total="fees" data-value="{_raw(float(trades["fees"].sum()))}">'
        f"{money(trades['fees'].sum())}</td>"
        f'<td class="num" data-total="slippage" '
        f'data-value="{_raw(float(trades["slippage"].sum()))}">'
        f"{money(trades['slippage'].sum())}</td>"
        f'<td class="num" data-total="cost" data-value="{_raw(float(trades["cost"].sum()))}">'
        f"{money(trades['cost'].sum())}</td></tr>"
    )
    head = (
        "<tr><th>date</th><th>asset</th><th>side</th><th class='num'>from weight</th>"
        "<th class='num'>to weight</th><th class='num'>traded value</th><th class='num'>fees</th>"
        "<th class='num'>slippage</th><th class='num'>cost</th></tr>"
    )
    return (
        f'<div class="scroll"><table class="trades"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody><tfoot>{totals}</tfoot></table></div>"
        f'<p class="note">From weight: held at the previous close; to weight: held at this close, '
        f"after the trade. Cost = fees + slippage, in the portfolio's currency; a fill's "
        f"slippage is |fill price &minus; close| &times; shares (the config's rate, "
        f"{slippage:.4%} of the price, against the trade). Fee and slippage drag / year: each "
        f"day's cost over the value at the previous close, summed, &times; 252 / days.</p>"
    )


RETURN_AND_RISK = (
    ("return_contribution", "contribution to return", pct),
    ("risk_contribution", "share of variance", pct),
)
ATTRIBUTION_NOTE = (
    "Contribution to return of an asset on a day: its weight held at the previous close times "
    "its return to this close; a sleeve's is the sum of its assets', cash adds 0; totals are "
    "arithmetic sums over the days. Costs and rounding: the portfolio's return less the sum of "
    "the contributions (fees, slippage, whole-share rounding on trading days), so the lines add "
    "up to the sum of the portfolio's daily returns. Share of variance: cov(contribution, "
    "portfolio return) / var(portfolio return) over the run's days (Euler decomposition; sums "
    "to 1). By regime and spell: each day counts for the regime its positions were decided "
    "under, as in the by-regime table."
)


def attribution_colors(attribution: Mapping[str, Any]) -> dict[str, str]:
    """``fg.sleeve_colors`` of the sleeves named in ``attribution["by_asset"]`` (the residual
    line has none: charts draw it grey)."""
    sleeves: dict[str, list[str]] = {}
    for row in attribution.get("by_asset") or []:
        if row.get("sleeve") != RESIDUAL:
            sleeves.setdefault(str(row.get("sleeve")), []).append(str(row.get("asset")))
    return fg.sleeve_colors(sleeves)


def records_table(
    records: Any,
    key: str,
    columns: tuple[tuple[str, str, Callable[[Any], str]], ...],
    attr: str,
    colors: Mapping[str, str] | None = None,
) -> str:
    """A table of ``records`` (a list of dicts, as ``Attribution.to_json`` or a thesis gives
    them): one row per record, headed by its ``key`` field (a coloured chip where ``colors``
    has one); each cell's exact value in ``data-value`` and ``attr`` = "<key>.<column>".
    Missing records or fields show "–"."""
    head = "".join(f'<th class="num">{_e(label)}</th>' for _, label, _ in columns)
    rows = []
    for n, record in enumerate(records if isinstance(records, list) else []):
        if not isinstance(record, Mapping):
            continue
        name = str(record.get(key, n + 1)) if key else str(n + 1)
        color = (colors or {}).get(name)
        label = _chip(color, name) if color else _e(name)
        cells = "".join(
            _cell(record.get(field), fmt, attr, f"{name}.{field}") for field, _, fmt in columns
        )
        rows.append(f"<tr><th>{label}</th>{cells}</tr>")
    if not rows:
        return '<p class="note">–</p>'
    return (
        f'<div class="scroll"><table class="{_e(attr)}"><thead><tr><th>{_e(key or "#")}</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def attribution_html(
    attribution: Mapping[str, Any], plot: Callable[[fg.Figure, str, str], str], *, detail: bool
) -> str:
    """Charts (cumulative contribution by sleeve, total by asset) and tables (by sleeve, by
    asset; with ``detail`` also by regime and by spell) of ``attribution`` (an
    ``Attribution.to_json()``)."""
    colors = attribution_colors(attribution)
    cumulative = attribution.get("cumulative") or {}
    series = {k: v for k, v in (cumulative.get("series") or {}).items() if k != CASH}
    charts = ""
    if series and cumulative.get("dates"):
        frame = pd.DataFrame(series, index=pd.to_datetime(cumulative["dates"]), dtype="float64")
        charts += plot(
            fg.contribution_figure(frame, colors),
            "chart-contribution-sleeve",
            "Cumulative contribution to return by sleeve (summed daily)",
        )
    assets = [r for r in attribution.get("by_asset") or [] if isinstance(r, Mapping)]
    if assets:
        totals = pd.Series(
            [r.get("return_contribution") for r in assets],
            index=[str(r.get("asset")) for r in assets],
            dtype="float64",
        )
        charts += plot(
            fg.contribution_bars(totals, colors),
            "chart-contribution-asset",
            "Total contribution to return by asset",
        )
    with_sleeve = (("sleeve", "sleeve", plain), *RETURN_AND_RISK)
    tables_html = (
        '<div class="two tables">'
        + records_table(
            attribution.get("by_sleeve"), "sleeve", RETURN_AND_RISK, "data-attribution-sleeve",
            colors,
        )
        + records_table(
            attribution.get("by_asset"), "asset", with_sleeve, "data-attribution-asset", colors
        )
        + "</div>"
    )  # fmt: skip
    if detail:
        sleeve_names = [
            str(r.get("sleeve")) for r in attribution.get("by_sleeve") or [] if isinstance(r, dict)
        ]
        summed = tuple((name, name, pct) for name in (*sleeve_names, "total"))
        tables_html += (
            "<h3>By regime (summed contribution to return)</h3>"
            + records_table(
                attribution.get("by_regime"), "regime", (("days", "days", whole), *summed),
                "data-attribution-regime", REGIME_COLORS,
            )
            + "<h3>By regime spell</h3>"
            + records_table(
                attribution.get("by_spell"), "", (
                    ("state", "state", plain), ("start", "start", plain), ("end", "end", plain),
                    ("days", "days", whole), *summed,
                ), "data-attribution-spell",
            )
        )  # fmt: skip
    total = attribution.get("total")
    return (
        f'<div class="two">{charts}</div>{tables_html}'
        f'<p class="note">Sum of the daily returns: <span data-attribution-total="total" '
        f'data-value="{_e(_raw(total))}">{_e(pct(total))}</span>. {_e(ATTRIBUTION_NOTE)}</p>'
    )


def provenance_html(run: Run, folder: Path | None = None) -> str:
    """The run's identity, versions and resolved config; ``folder``: the run folder as shown
    (default: where it was read)."""
    m = run.manifest
    versions = m.get("versions") or {}
    items = [
        ("run id", m.get("run_id")),
        ("created", m.get("created")),
        ("config file", m.get("config_file")),
        ("config hash", m.get("config_hash")),
        ("data source", m.get("data_source")),
        (
            "macro vintage",
            m.get("data_vintage", "latest (run written before vintages were recorded)"),
        ),
        ("data fingerprint", m.get("data_fingerprint")),
        ("strategy file", m.get("strategy_file")),
        ("strategy hash", m.get("strategy_hash")),
        ("code hash", m.get("code_hash")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("run folder", (folder or run.folder).resolve()),
    ]
    notes = m.get("notes") or []
    if notes:
        items.append(("notes", "; ".join(notes)))
    items.append(("report built with", f"plotly {_version('plotly')}"))
    rows = "".join(
        f'<tr><th>{_e(k)}</th><td class="mono" data-provenance="{_e(k)}">{_e(plain(v))}</td></tr>'
        for k, v in items
    )
    config = yaml.safe_dump(dict(run.config), sort_keys=False, allow_unicode=True)
    return (
        f'<table class="provenance"><tbody>{rows}</tbody></table>'
        f"<details open><summary>config.yaml (resolved, every default filled in)</summary>"
        f'<pre class="config">{_e(config)}</pre></details>'
    )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def page_header(title: str, parts: Sequence[Any], tiles: str = "") -> str:
    """The dark header of every page: ``title``, a subtitle of the non-empty ``parts`` (text,
    escaped here), and ``tiles`` (HTML, escaped by the caller)."""
    subtitle = " · ".join(_e(part) for part in parts if part)
    boxes = f'<div class="tiles">{tiles}</div>' if tiles else ""
    return f'<header><div class="title"><h1>{_e(title)}</h1><p>{subtitle}</p></div>{boxes}</header>'


def page_body(sections: Sequence[tuple[str, str, str]]) -> str:
    """The navigation bar and the ``<main>`` of a page: ``sections`` as (id, title, body
    HTML), each a card with its title."""
    links = "".join(f'<a href="#{_e(sid)}">{_e(title)}</a>' for sid, title, _ in sections)
    cards = "\n".join(
        f'<section id="{_e(sid)}"><h2>{_e(title)}</h2>{body}</section>'
        for sid, title, body in sections
    )
    return f"<nav>{links}</nav><main>{cards}</main>"


def legend(colors: Mapping[str, str], lead: str = "") -> str:
    """A row of coloured chips (name -> colour), after ``lead`` (text)."""
    chips = "".join(_chip(color, name) for name, color in colors.items())
    return f'<div class="legend">{_e(lead)} {chips}</div>'


def metrics_table(frame: pd.DataFrame, attr: str, colors: Mapping[str, str] | None = None) -> str:
    """rows (configs, variants, curves) x columns: each registry metric (``metrics.METRICS``)
    under its label and in its unit, other columns as they are; exact values in
    ``data-value``, ``attr`` = "<row>.<column>"; a row's chip in its colour (``colors``)."""
    columns = []
    for column in frame.columns:
        try:
            label, _, fmt = _registered(str(column))
        except KeyError:
            label, fmt = str(column).replace("_", " "), _plain_or_number
        columns.append((column, label, fmt))
    head = "".join(f'<th class="num">{_e(label)}</th>' for _, label, _ in columns)
    rows = []
    for name, row in frame.iterrows():
        color = (colors or {}).get(str(name))
        label = _chip(color, str(name)) if color else _e(name)
        cells = "".join(_cell(row[c], fmt, attr, f"{name}.{c}") for c, _, fmt in columns)
        rows.append(f"<tr><th>{label}</th>{cells}</tr>")
    return (
        f'<div class="wide"><table class="metrics"><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _plain_or_number(x: Any) -> str:
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.number):
        return plain(x)
    value = float(x)
    return whole(value) if value.is_integer() and abs(value) >= 1 else f"{value:,.4g}"


def _header(
    run: Run,
    metrics: Mapping[str, Any],
    bench: Mapping[str, Any],
    exposure: pd.Series,
    colors: Mapping[str, str],
) -> str:
    c = run.config
    strategy = (c.get("strategy") or {}).get("name", "")
    tiles = "".join(
        f'<div class="tile"><div class="label">{_e(label)}</div>'
        f'<div class="value" data-metric="{key}" data-value="{_e(_raw(metrics.get(key)))}">'
        f"{_e(fmt(metrics.get(key)))}</div>"
        f'<div class="sub">{_e(run.benchmark)} {_e(fmt(bench[key])) if key in bench else "–"}'
        "</div></div>"
        for label, key, fmt in TILES
    )
    bar = "".join(
        f'<i style="width:{share * 100:.2f}%;background:{colors.get(str(sleeve), CASH_COLOR)}" '
        f'title="{_e(sleeve)} {weight(share)}"></i>'
        for sleeve, share in exposure.items()
        if share > 0
    )
    shares = " · ".join(f"{_e(sleeve)} {weight(share)}" for sleeve, share in exposure.items())
    tiles += (
        '<div class="tile exposure"><div class="label">Average exposure</div>'
        f'<div class="bar">{bar}</div><div class="sub">{shares}</div></div>'
    )
    parts = (
        c.get("description"),
        f"strategy {strategy}",
        f"{metrics.get('start')} → {metrics.get('end')} ({whole(metrics.get('days'))} days)",
        f"benchmark {run.benchmark}",
        f"run {run.manifest.get('run_id', '')}",
    )
    return page_header(run.name, parts, tiles)


def build_html(
    run: Run,
    *,
    static: bool = False,
    plotly: str = "inline",
    folder: Path | None = None,
) -> str:
    """The full report page for ``run`` (a string of HTML; nothing is written, except the
    shared plotly.js file of ``plotly="shared"``: ``style.plotly_tag``).

    ``plotly``: how the page loads plotly.js (``style.PLOTLY_MODES``); ``folder``: the run
    folder's path as the provenance shows it (default: where it was read; ``rotation.runs``
    passes the final path while the folder is still being written under a temporary name).
    """
    returns, bench_returns = run.returns, run.benchmark_returns
    metrics = dict(run.metrics)
    bench = dict(performance(bench_returns, run.risk_free))
    bench["final_value"] = float(run.equity["benchmark"].iloc[-1])
    regime = run.regime
    sleeves = run.sleeves
    colors = fg.sleeve_colors(sleeves)
    slippage = float((run.config.get("costs") or {}).get("slippage", 0.0))
    thresholds = run.config.get("regime") or {}
    scores = run.signals.select_dtypes("number").reindex(run.equity.index)
    both = pd.DataFrame({"strategy": returns, "benchmark": bench_returns})
    rolling = {name: tables.rolling_stats(r, run.risk_free) for name, r in both.items()}
    exposure = tables.sleeve_exposure(run.weights, sleeves)
    data = ChartData()

    def plot(fig: fg.Figure, chart_id: str, caption: str) -> str:
        return chart(fig, chart_id, static=static, caption=caption, data=data)

    rolling_sharpe = pd.DataFrame({k: v["sharpe"] for k, v in rolling.items()})
    rolling_vol = pd.DataFrame({k: v["volatility"] for k, v in rolling.items()})
    beta = tables.rolling_beta(returns, bench_returns).to_frame("strategy")
    levels = tuple(
        float(thresholds[key]) for key in ("scarce_enter", "abundant_enter") if key in thresholds
    )
    view = tables.robust_range(scores, keep=levels)
    body = {
        "metrics": headline_table(metrics, bench, run.benchmark, run.benchmark_measure),
        "trailing": trailing_html(
            tables.trailing_returns(returns), tables.trailing_returns(bench_returns), run.benchmark
        ),
        "equity": plot(
            fg.equity_figure(run.equity, regime, benchmark=run.benchmark),
            "chart-equity",
            f"Portfolio value against {run.benchmark_measure} (same starting cash)",
        )
        + regime_legend(),
        "drawdown": plot(
            fg.drawdown_figure(both.apply(drawdown), benchmark=run.benchmark, regime=regime),
            "chart-drawdown",
            f"Fraction below the running peak; benchmark: {run.benchmark_measure}",
        )
        + regime_legend()
        + drawdowns_html(tables.drawdown_periods(returns)),
        "weights": exposure_html(exposure, colors)
        + plot(
            fg.weights_figure(tables.sleeve_weights(run.weights, sleeves), colors),
            "chart-weights-sleeve",
            "Held weight by sleeve (cash on top)",
        )
        + plot(fg.weights_figure(run.weights, colors), "chart-weights-asset", "By asset"),
        "regime": plot(
            fg.regime_figure(scores, regime, thresholds, view),
            "chart-regime",
            "Composite score (bold) and its components, z-scores; dashed: entry thresholds",
        )
        + regime_legend()
        + outliers_html(tables.outside(scores, view), view),
        "rolling": '<div class="two">'
        + plot(
            fg.rolling_figure(rolling_sharpe, yformat=".1f", zero_line=True, regime=regime),
            "chart-rolling-sharpe",
            f"Sharpe over the risk-free rate, trailing {tables.ROLLING_DAYS} days; benchmark: "
            f"{run.benchmark_measure}",
        )
        + plot(
            fg.rolling_figure(rolling_vol, yformat=".0%", regime=regime),
            "chart-rolling-vol",
            f"Volatility, trailing {tables.ROLLING_DAYS} days, annualized",
        )
        + "</div>"
        + plot(
            fg.rolling_figure(beta, yformat=".2f", zero_line=True, regime=regime, levels=(1.0,)),
            "chart-rolling-beta",
            f"Beta against {run.benchmark}, trailing {tables.ROLLING_DAYS} days (cov / var of "
            "the daily returns, as the headline beta; dashed: 1)",
        )
        + regime_legend(),
        "returns": plot(
            fg.monthly_heatmap(
                tables.monthly_table(returns), tables.periodic_returns(returns, "year")
            ),
            "chart-monthly",
            "Monthly returns of the strategy; Year: the calendar year compounded",
        )
        + plot(
            fg.yearly_figure(tables.yearly_table(returns, bench_returns)),
            "chart-yearly",
            f"Calendar-year returns against {run.benchmark_measure} (first and last years partial)",
        ),
        "distribution": plot(
            fg.histogram_figure(tables.histogram(both)),
            "chart-distribution",
            "Daily returns: share of days per bin, strategy and benchmark",
        )
        + distribution_html(
            tables.distribution(returns), tables.distribution(bench_returns), run.benchmark
        ),
        "regimes": regime_html(
            tables.regime_table(
                run.regime_table, bench_returns, regime, run.execution_lag, run.risk_free
            )
        ),
        "attribution": _run_attribution(run, plot),
        "trading": trading_html(
            tables.trading_by_year(
                run.orders, run.equity["value"], float(run.config.get("init_cash", 0.0))
            ),
            plot,
        ),
        "trades": trades_html(tables.trades(run.orders, run.weights), colors, slippage),
        "provenance": provenance_html(run, folder),
    }
    sections = [(sid, title, body[sid]) for sid, title in SECTIONS]
    return page(
        run.name,
        _header(run, metrics, bench, exposure, colors) + page_body(sections),
        plotly=plotly_tag(plotly, run.folder),
        data=data,
    )


TRAILING_NOTE = (
    "Each window ends on the run's last day: month to date and year to date from the first "
    "day of the month (year); 1Y, 3Y and 5Y hold the days after the same date 1, 3 or 5 years "
    "earlier, and show only when the run covers them. Annualized (3Y, 5Y and since inception "
    "when the run is longer than a year) as the headline annual return: compounded over the "
    "window's days, to the power 252 / days."
)


def trailing_html(strategy: pd.DataFrame, benchmark: pd.DataFrame, name: str) -> str:
    """windows x (strategy, benchmark): compounded and annualized return of each trailing
    window (``tables.trailing_returns``), exact values in ``data-trailing`` cells."""
    head = (
        "<tr><th>window</th><th>from</th><th class='num'>strategy</th>"
        f"<th class='num'>{_e(name)}</th><th class='num'>strategy, annualized</th>"
        f"<th class='num'>{_e(name)}, annualized</th></tr>"
    )
    rows = []
    for window in strategy.index:
        start = strategy.loc[window, "start"]
        cells = "".join(
            _cell(frame.loc[window, column], pct, "data-trailing", f"{who}.{window}.{column}")
            for column in ("return",)
            for who, frame in (("strategy", strategy), ("benchmark", benchmark))
        ) + "".join(
            _cell(frame.loc[window, column], pct, "data-trailing", f"{who}.{window}.{column}")
            for column in ("annualized",)
            for who, frame in (("strategy", strategy), ("benchmark", benchmark))
        )
        shown = "–" if pd.isna(start) else f"{start:%Y-%m-%d}"
        rows.append(f"<tr><th>{_e(window)}</th><td>{shown}</td>{cells}</tr>")
    return (
        f'<div class="wide"><table class="trailing"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="note">{_e(TRAILING_NOTE)}</p>'
    )


def drawdowns_html(periods: pd.DataFrame) -> str:
    """The worst drawdowns (``tables.drawdown_periods``), deepest first; an unrecovered one
    says so in its recovery cell."""
    head = (
        "<tr><th>#</th><th>peak</th><th>trough</th><th>recovery</th><th class='num'>depth</th>"
        "<th class='num'>days to trough</th><th class='num'>days under water</th></tr>"
    )
    rows = []
    for n, row in enumerate(periods.itertuples(index=False), start=1):
        recovery = (
            f"{row.recovery:%Y-%m-%d}"
            if row.recovered
            else '<span class="muted">not recovered</span>'
        )
        rows.append(
            f"<tr><th>{n}</th><td data-drawdown='{n}.peak'>{row.peak:%Y-%m-%d}</td>"
            f"<td data-drawdown='{n}.trough'>{row.trough:%Y-%m-%d}</td>"
            f"<td data-drawdown='{n}.recovery'>{recovery}</td>"
            + _cell(row.depth, pct, "data-drawdown", f"{n}.depth")
            + _cell(row.days_to_trough, whole, "data-drawdown", f"{n}.days_to_trough")
            + _cell(row.days, whole, "data-drawdown", f"{n}.days")
            + "</tr>"
        )
    if not rows:
        return '<p class="note">The strategy never fell below a running peak.</p>'
    return (
        f"<h3>Worst {len(rows)} drawdowns of the strategy</h3>"
        f'<div class="wide"><table class="drawdowns"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="note">Peak: the last close at the old high; trough: the deepest close; '
        "recovery: the first close back at the old high. Days are calendar days from the peak; "
        "an unrecovered drawdown counts to the run's last day. The deepest is the headline max "
        "drawdown.</p>"
    )


DISTRIBUTION_ROWS = (
    ("skew", "skew", num),
    ("excess_kurtosis", "excess kurtosis (normal = 0)", num),
    ("var", f"daily VaR {tables.VAR_LEVEL:.0%} (historical)", pct),
    ("cvar", f"daily CVaR {tables.VAR_LEVEL:.0%} (historical)", pct),
    ("best_day", "best day", pct),
    ("worst_day", "worst day", pct),
    ("best_month", "best month", pct),
    ("worst_month", "worst month", pct),
    ("win_days", "winning days", pct),
    ("win_months", "winning months", pct),
)


def distribution_html(
    strategy: Mapping[str, float], benchmark: Mapping[str, float], name: str
) -> str:
    """The statistics of ``tables.distribution``, strategy against benchmark."""
    rows = "".join(
        f"<tr><th>{_e(label)}</th>"
        + _cell(strategy.get(key), fmt, "data-distribution", f"strategy.{key}")
        + _cell(benchmark.get(key), fmt, "data-distribution", f"benchmark.{key}")
        + "</tr>"
        for key, label, fmt in DISTRIBUTION_ROWS
    )
    head = f"<tr><th></th><th class='num'>strategy</th><th class='num'>{_e(name)}</th></tr>"
    return (
        f'<div class="wide"><table class="distribution"><thead>{head}</thead>'
        f"<tbody>{rows}</tbody></table></div>"
        '<p class="note">Over every day of the run (the days before the first trade count as '
        "0). Skew and excess kurtosis: the bias-corrected sample estimates (as pandas and "
        "Excel). VaR: the 5th percentile of the daily returns; CVaR: the mean of the worst 5 % "
        "of the days (as empyrical's value_at_risk and conditional_value_at_risk). Months are "
        "calendar months compounded (first and last partial). Winning: share of the days "
        "(months) with a positive return among those with a non-zero one.</p>"
    )


def exposure_html(exposure: pd.Series, colors: Mapping[str, str]) -> str:
    """The average held weight of each sleeve and of cash (``tables.sleeve_exposure``)."""
    cells = "".join(
        f"<tr><th>{_chip(colors.get(str(sleeve), CASH_COLOR), str(sleeve))}</th>"
        + _cell(share, weight, "data-exposure", str(sleeve))
        + "</tr>"
        for sleeve, share in exposure.items()
    )
    return (
        '<div class="wide"><table class="exposure"><thead><tr><th>sleeve</th>'
        "<th class='num'>average weight</th></tr></thead>"
        f"<tbody>{cells}</tbody></table></div>"
        '<p class="note">Exposure: each sleeve\'s held weight at the close, averaged over the '
        "run's days (a defensive sleeve such as T-bills is shown as itself, not as "
        "being in the market); cash: what no asset holds.</p>"
    )


def outliers_html(outside: pd.DataFrame, view: tuple[float, float]) -> str:
    """The note under a clipped chart: which series leave the view, how often, how far."""
    if outside.empty:
        return ""
    items = "; ".join(
        f"{str(row.series).replace('_', ' ')}: {row.days:,} days, up to {row.value:+.1f} on "
        f"{row.date:%Y-%m-%d}"
        for row in outside.itertuples(index=False)
    )
    return (
        f'<p class="note" data-clipped="{len(outside)}">The view shows {view[0]:.1f} to '
        f"{view[1]:.1f} (the 1st to 99th percentile of the scores, the whole composite and "
        f"the thresholds) so spikes do not flatten the composite; outside it: {_e(items)}. "
        "Double-click the chart to see everything.</p>"
    )


TRADING_COLUMNS = (
    ("rebalances", "rebalance days", whole),
    ("turnover", "turnover (one-way)", pct),
    ("traded", "traded value", money),
    ("fees", "fees", money),
    ("slippage", "slippage", money),
    ("costs", "costs", money),
    ("cost_drag", "cost drag", pct),
)


def trading_html(by_year: pd.DataFrame, plot: Callable[[fg.Figure, str, str], str]) -> str:
    """Turnover and costs per calendar year (``tables.trading_by_year``): a chart and a table
    with a total row."""
    if by_year.empty:
        return '<p class="note">No trades.</p>'
    chart_html = (
        '<div class="two">'
        + plot(
            fg.period_bars(by_year[["turnover"]], {"turnover": STRATEGY_COLOR}, yformat=".0%"),
            "chart-turnover",
            "One-way turnover per calendar year (first and last years partial)",
        )
        + plot(
            fg.period_bars(
                by_year[["fees", "slippage"]],
                {"fees": STRATEGY_COLOR, "slippage": BENCHMARK_COLOR},
                yformat="~s",
            ),
            "chart-costs",
            "Fees and slippage per calendar year, in money",
        )
        + "</div>"
    )
    head = "".join(f'<th class="num">{_e(label)}</th>' for _, label, _ in TRADING_COLUMNS)
    rows = "".join(
        f"<tr><th>{year}</th>"
        + "".join(
            _cell(by_year.loc[year, key], fmt, "data-trading", f"{year}.{key}")
            for key, _, fmt in TRADING_COLUMNS
        )
        + "</tr>"
        for year in by_year.index
    )
    total = "".join(
        _cell(by_year[key].sum(), fmt, "data-trading", f"total.{key}")
        for key, _, fmt in TRADING_COLUMNS
    )
    return (
        chart_html + f'<div class="wide"><table class="trading"><thead><tr><th>year</th>{head}'
        f"</tr></thead><tbody>{rows}</tbody><tfoot><tr><th>total</th>{total}</tr></tfoot>"
        "</table></div>"
        '<p class="note">From orders.csv and equity.csv, as the headline numbers define them: '
        "turnover is half of each rebalance's traded value over the portfolio value before it, "
        "summed over the year, the initial investment left out; cost drag is each day's fees "
        "and slippage over the value at the previous close, summed over the year (not "
        "annualized).</p>"
    )


def _run_attribution(run: Run, plot: Callable[[fg.Figure, str, str], str]) -> str:
    try:
        attribution = run.attribution()
    except RotationError as exc:  # a Run without prices.csv, or without a held symbol's
        return f'<p class="note">{_e(exc)}</p>'
    return attribution_html(attribution.to_json(), plot, detail=False)


def page(
    title: str,
    content: str,
    footer: str = "rotation report · built from the run folder's files only",
    *,
    plotly: str | None = None,
    data: ChartData | None = None,
) -> str:
    """A whole page: the house CSS, plotly.js (``plotly``: a ``style.plotly_tag``; default
    inline, so the file alone opens offline), ``content`` (escaped by the caller), the
    charts' ``data`` (when a ``ChartData`` wrote them), the script that draws every chart, and
    ``footer`` (text).

    A script in the head marks the page ``js`` before it is laid out: only then do chart
    blocks reserve their height (with JavaScript off they take no room above the PNG copy).
    """
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)} · rotation report</title><style>{CSS}</style>"
        "<script>document.documentElement.className += ' js';</script>"
        f"{UNPACK}{plotly_tag('inline') if plotly is None else plotly}</head>\n"
        f"<body>{content}{data.script() if data else ''}{DRAW_CHARTS}"
        f"<footer>{_e(footer)}</footer></body></html>\n"
    )


CSS = """
:root { --text:#1f2933; --muted:#6b7580; --line:#e3e6ea; --bg:#f5f6f8; --navy:#14213d; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.45 -apple-system,
  'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif; }
header { background:var(--navy); color:#fff; padding:22px 32px 18px; display:flex;
  flex-wrap:wrap; gap:18px 40px; align-items:flex-end; justify-content:space-between; }
header h1 { margin:0 0 4px; font-size:24px; font-weight:600; letter-spacing:.2px; }
header p { margin:0; color:#c9d1dc; font-size:13px; }
.tiles { display:flex; gap:10px; flex-wrap:wrap; }
.tile { background:rgba(255,255,255,.08); border-radius:6px; padding:8px 14px; min-width:112px; }
.tile .label { font-size:11px; color:#aeb8c6; text-transform:uppercase; letter-spacing:.5px; }
.tile .value { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
.tile .sub { font-size:11px; color:#aeb8c6; font-variant-numeric:tabular-nums; }
nav { background:#fff; border-bottom:1px solid var(--line); padding:8px 32px; display:flex;
  flex-wrap:wrap; gap:4px 18px; font-size:13px; }
nav a { color:#3a5a8c; text-decoration:none; }
nav a:hover { text-decoration:underline; }
main { max-width:1240px; margin:0 auto; padding:18px 24px 8px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px 10px;
  margin-bottom:16px; min-width:0; overflow-x:auto; }
header h1, header p { overflow-wrap:anywhere; }
h2 { font-size:15px; font-weight:600; margin:0 0 8px; color:var(--navy);
  text-transform:uppercase; letter-spacing:.6px; }
.two { display:grid; grid-template-columns:minmax(0, 1fr) minmax(0, 1fr); gap:12px; }
@media (max-width: 900px) { .two { grid-template-columns:minmax(0, 1fr); } }
.chart { width:100%; }
.js .chart { min-height:var(--height); }
.wide { overflow-x:auto; max-width:100%; }
.tile.exposure { min-width:220px; }
.tile .bar { display:flex; height:10px; margin:8px 0 6px; border-radius:2px; overflow:hidden;
  background:rgba(255,255,255,.15); }
.tile .bar i { display:block; height:100%; }
@media (max-width: 640px) {
  header { padding:16px 14px 14px; } nav { padding:8px 14px; }
  main { padding:12px 8px 4px; } section { padding:10px 10px 8px; }
}
.block { margin-bottom:6px; min-width:0; }
h3 { font-size:13px; font-weight:500; color:var(--muted); margin:6px 0 0; }
.two.tables { align-items:start; gap:24px; }
.two.tables table { width:100%; }
img.static { width:100%; height:auto; }
table { border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:left;
  white-space:nowrap; }
thead th { font-size:12px; color:var(--muted); font-weight:600; border-bottom:1px solid #c9ced4; }
tbody th { font-weight:500; }
td.num, th.num { text-align:right; }
.muted { color:var(--muted); }
table.metrics tbody tr:nth-child(even),
table.trades tbody tr:nth-child(even) { background:#fafbfc; }
.note { color:var(--muted); font-size:12px; margin:8px 0 4px; max-width:980px; }
.legend { font-size:12px; color:var(--muted); margin:0 0 2px; }
.chip { display:inline-flex; align-items:center; gap:5px; margin-right:10px; }
.chip i { width:10px; height:10px; border-radius:2px; display:inline-block; }
.scroll { max-height:420px; overflow:auto; border:1px solid var(--line); border-radius:4px; }
table.trades { width:100%; font-size:13px; }
table.trades tbody td:nth-child(n+4) { text-align:right; }
table.trades thead th { position:sticky; top:0; background:#fff; }
table.trades tfoot th, table.trades tfoot td { position:sticky; bottom:0; background:#f0f2f5;
  font-weight:600; }
td.buy { color:#1a7f4b; } td.sell { color:#b2182b; }
table.provenance th { color:var(--muted); font-weight:500; width:150px; vertical-align:top; }
.mono, pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size:12px; }
td.mono { white-space:normal; word-break:break-all; }
details summary { cursor:pointer; color:var(--muted); font-size:12px; margin:10px 0 4px; }
pre.config { background:#f7f8fa; border:1px solid var(--line); border-radius:4px; padding:10px;
  max-height:360px; overflow:auto; margin:0; }
.verdict p { margin:0 0 6px; } .verdict p.lead { font-size:18px; font-weight:600;
  color:var(--navy); }
footer { text-align:center; color:var(--muted); font-size:12px; padding:6px 0 20px; }
"""
