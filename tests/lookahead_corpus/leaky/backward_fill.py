"""Test fixture, leaky on purpose: the price of the next up-day, found with ``bfill``."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    next_up = prices.where(prices.diff() > 0).bfill()  # the leak: fills today from the future
    ratio = (next_up / prices).to_numpy()[batch.rows]
    score = np.where(np.isfinite(ratio), np.exp(10 * (ratio - 1.0)), 0.0)
    weights = score / score.sum(axis=1, keepdims=True)
    return np.repeat(weights[None], len(params), axis=0)
