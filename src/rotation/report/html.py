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
from collections.abc import Callable, Mapping
from importlib import metadata
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
from rotation.report.style import CASH_COLOR, REGIME_COLORS, figure_json, plotly_js

SECTIONS = (
    ("metrics", "Headline metrics"),
    ("equity", "Equity curve"),
    ("drawdown", "Drawdown"),
    ("weights", "Weights over time"),
    ("regime", "Regime score"),
    ("rolling", "Rolling 12-month risk"),
    ("returns", "Monthly and yearly returns"),
    ("regimes", "By regime"),
    ("attribution", "Contribution by sleeve and asset"),
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
    ("Time in market", "time_in_market", pct),
    _registered("final_value"),
)
HEADLINE_SPLIT = 9  # rows of the left table
"""(label, key, formatter) of the headline table; keys are metrics.json's, plus
``time_in_market`` (share of days with any asset weight > 0, from weights.csv)."""

TILES = (
    *map(_registered, ("total_return", "annual_return", "sharpe", "max_drawdown")),
    ("Time in market", "time_in_market", pct),
)


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
    chips = "".join(_chip(REGIME_COLORS[s], s) for s in REGIME_ORDER)
    return f'<div class="legend">Shading: regime known at the close. {chips}</div>'


def chart(fig: fg.Figure, chart_id: str, *, static: bool, caption: str) -> str:
    """A chart block: caption, the plotly div, its drawing script and, with ``static``, a
    ``<noscript>`` PNG copy."""
    # as in a JSON script block anywhere: no <, > or & is left raw (\u003c... are the same JSON
    # string), so no text in a figure can end the block or start markup in it
    spec = figure_json(fig).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    height = int(fig["layout"].get("height") or 340)
    fallback = ""
    if static:
        from rotation.report.static import figure_png  # matplotlib: only when asked for

        data = base64.b64encode(figure_png(fig)).decode("ascii")
        fallback = (
            f'<noscript><img class="static" alt="{_e(caption)}" '
            f'src="data:image/png;base64,{data}"></noscript>'
        )
    return (
        f'<div class="block"><h3>{_e(caption)}</h3>'
        f'<div class="chart" id="{chart_id}" style="min-height:{height}px"></div>{fallback}'
        f'<script type="application/json" data-chart="{chart_id}">{spec}</script></div>'
    )


