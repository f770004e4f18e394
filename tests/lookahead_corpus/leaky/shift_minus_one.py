"""Test fixture, leaky on purpose: weighs assets by tomorrow's return (``shift(-1)``)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    tomorrow = batch.prices.pct_change(fill_method=None).shift(-1).to_numpy()  # the leak
    listed = np.isfinite(batch.prices.to_numpy()[batch.rows])
    score = np.where(listed, np.exp(10 * np.nan_to_num(tomorrow[batch.rows])), 0.0)
    weights = score / score.sum(axis=1, keepdims=True)
    return np.repeat(weights[None], len(params), axis=0)
