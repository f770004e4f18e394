"""Hyperscaler quarterly capex from SEC EDGAR XBRL company facts.

    GET {base}/api/xbrl/companyfacts/CIK##########.json      (one JSON document per company)

The document holds every XBRL fact the company filed; ``rotation.data.capex.parse_companyfacts``
turns its year-to-date cash-flow facts into single quarters, each known from its filing date.
EDGAR asks every client for a User-Agent naming a person or company and an e-mail address
(https://www.sec.gov/os/accessing-edgar-data); requests without one are refused, so this module
will not send any without one (``ROTATION_SEC_USER_AGENT`` or ``--sec-user-agent``).
"""

from __future__ import annotations

import json

from rotation.data.capex import CAPEX_TAGS, CAPEX_TAGS_BY_TICKER, parse_companyfacts
from rotation.data.providers import Fetched, http_get
from rotation.errors import DataError, ProviderError

SEC_URL = "https://data.sec.gov"

HYPERSCALER_CIKS = {
    "MSFT": 789019,  # Microsoft Corp
    "GOOGL": 1652044,  # Alphabet Inc.
    "AMZN": 1018724,  # Amazon.com, Inc.
    "META": 1326801,  # Meta Platforms, Inc.
    "ORCL": 1341439,  # Oracle Corp
}
"""EDGAR Central Index Keys of the hyperscalers whose capex the signal reads."""

USER_AGENT_HELP = (
    "SEC EDGAR requires a User-Agent naming you and an e-mail address, e.g. "
    "'Jane Doe jane@example.com': set ROTATION_SEC_USER_AGENT or pass --sec-user-agent"
)


def companyfacts_url(base_url: str, cik: int) -> str:
    return f"{base_url.rstrip('/')}/api/xbrl/companyfacts/CIK{cik:010d}.json"


class SecClient:
    """Fetches company facts; ``base_url`` replaces https://data.sec.gov (tests)."""

    def __init__(
        self, base_url: str | None = None, *, user_agent: str | None = None, timeout: float = 20
    ) -> None:
        self.base_url = (base_url or SEC_URL).rstrip("/")
        self.user_agent = (user_agent or "").strip() or None
        self.timeout = timeout

    def capex(self, ticker: str) -> Fetched:
        """Single-quarter capex of one hyperscaler (``CapexQuarters``), known from filing dates."""
        ticker = ticker.upper()
        if ticker not in HYPERSCALER_CIKS:
            raise DataError(
                f"no SEC CIK known for {ticker!r}; hyperscalers: {', '.join(HYPERSCALER_CIKS)}"
            )
        cik = HYPERSCALER_CIKS[ticker]
        url = companyfacts_url(self.base_url, cik)
        what = f"SEC EDGAR company facts for {ticker}"
        if self.user_agent is None:
            raise ProviderError(f"{what} ({url}): {USER_AGENT_HELP}")
        body = http_get(
            url, what=what, timeout=self.timeout, headers={"User-Agent": self.user_agent}
        )
        try:
            doc = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"{what}: malformed response from {url}: not JSON ({exc})"
            ) from None
        if not isinstance(doc, dict):
            raise ProviderError(f"{what}: malformed response from {url}: not a JSON object")
        if "cik" in doc and str(doc["cik"]).lstrip("0") != str(cik):
            raise ProviderError(f"{what}: {url} answered for CIK {doc['cik']}, expected {cik}")
        try:
            quarters = parse_companyfacts(doc, ticker, CAPEX_TAGS_BY_TICKER.get(ticker, CAPEX_TAGS))
        except DataError as exc:
            raise ProviderError(f"{what} ({url}): {exc}") from None
        if quarters.empty:
            raise ProviderError(f"{what}: no single-quarter capex values in the answer from {url}")
        return Fetched(quarters, "sec", url)
