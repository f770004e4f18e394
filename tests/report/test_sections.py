"""The tearsheet's quantstats/pyfolio sections (issue 18): each number from the run's files,
checked against metrics.json where they overlap and against empyrical / scipy otherwise; the
page's size and how it loads plotly.js; the provenance's final path.

Hand-made series here are SYNTHETIC (labelled in each test); the run is the shipped demo
config on the bundled snapshot.
"""

from __future__ import annotations

import base64
import hashlib
import json

import empyrical
import numpy as np
import pandas as pd
import plotly.offline
import pytest
import scipy.stats
from click.testing import CliRunner

from rotation.cli import main
from rotation.metrics import PERIODS_PER_YEAR, performance
from rotation.report import html as page
from rotation.report import load_run, tables, write_report
from rotation.report.figures import YEAR_COLUMN
from rotation.report.style import unpack_chart_data
from rotation.runs import save


def _valued(parsed, attr):
    return {a[attr]: a["data-value"] for a, _ in parsed.valued if a.get(attr)}


def test_worst_drawdowns_start_at_the_headline_max_drawdown(demo_run):
    folder, _, parsed, _ = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    shown = _valued(parsed, "data-drawdown")
    assert float(shown["1.depth"]) == pytest.approx(metrics["max_drawdown"], rel=1e-12)
    html = demo_run[1]
    assert f"<td data-drawdown='1.peak'>{metrics['max_drawdown_peak']}</td>" in html
    assert f"<td data-drawdown='1.trough'>{metrics['max_drawdown_trough']}</td>" in html
    depths = [float(shown[f"{n}.depth"]) for n in range(1, 6)]
    assert depths == sorted(depths) and len(shown) == 15  # five rows, deepest first


def test_drawdown_periods_on_a_hand_made_curve():
    """SYNTHETIC: up, a 20 % fall recovered in two days, a 10 % fall never recovered."""
    days = pd.date_range("2024-01-01", periods=8, freq="D")
    returns = pd.Series([0.0, 0.1, -0.2, 0.1, 0.15, 0.0, -0.1, 0.01], index=days)
    periods = tables.drawdown_periods(returns)
    assert list(periods["depth"]) == pytest.approx([-0.2, -0.1])
    first, second = periods.iloc[0], periods.iloc[1]
    assert (first["peak"], first["trough"], first["recovery"]) == (days[1], days[2], days[4])
    assert first["days"] == 3 and first["days_to_trough"] == 1 and first["recovered"]
    assert second["peak"] == days[5] and second["trough"] == days[6]
    assert pd.isna(second["recovery"]) and not second["recovered"] and second["days"] == 2
    assert tables.drawdown_periods(pd.Series([0.0, 0.01], index=days[:2])).empty


def test_unrecovered_drawdown_is_shown_as_such():
    html = page.drawdowns_html(
        tables.drawdown_periods(
            pd.Series([0.0, -0.1], index=pd.date_range("2024-01-01", "2024-01-02"))
        )
    )
    assert "not recovered" in html


def test_trailing_returns_since_inception_equal_metrics_json(demo_run):
    folder, _, parsed, _ = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    run = load_run(folder)
    bench = performance(run.benchmark_returns, run.risk_free)
    shown = _valued(parsed, "data-trailing")
    since = "since inception"
    assert float(shown[f"strategy.{since}.return"]) == pytest.approx(
        metrics["total_return"], rel=1e-9
    )
    assert float(shown[f"strategy.{since}.annualized"]) == pytest.approx(
        metrics["annual_return"], rel=1e-9
    )
    assert float(shown[f"benchmark.{since}.return"]) == pytest.approx(
        bench["total_return"], rel=1e-9
    )
    assert shown["strategy.1Y.annualized"] == ""  # a year or less is not annualized


