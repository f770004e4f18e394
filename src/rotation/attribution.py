"""Return and risk attribution of a run: which assets and sleeves earned its return and risk.

Pure functions on what a run folder holds (``rotation.runs``): held weights (weights.csv), the
closes the run was valued at (prices.csv), the portfolio's value (equity.csv), the universe's
sleeves (config.yaml) and the regime known at each close (signals.csv). No I/O.

Definitions (the report and the thesis page show these numbers):

- **Contribution to return** of asset i on day t: ``c_{i,t} = w_{i,t-1} * r_{i,t}``, the weight
  held at the previous close times the asset's return from that close to this one. A sleeve's
  is the sum of its assets'; cash contributes 0. On a day without trades the contributions sum
  to the portfolio's return exactly; on a trading day fees and slippage (and, with whole
  shares, rounding) make the difference, so the residual ``R_t - sum_i c_{i,t}`` is reported as
  "costs and rounding" and the pieces always add up to the portfolio's daily return ``R_t``.
- **Totals** are arithmetic sums of daily contributions (they add up to the sum of the daily
  returns, not to the compounded total return).
- **By regime**: a day is credited to the regime its positions were decided under
  (``rotation.metrics.regime_in_force``, the rule every by-regime table uses); days before the
  regime is known belong to none. **By spell**: the uninterrupted spells
  (``rotation.regime.spells``) of that same in-force regime.
- **Contribution to risk** (Euler decomposition of the variance of the daily returns):
  ``RC_i = cov(c_i, R) / var(R)``, the share of the portfolio's variance over the run due to
  asset i; since ``R`` is the sum of the contributions and the residual, the shares of the
  assets, cash (0) and "costs and rounding" sum to 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rotation._types import Prices, Regime, Returns, Weights
from rotation.metrics import finite_or_none, regime_in_force
from rotation.regime import spells

__all__ = ["CASH", "RESIDUAL", "Attribution", "attribute", "daily_contributions"]

CASH = "cash"
RESIDUAL = "costs and rounding"
"""The residual line: portfolio return less the sum of the assets' contributions."""


@dataclass(frozen=True)
class Attribution:
    """A run's attribution (see the module docstring for the definitions).

    ``by_asset``: one row per asset plus ``RESIDUAL``, columns sleeve, return_contribution,
    risk_contribution. ``by_sleeve``: one row per sleeve plus ``CASH`` and ``RESIDUAL``, columns
    return_contribution, risk_contribution. ``by_regime``: regime x (days, sleeves..., cash,
    costs and rounding, total), summed return contributions. ``by_spell``: one row per spell of
    the in-force regime, columns state, start, end, days, sleeves..., cash, costs and rounding,
    total. ``daily``: dates x (sleeves..., cash, costs and rounding), daily contributions;
    their row sums are the portfolio's daily returns.
    """

    by_asset: pd.DataFrame
    by_sleeve: pd.DataFrame
    by_regime: pd.DataFrame
    by_spell: pd.DataFrame
    daily: pd.DataFrame

    @property
    def total(self) -> float:
        """The sum of the portfolio's daily returns (= the sum of every contribution)."""
        return float(self.daily.to_numpy().sum())

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (NaN -> None, dates as "YYYY-MM-DD"): ``total``, the four tables as lists
        of records (index as ``asset``, ``sleeve``, ``regime``), and ``cumulative``: dates and
        the running sum of each sleeve's daily contributions."""
        cumulative = self.daily.cumsum()
        return {
            "total": finite_or_none(self.total),
            "by_asset": _records(self.by_asset, "asset"),
            "by_sleeve": _records(self.by_sleeve, "sleeve"),
            "by_regime": _records(self.by_regime, "regime"),
            "by_spell": _records(self.by_spell, None),
            "cumulative": {
                "dates": [f"{d:%Y-%m-%d}" for d in pd.DatetimeIndex(cumulative.index)],
                "series": {str(c): [_json(v) for v in cumulative[c]] for c in cumulative},
            },
        }


