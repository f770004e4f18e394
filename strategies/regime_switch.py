"""All in one sleeve per regime state (e.g. cash flow when scarce), weighed within the sleeve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rotation import strategy as steps
from rotation.config import REGIME_STATES, Config
from rotation.strategy import Batch, VolTarget, Within


@dataclass(frozen=True)
class Params:
    # regime state -> the sleeve that gets the whole portfolio ("cash" = stay in cash)
    sleeves: Mapping[str, str] = field(
        default_factory=lambda: {
            "scarce": "cash_flow",
            "neutral": "defensive",
            "abundant": "speculative",
        }
    )
    within: Within = field(default_factory=Within)  # select and weigh inside the sleeve
    fallback_sleeve: str | None = "defensive"  # takes a sleeve's share when none is listed
    vol_target: VolTarget | None = None  # e.g. {annual: 0.15, lookback: 63}
    drift_band: float = 0.0  # > 0: trade only when a weight is off by more than this
    warmup_state: Literal["abundant", "neutral", "scarce"] = "neutral"


def check(params: Params, config: Config) -> None:
    missing = [s for s in REGIME_STATES if s not in params.sleeves]
    if missing:
        raise ValueError(f"sleeves: missing state(s) {', '.join(missing)}")
    for state, sleeve in params.sleeves.items():
        if state not in REGIME_STATES:
            raise ValueError(f"sleeves.{state}: unknown regime state; use {REGIME_STATES}")
        steps.check_sleeves(f"sleeves.{state}", [sleeve], config)
    steps.check_shared_blocks(params, config)


def target_weights(batch: Batch, params: Sequence[Params]) -> np.ndarray:
    """(V, R, N): the whole portfolio in the sleeve of the regime known on the row."""
    return steps.rotate_sleeves(
        batch,
        params,
        lambda p, v: steps.by_state(
            batch.regime[v],
            {state: {sleeve: 1.0} for state, sleeve in p.sleeves.items()},
            p.warmup_state,
        ),
    )
