"""Messy data files: each gives one clear DataError naming the file (or the symbol and dates).

Every case starts from a copy of the bundled snapshot (real data) in a temporary folder and
breaks one file, then reads it through ``FolderSource`` directly or runs a ``data: {source:
local}`` config end to end. Frames marked synthetic are made up here, small and labeled.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.config import read_config
from rotation.data.sources import BUNDLED_DIR, FolderSource
from rotation.errors import ConfigError, DataError
from rotation.pipeline import load_inputs
from rotation.validate import load_config
from tests.helpers import STRATEGIES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the bundled snapshot: prices/, macro/, capex/ (real data)."""
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, root)
    return root


def bundled_prices(symbol: str) -> pd.DataFrame:
    """The bundled price file of ``symbol`` as a table: date (text), close."""
    return pd.read_csv(BUNDLED_DIR / "prices" / f"{symbol}.csv.gz", dtype={"date": str})


def replace_file(root: Path, kind: str, key: str, name: str, content: bytes | pd.DataFrame) -> Path:
    """Remove every file of ``key`` under ``root/kind`` and write ``name`` in its place."""
    for old in (root / kind).glob(f"{key}.*"):
        old.unlink()
    path = root / kind / name
    if isinstance(content, pd.DataFrame):
        if name.endswith(".parquet"):
            content.to_parquet(path, index=False)
        else:
            content.to_csv(path, index=False)
    else:
        path.write_bytes(content)
    return path


def mu(change=None) -> pd.DataFrame:
    frame = bundled_prices("MU")
    return change(frame) if change else frame


def at(frame: pd.DataFrame, day: str) -> int:
    return int(frame.index[frame["date"] == day][0])


def with_value(day: str, value) -> callable:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({"close": object})
        frame.loc[at(frame, day), "close"] = value
        return frame

    return change


DAY = "2020-03-02"  # a Monday MU traded

