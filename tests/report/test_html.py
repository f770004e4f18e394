"""The HTML tearsheet: built from a run folder only, every section there, numbers = metrics.json.

The run is the shipped demo config ``capital_scarcity`` on the bundled snapshot, saved to a
temporary results folder. The browser checks are in test_report_browser.py.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import re

import empyrical
import numpy as np
import pandas as pd
import plotly.offline
import pytest
from click.testing import CliRunner

from rotation.attribution import CASH, RESIDUAL
from rotation.cli import main
from rotation.errors import RotationError
from rotation.metrics import COSTS, performance
from rotation.report import build_html, load_run, tables, write_report
from rotation.report import html as page
from rotation.report.figures import log_ticks
from rotation.report.style import unpack_chart_data
from tests.helpers import base_config, reseal
from tests.report.conftest import Elements

CHARTS = {
    "chart-equity", "chart-drawdown", "chart-weights-sleeve", "chart-weights-asset",
    "chart-regime", "chart-rolling-sharpe", "chart-rolling-vol", "chart-rolling-beta",
    "chart-monthly", "chart-yearly", "chart-distribution", "chart-contribution-sleeve",
    "chart-contribution-asset", "chart-turnover", "chart-costs",
}  # fmt: skip


def test_report_is_written_into_the_run_folder(demo_run):
    folder, html, _, _ = demo_run
    assert (folder / "report.html").is_file()
    assert html.startswith("<!DOCTYPE html>")
    assert not list(folder.glob(".*partial"))


def test_every_section_is_present_in_order(demo_run):
    _, _, parsed, _ = demo_run
    sections = [a["id"] for tag, a in parsed.tags if tag == "section"]
    assert sections == [sid for sid, _ in page.SECTIONS]
    charts = {a["id"] for tag, a in parsed.tags if tag == "div" and a.get("class") == "chart"}
    assert charts == CHARTS


def test_headline_numbers_equal_metrics_json(demo_run):
    folder, _, parsed, _ = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    formats = {key: fmt for _, key, fmt in page.HEADLINE}
    shown = [
        (a["data-metric"], a["data-value"], text)
        for a, text in parsed.valued
        if a.get("data-metric")
    ]
    keys = {key for key, _, _ in shown}
    assert keys == set(formats)  # the table and the header tiles, every headline row
    assert set(COSTS) <= keys  # fees, slippage, their total, and the three drags
    for key, raw, text in shown:
        expected = metrics[key]
        if isinstance(expected, float):
            assert float(raw) == expected, key  # exact: repr round-trips
        else:
            assert raw == str(expected), key
        assert text == formats[key](expected), key


def test_exposure_by_sleeve_replaces_time_in_market(demo_run):
    """Each sleeve's average held weight (the T-bill sleeve as itself, not as "invested"),
    from weights.csv and the config's sleeves; with cash they add up to 1."""
    folder, html, parsed, _ = demo_run
    weights = pd.read_csv(folder / "weights.csv", index_col="date")
    run = load_run(folder)
    shown = {a["data-exposure"]: float(a["data-value"]) for a, _ in parsed.valued
             if a.get("data-exposure")}  # fmt: skip
    assert set(shown) == {*run.sleeves, "cash"}
    assert "BIL" in run.sleeves["defensive"]
    for sleeve, symbols in run.sleeves.items():
        assert shown[sleeve] == pytest.approx(weights[symbols].sum(axis=1).mean(), rel=1e-12)
    assert sum(shown.values()) == pytest.approx(1.0, abs=1e-9)
    assert "Time in market" not in html and "time_in_market" not in html


def test_benchmark_column_is_buy_and_hold_from_the_metrics_module(demo_run):
    folder, _, parsed, result = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    bench = {
        a["data-benchmark-metric"]: a["data-value"]
        for a, _ in parsed.valued
        if a.get("data-benchmark-metric")
    }
    assert float(bench["total_return"]) == pytest.approx(
        metrics["benchmark_total_return"], rel=1e-12
    )
    in_memory = performance(result.benchmark_value.pct_change().fillna(0.0), result.risk_free)
    for key in ("annual_return", "annual_volatility", "sharpe", "max_drawdown"):
        assert float(bench[key]) == pytest.approx(in_memory[key], rel=1e-12), key
    assert "alpha" not in bench and "fees_paid" not in bench


