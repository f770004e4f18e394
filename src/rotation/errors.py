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


# C0 controls, DEL, C1 controls (ESC, BEL, CSI and OSC introducers among them) and the Unicode
# marks that reorder text on screen: what can clear a terminal, retitle its window or make
# printed text read differently from what it is.
CONTROL_CHARACTERS = frozenset(
    chr(code)
    for low, high in (
        (0x00, 0x1F),
        (0x7F, 0x9F),
        (0x200E, 0x200F),
        (0x202A, 0x202E),
        (0x2066, 0x2069),
    )
    for code in range(low, high + 1)
)


def control_characters(text: str, allowed: str = "") -> list[str]:
    """The control characters of ``text`` (``CONTROL_CHARACTERS`` not in ``allowed``), in order."""
    return [c for c in text if c in CONTROL_CHARACTERS and c not in allowed]


def printable(text: object, keep: str = "\n\t") -> str:
    """``str(text)`` safe to print on a terminal: each control character not in ``keep`` shown
    as its escape (``\\x1b``, ``\\u202e``), so text from a file or a name can neither send
    escape sequences nor pass unseen. Every line the CLI prints from a file goes through here."""
    out = str(text)
    if not any(c in CONTROL_CHARACTERS for c in out):
        return out
    return "".join(
        c if c not in CONTROL_CHARACTERS or c in keep else c.encode("unicode_escape").decode()
        for c in out
    )
