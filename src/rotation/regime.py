"""Regime states from the composite score, with hysteresis and a minimum holding period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rotation._types import Regime
from rotation.config import RegimeConfig

ABUNDANT, NEUTRAL, SCARCE = "abundant", "neutral", "scarce"
STATES = (ABUNDANT, NEUTRAL, SCARCE)


def classify(composite: pd.Series, rules: RegimeConfig) -> Regime:
    """State per day from the composite, walking forward only.

    From neutral, the state becomes scarce when the composite reaches ``scarce_enter`` and
    abundant when it falls to ``abundant_enter``. Scarce lasts until the composite falls below
    ``scarce_exit`` (abundant until it rises above ``abundant_exit``); a state is held at
    least ``min_days`` rows before it may change. NaN composite: the state is NaN (warm-up)
    before the first known value and unchanged on later gaps.
    """
    values = composite.to_numpy(dtype="float64")
    codes = np.full(len(values), -1, dtype=np.int8)  # -1 unknown, 0/1/2 = STATES
    state, held = -1, 0  # held: rows the current state has lasted before this row
    for i, x in enumerate(values):
        if np.isnan(x):
            codes[i] = state
            held += state >= 0
            continue
        if state == -1:
            state, held = 1, 0
        proposed = state
        if state == 1:
            if x >= rules.scarce_enter:
                proposed = 2
            elif x <= rules.abundant_enter:
                proposed = 0
        elif state == 2 and x < rules.scarce_exit:
            proposed = 0 if x <= rules.abundant_enter else 1
        elif state == 0 and x > rules.abundant_exit:
            proposed = 2 if x >= rules.scarce_enter else 1
        if proposed != state and held >= rules.min_days:
            state, held = proposed, 0
        held += 1
        codes[i] = state
    labels = np.array(STATES, dtype=object)
    out = pd.Series(np.where(codes >= 0, labels[np.clip(codes, 0, 2)], None), index=composite.index)
    return out.astype("object").rename("regime")


def regime_changes(regime: Regime) -> pd.Series:
    """Boolean per day: the known state differs from the previous day's known state."""
    known = regime.dropna()
    changed = known.ne(known.shift()) & known.shift().notna()
    return changed.reindex(regime.index, fill_value=False)
