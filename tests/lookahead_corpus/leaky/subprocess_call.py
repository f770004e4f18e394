"""Test fixture, leaky on purpose: runs a subprocess to fetch what it trades on."""

import subprocess
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    subprocess.run(["true"], check=False)  # the leak: anything could come back
    n = len(batch.prices.columns)
    return np.full((len(params), len(batch.rows), n), 1.0 / n)
