"""Read and check one series from a CSV or Parquet file into the tidy form every provider returns.

The tidy form: a float64 ``pd.Series`` named by its key (``"SPY"``, ``"DGS10"``), indexed by a
tz-naive, strictly increasing ``DatetimeIndex`` named ``date``. Prices are the adjusted close
(``adj_close`` when the file has it, else ``close``); macro files have a ``value`` column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rotation.errors import DataError

VALUE_COLUMNS = ("adj_close", "close", "value")
SUFFIXES = (".parquet", ".csv", ".csv.gz")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet file; any failure names the file."""
    name = path.name
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV/Parquet file ({exc})") from None
    raise DataError(f"{path}: unsupported file type (expected .csv, .csv.gz or .parquet)")


def tidy_series(frame: pd.DataFrame, key: str, origin: str, *, positive: bool) -> pd.Series:
    """Check a ``date`` + value table and return the tidy series.

    ``origin`` names the file or URL in every message. ``positive`` requires values > 0 (prices);
    yields and spreads may be zero or negative.
    """
    if frame.empty:
        raise DataError(f"{origin}: no rows for {key!r}")
    columns = {str(c).strip().lower(): c for c in frame.columns}
    if "date" not in columns:
        raise DataError(f"{origin}: missing column 'date' (columns: {list(frame.columns)})")
    value_column = next((columns[c] for c in VALUE_COLUMNS if c in columns), None)
    if value_column is None:
        raise DataError(
            f"{origin}: missing a value column (one of {', '.join(VALUE_COLUMNS)}; "
            f"columns: {list(frame.columns)})"
        )
    dates = pd.to_datetime(frame[columns["date"]], errors="coerce", utc=False, format="mixed")
    if dates.isna().any():
        bad = frame[columns["date"]][dates.isna()].iloc[0]
        raise DataError(f"{origin}: unparseable date {bad!r} in column 'date'")
    if getattr(dates.dt, "tz", None) is not None:
        raise DataError(f"{origin}: dates carry a time zone; expected plain calendar dates")
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
        raise DataError(f"{origin}: dates are not sorted oldest-first for {key!r}")
    if positive and (series <= 0).any():
        when = series.index[(series <= 0).to_numpy()][0]
        raise DataError(f"{origin}: non-positive price {series[when]} on {when.date()} for {key!r}")
    series.name = key
    return series


def find_file(folder: Path, subfolders: tuple[str, ...], key: str) -> Path | None:
    """The first ``<folder>/<sub>/<key><suffix>`` that exists, trying each subfolder in turn."""
    for sub in subfolders:
        for suffix in SUFFIXES:
            candidate = folder / sub / f"{key}{suffix}"
            if candidate.is_file():
                return candidate
    return None
