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

The steps read like the sentence they implement: ``schedule`` -> ``listed`` (select) ->
``equal_weights`` / ``inverse_vol_weights`` (weigh) -> ``allocate`` (constrain, fall back).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rotation._typed import build, suggest
from rotation._types import Prices, Regime, Weights
from rotation.errors import ConfigError, StrategyError

if TYPE_CHECKING:
    from rotation.config import Config

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


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
        """(name, default) for each parameter, for listings."""
        out = []
        for f in dataclasses.fields(self.params_type):
            if f.default is not dataclasses.MISSING:
                default = repr(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = repr(
                    dict(f.default_factory())
                    if isinstance(f.default_factory(), Mapping)
                    else f.default_factory()
                )
            else:
                default = "required"
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
    history = prices.loc[:date, list(symbols)]
    counts = history.notna().sum()
    on_date = history.iloc[-1].notna() if len(history) else counts.astype(bool)
    return [s for s in symbols if on_date[s] and counts[s] >= min_days]


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
    window = prices.loc[:date, list(symbols)].iloc[-(lookback + 1) :]
    returns = window.pct_change(fill_method=None).iloc[1:]
    enough = returns.count() >= max(2, lookback // 2)
    vol = returns.std().where(enough)
    inv = 1.0 / vol.replace(0.0, np.nan)
    if inv.isna().all():
        return equal_weights(symbols)
    inv = inv.fillna(inv.median())
    return inv / inv.sum()


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
    members) or leaves it in cash.
    """
    row = pd.Series(0.0, index=list(columns))
    spill = 0.0
    for sleeve, weight in sleeve_weights.items():
        inner = members.get(sleeve)
        if weight <= 0:
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
