"""Regime diagnostics on tiny hand-checked frames (synthetic, labeled): spells and their
durations, forward sleeve returns per state, non-overlapping window counts, the printed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rotation.diagnose import (
    forward_returns_by_state,
    non_overlapping,
    sleeve_forward_returns,
    spells,
    state_table,
)

DAYS = pd.bdate_range("2024-01-01", periods=8, name="date")


def test_spells_and_state_table():
    regime = pd.Series(
        [None, "scarce", "scarce", "neutral", "scarce", "scarce", "scarce", "abundant"], index=DAYS
    )
    runs = spells(regime)
    assert runs["state"].tolist() == ["scarce", "neutral", "scarce", "abundant"]
    assert runs["days"].tolist() == [2, 1, 3, 1]
    assert runs["start"].iloc[2] == DAYS[4] and runs["end"].iloc[2] == DAYS[6]
    table = state_table(regime)
    assert table.loc["scarce", "days"] == 5
    assert table.loc["scarce", "share"] == pytest.approx(5 / 7)
    assert table.loc["scarce", "spells"] == 2
    assert table.loc["scarce", "mean_days"] == pytest.approx(2.5)
    assert table.loc["scarce", "longest_days"] == 3
    assert table.loc["abundant", "spells"] == 1


def test_non_overlapping_takes_the_earliest_windows():
    assert non_overlapping(np.array([0, 1, 2, 3, 4, 5]), 3) == 2  # 0 and 3
    assert non_overlapping(np.array([0, 2, 5, 6, 9]), 3) == 3  # 0, 5, 9
    assert non_overlapping(np.array([], dtype=int), 21) == 0


def test_sleeve_forward_returns_equal_weight_after_the_lag():
    prices = pd.DataFrame(
        {
            "a": [100, 110, 121, 133.1, 146.41, 161.051, 177.1561, 194.87171],  # +10 % a day
            "b": [np.nan, np.nan, 50, 50, 50, 50, 50, 50],  # listed on day 2, flat
        },
        index=DAYS,
    )
    forward = sleeve_forward_returns(prices, {"s": ["a", "b"]}, horizon=2, lag=1)
    # day 0: only a listed; bought at day 1's close, sold at day 3's: 1.1^2 - 1 = 21 %
    assert forward["s"].iloc[0] == pytest.approx(0.21)
    # day 2: a and b listed: (21 % + 0 %) / 2
    assert forward["s"].iloc[2] == pytest.approx(0.105)
    assert forward["s"].iloc[5:].isna().all()  # the window runs past the data


def test_forward_returns_by_state_counts_days_and_windows():
    prices = pd.DataFrame({"x": 100 * 1.01 ** np.arange(8), "y": np.full(8, 10.0)}, index=DAYS)
    regime = pd.Series(["scarce"] * 4 + ["abundant"] * 4, index=DAYS)
    table = forward_returns_by_state(
        prices,
        regime,
        {"up": ["x"], "flat": ["y"]},
        lag=1,
        horizons={"2d": 2},
        spreads=[("up", "flat")],
    )
    row = table.set_index(["state", "sleeve"]).loc[("scarce", "up")]
    assert row["mean"] == pytest.approx(1.01**2 - 1)
    assert row["days"] == 4 and row["windows"] == 2  # days 0..3, windows from 0 and 2
    abundant = table.set_index(["state", "sleeve"]).loc[("abundant", "up")]
    assert abundant["days"] == 1  # only day 4 has a window ending inside the data (lag 1 + 2)
    spread = table.set_index(["state", "sleeve"]).loc[("scarce", "up - flat")]
    assert spread["median"] == pytest.approx(1.01**2 - 1)
    neutral = table.set_index(["state", "sleeve"]).loc[("neutral", "flat")]
    assert neutral["days"] == 0 and np.isnan(neutral["mean"])


def test_diagnose_tables_on_the_bundled_thesis_config():
    from rotation.diagnose import diagnose, format_diagnosis, signal_history
    from rotation.validate import load_config
    from tests.helpers import CONFIGS

    history = signal_history(load_config(CONFIGS / "equal_weight.yaml"))
    diagnosis = diagnose(history)
    assert diagnosis.start >= pd.Timestamp("2015-01-01")
    assert diagnosis.states["days"].sum() == len(
        history.regime.loc[diagnosis.start : diagnosis.end].dropna()
    )
    r = diagnosis.returns
    assert set(r["horizon"]) == {"1m", "3m", "6m"}
    assert "cash_flow - speculative" in set(r["sleeve"])
    one_month = r[(r["horizon"] == "1m") & (r["sleeve"] == "cash_flow")]
    busy = one_month[one_month["days"] > 21]
    assert (busy["windows"] < busy["days"]).all()  # overlapping days overstate the evidence
    text = format_diagnosis(diagnosis)
    assert "1m days/windows" in text and "scarce    cash_flow" in text


def test_funding_spans_name_who_made_up_each_aggregate_over_time():
    from rotation.diagnose import funding_spans

    days = pd.bdate_range("2024-01-01", periods=5)
    funding = pd.DataFrame(  # synthetic
        {
            "coverage_members": ["", "META", "META,MSFT", "META,MSFT", "MSFT"],
            "external_members": ["", "", "", "MSFT", "MSFT"],
        },
        index=days,
    )
    spans = funding_spans(funding)
    assert spans[["days", "coverage_members", "external_members"]].values.tolist() == [
        [1, "-", "-"],
        [1, "META", "-"],
        [1, "META,MSFT", "-"],
        [1, "META,MSFT", "MSFT"],
        [1, "MSFT", "MSFT"],
    ]
    assert str(spans["from"].iloc[2]) == "2024-01-03"
