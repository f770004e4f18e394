"""Signal components and regime states on tiny hand-checked series (synthetic, labeled)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotation import signals as sig
from rotation.config import RegimeConfig
from rotation.regime import classify, regime_changes


def _series(values, start="2024-01-01"):
    return pd.Series(
        values, index=pd.bdate_range(start, periods=len(values), name="date"), dtype=float
    )


def test_expanding_zscore_uses_only_the_past():
    x = _series([1, 2, 3, 4, 10])  # synthetic
    z = sig.zscore(x, method="expanding", min_periods=3)
    assert z.iloc[:2].isna().all()
    # day 3: values 1,2,3 -> mean 2, sample std 1 -> z = 1
    assert z.iloc[2] == pytest.approx(1.0)
    past = np.array([1, 2, 3, 4, 10.0])
    assert z.iloc[4] == pytest.approx((10 - past.mean()) / past.std(ddof=1))


def test_rolling_zscore_forgets_old_values():
    x = _series([100, 1, 2, 3])
    z = sig.zscore(x, method="rolling", window=3, min_periods=3)
    assert z.iloc[3] == pytest.approx(1.0)  # window 1,2,3


def test_net_liquidity_reconciles_units():
    walcl = _series([7_000_000.0])  # USD millions
    tga = _series([800_000.0])  # USD millions
    rrp = _series([500.0])  # USD billions
    assert sig.net_liquidity(walcl, tga, rrp).iloc[0] == pytest.approx(7_000 - 800 - 500)


def test_composite_renormalizes_over_known_components():
    scores = pd.DataFrame(
        {"a": [1.0, np.nan, np.nan], "b": [3.0, 2.0, np.nan], "c": [np.nan, np.nan, np.nan]},
        index=pd.bdate_range("2024-01-01", periods=3),
    )
    out = sig.composite(scores, {"a": 1.0, "b": 3.0, "c": 1.0}, min_components=1)
    assert out.iloc[0] == pytest.approx((1 * 1 + 3 * 3) / 4)
    assert out.iloc[1] == pytest.approx(2.0)
    assert np.isnan(out.iloc[2])
    strict = sig.composite(scores, {"a": 1.0, "b": 1.0}, min_components=2)
    assert strict.notna().tolist() == [True, False, False]


def test_regime_hysteresis_and_minimum_holding():
    rules = RegimeConfig(
        scarce_enter=1.0, scarce_exit=0.0, abundant_enter=-1.0, abundant_exit=0.0, min_days=2
    )
    composite = _series([np.nan, 0.5, 0.5, 1.2, 0.5, 0.1, -0.1, -1.5, -1.5, -0.5, 0.2, 0.3])
    got = classify(composite, rules).tolist()
    assert pd.isna(got[0])  # warming up
    assert got[1:] == [
        "neutral", "neutral",
        "scarce",  # 1.2 >= enter, after neutral was held 2 days
        "scarce", "scarce",  # 0.5 and 0.1 stay above exit 0.0: hysteresis
        "neutral",  # -0.1 < exit
        "neutral",  # -1.5 would enter abundant, but neutral has lasted only 1 day
        "abundant",
        "abundant",  # -0.5 is not above the abundant exit 0.0
        "neutral", "neutral",  # 0.2 > abundant exit
    ]  # fmt: skip


def test_regime_minimum_holding_delays_a_flip():
    rules = RegimeConfig(
        scarce_enter=1.0, scarce_exit=0.0, abundant_enter=-1.0, abundant_exit=0.0, min_days=3
    )
    composite = _series([0.0, 2.0, -2.0, -2.0, -2.0])
    assert classify(composite, rules).tolist() == [
        "neutral",
        "neutral",
        "neutral",
        "abundant",
        "abundant",
    ]


def test_regime_changes_marks_only_switches():
    regime = pd.Series(
        [None, "neutral", "neutral", "scarce", "scarce"],
        index=pd.bdate_range("2024-01-01", periods=5),
    )
    assert regime_changes(regime).tolist() == [False, False, False, True, False]
