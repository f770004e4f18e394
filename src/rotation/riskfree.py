"""The risk-free rate a run is measured against: Sharpe, Sortino and alpha use returns in
excess of it.

The config's ``risk_free`` names it (``rotation.config.risk_free_kind``):

    DGS3MO (default)  a FRED yield in % a year (``RISK_FREE_SERIES``), as known at each close
                      by its publication rule (``rotation.data.align``): the 3-month bill
                      rate a holder of cash could have locked in that day
    <symbol>          the daily total return of that asset's closes (e.g. BIL)
    a number          a constant annual rate as a fraction (0.04 = 4 % a year); 0 = none

The rate is a daily return on the trading calendar, like the strategy's: on row t it is what
cash earned from the close of row t - 1 to the close of row t. A yield ``y`` (a fraction a
year) known at the close of t - 1 accrues over the calendar days between the two closes,
``(1 + y) ** (days / 365) - 1``, so a weekend earns three days, as a bill does. The first
row of a window earns nothing (no holding period), like the strategy's first row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rotation.config import RISK_FREE_SERIES, risk_free_kind
from rotation.data.align import Publication, align_prices, as_known, publication
from rotation.errors import DataError
from rotation.metrics import annual_return, finite_or_none

__all__ = ["describe", "in_window", "risk_free_returns", "summary"]


def describe(setting: str) -> str:
    """What ``setting`` means, for reports and ``metrics.json``."""
    kind = risk_free_kind(setting)
    if kind == "constant":
        rate = float(setting)
        return "none (0)" if rate == 0 else f"a constant {rate:.4%} a year"
    if kind == "series":
        return f"{RISK_FREE_SERIES[setting]}, as known at each close"
    return f"the daily total return of {setting}"


def summary(setting: str, returns: np.ndarray) -> dict[str, Any]:
    """What ``metrics.json`` and the summaries say of the rate: the setting, what it means,
    and its compounded mean a year over ``returns`` (the daily rate on the days measured)."""
    return {
        "setting": setting,
        "description": describe(setting),
        "annual_mean": finite_or_none(annual_return(returns)),
    }


def risk_free_returns(
    setting: str,
    series: pd.Series | None,
    calendar: pd.DatetimeIndex,
    rule: Publication | None = None,
) -> pd.Series:
    """Daily risk-free returns on ``calendar`` (NaN where the rate is not known).

    ``series``: the raw input ``setting`` names (yields by observation date, or closes);
    None for a constant rate. ``rule``: the publication rule of a FRED yield (default: the
    series' own, ``rotation.data.align.publication``), the one its signal use would follow.
    """
    kind = risk_free_kind(setting)
    if kind == "constant":
        annual = pd.Series(float(setting), index=calendar)
    elif series is None:
        raise DataError(f"risk_free: no data was loaded for {setting!r}")
    elif kind == "series":
        annual = as_known(series, calendar, rule or publication(setting)) / 100.0
    else:
        closes = align_prices({setting: series}, calendar)[setting]
        return closes.pct_change(fill_method=None).rename("risk_free")
    days = calendar.to_series().diff().dt.days.to_numpy()
    accrued = (1.0 + annual.shift(1)) ** (days / 365.0) - 1.0
    return pd.Series(accrued.to_numpy(), index=calendar, name="risk_free")


def in_window(returns: pd.Series, setting: str) -> pd.Series:
    """``returns`` (one window's rows) with the first row 0; ``DataError`` naming the rate and
    the first date when it is unknown on a later row."""
    window = returns.copy()
    if len(window):
        window.iloc[0] = 0.0
    missing = window.isna()
    if missing.any():
        first = window.index[int(missing.to_numpy().argmax())]
        raise DataError(
            f"risk_free {setting!r} has no value known on {first.date()} "
            f"({int(missing.sum())} day(s) of the backtest window): extend its data, move "
            "start/end, or set risk_free to another series or to 0"
        )
    return window
