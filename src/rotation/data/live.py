"""Live data: the providers (Yahoo, FRED, SEC EDGAR) behind the on-disk cache, as a DataSource.

Routing: ``prices(symbol)`` asks Yahoo; ``macro(series_id)`` asks FRED, except a Yahoo index
(``^TNX``) which asks Yahoo; ``capex_quarters()`` and ``funding_items()`` ask SEC EDGAR for each
hyperscaler (cached as ``sec`` keys ``MSFT`` and ``MSFT.FUNDING``).

Settings, each an argument or else an environment variable:

    cache_dir        ROTATION_CACHE            default: the platform's user cache folder
    user_agent       ROTATION_SEC_USER_AGENT   required by SEC EDGAR ("Name email@host")
    yahoo_base_url   ROTATION_YAHOO_URL        default: https://query2.finance.yahoo.com
    fred_base_url    ROTATION_FRED_URL         default: https://fred.stlouisfed.org
    sec_base_url     ROTATION_SEC_URL          default: https://data.sec.gov
    fred_api_url     ROTATION_FRED_API_URL     default: https://api.stlouisfed.org (vintages)
    (FRED API key)   FRED_API_KEY              needed for vintages only

With ``vintages`` (the config's ``data: {source: live, vintages: true}``) every FRED series is
read from its ALFRED vintages (cached as ``vintages/<ID>``) as it was first published on the
day its publication rule reads it (``align.as_published``); without, the latest vintage.

With ``refresh`` (the default) each series is brought up to date once per LiveSource (only the
missing tail is fetched); without it, a cached series is used as is and only missing ones are
fetched. When a provider fails, the cached copy is used with a ``CacheWarning`` naming its age.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rotation.data.cache import (
    KIND_OF_SOURCE,
    Cache,
    Refreshed,
    default_cache_dir,
    frame_series,
    refresh,
)
from rotation.data.providers import SOURCES, Fetched
from rotation.data.providers.fred import FredClient, check_series_id
from rotation.data.providers.sec import HYPERSCALER_CIKS, SecClient
from rotation.errors import DataError

if TYPE_CHECKING:
    from rotation.config import Config
    from rotation.data.align import Publication
    from rotation.data.providers.yahoo import YahooClient

FUNDING_SUFFIX = ".FUNDING"
"""The SEC cache key ``<TICKER>.FUNDING`` holds a hyperscaler's funding items (``data.funding``)."""

SEC_FRESH_FOR = dt.timedelta(hours=12)
"""How often at most a LiveSource refetches SEC company facts (MBs each, new only after filings)."""


def _setting(value: str | None, variable: str) -> str | None:
    return value or os.environ.get(variable) or None


