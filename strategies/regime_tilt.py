"""Sleeve weights tilted by the composite score: more cash flow the scarcer capital.

Instead of jumping between fixed states, each sleeve's weight moves linearly with the composite
(clipped), so a weak signal moves the portfolio a little and a strong one a lot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from rotation import strategy as steps
from rotation.config import Config
from rotation.strategy import Batch, VolTarget, Within


@dataclass(frozen=True)
class Params:
    # sleeve -> weight when the composite is 0 (sums to <= 1; "cash" = stay in cash)
    base: Mapping[str, float] = field(
        default_factory=lambda: {"speculative": 0.35, "cash_flow": 0.4, "defensive": 0.25}
    )
    # sleeve -> change of weight per unit of composite (z); summing to 0 keeps the total
    sensitivity: Mapping[str, float] = field(
        default_factory=lambda: {"speculative": -0.2, "cash_flow": 0.1, "defensive": 0.1}
    )
    clip: float = 2.0  # the composite is clipped to [-clip, clip] before tilting
    within: Within = field(default_factory=Within)
    fallback_sleeve: str | None = "defensive"
    vol_target: VolTarget | None = None
    drift_band: float = 0.0


def check(params: Params, config: Config) -> None:
    steps.check_sleeves("base", list(params.base), config)
    steps.check_sleeves("sensitivity", list(params.sensitivity), config)
    for sleeve, weight in params.base.items():
        if weight < 0:
            raise ValueError(f"base.{sleeve}: must be >= 0, got {weight}")
    if sum(params.base.values()) > 1 + 1e-9:
        raise ValueError(f"base: sums to {sum(params.base.values())} > 1")
    if params.clip <= 0:
        raise ValueError(f"clip: must be > 0, got {params.clip}")
    steps.check_shared_blocks(params, config)


def target_weights(batch: Batch, params: Sequence[Params]) -> np.ndarray:
    """(V, R, N): sleeve weights tilted by the composite known on the row."""
    return steps.rotate_sleeves(
        batch,
        params,
        lambda p, v: steps.tilted(batch.composite[v], p.base, p.sensitivity, clip=p.clip),
    )
