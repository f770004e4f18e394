"""Run folders: each backtest gets ``results/<name>-<time>-<id>/`` of its own, never reused.

The folder is written under a temporary name and renamed into place in one step, so a folder
with the final name is always complete. A failed or interrupted (Ctrl-C) write removes its
temporary folder; a process killed outright (SIGKILL, power loss) can leave a ``.incomplete-*``
folder, which is safe to delete. Contents:

    config.yaml      the resolved config (every default filled in)
    manifest.json    run id, config hash, data fingerprint, data source, package versions, time
    metrics.json     headline metrics, turnover, rebalances, time and return by regime
    equity.csv       date, value, benchmark, cash
    weights.csv      date x symbol: held weights at each close
    targets.csv      date x symbol: target weights on decision dates (before the lag)
    orders.csv       date, symbol, side, shares, price, value, fees
    signals.csv      date x (components, composite, regime)
    regime.csv       per-regime statistics
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from rotation.backtest import Backtest
from rotation.errors import RotationError

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


def _safe_name(name: str) -> str:
    """A file-name-safe version of a config name (no separators, no leading dots)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return cleaned[:80] or "run"


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


@dataclass
class Staging:
    """A folder being written (``path``) and, once complete, where it was published."""

    path: Path
    published: Path | None = None


@contextlib.contextmanager
def new_folder(results_dir: Path, final_name: str) -> Iterator[Staging]:
    """Yield a fresh staging folder; on success rename it to ``results_dir/final_name`` (or
    ``final_name-2``... if taken) and set ``.published``; on failure remove it.

    ``final_name`` is made file-name safe, so a config name cannot escape ``results_dir``.
    """
    results_dir = Path(results_dir)
    final_name = _safe_name(final_name)
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        staging = Staging(results_dir / f".incomplete-{final_name}-{uuid.uuid4().hex[:8]}")
        staging.path.mkdir()
    except OSError as exc:  # read-only, a file in the way, no permission...
        raise RotationError(
            f"cannot write to results folder {results_dir}: {exc.strerror or exc}"
        ) from None
    try:
        yield staging
        staging.published = _publish(staging.path, results_dir, final_name)
    except OSError as exc:  # disk full, file too large, folder made read-only meanwhile...
        shutil.rmtree(staging.path, ignore_errors=True)
        kept = (
            f"the partial output is in {staging.path} (safe to delete)"
            if staging.path.exists()
            else "nothing was kept"
        )
        raise RotationError(
            f"could not write the run into {results_dir} ({exc.strerror or exc}); {kept}"
        ) from None
    except BaseException:  # Ctrl-C included: never leave a partial folder behind
        shutil.rmtree(staging.path, ignore_errors=True)
        raise


def timestamp() -> str:
    """UTC time for folder names: 20261125T081315."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"


def _publish(staging: Path, results_dir: Path, final_name: str) -> Path:
    """Rename ``staging`` to a name no other run holds (suffix -2, -3... on a clash)."""
    for attempt in range(1, 1000):
        target = results_dir / (final_name if attempt == 1 else f"{final_name}-{attempt}")
        try:
            os.rename(staging, target)  # atomic; fails if target exists and is not empty
            return target
        except OSError:
            if not target.exists():
                raise
    raise RotationError(f"too many runs named {final_name} in {results_dir}")


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
