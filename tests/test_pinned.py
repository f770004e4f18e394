"""Every shipped config's numbers equal the pinned ones bit for bit (see ``tests/pinned.py``)."""

from __future__ import annotations

import json

import pytest

from tests import pinned

EXPECTED = json.loads(pinned.PINNED.read_text())


def test_every_shipped_config_is_pinned():
    assert sorted(EXPECTED["backtests"]) == sorted(p.stem for p in pinned.CONFIGS)


@pytest.mark.parametrize("path", pinned.CONFIGS, ids=lambda p: p.stem)
def test_backtest_numbers_are_unchanged(path):
    expected = EXPECTED["backtests"][path.stem]
    got = pinned.backtest_numbers(path)
    assert got["metrics"] == expected["metrics"]
    changed = [k for k, v in expected["frames"].items() if got["frames"].get(k) != v]
    assert not changed, f"{path.stem}: these outputs changed: {changed}"


def test_sweep_numbers_are_unchanged():
    got = pinned.sweep_numbers()
    assert got["sharpe"] == EXPECTED["sweep"]["sharpe"]
    assert got == EXPECTED["sweep"]


def test_diagnosis_numbers_are_unchanged():
    assert pinned.diagnosis_numbers() == EXPECTED["diagnosis"]
