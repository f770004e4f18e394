"""Test fixture, leaky on purpose: trend from a centred 21-day moving average (half of the
window lies after the decision date)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    smooth = prices.rolling(21, center=True, min_periods=5).mean()  # the leak
    trend = (smooth / prices).to_numpy()[batch.rows]
    score = np.where(np.isfinite(trend), np.exp(10 * (trend - 1.0)), 0.0)
    weights = score / score.sum(axis=1, keepdims=True)
    return np.repeat(weights[None], len(params), axis=0)
