"""Test fixture, leaky on purpose: reads a price file when the module is loaded."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rotation.data

_FILE = Path(rotation.data.__file__).parent / "bundled" / "prices" / "SPY.csv.gz"
try:
    _RAW = _FILE.read_bytes()  # the leak: the whole price history, future included
except OSError:
    _RAW = b""


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    n = len(batch.prices.columns)
    return np.full((len(params), len(batch.rows), n), 1.0 / n)
