"""Past runs as data: the backtest runs of a results folder, listed, and one loaded back.

``load_run(folder)`` returns the ``rotation.backtest.Backtest`` the run produced, read from the
folder's files (through the run-folder reader ``rotation.report._run``), running nothing: no
data is loaded, no strategy and no engine run. Its numbers are the folder's: ``metrics`` is
``metrics.json`` as written, the curves are ``equity.csv``, ``weights.csv``, ``orders.csv``.
What the folder does not keep is rebuilt from what it does, and documented on ``load_run``.

``list_runs(results_dir)`` reads only each run's ``manifest.json`` and ``metrics.json`` (fast
on hundreds of runs); folders that are not backtest runs are counted apart, and damaged runs
are reported with the reason, never raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rotation.errors import RotationError

if TYPE_CHECKING:
    from rotation.backtest import Backtest


IDENTITY_KEYS = ("config_hash", "data_fingerprint", "strategy_file", "strategy_hash", "code_hash")
"""The manifest's fields of a run's ``rotation.runs.Identity`` (its run id hashes them)."""


@dataclass(frozen=True)
class RunEntry:
    """One run of a results folder, as a list shows it: ``manifest`` and ``metrics`` are its
    ``manifest.json`` and ``metrics.json``."""

    folder: Path
    manifest: Mapping[str, Any]
    metrics: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.folder.name))

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", ""))

    @property
    def config_hash(self) -> str:
        return str(self.manifest.get("config_hash", ""))

    @property
    def created(self) -> dt.datetime | None:
        """When the run was written (UTC), from the manifest; None when unreadable."""
        try:
            created = dt.datetime.fromisoformat(str(self.manifest.get("created")))
        except ValueError:
            return None
        return created if created.tzinfo else created.replace(tzinfo=dt.UTC)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: folder, name, created, run id, the manifest's hashes, every metric."""
        return {
            "folder": str(self.folder),
            "name": self.name,
            "created": self.created.isoformat() if self.created else None,
            "run_id": self.run_id,
            **{k: self.manifest.get(k) for k in IDENTITY_KEYS},
            "metrics": dict(self.metrics),
        }


@dataclass(frozen=True)
class RunList:
    """``runs``: the backtest runs found, in folder-name order; ``skipped``: folders that are
    not backtest runs (names); ``damaged``: (folder, reason) of runs that cannot be read."""

    runs: list[RunEntry]
    skipped: list[str] = field(default_factory=list)
    damaged: list[tuple[Path, str]] = field(default_factory=list)


def list_runs(results_dir: str | Path) -> RunList:
    """The backtest runs directly under ``results_dir`` (see the module docstring)."""
    from rotation.runs import looks_like_run, read_summary

    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise RotationError(f"results folder {results_dir} does not exist")
    found = RunList(runs=[])
    for folder in sorted(p for p in results_dir.iterdir() if p.is_dir()):
        if not looks_like_run(folder):
            found.skipped.append(folder.name)
            continue
        try:
            manifest, metrics = read_summary(folder)
        except RotationError as exc:
            found.damaged.append((folder, str(exc)))
            continue
        found.runs.append(RunEntry(folder, manifest, metrics))
    return found


