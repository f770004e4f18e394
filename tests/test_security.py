"""Configs are data: safe YAML, no value run as code, strategies only from the named folder,
output names that cannot leave the results folder, and odd symbols safe in file names."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.data.cache import Cache
from rotation.data.sources import BUNDLED_DIR, FolderSource
from rotation.errors import ConfigError, DataError
from rotation.runs import new_folder, save
from rotation.strategy import load_strategy
from rotation.validate import load_config
from tests.helpers import ROOT, STRATEGIES

SRC = ROOT / "src" / "rotation"


def small_config(tmp_path: Path, **changes) -> Path:
    raw = {
        "start": "2023-01-01",
        "end": "2024-06-30",
        "universe": {"risky": ["MU"], "defensive": ["BIL"]},
        "strategy": "equal_weight",
        "strategies_dir": str(STRATEGIES),
        **changes,
    }
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


# --- YAML is data --------------------------------------------------------------------------------

PYTHON_TAGS = [
    "name: !!python/object/apply:os.system ['touch {marker}']",
    "name: !!python/object/new:os.system ['touch {marker}']",
    "description: !!python/name:os.system",
    "description: !!python/module:os",
    "costs: !!python/object:types.SimpleNamespace {{fees: 0.001}}",
    "benchmark: !!python/tuple [SPY]",
    'init_cash: !!python/object/apply:builtins.eval [\'open("{marker}", "w") and 1\']',
]


@pytest.mark.parametrize("line", PYTHON_TAGS)
def test_python_tags_are_refused_and_never_run(line, tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.yaml"
    path.write_text(
        f"universe: {{risky: [MU]}}\nstrategy: equal_weight\n{line.format(marker=marker)}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}: malformed YAML at line 3" in str(caught.value)
    assert "could not determine a constructor for the tag" in str(caught.value)
    assert "a config is plain data" in str(caught.value)
    assert not marker.exists()


def test_the_package_never_evaluates_text_as_code():
    """No eval/exec/compile/__import__, no unsafe YAML or pickle loads; the one place that runs
    Python from a file is the strategy loader."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            attr = func.attr if isinstance(func, ast.Attribute) else None
            owner = func.value.id if attr and isinstance(func.value, ast.Name) else None
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            if name in ("eval", "exec", "compile", "__import__"):
                found.append(f"{where} {name}()")
            if owner == "yaml" and attr in (
                "unsafe_load",
                "full_load",
                "load_all",
                "unsafe_load_all",
            ):
                found.append(f"{where} yaml.{attr}()")
            if owner == "yaml" and attr == "load":
                loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                if not (isinstance(loader, ast.Name) and loader.id == "_ConfigLoader"):
                    found.append(f"{where} yaml.load() without the safe config loader")
            if owner in ("pickle", "marshal", "dill", "cloudpickle") and attr.startswith("load"):
                found.append(f"{where} {owner}.{attr}()")
            if attr in ("exec_module", "spec_from_file_location", "import_module"):
                found.append(f"{where} {attr}()")
    strategy_loader = [f for f in found if f.startswith("strategy.py:")]
    assert [f for f in found if f not in strategy_loader] == []
    assert len(strategy_loader) == 2  # spec_from_file_location + exec_module in _load_module


CODE = "__import__('os').system('touch {marker}')"


def test_config_values_that_look_like_code_stay_text(tmp_path):
    marker = tmp_path / "marker"
    code = CODE.format(marker=marker)
    path = small_config(tmp_path, name=code, description=f"${{{code}}} {{{{ {code} }}}} `{code}`")
    config = load_config(path)
    assert config.name == code
    run = save(run_backtest(config), tmp_path / "results")
    assert yaml.safe_load((run / "config.yaml").read_text())["name"] == code
    assert json.loads((run / "manifest.json").read_text())["name"] == code
    sweep = CliRunner().invoke(
        main,
        ["sweep", str(path), "--grid", f"costs.fees=0.001,{code}", "--results", str(tmp_path)],
    )
    assert sweep.exit_code == 2
    assert "costs.fees: expected a number" in sweep.output
    assert not marker.exists()


# --- strategies come only from the folder the config names --------------------------------------

