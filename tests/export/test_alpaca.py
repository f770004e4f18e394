"""``rotation export --send`` and ``rotation trade`` against the fake Alpaca on 127.0.0.1.

The fake (tests/export/fake_alpaca.py) keeps an account and speaks Alpaca's JSON; the keys are
fake values set in the environment; no test reaches the internet. The config is the bundled
``capital_scarcity`` as of 2026-07-13 (data to that day), its decision of 2026-07-01.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import RotationError
from rotation.export.alpaca import PAPER_URL, resolve_base_url
from tests.export.fake_alpaca import ENV, KEY_ID, SECRET, FakeAlpaca
from tests.helpers import CONFIGS

ASOF = ["--asof", "2026-07-13", "--allow-missing", "BAA10Y", "--allow-missing", "WTREGEN"]
CONFIG = str(CONFIGS / "capital_scarcity.yaml")
# The bundled closes of 2026-07-13 (feed.latest_closes), in Alpaca's spelling.
PRICES = {"BTC/USD": 62239.12, "ETH/USD": 1773.50, "IGV": 92.70, "ARKK": 78.24, "WCLD": 34.59,
          "MU": 937.00, "WDC": 555.55, "STX": 860.66, "SNDK": 1673.97, "BIL": 91.50}  # fmt: skip


@pytest.fixture
def fake():
    with FakeAlpaca(
        cash=20000.0, positions={"IGV": 50, "MU": 10, "BIL": 100}, prices=PRICES
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_alpaca_settings(monkeypatch):
    """A developer's own Alpaca settings must not leak into the tests."""
    for name in (
        "APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "APCA_API_BASE_URL", "ALPACA_API_KEY_ID",
        "ALPACA_API_SECRET_KEY", "ALPACA_BASE_URL",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _all_text(folder) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "url",
    [
        "https://api.alpaca.markets",  # live trading
        "http://paper-api.alpaca.markets",  # keys in clear text
        "https://example.com",
        "http://user:pass@127.0.0.1:8080",
        "http://127.0.0.1:8080/v2",
    ],
)
def test_only_paper_trading_or_this_machine(url):
    with pytest.raises(RotationError):
        resolve_base_url(url, env={})


def test_base_url_resolution_order():
    assert resolve_base_url(None, env={}) == PAPER_URL
    assert resolve_base_url(None, env={"ALPACA_BASE_URL": "http://127.0.0.1:1"}) == (
        "http://127.0.0.1:1"
    )
    env = {"APCA_API_BASE_URL": "http://localhost:2/", "ALPACA_BASE_URL": "http://127.0.0.1:1"}
    assert resolve_base_url(None, env=env) == "http://localhost:2"
    assert resolve_base_url("http://[::1]:3", env=env) == "http://[::1]:3"


def _send(fake, tmp_path, *extra, command="export"):
    args = [command, CONFIG, *ASOF, "--alpaca-url", fake.url, "--results", str(tmp_path)]
    if command == "export":
        args.append("--send")
    return CliRunner().invoke(main, [*args, "--fill-timeout", "5", *extra], env=ENV)


def test_the_issue_sells_fill_first_buys_fit_and_a_second_send_sends_nothing(
    fake, tmp_path, caplog
):
    # Issue 17: sells accepted, buys refused (insufficient buying power: the sells had not
    # filled), and a second send refused as duplicates. Sells here fill one read late.
    caplog.set_level(logging.DEBUG)
    fake.fill_delay = 1
    first = _send(fake, tmp_path)
    assert first.exit_code == 0, first.output
    orders = fake.posted()
    assert [o["side"] for o in orders] == ["sell"] * 2 + ["buy"] * 4
    assert all(o["status"] == "filled" for o in orders)
    assert "6 order(s) sent, 0 already placed earlier, 0 refused, 0 still open" in first.output
    assert "holdings before: 100 BIL, 50 IGV, 10 MU; cash 20,000.00" in first.output
    held = fake.holdings()
    assert set(held) == {"MU", "WDC", "STX", "SNDK", "BIL"} and fake.cash < 100
    second = _send(fake, tmp_path)
    assert second.exit_code == 0, second.output
    assert len(fake.posted()) == 6 and fake.holdings() == held
    assert "nothing new to send" in second.output
    assert "already placed" in second.output
    from rotation.export.journal import read_journal

    (folder, _) = sorted(tmp_path.iterdir())
    journal = read_journal(folder / "alpaca/sent.jsonl")
    posted = [r["request"] for r in journal if r["method"] == "POST"]
    assert posted == [
        {k: o[k] for k in ("symbol", "qty", "side", "type", "time_in_force", "client_order_id")}
        for o in orders
    ]
    assert journal[0]["url"].endswith("/v2/account") and "/v2/positions" in journal[1]["url"]
    for text in (_all_text(tmp_path), first.output, second.output, caplog.text):
        assert SECRET not in text and KEY_ID not in text


