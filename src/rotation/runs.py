"""Run folders: each backtest gets ``results/<name>-<time>-<id>/`` of its own, never reused.

The folder is written under a temporary name and renamed into place in one step, so a folder
with the final name is always complete (``new_folder``, the one folder writer every command's
output goes through; see ``rotation._atomic``). A failed or interrupted (Ctrl-C) write removes its
temporary folder; a process killed outright (SIGKILL, power loss) can leave a ``.incomplete-*``
folder, which is safe to delete. Contents:

    config.yaml      the resolved config (every default filled in)
    manifest.json    run id, config hash, data fingerprint, data source, package versions, time
    metrics.json     headline metrics, turnover, rebalances, costs (fees, slippage, total, in
                     money and as drag per year), time and return by regime
    equity.csv       date, value, benchmark, cash
    weights.csv      date x symbol: held weights at each close
    targets.csv      date x symbol: target weights on decision dates (before the lag)
    orders.csv       date, symbol, side, shares, price, value, fees, slippage (one row per fill,
                     in execution order; money; slippage = |price - close| * shares)
    signals.csv      date x (components, composite, regime)
    regime.csv       per-regime statistics
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rotation._atomic import Staging, new_folder, timestamp
from rotation._atomic import safe_name as _safe_name

if TYPE_CHECKING:
    from rotation.backtest import Backtest

__all__ = [
    "Staging", "json_default", "manifest", "new_folder", "package_versions", "run_id", "save",
    "timestamp",
]  # fmt: skip

PACKAGES = ("rotation", "vectorbt", "pandas", "numpy", "numba", "empyrical-reloaded", "yfinance")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_id(config_hash: str, fingerprint: str) -> str:
    """Identity of a run's inputs: 12 hex digits over config hash and data fingerprint."""
    import hashlib

    return hashlib.sha256(f"{config_hash}:{fingerprint}".encode()).hexdigest()[:12]


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for dates and numpy scalars."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def manifest(result: Backtest, created: dt.datetime) -> dict[str, Any]:
    config_hash = result.config.config_hash()
    return {
        "run_id": run_id(config_hash, result.fingerprint),
        "name": result.config.name,
        "config_hash": config_hash,
        "data_fingerprint": result.fingerprint,
        "data_source": result.source,
        "config_file": result.config.source_path,
        "created": created.isoformat(timespec="seconds"),
        "versions": package_versions(),
        "notes": list(result.notes),
    }


def save(
    result: Backtest, results_dir: Path, *, finish: Callable[[Path], object] | None = None
) -> Path:
    """Write ``result`` into a new folder under ``results_dir``; return its path.

    ``finish(folder)`` runs on the complete folder before it is published (e.g. writing the
    report), so a published folder always holds everything.
    """
    created = dt.datetime.now(dt.UTC)
    info = manifest(result, created)
    final_name = f"{_safe_name(result.config.name)}-{created:%Y%m%dT%H%M%S}-{info['run_id']}"
    with new_folder(results_dir, final_name) as staging:
        _write_files(result, staging.path, info)
        if finish is not None:
            finish(staging.path)
    assert staging.published is not None  # new_folder sets it when the block succeeds
    return staging.published


def _write_files(result: Backtest, folder: Path, info: dict[str, Any]) -> None:
    sim = result.simulation
    (folder / "config.yaml").write_text(
        yaml.safe_dump(result.config.to_dict(), sort_keys=False, allow_unicode=True)
    )
    (folder / "metrics.json").write_text(
        json.dumps(result.metrics, indent=2, default=json_default) + "\n"
    )
    equity = sim.value.to_frame("value")
    equity["benchmark"] = result.benchmark_value
    equity["cash"] = sim.cash
    equity.to_csv(folder / "equity.csv", index_label="date")
    sim.weights.to_csv(folder / "weights.csv", index_label="date")
    result.targets.dropna(how="all").to_csv(folder / "targets.csv", index_label="date")
    sim.orders.to_csv(folder / "orders.csv", index=False)
    signals = result.signals.copy()
    signals["regime"] = result.regime
    signals.to_csv(folder / "signals.csv", index_label="date")
    result.regime_table.to_csv(folder / "regime.csv")
    # the manifest goes last: its presence marks the folder's files as written
    (folder / "manifest.json").write_text(json.dumps(info, indent=2, default=json_default) + "\n")
