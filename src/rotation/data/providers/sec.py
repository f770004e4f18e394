"""Hyperscaler quarterly capex from SEC EDGAR XBRL company facts, with acceptance times.

    GET {base}/api/xbrl/companyfacts/CIK##########.json      (one JSON document per company)
    GET {base}/submissions/CIK##########.json                (the company's filings index)

The first document holds every XBRL fact the company filed, each with the accession number
(``accn``) and day (``filed``) of its filing; ``rotation.data.capex.parse_companyfacts`` turns
its year-to-date cash-flow facts into single quarters. The second lists the company's recent
filings (``filings.recent``: ``accessionNumber``, ``acceptanceDateTime``, ...); joined on the
accession number, it gives the time each fact became public, so a filing accepted before the
4 pm New York close counts at that day's close and one accepted later at the next business day's
(``rotation.data.align.first_close``). When the submissions request fails, or a fact's accession
is not in it (``filings.recent`` holds only the latest ~1,000 filings; older pages under
``filings.files`` are not fetched), the fact counts as filed after the close of its ``filed``
day, and an ``AcceptanceTimeWarning`` says so.

``acceptanceDateTime`` looks like UTC ("2024-10-30T16:05:12.000Z") but the ``Z`` cannot be
trusted: EDGAR's own filing index pages and the SGML header (``<ACCEPTANCE-DATETIME>``) give the
time in Eastern time, and independent comparisons of the two (e.g. edgartools issue #557, finagg
issue #64) found the JSON value to be the New York clock with a ``Z`` appended for some filers
and true UTC for others, with nothing in the string telling them apart. ``acceptance_instant``
therefore reads the clock as New York time: of the two readings it is the later instant (New
York is behind UTC), so a filing is never used before it was public; for a filer whose value is
true UTC, a filing accepted between 11 am and 4 pm New York time counts one session late.
EDGAR asks every client for a User-Agent naming a person or company and an e-mail address
(https://www.sec.gov/os/accessing-edgar-data); requests without one are refused, so this module
will not send any without one (``ROTATION_SEC_USER_AGENT`` or ``--sec-user-agent``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from rotation.data.align import MARKET_TZ
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


class AcceptanceTimeWarning(UserWarning):
    """Some SEC facts have no acceptance time: they count from the close after their filing day."""


def companyfacts_url(base_url: str, cik: int) -> str:
    return f"{base_url.rstrip('/')}/api/xbrl/companyfacts/CIK{cik:010d}.json"


def submissions_url(base_url: str, cik: int) -> str:
    return f"{base_url.rstrip('/')}/submissions/CIK{cik:010d}.json"


def acceptance_instant(text: str) -> pd.Timestamp:
    """EDGAR's ``acceptanceDateTime`` as an instant: its clock read as New York time, whatever
    zone designator it carries (see the module docstring for why the ``Z`` is ignored)."""
    clock = pd.Timestamp(str(text).strip().removesuffix("Z"))
    if clock.tzinfo is not None:
        clock = clock.tz_localize(None)
    return clock.tz_localize(MARKET_TZ, ambiguous=True, nonexistent="shift_forward")


def parse_acceptance_times(doc: Any, where: str) -> dict[str, pd.Timestamp]:
    """Accession number -> acceptance instant (UTC), from a submissions document's
    ``filings.recent``; ProviderError naming ``where`` and the key when malformed."""
    try:
        recent = doc["filings"]["recent"]
        numbers, times = recent["accessionNumber"], recent["acceptanceDateTime"]
    except (KeyError, TypeError):
        raise ProviderError(
            f"{where}: missing key 'filings' -> 'recent' -> 'accessionNumber' / "
            "'acceptanceDateTime'"
        ) from None
    if not isinstance(numbers, list) or not isinstance(times, list) or len(numbers) != len(times):
        raise ProviderError(
            f"{where}: 'accessionNumber' and 'acceptanceDateTime' must be lists of one length"
        )
    accepted = {}
    for number, text in zip(numbers, times, strict=True):
        try:
            accepted[str(number)] = acceptance_instant(text).tz_convert("UTC")
        except (ValueError, TypeError):
            raise ProviderError(
                f"{where}: acceptanceDateTime {text!r} of {number} is not a date-time"
            ) from None
    return accepted


def _warn_untimed(
    ticker: str, table: pd.DataFrame, accepted: Mapping[str, pd.Timestamp], what: str
) -> None:
    """An ``AcceptanceTimeWarning`` when some rows' filings are not in the submissions answer."""
    untimed = int(table["accepted_at"].isna().sum())
    if accepted and untimed:
        warnings.warn(
            f"SEC EDGAR submissions for {ticker}: the filings of {untimed} of "
            f"{len(table)} {what} are not among its recent filings; they count "
            "from the close after their filing day (after the close assumed)",
            AcceptanceTimeWarning,
            stacklevel=3,
        )


