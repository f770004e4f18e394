"""The shipped configs run end to end offline through the CLI and write complete run folders."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.validate import load_config
from tests.helpers import CONFIGS

DEMO = ["capital_scarcity", "spy_buy_hold", "sixty_forty", "equal_weight"]
RUN_FILES = {
    "config.yaml", "manifest.json", "metrics.json", "equity.csv", "weights.csv",
    "prices.csv", "targets.csv", "orders.csv", "signals.csv", "regime.csv",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    args = ["backtest", *(str(CONFIGS / f"{n}.yaml") for n in DEMO), "--results", str(results)]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    return results, outcome.output


def test_demo_prints_the_comparison_table(demo_runs):
    _, output = demo_runs
    header = next(line for line in output.splitlines() if line.strip().startswith(DEMO[0]))
    assert header.split() == DEMO
    for label in ("Sharpe", "max drawdown", "alpha (annual)", "time scarce", "return when scarce"):
        assert any(line.startswith(label) for line in output.splitlines()), label


def test_each_run_folder_is_complete_and_consistent(demo_runs):
    results, _ = demo_runs
    folders = sorted(p for p in results.iterdir() if p.is_dir())
    assert sorted(p.name.split("-")[0] for p in folders) == sorted(DEMO)
    for folder in folders:
        assert {p.name for p in folder.iterdir()} >= RUN_FILES, folder
        manifest = json.loads((folder / "manifest.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
        equity = pd.read_csv(folder / "equity.csv", index_col="date", parse_dates=True)
        assert manifest["run_id"] in folder.name
        assert len(manifest["data_fingerprint"]) == 64
        assert {"vectorbt", "pandas", "numpy", "empyrical-reloaded"} <= set(manifest["versions"])
        assert equity["value"].iloc[-1] == pytest.approx(metrics["final_value"], rel=1e-12)
        total = equity["value"].iloc[-1] / equity["value"].iloc[0] - 1
        assert total == pytest.approx(metrics["total_return"], rel=1e-9)
        assert str(equity.index[-1].date()) == metrics["end"]
        weights = pd.read_csv(folder / "weights.csv", index_col="date", parse_dates=True)
        assert (weights.sum(axis=1) <= 1 + 1e-9).all()
        assert not (folder.parent / f".incomplete-{folder.name}").exists()


def test_assets_enter_when_their_data_starts(demo_runs):
    results, _ = demo_runs
    folder = next(p for p in results.iterdir() if p.name.startswith("equal_weight"))
    weights = pd.read_csv(folder / "weights.csv", index_col="date", parse_dates=True)
    sndk_first = weights.index[weights["SNDK"] > 0][0]
    assert sndk_first > pd.Timestamp("2025-02-13")  # new Sandisk lists 2025-02-13
    assert (weights.loc[:"2025-02-12", "SNDK"] == 0).all()
    assert weights.loc["2016-01-04":, "WCLD"].iloc[0] == 0  # WCLD lists 2019-09-06


def test_same_config_twice_gives_identical_numbers_in_two_folders(tmp_path):
    config = load_config(CONFIGS / "capital_scarcity.yaml")
    first, second = run_backtest(config), run_backtest(config)
    pd.testing.assert_series_equal(
        first.simulation.value, second.simulation.value, check_exact=True
    )
    pd.testing.assert_frame_equal(first.targets, second.targets, check_exact=True)
    assert first.fingerprint == second.fingerprint
    runner = CliRunner()
    path = str(CONFIGS / "capital_scarcity.yaml")
    for _ in range(2):
        out = runner.invoke(main, ["backtest", path, "--results", str(tmp_path), "--quiet"])
        assert out.exit_code == 0, out.output
    folders = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(folders) == 2
    a, b = (json.loads((f / "metrics.json").read_text()) for f in folders)
    assert a == b
    assert (folders[0] / "equity.csv").read_bytes() == (folders[1] / "equity.csv").read_bytes()


def test_cli_overrides_only_what_is_given(tmp_path):
    path = str(CONFIGS / "sixty_forty.yaml")
    out = CliRunner().invoke(
        main,
        [
            "backtest",
            path,
            "--start",
            "2020-01-02",
            "--end",
            "2020-12-31",
            "--results",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 0, out.output
    metrics = json.loads(next(tmp_path.glob("sixty_forty-*/metrics.json")).read_text())
    assert (metrics["start"], metrics["end"]) == ("2020-01-02", "2020-12-31")


def test_end_beyond_the_data_names_the_symbol(tmp_path):
    out = CliRunner().invoke(
        main,
        [
            "backtest",
            str(CONFIGS / "capital_scarcity.yaml"),
            "--end",
            "2026-08-01",
            "--results",
            str(tmp_path),
        ],
    )
    assert out.exit_code == 1
    assert "is after the last close of" in out.output and "2026-07-13" in out.output