def load_run(folder: str | Path) -> Backtest:
    """The ``Backtest`` that the run folder ``folder`` holds, running nothing.

    Read as written: ``metrics`` (metrics.json), ``config`` (config.yaml, validated by the
    schema; its ``config_hash()`` is the manifest's), ``identity`` and ``notes`` (manifest),
    ``signals`` and ``regime`` (signals.csv), ``regime_table`` (regime.csv), ``targets``
    (targets.csv on the run's dates, NaN where nothing was decided), ``benchmark_value`` and
    ``risk_free`` (equity.csv); ``simulation`` has the value, cash, weights and orders of the
    files, ``close`` and ``prices`` are prices.csv (the closes the run was valued at, filled
    before listings as the engine values them). Rebuilt from them: ``shares`` (the orders
    summed per symbol), ``executed_targets`` (targets moved by ``execution_lag``), the cost
    totals and turnover sums (from metrics.json, so equal to the engine's up to rounding).
    Raises ``RotationError`` naming the folder or file when it is not a complete run.
    """
    import numpy as np
    import pandas as pd

    from rotation.backtest import Backtest
    from rotation.config import parse_config
    from rotation.engine import Simulation, size_granularity
    from rotation.errors import ConfigError
    from rotation.metrics import PERIODS_PER_YEAR
    from rotation.pipeline import Window
    from rotation.report._run import load_run as read_run
    from rotation.runs import Identity

    run = read_run(folder)
    path = run.folder / "config.yaml"
    try:
        config = parse_config(dict(run.config), name=run.name, source_path=str(path))
    except ConfigError as exc:
        raise RotationError(f"{path} is not a valid config: {exc}") from None
    if run.prices is None:
        raise RotationError(
            f"{run.folder / 'prices.csv'} is missing (runs written before rotation kept the "
            "closes cannot be loaded: run the backtest again)"
        )
    manifest, metrics = run.manifest, dict(run.metrics)
    try:
        ident = Identity(**{k: str(manifest[k]) for k in IDENTITY_KEYS})
        start, end = pd.Timestamp(metrics["start"]), pd.Timestamp(metrics["end"])
    except (KeyError, ValueError) as exc:
        raise RotationError(f"{run.folder}: manifest.json or metrics.json lacks {exc}") from None
    index = run.equity.index
    assert run.targets is not None  # load_run reads every file a run has
    targets = run.targets.reindex(index=index, columns=run.weights.columns)
    signed = run.orders["shares"].where(run.orders["side"] == "buy", -run.orders["shares"])
    shares = (
        signed.groupby([run.orders["date"], run.orders["symbol"]])
        .sum()
        .unstack(fill_value=0)
        .reindex(index=index, columns=run.weights.columns, fill_value=0.0)
        .cumsum()
    )
    days = len(index)

    def number(name: str) -> float:
        value = metrics.get(name)
        return float("nan") if value is None else float(value)

    simulation = Simulation(
        value=run.equity["value"].rename("value"),
        cash=run.equity["cash"].rename("cash"),
        shares=shares,
        weights=run.weights,
        executed_targets=targets.shift(config.execution_lag),
        orders=run.orders,
        close=run.prices[run.weights.columns],
        fees=config.costs.fees,
        slippage=config.costs.slippage,
        init_cash=config.init_cash,
        turnover=number("annual_turnover") * 2.0 * days / PERIODS_PER_YEAR,
        initial_turnover=number("initial_investment"),
        fees_paid=number("fees_paid"),
        slippage_paid=number("slippage_paid"),
        fee_drag_sum=number("fee_drag") * days / PERIODS_PER_YEAR,
        slippage_drag_sum=number("slippage_drag") * days / PERIODS_PER_YEAR,
        size_granularity=pd.Series(
            size_granularity(map(str, run.weights.columns), config.fractional),
            index=run.weights.columns,
            name="size_granularity",
        ),
    )
    regime = run.signals["regime"].astype(object).where(run.signals["regime"].notna(), np.nan)
    return Backtest(
        config=config,
        window=Window(start, end, tuple(map(str, manifest.get("notes") or ()))),
        prices=run.prices[run.weights.columns],
        signals=run.signals.drop(columns="regime"),
        regime=regime.rename("regime"),
        targets=targets,
        simulation=simulation,
        benchmark_value=run.equity["benchmark"].rename("benchmark"),
        risk_free=run.equity["risk_free"].rename("risk_free"),
        metrics=metrics,
        regime_table=run.regime_table,
        source=str(manifest.get("data_source", "")),
        identity=ident,
        notes=tuple(map(str, manifest.get("notes") or ())),
    )


def sort_key(metric_name: str) -> Any:
    """A key that orders ``RunEntry``s best first by the registry metric ``metric_name`` (its
    own direction: higher or lower is better); runs without the metric go last."""
    from rotation.metrics import metric

    entry = metric(metric_name)
    sign = -1.0 if entry.better == "higher" else 1.0

    def key(run: RunEntry) -> tuple[bool, float]:
        value = run.metrics.get(metric_name)
        if not isinstance(value, int | float) or value != value:
            return True, 0.0
        return False, sign * float(value)

    return key


def headline(metrics: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """``metrics``' values of ``names``, each in its registry unit."""
    from rotation.metrics import metric

    return [metric(name).format(metrics.get(name)) for name in names]


__all__ = ["RunEntry", "RunList", "headline", "list_runs", "load_run", "sort_key"]
