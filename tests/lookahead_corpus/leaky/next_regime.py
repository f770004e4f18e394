"""Test fixture, leaky on purpose: decides on the regime of the *next* decision row."""

from dataclasses import dataclass

import numpy as np

from rotation.regime import STATES


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    columns = list(batch.prices.columns)
    defensive = [columns.index(s) for s in batch.universe["defensive"]]
    risky = [j for j in range(len(columns)) if j not in defensive]
    out = np.zeros((len(params), len(batch.rows), len(columns)))
    for v in range(len(params)):
        for r in range(len(batch.rows)):
            upcoming = batch.regime[v][min(r + 1, len(batch.rows) - 1)]  # the leak
            chosen = defensive if upcoming == STATES.index("scarce") else risky
            out[v, r, chosen] = 1.0 / len(chosen)
    return out
