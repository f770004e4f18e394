"""JSON over HTTP for brokers and webhooks: one client, used by every request that leaves rotation.

``JsonClient(base_url, headers=..., secrets=..., journal=...)``; ``client.request(method, path,
body)`` returns an ``Answer`` (status, parsed JSON body, headers) for a 2xx answer and raises
``HttpError`` (a ``RotationError``) otherwise. Rules:

- every attempt has a time limit (``timeout`` seconds); redirects are never followed (a 3xx is an
  ``HttpError``), so headers carrying keys never travel to another host; a server on this
  machine (127.0.0.1, ::1, localhost) is never reached through a proxy;
- connection failures (refused, reset, dropped mid-answer, timed out) and 5xx answers are retried
  up to ``retries`` more times, waiting ``backoff`` x 2^(attempt - 1) seconds; a 429 is retried
  after its ``Retry-After`` (seconds, or an HTTP date), capped at ``max_wait``; other 4xx answers
  are not retried. A request sent with ``retry=False`` is tried once;
- each attempt is appended to ``journal`` (``rotation.export.journal``): method, URL, request
  body, status, answer or error, and the wait before the next attempt; never the headers;
- the ``secrets`` (API keys) are scrubbed from the journal and from every error message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from rotation.errors import RotationError
from rotation.export.journal import Journal

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
DEFAULT_MAX_WAIT = 60.0


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its status, its body parsed as JSON (``{"text": ...}`` when it is not)."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpError(RotationError):
    """A request that failed for good: ``status`` is None when no answer came at all."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body

    @property
    def server_message(self) -> str | None:
        return message_of(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # a redirect becomes an HTTPError: the key headers stay with the first host


def is_local(url: str) -> bool:
    """Whether ``url`` points at this machine."""
    return (urlsplit(url).hostname or "").lower() in LOCAL_HOSTS


class JsonClient:
    """Requests to one base URL (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        journal: Journal | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        max_wait: float = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.scrub = scrubber(secrets)
        self.journal = journal
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if is_local(self.base_url):
            handlers.append(urllib.request.ProxyHandler({}))  # never via a proxy to this machine
        self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, str] | None = None,
        retry: bool = True,
    ) -> Answer:
        """``method`` ``{base_url}{path}?{query}`` with ``body`` as JSON; the 2xx ``Answer``."""
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(1, attempts + 1):
            status, parsed, headers, error = self._attempt(method, url, body)
            wait = None
            if attempt < attempts and (status is None or status >= 500 or status == 429):
                wait = self._wait(attempt, headers if status == 429 else {})
            self._record(method, url, body, attempt, status, parsed, error, wait)
            if status is not None and 200 <= status < 300:
                return Answer(status, parsed, headers)
            if wait is None:
                what = f"{method} {self.scrub(url)}"
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                if status is None:
                    raise HttpError(f"{what}: no answer{tries}: {error}")
                detail = message_of(parsed) or error or ""
                raise HttpError(
                    f"{what}: HTTP {status}{tries}: {self.scrub(detail)}".rstrip(": "),
                    status=status,
                    body=parsed,
                )
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(
        self, method: str, url: str, body: Any
    ) -> tuple[int | None, Any, dict[str, str], str | None]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in self.headers.items():
            request.add_header(name, value)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8", "replace")
                return response.status, _parse(self.scrub(text)), dict(response.headers), None
        except urllib.error.HTTPError as exc:
            try:
                text = exc.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                text = ""
            parsed = _parse(self.scrub(text)) if text else None
            return exc.code, parsed, dict(exc.headers or {}), self.scrub(str(exc.reason))
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            return None, None, {}, self.scrub(f"{type(reason).__name__}: {reason}".rstrip(": "))

    def _wait(self, attempt: int, headers: Mapping[str, str]) -> float:
        retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        if retry_after is not None:
            seconds = retry_after_seconds(retry_after)
            if seconds is not None:
                return min(seconds, self.max_wait)
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_wait)

    def _record(
        self,
        method: str,
        url: str,
        body: Any,
        attempt: int,
        status: int | None,
        parsed: Any,
        error: str | None,
        wait: float | None,
    ) -> None:
        if self.journal is None:
            return
        record: dict[str, Any] = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "url": url,
            "request": body,
            "attempt": attempt,
            "status": status,
            "response": parsed,
        }
        if error is not None and (status is None or status >= 300):
            record["error"] = error
        if wait is not None:
            record["retry_in"] = round(wait, 3)
        self.journal.append(_scrubbed(record, self.scrub))


def retry_after_seconds(value: str, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay in seconds, or an HTTP date)."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def scrubber(secrets: Sequence[str]) -> Callable[[str], str]:
    """A function replacing each of ``secrets`` in a text by ``***``."""
    values = tuple(s for s in secrets if s)

    def scrub(text: str) -> str:
        for value in values:
            text = text.replace(value, "***")
        return text

    return scrub


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    """``value`` (JSON-ready data) with ``scrub`` applied to every string in it."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(k)): _scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v, scrub) for v in value]
    return value


def message_of(response: Any) -> str | None:
    """The human message of an error body (``message``, ``error`` or ``text``), if any."""
    if isinstance(response, dict):
        for name in ("message", "error", "text"):
            if response.get(name):
                return str(response[name])
    return None


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"text": text[:2000]}
