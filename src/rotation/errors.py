"""The project's own error types: every message names the file, key or symbol at fault."""

from __future__ import annotations


class RotationError(Exception):
    """Base of every error `rotation` raises on purpose; the CLI prints it without a traceback."""


class ConfigError(RotationError):
    """A config file is malformed, has an unknown key, a wrong type or an impossible value."""


class DataError(RotationError):
    """A data file or provider is missing, malformed, empty or stale."""


class InputError(ConfigError, DataError):
    """A file the user hands a command beside the config (a positions file) is malformed:
    reported like a config error (exit status 2), and still a ``DataError`` for callers."""


class ProviderError(DataError):
    """A live provider (yfinance, FRED, SEC EDGAR) failed or returned nothing usable."""


class StrategyError(RotationError):
    """A strategy cannot be found, loaded, or returned weights that break the contract."""
