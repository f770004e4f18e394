"""Hardening, round 2 (issue 20): hostile inputs that crashed or misled, each with its siblings.

Every CLI case asserts the same contract: exit status 1 or 2 (or 0 when the input is valid and
the output says what happened), one plain message, never a traceback and never the CLI's
last-resort "internal error" handler, which only bugs may reach.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from rotation.cli import main
from rotation.config import parse_config
from rotation.errors import ConfigError
from rotation.validate import check_currencies, load_config
from tests.helpers import STRATEGIES, base_config

SHORT = {"start": "2020-01-01", "end": "2021-06-30"}
SMALL = {
    **SHORT,
    "universe": {"risky": ["MU"], "defensive": ["BIL"]},
    "strategy": "equal_weight",
    "benchmark": "SPY",
}


def run_cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def assert_refused(result, *expected: str, status: tuple[int, ...] = (1, 2)) -> str:
    """A hostile case: a handled error (no traceback, not the last-resort handler) naming
    what ``expected`` lists."""
    output = result.output
    assert result.exit_code in status, output
    assert "internal error" not in output and "Traceback" not in output, output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    for text in expected:
        assert text in output, output
    return output


# --- the last-resort handler ------------------------------------------------------------------


def _broken_command(monkeypatch, error: BaseException) -> None:
    """Make ``rotation strategies`` raise ``error`` (a stand-in for a bug)."""
    import rotation.cli.backtest as module

    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(module.strategies, "callback", boom)


def test_an_unexpected_exception_is_one_line_with_a_hint_and_exit_1(monkeypatch):
    _broken_command(monkeypatch, ZeroDivisionError("float division by zero\nsecond line"))
    result = run_cli("strategies", env={"ROTATION_DEBUG": ""})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == "rotation: internal error: ZeroDivisionError: float division by zero"
    assert "ROTATION_DEBUG=1" in lines[1] and "report" in lines[1]
    assert len(lines) == 2 and "Traceback" not in result.output


def test_rotation_debug_shows_the_traceback(monkeypatch):
    _broken_command(monkeypatch, ZeroDivisionError("boom"))
    result = run_cli("strategies", env={"ROTATION_DEBUG": "1"})
    assert isinstance(result.exception, ZeroDivisionError)


def test_ctrl_c_stays_130_and_project_errors_keep_their_status(monkeypatch):
    from rotation.errors import DataError

    _broken_command(monkeypatch, KeyboardInterrupt())
    assert run_cli("strategies").exit_code == 130
    _broken_command(monkeypatch, DataError("prices/X.csv: broken"))
    result = run_cli("strategies")
    assert result.exit_code == 1 and result.output == "error: prices/X.csv: broken\n"


# --- 5: names are text, not TeX -----------------------------------------------------------------

TEX = r"$\foo$"


def test_dollar_names_draw_as_written_in_every_matplotlib_text():
    """Legend entries (stacked weights), category tick labels (bars) and heatmap cells and
    ticks: ParseFatalException before the fix."""
    from rotation.report.figures import contribution_bars, monthly_heatmap, weights_figure
    from rotation.report.static import figure_png

    dates = pd.bdate_range("2024-01-01", periods=5)
    weights = pd.DataFrame({TEX: [0.5] * 5, "$\\bar": [0.5] * 5}, index=dates)
    monthly = pd.DataFrame([[0.01, -0.02]], index=[TEX], columns=[1, 2])
    heat = monthly_heatmap(monthly)
    heat["data"][0]["text"] = [[TEX, "$x^$"]]
    figures = [
        weights_figure(weights, {TEX: "#123456"}),
        contribution_bars(pd.Series({TEX: 0.1, "$\\q": -0.1}), {}),
        heat,
    ]
    for fig in figures:
        assert figure_png(fig).startswith(b"\x89PNG")


def test_dollar_config_and_sleeve_names_pass_signals_and_a_static_report(write_config, tmp_path):
    raw = {**SMALL, "name": f"{TEX} cfg", "universe": {TEX: ["MU"], "defensive": ["BIL"]}}
    path = write_config(raw)
    result = run_cli("signals", str(path), "--results", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "out").iterdir()
    assert (folder / "chart.png").read_bytes().startswith(b"\x89PNG")


# --- 6: a regime never known ---------------------------------------------------------------------


def test_min_components_above_the_components_in_the_composite_is_refused():
    for signal, enabled in (({"min_components": 5}, 4), ({"min_components": 3, "weights": {
            "credit": 1, "capex": 1}}, 2)):  # fmt: skip
        with pytest.raises(ConfigError, match=rf"min_components: .* only {enabled} components"):
            parse_config(base_config(signal=signal), name="t")
    opt_in = {"min_components": 5, "weights": {c: 1 for c in (
        "cost_of_capital", "credit", "liquidity", "capex", "curve")}}  # fmt: skip
    assert parse_config(base_config(signal=opt_in), name="t").signal.min_components == 5


def test_an_hmm_that_never_knows_a_regime_runs_and_says_so(write_config, tmp_path):
    """KeyError 'annual_return' in the report before the fix."""
    raw = {**SMALL, "regime": {"method": "hmm", "hmm_min_train_days": 1_000_000}}
    result = run_cli("backtest", str(write_config(raw)), "--results", str(tmp_path / "out"))
    assert_refused(result, "no regime state was known", "hmm_min_train_days", status=(0,))
    (folder,) = (tmp_path / "out").iterdir()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["return_by_regime"] == {}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert any("no regime state" in n for n in manifest["notes"])
    assert "no regime state was known" in (folder / "report.html").read_text()


# --- 9, 10: numeric options ---------------------------------------------------------------------


@pytest.mark.parametrize("span", ["10000y", "99999999999y", "1201m", "0y", "3 weeks"])
@pytest.mark.parametrize("option", ["--train", "--test"])
def test_walkforward_spans_out_of_range_are_usage_errors(option, span):
    config = str(Path(__file__).parents[1] / "configs" / "spy_buy_hold.yaml")
    result = run_cli("walkforward", config, option, span, "--grid", "costs.fees=0,0.001")
    assert_refused(result, option, status=(2,))


def test_a_negative_lookahead_seed_is_a_usage_error():
    result = run_cli("check", "lookahead", "configs/spy_buy_hold.yaml", "--seed", "-1")
    assert_refused(result, "--seed", status=(2,))


# --- 11, 21: publication lags --------------------------------------------------------------------


@pytest.mark.parametrize("lag", [10**12, 3661, -1])  # 3661: a day over ten years
def test_an_impossible_publication_lag_names_the_key(write_config, lag):
    path = write_config(base_config(signal={"publication_lags": {"DGS10": lag}}))
    assert_refused(run_cli("backtest", str(path)), "publication_lags.DGS10", status=(2,))


@pytest.mark.parametrize("key", ["publication_lags", "release_times"])
def test_a_typo_in_a_series_override_is_refused_with_the_valid_names(write_config, key):
    value = 2 if key == "publication_lags" else "16:30"
    path = write_config(base_config(signal={key: {"DGS1O": value}}))
    with pytest.raises(ConfigError, match=rf"signal\.{key}\.DGS1O: .*'DGS10'.*reads DGS10"):
        load_config(path)
    ok = write_config(base_config(signal={key: {"DGS10": value, "BAA": value}}), name="ok")
    assert load_config(ok).signal.publication_lags.get("DGS10", 2) == 2


# --- 19: long names keep their run id ------------------------------------------------------------


def test_a_long_name_is_cut_before_the_time_and_id_are_appended(tmp_path):
    from rotation._atomic import NAME_LIMIT, new_folder

    tag = "20260101T000000-0123456789ab"
    with new_folder(tmp_path, "n" * 300, tag=tag) as staging:
        pass
    assert staging.published is not None
    assert staging.published.name == "n" * NAME_LIMIT + "-" + tag


def test_every_writer_passes_its_time_as_a_tag():
    """Siblings: run folders, sweeps, walk-forwards, signals, thesis, compare, export."""
    root = Path(__file__).parents[1] / "src" / "rotation"
    calls = [
        (path, line)
        for path in root.rglob("*.py")
        for line in path.read_text().splitlines()
        if "new_folder(" in line and "def new_folder" not in line
    ]
    assert len(calls) >= 7
    for path, line in calls:
        assert "tag=" in line and "timestamp()}" not in line.split("tag=")[0], (path, line)


# --- 20: ranking follows each metric's direction ------------------------------------------------


def test_compare_rank_by_a_lower_is_better_metric_prints_each_config_with_its_own_figures(
    write_config, tmp_path
):
    calm = write_config({**SMALL, "name": "calm", "universe": {"cash": ["BIL"]}}, name="calm")
    wild = write_config({**SMALL, "name": "wild", "universe": {"risky": ["MU"]}}, name="wild")
    result = run_cli(
        "compare", str(wild), str(calm), "--rank-by", "annual_volatility", "--results",
        str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "calm" in line)
    assert header.split() == ["calm", "wild"]  # the lower volatility first
    row = next(line for line in result.output.splitlines() if line.startswith("annual volat"))
    shown = [float(x.rstrip("%")) for x in re.findall(r"-?[\d.]+%", row)]
    (folder,) = (tmp_path / "out").iterdir()
    table = pd.read_csv(folder / "table.csv", index_col="config")
    expected = [round(100 * table.loc[n, "annual_volatility"], 1) for n in ("calm", "wild")]
    assert shown == expected and shown[0] < shown[1]
    assert list(table["rank"]) == [1, 2] and list(table.index) == ["calm", "wild"]


# --- 21: non-USD listings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "currency"),
    [("BHP.AX", "AUD"), ("RELIANCE.NS", "INR"), ("VOD.L", "GBP"), ("SHOP.TO", "CAD"),
     ("0700.HK", "HKD"), ("NESN.SW", "CHF"), ("2330.TWO", "TWD"), ("BTC-EUR", "EUR")],
)  # fmt: skip
def test_non_usd_listings_are_refused_in_the_universe_and_as_benchmark(symbol, currency):
    with pytest.raises(ConfigError, match=rf"universe.x: '{re.escape(symbol)}' .* {currency}"):
        check_currencies({"x": ["MU", symbol]})
    with pytest.raises(ConfigError, match=rf"benchmark: '{re.escape(symbol)}' .* {currency}"):
        check_currencies({"x": ["MU"]}, symbol)
    check_currencies({"x": ["MU", "BRK-B", "BRK.B", "BTC-USD", "^TNX"]}, "SPY")


def test_a_non_usd_benchmark_stops_the_cli(write_config):
    path = write_config({**SMALL, "benchmark": "STW.AX"})
    assert_refused(run_cli("backtest", str(path)), "benchmark: 'STW.AX' is priced in AUD")


# --- 7, 15, 16, 21: sweeps ----------------------------------------------------------------------

SIGNAL_GRID = {
    "signal.credit_series": ["BAA10Y", "BAMLH0A0HYM2"],
    "signal.yield_series": ["DGS10", "DGS2"],
    "signal.weights.curve": [1],  # with any weight, even 0, the variant reads T10Y2Y
}


def test_variants_reading_other_series_equal_their_standalone_backtests(write_config):
    """KeyError before the fix: the inputs held only the base config's series."""
    from rotation.backtest import run_backtest
    from rotation.pipeline import load_inputs
    from rotation.sweep import expand_grid, sweep, variants_of

    config = load_config(write_config(base_config(**SHORT)))
    variants = variants_of(config, SIGNAL_GRID)
    result = sweep(config, SIGNAL_GRID, load_inputs(config, variants=variants), variants=variants)
    sharpes = set()
    for i, overrides in enumerate(expand_grid(SIGNAL_GRID)):
        alone = run_backtest(variants[i])  # its own inputs, loaded for it alone
        assert variants[i].signal.credit_series == overrides["signal.credit_series"]
        for name in ("sharpe", "annual_return", "max_drawdown", "fees_paid"):
            assert result.table.loc[i, name] == pytest.approx(alone.metrics[name], rel=1e-12)
        sharpes.add(round(alone.metrics["sharpe"], 9))
    assert len(sharpes) > 1  # the series do change the signal, so the check has teeth


