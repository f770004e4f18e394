"""FRED series by id, from FRED's public CSV download (no API key needed).

    GET {base}/graph/fredgraph.csv?id=DGS10[&cosd=2024-01-01]

    observation_date,DGS10        (older downloads say DATE)
    2024-01-02,3.95
    2024-01-15,                   ('.' or blank: no observation, e.g. a holiday)

Dates are observation dates; publication lags are the alignment module's business. ``cosd``
(observation start) lets an incremental refresh ask only for the recent tail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pandas as pd

from rotation.data.providers import Fetched, http_get, tidy_observations
from rotation.errors import DataError, ProviderError

FRED_URL = "https://fred.stlouisfed.org"
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


class FredClient:
    """Fetches FRED series; ``base_url`` replaces https://fred.stlouisfed.org (tests)."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 20) -> None:
        self.base_url = (base_url or FRED_URL).rstrip("/")
        self.timeout = timeout

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