REFUSED_NAMES = [
    "../x",
    "../strategies/equal_weight",
    "os.path",
    "os",
    "sys",
    "/etc/passwd",
    "strategies/equal_weight",
    "equal_weight.py",
    "Equal_Weight",
    "evil",
    "__init__",
]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_a_strategy_name_outside_the_folder_is_refused(name, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    marker = tmp_path / "imported"
    (elsewhere / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    with pytest.raises(ConfigError, match=r"strategy\.name: unknown strategy"):
        load_strategy(name, STRATEGIES)
    with pytest.raises(ConfigError, match=r"strategy\.name: unknown strategy"):
        load_config(small_config(tmp_path, strategy=name))
    assert not marker.exists()


def test_the_named_folder_is_the_one_used(tmp_path):
    own = tmp_path / "my_strategies"
    own.mkdir()
    (own / "equal_weight.py").write_text(
        (STRATEGIES / "equal_weight.py")
        .read_text()
        .replace('"""Equal weight across sleeves', '"""My own copy: equal weight across sleeves', 1)
    )
    config = load_config(small_config(tmp_path, strategies_dir=str(own)))
    strategy = load_strategy(config.strategy.name, config.resolve_path(config.strategies_dir))
    assert strategy.path == own / "equal_weight.py"
    assert strategy.description.startswith("My own copy")
    relative = small_config(tmp_path, strategies_dir="my_strategies")  # relative to the config
    assert load_config(relative).resolve_path("my_strategies") == own
    with pytest.raises(ConfigError, match="unknown strategy 'fixed_weights'"):
        load_config(small_config(tmp_path, strategies_dir=str(own), strategy="fixed_weights"))


# --- output names cannot leave the results folder ----------------------------------------------

HOSTILE_NAMES = [
    "../../evil",
    "/tmp/evil",
    "..",
    ".",
    ".hidden",
    "a/b\\c",
    "~/evil",
    "C:\\evil",
    "x" * 300,
    "名前 with spaces",
    "-rf",
]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One small real backtest (equal weight, MU and BIL, bundled data)."""
    return run_backtest(load_config(small_config(tmp_path_factory.mktemp("config"))))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_run_folder_names_stay_inside_the_results_folder(name, result, tmp_path):
    results = tmp_path / "nested" / "results"
    named = dataclasses.replace(result, config=result.config.replace(name=name))
    folder = save(named, results)
    assert folder.parent == results
    assert not folder.name.startswith(".") and "/" not in folder.name and "\\" not in folder.name
    assert len(folder.name) < 120
    assert json.loads((folder / "manifest.json").read_text())["name"] == name  # kept as data
    with new_folder(results, f"{name}-sweep-x") as staging:
        (staging.path / "file").write_text("x")
    assert staging.published.parent == results
    outside = {p for p in tmp_path.rglob("*") if results not in (p, *p.parents)}
    assert outside == {tmp_path / "nested"}


def test_a_traversal_name_from_the_cli_stays_inside(tmp_path):
    path = small_config(tmp_path, name="../../evil")
    results = tmp_path / "deep" / "results"
    out = CliRunner().invoke(main, ["backtest", str(path), "--results", str(results), "-q"])
    assert out.exit_code == 0, out.output
    folder = Path(out.stdout.strip().splitlines()[-1])
    assert folder.parent == results and folder.name.startswith("_.._evil-")
    assert not (tmp_path / "evil").exists() and not list(tmp_path.glob("*evil*"))


# --- odd symbols in file names -----------------------------------------------------------------

ODD_SYMBOLS = [
    "^TNX",
    "BRK-B",
    "BRK.B",
    "005930.KS",
    "EURUSD=X",
    "GC=F",
    "BTC-USD",
    "brk-b",
    "../evil",
    "a/b",
    "..",
    ".",
    "%2F",
    "A B",
    "名前",
    "CON",
]


def test_odd_symbols_round_trip_through_cache_file_names(tmp_path):
    cache = Cache(tmp_path / "cache")
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    for i, symbol in enumerate(ODD_SYMBOLS):
        frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3), "value": float(i)})
        cache.write("prices", symbol, frame, source="yfinance", url="u", fetched_at=now)
    files = sorted((tmp_path / "cache").rglob("*.parquet"))
    assert len(files) == len(ODD_SYMBOLS)  # one file each: no two symbols share a name
    assert {f.parent for f in files} == {tmp_path / "cache" / "prices"}
    for i, symbol in enumerate(ODD_SYMBOLS):
        frame, entry = cache.read("prices", symbol)
        assert entry.key == symbol and frame["value"].tolist() == [float(i)] * 3
    assert cache.path("prices", "^TNX").name == "^TNX.parquet"  # readable where safe
    assert cache.path("prices", "BRK-B").name == "BRK-B.parquet"
    assert cache.path("prices", "005930.KS").name == "005930.KS.parquet"
    assert cache.verify() == []


@settings(max_examples=200, deadline=None, derandomize=True)
@given(symbol=st.text(min_size=1, max_size=15))
def test_any_symbol_maps_to_one_file_inside_its_folder(symbol):
    cache = Cache("/cache-root")
    path = cache.path("prices", symbol)
    assert path.parent == Path("/cache-root/prices")
    assert unquote(path.name.removesuffix(".parquet")) == symbol  # reversible, so one-to-one


def test_odd_symbols_in_a_local_data_folder(tmp_path):
    prices = tmp_path / "prices"
    prices.mkdir()
    spy = pd.read_csv(BUNDLED_DIR / "prices" / "SPY.csv.gz")
    for symbol in ("BRK-B", "BRK.B", "^TNX", "EURUSD=X"):
        spy.to_csv(prices / f"{symbol}.csv", index=False)  # real SPY closes under odd names
    source = FolderSource(tmp_path)
    assert source.symbols() == {"BRK-B", "BRK.B", "^TNX", "EURUSD=X"}
    for symbol in source.symbols():
        series = source.prices(symbol)
        assert series.name == symbol and len(series) == len(spy)


def test_a_symbol_cannot_reach_outside_the_prices_folder():
    source = FolderSource(BUNDLED_DIR)
    for symbol in ("../macro/DGS10", "../../data/bundled/prices/SPY", "..", "prices/SPY"):
        with pytest.raises(DataError, match="no data for"):
            source.prices(symbol)