# Draws every chart from its JSON block; one chart failing is logged and the rest still draw.
DRAW_CHARTS = (
    "<script>document.querySelectorAll('script[data-chart]').forEach(function (block) {"
    "try { var f = JSON.parse(block.textContent);"
    f" Plotly.newPlot(block.dataset.chart, f.data, f.layout, {json.dumps(PLOTLY_CONFIG)}); }}"
    " catch (error) { console.error('chart ' + block.dataset.chart + ': ' + error); }"
    "});</script>"
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
        "Time in market: share of days with any asset weight above 0. Rebalance days: days "
        "with at least one fill.</p>"
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
            + _td(weight(row.from_weight), "num")
            + _td(weight(row.to_weight), "num")
            + _td(money(row.value), "num")
            + _td(num(row.fees), "num")
            + _td(num(row.slippage), "num")
            + _td(num(row.cost), "num")
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


def provenance_html(run: Run) -> str:
    m = run.manifest
    versions = m.get("versions") or {}
    items = [
        ("run id", m.get("run_id")),
        ("created", m.get("created")),
        ("config file", m.get("config_file")),
        ("config hash", m.get("config_hash")),
        ("data source", m.get("data_source")),
        ("data fingerprint", m.get("data_fingerprint")),
        ("strategy file", m.get("strategy_file")),
        ("strategy hash", m.get("strategy_hash")),
        ("code hash", m.get("code_hash")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("run folder", run.folder.resolve()),
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


def _section(section_id: str, body: str) -> str:
    title = dict(SECTIONS)[section_id]
    return f'<section id="{section_id}"><h2>{_e(title)}</h2>{body}</section>'


def _header(run: Run, metrics: Mapping[str, Any], bench: Mapping[str, Any]) -> str:
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
    subtitle = " · ".join(
        _e(part)
        for part in (
            c.get("description"),
            f"strategy {strategy}",
            f"{metrics.get('start')} → {metrics.get('end')} ({whole(metrics.get('days'))} days)",
            f"benchmark {run.benchmark}",
            f"run {run.manifest.get('run_id', '')}",
        )
        if part
    )
    return (
        f'<header><div class="title"><h1>{_e(run.name)}</h1><p>{subtitle}</p></div>'
        f'<div class="tiles">{tiles}</div></header>'
    )


def _nav() -> str:
    links = "".join(f'<a href="#{sid}">{_e(title)}</a>' for sid, title in SECTIONS)
    return f"<nav>{links}</nav>"


def build_html(run: Run, *, static: bool = False) -> str:
    """The full report page for ``run`` (a string of HTML; nothing is written)."""
    returns, bench_returns = run.returns, run.benchmark_returns
    metrics = dict(run.metrics)
    metrics["time_in_market"] = tables.time_in_market(run.weights)
    bench = dict(performance(bench_returns, run.risk_free))
    bench["time_in_market"] = 1.0
    bench["final_value"] = float(run.equity["benchmark"].iloc[-1])
    regime = run.regime
    sleeves = run.sleeves
    colors = fg.sleeve_colors(sleeves)
    slippage = float((run.config.get("costs") or {}).get("slippage", 0.0))
    thresholds = run.config.get("regime") or {}
    scores = run.signals.select_dtypes("number").reindex(run.equity.index)
    both = pd.DataFrame({"strategy": returns, "benchmark": bench_returns})
    rolling = {name: tables.rolling_stats(r, run.risk_free) for name, r in both.items()}

    def plot(fig: fg.Figure, chart_id: str, caption: str) -> str:
        return chart(fig, chart_id, static=static, caption=caption)

    rolling_sharpe = pd.DataFrame({k: v["sharpe"] for k, v in rolling.items()})
    rolling_vol = pd.DataFrame({k: v["volatility"] for k, v in rolling.items()})
    body = {
        "metrics": headline_table(metrics, bench, run.benchmark, run.benchmark_measure),
        "equity": plot(
            fg.equity_figure(run.equity, regime, benchmark=run.benchmark),
            "chart-equity",
            f"Portfolio value against {run.benchmark_measure} (same starting cash)",
        )
        + regime_legend(),
        "drawdown": plot(
            fg.drawdown_figure(both.apply(drawdown), benchmark=run.benchmark),
            "chart-drawdown",
            f"Fraction below the running peak; benchmark: {run.benchmark_measure}",
        ),
        "weights": plot(
            fg.weights_figure(tables.sleeve_weights(run.weights, sleeves), colors),
            "chart-weights-sleeve",
            "Held weight by sleeve (cash on top)",
        )
        + plot(fg.weights_figure(run.weights, colors), "chart-weights-asset", "By asset"),
        "regime": plot(
            fg.regime_figure(scores, regime, thresholds),
            "chart-regime",
            "Composite score (bold) and its components, z-scores; dashed: entry thresholds",
        )
        + regime_legend(),
        "rolling": '<div class="two">'
        + plot(
            fg.rolling_figure(rolling_sharpe, yformat=".1f", zero_line=True),
            "chart-rolling-sharpe",
            f"Sharpe over the risk-free rate, trailing {tables.ROLLING_DAYS} days; benchmark: "
            f"{run.benchmark_measure}",
        )
        + plot(
            fg.rolling_figure(rolling_vol, yformat=".0%"),
            "chart-rolling-vol",
            f"Volatility, trailing {tables.ROLLING_DAYS} days, annualized",
        )
        + "</div>",
        "returns": plot(
            fg.monthly_heatmap(tables.monthly_table(returns)),
            "chart-monthly",
            "Monthly returns of the strategy",
        )
        + plot(
            fg.yearly_figure(tables.yearly_table(returns, bench_returns)),
            "chart-yearly",
            f"Calendar-year returns against {run.benchmark_measure} (first and last years partial)",
        ),
        "regimes": regime_html(
            tables.regime_table(
                run.regime_table, bench_returns, regime, run.execution_lag, run.risk_free
            )
        ),
        "attribution": _run_attribution(run, plot),
        "trades": trades_html(tables.trades(run.orders, run.weights), colors, slippage),
        "provenance": provenance_html(run),
    }
    sections = "\n".join(_section(sid, body[sid]) for sid, _ in SECTIONS)
    return page(run.name, _header(run, metrics, bench) + _nav() + f"<main>{sections}</main>")


def _run_attribution(run: Run, plot: Callable[[fg.Figure, str, str], str]) -> str:
    try:
        attribution = run.attribution()
    except RotationError as exc:  # a Run without prices.csv, or without a held symbol's
        return f'<p class="note">{_e(exc)}</p>'
    return attribution_html(attribution.to_json(), plot, detail=False)


def page(
    title: str,
    content: str,
    footer: str = "rotation report · built from the run folder's files only · opens offline",
) -> str:
    """A whole self-contained page: the house CSS, plotly.js inline, ``content`` (escaped by
    the caller), the script that draws every chart block, and ``footer`` (text)."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)} · rotation report</title><style>{CSS}</style>"
        f"<script>{plotly_js()}</script></head>\n"
        f"<body>{content}{DRAW_CHARTS}<footer>{_e(footer)}</footer></body></html>\n"
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
  margin-bottom:16px; }
h2 { font-size:15px; font-weight:600; margin:0 0 8px; color:var(--navy);
  text-transform:uppercase; letter-spacing:.6px; }
.two { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
@media (max-width: 900px) { .two { grid-template-columns:1fr; } }
.chart { width:100%; }
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
