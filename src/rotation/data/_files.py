"""Read and check one series from a CSV or Parquet file into the tidy form every provider returns.

The tidy form: a float64 ``pd.Series`` named by its key (``"SPY"``, ``"DGS10"``), indexed by a
tz-naive, strictly increasing ``DatetimeIndex`` named ``date``. Prices are the adjusted close
(``adj_close`` when the file has it, else ``close``); macro files have a ``value`` column.

Each row is one day: a time of day (``2024-01-31 16:00``) is dropped, and two rows on one day are
a duplicate date. Empty value cells are missing observations (dropped); anything else that is not
a finite number, an empty or binary file, a date with a time zone, or dates out of order is a
``DataError`` naming the file.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rotation.errors import DataError

VALUE_COLUMNS = ("adj_close", "close", "value")
SUFFIXES = (".parquet", ".csv", ".csv.gz")


_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet file; any failure names the file."""
    name = path.name
    if not name.endswith((".parquet", ".csv", ".csv.gz")):
        raise DataError(f"{path}: unsupported file type (expected .csv, .csv.gz or .parquet)")
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{path}: empty file (0 bytes)")
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        with gzip.open(path) if name.endswith(".gz") else open(path, "rb") as head:
            if b"\0" in head.read(8192):
                raise DataError(f"{path}: binary content, not a CSV text file")
        return pd.read_csv(path)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file (no header row)") from None
    except Exception as exc:  # pyarrow and the CSV parser raise many types for a bad file
        kind = "Parquet" if name.endswith(".parquet") else "CSV"
        raise DataError(f"{path}: not a readable {kind} file ({_first_line(exc)})") from None


def _parse_dates(column: pd.Series, origin: str) -> pd.Series:
    """``column`` as tz-naive datetimes at midnight; errors name ``origin`` and the row."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        first = column.iloc[0].item() if hasattr(column.iloc[0], "item") else column.iloc[0]
        raise DataError(
            f"{origin}: column 'date' holds numbers (first: {first!r}), "
            "expected dates like 2024-01-31"
        )
    try:
        dates = pd.to_datetime(column, errors="coerce", utc=False, format="mixed")
    except (ValueError, TypeError, OverflowError) as exc:
        if "timezone" in str(exc).lower() or "time zone" in str(exc).lower():
            text = column.astype(str)
            offsets = text.str.extract(f"({_OFFSET.pattern})", expand=False).fillna("none")
            other = int((offsets != offsets.iloc[0]).to_numpy().argmax())
            raise DataError(
                f"{origin}: column 'date' mixes time zones ({text.iloc[0]!r} in row 1, "
                f"{text.iloc[other]!r} in row {other + 1}); expected plain calendar dates"
            ) from None
        raise DataError(
            f"{origin}: column 'date' cannot be read as dates ({_first_line(exc)})"
        ) from None
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        bad = column.iloc[row]
        what = "empty date" if pd.isna(bad) else f"unparseable date {str(bad)!r}"
        raise DataError(f"{origin}: {what} in column 'date' (row {row + 1})")
    if getattr(dates.dt, "tz", None) is not None:
        raise DataError(f"{origin}: dates carry a time zone; expected plain calendar dates")
    return dates.dt.normalize()  # one row per day: a time of day is dropped


def tidy_series(frame: pd.DataFrame, key: str, origin: str, *, positive: bool) -> pd.Series:
    """Check a ``date`` + value table and return the tidy series.

    ``origin`` names the file or URL in every message. ``positive`` requires values > 0 (prices);
    yields and spreads may be zero or negative.
    """
    if frame.empty:
        raise DataError(f"{origin}: no rows for {key!r}")
    columns: dict[str, Any] = {}
    for column in frame.columns:
        clean = str(column).strip().lower()
        if clean in columns:  # "close" and "Close": which one is meant?
            raise DataError(
                f"{origin}: columns {columns[clean]!r} and {column!r} are the same name; keep one"
            )
        columns[clean] = column
    if "date" not in columns:
        raise DataError(f"{origin}: missing column 'date' (columns: {list(frame.columns)})")
    value_column = next((columns[c] for c in VALUE_COLUMNS if c in columns), None)
    if value_column is None:
        raise DataError(
            f"{origin}: missing a value column (one of {', '.join(VALUE_COLUMNS)}; "
            f"columns: {list(frame.columns)})"
        )
    dates = _parse_dates(frame[columns["date"]], origin)
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad_values = values.isna() & frame[value_column].notna()
    if bad_values.any():
        row = int(bad_values.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{origin}: non-numeric value {frame[value_column].iloc[row]!r} "
            f"in column {value_column!r} on {dates.iloc[row].date()}"
        )
    series = pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(dates, name="date"))
    series = series.dropna()
    if series.empty:
        raise DataError(f"{origin}: column {value_column!r} has no values for {key!r}")
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()][0]
        raise DataError(f"{origin}: duplicate date {dup.date()} for {key!r}")
    if not series.index.is_monotonic_increasing:
        later = int((series.index[1:] < series.index[:-1]).argmax())
        raise DataError(
            f"{origin}: dates are not sorted oldest-first for {key!r} "
            f"({series.index[later + 1].date()} comes after {series.index[later].date()})"
        )
    infinite = ~np.isfinite(series.to_numpy())
    if infinite.any():
        when = series.index[infinite][0]
        raise DataError(f"{origin}: non-finite value {series[when]} on {when.date()} for {key!r}")
    if positive and (series <= 0).any():
        when = series.index[(series <= 0).to_numpy()][0]
        raise DataError(f"{origin}: non-positive price {series[when]} on {when.date()} for {key!r}")
    series.name = key
    return series


def find_file(folder: Path, subfolders: tuple[str, ...], key: str) -> Path | None:
    """The one ``<folder>/<sub>/<key><suffix>`` that exists among the subfolders and suffixes
    (None if none does); two (``X.csv`` and ``X.parquet``) are an error naming both.

    A key that is not a plain file name (``../x``, ``a/b``) matches nothing.
    """
    if key in ("", ".", "..") or "/" in key or "\\" in key or "\0" in key:
        return None
    found = [
        folder / sub / f"{key}{suffix}"
        for sub in subfolders
        for suffix in SUFFIXES
        if (folder / sub / f"{key}{suffix}").is_file()
    ]
    if len(found) > 1:  # X.csv and X.parquet: which one is the data?
        raise DataError(
            f"{' and '.join(str(p) for p in found)} both hold {key!r}; keep one of them"
        )
    return found[0] if found else None
