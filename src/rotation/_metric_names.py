"""The names of the metrics a sweep or a walk-forward can rank variants by.

Kept apart so that ``rotation.config`` validates ``sweep.metric`` without importing numpy.
``rotation.metrics.METRICS`` is the registry; importing it checks that this tuple is exactly
its rankable names (those computed from daily returns alone that have a better direction).
"""

from __future__ import annotations

RANKABLE = (
    "total_return", "annual_return", "annual_volatility", "sharpe", "sortino", "max_drawdown",
    "calmar",
)  # fmt: skip
