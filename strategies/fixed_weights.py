"""Hold fixed weights per symbol (60/40, buy and hold), rebalanced on the config's schedule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rotation import Weights
from rotation import strategy as steps
from rotation.config import Config
from rotation.strategy import StrategyInputs


@dataclass(frozen=True)
class Params:
    weights: Mapping[str, float]  # symbol -> fraction of the portfolio; sums to <= 1


def check(params: Params, config: Config) -> None:
    for symbol, weight in params.weights.items():
        if symbol not in config.symbols:
            raise ValueError(f"weights.{symbol}: not a symbol of the universe")
        if weight < 0:
            raise ValueError(f"weights.{symbol}: must be >= 0, got {weight}")
    if sum(params.weights.values()) > 1 + 1e-9:
        raise ValueError(f"weights: sum to {sum(params.weights.values())} > 1")


def target_weights(inputs: StrategyInputs, params: Params) -> Weights:
    """Each decision date holds the fixed weights; an unlisted symbol's share stays in cash."""
    rows = {}
    for date in inputs.schedule:
        chosen = set(steps.listed(inputs.prices, date, list(params.weights)))
        row = {s: (w if s in chosen else 0.0) for s, w in params.weights.items()}
        rows[date] = pd.Series(row, dtype="float64")
    return steps.weights_frame(inputs.prices.index, inputs.prices.columns, rows)


def batch_target_weights(inputs, params: Sequence[Params]) -> np.ndarray:
    """All variants at once: (V, R, N) fixed weights, 0 for symbols not yet listed."""
    listed = inputs.prices.notna().to_numpy()[inputs.rows]  # (R, N)
    columns = list(inputs.prices.columns)
    weights = np.array([[p.weights.get(c, 0.0) for c in columns] for p in params])  # (V, N)
    return weights[:, None, :] * listed[None, :, :]
