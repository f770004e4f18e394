"""Regime methods beyond thresholds: the walk-forward Gaussian HMM (synthetic data, labeled),
and the `rotation signals` command on the bundled data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.cli.signals import signals
from rotation.config import RegimeConfig
from rotation.regime import filtered_probabilities, fit_hmm, hmm_classify
from tests.helpers import CONFIGS


def _two_regimes(seed: int = 0, n_spells: int = 12, spell: int = 120) -> pd.Series:
    """Synthetic composite: spells alternating between N(-1, 0.3) and N(+1, 0.3)."""
    rng = np.random.default_rng(seed)
    values = np.concatenate(
        [rng.normal(1.0 if k % 2 else -1.0, 0.3, spell) for k in range(n_spells)]
    )
    return pd.Series(values, index=pd.bdate_range("2000-01-03", periods=len(values), name="date"))


def test_fit_hmm_recovers_two_synthetic_regimes():
    x = _two_regimes().to_numpy()
    fit = fit_hmm(x, 2)
    assert fit.means == pytest.approx([-1.0, 1.0], abs=0.05)
    assert np.sqrt(fit.variances) == pytest.approx([0.3, 0.3], abs=0.03)
    assert fit.transition.diagonal().min() > 0.97  # spells of 120 days: persistent
    assert fit.transition.sum(axis=1) == pytest.approx([1.0, 1.0])
    probs = filtered_probabilities(x, fit)
    truth = np.repeat(np.arange(12) % 2, 120)
    assert (probs.argmax(axis=1) == truth).mean() > 0.97


def test_hmm_regime_is_walk_forward_and_uses_no_future_value():
    composite = _two_regimes(seed=1)
    rules = RegimeConfig(method="hmm", hmm_states=2, hmm_min_train_days=250, min_days=3)
    regime = hmm_classify(composite, rules)
    assert regime.iloc[:250].isna().all()  # no model before 250 known values
    assert set(regime.dropna()) == {"abundant", "scarce"}
    high = composite.rolling(20).mean() > 0.5
    assert (regime[high.to_numpy()].dropna() == "scarce").mean() > 0.9
    # changing every value after t leaves every state up to t unchanged
    for t in composite.index[[300, 700, 1200]]:
        garbled = composite.copy()
        later = garbled.index > t
        garbled[later] = np.random.default_rng(2).normal(5, 3, later.sum())
        pd.testing.assert_series_equal(hmm_classify(garbled, rules).loc[:t], regime.loc[:t])


def test_hmm_three_states_and_minimum_holding():
    rng = np.random.default_rng(3)  # synthetic: three levels
    levels = np.tile([-1.5, 0.0, 1.5], 6)
    composite = pd.Series(
        np.concatenate([rng.normal(m, 0.25, 90) for m in levels]),
        index=pd.bdate_range("2001-01-01", periods=90 * len(levels)),
    )
    rules = RegimeConfig(method="hmm", hmm_states=3, hmm_min_train_days=300, min_days=15)
    regime = hmm_classify(composite, rules).dropna()
    assert set(regime) == {"abundant", "neutral", "scarce"}
    runs = regime.ne(regime.shift()).cumsum()
    lengths = regime.groupby(runs).size()
    assert lengths.iloc[1:-1].min() >= 15  # every inner spell held at least min_days


def test_hmm_config_is_validated(write_config):
    from rotation.errors import ConfigError
    from rotation.validate import load_config
    from tests.helpers import base_config

    with pytest.raises(ConfigError, match="hmm_states: must be 2 or 3"):
        load_config(write_config(base_config(regime={"method": "hmm", "hmm_states": 4})))
    with pytest.raises(ConfigError, match="regime.method: must be one of"):
        load_config(write_config(base_config(regime={"method": "markov"})))


def test_threshold_regime_is_unchanged_by_the_new_keys():
    from rotation.regime import classify

    composite = _two_regimes(seed=4).iloc[:400]
    rules = RegimeConfig(min_days=5)
    assert rules.method == "thresholds"
    hmm = dataclasses.replace(rules, hmm_states=2)  # HMM keys ignored by thresholds
    pd.testing.assert_series_equal(classify(composite, rules), classify(composite, hmm))


@pytest.fixture(scope="module")
def signals_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    result = CliRunner().invoke(
        signals, [str(CONFIGS / "capital_scarcity.yaml"), "--diagnose", "--results", str(results)]
    )
    return result, results


def test_signals_command_prints_the_current_regime_and_writes_files(signals_run):
    result, results = signals_run
    assert result.exit_code == 0, result.output
    assert result.output.startswith("regime on ")
    assert "since" in result.output and "composite:" in result.output
    assert "cost_of_capital" in result.output and "cross-check" in result.output
    (folder,) = results.iterdir()
    assert folder.name.startswith("capital_scarcity-signals-")
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "signals.csv",
        "chart.png",
        "chart.html",
        "states.csv",
        "forward_returns.csv",
    }
    history = pd.read_csv(folder / "signals.csv", index_col="date", parse_dates=True)
    assert {"composite", "regime", "regime_changed", "conditions"} <= set(history.columns)
    assert history["regime"].dropna().isin(["abundant", "neutral", "scarce"]).all()
    html = (folder / "chart.html").read_text()
    assert '<script src="http' not in html  # plotly.js is inline: the chart works offline
    assert 'id="plotly-gzip"' in html and "chart-signals" in html
    assert (folder / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_signals_history_matches_the_backtest_regime(signals_run):
    from rotation.pipeline import prepare
    from rotation.validate import load_config

    _, results = signals_run
    (folder,) = results.iterdir()
    history = pd.read_csv(folder / "signals.csv", index_col="date", parse_dates=True)
    config = load_config(CONFIGS / "capital_scarcity.yaml")
    prepared = prepare(config)
    sig, regime = prepared.signals, prepared.regime
    regime = regime.loc[history.index]
    assert (history["regime"].fillna("-") == regime.fillna("-")).all()
    np.testing.assert_allclose(history["composite"], sig["composite"].loc[history.index])


def test_signals_command_never_overwrites(tmp_path):
    runner = CliRunner()
    args = [str(CONFIGS / "sixty_forty.yaml"), "--results", str(tmp_path)]
    first = runner.invoke(signals, args)
    second = runner.invoke(signals, args)
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert len(list(tmp_path.iterdir())) == 2
