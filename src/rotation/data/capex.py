"""Hyperscaler capex quarters, point-in-time: filings data in, one tidy table out, then YoY growth.

Every parser returns the same table (``CapexQuarters``), one row per ticker and fiscal quarter,
sorted by ``ticker``, ``period_end``:

    ticker        str        ``GOOGL`` for Alphabet (some sources say ``GOOG``)
    period_start  Timestamp  first day of the quarter
    period_end    Timestamp  last day of the fiscal quarter
    published     Timestamp  the (New York) day the value became public: earnings 8-K date,
                             filing date, or the period end plus a stated lag when the source
                             has no date
    accepted_at   Timestamp  UTC instant SEC EDGAR accepted the filing that made it public;
                             NaT where no time is known (every file source; live facts whose
                             accession the submissions answer lacks)
    known_from    Timestamp  the first close (a business day) at which the value is usable:
                             ``rotation.data.align.first_close`` of ``accepted_at``, or, without
                             one, of ``published`` after the close (``known_close``)
    capex_usd     float      cash paid for property and equipment in that single quarter, USD > 0
    source        str        ``"companyfacts"``, ``"press_release"`` or ``"sec_partial_csv"``

Release times: hyperscalers release earnings after the 4 pm close, and a date without a time is
therefore assumed to be after the close: a value published on day d counts from the close of the
next business day. Only an SEC acceptance time (live ``companyfacts`` joined with EDGAR's
submissions, ``rotation.data.providers.sec``) can make it count at d's own close, when accepted
before 4 pm New York time. Everything downstream (growth, look-ahead checks, exports) reads
``known_from`` only, so the rule is applied once, here, when the table is built.

The files (bundled under ``data/bundled/capex``; provenance and caveats in ``SOURCES.md``):

    hyperscaler_capex_sec_partial.csv[.gz]          -> parse_sec_partial_csv
    raw/<TICKER>_companyfacts*.json[.fragment]      -> parse_companyfacts
    raw/<company>_press_release_cash_flows.json     -> parse_press_release
    raw/<company>_press_release_links.json          (8-K dates for the above)

Only ``load_capex_folder`` reads files; everything else is a pure function. No network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast

import numpy as np
import pandas as pd

from rotation.data._files import inside, read_table
from rotation.data.align import MARKET_TZ, first_close, release_instants
from rotation.errors import DataError

CapexQuarters: TypeAlias = pd.DataFrame
"""rows = (ticker, fiscal quarter); columns ``COLUMNS``; sorted by ticker, period_end."""

_Period: TypeAlias = tuple[pd.Timestamp, pd.Timestamp]  # (start, end) of a reported fact
_P = ParamSpec("_P")
_R = TypeVar("_R")

COLUMNS = (
    "ticker",
    "period_start",
    "period_end",
    "published",
    "accepted_at",
    "known_from",
    "capex_usd",
    "source",
)
REQUIRED = ("ticker", "period_end", "known_from", "capex_usd")
"""The columns the growth functions read (``known_from`` is already the close it counts at)."""

CAPEX_TAGS = (
    # MSFT, GOOGL, META (and, as far as we know, ORCL) report "purchases of property and
    # equipment" under this tag.
    "PaymentsToAcquirePropertyPlantAndEquipment",
    # AMZN: purchases of property and equipment incl. internal-use software (SOURCES.md).
    "PaymentsToAcquireProductiveAssets",
)
CAPEX_TAGS_BY_TICKER = {
    # Tried first for AMZN in case its companyfacts also carries the generic tag for some years.
    "AMZN": ("PaymentsToAcquireProductiveAssets", "PaymentsToAcquirePropertyPlantAndEquipment"),
}

PRESS_RELEASE_LAG_DAYS = 40
"""Days after quarter end assumed for an earnings release without a known 8-K date (Alphabet).

Conservative on purpose: the latest release in the bundled links files comes 33 days after its
quarter end (META 2021Q4) and Alphabet has released Q4 results up to ~35 days after year end, so
a 30-day lag would sometimes use a number before it was public."""

QUARTERLY_FILING_LAG_DAYS = 40
"""SEC deadline for a large accelerated filer's 10-Q: 40 days after quarter end."""

