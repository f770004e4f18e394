"""Alignment: one trading calendar for the universe, and macro series as they were known.

Calendar rule (one rule for every mix of assets): the trading calendar is the union of the
dates on which any non-crypto asset of the universe printed a close; a crypto-only universe uses
the crypto dates. On each calendar day every asset takes its last close at or before that day
(so weekend crypto moves arrive with Monday's close), carried forward at most
``MAX_PRICE_CARRY_DAYS`` calendar days; before an asset's first close it is NaN (not listed).

Release rule (``first_close``; one rule for macro series and filings alike): a value released
strictly before the 4 pm New York close (``MARKET_CLOSE`` in ``MARKET_TZ``) of a business day is
known at that day's close; a value released at or after the close, or on a weekend, is known at
the close of the next business day. Business days are those of the signal calendar
(``rotation.signals.signal_calendar``, ``pd.bdate_range``: Monday to Friday, exchange holidays
included), so a release on the evening before a holiday counts at the holiday's "close" (the
signal carries over to the next trading day, where trades happen).

Publication rule: a macro observation dated ``d`` is published on ``d + lag`` calendar days
(``PUBLICATION_LAGS``, overridable per series in the config), rolled forward to a business day
(publishers release on business days), at the series' ``release_time`` in ``tz``; the release
rule above gives the close from which it is known. A release time that is not known (``None``)
is assumed to be after the close. On a calendar day the series takes the latest value known by
that day's close, and turns NaN once that value is older than its ``max_age_days`` plus its
lag (a discontinued or stale series drops out of the signal rather than freezing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import cast

import pandas as pd

from rotation._types import Prices

MAX_PRICE_CARRY_DAYS = 5

MARKET_TZ = "America/New_York"
MARKET_CLOSE = dt.time(16, 0)
"""The close the signals are taken at: 4 pm New York time (NYSE / Nasdaq regular session)."""


@dataclass(frozen=True)
class Publication:
    lag_days: int  # calendar days from the observation date to the publication day
    max_age_days: int  # beyond this the last value is considered stale (NaN)
    note: str
    # Clock time of the release in ``tz``; None when it is not known (assumed after the close).
    release_time: dt.time | None = None
    tz: str = MARKET_TZ

    def known_dates(self, observed: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The close (a business day) from which each observation dated ``observed`` is known."""
        published = business_day_on_or_after(observed + pd.Timedelta(days=self.lag_days))
        return first_close(release_instants(published, self.release_time, self.tz))


# Documented release schedules for the FRED series the signals read. Lags are calendar days
# from the observation date to the publication day (then rolled to a business day); times are
# New York time. Sources: the Federal Reserve Board's H.15 announcements (published at 4:15 pm
# every business day, Treasury rates as of the previous business day; federalreserve.gov/feeds/
# h15.html and datadownload/Choose.aspx?rel=H.15), the H.4.1 release calendar (Thursdays,
# 4:30 pm), the NY Fed's reverse-repo operation results (operation 12:45-1:15 pm, results right
# after), the Chicago Fed's NFCI page (Wednesdays, 8:30 am) and BEA's GDP calendar (8:30 am).
# FRED, where the data comes from, takes these series from H.15, hence the H.15 time. Holidays
# are not modelled: when one moves a release to a later day (H.15 after a federal holiday, H.4.1
# in a holiday week), the table's publication day is earlier than the real one.
_H15 = dt.time(16, 15)
_H41 = dt.time(16, 30)
PUBLICATION_LAGS: Mapping[str, Publication] = {
    "DGS10": Publication(1, 10, "H.15 daily update, 4:15 pm ET the next business day", _H15),
    "DGS2": Publication(1, 10, "H.15 daily update, 4:15 pm ET the next business day", _H15),
    "DGS3MO": Publication(1, 10, "H.15 daily update, 4:15 pm ET the next business day", _H15),
    "DFII10": Publication(1, 10, "H.15 daily update, 4:15 pm ET the next business day", _H15),
    "T10Y2Y": Publication(1, 10, "FRED spread of two H.15 series: no earlier than H.15", _H15),
    "T10Y3M": Publication(1, 10, "FRED spread of two H.15 series: no earlier than H.15", _H15),
    "BAA10Y": Publication(1, 10, "Moody's Baa minus DGS10: no earlier than H.15", _H15),
    "BAMLH0A0HYM2": Publication(1, 10, "ICE BofA OAS on FRED the next business day; time "
                                "not documented, assumed after the close"),
    "BAMLC0A0CMEY": Publication(1, 10, "ICE BofA US Corporate effective yield on FRED the "
                                "next business day; time not documented, assumed after the close"),
    "THREEFYTP10": Publication(8, 20, "Kim-Wright 10y term premium (Board of Governors): FRED "
                               "updates it weekly, on Tuesday, through the previous Friday (a "
                               "Monday value waits 8 days); assumed after the close"),
    "RRPONTSYD": Publication(0, 10, "NY Fed posts the day's operation results ~1:15 pm ET",
                             dt.time(13, 15)),
    "WALCL": Publication(1, 16, "H.4.1: Wednesday level released Thursday 4:30 pm ET", _H41),
    "WTREGEN": Publication(1, 16, "H.4.1: Wednesday level released Thursday 4:30 pm ET", _H41),
    "NFCI": Publication(5, 16, "week ending Friday, released the following Wednesday "
                        "8:30 am ET", dt.time(8, 30)),
    "BAA": Publication(33, 70, "monthly average dated the 1st, known after the month ends; "
                       "time not documented, assumed after the close"),
    "PNFI": Publication(120, 200, "quarter dated its 1st day; BEA advance estimate ~30 days "
                        "after the quarter ends, 8:30 am ET", dt.time(8, 30)),
}  # fmt: skip
DEFAULT_PUBLICATION = Publication(
    1, 10, "default for daily series not in the table: next day, assumed after the close"
)

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


