"""``rotation export --post URL``: the TradingView alert bodies delivered to a real webhook
server on 127.0.0.1 that fails first (500, 429 with Retry-After, a dropped connection), with a
journal, and without posting twice what was delivered."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import ConfigError
from rotation.export.journal import read_journal
from rotation.export.webhook import parse_webhook
from tests.helpers import CONFIGS, LoopbackServer

CONFIG = str(CONFIGS / "capital_scarcity.yaml")
TOKEN = "s3cr3t-hook-token"
DROP = "drop"


class Webhook(LoopbackServer):
    """Answers the Nth attempt of a body (by its id) from ``first`` (a list of failures used in
    turn by the first bodies), then 200; ``refuse``: ids always answered 400."""

    def __init__(self, first=(), refuse=()) -> None:
        self.first = list(first)
        self.refuse = set(refuse)
        self.plan: dict[str, object] = {}
        self.accepted: list[dict] = []
        self.attempts: list[tuple[str, str, str]] = []  # (path, id, outcome)
        self.lock = threading.Lock()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with hook.lock:
                    key = body["id"]
                    if key not in hook.plan:
                        hook.plan[key] = hook.first.pop(0) if hook.first else None
                    step, hook.plan[key] = hook.plan[key], None
                    if key in hook.refuse:
                        step = (400, {"message": "no such strategy"}, {})
                    outcome = "drop" if step == DROP else str(step[0] if step else 200)
                    hook.attempts.append((self.path, key, outcome))
                    if step is None:
                        hook.accepted.append(body)
                if step == DROP:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, answer, headers = step or (200, {"ok": True}, {})
                data = json.dumps(answer).encode()
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


def _export(tmp_path, name, url, journal):
    args = [
        "export", CONFIG, "--asof", "2026-07-13", "--allow-missing", "BAA10Y",
        "--allow-missing", "WTREGEN", "--equity", "10000", "--tool", "tradingview",
        "--out", str(tmp_path / name), "--post", url, "--post-journal", str(journal),
    ]  # fmt: skip
    return CliRunner().invoke(main, args)


def _written(folder):
    bodies = json.loads((folder / "tradingview/signal_alerts.json").read_text())
    return bodies + json.loads((folder / "tradingview/order_alerts.json").read_text())


def test_post_retries_each_failure_then_delivers_every_body_once_and_journals_it(tmp_path):
    journal = tmp_path / "journal.jsonl"
    failures = [
        (500, {"message": "boom"}, {}),
        (429, {"message": "slow down"}, {"Retry-After": "1"}),
        DROP,
    ]
    with Webhook(first=failures) as hook:
        url = f"{hook.url}/hook/{TOKEN}?key={TOKEN}"
        started = time.monotonic()
        outcome = _export(tmp_path, "one", url, journal)
        elapsed = time.monotonic() - started
        assert outcome.exit_code == 0, outcome.output
        bodies = _written(tmp_path / "one")
        assert len(bodies) >= 4 and bodies[0]["kind"] == "signal"
        # every body arrived exactly once, intact and in the export's order
        assert hook.accepted == bodies
        ids = [b["id"] for b in bodies]
        assert len(set(ids)) == len(ids)
        assert [a[1:] for a in hook.attempts[:6]] == [
            (ids[0], "500"), (ids[0], "200"), (ids[1], "429"), (ids[1], "200"),
            (ids[2], "drop"), (ids[2], "200"),
        ]  # fmt: skip
        assert {a[0] for a in hook.attempts} == {f"/hook/{TOKEN}?key={TOKEN}"}
    assert elapsed >= 1.0  # the Retry-After second was waited
    assert f"posting {len(bodies)} alert bodies to {hook.url}***" in outcome.output
    assert f"delivered {len(bodies)} now, 0 already delivered before" in outcome.output
    records = read_journal(journal)
    assert [(r["request"]["id"], r["attempt"], r["status"]) for r in records[:6]] == [
        (ids[0], 1, 500), (ids[0], 2, 200), (ids[1], 1, 429), (ids[1], 2, 200),
        (ids[2], 1, None), (ids[2], 2, 200),
    ]  # fmt: skip
    assert records[2]["retry_in"] == 1.0 and "error" in records[4]
    assert len(records) == len(bodies) + 3
    assert all(r["method"] == "POST" and r["url"] == f"{hook.url}***" for r in records)
    assert TOKEN not in journal.read_text() and TOKEN not in outcome.output


def test_a_rerun_posts_nothing_already_delivered_and_finishes_a_failed_run(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with Webhook() as probe:  # learn the ids this export writes
        outcome = _export(tmp_path, "probe", f"{probe.url}/h", tmp_path / "probe.jsonl")
        assert outcome.exit_code == 0, outcome.output
    ids = [b["id"] for b in _written(tmp_path / "probe")]
    with Webhook(refuse={ids[2]}) as hook:
        url = f"{hook.url}/h"
        failed = _export(tmp_path, "first", url, journal)
        assert failed.exit_code == 1
        assert "Traceback" not in failed.output
        assert f"error: webhook: alert 3/{len(ids)} (id {ids[2]}) failed:" in failed.output
        assert "HTTP 400: no such strategy" in failed.output
        assert "2 delivered now, 0 before; rerun to deliver the rest" in failed.output
        assert [b["id"] for b in hook.accepted] == ids[:2]
        hook.refuse.clear()
        rerun = _export(tmp_path, "second", url, journal)
        assert rerun.exit_code == 0, rerun.output
        assert f"delivered {len(ids) - 2} now, 2 already delivered before" in rerun.output
        assert [b["id"] for b in hook.accepted] == ids  # each once, none twice
        third = _export(tmp_path, "third", url, journal)
        assert f"delivered 0 now, {len(ids)} already delivered before" in third.output
        assert [b["id"] for b in hook.accepted] == ids
    delivered = [r["request"]["id"] for r in read_journal(journal) if r["status"] == 200]
    assert delivered == ids


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "plain http only to this machine"),
        ("ftp://127.0.0.1/hook", "expected an http(s) URL"),
        ("https://user:pw@example.com/hook", "the webhook URL must not carry a user or password"),
        ("not a url", "expected an http(s) URL"),
    ],
)
def test_a_bad_webhook_url_is_refused_before_anything_is_computed(tmp_path, url, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_webhook(url)
    outcome = _export(tmp_path, "o", url, tmp_path / "j.jsonl")
    assert outcome.exit_code == 2 and f"config error: --post: {message}" in outcome.output
    assert not (tmp_path / "o").exists() and not (tmp_path / "j.jsonl").exists()


def test_post_needs_the_tradingview_bodies(tmp_path):
    args = ["export", CONFIG, "--tool", "generic", "--post", "https://example.com/h"]
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2
    assert "--post delivers the TradingView alert bodies: include --tool tradingview" in (
        outcome.output
    )
