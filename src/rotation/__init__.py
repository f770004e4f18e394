"""rotation: point-in-time backtests of a capital-scarcity portfolio rotation.

The public API; the CLI (``rotation``) is a thin layer over these names.
"""

from rotation._types import Prices, Regime, Returns, Scores, Weights
from rotation.errors import ConfigError, DataError, ProviderError, RotationError, StrategyError

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
