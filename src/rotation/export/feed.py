"""The signal feed: a config's regime, composite, components and target weights per decision date.

``build_feed(config, asof=...)`` reads the config's data as it was known on the as-of date (every
observation after it is cut off, so the feed is reproducible when the data source grows), refuses
stale or missing data (``check_freshness``), computes the strategy's target weights and returns a
``SignalFeed``. Its rows are the decision dates (rebalance dates) of the strategy on or before the
as-of date: the latest one only, or all of them with ``history=True``.

Timing: a target is decided at the close of ``decided_at`` and, with the config's
``execution_lag``, traded at the earliest on ``trade_on_or_after`` (the calendar row
``execution_lag`` bars later; beyond the data, counted in business days).

The feed's schema (``FEED_FIELDS``, version ``SCHEMA_VERSION``) is stable: any change to the
fields, their names or their meaning bumps the version. It is documented in the README and in
docs/export-schema.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import pandas as pd

from rotation._types import Prices, Regime, Scores, Weights
from rotation.config import Config
from rotation.data.align import as_known
from rotation.data.capex import MAX_QUARTER_AGE_DAYS
from rotation.errors import DataError, RotationError
from rotation.metrics import finite_or_none
from rotation.pipeline import Inputs, load_inputs, prepare
from rotation.runs import Identity, identity
from rotation.signals import CAPEX_INPUT, FUNDING_INPUT, Known, component_inputs, publication_rule

SCHEMA_VERSION = 1
DEFAULT_MAX_AGE_DAYS = 7  # calendar days: a long weekend plus a holiday still passes

# (name, type, meaning): one row of the CSV / Parquet feed per decision date and symbol.
FEED_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("schema_version", "int", f"feed schema version ({SCHEMA_VERSION}); bumped on any change"),
    ("config_name", "string", "the config's name"),
    ("config_hash", "string", "SHA-256 of the resolved config"),
    ("data_fingerprint", "string", "SHA-256 of every input known on the as-of date"),
    ("data_source", "string", "where the data came from (bundled snapshot, folder, live cache)"),
    ("asof", "date", "the as-of date: nothing observed after it was read"),
    ("data_end", "date", "the last trading day with data (the latest signal's date)"),
    ("generated_at", "timestamp", "when the feed was written (UTC, ISO 8601)"),
    ("missing_inputs", "string", "inputs allowed to be missing (--allow-missing), ';'-joined"),
    ("decided_at", "date", "decision date: the target is decided at this day's close"),
    ("trade_on_or_after", "date", "first day the target may be traded (execution_lag bars later)"),
    ("execution_lag", "int", "bars between decision and trade, from the config"),
    ("regime", "string", "abundant, neutral or scarce on decided_at (empty while warming up)"),
    ("composite", "float", "composite capital-scarcity score on decided_at (positive = scarcer)"),
    (
        "<component>",
        "float",
        "one column per component the config computes, named as in the "
        "config, in config order: the score on decided_at (empty when unknown)",
    ),
    ("symbol", "string", "the asset, as named in the config (Yahoo symbol)"),
    ("sleeve", "string", "the config sleeve the symbol belongs to"),
    ("weight", "float", "target fraction of portfolio value; a date's weights sum to <= 1"),
    ("close", "float", "the symbol's close on decided_at (reference price)"),
)
COMPONENTS_FIELD = "<component>"


def feed_columns(components: Sequence[str]) -> tuple[str, ...]:
    """The feed's columns for a config computing ``components`` (``FEED_FIELDS`` expanded)."""
    out: list[str] = []
    for name, _, _ in FEED_FIELDS:
        out.extend(components if name == COMPONENTS_FIELD else [name])
    return tuple(out)


class StaleDataError(DataError):
    """The data is too old, or an input of the signal is missing, on the as-of date."""