def publication(
    series_id: str,
    lags: Mapping[str, int] | None = None,
    release_times: Mapping[str, str] | None = None,
) -> Publication:
    """The publication rule for a series, with the config's overrides of its lag (days) and
    of its release time (``"HH:MM"`` New York time, or ``"after_close"``)."""
    rule = PUBLICATION_LAGS.get(series_id, DEFAULT_PUBLICATION)
    if lags and series_id in lags:
        rule = replace(rule, lag_days=lags[series_id], note="lag set in the config")
    if release_times and series_id in release_times:
        from rotation.config import parse_release_time

        time = parse_release_time(release_times[series_id], f"release_times.{series_id}")
        rule = replace(rule, release_time=time, tz=MARKET_TZ, note="release time set in the config")
    return rule


def as_known(series: pd.Series, calendar: pd.DatetimeIndex, rule: Publication) -> pd.Series:
    """The value of ``series`` known at each calendar day's close under ``rule``.

    The observation dated ``d`` becomes usable at the close ``rule.known_dates`` gives (the
    publication and release rules of the module docstring); later values never leak backwards,
    because sampling takes the latest value whose known date is <= the day.
    """
    dates = cast(pd.DatetimeIndex, series.index)  # every series is indexed by date
    known_dates = rule.known_dates(dates)
    shifted = pd.Series(series.to_numpy(), index=known_dates).groupby(level=0).last()
    sampled = shifted.reindex(calendar, method="ffill")
    observed = pd.Series(series.index, index=known_dates).groupby(level=0).last()
    observed = observed.reindex(calendar, method="ffill")
    age = calendar - pd.DatetimeIndex(observed)
    stale = age > pd.Timedelta(days=rule.max_age_days + rule.lag_days)
    known = sampled.mask(stale)
    known.name = series.name  # not rename(): pandas-stubs refuse a Hashable name there
    return known


def as_published(vintages: pd.DataFrame, rule: Publication) -> pd.Series:
    """A series by observation date from its vintages (ALFRED real-time periods: columns
    ``date``, ``value``, ``realtime_start``, ``realtime_end``): each observation's value as it
    was published on its publication day under ``rule`` (``d + lag``, rolled to a business day),
    i.e. the vintage whose real-time period holds that day. An observation not yet published by
    then is left out (its date goes by without it, as it did for the market). Values later
    revised keep the value first seen at the day the signal reads them; with the rule's known
    close that makes the series point in time."""
    if vintages.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    dates = pd.DatetimeIndex(pd.to_datetime(vintages["date"]))
    published = business_day_on_or_after(dates + pd.Timedelta(days=rule.lag_days))
    starts = pd.to_datetime(vintages["realtime_start"]).to_numpy()
    ends = pd.to_datetime(vintages["realtime_end"]).to_numpy()
    holds = (starts <= published.to_numpy()) & (published.to_numpy() <= ends)
    picked = pd.Series(vintages["value"].to_numpy(dtype="float64")[holds], index=dates[holds])
    picked = picked[~picked.index.duplicated(keep="last")].sort_index()
    picked.index.name = "date"
    return picked


def business_day_on_or_after(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Each (tz-naive) day, or the next business day when it falls on a weekend; NaT stays."""
    return pd.DatetimeIndex(days) + pd.offsets.BDay(0)


def release_instants(
    days: pd.DatetimeIndex, release_time: dt.time | None, tz: str = MARKET_TZ
) -> pd.DatetimeIndex:
    """The instants (tz-aware) at which releases dated ``days`` (local to ``tz``) came out.

    ``release_time=None`` (time not known) is the last instant of the day: after the close.
    """
    days = pd.DatetimeIndex(days).normalize()
    if release_time is None:
        offset = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    else:
        offset = pd.Timedelta(
            hours=release_time.hour, minutes=release_time.minute, seconds=release_time.second
        )
    return (days + offset).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def first_close(released: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first close of the business-day calendar from which a release is known (tz-naive).

    ``released``: tz-aware release instants (any zone). Released strictly before 4 pm New York
    time on a business day: that day. At or after 4 pm, or on a weekend: the next business day.
    This is the one implementation of the release rule (module docstring); NaT stays NaT.
    """
    released = pd.DatetimeIndex(released)
    if released.tz is None:
        raise ValueError("first_close: release instants need a time zone")
    local = released.tz_convert(MARKET_TZ)
    midnight = local.normalize()
    close = pd.Timedelta(hours=MARKET_CLOSE.hour, minutes=MARKET_CLOSE.minute)
    after_close = (local - midnight) >= close
    day = midnight.tz_localize(None) + pd.to_timedelta(after_close.astype("int64"), unit="D")
    return business_day_on_or_after(day).rename(None)
