"""No look-ahead: changing every input observed after date t changes nothing up to t.

Runs on the real bundled inputs of a small config. For a date t drawn by hypothesis, every
close, macro value and capex quarter observed after t is replaced by garbage; the signals,
regime, target weights and the simulated equity up to t must be identical, bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rotation.backtest import run_backtest
from rotation.pipeline import Inputs, load_inputs, prepare
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    import yaml

    from tests.helpers import STRATEGIES

    path = tmp_path_factory.mktemp("cfg") / "lookahead.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(start="2021-01-01", end="2024-06-28")}
    path.write_text(yaml.safe_dump(raw))
    config = load_config(path)
    return config, load_inputs(config)


def perturb_after(inputs: Inputs, t: pd.Timestamp, seed: int) -> Inputs:
    """Replace every input observed after ``t`` (capex: known after ``t``) with other values."""
    rng = np.random.default_rng(seed)

    def garble(series: pd.Series) -> pd.Series:
        out = series.copy()
        late = out.index > t
        out[late] = out[late] * rng.uniform(0.2, 5.0, late.sum())
        return out

    capex = inputs.capex.copy()
    late = capex["known_from"] > t
    capex.loc[late, "capex_usd"] = capex.loc[late, "capex_usd"] * rng.uniform(0.1, 10, late.sum())
    return dataclasses.replace(
        inputs,
        closes={k: garble(v) for k, v in inputs.closes.items()},
        macro={k: garble(v) for k, v in inputs.macro.items()},
        capex=capex,
    )


def _upto(frame, t):
    return frame.loc[:t]


def _stages(config, inputs):
    """Prices, signals, regime and targets of ``config`` on ``inputs``."""
    prepared = prepare(config, inputs)
    return prepared.prices, prepared.signals, prepared.regime, prepared.targets


@settings(
    max_examples=8,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # a failure reports its t; no slow shrink
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(day=st.integers(min_value=0, max_value=860), seed=st.integers(0, 2**16))
def test_future_inputs_do_not_change_the_past(case, day, seed):
    config, inputs = case
    calendar = pd.bdate_range("2021-01-04", "2024-06-28")
    t = calendar[min(day, len(calendar) - 1)]
    original = _stages(config, inputs)
    changed = _stages(config, perturb_after(inputs, t, seed))
    for before, after in zip(original, changed, strict=True):
        pd.testing.assert_frame_equal(
            _upto(pd.DataFrame(before), t), _upto(pd.DataFrame(after), t), check_exact=True
        )


def test_perturbation_does_change_the_future(case):
    """Guards the test above: the garbling reaches signals and weights after t."""
    config, inputs = case
    t = pd.Timestamp("2022-06-30")
    original = _stages(config, inputs)
    changed = _stages(config, perturb_after(inputs, t, 1))
    assert not original[1].loc["2022-07-01":].equals(changed[1].loc["2022-07-01":])
    assert not original[3].loc["2022-07-01":].equals(changed[3].loc["2022-07-01":])


def test_equity_up_to_t_ignores_prices_after_t(case):
    config, inputs = case
    t = pd.Timestamp("2023-03-15")
    a = run_backtest(config, inputs).simulation.value
    b = run_backtest(config, perturb_after(inputs, t, 7)).simulation.value
    pd.testing.assert_series_equal(a.loc[:t], b.loc[:t], check_exact=True)
    assert not a.loc[t:].iloc[2:].equals(b.loc[t:].iloc[2:])


def test_macro_value_counts_only_after_its_publication_lag(case):
    """DGS10 dated t is published at 4:15 pm on t + 1 business day, after that day's close:
    changing it cannot move the signal on t or t + 1, only from the close of t + 2."""
    config, inputs = case
    t = pd.Timestamp("2023-05-10")  # a Wednesday
    macro = dict(inputs.macro)
    dgs10 = macro["DGS10"].copy()
    dgs10.loc[t] = dgs10.loc[t] + 3.0
    macro["DGS10"] = dgs10
    original = prepare(config, inputs).signals["cost_of_capital"]
    bumped = prepare(config, dataclasses.replace(inputs, macro=macro)).signals["cost_of_capital"]
    assert original.loc[t] == bumped.loc[t]
    assert original.loc[t + pd.Timedelta(days=1)] == bumped.loc[t + pd.Timedelta(days=1)]
    assert original.loc[t + pd.Timedelta(days=2)] != bumped.loc[t + pd.Timedelta(days=2)]


def test_one_stages_serves_configs_with_different_universes():
    """What strategies keep between calls (the price panel, sleeve weights) belongs to one
    universe: a second universe on the same Stages gets its own, not the first one's."""
    from rotation.pipeline import Stages

    config = load_config(CONFIGS / "capital_scarcity.yaml")
    inputs = load_inputs(config)
    narrow = config.replace(
        universe={"speculative": ("IGV",), "cash_flow": ("MU", "WDC"), "defensive": ("BIL",)}
    )
    stages = Stages(inputs)
    wide_targets = stages.prepare(config).targets
    narrow_targets = stages.prepare(narrow).targets
    assert list(narrow_targets.columns) == ["IGV", "MU", "WDC", "BIL"]
    pd.testing.assert_frame_equal(narrow_targets, prepare(narrow, inputs).targets)
    pd.testing.assert_frame_equal(wide_targets, prepare(config, inputs).targets)
