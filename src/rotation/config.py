"""The run configuration: a frozen, typed object, validated against its schema where it is read.

A config is YAML (see ``configs/`` and the README). ``read_config`` rejects unknown keys with a
suggestion, wrong types and impossible values (start after end, negative fees, empty sleeves,
a symbol in two sleeves), each with one message naming the key. This module is the schema only
and imports nothing else of the package but its typed-building helpers: checks against the
data source and the strategy are ``rotation.validate``'s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rotation._metric_names import RANKABLE
from rotation._typed import (
    build,
    check_plain,
    load_yaml,
    read_regular_file,
    refuse_control,
    suggest,
    to_plain,
)
from rotation.errors import ConfigError

SIGNAL_COMPONENTS = (
    "cost_of_capital", "credit", "liquidity", "capex",  # the thesis composite (defaults)
    "real_yield", "curve", "high_yield", "conditions",  # opt-in: computed when given a weight
    "funding",
)  # fmt: skip
DEFAULT_COMPONENTS = SIGNAL_COMPONENTS[:4]
REGIME_STATES = ("abundant", "neutral", "scarce")
MAX_PUBLICATION_LAG_DAYS = 3660
"""The longest publication lag a config may set (ten years; PNFI's, the longest known, is 120)."""

RISK_FREE_SERIES = {
    "DGS3MO": "3-month Treasury bill, constant maturity (FRED DGS3MO, % a year)",
    "DGS1MO": "1-month Treasury bill, constant maturity (FRED DGS1MO, % a year)",
    "DGS6MO": "6-month Treasury bill, constant maturity (FRED DGS6MO, % a year)",
    "DGS1": "1-year Treasury, constant maturity (FRED DGS1, % a year)",
    "DTB3": "3-month Treasury bill, secondary market (FRED DTB3, % a year)",
    "DTB4WK": "4-week Treasury bill, secondary market (FRED DTB4WK, % a year)",
    "DTB6": "6-month Treasury bill, secondary market (FRED DTB6, % a year)",
}
"""The FRED yields ``risk_free`` may name: annual rates in percent. Any other name is read as
a symbol whose closes give the rate as a daily total return (e.g. BIL)."""

RiskFreeKind = Literal["constant", "series", "symbol"]


def risk_free_kind(value: str) -> RiskFreeKind:
    """How a ``risk_free`` setting is read: ``constant`` (a number: an annual rate as a
    fraction, 0 = none), ``series`` (a FRED yield of ``RISK_FREE_SERIES``) or ``symbol``."""
    try:
        float(value)
    except ValueError:
        return "series" if value in RISK_FREE_SERIES else "symbol"
    return "constant"


def _frozen_map(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_release_time(text: str, where: str) -> dt.time | None:
    """A release time of the config: ``"HH:MM"`` New York time, or ``"after_close"`` (None:
    the rule of ``rotation.data.align`` then treats the release as after the close)."""
    clean = str(text).strip().lower()
    if clean == "after_close":
        return None
    match = _CLOCK.fullmatch(clean)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(
            f"{where}: expected a New York time 'HH:MM' (e.g. '16:30') or 'after_close', "
            f"got {text!r}"
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class DataConfig:
    """Where series come from: the bundled snapshot, a local folder, or live providers + cache."""

    source: Literal["bundled", "local", "live"] = "bundled"
    path: str | None = None  # folder in the bundled layout, for source: local
    cache: str | None = None  # live: cache folder (else $ROTATION_CACHE, else the user cache)
    refresh: bool = True  # live: fetch what is missing since the last cached date
    # live: FRED series as first published (ALFRED vintages, FRED_API_KEY), not the latest
    vintages: bool = False

    def __post_init__(self) -> None:
        if self.source == "local" and not self.path:
            raise ValueError("path: required when source is 'local' (a folder of CSV/Parquet)")
        if self.vintages and self.source != "live":
            raise ValueError(
                f"vintages: needs source 'live' (ALFRED vintages come from the FRED API); the "
                f"{self.source} data holds one vintage of each series"
            )

    @property
    def vintage(self) -> str:
        """Which vintage of the FRED series a run reads (recorded in each run's manifest)."""
        if self.vintages:
            return "first release: each FRED value as published on its publication day (ALFRED)"
        return "latest: FRED series as revised up to when the data was fetched (not first release)"


@dataclass(frozen=True)
class SignalConfig:
    """How the capital-scarcity composite is built. Days are trading days of the calendar.

    The four default components are always computed; an opt-in component (``real_yield``,
    ``curve``, ``high_yield``, ``conditions``, ``funding``) is computed when it appears in
    ``weights``, and with weight 0 it is shown beside the composite as a cross-check without
    entering it.
    """

    normalization: Literal["expanding", "rolling", "percentile"] = "expanding"
    window_days: int = 756  # rolling z-score / percentile window (about 3 years)
    min_history_days: int = 252  # no score until this many observations are known
    change_days: int = 63  # horizon of "change" features (about a quarter)
    yield_series: str = "DGS10"
    # optional inputs of cost_of_capital (None: not read; the component is DGS10's alone)
    term_premium_series: str | None = None  # e.g. THREEFYTP10 (Kim-Wright 10y term premium)
    corporate_yield_series: str | None = None  # e.g. BAMLC0A0CMEY (ICE BofA US Corporate yield)
    credit_series: str = "BAA10Y"
    liquidity: Literal["net_liquidity", "reverse_repo"] = "net_liquidity"
    liquidity_drain: bool = False  # also score the reverse-repo drain over change_days
    capex: Literal["hyperscalers", "pnfi"] = "hyperscalers"
    capex_acceleration: bool = False  # also score the change of capex growth over change_days
    real_yield_series: str = "DFII10"  # component real_yield
    curve_series: Literal["T10Y2Y", "T10Y3M"] = "T10Y2Y"  # component curve
    high_yield_series: str = "BAMLH0A0HYM2"  # component high_yield
    conditions_series: str = "NFCI"  # component conditions
    weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen_map({c: 1.0 for c in DEFAULT_COMPONENTS})
    )
    min_components: int = 2  # composite is NaN when fewer components are known
    publication_lags: Mapping[str, int] = field(default_factory=lambda: _frozen_map({}))
    # FRED id -> "HH:MM" (New York time) or "after_close": overrides rotation.data.align's table
    release_times: Mapping[str, str] = field(default_factory=lambda: _frozen_map({}))

    def __post_init__(self) -> None:
        for name, weight in self.weights.items():
            if name not in SIGNAL_COMPONENTS:
                raise ValueError(
                    f"weights.{name}: unknown component{suggest(name, SIGNAL_COMPONENTS)}; "
                    f"known: {', '.join(SIGNAL_COMPONENTS)}"
                )
            if weight < 0:
                raise ValueError(f"weights.{name}: must be >= 0, got {weight}")
        if sum(self.weights.values()) <= 0:
            raise ValueError("weights: at least one component needs a positive weight")
        for key in ("window_days", "min_history_days", "change_days"):
            if getattr(self, key) < 2:
                raise ValueError(f"{key}: must be >= 2, got {getattr(self, key)}")
        if not 1 <= self.min_components <= len(SIGNAL_COMPONENTS):
            raise ValueError(f"min_components: must be 1..{len(SIGNAL_COMPONENTS)}")
        weighted = [c for c in self.components if self.weights.get(c, 0) > 0]
        if self.min_components > len(weighted):
            raise ValueError(
                f"min_components: {self.min_components}, but only {len(weighted)} components "
                f"enter the composite ({', '.join(weighted)}): it would never be known"
            )
        for series_id, lag in self.publication_lags.items():
            if not 0 <= lag <= MAX_PUBLICATION_LAG_DAYS:
                raise ValueError(
                    f"publication_lags.{series_id}: must be 0..{MAX_PUBLICATION_LAG_DAYS} "
                    f"days, got {lag}"
                )
        for series_id, text in self.release_times.items():
            parse_release_time(text, f"release_times.{series_id}")

    @property
    def components(self) -> tuple[str, ...]:
        """The components computed: the four defaults, then the opt-in ones given a weight."""
        return (*DEFAULT_COMPONENTS, *(c for c in SIGNAL_COMPONENTS[4:] if c in self.weights))


@dataclass(frozen=True)
class RegimeConfig:
    """How the composite becomes a state (abundant / neutral / scarce).

    ``method: thresholds``: enter a state beyond ``*_enter``, leave it only when the composite
    crosses back over ``*_exit``; hold any state at least ``min_days``.
    ``method: hmm``: a Gaussian hidden Markov model with ``hmm_states`` states (2: abundant /
    scarce, 3: abundant / neutral / scarce, ordered by their mean composite) fitted on the
    composite known before each refit date (``hmm_refit``), walk-forward; the state of a day is
    the most likely one given the composite up to that day (filtered, never smoothed), then
    held at least ``min_days``. No state until ``hmm_min_train_days`` composite values exist.
    """

    scarce_enter: float = 0.5
    scarce_exit: float = 0.0
    abundant_enter: float = -0.5
    abundant_exit: float = 0.0
    min_days: int = 5
    method: Literal["thresholds", "hmm"] = "thresholds"
    hmm_states: int = 3
    hmm_refit: Literal["yearly", "quarterly", "monthly"] = "yearly"
    hmm_min_train_days: int = 756

    def __post_init__(self) -> None:
        if not self.abundant_enter <= self.abundant_exit <= self.scarce_exit <= self.scarce_enter:
            raise ValueError(
                "thresholds must satisfy abundant_enter <= abundant_exit <= scarce_exit <= "
                f"scarce_enter, got {self.abundant_enter}, {self.abundant_exit}, "
                f"{self.scarce_exit}, {self.scarce_enter}"
            )
        if self.min_days < 1:
            raise ValueError(f"min_days: must be >= 1, got {self.min_days}")
        if self.hmm_states not in (2, 3):
            raise ValueError(f"hmm_states: must be 2 or 3, got {self.hmm_states}")
        if self.hmm_min_train_days < 100:
            raise ValueError(f"hmm_min_train_days: must be >= 100, got {self.hmm_min_train_days}")


@dataclass(frozen=True)
class StrategyConfig:
    name: str
    params: Mapping[str, Any] = field(default_factory=lambda: _frozen_map({}))


@dataclass(frozen=True)
class RebalanceConfig:
    """Decisions are taken at the close of the first trading day of each period
    (``never``: only on the first day, i.e. buy and hold)."""

    every: Literal["never", "daily", "weekly", "monthly", "quarterly"] = "monthly"
    on_regime_change: bool = False


@dataclass(frozen=True)
class CostsConfig:
    """Proportional costs, as fractions of traded value (0.001 = 10 bp)."""

    fees: float = 0.001
    slippage: float = 0.0005

    def __post_init__(self) -> None:
        for key in ("fees", "slippage"):
            value = getattr(self, key)
            if not 0 <= value < 0.1:
                raise ValueError(f"{key}: must be in [0, 0.1), got {value}")


@dataclass(frozen=True)
class SweepConfig:
    """A grid of dotted keys to sweep (``rotation sweep``), the metric that picks the best
    variant, and the memory budget of one engine pass."""

    grid: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: _frozen_map({}))
    metric: str = "sharpe"  # a rankable name of the metrics registry
    memory_mb: float = 512.0

    def __post_init__(self) -> None:
        if self.metric not in RANKABLE:
            listed = ", ".join(repr(m) for m in RANKABLE)
            hint = suggest(self.metric, RANKABLE)
            raise ValueError(f"metric: must be one of {listed}, got {self.metric!r}{hint}")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid.{key}: give at least one value")
        if not 0 < self.memory_mb <= 1e9:  # NaN fails too
            raise ValueError(f"memory_mb: must be > 0 and finite, got {self.memory_mb}")


@dataclass(frozen=True)
class Config:
    """A resolved run configuration. ``source_path`` is the YAML file it came from."""

    name: str
    universe: Mapping[str, tuple[str, ...]]  # sleeve name -> symbols
    strategy: StrategyConfig
    description: str | None = None
    data: DataConfig = field(default_factory=DataConfig)
    start: dt.date | None = None
    end: dt.date | None = None
    benchmark: str = "SPY"
    signal: SignalConfig = field(default_factory=SignalConfig)
    regime: RegimeConfig = field(default_factory=RegimeConfig)
    rebalance: RebalanceConfig = field(default_factory=RebalanceConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    execution_lag: int = 1
    init_cash: float = 100_000.0
    risk_free: str = "DGS3MO"  # see RISK_FREE_SERIES and risk_free_kind
    # true: equities and ETFs trade in fractions, as today's backtests; false: whole shares, in
    # the backtest (the engine's size granularity) and in `rotation export`. Crypto: fractions.
    fractional: bool = True
    strategies_dir: str = "../strategies"  # relative to the config file
    sweep: SweepConfig | None = None  # used by `rotation sweep` only
    source_path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.universe:
            raise ValueError("universe: at least one sleeve is needed")
        names = [("name", self.name), ("benchmark", self.benchmark)]
        names += [(f"universe.{sleeve}", sleeve) for sleeve in self.universe]
        names += [
            (f"universe.{k}[{i}]", s) for k, v in self.universe.items() for i, s in enumerate(v)
        ]
        names += [("strategy.name", self.strategy.name), ("risk_free", self.risk_free)]
        for where, text in names:
            refuse_control(text, where)  # not even a tab or line break in a name
        seen: dict[str, str] = {}
        for sleeve, symbols in self.universe.items():
            if not symbols:
                raise ValueError(f"universe.{sleeve}: sleeve is empty")
            for symbol in symbols:
                if symbol in seen:
                    where = (
                        "listed twice"
                        if seen[symbol] == sleeve
                        else (f"also in sleeve {seen[symbol]!r}")
                    )
                    raise ValueError(f"universe.{sleeve}: symbol {symbol!r} is {where}")
                seen[symbol] = sleeve
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"start: {self.start} is not before end {self.end}")
        if self.execution_lag < 1:
            raise ValueError(
                f"execution_lag: must be >= 1 (trade at the earliest on the bar after the "
                f"signal), got {self.execution_lag}"
            )
        if self.init_cash < 1:
            raise ValueError(f"init_cash: must be at least 1, got {self.init_cash}")
        _check_risk_free(self.risk_free)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol of the universe, sleeve by sleeve, in config order."""
        return tuple(s for symbols in self.universe.values() for s in symbols)

    @property
    def risk_free_input(self) -> tuple[Literal["macro", "prices"], str] | None:
        """The series ``risk_free`` reads: ("macro", FRED id), ("prices", symbol), or None
        for a constant rate."""
        kind = risk_free_kind(self.risk_free)
        if kind == "constant":
            return None
        return ("macro" if kind == "series" else "prices"), self.risk_free

    @property
    def sleeve_of(self) -> Mapping[str, str]:
        return {s: sleeve for sleeve, symbols in self.universe.items() for s in symbols}

    def resolve_path(self, relative: str) -> Path:
        base = Path(self.source_path).parent if self.source_path else Path.cwd()
        return (base / relative).resolve()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-safe), without ``source_path``."""
        out: dict[str, Any] = to_plain(self)
        out.pop("source_path")
        return out

    def runnable_dict(self) -> dict[str, Any]:
        """``to_dict`` with the paths the config names (``strategies_dir``, ``data.path``,
        ``data.cache``) resolved against its file: the YAML a run or sweep folder writes, which
        then runs from wherever it is saved."""
        out = self.to_dict()
        out["strategies_dir"] = str(self.resolve_path(self.strategies_dir))
        for key in ("path", "cache"):
            if out["data"].get(key):
                out["data"][key] = str(self.resolve_path(out["data"][key]))
        return out

    def config_hash(self) -> str:
        """SHA-256 of the resolved config (canonical JSON): the config part of a run's identity."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def replace(self, **changes: Any) -> Config:
        """A copy with top-level keys changed, validated again."""
        try:
            return dataclasses.replace(self, **changes)
        except ValueError as exc:
            raise ConfigError(f"{self.source_path or self.name}: {exc}") from None


def _check_risk_free(value: str) -> None:
    kind = risk_free_kind(value)
    if kind == "constant":
        rate = float(value)
        if not -0.5 < rate < 0.5:  # NaN fails too
            raise ValueError(
                f"risk_free: a constant rate is a fraction a year (0.04 = 4 %), "
                f"between -0.5 and 0.5; got {value[:24]}"
            )
    elif kind == "symbol" and (
        value.startswith("^") or not value.replace("-", "").replace(".", "").isalnum()
    ):
        raise ValueError(
            f"risk_free: {value!r} is neither a number, a FRED yield "
            f"({', '.join(RISK_FREE_SERIES)}) nor a tradable symbol (a Yahoo index such as "
            "^IRX is a yield, not a price: use DGS3MO)"
        )


def parse_config(raw: Any, *, name: str, source_path: str | None = None) -> Config:
    """Build and validate a ``Config`` from parsed YAML (a mapping)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source_path or name}: the config must be a mapping of keys")
    raw = dict(raw)
    if "source_path" in raw:
        raise ConfigError(f"{source_path or name}: unknown key 'source_path'")
    raw.setdefault("name", name)
    if isinstance(raw.get("data"), str):  # shorthand: `data: live`
        raw["data"] = {"source": raw["data"]}
    if isinstance(raw.get("strategy"), str):  # shorthand: `strategy: equal_weight`
        raw["strategy"] = {"name": raw["strategy"]}
    if isinstance(raw.get("rebalance"), str):  # shorthand: `rebalance: monthly`
        raw["rebalance"] = {"every": raw["rebalance"]}
    rate = raw.get("risk_free")
    if isinstance(rate, int | float) and not isinstance(rate, bool):  # `risk_free: 0`
        try:
            raw["risk_free"] = repr(float(rate)) if math.isfinite(rate) else str(rate)
        except OverflowError:  # an integer too large for a float: out of range anyway
            raw["risk_free"] = "inf"
    raw["source_path"] = source_path
    try:
        check_plain(raw)
        config = build(Config, raw)
    except ConfigError as exc:
        raise ConfigError(f"{source_path or name}: {exc}") from None
    return config


MAX_CONFIG_BYTES = 1_000_000
"""The largest config file read (a real one is a few kB; a huge one costs minutes and GBs)."""


def read_config(path: str | Path) -> Config:
    """Read a YAML config file and validate it against the schema (keys, types, values).

    What the config names (symbols in the data source, the strategy and its parameters) is
    checked by ``rotation.validate.load_config``, which most callers want.
    """
    path = Path(path)
    try:
        text = read_regular_file(path, MAX_CONFIG_BYTES).decode()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    raw = load_yaml(text, str(path))
    return parse_config(raw, name=path.stem, source_path=str(path))