def test_a_refused_buy_exits_1_naming_it_and_the_rerun_sends_only_it(fake, tmp_path):
    fake.reject_buys = {"STX"}
    first = _send(fake, tmp_path)
    assert first.exit_code == 1
    assert "Traceback" not in first.output
    assert "1 order(s) refused by Alpaca (buy" in first.output
    assert "STX: insufficient buying power" in first.output
    sent = len(fake.posted())
    fake.reject_buys.clear()
    second = _send(fake, tmp_path)
    assert second.exit_code == 0, second.output
    assert [o["symbol"] for o in fake.posted()[sent:]] == ["STX"]


def test_trade_runs_one_idempotent_day(fake, tmp_path):
    first = _send(fake, tmp_path, "--paper", command="trade")
    assert first.exit_code == 0, first.output
    assert "6 order(s) sent" in first.output
    assert "not refreshed" in first.output  # the bundled config is not live data
    second = _send(fake, tmp_path, "--paper", command="trade")
    assert second.exit_code == 0, second.output
    assert "0 order(s) sent" in second.output and "nothing new to send" in second.output
    assert len(fake.posted()) == 6
    folders = sorted(tmp_path.iterdir())
    assert len(folders) == 2  # one export folder per run, none overwritten
    assert all((f / "alpaca/sent.jsonl").exists() for f in folders)


def test_trade_refuses_stale_data_as_export_does_and_sends_nothing(fake, tmp_path):
    where = ["--alpaca-url", fake.url, "--results", str(tmp_path)]
    args = ["trade", CONFIG, "--asof", "2026-09-01", *ASOF[2:], *where]
    outcome = CliRunner().invoke(main, args, env=ENV)
    export = CliRunner().invoke(main, ["export", *args[1:]], env=ENV)
    assert outcome.exit_code == export.exit_code == 1
    refusal = [line for line in outcome.output.splitlines() if line.startswith("error:")]
    assert refusal and "refusing to export capital_scarcity as of 2026-09-01" in refusal[0]
    assert refusal == [line for line in export.output.splitlines() if line.startswith("error:")]
    assert fake.posted() == []


def test_send_reads_the_account_not_a_positions_file(fake, tmp_path):
    positions = tmp_path / "positions.csv"
    positions.write_text("symbol,quantity\nMU,10\n")
    outcome = _send(fake, tmp_path, "--positions", str(positions), "--cash", "100")
    assert outcome.exit_code == 1
    assert "--send reads the holdings and cash from the Alpaca account" in outcome.output
    assert fake.requests == []


def test_positions_outside_the_universe_are_refused_unless_ignored(fake, tmp_path):
    fake.prices["AAPL"] = 200.0
    fake.positions["AAPL"] = 3
    outcome = _send(fake, tmp_path)
    assert outcome.exit_code == 1 and "outside the config's universe: 3 AAPL" in outcome.output
    assert fake.posted() == []
    outcome = _send(fake, tmp_path, "--ignore-unknown")
    assert outcome.exit_code == 0, outcome.output
    assert fake.positions["AAPL"] == 3 and all(o["symbol"] != "AAPL" for o in fake.posted())


def test_cli_without_send_posts_nothing_and_prints_exactly_what_would_go(fake, tmp_path):
    positions = tmp_path / "positions.csv"
    positions.write_text("symbol,quantity\nIGV,50\nMU,10\nBIL,100\n")
    where = ["--out", str(tmp_path / "out"), "--alpaca-url", fake.url, "--format", "parquet"]
    args = ["export", CONFIG, *ASOF, "--positions", str(positions), "--cash", "20000", *where]
    outcome = CliRunner().invoke(main, args, env=ENV)
    assert outcome.exit_code == 0, outcome.output
    assert fake.requests == []
    assert "dry run, nothing sent" in outcome.output
    out = tmp_path / "out"
    requests = json.loads((out / "alpaca/orders.json").read_text())
    posted = [line.strip() for line in outcome.output.splitlines() if "POST " in line]
    assert posted == [f"POST {fake.url}/v2/orders {json.dumps(body)}" for body in requests]
    assert not (out / "alpaca/sent.jsonl").exists()
    assert SECRET not in outcome.output and SECRET not in _all_text(out)


