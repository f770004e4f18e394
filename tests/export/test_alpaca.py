"""``--send``: Alpaca orders posted to a real HTTP server on 127.0.0.1 that records them.

The server mirrors tests/data/conftest.py's local server, for POST: it records each request's
path, headers and JSON body and answers with a queued reply (200 with an order id by default).
The keys are fake values set in the environment; no test reaches the internet.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import RotationError
from rotation.export.alpaca import PAPER_URL, resolve_base_url, send_orders
from tests.helpers import CONFIGS, LoopbackServer

KEY_ID = "PKTESTKEYID0000000000"
SECRET = "s3cr3t-test-value-that-must-never-be-written"
ENV = {"APCA_API_KEY_ID": KEY_ID, "APCA_API_SECRET_KEY": SECRET}
ORDERS = [
    {"symbol": "MU", "qty": "2", "side": "sell", "type": "market", "time_in_force": "day",
     "client_order_id": "rot-a"},
    {"symbol": "BTC/USD", "qty": "0.5", "side": "buy", "type": "market", "time_in_force": "gtc",
     "client_order_id": "rot-b"},
    {"symbol": "WDC", "qty": "3", "side": "buy", "type": "market", "time_in_force": "day",
     "client_order_id": "rot-c"},
]  # fmt: skip


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict


class RecordingServer(LoopbackServer):
    """ThreadingHTTPServer on 127.0.0.1: records requests, answers from a queue of replies."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: list[tuple[int, bytes, dict[str, str]]] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def reply(self, status: int, body: dict | str, headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.replies.append((status, data, headers or {}))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                with server._lock:
                    number = len(server.received)
                    server.received.append(
                        Received(
                            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
                    queued = server.replies.pop(0) if server.replies else None
                answer = {"id": f"order-{number + 1}", "status": "accepted"}
                status, data, headers = queued or (200, json.dumps(answer).encode(), {})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as local:
        yield local


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


def test_each_order_is_posted_with_the_keys_in_headers_only(server, tmp_path):
    record = tmp_path / "alpaca" / "sent.json"
    log = send_orders(ORDERS, base_url=server.url, env=ENV, record=record)
    assert [r.path for r in server.received] == ["/v2/orders"] * 3
    assert [r.body for r in server.received] == ORDERS
    for request in server.received:
        assert request.headers["apca-api-key-id"] == KEY_ID  # HTTP headers ignore case
        assert request.headers["apca-api-secret-key"] == SECRET
        assert request.headers["content-type"] == "application/json"
    assert [e["response"]["id"] for e in log] == ["order-1", "order-2", "order-3"]
    assert json.loads(record.read_text()) == log
    assert SECRET not in record.read_text() and KEY_ID not in record.read_text()


def test_the_first_http_error_stops_the_run(server, tmp_path):
    server.reply(200, {"id": "order-1", "status": "accepted"})
    server.reply(403, {"code": 40310000, "message": "insufficient buying power"})
    record = tmp_path / "sent.json"
    with pytest.raises(RotationError) as caught:
        send_orders(ORDERS, base_url=server.url, env=ENV, record=record)
    message = str(caught.value)
    assert "order 2/3 (buy 0.5 BTC/USD, client_order_id rot-b)" in message
    assert "HTTP 403: insufficient buying power" in message
    assert "1 sent before it, none after" in message
    assert len(server.received) == 2
    assert [e["status"] for e in json.loads(record.read_text())] == [200, 403]


def test_a_server_echoing_the_secret_is_scrubbed(server, tmp_path):
    server.reply(200, {"id": "x", "echo": f"key {KEY_ID} secret {SECRET}"})
    server.reply(422, {"message": f"bad secret {SECRET}"})
    record = tmp_path / "sent.json"
    with pytest.raises(RotationError) as caught:
        send_orders(ORDERS, base_url=server.url, env=ENV, record=record)
    assert SECRET not in str(caught.value)
    assert "bad secret ***" in str(caught.value)
    assert SECRET not in record.read_text() and KEY_ID not in record.read_text()


def test_redirects_are_not_followed(server, tmp_path):
    server.reply(307, {}, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    with pytest.raises(RotationError, match="HTTP 307"):
        send_orders(ORDERS, base_url=server.url, env=ENV, record=tmp_path / "sent.json")
    assert len(server.received) == 1


def test_no_keys_no_request(server):
    with pytest.raises(RotationError, match="APCA_API_KEY_ID and APCA_API_SECRET_KEY"):
        send_orders(ORDERS, base_url=server.url, env={})
    assert server.received == []


def test_alternative_key_names_are_read(server):
    env = {"ALPACA_API_KEY_ID": KEY_ID, "ALPACA_API_SECRET_KEY": SECRET}
    send_orders(ORDERS[:1], base_url=server.url, env=env)
    assert server.received[0].headers["apca-api-secret-key"] == SECRET


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


def _export_args(tmp_path, *extra):
    positions = tmp_path / "positions.csv"
    positions.write_text("symbol,quantity\nIGV,50\nMU,10\nBIL,100\n")
    return [
        "export", str(CONFIGS / "capital_scarcity.yaml"), "--asof", "2026-07-13",
        "--allow-missing", "BAA10Y", "--allow-missing", "WTREGEN",
        "--positions", str(positions), "--cash", "20000", "--out", str(tmp_path / "out"), *extra,
    ]  # fmt: skip


def test_cli_send_posts_the_exported_orders_and_never_writes_the_secret(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    outcome = CliRunner().invoke(
        main, _export_args(tmp_path, "--send", "--alpaca-url", server.url), env=ENV
    )
    assert outcome.exit_code == 0, outcome.output
    out = tmp_path / "out"
    requests = json.loads((out / "alpaca/orders.json").read_text())
    assert [r.body for r in server.received] == requests
    sent = json.loads((out / "alpaca/sent.json").read_text())
    assert [e["request"] for e in sent] == requests
    assert all(e["status"] == 200 for e in sent)
    assert f"sent {len(requests)} orders" in outcome.output
    for text in (_all_text(out), outcome.output, caplog.text):
        assert SECRET not in text
        assert KEY_ID not in text


def test_cli_without_send_posts_nothing_and_prints_exactly_what_would_go(server, tmp_path):
    args = _export_args(tmp_path, "--alpaca-url", server.url, "--format", "parquet")
    outcome = CliRunner().invoke(main, args, env=ENV)
    assert outcome.exit_code == 0, outcome.output
    assert server.received == []
    assert "dry run, nothing sent" in outcome.output
    out = tmp_path / "out"
    requests = json.loads((out / "alpaca/orders.json").read_text())
    posted = [line.strip() for line in outcome.output.splitlines() if "POST " in line]
    assert posted == [f"POST {server.url}/v2/orders {json.dumps(body)}" for body in requests]
    assert (out / "signal.parquet").exists()
    assert not (out / "alpaca/sent.json").exists()
    assert SECRET not in outcome.output and SECRET not in _all_text(out)


def test_cli_send_error_is_one_line_and_keeps_the_log(server, tmp_path):
    server.reply(403, {"message": "forbidden"})
    outcome = CliRunner().invoke(
        main, _export_args(tmp_path, "--send", "--alpaca-url", server.url), env=ENV
    )
    assert outcome.exit_code == 1
    assert "Traceback" not in outcome.output
    assert "HTTP 403: forbidden" in outcome.output
    assert len(server.received) == 1
    assert len(json.loads((tmp_path / "out/alpaca/sent.json").read_text())) == 1


def test_cli_send_checks_keys_and_url_before_writing_anything(server, tmp_path):
    outcome = CliRunner().invoke(
        main, _export_args(tmp_path, "--send", "--alpaca-url", server.url), env={}
    )
    assert outcome.exit_code == 1
    assert "APCA_API_KEY_ID" in outcome.output
    outcome = CliRunner().invoke(
        main,
        _export_args(tmp_path, "--send", "--alpaca-url", "https://api.alpaca.markets"),
        env=ENV,
    )
    assert outcome.exit_code == 1
    assert "refusing to send to https://api.alpaca.markets" in outcome.output
    assert not (tmp_path / "out").exists()
    assert server.received == []
