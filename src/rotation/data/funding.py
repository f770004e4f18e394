"""How the hyperscalers pay for their capex, point in time: the ``funding`` signal's inputs.

One long table (``FundingItems``), one row per ticker, item and fiscal quarter:

    ticker        str        as in ``rotation.data.capex``
    item          str        one of ``ITEMS``
    period_start  Timestamp  first day of the quarter (flows) or the balance date (balances)
    period_end    Timestamp  last day of the quarter, or the balance date
    published     Timestamp  the (New York) day the value became public
    accepted_at   Timestamp  UTC instant SEC EDGAR accepted the filing; NaT where unknown
    known_from    Timestamp  the first close at which the value is usable (``capex.known_close``:
                             the after-the-close rule of ``rotation.data.align.first_close``)
    value_usd     float      USD, sign as reported (flows: the single quarter; balances: the level)
    source        str        ``"press_release"`` or ``"companyfacts"``

Items: ``operating_cash_flow``, ``debt_issued`` and ``debt_repaid`` are single-quarter cash
flows (companyfacts' year-to-date facts become quarters by ``capex.parse_companyfacts``);
``cash`` and ``securities`` (cash and equivalents, current marketable securities) are balances at
a quarter's end. Capex itself is the capex table of ``rotation.data.capex`` (one rule for it).

The two measures (``funding_measures``), each an aggregate over the hyperscalers known on a day:

    capex coverage          sum_T capex_ttm / sum_T operating cash flow_ttm
    net external funding    sum_T' external_ttm / sum_T' capex_ttm, where per quarter
                            external = debt issued - debt repaid + (cash + securities) drawdown
                            (the drawdown is the previous quarter-end balance minus this one)

``_ttm`` sums a ticker's latest four consecutive quarters whose every value is known on the day
(the trailing window is known when its last value is). T (T') are the tickers with such a
window, at most ``capex.MAX_QUARTER_AGE_DAYS`` old: a ticker lacking a quarter drops out of that
day's sums (the ratio of sums re-weights over the others) and the day's members name who made it
up; nothing is ever zero-filled.

Bundled: the press-release cash-flow files (operating cash flow of MSFT, GOOGL and META) give
coverage only; their files hold no debt issuance or cash balances, so net external funding needs
live SEC company facts (``FUNDING_TAGS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd

from rotation.data.capex import (
    MAX_QUARTER_AGE_DAYS,
    PRESS_RELEASES,
    _companyfacts_tags,
    _date,
    _month_end,
    _naming,
    _number,
    _ticker,
    filings_table,
    latest_known_rows,
    parse_companyfacts,
    press_release_files,
    usd_facts,
)
from rotation.errors import DataError

FundingItems: TypeAlias = pd.DataFrame
"""rows = (ticker, item, quarter); columns ``COLUMNS``; sorted by ticker, item, period_end."""

COLUMNS = (
    "ticker",
    "item",
    "period_start",
    "period_end",
    "published",
    "accepted_at",
    "known_from",
    "value_usd",
    "source",
)
FLOWS = ("operating_cash_flow", "debt_issued", "debt_repaid")
BALANCES = ("cash", "securities")
ITEMS = (*FLOWS, *BALANCES)

FUNDING_TAGS: Mapping[str, tuple[str, ...]] = {
    # us-gaap element names; the first present for a quarter wins, the others fill its gaps.
    "operating_cash_flow": ("NetCashProvidedByUsedInOperatingActivities",),
    "debt_issued": ("ProceedsFromIssuanceOfLongTermDebt", "ProceedsFromIssuanceOfDebt"),
    "debt_repaid": ("RepaymentsOfLongTermDebt", "RepaymentsOfDebt"),
    "cash": ("CashAndCashEquivalentsAtCarryingValue",),
    "securities": (
        "MarketableSecuritiesCurrent",
        "ShortTermInvestments",
        "AvailableForSaleSecuritiesDebtSecuritiesCurrent",
    ),
}
"""Item -> SEC companyfacts (us-gaap) tags, by priority."""

PRESS_RELEASE_KEYS: Mapping[str, Mapping[str, str]] = {
    # company file prefix (``capex.PRESS_RELEASES``) -> item -> key in its cash-flow file
    "meta": {"operating_cash_flow": "operatingCashFlow"},
    "alphabet": {"operating_cash_flow": "operatingCF"},
    "microsoft": {"operating_cash_flow": "operatingCF"},
}

MEASURES = ("coverage", "external_share")


def _table(rows: list[dict[str, Any]]) -> FundingItems:
    return filings_table(
        rows, COLUMNS, ("ticker", "item", "source"), "value_usd", ("ticker", "item", "period_end")
    )


def empty() -> FundingItems:
    """A funding table without rows (what a config that does not read funding holds)."""
    return _table([])


# --- sources -----------------------------------------------------------------------------------


def parse_press_release_items(
    cash_flows: Mapping[str, Any],
    company: str,
    links: Sequence[Mapping[str, Any]] | None = None,
) -> FundingItems:
    """The funding items of one company's press-release cash-flow file (``PRESS_RELEASE_KEYS``),
    published on its 8-K dates like its capex (``capex.press_release_values``)."""
    from rotation.data.capex import press_release_values

    ticker, year_end_month, _ = PRESS_RELEASES[company]
    rows = []
    for item, key in PRESS_RELEASE_KEYS.get(company, {}).items():
        for row in press_release_values(
            cash_flows, ticker, fiscal_year_end_month=year_end_month, key=key, links=links
        ):
            rows.append(
                {**row, "item": item, "value_usd": row.pop("value"), "source": "press_release"}
            )
    return _table(rows)


def load_funding_folder(folder: Path) -> FundingItems:
    """The funding items of every press-release file in ``folder/raw`` (the capex folder)."""
    frames = [
        _naming(path, parse_press_release_items, doc, company, links)
        for path, company, doc, links in press_release_files(Path(folder) / "raw")
    ]
    return combine(frames)


def _instant_facts(
    entry: Any, tag: str, ticker: str, accepted: Mapping[str, pd.Timestamp] | None
) -> list[dict[str, Any]]:
    """Balance-sheet facts (no ``start``): per balance date, its first-reported value, known
    from the close after the filing that first reported it."""
    rows = []
    for where, fact in usd_facts(entry, tag, ("end", "val", "filed")):
        value = _number(fact["val"], f"{where} 'val'")
        if value is None:
            continue
        end = _date(fact["end"], f"{where} 'end'")
        accn = str(fact.get("accn", ""))
        rows.append(
            {
                "ticker": _ticker(ticker),
                "period_start": end,
                "period_end": end,
                "published": _date(fact["filed"], f"{where} 'filed'"),
                "accepted_at": (accepted or {}).get(accn, pd.NaT),
                "value_usd": value,
                "source": "companyfacts",
            }
        )
    return rows


def parse_companyfacts_items(
    doc: Mapping[str, Any],
    ticker: str,
    accepted: Mapping[str, pd.Timestamp] | None = None,
    tags: Mapping[str, tuple[str, ...]] = FUNDING_TAGS,
) -> FundingItems:
    """Every funding item present in a companyfacts document (``FUNDING_TAGS``), first-reported
    and known from its filing's acceptance (``capex.parse_companyfacts`` for the flows' YTD ->
    quarter rule). An item none of whose tags is present is absent, not zero."""
    by_tag = _companyfacts_tags(doc)
    frames = []
    for item, item_tags in tags.items():
        for tag in item_tags:
            if tag not in by_tag:
                continue
            if item in FLOWS:
                quarters = parse_companyfacts(doc, ticker, (tag,), accepted)
                rows = cast(list[dict[str, Any]], quarters.to_dict("records"))
                for row in rows:
                    row["value_usd"] = row.pop("capex_usd")
            else:
                rows = _instant_facts(by_tag[tag], tag, ticker, accepted)
            frames.append(_table([{**row, "item": item} for row in rows]))
    return combine(frames)


def combine(frames: Sequence[pd.DataFrame]) -> FundingItems:
    """One row per (ticker, item, period end snapped to its month end): the value the market
    learned first (ties: the earlier frame)."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty()
    table = pd.concat(frames, ignore_index=True)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"funding items: missing column(s) {missing}")
    table["period_end"] = _month_end(table["period_end"])
    table = table.sort_values(["ticker", "item", "period_end", "known_from"], kind="stable")
    table = table.drop_duplicates(["ticker", "item", "period_end"], keep="first")
    return _table(cast(list[dict[str, Any]], table[list(COLUMNS)].to_dict("records")))


