"""Rotate sleeves on the capital-scarcity regime: cash-flow names when capital is scarce."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

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


def _members(inputs, date, params: Params) -> dict:
    """Within-sleeve weights of the listed members of each sleeve on ``date``."""
    members = {}
    for sleeve, symbols in inputs.universe.items():
        chosen = steps.listed(inputs.prices, date, symbols, min_days=2)
        members[sleeve] = (
            steps.inverse_vol_weights(inputs.prices, date, chosen, params.vol_lookback)
            if params.within_sleeve == "inverse_vol"
            else steps.equal_weights(chosen)
        )
    return members


def target_weights(inputs: StrategyInputs, params: Params) -> Weights:
    rows = {}
    for date in inputs.schedule:
        state = inputs.regime.get(date)
        state = state if isinstance(state, str) else params.warmup_state
        members = _members(inputs, date, params)
        rows[date] = steps.allocate(
            params.allocations[state],
            members,
            fallback=params.fallback_sleeve,
            columns=inputs.prices.columns,
        )
    return steps.weights_frame(inputs.prices.index, inputs.prices.columns, rows)


def batch_target_weights(inputs, params: Sequence[Params]) -> np.ndarray:
    """All variants of a sweep at once: (V, R, N) targets on the decision rows ``inputs.rows``.

    Same rule as ``target_weights``, row-wise: the within-sleeve weights (computed once per
    ``within_sleeve``/``vol_lookback`` and kept in ``inputs.memo`` across chunks) are scaled by
    each variant's allocation for its regime on that row; an empty sleeve's share goes to the
    fallback sleeve.
    """
    sleeves = list(inputs.universe)
    columns = list(inputs.prices.columns)
    states = ("abundant", "neutral", "scarce")  # the order of inputs.regime codes
    out = np.zeros((len(params), len(inputs.rows), len(columns)))
    for v, p in enumerate(params):
        inner = _inner_weights(inputs, p.within_sleeve, p.vol_lookback)  # (R, S, N)
        empty = inner.sum(axis=2) == 0  # (R, S)
        alloc = np.array([[p.allocations[st].get(sl, 0.0) for sl in sleeves] for st in states])
        codes = np.where(inputs.regime[v] >= 0, inputs.regime[v], states.index(p.warmup_state))
        row_alloc = alloc[codes]  # (R, S)
        out[v] = np.einsum("rs,rsn->rn", np.where(empty, 0.0, row_alloc), inner)
        if p.fallback_sleeve is not None:
            spill = np.where(empty, row_alloc, 0.0).sum(axis=1)  # (R,)
            out[v] += spill[:, None] * inner[:, sleeves.index(p.fallback_sleeve)]
    return out


def _inner_weights(inputs, within_sleeve: str, lookback: int) -> np.ndarray:
    """(R, S, N): each sleeve's within-sleeve weights on each decision row."""
    key = ("capital_scarcity.inner", within_sleeve, lookback, inputs.rows.tobytes())
    if key not in inputs.memo:
        columns = list(inputs.prices.columns)
        members_all = steps.listed_table(inputs.prices, min_days=2).to_numpy()[inputs.rows]
        inverse_vol = steps.inverse_vol_table(inputs.prices, lookback).to_numpy()[inputs.rows]
        inner = np.zeros((len(inputs.rows), len(inputs.universe), len(columns)))
        for s, symbols in enumerate(inputs.universe.values()):
            cols = [columns.index(c) for c in symbols]
            members = members_all[:, cols]
            if within_sleeve == "inverse_vol":
                inner[:, s, cols] = steps.inverse_vol_rows(inverse_vol[:, cols], members)
            else:
                count = members.sum(axis=1, keepdims=True)
                inner[:, s, cols] = np.divide(
                    members, count, out=np.zeros(members.shape), where=count > 0
                )
        inputs.memo[key] = inner
    return inputs.memo[key]
