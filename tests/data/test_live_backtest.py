"""Live data end to end: `rotation data fetch` fills the cache, `rotation backtest` runs on it.

The local HTTP server re-serves the real numbers of the bundled snapshot in the providers' wire
formats: a Yahoo v8 chart JSON per symbol (as yfinance 1.7 requests and parses it; ``close`` and
``adjclose`` both the bundled close, which is already adjusted) and a FRED ``fredgraph.csv`` per
series (``observation_date,<ID>``). Each body holds the whole bundled history, and the server
answers with all of it whatever range is asked (``period1``, ``cosd``): FRED's client cuts its
answer at ``cosd`` and the cache merges Yahoo's rows, so an incremental refresh still gets the
same numbers. Only the chart ``meta`` block and the open/high/low/volume columns (the snapshot
has closes only; rotation reads none of them) are *synthetic*.

Since the live data are the bundled numbers, a backtest on the live cache must give the same
metrics and equity curve as the same config on ``data: bundled``: the check that the live path
reads exactly what it fetched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from rotation.cli import main
from rotation.data.cache import Cache, CacheWarning
from rotation.data.sources import bundled
from rotation.validate import load_config
from tests.data.conftest import LocalServer
from tests.helpers import ROOT, STRATEGIES, base_config

CHART = "/v8/finance/chart/"
FRED_CSV = "/graph/fredgraph.csv"
CONFIG = base_config(signal={"capex": "pnfi"})  # PNFI from FRED: no SEC EDGAR needed
SYMBOLS = ("BTC-USD", "IGV", "MU", "WDC", "BIL", "SPY")
SERIES = ("DGS10", "BAA10Y", "WALCL", "WTREGEN", "RRPONTSYD", "PNFI", "DGS3MO")  # + risk_free

# synthetic chart meta: instrument type, exchange and time zone of each listing
LISTINGS = {
    "BTC-USD": ("CRYPTOCURRENCY", "CCC", "UTC"),
    "IGV": ("ETF", "BTS", "America/New_York"),
    "MU": ("EQUITY", "NMS", "America/New_York"),
    "WDC": ("EQUITY", "NMS", "America/New_York"),
    "BIL": ("ETF", "PCX", "America/New_York"),
    "SPY": ("ETF", "PCX", "America/New_York"),
}


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: every provider is 'offline'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _epoch_seconds(stamps: pd.DatetimeIndex) -> list[int]:
    return [int(seconds) for seconds in stamps.as_unit("s").asi8]


def chart_json(symbol: str, closes: pd.Series) -> bytes:
    """Yahoo's v8 chart answer for ``symbol`` holding ``closes`` (one bar per date).

    An equity's daily bar is stamped at the session's open (09:30 New York), crypto's at 00:00
    UTC, as Yahoo stamps them; yfinance turns each stamp back into the exchange's date.
    """
    instrument, exchange, tz = LISTINGS[symbol]
    days = pd.DatetimeIndex(closes.index)
    if tz == "UTC":
        opens, session = days.tz_localize("UTC"), pd.Timedelta(hours=23, minutes=59)
    else:
        opens = (days + pd.Timedelta(hours=9, minutes=30)).tz_localize(tz)
        session = pd.Timedelta(hours=6, minutes=30)
    stamps = _epoch_seconds(opens)
    last_session = _epoch_seconds(pd.DatetimeIndex([opens[-1], opens[-1] + session]))
    offset = int(opens[-1].utcoffset().total_seconds())
    period = {"timezone": opens[-1].tzname(), "gmtoffset": offset}
    values = closes.tolist()
    meta = {
        "currency": "USD",
        "symbol": symbol,
        "exchangeName": exchange,
        "fullExchangeName": exchange,
        "instrumentType": instrument,
        "firstTradeDate": stamps[0],
        "regularMarketTime": last_session[1],
        "hasPrePostMarketData": tz != "UTC",
        "gmtoffset": offset,
        "timezone": opens[-1].tzname(),
        "exchangeTimezoneName": tz,
        "regularMarketPrice": values[-1],
        "chartPreviousClose": values[0],
        "priceHint": 2,
        "currentTradingPeriod": {
            "pre": {**period, "start": last_session[0], "end": last_session[0]},
            "regular": {**period, "start": last_session[0], "end": last_session[1]},
            "post": {**period, "start": last_session[1], "end": last_session[1]},
        },
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    volume = [0] * len(values)
    quote = {"open": values, "high": values, "low": values, "close": values, "volume": volume}
    result = {
        "meta": meta,
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": values}]},
    }
    return json.dumps({"chart": {"result": [result], "error": None}}).encode()


def fred_csv(series_id: str, values: pd.Series) -> bytes:
    """FRED's ``fredgraph.csv`` download of ``values`` (shortest exact decimal of each value)."""
    lines = [f"observation_date,{series_id}"]
    for day, value in values.items():
        text = repr(float(value))
        lines.append(f"{day:%Y-%m-%d},{text.removesuffix('.0')}")
    return ("\n".join(lines) + "\n").encode()


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def provider_env(url: str, cache: Path) -> dict[str, str]:
    return {
        "ROTATION_CACHE": str(cache),
        "ROTATION_YAHOO_URL": url,
        "ROTATION_FRED_URL": url,
        "ROTATION_SEC_URL": url,
    }


