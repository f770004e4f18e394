"""Strategies: the registry of strategy files and the small named steps they are built from.

A strategy is a Python file in a strategies folder (``strategies/`` at the repo root by
default); its name is the file name. The file defines

- a module docstring whose first line describes the strategy (``rotation strategies`` lists it),
- ``Params``: a frozen dataclass of its parameters (validated like the rest of the config),
- ``target_weights(batch: Batch, params: Sequence[Params]) -> np.ndarray``,
- optionally ``check(params: Params, config: Config) -> None`` raising ``ValueError("key: why")``.

One form serves a single backtest and a sweep of thousands of variants alike: ``batch`` holds
V variants that share prices and universe (a single backtest is V = 1), and ``target_weights``
returns their targets on the decision rows, shaped (V, R, N): one fully specified row per
decision row (0 for assets not held, rows sum to <= 1, the rest is cash), or a NaN row for "no
trade" (drift bands). Rows a variant does not decide on are ignored. It never trades: the engine
applies the execution lag and the costs.

The steps read like the sentence they implement; each exists once, over decision rows:

| kind      | steps                                                                        |
|-----------|------------------------------------------------------------------------------|
| schedule  | ``schedule`` (monthly / weekly / ... and on regime change)                   |
| select    | ``Panel.listed``, ``Panel.rising`` (momentum)                                |
| weigh     | ``Panel.inverse_vol``, ``cap``, ``sleeve_members`` (select, weigh, cap)      |
| sleeves   | ``by_state`` (a mapping per regime state), ``tilted`` (graded by the score)  |
| constrain | ``allocate`` (fall back, ``cash`` sleeve), ``vol_target``, ``drift_bands``   |
| assemble  | ``sleeve_rotation`` (the whole sentence for sleeve strategies)               |

``Within`` and ``VolTarget`` are small parameter blocks a strategy's ``Params`` can nest, so the
same keys mean the same thing in every strategy that uses these steps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.machinery
import importlib.util
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from rotation._typed import build, read_regular_file, suggest
from rotation._types import Prices, Regime
from rotation.errors import ConfigError, RotationError, StrategyError
from rotation.regime import STATES

if TYPE_CHECKING:
    from rotation.config import Config

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

CASH = "cash"
"""A sleeve name that means "hold cash": usable in allocations without being in the universe."""

TRADING_DAYS_PER_YEAR = 252


@dataclass(frozen=True)
class Batch:
    """What a strategy reads, for V variants that share prices and universe (V = 1 for a
    single backtest). All point in time: row r holds what was known at the close of
    ``dates[r]``.

    ``prices``: dates x symbols of the universe on the whole trading calendar (NaN before
    listing); ``universe``: sleeve -> symbols; ``rows``: (R,) positions in ``prices.index`` of
    the decision rows (the union of the variants' decision dates); ``decide``: (V, R) whether
    variant v decides on row r; ``regime``: (V, R) index into ``rotation.regime.STATES`` of the
    state known on the row (-1 while unknown); ``composite``: (V, R) composite score (NaN while
    unknown); ``memo``: a dict that lives as long as the prices, where steps keep what variants
    share (one ``Panel``, within-sleeve weights per ``Within``).
    """

    prices: Prices
    universe: Mapping[str, tuple[str, ...]]
    rows: np.ndarray
    decide: np.ndarray
    regime: np.ndarray
    composite: np.ndarray
    memo: dict[Any, Any] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The decision dates, (R,)."""
        return cast(pd.DatetimeIndex, self.prices.index[self.rows])  # prices are dated

    @property
    def panel(self) -> Panel:
        """The prices as arrays, built once per ``memo``."""
        if "panel" not in self.memo:
            self.memo["panel"] = Panel(self.prices)
        panel: Panel = self.memo["panel"]
        return panel


@dataclass(frozen=True)
class Strategy:
    """A loaded strategy file; ``source_hash`` is the SHA-256 of the file's bytes as loaded
    (part of a run's identity, ``rotation.runs.Identity``)."""

    name: str
    description: str
    params_type: type[Any]
    target_weights: Callable[[Batch, Sequence[Any]], np.ndarray]
    check: Callable[[Any, Config], None] | None
    path: Path
    source_hash: str

    def parse_params(self, raw: Mapping[str, Any], config: Config) -> Any:
        """Build this strategy's ``Params`` from the config's ``strategy.params``."""
        params = build(self.params_type, dict(raw), "strategy.params")
        if self.check is not None:
            try:
                self.check(params, config)
            except ValueError as exc:
                raise ConfigError(f"strategy.params.{exc}") from None
            except RotationError:
                raise
            except (Exception, SystemExit) as exc:  # the strategy's own bug, not rotation's
                raise StrategyError(f"{self.path}: check() raised {exc!r}") from exc
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
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                default = repr(dataclasses.asdict(value))
            elif isinstance(value, Mapping):
                default = repr(dict(value))
            else:
                default = repr(value)
            blocks = [
                t
                for t in typing.get_args(hints.get(f.name))
                if isinstance(t, type) and dataclasses.is_dataclass(t)
            ]
            if value is None and blocks:
                default += f" (or {dataclasses.asdict(blocks[0]())!r})"
            out.append((f.name, default))
        return out


class _ReadOnceLoader(importlib.machinery.SourceFileLoader):
    """Loads a strategy from the bytes already read (and hashed) by ``load_strategy``, never
    from a second read of the file or from a bytecode cache: the code that runs is the code
    whose hash identifies the run."""

    def __init__(self, fullname: str, path: str, source: bytes) -> None:
        super().__init__(fullname, path)
        self.source = source

    def get_data(self, path: str) -> bytes:
        if path == self.path:
            return self.source
        return super().get_data(path)

    def path_stats(self, path: str) -> Mapping[str, Any]:
        # no stats, so importlib neither reads nor writes a .pyc for it
        raise OSError("a strategy is compiled from the bytes read once")


def _load_module(path: Path, source: bytes) -> ModuleType:
    module_name = f"rotation_user_strategies.{path.stem}"
    loader = _ReadOnceLoader(module_name, str(path), source)
    spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
    if spec is None or spec.loader is None:
        raise StrategyError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        sys.modules.pop(module_name, None)
        raise
    except BaseException as exc:  # SystemExit(0) too: it would end the command with no output
        sys.modules.pop(module_name, None)
        raise StrategyError(f"{path}: error while loading the strategy: {exc!r}") from exc
    return module


def available_strategies(folder: Path) -> list[str]:
    """Names of the strategy files in ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if _NAME.match(p.stem))


def strategy_path(name: str, folder: Path) -> Path:
    """The file of strategy ``name`` in ``folder``."""
    return Path(folder) / f"{name}.py"


MAX_STRATEGY_BYTES = 1_000_000
"""The largest strategy file loaded."""


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
    path = strategy_path(name, folder)
    try:  # read once: hashed, then run (no edit can slip in between)
        source = read_regular_file(path, MAX_STRATEGY_BYTES)
    except OSError as exc:
        raise StrategyError(f"{path}: cannot read the strategy ({exc.strerror or exc})") from None
    source_hash = hashlib.sha256(source).hexdigest()
    module = _load_module(path, source)
    params_type = getattr(module, "Params", None)
    function = getattr(module, "target_weights", None)
    if not (isinstance(params_type, type) and dataclasses.is_dataclass(params_type)):
        raise StrategyError(f"{path}: must define a dataclass named Params")
    if not callable(function):
        raise StrategyError(f"{path}: must define target_weights(batch, params)")
    doc = (module.__doc__ or "").strip().splitlines()
    return Strategy(
        name=name,
        description=doc[0] if doc else "",
        params_type=params_type,
        target_weights=function,
        check=getattr(module, "check", None),
        path=path,
        source_hash=source_hash,
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


# --- the prices as arrays, and the select / weigh steps on decision rows ---------------------


class Panel:
    """Prices as arrays, for steps that run on many decision rows at once.

    ``values``: (T, N) closes (NaN before listing); ``returns``: (T, N) daily returns
    ``P_t / P_{t-1} - 1`` (NaN on the first row and around missing closes); ``closes_so_far``:
    (T, N) closes known up to each row; ``column``: symbol -> column position.
    """

    def __init__(self, prices: Prices) -> None:
        self.index = prices.index
        self.columns = list(prices.columns)
        self.column = {s: j for j, s in enumerate(self.columns)}
        self.values = prices.to_numpy(dtype="float64")
        self.closes_so_far = np.cumsum(~np.isnan(self.values), axis=0)
        returns = np.full(self.values.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            returns[1:] = self.values[1:] / self.values[:-1] - 1.0
        self.returns = returns

    def columns_of(self, symbols: Sequence[str]) -> np.ndarray:
        return np.array([self.column[s] for s in symbols], dtype=np.intp)

    def listed(self, rows: np.ndarray, cols: np.ndarray, min_days: int = 1) -> np.ndarray:
        """(R, n): a close on the row and at least ``min_days`` closes up to it."""
        values = self.values[np.ix_(rows, cols)]
        listed: np.ndarray = ~np.isnan(values) & (
            self.closes_so_far[np.ix_(rows, cols)] >= min_days
        )
        return listed

    def rising(self, rows: np.ndarray, cols: np.ndarray, days: int) -> np.ndarray:
        """(R, n): the return over the ``days`` rows to each row is > 0 (False when the
        asset has no close ``days`` rows back)."""
        back = rows - days
        ok = back >= 0
        change = np.full((len(rows), len(cols)), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            change[ok] = (
                self.values[np.ix_(rows[ok], cols)] / self.values[np.ix_(back[ok], cols)] - 1.0
            )
        rising: np.ndarray = np.isfinite(change) & (change > 0)
        return rising

    def inverse_vol(
        self, rows: np.ndarray, cols: np.ndarray, lookback: int, members: np.ndarray
    ) -> np.ndarray:
        """(R, n): for each row's ``members`` ((R, n) mask), 1 / standard deviation (ddof 1) of
        their daily returns over the ``lookback`` rows to the row; NaN for a member with fewer
        than ``max(2, lookback // 2)`` returns or zero volatility, and for non-members.

        Row by row: numpy's ``nanstd`` over a (days x members) window.
        """
        out = np.full((len(rows), len(cols)), np.nan)
        for r, i in enumerate(rows):
            picked = cols[members[r]]
            if not len(picked):
                continue
            returns = self.returns[max(0, i - lookback) + 1 : i + 1][:, picked]
            enough = (~np.isnan(returns)).sum(axis=0) >= max(2, lookback // 2)
            vol = np.full(len(picked), np.nan)
            if enough.any():
                vol[enough] = np.nanstd(returns[:, enough], axis=0, ddof=1)
            with np.errstate(divide="ignore"):
                out[r, members[r]] = np.where(vol > 0, 1.0 / vol, np.nan)
        return out


def inverse_vol_weights(inverse_vol: np.ndarray, members: np.ndarray) -> np.ndarray:
    """(R, n) weights proportional to ``inverse_vol`` over each row's members, summing to 1
    (0 for rows without members). A member without a volatility gets the median inverse
    volatility of the others; a row where no member has one is weighted equally."""
    inv = np.where(members, inverse_vol, np.nan)
    known = ~np.isnan(inv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without any: handled below
        median = np.nanmedian(inv, axis=1)
    inv = np.where(members & ~known, median[:, None], inv)
    any_known = np.asarray(known.any(axis=1))  # (R,); numpy types it scalar-or-array
    inv = np.where(any_known[:, None], inv, members.astype(float))  # equal weights
    return _normalized(np.where(members, inv, 0.0))


def equal_weights(members: np.ndarray) -> np.ndarray:
    """(R, n): 1 / (members on the row) for each member, 0 elsewhere."""
    count = members.sum(axis=1, keepdims=True)
    return np.where(members, 1.0 / np.maximum(count, 1), 0.0)


def _normalized(weights: np.ndarray) -> np.ndarray:
    """Rows divided by their sum, summed column by column in order (0 rows stay 0)."""
    total = np.zeros(weights.shape[0])
    for j in range(weights.shape[1]):
        total = total + weights[:, j]
    normalized: np.ndarray = np.divide(
        weights, total[:, None], out=np.zeros_like(weights), where=total[:, None] > 0
    )
    return normalized


def cap(weights: np.ndarray, limit: float) -> np.ndarray:
    """One row of weights clipped at ``limit`` each, the excess handed to the uncapped ones pro
    rata, repeated until none exceeds ``limit``. When ``len(weights) * limit`` is below the
    total, every weight ends at ``limit`` and the rest stays unallocated (cash)."""
    out = weights.copy()
    total = float(out.sum())
    for _ in range(len(out)):
        over = out > limit + 1e-15
        if not over.any():
            break
        out[over] = limit
        room = total - float(out.sum())
        free = out < limit
        if room <= 0 or not free.any():
            break
        base = out[free]
        out[free] = base + room * (base / base.sum() if base.sum() > 0 else 1.0 / free.sum())
    return out


@dataclass(frozen=True)
class Within:
    """How the members of a sleeve are chosen and weighed (a ``within:`` block in params).

    ``weigh``: equal or inverse volatility over ``lookback`` days; ``max_weight``: cap of one
    asset as a fraction of its sleeve (excess to the others, see ``cap``; never below 1/n of
    the n members chosen, so a cap never pushes a sleeve into cash); ``momentum_days``: when
    > 0, keep only members whose return over that many days is > 0; ``min_days``: closes an
    asset needs before it counts as listed.
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


def sleeve_members(batch: Batch, within: Within) -> np.ndarray:
    """(R, S, N): each sleeve's within-sleeve weights on each decision row (summing to 1 over
    the chosen members, 0 for a sleeve with none): select, weigh, cap. Kept in ``batch.memo``
    for the variants that share ``within``."""
    key = ("sleeve_members", within, batch.rows.tobytes())
    if key in batch.memo:
        cached: np.ndarray = batch.memo[key]
        return cached
    panel, rows = batch.panel, batch.rows
    inner = np.zeros((len(rows), len(batch.universe), len(panel.columns)))
    for s, symbols in enumerate(batch.universe.values()):
        cols = panel.columns_of(symbols)
        chosen = panel.listed(rows, cols, within.min_days)
        if within.momentum_days:
            chosen &= panel.rising(rows, cols, within.momentum_days)
        if within.weigh == "inverse_vol":
            inverse_vol = panel.inverse_vol(rows, cols, within.lookback, chosen)
            weights = inverse_vol_weights(inverse_vol, chosen)
        else:
            weights = equal_weights(chosen)
        if within.max_weight is not None:
            for r in np.flatnonzero(chosen.sum(axis=1)):
                picked = chosen[r]
                limit = max(within.max_weight, 1.0 / picked.sum())
                weights[r, picked] = cap(weights[r, picked], limit)
        inner[:, s, cols] = weights
    batch.memo[key] = inner
    return inner


# --- sleeves: how much of the portfolio each sleeve gets, per decision row -----------------


@dataclass(frozen=True)
class SleeveWeights:
    """Per decision row, the fraction of the portfolio each sleeve gets.

    ``sleeves``: names, in the order their shares are combined (a sleeve may be ``cash``);
    ``weights``: (R, K) one column per sleeve.
    """

    sleeves: tuple[str, ...]
    weights: np.ndarray


def by_state(
    codes: np.ndarray, allocations: Mapping[str, Mapping[str, float]], warmup_state: str
) -> SleeveWeights:
    """The mapping of each row's regime state (``codes``: (R,) index into ``STATES``, -1 =
    unknown, which takes ``warmup_state``): ``allocations[state][sleeve]`` (0 if not named)."""
    sleeves = tuple(dict.fromkeys(s for state in STATES for s in allocations.get(state, {})))
    states = np.where(codes >= 0, codes, STATES.index(warmup_state))
    table = np.array(
        [[allocations.get(state, {}).get(s, 0.0) for s in sleeves] for state in STATES]
    ).reshape(len(STATES), len(sleeves))
    return SleeveWeights(sleeves, table[states])


def tilted(
    score: np.ndarray,
    base: Mapping[str, float],
    sensitivity: Mapping[str, float],
    *,
    clip: float = 2.0,
) -> SleeveWeights:
    """Graded sleeve weights: ``base[s] + sensitivity[s] * clip(score, -clip, clip)`` per row.

    Negative results are set to 0; if a row's weights then sum to more than 1 they are scaled
    to 1 (less than 1 leaves the rest in cash). A NaN score (warm-up) gives ``base``. With
    sensitivities summing to 0 the invested total stays that of ``base``.
    """
    x = np.where(np.isfinite(score), np.clip(score, -clip, clip), 0.0)
    sleeves = tuple(dict.fromkeys([*base, *sensitivity]))
    raw = np.column_stack(
        [np.maximum(0.0, base.get(s, 0.0) + sensitivity.get(s, 0.0) * x) for s in sleeves]
    ).reshape(len(x), len(sleeves))
    total = np.zeros(len(x))
    for k in range(len(sleeves)):
        total = total + raw[:, k]
    return SleeveWeights(sleeves, np.where(total[:, None] > 1, raw / total[:, None], raw))


# --- constrain --------------------------------------------------------------------------------


def allocate(
    batch: Batch, inner: np.ndarray, sleeve_weights: SleeveWeights, *, fallback: str | None
) -> np.ndarray:
    """(R, N): sleeve shares times within-sleeve weights (``inner``, from ``sleeve_members``).

    A sleeve with no listed member passes its share to ``fallback`` (if that sleeve has
    members) or leaves it in cash. The ``cash`` sleeve (when the universe has no sleeve of that
    name) is cash: its share stays out of every asset.
    """
    names = list(batch.universe)
    empty = inner.sum(axis=2) == 0  # (R, S)
    out = np.zeros((inner.shape[0], inner.shape[2]))
    spill = np.zeros(inner.shape[0])
    for k, sleeve in enumerate(sleeve_weights.sleeves):
        weight = sleeve_weights.weights[:, k]
        if sleeve not in batch.universe:
            if sleeve != CASH:
                spill = spill + np.where(weight > 0, weight, 0.0)
            continue
        s = names.index(sleeve)
        take = (weight > 0) & ~empty[:, s]
        out = out + np.where(take, weight, 0.0)[:, None] * inner[:, s]
        spill = spill + np.where((weight > 0) & empty[:, s], weight, 0.0)
    if fallback is not None and fallback in batch.universe:
        s = names.index(fallback)
        moved = np.where((spill != 0) & ~empty[:, s], spill, 0.0)
        out = out + moved[:, None] * inner[:, s]
    return out


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


def vol_target(batch: Batch, targets: np.ndarray, target: VolTarget) -> np.ndarray:
    """(R, N) ``targets`` with each row scaled by min(1, annual / sigma), sigma = sqrt(252 *
    w' Cov w).

    Cov: sample covariance of the held assets' daily returns over the ``lookback`` rows to the
    decision row (a missing return counts as 0). A row is unchanged when sigma is 0 or unknown.
    """
    panel = batch.panel
    out = targets.copy()
    for r, i in enumerate(batch.rows):
        row = targets[r]
        cols = np.flatnonzero(row > 0)
        if not len(cols):
            continue
        window = panel.values[max(0, i - target.lookback) : i + 1][:, cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = np.nan_to_num(window[1:] / window[:-1] - 1.0, nan=0.0)
        if len(returns) < 2:
            continue
        cov = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1))
        w = row[cols]
        sigma = float(np.sqrt(max(w @ cov @ w, 0.0) * TRADING_DAYS_PER_YEAR))
        if np.isfinite(sigma) and sigma != 0:
            out[r] = row * min(1.0, target.annual / sigma)
    return out


def drift_bands(batch: Batch, targets: np.ndarray, decide: np.ndarray, band: float) -> np.ndarray:
    """Trade only when a weight is off by more than ``band``: other decision rows become NaN.

    Walks the rows where ``decide`` is true, in order. After a traded row the held weights drift
    with prices: ``h_i = w_i * P_t,i / P_last,i`` and cash stays, normalized by their sum. On the
    next decision row the row is kept (a trade) when any ``|target_i - h_i| > band`` or a held
    asset has no price that day, and dropped (NaN, no trade) otherwise. The first row always
    trades. An approximation made without the engine: it ignores costs, and it compares at the
    decision close, not at the later execution price.
    """
    if band <= 0:
        return targets
    out = targets.copy()
    closes = batch.panel.values[batch.rows]
    held = last_prices = None
    for r in np.flatnonzero(decide & ~np.isnan(targets).all(axis=1)):
        target = np.nan_to_num(targets[r])
        if held is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = closes[r] / last_prices
            missing = (held > 0) & ~np.isfinite(ratio)
            grown = held * np.where(np.isfinite(ratio), ratio, 1.0)
            drifted = grown / (grown.sum() + max(0.0, 1.0 - held.sum()))
            if not missing.any() and np.all(np.abs(target - drifted) <= band):
                out[r] = np.nan
                continue
        held, last_prices = target, closes[r]
    return out


# --- assemble ---------------------------------------------------------------------------------


def sleeve_rotation(
    batch: Batch,
    params: Sequence[Any],
    sleeve_weights: Callable[[Any, int], SleeveWeights],
    *,
    within: Callable[[Any], Within],
    fallback: Callable[[Any], str | None],
    volatility: Callable[[Any], VolTarget | None] = lambda p: None,
    drift_band: Callable[[Any], float] = lambda p: 0.0,
) -> np.ndarray:
    """The sentence of a sleeve strategy, for every variant: (V, R, N) targets.

    For variant v with params p: ``sleeve_weights(p, v)`` (how much each sleeve gets on each
    row) -> ``sleeve_members`` (select and weigh inside each sleeve, by ``within(p)``) ->
    ``allocate`` (fall back, cash) -> ``vol_target`` (if ``volatility(p)``) -> ``drift_bands``
    (if ``drift_band(p)`` > 0). Variants with the same params, regime, score and decision rows
    are computed once.
    """
    out = np.empty((len(params), len(batch.rows), len(batch.prices.columns)))
    done: dict[tuple[Any, ...], int] = {}
    for v, p in enumerate(params):
        key = (
            id(p),
            batch.regime[v].tobytes(),
            batch.composite[v].tobytes(),
            batch.decide[v].tobytes(),
        )
        if key in done:
            out[v] = out[done[key]]
            continue
        done[key] = v
        inner = sleeve_members(batch, within(p))
        targets = allocate(batch, inner, sleeve_weights(p, v), fallback=fallback(p))
        target_vol = volatility(p)
        if target_vol is not None:
            targets = vol_target(batch, targets, target_vol)
        out[v] = drift_bands(batch, targets, batch.decide[v], drift_band(p))
    return out


def rotate_sleeves(
    batch: Batch, params: Sequence[Any], sleeve_weights: Callable[[Any, int], SleeveWeights]
) -> np.ndarray:
    """``sleeve_rotation`` for a ``Params`` with the blocks the sleeve strategies share:
    ``within`` (a ``Within``), ``fallback_sleeve``, ``vol_target`` (a ``VolTarget`` or None)
    and ``drift_band``."""
    return sleeve_rotation(
        batch,
        params,
        sleeve_weights,
        within=lambda p: p.within,
        fallback=lambda p: p.fallback_sleeve,
        volatility=lambda p: p.vol_target,
        drift_band=lambda p: p.drift_band,
    )


def check_shared_blocks(params: Any, config: Config) -> None:
    """Raise ``ValueError("key: ...")`` when the shared blocks (``rotate_sleeves``) are off."""
    if params.fallback_sleeve is not None:
        check_sleeves("fallback_sleeve", [params.fallback_sleeve], config)
    if not 0 <= params.drift_band < 1:
        raise ValueError(f"drift_band: must be in [0, 1), got {params.drift_band}")


def check_sleeves(where: str, sleeves: Sequence[str], config: Config) -> None:
    """Raise ``ValueError("where: ...")`` for a sleeve that is neither in the universe nor cash."""
    for sleeve in sleeves:
        if sleeve not in config.universe and sleeve != CASH:
            known = [*config.universe, CASH]
            raise ValueError(
                f"{where}.{sleeve}: no such sleeve{suggest(sleeve, known)}; "
                f"known: {', '.join(known)}"
            )
