"""FRED series by id, from FRED's public CSV download (no API key needed).

    GET {base}/graph/fredgraph.csv?id=DGS10[&cosd=2024-01-01]

    observation_date,DGS10        (older downloads say DATE)
    2024-01-02,3.95
    2024-01-15,                   ('.' or blank: no observation, e.g. a holiday)

Dates are observation dates; publication lags are the alignment module's business. ``cosd``
(observation start) lets an incremental refresh ask only for the recent tail.

Vintages (ALFRED, ``FredClient.vintages``) come from the FRED API, which needs a key
(``FRED_API_KEY``):

    GET {api}/fred/series/observations?series_id=PNFI&api_key=KEY&file_type=json
        &realtime_start=1776-07-04&realtime_end=9999-12-31[&offset=N]

    {"count": 3, "offset": 0, "limit": 100000, "observations": [
      {"realtime_start": "2024-07-25", "realtime_end": "2024-08-28", "date": "2024-04-01",
       "value": "3874.2"}, ...]}

Each row is one observation's value over one real-time period (the days that value was the
published one; ``realtime_end`` 9999-12-31 = still current). All real-time periods are asked
for, and pages of ``limit`` rows are followed by ``offset`` until ``count`` rows have come.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from typing import Any

import pandas as pd

from rotation.data.providers import Fetched, http_get, tidy_observations
from rotation.errors import DataError, ProviderError

FRED_URL = "https://fred.stlouisfed.org"
FRED_API_URL = "https://api.stlouisfed.org"
ALL_REALTIME = ("1776-07-04", "9999-12-31")
"""The widest real-time period the FRED API accepts: every vintage."""
VINTAGE_COLUMNS = ("date", "value", "realtime_start", "realtime_end")
SERIES_ID = re.compile(r"[A-Za-z0-9_]{1,64}")
DATE_HEADERS = ("observation_date", "date")
MISSING = ("", ".")


def check_series_id(series_id: str) -> str:
    """The id itself when it looks like a FRED id (letters, digits, underscore)."""
    if not SERIES_ID.fullmatch(series_id):
        raise DataError(
            f"{series_id!r} is not a FRED series id (letters, digits and '_' only, e.g. DGS10)"
        )
    return series_id


def parse_fred_csv(text: str, series_id: str, origin: str) -> pd.Series:
    """The tidy series from the body of a fredgraph.csv download; ``origin`` names the URL."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise ProviderError(f"FRED series {series_id!r}: empty response from {origin}")
    header = [cell.strip() for cell in rows[0]]
    if (
        len(header) < 2
        or header[0].lower() not in DATE_HEADERS
        or header[1].upper() != series_id.upper()
    ):
        raise ProviderError(
            f"FRED series {series_id!r}: malformed response from {origin}: expected the CSV "
            f"header 'observation_date,{series_id}', got {text.lstrip()[:80].splitlines()[0]!r}"
        )
    dates, values = [], []
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise ProviderError(
                f"FRED series {series_id!r}: line {line_number} of {origin} has no value: {row!r}"
            )
        day, value = row[0].strip(), row[1].strip()
        try:
            dates.append(dt.date.fromisoformat(day))
        except ValueError:
            raise ProviderError(
                f"FRED series {series_id!r}: unparseable date {day!r} on line {line_number} "
                f"of {origin}"
            ) from None
        if value in MISSING:
            values.append(float("nan"))
            continue
        try:
            values.append(float(value))
        except ValueError:
            raise ProviderError(
                f"FRED series {series_id!r}: non-numeric value {value!r} on {day} "
                f"(line {line_number}) of {origin}"
            ) from None
    observed = pd.Series(values, index=pd.DatetimeIndex(dates), dtype="float64")
    return tidy_observations(observed, series_id, origin)