def write_config(path: Path, data: str | dict) -> Path:
    raw = {**CONFIG, "strategies_dir": str(STRATEGIES), "data": data}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def live_config(folder: Path, cache: Path, *, refresh: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"source": "live", "cache": str(cache), "refresh": refresh}
    return write_config(folder / "live.yaml", data)


def run_folders(results: Path) -> list[Path]:
    return sorted(p for p in results.iterdir() if p.is_dir()) if results.is_dir() else []


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but the lock) and its bytes: a snapshot of the cache."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def flip_a_byte(path: Path) -> Path:
    """Corrupt ``path`` in place: one byte in its middle inverted (the size stays the same)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def assert_same_numbers(got: object, expected: object, where: str = "metrics") -> None:
    """Equal structure; numbers equal to 1e-12 relative (NaN/None where the other has them)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), where
        for key in expected:
            assert_same_numbers(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, float) and isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-12, abs=0, nan_ok=True), where
    else:
        assert got == expected, where


def assert_same_run(live_run: Path, bundled_run: Path) -> None:
    """Same data fingerprint, metrics, equity curve, weights and orders in two run folders."""
    fingerprints = [
        json.loads((run / "manifest.json").read_text())["data_fingerprint"]
        for run in (live_run, bundled_run)
    ]
    assert fingerprints[0] == fingerprints[1]
    assert_same_numbers(
        json.loads((live_run / "metrics.json").read_text()),
        json.loads((bundled_run / "metrics.json").read_text()),
    )
    for name in ("equity.csv", "weights.csv"):
        got = pd.read_csv(live_run / name, index_col="date", parse_dates=True)
        expected = pd.read_csv(bundled_run / name, index_col="date", parse_dates=True)
        assert got.index.equals(expected.index) and list(got.columns) == list(expected.columns)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=0)
    got = pd.read_csv(live_run / "orders.csv")
    expected = pd.read_csv(bundled_run / "orders.csv")
    assert len(got) > 0 and list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=0)


# --- fixtures: one server, one fetch, one bundled baseline for the whole module -------------------


@pytest.fixture(scope="module")
def snapshot_server(yfinance_cache):
    """The local server answering every symbol and series of CONFIG with its bundled numbers."""
    source = bundled()
    local = LocalServer()
    for symbol in SYMBOLS:
        local.route(CHART + symbol, chart_json(symbol, source.prices(symbol)))
    for series_id in SERIES:
        local.route(
            FRED_CSV,
            fred_csv(series_id, source.macro(series_id)),
            content_type="text/csv",
            query=("id", series_id),
        )
    local.start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def fetched(tmp_path_factory, snapshot_server):
    """``rotation data fetch --config`` run once: (cache folder, CLI result)."""
    folder = tmp_path_factory.mktemp("fetch")
    cache = folder / "cache"
    config = write_config(folder / "fetch.yaml", "live")
    result = invoke(
        "data",
        "fetch",
        "--config",
        str(config),
        "--timeout",
        "10",
        env=provider_env(snapshot_server.url, cache),
    )
    return cache, result


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory) -> Path:
    """The run folder of CONFIG on ``data: bundled``, through the CLI."""
    folder = tmp_path_factory.mktemp("bundled")
    config = write_config(folder / "bundled.yaml", "bundled")
    result = invoke("backtest", str(config), "--results", str(folder / "results"))
    assert result.exit_code == 0, result.output
    (run,) = run_folders(folder / "results")
    return run


@pytest.fixture
def cache_copy(fetched, tmp_path) -> Path:
    """A private copy of the fetched cache, for a test to break."""
    cache, result = fetched
    assert result.exit_code == 0, result.output
    return Path(shutil.copytree(cache, tmp_path / "cache"))


