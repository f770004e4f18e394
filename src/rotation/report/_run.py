"""Read a run folder (as ``rotation.runs.save`` wrote it) back into frames, checked.

The report is built from these files only, so ``rotation report`` works on any run folder this
version wrote. Nothing is rendered from a file that was not first checked, here, in the one
reader of run folders:

- integrity: ``manifest.json`` records each file's SHA-256 and row count (``runs.save``); a file
  that is missing, changed or truncated since is refused, naming it. A folder written before
  runs recorded them is refused with the advice to run the backtest again (as a folder without
  a risk-free column already was).
- schema: each file has the shape ``runs.save`` writes. Dates parse, are unique and in order;
  numbers are numbers (finite where a value must be: equity, weights, fills); an order's side
  is ``buy`` or ``sell``; the regime is one of the regime states; ``config.yaml`` passes the
  config schema (``rotation.config``); ``metrics.json`` and ``manifest.json`` are objects whose
  numbers are numbers. An error names the file, the column and the row.

Each file is read once: the bytes that are hashed are the bytes that are parsed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rotation.attribution import Attribution, attribute
from rotation.errors import DataError, RotationError
from rotation.runs import RUN_FILES as RUN_FILES  # the files of a run folder, defined once

CHECKED_FILES = (*(f for f in RUN_FILES if f != "manifest.json"), "prices.csv", "targets.csv")
"""The files whose checksum and rows the manifest records (``runs.save``) and the reader checks."""
EQUITY_COLUMNS = ("value", "benchmark", "cash", "risk_free")
ORDER_COLUMNS = ("date", "symbol", "side", "shares", "price", "value", "fees", "slippage")
SIDES = ("buy", "sell")
REGIME_STATES = ("abundant", "neutral", "scarce")
RERUN = "run the backtest again"


@dataclass(frozen=True)
class Run:
    """One run folder's contents.

    ``equity``: dates x (value, benchmark, cash, risk_free); ``weights``: dates x symbols
    (held at the close); ``orders``: one row per fill (date, symbol, side, shares, price,
    value, fees, slippage);
    ``signals``: dates x (components..., composite, regime); ``regime_table``: per-regime
    statistics indexed by state; ``prices``: dates x symbols, the closes the run was valued at
    (prices.csv); ``targets``: target weights on decision dates (targets.csv). ``load_run``
    always reads both; None only in a ``Run`` built without them.
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
    targets: pd.DataFrame | None = None

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
                f"(runs written before rotation kept them lack it: {RERUN})"
            )
        missing = [s for s in self.weights.columns if s not in self.prices.columns]
        if missing:
            raise RotationError(f"{path} has no column for {', '.join(map(str, missing))}")
        return attribute(
            self.weights, self.prices, self.returns, self.sleeves, self.regime, self.execution_lag
        )


# --- reading bytes, checked against the manifest ----------------------------------------------


def _read_bytes(folder: Path, name: str) -> bytes:
    """The bytes of ``folder/name``: a regular file of the folder itself (not a symbolic link
    to somewhere else), read once."""
    path = folder / name
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)  # non-blocking: a FIFO planted here cannot hang us
    except FileNotFoundError:
        raise RotationError(
            f"{path} is missing: is {folder} a run folder written by `rotation backtest`?"
        ) from None
    except OSError as exc:
        if path.is_symlink():
            raise RotationError(
                f"{path} is a symbolic link: a run folder holds its own files"
            ) from None
        raise RotationError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise RotationError(f"{path} is not a regular file")
        return handle.read()


def _json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RotationError(f"{path}: not valid JSON ({type(exc).__name__})") from None