def test_regime_table_equals_regime_csv(demo_run):
    folder, _, parsed, _ = demo_run
    table = pd.read_csv(folder / "regime.csv", index_col="regime")
    shown = {
        a["data-regime-metric"]: a["data-value"]
        for a, _ in parsed.valued
        if a.get("data-regime-metric")
    }
    assert set(table.index) <= {"scarce", "neutral", "abundant"}
    for state, row in table.iterrows():
        assert int(shown[f"{state}.days"]) == row["days"]
        for key in ("annual_return", "annual_volatility", "sharpe", "max_drawdown"):
            assert float(shown[f"{state}.{key}"]) == row[key], (state, key)
        assert shown[f"{state}.benchmark_annual_return"] != ""


def test_trades_costs_add_up_and_slippage_matches_the_fills(demo_run):
    folder, _, parsed, result = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    for column, key in (
        ("fees", "fees_paid"),
        ("slippage", "slippage_paid"),
        ("cost", "costs_paid"),
    ):
        total = next(a for a, _ in parsed.valued if a.get("data-total") == column)
        assert float(total["data-value"]) == pytest.approx(metrics[key], rel=1e-12), column
    run = load_run(folder)
    trades = tables.trades(run.orders, run.weights)
    assert len(trades) == metrics["orders"]
    # independent check: slippage paid = shares x |fill price - close the engine traded at|
    closes = result.prices.ffill()  # the engine fills a day without a print at the last close
    rows = closes.index.get_indexer(run.orders["date"])
    cols = closes.columns.get_indexer(run.orders["symbol"])
    close = closes.to_numpy()[rows, cols]
    paid = run.orders["shares"].to_numpy() * np.abs(run.orders["price"].to_numpy() - close)
    np.testing.assert_allclose(trades["slippage"].to_numpy(), paid, rtol=1e-9)
    np.testing.assert_allclose(trades["cost"], trades["fees"] + trades["slippage"], rtol=1e-12)


def test_trade_weights_are_held_before_and_after():
    dates = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"])
    weights = pd.DataFrame({"A": [0.0, 0.6, 0.5], "B": [0.0, 0.4, 0.5]}, index=dates)
    orders = pd.DataFrame(
        {
            "date": [dates[1], dates[2], dates[2]],
            "symbol": ["A", "A", "B"],
            "side": ["buy", "sell", "buy"],
            "shares": [6.0, 1.0, 1.0],
            "price": [10.0, 10.0, 10.0],
            "value": [60.0, 10.0, 10.0],
            "fees": [0.06, 0.01, 0.01],
            "slippage": [0.0, 0.0, 0.0],
        }
    )
    out = tables.trades(orders, weights)
    assert out["from_weight"].tolist() == [0.0, 0.6, 0.4]
    assert out["to_weight"].tolist() == [0.6, 0.5, 0.5]
    assert out["cost"].tolist() == [0.06, 0.01, 0.01]
    costly = tables.trades(orders.assign(slippage=[0.5, 0.25, 0.125]), weights)
    assert costly["cost"].tolist() == [0.56, 0.26, 0.135]


def test_monthly_and_yearly_returns_compound_daily_returns():
    days = pd.to_datetime(["2023-12-28", "2023-12-29", "2024-01-02", "2024-01-03", "2024-02-01"])
    returns = pd.Series([0.10, -0.10, 0.05, 0.05, -0.5], index=days)
    monthly = tables.monthly_table(returns)
    assert monthly.loc[2023, 12] == pytest.approx(1.1 * 0.9 - 1)
    assert monthly.loc[2024, 1] == pytest.approx(1.05**2 - 1)
    assert monthly.loc[2024, 2] == pytest.approx(-0.5)
    assert np.isnan(monthly.loc[2024, 3]) and np.isnan(monthly.loc[2023, 1])
    yearly = tables.yearly_table(returns, returns * 0)
    assert yearly.loc[2024, "strategy"] == pytest.approx(1.05**2 * 0.5 - 1)
    assert (yearly["benchmark"] == 0).all()


