"""A real HTTP server on 127.0.0.1 serving recorded provider responses, for the live-data tests.

Providers are pointed at it through their base-URL settings, so their real request and parsing
code runs (yfinance's included) and no test reaches the internet. Routes map a path (optionally
with one required query parameter) to a reply with a status, a body and an optional delay.

yfinance remembers a symbol's time zone for the whole process (on disk and in memory), so a
symbol served successfully in one test should not be served as a failure in another: failure
tests use symbols of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.helpers import LoopbackServer

RECORDED = Path(__file__).parent / "recorded"
SEC_USER_AGENT = "rotation-tests tests@example.com"


def _recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


@pytest.fixture
def recorded():
    """``recorded(name)``: the bytes of one file of ``tests/data/recorded``."""
    return _recorded


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


class LocalServer(LoopbackServer):
    """Route table + request log of a ThreadingHTTPServer on 127.0.0.1 (port chosen by the OS)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, tuple[str, str] | None], Reply] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.route("/v1/test/getcrumb", b"crumb-for-tests", content_type="text/plain")
        super().__init__(self._handler())

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        delay: float = 0.0,
        content_type: str = "application/json",
        query: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer GET ``path`` (with ``query=(name, value)`` among its parameters, if given)."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self.routes[(path, query)] = Reply(status, data, content_type, delay, headers or {})

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def _reply_for(self, path: str, query: dict[str, str]) -> Reply:
        with self._lock:
            for (route_path, wanted), reply in self.routes.items():
                if route_path == path and wanted is not None and query.get(wanted[0]) == wanted[1]:
                    return reply
            return self.routes.get((path, None), Reply(404, b"Not Found", "text/plain"))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                path = unquote(parts.path)
                with server._lock:
                    server.seen.append(Seen(path, query, dict(self.headers.items())))
                reply = server._reply_for(path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.start()
    yield local
    local.stop()


@pytest.fixture(autouse=True)
def _no_live_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own settings must not leak into the tests (or send them online)."""
    for name in (
        "ROTATION_CACHE",
        "ROTATION_SEC_USER_AGENT",
        "ROTATION_YAHOO_URL",
        "ROTATION_FRED_URL",
        "ROTATION_SEC_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def yfinance_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yfinance's own caches in a temporary folder, not the user's ~/.cache/py-yfinance."""
    from rotation.data.providers.yahoo import set_yfinance_cache_dir

    path = tmp_path_factory.mktemp("py-yfinance")
    set_yfinance_cache_dir(path)
    return path


@pytest.fixture
def live(tmp_path: Path, server: LocalServer, yfinance_cache: Path):
    """A LiveSource whose three providers all point at the local server; short timeouts."""
    from rotation.data.live import LiveSource

    return LiveSource(
        tmp_path / "cache",
        user_agent=SEC_USER_AGENT,
        yahoo_base_url=server.url,
        fred_base_url=server.url,
        sec_base_url=server.url,
        timeout=2,
    )