def _recorded(folder: Path, manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The manifest's record of each checked file: {"sha256": hex, "rows": int | None}."""
    path = folder / "manifest.json"
    files = manifest.get("files")
    if files is None:
        raise RotationError(
            f"{path} records no checksums of the run's files (a run written before rotation "
            f"recorded them, so a truncated or edited file cannot be told apart: {RERUN})"
        )
    if not isinstance(files, Mapping):
        raise RotationError(f"{path}: 'files' must be an object of file name -> checksum")
    records: dict[str, Mapping[str, Any]] = {}
    for name in CHECKED_FILES:
        record = files.get(name)
        if record is None:
            raise RotationError(f"{path} records no checksum for {name}")
        sha = record.get("sha256") if isinstance(record, Mapping) else None
        rows = record.get("rows") if isinstance(record, Mapping) else None
        if (
            not isinstance(sha, str)
            or len(sha) != 64
            or (rows is not None and (isinstance(rows, bool) or not isinstance(rows, int)))
        ):
            raise RotationError(
                f"{path}: the record of {name} must be {{'sha256': 64 hex digits, 'rows': a "
                "whole number or null}"
            )
        records[name] = record
    return records


def _checked(folder: Path, name: str, records: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The bytes of ``name``, refused when their SHA-256 differs from the manifest's."""
    data = _read_bytes(folder, name)
    if hashlib.sha256(data).hexdigest() != records[name]["sha256"]:
        raise RotationError(
            f"{folder / name} does not match its checksum in manifest.json: changed or "
            f"truncated since the run was written ({RERUN})"
        )
    return data


def _rows_match(path: Path, frame: pd.DataFrame, record: Mapping[str, Any]) -> None:
    rows = record.get("rows")
    if rows is not None and len(frame) != rows:
        raise RotationError(f"{path} has {len(frame)} rows, manifest.json records {rows}")


# --- the schema of each file -----------------------------------------------------------------


def _csv(path: Path, data: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data))
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file (no header row)") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({type(exc).__name__})") from None


