"""Engine core: many target-weight variants simulated in one numba pass, with vectorbt's books.

The engine's reference simulation is

    vbt.Portfolio.from_orders(close, size=weights, size_type="targetpercent", group_by=True,
        cash_sharing=True, call_seq="auto", fees=fees, slippage=slippage, init_cash=init_cash)

which visits every (day, asset) cell. A rotation trades on few days, so this kernel executes
orders only on the rebalance rows and, on the days between, only values the shares it holds.
On the rows it trades it repeats vectorbt 1.2's arithmetic operation for operation
(``simulate_from_orders_nb``, ``execute_order_nb``, ``buy_nb``, ``sell_nb``, with vectorbt's
defaults for everything the call above does not set), so its fills are vectorbt's to the last
bit. What that means, on a rebalance row ``i``:

- Valuation and execution price are ``close[i]`` (before slippage). The group value is computed
  once, before any order: ``cash + sum(shares * close[i])``; it is not updated between orders.
- Orders run in ascending order of their approximate value ``w * value - shares * close[i]``
  (stable; sells first, largest sell first), NaN-weight cells last and untouched.
- Target shares = ``w * value / close[i]``; the order is the difference from the position.
  Buys pay ``close * (1 + slippage)``, sells receive ``close * (1 - slippage)``; fees are a fraction
  of the traded notional at that price.
- A buy that costs more than the cash left is partially filled: it spends all the cash, fees
  included. Cash is never borrowed (it stays >= 0); short positions arise only from negative
  weights.
- An asset with a size granularity ``g`` (vectorbt's ``size_granularity``; 1.0 = whole shares,
  NaN = any size) trades multiples of ``g``, floored toward zero as vectorbt floors them: a
  sell's size and a buy's requested size are floored before the cash check, and a buy cut by
  the cash is floored again after it (it then pays fees on the floored size and leaves the
  rest of the cash).
- Orders under ``MIN_ORDER_SHARES`` shares are rejected (vectorbt's default ``min_size``), as are
  all orders when the group value is <= 0. Comparisons use vectorbt's tolerances (1e-9 relative,
  1e-12 absolute), and vectorbt snaps cash and positions within 1e-12 of zero to zero.

Reported cash and value are booked the way vectorbt rebuilds them from its order records
(``_books_nb``): a row's cash flows (``-signed shares * price - fees`` per fill) summed in column
order and added to the book cash, and the value as book cash plus the held shares at the close,
summed in column order. So the daily value, cash and shares of a variant equal its vectorbt
``Portfolio``'s bit for bit (tests/test_sim.py), and a sweep's variant equals its own backtest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from rotation._types import Prices, Weights
from rotation.errors import ConfigError

__all__ = [
    "COMPILE_SECONDS",
    "MIN_ORDER_SHARES",
    "SimResult",
    "bytes_per_variant",
    "compiled_on_disk",
    "iter_variant_chunks",
    "simulate_from_weights_frame",
    "simulate_target_weights",
]

MIN_ORDER_SHARES = 1e-8
"""vectorbt's default ``min_size``: smaller orders are rejected."""

# vectorbt.utils.math_ tolerances, used by every comparison in its order execution.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@dataclass(frozen=True)
class SimResult:
    """What one pass produces, for V variants over T days and N assets.

    value: (T, V) portfolio value at each day's close, in the currency of ``init_cash``.
    cash: (T, V) cash at each day's close (empty when not recorded).
    turnover: (V,) sum over the rebalances after the first traded row of their traded notional
        (buys + sells, at execution price) divided by the portfolio value before that
        rebalance (two-way: selling one portfolio and buying another adds 2.0).
    initial_turnover: (V,) the same ratio for the first traded row alone: the initial
        investment (1.0 = all the starting cash deployed), kept out of ``turnover``.
    traded_value: (V,) total traded notional, buys + sells, in currency.
    fees_paid: (V,) total fees, in currency: the fills' fees added one by one in execution order.
    slippage_paid: (V,) total slippage, in currency, added the same way; a fill's slippage is
        ``|execution price - close| * shares`` (what the fill lost to the moved price).
    fee_drag_sum, slippage_drag_sum: (V,) sum over trading rows, in order, of the row's fees
        (slippage) / the portfolio value at the previous close (``init_cash`` before row 0),
        where a row's costs are its fills' added in execution order; times 252 / T it is the
        annual cost drag (``rotation.metrics``).
    shares: (V, R, N) shares held after each rebalance row, or None if not recorded.
    orders: per variant, its fills in execution order, or None if not recorded.
    """

    value: np.ndarray
    cash: np.ndarray
    turnover: np.ndarray
    initial_turnover: np.ndarray
    traded_value: np.ndarray
    fees_paid: np.ndarray
    slippage_paid: np.ndarray
    fee_drag_sum: np.ndarray
    slippage_drag_sum: np.ndarray
    shares: np.ndarray | None
    orders: list[Fills] | None = None