def test_trailing_windows_on_a_hand_made_series():
    """SYNTHETIC: 1 % every calendar day for 14 months."""
    days = pd.date_range("2023-05-01", "2024-06-30", freq="D")
    returns = pd.Series(0.01, index=days)
    trailing = tables.trailing_returns(returns)
    assert trailing.loc["MTD", "return"] == pytest.approx(1.01**30 - 1)
    assert trailing.loc["YTD", "return"] == pytest.approx(1.01**182 - 1)  # 2024 is a leap year
    assert trailing.loc["1Y", "start"] == pd.Timestamp("2023-07-01")
    assert trailing.loc["1Y", "return"] == pytest.approx(1.01**366 - 1)
    assert np.isnan(trailing.loc["3Y", "return"])  # longer than the run: no partial figure
    n = len(days)
    assert trailing.loc["since inception", "annualized"] == pytest.approx(
        1.01**PERIODS_PER_YEAR - 1, rel=1e-12
    )
    assert trailing.loc["since inception", "return"] == pytest.approx(1.01**n - 1)


def test_distribution_matches_empyrical_and_scipy(demo_run):
    folder, _, parsed, _ = demo_run
    run = load_run(folder)
    r = run.returns
    stats = tables.distribution(r)
    assert stats["var"] == pytest.approx(empyrical.value_at_risk(r, 0.05), rel=1e-12)
    assert stats["cvar"] == pytest.approx(empyrical.conditional_value_at_risk(r, 0.05), rel=1e-12)
    assert stats["skew"] == pytest.approx(scipy.stats.skew(r, bias=False), rel=1e-9)
    assert stats["excess_kurtosis"] == pytest.approx(
        scipy.stats.kurtosis(r, fisher=True, bias=False), rel=1e-9
    )
    months = (1 + r).groupby([r.index.year, r.index.month]).prod() - 1
    assert stats["best_month"] == pytest.approx(months.max()) and stats["worst_day"] == r.min()
    assert stats["win_days"] == pytest.approx((r > 0).sum() / (r != 0).sum())
    shown = _valued(parsed, "data-distribution")
    assert float(shown["strategy.cvar"]) == stats["cvar"]
    assert float(shown["benchmark.var"]) == tables.distribution(run.benchmark_returns)["var"]


def test_rolling_beta_matches_empyrical_on_the_last_window(demo_run):
    folder, html, _, _ = demo_run
    run = load_run(folder)
    beta = tables.rolling_beta(run.returns, run.benchmark_returns)
    last = slice(-tables.ROLLING_DAYS, None)
    expected = empyrical.beta(run.returns.iloc[last], run.benchmark_returns.iloc[last])
    assert beta.iloc[-1] == pytest.approx(expected, rel=1e-9)
    assert beta.iloc[: tables.ROLLING_DAYS - 1].isna().all()
    chart = unpack_chart_data(html)["chart-rolling-beta"]
    assert chart["data"][-1]["y"][-1] == pytest.approx(expected, rel=1e-3)  # 4 digits shown


def test_monthly_heatmap_has_a_year_total_column(demo_run):
    folder, html, _, _ = demo_run
    run = load_run(folder)
    heatmap = unpack_chart_data(html)["chart-monthly"]["data"][0]
    assert heatmap["x"][-1] == YEAR_COLUMN and len(heatmap["x"]) == 13
    yearly = tables.yearly_table(run.returns, run.benchmark_returns)["strategy"]
    shown = [row[-1] for row in heatmap["z"]]
    assert shown == pytest.approx(list(yearly), rel=1e-3)


def test_turnover_and_costs_by_year_add_up_to_metrics_json(demo_run):
    folder, _, parsed, _ = demo_run
    metrics = json.loads((folder / "metrics.json").read_text())
    run = load_run(folder)
    by_year = tables.trading_by_year(run.orders, run.equity["value"], run.config["init_cash"])
    years = metrics["days"] / PERIODS_PER_YEAR
    assert by_year["turnover"].sum() / years == pytest.approx(metrics["annual_turnover"], rel=1e-9)
    assert by_year["costs"].sum() == pytest.approx(metrics["costs_paid"], rel=1e-9)
    assert by_year["cost_drag"].sum() / years == pytest.approx(metrics["cost_drag"], rel=1e-9)
    assert by_year["rebalances"].sum() == metrics["rebalances"]
    shown = _valued(parsed, "data-trading")
    assert float(shown["total.costs"]) == pytest.approx(metrics["costs_paid"], rel=1e-12)


