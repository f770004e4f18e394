"""Test fixture, leaky on purpose: a label-slice off-by-one. ``prices.loc[:date]`` is what was
meant; the slice ends a day later, so the "last close" is tomorrow's."""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    out = np.zeros((len(params), len(batch.rows), len(prices.columns)))
    for r, date in enumerate(batch.dates):
        seen = prices.loc[: date + pd.Timedelta(days=1)]  # the leak: one day too many
        momentum = (seen.iloc[-1] / seen.iloc[-22] - 1.0).to_numpy()
        score = np.where(np.isfinite(momentum), np.exp(10 * momentum), 0.0)
        out[:, r] = score / score.sum()
    return out
