"""Equal weight across sleeves, and equally across the listed assets within each sleeve."""

from __future__ import annotations

from dataclasses import dataclass

from rotation import Weights
from rotation import strategy as steps
from rotation.strategy import StrategyInputs


@dataclass(frozen=True)
class Params:
    pass


def target_weights(inputs: StrategyInputs, params: Params) -> Weights:
    rows = {}
    for date in inputs.schedule:
        members = {
            sleeve: steps.equal_weights(steps.listed(inputs.prices, date, symbols))
            for sleeve, symbols in inputs.universe.items()
        }
        live = [s for s, m in members.items() if not m.empty]
        sleeve_weights = {s: 1.0 / len(live) for s in live} if live else {}
        rows[date] = steps.allocate(sleeve_weights, members, columns=inputs.prices.columns)
    return steps.weights_frame(inputs.prices.index, inputs.prices.columns, rows)
