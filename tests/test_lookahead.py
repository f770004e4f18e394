"""The look-ahead checker (``rotation.lookahead``): passes honest configs, catches leaks.

Leaks are planted on purpose: a strategy file that reads tomorrow's return (``shift(-1)``) in a
temporary strategies folder, and a signal normalization monkeypatched to a centered window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation import signals as sig
from rotation.cli.check import check
from rotation.lookahead import check_lookahead, perturb_after
from rotation.pipeline import load_inputs
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config

LEAKY_STRATEGY = '''"""Leaky on purpose: weighs cash-flow names by tomorrow's return."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Params:
    sleeve: str = "cash_flow"


def target_weights(batch, params):
    panel = batch.panel
    tomorrow = batch.prices.pct_change(fill_method=None).shift(-1).to_numpy()  # the leak
    out = np.zeros((len(params), len(batch.rows), len(panel.columns)))
    for v, p in enumerate(params):
        cols = panel.columns_of(batch.universe[p.sleeve])
        listed = panel.listed(batch.rows, cols)
        score = np.where(listed, np.exp(10 * np.nan_to_num(tomorrow[batch.rows][:, cols])), 0.0)
        total = score.sum(axis=1, keepdims=True)
        out[v][:, cols] = np.divide(score, total, out=np.zeros_like(score), where=total > 0)
    return out
'''

WINDOW = {"start": "2021-01-01", "end": "2023-12-29"}


@pytest.fixture(scope="module")
def honest():
    from tests.helpers import STRATEGIES

    raw = {"strategies_dir": str(STRATEGIES), **base_config(**WINDOW)}
    from rotation.config import parse_config

    config = parse_config(raw, name="honest")
    return config, load_inputs(config)


def test_perturbation_respects_publication_dates(honest):
    _, inputs = honest
    t = pd.Timestamp("2022-06-15")
    changed = perturb_after(inputs, t, np.random.default_rng(0))
    for symbol, close in inputs.closes.items():
        after = close.index > t
        assert changed.closes[symbol][~after].equals(close[~after])
        assert (changed.closes[symbol][after] != close[after]).all()
    pnfi = inputs.macro["PNFI"]  # published ~120 days after its date
    unknown = pnfi.index + pd.Timedelta(days=120) > t
    assert changed.macro["PNFI"][~unknown].equals(pnfi[~unknown])
    assert (changed.macro["PNFI"][unknown] != pnfi[unknown]).all()
    assert pnfi.index[unknown][0] < t  # dated before t but not yet public: perturbed too
    late = inputs.capex["known_from"] > t
    assert changed.capex.loc[~late].equals(inputs.capex.loc[~late])
    assert (changed.capex.loc[late, "capex_usd"] != inputs.capex.loc[late, "capex_usd"]).all()


def test_an_honest_config_passes(honest):
    config, inputs = honest
    report = check_lookahead(config, inputs, samples=3, seed=1)
    assert report.passed, report.summary()
    assert len(report.dates) == 3
    assert report.reached == 3  # the perturbation did change the future each time
    assert report.summary().startswith("PASS honest: 3 dates")


def test_a_leaky_strategy_file_is_caught_and_named(tmp_path, honest):
    _, inputs = honest
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "peeks_ahead.py").write_text(LEAKY_STRATEGY)
    from rotation.config import parse_config

    raw = base_config(strategy={"name": "peeks_ahead"}, strategies_dir=str(folder), **WINDOW)
    config = parse_config(raw, name="leaky")
    report = check_lookahead(config, inputs, samples=4, seed=1)
    assert not report.passed
    first = report.offences[0]
    assert first.part == "targets" and first.column in config.universe["cash_flow"]
    assert first.first_changed == first.date  # the decision on t used t+1
    assert first.culprits == (f"closes:{first.column}",) or set(first.culprits) <= {
        f"closes:{s}" for s in config.universe["cash_flow"]
    }
    assert "FAIL leaky" in report.summary() and "targets[" in report.summary()


def test_a_centered_signal_window_is_caught(honest, monkeypatch):
    config, inputs = honest

    def centered_zscore(series, *, method="expanding", window=756, min_periods=252):
        values = series.dropna()
        stats = values.rolling(21, center=True, min_periods=5)  # uses 10 days ahead: a leak
        return ((values - stats.mean()) / stats.std()).reindex(series.index)

    monkeypatch.setattr(sig, "zscore", centered_zscore)
    report = check_lookahead(config, inputs, samples=2, seed=3, blame=False)
    assert not report.passed
    first = report.offences[0]
    assert first.part == "signals"
    assert first.column in {"cost_of_capital", "credit", "liquidity", "capex", "composite"}
    assert first.first_changed <= first.date


def test_cli_passes_a_shipped_config_and_fails_a_leaky_one(tmp_path, write_config):
    runner = CliRunner()
    ok = runner.invoke(check, ["lookahead", str(CONFIGS / "sixty_forty.yaml"), "--samples", "2"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("PASS sixty_forty: 2 dates")
    folder = tmp_path / "leaky_strategies"
    folder.mkdir()
    (folder / "peeks_ahead.py").write_text(LEAKY_STRATEGY)
    path = write_config(
        base_config(strategy={"name": "peeks_ahead"}, strategies_dir=str(folder), **WINDOW),
        "leaky",
    )
    bad = runner.invoke(check, ["lookahead", str(path), "--samples", "2", "--seed", "1"])
    assert bad.exit_code == 1
    assert "FAIL leaky" in bad.output and "first offence: targets[" in bad.output


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_passes(path):
    """One cut-off (a decision date) per shipped config here, to keep the suite fast;
    `rotation check lookahead configs/*.yaml` runs eight per config."""
    report = check_lookahead(load_config(path), samples=1, seed=7, blame=False)
    assert report.passed, report.summary()
    assert report.reached == 1
