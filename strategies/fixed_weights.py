"""Hold fixed weights per symbol (60/40, buy and hold), rebalanced on the config's schedule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rotation.config import Config
from rotation.strategy import Batch


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


def target_weights(batch: Batch, params: Sequence[Params]) -> np.ndarray:
    """(V, R, N): each variant's fixed weights; an unlisted symbol's share stays in cash."""
    panel = batch.panel
    listed = panel.listed(batch.rows, np.arange(len(panel.columns)))  # (R, N)
    weights = np.array([[p.weights.get(c, 0.0) for c in panel.columns] for p in params])
    return np.where(listed[None, :, :], weights[:, None, :], 0.0)
