"""Strategies: the registry of strategy files and the small named steps they are built from.

A strategy is a Python file in a strategies folder (``strategies/`` at the repo root by
default); its name is the file name. The file defines

- a module docstring whose first line describes the strategy (``rotation strategies`` lists it),
- ``Params``: a frozen dataclass of its parameters (validated like the rest of the config),
- ``target_weights(inputs: StrategyInputs, params: Params) -> Weights``,
- optionally ``check(params: Params, config: Config) -> None`` raising ``ValueError("key: why")``.

``target_weights`` returns a frame shaped like ``inputs.prices``: one fully specified row per
decision date in ``inputs.schedule`` (0 for assets not held, rows sum to <= 1, the rest is cash),
NaN elsewhere. It never trades: the engine applies the execution lag and the costs.

The steps read like the sentence they implement:

| kind      | steps                                                                              |
|-----------|------------------------------------------------------------------------------------|
| schedule  | ``schedule`` (monthly / weekly / ... and on regime change)                         |
| select    | ``listed``, ``momentum_filter``                                                    |
| weigh     | ``equal_weights``, ``inverse_vol_weights``, ``capped_weights``, ``sleeve_members`` |
| sleeves   | ``switch`` (all in one sleeve per state), ``tilt`` (graded by the composite)       |
| constrain | ``allocate`` (fall back, ``cash`` sleeve), ``vol_target``, ``drift_bands``         |
| assemble  | ``weights_frame``, ``sleeve_rotation`` (the whole sentence for sleeve strategies)  |

``Within`` and ``VolTarget`` are small parameter blocks a strategy's ``Params`` can nest, so the
same keys mean the same thing in every strategy that uses these steps.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from rotation._typed import build, suggest
from rotation._types import Prices, Regime, Weights
from rotation.errors import ConfigError, StrategyError

if TYPE_CHECKING:
    from rotation.config import Config

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

CASH = "cash"
"""A sleeve name that means "hold cash": usable in allocations without being in the universe."""

TRADING_DAYS_PER_YEAR = 252


@dataclass(frozen=True)
class StrategyInputs:
    """Everything a strategy may read, all point-in-time on the trading calendar.

    ``prices``: dates x symbols of the universe (NaN before listing); ``signals``: dates x
    (components..., composite); ``regime``: state per date; ``universe``: sleeve -> symbols;
    ``schedule``: the decision dates (a subset of ``prices.index``).
    """

    prices: Prices
    signals: pd.DataFrame
    regime: Regime
    universe: Mapping[str, tuple[str, ...]]
    schedule: pd.DatetimeIndex


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    params_type: type
    target_weights: Callable[[StrategyInputs, Any], Weights]
    check: Callable[[Any, Config], None] | None
    path: Path
    # optional: all variants of a sweep at once (see rotation.sweep.BatchInputs)
    batch_target_weights: Callable[..., Any] | None = None

    def parse_params(self, raw: Mapping[str, Any], config: Config) -> Any:
        """Build this strategy's ``Params`` from the config's ``strategy.params``."""
        params = build(self.params_type, dict(raw), "strategy.params")
        if self.check is not None:
            try:
                self.check(params, config)
            except ValueError as exc:
                raise ConfigError(f"strategy.params.{exc}") from None
        return params

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """(name, default) for each parameter, for listings.

        A nested parameter block (``Within``, ``VolTarget``) is shown as its keys; an optional
        block that defaults to None as ``None (or {...its keys...})``.
        """
        import typing

        try:
            hints = typing.get_type_hints(self.params_type)
        except Exception:  # a user file with unresolvable annotations still lists
            hints = {}
        out = []
        for f in dataclasses.fields(self.params_type):
            if f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            elif f.default is not dataclasses.MISSING:
                value = f.default
            else:
                out.append((f.name, "required"))
                continue
            if dataclasses.is_dataclass(value):
                default = repr(dataclasses.asdict(value))
            elif isinstance(value, Mapping):
                default = repr(dict(value))
            else:
                default = repr(value)
            blocks = [t for t in typing.get_args(hints.get(f.name)) if dataclasses.is_dataclass(t)]
            if value is None and blocks:
                default += f" (or {dataclasses.asdict(blocks[0]())!r})"
            out.append((f.name, default))
        return out


def _load_module(path: Path) -> ModuleType:
    module_name = f"rotation_user_strategies.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise StrategyError(f"{path}: error while loading the strategy: {exc!r}") from exc
    return module


def available_strategies(folder: Path) -> list[str]:
    """Names of the strategy files in ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if _NAME.match(p.stem))