def test_rolling_sharpe_matches_empyrical_on_the_last_window(demo_run):
    _, _, _, result = demo_run
    returns = result.returns
    rolling = tables.rolling_stats(returns, result.risk_free)
    last = returns.iloc[-tables.ROLLING_DAYS :]
    rate = result.risk_free.iloc[-tables.ROLLING_DAYS :]
    assert rolling["sharpe"].iloc[-1] == pytest.approx(
        empyrical.sharpe_ratio(last, risk_free=rate), rel=1e-9
    )
    assert rolling["volatility"].iloc[-1] == pytest.approx(
        empyrical.annual_volatility(last), rel=1e-9
    )
    assert rolling["sharpe"].iloc[: tables.ROLLING_DAYS - 1].isna().all()


def test_regime_spans_cover_each_run_of_one_state():
    days = pd.bdate_range("2024-01-01", periods=6)
    regime = pd.Series([None, "scarce", "scarce", "neutral", "neutral", "abundant"], index=days)
    spans = tables.regime_spans(regime)
    assert [s for _, _, s in spans] == ["scarce", "neutral", "abundant"]
    assert spans[0][:2] == (days[1], days[3]) and spans[-1][:2] == (days[5], days[5])


def test_page_is_self_contained_with_plotly_inline_once(demo_run):
    _, html, parsed, _ = demo_run
    for tag, attributes in parsed.tags:
        assert not (tag == "script" and attributes.get("src")), attributes
        assert not (tag == "link" and attributes.get("href")), attributes
        for name in ("src", "href"):
            value = attributes.get(name)
            # only inline images and links within the page: nothing is fetched, no CDN
            assert value is None or value.startswith(("data:", "#")), (tag, value)
    assert not re.search(r"<script[^>]*\ssrc\s*=", html, re.I)
    packed = re.findall(r'<script type="application/octet-stream" id="plotly-gzip">([^<]*)<', html)
    assert len(packed) == 1  # plotly.js, once, exactly as the plotly package ships it
    assert gzip.decompress(base64.b64decode(packed[0])).decode() == plotly.offline.get_plotlyjs()
    assert len(html.encode()) < 2_500_000  # was 7.3 MB with plotly.js and float64 data as is