class LiveSource:
    """Live providers + cache, answering the ``DataSource`` questions of ``sources.py``."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        refresh: bool = True,
        user_agent: str | None = None,
        yahoo_base_url: str | None = None,
        fred_base_url: str | None = None,
        sec_base_url: str | None = None,
        timeout: float = 20,
        vintages: bool = False,
        fred_api_url: str | None = None,
        publication: Callable[[str], Publication] | None = None,
    ) -> None:
        self.cache = Cache(Path(cache_dir) if cache_dir else default_cache_dir())
        self.refresh = refresh
        self.timeout = timeout
        self.yahoo_base_url = _setting(yahoo_base_url, "ROTATION_YAHOO_URL")
        self.fred = FredClient(
            _setting(fred_base_url, "ROTATION_FRED_URL"),
            timeout=timeout,
            api_url=_setting(fred_api_url, "ROTATION_FRED_API_URL"),
        )
        self.vintages = vintages
        # the rule the signal reads each series by (the config's overrides): vintages are
        # picked on that rule's publication day
        self.publication = publication
        self.sec = SecClient(
            _setting(sec_base_url, "ROTATION_SEC_URL"),
            user_agent=_setting(user_agent, "ROTATION_SEC_USER_AGENT"),
            timeout=timeout,
        )
        self._yahoo: YahooClient | None = None
        self._seen: dict[tuple[str, str], pd.DataFrame] = {}
        vintage = "; first-release FRED vintages (ALFRED)" if vintages else ""
        self.description = (
            f"live data (Yahoo, FRED, SEC EDGAR{vintage}) cached in {self.cache.root}"
        )

    @property
    def yahoo(self) -> YahooClient:
        if self._yahoo is None:  # imports yfinance, which takes a moment: only when needed
            from rotation.data.providers.yahoo import YahooClient

            self._yahoo = YahooClient(self.yahoo_base_url, timeout=self.timeout)
        return self._yahoo

    # --- the DataSource questions -----------------------------------------------------------

    def prices(self, symbol: str) -> pd.Series:
        """Adjusted daily closes of ``symbol`` from Yahoo (tidy form of ``_files``)."""
        return frame_series(self._once("yfinance", symbol), symbol)

    def macro(self, series_id: str) -> pd.Series:
        """A FRED series by id, or a Yahoo index (``^TNX``) from Yahoo; observation dates."""
        if series_id.startswith("^"):
            return frame_series(self._once("yfinance", series_id), series_id)
        if self.vintages:
            from rotation.data.align import as_published, publication

            rule = (self.publication or publication)(series_id)
            return as_published(self._once("alfred", series_id), rule).rename(series_id)
        return frame_series(self._once("fred", series_id), series_id)

    def capex_quarters(self) -> pd.DataFrame:
        """The hyperscalers' single-quarter capex (``CapexQuarters``), known from the close after
        each filing's SEC acceptance (``providers.sec``)."""
        from rotation.data.capex import combine_sources, stored_quarters

        frames = [stored_quarters(self._once("sec", ticker)) for ticker in HYPERSCALER_CIKS]
        return combine_sources(frames)

    def funding_items(self) -> pd.DataFrame:
        """The hyperscalers' funding items (``data.funding``) from their SEC company facts,
        each known from the close after its filing's acceptance (``providers.sec``)."""
        from rotation.data.funding import combine, stored_items

        keys = [f"{ticker}{FUNDING_SUFFIX}" for ticker in HYPERSCALER_CIKS]
        return combine([stored_items(self._once("sec", key)) for key in keys])

    def _once(self, source: str, key: str) -> pd.DataFrame:
        """Refresh ``key`` at most once in this LiveSource's life; fall back to the cache."""
        if (source, key) not in self._seen:
            fresh_for = SEC_FRESH_FOR if source == "sec" else None
            done = self.update(
                source, key, network=self.refresh, fallback=True, fresh_for=fresh_for
            )
            self._seen[(source, key)] = done.frame
        return self._seen[(source, key)]

    # --- fetching ----------------------------------------------------------------------------

    def update(
        self,
        source: str,
        key: str,
        *,
        start: dt.date | None = None,
        full: bool = False,
        network: bool = True,
        fallback: bool = False,
        fresh_for: dt.timedelta | None = None,
    ) -> Refreshed:
        """Fetch ``key`` from ``source`` (``yfinance``, ``fred`` or ``sec``) into the cache.

        Only what is missing since the last cached date is fetched, unless ``full`` or the
        cache does not reach back to ``start``. Without ``fallback`` a provider failure raises
        even when a cached copy exists (``rotation data fetch``); with it, the copy is returned
        with a warning. See ``cache.refresh`` for the rest.
        """
        if source not in SOURCES:
            raise DataError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
        if source == "sec":
            key = key.upper()
        fetch = self._fetcher(source, key)
        return refresh(
            self.cache,
            KIND_OF_SOURCE[source],
            key,
            fetch,
            start=start,
            full=full,
            network=network,
            fallback=fallback,
            # company facts and vintages come whole; there is no tail to ask
            incremental=source not in ("sec", "alfred"),
            refetch_on_revision=source == "yfinance",  # adjusted prices rescale all history
            fresh_for=fresh_for,
        )

    def _fetcher(self, source: str, key: str) -> Callable[[dt.date | None], Fetched]:
        if source == "yfinance":
            from rotation.data.providers.yahoo import check_symbol

            check_symbol(key)
            return lambda start: self.yahoo.prices(key, start)
        if source == "fred":
            check_series_id(key)
            return lambda start: self.fred.series(key, start)
        if source == "alfred":
            check_series_id(key)
            return lambda _start: self.fred.vintages(key)
        ticker = key.removesuffix(FUNDING_SUFFIX)
        if ticker not in HYPERSCALER_CIKS:
            raise DataError(
                f"no SEC CIK known for {ticker!r}; hyperscalers: {', '.join(HYPERSCALER_CIKS)}"
            )
        if key.endswith(FUNDING_SUFFIX):
            return lambda _start: self.sec.funding(ticker)
        return lambda _start: self.sec.capex(key)


def fetch_plan(
    symbols: Sequence[str] = (), *, config: Config | None = None, source: str | None = None
) -> list[tuple[str, str]]:
    """The (source, key) pairs to fetch, in order, without repeats.

    ``symbols`` go to ``source`` when given, else to Yahoo (a FRED id needs ``source="fred"``).
    A ``config`` adds its universe and benchmark (Yahoo), its signal's series (FRED; ``^`` ids
    Yahoo), its risk-free series (``Config.risk_free_input``) and, when its capex component
    reads the hyperscalers, their SEC filings (``<TICKER>.FUNDING`` too when its signal has a
    ``funding`` weight); ``source`` then keeps only that provider's part. ``source="sec"`` alone
    means every hyperscaler's capex (funding keys ``<TICKER>.FUNDING`` are asked for by name).
    """
    plan: list[tuple[str, str]] = [(source or "yfinance", key) for key in symbols]
    if config is not None:
        plan += [("yfinance", key) for key in (*config.symbols, config.benchmark)]
        from rotation.signals import macro_series

        plan += [
            ("yfinance" if key.startswith("^") else "fred", key)
            for key in macro_series(config.signal)
        ]
        if config.risk_free_input is not None:
            kind, key = config.risk_free_input
            plan.append(("fred" if kind == "macro" else "yfinance", key))
        weights = config.signal.weights
        funding = "funding" in weights
        if funding or (config.signal.capex == "hyperscalers" and weights.get("capex", 0) > 0):
            plan += [("sec", ticker) for ticker in HYPERSCALER_CIKS]
        if funding:
            plan += [("sec", f"{ticker}{FUNDING_SUFFIX}") for ticker in HYPERSCALER_CIKS]
        if source is not None:
            plan = [(s, key) for s, key in plan if s == source]
    elif not symbols and source == "sec":
        plan = [("sec", ticker) for ticker in HYPERSCALER_CIKS]
    return list(dict.fromkeys((s, key.upper() if s == "sec" else key) for s, key in plan))
