"""Capital-scarcity signal components: pure functions, aligned series in, scores out.

Inputs are series already sampled on the trading calendar *as known* on each day (see
``rotation.data.align``), so every function here only looks backwards: a score on day t uses
values on days <= t. Scores are unitless and oriented so that **positive = capital scarcer**
(higher cost of capital, wider credit spreads, less idle liquidity, faster capex).

Normalization (``standardize``; the ``**normalize`` keywords of every component):

    expanding    z_t = (x_t - mean(x_1..x_t)) / std(x_1..x_t)
    rolling      the same over the last ``window`` observations
    percentile   rank of x_t among the last ``window`` observations, as the standard-normal
                 quantile of (rank - 1/2) / n, so a score reads like a z-score (0 = median,
                 +1 = 84th percentile) and the regime thresholds keep their meaning

The components (``C`` = ``change_days`` rows, ``s(.)`` = the normalization above):

| component       | formula                                                | data (FRED id)       |
|-----------------|--------------------------------------------------------|----------------------|
| cost_of_capital | mean(s(y), s(y_t - y_{t-C}))                           | DGS10 (nominal, %)   |
| real_yield      | same on the real yield                                 | DFII10 (TIPS 10y, %) |
| curve           | mean(-s(slope), -s(slope change)): flat, flattening    | T10Y2Y / T10Y3M (pp) |
| credit          | mean(s(spread), s(spread change))                      | BAA10Y (pp)          |
| high_yield      | same on the high-yield option-adjusted spread          | BAMLH0A0HYM2 (pp)    |
| liquidity       | mean(-s(RRP), -s(NL_t / NL_{t-C} - 1)[, -s(RRP chg)])  | RRPONTSYD, WALCL,    |
|                 | NL = WALCL - WTREGEN - RRPONTSYD, USD bn (units fixed) | WTREGEN              |
| capex           | mean(s(g)[, s(g_t - g_{t-C})]), g = capex YoY growth   | SEC XBRL, PNFI       |
| conditions      | mean(s(NFCI), s(NFCI change)): tight, tightening       | NFCI (index)         |
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

from rotation._types import Scores

NORMALIZATIONS = ("expanding", "rolling", "percentile")


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


_normal_quantile = np.frompyfunc(NormalDist().inv_cdf, 1, 1)


def percentile_score(series: pd.Series, *, window: int = 756, min_periods: int = 252) -> pd.Series:
    """Rolling percentile as a normal quantile: Phi^-1((rank_t - 1/2) / n).

    rank_t is the rank of x_t (ties averaged) among the last ``window`` observations up to and
    including t and n their count; NaN until ``min_periods`` observations exist. Robust to
    outliers and to the fat tails of spreads, unlike the z-score.
    """
    values = series.dropna()
    rolling = values.rolling(window, min_periods=min(min_periods, window))
    count = rolling.count()
    pct = rolling.rank(method="average", pct=True)  # rank / n
    p = (pct * count - 0.5) / count
    known = p.notna().to_numpy()
    out = np.full(len(p), np.nan)
    out[known] = _normal_quantile(p.to_numpy()[known]).astype("float64")
    return pd.Series(out, index=values.index).reindex(series.index)


def standardize(
    series: pd.Series, *, method: str = "expanding", window: int = 756, min_periods: int = 252
) -> pd.Series:
    """The configured normalization (``NORMALIZATIONS``; see the module docstring)."""
    if method == "percentile":
        return percentile_score(series, window=window, min_periods=min_periods)
    return zscore(series, method=method, window=window, min_periods=min_periods)


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


def level_and_change_score(
    series: pd.Series, *, change_days: int, sign: float = 1.0, **normalize: int | str
) -> pd.Series:
    """mean(sign * s(x_t), sign * s(x_t - x_{t-change_days})): high and rising (sign=+1)."""
    return _mean_available(
        [
            sign * standardize(series, **normalize),
            sign * standardize(change(series, change_days), **normalize),
        ]
    )


def cost_of_capital_score(
    yield_pct: pd.Series, *, change_days: int, **normalize: int | str
) -> pd.Series:
    """Mean of s(yield level) and s(yield change over ``change_days``): rising and high yields.

    Nominal (DGS10) for ``cost_of_capital``, real (DFII10) for ``real_yield``.
    """
    return level_and_change_score(yield_pct, change_days=change_days, **normalize)


def curve_score(slope_pp: pd.Series, *, change_days: int, **normalize: int | str) -> pd.Series:
    """Mean of -s(slope) and -s(slope change): a flat or inverted, flattening curve.

    A 10y-minus-2y (or 3m) slope that is low means short-term money costs as much as long-term
    money: policy is tight and capital scarce.
    """
    return level_and_change_score(slope_pp, change_days=change_days, sign=-1.0, **normalize)


def credit_score(spread_pct: pd.Series, *, change_days: int, **normalize: int | str) -> pd.Series:
    """Mean of s(spread level) and s(spread change): wide and widening corporate spreads.

    Investment grade (BAA10Y) for ``credit``, high yield (BAMLH0A0HYM2) for ``high_yield``.
    """
    return level_and_change_score(spread_pct, change_days=change_days, **normalize)


def liquidity_score(
    reverse_repo_busd: pd.Series,
    net_liquidity_busd: pd.Series | None,
    *,
    change_days: int,
    drain: bool = False,
    **normalize: int | str,
) -> pd.Series:
    """Idle capital draining: mean of -s(reverse-repo level) and -s(net liquidity % change).

    A low reverse-repo cushion and falling net liquidity both mean less spare capital. With
    ``net_liquidity_busd=None`` only the reverse-repo level is used; with ``drain`` the
    reverse-repo change over ``change_days`` (negative while the cushion drains) joins as
    -s(RRP_t - RRP_{t-change_days}).
    """
    parts = [-standardize(reverse_repo_busd, **normalize)]
    if net_liquidity_busd is not None:
        parts.append(-standardize(pct_change(net_liquidity_busd, change_days), **normalize))
    if drain:
        parts.append(-standardize(change(reverse_repo_busd, change_days), **normalize))
    return _mean_available(parts)


def capex_score(
    capex_growth_yoy: pd.Series, *, acceleration_days: int | None = None, **normalize: int | str
) -> pd.Series:
    """s(capex growth YoY): hyperscaler capex growing fast.

    With ``acceleration_days``, the mean of that and s(g_t - g_{t-acceleration_days}): growing
    fast *and* faster.
    """
    if acceleration_days is None:
        return standardize(capex_growth_yoy, **normalize)
    return level_and_change_score(capex_growth_yoy, change_days=acceleration_days, **normalize)


def conditions_score(nfci: pd.Series, *, change_days: int, **normalize: int | str) -> pd.Series:
    """Mean of s(NFCI) and s(NFCI change): financial conditions tight and tightening.

    The Chicago Fed index is positive when conditions are tighter than average; a broad
    cross-check of the thesis components (give it weight 0 to see it without using it).
    """
    return level_and_change_score(nfci, change_days=change_days, **normalize)


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
