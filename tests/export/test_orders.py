"""Positions files and the trade plan: hand-checked numbers on tiny synthetic portfolios."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import DataError, RotationError
from rotation.export.orders import (
    format_quantity,
    order_ids,
    plan_orders,
    read_positions,
    tracking,
)
from tests.helpers import CONFIGS

UNIVERSE = ("BTC-USD", "IGV", "MU", "WDC", "BIL")


def _file(tmp_path, text: str, name: str = "positions.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- positions files -----------------------------------------------------------------------


def test_reads_holdings_with_broker_spellings_comments_and_extra_columns(tmp_path):
    path = _file(
        tmp_path,
        "# exported from the broker\nQuantity,Symbol,avg_cost\n10,MU,90.5\n\n0.25,btc/usd,30000\n",
    )
    holdings = read_positions(path, UNIVERSE)
    assert dict(holdings.quantities) == {"MU": 10.0, "BTC-USD": 0.25}
    assert dict(holdings.ignored) == {}


def test_missing_header_names_the_file_and_line(tmp_path):
    path = _file(tmp_path, "MU,10\nWDC,5\n")
    with pytest.raises(DataError, match=r"positions.csv line 1: missing header.*'symbol'"):
        read_positions(path, UNIVERSE)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("MU", r"line 2: malformed row 'MU' \(1 fields, the header has 2\)"),
        ("MU,1,000", r"line 2: malformed row 'MU,1,000' \(3 fields"),
        ("MU,ten", r"line 2: quantity 'ten' of MU is not a number"),
        ("MU,nan", r"line 2: quantity 'nan' of MU is not a number"),
        (",5", r"line 2: empty symbol"),
        ("MU,-5", r"line 2: negative quantity -5 of MU \(short positions are not supported\)"),
    ],
)
def test_malformed_rows_are_refused_with_their_line(tmp_path, row, message):
    path = _file(tmp_path, f"symbol,quantity\n{row}\n")
    with pytest.raises(DataError, match=message):
        read_positions(path, UNIVERSE)


def test_duplicates_and_unknown_symbols_are_all_listed_at_once(tmp_path):
    path = _file(tmp_path, "symbol,quantity\nMU,1\nAAPL,3\nmu,2\nTSLA,1\nWDC,-1\n")
    with pytest.raises(DataError) as caught:
        read_positions(path, UNIVERSE)
    message = str(caught.value)
    assert "line 4: mu is already listed on line 2" in message
    assert "line 6: negative quantity -1 of WDC" in message
    assert "not in the config's universe: AAPL (line 3), TSLA (line 5)" in message
    assert "--ignore-unknown" in message


def test_ignore_unknown_leaves_outside_holdings_aside(tmp_path):
    path = _file(tmp_path, "symbol,quantity\nMU,1\nAAPL,3\n")
    holdings = read_positions(path, UNIVERSE, ignore_unknown=True)
    assert dict(holdings.quantities) == {"MU": 1.0}
    assert dict(holdings.ignored) == {"AAPL": 3.0}


def test_empty_and_absent_files(tmp_path):
    with pytest.raises(DataError, match="positions file is empty"):
        read_positions(_file(tmp_path, "\n\n"), UNIVERSE)
    with pytest.raises(DataError, match="positions file not found"):
        read_positions(tmp_path / "nope.csv", UNIVERSE)


def test_cli_prints_position_errors_without_a_traceback(tmp_path):
    path = _file(tmp_path, "symbol,quantity\nMU,-3\nNVDA,2\n")
    outcome = CliRunner().invoke(
        main,
        [
            "export", str(CONFIGS / "capital_scarcity.yaml"), "--asof", "2026-07-13",
            "--allow-missing", "BAA10Y", "--allow-missing", "WTREGEN",
            "--positions", str(path), "--cash", "1000", "--out", str(tmp_path / "out"),
        ],
    )  # fmt: skip
    assert outcome.exit_code == 2  # a bad input, as a bad config
    assert "Traceback" not in outcome.output
    assert f"{path} line 2: negative quantity -3 of MU" in outcome.output
    assert "NVDA (line 3)" in outcome.output
    assert not (tmp_path / "out").exists()


# --- the plan ------------------------------------------------------------------------------


def test_plan_sells_first_then_buys_to_the_target_weights():
    # equity = 400 cash + 10 x 10 + 100 x 5 = 1000
    plan = plan_orders(
        {"A": 0.5, "B": 0.3, "C": 0.0},
        {"A": 10.0, "B": 20.0, "C": 5.0},
        {"A": 10, "C": 100},
        cash=400,
    )
    assert [(t.symbol, t.side, t.quantity) for t in plan.trades] == [
        ("C", "sell", 100),
        ("A", "buy", 40),
        ("B", "buy", 15),
    ]
    assert plan.equity == 1000
    assert plan.cash_after == pytest.approx(400 + 500 - 400 - 300)
    assert [t.target_quantity for t in plan.trades] == [0, 50, 15]


def test_equity_given_instead_of_cash():
    plan = plan_orders({"A": 1.0}, {"A": 10.0}, {"A": 30}, equity=1000)
    assert plan.cash_before == pytest.approx(700)
    assert [(t.side, t.quantity) for t in plan.trades] == [("buy", 70)]


def test_whole_shares_for_equities_fractions_for_crypto_and_on_request():
    whole = plan_orders({"MU": 0.5}, {"MU": 300.0}, cash=1000)
    assert whole.trades[0].quantity == 1  # 1.67 shares rounded down
    fractional = plan_orders({"MU": 0.5}, {"MU": 300.0}, cash=1000, fractional_equities=True)
    assert fractional.trades[0].quantity == pytest.approx(1.666666)
    crypto = plan_orders({"BTC-USD": 0.5}, {"BTC-USD": 30000.0}, cash=1000)
    assert crypto.trades[0].quantity == pytest.approx(0.016666)  # 1e-6 units
    assert format_quantity(crypto.trades[0].quantity) == "0.016666"


def test_a_zero_target_sells_the_whole_holding_fractions_included():
    plan = plan_orders({"MU": 0.0, "BIL": 1.0}, {"MU": 100.0, "BIL": 100.0}, {"MU": 10.5}, cash=0)
    assert [(t.symbol, t.side, t.quantity) for t in plan.trades] == [
        ("MU", "sell", 10.5),
        ("BIL", "buy", 10),
    ]


def test_drift_band_skips_small_drifts_and_buys_fit_the_cash():
    # A drifted 2 points over its target: inside a 3-point band it is not sold, so B's buy
    # (500 wanted) is scaled to the 480 of cash.
    plan = plan_orders(
        {"A": 0.5, "B": 0.5}, {"A": 10.0, "B": 10.0}, {"A": 52}, cash=480, drift_band=0.03
    )
    assert [(t.symbol, t.side, t.quantity) for t in plan.trades] == [("B", "buy", 48)]
    assert plan.cash_after == pytest.approx(0)
    assert [s.symbol for s in plan.skipped] == ["A"]
    no_band = plan_orders({"A": 0.5, "B": 0.5}, {"A": 10.0, "B": 10.0}, {"A": 52}, cash=480)
    assert [(t.symbol, t.side, t.quantity) for t in no_band.trades] == [
        ("A", "sell", 2),
        ("B", "buy", 50),
    ]


def test_trades_below_the_minimum_are_not_sent():
    plan = plan_orders(
        {"A": 0.5, "B": 0.5}, {"A": 10.0, "B": 10.0}, {"A": 49}, cash=510, min_trade_value=20
    )
    assert [(t.symbol, t.quantity) for t in plan.trades] == [("B", 50)]
    assert "below the minimum trade" in plan.skipped[0].reason


def test_costs_are_budgeted_so_the_plan_never_overdraws():
    plan = plan_orders({"A": 1.0}, {"A": 10.0}, cash=1000, cost_rate=0.01)
    # 100 shares would cost 1010 with costs: scaled to 99
    assert plan.trades[0].quantity == 99
    assert plan.cash_after >= 0


def test_plan_refuses_inconsistent_money_inputs():
    with pytest.raises(RotationError, match="exactly one of --equity"):
        plan_orders({"A": 1.0}, {"A": 10.0}, cash=10, equity=10)
    with pytest.raises(RotationError, match="exactly one of --equity"):
        plan_orders({"A": 1.0}, {"A": 10.0})
    with pytest.raises(RotationError, match="less than the holdings' value 500.00"):
        plan_orders({"A": 1.0}, {"A": 10.0}, {"A": 50}, equity=100)
    with pytest.raises(RotationError, match="--cash must be >= 0"):
        plan_orders({"A": 1.0}, {"A": 10.0}, cash=-1)
    with pytest.raises(DataError, match="no usable latest price for A"):
        plan_orders({"A": 1.0}, {"A": float("nan")}, cash=10)


def test_order_ids_depend_on_the_decision_symbol_and_side_not_the_holdings():
    first = plan_orders({"A": 1.0}, {"A": 10.0}, cash=1000)
    again = plan_orders({"A": 1.0}, {"A": 10.0}, cash=1000)
    # a rerun after a partial send: other holdings, a smaller order, the same id
    rerun = plan_orders({"A": 1.0}, {"A": 10.0}, {"A": 60}, cash=400)
    selling = plan_orders({"A": 0.0}, {"A": 10.0}, {"A": 5}, cash=0)
    assert order_ids(first, "k") == order_ids(again, "k") == order_ids(rerun, "k")
    assert order_ids(first, "k") != order_ids(selling, "k")
    assert order_ids(first, "k") != order_ids(first, "other decision")
    (identifier,) = order_ids(first, "k").values()
    assert identifier.startswith("rot-") and len(identifier) <= 48


# --- planned weights against the targets ----------------------------------------------------


def test_tracking_compares_the_planned_weights_with_the_targets():
    # Synthetic. Equity 990 cash + 2 C @ 5 = 1000. Sell both C (+10); A: 0.5 * 1000 / 10 = 50
    # shares (500); B: 0.3 * 1000 / 40 = 7.5 -> 7 whole shares (280). Cash after 220, value
    # 500 + 280 + 220 = 1000: A 0.50 (on target), B 0.28 (2 points short), cash 0.22 against
    # 0.20 wanted. Gap = (0 + 0.02 + 0.02) / 2 = 0.02; C (target 0, sold) is not listed.
    plan = plan_orders(
        {"A": 0.5, "B": 0.3, "C": 0.0}, {"A": 10.0, "B": 40.0, "C": 5.0}, {"C": 2}, cash=990
    )
    track = tracking(plan)
    assert [(r.symbol, r.planned_quantity) for r in track.rows] == [("A", 50), ("B", 7)]
    assert [r.target_weight for r in track.rows] == [0.5, 0.3]
    assert [r.planned_weight for r in track.rows] == pytest.approx([0.5, 0.28])
    assert [r.difference for r in track.rows] == pytest.approx([0.0, -0.02])
    assert track.value == pytest.approx(1000) and track.cash == pytest.approx(220)
    assert track.target_cash_weight == pytest.approx(0.2)
    assert track.cash_weight == pytest.approx(0.22)
    assert track.gap == pytest.approx(0.02)


def test_tracking_counts_holdings_left_alone_and_not_the_costs():
    # Synthetic. A is inside the drift band: its 52 shares stay (0.52 of 1000 against 0.5).
    # B's buy is scaled to the 480 of cash: 48 shares (0.48). Gap = (0.02 + 0.02) / 2.
    plan = plan_orders(
        {"A": 0.5, "B": 0.5}, {"A": 10.0, "B": 10.0}, {"A": 52}, cash=480, drift_band=0.03
    )
    track = tracking(plan)
    assert [(r.symbol, r.planned_weight) for r in track.rows] == [
        ("A", pytest.approx(0.52)),
        ("B", pytest.approx(0.48)),
    ]
    assert track.gap == pytest.approx(0.02)
    # Fractions and 1 % costs: 1000 buys 99.0099 shares of A @ 10 (990.10 + 9.90 costs); the
    # costs leave the portfolio, so the planned weight is A's whole value: no gap.
    plan = plan_orders({"A": 1.0}, {"A": 10.0}, cash=1000, cost_rate=0.01, fractional_equities=True)
    assert plan.trades[0].quantity == pytest.approx(1000 / 1.01 / 10, abs=1e-6)
    assert tracking(plan).gap == pytest.approx(0.0, abs=1e-6)
