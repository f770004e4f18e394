"""Test fixture, leaky on purpose: peeks at the next 5 days, only in the last 10% of the window.

Elsewhere it weighs equally. Caught because every decision date of the window's last 10% is a
cut-off (truncation and every future).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    ahead = (prices.shift(-5) / prices - 1.0).to_numpy()  # 5 days ahead
    dates = batch.dates
    late = dates >= dates[0] + 0.9 * (dates[-1] - dates[0])
    out = np.zeros((len(params), len(batch.rows), len(prices.columns)))
    listed = np.isfinite(prices.to_numpy()[batch.rows])
    for r, row in enumerate(batch.rows):
        score = np.where(listed[r], 1.0, 0.0)
        if late[r]:
            score = np.where(listed[r], np.exp(20 * np.nan_to_num(ahead[row])), 0.0)
        out[:, r] = score / score.sum()
    return out