@dataclass(frozen=True)
class Fills:
    """One variant's fills in execution order (rows ascending, sells before buys in a row).

    row, asset: (K,) positions in ``close``; side: (K,) 0 = buy, 1 = sell; shares (> 0), price
    (execution price, slippage included), fees and slippage (currency: ``|price - close| *
    shares``, the one place a fill's slippage is computed): (K,).
    """

    row: np.ndarray
    asset: np.ndarray
    side: np.ndarray
    shares: np.ndarray
    price: np.ndarray
    fees: np.ndarray
    slippage: np.ndarray


# ---------------------------------------------------------------------------------------------
# vectorbt's float comparisons (vectorbt/utils/math_.py), repeated so rounding decisions match.


@njit(cache=True)
def _is_close(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return False
    if np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(_REL_TOL * max(abs(a), abs(b)), _ABS_TOL)


@njit(cache=True)
def _is_close_or_less(a: float, b: float) -> bool:
    if _is_close(a, b):
        return True
    return a < b


@njit(cache=True)
def _is_less(a: float, b: float) -> bool:
    if _is_close(a, b):
        return False
    return a < b


@njit(cache=True)
def _add(a: float, b: float) -> float:
    """a + b, but exactly 0.0 when the sum is zero within tolerance (vectorbt's ``add_nb``)."""
    if np.sign(a) != np.sign(b):
        if _is_close(abs(a), abs(b)):
            return 0.0
    elif _is_close(a + b, 0.0):
        return 0.0
    return a + b


@njit(cache=True)
def _snap(x: float) -> float:
    """vectorbt zeroes cash and positions within tolerance of 0 before every order it processes."""
    if _is_close(x, 0.0):
        return 0.0
    return x


@njit(cache=True)
def _floor_to(size: float, step: float) -> float:
    """vectorbt's ``size // step * step``: ``size`` floored to a multiple of ``step``.

    For a step of 1.0 (whole shares) that is ``floor(size)`` exactly (float floor division by
    1 subtracts the exact ``fmod``), and ``floor`` is one instruction where ``//`` is a
    divmod; other steps take vectorbt's expression itself.
    """
    if step == 1.0:
        return float(np.floor(size))
    return size // step * step


# ---------------------------------------------------------------------------------------------
# Kernel


@njit(cache=True)
def _sort_call_seq(
    order_value: np.ndarray,
    call_seq: np.ndarray,
    keys: np.ndarray,
    keys_tmp: np.ndarray,
    index_tmp: np.ndarray,
) -> None:
    """Fill ``call_seq`` with the columns by ascending ``order_value``, stably, NaN last.

    This is the order vectorbt's ``call_seq="auto"`` gets from its insertion sort; the order among
    NaN cells (which place no order) differs and does not matter. Sorting (key, column) pairs by
    insertion in runs of 16, then merging, keeps large universes from the insertion sort's
    quadratic cost. ``keys``, ``keys_tmp`` and ``index_tmp`` are (N,) scratch.
    """
    n = order_value.shape[0]
    n_finite = 0
    for j in range(n):
        if not np.isnan(order_value[j]):
            keys[n_finite] = order_value[j]
            call_seq[n_finite] = j
            n_finite += 1
    k = n_finite
    for j in range(n):
        if np.isnan(order_value[j]):
            call_seq[k] = j
            k += 1

    run = 16
    for lo in range(0, n_finite, run):
        hi = min(lo + run, n_finite)
        for j in range(lo + 1, hi):
            key_j = keys[j]
            index_j = call_seq[j]
            k = j - 1
            while k >= lo and keys[k] > key_j:  # strict: equal keys keep their order
                keys[k + 1] = keys[k]
                call_seq[k + 1] = call_seq[k]
                k -= 1
            keys[k + 1] = key_j
            call_seq[k + 1] = index_j

    src_keys, src_index, dst_keys, dst_index = keys, call_seq, keys_tmp, index_tmp
    in_scratch = False
    width = run
    while width < n_finite:
        for lo in range(0, n_finite, 2 * width):
            mid = min(lo + width, n_finite)
            hi = min(lo + 2 * width, n_finite)
            a, b, out = lo, mid, lo
            while a < mid and b < hi:
                if src_keys[b] < src_keys[a]:  # ties take the left run first: stable
                    dst_keys[out] = src_keys[b]
                    dst_index[out] = src_index[b]
                    b += 1
                else:
                    dst_keys[out] = src_keys[a]
                    dst_index[out] = src_index[a]
                    a += 1
                out += 1
            while a < mid:
                dst_keys[out] = src_keys[a]
                dst_index[out] = src_index[a]
                a += 1
                out += 1
            while b < hi:
                dst_keys[out] = src_keys[b]
                dst_index[out] = src_index[b]
                b += 1
                out += 1
        src_keys, src_index, dst_keys, dst_index = dst_keys, dst_index, src_keys, src_index
        in_scratch = not in_scratch
        width *= 2
    if in_scratch:
        call_seq[:n_finite] = index_tmp[:n_finite]


@njit(cache=True)
def _value_days(
    close: np.ndarray,
    position: np.ndarray,
    held: np.ndarray,
    n_held: int,
    book_cash: float,
    start: int,
    stop: int,
    value_out: np.ndarray,
    cash_out: np.ndarray,
) -> float:
    """Rows ``start`` .. ``stop - 1`` without trades: value the held shares at each close.

    Cash and value are reported as vectorbt's books have them (``_books_nb``): the book cash,
    which its ``cash_grouped_nb`` snaps to 0 within tolerance each day, plus the held assets'
    values summed in column order. Returns the book cash after the last row.
    """
    if start < stop:
        # vectorbt adds each day's zero flow with ``add_nb``, which zeroes a cash within
        # tolerance of 0; that is idempotent, so once for the run of days is the same
        book_cash = _add(book_cash, 0.0)
    for day in range(start, stop):
        asset_value = 0.0
        for h in range(n_held):
            asset = held[h]
            asset_value += position[asset] * close[day, asset]
        value_out[day] = book_cash + asset_value
        if cash_out.shape[0]:
            cash_out[day] = book_cash
    return book_cash


@njit(cache=True)
def _simulate_nb(
    close: np.ndarray,
    targets: np.ndarray,
    target_of_variant: np.ndarray,
    rebalance_rows: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    granularity: np.ndarray,
    init_cash: float,
    record_shares: bool,
    value_out: np.ndarray,
    cash_out: np.ndarray,
    turnover_out: np.ndarray,
    initial_out: np.ndarray,
    traded_out: np.ndarray,
    fees_out: np.ndarray,
    slippage_out: np.ndarray,
    fee_drag_out: np.ndarray,
    slippage_drag_out: np.ndarray,
    shares_out: np.ndarray,
    record_orders: bool,
    order_float_out: np.ndarray,
    order_int_out: np.ndarray,
    n_orders_out: np.ndarray,
) -> None:
    """Fill the (V, T) ``value_out``/``cash_out`` and (V,) totals; see the module docstring.

    ``granularity`` is (V, N): each variant's size granularity per asset (NaN = any size).
    With ``record_orders``, each fill of variant v is written, in execution order, to
    ``order_int_out[v, k] = (row, asset, side)`` (side 0 buy, 1 sell) and
    ``order_float_out[v, k] = (shares, price, fees, slippage)``; ``n_orders_out[v]`` counts them.
    """
    n_rows, n_assets = close.shape
    n_variants = target_of_variant.shape[0]
    n_rebalances = rebalance_rows.shape[0]
    position = np.zeros(n_assets)
    order_value = np.empty(n_assets)
    call_seq = np.empty(n_assets, dtype=np.int64)
    sort_keys = np.empty(n_assets)
    sort_keys_tmp = np.empty(n_assets)
    sort_index_tmp = np.empty(n_assets, dtype=np.int64)
    held = np.empty(n_assets, dtype=np.int64)
    row_flow = np.zeros(n_assets)  # cash flow of each asset on the row, as vectorbt books it

    for v in range(n_variants):
        weights = targets[target_of_variant[v]]
        fee = fees[v]
        slip = slippage[v]
        step = granularity[v]
        position[:] = 0.0
        cash = init_cash
        book_cash = init_cash  # cash as the books rebuild it from the fills (reported)
        n_held = 0
        turnover = 0.0
        initial = 0.0
        invested = False  # whether a row has traded yet (the first one is the initial investment)
        traded = 0.0
        fees_total = 0.0
        slippage_total = 0.0
        fee_drag = 0.0
        slippage_drag = 0.0
        day = 0
        prev_row = -1
        n_orders = 0

        for r in range(n_rebalances):
            row = rebalance_rows[r]
            w = weights[r]
            no_order = True
            for asset in range(n_assets):
                if not np.isnan(w[asset]):
                    no_order = False
                    break
            if no_order:
                # A row with no target (another variant's decision day) is a day without
                # trades: vectorbt only snaps cash and positions there, as the next traded
                # row does after a gap, so it is valued with the days around it.
                if record_shares:
                    shares_out[v, r] = position
                continue
            # Days before this rebalance: value the shares held.
            book_cash = _value_days(
                close, position, held, n_held, book_cash, day, row, value_out[v], cash_out[v]
            )
            day = row
            if row > prev_row + 1:
                # vectorbt visited the no-trade rows in between, which snapped cash and positions.
                cash = _snap(cash)
                for asset in range(n_assets):
                    position[asset] = _snap(position[asset])

            # Group value, computed once before any order (update_value=False).
            group_value = cash
            for asset in range(n_assets):
                if position[asset] != 0:
                    group_value += position[asset] * close[row, asset]

            for asset in range(n_assets):
                order_value[asset] = w[asset] * group_value - position[asset] * close[row, asset]
            _sort_call_seq(order_value, call_seq, sort_keys, sort_keys_tmp, sort_index_tmp)

            value_now = _snap(group_value)
            traded_row = 0.0
            fees_row = 0.0
            slippage_row = 0.0
            row_flow[:] = 0.0
            for k in range(n_assets):
                asset = call_seq[k]
                cash = _snap(cash)
                pos = _snap(position[asset])
                position[asset] = pos
                weight = w[asset]
                if np.isnan(weight) or value_now <= 0:
                    continue  # no order / rejected: group value is zero or negative
                price = close[row, asset]
                order_size = weight * value_now
                order_size /= price
                order_size -= pos

                granular = not np.isnan(step[asset])
                if order_size > 0:  # buy_nb
                    adj_price = price * (1 + slip)
                    cash_limit = cash
                    if cash_limit == 0:
                        continue  # rejected: no cash
                    adj_size = order_size
                    if granular:
                        adj_size = _floor_to(adj_size, step[asset])
                    req_cash = adj_size * adj_price
                    req_fees = req_cash * fee + 0.0
                    total_req_cash = req_cash + req_fees
                    if _is_close_or_less(total_req_cash, cash_limit):
                        final_size = adj_size
                        fees_paid = req_fees
                        final_req_cash = total_req_cash
                    else:
                        # Partial fill: spend all the cash, fees included (in whole steps when
                        # granular, which leaves the remainder in cash).
                        max_req_cash = _add(cash_limit, -0.0) / (1 + fee)
                        if max_req_cash <= 0:
                            continue  # rejected: cannot cover fees
                        final_size = max_req_cash / adj_price
                        if granular:
                            final_size = _floor_to(final_size, step[asset])
                            final_req_cash = final_size * adj_price
                            fees_paid = final_req_cash * fee + 0.0
                            final_req_cash = final_req_cash + fees_paid
                        else:
                            fees_paid = cash_limit - max_req_cash
                            final_req_cash = cash_limit
                    if _is_close(adj_size, 0.0):
                        continue  # ignored: size zero
                    if _is_less(final_size, MIN_ORDER_SHARES):
                        continue  # rejected: under min_size
                    cash = _add(cash, -final_req_cash)
                    position[asset] = _add(pos, final_size)
                else:  # sell_nb
                    size = -order_size
                    if granular:
                        size = _floor_to(size, step[asset])
                    adj_price = price * (1 - slip)
                    if _is_close(size, 0.0):
                        continue  # ignored: size zero
                    if _is_less(size, MIN_ORDER_SHARES):
                        continue  # rejected: under min_size
                    acq_cash = size * adj_price
                    fees_paid = acq_cash * fee + 0.0
                    final_acq_cash = _add(acq_cash, -fees_paid)
                    if final_acq_cash < 0:
                        continue  # rejected: cannot cover fees
                    final_size = size
                    cash = cash + final_acq_cash
                    position[asset] = _add(pos, -size)
                notional = final_size * adj_price
                traded_row += notional
                slippage_paid = abs(adj_price - price) * final_size
                fees_total += fees_paid
                slippage_total += slippage_paid
                fees_row += fees_paid
                slippage_row += slippage_paid
                signed = final_size if order_size > 0 else -final_size
                row_flow[asset] = _add(row_flow[asset], -signed * adj_price - fees_paid)
                if record_orders:
                    order_int_out[v, n_orders, 0] = row
                    order_int_out[v, n_orders, 1] = asset
                    order_int_out[v, n_orders, 2] = 0 if order_size > 0 else 1
                    order_float_out[v, n_orders, 0] = final_size
                    order_float_out[v, n_orders, 1] = adj_price
                    order_float_out[v, n_orders, 2] = fees_paid
                    order_float_out[v, n_orders, 3] = slippage_paid
                    n_orders += 1

            traded += traded_row
            if value_now > 0 and traded_row > 0:
                if invested:
                    turnover += traded_row / value_now
                else:
                    initial = traded_row / value_now
                    invested = True
            # the value at the previous close is already booked (init_cash before row 0)
            value_before = value_out[v, row - 1] if row > 0 else init_cash
            if value_before > 0:
                fee_drag += fees_row / value_before
                slippage_drag += slippage_row / value_before
            n_held = 0
            for asset in range(n_assets):
                if position[asset] != 0:
                    held[n_held] = asset
                    n_held += 1
            if record_shares:
                shares_out[v, r] = position
            prev_row = row
            flow_total = 0.0
            for asset in range(n_assets):
                flow_total += row_flow[asset]
            book_cash = _add(book_cash, flow_total)
            # the rebalance row itself is valued after its trades, from the books
            day = row + 1
            asset_value = 0.0
            for h in range(n_held):
                asset_value += position[held[h]] * close[row, held[h]]
            value_out[v, row] = book_cash + asset_value
            if cash_out.shape[1]:
                cash_out[v, row] = book_cash

        _value_days(
            close, position, held, n_held, book_cash, day, n_rows, value_out[v], cash_out[v]
        )
        turnover_out[v] = turnover
        initial_out[v] = initial
        traded_out[v] = traded
        fees_out[v] = fees_total
        slippage_out[v] = slippage_total
        fee_drag_out[v] = fee_drag
        slippage_drag_out[v] = slippage_drag
        n_orders_out[v] = n_orders


# ---------------------------------------------------------------------------------------------
# Python wrappers


def _per_variant(x: float | np.ndarray, n_variants: int, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n_variants, float(arr))
    if arr.shape != (n_variants,):
        raise ValueError(f"{name} must be a scalar or have shape ({n_variants},), got {arr.shape}")
    return np.ascontiguousarray(arr)


def _granularity(size_granularity: np.ndarray | None, n_variants: int, n_assets: int) -> np.ndarray:
    """(V, N) size granularity from None (any size), (N,) or (V, N); vectorbt's check."""
    if size_granularity is None:
        return np.full((n_variants, n_assets), np.nan)
    arr = np.asarray(size_granularity, dtype=np.float64)
    if arr.shape not in ((n_assets,), (n_variants, n_assets)):
        raise ValueError(
            f"size_granularity must have shape ({n_assets},) or ({n_variants}, {n_assets}), "
            f"got {arr.shape}"
        )
    if np.any(np.isinf(arr) | (arr <= 0)):
        raise ValueError("size_granularity must be NaN (any size) or finite and > 0")
    return np.ascontiguousarray(np.broadcast_to(arr, (n_variants, n_assets)))


def simulate_target_weights(
    close: np.ndarray,
    targets: np.ndarray,
    rebalance_rows: np.ndarray,
    fees: float | np.ndarray,
    slippage: float | np.ndarray,
    init_cash: float,
    *,
    size_granularity: np.ndarray | None = None,
    record_shares: bool = False,
    record_orders: bool = False,
    record_cash: bool = True,
) -> SimResult:
    """Simulate V target-weight variants that rebalance on the same rows, in one compiled pass.

    close: (T, N) prices, finite and > 0 (the engine back-fills before listings).
    targets: (V, R, N) target fractions of portfolio value, one row per rebalance row, already
        lagged by ``execution_lag``; NaN = leave that asset's position untouched. A (R, N) array
        is shared by all variants (then V comes from ``fees``/``slippage``), without copies.
    rebalance_rows: (R,) strictly increasing row numbers of ``close`` where ``targets`` apply.
    fees, slippage: scalar or (V,) fractions (0.001 = 0.1 %) of traded notional / of price.
    init_cash: starting cash of every variant.
    size_granularity: (N,) or (V, N) vectorbt ``size_granularity`` per asset (and variant):
        1.0 trades whole shares, NaN any size (the default for every asset).
    record_shares: also return the (V, R, N) shares held after each rebalance.
    record_orders: also return each variant's fills (``Fills``).
    record_cash: return the daily cash (else ``cash`` is empty): a sweep needs only
        the values, and skipping the cash halves the memory the pass writes.
    """
    close = np.ascontiguousarray(close, dtype=np.float64)
    if close.ndim != 2:
        raise ValueError(f"close must be 2-D (days x assets), got shape {close.shape}")
    if not np.all(np.isfinite(close)) or not np.all(close > 0):
        raise ValueError("close must be finite and > 0 everywhere (back-fill before listings)")
    n_rows, n_assets = close.shape

    rebalance_rows = np.ascontiguousarray(rebalance_rows, dtype=np.int64)
    if rebalance_rows.ndim != 1:
        raise ValueError("rebalance_rows must be 1-D")
    n_rebalances = rebalance_rows.shape[0]
    if n_rebalances and (
        rebalance_rows[0] < 0
        or rebalance_rows[-1] >= n_rows
        or np.any(np.diff(rebalance_rows) <= 0)
    ):
        raise ValueError(f"rebalance_rows must be strictly increasing rows in [0, {n_rows})")

    targets = np.ascontiguousarray(targets, dtype=np.float64)
    if targets.ndim == 2:
        targets = targets[None]
        shared_targets = True
    elif targets.ndim == 3:
        shared_targets = False
    else:
        raise ValueError(f"targets must be (V, R, N) or (R, N), got shape {targets.shape}")
    if targets.shape[1:] != (n_rebalances, n_assets):
        raise ValueError(
            f"targets must have {n_rebalances} rows (one per rebalance row) and {n_assets} "
            f"columns (one per asset), got shape {targets.shape}"
        )
    if np.any(np.isinf(targets)):
        raise ValueError("targets must be finite or NaN")

    if shared_targets:
        n_variants = max(np.size(fees), np.size(slippage))
        target_of_variant = np.zeros(n_variants, dtype=np.int64)
    else:
        n_variants = targets.shape[0]
        target_of_variant = np.arange(n_variants, dtype=np.int64)
    fees = _per_variant(fees, n_variants, "fees")
    slippage = _per_variant(slippage, n_variants, "slippage")
    if not np.all(np.isfinite(fees)) or np.any(fees < 0):
        raise ValueError("fees must be finite and >= 0")
    if not np.all(np.isfinite(slippage)) or np.any(slippage < 0) or np.any(slippage >= 1):
        raise ValueError("slippage must be in [0, 1)")
    init_cash = float(init_cash)
    if not np.isfinite(init_cash) or init_cash <= 0:
        raise ValueError(f"init_cash must be finite and > 0, got {init_cash}")
    granularity = _granularity(size_granularity, n_variants, n_assets)

    value = np.empty((n_variants, n_rows))
    cash = np.empty((n_variants, n_rows if record_cash else 0))
    turnover = np.empty(n_variants)
    initial_turnover = np.empty(n_variants)
    traded_value = np.empty(n_variants)
    fees_paid = np.empty(n_variants)
    slippage_paid = np.empty(n_variants)
    fee_drag_sum = np.empty(n_variants)
    slippage_drag_sum = np.empty(n_variants)
    shares_shape = (n_variants, n_rebalances, n_assets) if record_shares else (0, 0, 0)
    shares = np.zeros(shares_shape)
    order_shape = (n_variants, n_rebalances * n_assets) if record_orders else (0, 0)
    order_float = np.zeros((*order_shape, 4))
    order_int = np.zeros((*order_shape, 3), dtype=np.int64)
    n_orders = np.zeros(n_variants, dtype=np.int64)
    _simulate_nb(
        close,
        targets,
        target_of_variant,
        rebalance_rows,
        fees,
        slippage,
        granularity,
        init_cash,
        record_shares,
        value,
        cash,
        turnover,
        initial_turnover,
        traded_value,
        fees_paid,
        slippage_paid,
        fee_drag_sum,
        slippage_drag_sum,
        shares,
        record_orders,
        order_float,
        order_int,
        n_orders,
    )
    fills = None
    if record_orders:
        fills = [
            Fills(
                row=order_int[v, : n_orders[v], 0],
                asset=order_int[v, : n_orders[v], 1],
                side=order_int[v, : n_orders[v], 2],
                shares=order_float[v, : n_orders[v], 0],
                price=order_float[v, : n_orders[v], 1],
                fees=order_float[v, : n_orders[v], 2],
                slippage=order_float[v, : n_orders[v], 3],
            )
            for v in range(n_variants)
        ]
    return SimResult(
        value=value.T,
        cash=cash.T,
        turnover=turnover,
        initial_turnover=initial_turnover,
        traded_value=traded_value,
        fees_paid=fees_paid,
        slippage_paid=slippage_paid,
        fee_drag_sum=fee_drag_sum,
        slippage_drag_sum=slippage_drag_sum,
        shares=shares if record_shares else None,
        orders=fills,
    )


def simulate_from_weights_frame(
    close: Prices,
    weights: Weights,
    fees: float,
    slippage: float,
    init_cash: float,
    *,
    size_granularity: np.ndarray | None = None,
    record_shares: bool = False,
    record_orders: bool = False,
) -> SimResult:
    """Simulate one weights frame, as executed (already lagged), shaped like ``close``.

    The rebalance rows are the rows with any non-NaN weight. Result arrays have one column
    (V = 1); their rows follow ``close.index``. ``size_granularity``: (N,), in column order.
    """
    if not weights.index.equals(close.index):
        raise ValueError("weights must have the same dates as close")
    if not weights.columns.equals(close.columns):
        missing = sorted(map(str, close.columns.difference(weights.columns)))
        extra = sorted(map(str, weights.columns.difference(close.columns)))
        raise ValueError(
            f"weights must have the same symbols as close, in order "
            f"(missing: {missing}, not in close: {extra})"
        )
    weight_values = weights.to_numpy(dtype=np.float64, na_value=np.nan)
    rebalance_rows = np.flatnonzero(~np.all(np.isnan(weight_values), axis=1))
    return simulate_target_weights(
        close.to_numpy(dtype=np.float64),
        weight_values[rebalance_rows][None],
        rebalance_rows,
        fees,
        slippage,
        init_cash,
        size_granularity=size_granularity,
        record_shares=record_shares,
        record_orders=record_orders,
    )


# ---------------------------------------------------------------------------------------------
# Books of one variant, as vectorbt keeps them


@dataclass(frozen=True)
class Books:
    """One variant's daily books, rebuilt from its fills exactly as vectorbt rebuilds them.

    cash, value: (T,); shares, asset_value: (T, N) position and its value at each close.
    """

    cash: np.ndarray
    value: np.ndarray
    shares: np.ndarray
    asset_value: np.ndarray


@njit(cache=True)
def _books_nb(
    close: np.ndarray,
    row: np.ndarray,
    asset: np.ndarray,
    side: np.ndarray,
    size: np.ndarray,
    price: np.ndarray,
    fees: np.ndarray,
    init_cash: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """vectorbt 1.2's ``cash_flow_nb``, ``asset_flow_nb`` (direction both), ``assets_nb``,
    ``cash_grouped_nb`` (one cash-sharing group), ``asset_value_nb`` (close zeroed where no
    position) and ``value_nb``, operation for operation, so the books are bit-identical to a
    ``Portfolio`` built from the same fills."""
    n_rows, n_assets = close.shape
    cash_flow = np.zeros((n_rows, n_assets))
    asset_flow = np.zeros((n_rows, n_assets))
    position_by_asset = np.zeros(n_assets)
    for k in range(row.shape[0]):
        i, j = row[k], asset[k]
        signed = size[k] if side[k] == 0 else -size[k]
        cash_flow[i, j] = _add(cash_flow[i, j], -signed * price[k] - fees[k])
        position_by_asset[j] = _add(position_by_asset[j], signed)
        asset_flow[i, j] = _add(asset_flow[i, j], signed)
    shares = np.empty((n_rows, n_assets))
    for j in range(n_assets):
        position = 0.0
        for i in range(n_rows):
            position = _add(position, asset_flow[i, j])
            shares[i, j] = position
    cash = np.empty(n_rows)
    value = np.empty(n_rows)
    asset_value = np.zeros((n_rows, n_assets))
    cash_now = init_cash
    for i in range(n_rows):
        flow = 0.0  # sum_grouped_nb: the row's flows added in column order
        for j in range(n_assets):
            flow += cash_flow[i, j]
        cash_now = _add(cash_now, flow)
        cash[i] = cash_now
        total = 0.0
        for j in range(n_assets):
            if shares[i, j] != 0:  # vectorbt zeroes the price where nothing is held
                asset_value[i, j] = close[i, j] * shares[i, j]
                total += asset_value[i, j]
        value[i] = cash_now + total
    return cash, value, shares, asset_value


def books(close: np.ndarray, fills: Fills, init_cash: float) -> Books:
    """The daily cash, value, shares and asset value of one variant from its ``fills``."""
    cash, value, shares, asset_value = _books_nb(
        np.ascontiguousarray(close, dtype=np.float64),
        fills.row,
        fills.asset,
        fills.side,
        fills.shares,
        fills.price,
        fills.fees,
        float(init_cash),
    )
    return Books(cash=cash, value=value, shares=shares, asset_value=asset_value)


# ---------------------------------------------------------------------------------------------
# Memory budget


def bytes_per_variant(n_rows: int, n_assets: int, n_rebalances: int) -> int:
    """Bytes one variant needs in a pass: its targets and shares (R x N), value and cash (T),
    size granularity (N) and its seven totals (turnover, initial turnover, traded value, fees,
    slippage and the two drag sums)."""
    return 8 * (2 * n_rebalances * n_assets + n_assets + 2 * n_rows + 7)


def iter_variant_chunks(
    n_variants: int, n_rows: int, n_assets: int, n_rebalances: int, budget_mb: float
) -> Iterator[slice]:
    """Slices of ``range(n_variants)`` whose per-variant arrays fit in ``budget_mb`` megabytes.

    The budget covers what grows with the variants (see ``bytes_per_variant``), not the shared
    (T, N) prices. Raises ConfigError if not even one variant fits.
    """
    if n_variants < 0:
        raise ValueError(f"n_variants must be >= 0, got {n_variants}")
    per_variant = bytes_per_variant(n_rows, n_assets, n_rebalances)
    chunk = int(budget_mb * 1024 * 1024 // per_variant)
    if chunk < 1:
        raise ConfigError(
            f"memory_mb: {budget_mb} MB is less than one variant needs "
            f"({per_variant / 1024 / 1024:.3f} MB for T={n_rows}, N={n_assets}, R={n_rebalances})"
        )
    for start in range(0, n_variants, chunk):
        yield slice(start, min(start + chunk, n_variants))


COMPILE_SECONDS = 15
"""About how long numba takes to compile the kernels when its on-disk cache is empty (measured:
13 s of CPU on the first run after install; ``compiled_on_disk``)."""


def compiled_on_disk() -> bool:
    """Whether numba's on-disk cache (``cache=True``: ``__pycache__`` beside this file, or
    ``NUMBA_CACHE_DIR``) holds the kernels a run needs for this source, so a new process
    loads them in well under a second instead of compiling them. True when it cannot tell
    (numba's cache internals are not public API)."""
    try:
        kernels: tuple[Any, ...] = (_simulate_nb, _books_nb)
        return all(bool(kernel._cache._cache_file._load_index()) for kernel in kernels)
    except Exception:
        return True