ANNUAL_FILING_LAG_DAYS = 60
# A ticker's latest known quarter counts in the aggregate only while it ended at most this long
# ago: one quarter (92 days) plus the slowest filing lag (60) plus slack for late filers.
MAX_QUARTER_AGE_DAYS = 200
"""SEC deadline for a large accelerated filer's 10-K: 60 days after fiscal year end."""

FISCAL_YEAR_END_MONTH = {"MSFT": 6}
"""Fiscal year end month by ticker; December when absent."""

TICKER_ALIASES = {"GOOG": "GOOGL"}

SOURCE_PRIORITY = ("press_release", "companyfacts", "sec_partial_csv")
"""Tie-break in ``combine_sources`` when two sources made a quarter public on the same day."""

PRESS_RELEASES = {
    # file prefix: (ticker, fiscal year end month, capex key in the cash-flow file)
    "meta": ("META", 12, "capitalExpenditures"),
    "alphabet": ("GOOGL", 12, "capex"),
    "microsoft": ("MSFT", 6, "capitalExpenditure"),
}

SEC_PARTIAL_CSV = "hyperscaler_capex_sec_partial"

SEC_PARTIAL_CSV_DEFECTS = {
    # (ticker, year, quarter, value in the file): why the row is not a single quarter
    ("GOOGL", 2014, 3, 7_408_000_000.0): "a nine-month 2014 total (the year was 11,014m)",
}

_DAYS_PER_MONTH = 365.25 / 12


def _ticker(symbol: str) -> str:
    symbol = str(symbol).strip().upper()
    return TICKER_ALIASES.get(symbol, symbol)


def known_close(published: pd.Series, accepted_at: pd.Series) -> pd.Series:
    """The first close at which each value is usable (``align.first_close``): its SEC acceptance
    instant where known, else its publication day with the release assumed after the close."""
    days = pd.DatetimeIndex(pd.to_datetime(published))
    accepted = pd.DatetimeIndex(pd.to_datetime(accepted_at, utc=True))
    assumed = release_instants(days, None, MARKET_TZ).tz_convert("UTC")
    released = pd.DatetimeIndex(accepted.where(accepted.notna(), assumed))
    return pd.Series(first_close(released), index=published.index, dtype="datetime64[ns]")


def _table(rows: list[dict[str, Any]]) -> CapexQuarters:
    """Rows (dicts keyed by ``COLUMNS``; ``known_from`` is computed, not read) -> the sorted
    tidy table with fixed dtypes."""
    return filings_table(rows, COLUMNS, ("ticker", "source"), "capex_usd", ("ticker", "period_end"))


