"""The signal feed of the demo config on the bundled data: content, freshness refusals, schema.

The bundled snapshot ends on 2026-07-13 (prices); BAA10Y stops on 2026-04-29 and WTREGEN on
2026-03-04, so on the data end those two inputs are missing and must be allowed explicitly.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from rotation.backtest import run_backtest
from rotation.errors import RotationError
from rotation.export import (
    FEED_FIELDS,
    SCHEMA_VERSION,
    StaleDataError,
    build_feed,
    feed_columns,
    write_feed,
)
from rotation.pipeline import Inputs, load_inputs
from rotation.validate import load_config
from tests.helpers import CONFIGS, base_config

ASOF = "2026-07-13"
ALLOW = ("BAA10Y", "WTREGEN")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

# Schema version 1, frozen: changing the feed's fields must bump SCHEMA_VERSION (and this list).
V1_FIELDS = [
    "schema_version", "config_name", "config_hash", "data_fingerprint", "data_source", "asof",
    "data_end", "generated_at", "missing_inputs", "decided_at", "trade_on_or_after",
    "execution_lag", "regime", "composite", "<component>", "symbol", "sleeve", "weight", "close",
]  # fmt: skip


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIGS / "capital_scarcity.yaml")


@pytest.fixture(scope="module")
def inputs(config):
    return load_inputs(config)


@pytest.fixture(scope="module")
def feed(config, inputs):
    return build_feed(config, asof=ASOF, history=True, allow_missing=ALLOW, inputs=inputs, now=NOW)


@pytest.fixture(scope="module")
def backtest(config, inputs):
    return run_backtest(config, inputs)


def test_exporting_now_from_the_bundled_snapshot_is_refused(config, inputs):
    with pytest.raises(StaleDataError) as caught:
        build_feed(config, inputs=inputs, now=NOW)  # as of today: 2026-11-25
    message = str(caught.value)
    assert "as of 2026-11-25" in message
    assert "MU: last close 2026-07-13, 135 days before 2026-11-25 (limit --max-age-days 7)" in (
        message
    )
    for symbol in config.symbols:
        assert f"{symbol}: last close" in message


def test_missing_signal_inputs_are_refused_by_name(config, inputs):
    with pytest.raises(StaleDataError) as caught:
        build_feed(config, asof=ASOF, inputs=inputs, now=NOW)
    message = str(caught.value)
    assert "signal input BAA10Y (credit): last observation 2026-04-29" in message
    assert "signal input WTREGEN (liquidity): last observation 2026-03-04" in message
    assert "--allow-missing BAA10Y" in message
    assert "DGS10" not in message and "MU" not in message  # fresh inputs are not named


def test_same_inputs_same_feed_and_a_component_covers_its_inputs(config, inputs, feed):
    # allowing the component "credit" is allowing its input BAA10Y: the same feed, bit for bit
    again = build_feed(
        config,
        asof=ASOF,
        history=True,
        allow_missing=("credit", "WTREGEN"),
        inputs=inputs,
        now=NOW,
    )
    assert again.provenance.missing_inputs == ("BAA10Y", "WTREGEN")
    assert again.to_dict() == feed.to_dict()
    assert again.table().equals(feed.table())


def test_unknown_names_cannot_be_allowed(config, inputs):
    with pytest.raises(RotationError, match="--allow-missing DGS11: not an input or component"):
        build_feed(config, asof=ASOF, allow_missing=("DGS11",), inputs=inputs, now=NOW)


def test_a_signal_still_warming_up_is_refused(write_config):
    # synthetic setting: 20,000 observations of history needed, so no component has a score
    path = write_config(base_config(signal={"min_history_days": 20_000}), name="warming")
    config = load_config(path)
    with pytest.raises(StaleDataError, match="no score on 2024-12-31 for cost_of_capital"):
        build_feed(config, asof="2024-12-31", now=NOW)


def test_price_age_limit_is_configurable(config, inputs):
    # 8 days after the last close: refused at the default 7 days, accepted at 8
    # (capex is allowed here: the last hyperscaler quarter passes its 200-day limit on 07-19)
    allow = (*ALLOW, "capex")
    with pytest.raises(StaleDataError, match="MU: last close 2026-07-13, 8 days before"):
        build_feed(config, asof="2026-07-21", allow_missing=allow, inputs=inputs, now=NOW)
    feed = build_feed(
        config, asof="2026-07-21", max_age_days=8, allow_missing=allow, inputs=inputs, now=NOW
    )
    assert feed.provenance.data_end == pd.Timestamp(ASOF)
    assert "capex_growth_yoy" in feed.provenance.missing_inputs


def test_a_symbol_whose_prices_stopped_is_named(config, inputs):
    # synthetic: MU's closes cut 10 days before the as-of date
    closes = dict(inputs.closes)
    closes["MU"] = closes["MU"].loc[:"2026-07-03"]
    cut = Inputs(closes=closes, macro=inputs.macro, capex=inputs.capex, source="synthetic")
    with pytest.raises(StaleDataError) as caught:
        build_feed(config, asof=ASOF, allow_missing=ALLOW, inputs=cut, now=NOW)
    assert "MU: last close 2026-07-02, 11 days before 2026-07-13" in str(caught.value)
    assert "WDC" not in str(caught.value)


def test_latest_decision_matches_the_backtest(feed, backtest):
    decided = backtest.targets.dropna(how="all")
    latest = feed.latest
    assert latest.decided_at == decided.index[-1]
    assert latest.weights == pytest.approx(decided.iloc[-1].to_dict(), abs=1e-12)
    assert latest.regime == backtest.regime.loc[latest.decided_at]
    assert latest.composite == pytest.approx(backtest.signals.loc[latest.decided_at, "composite"])
    assert [d.decided_at for d in feed.decisions] == list(decided.index)
    assert sum(latest.weights.values()) <= 1 + 1e-9


def test_trade_dates_follow_the_execution_lag(feed, backtest, config):
    calendar = backtest.prices.index
    for d in feed.decisions[:-1]:
        position = calendar.get_loc(d.decided_at)
        assert d.trade_on_or_after == calendar[position + config.execution_lag]
    assert feed.latest.trade_on_or_after > feed.latest.decided_at


def test_current_state_is_the_signal_on_the_data_end(feed, backtest):
    assert feed.provenance.data_end == backtest.prices.index[-1]
    assert feed.current.regime == backtest.regime.iloc[-1]
    assert feed.current.composite == pytest.approx(backtest.signals["composite"].iloc[-1])
    assert feed.current.components["credit"] is None  # BAA10Y allowed missing


def test_an_earlier_asof_reads_only_what_was_known_then(config, inputs, feed):
    earlier = build_feed(config, asof="2025-12-31", history=True, inputs=inputs, now=NOW)
    assert earlier.provenance.missing_inputs == ()
    assert earlier.provenance.data_fingerprint != feed.provenance.data_fingerprint
    later = {d.decided_at: d for d in feed.decisions}
    for d in earlier.decisions:
        assert d.weights == pytest.approx(later[d.decided_at].weights, abs=1e-12)
        assert d.regime == later[d.decided_at].regime
    assert earlier.latest.decided_at == pd.Timestamp("2025-12-01")


def test_the_schema_is_frozen_for_its_version():
    assert SCHEMA_VERSION == 1
    assert [name for name, _, _ in FEED_FIELDS] == V1_FIELDS


def test_table_columns_and_types_follow_the_schema(feed, config):
    table = feed.table()
    components = list(config.signal.components)
    assert list(table.columns) == list(feed_columns(components))
    assert len(table) == len(feed.decisions) * len(config.symbols)
    assert (table["schema_version"] == SCHEMA_VERSION).all()
    assert (table.groupby("decided_at")["weight"].sum() <= 1 + 1e-9).all()
    assert set(table["sleeve"]) == set(config.universe)
    for column in ("composite", "weight", "close", *components):
        assert table[column].dtype == "float64", column


def test_csv_json_parquet_round_trip(feed, tmp_path):
    table = feed.table()
    csv = pd.read_csv(write_feed(feed, tmp_path / "signal.csv", "csv"))
    assert list(csv.columns) == list(table.columns)
    assert csv["weight"].to_numpy() == pytest.approx(table["weight"].to_numpy())
    parquet = pd.read_parquet(write_feed(feed, tmp_path / "signal.parquet", "parquet"))
    assert list(parquet.columns) == list(table.columns)
    assert str(parquet["decided_at"].dtype).startswith("datetime64")
    assert parquet["weight"].to_numpy() == pytest.approx(table["weight"].to_numpy())
    data = json.loads(write_feed(feed, tmp_path / "signal.json", "json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["provenance"]["missing_inputs"] == list(ALLOW)
    assert data["provenance"]["asof"] == ASOF
    assert data["provenance"]["generated_at"] == "2026-11-25T12:00:00Z"
    assert len(data["decisions"]) == len(feed.decisions)
    last = data["decisions"][-1]
    assert last["decided_at"] == str(feed.latest.decided_at.date())
    assert last["weights"] == pytest.approx(dict(feed.latest.weights))
    assert last["cash_weight"] == pytest.approx(1 - sum(feed.latest.weights.values()), abs=1e-12)
