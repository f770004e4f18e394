"""The calendar rule for mixed 5-day / 7-day assets, publication lags and the release rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd
import pytest

from rotation.data.align import (
    Publication,
    align_prices,
    as_known,
    first_close,
    publication,
    release_instants,
    trading_calendar,
)
from rotation.data.sources import bundled


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


# --- the release rule: before the 4 pm New York close counts that day, after it the next ------


def _ny(text: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([text]).tz_localize("America/New_York")


@pytest.mark.parametrize(
    ("released", "known_at"),
    [
        ("2024-10-31 15:59:59", "2024-10-31"),  # Thursday, before the close: that close
        ("2024-10-31 16:00:00", "2024-11-01"),  # at the close is too late for it
        ("2024-10-31 16:30:00", "2024-11-01"),  # H.4.1 time: Friday's close
        ("2024-11-01 16:05:00", "2024-11-04"),  # Friday after the close: Monday
        ("2024-11-02 10:00:00", "2024-11-04"),  # Saturday: Monday
        ("2024-11-27 16:30:00", "2024-11-28"),  # the business-day calendar keeps Thanksgiving
    ],
)
def test_first_close_of_a_release(released, known_at):
    assert first_close(_ny(released))[0] == pd.Timestamp(known_at)


def test_first_close_converts_other_zones_and_follows_daylight_saving():
    utc = pd.DatetimeIndex(["2024-10-31 19:30", "2024-11-04 20:30", "2024-11-04 21:30"], tz="UTC")
    # 15:30 EDT (before the close), 15:30 EST (before), 16:30 EST (after)
    expected = pd.to_datetime(["2024-10-31", "2024-11-04", "2024-11-05"])
    assert first_close(utc).equals(pd.DatetimeIndex(expected))
    with pytest.raises(ValueError, match="time zone"):
        first_close(pd.DatetimeIndex(["2024-10-31 15:00"]))


def test_a_release_without_a_known_time_counts_after_the_close():
    days = pd.DatetimeIndex(pd.to_datetime(["2024-10-30", "2024-11-01"]))  # Wednesday, Friday
    known = first_close(release_instants(days, None))
    assert known.equals(pd.DatetimeIndex(pd.to_datetime(["2024-10-31", "2024-11-04"])))


def _first_known_on(known: pd.Series, observed: pd.Series) -> dict[pd.Timestamp, pd.Timestamp]:
    """Observation date -> the first calendar day on which ``known`` shows its value."""
    out = {}
    for date, value in observed.items():
        days = known.index[(known.index >= date) & (known == value).to_numpy()]
        out[date] = days[0]
    return out


@pytest.mark.parametrize(
    ("series_id", "wednesday"), [("WALCL", "2026-07-15"), ("WTREGEN", "2026-02-25")]
)
def test_bundled_h41_wednesday_value_is_first_known_at_friday_close(series_id, wednesday):
    observed = bundled().macro(series_id)
    wednesday = pd.Timestamp(wednesday)
    week_before = wednesday - pd.Timedelta(days=7)
    assert observed[wednesday] != observed[week_before]  # the test can tell the two apart
    calendar = pd.bdate_range(wednesday - pd.Timedelta(days=14), wednesday + pd.Timedelta(days=7))
    known = as_known(observed, calendar, publication(series_id))
    thursday, friday = wednesday + pd.Timedelta(days=1), wednesday + pd.Timedelta(days=2)
    assert known[thursday] == observed[week_before]  # released Thursday 4:30 pm, after the close
    assert known[friday] == observed[wednesday]


def _differs(a: pd.Series, b: pd.Series) -> pd.DatetimeIndex:
    same = (a == b) | (a.isna() & b.isna())
    return pd.DatetimeIndex(a.index[~same.to_numpy()])


@pytest.mark.parametrize("series_id", ["WALCL", "WTREGEN", "DGS10", "RRPONTSYD", "NFCI"])
def test_release_time_fix_moves_known_series_on_exactly_the_predicted_days(series_id):
    observed = bundled().macro(series_id)
    dates = cast(pd.DatetimeIndex, observed.index)
    calendar = pd.bdate_range(dates[0], dates[-1] + pd.Timedelta(days=30), name="date")
    rule = publication(series_id)
    before_close = replace(rule, release_time=dt.time(9, 0))  # the rule before the fix
    old = as_known(observed, calendar, before_close)
    new = as_known(observed, calendar, rule)
    # Predicted from the raw observations alone: the publication day of each observation (its
    # lag in calendar days, then the next weekday when it falls on a weekend), delayed by one
    # session when the release is after the close, and visible only where the value differs
    # from the one published before it.
    published = pd.DatetimeIndex(
        np.busday_offset(
            (dates + pd.Timedelta(days=rule.lag_days)).to_numpy("datetime64[D]"), 0, roll="forward"
        )
    )
    after_close = rule.release_time is None or rule.release_time >= dt.time(16, 0)
    previous = observed.shift(1)
    changed = (observed != previous).to_numpy()
    predicted = pd.DatetimeIndex(published[changed]) if after_close else pd.DatetimeIndex([])
    predicted = predicted.intersection(calendar).unique()
    moved = _differs(new, old)
    assert moved.equals(predicted.rename("date")), (len(moved), len(predicted))
    if after_close:
        assert len(moved) > 0.5 * len(observed)  # nearly every release moved
    # and where it moved, the day shows what the old rule showed one session earlier
    assert _differs(new.loc[moved], old.shift(1).loc[moved]).empty


def test_config_release_times_override_the_table_and_are_checked(write_config):
    from rotation.errors import ConfigError
    from rotation.validate import load_config
    from tests.helpers import base_config

    config = load_config(write_config(base_config(signal={"release_times": {"WALCL": "09:00"}})))
    rule = publication("WALCL", config.signal.publication_lags, config.signal.release_times)
    assert rule.release_time == dt.time(9, 0) and rule.lag_days == 1
    thursday = pd.DatetimeIndex([pd.Timestamp("2026-07-15")])
    assert rule.known_dates(thursday)[0] == pd.Timestamp("2026-07-16")
    after = publication("DGS10", {"DGS10": 2}, {"DGS10": "after_close"})
    assert after.release_time is None and after.lag_days == 2
    with pytest.raises(ConfigError, match=r"release_times\.WALCL: expected a New York time"):
        load_config(write_config(base_config(signal={"release_times": {"WALCL": "25:00"}})))
