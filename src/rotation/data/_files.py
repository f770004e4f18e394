"""Read and check one series from a CSV or Parquet file into the tidy form every provider returns.

The tidy form: a float64 ``pd.Series`` named by its key (``"SPY"``, ``"DGS10"``), indexed by a
tz-naive, strictly increasing ``DatetimeIndex`` named ``date``. Prices are the adjusted close
(``adj_close`` when the file has it, else ``close``); macro files have a ``value`` column.

Each row is one day: a time of day (``2024-01-31 16:00``) is dropped, and two rows on one day are
a duplicate date. Empty value cells are missing observations (dropped); anything else that is not
a finite number, an empty or binary file, a date with a time zone, or dates out of order is a
``DataError`` naming the file and the row, date or column, never quoting the file's text (a file
that fails to parse may not be what it claims: its content stays out of messages and logs).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rotation.errors import DataError, printable

VALUE_COLUMNS = ("adj_close", "close", "value")
SUFFIXES = (".parquet", ".csv", ".csv.gz")


_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


def _first_line(exc: BaseException) -> str:
    """The first line of a parser's message, cut to 120 characters, control characters shown
    escaped (the message of a library, which may quote a little of the file)."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return printable(line[:120])


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


def parse_dates(column: pd.Series, origin: str, name: str = "date") -> pd.Series:
    """``column`` (called ``name``) as tz-naive datetimes at midnight; errors name ``origin``,
    the column and the row (data rows counted from 1, the header not counted)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        raise DataError(f"{origin}: column {name!r} holds numbers, expected dates like 2024-01-31")
    try:
        dates = pd.to_datetime(column, errors="coerce", utc=False, format="mixed")
    except (ValueError, TypeError, OverflowError) as exc:
        if "timezone" in str(exc).lower() or "time zone" in str(exc).lower():
            text = column.astype(str)
            offsets = text.str.extract(f"({_OFFSET.pattern})", expand=False).fillna("none")
            other = int((offsets != offsets.iloc[0]).to_numpy().argmax())
            raise DataError(
                f"{origin}: column {name!r} mixes time zones (row 1 and row {other + 1} differ); "
                "expected plain calendar dates"
            ) from None
        raise DataError(
            f"{origin}: column {name!r} cannot be read as dates ({_first_line(exc)})"
        ) from None
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        what = "empty date" if pd.isna(column.iloc[row]) else "unparseable date"
        raise DataError(f"{origin}: {what} in column {name!r} (row {row + 1})")
    if getattr(dates.dt, "tz", None) is not None:
        raise DataError(f"{origin}: dates carry a time zone; expected plain calendar dates")
    return dates.dt.normalize()  # one row per day: a time of day is dropped


def numbers(
    column: pd.Series, origin: str, name: str, where: Callable[[int], str] | None = None
) -> pd.Series:
    """``column`` (called ``name``) as float64, empty cells NaN. A cell that is not a number is
    a ``DataError`` naming ``origin``, the column and ``where(row)`` (default: the row, counted
    from 1); the cell's text is not quoted."""
    if pd.api.types.is_bool_dtype(column):
        values = pd.Series(np.nan, index=column.index)
        bad = column.notna()
    else:
        values = pd.to_numeric(column, errors="coerce")
        bad = values.isna() & column.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        at = where(row) if where else f"(row {row + 1})"
        raise DataError(f"{origin}: non-numeric value in column {name!r} {at}")
    return values.astype("float64")


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
        raise DataError(f"{origin}: missing column 'date'{_header(frame)}")
    value_column = next((columns[c] for c in VALUE_COLUMNS if c in columns), None)
    if value_column is None:
        raise DataError(
            f"{origin}: missing a value column (one of {', '.join(VALUE_COLUMNS)}){_header(frame)}"
        )
    dates = parse_dates(frame[columns["date"]], origin, str(columns["date"]))
    values = numbers(
        frame[value_column], origin, str(value_column), lambda row: f"on {dates.iloc[row].date()}"
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


def _header(frame: pd.DataFrame) -> str:
    """How many columns the header has, and a hint when one column holds separators (the
    header's text itself is not quoted)."""
    count = len(frame.columns)
    hint = ""
    if count == 1 and any(sep in str(frame.columns[0]) for sep in ";\t|"):
        hint = "; is it separated by something other than commas?"
    return f" (the header has {count} column{'s' if count != 1 else ''}{hint})"


def inside(root: Path, path: Path) -> Path:
    """``path``, refused (``DataError``) when it resolves outside ``root``: a data folder's
    files are its own, and a symbolic link out of it (``prices/X.csv -> /etc/shadow``) is
    never read, so nothing of the file it points to can reach a message."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise DataError(
            f"{path}: a link to a file outside the data folder {root}; a data folder's files "
            "must be inside it"
        )
    return path


def find_file(folder: Path, subfolders: tuple[str, ...], key: str) -> Path | None:
    """The one ``<folder>/<sub>/<key><suffix>`` that exists among the subfolders and suffixes
    (None if none does); two (``X.csv`` and ``X.parquet``) are an error naming both.

    A key that is not a plain file name (``../x``, ``a/b``) matches nothing; a file that
    resolves outside ``folder`` is refused (``inside``).
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
    return inside(folder, found[0]) if found else None
