"""Config loading: every bad case gives one clear message naming the key (API and CLI)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import ConfigError
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config


def test_shipped_configs_load():
    for path in sorted(CONFIGS.glob("*.yaml")):
        config = load_config(path)
        assert config.name == path.stem
        assert config.symbols


def test_defaults_are_filled_and_hash_is_stable(write_config):
    path = write_config(base_config())
    first, second = load_config(path), load_config(path)
    assert first.config_hash() == second.config_hash()
    assert first.signal.normalization == "expanding"
    assert first.to_dict()["costs"] == {"fees": 0.001, "slippage": 0.0005}
    assert first.replace(execution_lag=2).config_hash() != first.config_hash()


def test_fractional_shares_are_the_default_and_can_be_turned_off(write_config):
    """``fractional`` (top level) defaults to true, today's fractional backtests; false is kept
    and is part of the run's identity."""
    default = load_config(write_config(base_config()))
    assert default.fractional is True and default.to_dict()["fractional"] is True
    whole = load_config(write_config(base_config(fractional=False)))
    assert whole.fractional is False
    assert whole.config_hash() != default.config_hash()


BAD_CASES = {
    "unknown top-level key": (
        {"benchmrk": "SPY"},
        "unknown key 'benchmrk' (did you mean 'benchmark'?)",
    ),
    "unknown nested key": (
        {"costs": {"fee": 0.001}},
        "unknown key 'costs.fee' (did you mean 'costs.fees'?)".replace("costs.fees", "fees"),
    ),
    "wrong type": ({"execution_lag": "one"}, "execution_lag: expected a whole number"),
    "start after end": (
        {"start": "2024-01-01", "end": "2020-01-01"},
        "start: 2024-01-01 is not before end 2020-01-01",
    ),
    "negative fee": ({"costs": {"fees": -0.001}}, "costs.fees: must be in [0, 0.1)"),
    "NaN slippage": (
        {"costs": {"slippage": float("nan")}},
        "costs.slippage: must be a finite number",
    ),
    "bad date": ({"start": "2019-13-01"}, "start: expected a date YYYY-MM-DD"),
    "unknown symbol": (
        {"universe": {"speculative": ["BTCUSD"], "defensive": ["BIL"]}},
        "unknown symbol 'BTCUSD' (did you mean 'BTC-USD'?)",
    ),
    "unknown benchmark": ({"benchmark": "SPX"}, "benchmark: unknown symbol 'SPX'"),
    "empty sleeve": (
        {"universe": {"speculative": [], "defensive": ["BIL"]}},
        "universe.speculative: sleeve is empty",
    ),
    "empty universe": ({"universe": {}}, "universe: at least one sleeve is needed"),
    "duplicate symbol": (
        {"universe": {"a": ["MU"], "b": ["MU"], "defensive": ["BIL"]}},
        "universe.b: symbol 'MU' is also in sleeve 'a'",
    ),
    "sleeve not a list": (
        {"universe": {"speculative": "BTC-USD"}},
        "universe.speculative: expected a list",
    ),
    "lag zero": ({"execution_lag": 0}, "execution_lag: must be >= 1"),
    "fractional not a boolean": (
        {"fractional": "yes"},
        "fractional: expected true or false, got 'yes' (str)",
    ),
    "non-USD asset": (
        {"universe": {"memory": ["005930.KS"], "defensive": ["BIL"]}},
        "'005930.KS' is priced in KRW; non-USD assets need an FX series",
    ),
    "unknown strategy": (
        {"strategy": {"name": "capital_scarsity"}},
        "unknown strategy 'capital_scarsity' (did you mean 'capital_scarcity'?)",
    ),
    "unknown strategy param": (
        {"strategy": {"name": "capital_scarcity", "params": {"within": "equal"}}},
        "unknown key 'strategy.params.within' (did you mean 'within_sleeve'?)",
    ),
    "allocation over 1": (
        {
            "strategy": {
                "name": "capital_scarcity",
                "params": {
                    "allocations": {
                        "scarce": {"cash_flow": 0.8, "defensive": 0.3},
                        "neutral": {"defensive": 1.0},
                        "abundant": {"speculative": 1.0},
                    }
                },
            }
        },
        "strategy.params.allocations.scarce: sums to 1.1 > 1",
    ),
    "allocation to unknown sleeve": (
        {
            "strategy": {
                "name": "capital_scarcity",
                "params": {
                    "allocations": {
                        "scarce": {"cashflow": 1.0},
                        "neutral": {"defensive": 1.0},
                        "abundant": {"speculative": 1.0},
                    }
                },
            }
        },
        "allocations.scarce.cashflow: no such sleeve in universe",
    ),
    "regime thresholds out of order": (
        {"regime": {"scarce_enter": -1.0}},
        "regime.thresholds must satisfy abundant_enter <= abundant_exit <= scarce_exit <= "
        "scarce_enter",
    ),
    "unknown normalization": (
        {"signal": {"normalization": "expandin"}},
        "signal.normalization: must be one of 'expanding', 'rolling', 'percentile', "
        "got 'expandin' "
        "(did you mean 'expanding'?)",
    ),
    "unknown signal component": (
        {"signal": {"weights": {"capx": 1.0}}},
        "weights.capx: unknown component (did you mean 'capex'?)",
    ),
    "local data without path": ({"data": "local"}, "data.path: required when source is 'local'"),
    "missing data folder": ({"data": {"source": "local", "path": "nowhere"}}, "does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_config_message_names_the_key(case, write_config):
    changes, message = BAD_CASES[case]
    path = write_config(base_config(**changes))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) or "does not exist" in message


@pytest.mark.parametrize(
    "case", ["unknown top-level key", "negative fee", "unknown symbol", "empty sleeve"]
)
def test_bad_config_exits_nonzero_from_cli(case, write_config, tmp_path):
    changes, message = BAD_CASES[case]
    path = write_config(base_config(**changes))
    result = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nuniverse: [a, b\nstrategy: y\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: malformed YAML at line \d+"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_config_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(path)


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config(path)
