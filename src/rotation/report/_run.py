"""Read a run folder (as ``rotation.runs.save`` wrote it) back into frames.

The report is built from these files only, so ``rotation report`` works on any old run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rotation.attribution import Attribution, attribute
from rotation.errors import RotationError
from rotation.runs import RUN_FILES as RUN_FILES  # the files of a run folder, defined once


@dataclass(frozen=True)
class Run:
    """One run folder's contents.

    ``equity``: dates x (value, benchmark, cash, risk_free); ``weights``: dates x symbols
    (held at the close); ``orders``: one row per fill (date, symbol, side, shares, price,
    value, fees, slippage);
    ``signals``: dates x (components..., composite, regime); ``regime_table``: per-regime
    statistics indexed by state; ``prices``: dates x symbols, the closes the run was valued at
    (prices.csv; None for a run written before runs kept them).
    """

    folder: Path
    config: Mapping[str, Any]
    manifest: Mapping[str, Any]
    metrics: Mapping[str, Any]
    equity: pd.DataFrame
    weights: pd.DataFrame
    orders: pd.DataFrame
    signals: pd.DataFrame
    regime_table: pd.DataFrame
    prices: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.config.get("name") or self.folder.name)

    @property
    def returns(self) -> pd.Series:
        """Daily simple returns of the strategy (0 on the first day, as the backtest counts)."""
        return self.equity["value"].pct_change().fillna(0.0).rename("strategy")

    @property
    def benchmark_returns(self) -> pd.Series:
        return self.equity["benchmark"].pct_change().fillna(0.0).rename("benchmark")

    @property
    def risk_free(self) -> pd.Series:
        """The daily risk-free return the run was measured against (``rotation.riskfree``)."""
        return self.equity["risk_free"].rename("risk_free")

    @property
    def execution_lag(self) -> int:
        return int(self.config.get("execution_lag", 1))

    @property
    def benchmark_measure(self) -> str:
        """How the benchmark is measured (``metrics.json``), in words."""
        return str(self.metrics.get("benchmark_measure") or f"{self.benchmark}, held")

    @property
    def regime(self) -> pd.Series:
        """The regime state known at each close (NaN while the signal warms up)."""
        return self.signals["regime"].reindex(self.equity.index)

    @property
    def sleeves(self) -> dict[str, list[str]]:
        """Sleeve name -> symbols, from the config's universe (symbols in weights only)."""
        universe = self.config.get("universe") or {}
        held = set(self.weights.columns)
        sleeves = {str(k): [s for s in v if s in held] for k, v in universe.items()}
        listed = {s for symbols in sleeves.values() for s in symbols}
        others = [s for s in self.weights.columns if s not in listed]
        if others:
            sleeves["other"] = others
        return {k: v for k, v in sleeves.items() if v}

    @property
    def benchmark(self) -> str:
        return str(self.metrics.get("benchmark") or self.config.get("benchmark") or "benchmark")

    def attribution(self) -> Attribution:
        """The run's return and risk attribution (``rotation.attribution``); raises
        ``RotationError`` naming prices.csv when the folder lacks it or a held symbol."""
        path = self.folder / "prices.csv"
        if self.prices is None:
            raise RotationError(
                f"{path} is missing: attribution needs the closes the run was valued at "
                "(runs written before rotation kept them lack it: run the backtest again)"
            )
        missing = [s for s in self.weights.columns if s not in self.prices.columns]
        if missing:
            raise RotationError(f"{path} has no column for {', '.join(map(str, missing))}")
        return attribute(
            self.weights, self.prices, self.returns, self.sleeves, self.regime, self.execution_lag
        )


def _read(folder: Path, name: str, reader: Any) -> Any:
    path = folder / name
    try:
        return reader(path)
    except FileNotFoundError:
        raise RotationError(
            f"{path} is missing: is {folder} a run folder written by `rotation backtest`?"
        ) from None
    except (OSError, ValueError, KeyError, yaml.YAMLError) as exc:
        raise RotationError(f"cannot read {path}: {exc}") from None


def _frame(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col="date", parse_dates=["date"])
    if frame.empty:
        raise ValueError("no rows")
    return frame


def _orders(path: Path) -> pd.DataFrame:
    orders = pd.read_csv(path, parse_dates=["date"])
    missing = {"date", "symbol", "side", "shares", "price", "value", "fees", "slippage"}
    missing -= set(orders.columns)
    if missing:
        raise ValueError(f"columns {sorted(missing)} are missing")
    return orders


def load_run(folder: str | Path) -> Run:
    """Read the run folder ``folder``; raise ``RotationError`` naming a missing or bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RotationError(f"run folder {folder} does not exist")
    equity = _read(folder, "equity.csv", _frame)
    missing = [c for c in ("value", "benchmark", "risk_free") if c not in equity]
    if missing:
        raise RotationError(
            f"{folder / 'equity.csv'} needs the columns value, benchmark and risk_free "
            f"({', '.join(missing)} missing; a run written before rotation measured against a "
            "risk-free rate: run the backtest again)"
        )
    if equity["risk_free"].isna().any():
        raise RotationError(f"{folder / 'equity.csv'}: risk_free has empty values")
    config = _read(folder, "config.yaml", lambda p: yaml.safe_load(p.read_text()) or {})
    orders = _read(folder, "orders.csv", _orders)
    return Run(
        folder=folder,
        config=config,
        manifest=_read(folder, "manifest.json", lambda p: json.loads(p.read_text())),
        metrics=_read(folder, "metrics.json", lambda p: json.loads(p.read_text())),
        equity=equity,
        weights=_read(folder, "weights.csv", _frame),
        orders=orders,
        signals=_read(folder, "signals.csv", _frame),
        regime_table=_read(folder, "regime.csv", lambda p: pd.read_csv(p, index_col="regime")),
        prices=_read(folder, "prices.csv", _frame) if (folder / "prices.csv").exists() else None,
    )


def read_targets(folder: str | Path) -> pd.DataFrame:
    """targets.csv of the run folder ``folder``: target weights on decision dates."""
    return _read(Path(folder), "targets.csv", _frame)  # type: ignore[no-any-return]
