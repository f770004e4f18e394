"""Test fixture, honest but suspicious: ``bfill`` whose filled values are masked away.

Backward filling only fills the days before an asset's first close; those days are masked
again, so every weight uses closes known on the decision date.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    filled = prices.bfill().where(prices.notna())  # the fill is discarded
    momentum = (filled / filled.shift(21) - 1.0).to_numpy()[batch.rows]
    score = np.where(np.isfinite(momentum), np.exp(5 * momentum), 0.0)
    total = score.sum(axis=1, keepdims=True)
    weights = np.divide(score, total, out=np.zeros_like(score), where=total > 0)
    return np.repeat(weights[None], len(params), axis=0)