def load_strategy(name: str, folder: Path) -> Strategy:
    """Load strategy ``name`` from ``folder/<name>.py``; errors name the file or the name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"strategies folder {folder} does not exist (set strategies_dir)")
    names = available_strategies(folder)
    if not _NAME.match(name) or name not in names:
        raise ConfigError(
            f"strategy.name: unknown strategy {name!r}{suggest(name, names)}; "
            f"available in {folder}: {', '.join(names) or 'none'}"
        )
    path = folder / f"{name}.py"
    module = _load_module(path)
    params_type = getattr(module, "Params", None)
    function = getattr(module, "target_weights", None)
    if not (isinstance(params_type, type) and dataclasses.is_dataclass(params_type)):
        raise StrategyError(f"{path}: must define a dataclass named Params")
    if not callable(function):
        raise StrategyError(f"{path}: must define target_weights(inputs, params)")
    doc = (module.__doc__ or "").strip().splitlines()
    return Strategy(
        name=name,
        description=doc[0] if doc else "",
        params_type=params_type,
        target_weights=function,
        check=getattr(module, "check", None),
        path=path,
        batch_target_weights=getattr(module, "batch_target_weights", None),
    )


# --- schedule ---------------------------------------------------------------------------------

_PERIOD = {"daily": "D", "weekly": "W", "monthly": "M", "quarterly": "Q"}


def schedule(
    index: pd.DatetimeIndex,
    every: str,
    *,
    regime: Regime | None = None,
    on_regime_change: bool = False,
) -> pd.DatetimeIndex:
    """Decision dates: the first trading day of each period (``never``: the first day only),
    plus, with ``on_regime_change``, every day whose known regime differs from the day before.

    Only past dates are compared, so a date is known to be a decision date on that date.
    """
    if len(index) == 0:
        return index
    if every == "never":
        first = np.zeros(len(index), dtype=bool)
        first[0] = True
    else:
        periods = index.to_period(_PERIOD[every])
        first = np.r_[True, periods[1:] != periods[:-1]]
    if on_regime_change and regime is not None:
        from rotation.regime import regime_changes

        first |= regime_changes(regime.reindex(index)).to_numpy()
    return index[first]


# --- select -----------------------------------------------------------------------------------


def listed(prices: Prices, date: pd.Timestamp, symbols: Sequence[str], min_days: int = 1) -> list:
    """Symbols with a close on ``date`` and at least ``min_days`` closes up to it."""
    history = _upto(prices, date, symbols)
    known = ~np.isnan(history.to_numpy(dtype="float64"))
    counts = known.sum(axis=0)
    on_date = known[-1] if len(known) else counts.astype(bool)
    return [s for s, on, n in zip(symbols, on_date, counts, strict=True) if on and n >= min_days]


def _upto(prices: Prices, date: pd.Timestamp, symbols: Sequence[str], rows: int | None = None):
    """``prices.loc[:date, symbols]`` (its last ``rows`` rows), by position: the same frame
    without pandas' label lookups, which dominate a strategy's run time."""
    end = int(prices.index.searchsorted(date, side="right"))
    cols = prices.columns.get_indexer(list(symbols))
    if (cols < 0).any():
        missing = [s for s, c in zip(symbols, cols, strict=True) if c < 0]
        raise KeyError(f"not in prices: {missing}")
    start = 0 if rows is None else max(0, end - rows)
    return prices.iloc[start:end, cols]


def momentum_filter(
    prices: Prices, date: pd.Timestamp, symbols: Sequence[str], lookback: int, *, min_return=0.0
) -> list:
    """Symbols whose return over the ``lookback`` rows to ``date`` is above ``min_return``.

    A symbol without a close ``lookback`` rows ago (too young) is left out.
    """
    if not symbols:
        return []
    window = prices.loc[:date, list(symbols)]
    if len(window) <= lookback:
        return []
    change = window.iloc[-1] / window.iloc[-(lookback + 1)] - 1.0
    return [s for s in symbols if np.isfinite(change[s]) and change[s] > min_return]


# --- weigh ------------------------------------------------------------------------------------


def equal_weights(symbols: Sequence[str]) -> pd.Series:
    """1/n for each symbol (empty in, empty out)."""
    n = len(symbols)
    return pd.Series(1.0 / n if n else [], index=list(symbols), dtype="float64")


def inverse_vol_weights(
    prices: Prices, date: pd.Timestamp, symbols: Sequence[str], lookback: int
) -> pd.Series:
    """Weights proportional to 1 / stdev of daily returns over the ``lookback`` rows to ``date``.

    Symbols with fewer than ``lookback // 2`` returns get the median inverse volatility of the
    others (or equal weights when none has enough history).
    """
    if not symbols:
        return equal_weights(symbols)
    window = _upto(prices, date, symbols, rows=lookback + 1)
    returns = window.pct_change(fill_method=None).iloc[1:]
    enough = returns.count() >= max(2, lookback // 2)
    vol = returns.std().where(enough)
    inv = 1.0 / vol.replace(0.0, np.nan)
    if inv.isna().all():
        return equal_weights(symbols)
    inv = inv.fillna(inv.median())
    return inv / inv.sum()


def capped_weights(weights: pd.Series, cap: float) -> pd.Series:
    """Weights clipped at ``cap`` each, the excess handed to the uncapped ones pro rata.

    Repeats until no weight exceeds ``cap``. When ``len(weights) * cap < total`` the total
    cannot be placed: every weight ends at ``cap`` and the rest stays unallocated (cash).
    """
    if weights.empty:
        return weights
    return pd.Series(_cap(weights.to_numpy(dtype="float64"), cap), index=weights.index)


def _cap(weights: np.ndarray, cap: float) -> np.ndarray:
    out = weights.copy()
    total = float(out.sum())
    for _ in range(len(out)):
        over = out > cap + 1e-15
        if not over.any():
            break
        out[over] = cap
        room = total - float(out.sum())
        free = out < cap
        if room <= 0 or not free.any():
            break
        base = out[free]
        out[free] = base + room * (base / base.sum() if base.sum() > 0 else 1.0 / free.sum())
    return out


@dataclass(frozen=True)
class Within:
    """How the members of a sleeve are chosen and weighed (a ``within:`` block in params).

    ``weigh``: equal or inverse volatility over ``lookback`` days; ``max_weight``: cap of one
    asset as a fraction of its sleeve (excess to the others, see ``capped_weights``; never
    below 1/n of the n members chosen, so a cap never pushes a sleeve into cash);
    ``momentum_days``: when > 0, keep only members whose return over that many days is > 0;
    ``min_days``: closes an asset needs before it counts as listed.
    """

    weigh: Literal["equal", "inverse_vol"] = "inverse_vol"
    lookback: int = 63
    max_weight: float | None = None
    momentum_days: int = 0
    min_days: int = 2

    def __post_init__(self) -> None:
        if self.lookback < 5:
            raise ValueError(f"lookback: must be >= 5 days, got {self.lookback}")
        if self.max_weight is not None and not 0 < self.max_weight <= 1:
            raise ValueError(f"max_weight: must be in (0, 1], got {self.max_weight}")
        if self.momentum_days < 0:
            raise ValueError(f"momentum_days: must be >= 0, got {self.momentum_days}")
        if self.min_days < 1:
            raise ValueError(f"min_days: must be >= 1, got {self.min_days}")


def sleeve_members(
    prices: Prices, date: pd.Timestamp, universe: Mapping[str, Sequence[str]], within: Within
) -> dict[str, pd.Series]:
    """sleeve -> weights of its members on ``date`` (summing to 1, or empty): select, weigh, cap."""
    members = {}
    for sleeve, symbols in universe.items():
        chosen = listed(prices, date, symbols, min_days=within.min_days)
        if within.momentum_days:
            chosen = momentum_filter(prices, date, chosen, within.momentum_days)
        weights = (
            inverse_vol_weights(prices, date, chosen, within.lookback)
            if within.weigh == "inverse_vol"
            else equal_weights(chosen)
        )
        if within.max_weight is not None and len(weights):
            weights = capped_weights(weights, max(within.max_weight, 1.0 / len(weights)))
        members[sleeve] = weights
    return members


# --- sleeves: how much of the portfolio each sleeve gets -------------------------------------


def switch(state: Any, sleeve_by_state: Mapping[str, str], warmup_state: str) -> dict[str, float]:
    """All in one sleeve: ``{sleeve_by_state[state]: 1.0}`` (the warm-up state while unknown)."""
    state = state if isinstance(state, str) else warmup_state
    return {sleeve_by_state[state]: 1.0}


def tilt(
    score: float,
    base: Mapping[str, float],
    sensitivity: Mapping[str, float],
    *,
    clip: float = 2.0,
) -> dict[str, float]:
    """Graded sleeve weights: ``base[s] + sensitivity[s] * clip(score, -clip, clip)``.

    Negative results are set to 0; if the weights then sum to more than 1 they are scaled to 1
    (less than 1 leaves the rest in cash). A NaN score (warm-up) gives ``base``. With
    sensitivities summing to 0 the invested total stays that of ``base``.
    """
    x = 0.0 if score is None or not np.isfinite(score) else float(np.clip(score, -clip, clip))
    sleeves = dict.fromkeys([*base, *sensitivity])
    raw = {s: max(0.0, base.get(s, 0.0) + sensitivity.get(s, 0.0) * x) for s in sleeves}
    total = sum(raw.values())
    return {s: w / total for s, w in raw.items()} if total > 1 else raw


# --- constrain --------------------------------------------------------------------------------


def allocate(
    sleeve_weights: Mapping[str, float],
    members: Mapping[str, pd.Series],
    *,
    fallback: str | None = None,
    columns: Sequence[str],
) -> pd.Series:
    """Combine sleeve allocations with within-sleeve weights into one row over ``columns``.

    A sleeve with no listed member passes its allocation to ``fallback`` (if that sleeve has
    members) or leaves it in cash. The ``cash`` sleeve (when the universe has no sleeve of that
    name) is cash: its share stays out of every asset.
    """
    row = pd.Series(0.0, index=list(columns))
    spill = 0.0
    for sleeve, weight in sleeve_weights.items():
        inner = members.get(sleeve)
        if weight <= 0 or (sleeve == CASH and inner is None):
            continue
        if inner is None or inner.empty:
            spill += weight
            continue
        row[inner.index] += weight * inner.to_numpy()
    if spill and fallback is not None and members.get(fallback) is not None:
        inner = members[fallback]
        if not inner.empty:
            row[inner.index] += spill * inner.to_numpy()
    return row


def weights_frame(index: pd.DatetimeIndex, columns: Sequence[str], rows: dict) -> Weights:
    """A weights frame: the given rows (date -> Series), NaN on every other date."""
    frame = pd.DataFrame(np.nan, index=index, columns=list(columns))
    for date, row in rows.items():
        frame.loc[date] = row.reindex(frame.columns).fillna(0.0).to_numpy()
    return frame


# --- the same steps for many decision dates at once (sweeps) --------------------------------


def listed_table(prices: Prices, min_days: int = 1) -> pd.DataFrame:
    """dates x symbols: ``listed`` for every date at once (a close that day, >= min_days)."""
    known = prices.notna()
    return known & (known.cumsum() >= min_days)


def inverse_vol_table(prices: Prices, lookback: int) -> pd.DataFrame:
    """dates x symbols: 1 / stdev of the last ``lookback`` daily returns (NaN when fewer than
    ``lookback // 2`` returns or zero volatility): the input of ``inverse_vol_weights``."""
    returns = prices.pct_change(fill_method=None)
    vol = returns.rolling(lookback, min_periods=max(2, lookback // 2)).std()
    return 1.0 / vol.where(vol > 0)


def inverse_vol_rows(inverse_vol: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Row-wise ``inverse_vol_weights``: (R, n) inverse vols and (R, n) member masks -> (R, n)
    weights summing to 1 over the members of each row (0 for rows without members).

    A member without a volatility gets the median inverse volatility of the others; a row where
    no member has one is weighted equally.
    """
    inv = np.where(members, inverse_vol, np.nan)
    has_any = ~np.isnan(inv).all(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: handled below
        median = np.nanmedian(inv, axis=1)
    inv = np.where(members & np.isnan(inv), median[:, None], inv)
    inv = np.where(has_any[:, None], inv, members.astype(float))  # equal weights
    inv = np.where(members, inv, 0.0)
    total = inv.sum(axis=1, keepdims=True)
    return np.divide(inv, total, out=np.zeros_like(inv), where=total > 0)


# --- sleeve strategies: volatility target, drift bands, the whole sentence ------------------


@dataclass(frozen=True)
class VolTarget:
    """Scale the invested weights so the portfolio's estimated volatility is ``annual``.

    Estimated from the covariance of daily returns over ``lookback`` days to the decision date;
    never levered (rows stay <= 1): the rest is cash.
    """

    annual: float = 0.15
    lookback: int = 63

    def __post_init__(self) -> None:
        if not 0 < self.annual <= 2:
            raise ValueError(f"annual: must be in (0, 2], got {self.annual}")
        if self.lookback < 5:
            raise ValueError(f"lookback: must be >= 5 days, got {self.lookback}")


def vol_target(
    row: pd.Series, prices: Prices, date: pd.Timestamp, annual: float, lookback: int
) -> pd.Series:
    """``row`` scaled by min(1, annual / sigma), sigma = sqrt(252 * w' Cov w).

    Cov: sample covariance of the held assets' daily returns over the ``lookback`` rows to
    ``date`` (pairwise complete; a missing return counts as 0). Unchanged when sigma is 0 or
    unknown.
    """
    held = row[row > 0]
    if held.empty:
        return row
    window = prices.loc[:date, list(held.index)].iloc[-(lookback + 1) :]
    returns = window.pct_change(fill_method=None).iloc[1:].fillna(0.0)
    if len(returns) < 2:
        return row
    cov = returns.cov().to_numpy()
    w = held.to_numpy()
    sigma = float(np.sqrt(max(w @ cov @ w, 0.0) * TRADING_DAYS_PER_YEAR))
    if not np.isfinite(sigma) or sigma == 0:
        return row
    return row * min(1.0, annual / sigma)


def drift_bands(targets: Weights, prices: Prices, band: float) -> Weights:
    """Trade only when a weight is off by more than ``band``: other decision rows become NaN.

    Walks the decision rows (non-NaN) in order. After a traded row the held weights drift with
    prices: ``h_i = w_i * P_t,i / P_last,i`` and cash stays, normalized by their sum. On the
    next decision date the row is kept (a trade) when any ``|target_i - h_i| > band`` or a held
    asset has no price that day, and dropped (NaN, no trade) otherwise. The first row always
    trades. An approximation made without the engine: it ignores costs, and it compares at the
    decision close, not at the later execution price.
    """
    if band <= 0:
        return targets
    out = targets.copy()
    values = targets.to_numpy(dtype="float64")
    closes = prices.reindex(index=targets.index, columns=targets.columns).to_numpy("float64")
    held = last_prices = None
    for i in np.flatnonzero(~np.isnan(values).all(axis=1)):
        target = np.nan_to_num(values[i])
        if held is not None:
            ratio = closes[i] / last_prices
            missing = (held > 0) & ~np.isfinite(ratio)
            grown = held * np.where(np.isfinite(ratio), ratio, 1.0)
            drifted = grown / (grown.sum() + max(0.0, 1.0 - held.sum()))
            if not missing.any() and np.all(np.abs(target - drifted) <= band):
                out.iloc[i] = np.nan
                continue
        held, last_prices = target, closes[i]
    return out


def sleeve_rotation(
    inputs: StrategyInputs,
    sleeve_weights: Callable[[pd.Timestamp], Mapping[str, float]],
    *,
    within: Within,
    fallback: str | None = None,
    volatility: VolTarget | None = None,
    drift_band: float = 0.0,
) -> Weights:
    """The sentence of a sleeve strategy, on each decision date of ``inputs.schedule``:

    ``sleeve_weights(date)`` (how much each sleeve gets) -> ``sleeve_members`` (select and
    weigh inside each sleeve) -> ``allocate`` (fall back, cash) -> ``vol_target`` (if given);
    then ``drift_bands`` over the rows (if ``drift_band`` > 0).

    Runs the same arithmetic as those steps on numpy arrays (``_Panel``): the per-date pandas
    lookups would make a weekly strategy over 30 years take seconds.
    """
    panel = _Panel(inputs.prices)
    values = np.full(panel.values.shape, np.nan)
    for date in inputs.schedule:
        i = panel.row(date)
        members = {s: panel.members(i, symbols, within) for s, symbols in inputs.universe.items()}
        row = np.zeros(panel.values.shape[1])
        spill = 0.0
        for sleeve, weight in sleeve_weights(date).items():
            inner = members.get(sleeve)
            if weight <= 0 or (sleeve == CASH and inner is None):
                continue
            if inner is None or not len(inner[0]):
                spill += weight
                continue
            row[inner[0]] += weight * inner[1]
        if spill and fallback is not None and fallback in members and len(members[fallback][0]):
            row[members[fallback][0]] += spill * members[fallback][1]
        if volatility is not None:
            row = panel.vol_target(i, row, volatility.annual, volatility.lookback)
        values[i] = row
    frame = pd.DataFrame(values, index=inputs.prices.index, columns=inputs.prices.columns)
    return drift_bands(frame, inputs.prices, drift_band)


class _Panel:
    """Prices as a numpy array, with ``listed``, ``momentum_filter``, ``inverse_vol_weights``,
    ``capped_weights`` and ``vol_target`` on row positions (same definitions, tested equal)."""

    def __init__(self, prices: Prices) -> None:
        self.index = prices.index
        self.values = prices.to_numpy(dtype="float64")
        self.closes_so_far = np.cumsum(~np.isnan(self.values), axis=0)
        self.column = {s: j for j, s in enumerate(prices.columns)}

    def row(self, date: pd.Timestamp) -> int:
        return int(self.index.get_loc(date))

    def members(self, i: int, symbols: Sequence[str], within: Within):
        """(column positions, weights summing to 1) of a sleeve's chosen members on row i."""
        cols = np.array([self.column[s] for s in symbols], dtype=np.intp)
        cols = cols[
            ~np.isnan(self.values[i, cols]) & (self.closes_so_far[i, cols] >= within.min_days)
        ]
        if within.momentum_days and len(cols):
            back = i - within.momentum_days
            if back < 0:
                cols = cols[:0]
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    change = self.values[i, cols] / self.values[back, cols] - 1.0
                cols = cols[np.isfinite(change) & (change > 0)]
        if not len(cols):
            return cols, np.zeros(0)
        if within.weigh == "inverse_vol":
            weights = self._inverse_vol(i, cols, within.lookback)
        else:
            weights = np.full(len(cols), 1.0 / len(cols))
        if within.max_weight is not None:
            weights = _cap(weights, max(within.max_weight, 1.0 / len(weights)))
        return cols, weights

    def _returns(self, i: int, cols: np.ndarray, lookback: int) -> np.ndarray:
        window = self.values[max(0, i - lookback) : i + 1][:, cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            return window[1:] / window[:-1] - 1.0

    def _inverse_vol(self, i: int, cols: np.ndarray, lookback: int) -> np.ndarray:
        returns = self._returns(i, cols, lookback)
        count = (~np.isnan(returns)).sum(axis=0)
        enough = count >= max(2, lookback // 2)
        vol = np.full(len(cols), np.nan)
        if enough.any():
            vol[enough] = np.nanstd(returns[:, enough], axis=0, ddof=1)
        with np.errstate(divide="ignore"):
            inv = np.where(vol > 0, 1.0 / vol, np.nan)
        if np.isnan(inv).all():
            return np.full(len(cols), 1.0 / len(cols))
        inv = np.where(np.isnan(inv), np.nanmedian(inv), inv)
        return inv / inv.sum()

    def vol_target(self, i: int, row: np.ndarray, annual: float, lookback: int) -> np.ndarray:
        cols = np.flatnonzero(row > 0)
        if not len(cols):
            return row
        returns = np.nan_to_num(self._returns(i, cols, lookback), nan=0.0)
        if len(returns) < 2:
            return row
        cov = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))
        w = row[cols]
        sigma = float(np.sqrt(max(w @ cov @ w, 0.0) * TRADING_DAYS_PER_YEAR))
        if not np.isfinite(sigma) or sigma == 0:
            return row
        return row * min(1.0, annual / sigma)


def check_sleeves(where: str, sleeves: Sequence[str], config: Config) -> None:
    """Raise ``ValueError("where: ...")`` for a sleeve that is neither in the universe nor cash."""
    for sleeve in sleeves:
        if sleeve not in config.universe and sleeve != CASH:
            known = [*config.universe, CASH]
            raise ValueError(
                f"{where}.{sleeve}: no such sleeve{suggest(sleeve, known)}; "
                f"known: {', '.join(known)}"
            )