@dataclass(frozen=True)
class Provenance:
    """Where a feed came from: the config, the data, and when. ``identity``: what a run id
    covers (``rotation.runs.Identity``: config and data hashes, strategy and package code)."""

    config_name: str
    config_file: str | None
    identity: Identity
    data_source: str
    asof: pd.Timestamp
    data_end: pd.Timestamp
    generated_at: dt.datetime
    execution_lag: int
    missing_inputs: tuple[str, ...] = ()
    rotation_version: str = field(default_factory=lambda: _version())

    @property
    def config_hash(self) -> str:
        return self.identity.config_hash

    @property
    def data_fingerprint(self) -> str:
        return self.identity.data_fingerprint


@dataclass(frozen=True)
class Decision:
    """One decision date: the state of the signal and the target weights decided at its close."""

    decided_at: pd.Timestamp
    trade_on_or_after: pd.Timestamp
    regime: str | None
    composite: float | None
    components: Mapping[str, float | None]
    weights: Mapping[str, float]  # every universe symbol, config order; 0 = not held
    closes: Mapping[str, float | None]

    @property
    def cash_weight(self) -> float:
        return max(0.0, 1.0 - sum(self.weights.values()))


@dataclass(frozen=True)
class SignalFeed:
    """The exported signal. ``decisions`` are oldest first; ``latest`` is the last of them.

    ``current`` is the signal on ``data_end`` (it can differ from the latest decision's when the
    schedule did not rebalance since); ``regime_history`` is the daily regime from the first day
    of the price data the feed uses (the backtest window's start) up to ``data_end``;
    ``latest_closes`` maps each symbol to (date, close) of its last close on or before ``asof``.
    """

    provenance: Provenance
    decisions: tuple[Decision, ...]
    current: Decision
    regime_history: pd.Series
    latest_closes: Mapping[str, tuple[pd.Timestamp, float]]
    sleeves: Mapping[str, str]
    components: tuple[str, ...]  # the components the config computes, config order

    @property
    def latest(self) -> Decision:
        return self.decisions[-1]

    def table(self) -> pd.DataFrame:
        """The feed as a long table: one row per decision date and symbol (``feed_columns``)."""
        p = self.provenance
        rows = []
        for d in self.decisions:
            for symbol, weight in d.weights.items():
                rows.append(
                    {
                        "schema_version": SCHEMA_VERSION,
                        "config_name": p.config_name,
                        "config_hash": p.config_hash,
                        "data_fingerprint": p.data_fingerprint,
                        "data_source": p.data_source,
                        "asof": p.asof.date(),
                        "data_end": p.data_end.date(),
                        "generated_at": _iso(p.generated_at),
                        "missing_inputs": ";".join(p.missing_inputs),
                        "decided_at": d.decided_at.date(),
                        "trade_on_or_after": d.trade_on_or_after.date(),
                        "execution_lag": p.execution_lag,
                        "regime": d.regime,
                        "composite": d.composite,
                        **{c: d.components.get(c) for c in self.components},
                        "symbol": symbol,
                        "sleeve": self.sleeves[symbol],
                        "weight": weight,
                        "close": d.closes.get(symbol),
                    }
                )
        table = pd.DataFrame(rows, columns=list(feed_columns(self.components)))
        for name, kind, _ in FEED_FIELDS:
            names = self.components if name == COMPONENTS_FIELD else [name]
            for column in names:
                if kind == "float":
                    table[column] = table[column].astype("float64")
                elif kind == "int":
                    table[column] = table[column].astype("int64")
        return table

    def to_dict(self) -> dict[str, Any]:
        """The feed as nested JSON-ready data (the ``json`` format)."""
        p = self.provenance
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": {
                "config_name": p.config_name,
                "config_file": p.config_file,
                "config_hash": p.config_hash,
                "data_fingerprint": p.data_fingerprint,
                "data_source": p.data_source,
                "asof": _day(p.asof),
                "data_end": _day(p.data_end),
                "generated_at": _iso(p.generated_at),
                "execution_lag": p.execution_lag,
                "missing_inputs": list(p.missing_inputs),
                "rotation_version": p.rotation_version,
            },
            "universe": _sleeve_lists(self.sleeves),
            "current": {
                "date": _day(self.current.decided_at),
                "regime": self.current.regime,
                "composite": self.current.composite,
                "components": dict(self.current.components),
            },
            "decisions": [decision_dict(d) for d in self.decisions],
        }