def stored_items(frame: pd.DataFrame) -> FundingItems:
    """A funding table read back from the cache, its ``known_from`` recomputed."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"cached funding items: missing column(s) {missing}")
    return _table(cast(list[dict[str, Any]], frame[list(COLUMNS)].to_dict("records")))


# --- point-in-time measures ------------------------------------------------------------------


def quarterly(items: FundingItems, capex: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """One ticker's quarters (index: quarter end, month-end snapped): ``capex``,
    ``operating_cash_flow`` and ``external`` (NaN where any part is missing) with the close each
    is known from (``*_known``)."""
    out = pd.DataFrame()
    mine = capex[capex["ticker"] == ticker] if len(capex) else capex
    if len(mine):
        ends = _month_end(mine["period_end"])
        out["capex"] = pd.Series(mine["capex_usd"].to_numpy(), index=ends)
        out["capex_known"] = pd.Series(mine["known_from"].to_numpy(), index=ends)
    own = items[items["ticker"] == ticker]

    def item(name: str) -> tuple[pd.Series, pd.Series]:
        rows = own[own["item"] == name]
        index = pd.DatetimeIndex(rows["period_end"])
        return (
            pd.Series(rows["value_usd"].to_numpy(), index=index, dtype="float64"),
            pd.Series(rows["known_from"].to_numpy(), index=index, dtype="datetime64[ns]"),
        )

    ocf, ocf_known = item("operating_cash_flow")
    out = out.reindex(out.index.union(ocf.index))
    out["operating_cash_flow"], out["operating_cash_flow_known"] = ocf, ocf_known
    parts: list[tuple[pd.Series, pd.Series]] = []
    issued, repaid = item("debt_issued"), item("debt_repaid")
    parts += [issued, (-repaid[0], repaid[1])]
    for balance in BALANCES:
        level, known = item(balance)
        previous = level.copy()
        previous.index = previous.index + pd.offsets.MonthEnd(3)
        previous_known = known.copy()
        previous_known.index = previous.index
        parts.append(
            (
                previous - level,
                pd.concat([known, previous_known], axis=1, sort=True).max(axis=1, skipna=False),
            )
        )
    values = pd.concat([p[0] for p in parts], axis=1, sort=True)
    knowns = pd.concat([p[1] for p in parts], axis=1, sort=True)
    external = values.sum(axis=1, min_count=len(parts)).where(values.notna().all(axis=1))
    out = out.reindex(out.index.union(external.dropna().index))
    out["external"] = external
    out["external_known"] = knowns.max(axis=1, skipna=False).where(external.notna())
    out.index.name = "period_end"
    return out.sort_index()


def _trailing(quarters: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Trailing four consecutive quarters of ``columns``: their sums and the close the last of
    their 4 x len(columns) values is known from; rows lacking one are dropped."""
    # quarter ends are month ends 3 apart whatever the fiscal year; a missing one breaks the
    # window (its shifted value is NaN and min_count=4 refuses the sum)
    full = quarters
    out = pd.DataFrame(index=full.index)
    known_parts = []
    for column in columns:
        values = full[column]
        shifted = [
            values.shift(freq=pd.offsets.MonthEnd(3 * k)).reindex(full.index) for k in range(4)
        ]
        out[column] = pd.concat(shifted, axis=1).sum(axis=1, min_count=4)
        known = full[f"{column}_known"]
        known_parts += [
            known.shift(freq=pd.offsets.MonthEnd(3 * k)).reindex(full.index) for k in range(4)
        ]
    out["known"] = pd.concat(known_parts, axis=1).max(axis=1, skipna=False)
    out = out.dropna()
    out.index.name = "period_end"
    return out.reset_index()


