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


# --- the component library and normalizations (issue 4) -------------------------------------


def test_percentile_score_is_the_normal_quantile_of_the_rank():
    from statistics import NormalDist

    x = _series([5, 1, 3, 2, 4])  # synthetic
    got = sig.percentile_score(x, window=3, min_periods=3)
    assert got.iloc[:2].isna().all()
    # day 3: window 5,1,3 -> 3 ranks 2nd of 3 -> p = (2 - 0.5) / 3 = 0.5 -> 0
    assert got.iloc[2] == pytest.approx(0.0)
    # day 4: window 1,3,2 -> 2 ranks 2nd -> 0; day 5: window 3,2,4 -> 4 ranks 3rd -> p = 5/6
    assert got.iloc[3] == pytest.approx(0.0)
    assert got.iloc[4] == pytest.approx(NormalDist().inv_cdf(2.5 / 3))


def test_standardize_dispatches_and_rejects_unknown_methods():
    x = _series(np.arange(30.0) ** 1.5)  # synthetic
    pd.testing.assert_series_equal(
        sig.standardize(x, method="rolling", window=10, min_periods=5),
        sig.zscore(x, method="rolling", window=10, min_periods=5),
    )
    assert sig.standardize(x, method="percentile", window=10, min_periods=5).iloc[-1] > 1.5
    with pytest.raises(ValueError, match="unknown normalization"):
        sig.standardize(x, method="median")


def test_curve_score_is_positive_when_the_curve_flattens_and_inverts():
    slope = _series(np.r_[np.full(20, 1.5), np.linspace(1.5, -0.5, 20)])  # synthetic
    score = sig.curve_score(slope, change_days=5, method="expanding", min_periods=5)
    assert score.iloc[-1] > 1.0  # low and falling slope -> scarce


def test_liquidity_drain_adds_the_reverse_repo_change():
    rrp = _series(np.r_[np.full(20, 2000.0), np.linspace(2000, 200, 20)])  # synthetic drain
    kwargs = {"change_days": 5, "method": "expanding", "min_periods": 5}
    level_only = sig.liquidity_score(rrp, None, **kwargs)
    with_drain = sig.liquidity_score(rrp, None, drain=True, **kwargs)
    drain_part = -sig.zscore(sig.change(rrp, 5), method="expanding", min_periods=5)
    expected = pd.concat([level_only, drain_part], axis=1).mean(axis=1)
    pd.testing.assert_series_equal(with_drain, expected)
    assert with_drain.iloc[-1] > 0


def test_capex_acceleration_scores_growth_and_its_change():
    growth = _series(np.r_[np.full(10, 0.1), np.linspace(0.1, 0.6, 10)])  # synthetic
    kwargs = {"method": "expanding", "min_periods": 5}
    plain = sig.capex_score(growth, **kwargs)
    accelerating = sig.capex_score(growth, acceleration_days=3, **kwargs)
    pd.testing.assert_series_equal(plain, sig.zscore(growth, **kwargs))
    change = sig.zscore(sig.change(growth, 3), **kwargs)
    assert accelerating.iloc[-1] == pytest.approx((plain.iloc[-1] + change.iloc[-1]) / 2)


def test_zero_weight_component_is_shown_but_not_in_the_composite(write_config):
    from rotation.data.align import trading_calendar
    from rotation.pipeline import load_inputs
    from rotation.signals import build_signals, macro_series
    from rotation.validate import load_config
    from tests.helpers import base_config

    plain = load_config(write_config(base_config(), "plain"))
    weights = {"cost_of_capital": 1, "credit": 1, "liquidity": 1, "capex": 1, "conditions": 0}
    crossed = load_config(write_config(base_config(signal={"weights": weights}), "crossed"))
    assert "NFCI" in macro_series(crossed.signal) and "NFCI" not in macro_series(plain.signal)
    inputs = load_inputs(crossed)
    calendar = trading_calendar(inputs.closes)
    a = build_signals(inputs.macro, inputs.capex, plain.signal, calendar)
    b = build_signals(inputs.macro, inputs.capex, crossed.signal, calendar)
    assert list(b.columns) == [*a.columns[:-1], "conditions", "composite"]
    assert b["conditions"].loc["2020"].notna().all()
    pd.testing.assert_series_equal(a["composite"], b["composite"], check_exact=True)


def test_opt_in_components_enter_the_composite(write_config):
    from rotation.data.align import trading_calendar
    from rotation.pipeline import load_inputs
    from rotation.signals import build_signals, macro_series
    from rotation.validate import load_config
    from tests.helpers import base_config

    weights = {"real_yield": 1.0, "curve": 1.0, "high_yield": 1.0}
    signal = {"weights": weights, "curve_series": "T10Y3M", "normalization": "percentile"}
    config = load_config(write_config(base_config(signal=signal)))
    assert set(macro_series(config.signal)) >= {"DFII10", "T10Y3M", "BAMLH0A0HYM2"}
    inputs = load_inputs(config)
    calendar = trading_calendar(inputs.closes)
    s = build_signals(inputs.macro, inputs.capex, config.signal, calendar).loc["2022"]
    expected = s[["real_yield", "curve", "high_yield"]].mean(axis=1)
    pd.testing.assert_series_equal(s["composite"], expected, check_names=False)


