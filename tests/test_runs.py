"""Run folders: the run id covers config, data, strategy source and package code; the cost
metrics are reproducible from orders.csv and equity.csv alone."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from rotation.backtest import run_backtest
from rotation.metrics import COSTS, PERIODS_PER_YEAR
from rotation.runs import code_hash, save, source_tree_hash
from rotation.validate import load_config
from tests.helpers import CONFIGS, STRATEGIES, base_config


@pytest.fixture
def project(tmp_path):
    """A project of its own: configs/small.yaml and strategies/ copied from the repo."""
    (tmp_path / "configs").mkdir()
    shutil.copytree(STRATEGIES, tmp_path / "strategies")
    config = tmp_path / "configs" / "small.yaml"
    raw = base_config(start="2021-01-01", end="2023-12-31", strategy={"name": "equal_weight"})
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return tmp_path, config


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def test_the_run_id_changes_with_the_strategy_source_and_only_then(project):
    root, config_file = project
    first = save(run_backtest(load_config(config_file)), root / "results")
    again = save(run_backtest(load_config(config_file)), root / "results")
    assert first != again  # a run never reuses a folder ...
    assert _manifest(first)["run_id"] == _manifest(again)["run_id"]  # ... but shares the id

    strategy = root / "strategies" / "equal_weight.py"
    strategy.write_text(strategy.read_text() + "\n# edited: a new version of the strategy\n")
    edited = save(run_backtest(load_config(config_file)), root / "results")
    before, after = _manifest(first), _manifest(edited)
    assert after["run_id"] != before["run_id"]
    assert after["strategy_hash"] != before["strategy_hash"]
    for same in ("config_hash", "data_fingerprint", "code_hash", "strategy_file"):
        assert after[same] == before[same], same
    assert after["run_id"] in edited.name


def test_the_manifest_records_the_four_hashes(project):
    root, config_file = project
    folder = save(run_backtest(load_config(config_file)), root / "results")
    manifest = _manifest(folder)
    strategy = root / "strategies" / "equal_weight.py"
    assert manifest["strategy_file"] == "../strategies/equal_weight.py"  # as the config finds it
    assert manifest["strategy_hash"] == hashlib.sha256(strategy.read_bytes()).hexdigest()
    assert manifest["code_hash"] == code_hash()
    for key in ("config_hash", "data_fingerprint", "strategy_hash", "code_hash"):
        assert len(manifest[key]) == 64, key
    assert str(root) not in json.dumps({k: manifest[k] for k in ("strategy_file", "run_id")})


def test_the_source_tree_hash_sees_every_byte_of_python_and_nothing_else(tmp_path):
    tree = tmp_path / "one" / "pkg"
    (tree / "sub").mkdir(parents=True)
    (tree / "__init__.py").write_text("x = 1\n")
    (tree / "sub" / "mod.py").write_text("def f():\n    return 2\n")
    original = source_tree_hash(tree)
    assert source_tree_hash(tree) == original
    shutil.copytree(tree, tmp_path / "two" / "pkg")
    assert source_tree_hash(tmp_path / "two" / "pkg") == original  # where it lies is no part

    (tree / "data.txt").write_text("not code")
    (tree / "sub" / "mod.cpython-311.pyc").write_bytes(b"\x00compiled")
    assert source_tree_hash(tree) == original  # only .py files count

    (tree / "sub" / "mod.py").write_text("def f():\n    return 3\n")  # one byte
    assert source_tree_hash(tree) != original
    (tree / "sub" / "mod.py").write_text("def f():\n    return 2\n")
    assert source_tree_hash(tree) == original
    (tree / "sub" / "mod.py").rename(tree / "sub" / "other.py")  # same bytes, another file
    assert source_tree_hash(tree) != original


def test_the_code_hash_is_the_installed_package_tree():
    import rotation

    assert code_hash() == source_tree_hash(__import__("pathlib").Path(rotation.__file__).parent)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    result = run_backtest(load_config(CONFIGS / "capital_scarcity.yaml"))
    return save(result, tmp_path_factory.mktemp("results")), result


def test_cost_metrics_are_reproducible_from_the_run_folder(demo_folder):
    """The README's recipe: from orders.csv and equity.csv, summing left to right in file order
    (as the kernel does; Python's sum() and pandas' sum() round differently), bit for bit."""
    folder, _ = demo_folder
    metrics = json.loads((folder / "metrics.json").read_text())
    assert set(COSTS) <= set(metrics)
    orders = pd.read_csv(folder / "orders.csv", parse_dates=["date"])
    equity = pd.read_csv(folder / "equity.csv", index_col="date", parse_dates=True)
    init_cash = yaml.safe_load((folder / "config.yaml").read_text())["init_cash"]
    previous = pd.Series([init_cash, *equity["value"].iloc[:-1]], index=equity.index)

    def left_to_right(values):
        total = 0.0
        for v in values:
            total += v
        return total

    expected = {}
    for column, name in (("fees", "fee"), ("slippage", "slippage")):
        paid = "fees_paid" if column == "fees" else "slippage_paid"
        expected[paid] = left_to_right(orders[column])
        by_day = [
            left_to_right(day[column]) / previous[date]
            for date, day in orders.groupby("date", sort=True)
        ]
        expected[f"{name}_drag"] = left_to_right(by_day) * PERIODS_PER_YEAR / len(equity)
    expected["costs_paid"] = expected["fees_paid"] + expected["slippage_paid"]
    expected["cost_drag"] = expected["fee_drag"] + expected["slippage_drag"]
    for name in COSTS:
        assert metrics[name] == expected[name], name
    assert metrics["slippage_paid"] > 0 and metrics["fees_paid"] > 0


def test_orders_csv_slippage_is_what_each_fill_lost_to_the_moved_price(demo_folder):
    folder, result = demo_folder
    orders = pd.read_csv(folder / "orders.csv", parse_dates=["date"])
    close = result.simulation.close
    at_close = close.to_numpy()[
        close.index.get_indexer(orders["date"]), close.columns.get_indexer(orders["symbol"])
    ]
    lost = np.abs(orders["price"].to_numpy() - at_close) * orders["shares"].to_numpy()
    np.testing.assert_allclose(orders["slippage"], lost, rtol=1e-12)
    rate = result.config.costs.slippage
    np.testing.assert_allclose(orders["slippage"], at_close * rate * orders["shares"], rtol=1e-9)


def test_sweeps_walk_forwards_and_exports_record_the_runs_identity(project):
    """One function computes the identity: a sweep's and a walk-forward's base config has the
    id its backtest has; an export reads the data known on its as-of date, so only its data
    fingerprint may differ."""
    from rotation.export.feed import build_feed
    from rotation.pipeline import load_inputs
    from rotation.sweep import save as save_sweep
    from rotation.sweep import sweep
    from rotation.walkforward import walk_forward

    root, config_file = project
    config = load_config(config_file)
    inputs = load_inputs(config)
    expected = run_backtest(config, inputs).identity.to_dict()
    grid = {"costs.fees": [0.001, 0.002]}
    swept = sweep(config, grid, inputs)
    summary = json.loads(
        (save_sweep(swept, config, grid, "sharpe", root) / "summary.json").read_text()
    )
    assert {key: summary[key] for key in expected} == expected
    walked = walk_forward(config, grid, inputs, train="1y", test="6m")
    assert {key: walked.summary[key] for key in expected} == expected
    exported = build_feed(config, asof=config.end, inputs=inputs).provenance.identity.to_dict()
    for key in ("config_hash", "strategy_file", "strategy_hash", "code_hash"):
        assert exported[key] == expected[key], key