def test_regime_view_is_clipped_with_a_note_naming_the_spikes(demo_run):
    _, html, parsed, result = demo_run
    scores = result.signals.select_dtypes("number")
    chart = unpack_chart_data(html)["chart-regime"]
    low, high = chart["layout"]["yaxis"]["range"]
    assert low <= scores["composite"].min() and high >= scores["composite"].max()
    assert low <= -0.5 and high >= 0.5  # the entry thresholds are in view
    assert scores.max().max() > high  # a spike (a component far above) is clipped...
    notes = [a for tag, a in parsed.tags if a.get("data-clipped")]
    assert notes and int(notes[0]["data-clipped"]) >= 1  # ...and the note says so
    spike = scores.drop(columns="composite").max().idxmax()
    assert spike.replace("_", " ") in html.split("outside it:")[1][:400]


def test_drawdown_and_rolling_charts_are_shaded_by_regime(demo_run):
    charts = unpack_chart_data(demo_run[1])
    for chart_id in ("chart-drawdown", "chart-rolling-sharpe", "chart-rolling-beta"):
        rects = [s for s in charts[chart_id]["layout"].get("shapes", []) if s["type"] == "rect"]
        assert len(rects) > 3, chart_id


def test_provenance_shows_the_published_folder_not_the_staging_one(demo_run, tmp_path):
    result = demo_run[3]
    folder = save(result, tmp_path, finish=write_report)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert ".incomplete-" not in html
    assert f'data-provenance="run folder">{folder.resolve()}<' in html


def test_plotly_shared_writes_one_file_in_the_results_folder(demo_run, tmp_path):
    source = demo_run[0]
    runs = []
    for name in ("a", "b"):
        runs.append(tmp_path / name)
        runs[-1].mkdir()
        for path in source.iterdir():
            if path.suffix != ".html":
                (runs[-1] / path.name).write_bytes(path.read_bytes())
    out = CliRunner().invoke(main, ["report", "--plotly", "shared", *map(str, runs)])
    assert out.exit_code == 0, out.output
    version = plotly.offline.get_plotlyjs_version()
    shared = tmp_path / f"plotly-{version}.min.js"
    assert shared.read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    for run in runs:
        html = (run / "report.html").read_text(encoding="utf-8")
        assert f'src="../plotly-{version}.min.js"' in html and "plotly-gzip" not in html
        assert len(html.encode()) < 1_000_000


def test_plotly_cdn_is_pinned_with_an_integrity_hash(demo_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for path in demo_run[0].iterdir():
        if path.suffix != ".html":
            (run / path.name).write_bytes(path.read_bytes())
    html = write_report(run, plotly="cdn").read_text(encoding="utf-8")
    digest = hashlib.sha384(plotly.offline.get_plotlyjs().encode()).digest()
    version = plotly.offline.get_plotlyjs_version()
    assert (
        f'src="https://cdn.plot.ly/plotly-{version}.min.js" '
        f'integrity="sha384-{base64.b64encode(digest).decode()}" crossorigin="anonymous"'
    ) in html
    assert not list(tmp_path.glob("plotly-*.js"))
    bad = CliRunner().invoke(main, ["report", "--plotly", "web", str(run)])
    assert bad.exit_code == 2 and "'web' is not one of" in bad.output


def test_provenance_follows_a_suffixed_folder_when_the_name_was_taken(
    demo_run, tmp_path, monkeypatch
):
    """Another run took the folder's name meanwhile: the run is published as <name>-2 and its
    report is written again, naming that folder."""
    import datetime as dt
    from types import SimpleNamespace

    import rotation.runs

    moment = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    clock = SimpleNamespace(now=lambda tz=None: moment)
    # rotation.runs's own view of the datetime module only (pandas keeps the real one)
    monkeypatch.setattr(rotation.runs, "dt", SimpleNamespace(datetime=clock, UTC=dt.UTC))
    result = demo_run[3]
    name = f"{result.config.name}-{moment:%Y%m%dT%H%M%S}-{result.identity.run_id}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "other-run.txt").write_text("taken")
    folder = save(result, tmp_path, finish=write_report)
    assert folder.name == f"{name}-2"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert f'data-provenance="run folder">{folder.resolve()}<' in html
