"""Test fixture, honest but suspicious: ``shift(-1)`` on the calendar only.

The gap to the next trading day, shifted back one row, is the gap from the previous trading
day: known on the day. Assets are weighed equally, with cash after a long market closure.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    days = batch.prices.index.to_series()
    gap_to_next = days.shift(-1) - days  # looks ahead, but only at the calendar
    gap_from_previous = gap_to_next.shift(1).dt.days.to_numpy()[batch.rows]
    listed = np.isfinite(batch.prices.to_numpy()[batch.rows])
    invested = np.where(gap_from_previous > 3, 0.5, 1.0)
    weights = listed / listed.sum(axis=1, keepdims=True) * invested[:, None]
    return np.repeat(weights[None], len(params), axis=0)
