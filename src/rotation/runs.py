"""Run folders: each backtest gets ``results/<name>-<time>-<id>/`` of its own, never reused.

The folder is written under a temporary name and renamed into place in one step, so a folder
with the final name is always complete (``new_folder``, the one folder writer every command's
output goes through; see ``rotation._atomic``). A failed or interrupted (Ctrl-C) write removes its
temporary folder; a process killed outright (SIGKILL, power loss) can leave a ``.incomplete-*``
folder, which is safe to delete. Contents:

    config.yaml      the resolved config (every default filled in)
    manifest.json    run id and what it covers (config hash, data fingerprint, strategy file
                     and its hash, code hash), data source, package versions, time, and
                     ``files``: each file's SHA-256 and row count (a CSV's data rows), which
                     ``rotation report`` checks before it reads a file
    metrics.json     headline metrics, turnover, rebalances, costs (fees, slippage, total, in
                     money and as drag per year), benchmark entry, risk-free rate, time and
                     return by regime
    equity.csv       date, value, benchmark, cash, risk_free (the day's risk-free return)
    weights.csv      date x symbol: held weights at each close
    prices.csv       date x symbol: the closes the run was valued at (filled before a listing
                     and over gaps, as the engine values them); with weights.csv and
                     equity.csv what return attribution needs (``rotation.attribution``)
    targets.csv      date x symbol: target weights on decision dates (before the lag)
    orders.csv       date, symbol, side, shares, price, value, fees, slippage (one row per fill,
                     in execution order; money; slippage = |price - close| * shares)
    signals.csv      date x (components, composite, regime)
    regime.csv       per-regime statistics

Identity. A run's id (``Identity.run_id``, computed by ``run_id`` alone) covers everything that
decides its numbers: the resolved config (``Config.config_hash``), the data
(``Inputs.fingerprint``), the strategy file's source as loaded (``Strategy.source_hash``) and the
source of the ``rotation`` package that ran (``code_hash``). Two runs share the id exactly when
all four are equal; an edited strategy file or package gives a new id.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import platform
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from rotation._atomic import Staging, new_folder, timestamp

if TYPE_CHECKING:
    import pandas as pd

    from rotation.backtest import Backtest
    from rotation.config import Config
    from rotation.strategy import Strategy

__all__ = [
    "RUN_FILES", "Identity", "Staging", "code_hash", "identity", "json_default", "looks_like_run",
    "manifest", "new_folder", "package_versions", "read_summary", "run_id", "save",
    "source_tree_hash", "timestamp",
]  # fmt: skip

RUN_FILES = (
    "config.yaml",
    "manifest.json",
    "metrics.json",
    "equity.csv",
    "weights.csv",
    "orders.csv",
    "signals.csv",
    "regime.csv",
)
"""The files every run folder has (``rotation.report._run`` reads them back); runs written
since the report's contribution section also have prices.csv, and targets.csv."""