def filings_table(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    text: Sequence[str],
    value: str,
    order: Sequence[str],
) -> pd.DataFrame:
    """A filings table (capex quarters, funding items) from rows keyed by ``columns``: dates
    and the UTC acceptance instant typed, ``known_from`` computed (``known_close``), ``text``
    columns as str, ``value`` as float, sorted by ``order``."""
    frame = pd.DataFrame(rows, columns=list(columns))
    for column in ("period_start", "period_end", "published"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame["accepted_at"] = pd.to_datetime(frame["accepted_at"], utc=True).astype(
        "datetime64[ns, UTC]"
    )
    frame["known_from"] = known_close(frame["published"], frame["accepted_at"])
    for column in text:
        frame[column] = frame[column].astype(str)
    frame[value] = frame[value].astype("float64")
    return frame.sort_values(list(order), kind="stable").reset_index(drop=True)


def _month_end(dates: pd.Series) -> pd.Series:
    """The calendar month end nearest each date (2020-12-27 and 2021-01-02 -> 2020-12-31)."""
    return (pd.to_datetime(dates) - pd.Timedelta(days=16)) + pd.offsets.MonthEnd(1)


def _quarter_end(year: int, last_month: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=last_month, day=1) + pd.offsets.MonthEnd(0)


def _quarter_start(period_end: pd.Timestamp) -> pd.Timestamp:
    return period_end - pd.offsets.MonthEnd(3) + pd.Timedelta(days=1)


def _number(value: Any, where: str) -> float | None:
    """A JSON/CSV number as float; None for null; DataError naming ``where`` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _date(value: Any, where: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(str(value))
    except ValueError:
        raise DataError(f"{where}: unparseable date {value!r}") from None


# --- SEC companyfacts ------------------------------------------------------------------------


def _companyfacts_tags(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(doc, Mapping):
        raise DataError(f"companyfacts: expected a JSON object, got {type(doc).__name__}")
    if "facts" not in doc:
        return doc  # the bare {TAG: {...}} form
    facts = doc["facts"]
    if not isinstance(facts, Mapping) or not isinstance(facts.get("us-gaap"), Mapping):
        raise DataError("companyfacts: missing key 'facts' -> 'us-gaap'")
    by_tag: Mapping[str, Any] = facts["us-gaap"]
    return by_tag


def usd_facts(entry: Any, tag: str, keys: Sequence[str]) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, fact) of each USD fact of one companyfacts tag, each holding ``keys``; where
    names the tag and fact for messages. DataError when the tag holds none or one is malformed."""
    try:
        facts = entry["units"]["USD"]
    except (KeyError, TypeError):
        raise DataError(f"companyfacts {tag}: missing key 'units' -> 'USD'") from None
    if not isinstance(facts, Sequence) or not facts:
        raise DataError(f"companyfacts {tag}: 'units' -> 'USD' holds no facts")
    out = []
    for i, fact in enumerate(facts):
        where = f"companyfacts {tag} fact #{i}"
        if not isinstance(fact, Mapping):
            raise DataError(f"{where}: expected an object, got {fact!r}")
        for key in keys:
            if key not in fact:
                raise DataError(f"{where}: missing key {key!r}")
        out.append((where, fact))
    return out


def _usd_facts(
    entry: Any, tag: str, accepted: Mapping[str, pd.Timestamp] | None = None
) -> pd.DataFrame:
    """One row per reported fact: start, end, val, filed, accn, accepted (the acceptance instant
    of its accession in ``accepted``, else NaT) and known (``known_close``); versions of one
    period repeat."""
    rows = []
    for where, fact in usd_facts(entry, tag, ("start", "end", "val", "filed")):
        rows.append(
            {
                "start": _date(fact["start"], f"{where} 'start'"),
                "end": _date(fact["end"], f"{where} 'end'"),
                "val": _number(fact["val"], f"{where} 'val'"),
                "filed": _date(fact["filed"], f"{where} 'filed'"),
                "accn": str(fact.get("accn", "")),
            }
        )
    table = pd.DataFrame(rows).dropna(subset=["val"])
    times = accepted or {}
    table["accepted"] = pd.to_datetime(table["accn"].map(times), utc=True)
    table["known"] = known_close(table["filed"], table["accepted"])
    days = (table["end"] - table["start"]).dt.days + 1
    table["months"] = (days / _DAYS_PER_MONTH).round().astype(int)
    # Keep whole quarters, half years, nine months and years; drop odd durations.
    whole = (days - table["months"] * _DAYS_PER_MONTH).abs() <= 10
    return table[whole & table["months"].isin([3, 6, 9, 12])]


def _as_of(versions: pd.DataFrame, when: pd.Timestamp) -> float:
    """The value of one period as the latest filing known at the close ``when`` reported it."""
    return float(versions.loc[versions["known"] <= when, "val"].iloc[-1])


def parse_companyfacts(
    doc: Mapping[str, Any],
    ticker: str,
    tags: Sequence[str] = CAPEX_TAGS,
    accepted: Mapping[str, pd.Timestamp] | None = None,
) -> CapexQuarters:
    """Single quarters, first-reported, from an SEC EDGAR companyfacts document.

    ``doc`` is the full companyfacts JSON (``{"facts": {"us-gaap": {TAG: ...}}}``) or the bare
    ``{TAG: ...}`` mapping; the first of ``tags`` present is used. Cash-flow facts are year-to-date,
    so with YTD(k) the k-month total from a fiscal year's start:

        a ~3-month fact is a quarter as is;   quarter ending at YTD(k) = YTD(k) - YTD(k - 3)

    both YTD facts sharing the same ``start`` (Q2 = H1 - Q1, Q3 = 9M - H1, Q4 = FY - 9M).

    Point in time: a period is reported again in later filings (comparatives, restatements). A
    fact is known from the close after its filing (``known_close``): ``accepted`` maps accession
    numbers (``accn``) to SEC acceptance instants; a fact without one counts as filed after the
    close of its ``filed`` date. A quarter becomes known at the first close at which every fact
    it needs is known (``published`` / ``accepted_at`` are those of the later filing), and
    takes the value computed from the facts as known then (each fact's latest version known at
    that close). Later restatements are not used: this is the first-reported series, which is
    what the market saw.
    """
    by_tag = _companyfacts_tags(doc)
    tag = next((t for t in tags if t in by_tag), None)
    if tag is None:
        raise DataError(f"companyfacts for {ticker}: none of the tags {list(tags)} is present")
    facts = _usd_facts(by_tag[tag], tag, accepted).sort_values(["known", "accn"], kind="stable")
    # Grouped on two date columns, each key is a (start, end) pair of Timestamps.
    versions: dict[_Period, pd.DataFrame] = {
        cast(_Period, period): group for period, group in facts.groupby(["start", "end"], sort=True)
    }
    first_filed: dict[_Period, pd.Timestamp] = {
        period: group["known"].iloc[0] for period, group in versions.items()
    }
    # period -> (filed, accepted) of its first version, the filing that made it known
    filing = {
        period: (group["filed"].iloc[0], group["accepted"].iloc[0])
        for period, group in versions.items()
    }

    # (quarter start, quarter end) -> [(known close, rank, period added, period subtracted | None)]
    candidates: dict[_Period, list[tuple[pd.Timestamp, int, _Period, _Period | None]]] = {}
    months = {period: int(group["months"].iloc[0]) for period, group in versions.items()}
    for (start, end), length in months.items():
        if length == 3:
            candidates.setdefault((start, end), []).append(
                (first_filed[(start, end)], 0, (start, end), None)
            )
        for (start_b, end_b), length_b in months.items():
            if start_b == start and length_b == length + 3:
                known = max(first_filed[(start, end)], first_filed[(start_b, end_b)])
                quarter = (end + pd.Timedelta(days=1), end_b)
                candidates.setdefault(quarter, []).append(
                    (known, 1, (start_b, end_b), (start, end))
                )

    rows = []
    for (q_start, q_end), options in candidates.items():
        # Earliest known wins; on the same day a reported 3-month fact beats a difference.
        known, _, plus, minus = min(options, key=lambda option: option[:2])
        value = _as_of(versions[plus], known)
        deciding = plus
        if minus is not None:
            value -= _as_of(versions[minus], known)
            deciding = max(plus, minus, key=lambda period: first_filed[period])
        published, accepted_at = filing[deciding]
        rows.append(
            {
                "ticker": _ticker(ticker),
                "period_start": q_start,
                "period_end": q_end,
                "published": published,
                "accepted_at": accepted_at,
                "capex_usd": value,
                "source": "companyfacts",
            }
        )
    return _table(rows)


# --- earnings press releases ------------------------------------------------------------------


def fiscal_quarter_end(fiscal_year: int, quarter: int, fiscal_year_end_month: int) -> pd.Timestamp:
    """Calendar last day of a fiscal quarter; fiscal years are named by the year they end in.

    ``fiscal_quarter_end(2021, 1, 6)`` (Microsoft FY2021 Q1) is 2020-09-30.
    """
    year_end = pd.Timestamp(year=fiscal_year, month=fiscal_year_end_month, day=1)
    return year_end - pd.DateOffset(months=3 * (4 - quarter)) + pd.offsets.MonthEnd(0)


def _fiscal_year(label: Any) -> int:
    match = re.fullmatch(r"(?:FY)?(\d{4})", str(label).strip().upper())
    if match is None:
        raise DataError(f"fiscal year label {label!r}: expected 'FY2021' or '2021'")
    return int(match.group(1))


def _quarter_number(label: Any, where: str) -> int:
    match = re.fullmatch(r"Q([1-4])", str(label).strip().upper())
    if match is None:
        raise DataError(f"{where}: quarter label {label!r}, expected 'Q1' ... 'Q4'")
    return int(match.group(1))


def _release_dates(
    links: Sequence[Mapping[str, Any]] | None,
) -> dict[tuple[int, int], pd.Timestamp]:
    """(fiscal year, quarter) -> earnings 8-K date; the earliest date if a quarter repeats."""
    dates: dict[tuple[int, int], pd.Timestamp] = {}
    if links is None:
        return dates
    if not isinstance(links, Sequence) or isinstance(links, str | bytes):
        raise DataError(f"links: expected a list of objects, got {type(links).__name__}")
    for i, link in enumerate(links):
        if not isinstance(link, Mapping):
            raise DataError(f"links entry #{i}: expected an object, got {link!r}")
        for key in ("fy", "q", "date"):
            if key not in link:
                raise DataError(f"links entry #{i}: missing key {key!r}")
        quarter = (_fiscal_year(link["fy"]), _quarter_number(link["q"], f"links entry #{i}"))
        date = _date(link["date"], f"links entry #{i} 'date'")
        dates[quarter] = min(date, dates.get(quarter, date))
    return dates


def press_release_values(
    cash_flows: Mapping[str, Any],
    ticker: str,
    *,
    fiscal_year_end_month: int,
    key: str,
    links: Sequence[Mapping[str, Any]] | None = None,
    lag_days: int = PRESS_RELEASE_LAG_DAYS,
) -> list[dict[str, Any]]:
    """One row per fiscal quarter holding ``key`` in earnings-release cash flows
    ``{"FY2021": {"Q1": {key: -4907}}}``: ticker, period_start, period_end, published,
    accepted_at (NaT) and ``value`` (USD: the file's millions x 1e6, sign as printed).

    Fiscal labels become calendar quarter ends with ``fiscal_quarter_end``. ``published`` is the
    8-K ``date`` of the matching ``links`` entry (``{"fy", "q", "date"}``), else period end +
    ``lag_days``; no time is known, so the release counts as after that day's close. Quarters
    without ``key`` (or with null) are skipped, never zero.
    """
    if not isinstance(cash_flows, Mapping):
        raise DataError(f"cash flows: expected a JSON object, got {type(cash_flows).__name__}")
    release_dates = _release_dates(links)
    rows = []
    for year_label, quarters in cash_flows.items():
        fiscal_year = _fiscal_year(year_label)
        if not isinstance(quarters, Mapping):
            raise DataError(f"{year_label}: expected an object of quarters, got {quarters!r}")
        for quarter_label, items in quarters.items():
            where = f"{year_label} -> {quarter_label}"
            quarter = _quarter_number(quarter_label, where)
            if not isinstance(items, Mapping):
                raise DataError(f"{where}: expected an object, got {items!r}")
            value = _number(items.get(key), f"{where} -> {key!r}")
            if value is None:
                continue
            period_end = fiscal_quarter_end(fiscal_year, quarter, fiscal_year_end_month)
            default = period_end + pd.Timedelta(days=lag_days)
            published = release_dates.get((fiscal_year, quarter), default)
            if published <= period_end:
                raise DataError(
                    f"{where}: release date {published.date()} is not after the quarter end "
                    f"{period_end.date()} (fiscal_year_end_month={fiscal_year_end_month})"
                )
            rows.append(
                {
                    "ticker": _ticker(ticker),
                    "period_start": _quarter_start(period_end),
                    "period_end": period_end,
                    "published": published,
                    "accepted_at": pd.NaT,
                    "value": value * 1e6,
                }
            )
    return rows


def parse_press_release(
    cash_flows: Mapping[str, Any],
    ticker: str,
    *,
    fiscal_year_end_month: int,
    capex_key: str,
    links: Sequence[Mapping[str, Any]] | None = None,
    lag_days: int = PRESS_RELEASE_LAG_DAYS,
) -> CapexQuarters:
    """Single quarters of capex from earnings-release cash flows (``press_release_values`` of
    ``capex_key``). Values are USD millions with outflows negative; ``capex_usd`` is
    ``abs(value) * 1e6``."""
    rows = press_release_values(
        cash_flows,
        ticker,
        fiscal_year_end_month=fiscal_year_end_month,
        key=capex_key,
        links=links,
        lag_days=lag_days,
    )
    for row in rows:
        row["capex_usd"] = abs(row.pop("value"))
        row["source"] = "press_release"
    return _table(rows)


# --- the partial calendar-quarter CSV ---------------------------------------------------------


def parse_sec_partial_csv(
    path_or_frame: Path | str | pd.DataFrame,
    *,
    lag_days: int = QUARTERLY_FILING_LAG_DAYS,
    annual_lag_days: int = ANNUAL_FILING_LAG_DAYS,
) -> CapexQuarters:
    """Calendar quarters from ``ticker,year,quarter,payments_usd`` (quarter 0 = calendar year).

    The file has no filing dates, so ``published`` = period end + ``lag_days`` (10-Q deadline),
    or + ``annual_lag_days`` (10-K deadline) for a quarter that closes the ticker's fiscal year
    (``FISCAL_YEAR_END_MONTH``). Calendar Q4 is derived as year total - (Q1 + Q2 + Q3) only for
    December fiscal years with all three quarters present, known from year end +
    ``annual_lag_days``. Rows listed in ``SEC_PARTIAL_CSV_DEFECTS`` are dropped. Like every date
    without a time, ``published`` counts as after the close.
    """
    if isinstance(path_or_frame, pd.DataFrame):
        frame, origin = path_or_frame, "sec partial capex table"
    else:
        frame, origin = read_table(Path(path_or_frame)), str(path_or_frame)
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("ticker", "year", "quarter", "payments_usd") if c not in frame.columns]
    if missing:
        raise DataError(f"{origin}: missing column(s) {missing} (columns: {list(frame.columns)})")
    table = pd.DataFrame({"ticker": frame["ticker"].map(_ticker)})
    for column in ("year", "quarter", "payments_usd"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise DataError(f"{origin}: non-numeric {column} {frame[column][bad].iloc[0]!r}")
        table[column] = values
    table = table.dropna()
    table[["year", "quarter"]] = table[["year", "quarter"]].astype(int)
    if not table["quarter"].between(0, 4).all():
        raise DataError(f"{origin}: column 'quarter' must be 0 (year) or 1 ... 4")
    if table.duplicated(["ticker", "year", "quarter"]).any():
        dup = table[table.duplicated(["ticker", "year", "quarter"])].iloc[0]
        raise DataError(f"{origin}: duplicate row {dup['ticker']} {dup['year']} Q{dup['quarter']}")
    payments: dict[tuple[str, int, int], float] = {
        (t, y, q): v
        for t, y, q, v in table.itertuples(index=False)
        if (t, y, q, v) not in SEC_PARTIAL_CSV_DEFECTS
    }

    rows = []
    for (ticker, year, quarter), value in payments.items():
        if quarter == 0:
            parts = [payments[ticker, year, q] for q in (1, 2, 3) if (ticker, year, q) in payments]
            if (
                FISCAL_YEAR_END_MONTH.get(ticker, 12) != 12
                or (ticker, year, 4) in payments
                or len(parts) < 3
            ):
                continue
            quarter, value = 4, value - sum(parts)
        period_end = _quarter_end(year, 3 * quarter)
        closes_year = period_end.month == FISCAL_YEAR_END_MONTH.get(ticker, 12)
        lag = annual_lag_days if closes_year else lag_days
        rows.append(
            {
                "ticker": ticker,
                "period_start": _quarter_start(period_end),
                "period_end": period_end,
                "published": period_end + pd.Timedelta(days=lag),
                "accepted_at": pd.NaT,
                "capex_usd": value,
                "source": "sec_partial_csv",
            }
        )
    return _table(rows)


# --- one table from several sources -----------------------------------------------------------


def _check_quarters(frame: pd.DataFrame, what: str, columns: Sequence[str] = COLUMNS) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {missing}")


def combine_sources(frames: Sequence[pd.DataFrame]) -> CapexQuarters:
    """One row per (ticker, quarter): the value the market learned first.

    Quarters are matched on ``period_end`` snapped to the nearest calendar month end (so a
    52/53-week quarter ending 2020-12-27 meets one ending 2020-12-31), and the output's
    ``period_end`` is that month end. Among sources for the same quarter the smallest
    ``known_from`` wins; ties go by ``SOURCE_PRIORITY`` (press_release > companyfacts >
    sec_partial_csv).
    """
    for i, frame in enumerate(frames):
        _check_quarters(frame, f"combine_sources: frame #{i}")
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _table([])
    table = pd.concat(frames, ignore_index=True)
    table["period_end"] = _month_end(table["period_end"])
    rank = {source: i for i, source in enumerate(SOURCE_PRIORITY)}
    table["_rank"] = table["source"].map(rank).fillna(len(rank))
    table = table.sort_values(["ticker", "period_end", "known_from", "_rank"], kind="stable")
    table = table.drop_duplicates(["ticker", "period_end"], keep="first")
    records = table[list(COLUMNS)].to_dict("records")
    return _table(cast(list[dict[str, Any]], records))  # keyed by COLUMNS, which are text


def stored_quarters(frame: pd.DataFrame) -> CapexQuarters:
    """A ``CapexQuarters`` table read back from the cache, its ``known_from`` recomputed.

    A table cached before release times were recorded has no ``published`` / ``accepted_at``:
    its ``known_from`` was the filing day, which becomes ``published`` (after the close).
    """
    if "published" not in frame.columns:
        frame = frame.assign(published=frame["known_from"], accepted_at=None)
    _check_quarters(frame, "cached capex quarters")
    return _table(cast(list[dict[str, Any]], frame[list(COLUMNS)].to_dict("records")))


# --- reading a folder -------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    """Parse a JSON file; a ``.fragment`` (one object member, no braces) is wrapped in ``{}``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if path.name.endswith(".fragment") and not text.lstrip().startswith("{"):
        text = "{" + text + "}"
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def _naming(path: Path, parse: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Call a parser; its DataError (which names the key) also names the file."""
    try:
        return parse(*args, **kwargs)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def press_release_files(
    raw: Path,
) -> list[tuple[Path, str, Any, Sequence[Mapping[str, Any]] | None]]:
    """(path, company, cash flows, 8-K links or None) of each known
    company's ``<company>_press_release_cash_flows.json`` present in the folder ``raw`` (of a
    data folder: a file linked out of the data folder is refused unread, ``_files.inside``)."""
    found = []
    for company in PRESS_RELEASES:
        path = raw / f"{company}_press_release_cash_flows.json"
        if not path.is_file():
            continue
        links_path = raw / f"{company}_press_release_links.json"
        links = _read_json(inside(raw.parent, links_path)) if links_path.is_file() else None
        _naming(links_path, _release_dates, links)
        found.append((path, company, _read_json(inside(raw.parent, path)), links))
    return found


def load_capex_folder(folder: Path) -> CapexQuarters:
    """Every capex file present in ``folder`` (layout in the module docstring), combined.

    Reads the partial CSV, each ``raw/<TICKER>_companyfacts*`` file and each known company's
    press-release cash flows (with its links file when present), then ``combine_sources``.
    Raises DataError naming the folder when it is missing or holds none of these files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"capex folder {folder} does not exist")
    frames = []
    for suffix in (".csv", ".csv.gz", ".parquet"):
        path = folder / f"{SEC_PARTIAL_CSV}{suffix}"
        if path.is_file():
            frames.append(parse_sec_partial_csv(inside(folder, path)))
            break
    raw = folder / "raw"
    for path in sorted(raw.glob("*_companyfacts*")):
        if not path.name.endswith((".json", ".json.fragment")):
            continue
        ticker = _ticker(path.name.split("_companyfacts")[0])
        tags = CAPEX_TAGS_BY_TICKER.get(ticker, CAPEX_TAGS)
        frames.append(
            _naming(path, parse_companyfacts, _read_json(inside(folder, path)), ticker, tags)
        )
    for path, company, doc, links in press_release_files(raw):
        ticker, year_end_month, capex_key = PRESS_RELEASES[company]
        frames.append(
            _naming(
                path,
                parse_press_release,
                doc,
                ticker,
                fiscal_year_end_month=year_end_month,
                capex_key=capex_key,
                links=links,
            )
        )
    if not frames:
        raise DataError(
            f"no capex files in {folder} (expected {SEC_PARTIAL_CSV}.csv[.gz], "
            "raw/<TICKER>_companyfacts*.json[.fragment] or raw/<company>_press_release_*.json)"
        )
    return combine_sources(frames)