def funding_measures(
    items: FundingItems,
    capex: pd.DataFrame,
    dates: pd.DatetimeIndex,
    *,
    max_quarter_age_days: int = MAX_QUARTER_AGE_DAYS,
) -> pd.DataFrame:
    """dates x (coverage, external_share, coverage_members, external_members): the two
    aggregates of the module docstring as known at each close, and the tickers each one summed
    on that day (comma-separated; empty where none). ``capex``: ``CapexQuarters`` (may be an
    empty frame)."""
    dates = pd.DatetimeIndex(dates, name="date")
    tickers = sorted(set(items["ticker"]) | set(capex["ticker"] if len(capex) else []))
    sums = {name: pd.Series(0.0, index=dates) for name in ("capex_c", "ocf", "capex_e", "external")}
    members = {m: np.full(len(dates), "", dtype=object) for m in ("coverage", "external")}
    for ticker in tickers:
        quarters = quarterly(items, capex, ticker)
        for measure, columns in (
            ("coverage", ("capex", "operating_cash_flow")),
            ("external", ("capex", "external")),
        ):
            if (
                not set(columns) <= set(quarters.columns)
                or quarters[list(columns)].isna().all().any()
            ):
                continue
            trailing = _trailing(quarters, columns)
            picked = latest_known_rows(trailing, dates, "known", columns)
            age = dates - pd.DatetimeIndex(picked["period_end"])
            used = picked[list(columns)].notna().all(axis=1) & (
                age <= pd.Timedelta(days=max_quarter_age_days)
            )
            if measure == "coverage":
                sums["capex_c"] += picked["capex"].where(used, 0.0)
                sums["ocf"] += picked["operating_cash_flow"].where(used, 0.0)
            else:
                sums["capex_e"] += picked["capex"].where(used, 0.0)
                sums["external"] += picked["external"].where(used, 0.0)
            members[measure] = members[measure] + np.where(used, f"{ticker},", "")
    out = pd.DataFrame(index=dates)
    out["coverage"] = sums["capex_c"] / sums["ocf"].where(sums["ocf"] > 0)
    out["external_share"] = sums["external"] / sums["capex_e"].where(sums["capex_e"] > 0)
    for measure in ("coverage", "external"):
        names = pd.Series(members[measure], index=dates, dtype=object).astype(str)
        out[f"{measure}_members"] = names.str.rstrip(",")
    return out


