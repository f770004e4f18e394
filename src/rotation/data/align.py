"""Alignment: one trading calendar for the universe, and macro series as they were known.

Calendar rule (one rule for every mix of assets): the trading calendar is the union of the
dates on which any non-crypto asset of the universe printed a close; a crypto-only universe uses
the crypto dates. On each calendar day every asset takes its last close at or before that day
(so weekend crypto moves arrive with Monday's close), carried forward at most
``MAX_PRICE_CARRY_DAYS`` calendar days; before an asset's first close it is NaN (not listed).

Publication rule: a macro observation dated ``d`` is known from ``d + lag`` calendar days
(``PUBLICATION_LAGS``, overridable per series in the config). On a calendar day the series takes
the latest value known by that day's close, and turns NaN once that value is older than its
``max_age_days`` (a discontinued or stale series drops out of the signal rather than freezing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import pandas as pd

from rotation._types import Prices

MAX_PRICE_CARRY_DAYS = 5


@dataclass(frozen=True)
class Publication:
    lag_days: int  # calendar days from the observation date until the value is public
    max_age_days: int  # beyond this the last value is considered stale (NaN)
    note: str


# Documented, conservative lags (calendar days) for the FRED series the signals read.
PUBLICATION_LAGS: Mapping[str, Publication] = {
    "DGS10": Publication(1, 10, "H.15 daily, published the next business day"),
    "DGS2": Publication(1, 10, "H.15 daily, published the next business day"),
    "DGS3MO": Publication(1, 10, "H.15 daily, published the next business day"),
    "DFII10": Publication(1, 10, "H.15 daily, published the next business day"),
    "T10Y2Y": Publication(1, 10, "derived from H.15, next business day"),
    "T10Y3M": Publication(1, 10, "derived from H.15, next business day"),
    "BAA10Y": Publication(1, 10, "Moody's Baa minus DGS10, next business day"),
    "BAMLH0A0HYM2": Publication(1, 10, "ICE BofA OAS, next business day"),
    "RRPONTSYD": Publication(0, 10, "NY Fed publishes the day's operation results at ~1:15 pm"),
    "WALCL": Publication(1, 16, "H.4.1: Wednesday level released Thursday 4:30 pm"),
    "WTREGEN": Publication(1, 16, "H.4.1: Wednesday level released Thursday 4:30 pm"),
    "NFCI": Publication(5, 16, "week ending Friday, released the following Wednesday"),
    "BAA": Publication(33, 70, "monthly average dated the 1st, known after the month ends"),
    "PNFI": Publication(120, 200, "quarter dated its 1st day; BEA advance estimate ~30 days "
                        "after the quarter ends"),
}  # fmt: skip
DEFAULT_PUBLICATION = Publication(1, 10, "default for daily series not in the table")

_CRYPTO_SUFFIXES = ("-USD", "-USDT", "-EUR")


def is_crypto(symbol: str) -> bool:
    """Yahoo crypto pairs (``BTC-USD``) trade every day, equities and ETFs on exchange days."""
    return symbol.upper().endswith(_CRYPTO_SUFFIXES)


def trades_whole_units(symbol: str, fractional: bool) -> bool:
    """Whether ``symbol`` trades only in whole units: an equity or ETF when fractional shares
    are off (the config's ``fractional: false``); crypto pairs always trade in fractions."""
    return not fractional and not is_crypto(symbol)


def trading_calendar(closes: Mapping[str, pd.Series]) -> pd.DatetimeIndex:
    """Union of the print dates of the non-crypto assets (all assets if only crypto)."""
    equity = [s.index for k, s in closes.items() if not is_crypto(k)]
    dates = equity or [s.index for s in closes.values()]
    calendar = dates[0]
    for index in dates[1:]:
        calendar = calendar.union(index)
    return pd.DatetimeIndex(calendar, name="date")


def align_prices(closes: Mapping[str, pd.Series], calendar: pd.DatetimeIndex) -> Prices:
    """Sample each close series on ``calendar`` by the calendar rule of this module."""
    columns = {}
    for symbol, series in closes.items():
        last_print = pd.Series(series.index, index=series.index)
        sampled = series.reindex(calendar, method="ffill")
        printed = last_print.reindex(calendar, method="ffill")
        too_old = (calendar - pd.DatetimeIndex(printed)) > pd.Timedelta(days=MAX_PRICE_CARRY_DAYS)
        columns[symbol] = sampled.mask(too_old)
    return pd.DataFrame(columns, index=calendar)


def publication(series_id: str, overrides: Mapping[str, int] | None = None) -> Publication:
    """The publication rule for a series, with a config override of its lag."""
    rule = PUBLICATION_LAGS.get(series_id, DEFAULT_PUBLICATION)
    if overrides and series_id in overrides:
        return Publication(overrides[series_id], rule.max_age_days, "lag set in the config")
    return rule


def as_known(series: pd.Series, calendar: pd.DatetimeIndex, rule: Publication) -> pd.Series:
    """The value of ``series`` known at each calendar day's close under ``rule``.

    The observation dated ``d`` becomes usable on ``d + rule.lag_days``; later values never
    leak backwards, because sampling takes the latest value whose known date is <= the day.
    """
    dates = cast(pd.DatetimeIndex, series.index)  # every series is indexed by date
    known_dates = dates + pd.Timedelta(days=rule.lag_days)
    shifted = pd.Series(series.to_numpy(), index=known_dates).groupby(level=0).last()
    sampled = shifted.reindex(calendar, method="ffill")
    observed = pd.Series(series.index, index=known_dates).groupby(level=0).last()
    observed = observed.reindex(calendar, method="ffill")
    age = calendar - pd.DatetimeIndex(observed)
    stale = age > pd.Timedelta(days=rule.max_age_days + rule.lag_days)
    known = sampled.mask(stale)
    known.name = series.name  # not rename(): pandas-stubs refuse a Hashable name there
    return known