def _json(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return finite_or_none(value)


def _records(frame: pd.DataFrame, index_name: str | None) -> list[dict[str, Any]]:
    rows = frame.reset_index(names=index_name) if index_name else frame
    return [{str(k): _json(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]


def daily_contributions(weights: Weights, prices: Prices, returns: Returns) -> pd.DataFrame:
    """dates x (symbols..., ``RESIDUAL``): ``w_{i,t-1} * r_{i,t}`` and the residual.

    ``weights``: held weights at each close; ``prices``: the closes they were valued at (same
    dates and symbols); ``returns``: the portfolio's daily returns (0 on the first day).
    """
    symbols = list(weights.columns)
    asset_returns = prices[symbols].reindex(weights.index).pct_change(fill_method=None)
    held = weights.fillna(0.0).shift(1).fillna(0.0)
    contributions = (held * asset_returns.fillna(0.0)).astype("float64")
    contributions[RESIDUAL] = returns.reindex(weights.index) - contributions.sum(axis=1)
    return contributions


def _risk_shares(contributions: pd.DataFrame, returns: Returns) -> pd.Series:
    """``cov(c_i, R) / var(R)`` per column (NaN when the returns do not vary)."""
    r = returns.to_numpy(dtype="float64")
    centered = contributions.to_numpy(dtype="float64") - contributions.to_numpy().mean(axis=0)
    variance = float(((r - r.mean()) ** 2).sum())
    shares = centered.T @ (r - r.mean()) / variance if variance > 0 else np.nan
    return pd.Series(shares, index=contributions.columns, dtype="float64")


def attribute(
    weights: Weights,
    prices: Prices,
    returns: Returns,
    sleeves: Mapping[str, Sequence[str]],
    regime: Regime,
    execution_lag: int,
) -> Attribution:
    """The attribution of a run (definitions in the module docstring).

    ``sleeves``: sleeve -> its symbols (every symbol of ``weights`` in one sleeve; symbols in
    none are put in "other"); ``regime``: the state known at each close; ``execution_lag``: the
    run's.
    """
    assets = daily_contributions(weights, prices, returns)
    membership = {s: str(name) for name, symbols in sleeves.items() for s in symbols}
    owner = {s: membership.get(s, "other") for s in weights.columns}
    names = list(dict.fromkeys([*map(str, sleeves), *owner.values()]))
    names = [n for n in names if n in owner.values()]
    by_day = pd.DataFrame(
        {n: assets[[s for s in weights.columns if owner[s] == n]].sum(axis=1) for n in names},
        index=assets.index,
    )
    by_day[CASH] = 0.0
    by_day[RESIDUAL] = assets[RESIDUAL]
    r = returns.reindex(assets.index).astype("float64")

    by_asset = pd.DataFrame(
        {
            "sleeve": [*(owner[s] for s in weights.columns), RESIDUAL],
            "return_contribution": assets.sum(),
            "risk_contribution": _risk_shares(assets, r),
        },
        index=assets.columns,
    )
    by_sleeve = pd.DataFrame(
        {"return_contribution": by_day.sum(), "risk_contribution": _risk_shares(by_day, r)}
    )
    state = regime_in_force(regime, execution_lag).reindex(by_day.index)
    summed = by_day.assign(total=by_day.sum(axis=1))
    by_regime = summed.groupby(state, dropna=True).sum()
    by_regime.insert(0, "days", state.value_counts().reindex(by_regime.index).astype("int64"))
    by_regime.index.name = "regime"
    runs = spells(state)
    rows = [summed.loc[spell.start : spell.end].sum() for spell in runs.itertuples(index=False)]
    by_spell = pd.concat(
        [runs.reset_index(drop=True), pd.DataFrame(rows, columns=summed.columns)], axis=1
    )
    return Attribution(by_asset, by_sleeve, by_regime, by_spell, by_day)