def _columns(path: Path, frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")


def _dated(path: Path, frame: pd.DataFrame, *, unique: bool = True) -> pd.DatetimeIndex:
    """The ``date`` column as an index: every date parses; with ``unique``, no date twice and
    oldest first (else: never decreasing)."""
    from rotation.data._files import parse_dates

    _columns(path, frame, ("date",))
    if frame.empty:
        return pd.DatetimeIndex([], name="date")
    dates = pd.DatetimeIndex(parse_dates(frame["date"], str(path)), name="date")
    if unique and dates.has_duplicates:
        first = int(np.flatnonzero(dates.duplicated())[0])
        raise DataError(
            f"{path}: duplicate date {dates[first].date()} in column 'date' (row {first + 1})"
        )
    steps = np.diff(dates.asi8)
    if (steps <= 0 if unique else steps < 0).any():
        row = int(np.flatnonzero(steps <= 0 if unique else steps < 0)[0]) + 1
        raise DataError(
            f"{path}: dates out of order in column 'date' (row {row + 1}: "
            f"{dates[row].date()} after {dates[row - 1].date()})"
        )
    return dates


def _number_columns(
    path: Path, frame: pd.DataFrame, columns: list[str], *, finite: bool, positive: bool = False
) -> pd.DataFrame:
    """``columns`` of ``frame`` as numbers (text columns as float64). ``finite``: every cell a
    finite number (no empty cell); else empty cells are allowed, present values still finite.
    ``positive``: > 0."""
    from rotation.data._files import numbers

    out = {}
    for column in columns:
        values = numbers(frame[column], str(path), str(column))
        array = values.to_numpy()
        bad = ~np.isfinite(array) if finite else np.isinf(array)
        if positive:
            bad |= np.isfinite(array) & (array <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = "an empty cell" if np.isnan(array[row]) else f"{array[row]}"
            need = "a finite number above 0" if positive else "a finite number"
            raise DataError(f"{path}: {what} in column {column!r} (row {row + 1}), need {need}")
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        out[column] = frame[column] if numeric else values  # whole numbers stay whole
    return pd.DataFrame(out, index=frame.index, columns=columns)


def _dated_numbers(
    path: Path, frame: pd.DataFrame, *, finite: bool, positive: bool = False
) -> pd.DataFrame:
    """A dates x numbers table (equity, weights, prices): the date column as the index."""
    dates = _dated(path, frame)
    if frame.empty:
        raise DataError(f"{path}: no rows")
    columns = [c for c in frame.columns if c != "date"]
    values = _number_columns(path, frame, columns, finite=finite, positive=positive)
    values.index = dates
    return values


def _equity(path: Path, data: bytes) -> pd.DataFrame:
    frame = _csv(path, data)
    missing = [c for c in ("value", "benchmark", "risk_free") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} needs the columns value, benchmark and risk_free "
            f"({', '.join(missing)} missing; a run written before rotation measured against a "
            f"risk-free rate: {RERUN})"
        )
    _columns(path, frame, EQUITY_COLUMNS)
    equity = _dated_numbers(path, frame, finite=True)
    # the portfolio and the benchmark are worth something on every day (returns divide by it)
    _number_columns(path, equity, ["value", "benchmark"], finite=True, positive=True)
    return equity


def _orders(path: Path, data: bytes) -> pd.DataFrame:
    frame = _csv(path, data)
    _columns(path, frame, ORDER_COLUMNS)
    dates = _dated(path, frame, unique=False)  # several fills a day, in execution order
    sides = frame["side"]
    wrong = ~sides.isin(SIDES)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise DataError(f"{path}: column 'side' (row {row + 1}) must be buy or sell")
    symbols = frame["symbol"]
    blank = symbols.isna() | (symbols.astype(str).str.strip() == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise DataError(f"{path}: empty symbol in column 'symbol' (row {row + 1})")
    numbers = _number_columns(path, frame, list(ORDER_COLUMNS[3:]), finite=True)
    out = pd.DataFrame({"date": dates, "symbol": symbols.astype(str), "side": sides.astype(str)})
    return pd.concat([out, numbers.reset_index(drop=True)], axis=1)


def _signals(path: Path, data: bytes) -> pd.DataFrame:
    frame = _csv(path, data)
    _columns(path, frame, ("regime",))
    dates = _dated(path, frame)
    regime = frame["regime"]
    wrong = regime.notna() & ~regime.isin(REGIME_STATES)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise DataError(
            f"{path}: column 'regime' (row {row + 1}) must be one of {', '.join(REGIME_STATES)} "
            "or empty"
        )
    scores = [c for c in frame.columns if c not in ("date", "regime")]
    out = _number_columns(path, frame, scores, finite=False)
    out["regime"] = regime.astype(object).where(regime.notna(), np.nan)
    out.index = dates
    return out


def _regime_table(path: Path, data: bytes) -> pd.DataFrame:
    frame = _csv(path, data)
    _columns(path, frame, ("regime",))
    states = frame["regime"]
    wrong = ~states.isin(REGIME_STATES)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0])
        raise DataError(
            f"{path}: column 'regime' (row {row + 1}) must be one of {', '.join(REGIME_STATES)}"
        )
    if states.duplicated().any():
        row = int(np.flatnonzero(states.duplicated().to_numpy())[0])
        raise DataError(f"{path}: a regime listed twice in column 'regime' (row {row + 1})")
    columns = [c for c in frame.columns if c != "regime"]
    out = _number_columns(path, frame, columns, finite=False)
    out.index = pd.Index(states.astype(str), name="regime")
    return out


def _config(path: Path, data: bytes) -> Mapping[str, Any]:
    """config.yaml, checked against the config schema (the resolved config ``runs.save`` wrote);
    returned as the plain mapping it holds."""
    from rotation._typed import load_yaml
    from rotation.config import parse_config
    from rotation.errors import ConfigError

    try:
        raw = load_yaml(data.decode("utf-8"), str(path))
        parse_config(raw, name=path.parent.name, source_path=str(path))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except ConfigError as exc:  # a damaged run folder, not the user's config: exit status 1
        raise DataError(str(exc)) from None
    return dict(raw)


TEXT_FIELDS = (
    "start", "end", "benchmark", "benchmark_measure", "benchmark_entry", "max_drawdown_peak",
    "max_drawdown_trough",
)  # fmt: skip


