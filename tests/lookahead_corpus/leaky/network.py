"""Test fixture, leaky on purpose: asks a server on the network for its weights (the sandbox
refuses the socket before anything is sent; no server is needed)."""

import contextlib
import socket
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    pass


def target_weights(batch, params):
    # swallowing the refusal does not help: the sandbox records the call
    with contextlib.suppress(OSError):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)  # the leak: outside data
    n = len(batch.prices.columns)
    return np.full((len(params), len(batch.rows), n), 1.0 / n)
