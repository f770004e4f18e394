"""The names an export offers, without loading pandas (the CLI's option choices read them)."""

FORMATS = ("csv", "json", "parquet")
"""Formats of the signal feed file (``--format``)."""
TOOLS = ("tradingview", "alpaca", "ibkr", "generic")
"""Trading tools whose formats an export can write (``--tool``)."""