def test_walkforward_over_a_signal_series_runs(write_config, tmp_path):
    path = write_config(base_config(start="2018-01-01", end="2021-12-31"))
    result = run_cli(
        "walkforward", str(path), "--train", "2y", "--test", "1y", "--grid",
        "signal.yield_series=DGS10,DGS2", "--results", str(tmp_path / "out"), "-q",
    )  # fmt: skip
    assert_refused(result, status=(0,))


def test_an_unknown_series_in_a_grid_is_refused_before_any_work(write_config):
    path = write_config(base_config(**SHORT))
    result = run_cli("sweep", str(path), "--grid", "signal.credit_series=BAA10Y,BAA1OY")
    assert_refused(result, "'BAA1OY'", "did you mean 'BAA10Y'", status=(2,))


def test_a_config_naming_an_unknown_series_is_refused_at_load(write_config):
    weights = {"cost_of_capital": 1, "credit": 1, "liquidity": 1, "capex": 1, "conditions": 1}
    path = write_config(base_config(signal={"conditions_series": "NFCII", "weights": weights}))
    with pytest.raises(ConfigError, match=r"signal: reads FRED series 'NFCII'.*'NFCI'"):
        load_config(path)


@pytest.mark.parametrize(
    "grid", ["data.path={a},{b}", "data.source=bundled,local", "universe.risky=[MU],[WDC]",
             "benchmark=SPY,QQQ", "risk_free=DGS3MO,0", "start=2020-01-01,2020-06-01",
             "init_cash=1000,2000"],
)  # fmt: skip
def test_keys_a_sweep_cannot_vary_are_refused_by_name(grid, tmp_path, write_config):
    """data.path varied the label and ran every variant on the base data before the fix."""
    from rotation.data.bundle import BUNDLED_DIR

    folders = {}
    if "{a}" in grid:  # two data folders, each a copy of the bundled data
        folders = {n: tmp_path / n for n in ("a", "b")}
        for folder in folders.values():
            shutil.copytree(BUNDLED_DIR, folder)
    path = write_config({**SMALL, "data": {"source": "local", "path": str(BUNDLED_DIR)}})
    key = grid.split("=")[0]
    result = run_cli("sweep", str(path), "--grid", grid.format(**folders))
    assert_refused(result, f"cannot vary {key!r}", "data, universe, benchmark", status=(2,))


