"""Performance statistics (through empyrical), turnover, and per-regime breakdowns.

Returns are simple daily returns on the trading calendar; annualization uses 252 periods.
"""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd

from rotation._types import Regime, Returns

PERIODS_PER_YEAR = 252


def _finite(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def drawdown(returns: Returns) -> pd.Series:
    """Fraction below the running peak of the compounded curve (0 at peaks, negative below)."""
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    return wealth / wealth.cummax() - 1.0


def performance(returns: Returns, benchmark: Returns | None = None) -> dict[str, float | None]:
    """Headline statistics of a daily return series; alpha/beta against ``benchmark``.

    ``max_drawdown`` is negative (-0.25 = 25 % below the peak); ``alpha`` is annualized.
    """
    r = returns.dropna()
    dd = drawdown(r)
    trough = dd.idxmin() if len(dd) else None
    peak = dd.loc[:trough][dd.loc[:trough] == 0].index.max() if trough is not None else None
    stats = {
        "total_return": _finite(empyrical.cum_returns_final(r)),
        "annual_return": _finite(empyrical.annual_return(r, annualization=PERIODS_PER_YEAR)),
        "annual_volatility": _finite(
            empyrical.annual_volatility(r, annualization=PERIODS_PER_YEAR)
        ),
        "sharpe": _finite(empyrical.sharpe_ratio(r, annualization=PERIODS_PER_YEAR)),
        "sortino": _finite(empyrical.sortino_ratio(r, annualization=PERIODS_PER_YEAR)),
        "max_drawdown": _finite(empyrical.max_drawdown(r)),
        "max_drawdown_peak": peak.date().isoformat() if peak is not None else None,
        "max_drawdown_trough": trough.date().isoformat() if trough is not None else None,
        "calmar": _finite(empyrical.calmar_ratio(r, annualization=PERIODS_PER_YEAR)),
    }
    if benchmark is not None:
        joined = pd.concat([r, benchmark], axis=1, join="inner").dropna()
        alpha, beta = empyrical.alpha_beta(
            joined.iloc[:, 0], joined.iloc[:, 1], annualization=PERIODS_PER_YEAR
        )
        stats["alpha"], stats["beta"] = _finite(alpha), _finite(beta)
    return stats


def annual_turnover(orders: pd.DataFrame, value: pd.Series) -> float:
    """One-way turnover per year: sum of traded value / 2 / mean portfolio value / years."""
    if value.empty:
        return 0.0
    years = len(value) / PERIODS_PER_YEAR
    traded = float(orders["value"].abs().sum()) if len(orders) else 0.0
    return traded / 2.0 / float(value.mean()) / years


def regime_in_force(regime: Regime) -> Regime:
    """The regime a day's return was earned under: the state known at the previous close."""
    return regime.shift(1)


def by_regime(returns: Returns, regime: Regime) -> pd.DataFrame:
    """Per regime state: days, share of days, annual return, volatility, Sharpe, max drawdown.

    A day's return counts for the state known at the previous close (the one positions were
    chosen under). Statistics compound the days of each state as one series.
    """
    state = regime_in_force(regime).reindex(returns.index)
    rows = {}
    for name, days in returns.groupby(state, dropna=True):
        r = days.dropna()
        rows[name] = {
            "days": len(r),
            "share_of_days": len(r) / max(1, int(state.notna().sum())),
            "annual_return": _finite(empyrical.annual_return(r, annualization=PERIODS_PER_YEAR)),
            "annual_volatility": _finite(
                empyrical.annual_volatility(r, annualization=PERIODS_PER_YEAR)
            ),
            "sharpe": _finite(empyrical.sharpe_ratio(r, annualization=PERIODS_PER_YEAR)),
            "max_drawdown": _finite(empyrical.max_drawdown(r)),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "regime"
    return frame