def _copy_run(folder, target):
    """The run folder's files, without its report, copied into ``target``."""
    target.mkdir(exist_ok=True)
    for path in folder.iterdir():
        if path.suffix != ".html":
            (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.fixture(scope="module")
def static_report(demo_run, tmp_path_factory):
    """The demo run's report with the PNG copies asked for: (html, parsed, folder)."""
    folder = _copy_run(demo_run[0], tmp_path_factory.mktemp("static") / demo_run[0].name)
    html = write_report(folder, static=True).read_text(encoding="utf-8")
    parsed = Elements()
    parsed.feed(html)
    return html, parsed, folder


def test_each_chart_has_data_and_a_png_fallback(static_report):
    html, parsed, _ = static_report
    images = [
        a["src"] for tag, a in parsed.tags if tag == "img" and "static" in (a.get("class") or "")
    ]
    assert len(images) == len(CHARTS)
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    specs = unpack_chart_data(html)
    assert set(specs) == CHARTS
    for figure in specs.values():
        assert figure["data"] and all(trace.get("y") or trace.get("z") for trace in figure["data"])
        for trace in figure["data"]:
            if trace["type"] == "scatter":
                assert len(trace["x"]) == len(trace["y"]) > 1


def test_static_images_are_opt_in(demo_run, static_report):
    folder, lean, _, _ = demo_run
    html, _, copy = static_report
    assert "<noscript>" not in lean and "<noscript>" in html
    assert len(lean) < len(html)
    without = re.sub(r"<noscript>.*?</noscript>", "", html, flags=re.S)
    without = without.replace(str(copy.resolve()), str(folder.resolve()))
    assert without == lean  # the same page, charts and numbers, without the PNG copies


def test_a_run_without_trades_still_gets_a_report(demo_run, tmp_path):
    folder, _, _, _ = demo_run
    _copy_run(folder, tmp_path)
    header = (folder / "orders.csv").read_text().splitlines()[0]
    (tmp_path / "orders.csv").write_text(header + "\n")
    reseal(tmp_path)
    html = write_report(tmp_path, static=False).read_text(encoding="utf-8")
    assert "total: 0 fills on 0 days" in html


def test_contributions_add_up_to_the_sum_of_daily_returns(demo_run):
    folder, _, _, result = demo_run
    attribution = load_run(folder).attribution()
    total = float(result.returns.sum())
    sleeves = attribution.by_sleeve["return_contribution"]
    assert {RESIDUAL, CASH} <= set(sleeves.index)
    assert sleeves.sum() == pytest.approx(total, rel=1e-12)
    assert attribution.by_asset["return_contribution"].sum() == pytest.approx(total, rel=1e-12)
    assert attribution.by_sleeve["risk_contribution"].sum() == pytest.approx(1.0)


def test_attribution_numbers_in_the_page_equal_to_json(demo_run):
    folder, _, parsed, _ = demo_run
    data = load_run(folder).attribution().to_json()
    shown, totals = {}, []
    for attributes, _ in parsed.valued:
        for name in ("data-attribution-sleeve", "data-attribution-asset"):
            if (attributes.get(name) or "").endswith("_contribution"):
                shown[(name, attributes[name])] = float(attributes["data-value"])
        if "data-attribution-total" in attributes:
            totals.append(float(attributes["data-value"]))
    assert totals == [data["total"]]
    expected = {
        (f"data-attribution-{kind}", f"{row[kind]}.{field}"): row[field]
        for kind in ("sleeve", "asset")
        for row in data[f"by_{kind}"]
        for field in ("return_contribution", "risk_contribution")
    }
    assert shown == expected


def test_a_run_without_prices_gets_a_report_that_names_the_file(demo_run, tmp_path):
    """A ``Run`` without closes (built by hand: a folder missing prices.csv is refused)."""
    folder, _, _, _ = demo_run
    run = dataclasses.replace(load_run(folder), prices=None)
    with pytest.raises(RotationError, match="prices.csv is missing"):
        run.attribution()
    html = build_html(run)
    assert "prices.csv is missing" in html and "chart-contribution-sleeve" not in html
    _copy_run(folder, tmp_path)
    (tmp_path / "prices.csv").unlink()
    with pytest.raises(RotationError, match="prices.csv is missing"):
        load_run(tmp_path)


def test_log_ticks_step_1_2_5():
    assert log_ticks(60_000, 4_200_000) == [
        50_000.0, 100_000.0, 200_000.0, 500_000.0, 1e6, 2e6, 5e6,
    ]  # fmt: skip


def test_cli_report_rewrites_an_old_run_and_names_a_missing_file(demo_run, tmp_path):
    folder, _, _, _ = demo_run
    runner = CliRunner()
    out = runner.invoke(main, ["report", str(folder)])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"report {folder / 'report.html'}"
    (tmp_path / "manifest.json").write_text("{}")
    out = runner.invoke(main, ["report", str(tmp_path)])
    assert out.exit_code == 1
    assert "records no checksums" in out.output and "run the backtest again" in out.output
    _copy_run(folder, tmp_path)
    (tmp_path / "equity.csv").unlink()
    out = runner.invoke(main, ["report", str(tmp_path)])
    assert out.exit_code == 1
    assert "equity.csv is missing" in out.output and str(tmp_path) in out.output


def test_backtest_writes_the_report_and_prints_its_path(write_config, tmp_path):
    config = write_config(base_config(start="2023-01-03", end="2024-06-28"), name="short")
    out = CliRunner().invoke(main, ["backtest", str(config), "--results", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    report = next((tmp_path / "r").glob("*/report.html"))
    last = out.output.splitlines()[-1]
    assert last.startswith("report") and last.endswith(str(report))
    assert "<noscript>" not in report.read_text(encoding="utf-8")  # PNG copies are opt-in
    quiet = CliRunner().invoke(
        main, ["backtest", str(config), "--results", str(tmp_path / "q"), "-q", "--static"]
    )
    assert quiet.exit_code == 0
    assert quiet.output.strip() == str(next((tmp_path / "q").iterdir()))
    assert "<noscript>" in next((tmp_path / "q").glob("*/report.html")).read_text(encoding="utf-8")


def test_cli_report_static_copies_on_request(demo_run, tmp_path):
    folder = _copy_run(demo_run[0], tmp_path / "run")
    for flags, expected in (([], False), (["--static"], True), (["--no-static"], False)):
        out = CliRunner().invoke(main, ["report", str(folder), *flags])
        assert out.exit_code == 0, out.output
        assert ("<noscript>" in (folder / "report.html").read_text(encoding="utf-8")) == expected


def test_provenance_says_a_bundled_run_reads_the_latest_vintage(demo_run):
    folder, html, _, _ = demo_run
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["data_vintage"].startswith("latest: FRED series as revised")
    assert "macro vintage" in html and manifest["data_vintage"] in html