def test_repeated_grid_values_are_refused(write_config):
    """PBO 1.000 without a word before the fix (the same variant counted twice)."""
    path = write_config(base_config(**SHORT))
    for grid in ("costs.fees=0.001,0.001", "regime.min_days=5,5,10"):
        result = run_cli("sweep", str(path), "--grid", grid)
        assert_refused(result, "given twice", status=(2,))


def test_best_yaml_runs_from_anywhere_and_reproduces_the_best_variant(tmp_path, monkeypatch):
    """Relative strategies_dir and data.path resolved against the sweep folder before."""
    from rotation.data.bundle import BUNDLED_DIR

    project = tmp_path / "project"
    shutil.copytree(BUNDLED_DIR, project / "data")
    shutil.copytree(STRATEGIES, project / "strategies")
    (project / "configs").mkdir()
    raw = {**base_config(**SHORT), "strategies_dir": "../strategies",
           "data": {"source": "local", "path": "../data"}}  # fmt: skip
    (project / "configs" / "rel.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(project)
    swept = run_cli(
        "sweep", "configs/rel.yaml", "--grid", "regime.scarce_enter=0.3,0.8", "--results",
        "out", "-q",
    )  # fmt: skip
    assert swept.exit_code == 0, swept.output
    folder = Path(swept.output.strip().splitlines()[-1])
    summary = json.loads((project / folder / "summary.json").read_text())
    monkeypatch.chdir(tmp_path)  # another working directory
    rerun = run_cli("backtest", str(project / folder / "best.yaml"), "--results", "runs", "-q")
    assert rerun.exit_code == 0, rerun.output
    run = Path(rerun.output.strip().splitlines()[-1])
    metrics = json.loads((tmp_path / run / "metrics.json").read_text())
    for name in ("sharpe", "annual_return", "max_drawdown", "final_value"):
        assert metrics[name] == pytest.approx(summary["best"][name], rel=1e-9)
    # the run folder's config.yaml (a sibling) runs from anywhere too
    again = run_cli("backtest", str(tmp_path / run / "config.yaml"), "--results", "x", "-q")
    assert again.exit_code == 0, again.output


# --- 21: files that are not configs, strategies that exit ---------------------------------------


def test_a_config_that_is_not_a_regular_file_or_too_big_is_refused_without_reading_it(tmp_path):
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    huge = tmp_path / "huge.yaml"
    huge.write_text("# " + "x" * 1_000_000 + "\n")
    cases = {str(fifo): "not a regular file (a FIFO)", "/dev/zero": "not a regular file (a "
             "device)", str(huge): "1,000,003 bytes, more than the 1,000,000"}  # fmt: skip
    for path, why in cases.items():
        assert_refused(run_cli("backtest", path), f"{path}: cannot read config ({why}", status=(2,))


@pytest.mark.parametrize(
    ("body", "shown"),
    [("raise SystemExit(0)", "SystemExit(0)"), ("import sys\nsys.exit(3)", "SystemExit(3)"),
     ("raise GeneratorExit()", "GeneratorExit()")],
)  # fmt: skip
def test_a_strategy_that_exits_at_import_is_an_error_naming_its_file(tmp_path, body, shown):
    """backtest exited 0 with no output before the fix."""
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "quitter.py").write_text(body + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump({**SMALL, "strategy": "quitter", "strategies_dir": str(folder)})
    )
    result = run_cli("backtest", str(config))
    assert_refused(result, "quitter.py", shown, status=(1, 2))
    assert result.exit_code != 0


