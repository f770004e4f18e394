"""The reconciled, resumable Alpaca day (``rebalance``) against the fake Alpaca on 127.0.0.1.

SYNTHETIC account and targets: equity 12,000 (cash 1,000, 100 IGV @ 90, 20 MU @ 100), a quarter
each in MU, WDC, STX and BTC-USD, IGV sold. Buying power is the cash, as in a cash account, so a
buy posted before the IGV sale fills is refused, as Alpaca refuses it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from rotation.errors import RotationError
from rotation.export.alpaca import AlpacaAccount
from rotation.export.journal import Journal, read_journal
from rotation.export.orders import Sizing
from rotation.export.rebalance import Targets, read_snapshot, rebalance, whole_unit_symbols
from tests.export.fake_alpaca import KEY_ID, SECRET, FakeAlpaca

UNIVERSE = ("MU", "WDC", "STX", "BTC-USD", "IGV")
PRICES = {"MU": 100.0, "WDC": 70.0, "STX": 80.0, "BTC-USD": 60000.0, "IGV": 90.0}
TARGETS = Targets(
    weights={"MU": 0.25, "WDC": 0.25, "STX": 0.25, "BTC-USD": 0.25, "IGV": 0.0}, prices=PRICES
)
SINCE = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
KEY = "config-hash|2026-07-01"


@pytest.fixture
def fake():
    prices = {("BTC/USD" if s == "BTC-USD" else s): p for s, p in PRICES.items()}
    with FakeAlpaca(cash=1000.0, positions={"IGV": 100, "MU": 20}, prices=prices) as server:
        yield server


def _day(fake, tmp_path, targets=TARGETS, *, waits=None, retries=3, **kw):
    journal = Journal(tmp_path / "sent.jsonl")
    sleep = waits.append if waits is not None else (lambda s: None)
    alpaca = AlpacaAccount(
        fake.url, KEY_ID, SECRET, journal=journal, retries=retries, sleep=sleep, backoff=0
    )
    kw.setdefault("fill_timeout", 5.0)
    kw.setdefault("poll_every", 0.0)
    return rebalance(alpaca, targets, key=KEY, since=SINCE, universe=UNIVERSE, **kw)


def _ids(fake):
    return [o["client_order_id"] for o in fake.posted()]


def test_sells_fill_before_the_buys_are_sized_and_a_rerun_sends_nothing(fake, tmp_path):
    # The issue: sells posted, buys posted at once and refused for buying power, and a second
    # send refused as duplicates. Here every sell fills (late: two reads) before any buy.
    fake.fill_delay = 2
    report = _day(fake, tmp_path)
    assert report.refused == [] and not report.buys_deferred
    orders = fake.posted()
    sells = [o for o in orders if o["side"] == "sell"]
    buys = [o for o in orders if o["side"] == "buy"]
    assert [o["symbol"] for o in sells] == ["IGV"]
    assert {o["symbol"] for o in buys} == {"MU", "WDC", "STX", "BTC/USD"}
    assert all(o["status"] == "filled" for o in orders)
    assert min(b["created_at"] for b in buys) >= max(s["filled_at"] for s in sells)
    # 12,000 at the closes: 30 MU, 42 WDC (2,940), 37 STX (2,960), 0.05 BTC (3,000)
    assert fake.holdings() == {"MU": 30, "WDC": 42, "STX": 37, "BTC/USD": 0.05}
    assert fake.cash == pytest.approx(12000 - 3000 - 2940 - 2960 - 3000)
    posts = fake.posts
    again = _day(fake, tmp_path)
    assert fake.posts == posts  # nothing posted
    assert again.sent == [] and {p.outcome for p in again.orders} <= {"already placed"}
    assert len(_ids(fake)) == len(set(_ids(fake)))


def test_sells_still_open_at_the_timeout_hold_the_buys_back_until_a_rerun(fake, tmp_path):
    fake.fill_delay = 10**6  # the sale does not fill while we wait
    report = _day(fake, tmp_path, fill_timeout=0.05, poll_every=0.01)
    assert report.buys_deferred and [o.symbol for o in report.still_open] == ["IGV"]
    assert [o["side"] for o in fake.posted()] == ["sell"]
    fake.fill_delay = 0  # later that day the sale fills
    rerun = _day(fake, tmp_path)
    assert not rerun.buys_deferred and rerun.refused == []
    assert [o["symbol"] for o in fake.posted() if o["side"] == "sell"] == ["IGV"]  # once
    assert fake.holdings() == {"MU": 30, "WDC": 42, "STX": 37, "BTC/USD": 0.05}


def test_a_partial_fill_is_accounted_for_and_its_rest_never_sent_twice(fake, tmp_path):
    fake.partial, fake.stuck = {"IGV": 0.4}, {"IGV"}  # 40 of 100 fill, the rest waits
    report = _day(fake, tmp_path, fill_timeout=0.05, poll_every=0.01)
    (still,) = report.still_open
    assert (still.status, still.filled_qty, still.open_qty) == ("partially_filled", 40, 60)
    assert report.after is not None and report.after.holdings["IGV"] == 60
    assert [o["side"] for o in fake.posted()] == ["sell"]
    fake.stuck.clear()
    _day(fake, tmp_path)
    igv = [o for o in fake.posted() if o["symbol"] == "IGV"]
    assert len(igv) == 1 and igv[0]["status"] == "filled" and igv[0]["filled_qty"] == "100"
    assert "IGV" not in fake.holdings()
    assert {o["symbol"] for o in fake.posted() if o["side"] == "buy"} == {
        "MU", "WDC", "STX", "BTC/USD"
    }  # fmt: skip


def test_a_partial_fill_that_completes_while_polled(fake, tmp_path):
    fake.partial = {"IGV": 0.5}
    report = _day(fake, tmp_path)
    assert report.still_open == [] and report.refused == []
    assert fake.holdings() == {"MU": 30, "WDC": 42, "STX": 37, "BTC/USD": 0.05}


def test_a_refused_buy_is_reported_and_the_rerun_sends_only_it(fake, tmp_path):
    fake.reject_buys = {"WDC"}
    report = _day(fake, tmp_path)
    assert [(p.symbol, p.message) for p in report.refused] == [("WDC", "insufficient buying power")]
    assert "WDC" not in fake.holdings() and fake.holdings()["STX"] == 37  # the others stand
    before = _ids(fake)
    fake.reject_buys.clear()
    rerun = _day(fake, tmp_path)
    assert [p.symbol for p in rerun.sent] == ["WDC"]
    assert _ids(fake)[: len(before)] == before and len(_ids(fake)) == len(before) + 1
    assert fake.holdings()["WDC"] == 42


def test_a_connection_dropped_after_the_order_was_taken_sends_it_once(fake, tmp_path):
    fake.drop_posts = {3: "after"}  # the third order is created, its answer lost
    report = _day(fake, tmp_path)
    assert report.refused == []
    assert len(_ids(fake)) == len(set(_ids(fake))) == 5
    statuses = [(r["method"], r["status"]) for r in read_journal(tmp_path / "sent.jsonl")]
    assert ("POST", None) in statuses and ("POST", 422) in statuses  # retried, found, kept
    assert fake.holdings() == {"MU": 30, "WDC": 42, "STX": 37, "BTC/USD": 0.05}


def test_a_connection_lost_for_good_stops_and_the_rerun_sends_the_rest(fake, tmp_path):
    fake.drop_posts = {3: "before", 4: "before"}  # the third order never gets through
    with pytest.raises(RotationError, match="no answer .* run again to send what is missing"):
        _day(fake, tmp_path, retries=1)
    assert len(_ids(fake)) == 2  # IGV sold, one buy placed
    rerun = _day(fake, tmp_path)
    assert len(rerun.sent) == 3 and rerun.refused == []
    assert len(_ids(fake)) == len(set(_ids(fake))) == 5
    assert fake.holdings() == {"MU": 30, "WDC": 42, "STX": 37, "BTC/USD": 0.05}


def test_429_waits_for_retry_after(fake, tmp_path):
    fake.throttle = {3: "2", 6: "1"}
    waits: list[float] = []
    report = _day(fake, tmp_path, waits=waits)
    assert waits[:2] == [2.0, 1.0]
    assert report.refused == [] and len(_ids(fake)) == len(set(_ids(fake))) == 5
    assert [r["status"] for r in read_journal(tmp_path / "sent.jsonl")].count(429) == 2


def test_fractions_only_where_alpaca_allows_them(tmp_path):
    prices = {"MU": 100.0, "WDC": 70.0, "STX": 80.0, "BTC/USD": 60000.0, "IGV": 90.0}
    with FakeAlpaca(cash=12000.0, positions={}, prices=prices, not_fractionable=("STX",)) as fake:
        alpaca = AlpacaAccount(fake.url, KEY_ID, SECRET)
        whole = whole_unit_symbols(alpaca, UNIVERSE, fractional=True)
        assert whole == {"STX"}
        targets = Targets(TARGETS.weights, PRICES, Sizing(fractional=True, whole_units=whole))
        _day(fake, tmp_path, targets)
        qty = {o["symbol"]: o["qty"] for o in fake.posted()}
    assert qty["STX"] == "37"  # 3,000 / 80 = 37.5, whole shares only
    assert qty["WDC"] == "42.857142"  # 3,000 / 70 in millionths
    assert qty["MU"] == "30" and qty["BTC/USD"] == "0.05"


def test_the_account_is_the_holdings(fake, tmp_path):
    fake.positions["BTC/USD"] = 0.01  # listed by Alpaca as BTCUSD
    fake.prices["AAPL"] = 200.0
    fake.positions["AAPL"] = 3
    alpaca = AlpacaAccount(fake.url, KEY_ID, SECRET)
    with pytest.raises(RotationError, match="outside the config's universe: 3 AAPL"):
        read_snapshot(alpaca, UNIVERSE)
    snapshot = read_snapshot(alpaca, UNIVERSE, ignore_unknown=True)
    assert snapshot.holdings == {"IGV": 100, "MU": 20, "BTC-USD": 0.01}
    assert snapshot.ignored == {"AAPL": 3}
    assert (snapshot.account.cash, snapshot.account.number) == (1000.0, "PA3FAKE0001")
    fake.trading_blocked = True
    with pytest.raises(RotationError, match="trading_blocked is true"):
        read_snapshot(alpaca, UNIVERSE, ignore_unknown=True)


@pytest.mark.parametrize(
    ("changes", "positions", "message"),
    [
        ({"status": "ACCOUNT_UPDATED"}, {}, "status ACCOUNT_UPDATED, not ACTIVE"),
        ({"cash": "-2500.5"}, {}, "cash -2,500.50 is negative (margin in use)"),
        ({}, {"MU": -5}, "short position -5 MU"),
        ({"cash": "lots"}, {}, "/v2/account: unexpected answer"),
    ],
)
def test_an_account_rotation_cannot_size_from_is_refused(fake, changes, positions, message):
    fake.account_changes = changes
    fake.positions.update(positions)
    with pytest.raises(RotationError, match=re.escape(message)):
        read_snapshot(AlpacaAccount(fake.url, KEY_ID, SECRET), UNIVERSE)
    assert fake.posted() == []