# --- tests ---------------------------------------------------------------------------------------


def test_fetch_fills_the_cache_with_every_series_of_the_config(fetched, snapshot_server):
    cache_dir, result = fetched
    assert result.exit_code == 0, result.output
    source, cache = bundled(), Cache(cache_dir)
    expected = {f"prices/{s}": source.prices(s) for s in SYMBOLS}
    expected |= {f"macro/{m}": source.macro(m) for m in SERIES}
    entries = {entry.name: entry for entry in cache.entries()}
    assert entries.keys() == expected.keys()
    for name, series in expected.items():
        entry = entries[name]
        first, last = series.index[0].date().isoformat(), series.index[-1].date().isoformat()
        assert (entry.rows, entry.first, entry.last) == (len(series), first, last), name
        assert entry.source == ("yfinance" if name.startswith("prices/") else "fred")
        assert entry.url.startswith(snapshot_server.url)
        line = f"{entry.source:<8} {entry.key}: fetched {len(series)} rows ({first} to {last})"
        assert f"ok      {line}" in result.output
        frame, _ = cache.read(entry.kind, entry.key)
        assert frame["date"].tolist() == series.index.tolist(), name
        assert frame["value"].to_numpy().tobytes() == series.to_numpy().tobytes(), name
    assert cache.verify() == []
    assert f"cache: {cache_dir}" in result.output
    assert not any(s.path.startswith("/api/xbrl/") for s in snapshot_server.seen)  # no SEC


