"""The look-ahead checker (``rotation.lookahead``): what it cuts and perturbs, which dates it
covers, and that it passes honest configs (every shipped config with ``--all``).

Leaky strategies are in ``tests/test_lookahead_corpus.py``; the sandbox and the static scan have
their own test files.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation import signals as sig
from rotation.cli.check import check
from rotation.config import parse_config
from rotation.lookahead import (
    FUTURES,
    LAST_SHARE,
    SharedStages,
    adversarial_prices,
    check_lookahead,
    coverage,
    macro_signs,
    push_macro,
    truncate,
)
from rotation.pipeline import Stages, load_inputs
from rotation.signals import publication_rule
from rotation.validate import load_config
from tests.helpers import CONFIGS, STRATEGIES, base_config

WINDOW = {"start": "2021-01-01", "end": "2023-12-29"}


@pytest.fixture(scope="module")
def honest():
    raw = {"strategies_dir": str(STRATEGIES), **base_config(**WINDOW)}
    config = parse_config(raw, name="honest")
    return config, load_inputs(config)


def test_macro_pushes_respect_publication_dates(honest):
    _, inputs = honest
    t = pd.Timestamp("2022-06-15")
    changed = push_macro(inputs, t, {"PNFI": 1.0, "DGS10": -1.0, "capex": 1.0})
    pnfi = inputs.macro["PNFI"]  # published ~120 days after its date
    unknown = publication_rule("PNFI", None).known_dates(pnfi.index) > t
    assert changed.macro["PNFI"][~unknown].equals(pnfi[~unknown])
    assert (changed.macro["PNFI"][unknown] > pnfi[unknown]).all()
    assert pnfi.index[unknown][0] < t  # dated before t but not yet public: pushed too
    dgs10 = inputs.macro["DGS10"]
    assert (changed.macro["DGS10"][dgs10.index >= t] < dgs10[dgs10.index >= t]).all()
    assert changed.macro["BAA10Y"].equals(inputs.macro["BAA10Y"])  # no sign: not pushed
    late = inputs.capex["known_from"] > t
    assert changed.capex.loc[~late].equals(inputs.capex.loc[~late])
    got, was = changed.capex.loc[late, "capex_usd"], inputs.capex.loc[late, "capex_usd"]
    assert np.allclose(got, was * 10)


def test_macro_signs_point_to_scarcity(honest):
    config, inputs = honest
    signs = macro_signs(config, inputs, pd.Timestamp("2022-06-15"))
    assert signs["DGS10"] == 1.0  # yields up: capital scarcer (DESIGN.md)
    assert signs["BAA10Y"] == 1.0  # spreads wider: scarcer
    assert signs["RRPONTSYD"] == -1.0  # more idle cash parked at the Fed: abundant


def test_truncation_drops_exactly_what_was_not_known(honest):
    config, inputs = honest
    t = pd.Timestamp("2022-06-15")
    cut = truncate(inputs, t, config.signal)
    for symbol, close in inputs.closes.items():
        assert cut.closes[symbol].equals(close[close.index <= t])
    dgs10 = inputs.macro["DGS10"]  # H.15 posts a day's yield the next business day, 4:15 pm
    assert cut.macro["DGS10"].index[-1] == pd.Timestamp("2022-06-13")
    assert dgs10.index[dgs10.index <= t][-1] == t  # observed on t, not known until later
    pnfi = inputs.macro["PNFI"]
    known = publication_rule("PNFI", config.signal).known_dates(pnfi.index) <= t
    assert cut.macro["PNFI"].equals(pnfi[known])
    assert len(cut.macro["PNFI"]) < (pnfi.index <= t).sum()  # dated before t, not yet public
    assert (cut.capex["known_from"] <= t).all()
    assert len(cut.capex) == (inputs.capex["known_from"] <= t).sum()
    overridden = dataclasses.replace(config.signal, publication_lags={"PNFI": 0})
    lagged = truncate(inputs, t, overridden)  # the config's lag overrides the table's
    assert len(lagged.macro["PNFI"]) > len(cut.macro["PNFI"])


def test_coverage_takes_the_last_tenth_the_ends_and_strata():
    days = pd.bdate_range("2020-01-01", "2020-12-31")
    decisions = days[::5]
    cover = coverage(decisions, days, samples=4, seed=0)
    tail_from = days[int(len(days) * (1 - LAST_SHARE))]
    assert set(decisions[decisions >= tail_from]) <= set(cover.dates)
    assert cover.first == decisions[0] and cover.last == decisions[-1]
    assert {cover.first, cover.last} <= set(cover.dates)
    assert len(cover.stratified) == 4
    assert set(cover.stratified) <= set(decisions)
    assert cover.pipeline[0] == decisions[0] and cover.pipeline[-1] == decisions[-1]
    every = coverage(decisions, days, samples=4, seed=0, every=True)
    assert every.dates == tuple(decisions) and every.full == cover.full
    other_seed = coverage(decisions, days, samples=4, seed=1)
    assert other_seed.pipeline == cover.pipeline  # fixed days: configs share pipeline reruns


@pytest.mark.parametrize("kind", [k for k in FUTURES if not k.startswith("regime_")])
def test_adversarial_futures_keep_the_past_and_change_the_future(kind):
    days = pd.bdate_range("2020-01-01", periods=40)
    rng = np.random.default_rng(3)
    prices = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.02, (40, 4)), axis=0)) * [10, 20, 30, 40],
        index=days,
        columns=["A", "B", "C", "D"],
    )
    prices.iloc[:25, 3] = np.nan  # D lists after the cut
    universe = {"one": ("A", "B"), "two": ("C", "D")}
    k = 19
    changed = adversarial_prices(kind, prices, k, universe, np.random.default_rng(0))
    assert changed.iloc[: k + 1].equals(prices.iloc[: k + 1])
    assert changed.iloc[k + 1 :].isna().equals(prices.iloc[k + 1 :].isna())
    moved = ~np.isclose(changed.iloc[k + 1 :, :3], prices.iloc[k + 1 :, :3])
    assert moved.any(axis=0).all(), f"{kind} left a listed asset's future as it was"


def test_an_honest_config_passes_and_says_what_it_covered(honest):
    config, inputs = honest
    report = check_lookahead(config, inputs, samples=3, seed=1)
    assert report.passed, report.summary()
    assert report.regime_pushed > 0  # the macro pushes did cross a regime threshold
    text = report.summary()
    assert text.startswith(f"PASS honest: {len(report.dates)} cut-offs")
    for word in ("last 10% of the window", "first", "3 stratified", "truncation", "mirror"):
        assert word in text
    assert all(str(t.date()) in text for t in report.dates)


def test_a_centred_signal_window_is_caught_by_pipeline_reruns(honest, monkeypatch):
    config, inputs = honest

    def centred_zscore(series, *, method="expanding", window=756, min_periods=252):
        values = series.dropna()
        stats = values.rolling(21, center=True, min_periods=5)  # uses 10 days ahead: a leak
        return ((values - stats.mean()) / stats.std()).reindex(series.index)

    monkeypatch.setattr(sig, "zscore", centred_zscore)
    report = check_lookahead(config, inputs, samples=1, seed=3)
    assert not report.passed
    pipeline = [o for o in report.offences if o.rerun == "pipeline"]
    assert {o.future for o in pipeline} >= {"truncation", "macro_scarce"}
    first = pipeline[0]
    assert first.part == "signals" and first.first_changed <= first.date
    assert first.column in {"cost_of_capital", "credit", "liquidity", "capex", "composite"}


def test_pipeline_reruns_are_shared_between_configs_with_one_signal_block(honest):
    config, inputs = honest
    shared = SharedStages()
    one = check_lookahead(config, inputs, samples=1, shared=shared)
    computed = len(shared.values)
    assert computed > 0
    other = parse_config(
        {"strategies_dir": str(STRATEGIES), **base_config(strategy="equal_weight", **WINDOW)},
        name="other",
    )
    two = check_lookahead(other, load_inputs(other), samples=1, shared=shared)
    assert len(shared.values) == computed  # every signal and regime of its reruns was shared
    assert one.passed and two.passed
    assert one.coverage.pipeline == two.coverage.pipeline


def test_the_cut_run_keeps_the_full_runs_window_start(honest):
    config, inputs = honest
    full = Stages(inputs).prepare(config)
    report = check_lookahead(config, inputs, dates=[full.decisions[0], full.decisions[3]])
    assert report.passed, report.summary()
    assert report.dates == (full.decisions[0], full.decisions[3])


def test_cli_help_names_the_layers_and_options():
    text = CliRunner().invoke(check, ["lookahead", "--help"]).output
    for word in ("--all", "--samples", "--seed", "truncation", "adversarial", "sandboxed"):
        assert word in text


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_config_passes_at_every_decision_date(path, shipped_shared):
    """``rotation check lookahead --all`` on each shipped config (shared pipeline reruns, as
    the CLI shares them between the configs it is given)."""
    config = load_config(path)
    report = check_lookahead(config, every=True, shared=shipped_shared)
    assert report.passed, report.summary()
    assert report.coverage.dates == tuple(Stages(load_inputs(config)).decisions(config))
    assert not report.violations and not report.warnings


@pytest.fixture(scope="module")
def shipped_shared():
    return SharedStages()


@pytest.fixture(scope="module")
def funded():
    path = CONFIGS / "capital_scarcity_funding.yaml"
    config = load_config(path).replace(start=pd.Timestamp("2021-01-04").date())
    return config, load_inputs(config)


def test_funding_items_are_cut_and_pushed_by_their_known_close(funded):
    config, inputs = funded
    t = pd.Timestamp("2024-05-01")
    assert len(inputs.funding) and (inputs.funding["known_from"] > t).any()
    cut = truncate(inputs, t, config.signal)
    assert len(cut.funding) == int((inputs.funding["known_from"] <= t).sum())
    assert (cut.funding["known_from"] <= t).all()
    pushed = push_macro(inputs, t, {"funding": 1.0})
    late = (inputs.funding["known_from"] > t).to_numpy()
    ocf = (inputs.funding["item"] == "operating_cash_flow").to_numpy()
    assert pushed.funding.loc[~late].equals(inputs.funding.loc[~late])
    got = pushed.funding.loc[late & ocf, "value_usd"]
    assert np.allclose(got, inputs.funding.loc[late & ocf, "value_usd"] / 10)
    # a pushed funding future makes the composite scarcer: the checker measures it
    assert macro_signs(config, inputs, t)["funding"] == 1.0
    # the funding score up to t is the same with and without what was not yet known
    full = Stages(inputs).signals(config)["funding"]
    known = Stages(cut).signals(config)["funding"]
    pd.testing.assert_series_equal(full.loc[:t], known.loc[:t])
    assert full.loc[:t].notna().sum() > 300
