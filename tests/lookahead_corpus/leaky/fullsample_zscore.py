"""Test fixture, leaky on purpose: z-scores each asset's momentum with the mean and standard
deviation of the whole sample, then holds the assets above 0."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    momentum = batch.prices.pct_change(63, fill_method=None)
    z = (momentum - momentum.mean()) / momentum.std()  # full-sample statistics: a leak
    held = (z.to_numpy()[batch.rows] > 0).astype(float)
    total = held.sum(axis=1, keepdims=True)
    weights = np.divide(held, total, out=np.zeros_like(held), where=total > 0)
    return np.repeat(weights[None], len(params), axis=0)
