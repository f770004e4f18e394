"""Test fixture, leaky on purpose: scales each asset by its all-time high over the whole data
(``prices.max()``), so future highs set today's weights."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    from_peak = (prices / prices.max()).to_numpy()[batch.rows]  # the leak: future highs
    score = np.nan_to_num(from_peak)
    weights = score / score.sum(axis=1, keepdims=True)
    return np.repeat(weights[None], len(params), axis=0)
