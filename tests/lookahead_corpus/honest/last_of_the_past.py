"""Test fixture, honest but suspicious: ``iloc[-1]`` and ``.max()`` inside ``target_weights``,
on the prices *up to* each decision date only (drawdown from the running high)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    prices = batch.prices
    out = np.zeros((len(params), len(batch.rows), len(prices.columns)))
    for r, row in enumerate(batch.rows):
        past = prices.iloc[: row + 1]
        from_high = (past.iloc[-1] / past.max()).to_numpy()  # both on the past only
        score = np.nan_to_num(from_high)
        out[:, r] = score / score.sum() if score.sum() > 0 else 0.0
    return out