def test_backtest_on_the_cache_with_providers_down_equals_bundled(
    cache_copy, bundled_run, tmp_path
):
    """The real `rotation` command in a subprocess, so the printed warnings are what users see."""
    config = live_config(tmp_path / "configs", cache_copy)
    before = files_of(cache_copy)
    offline = closed_port_url()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROTATION_")}
    env |= provider_env(offline, tmp_path / "not-this-one")  # the config's cache wins
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")  # yfinance's own caches
    rotation = Path(sys.executable).parent / "rotation"
    results = tmp_path / "results"
    done = subprocess.run(
        [str(rotation), "backtest", str(config), "--results", str(results)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    source = bundled()
    for symbol in SYMBOLS:
        series = source.prices(symbol)
        assert f"Yahoo prices for {symbol!r}: cannot reach {offline}" in done.stderr
        span = f"data {series.index[0].date()} to {series.index[-1].date()}"
        age = rf"fetched [-0-9]+ [0-9:]+ UTC \(\d+ (seconds|minutes?) old; {span}\)"
        assert re.search(rf"Using the cached copy of prices/{symbol} {age}", done.stderr)
    for series_id in SERIES:
        assert f"FRED series {series_id!r}: cannot reach 127.0.0.1:" in done.stderr
        assert f"Using the cached copy of macro/{series_id} fetched " in done.stderr
    (run,) = run_folders(results)
    assert_same_run(run, bundled_run)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["data_source"] == f"live data (Yahoo, FRED, SEC EDGAR) cached in {cache_copy}"
    assert files_of(cache_copy) == before  # a stale read writes nothing
    assert not (tmp_path / "not-this-one").exists()


def test_backtest_without_refresh_reads_the_cache_and_asks_no_one(
    cache_copy, bundled_run, tmp_path
):
    config = live_config(tmp_path / "configs", cache_copy, refresh=False)
    results = tmp_path / "results"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = invoke(
            "backtest",
            str(config),
            "--results",
            str(results),
            env=provider_env(closed_port_url(), cache_copy),
        )
    assert result.exit_code == 0, result.output
    assert [w for w in caught if issubclass(w.category, CacheWarning)] == []
    (run,) = run_folders(results)
    assert_same_run(run, bundled_run)


def test_backtest_with_providers_down_and_an_empty_cache_fails_naming_the_series(tmp_path):
    cache = tmp_path / "empty-cache"
    config = live_config(tmp_path / "configs", cache)
    results = tmp_path / "results"
    offline = closed_port_url()
    result = invoke(
        "backtest", str(config), "--results", str(results), env=provider_env(offline, cache)
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.output.strip()
    assert message.startswith("error: Yahoo prices for 'BTC-USD': cannot reach ")  # the first
    assert message.endswith(f"; no cached copy of prices/BTC-USD in {cache}")
    assert offline in message
    assert not cache.exists() or files_of(cache) == {}  # nothing half-written
    assert run_folders(results) == []


def test_corrupt_cache_file_with_providers_down_fails_naming_the_file(cache_copy, tmp_path):
    path = flip_a_byte(cache_copy / "prices" / "MU.parquet")
    before = files_of(cache_copy)
    config = live_config(tmp_path / "configs", cache_copy)
    results = tmp_path / "results"
    offline = closed_port_url()
    with pytest.warns(CacheWarning) as warned:
        result = invoke(
            "backtest",
            str(config),
            "--results",
            str(results),
            env=provider_env(offline, cache_copy),
        )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    corrupt = f"cache file {path} for prices/MU is corrupt: its SHA-256 does not match the manifest"
    message = result.output.strip()
    assert message.startswith(f"error: Yahoo prices for 'MU': cannot reach {offline}{CHART}MU ")
    assert message.endswith(f"; and the cached copy is unusable: {corrupt}")
    said = [str(w.message) for w in warned]
    assert f"{corrupt}; fetching prices/MU again" in said
    assert files_of(cache_copy) == before  # nothing deleted, nothing rewritten
    assert run_folders(results) == []


def test_corrupt_cache_file_with_providers_up_is_refetched_and_the_run_succeeds(
    cache_copy, bundled_run, snapshot_server, tmp_path
):
    flip_a_byte(cache_copy / "prices" / "MU.parquet")
    config = live_config(tmp_path / "configs", cache_copy)
    results = tmp_path / "results"
    with pytest.warns(CacheWarning, match=r"prices/MU is corrupt.*fetching prices/MU again"):
        result = invoke(
            "backtest",
            str(config),
            "--results",
            str(results),
            env=provider_env(snapshot_server.url, cache_copy),
        )
    assert result.exit_code == 0, result.output
    cache = Cache(cache_copy)
    assert cache.verify() == []
    frame, entry = cache.read("prices", "MU")
    mu = bundled().prices("MU")
    assert entry.rows == len(mu) and entry.start is None  # all history fetched again
    assert frame["value"].to_numpy().tobytes() == mu.to_numpy().tobytes()
    (run,) = run_folders(results)
    assert_same_run(run, bundled_run)


def test_live_config_loads_without_touching_the_network(tmp_path):
    """Loading a live config checks no symbol against a provider (they are checked on fetch)."""
    config = load_config(live_config(tmp_path / "configs", tmp_path / "cache"))
    assert config.data.source == "live" and config.data.cache == str(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_trade_refreshes_live_data_then_trades_once_a_day(snapshot_server, tmp_path):
    """``rotation trade --paper`` on ``data: live``: the providers (the local snapshot server)
    are asked for every series, the day is traded on the fake Alpaca, and a second run the same
    day asks the providers again but posts no order."""
    from tests.export.fake_alpaca import ENV, FakeAlpaca

    config = live_config(tmp_path / "config", tmp_path / "cache")
    source = bundled()
    closes = {s: float(source.prices(s).loc[:"2026-07-13"].iloc[-1]) for s in SYMBOLS}
    prices = {("BTC/USD" if s == "BTC-USD" else s): p for s, p in closes.items()}
    env = {**provider_env(snapshot_server.url, tmp_path / "cache"), **ENV}
    args = ["trade", str(config), "--paper", "--asof", "2026-07-13", "--fill-timeout", "5",
            "--results", str(tmp_path / "results")]  # fmt: skip
    # the bundled snapshot's BAA10Y, WTREGEN and PNFI end months before its prices do
    for name in ("BAA10Y", "WTREGEN", "capex_growth_yoy"):
        args += ["--allow-missing", name]
    with FakeAlpaca(cash=10000.0, positions={"IGV": 20}, prices=prices) as fake:
        asked = len(snapshot_server.seen)
        first = invoke(*args, "--alpaca-url", fake.url, env=env)
        assert first.exit_code == 0, first.output
        charts = {s.path for s in snapshot_server.seen[asked:] if s.path.startswith(CHART)}
        assert charts == {CHART + s for s in SYMBOLS}  # every price refreshed
        assert "not refreshed" not in first.output
        sent = fake.posted()
        assert sent and all(o["status"] == "filled" for o in sent)
        second = invoke(*args, "--alpaca-url", fake.url, env=env)
        assert second.exit_code == 0, second.output
        assert fake.posted() == sent and "nothing new to send" in second.output
    (folder, _) = run_folders(tmp_path / "results")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["data_source"].startswith("live data (Yahoo, FRED, SEC EDGAR) cached in")
