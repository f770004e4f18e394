"""Adjusted daily prices from Yahoo Finance, through yfinance (the only module importing it).

Equities, ETFs, crypto (``BTC-USD``) and Yahoo's yield indices (``^TNX``, ``^IRX``, ``^FVX``,
``^TYX``; quoted in percent) all come from the v8 chart endpoint::

    GET {base}/v8/finance/chart/{SYMBOL}?period1=..&period2=..&interval=1d&events=..

yfinance sends that request, runs Yahoo's cookie/crumb exchange, and parses the chart JSON
(``Close`` with ``auto_adjust=True`` is the split- and dividend-adjusted close). It answers an
unreachable host, an unknown symbol or a garbled body with an empty frame and a log line; this
module turns that into a ``ProviderError`` saying what went wrong, read from the HTTP exchange
itself (status, timeout, body), with the symbol and the URL.

``base_url`` points every request yfinance makes (chart, crumb, cookie) at another host: the
session below rewrites the URLs, so yfinance's own request and parsing code runs unchanged
against a local test server. The session is yfinance's usual ``curl_cffi`` one (browser TLS
fingerprint), with one time limit applied to every request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pandas as pd
import yfinance as yf
from curl_cffi import requests as curl_requests
from yfinance.exceptions import YFRateLimitError

from rotation.data.providers import Fetched, describe_url, tidy_observations
from rotation.errors import DataError, ProviderError

YAHOO_URL = "https://query2.finance.yahoo.com"
SYMBOL = re.compile(r"\^?[A-Za-z0-9][A-Za-z0-9.=\-]{0,31}")
CHART_PATH = "/v8/finance/chart/"


def check_symbol(symbol: str) -> str:
    """The symbol itself when Yahoo could know it (``MSFT``, ``BTC-USD``, ``^TNX``, ``MU``)."""
    if not SYMBOL.fullmatch(symbol):
        raise DataError(f"{symbol!r} is not a Yahoo symbol (e.g. MSFT, BTC-USD, ^TNX)")
    return symbol


def set_yfinance_cache_dir(path: Path) -> None:
    """Keep yfinance's own small caches (time zones, cookies) in ``path``.

    yfinance opens them on first use and keeps them for the process, so this only has an effect
    before the first fetch. Tests call it to stay out of the user's ``~/.cache/py-yfinance``.
    """
    path.mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(str(path))


@dataclass
class _ChartExchange:
    """One chart request as it went over the wire: the answer's status and body, or the error."""

    url: str
    status: int | None = None
    body: bytes = b""
    error: Exception | None = None


class _YahooSession(curl_requests.Session[curl_requests.Response]):
    """yfinance's HTTP session, with a base URL, one time limit, and a record of chart requests."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(impersonate="chrome")
        self.base_url = base_url
        self.time_limit = timeout
        self.chart_exchanges: list[_ChartExchange] = []

    def _route(self, url: str) -> str:
        if self.base_url is None:
            return url
        # With a base URL, every request goes there: cookie and crumb hosts included, so a test
        # server answers them all and nothing leaves the machine.
        parts = urlsplit(url)
        return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def request(self, method: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        url = self._route(url)
        timeout = kwargs.get("timeout")
        if not isinstance(timeout, int | float) or timeout > self.time_limit:
            kwargs["timeout"] = self.time_limit
        if CHART_PATH not in url:
            return super().request(method, url, *args, **kwargs)
        try:
            response = super().request(method, url, *args, **kwargs)
        except Exception as exc:
            self.chart_exchanges.append(_ChartExchange(url, error=exc))
            raise
        self.chart_exchanges.append(_ChartExchange(url, response.status_code, response.content))
        return response


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _yfinance_quietly() -> Iterator[_LogCollector]:
    """Collect yfinance's log lines (its only report of failures) and its pandas warnings.

    A handler on the ``yfinance`` logger also keeps those lines off stderr: the ProviderError
    raised from them says the same thing once, with the URL.
    """
    logger = logging.getLogger("yfinance")
    collector = _LogCollector()
    logger.addHandler(collector)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
            yield collector
    finally:
        logger.removeHandler(collector)


def _timestamp(value: Any, tz: Any) -> pd.Timestamp | None:
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, int | float):
        return pd.Timestamp(int(value), unit="s", tz="UTC").tz_convert(tz)
    return None


def drop_partial_day(
    closes: pd.Series, metadata: Mapping[str, Any], now: pd.Timestamp
) -> pd.Series:
    """``closes`` without a last bar whose session was still open at ``now``.

    During a session Yahoo's last daily bar is the latest trade, not a close. The chart's
    ``currentTradingPeriod.regular`` says when the current (or last) session runs; a last bar
    dated that session's day while ``now`` is before its end is dropped. Crypto's "session" is
    the UTC day, so an in-progress crypto day is dropped too. ``closes`` is indexed in the
    exchange's time zone, as yfinance returns it.
    """
    if closes.empty:
        return closes
    try:
        regular = metadata.get("currentTradingPeriod", {}).get("regular", {})
    except AttributeError:
        return closes
    tz = cast(pd.DatetimeIndex, closes.index).tz or "UTC"
    start = _timestamp(regular.get("start"), tz)
    end = _timestamp(regular.get("end"), tz)
    if start is None or end is None:
        return closes
    last = closes.index[-1]
    if now < end and last.date() >= start.tz_convert(tz).date():
        return closes.iloc[:-1]
    return closes


def _chart_error(body: bytes) -> str | None:
    """Yahoo's own reason from a chart JSON body (``chart.error.description``), if any."""
    try:
        doc = json.loads(body)
        return str(doc["chart"]["error"]["description"])
    except (ValueError, KeyError, TypeError):
        return None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


