"""Live providers: one module per source, each returning what it fetched in one tidy form.

    yahoo   adjusted daily prices (equities, ETFs, crypto, Yahoo yield indices) via yfinance
    fred    any FRED series by id, from FRED's public CSV download (no API key)
    sec     hyperscaler quarterly capex from SEC EDGAR XBRL company facts

A series is a float64 ``pd.Series`` named by its key, indexed by a tz-naive, strictly increasing
``DatetimeIndex`` named ``date`` (the form of ``rotation.data._files``); SEC capex is the
``CapexQuarters`` table of ``rotation.data.capex``. Every failure is a ``ProviderError`` naming
the key and the URL; an empty answer is a failure, never zero rows passed on.

Each provider takes a ``base_url`` so tests can point it at a local HTTP server. This module
holds what they share: the result type, a plain HTTP GET (standard library only) and the
clean-up of an observed series (sort, duplicates, non-finite values).
"""

from __future__ import annotations

import gzip
import http.client
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd

from rotation.data import SOURCES as SOURCES  # defined there: the CLI reads it without pandas
from rotation.errors import ProviderError

DEFAULT_USER_AGENT = "rotation (Python backtesting engine; urllib)"


@dataclass(frozen=True)
class Fetched:
    """What one provider call returned: the data, the provider's name and the URL asked."""

    data: pd.Series | pd.DataFrame
    source: str
    url: str


def describe_url(url: str) -> str:
    """The URL without its query string (which may carry a crumb); enough to name the request."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}"


def http_get(
    url: str, *, what: str, timeout: float, headers: dict[str, str] | None = None
) -> bytes:
    """GET ``url`` and return the (decompressed) body; any failure is a ProviderError.

    ``what`` says what was asked for (``"FRED series 'DGS10'"``) and opens every message.
    No retries: a failing provider is reported at once and the caller falls back to the cache.
    """
    request = urllib.request.Request(
        url,
        headers={"User-Agent": DEFAULT_USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()  # urlopen's answer is typed Any
            encoding = (response.headers.get("Content-Encoding") or "").lower()
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"{what}: {_http_status_text(exc)} from {url}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise ProviderError(
                f"{what}: timed out after {timeout:g} s waiting for {url}"
            ) from None
        raise ProviderError(
            f"{what}: cannot reach {urlsplit(url).netloc} ({exc.reason}); URL {url}"
        ) from None
    except TimeoutError:
        raise ProviderError(f"{what}: timed out after {timeout:g} s waiting for {url}") from None
    except (http.client.HTTPException, OSError) as exc:
        raise ProviderError(f"{what}: connection failed ({exc!r}) for {url}") from None
    if encoding in ("gzip", "x-gzip"):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise ProviderError(f"{what}: malformed gzip body from {url} ({exc})") from None
    return body


def _http_status_text(exc: urllib.error.HTTPError) -> str:
    if exc.code == 429:
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        wait = f", retry after {retry_after} s" if retry_after else ""
        return f"rate-limited (HTTP 429{wait})"
    return f"HTTP {exc.code} {exc.reason}".rstrip()


def tidy_observations(
    values: pd.Series, key: str, origin: str, *, positive: bool = False
) -> pd.Series:
    """Sort by date, drop missing values and exact duplicate rows; check what is left.

    ``values`` is indexed by dates (any order). Two rows of one date with different values are an
    error (which one is right cannot be told), as are infinite values, non-positive prices when
    ``positive`` and an empty result. ``origin`` (the URL) and ``key`` are named in each message.
    """
    index = pd.DatetimeIndex(values.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    series = pd.Series(
        values.to_numpy(dtype="float64"), index=index.normalize().rename("date"), name=key
    )
    series = series.dropna().sort_index(kind="stable")
    if series.empty:
        raise ProviderError(f"no observations for {key!r} in the answer from {origin}")
    if np.isinf(series.to_numpy()).any():
        when = series.index[np.isinf(series.to_numpy())][0]
        raise ProviderError(f"infinite value on {when.date()} for {key!r} from {origin}")
    duplicated = series.index.duplicated(keep="first")
    if duplicated.any():
        frame = series.reset_index()
        conflicting = frame.groupby("date")[key].nunique() > 1
        if conflicting.any():
            when = conflicting[conflicting].index[0]
            seen = sorted(set(series.loc[when].tolist()))
            raise ProviderError(
                f"two different values {seen} on {when.date()} for {key!r} from {origin}"
            )
        series = series[~duplicated]
    if positive and (series <= 0).any():
        when = series.index[(series <= 0).to_numpy()][0]
        raise ProviderError(
            f"non-positive price {series[when]} on {when.date()} for {key!r} from {origin}"
        )
    return series