BAD_PRICE_FILES = {
    "missing value column": (
        "MU.csv",
        lambda: mu().rename(columns={"close": "price"}),
        "missing a value column (one of adj_close, close, value) (the header has 2 columns)",
    ),
    "missing date column": (
        "MU.csv",
        lambda: mu().rename(columns={"date": "day"}),
        "missing column 'date' (the header has 2 columns)",
    ),
    "non-numeric value": (
        "MU.csv",
        lambda: mu(with_value(DAY, "12,5 USD")),
        f"non-numeric value in column 'close' on {DAY}",
    ),
    "zero price": ("MU.csv", lambda: mu(with_value(DAY, 0.0)), f"non-positive price 0.0 on {DAY}"),
    "negative price": (
        "MU.csv",
        lambda: mu(with_value(DAY, -5.0)),
        f"non-positive price -5.0 on {DAY} for 'MU'",
    ),
    "infinite price": (
        "MU.csv",
        lambda: mu(with_value(DAY, "inf")),
        f"non-finite value inf on {DAY} for 'MU'",
    ),
    "duplicate date": (
        "MU.csv",
        lambda: mu(
            lambda f: pd.concat([f, f.iloc[[at(f, DAY)]]]).sort_values("date", kind="stable")
        ),
        f"duplicate date {DAY} for 'MU'",
    ),
    "unsorted dates": (
        "MU.csv",
        lambda: mu(lambda f: f.iloc[[*range(at(f, DAY)), at(f, DAY) + 1, at(f, DAY)]]),
        f"dates are not sorted oldest-first for 'MU' ({DAY} comes after 2020-03-03)",
    ),
    "mixed time zones": (
        "MU.csv",
        lambda: mu(
            lambda f: f.assign(date=f["date"].where(f.index % 2 == 0, f["date"] + "T00:00-05:00"))
        ),
        "column 'date' mixes time zones (row 1 and row 2 differ)",
    ),
    "time zone on every date": (
        "MU.csv",
        lambda: mu(lambda f: f.assign(date=f["date"] + "T00:00+00:00")),
        "dates carry a time zone; expected plain calendar dates",
    ),
    "time zone in Parquet": (
        "MU.parquet",
        lambda: mu(lambda f: f.assign(date=pd.to_datetime(f["date"]).dt.tz_localize("UTC"))),
        "dates carry a time zone",
    ),
    "numbers for dates": (
        "MU.csv",
        lambda: mu(lambda f: f.assign(date=range(len(f)))),
        "column 'date' holds numbers, expected dates like 2024-01-31",
    ),
    "empty date cell": (
        "MU.csv",
        lambda: mu(lambda f: f.assign(date=f["date"].where(f.index != 5))),
        "empty date in column 'date' (row 6)",
    ),
    "impossible date": (
        "MU.csv",
        lambda: mu(lambda f: f.assign(date=f["date"].where(f.index != 5, "2020-02-30"))),
        "unparseable date in column 'date' (row 6)",
    ),
    "header only": ("MU.csv", lambda: b"date,close\n", "no rows for 'MU'"),
    "no values at all": (
        "MU.csv",
        lambda: mu(lambda f: f.assign(close=None)),
        "column 'close' has no values for 'MU'",
    ),
    "empty file": ("MU.csv", lambda: b"", "empty file (0 bytes)"),
    "empty gzip": ("MU.csv.gz", lambda: gzip.compress(b""), "empty file (no header row)"),
    "binary junk named .csv": (
        "MU.csv",
        lambda: bytes(range(256)) * 8,
        "binary content, not a CSV text file",
    ),
    "PNG named .csv": (
        "MU.csv",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
        "binary content, not a CSV text file",
    ),
    "text named .parquet": (
        "MU.parquet",
        lambda: b"date,close\n2020-01-02,10.5\n",
        "not a readable Parquet file",
    ),
    "text named .csv.gz": (
        "MU.csv.gz",
        lambda: b"date,close\n2020-01-02,10.5\n",
        "not a readable CSV file (Not a gzipped file",
    ),
    "Latin-1 text": (
        "MU.csv",
        lambda: "date,close\n2020-01-02,10.5\nJos\xe9,1\n".encode("latin-1"),
        "not a readable CSV file ('utf-8' codec can't decode",
    ),
    "semicolon separated": (
        "MU.csv",
        lambda: mu().to_csv(index=False, sep=";").encode(),
        "missing column 'date' (the header has 1 column; is it separated by something other "
        "than commas?)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PRICE_FILES))
def test_bad_price_file_names_the_file(case, folder):
    name, content, message = BAD_PRICE_FILES[case]
    path = replace_file(folder, "prices", "MU", name, content())
    with pytest.raises(DataError) as caught:
        FolderSource(folder).prices("MU")
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_macro_file_names_the_file(folder):
    frame = pd.read_csv(BUNDLED_DIR / "macro" / "DGS10.csv.gz", dtype=str)
    frame.loc[10, "value"] = "n.a"
    path = replace_file(folder, "macro", "DGS10", "DGS10.csv", frame)
    with pytest.raises(
        DataError, match=r"non-numeric value in column 'value' on 1962-01-16$"
    ) as caught:
        FolderSource(folder).macro("DGS10")
    assert str(path) in str(caught.value)


def test_acceptable_variants_read_the_same_series(folder):
    """Parquet, a time of day on each date, numbers stored as text and empty cells all read
    back as the bundled series (empty cells are missing observations, dropped)."""
    expected = FolderSource(BUNDLED_DIR).prices("MU")
    source = FolderSource(folder)
    replace_file(folder, "prices", "MU", "MU.parquet", mu())
    pd.testing.assert_series_equal(source.prices("MU"), expected, check_index_type=False)
    replace_file(
        folder, "prices", "MU", "MU.csv", mu(lambda f: f.assign(date=f["date"] + " 16:00"))
    )
    read = source.prices("MU")
    assert (read.index == read.index.normalize()).all()
    assert read.to_numpy().tolist() == expected.to_numpy().tolist()
    replace_file(
        folder, "prices", "MU", "MU.parquet", mu(lambda f: f.assign(close=f["close"].astype(str)))
    )
    assert source.prices("MU").to_numpy().tolist() == expected.to_numpy().tolist()
    replace_file(folder, "prices", "MU", "MU.csv", mu(with_value(DAY, None)))
    assert len(source.prices("MU")) == len(expected) - 1


# --- end to end: a local-data config ---------------------------------------------------------


def local_config(root: Path, **changes) -> Path:
    raw = {
        "name": "local",
        "data": {"source": "local", "path": str(root)},
        "start": "2019-01-01",
        "end": "2024-12-31",
        "universe": {"risky": ["MU"], "defensive": ["BIL"]},
        "benchmark": "SPY",
        "strategy": {"name": "fixed_weights", "params": {"weights": {"MU": 0.5, "BIL": 0.5}}},
        "rebalance": {"every": "monthly"},
        "strategies_dir": str(STRATEGIES),
    }
    raw.update(changes)
    path = root.parent / "local.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def drop_days(symbol: str, first: str, last: str) -> tuple[pd.DataFrame, str, str, int]:
    """``symbol``'s bundled closes without [first, last]; the closes around the gap, and how
    many closes were removed."""
    frame = bundled_prices(symbol)
    gap = frame["date"].between(first, last)
    before = frame.loc[~gap & (frame["date"] < first), "date"].iloc[-1]
    after = frame.loc[~gap & (frame["date"] > last), "date"].iloc[0]
    return frame[~gap], before, after, int(gap.sum())


@pytest.mark.parametrize("symbol", ["MU", "SPY"])
def test_a_gap_of_weeks_is_an_error_naming_symbol_and_dates(symbol, folder):
    frame, before, after, removed = drop_days(symbol, "2021-03-01", "2021-03-19")
    replace_file(folder, "prices", symbol, f"{symbol}.csv", frame)
    with pytest.raises(DataError) as caught:
        run_backtest(load_config(local_config(folder)))
    message = str(caught.value)
    assert f"{symbol!r} has no close from {before} to {after} ({removed} trading days)" in message
    assert "inside the backtest window 2019-01-02 .. 2024-12-31" in message


def test_a_one_week_gap_is_a_data_error_not_a_strategy_contract_error(folder):
    frame, before, after, _ = drop_days("MU", "2021-03-02", "2021-03-10")
    replace_file(folder, "prices", "MU", "MU.csv", frame)
    config = load_config(local_config(folder, rebalance={"every": "daily"}))
    with pytest.raises(DataError, match=f"'MU' has no close from {before} to {after}"):
        run_backtest(config)


def test_short_gaps_and_gaps_outside_the_window_are_carried(folder):
    """Two missing days are bridged by the carried close; a long gap before start is no error."""
    frame, *_ = drop_days("MU", "2021-03-02", "2021-03-03")
    frame = frame[~frame["date"].between("2017-01-01", "2017-06-30")]
    replace_file(folder, "prices", "MU", "MU.csv", frame)
    result = run_backtest(load_config(local_config(folder)))
    assert result.prices.loc["2021-03-02", "MU"] == result.prices.loc["2021-03-01", "MU"]
    assert result.metrics["days"] > 1000


def test_a_series_that_ends_before_the_backtest(folder):
    frame = bundled_prices("MU")
    replace_file(folder, "prices", "MU", "MU.csv", frame[frame["date"] < "2022-01-01"])
    with pytest.raises(DataError) as caught:
        run_backtest(load_config(local_config(folder)))
    assert str(caught.value) == (
        "end 2024-12-31 is after the last close of 'MU' (2021-12-31); set end on or before it"
    )
    result = run_backtest(load_config(local_config(folder, end=None)))
    assert "end set to 2021-12-31, the last close of 'MU'" in result.notes
    assert result.metrics["end"] == "2021-12-31"


def test_a_series_that_starts_after_the_backtest(folder):
    frame = bundled_prices("MU")
    replace_file(folder, "prices", "MU", "MU.csv", frame[frame["date"] > "2025-01-01"])
    with pytest.raises(DataError, match="'MU' has no data before the backtest end 2024-12-31"):
        run_backtest(load_config(local_config(folder)))


def test_a_symbol_without_a_file_is_named_at_load(folder):
    (folder / "prices" / "MU.csv.gz").unlink()
    with pytest.raises(ConfigError) as caught:
        load_config(local_config(folder))
    assert f"universe.risky: unknown symbol 'MU'; not in the local folder {folder}" in str(
        caught.value
    )
    config = read_config(local_config(folder))
    with pytest.raises(DataError, match=f"no data for 'MU' in local folder {folder}"):
        load_inputs(config)


def test_a_broken_file_stops_the_cli_with_one_line_and_no_run_folder(folder, tmp_path):
    path = replace_file(folder, "prices", "MU", "MU.csv", b"")
    results = tmp_path / "results"
    out = CliRunner().invoke(
        main, ["backtest", str(local_config(folder)), "--results", str(results)]
    )
    assert out.exit_code == 1
    assert out.output.strip() == f"error: {path}: empty file (0 bytes)"
    assert not results.exists() or not any(results.iterdir())