class YahooClient:
    """Fetches adjusted daily closes; ``base_url`` replaces Yahoo's hosts (tests)."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 20) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout
        # One session for the client's life: Yahoo's cookie lives in it.
        self._session = _YahooSession(self.base_url, timeout)

    def url(self, symbol: str) -> str:
        return f"{self.base_url or YAHOO_URL}{CHART_PATH}{symbol}"

    def prices(
        self, symbol: str, start: dt.date | None = None, *, now: pd.Timestamp | None = None
    ) -> Fetched:
        """Adjusted daily closes of ``symbol`` from ``start`` (all history when None).

        ``now`` (UTC; default the clock) decides whether the last bar is a finished session.
        """
        check_symbol(symbol)
        url = self.url(symbol)
        now = now if now is not None else pd.Timestamp.now(tz="UTC")
        options: dict[str, Any] = {
            "interval": "1d",
            "auto_adjust": True,
            "actions": False,
            "repair": False,
            "timeout": self.timeout,
        }
        if start is None:
            options["period"] = "max"
        else:
            options["start"] = start.isoformat()
        self._session.chart_exchanges.clear()
        with _yfinance_quietly() as log:
            try:
                ticker = yf.Ticker(symbol, session=self._session)
                frame = ticker.history(**options)
                metadata = ticker.get_history_metadata() if not frame.empty else {}
            except YFRateLimitError:
                raise ProviderError(
                    f"Yahoo prices for {symbol!r}: rate-limited (HTTP 429) at {url}; "
                    "try again later"
                ) from None
            except Exception as exc:
                # yfinance raises whatever its internals hit (often after a failed chart
                # request): say what the wire said when it says something, else name the error.
                said = f"yfinance failed ({type(exc).__name__}: {exc})"
                reason = self._wire_failure() or f"{said} for {url}"
                raise ProviderError(f"Yahoo prices for {symbol!r}: {reason}") from None
        if frame.empty or "Close" not in frame.columns:
            raise ProviderError(f"Yahoo prices for {symbol!r}: {self._why_empty(log.messages)}")
        closes = drop_partial_day(frame["Close"], metadata, now)
        if closes.dropna().empty:
            raise ProviderError(
                f"Yahoo prices for {symbol!r}: only an unfinished session in the answer from {url}"
            )
        series = tidy_observations(closes, symbol, url, positive=not symbol.startswith("^"))
        return Fetched(series, "yfinance", url)

    def _why_empty(self, log_messages: list[str]) -> str:
        """What went wrong, from the last chart request on the wire (yfinance only logs it)."""
        said = f" (yfinance: {log_messages[-1]})" if log_messages else ""
        if not self._session.chart_exchanges:
            return f"no chart request reached Yahoo{said}"
        exchange = self._session.chart_exchanges[-1]
        where = describe_url(exchange.url)
        failure = self._wire_failure()
        if failure:
            return failure
        reason = _chart_error(exchange.body)
        if reason:
            return f"Yahoo answered {where} with an error: {reason}"
        return f"no price rows in the answer from {where}{said}"

    def _wire_failure(self) -> str | None:
        """The failure of the last chart request (timeout, HTTP error, garbled body), if any."""
        if not self._session.chart_exchanges:
            return None
        exchange = self._session.chart_exchanges[-1]
        where = describe_url(exchange.url)
        if exchange.error is not None:
            if isinstance(exchange.error, curl_requests.exceptions.Timeout):
                return f"timed out after {self.timeout:g} s waiting for {where}"
            detail = str(exchange.error).split(". See ")[0]  # curl appends a link to its docs
            return f"cannot reach {where} ({type(exchange.error).__name__}: {detail})"
        reason = _chart_error(exchange.body)
        because = f": {reason}" if reason else ""
        if exchange.status == 429:
            return f"rate-limited (HTTP 429) by {where}; try again later"
        if exchange.status is not None and exchange.status >= 400:
            return f"HTTP {exchange.status} from {where}{because}"
        if not _is_json(exchange.body):
            return (
                f"malformed response from {where}: not chart JSON "
                f"(starts {exchange.body[:60].decode('utf-8', 'replace')!r})"
            )
        return None