def decision_dict(d: Decision) -> dict[str, Any]:
    """One decision as JSON-ready data (shared by the json feed and the JSON lines stream)."""
    return {
        "decided_at": _day(d.decided_at),
        "trade_on_or_after": _day(d.trade_on_or_after),
        "regime": d.regime,
        "composite": d.composite,
        "components": dict(d.components),
        "weights": dict(d.weights),
        "cash_weight": d.cash_weight,
        "closes": dict(d.closes),
    }


def write_feed(feed: SignalFeed, path: Path, fmt: str) -> Path:
    """Write the feed as ``csv``, ``json`` or ``parquet`` to ``path``."""
    if fmt == "csv":
        feed.table().to_csv(path, index=False)
    elif fmt == "parquet":
        table = feed.table()
        for name, kind, _ in FEED_FIELDS:
            if kind == "date":
                table[name] = pd.to_datetime(table[name]).astype("datetime64[ms]")
        table.to_parquet(path, index=False)
    elif fmt == "json":
        path.write_text(json.dumps(feed.to_dict(), indent=2, allow_nan=False) + "\n")
    else:
        raise RotationError(f"unknown feed format {fmt!r}; use csv, json or parquet")
    return path


# --- building the feed ---------------------------------------------------------------------


def build_feed(
    config: Config,
    *,
    asof: dt.date | str | None = None,
    history: bool = False,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    allow_missing: Iterable[str] = (),
    inputs: Inputs | None = None,
    now: dt.datetime | None = None,
) -> SignalFeed:
    """The signal of ``config`` as of ``asof`` (default: today, UTC).

    Reads the config's inputs (or ``inputs``) as known on ``asof``, refuses stale or missing data
    (see ``check_freshness``; ``allow_missing`` names signal inputs or components that may be
    missing), runs the strategy and keeps the decision dates on or before ``asof``: the latest, or
    all of them with ``history``. The config's ``end`` is not used: the export looks at ``asof``.
    """
    now = now or dt.datetime.now(dt.UTC)
    asof_day = pd.Timestamp(asof if asof is not None else now.date()).normalize()
    allowed = _check_allowed_names(config, allow_missing)
    known = known_by(inputs or load_inputs(config), asof_day)
    missing = check_freshness(config, known, asof_day, max_age_days=max_age_days, allowed=allowed)
    live = config.replace(end=None)
    prepared = prepare(live, known)
    calendar, prices, signals, regime, targets = (
        prepared.calendar,
        prepared.prices,
        prepared.signals,
        prepared.regime,
        prepared.targets,
    )
    data_end = calendar[-1]
    current = _decision(calendar, data_end, signals, regime, targets, prices, config, weights=False)
    _check_scores(config, current, asof_day, excused={*allowed, *missing})
    decided = targets.index[targets.notna().any(axis=1)]
    if len(decided) == 0:
        raise DataError(
            f"{config.name}: no decision date on or before {asof_day.date()} (the backtest "
            f"window starts {config.start}); nothing to export"
        )
    chosen = decided if history else decided[-1:]
    decisions = tuple(
        _decision(calendar, day, signals, regime, targets, prices, config) for day in chosen
    )
    provenance = Provenance(
        config_name=config.name,
        config_file=config.source_path,
        identity=identity(config, known.fingerprint(), prepared.stages.strategy(live)),
        data_source=known.source,
        asof=asof_day,
        data_end=data_end,
        generated_at=now,
        execution_lag=config.execution_lag,
        missing_inputs=tuple(missing),
    )
    latest_closes = {}
    for symbol in config.symbols:
        series = known.closes[symbol].dropna()
        latest_closes[symbol] = (series.index[-1], float(series.iloc[-1]))
    return SignalFeed(
        provenance=provenance,
        decisions=decisions,
        current=current,
        regime_history=regime.loc[prepared.window.start : data_end],
        latest_closes=latest_closes,
        sleeves=dict(config.sleeve_of),
        components=tuple(config.signal.components),
    )