def test_unknown_component_and_curve_series_are_config_errors(write_config):
    from rotation.errors import ConfigError
    from rotation.validate import load_config
    from tests.helpers import base_config

    with pytest.raises(ConfigError, match=r"weights.real_yeild: unknown component.*real_yield"):
        load_config(write_config(base_config(signal={"weights": {"real_yeild": 1.0}})))
    with pytest.raises(ConfigError, match="curve_series"):
        load_config(write_config(base_config(signal={"curve_series": "T10Y5Y"})))


def test_the_registry_defines_every_component_the_config_accepts():
    """The config's schema names the components; the registry says what each reads and how
    it scores, once: every name has exactly one entry, and every entry reads something."""
    from rotation.config import SIGNAL_COMPONENTS, SignalConfig
    from rotation.signals import COMPONENTS, component_inputs

    assert tuple(COMPONENTS) == SIGNAL_COMPONENTS
    every = SignalConfig(weights={c: 1.0 for c in SIGNAL_COMPONENTS})
    reads = component_inputs(every)
    assert set(reads) == set(SIGNAL_COMPONENTS)
    assert all(reads[c] for c in SIGNAL_COMPONENTS)


def _differs(a: pd.Series, b: pd.Series) -> pd.DatetimeIndex:
    same = (a == b) | (a.isna() & b.isna())
    return pd.DatetimeIndex(a.index[~same.to_numpy()])


def test_release_time_fix_moves_capex_growth_on_exactly_the_predicted_days():
    from rotation.config import SignalConfig
    from rotation.data.sources import bundled

    source = bundled()
    quarters = source.capex_quarters()
    macro = {"PNFI": source.macro("PNFI")}
    days = sig.signal_calendar(macro, quarters["published"].max() + pd.Timedelta(days=30))
    signal = SignalConfig()
    new = sig.Known(macro, quarters, signal, days).capex_growth()
    # The rule before the fix: a filing counted at the close of the day it was published.
    before_close = quarters.assign(known_from=quarters["published"])
    old = sig.Known(macro, before_close, signal, days).capex_growth()
    # Predicted: the weekdays on which a filing without a known time (so after the close) was
    # published and the old series changed that day; a weekend filing waits for Monday either way.
    untimed = quarters.loc[quarters["accepted_at"].isna(), "published"]
    release_days = pd.DatetimeIndex(untimed.unique())
    weekdays = release_days[release_days.day_of_week < 5]
    predicted = _differs(old, old.shift(1)).intersection(weekdays)
    moved = _differs(new, old)
    assert moved.equals(predicted)
    assert len(moved) >= 30  # four hyperscalers' releases over more than a decade
    assert _differs(new.loc[moved], old.shift(1).loc[moved]).empty  # one session late


def test_cost_of_capital_takes_term_premium_and_corporate_yield_when_named():
    from rotation.config import SignalConfig

    days = pd.bdate_range("2020-01-01", periods=400, name="date")
    rng = np.random.default_rng(7)  # synthetic series
    macro = {
        k: pd.Series(rng.normal(size=len(days)).cumsum(), index=days)
        for k in ("DGS10", "THREEFYTP10", "BAMLC0A0CMEY")
    }
    args = {"change_days": 21, "min_history_days": 50}
    plain = SignalConfig(**args)
    both = SignalConfig(
        term_premium_series="THREEFYTP10", corporate_yield_series="BAMLC0A0CMEY", **args
    )
    assert sig.component_inputs(both)["cost_of_capital"] == (
        "DGS10",
        "THREEFYTP10",
        "BAMLC0A0CMEY",
    )
    assert sig.component_inputs(plain)["cost_of_capital"] == ("DGS10",)
    # live data fetches what the signal reads: both series join the FRED fetch plan
    assert {"THREEFYTP10", "BAMLC0A0CMEY"} <= set(sig.macro_series(both))
    known = sig.Known(macro, pd.DataFrame(), both, days)
    score = sig.COMPONENTS["cost_of_capital"].score(known)
    normalize = {"change_days": 21, "method": "expanding", "window": 756, "min_periods": 50}
    each = [sig.cost_of_capital_score(known(k), **normalize) for k in macro]
    pd.testing.assert_series_equal(score, pd.concat(each, axis=1).mean(axis=1))
    assert score.notna().sum() > 300
    alone = sig.COMPONENTS["cost_of_capital"].score(sig.Known(macro, pd.DataFrame(), plain, days))
    pd.testing.assert_series_equal(alone, each[0], check_exact=True)  # as before: DGS10 alone


def test_a_named_series_the_data_lacks_is_one_clear_error(tmp_path):
    from click.testing import CliRunner

    from rotation.cli import main
    from tests.helpers import CONFIGS

    text = (CONFIGS / "capital_scarcity.yaml").read_text()
    path = tmp_path / "tp.yaml"
    path.write_text(
        text.replace(
            "  yield_series: DGS10\n", "  yield_series: DGS10\n  term_premium_series: THREEFYTP10\n"
        ).replace(
            "strategy:\n  name: capital_scarcity",
            f"strategies_dir: {CONFIGS.parent / 'strategies'}\nstrategy:\n  name: capital_scarcity",
        )
    )
    result = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert result.exit_code == 2  # refused at config load, before any data is read
    assert "reads FRED series 'THREEFYTP10', which is not in the bundled snapshot" in (
        result.output
    )
    assert "Traceback" not in result.output and not (tmp_path / "r").exists()
