"""Half-written and hostile configs: one clear ConfigError (or DataError at run time) each, and a
fuzz proving that config loading raises nothing but the project's own errors.

``tests/test_config.py`` holds the common cases (unknown keys, types, costs, symbols, sleeves,
malformed YAML); these are the ones it does not cover.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import typing

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from rotation import config as config_module
from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.config import Config, parse_config
from rotation.errors import ConfigError, DataError, RotationError
from rotation.strategy import available_strategies, load_strategy
from rotation.validate import load_config
from tests.helpers import STRATEGIES, base_config

SMALL = {"universe": {"risky": ["MU"], "defensive": ["BIL"]}, "strategy": "equal_weight"}

BAD_CONFIGS = {
    "missing universe": (
        "strategy: equal_weight\n",
        "missing required key 'universe'",
    ),
    "missing strategy": (
        "universe: {risky: [MU]}\n",
        "missing required key 'strategy'",
    ),
    "empty universe section": (
        "universe:\nstrategy: equal_weight\n",
        "universe: expected a mapping, got None (NoneType)",
    ),
    "universe as a list": (
        "universe: [MU, BIL]\nstrategy: equal_weight\n",
        "universe: expected a mapping, got ['MU', 'BIL'] (list)",
    ),
    "section as a number": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ncosts: 0.001\n",
        "costs: expected a mapping of keys, got 0.001 (float)",
    ),
    "boolean fee": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ncosts: {fees: true}\n",
        "costs.fees: expected a number, got True (bool)",
    ),
    "fractional lag": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nexecution_lag: 1.5\n",
        "execution_lag: expected a whole number, got 1.5 (float)",
    ),
    "date as a number": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nstart: 20200101\n",
        "start: expected a date YYYY-MM-DD, got 20200101 (int)",
    ),
    "unknown rebalance period": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nrebalance: monthy\n",
        "rebalance.every: must be one of 'never', 'daily', 'weekly', 'monthly', 'quarterly', "
        "got 'monthy' (did you mean 'monthly'?)",
    ),
    "duplicate YAML key": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nbenchmark: SPY\nbenchmark: QQQ\n",
        "malformed YAML at line 5, column 1: duplicate key 'benchmark' (first given at line 4)",
    ),
    "duplicate nested YAML key": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ncosts:\n  fees: 0.001\n  fees: 0.002\n",
        "malformed YAML at line 6, column 3: duplicate key 'fees' (first given at line 5)",
    ),
    "a sleeve named no (YAML reads false)": (
        "universe: {no: [MU]}\nstrategy: equal_weight\n",
        "universe: keys must be text, got False (bool) (YAML reads a bare no/yes/on/off as "
        "true/false and digits as a number: quote the key)",
    ),
    "symbol twice in one sleeve": (
        "universe: {risky: [MU, MU]}\nstrategy: equal_weight\n",
        "universe.risky: symbol 'MU' is listed twice",
    ),
    "weights over 1": (
        "universe: {risky: [MU], defensive: [BIL]}\n"
        "strategy: {name: fixed_weights, params: {weights: {MU: 0.7, BIL: 0.6}}}\n",
        "strategy.params.weights: sum to 1.2999999999999998 > 1",
    ),
    "weight for a symbol outside the universe": (
        "universe: {risky: [MU]}\n"
        "strategy: {name: fixed_weights, params: {weights: {MU: 0.5, QQQ: 0.5}}}\n",
        "strategy.params.weights.QQQ: not a symbol of the universe",
    ),
    "negative cash": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ninit_cash: -5\n",
        "init_cash: must be at least 1, got -5.0",
    ),
    "NaN cash": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ninit_cash: .nan\n",
        "init_cash: must be a finite number, got nan",
    ),
    "infinite fee": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ncosts: {fees: .inf}\n",
        "costs.fees: must be a finite number, got inf",
    ),
    "a number too large for a float": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ninit_cash: " + "9" * 400 + "\n",
        "init_cash: must be a finite number, got 99999999999999999999",
    ),
    "a NUL character in a path": (
        'universe: {risky: [MU]}\nstrategy: equal_weight\ndata: {source: local, path: "a\\0b"}\n',
        "data.path: must not contain a NUL character",
    ),
    "a data path too long for the file system": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ndata: {source: local, path: "
        + "a" * 5000
        + "}\n",
        "data.path: cannot open (File name too long)",
    ),
    "a strategies folder too long for the file system": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nstrategies_dir: " + "b" * 5000 + "\n",
        "strategies_dir: cannot open (File name too long)",
    ),
    "recursive alias": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ndescription: &d [*d]\n",
        "description[0]: contains itself (a recursive YAML alias)",
    ),
    "recursive alias in the universe": (
        "universe: &u {risky: [MU], more: *u}\nstrategy: equal_weight\n",
        "universe.more: contains itself (a recursive YAML alias)",
    ),
    "alias bomb (billion laughs)": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\nsweep:\n  grid:\n"
        "    a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        + "".join(
            f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)
        ),
        "more than 100,000 values once YAML aliases are expanded",
    ),
    "YAML nested thousands of levels deep": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ndescription: "
        + "[" * 2000
        + "]" * 2000
        + "\n",
        "malformed YAML: nested too deeply",
    ),
    "params nested 100 levels deep": (
        "universe: {risky: [MU]}\nstrategy: {name: equal_weight, params: "
        + "{a: " * 100
        + "1"
        + "}" * 100
        + "}\n",
        "nested more than 40 levels deep",
    ),
    "a tab for indentation": (
        "universe: {risky: [MU]}\nstrategy: equal_weight\ncosts:\n\tfees: 0.001\n",
        "malformed YAML at line 5, column 1: found character '\\t' that cannot start any token",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_gives_one_message_naming_file_and_key(case, tmp_path):
    text, message = BAD_CONFIGS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text if "strategies_dir" in text else f"strategies_dir: {STRATEGIES}\n" + text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize("case", ["duplicate YAML key", "alias bomb (billion laughs)"])
def test_bad_config_from_the_cli_is_one_line_and_exit_2(case, tmp_path):
    text, message = BAD_CONFIGS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(f"strategies_dir: {STRATEGIES}\n" + text)
    out = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert out.exit_code == 2
    assert out.output.count("\n") == 1 and message in out.output
    assert out.output.startswith(f"config error: {path}: ")


def test_exponent_numbers_are_numbers(write_config):
    """YAML 1.1 reads 1e-3 as text; a config takes it as the number it looks like."""
    path = write_config(base_config())
    path.write_text(path.read_text() + "init_cash: 2e5\n")
    path.write_text(path.read_text().replace("fees: 0.001", "fees: 1e-3"))
    config = load_config(path)
    assert config.costs.fees == 0.001
    assert config.init_cash == 200_000.0
    quoted = path.read_text().replace("init_cash: 2e5", "init_cash: '2e5'")
    path.write_text(quoted)
    with pytest.raises(ConfigError, match=r"init_cash: expected a number, got '2e5' \(str\)"):
        load_config(path)


def test_merge_keys_may_be_overridden_without_a_duplicate_error(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text(
        f"strategies_dir: {STRATEGIES}\nuniverse: {{risky: [MU]}}\nstrategy: equal_weight\n"
        "defaults: &costs {fees: 0.001, slippage: 0.0005}\n"
    )
    with pytest.raises(ConfigError, match="unknown key 'defaults'"):
        load_config(path)  # an anchor must live in a known key...
    path.write_text(
        f"strategies_dir: {STRATEGIES}\nuniverse: {{risky: [MU]}}\nstrategy: equal_weight\n"
        "description: &costs {fees: 0.001, slippage: 0.0005}\n"
        "costs: {<<: *costs, fees: 0.002}\n"
    )
    with pytest.raises(ConfigError, match="description: expected non-empty text"):
        load_config(path)  # ...and the merge itself (explicit key wins) is not a duplicate
    path.write_text(
        f"strategies_dir: {STRATEGIES}\nuniverse: {{risky: [MU]}}\nstrategy: equal_weight\n"
        "costs: {<<: {fees: 0.001, slippage: 0.0005}, fees: 0.002}\n"
    )
    assert load_config(path).costs.fees == 0.002


def test_huge_grid_is_refused_before_any_work(tmp_path):
    path = tmp_path / "sweep.yaml"
    values = "[" + ", ".join(str(v / 100) for v in range(20)) + "]"
    grid = "".join(
        f"    {key}: {values}\n"
        for key in (
            "costs.fees",
            "costs.slippage",
            "regime.min_days",
            "execution_lag",
            "init_cash",
        )
    )
    path.write_text(
        f"strategies_dir: {STRATEGIES}\nuniverse: {{risky: [MU]}}\nstrategy: equal_weight\n"
        f"sweep:\n  grid:\n{grid}"
    )
    out = CliRunner().invoke(main, ["sweep", str(path), "--results", str(tmp_path / "r")])
    assert out.exit_code == 2, out.output
    assert "grid: 20 x 20 x 20 x 20 x 20 = 3,200,000 variants is more than 1,000,000" in out.output
    assert not (tmp_path / "r").exists()


# --- dates the data cannot serve: errors at run time, naming the dates --------------------------

OUT_OF_RANGE = {
    "start after the data": (
        {"start": "2030-01-01"},
        "no overlap: backtest start 2030-01-01 is not before end 2026-07-13 (the last close of ",
    ),
    "end before the data": (
        {"start": "1940-01-01", "end": "1950-01-01"},
        "'MU' has no data before the backtest end 1950-01-01",
    ),
    "a weekend": (
        {"start": "2024-01-06", "end": "2024-01-07"},
        "the backtest window 2024-01-06 .. 2024-01-07 holds 0 trading day(s); with "
        "execution_lag 1 it needs at least 2",
    ),
    "a lag longer than the window": (
        {"start": "2024-01-02", "end": "2024-01-31", "execution_lag": 100_000},
        "holds 21 trading day(s); with execution_lag 100000 it needs at least 100001",
    ),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_RANGE))
def test_dates_out_of_the_data_range(case, write_config):
    changes, message = OUT_OF_RANGE[case]
    config = load_config(write_config({**SMALL, **changes}))
    with pytest.raises(DataError) as caught:
        run_backtest(config)
    assert message in str(caught.value)


def test_dates_out_of_range_from_the_cli(write_config, tmp_path):
    path = write_config({**SMALL, "start": "2024-01-06", "end": "2024-01-07"})
    out = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert out.exit_code == 1
    assert out.output.startswith("error: the backtest window 2024-01-06 .. 2024-01-07 holds 0")
    assert "Traceback" not in out.output


# --- the fuzz ---------------------------------------------------------------------------------


def _field_names(cls: type, seen: set[type] | None = None) -> set[str]:
    """Every field name of dataclass ``cls`` and of the dataclasses nested in it."""
    seen = seen or set()
    if cls in seen:
        return set()
    seen.add(cls)
    names = set()
    for field in dataclasses.fields(cls):
        names.add(field.name)
        hint = typing.get_type_hints(cls)[field.name]
        for option in typing.get_args(hint) or (hint,):
            if dataclasses.is_dataclass(option):
                names |= _field_names(option, seen)
    return names


TOP_KEYS = sorted(f.name for f in dataclasses.fields(Config) if f.name != "source_path")
SECTIONS = {
    f.name: f.type
    for f in dataclasses.fields(Config)
    if f.name in ("data", "signal", "regime", "strategy", "rebalance", "costs", "sweep")
}
SECTION_KEYS = {
    name: sorted(_field_names(getattr(config_module, f"{name.capitalize()}Config")))
    for name in SECTIONS
}
PARAM_KEYS = sorted(
    set().union(
        *(
            _field_names(load_strategy(name, STRATEGIES).params_type)
            for name in available_strategies(STRATEGIES)
        )
    )
)
WORDS = [
    *TOP_KEYS,
    *{k for keys in SECTION_KEYS.values() for k in keys},
    *PARAM_KEYS,
    *available_strategies(STRATEGIES),
    *("SPY", "MU", "BIL", "BTC-USD", "^TNX", "005930.KS", "scarce", "neutral", "abundant"),
    *("monthly", "local", "live", "bundled", "expanding", "hmm", "cash", "speculative"),
    *("cost_of_capital", "credit", "liquidity", "capex", "DGS10", "../x", "", " ", "\0"),
]

keys = st.sampled_from(WORDS) | st.text(max_size=12) | st.integers(-3, 3) | st.booleans()
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=20)
    | st.dates()
    | st.datetimes()
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)

VALID = {**base_config(), "strategies_dir": str(STRATEGIES)}


@st.composite
def configs(draw) -> dict:
    """A valid config with one to five random edits: a section or key replaced by a random
    value, removed, or added under a real or random name (strategy params included)."""
    raw = copy.deepcopy(VALID)
    if draw(st.booleans()):
        raw["strategy"] = {"name": draw(st.sampled_from(available_strategies(STRATEGIES)))}
    for _ in range(draw(st.integers(1, 5))):
        where = draw(st.sampled_from([*TOP_KEYS, "params", "sleeve", "?"]))
        action = draw(st.sampled_from(["set", "delete", "nested"]))
        if where == "?":
            raw[draw(keys)] = draw(values)
        elif where == "params":
            strategy = raw.get("strategy")
            if isinstance(strategy, dict):
                params = strategy.setdefault("params", {})
                if isinstance(params, dict):
                    params[draw(st.sampled_from(PARAM_KEYS) | keys)] = draw(values)
        elif where == "sleeve":
            universe = raw.get("universe")
            if isinstance(universe, dict):
                universe[draw(keys)] = draw(st.lists(st.sampled_from(WORDS), max_size=3) | values)
        elif action == "delete":
            raw.pop(where, None)
        elif action == "nested" and where in SECTIONS:
            section = raw.get(where)
            if not isinstance(section, dict):
                section = raw[where] = {}
            section[draw(st.sampled_from(SECTION_KEYS[where]) | keys)] = draw(values)
        else:
            raw[where] = draw(values)
    return raw


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _loaded_config_is_usable(config: Config) -> None:
    """What later steps do with a loaded config works: plain data, a hash, a round trip."""
    again = parse_config(config.to_dict(), name=config.name)
    assert again.config_hash() == config.config_hash()


@FUZZ
@given(raw=configs() | st.dictionaries(keys, values, max_size=6) | values)
def test_fuzz_parse_config_raises_only_rotation_errors(raw):
    try:
        config = parse_config(raw, name="fuzz")
    except RotationError:
        return
    _loaded_config_is_usable(config)


@FUZZ
@given(raw=configs())
def test_fuzz_load_config_raises_only_rotation_errors(raw, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    try:
        config = load_config(path)
    except RotationError:
        return
    _loaded_config_is_usable(config)


VALID_TEXT = yaml.safe_dump(VALID, sort_keys=False)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(VALID_TEXT)),
            st.integers(0, 8),
            st.sampled_from(
                [*":-[]{}&*!|>'\"#%@`,? \t\n\\\x00", "!!python/object:os.system", "&a", "*a"]
            )
            | st.text(max_size=4),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fuzz_mangled_yaml_text_raises_only_rotation_errors(edits, tmp_path_factory):
    text = VALID_TEXT
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut :]
    path = tmp_path_factory.mktemp("fuzz") / "mangled.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(RotationError):
        load_config(path)


def test_the_fuzz_reaches_valid_configs():
    """Guard against a fuzz that only ever meets the first check: its configs can load."""

    def loads(raw: dict) -> bool:
        try:
            return isinstance(parse_config(raw, name="fuzz"), Config)
        except RotationError:
            return False

    found = find(configs(), loads, settings=settings(derandomize=True, database=None))
    assert loads(found)
