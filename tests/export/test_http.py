"""The JSON client brokers and webhooks share, against a real HTTP server on 127.0.0.1.

The server answers from a script: each entry is (status, JSON body, headers), or ``DROP`` to
close the connection without answering. Waits are recorded through an injected ``sleep``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from rotation.export.http import HttpError, JsonClient, retry_after_seconds
from rotation.export.journal import Journal, read_journal
from tests.helpers import LoopbackServer

DROP = "drop"
SECRET = "top-secret-value"


class ScriptedServer(LoopbackServer):
    def __init__(self, *script) -> None:
        self.script = list(script)
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0) or 0)
                self.rfile.read(length)
                with server._lock:
                    server.seen.append((self.command, self.path, dict(self.headers)))
                    step = server.script.pop(0) if server.script else (200, {"ok": True}, {})
                if step == DROP:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, body, headers = step
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _client(server, tmp_path, **kw):
    waits: list[float] = []
    journal = Journal(tmp_path / "j.jsonl")
    client = JsonClient(
        server.url, headers={"X-Key": SECRET}, secrets=[SECRET], journal=journal,
        sleep=waits.append, **kw,
    )  # fmt: skip
    return client, waits


def test_5xx_and_dropped_connections_are_retried_with_backoff(tmp_path):
    with ScriptedServer((503, {"message": "busy"}, {}), DROP, (200, {"id": 7}, {})) as server:
        client, waits = _client(server, tmp_path, backoff=0.5)
        answer = client.request("POST", "/v2/orders", {"a": 1})
    assert answer.body == {"id": 7}
    assert waits == [0.5, 1.0]
    records = read_journal(tmp_path / "j.jsonl")
    assert [(r["attempt"], r["status"]) for r in records] == [(1, 503), (2, None), (3, 200)]
    assert records[1]["error"] and records[1]["retry_in"] == 1.0


def test_429_waits_for_retry_after_seconds_or_date_capped(tmp_path):
    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), True)
    script = [
        (429, {"message": "too many requests"}, {"Retry-After": "2"}),
        (429, {"message": "too many requests"}, {"Retry-After": later}),
        (429, {"message": "too many requests"}, {"Retry-After": "3600"}),
        (200, {}, {}),
    ]
    with ScriptedServer(*script) as server:
        client, waits = _client(server, tmp_path, max_wait=10)
        client.request("GET", "/v2/account")
    assert waits[0] == 2
    assert 8 <= waits[1] <= 10  # 30 s away, capped at max_wait
    assert waits[2] == 10


def test_other_4xx_fail_at_once_with_the_server_message(tmp_path):
    with ScriptedServer((403, {"message": "insufficient buying power"}, {})) as server:
        client, waits = _client(server, tmp_path)
        with pytest.raises(HttpError, match="HTTP 403: insufficient buying power") as caught:
            client.request("POST", "/v2/orders", {})
    assert caught.value.status == 403 and waits == [] and len(server.seen) == 1


def test_retries_run_out_with_one_clear_message(tmp_path):
    with ScriptedServer(DROP, DROP, DROP) as server:
        client, waits = _client(server, tmp_path, retries=2)
        with pytest.raises(HttpError, match=r"GET .*/v2/account: no answer \(after 3 attempts\)"):
            client.request("GET", "/v2/account")
    assert len(waits) == 2


def test_retry_false_tries_once(tmp_path):
    with ScriptedServer(DROP, (200, {}, {})) as server:
        client, _ = _client(server, tmp_path)
        with pytest.raises(HttpError, match="no answer"):
            client.request("POST", "/hook", {}, retry=False)
    assert len(server.seen) == 1


def test_redirects_are_not_followed_and_secrets_never_written(tmp_path):
    script = [(307, {"echo": SECRET}, {"Location": "http://127.0.0.1:9/elsewhere"})]
    with ScriptedServer(*script) as server:
        client, _ = _client(server, tmp_path)
        with pytest.raises(HttpError, match="HTTP 307") as caught:
            client.request("POST", "/v2/orders", {"note": SECRET})
    assert SECRET not in str(caught.value)
    assert SECRET not in (tmp_path / "j.jsonl").read_text()
    assert server.seen[0][2]["X-Key"] == SECRET  # sent as a header, never recorded


def test_retry_after_values():
    now = dt.datetime(2026, 7, 13, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("5", now) == 5
    assert retry_after_seconds("Mon, 13 Jul 2026 12:00:07 GMT", now) == 7
    assert retry_after_seconds("Mon, 13 Jul 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
