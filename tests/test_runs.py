"""Run folders: the cost metrics are reproducible from orders.csv and equity.csv alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from rotation.backtest import run_backtest
from rotation.metrics import COSTS, PERIODS_PER_YEAR
from rotation.runs import save
from rotation.validate import load_config
from tests.helpers import CONFIGS


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