def _check_scores(
    config: Config, current: Decision, asof: pd.Timestamp, *, excused: set[str]
) -> None:
    """Refuse when a weighted component (or the composite) has no score on the data end, unless
    the component or one of its inputs was allowed to be missing (warm-up is never excused)."""
    unknown = [
        c
        for c, names in signal_inputs(config).items()
        if current.components.get(c) is None and not ({c, *names} & excused)
    ]
    if current.composite is None or unknown:
        what = ", ".join(unknown) or "the composite"
        raise StaleDataError(
            f"refusing to export {config.name} as of {asof.date()}: no score on "
            f"{current.decided_at.date()} for {what} (not enough history yet, or its inputs are "
            "missing)"
            + (f"; pass --allow-missing {unknown[0]} to export without it" if unknown else "")
        )


def known_by(inputs: Inputs, asof: pd.Timestamp) -> Inputs:
    """``inputs`` without anything observed after ``asof`` (capex and funding: known after
    ``asof``).

    Publication lags are >= 0, so nothing cut here could be known on or before ``asof``: the
    signal up to ``asof`` is unchanged, and the fingerprint identifies exactly what was read.
    """

    def known(table: pd.DataFrame) -> pd.DataFrame:
        if table.empty or "known_from" not in table:
            return table
        return table.loc[pd.to_datetime(table["known_from"]) <= asof].reset_index(drop=True)

    return dataclasses.replace(
        inputs,
        closes={k: s.loc[:asof] for k, s in inputs.closes.items()},
        macro={k: s.loc[:asof] for k, s in inputs.macro.items()},
        capex=known(inputs.capex),
        funding=known(inputs.funding),
    )


def signal_inputs(config: Config) -> dict[str, tuple[str, ...]]:
    """Component -> the inputs it reads (FRED ids, or ``capex_growth_yoy``), weighted ones only."""
    weights = config.signal.weights
    return {c: r for c, r in component_inputs(config.signal).items() if weights.get(c, 0) > 0}


def check_freshness(
    config: Config,
    inputs: Inputs,
    asof: pd.Timestamp,
    *,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    allowed: Sequence[str] = (),
) -> list[str]:
    """Refuse (``StaleDataError``) when data is too old on ``asof``; return the allowed gaps.

    Prices: every universe symbol and the benchmark must have a close within ``max_age_days``
    calendar days before ``asof``; a symbol with no close at all is refused too (the backtest
    needs a price for every asset, as ``rotation backtest --end`` does).

    Signal inputs: every series feeding a weighted component must still be known on ``asof``
    under its own publication rule (``rotation.data.align``: the same rule that drops it from
    the composite; weekly and quarterly series cannot meet a 7-day limit).
    An input named in ``allowed`` (by its id or its component) is reported, not refused.
    """
    problems: list[str] = []
    for symbol, series in inputs.closes.items():
        closes = series.dropna()
        if closes.empty:
            problems.append(f"{symbol}: no close on or before {asof.date()} (not listed yet?)")
            continue
        age = (asof - closes.index[-1]).days
        if age > max_age_days:
            problems.append(
                f"{symbol}: last close {closes.index[-1].date()}, {age} days before "
                f"{asof.date()} (limit --max-age-days {max_age_days})"
            )
    missing: list[str] = []
    day = pd.DatetimeIndex([asof], name="date")
    for component, names in signal_inputs(config).items():
        for name in names:
            reason = _input_gap(config, inputs, name, day)
            if reason is None:
                continue
            if name in allowed or component in allowed:
                if name not in missing:
                    missing.append(name)
                continue
            problems.append(
                f"signal input {name} ({component}): {reason}; pass --allow-missing {name} to "
                f"export without it"
            )
    if problems:
        raise StaleDataError(
            f"refusing to export {config.name} as of {asof.date()}, data is stale or missing:\n  "
            + "\n  ".join(problems)
        )
    return missing


