"""The strategy steps (``rotation.strategy``) on tiny hand-checked frames (synthetic, labeled),
checked against readable per-date pandas definitions on the bundled data, and every shipped
strategy's one ``target_weights`` giving a variant the same rows alone or in a batch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rotation import strategy as steps
from rotation.errors import ConfigError
from rotation.pipeline import Stages, load_inputs, prepare
from rotation.regime import STATES
from rotation.strategy import Batch, VolTarget, Within
from rotation.sweep import with_overrides
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config


def _prices(columns: dict, start="2024-01-01") -> pd.DataFrame:
    frame = pd.DataFrame(columns, dtype="float64")
    frame.index = pd.bdate_range(start, periods=len(frame), name="date")
    return frame


def _batch(prices, universe=None, rows=None, regime=None, composite=None) -> Batch:
    rows = np.arange(len(prices)) if rows is None else np.asarray(rows)
    return Batch(
        prices=prices,
        universe=universe or {"all": tuple(prices.columns)},
        rows=rows,
        decide=np.ones((1, len(rows)), dtype=bool),
        regime=np.full((1, len(rows)), -1) if regime is None else np.asarray([regime]),
        composite=np.full((1, len(rows)), np.nan) if composite is None else np.array([composite]),
    )


def test_cap_redistributes_the_excess_pro_rata():
    got = steps.cap(np.array([0.6, 0.3, 0.1]), 0.4)
    # a capped at 0.4; 0.2 goes to b and c by 3:1 -> b 0.45 > 0.4 capped, 0.05 more to c
    np.testing.assert_allclose(got, [0.4, 0.4, 0.2])
    assert steps.cap(np.array([0.5, 0.5]), 0.3).sum() == pytest.approx(0.6)
    np.testing.assert_array_equal(steps.cap(np.array([0.6, 0.4]), 1.0), [0.6, 0.4])


def test_listed_and_rising_select_members_with_enough_history():
    prices = _prices({"up": [1, 2, 3, 4], "down": [4, 3, 2, 1], "young": [np.nan] * 3 + [5.0]})
    panel = steps.Panel(prices)
    cols = panel.columns_of(["up", "down", "young"])
    assert panel.listed(np.array([3]), cols, min_days=2).tolist() == [[True, True, False]]
    assert panel.rising(np.array([3]), cols, 3).tolist() == [[True, False, False]]
    assert panel.rising(np.array([1]), cols, 3).tolist() == [[False, False, False]]  # too short


def test_by_state_and_tilted_give_sleeve_weights():
    by_state = {"scarce": {"cash_flow": 1.0}, "neutral": {"cash": 1.0}, "abundant": {"spec": 1.0}}
    codes = np.array([STATES.index("scarce"), -1])  # -1: warm-up takes the neutral mapping
    got = steps.by_state(codes, by_state, "neutral")
    assert dict(zip(got.sleeves, got.weights[0], strict=True))["cash_flow"] == 1.0
    assert dict(zip(got.sleeves, got.weights[1], strict=True))["cash"] == 1.0
    base, sens = {"spec": 0.4, "cf": 0.4}, {"spec": -0.2, "cf": 0.2}
    tilted = steps.tilted(np.array([1.0, 5.0, np.nan]), base, sens, clip=2.0)
    assert tilted.sleeves == ("spec", "cf")
    np.testing.assert_allclose(tilted.weights, [[0.2, 0.6], [0.0, 0.8], [0.4, 0.4]])
    scaled = steps.tilted(np.array([2.0]), {"a": 0.9, "b": 0.1}, {"b": 0.5})
    assert scaled.weights.sum() == pytest.approx(1.0)  # sums above 1 are scaled to 1


def test_allocate_keeps_the_cash_sleeve_in_cash_and_spills_to_the_fallback():
    prices = _prices({"MU": [1.0, 1.0, 1.0], "SNOW": [np.nan] * 3, "BIL": [1.0, 1.0, 1.0]})
    batch = _batch(prices, {"cf": ("MU",), "spec": ("SNOW",), "def": ("BIL",)}, rows=[2])
    inner = steps.sleeve_members(batch, Within(weigh="equal", min_days=1))
    cash = steps.SleeveWeights(("cf", "cash"), np.array([[0.5, 0.5]]))
    assert steps.allocate(batch, inner, cash, fallback="def").tolist() == [[0.5, 0.0, 0.0]]
    spec = steps.SleeveWeights(("spec", "cf"), np.array([[0.6, 0.4]]))  # SNOW not listed
    assert steps.allocate(batch, inner, spec, fallback="def").tolist() == [[0.4, 0.0, 0.6]]
    assert steps.allocate(batch, inner, spec, fallback=None).tolist() == [[0.4, 0.0, 0.0]]


def test_vol_target_scales_down_to_the_target_and_never_levers():
    rng = np.random.default_rng(0)  # synthetic returns, 2 % daily vol ~ 32 % a year
    returns = rng.normal(0, 0.02, (300, 2))
    prices = _prices(
        {"a": 100 * np.cumprod(1 + returns[:, 0]), "b": 50 * np.cumprod(1 + returns[:, 1])}
    )
    batch = _batch(prices, rows=[len(prices) - 1])
    row = np.array([[0.5, 0.5]])
    scaled = steps.vol_target(batch, row, VolTarget(annual=0.10, lookback=250))
    window = prices.iloc[-251:].pct_change().iloc[1:]
    sigma = np.sqrt(row[0] @ window.cov().to_numpy() @ row[0] * 252)
    assert scaled.sum() == pytest.approx(0.10 / sigma)
    assert steps.vol_target(batch, row, VolTarget(annual=2.0, lookback=250)).tolist() == [
        [0.5, 0.5]
    ]


def test_drift_bands_skip_small_drifts_and_trade_large_ones():
    # synthetic: a doubles while b is flat between the first and the third decision
    prices = _prices({"a": [1.0, 1.05, 2.0, 2.0], "b": [1.0, 1.0, 1.0, 1.0]})
    batch = _batch(prices)
    decide = np.ones(4, dtype=bool)
    targets = np.array([[0.5, 0.5]] * 3 + [[np.nan, np.nan]])
    # row 1: a drifted to 0.512, inside a 5-point band -> no trade; row 2: 2/3, outside -> trade
    got = steps.drift_bands(batch, targets, decide, band=0.05)
    assert got[0].tolist() == [0.5, 0.5] and np.isnan(got[1]).all()
    assert got[2].tolist() == [0.5, 0.5] and np.isnan(got[3]).all()
    # cash counts: 50 % in a, 50 % cash; a doubles -> 2/3 of the portfolio
    half = np.array([[0.5, 0.0], [np.nan, np.nan], [0.5, 0.0], [np.nan, np.nan]])
    assert steps.drift_bands(batch, half, decide, band=0.15)[2].tolist() == [0.5, 0.0]
    assert np.isnan(steps.drift_bands(batch, half, decide, band=0.2)[2]).all()
    np.testing.assert_array_equal(steps.drift_bands(batch, targets, decide, 0.0), targets)
    # rows a variant does not decide on are not its trades
    skip = np.array([True, False, True, True])
    assert steps.drift_bands(batch, targets, skip, band=0.05)[2].tolist() == [0.5, 0.5]


# --- the steps against readable per-date definitions (bundled data) ------------------------


def _reference_members(prices: pd.DataFrame, date, symbols, within: Within) -> pd.Series:
    """Select, weigh and cap one sleeve on one date, written plainly with pandas."""
    history = prices.loc[:date, list(symbols)]
    chosen = [s for s in symbols if pd.notna(history[s].iloc[-1])
              and history[s].notna().sum() >= within.min_days]  # fmt: skip
    if within.momentum_days:
        back = (
            prices.loc[:date].iloc[-(within.momentum_days + 1)]
            if len(history) > within.momentum_days
            else None
        )
        chosen = [s for s in chosen if back is not None and history[s].iloc[-1] / back[s] - 1 > 0]
    if not chosen:
        return pd.Series(dtype="float64")
    if within.weigh == "equal":
        weights = pd.Series(1.0 / len(chosen), index=chosen)
    else:
        returns = prices.loc[:date, chosen].iloc[-(within.lookback + 1) :].pct_change().iloc[1:]
        vol = returns.std().where(returns.count() >= max(2, within.lookback // 2))
        inv = 1.0 / vol.replace(0.0, np.nan)
        inv = pd.Series(1.0, index=chosen) if inv.isna().all() else inv.fillna(inv.median())
        weights = inv / inv.sum()
    if within.max_weight is not None:
        limit = max(within.max_weight, 1.0 / len(weights))
        weights = pd.Series(steps.cap(weights.to_numpy(), limit), index=weights.index)
    return weights


@pytest.fixture(scope="module")
def bundled():
    config = load_config(CONFIGS / "regime_switch.yaml")
    prepared = prepare(config)
    dates = prepared.calendar[(prepared.calendar >= "2019-01-01")]
    dates = steps.schedule(dates[dates <= "2024-12-31"], "monthly")
    return config, prepared, dates


@pytest.mark.parametrize(
    "within",
    [
        Within(),
        Within(weigh="equal", max_weight=0.4, momentum_days=126),
        Within(lookback=21, max_weight=0.3),
    ],
)
def test_sleeve_members_equal_the_readable_definition(bundled, within):
    config, prepared, dates = bundled
    rows = prepared.calendar.get_indexer(dates)
    batch = _batch(prepared.prices, config.universe, rows=rows)
    inner = steps.sleeve_members(batch, within)
    for r, date in enumerate(dates[::5]):
        r = 5 * r
        for s, symbols in enumerate(config.universe.values()):
            expected = _reference_members(prepared.prices, date, symbols, within)
            got = pd.Series(inner[r, s], index=prepared.prices.columns)
            got, expected = got[got > 0], expected[expected > 0]
            assert set(got.index) == set(expected.index), (date, symbols)
            if got.empty:
                continue
            pd.testing.assert_series_equal(
                got.sort_index(), expected.sort_index(),
                rtol=1e-12, check_names=False,
            )  # fmt: skip


def test_regime_switch_holds_one_sleeve_per_state():
    config = load_config(CONFIGS / "regime_switch.yaml")
    prepared = prepare(config)
    decided = prepared.targets.dropna(how="all")
    sleeve_of = config.sleeve_of
    for date, row in decided.iloc[::7].iterrows():
        held = {sleeve_of[s] for s, w in row.items() if w > 0}
        expected = {"scarce": "cash_flow", "neutral": "defensive", "abundant": "speculative"}
        assert held == {expected[prepared.regime.loc[date]]}, date
        assert row.sum() == pytest.approx(1.0)
        n = int((row > 0).sum())
        assert row.max() <= max(0.5, 1 / n) + 1e-12  # max_weight, never below 1/n


def test_regime_tilt_weights_follow_the_composite():
    config = load_config(CONFIGS / "regime_tilt.yaml")
    prepared = prepare(config)
    decided = prepared.targets.dropna(how="all")
    cash_flow = decided[list(config.universe["cash_flow"])].sum(axis=1)
    speculative = decided[list(config.universe["speculative"])].sum(axis=1)
    tilt = (cash_flow - speculative).corr(prepared.signals["composite"].reindex(decided.index))
    assert tilt > 0.9  # more cash flow the scarcer (drift bands skip some decisions)
    assert len(decided) < len(steps.schedule(decided.index, "monthly")) + 200


# --- one form: a variant alone equals the same variant in a batch ---------------------------

RANDOM_GRIDS = {
    "capital_scarcity": {
        "strategy.params.vol_lookback": [5, 21, 63, 126],
        "strategy.params.within_sleeve": ["equal", "inverse_vol"],
        "strategy.params.allocations.scarce.cash_flow": [0.2, 0.7],
        "regime.scarce_enter": [0.3, 0.8],
        "rebalance.every": ["weekly", "monthly"],
    },
    "regime_switch": {
        "strategy.params.within.lookback": [10, 63],
        "strategy.params.within.max_weight": [0.3, 1.0],
        "strategy.params.within.momentum_days": [0, 63],
        "strategy.params.drift_band": [0.0, 0.05],
        "regime.scarce_enter": [0.3, 0.8],
    },
    "regime_tilt_vol_target": {
        "strategy.params.clip": [0.5, 2.0],
        "strategy.params.within.weigh": ["equal", "inverse_vol"],
        "strategy.params.vol_target.annual": [0.1, 0.3],
        "strategy.params.drift_band": [0.0, 0.03],
        "signal.change_days": [21, 63],
    },
    "equal_weight": {"rebalance.every": ["weekly", "quarterly"], "regime.min_days": [1, 20]},
    "sixty_forty": {
        "strategy.params.weights.SPY": [0.3, 0.6],
        "strategy.params.weights.IEF": [0.2, 0.4],
        "rebalance.every": ["monthly", "quarterly"],
    },
}


@pytest.mark.parametrize("name", sorted(RANDOM_GRIDS))
def test_each_variant_alone_equals_its_row_in_a_batch(name):
    """Every shipped strategy: random variants, one batch call, against one call per variant.
    (The configs cover all five strategy files.)"""
    config = load_config(CONFIGS / f"{name}.yaml")
    grid = RANDOM_GRIDS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    variants = [
        with_overrides(config, {k: values[rng.integers(len(values))] for k, values in grid.items()})
        for _ in range(6)
    ]
    inputs = load_inputs(config)
    rows, together = Stages(inputs).targets(variants)
    for v, variant in enumerate(variants):
        alone = prepare(variant, inputs).targets
        at = alone.iloc[rows]
        decided = ~np.isnan(together[v]).all(axis=1) | at.notna().any(axis=1).to_numpy()
        np.testing.assert_array_equal(together[v][decided], at.to_numpy()[decided])
        assert alone.notna().any(axis=1).sum() == int(decided.sum()), dataclasses.astuple(
            variant.rebalance
        )


def test_sleeve_strategy_params_are_validated(write_config):
    bad = base_config(
        strategy={"name": "regime_switch", "params": {"sleeves": {"scarce": "cashflow"}}}
    )
    with pytest.raises(ConfigError, match="sleeves: missing state"):
        load_config(write_config(bad))
    sleeves = {"scarce": "cashflow", "neutral": "cash", "abundant": "speculative"}
    bad = base_config(strategy={"name": "regime_switch", "params": {"sleeves": sleeves}})
    with pytest.raises(ConfigError, match=r"sleeves.scarce.cashflow: no such sleeve.*cash_flow"):
        load_config(write_config(bad))
    bad = base_config(strategy={"name": "regime_tilt", "params": {"within": {"max_weight": 2}}})
    with pytest.raises(
        ConfigError, match=r"strategy.params.within.max_weight: must be in \(0, 1\]"
    ):
        load_config(write_config(bad))
    bad = base_config(strategy={"name": "regime_tilt", "params": {"vol_target": {"anual": 0.1}}})
    with pytest.raises(ConfigError, match="did you mean 'annual'"):
        load_config(write_config(bad))


def test_the_code_that_runs_is_the_code_that_was_hashed(tmp_path):
    """A strategy is compiled from the bytes ``load_strategy`` read and hashed, never from a
    second read of the file or a stale bytecode cache (synthetic strategy file)."""
    import hashlib

    from rotation.strategy import _load_module, load_strategy

    path = tmp_path / "tiny.py"
    text = (
        '"""Synthetic."""\nimport dataclasses\n\n\n@dataclasses.dataclass\nclass Params:\n'
        "    pass\n\n\ndef target_weights(batch, params):\n    return MARK\n\n\nMARK = {}\n"
    )
    path.write_text(text.format(1))
    loaded = load_strategy("tiny", tmp_path)
    assert loaded.source_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    # bytes that differ from the file on disk: the module is what the bytes say
    module = _load_module(path, text.format(2).encode())
    assert module.MARK == 2 and module.target_weights(None, None) == 2
    assert not list(tmp_path.rglob("*.pyc"))  # no bytecode cache written or read
