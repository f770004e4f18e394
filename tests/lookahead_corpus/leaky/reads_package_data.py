"""Test fixture, leaky on purpose: reads the package's own price files and weighs by the
21-day forward return.

The inputs the checker cuts or perturbs are not what it reads, so only the sandbox catches it:
the ``read_csv`` opens a file while strategy code runs.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import rotation.data


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    folder = Path(rotation.data.__file__).parent / "bundled" / "prices"
    columns = list(batch.prices.columns)
    closes = {
        s: pd.read_csv(folder / f"{s}.csv.gz", index_col="date", parse_dates=True)["close"]
        for s in columns
    }
    frame = pd.DataFrame(closes).reindex(batch.prices.index, method="ffill")
    forward = (frame.shift(-21) / frame - 1.0).to_numpy()[batch.rows]
    score = np.exp(5 * np.nan_to_num(forward)) * np.isfinite(batch.prices.to_numpy()[batch.rows])
    weights = score / score.sum(axis=1, keepdims=True)
    return np.repeat(weights[None], len(params), axis=0)
