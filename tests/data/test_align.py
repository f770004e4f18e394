"""The calendar rule for mixed 5-day / 7-day assets, and publication lags (synthetic dates)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rotation.data.align import Publication, align_prices, as_known, trading_calendar


def test_crypto_weekend_moves_arrive_with_monday():
    days = pd.date_range("2024-01-05", "2024-01-08", name="date")  # Fri..Mon
    btc = pd.Series([100.0, 110.0, 120.0, 130.0], index=days, name="BTC-USD")
    spy = pd.Series([50.0, 51.0], index=days[[0, 3]], name="SPY")
    calendar = trading_calendar({"BTC-USD": btc, "SPY": spy})
    assert list(calendar) == [days[0], days[3]]
    prices = align_prices({"BTC-USD": btc, "SPY": spy}, calendar)
    assert prices["BTC-USD"].tolist() == [100.0, 130.0]  # Monday's close includes the weekend


def test_crypto_only_universe_keeps_every_day():
    days = pd.date_range("2024-01-05", periods=4, name="date")
    btc = pd.Series([1.0, 2, 3, 4], index=days)
    assert trading_calendar({"BTC-USD": btc}).equals(days)


def test_asset_is_nan_before_listing_and_after_a_long_gap():
    calendar = pd.bdate_range("2024-01-01", periods=12, name="date")
    late = pd.Series([5.0, 6.0], index=calendar[[3, 4]])  # lists on day 3, then stops printing
    aligned = align_prices({"NEW": late}, calendar)["NEW"]
    assert aligned.iloc[:3].isna().all()
    assert aligned.iloc[4:6].tolist() == [6.0, 6.0]  # short carry
    assert aligned.iloc[-1:].isna().all()  # more than 5 days since the last close


def test_value_is_known_only_after_its_lag_and_goes_stale():
    observed = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-01-03"]), name="X")
    calendar = pd.date_range("2024-01-01", "2024-01-25", name="date")
    morning = Publication(lag_days=2, max_age_days=10, note="test", release_time=dt.time(9, 0))
    known = as_known(observed, calendar, morning)
    assert np.isnan(known["2024-01-02"])
    assert known["2024-01-03"] == 1.0  # 2024-01-01 + 2 days
    assert known["2024-01-04"] == 1.0
    assert known["2024-01-05"] == 2.0
    assert known["2024-01-15"] == 2.0  # 12 days after 2024-01-03 = lag + max age
    assert np.isnan(known["2024-01-16"])  # stale
