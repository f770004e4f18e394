"""Equal weight across sleeves, and equally across the listed assets within each sleeve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rotation import strategy as steps
from rotation.strategy import Batch

_EQUAL = steps.Within(weigh="equal", min_days=1)


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch: Batch, params: Sequence[Params]) -> np.ndarray:
    """(V, R, N): 1 / (sleeves with a listed member) per sleeve, equally within it."""
    inner = steps.sleeve_members(batch, _EQUAL)  # (R, S, N)
    live = inner.sum(axis=2) > 0  # (R, S)
    share = np.where(live, 1.0 / np.maximum(live.sum(axis=1, keepdims=True), 1), 0.0)
    sleeves = steps.SleeveWeights(tuple(batch.universe), share)
    row = steps.allocate(batch, inner, sleeves, fallback=None)
    return np.broadcast_to(row, (len(params), *row.shape)).copy()
