"""The one-pass kernel against vectorbt's ``from_orders``, cell for cell, on synthetic prices.

Every price path here is synthetic (hand-made or geometric Brownian motion); the reference is
the exact vectorbt call the engine makes. vectorbt's first compile is slow, so the shapes are
small and few.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation._sim import (
    SimResult,
    _sort_call_seq,
    bytes_per_variant,
    iter_variant_chunks,
    simulate_from_weights_frame,
    simulate_target_weights,
)
from rotation.errors import ConfigError

INIT_CASH = 100_000.0
RTOL = 1e-9
WEIGHT_STYLES = ("full", "partial", "sparse", "nan_cells", "over", "daily", "short")


def vectorbt_run(
    close: pd.DataFrame,
    weights: pd.DataFrame,
    fees: float,
    slippage: float,
    size_granularity: np.ndarray | None = None,
    init_cash: float = INIT_CASH,
) -> vbt.Portfolio:
    """The engine's reference call, configured exactly as the engine configures it
    (``size_granularity``: (N,) per column, NaN = any size; vectorbt's default is NaN)."""
    granularity = np.nan if size_granularity is None else np.asarray(size_granularity)[None, :]
    return vbt.Portfolio.from_orders(
        close,
        size=weights,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=fees,
        slippage=slippage,
        init_cash=init_cash,
        size_granularity=granularity,
        freq="1D",
    )


def synthetic_gbm_close(rng: np.random.Generator, n_days: int, n_assets: int) -> pd.DataFrame:
    """Synthetic geometric Brownian motion prices, 20-60 % annual volatility."""
    vol = rng.uniform(0.2, 0.6, n_assets) / np.sqrt(252)
    log_returns = rng.normal(0.0002, 1.0, (n_days, n_assets)) * vol
    prices = rng.uniform(5, 500, n_assets) * np.exp(np.cumsum(log_returns, axis=0))
    index = pd.bdate_range("2020-01-01", periods=n_days, name="date")
    return pd.DataFrame(prices, index=index, columns=[f"S{j}" for j in range(n_assets)])


def random_target_rows(rng: np.random.Generator, n_rows: int, n_assets: int, style: str):
    """(n_rows, n_assets) target weights of one style (see WEIGHT_STYLES)."""
    rows = rng.dirichlet(np.full(n_assets, 0.7), size=n_rows)
    if style == "partial":  # part of the portfolio stays in cash
        rows *= rng.uniform(0.2, 0.95, (n_rows, 1))
    elif style == "sparse":  # assets come and go to exactly 0
        keep = rng.random((n_rows, n_assets)) < 0.4
        keep[np.arange(n_rows), rng.integers(0, n_assets, n_rows)] = True
        rows = np.where(keep, rows, 0.0)
        rows /= rows.sum(axis=1, keepdims=True)
    elif style == "nan_cells":  # some positions left untouched
        rows[rng.random((n_rows, n_assets)) < 0.3] = np.nan
        rows *= 0.9
    elif style == "over":  # asks for more than the cash: buys are cut
        rows *= 1.3
    elif style == "short":  # negative weights: vectorbt shorts, so must the kernel
        rows = rows * 1.2 - 0.1
    return rows


def random_weights_frame(
    rng: np.random.Generator, close: pd.DataFrame, n_rebalances: int, style: str
) -> pd.DataFrame:
    n_days, n_assets = close.shape
    if style == "daily":  # consecutive rebalance rows
        start = rng.integers(0, n_days - n_rebalances)
        rows = np.arange(start, start + n_rebalances)
    else:
        rows = np.sort(rng.choice(n_days, n_rebalances, replace=False))
    weights = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
    weights.iloc[rows] = random_target_rows(rng, n_rebalances, n_assets, style)
    return weights


def assert_matches_vectorbt(
    result: SimResult,
    variant: int,
    close: pd.DataFrame,
    weights: pd.DataFrame,
    fees: float,
    slippage: float,
    rebalance_rows: np.ndarray | None = None,
    size_granularity: np.ndarray | None = None,
    init_cash: float = INIT_CASH,
) -> None:
    """Value, cash and shares after each rebalance equal vectorbt's bit for bit; the cost
    totals (summed in another order) to 1e-9 relative.

    ``rebalance_rows`` are the rows of ``result.shares``: by default the rows with any weight.
    """
    pf = vectorbt_run(close, weights, fees, slippage, size_granularity, init_cash)
    np.testing.assert_array_equal(result.value[:, variant], pf.value().to_numpy())
    np.testing.assert_array_equal(result.cash[:, variant], pf.cash().to_numpy())
    records = pf.orders.values
    np.testing.assert_allclose(result.fees_paid[variant], records["fees"].sum(), rtol=RTOL)
    traded = (records["size"] * records["price"]).sum()
    np.testing.assert_allclose(result.traded_value[variant], traded, rtol=RTOL)
    if result.shares is not None:
        if rebalance_rows is None:
            rebalance_rows = np.flatnonzero(weights.notna().any(axis=1).to_numpy())
        np.testing.assert_array_equal(
            result.shares[variant], pf.assets().to_numpy()[rebalance_rows]
        )


# --- hand-made (synthetic) ------------------------------------------------------------------

HAND_CLOSE = pd.DataFrame(
    {"A": [10.0, 11.0, 12.0, 12.0], "B": [20.0, 20.0, 18.0, 19.0]},
    index=pd.bdate_range("2024-01-01", periods=4, name="date"),
)
HAND_WEIGHTS = pd.DataFrame(
    {"A": [0.5, np.nan, 1.0, np.nan], "B": [0.5, np.nan, 0.0, np.nan]}, index=HAND_CLOSE.index
)


def test_hand_made_rotation_without_costs() -> None:
    # Day 0: 1000 -> 50 A @ 10 + 25 B @ 20. Day 2 (value 50*12 + 25*18 = 1050): sell 25 B @ 18
    # for 450 first, then buy 37.5 A @ 12 with it.
    result = simulate_from_weights_frame(
        HAND_CLOSE, HAND_WEIGHTS, 0.0, 0.0, 1000.0, record_shares=True
    )
    np.testing.assert_allclose(result.value[:, 0], [1000.0, 1050.0, 1050.0, 1050.0], rtol=1e-15)
    np.testing.assert_allclose(result.cash[:, 0], [0.0, 0.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.shares[0], [[50.0, 25.0], [87.5, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(result.traded_value, [1000.0 + 450.0 + 450.0])
    # the first traded row is the initial investment; the rebalance on day 2 is turnover
    np.testing.assert_allclose(result.initial_turnover, [1.0])
    np.testing.assert_allclose(result.turnover, [900.0 / 1050.0])


def test_hand_made_cash_limit_cuts_the_last_buy() -> None:
    # 1 % fees, day 0: both orders are worth 500 (a tie: column order, A first). A costs
    # 500 + 5 = 505, leaving 495; B would cost 505, so it gets 495 / 1.01 of stock and 4.90 fees.
    result = simulate_from_weights_frame(
        HAND_CLOSE, HAND_WEIGHTS, 0.01, 0.0, 1000.0, record_shares=True
    )
    b_shares = 495.0 / 1.01 / 20.0
    np.testing.assert_allclose(result.shares[0, 0], [50.0, b_shares], rtol=1e-15)
    np.testing.assert_allclose(result.value[0, 0], 500.0 + b_shares * 20.0, rtol=1e-15)
    np.testing.assert_allclose(result.cash[0, 0], 0.0, atol=1e-12)


@pytest.mark.parametrize(("fees", "slippage"), [(0.0, 0.0), (0.01, 0.0), (0.002, 0.01)])
def test_hand_made_matches_vectorbt(fees: float, slippage: float) -> None:
    result = simulate_from_weights_frame(
        HAND_CLOSE, HAND_WEIGHTS, fees, slippage, INIT_CASH, record_shares=True
    )
    assert_matches_vectorbt(result, 0, HAND_CLOSE, HAND_WEIGHTS, fees, slippage)


def test_orders_under_min_size_are_rejected_like_vectorbt() -> None:
    # Flat prices; a 1e-13 weight change is 1e-9 shares, under vectorbt's 1e-8 min_size.
    close = pd.DataFrame({"A": 10.0, "B": 20.0}, index=HAND_CLOSE.index)
    weights = HAND_WEIGHTS.copy()
    weights.iloc[2] = [0.5 + 1e-13, 0.5 - 1e-13]
    result = simulate_from_weights_frame(close, weights, 0.0, 0.0, INIT_CASH, record_shares=True)
    np.testing.assert_array_equal(result.shares[0], [[5000.0, 2500.0], [5000.0, 2500.0]])
    assert_matches_vectorbt(result, 0, close, weights, 0.0, 0.0)
    weights.iloc[2] = [0.5 + 1e-11, 0.5 - 1e-11]  # 1e-7 shares: traded
    result = simulate_from_weights_frame(close, weights, 0.0, 0.0, INIT_CASH, record_shares=True)
    assert result.shares[0, 1, 0] > 5000.0
    assert_matches_vectorbt(result, 0, close, weights, 0.0, 0.0)


def test_nan_target_leaves_the_position_untouched() -> None:
    weights = HAND_WEIGHTS.copy()
    weights.iloc[2] = [np.nan, 0.2]
    result = simulate_from_weights_frame(
        HAND_CLOSE, weights, 0.001, 0.0, INIT_CASH, record_shares=True
    )
    assert result.shares[0, 1, 0] == result.shares[0, 0, 0]
    assert result.shares[0, 1, 1] < result.shares[0, 0, 1]
    assert_matches_vectorbt(result, 0, HAND_CLOSE, weights, 0.001, 0.0)


def test_no_order_executes_while_the_group_value_is_negative() -> None:
    # Short 100 B @ 20 to hold 300 A @ 10; B doubles: value 3000 - 4000 < 0, so the day-2
    # orders are rejected (vectorbt: "group value is zero or negative") and nothing changes.
    close = pd.DataFrame({"A": 10.0, "B": [20.0, 40.0, 40.0, 40.0]}, index=HAND_CLOSE.index)
    weights = pd.DataFrame(
        {"A": [3.0, np.nan, 0.5, np.nan], "B": [-2.0, np.nan, 0.0, np.nan]}, index=close.index
    )
    result = simulate_from_weights_frame(close, weights, 0.0, 0.0, 1000.0, record_shares=True)
    np.testing.assert_allclose(result.shares[0], [[300.0, -100.0], [300.0, -100.0]])
    np.testing.assert_allclose(result.value[:, 0], [1000.0, -1000.0, -1000.0, -1000.0])
    result = simulate_from_weights_frame(close, weights, 0.0, 0.0, INIT_CASH, record_shares=True)
    assert_matches_vectorbt(result, 0, close, weights, 0.0, 0.0)


def test_no_trades_keep_the_cash() -> None:
    weights = pd.DataFrame(0.0, index=HAND_CLOSE.index, columns=HAND_CLOSE.columns)
    result = simulate_from_weights_frame(HAND_CLOSE, weights, 0.001, 0.001, INIT_CASH)
    np.testing.assert_array_equal(result.value[:, 0], INIT_CASH)
    assert result.fees_paid[0] == 0.0 and result.turnover[0] == 0.0


# --- synthetic GBM against vectorbt ---------------------------------------------------------


@pytest.mark.parametrize("style", WEIGHT_STYLES)
@pytest.mark.parametrize(("fees", "slippage"), [(0.0, 0.0), (0.001, 0.0), (0.003, 0.002)])
def test_synthetic_gbm_matches_vectorbt(style: str, fees: float, slippage: float) -> None:
    rng = np.random.default_rng(sum(map(ord, style)) + int(fees * 1e4) + int(slippage * 1e5))
    close = synthetic_gbm_close(rng, 90, 6)
    weights = random_weights_frame(rng, close, 12, style)
    result = simulate_from_weights_frame(
        close, weights, fees, slippage, INIT_CASH, record_shares=True
    )
    assert_matches_vectorbt(result, 0, close, weights, fees, slippage)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    style=st.sampled_from(WEIGHT_STYLES),
    fees=st.sampled_from([0.0, 0.0005, 0.001, 0.02]),
    slippage=st.sampled_from([0.0, 0.001, 0.01]),
    n_assets=st.integers(1, 8),
    n_rebalances=st.integers(1, 30),
)
def test_random_synthetic_cases_match_vectorbt(
    seed: int, style: str, fees: float, slippage: float, n_assets: int, n_rebalances: int
) -> None:
    rng = np.random.default_rng(seed)
    close = synthetic_gbm_close(rng, 60, n_assets)
    weights = random_weights_frame(rng, close, n_rebalances, style)
    result = simulate_from_weights_frame(
        close, weights, fees, slippage, INIT_CASH, record_shares=True
    )
    assert_matches_vectorbt(result, 0, close, weights, fees, slippage)


def test_many_assets_still_match_vectorbt() -> None:
    rng = np.random.default_rng(7)
    close = synthetic_gbm_close(rng, 40, 80)  # > 16 assets: the call sequence is merge-sorted
    weights = random_weights_frame(rng, close, 6, "sparse")
    weights.iloc[:, ::7] = weights.iloc[:, ::7].where(weights.iloc[:, ::7].isna(), 0.0)  # ties
    result = simulate_from_weights_frame(
        close, weights, 0.002, 0.001, INIT_CASH, record_shares=True
    )
    assert_matches_vectorbt(result, 0, close, weights, 0.002, 0.001)


def test_many_variants_in_one_pass_each_equal_its_own_vectorbt_run() -> None:
    rng = np.random.default_rng(11)
    close = synthetic_gbm_close(rng, 70, 5)
    rows = np.sort(rng.choice(len(close), 10, replace=False))
    styles = ["full", "partial", "sparse", "nan_cells", "over", "short", "full", "sparse"]
    targets = np.stack([random_target_rows(rng, len(rows), 5, style) for style in styles])
    targets[1, 3] = np.nan  # a NaN row: this variant skips a rebalance the others make
    fees = np.array([0.0, 0.001, 0.002, 0.0, 0.001, 0.0005, 0.02, 0.001])
    slippage = np.array([0.0, 0.0, 0.001, 0.002, 0.0, 0.001, 0.0, 0.01])
    result = simulate_target_weights(
        close.to_numpy(), targets, rows, fees, slippage, INIT_CASH, record_shares=True
    )
    assert result.value.shape == (70, 8) and result.shares.shape == (8, 10, 5)
    for variant in range(len(styles)):
        weights = pd.DataFrame(np.nan, index=close.index, columns=close.columns)
        weights.iloc[rows] = targets[variant]
        single = simulate_target_weights(
            close.to_numpy(), targets[variant][None], rows, fees[variant], slippage[variant],
            INIT_CASH,
        )  # fmt: skip
        np.testing.assert_array_equal(result.value[:, variant], single.value[:, 0])
        assert_matches_vectorbt(
            result, variant, close, weights, fees[variant], slippage[variant], rows
        )


def test_shared_targets_over_a_cost_grid_equal_stacked_targets() -> None:
    rng = np.random.default_rng(3)
    close = synthetic_gbm_close(rng, 50, 4).to_numpy()
    rows = np.arange(0, 50, 7)
    targets = random_target_rows(rng, len(rows), 4, "full")
    fees = np.array([0.0, 0.001, 0.01])
    shared = simulate_target_weights(close, targets, rows, fees, 0.001, INIT_CASH)
    stacked = simulate_target_weights(close, np.stack([targets] * 3), rows, fees, 0.001, INIT_CASH)
    np.testing.assert_array_equal(shared.value, stacked.value)
    assert shared.value[-1, 0] > shared.value[-1, 1] > shared.value[-1, 2]


# --- whole shares: vectorbt's size_granularity ------------------------------------------------

WHOLE_A_B = np.array([1.0, 1.0])


def test_hand_made_whole_shares_floor_each_order() -> None:
    # Synthetic. 1005 of cash, no costs. Day 0: A 0.5 * 1005 / 10 = 50.25 -> 50 shares, B
    # 502.5 / 20 = 25.125 -> 25; 5 stays in cash. Day 2 (value 50*12 + 25*18 + 5 = 1055): sell
    # the 25 B @ 18 (cash 455), then A wants 1055 / 12 - 50 = 37.92 more -> 37 @ 12 = 444.
    result = simulate_from_weights_frame(
        HAND_CLOSE, HAND_WEIGHTS, 0.0, 0.0, 1005.0, size_granularity=WHOLE_A_B, record_shares=True
    )
    np.testing.assert_array_equal(result.shares[0], [[50.0, 25.0], [87.0, 0.0]])
    np.testing.assert_allclose(result.cash[:, 0], [5.0, 5.0, 11.0, 11.0], rtol=1e-15)
    np.testing.assert_allclose(result.value[:, 0], [1005.0, 1055.0, 1055.0, 1055.0], rtol=1e-15)


def test_hand_made_whole_shares_floor_a_buy_cut_by_the_cash() -> None:
    # Synthetic. 1 % fees, 1000 of cash. A: 50 shares for 505, cash 495. B wants 25 (505) but
    # the cash buys 495 / 1.01 / 20 = 24.5 shares: floored to 24, paying 480 + 4.80 fees, and
    # the remaining 10.20 stays in cash (without granularity B would take all of it).
    result = simulate_from_weights_frame(
        HAND_CLOSE, HAND_WEIGHTS, 0.01, 0.0, 1000.0, size_granularity=WHOLE_A_B, record_shares=True
    )
    np.testing.assert_array_equal(result.shares[0, 0], [50.0, 24.0])
    np.testing.assert_allclose(result.cash[0, 0], 1000.0 - 505.0 - 484.8, rtol=1e-12)
    assert_matches_vectorbt(
        result, 0, HAND_CLOSE, HAND_WEIGHTS, 0.01, 0.0, size_granularity=WHOLE_A_B, init_cash=1000.0
    )


def test_granularity_rejects_what_vectorbt_rejects() -> None:
    close, targets, rows = HAND_CLOSE.to_numpy(), HAND_WEIGHTS.to_numpy()[[0, 2]], np.array([0, 2])
    for bad in (np.array([1.0, 0.0]), np.array([1.0, np.inf]), np.array([-1.0, 1.0])):
        with pytest.raises(ValueError, match="size_granularity must be NaN"):
            simulate_target_weights(close, targets, rows, 0.0, 0.0, 1000.0, size_granularity=bad)
    with pytest.raises(ValueError, match=r"size_granularity must have shape \(2,\)"):
        simulate_target_weights(close, targets, rows, 0.0, 0.0, 1000.0, size_granularity=np.ones(3))


def mixed_granularity(rng: np.random.Generator, n_assets: int) -> np.ndarray:
    """Per column: whole shares (1.0), any size (NaN) or lots of 0.25, at random."""
    return rng.choice(np.array([1.0, 1.0, np.nan, 0.25]), n_assets)


@pytest.mark.parametrize("style", WEIGHT_STYLES)
@pytest.mark.parametrize(("fees", "slippage"), [(0.0, 0.0), (0.001, 0.0005), (0.02, 0.01)])
@pytest.mark.parametrize("init_cash", [2_000.0, INIT_CASH])
def test_synthetic_gbm_whole_shares_match_vectorbt(
    style: str, fees: float, slippage: float, init_cash: float
) -> None:
    rng = np.random.default_rng(sum(map(ord, style)) + int(fees * 1e4) + int(init_cash))
    close = synthetic_gbm_close(rng, 90, 6)
    weights = random_weights_frame(rng, close, 12, style)
    granularity = mixed_granularity(rng, 6)
    result = simulate_from_weights_frame(
        close, weights, fees, slippage, init_cash, size_granularity=granularity, record_shares=True
    )
    whole = granularity == 1.0
    assert np.array_equal(result.shares[0][:, whole], np.floor(result.shares[0][:, whole]))
    assert_matches_vectorbt(
        result, 0, close, weights, fees, slippage, size_granularity=granularity, init_cash=init_cash
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    style=st.sampled_from(WEIGHT_STYLES),
    fees=st.sampled_from([0.0, 0.001, 0.02]),
    slippage=st.sampled_from([0.0, 0.001, 0.01]),
    n_assets=st.integers(1, 8),
    init_cash=st.sampled_from([500.0, 10_000.0, INIT_CASH]),
)
def test_random_whole_share_cases_match_vectorbt(
    seed: int, style: str, fees: float, slippage: float, n_assets: int, init_cash: float
) -> None:
    rng = np.random.default_rng(seed)
    close = synthetic_gbm_close(rng, 60, n_assets)
    weights = random_weights_frame(rng, close, int(rng.integers(1, 20)), style)
    granularity = mixed_granularity(rng, n_assets)
    result = simulate_from_weights_frame(
        close, weights, fees, slippage, init_cash, size_granularity=granularity, record_shares=True
    )
    assert_matches_vectorbt(
        result, 0, close, weights, fees, slippage, size_granularity=granularity, init_cash=init_cash
    )


def test_granularity_per_variant_in_one_pass_equals_each_variant_alone() -> None:
    rng = np.random.default_rng(5)
    close = synthetic_gbm_close(rng, 60, 4).to_numpy()
    rows = np.arange(0, 60, 9)
    targets = random_target_rows(rng, len(rows), 4, "full")
    granularity = np.array([[np.nan] * 4, [1.0] * 4, [1.0, np.nan, 1.0, np.nan]])
    together = simulate_target_weights(
        close, targets, rows, np.full(3, 0.001), 0.0, 5_000.0, size_granularity=granularity
    )
    for v in range(3):
        alone = simulate_target_weights(
            close, targets, rows, 0.001, 0.0, 5_000.0, size_granularity=granularity[v]
        )
        np.testing.assert_array_equal(together.value[:, v], alone.value[:, 0])
    assert not np.array_equal(together.value[:, 0], together.value[:, 1])


# --- pieces ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.integers(-5, 5).map(float), st.just(float("nan"))), min_size=0, max_size=200
    )
)
def test_call_sequence_is_a_stable_sort_with_nan_last(values: list[float]) -> None:
    n = len(values)
    call_seq = np.full(n, -1)
    scratch = (np.empty(n), np.empty(n), np.empty(n, dtype=np.int64))
    _sort_call_seq(np.array(values), call_seq, *scratch)
    finite = [j for j in range(n) if not np.isnan(values[j])]
    expected = sorted(finite, key=lambda j: values[j])  # Python's sort is stable
    assert list(call_seq[: len(finite)]) == expected
    assert set(call_seq[len(finite) :]) == set(range(n)) - set(finite)


@settings(max_examples=100, deadline=None)
@given(
    n_variants=st.integers(0, 5000),
    n_rows=st.integers(1, 4000),
    n_assets=st.integers(1, 1000),
    n_rebalances=st.integers(0, 200),
    budget_mb=st.floats(1, 500),
)
def test_variant_chunks_cover_every_variant_once_within_budget(
    n_variants: int, n_rows: int, n_assets: int, n_rebalances: int, budget_mb: float
) -> None:
    per_variant = bytes_per_variant(n_rows, n_assets, n_rebalances)
    if per_variant > budget_mb * 1024 * 1024:
        with pytest.raises(ConfigError, match="memory_mb"):
            list(iter_variant_chunks(n_variants, n_rows, n_assets, n_rebalances, budget_mb))
        return
    chunks = list(iter_variant_chunks(n_variants, n_rows, n_assets, n_rebalances, budget_mb))
    covered = [v for chunk in chunks for v in range(n_variants)[chunk]]
    assert covered == list(range(n_variants))
    for chunk in chunks:
        assert (chunk.stop - chunk.start) * per_variant <= budget_mb * 1024 * 1024


def test_chunks_are_as_large_as_the_budget_allows() -> None:
    per_variant = bytes_per_variant(3000, 20, 150)
    budget_mb = 10 * per_variant / 1024 / 1024
    chunks = list(iter_variant_chunks(25, 3000, 20, 150, budget_mb))
    assert chunks == [slice(0, 10), slice(10, 20), slice(20, 25)]


def test_bad_inputs_are_rejected_with_a_clear_message() -> None:
    close = HAND_CLOSE.to_numpy()
    targets = HAND_WEIGHTS.to_numpy()[[0, 2]]
    with pytest.raises(ValueError, match="strictly increasing"):
        simulate_target_weights(close, targets, np.array([2, 0]), 0.0, 0.0, INIT_CASH)
    with pytest.raises(ValueError, match="one per rebalance row"):
        simulate_target_weights(close, targets, np.array([0]), 0.0, 0.0, INIT_CASH)
    with pytest.raises(ValueError, match="finite and > 0"):
        simulate_target_weights(close * np.nan, targets, np.array([0, 2]), 0.0, 0.0, INIT_CASH)
    with pytest.raises(ValueError, match="fees"):
        simulate_target_weights(close, targets, np.array([0, 2]), -0.01, 0.0, INIT_CASH)
    with pytest.raises(ValueError, match=r"missing: \['B'\]"):
        simulate_from_weights_frame(HAND_CLOSE, HAND_WEIGHTS[["A"]], 0.0, 0.0, INIT_CASH)
