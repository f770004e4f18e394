"""Delivering the TradingView alert bodies to a webhook: ``rotation export --post URL``.

The bodies are those the export wrote (``tradingview/signal_alerts.json``, then
``tradingview/order_alerts.json``), each POSTed as JSON, one by one, in that order, the way
TradingView posts an alert's message. Rules:

- the URL is ``https`` (``http`` only to this machine: 127.0.0.1, ::1, localhost), without user
  or password; its path and query, where webhook services put their tokens, are treated as
  secrets: never written to the journal nor printed (shown as ``***``);
- requests go through the shared client (``rotation.export.http``): a time limit per attempt, no
  redirects, connection failures and 5xx answers retried with backoff, a 429 retried after its
  ``Retry-After``; any other answer stops the run with the server's message;
- every attempt is appended to the journal (``rotation.export.journal``), a JSON lines file that
  outlives the export folder (``--post-journal``, default ``<results>/webhook-journal.jsonl``);
- idempotent by the body's ``id``: a body whose ``id`` the journal shows as delivered (a 2xx
  answer) to the same URL is not posted again, so a rerun after a failure (or of the same
  export) posts exactly what is missing. A body is retried after a dropped connection, so the
  receiver may see one twice; it can drop the repeat by the same ``id``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rotation.errors import ConfigError, RotationError
from rotation.export.http import DEFAULT_RETRIES, HttpError, JsonClient, is_local, scrubber
from rotation.export.journal import Journal, read_journal

JOURNAL_NAME = "webhook-journal.jsonl"
ALERT_FILES = ("tradingview/signal_alerts.json", "tradingview/order_alerts.json")


@dataclass(frozen=True)
class Webhook:
    """A checked webhook URL split for the client: ``base`` (scheme://host[:port]) and
    ``target`` (path and query, a secret)."""

    base: str
    target: str

    @property
    def shown(self) -> str:
        """The URL as written and printed: the path and query hidden."""
        return self.base + ("***" if self.target not in ("", "/") else self.target)


def parse_webhook(url: str) -> Webhook:
    """The webhook at ``url``; ``ConfigError`` naming ``--post`` when it is not allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("--post: expected an http(s) URL, e.g. https://example.com/hook")
    if parts.username or parts.password:
        raise ConfigError("--post: the webhook URL must not carry a user or password")
    if parts.scheme == "http" and not is_local(url):
        raise ConfigError(
            "--post: plain http only to this machine (127.0.0.1, ::1, localhost); use https"
        )
    if parts.fragment:
        raise ConfigError("--post: the webhook URL must not have a #fragment")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Webhook(base=f"{parts.scheme}://{parts.netloc}", target=target)


@dataclass(frozen=True)
class Delivery:
    """What one ``post_alerts`` run did: the ids posted now, and those found delivered."""

    posted: tuple[str, ...]
    already: tuple[str, ...]
    journal: Path


def alert_bodies(folder: Path) -> list[dict[str, Any]]:
    """The alert bodies an export wrote to ``folder``: signal alerts, then order alerts."""
    bodies: list[dict[str, Any]] = []
    for relative in ALERT_FILES:
        path = Path(folder) / relative
        if path.exists():
            bodies.extend(json.loads(path.read_text()))
    return bodies


def delivered_ids(journal: Path, webhook: Webhook) -> set[str]:
    """The ``id`` of every body the journal shows answered 2xx by ``webhook``."""
    if not journal.exists():
        return set()
    url = webhook.shown
    ids = set()
    for record in read_journal(journal):
        status, body = record.get("status"), record.get("request")
        ok = isinstance(status, int) and 200 <= status < 300
        if ok and record.get("url") == url and isinstance(body, dict) and "id" in body:
            ids.add(str(body["id"]))
    return ids


def post_alerts(
    bodies: Sequence[Mapping[str, Any]],
    webhook: Webhook,
    *,
    journal: Path,
    retries: int = DEFAULT_RETRIES,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST each body not yet delivered to ``webhook`` (module docstring); ``RotationError``
    naming the body, the answer and what was delivered when one fails for good."""
    missing = [b for b in bodies if not b.get("id")]
    if missing:
        raise RotationError(f"webhook: {len(missing)} alert bodies have no id; nothing posted")
    secrets = (webhook.target,) if webhook.target not in ("", "/") else ()
    done = delivered_ids(journal, webhook)
    client = JsonClient(
        webhook.base,
        secrets=secrets,
        journal=Journal(journal, scrub=scrubber(secrets)),
        timeout=timeout,
        retries=retries,
        sleep=sleep,
    )
    posted: list[str] = []
    already: list[str] = []
    for number, body in enumerate(bodies, start=1):
        body_id = str(body["id"])
        if body_id in done:
            already.append(body_id)
            continue
        try:
            client.request("POST", webhook.target, dict(body))
        except HttpError as exc:
            raise RotationError(
                f"webhook: alert {number}/{len(bodies)} (id {body_id}) failed: {exc}; "
                f"{len(posted)} delivered now, {len(already)} before; rerun to deliver the rest "
                f"(journal {journal})"
            ) from None
        posted.append(body_id)
        done.add(body_id)
    return Delivery(posted=tuple(posted), already=tuple(already), journal=journal)
