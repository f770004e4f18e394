"""A config against what it names (``rotation.validate``): the schema alone accepts a config
whose symbols or strategy parameters do not exist; ``load_config`` names the file and key."""

from __future__ import annotations

import pytest

from rotation.config import read_config
from rotation.data.sources import bundled
from rotation.errors import ConfigError
from rotation.validate import check_currencies, check_symbols, load_config
from tests.helpers import base_config


def test_the_schema_alone_does_not_look_at_the_data(write_config):
    path = write_config(base_config(benchmark="NOPE"))
    assert read_config(path).benchmark == "NOPE"
    with pytest.raises(ConfigError, match=r"test.yaml: benchmark: unknown symbol 'NOPE'"):
        load_config(path)


def test_unknown_symbol_is_named_with_its_sleeve_and_a_suggestion():
    with pytest.raises(ConfigError, match=r"universe.cash_flow: unknown symbol 'MUU'.*'MU'"):
        check_symbols({"cash_flow": ["MUU"]}, "SPY", bundled())
    check_symbols({"cash_flow": ["MU", "WDC"]}, "SPY", bundled())  # known: no error


def test_non_usd_listings_are_refused_before_any_data_is_read():
    with pytest.raises(ConfigError, match=r"universe.memory: '005930.KS' is priced in KRW"):
        check_currencies({"memory": ["MU", "005930.KS"]})
    check_currencies({"memory": ["MU", "BRK-B", "^TNX"]})


def test_strategy_params_are_checked_against_the_strategy(write_config):
    bad = base_config(strategy={"name": "capital_scarcity", "params": {"vol_lookback": 2}})
    path = write_config(bad)
    read_config(path)  # the schema does not know the strategy's parameters
    with pytest.raises(ConfigError, match=r"test.yaml: strategy.params.vol_lookback: must be >= 5"):
        load_config(path)