class SecClient:
    """Fetches company facts; ``base_url`` replaces https://data.sec.gov (tests)."""

    def __init__(
        self, base_url: str | None = None, *, user_agent: str | None = None, timeout: float = 20
    ) -> None:
        self.base_url = (base_url or SEC_URL).rstrip("/")
        self.user_agent = (user_agent or "").strip() or None
        self.timeout = timeout
        self._docs: dict[str, dict[str, Any]] = {}  # URL -> document: capex and funding share one

    def _cik(self, ticker: str) -> int:
        if ticker not in HYPERSCALER_CIKS:
            raise DataError(
                f"no SEC CIK known for {ticker!r}; hyperscalers: {', '.join(HYPERSCALER_CIKS)}"
            )
        return HYPERSCALER_CIKS[ticker]

    def funding(self, ticker: str) -> Fetched:
        """The funding items of one hyperscaler (``data.funding.FundingItems``: operating cash
        flow, debt issued and repaid, cash and marketable securities; ``FUNDING_TAGS``), each
        known from the close after its filing's acceptance. Items the company does not tag are
        absent, never zero."""
        from rotation.data.funding import parse_companyfacts_items

        def parse(doc: Mapping[str, Any], accepted: Mapping[str, pd.Timestamp]) -> pd.DataFrame:
            return parse_companyfacts_items(doc, ticker.upper(), accepted)

        items, url = self._facts(ticker, parse, "funding items (cash-flow tags)", "funding values")
        return Fetched(items, "sec", url)

    def capex(self, ticker: str) -> Fetched:
        """Single-quarter capex of one hyperscaler (``CapexQuarters``), each known from the close
        after its filing's acceptance (module docstring)."""
        ticker = ticker.upper()
        tags = CAPEX_TAGS_BY_TICKER.get(ticker, CAPEX_TAGS)

        def parse(doc: Mapping[str, Any], accepted: Mapping[str, pd.Timestamp]) -> pd.DataFrame:
            return parse_companyfacts(doc, ticker, tags, accepted)

        quarters, url = self._facts(ticker, parse, "single-quarter capex values", "capex quarters")
        return Fetched(quarters, "sec", url)

    def _facts(
        self,
        ticker: str,
        parse: Callable[[Mapping[str, Any], Mapping[str, pd.Timestamp]], pd.DataFrame],
        empty: str,
        rows: str,
    ) -> tuple[pd.DataFrame, str]:
        """``parse`` (document, acceptance times) of ``ticker``'s company facts, and their URL;
        ProviderError when it fails or finds nothing (``empty`` says what was looked for), an
        ``AcceptanceTimeWarning`` when some ``rows`` have no acceptance time."""
        ticker = ticker.upper()
        cik = self._cik(ticker)
        url = companyfacts_url(self.base_url, cik)
        what = f"SEC EDGAR company facts for {ticker}"
        doc = self._json(url, what, cik)
        accepted = self.acceptance_times(ticker)
        try:
            table = parse(doc, accepted)
        except DataError as exc:
            raise ProviderError(f"{what} ({url}): {exc}") from None
        if table.empty:
            raise ProviderError(f"{what}: no {empty} in the answer from {url}")
        _warn_untimed(ticker, table, accepted, rows)
        return table, url

    def acceptance_times(self, ticker: str) -> Mapping[str, pd.Timestamp]:
        """Accession number -> acceptance instant (UTC) of ``ticker``'s recent filings; empty,
        with an ``AcceptanceTimeWarning``, when the submissions request fails."""
        cik = HYPERSCALER_CIKS[ticker.upper()]
        url = submissions_url(self.base_url, cik)
        what = f"SEC EDGAR submissions for {ticker.upper()}"
        try:
            return parse_acceptance_times(self._json(url, what, cik), f"{what} ({url})")
        except ProviderError as exc:
            warnings.warn(
                f"{exc}; without acceptance times every filing counts from the close after "
                "its filing day (after the close assumed)",
                AcceptanceTimeWarning,
                stacklevel=2,
            )
            return {}

    def _json(self, url: str, what: str, cik: int) -> dict[str, Any]:
        """GET one EDGAR JSON document of company ``cik`` (once per client); ProviderError when
        unusable."""
        if url in self._docs:
            return self._docs[url]
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
        self._docs[url] = doc
        return doc