def coverage_table(items: FundingItems, capex: pd.DataFrame) -> pd.DataFrame:
    """Per ticker and series (capex, each funding item): first and last quarter, quarters held,
    and the quarters missing between them (``YYYYQn`` of the calendar quarter end)."""
    rows = []
    series = [
        (str(t), "capex", pd.DatetimeIndex(_month_end(g["period_end"])))
        for t, g in (capex.groupby("ticker") if len(capex) else [])
    ]
    for key, g in items.groupby(["ticker", "item"]):
        ticker, item = cast(tuple[str, str], key)
        series.append((str(ticker), str(item), pd.DatetimeIndex(g["period_end"])))
    for ticker, name, ends in series:
        ends = ends.sort_values().unique()
        grid = pd.date_range(ends[0], ends[-1], freq="3ME")
        missing = [e for e in grid if e not in set(ends)]
        rows.append(
            {
                "ticker": str(ticker),
                "series": name,
                "first": _label(ends[0]),
                "last": _label(ends[-1]),
                "quarters": len(ends),
                "missing": " ".join(_label(e) for e in missing),
            }
        )
    columns = ["ticker", "series", "first", "last", "quarters", "missing"]
    return pd.DataFrame(rows, columns=columns).sort_values(["ticker", "series"], kind="stable")


def _label(end: pd.Timestamp) -> str:
    return f"{end.year}Q{(end.month - 1) // 3 + 1}"


def coverage_report(capex: pd.DataFrame, items: FundingItems, expected: Sequence[str]) -> str:
    """``coverage_table`` as aligned text, then the ``expected`` tickers with no quarter at
    all; empty when both tables are."""
    if capex.empty and items.empty:
        return ""
    table = coverage_table(items, capex)
    lines = [table.to_string(index=False)]
    for series in ("capex", "operating_cash_flow"):
        have = set(table.loc[table["series"] == series, "ticker"])
        absent = [t for t in expected if t not in have]
        if absent:
            lines.append(f"no {series} quarters: {', '.join(absent)}")
    return "\n".join(lines)