LIVE_URL = "https://api.alpaca.markets"


def test_cli_send_checks_keys_and_url_before_writing_anything(fake, tmp_path):
    args = ["export", CONFIG, *ASOF, "--send", "--out", str(tmp_path / "out")]
    outcome = CliRunner().invoke(main, [*args, "--alpaca-url", fake.url], env={})
    assert outcome.exit_code == 1
    assert "APCA_API_KEY_ID" in outcome.output
    outcome = CliRunner().invoke(main, [*args, "--alpaca-url", LIVE_URL], env=ENV)
    assert outcome.exit_code == 1
    assert f"refusing to send to {LIVE_URL}" in outcome.output and "needs --live" in outcome.output
    assert not (tmp_path / "out").exists()
    assert fake.requests == []


def test_live_needs_a_terminal_and_the_account_number_typed(fake, tmp_path):
    from rotation.cli._alpaca import confirm_live
    from rotation.export.alpaca import AlpacaAccount

    outcome = _send(fake, tmp_path, "--live")  # CliRunner's stdin is not a terminal
    assert outcome.exit_code == 1
    assert "needs the account number typed at a terminal" in outcome.output
    assert fake.posted() == []
    alpaca = AlpacaAccount(fake.url, KEY_ID, SECRET)
    with pytest.raises(RotationError, match="not confirmed"):
        confirm_live(alpaca, True, is_tty=lambda: True, ask=lambda text: "live")
    confirm_live(alpaca, True, is_tty=lambda: True, ask=lambda text: "PA3FAKE0001")
    assert resolve_base_url(LIVE_URL, env={}, live=True) == LIVE_URL


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", CONFIG, "--live"], "--live and --fill-timeout apply to --send"),
        (["export", CONFIG, "--fill-timeout", "3"], "--live and --fill-timeout apply to --send"),
        (["trade", CONFIG, "--paper", "--live"], "give --paper or --live, not both"),
        (["export", CONFIG, "--send", "--tool", "ibkr"], "include --tool alpaca"),
    ],
)
def test_contradictory_send_options_are_refused_in_one_line(fake, args, message):
    outcome = CliRunner().invoke(main, [*args, "--alpaca-url", fake.url], env=ENV)
    assert outcome.exit_code == 1 and message in outcome.output
    assert "Traceback" not in outcome.output and fake.requests == []


def test_trade_and_export_speak_json_for_scripts(fake, tmp_path):
    """--json: one JSON document alone on stdout, with the orders and what became of them; a
    rerun's document says every order was already placed. -q: the export folder alone."""
    first = _send(fake, tmp_path, "--paper", "--json", command="trade")
    assert first.exit_code == 0, first.output
    day = json.loads(first.stdout)
    assert day["config"] == "capital_scarcity" and day["asof"].startswith("2026-07-13")
    assert [o["outcome"] for o in day["sent"]["orders"]] == ["sent"] * 6
    assert {o["client_order_id"] for o in day["sent"]["orders"]} == {
        o["client_order_id"] for o in fake.posted()
    }
    assert day["decision"]["decided_at"].startswith("2026-07-01")
    second = _send(fake, tmp_path, "--paper", "--json", command="trade")
    rerun = json.loads(second.stdout)
    assert {o["outcome"] for o in rerun["sent"]["orders"]} == {"already placed"}
    assert len(fake.posted()) == 6
    dry = CliRunner().invoke(
        main, ["export", CONFIG, *ASOF, "--equity", "10000", "--results", str(tmp_path), "--json"]
    )
    assert dry.exit_code == 0, dry.output
    document = json.loads(dry.stdout)
    assert len(document["alpaca_requests"]) == len(document["orders"]) > 0
    assert sum(o["notional"] for o in document["orders"] if o["side"] == "buy") <= 10000
    quiet = CliRunner().invoke(
        main, ["export", CONFIG, *ASOF, "--results", str(tmp_path / "q"), "-q"]
    )
    assert quiet.exit_code == 0, quiet.output
    (line,) = quiet.stdout.splitlines()
    assert Path(line).resolve().parent == (tmp_path / "q").resolve()