PACKAGES = ("rotation", "vectorbt", "pandas", "numpy", "numba", "empyrical-reloaded", "yfinance")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_id(config_hash: str, fingerprint: str, strategy_hash: str, package_hash: str) -> str:
    """A run's id: 12 hex digits of the SHA-256 over its four hashes (see the module docstring)."""
    text = f"{config_hash}:{fingerprint}:{strategy_hash}:{package_hash}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def source_tree_hash(root: Path) -> str:
    """SHA-256 over every ``*.py`` file under ``root``: for each, in order of its relative
    POSIX path, the path, a NUL, the SHA-256 of its bytes and a newline. Other files (caches,
    compiled code) do not count, nor does where ``root`` is."""
    digest = hashlib.sha256()
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*.py") if p.is_file())
    for relative, path in files:
        digest.update(f"{relative}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


@functools.cache
def code_hash() -> str:
    """``source_tree_hash`` of the ``rotation`` package that is running (once per process)."""
    return source_tree_hash(Path(__file__).resolve().parent)


@dataclass(frozen=True)
class Identity:
    """What a run's id covers. ``strategy_file``: the strategy file that was loaded, relative to
    the config file's folder (as ``strategies_dir`` locates it) where possible."""

    config_hash: str
    data_fingerprint: str
    strategy_file: str
    strategy_hash: str
    code_hash: str

    @property
    def run_id(self) -> str:
        return run_id(self.config_hash, self.data_fingerprint, self.strategy_hash, self.code_hash)

    def to_dict(self) -> dict[str, str]:
        """``run_id`` then the fields, for manifests and summaries."""
        return {"run_id": self.run_id, **asdict(self)}


def identity(config: Config, fingerprint: str, strategy: Strategy) -> Identity:
    """The identity of running ``config`` with ``strategy`` (its loaded strategy) on data
    whose fingerprint is ``fingerprint``."""
    base = config.resolve_path(".")
    try:
        strategy_file = Path(os.path.relpath(strategy.path.resolve(), base)).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        strategy_file = strategy.path.resolve().as_posix()
    return Identity(
        config_hash=config.config_hash(),
        data_fingerprint=fingerprint,
        strategy_file=strategy_file,
        strategy_hash=strategy.source_hash,
        code_hash=code_hash(),
    )


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for dates and numpy scalars."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def manifest(result: Backtest, created: dt.datetime) -> dict[str, Any]:
    ident = result.identity.to_dict()
    return {
        "run_id": ident.pop("run_id"),
        "name": result.config.name,
        **ident,
        "data_source": result.source,
        "data_vintage": result.config.data.vintage,
        "config_file": result.config.source_path,
        "created": created.isoformat(timespec="seconds"),
        "versions": package_versions(),
        "notes": list(result.notes),
    }


class Finish(Protocol):
    """What completes a run folder before it is published (``rotation.report.write_report``):
    called with the folder as it is being written and ``final``, the path it will have."""

    def __call__(self, folder: Path, *, final: Path) -> object: ...


def save(result: Backtest, results_dir: Path, *, finish: Finish | None = None) -> Path:
    """Write ``result`` into a new folder under ``results_dir``; return its path.

    ``finish(folder, final=path)`` runs on the complete folder before it is published (e.g.
    writing the report, which names the final path), so a published folder always holds
    everything; it runs again on the published folder in the rare case that another run took
    the name meanwhile and this one got a suffix (-2...).
    """
    created = dt.datetime.now(dt.UTC)
    info = manifest(result, created)
    tag = f"{created:%Y%m%dT%H%M%S}-{info['run_id']}"
    with new_folder(results_dir, result.config.name, tag=tag) as staging:
        _write_files(result, staging.path, info)
        if finish is not None:
            finish(staging.path, final=staging.target)
    assert staging.published is not None  # new_folder sets it when the block succeeds
    if finish is not None and staging.published != staging.target:
        finish(staging.published, final=staging.published)
    return staging.published


def _write_files(result: Backtest, folder: Path, info: dict[str, Any]) -> None:
    sim = result.simulation
    files: dict[str, dict[str, Any]] = {}

    def write(name: str, text: str, rows: int | None = None) -> None:
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": rows}

    def write_csv(name: str, frame: pd.DataFrame, **options: Any) -> None:
        write(name, frame.to_csv(**options), len(frame))

    write(
        "config.yaml",
        yaml.safe_dump(result.config.runnable_dict(), sort_keys=False, allow_unicode=True),
    )
    write("metrics.json", json.dumps(result.metrics, indent=2, default=json_default) + "\n")
    equity = sim.value.to_frame("value")
    equity["benchmark"] = result.benchmark_value
    equity["cash"] = sim.cash
    equity["risk_free"] = result.risk_free
    write_csv("equity.csv", equity, index_label="date")
    write_csv("weights.csv", sim.weights, index_label="date")
    write_csv("prices.csv", sim.close, index_label="date")
    write_csv("targets.csv", result.targets.dropna(how="all"), index_label="date")
    write_csv("orders.csv", sim.orders, index=False)
    signals = result.signals.copy()
    signals["regime"] = result.regime
    write_csv("signals.csv", signals, index_label="date")
    write_csv("regime.csv", result.regime_table)
    # the manifest goes last: its presence marks the folder's files as written, and it records
    # each one's SHA-256 and rows, which the report checks (``rotation.report.load_run``)
    info = {**info, "files": files}
    write("manifest.json", json.dumps(info, indent=2, default=json_default) + "\n")


def looks_like_run(folder: Path) -> bool:
    """Whether ``folder`` holds a backtest run (complete or damaged): files only ``save``
    writes. A sweep, compare, signals or export folder does not, nor does an unfinished
    ``.incomplete-*`` one."""
    return (
        folder.is_dir()
        and not folder.name.startswith(".")
        and any((folder / name).exists() for name in ("metrics.json", "equity.csv"))
    )


def read_summary(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest, metrics) of the run folder ``folder``, without its tables and without
    pandas (what a list of runs shows, fast on hundreds of runs); raises ``RotationError``
    naming the missing or unreadable file. ``rotation.report._run.load_run`` reads the rest."""
    from rotation.errors import RotationError

    missing = [name for name in RUN_FILES if not (folder / name).exists()]
    if missing:
        raise RotationError(f"{folder / missing[0]} is missing")
    read: list[dict[str, Any]] = []
    for name in ("manifest.json", "metrics.json"):
        try:
            data = json.loads((folder / name).read_text())
        except (OSError, ValueError) as exc:
            raise RotationError(f"cannot read {folder / name}: {exc}") from None
        if not isinstance(data, dict):
            raise RotationError(f"cannot read {folder / name}: not a JSON object")
        read.append(data)
    return read[0], read[1]
