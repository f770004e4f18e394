"""Strategies are files in a folder, found by name; a new file works without other changes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.errors import ConfigError, StrategyError
from rotation.strategy import available_strategies, load_strategy, schedule
from rotation.validate import load_config
from tests.helpers import ROOT, STRATEGIES, base_config

# The README's example strategy is the file dropped in: the documented form is the tested one.
USER_STRATEGY = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)[1]


def test_shipped_strategies_are_registered():
    assert {"capital_scarcity", "equal_weight", "fixed_weights"} <= set(
        available_strategies(STRATEGIES)
    )
    assert load_strategy("capital_scarcity", STRATEGIES).description.startswith("Rotate sleeves")


def test_a_dropped_in_file_is_usable_by_name(tmp_path, write_config):
    folder = tmp_path / "my_strategies"
    folder.mkdir()
    (folder / "first_cash_flow.py").write_text(USER_STRATEGY)
    path = write_config(
        base_config(strategy={"name": "first_cash_flow"}, strategies_dir=str(folder))
    )
    result = run_backtest(load_config(path))
    held = result.simulation.weights.loc[:, result.simulation.weights.sum() > 0].columns
    assert list(held) == ["MU"]
    listing = CliRunner().invoke(main, ["strategies", "--dir", str(folder)])
    assert "first_cash_flow: All in the first listed asset" in listing.output
    assert "sleeve = 'cash_flow'" in listing.output


def test_strategy_file_without_params_is_rejected(tmp_path):
    (tmp_path / "broken.py").write_text("def target_weights(inputs, params):\n    return None\n")
    with pytest.raises(StrategyError, match="broken.py: must define a dataclass named Params"):
        load_strategy("broken", tmp_path)


def test_strategy_that_fails_to_import_names_its_file(tmp_path):
    (tmp_path / "typo.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(StrategyError, match="typo.py: error while loading"):
        load_strategy("typo", tmp_path)


def test_strategy_names_cannot_escape_the_folder(tmp_path):
    with pytest.raises(ConfigError, match="unknown strategy '../evil'"):
        load_strategy("../evil", tmp_path)


def test_schedule_first_trading_day_of_each_month_and_on_regime_change():
    index = pd.bdate_range("2024-01-25", "2024-03-05")
    monthly = schedule(index, "monthly")
    assert list(monthly.strftime("%Y-%m-%d")) == ["2024-01-25", "2024-02-01", "2024-03-01"]
    regime = pd.Series("neutral", index=index, dtype=object)
    regime["2024-02-14":] = "scarce"
    both = schedule(index, "monthly", regime=regime, on_regime_change=True)
    assert pd.Timestamp("2024-02-14") in both and len(both) == 4
    assert list(schedule(index, "never")) == [index[0]]