# --- point-in-time growth ---------------------------------------------------------------------


def _latest_known(quarters: CapexQuarters, dates: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    """Per ticker, dates x (capex, capex_year_ago) of the latest quarter whose YoY is known.

    A quarter's YoY is known from max(its known_from, its year-ago quarter's known_from) (both
    closes, see the module docstring); at date d the latest such quarter (by period_end) with
    that date <= d is taken.
    """
    _check_quarters(quarters, "capex quarters", REQUIRED)
    table = quarters[list(REQUIRED)].copy()
    table["period_end"] = _month_end(table["period_end"])
    if table.duplicated(["ticker", "period_end"]).any():
        dup = table[table.duplicated(["ticker", "period_end"])].iloc[0]
        raise DataError(
            f"capex quarters: two rows for {dup['ticker']} {dup['period_end'].date()}; "
            "pass the output of combine_sources"
        )
    year_ago = table[["ticker", "period_end", "known_from", "capex_usd"]].copy()
    year_ago["period_end"] = (
        year_ago["period_end"] + pd.DateOffset(years=1) + pd.offsets.MonthEnd(0)
    )
    pairs = table.merge(year_ago, on=["ticker", "period_end"], suffixes=("", "_year_ago"))
    pairs["yoy_known_from"] = pairs[["known_from", "known_from_year_ago"]].max(axis=1)

    out = {}
    for ticker, events in pairs.groupby("ticker", sort=True):
        picked = latest_known_rows(
            events, dates, "yoy_known_from", ("capex_usd", "capex_usd_year_ago")
        )
        out[str(ticker)] = picked.rename(
            columns={"capex_usd": "capex", "capex_usd_year_ago": "capex_year_ago"}
        )
    return out


def latest_known_rows(
    events: pd.DataFrame, dates: pd.DatetimeIndex, known: str, columns: Sequence[str]
) -> pd.DataFrame:
    """dates x (``columns``, period_end): on each date, the row of ``events`` (one ticker's
    quarters) with the latest ``period_end`` among those whose close ``known`` is <= the date;
    a late-known older quarter never replaces a newer one. NaN (NaT) before any."""
    events = events.sort_values([known, "period_end"], kind="stable")
    # Keep the events that made a newer quarter the latest; a late-known old quarter does not.
    events = events[events["period_end"] == events["period_end"].cummax()]
    events = events.drop_duplicates(known, keep="last")
    when = dates.to_numpy(dtype="datetime64[ns]")
    position = np.searchsorted(events[known].to_numpy(dtype="datetime64[ns]"), when, "right") - 1
    if events.empty:
        position = np.full(len(dates), -1)
        events = pd.DataFrame({c: [np.nan] for c in columns} | {"period_end": [pd.NaT]})
    picked = events[list(columns)].to_numpy(dtype="float64")[np.maximum(position, 0)]
    picked[position < 0] = np.nan
    frame = pd.DataFrame(picked, index=dates, columns=list(columns), dtype="float64")
    period_end = events["period_end"].to_numpy(dtype="datetime64[ns]")[np.maximum(position, 0)]
    frame["period_end"] = pd.DatetimeIndex(period_end).where(position >= 0)
    return frame


def capex_yoy_known(quarters: CapexQuarters, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """dates x ticker: point-in-time year-over-year capex growth (0.5 = +50 %).

    At date d, for each ticker: ``capex(q) / capex(q - 4 quarters) - 1`` for the latest quarter q
    such that both values had ``known_from <= d``; NaN before any such quarter (and where the
    year-ago capex is not positive). No value is used before its ``known_from``.
    """
    dates = pd.DatetimeIndex(dates, name="date")
    growth = {}
    for ticker, known in _latest_known(quarters, dates).items():
        year_ago = known["capex_year_ago"].where(known["capex_year_ago"] > 0)
        known = known[["capex", "capex_year_ago"]]
        growth[ticker] = known["capex"] / year_ago - 1
    frame = pd.DataFrame(growth, index=dates, dtype="float64")
    frame.columns.name = "ticker"
    return frame


def aggregate_capex_yoy(
    quarters: CapexQuarters,
    dates: pd.DatetimeIndex,
    *,
    max_quarter_age_days: int | None = MAX_QUARTER_AGE_DAYS,
) -> pd.Series:
    """dates: the hyperscalers' combined point-in-time YoY capex growth.

    At date d, over the tickers T_d with a known YoY (as in ``capex_yoy_known``; each ticker's own
    latest such quarter): ``sum_T capex(q_t) / sum_T capex(q_t - 4 quarters) - 1``. NaN when no
    ticker qualifies. Tickers' latest quarters can differ when one reports later than the others;
    a ticker whose latest known quarter ended more than ``max_quarter_age_days`` before d (a gap
    in its filings) is left out rather than mixing an old quarter with everyone else's new one.
    """
    dates = pd.DatetimeIndex(dates, name="date")
    current = pd.Series(0.0, index=dates)
    year_ago = pd.Series(0.0, index=dates)
    for known in _latest_known(quarters, dates).values():
        both = known[["capex", "capex_year_ago"]].notna().all(axis=1)
        if max_quarter_age_days is not None:
            age = dates - pd.DatetimeIndex(known["period_end"])
            both &= age <= pd.Timedelta(days=max_quarter_age_days)
        current += known["capex"].where(both, 0.0)
        year_ago += known["capex_year_ago"].where(both, 0.0)
    return (current / year_ago.where(year_ago > 0) - 1).rename("capex_yoy")
