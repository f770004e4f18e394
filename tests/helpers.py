"""Paths and a small valid config shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
STRATEGIES = ROOT / "strategies"


def base_config(**changes) -> dict:
    """A small valid config over bundled data (a dict, ready for ``write_config``)."""
    raw = {
        "start": "2019-01-01",
        "end": "2024-12-31",
        "universe": {
            "speculative": ["BTC-USD", "IGV"],
            "cash_flow": ["MU", "WDC"],
            "defensive": ["BIL"],
        },
        "benchmark": "SPY",
        "strategy": {"name": "capital_scarcity"},
        "rebalance": {"every": "monthly", "on_regime_change": True},
        "costs": {"fees": 0.001, "slippage": 0.0005},
    }
    raw.update(changes)
    return raw
