"""rotation: point-in-time backtests of a capital-scarcity portfolio rotation.

The public API; the CLI (``rotation``) is a thin layer over these names.

The shape aliases (``Prices``, ``Weights``...) are pandas types, loaded on first use (PEP 562)
so that importing the package, and so ``rotation --help``, does not load pandas.
"""

from typing import Any

from rotation.errors import ConfigError, DataError, ProviderError, RotationError, StrategyError

_ALIASES = ("Prices", "Regime", "Returns", "Scores", "Weights")


def __getattr__(name: str) -> Any:
    if name in _ALIASES:
        from rotation import _types

        return getattr(_types, name)
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
]