def parse_vintages(doc: Any, series_id: str, origin: str) -> tuple[pd.DataFrame, int]:
    """(rows, count) of one FRED API observations page with real-time periods: columns
    ``VINTAGE_COLUMNS`` (dates as Timestamps; ``realtime_end`` 9999-12-31 kept as the latest
    Timestamp pandas holds), rows without a value ('.') dropped."""
    what = f"FRED vintages of {series_id!r}: malformed response from {origin}"
    if not isinstance(doc, dict) or not isinstance(doc.get("observations"), list):
        raise ProviderError(f"{what}: missing key 'observations'")
    rows = []
    for i, row in enumerate(doc["observations"]):
        if not isinstance(row, dict) or any(k not in row for k in VINTAGE_COLUMNS):
            raise ProviderError(f"{what}: observation #{i} lacks one of {list(VINTAGE_COLUMNS)}")
        if str(row["value"]).strip() in MISSING:
            continue
        try:
            end = row["realtime_end"]
            rows.append(
                {
                    "date": pd.Timestamp(row["date"]),
                    "value": float(row["value"]),
                    "realtime_start": pd.Timestamp(row["realtime_start"]),
                    "realtime_end": pd.Timestamp.max.normalize()
                    if end == ALL_REALTIME[1]
                    else pd.Timestamp(end),
                }
            )
        except (ValueError, TypeError):
            raise ProviderError(
                f"{what}: observation #{i} {row!r} is not dates and a number"
            ) from None
    count = doc.get("count", len(doc["observations"]))
    if not isinstance(count, int):
        raise ProviderError(f"{what}: 'count' is not a number")
    return pd.DataFrame(rows, columns=list(VINTAGE_COLUMNS)), count


class FredClient:
    """Fetches FRED series; ``base_url`` replaces https://fred.stlouisfed.org and ``api_url``
    https://api.stlouisfed.org (tests); ``api_key`` (else ``FRED_API_KEY``) is for vintages."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 20,
        api_url: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.base_url = (base_url or FRED_URL).rstrip("/")
        self.api_url = (api_url or FRED_API_URL).rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def vintages(self, series_id: str) -> Fetched:
        """Every real-time period of every observation of ``series_id`` (ALFRED), in the
        columns ``VINTAGE_COLUMNS``; ProviderError without an API key or on a bad answer."""
        check_series_id(series_id)
        key = self.api_key or os.environ.get("FRED_API_KEY")
        url = f"{self.api_url}/fred/series/observations?series_id={series_id}"
        if not key:
            raise ProviderError(
                f"FRED vintages of {series_id!r} ({url}) need a FRED API key: set FRED_API_KEY "
                "(free at fredaccount.stlouisfed.org)"
            )
        start, end = ALL_REALTIME
        query = f"&file_type=json&realtime_start={start}&realtime_end={end}&api_key={key}"
        pages: list[pd.DataFrame] = []
        seen, count = 0, None
        while count is None or seen < count:
            try:
                body = http_get(
                    f"{url}{query}&offset={seen}",
                    what=f"FRED vintages of {series_id!r}",
                    timeout=self.timeout,
                )
            except ProviderError as exc:  # its message names the URL: never the key
                raise ProviderError(str(exc).replace(key, "<FRED_API_KEY>")) from None
            try:
                doc = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ProviderError(
                    f"FRED vintages of {series_id!r}: malformed response from {url} (not JSON)"
                ) from None
            page, count = parse_vintages(doc, series_id, url)
            got = len(doc["observations"])
            if got == 0:
                break
            pages.append(page)
            seen += got
        frame = pd.concat(pages, ignore_index=True) if pages else None
        if frame is None or frame.empty:
            raise ProviderError(f"FRED vintages of {series_id!r}: no observations from {url}")
        frame = frame.sort_values(["date", "realtime_start"], kind="stable")
        return Fetched(frame.reset_index(drop=True), "alfred", url)

    def url(self, series_id: str, start: dt.date | None = None) -> str:
        url = f"{self.base_url}/graph/fredgraph.csv?id={series_id}"
        return f"{url}&cosd={start.isoformat()}" if start else url

    def series(self, series_id: str, start: dt.date | None = None) -> Fetched:
        """Observations of ``series_id`` from ``start`` (all history when None)."""
        check_series_id(series_id)
        url = self.url(series_id, start)
        body = http_get(url, what=f"FRED series {series_id!r}", timeout=self.timeout)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProviderError(
                f"FRED series {series_id!r}: malformed response from {url} (not UTF-8 text)"
            ) from None
        series = parse_fred_csv(text, series_id, url)
        if start is not None:
            series = series[series.index >= pd.Timestamp(start)]
            if series.empty:
                raise ProviderError(
                    f"FRED series {series_id!r}: no observations on or after {start} from {url}"
                )
        return Fetched(series, "fred", url)