def _input_gap(config: Config, inputs: Inputs, name: str, day: pd.DatetimeIndex) -> str | None:
    """Why input ``name`` is not known on ``day`` (None when it is)."""
    if name == FUNDING_INPUT:
        known = Known(inputs.macro, inputs.capex, config.signal, day, inputs.funding)
        measures = known.funding_measures().iloc[0]
        if pd.notna(measures["coverage"]):
            return None
        return (
            f"no hyperscaler capex coverage known on {day[0].date()} (no ticker has four "
            f"consecutive quarters of capex and operating cash flow ended within "
            f"{MAX_QUARTER_AGE_DAYS} days)"
        )
    if name == CAPEX_INPUT:
        value = Known(inputs.macro, inputs.capex, config.signal, day).capex_growth().iloc[0]
        if pd.notna(value):
            return None
        if config.signal.capex == "pnfi":
            return f"PNFI: {_input_gap(config, inputs, 'PNFI', day)}"
        quarters = "no hyperscaler quarter known"
        if not inputs.capex.empty:
            ended = pd.to_datetime(inputs.capex["period_end"]).max()
            quarters = (
                f"the latest hyperscaler quarter known ended {ended.date()}, "
                f"{(day[0] - ended).days} days before (quarters count for "
                f"{MAX_QUARTER_AGE_DAYS} days)"
            )
        pnfi = _input_gap(config, inputs, "PNFI", day) or "known"
        return f"no capex growth known on {day[0].date()}: {quarters}; PNFI fallback: {pnfi}"
    series = inputs.macro[name].dropna()
    rule = publication_rule(name, config.signal)
    if pd.notna(as_known(series, day, rule).iloc[0]):
        return None
    dates = cast(pd.DatetimeIndex, series.index)  # macro series are indexed by date
    published = dates[rule.known_dates(dates) <= day[0]]
    if len(published) == 0:
        return f"no observation published by {day[0].date()}"
    last = published[-1]
    return (
        f"last observation {last.date()}, {(day[0] - last).days} days before {day[0].date()}; "
        f"it counts as missing after {rule.max_age_days + rule.lag_days} days"
    )


def _check_allowed_names(config: Config, names: Iterable[str]) -> tuple[str, ...]:
    names = tuple(names)
    known = set(signal_inputs(config)) | {n for ns in signal_inputs(config).values() for n in ns}
    for name in names:
        if name not in known:
            raise RotationError(
                f"--allow-missing {name}: not an input or component of {config.name}'s signal; "
                f"known: {', '.join(sorted(known))}"
            )
    return names


def _decision(
    calendar: pd.DatetimeIndex,
    day: pd.Timestamp,
    signals: Scores,
    regime: Regime,
    targets: Weights,
    prices: Prices,
    config: Config,
    *,
    weights: bool = True,
) -> Decision:
    position = cast(int, calendar.get_loc(day))  # one position: the calendar is unique
    lag = config.execution_lag
    if position + lag < len(calendar):
        trade_day = calendar[position + lag]
    else:
        beyond = position + lag - (len(calendar) - 1)
        trade_day = calendar[-1] + pd.offsets.BDay(beyond)
    # One row of floats: the dates are unique.
    row = cast("pd.Series[float]", targets.loc[day]) if weights else None
    return Decision(
        decided_at=day,
        trade_on_or_after=pd.Timestamp(trade_day),
        regime=regime.loc[day] if isinstance(regime.loc[day], str) else None,
        composite=finite_or_none(signals.loc[day, "composite"]),
        components={c: finite_or_none(signals.loc[day, c]) for c in config.signal.components},
        weights={s: float(row[s]) for s in config.symbols} if row is not None else {},
        closes={s: finite_or_none(prices.loc[day, s]) for s in config.symbols},
    )


def _sleeve_lists(sleeves: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for symbol, sleeve in sleeves.items():
        out.setdefault(sleeve, []).append(symbol)
    return out


def _day(ts: pd.Timestamp) -> str:
    return ts.date().isoformat()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version() -> str:
    try:
        return metadata.version("rotation")
    except metadata.PackageNotFoundError:
        return "unknown"