def test_a_strategy_raising_while_it_runs_is_its_error_not_an_internal_one(tmp_path):
    folder = tmp_path / "strategies"
    shutil.copytree(STRATEGIES, folder)
    source = (folder / "equal_weight.py").read_text()
    (folder / "broken.py").write_text(
        source.replace(") -> np.ndarray:\n", ") -> np.ndarray:\n    1 / 0\n", 1)
    )
    assert "1 / 0" in (folder / "broken.py").read_text()
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump({**SMALL, "strategy": "broken", "strategies_dir": str(folder)})
    )
    assert_refused(
        run_cli("backtest", str(config)), "broken.py: target_weights raised ZeroDivisionError"
    )


# --- 12, 21: prices the engine cannot trade faithfully, and jumps --------------------------------


def _scaled_folder(tmp_path: Path, factor: float, since: str | None = None) -> Path:
    """A copy of the bundled data with MU's closes multiplied by ``factor`` (SYNTHETIC:
    test-only data), from ``since`` on when given."""
    from rotation.data.sources import BUNDLED_DIR

    folder = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, folder)
    path = folder / "prices" / "MU.csv.gz"
    frame = pd.read_csv(path)
    rows = frame["date"] >= since if since else slice(None)
    column = "adj_close" if "adj_close" in frame.columns else "close"
    frame.loc[rows, column] = frame.loc[rows, column] * factor
    frame.to_csv(path, index=False)
    return folder


