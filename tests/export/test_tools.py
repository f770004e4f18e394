"""Each tool format for the demo config, checked field by field against the tool's own spec.

The specs (field names, allowed values) are written out here from the tools' documentation, as
cited in the modules: Alpaca POST /v2/orders, TradingView webhook alerts and placeholders, Pine
Script v6, the IBKR TWS basket file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import RotationError
from rotation.export import ExportOptions, export_signal, ibkr, plan_orders, tradingview
from rotation.export.orders import format_quantity, order_ids, order_key, tracking
from rotation.pipeline import load_inputs
from rotation.validate import load_config
from tests.helpers import CONFIGS

CONFIG = CONFIGS / "capital_scarcity.yaml"
ASOF = "2026-07-13"
ALLOW = ("BAA10Y", "WTREGEN")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
POSITIONS = "symbol,quantity\nBTC-USD,0.1\nIGV,50\nMU,10\nBIL,100\n"

# Alpaca, "Create an order" (POST /v2/orders)
ALPACA_FIELDS = {
    "symbol", "qty", "notional", "side", "type", "time_in_force", "limit_price", "stop_price",
    "trail_price", "trail_percent", "extended_hours", "client_order_id", "order_class",
    "take_profit", "stop_loss",
}  # fmt: skip
ALPACA_TIME_IN_FORCE = {"day", "gtc", "opg", "cls", "ioc", "fok"}
ALPACA_CRYPTO_TIME_IN_FORCE = {"gtc", "ioc"}
DECIMAL_UP_TO_9 = re.compile(r"^\d+(\.\d{1,9})?$")
# TradingView: the placeholders whose names the order alerts use, and {{time}}'s format
TV_ORDER_FIELDS = {
    "ticker", "action", "contracts", "price", "time", "timenow", "position_size",
    "market_position", "id", "comment", "strategy", "schema_version",
}  # fmt: skip
TV_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# IBKR, "Manually Create a Basket File": the market-order header, plus BasketTag
IBKR_HEADER = "Action,Quantity,Symbol,SecType,Exchange,Currency,TimeInForce,OrderType,BasketTag"


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def result(config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    positions = folder / "positions.csv"
    positions.write_text(POSITIONS)
    options = ExportOptions(
        asof=ASOF, allow_missing=ALLOW, positions=positions, cash=20_000, history=True
    )
    return export_signal(config, options, results_dir=folder / "results", now=NOW)


def _read(result, relative):
    return (result.folder / relative).read_text()


def test_the_folder_holds_every_format_and_a_manifest_of_them(result):
    names = {
        p.relative_to(result.folder).as_posix() for p in result.folder.rglob("*") if p.is_file()
    }
    assert names == {"manifest.json", *result.files}
    assert {
        "signal.json", "orders.csv", "generic/weights.csv", "generic/signals.jsonl",
        "tradingview/signal_alerts.json", "tradingview/order_alerts.json",
        "tradingview/regime.pine", "alpaca/orders.json",
    } <= names  # fmt: skip
    manifest = json.loads(_read(result, "manifest.json"))
    assert manifest["config_hash"] == result.feed.provenance.config_hash
    assert manifest["missing_inputs"] == list(ALLOW)
    assert manifest["orders"] == len(result.plan.trades)
    import hashlib

    for relative, digest in manifest["files"].items():
        assert hashlib.sha256((result.folder / relative).read_bytes()).hexdigest() == digest


def test_ibkr_is_left_out_with_a_note_naming_fractional_share_orders(result):
    fractional = [t for t in result.plan.trades if not t.crypto and t.quantity % 1]
    assert fractional  # the config sizes equities in fractions
    assert not (result.folder / "ibkr").exists()
    note = next(n for n in result.notes if n.startswith("ibkr/ not written"))
    for t in fractional:
        assert f"{t.side} {format_quantity(t.quantity)} {t.symbol}" in note
    assert "--whole-shares" in note


def test_alpaca_order_requests_follow_the_orders_api(result):
    requests = json.loads(_read(result, "alpaca/orders.json"))
    assert requests == list(result.alpaca_requests)
    assert len(requests) == len(result.plan.trades) > 0
    for body, trade in zip(requests, result.plan.trades, strict=True):
        assert set(body) <= ALPACA_FIELDS
        assert {"symbol", "side", "type", "time_in_force"} <= set(body)
        assert ("qty" in body) != ("notional" in body)
        assert isinstance(body["qty"], str) and DECIMAL_UP_TO_9.match(body["qty"])
        assert float(body["qty"]) == pytest.approx(trade.quantity)
        assert body["side"] == trade.side and body["type"] == "market"
        assert body["time_in_force"] in ALPACA_TIME_IN_FORCE
        assert len(body["client_order_id"]) <= 48
        if trade.crypto:
            assert body["symbol"] == trade.symbol.replace("-", "/")
            assert body["time_in_force"] in ALPACA_CRYPTO_TIME_IN_FORCE
        else:
            assert body["symbol"] == trade.symbol
            assert body["time_in_force"] == "day"  # fractional equity orders need day
    sides = [b["side"] for b in requests]
    assert sides == sorted(sides, key=lambda s: s != "sell")  # sells first
    assert {"symbol": "BTC/USD", "side": "sell", "qty": "0.1"}.items() <= requests[0].items()


def test_tradingview_order_alerts_use_the_placeholder_names(result):
    alerts = json.loads(_read(result, "tradingview/order_alerts.json"))
    requests = result.alpaca_requests
    assert len(alerts) == len(requests)
    for alert, body, trade in zip(alerts, requests, result.plan.trades, strict=True):
        assert set(alert) == TV_ORDER_FIELDS
        assert alert["ticker"] == trade.symbol.replace("-", "") if trade.crypto else trade.symbol
        assert alert["action"] == body["side"]
        assert alert["contracts"] == body["qty"]
        assert alert["id"] == body["client_order_id"]
        assert float(alert["price"]) == pytest.approx(trade.price, abs=0.005)
        assert TV_TIME.match(alert["time"]) and TV_TIME.match(alert["timenow"])
        assert alert["time"] == f"{ASOF}T00:00:00Z"
        assert alert["market_position"] == ("long" if trade.target_quantity > 0 else "flat")
        assert float(alert["position_size"]) == pytest.approx(trade.target_quantity)


def test_tradingview_signal_alerts_one_per_decision(result):
    alerts = json.loads(_read(result, "tradingview/signal_alerts.json"))
    decisions = result.feed.decisions
    assert len(alerts) == len(decisions)
    for alert, previous, d in zip(alerts[1:], alerts, decisions[1:], strict=False):
        assert alert["kind"] == "signal" and alert["schema_version"] == 1
        close = pd.Timestamp(_close_ms(d.decided_at), unit="ms")
        assert alert["time"] == close.strftime("%Y-%m-%dT%H:%M:%SZ")  # the New York close
        assert alert["id"] == tradingview.signal_id(
            result.feed.provenance.config_hash, d.decided_at, d.regime
        )
        assert alert["regime"] == d.regime
        assert alert["previous_regime"] == previous["regime"]
        assert alert["weights"] == pytest.approx(
            {s.replace("-", "") if s.endswith("-USD") else s: w for s, w in d.weights.items()}
        )


def _pine_array(text, name):
    match = re.search(rf"var array<int> {name} = array\.from\(([^)]*)\)", text)
    assert match, name
    return [int(v) for v in match.group(1).split(",")]


def _close_ms(day):
    """16:00 New York time on ``day`` as UNIX ms, written out by hand per season: EDT (UTC-4)
    from the second Sunday of March to the first Sunday of November, else EST (UTC-5)."""
    day = pd.Timestamp(day)
    march = pd.Timestamp(day.year, 3, 1)
    dst_start = march + pd.Timedelta(days=(6 - march.weekday()) % 7 + 7)
    november = pd.Timestamp(day.year, 11, 1)
    dst_end = november + pd.Timedelta(days=(6 - november.weekday()) % 7)
    hours = 20 if dst_start <= day < dst_end else 21
    return int((day + pd.Timedelta(hours=hours)).tz_localize("UTC").timestamp() * 1000)


def test_pine_script_plots_the_exported_regime_history(result):
    text = _read(result, "tradingview/regime.pine")
    lines = text.splitlines()
    assert lines[0] == "//@version=6"
    assert sum(1 for line in lines if line.startswith("indicator(")) == 1
    assert text.count("(") == text.count(")")
    assert "plot(state" in text and "bgcolor(" in text
    times, states = _pine_array(text, "changeTimes"), _pine_array(text, "changeStates")
    assert len(times) == len(states) > 0
    assert times == sorted(set(times))
    assert set(states) <= {-1, 0, 1}
    # replay the script's lookup on every daily bar (closing at 16:00 New York time): the state
    # shown on a day's bar is the regime decided at that day's close
    history = result.feed.regime_history.dropna()
    codes = {"abundant": -1, "neutral": 0, "scarce": 1}
    idx = -1
    for day, state in history.items():
        while idx + 1 < len(times) and times[idx + 1] <= _close_ms(day):
            idx += 1
        assert states[idx] == codes[state]


def test_pine_regime_changes_are_stamped_at_the_new_york_close_not_midnight_utc(result):
    """A change used to be stamped 00:00 UTC of its day: on an hourly chart the new regime
    showed from the first bar of the day, up to 20 hours before the close that decided it."""
    text = _read(result, "tradingview/regime.pine")
    times = _pine_array(text, "changeTimes")
    changes = tradingview.regime_changes(result.feed.regime_history)
    assert times == [_close_ms(day) for day in changes.index]
    seasons = {_close_ms(d) % 86_400_000 // 3_600_000 for d in changes.index}
    assert seasons == {20, 21}  # changes in both summer (EDT) and winter (EST)
    assert "<= barClose" in text and "time_close" in text
    # hourly bars of the last change's day: every bar closing before 16:00 New York time shows
    # the previous state, the bar closing at 16:00 the new one
    states = _pine_array(text, "changeStates")
    day = changes.index[-1]
    close = _close_ms(day)
    for hour in range(24):
        bar_close = int(day.tz_localize("UTC").timestamp() * 1000) + (hour + 1) * 3_600_000
        shown = max(i for i, t in enumerate(times) if t <= bar_close)
        assert states[shown] == (states[-1] if bar_close >= close else states[-2])


def test_pine_and_signal_history_start_with_the_price_data_not_the_macro_data(result, config):
    """The history used to start in 1978 (the first macro observation), the feed in 2015."""
    history = result.feed.regime_history
    start = pd.Timestamp(config.start)  # capital_scarcity: 2015-01-01
    assert history.index[0] == pd.Timestamp("2015-01-02")  # the first trading day from it
    assert start <= history.index[0] < start + pd.Timedelta(days=5)
    text = _read(result, "tradingview/regime.pine")
    assert f"from {history.index[0].date()}." in text
    first = _pine_array(text, "changeTimes")[0]
    assert first >= _close_ms(history.index[0])


def test_pine_size_guard_refuses_a_script_over_pines_limits(result):
    import dataclasses

    days = pd.date_range("1900-01-01", periods=60_000, freq="D")
    states = pd.Series(["scarce", "abundant"] * 30_000, index=days, dtype=object)
    huge = dataclasses.replace(result.feed, regime_history=states)
    with pytest.raises(tradingview.PineSizeError, match="60,000 regime changes make") as caught:
        tradingview.pine_script(huge)
    assert "100,256 compiled tokens" in str(caught.value)
    fits = dataclasses.replace(result.feed, regime_history=states.iloc[:2_000])
    assert "array.from(" in tradingview.pine_script(fits)
    too_many = pd.Series(["scarce", "abundant"] * 50_001, index=pd.RangeIndex(100_002))
    with pytest.raises(tradingview.PineSizeError, match="100,000 elements per array"):
        tradingview.pine_script(dataclasses.replace(result.feed, regime_history=too_many))


def test_ibkr_basket_follows_the_basket_file_layout(result):
    holdings = {"MU": 10, "WDC": 3, "BIL": 100}  # no crypto
    prices = {s: p for s, (_, p) in result.feed.latest_closes.items()}
    plan = plan_orders(result.feed.latest.weights, prices, holdings, cash=20_000)
    text = ibkr.basket_csv(plan, ibkr.basket_tag("capital_scarcity", "2026-07-01"))
    lines = text.splitlines()
    assert lines[0] == IBKR_HEADER
    assert all(" ," not in line and ", " not in line for line in lines)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(plan.trades) > 0
    for row, trade in zip(rows, plan.trades, strict=True):
        assert row["Action"] == trade.side.upper() and row["Action"] in {"BUY", "SELL"}
        assert float(row["Quantity"]) == trade.quantity
        assert row["Symbol"] == trade.symbol
        assert (row["SecType"], row["Exchange"], row["Currency"]) == ("STK", "SMART", "USD")
        assert (row["TimeInForce"], row["OrderType"]) == ("DAY", "MKT")
        assert re.fullmatch(r"[A-Za-z0-9]+", row["BasketTag"])
    assert ibkr.ibkr_symbol("BRK-B") == "BRK B"


@pytest.fixture(scope="module")
def whole_ibkr(config, tmp_path_factory):
    """A whole-share export with crypto traded and only ibkr asked for."""
    folder = tmp_path_factory.mktemp("ibkr")
    positions = folder / "p.csv"
    positions.write_text(POSITIONS)
    options = ExportOptions(
        asof=ASOF, allow_missing=ALLOW, positions=positions, cash=20_000, tools=("ibkr",),
        fractional=False,
    )  # fmt: skip
    return export_signal(config, options, out=folder / "out", now=NOW)


def test_ibkr_writes_the_stocks_and_the_crypto_as_ibkr_crypto_contracts(whole_ibkr):
    """One crypto order used to sink the whole IBKR export (exit 1 with --tool ibkr)."""
    plan = whole_ibkr.plan
    stocks = [t for t in plan.trades if not t.crypto]
    crypto = [t for t in plan.trades if t.crypto]
    assert stocks and [t.symbol for t in crypto] == ["BTC-USD"]
    basket = _read(whole_ibkr, "ibkr/basket.csv")
    assert basket.splitlines()[0] == IBKR_HEADER
    rows = list(csv.DictReader(io.StringIO(basket)))
    assert [(r["Action"], r["Symbol"], float(r["Quantity"])) for r in rows] == [
        (t.side.upper(), t.symbol, t.quantity) for t in stocks
    ]
    assert {r["SecType"] for r in rows} == {"STK"}
    crypto_text = _read(whole_ibkr, "ibkr/crypto_orders.csv")
    assert crypto_text.splitlines()[0] == IBKR_HEADER.replace("TimeInForce,", "")
    (row,) = csv.DictReader(io.StringIO(crypto_text))
    assert (row["Action"], row["Symbol"], row["SecType"], row["Exchange"], row["Currency"]) == (
        "SELL", "BTC", "CRYPTO", "PAXOS", "USD",
    )  # fmt: skip
    assert float(row["Quantity"]) == crypto[0].quantity == 0.1
    readme = _read(whole_ibkr, "ibkr/CRYPTO_README.txt")
    assert "SELL 0.1 BTC" in readme and "SecType = CRYPTO" in readme
    assert any("ibkr/crypto_orders.csv" in n and "BTC-USD" in n for n in whole_ibkr.notes)
    manifest = json.loads(_read(whole_ibkr, "manifest.json"))
    assert {"ibkr/basket.csv", "ibkr/crypto_orders.csv", "ibkr/CRYPTO_README.txt"} <= set(
        manifest["files"]
    )


def test_ibkr_refuses_fractional_shares_by_name_when_asked_for(config, result, tmp_path):
    """--fractional used to write fractional share counts into the basket without a word."""
    fractional = [t.symbol for t in result.plan.trades if not t.crypto and t.quantity % 1]
    pattern = f"fractional share quantities .*{fractional[0]}"
    with pytest.raises(ibkr.FractionalSharesError, match=pattern):
        ibkr.basket_csv(result.plan, "tag")
    positions = tmp_path / "p.csv"
    positions.write_text(POSITIONS)
    options = ExportOptions(
        asof=ASOF, allow_missing=ALLOW, positions=positions, cash=20_000, tools=("ibkr",)
    )
    with pytest.raises(RotationError, match="IBKR basket: fractional share quantities") as caught:
        export_signal(config, options, out=tmp_path / "out", now=NOW)
    for symbol in fractional:
        assert symbol in str(caught.value)
    assert not (tmp_path / "out").exists()
    assert not any(p.name.startswith(".incomplete") for p in tmp_path.iterdir())


def test_cli_ibkr_with_crypto_exits_0_and_prints_where_the_crypto_went(tmp_path):
    positions = tmp_path / "p.csv"
    positions.write_text(POSITIONS)
    args = ["export", str(CONFIG), "--asof", ASOF, "--tool", "ibkr", "--whole-shares"]
    args += [f"--allow-missing={name}" for name in ALLOW]
    args += ["--positions", str(positions), "--cash", "20000", "--out", str(tmp_path / "o")]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 0, outcome.output
    assert "note: IBKR crypto orders (BTC-USD) are in ibkr/crypto_orders.csv" in outcome.output
    assert (tmp_path / "o" / "ibkr" / "basket.csv").exists()
    fractional = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "f"), "--fractional"])
    assert fractional.exit_code == 1
    assert "error: IBKR basket: fractional share quantities" in fractional.output
    assert "Traceback" not in fractional.output


def test_generic_weights_csv_and_jsonl(result):
    weights = pd.read_csv(result.folder / "generic/weights.csv")
    assert list(weights.columns) == ["date", "symbol", "weight"]
    assert len(weights) == len(result.feed.decisions) * len(result.feed.sleeves)
    assert (weights.groupby("date")["weight"].sum() <= 1 + 1e-9).all()
    last = weights[weights["date"] == str(result.feed.latest.decided_at.date())]
    assert dict(zip(last["symbol"], last["weight"], strict=True)) == pytest.approx(
        dict(result.feed.latest.weights)
    )
    lines = _read(result, "generic/signals.jsonl").splitlines()
    assert len(lines) == len(result.feed.decisions)
    for line, d in zip(lines, result.feed.decisions, strict=True):
        message = json.loads(line)
        assert message["schema_version"] == 1
        assert message["config_hash"] == result.feed.provenance.config_hash
        assert message["decided_at"] == str(d.decided_at.date())
        assert message["weights"] == pytest.approx(dict(d.weights))


def test_orders_csv_lists_the_plan(result):
    rows = list(csv.DictReader(io.StringIO(_read(result, "orders.csv"))))
    p = result.feed.provenance
    ids = order_ids(
        result.plan, order_key(p.config_hash, str(result.feed.latest.decided_at.date()))
    )
    assert [(r["symbol"], r["side"], float(r["quantity"])) for r in rows] == [
        (t.symbol, t.side, t.quantity) for t in result.plan.trades
    ]
    assert [r["order_id"] for r in rows] == [ids[t.symbol] for t in result.plan.trades]


def test_an_export_never_overwrites(config, result):
    before = {p: p.read_bytes() for p in result.folder.rglob("*") if p.is_file()}
    with pytest.raises(RotationError, match="already exists and is not empty"):
        export_signal(config, ExportOptions(asof=ASOF, allow_missing=ALLOW), out=result.folder)
    assert {p: p.read_bytes() for p in result.folder.rglob("*") if p.is_file()} == before


def test_default_folders_are_new_each_time(config, result):
    assert result.folder.name == "capital_scarcity-export-20261125T120000"
    options = ExportOptions(asof=ASOF, allow_missing=ALLOW, tools=("generic",), format="csv")
    second = export_signal(config, options, results_dir=result.folder.parent, now=NOW)
    assert second.folder.name == "capital_scarcity-export-20261125T120000-2"
    assert (second.folder / "signal.csv").exists() and (result.folder / "signal.json").exists()
    assert sorted(p.name for p in result.folder.parent.iterdir()) == [
        result.folder.name,
        second.folder.name,
    ]


def test_cli_refuses_stale_data_with_the_reason(tmp_path):
    outcome = CliRunner().invoke(main, ["export", str(CONFIG), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 1
    assert "Traceback" not in outcome.output
    assert "error: refusing to export capital_scarcity as of" in outcome.output
    assert "MU: last close 2026-07-13" in outcome.output
    assert not (tmp_path / "o").exists()


def test_tradingview_ticker_spelling():
    assert tradingview.tradingview_ticker("BTC-USD") == "BTCUSD"
    assert tradingview.tradingview_ticker("MU") == "MU"


def test_pine_title_cannot_break_out_of_its_string_literal(result):
    import dataclasses

    evil = dataclasses.replace(result.feed.provenance, config_name='x"\n) // \\ injected')
    script = tradingview.pine_script(dataclasses.replace(result.feed, provenance=evil))
    title = next(line for line in script.splitlines() if line.startswith("indicator("))
    assert title.count('"') == 4 and "\\" not in title
    assert title.startswith('indicator("rotation regime: x) // ')


# --- whole shares or fractions, as the config says; planned weights and the tracking gap ------


@pytest.fixture(scope="module")
def inputs(config):
    return load_inputs(config)


def _sized(config, inputs, folder, **options):
    options = ExportOptions(
        asof=ASOF, allow_missing=ALLOW, equity=10_000, tools=("generic",), **options
    )
    return export_signal(config, options, out=folder, inputs=inputs, now=NOW)


def test_orders_are_sized_in_fractions_or_whole_shares_as_the_config_says(config, inputs, tmp_path):
    fractional = _sized(config, inputs, tmp_path / "fractional")  # the default: true
    whole = _sized(config.replace(fractional=False), inputs, tmp_path / "whole")
    for result, is_fractional in ((fractional, True), (whole, False)):
        assert result.fractional is is_fractional
        manifest = json.loads(_read(result, "manifest.json"))
        assert manifest["options"]["fractional"] is is_fractional
        assert not result.warnings
        quantities = [t.quantity for t in result.plan.trades if not t.crypto]
        assert quantities
        assert any(q % 1 for q in quantities) is is_fractional
    assert all(q == int(q) for q in (t.quantity for t in whole.plan.trades if not t.crypto))


def test_a_10000_export_invests_the_equity_when_fractional(config, inputs, tmp_path):
    """With whole shares 10,000 bought 1 MU @ 937 and no SNDK @ 1,674: about 27 % stayed in
    cash. In fractions (the config's default) every target is bought and the cash is spent,
    up to the costs budgeted and the 1e-6 step."""
    fractional = _sized(config, inputs, tmp_path / "fractional")
    whole = _sized(config, inputs, tmp_path / "whole", fractional=False)
    targets = {s for s, w in fractional.feed.latest.weights.items() if w > 0}
    assert {t.symbol for t in fractional.plan.trades} == targets
    assert fractional.plan.cash_after / fractional.plan.equity < 0.001
    assert tracking(fractional.plan).gap < 0.001
    assert whole.plan.cash_after / whole.plan.equity > 0.2  # the drift this setting removes
    assert tracking(whole.plan).gap > 0.2


def test_tracking_file_lists_planned_weights_next_to_the_targets(config, inputs, tmp_path):
    result = _sized(config, inputs, tmp_path / "out", fractional=False)
    written = json.loads(_read(result, "tracking.json"))
    track = tracking(result.plan)
    assert "tracking.json" in json.loads(_read(result, "manifest.json"))["files"]
    assert written["fractional"] is False
    assert written["tracking_gap"] == track.gap and written["cash_weight"] == track.cash_weight
    rows = {r["symbol"]: r for r in written["symbols"]}
    targets = {s: w for s, w in result.feed.latest.weights.items() if w > 0}
    assert set(targets) <= set(rows)
    prices = {s: p for s, (_, p) in result.feed.latest_closes.items()}
    for symbol, row in rows.items():
        assert row["target_weight"] == result.feed.latest.weights[symbol]
        held = float(row["planned_quantity"]) * prices[symbol]
        assert row["planned_weight"] == pytest.approx(held / track.value, rel=1e-9)
        assert row["difference"] == pytest.approx(row["planned_weight"] - row["target_weight"])
    weights = [r["planned_weight"] for r in written["symbols"]]
    assert sum(weights) + written["cash_weight"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("flag", "fractional", "warned"),
    [(None, True, False), ("--whole-shares", False, True), ("--fractional", True, False)],
)
def test_cli_prints_the_planned_weights_and_warns_when_overriding_the_config(
    tmp_path, flag, fractional, warned
):
    args = ["export", str(CONFIG), "--asof", ASOF, "--equity", "10000", "--tool", "generic"]
    args += [f"--allow-missing={name}" for name in ALLOW] + ["--out", str(tmp_path / "o")]
    outcome = CliRunner().invoke(main, args + ([flag] if flag else []))
    assert outcome.exit_code == 0, outcome.output
    written = json.loads((tmp_path / "o" / "tracking.json").read_text())
    assert written["fractional"] is fractional
    assert "weights after the orders (at the latest closes) against the targets:" in outcome.output
    for row in written["symbols"]:
        line = next(x for x in outcome.output.splitlines() if x.split()[:1] == [row["symbol"]])
        assert line.split()[1:] == [
            f"{row['target_weight']:.4f}",
            f"{row['planned_weight']:.4f}",
            f"{row['difference']:+.4f}",
        ]
    assert f"tracking gap {written['tracking_gap']:.4f}" in outcome.output
    assert f"cash left about {written['cash']:,.2f}" in outcome.output
    warning = (
        "warning: --whole-shares overrides the config's fractional: true: the orders will "
        "drift from the backtest"
    )
    if warned:
        assert warning in outcome.output
    else:
        assert "warning:" not in outcome.output