def _metrics(path: Path, data: bytes) -> Mapping[str, Any]:
    """metrics.json: an object; each metric of the registry, days and orders a number or null;
    its texts text; its per-regime tables objects of numbers."""
    from rotation.metrics import METRICS

    metrics = _object(path, _json(path, data))
    for key in (*(m.name for m in METRICS), "days", "orders"):
        _number_or_null(path, key, metrics.get(key))
    for key in TEXT_FIELDS:
        if not isinstance(metrics.get(key), str | None):
            raise DataError(f"{path}: {key!r} must be text")
    for key in ("time_in_regime", "return_by_regime"):
        for state, value in _object(path, metrics.get(key) or {}, key).items():
            _number_or_null(path, f"{key}.{state}", value)
    rate = _object(path, metrics.get("risk_free") or {}, "risk_free")
    _number_or_null(path, "risk_free.annual_mean", rate.get("annual_mean"))
    if not isinstance(rate.get("description"), str | None):
        raise DataError(f"{path}: 'risk_free.description' must be text")
    return metrics


MANIFEST_TEXT = (
    "run_id", "name", "created", "config_file", "config_hash", "data_source", "data_fingerprint",
    "strategy_file", "strategy_hash", "code_hash",
)  # fmt: skip


def _manifest(path: Path, data: bytes) -> Mapping[str, Any]:
    """manifest.json: an object; its provenance fields text, versions an object of text, notes
    a list of text (other keys are left to their readers)."""
    manifest = _object(path, _json(path, data))
    for key in MANIFEST_TEXT:
        if not isinstance(manifest.get(key), str | None):
            raise DataError(f"{path}: {key!r} must be text")
    versions = _object(path, manifest.get("versions") or {}, "versions")
    notes = manifest.get("notes") or []
    if not all(isinstance(v, str) for v in versions.values()):
        raise DataError(f"{path}: 'versions' must map each package to its version, as text")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise DataError(f"{path}: 'notes' must be a list of text")
    return manifest


def _object(path: Path, value: Any, key: str | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        where = f"{key!r}" if key else "the file"
        raise DataError(f"{path}: {where} must be a JSON object, not {type(value).__name__}")
    return value


def _number_or_null(path: Path, key: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise DataError(f"{path}: {key!r} must be a number or null")


# --- the folder ------------------------------------------------------------------------------

Parser = Callable[[Path, bytes], Any]
PARSERS: dict[str, Parser] = {
    "config.yaml": _config,
    "metrics.json": _metrics,
    "equity.csv": _equity,
    "weights.csv": lambda p, d: _dated_numbers(p, _csv(p, d), finite=True),
    "prices.csv": lambda p, d: _dated_numbers(p, _csv(p, d), finite=False, positive=True),
    "targets.csv": lambda p, d: _dated_numbers(p, _csv(p, d), finite=False),
    "orders.csv": _orders,
    "signals.csv": _signals,
    "regime.csv": _regime_table,
}


def load_run(folder: str | Path) -> Run:
    """Read the run folder ``folder``; raise ``RotationError`` (or its ``DataError``) naming
    the file, and where it can the column and row, that is missing, altered or malformed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RotationError(f"run folder {folder} does not exist")
    manifest_path = folder / "manifest.json"
    manifest = _manifest(manifest_path, _read_bytes(folder, "manifest.json"))
    records = _recorded(folder, manifest)
    parsed: dict[str, Any] = {}
    for name, parse in PARSERS.items():
        path = folder / name
        parsed[name] = parse(path, _checked(folder, name, records))
        if isinstance(parsed[name], pd.DataFrame):
            _rows_match(path, parsed[name], records[name])
    equity, weights = parsed["equity.csv"], parsed["weights.csv"]
    if not weights.index.equals(equity.index):
        raise DataError(f"{folder / 'weights.csv'}: its dates differ from equity.csv's")
    return Run(
        folder=folder,
        config=parsed["config.yaml"],
        manifest=manifest,
        metrics=parsed["metrics.json"],
        equity=equity,
        weights=weights,
        orders=parsed["orders.csv"],
        signals=parsed["signals.csv"],
        regime_table=parsed["regime.csv"],
        prices=parsed["prices.csv"],
        targets=parsed["targets.csv"],
    )