@pytest.mark.parametrize(("factor", "word"), [(1e-299, "below"), (1e9, "above")])
def test_prices_out_of_the_engines_range_are_refused_naming_the_symbol(tmp_path, factor, word):
    """1e-299: "val_price_now must be finite" (vectorbt) / nonsense; 1e9: rebalancing orders
    under the engine's minimum size were dropped without a word."""
    folder = _scaled_folder(tmp_path, factor)
    config = tmp_path / "c.yaml"
    raw = {
        **SMALL,
        "strategies_dir": str(STRATEGIES),
        "data": {"source": "local", "path": str(folder)},
    }
    config.write_text(yaml.safe_dump(raw))
    result = run_cli("backtest", str(config), "--results", str(tmp_path / "out"))
    assert_refused(result, "'MU': close", f"is {word}", "init_cash", status=(1,))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_fifty_to_one_jump_warns_naming_symbol_and_dates(tmp_path):
    from rotation.backtest import run_backtest
    from rotation.config import parse_config

    folder = _scaled_folder(tmp_path, 50.0, since="2021-03-01")
    raw = {
        **SMALL,
        "strategies_dir": str(STRATEGIES),
        "data": {"source": "local", "path": str(folder)},
    }
    config = parse_config(raw, name="jump", source_path=str(tmp_path / "jump.yaml"))
    with pytest.warns(
        UserWarning, match=r"'MU': close jumps from .* on 2021-02-26 to .* on 2021-03-01"
    ):
        run_backtest(config)


