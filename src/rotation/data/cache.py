"""The on-disk cache of live data: one Parquet file per series, a manifest, atomic writes.

Layout of the cache folder (``ROTATION_CACHE``, else the platform's user cache folder)::

    manifest.json              {"version": 1, "entries": {"prices/MSFT": {...}, ...}}
    .lock                      lock file: writers hold it exclusively, readers shared
    prices/<SYMBOL>.parquet    date, value, fetched_at          (yfinance)
    macro/<SERIES>.parquet     date, value, fetched_at          (FRED)
    capex/<TICKER>.parquet     CapexQuarters columns, fetched_at (SEC EDGAR)
    capex/<TICKER>.FUNDING.parquet  FundingItems columns (``data.funding``), fetched_at
    vintages/<SERIES_ID>.parquet  date, value, realtime_start, realtime_end, fetched_at (ALFRED)

A manifest entry records the source, URL, fetch time (UTC), row count, first and last date, the
file's SHA-256 and the start date asked for. ``fetched_at`` on each row is when that row's value
was first fetched, so the rows of one file can say what was known when.

Writes are atomic and safe across processes: the Parquet bytes go to a temporary file in the
same folder, then, holding the lock, ``os.replace`` puts the file in place and the manifest is
rewritten the same way. A reader takes the lock shared while it reads the manifest and the file,
so it never sees a file and a manifest from two different writes. A checksum mismatch or an
unreadable file raises ``CacheCorruptError``; ``refresh`` reports it and fetches again.

``refresh`` is the one policy: fetch what is missing since the last cached date (plus a few days
of overlap), merge, write; when the provider fails, return the cached copy with a
``CacheWarning`` saying how old it is, or raise when there is none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd

from rotation._atomic import write_file
from rotation.data._files import tidy_series
from rotation.data.providers import Fetched
from rotation.errors import DataError, ProviderError, printable

MANIFEST = "manifest.json"
LOCK = ".lock"
MANIFEST_VERSION = 1
KIND_OF_SOURCE = {"yfinance": "prices", "fred": "macro", "sec": "capex", "alfred": "vintages"}
SERIES_KINDS = ("prices", "macro")
OVERLAP = dt.timedelta(days=7)
"""How far before the last cached date an incremental refresh asks from, to see revisions."""

Status = Literal["fetched", "updated", "unchanged", "cached", "stale"]


class CacheWarning(UserWarning):
    """The cache stood in for a provider (stale data), or a cache file was bad and refetched."""


class CacheCorruptError(DataError):
    """A cache file does not match its manifest entry, cannot be read, or is missing."""


def default_cache_dir() -> Path:
    """``ROTATION_CACHE`` if set, else the platform's user cache folder + ``rotation``."""
    if os.environ.get("ROTATION_CACHE"):
        return Path(os.environ["ROTATION_CACHE"]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "rotation" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "rotation"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rotation"


def age_text(age: dt.timedelta) -> str:
    """``3 days``, ``5 hours``, ``12 minutes``: how old, to the unit that matters."""
    seconds = max(age.total_seconds(), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"


@dataclass(frozen=True)
class Entry:
    """The manifest's record of one cached file."""

    kind: str
    key: str
    file: str  # relative to the cache folder
    source: str
    url: str
    fetched_at: str  # ISO 8601, UTC
    rows: int
    first: str | None
    last: str | None
    sha256: str
    start: str | None = None  # start date asked for; None = all history

    @property
    def name(self) -> str:
        return f"{self.kind}/{self.key}"

    @property
    def fetched(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.fetched_at)

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        return (now or dt.datetime.now(dt.UTC)) - self.fetched


@dataclass(frozen=True)
class Problem:
    """One finding of ``Cache.verify``: ``error`` means the data cannot be trusted."""

    name: str
    severity: Literal["error", "warning"]
    message: str


@dataclass(frozen=True)
class Refreshed:
    """What ``refresh`` did and what the cache now holds for one key."""

    frame: pd.DataFrame
    entry: Entry
    status: Status
    new_rows: int = 0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _locked(path: Path, *, shared: bool) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (flock; msvcrt on Windows, exclusive only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # never through a symbolic link: a planted .lock -> elsewhere would create that file
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as exc:
        raise DataError(f"cannot open the cache lock {path}: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "r+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            return
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def series_frame(series: pd.Series) -> pd.DataFrame:
    """A tidy series as the cached table: ``date``, ``value``."""
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(series.index).astype("datetime64[ns]"),
            "value": series.to_numpy(dtype="float64"),
        }
    )


def frame_series(frame: pd.DataFrame, key: str) -> pd.Series:
    """The cached table of a series back as the tidy series named ``key``."""
    index = pd.DatetimeIndex(frame["date"], name="date")
    return pd.Series(frame["value"].to_numpy(dtype="float64"), index=index, name=key)


def _span(kind: str, frame: pd.DataFrame) -> tuple[str | None, str | None]:
    column = "date" if kind in (*SERIES_KINDS, "vintages") else "period_end"
    if frame.empty or column not in frame.columns:
        return None, None
    dates = pd.to_datetime(frame[column])
    return dates.min().date().isoformat(), dates.max().date().isoformat()


class Cache:
    """The cache folder: read, write, list and verify cached files."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser()

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    # --- paths and manifest ------------------------------------------------------------------

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{quote(key, safe='^.=-_')}.parquet"

    def _load_manifest(self) -> tuple[dict[str, Entry], list[Problem]]:
        """The manifest's well-formed entries, and a problem for the manifest itself or for
        each entry that is not (``_entry``). A missing manifest is an empty cache."""
        path = self.root / MANIFEST
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, []
        except (OSError, ValueError) as exc:
            return {}, [
                Problem(MANIFEST, "error", f"manifest {path} is unreadable ({type(exc).__name__})")
            ]
        raw = doc.get("entries") if isinstance(doc, dict) else None
        if not isinstance(raw, dict):
            message = (
                f"manifest {path} holds no object of entries (expected {{'entries': {{...}}}})"
            )
            return {}, [Problem(MANIFEST, "error", message)]
        entries: dict[str, Entry] = {}
        problems = []
        for name, fields in raw.items():
            try:
                entries[name] = self._entry(name, fields)
            except ValueError as exc:
                shown = printable(str(name)[:80])
                problems.append(Problem(shown, "error", f"{path}: entry {shown!r}: {exc}"))
        return entries, problems

    def _entry(self, name: str, fields: Any) -> Entry:
        """A manifest entry, checked: every field present with its type, ``name`` is
        kind/key, the file is where this cache keeps that key, ``fetched_at`` an ISO time with
        its zone, first/last ISO dates, ``sha256`` 64 hex digits. ValueError says what is not."""
        if not isinstance(fields, dict):
            raise ValueError("not an object of fields")
        try:
            entry = Entry(**fields)
        except TypeError:
            known = {f.name for f in dataclasses.fields(Entry)}
            missing = sorted(known - set(fields) - {"start"})
            unknown = sorted(map(str, set(fields) - known))
            raise ValueError(
                f"fields {'missing: ' + ', '.join(missing) if missing else ''}"
                f"{'; ' if missing and unknown else ''}"
                f"{'unknown: ' + ', '.join(unknown[:5]) if unknown else ''}"
            ) from None
        for field in ("kind", "key", "file", "source", "url", "fetched_at", "sha256"):
            if not isinstance(getattr(entry, field), str):
                raise ValueError(f"'{field}' must be text")
        if isinstance(entry.rows, bool) or not isinstance(entry.rows, int) or entry.rows < 0:
            raise ValueError("'rows' must be a whole number >= 0")
        if entry.kind not in KIND_OF_SOURCE.values() or name != entry.name:
            raise ValueError(f"its kind and key do not match its name (kind {entry.kind!r})")
        if entry.file != self.path(entry.kind, entry.key).relative_to(self.root).as_posix():
            raise ValueError("'file' is not where this cache keeps that key")
        if len(entry.sha256) != 64 or not all(c in "0123456789abcdef" for c in entry.sha256):
            raise ValueError("'sha256' must be 64 hex digits")
        try:
            fetched = dt.datetime.fromisoformat(entry.fetched_at)
            for day in (entry.first, entry.last, entry.start):
                if day is not None:
                    dt.date.fromisoformat(day)
        except (TypeError, ValueError):
            raise ValueError(
                "'fetched_at', 'first', 'last' and 'start' must be ISO dates"
            ) from None
        if fetched.tzinfo is None:
            raise ValueError("'fetched_at' has no time zone (written in UTC: +00:00)")
        return entry

    def _manifest_entries(self) -> dict[str, Entry]:
        """The manifest's entries; each problem (an unreadable manifest, a malformed entry) is
        reported as a warning and its entries are treated as absent (fetched again)."""
        entries, problems = self._load_manifest()
        for problem in problems:
            warnings.warn(
                f"cache {problem.message}; treated as not cached", CacheWarning, stacklevel=3
            )
        return entries

    def _write_manifest(self, entries: dict[str, Entry]) -> None:
        doc = {
            "version": MANIFEST_VERSION,
            "entries": {name: asdict(entries[name]) for name in sorted(entries)},
        }
        text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
        write_file(self.root / MANIFEST, text.encode("utf-8"))

    def entries(self) -> list[Entry]:
        """Every cached file's manifest entry, sorted by kind and key."""
        if not self.root.is_dir():
            return []
        with _locked(self.root / LOCK, shared=True):
            entries = self._manifest_entries()
        return [entries[name] for name in sorted(entries)]

    def entry(self, kind: str, key: str) -> Entry | None:
        return next((e for e in self.entries() if e.kind == kind and e.key == key), None)

    # --- read and write ----------------------------------------------------------------------

    def read(self, kind: str, key: str) -> tuple[pd.DataFrame, Entry] | None:
        """The cached table and its entry; None when not cached.

        Raises ``CacheCorruptError`` (naming the file) when the file is missing, does not match
        the manifest's checksum, or cannot be read as the expected table.
        """
        if not self.root.is_dir():
            return None
        with _locked(self.root / LOCK, shared=True):
            entry = self._manifest_entries().get(f"{kind}/{key}")
            if entry is None:
                return None
            path = self.root / entry.file
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise CacheCorruptError(
                    f"cache file {path} for {entry.name} is missing (listed in the manifest)"
                ) from None
            except OSError as exc:
                raise CacheCorruptError(f"cache file {path} cannot be read ({exc})") from None
        if _sha256(data) != entry.sha256:
            raise CacheCorruptError(
                f"cache file {path} for {entry.name} is corrupt: its SHA-256 does not match "
                "the manifest"
            )
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise CacheCorruptError(
                f"cache file {path} for {entry.name} is not readable Parquet ({exc})"
            ) from None
        needed = ("date", "value") if kind in (*SERIES_KINDS, "vintages") else ("period_end",)
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise CacheCorruptError(f"cache file {path} for {entry.name} lacks column(s) {missing}")
        if kind in SERIES_KINDS:
            # the checks every local or bundled file gets (numbers, finite, dates unique and in
            # order, prices above 0), on every read: a cached close of -5 or 0 is no price
            try:
                tidy_series(frame[["date", "value"]], key, str(path), positive=_positive(kind, key))
            except DataError as exc:
                raise CacheCorruptError(f"cache file {exc} (in {entry.name})") from None
        return frame, entry

    def write(
        self,
        kind: str,
        key: str,
        frame: pd.DataFrame,
        *,
        source: str,
        url: str,
        fetched_at: dt.datetime,
        start: dt.date | None = None,
    ) -> Entry:
        """Store ``frame`` for ``kind/key`` atomically and record it in the manifest."""
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data = buffer.getvalue()
        path = self.path(kind, key)
        first, last = _span(kind, frame)
        entry = Entry(
            kind=kind,
            key=key,
            file=path.relative_to(self.root).as_posix(),
            source=source,
            url=url,
            fetched_at=fetched_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            rows=len(frame),
            first=first,
            last=last,
            sha256=_sha256(data),
            start=start.isoformat() if start else None,
        )
        with _locked(self.root / LOCK, shared=False):
            write_file(path, data)
            entries = self._manifest_entries()
            entries[entry.name] = entry
            self._write_manifest(entries)
        return entry

    def touch(self, entry: Entry, fetched_at: dt.datetime) -> Entry:
        """Record a fetch that brought nothing new: same file, new fetch time."""
        stamp = fetched_at.astimezone(dt.UTC).isoformat(timespec="seconds")
        with _locked(self.root / LOCK, shared=False):
            entries = self._manifest_entries()
            current = entries.get(entry.name)
            if current is None or current.sha256 != entry.sha256:
                return current or entry  # another process wrote meanwhile: keep its version
            entries[entry.name] = newer = Entry(**{**asdict(current), "fetched_at": stamp})
            self._write_manifest(entries)
        return newer

    # --- verify ------------------------------------------------------------------------------

    def verify(self) -> list[Problem]:
        """Check the manifest and every cached file: each entry's shape, checksum,
        readability, the values (``read``: numbers, finite, prices above 0, dates unique and in
        order), rows, gaps, orphans.

        Gaps (a spacing well beyond the series' usual one) and files without a manifest entry
        are warnings; everything else is an error.
        """
        if not self.root.is_dir():
            return []
        with _locked(self.root / LOCK, shared=True):
            listed, problems = self._load_manifest()
        entries = [listed[name] for name in sorted(listed)]
        for entry in entries:
            try:
                with warnings.catch_warnings():  # the manifest's problems are listed above
                    warnings.simplefilter("ignore", CacheWarning)
                    found = self.read(entry.kind, entry.key)
            except CacheCorruptError as exc:
                problems.append(Problem(entry.name, "error", str(exc)))
                continue
            if found is None:  # removed by another process since it was listed
                problems.append(Problem(entry.name, "error", "removed from the manifest meanwhile"))
                continue
            frame, _ = found
            problems.extend(_check_frame(entry, frame))
        files = {self.root / e.file for e in entries}
        if self.root.is_dir():
            for path in sorted(self.root.glob("*/*.parquet")):
                if path not in files:
                    problems.append(
                        Problem(
                            path.relative_to(self.root).as_posix(),
                            "warning",
                            f"{path} is not in the manifest (left by an interrupted write?)",
                        )
                    )
        return problems


def _positive(kind: str, key: str) -> bool:
    """Whether the values of ``kind/key`` must be above 0: prices, except a Yahoo index (^TNX
    is a yield), as the providers check them when fetched."""
    return kind == "prices" and not key.startswith("^")


def _check_frame(entry: Entry, frame: pd.DataFrame) -> list[Problem]:
    problems = []

    def error(message: str) -> None:
        problems.append(Problem(entry.name, "error", f"{entry.file}: {message}"))

    if len(frame) != entry.rows:
        error(f"{len(frame)} rows, the manifest says {entry.rows}")
    if entry.kind == "vintages":  # one row per observation and real-time period
        if frame.duplicated(["date", "realtime_start"]).any():
            dup = frame[frame.duplicated(["date", "realtime_start"])].iloc[0]
            error(
                f"duplicate vintage {pd.Timestamp(dup['date']).date()} "
                f"from {pd.Timestamp(dup['realtime_start']).date()}"
            )
        return problems
    if entry.kind not in SERIES_KINDS:
        # a funding table (``data.funding``) holds one row per item of each quarter
        keys = ["ticker", *(["item"] if "item" in frame else []), "period_end"]
        if frame.duplicated(keys).any():
            dup = frame[frame.duplicated(keys)].iloc[0]
            what = " ".join(str(dup[k]) for k in keys[:-1])
            error(f"duplicate quarter {what} {pd.Timestamp(dup['period_end']).date()}")
        return problems
    dates = pd.DatetimeIndex(frame["date"])  # numbers, order and duplicates: checked by read
    if len(dates) > 2:
        spacing = np.asarray((dates[1:] - dates[:-1]) / pd.Timedelta(days=1))
        usual = float(np.median(spacing))
        limit = max(7.0, 3 * usual)
        for position in np.flatnonzero(spacing > limit)[:3]:
            problems.append(
                Problem(
                    entry.name,
                    "warning",
                    f"{entry.file}: gap of {spacing[position]:.0f} days between "
                    f"{dates[position].date()} and {dates[position + 1].date()} "
                    f"(usual spacing {usual:.0f} days)",
                )
            )
    return problems


# --- the refresh policy ------------------------------------------------------------------------


def _stamped(fetched: Fetched, now: dt.datetime) -> pd.DataFrame:
    data = fetched.data
    frame = series_frame(data) if isinstance(data, pd.Series) else data.reset_index(drop=True)
    frame = frame.copy()
    frame["fetched_at"] = pd.Timestamp(now).tz_convert("UTC")
    return frame


def _merge(old: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int, bool]:
    """Cached rows before the fetched span, then the fetched rows (they win where both exist).

    Returns the merged table, the number of rows new or changed, and whether any overlapping
    value changed. A row whose value did not change keeps its original ``fetched_at``.
    """
    first_new = new["date"].min()
    kept = old[old["date"] < first_new]
    overlap = old[old["date"] >= first_new].set_index("date")
    new = new.copy()
    before = overlap.reindex(new["date"])
    same = np.isclose(
        before["value"].to_numpy(dtype="float64"),
        new["value"].to_numpy(dtype="float64"),
        rtol=1e-9,
        atol=1e-12,
    )
    if "fetched_at" in before.columns:
        new.loc[same, "fetched_at"] = before["fetched_at"].to_numpy()[same]
    revised = bool((~same & before["value"].notna().to_numpy()).any())
    merged = pd.concat([kept, new], ignore_index=True)
    return merged, int((~same).sum()), revised


def refresh(
    cache: Cache,
    kind: str,
    key: str,
    fetch: Callable[[dt.date | None], Fetched],
    *,
    start: dt.date | None = None,
    full: bool = False,
    network: bool = True,
    fallback: bool = True,
    incremental: bool = True,
    refetch_on_revision: bool = False,
    fresh_for: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> Refreshed:
    """Bring ``kind/key`` up to date and return what the cache then holds.

    ``fetch(start)`` calls the provider (all history when ``start`` is None) and raises
    ``ProviderError`` on failure. The cached copy is used without fetching when ``network`` is
    False or it is younger than ``fresh_for``. Otherwise, when ``incremental`` and the cache
    already reaches back to ``start``, only the tail from ``OVERLAP`` before the last cached
    date is fetched and merged; if a value in that overlap changed and ``refetch_on_revision``
    (adjusted prices: a new dividend rescales all history), the whole history is fetched again.
    ``full`` always fetches everything. A corrupt cache file is reported and fetched again.

    On a provider failure with ``fallback``, the cached copy is returned with a ``CacheWarning``
    naming its age; without a cached copy (or without ``fallback``) the ProviderError is raised.
    """
    now = now or dt.datetime.now(dt.UTC)
    cached: tuple[pd.DataFrame, Entry] | None = None
    corrupt: CacheCorruptError | None = None
    try:
        cached = cache.read(kind, key)
    except CacheCorruptError as exc:
        corrupt = exc
        warnings.warn(f"{exc}; fetching {kind}/{key} again", CacheWarning, stacklevel=2)

    reaches_start = cached is not None and (
        cached[1].start is None
        or (start is not None and start >= dt.date.fromisoformat(cached[1].start))
    )
    if cached is not None and not full:
        frame, entry = cached
        young = fresh_for is not None and entry.age(now) < fresh_for
        if not network or (reaches_start and young):
            return Refreshed(frame, entry, "cached")

    incremental_from: dt.date | None = None
    if incremental and cached is not None and reaches_start and not full and cached[1].last:
        incremental_from = dt.date.fromisoformat(cached[1].last) - OVERLAP
    full_start = start if cached is None or not reaches_start or full else _entry_start(cached[1])

    try:
        fetched = fetch(incremental_from if incremental_from is not None else full_start)
        new = _stamped(fetched, now)
        if incremental_from is not None and cached is not None:
            merged, changed, revised = _merge(cached[0], new)
            if revised and refetch_on_revision:
                fetched = fetch(full_start)
                new, incremental_from = _stamped(fetched, now), None
    except ProviderError as exc:
        if cached is not None and fallback:
            frame, entry = cached
            warnings.warn(
                f"{exc}. Using the cached copy of {entry.name} fetched "
                f"{entry.fetched:%Y-%m-%d %H:%M} UTC ({age_text(entry.age(now))} old; "
                f"data {entry.first} to {entry.last})",
                CacheWarning,
                stacklevel=2,
            )
            return Refreshed(frame, entry, "stale")
        if fallback and corrupt is not None:
            raise ProviderError(f"{exc}; and the cached copy is unusable: {corrupt}") from None
        if fallback:
            raise ProviderError(f"{exc}; no cached copy of {kind}/{key} in {cache.root}") from None
        raise

    if incremental_from is not None and cached is not None:
        if changed == 0 and len(merged) == len(cached[0]):
            entry = cache.touch(cached[1], now)
            return Refreshed(cached[0], entry, "unchanged")
        entry = cache.write(
            kind, key, merged, source=fetched.source, url=fetched.url, fetched_at=now,
            start=_entry_start(cached[1]),
        )  # fmt: skip
        return Refreshed(merged, entry, "updated", changed)
    entry = cache.write(
        kind, key, new, source=fetched.source, url=fetched.url, fetched_at=now, start=full_start
    )
    return Refreshed(new, entry, "fetched", len(new))


def _entry_start(entry: Entry) -> dt.date | None:
    return dt.date.fromisoformat(entry.start) if entry.start else None
