"""Capital-scarcity signal components: pure functions, aligned series in, scores out.

Inputs are series already sampled on the trading calendar *as known* on each day (see
``rotation.data.align``), so every function here only looks backwards: a score on day t uses
values on days <= t. Scores are unitless z-scores oriented so that **positive = capital
scarcer** (higher cost of capital, wider credit spreads, less idle liquidity, faster capex).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from rotation._types import Scores


def zscore(
    series: pd.Series, *, method: str = "expanding", window: int = 756, min_periods: int = 252
) -> pd.Series:
    """Point-in-time z-score: (x_t - mean) / std over past values up to and including t.

    ``method="expanding"`` uses all history to date, ``"rolling"`` the last ``window``
    observations. NaN until ``min_periods`` observations exist or where std is 0.
    """
    values = series.dropna()
    if method == "expanding":
        stats = values.expanding(min_periods=min_periods)
    elif method == "rolling":
        stats = values.rolling(window, min_periods=min(min_periods, window))
    else:
        raise ValueError(f"unknown normalization {method!r}")
    std = stats.std().replace(0.0, np.nan)
    z = (values - stats.mean()) / std
    return z.reindex(series.index)


def change(series: pd.Series, periods: int) -> pd.Series:
    """Difference over ``periods`` calendar rows: x_t - x_{t-periods} (level change)."""
    return series - series.shift(periods)


def pct_change(series: pd.Series, periods: int) -> pd.Series:
    """Relative change over ``periods`` rows: x_t / x_{t-periods} - 1 (no fill)."""
    return series / series.shift(periods) - 1.0


def net_liquidity(
    fed_assets_musd: pd.Series, treasury_account_musd: pd.Series, reverse_repo_busd: pd.Series
) -> pd.Series:
    """Net liquidity in USD billions: WALCL - WTREGEN - RRPONTSYD.

    WALCL and WTREGEN are reported in USD millions, RRPONTSYD in USD billions.
    """
    return fed_assets_musd / 1_000.0 - treasury_account_musd / 1_000.0 - reverse_repo_busd


def _mean_available(parts: list[pd.Series]) -> pd.Series:
    return pd.concat(parts, axis=1).mean(axis=1, skipna=True)


def cost_of_capital_score(
    yield_pct: pd.Series, *, change_days: int, **normalize: int | str
) -> pd.Series:
    """Mean of z(yield level) and z(yield change over ``change_days``): rising and high yields."""
    return _mean_available(
        [zscore(yield_pct, **normalize), zscore(change(yield_pct, change_days), **normalize)]
    )


def credit_score(spread_pct: pd.Series, *, change_days: int, **normalize: int | str) -> pd.Series:
    """Mean of z(spread level) and z(spread change): wide and widening corporate spreads."""
    return _mean_available(
        [zscore(spread_pct, **normalize), zscore(change(spread_pct, change_days), **normalize)]
    )


def liquidity_score(
    reverse_repo_busd: pd.Series,
    net_liquidity_busd: pd.Series | None,
    *,
    change_days: int,
    **normalize: int | str,
) -> pd.Series:
    """Idle capital draining: mean of -z(reverse-repo level) and -z(net liquidity % change).

    A low reverse-repo cushion and falling net liquidity both mean less spare capital. With
    ``net_liquidity_busd=None`` only the reverse-repo level is used.
    """
    parts = [-zscore(reverse_repo_busd, **normalize)]
    if net_liquidity_busd is not None:
        parts.append(-zscore(pct_change(net_liquidity_busd, change_days), **normalize))
    return _mean_available(parts)


def capex_score(capex_growth_yoy: pd.Series, **normalize: int | str) -> pd.Series:
    """z(capex growth YoY) and z(its change): hyperscaler capex growing fast and faster."""
    return zscore(capex_growth_yoy, **normalize)


def composite(scores: Scores, weights: Mapping[str, float], *, min_components: int) -> pd.Series:
    """Weighted mean of the components known on each day, weights renormalized per day.

    NaN on days with fewer than ``min_components`` known components (with positive weight).
    """
    used = [c for c, w in weights.items() if w > 0 and c in scores]
    frame = scores[used]
    w = pd.Series({c: weights[c] for c in used}, dtype="float64")
    known = frame.notna()
    weighted = frame.fillna(0.0).mul(w, axis=1).sum(axis=1)
    total_weight = known.mul(w, axis=1).sum(axis=1)
    out = weighted / total_weight.replace(0.0, np.nan)
    return out.where(known.sum(axis=1) >= min_components).rename("composite")