def _local_config(tmp_path: Path, folder: Path) -> Path:
    config = tmp_path / "c.yaml"
    raw = {
        **SMALL,
        "strategies_dir": str(STRATEGIES),
        "data": {"source": "local", "path": str(folder)},
    }
    config.write_text(yaml.safe_dump(raw))
    return config


def test_two_files_for_one_symbol_are_refused_naming_both(tmp_path):
    """X.csv.gz was read and X.parquet ignored without a word before the fix."""
    folder = _scaled_folder(tmp_path, 1.0)
    frame = pd.read_csv(folder / "prices" / "MU.csv.gz")
    frame["close"] = frame["close"] * 2  # SYNTHETIC: a different series in the second file
    frame.to_parquet(folder / "prices" / "MU.parquet")
    result = run_cli("backtest", str(_local_config(tmp_path, folder)))
    assert_refused(result, "MU.parquet and ", "MU.csv.gz both hold 'MU'", status=(1, 2))


def test_two_columns_of_one_name_are_refused_naming_both(tmp_path):
    folder = _scaled_folder(tmp_path, 1.0)
    path = folder / "prices" / "MU.csv.gz"
    frame = pd.read_csv(path)
    frame["Close"] = frame["close"] * 2  # SYNTHETIC: which close is meant?
    frame.to_csv(path, index=False)
    result = run_cli("backtest", str(_local_config(tmp_path, folder)))
    assert_refused(result, "columns 'close' and 'Close' are the same name", status=(1, 2))


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf"])
@pytest.mark.parametrize("command", ["sweep", "walkforward"])
def test_memory_budget_must_be_a_finite_positive_number(command, value):
    """Siblings of 9 and 10: nan and -1 reached the engine (internal error), 0 silently meant
    the default."""
    config = str(Path(__file__).parents[1] / "configs" / "spy_buy_hold.yaml")
    result = run_cli(command, config, "--grid", "costs.fees=0,0.001", "--memory-mb", value)
    assert_refused(result, "--memory-mb", status=(2,))


def test_a_budget_too_small_for_one_variant_is_a_config_error(write_config):
    path = write_config({**SMALL, "sweep": {"grid": {"costs.fees": [0, 0.001]}, "memory_mb": 1e-9}})
    assert_refused(run_cli("sweep", str(path)), "memory_mb: 1e-09 MB is less than", status=(2,))
    for bad in ("nan", "inf"):
        with pytest.raises(ConfigError, match=r"sweep\.memory_mb: must be"):
            parse_config(
                {**SMALL, "sweep": {"grid": {"costs.fees": [0]}, "memory_mb": float(bad)}}, name="t"
            )


def test_dask_workers_must_be_at_least_one():
    config = str(Path(__file__).parents[1] / "configs" / "spy_buy_hold.yaml")
    result = run_cli(
        "sweep", config, "--grid", "costs.fees=0,0.001", "--executor", "dask", "--workers", "0"
    )
    assert_refused(result, "--workers", status=(2,))
