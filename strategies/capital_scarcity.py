"""Rotate sleeves on the capital-scarcity regime: cash-flow names when capital is scarce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rotation import Weights
from rotation import strategy as steps
from rotation.config import REGIME_STATES, Config
from rotation.strategy import StrategyInputs


@dataclass(frozen=True)
class Params:
    # regime state -> sleeve -> fraction of the portfolio (each state sums to <= 1)
    allocations: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {
            "scarce": {"cash_flow": 0.7, "defensive": 0.3},
            "neutral": {"speculative": 0.3, "cash_flow": 0.4, "defensive": 0.3},
            "abundant": {"speculative": 0.6, "cash_flow": 0.4},
        }
    )
    within_sleeve: Literal["equal", "inverse_vol"] = "inverse_vol"
    vol_lookback: int = 63  # trading days for inverse-volatility weights
    fallback_sleeve: str | None = "defensive"  # takes the share of a sleeve with no listed asset
    warmup_state: Literal["abundant", "neutral", "scarce"] = "neutral"  # before the regime is known


def check(params: Params, config: Config) -> None:
    for state, sleeves in params.allocations.items():
        if state not in REGIME_STATES:
            raise ValueError(f"allocations.{state}: unknown regime state; use {REGIME_STATES}")
        for sleeve, weight in sleeves.items():
            if sleeve not in config.universe:
                raise ValueError(f"allocations.{state}.{sleeve}: no such sleeve in universe")
            if weight < 0:
                raise ValueError(f"allocations.{state}.{sleeve}: must be >= 0, got {weight}")
        if sum(sleeves.values()) > 1 + 1e-9:
            raise ValueError(f"allocations.{state}: sums to {sum(sleeves.values())} > 1")
    missing = [s for s in REGIME_STATES if s not in params.allocations]
    if missing:
        raise ValueError(f"allocations: missing state(s) {', '.join(missing)}")
    if params.fallback_sleeve is not None and params.fallback_sleeve not in config.universe:
        raise ValueError(f"fallback_sleeve: no sleeve {params.fallback_sleeve!r} in universe")
    if params.vol_lookback < 5:
        raise ValueError(f"vol_lookback: must be >= 5 days, got {params.vol_lookback}")


def target_weights(inputs: StrategyInputs, params: Params) -> Weights:
    rows = {}
    for date in inputs.schedule:
        state = inputs.regime.get(date)
        state = state if isinstance(state, str) else params.warmup_state
        members = {}
        for sleeve, symbols in inputs.universe.items():
            chosen = steps.listed(inputs.prices, date, symbols, min_days=2)
            members[sleeve] = (
                steps.inverse_vol_weights(inputs.prices, date, chosen, params.vol_lookback)
                if params.within_sleeve == "inverse_vol"
                else steps.equal_weights(chosen)
            )
        rows[date] = steps.allocate(
            params.allocations[state],
            members,
            fallback=params.fallback_sleeve,
            columns=inputs.prices.columns,
        )
    return steps.weights_frame(inputs.prices.index, inputs.prices.columns, rows)
