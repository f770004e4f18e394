"""Every shipped config's numbers agree with the pinned ones to the last bits a machine can
keep (see ``tests/pinned.py``)."""

from __future__ import annotations

import json

import pytest

from tests import pinned

EXPECTED = json.loads(pinned.PINNED.read_text())


def test_every_shipped_config_is_pinned():
    assert sorted(EXPECTED["backtests"]) == sorted(p.stem for p in pinned.CONFIGS)


@pytest.mark.parametrize("path", pinned.CONFIGS, ids=lambda p: p.stem)
def test_backtest_numbers_are_unchanged(path):
    changed = pinned.differences(pinned.backtest_numbers(path), EXPECTED["backtests"][path.stem])
    assert not changed, f"{path.stem}: these outputs changed: {changed}"


def test_sweep_numbers_are_unchanged():
    changed = pinned.differences(pinned.sweep_numbers(), EXPECTED["sweep"])
    assert not changed, changed


def test_diagnosis_numbers_are_unchanged():
    changed = pinned.differences(pinned.diagnosis_numbers(), EXPECTED["diagnosis"])
    assert not changed, changed


def test_the_comparison_catches_a_change_of_one_value():
    """The tolerance is for a machine's last bits, not for a result: ten cents in one day of an
    equity curve, two days swapped, or one weight off by 1e-7 all count as changes."""
    import numpy as np
    import pandas as pd

    # Synthetic frame (test data, not market data).
    index = pd.bdate_range("2020-01-01", periods=2500)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"value": 1e6 * np.cumprod(1 + rng.normal(0, 0.01, 2500)), "w": rng.uniform(0, 1, 2500)},
        index=index,
    )
    pinned_print = pinned.digest(frame)
    drift = frame * (1 + 1e-14)
    assert pinned.differences(pinned.digest(drift), pinned_print) == []
    cent = frame.copy()
    cent.iloc[1234, 0] += 0.10
    swapped = frame.copy()
    swapped.iloc[[10, 11], 1] = swapped.iloc[[11, 10], 1].to_numpy()
    weight = frame.copy()
    weight.iloc[7, 1] += 1e-7
    for changed in (cent, swapped, weight):
        assert pinned.differences(pinned.digest(changed), pinned_print), changed
    assert pinned.differences({"sharpe": 1.0 + 1e-9}, {"sharpe": 1.0})
    assert not pinned.differences({"sharpe": 1.0 + 1e-14}, {"sharpe": 1.0})
