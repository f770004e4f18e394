"""rotation: point-in-time backtests of a capital-scarcity portfolio rotation.

The public API; the CLI (``rotation``) is a thin layer over these names.

The shape aliases (``Prices``, ``Weights``...) are pandas types and ``load_run`` reads a run
folder with pandas: they are loaded on first use (PEP 562) so that importing the package, and
so ``rotation --help``, does not load pandas.

    import rotation
    run = rotation.load_run("results/capital_scarcity-20260101T000000-abcdef012345")
    run.metrics["sharpe"], run.returns, run.simulation.weights   # as run_backtest returned
"""

from typing import Any

from rotation.errors import ConfigError, DataError, ProviderError, RotationError, StrategyError

_ALIASES = ("Prices", "Regime", "Returns", "Scores", "Weights")


def __getattr__(name: str) -> Any:
    if name in _ALIASES:
        from rotation import _types

        return getattr(_types, name)
    if name == "load_run":
        from rotation.stored import load_run

        return load_run
    raise AttributeError(f"module 'rotation' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "DataError",
    "Prices",
    "ProviderError",
    "Regime",
    "Returns",
    "RotationError",
    "Scores",
    "StrategyError",
    "Weights",
    "load_run",
]
