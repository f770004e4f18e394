"""Test fixture, leaky on purpose: holds the sleeve with the best whole-period growth.

Growth is ``last close / first close`` over all the data, a gap of hundreds of times between
sleeves, so scaling the future never flips the pick. Caught by adversarial futures (invert,
mirror, boom/crash); truncation alone may miss it.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    growth = prices.ffill().iloc[-1] / prices.bfill().iloc[0]  # the leak: the whole period
    by_sleeve = {s: float(growth[list(m)].mean()) for s, m in batch.universe.items()}
    best = max(by_sleeve, key=lambda s: by_sleeve[s])
    out = np.zeros((len(params), len(batch.rows), len(prices.columns)))
    members = [list(prices.columns).index(m) for m in batch.universe[best]]
    out[:, :, members] = 1.0 / len(members)
    return out
