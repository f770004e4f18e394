"""rotation.thesis on synthetic data with a known answer (every series here is synthetic), and
``rotation thesis`` on the bundled data."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.thesis import (
    Evidence,
    bootstrap_interval,
    conditional_spreads,
    gather,
    newey_west_t,
    placebos,
    verdict,
)
from tests.helpers import CONFIGS

H = 63


def synthetic_states(n: int, rng: np.random.Generator, mean_days: int = 120) -> np.ndarray:
    """Synthetic regime: spells of random length, each a state other than the previous one."""
    states, previous = [], None
    while len(states) < n:
        state = rng.choice([s for s in ("scarce", "neutral", "abundant") if s != previous])
        states += [state] * int(rng.integers(mean_days // 2, mean_days * 3 // 2))
        previous = state
    return np.array(states[:n], dtype=object)


def overlapping_noise(n: int, rng: np.random.Generator, sigma: float = 0.01) -> np.ndarray:
    """Synthetic h-day sums of iid daily noise, one per day: consecutive windows overlap."""
    daily = rng.normal(0.0, sigma, n + H)
    return np.convolve(daily, np.ones(H), mode="valid")[:n]


def evidence(states: np.ndarray, spread: np.ndarray) -> Evidence:
    """Synthetic evidence holding one 3m spread of the thesis pair and nothing else."""
    dates = pd.bdate_range("2010-01-01", periods=len(states))
    codes = pd.Series(states)
    return Evidence(
        dates=dates,
        spreads={("cash_flow - speculative", "3m"): spread},
        states=states,
        spell=np.cumsum(codes.ne(codes.shift()).to_numpy()) - 1,
        sleeve_next_day=pd.DataFrame(index=dates),
        pool=pd.DataFrame(index=dates),
        thesis_members=pd.DataFrame(index=dates),
        thesis_sleeves={"cash_flow": [], "speculative": []},
        pairs=(("cash_flow", "speculative"),),
    )


def test_newey_west_t_by_hand():
    # x = 1..4: mean 2.5, u = (-1.5, -.5, .5, 1.5); g0 = 5/4, g1 = 1.25/4 = 0.3125;
    # one lag: s = g0 + 2 * (1 - 1/2) * g1 = 1.5625; t = 2.5 / sqrt(1.5625 / 4) = 4
    assert newey_west_t(np.array([1.0, 2.0, 3.0, 4.0]), 1) == pytest.approx(4.0)
    # no lag: the t-statistic with the population variance, 2.5 / sqrt(1.25 / 4)
    assert newey_west_t(np.array([1.0, 2.0, 3.0, 4.0]), 0) == pytest.approx(2.5 / np.sqrt(0.3125))


def test_a_planted_regime_effect_in_prices_is_found_with_its_sign():
    rng = np.random.default_rng(0)
    n = 1500
    dates = pd.bdate_range("2010-01-01", periods=n)
    states = synthetic_states(n, rng, mean_days=250)
    drift = np.where(states == "scarce", 0.002, 0.0)  # cash flow earns +0.2%/day while scarce
    returns = rng.normal(0.0, 0.01, (n, 4))
    returns[:, :2] += drift[:, None]
    prices = pd.DataFrame(100 * np.cumprod(1 + returns, axis=0), index=dates,
                          columns=["A", "B", "C", "D"])  # fmt: skip
    universe = {"cash_flow": ["A", "B"], "speculative": ["C", "D"]}
    ev = gather(prices, pd.Series(states, index=dates), universe, lag=1,
                in_window=np.ones(n, dtype=bool))  # fmt: skip
    rows = {(r["state"], r["horizon"]): r for r in conditional_spreads(ev, reps=200)}
    scarce = rows[("scarce", "3m")]
    assert scarce["ci_low"] > 0 and scarce["hac_t"] > 2
    for state in ("neutral", "abundant"):
        assert abs(rows[(state, "3m")]["mean"]) < scarce["mean"] / 2


def test_the_interval_covers_a_planted_spread_in_most_seeds():
    planted, covered = 0.03, 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        states = synthetic_states(6000, rng)  # ~30 independent 3m windows in the state
        in_scarce = overlapping_noise(6000, rng)[states == "scarce"] + planted
        low, high = bootstrap_interval(in_scarce, H, reps=200, seed=seed)
        covered += low <= planted <= high
    # nominal 18 of 20; measured ~16 at this size, fewer with fewer windows (see README)
    assert covered >= 13


def test_without_an_effect_the_regime_placebo_p_value_is_uniformish():
    p_values = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        states = synthetic_states(2000, rng)
        out, _ = placebos(evidence(states, overlapping_noise(2000, rng)), draws=100, seed=seed)
        p_values.append(out["regime_p_value"])
    assert 0.3 < np.mean(p_values) < 0.7
    assert sum(p < 0.1 for p in p_values) <= 6


def test_with_an_effect_the_regime_placebo_p_value_is_small():
    rng = np.random.default_rng(7)
    states = synthetic_states(2000, rng)
    spread = overlapping_noise(2000, rng, sigma=0.003) + np.where(states == "scarce", 0.05, 0.0)
    out, draws = placebos(evidence(states, spread), draws=200, seed=1)
    assert out["regime_p_value"] < 0.05
    assert len(draws) == 200


def test_the_verdict_never_calls_an_interval_across_zero_positive():
    rng = np.random.default_rng(3)
    states = synthetic_states(1500, rng)
    ev = evidence(states, overlapping_noise(1500, rng))
    placebo, _ = placebos(ev, draws=50)
    thesis = {
        "thesis": {"pair": "cash_flow - speculative", "state": "scarce", "horizon": "3m"},
        "spreads": conditional_spreads(ev, reps=100),
        "placebo": placebo,
        "leave_one_spell_out": [],
        "leave_one_asset_out": [],
        "sub_periods": [],
        "settings": {"split": "2012-01-01"},
    }
    scarce = next(r for r in thesis["spreads"] if r["state"] == "scarce")
    sentences = verdict(thesis)
    if scarce["ci_low"] <= 0 <= scarce["ci_high"]:
        assert sentences[0].startswith("The evidence for the thesis is weak")
        assert "not distinguishable from zero" in sentences[0]
    assert any(f"{scarce['mean']:+.1%}" in s for s in sentences)


def test_cli_writes_thesis_json_and_prints_the_verdict(tmp_path):
    result = CliRunner().invoke(
        main,
        ["thesis", str(CONFIGS / "capital_scarcity.yaml"), "--draws", "50",
         "--results", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (folder,) = tmp_path.iterdir()
    thesis = json.loads((folder / "thesis.json").read_text())
    for key in ("spreads", "placebo", "leave_one_spell_out", "sub_periods", "verdict", "config",
                "run_id"):  # fmt: skip
        assert thesis[key]
    for key in ("regime_p_value", "strategy_sharpe_p_value", "universe_p_value", "draws"):
        assert key in thesis["placebo"]
    assert thesis["placebo"]["draws"] == 50
    row = thesis["spreads"][0]
    assert set(row) >= {"mean", "median", "ci_low", "ci_high", "hac_t", "spells", "days"}
    assert thesis["verdict"][0] in result.output
    assert (folder / "spreads.csv").exists() and (folder / "sub_periods.csv").exists()
    # the attribution of the same run, in the JSON, as CSVs and on the page
    by_sleeve = pd.read_csv(folder / "attribution_by_sleeve.csv", index_col=0)
    sleeves = thesis["attribution"]["by_sleeve"]
    assert set(by_sleeve.index) >= {"cash_flow", "speculative", "defensive"}
    assert len(sleeves) == len(by_sleeve)
    page = (folder / "thesis.html").read_text()
    assert html.escape(thesis["verdict"][0], quote=True) in page
    assert "<script src=" not in page  # self-contained


@pytest.mark.parametrize("split", ["2024-13-45", "1990-01-01"])
def test_cli_a_bad_split_date_is_named(tmp_path, split):
    result = CliRunner().invoke(
        main, ["thesis", str(CONFIGS / "capital_scarcity.yaml"), "--split", split,
               "--results", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"--split {split!r}" in result.output
    assert not list(tmp_path.iterdir())
