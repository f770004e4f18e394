"""Capex parsers: SOURCES.md checks on the bundled filings, synthetic YTD cases, no look-ahead."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rotation.data.capex import (
    CAPEX_TAGS,
    COLUMNS,
    PRESS_RELEASE_LAG_DAYS,
    PRESS_RELEASES,
    aggregate_capex_yoy,
    capex_yoy_known,
    combine_sources,
    fiscal_quarter_end,
    load_capex_folder,
    parse_companyfacts,
    parse_press_release,
    parse_sec_partial_csv,
    stored_quarters,
)
from rotation.data.sources import BUNDLED_DIR
from rotation.errors import DataError

CAPEX = BUNDLED_DIR / "capex"
RAW = CAPEX / "raw"
META_FRAGMENT = RAW / "META_companyfacts_PaymentsToAcquirePropertyPlantAndEquipment.json.fragment"
MILLION = 1e6
TS = pd.Timestamp


def _json(path: Path):
    return json.loads(path.read_text())


def _press_release(company: str) -> pd.DataFrame:
    ticker, year_end_month, key = PRESS_RELEASES[company]
    links = RAW / f"{company}_press_release_links.json"
    return parse_press_release(
        _json(RAW / f"{company}_press_release_cash_flows.json"),
        ticker,
        fiscal_year_end_month=year_end_month,
        capex_key=key,
        links=_json(links) if links.exists() else None,
    )


@cache
def _meta_facts() -> pd.DataFrame:
    return parse_companyfacts(json.loads("{" + META_FRAGMENT.read_text() + "}"), "META")


@cache
def _bundled() -> pd.DataFrame:
    return load_capex_folder(CAPEX)


def _at(frame: pd.DataFrame, period_end: str) -> pd.Series:
    (row,) = frame.index[frame["period_end"] == TS(period_end)]
    return frame.loc[row]


def _capex(frame: pd.DataFrame, period_end: str) -> float:
    return _at(frame, period_end)["capex_usd"]


# --- checks from SOURCES.md ---------------------------------------------------------------


def test_companyfacts_meta_matches_sources_md():
    meta = _meta_facts()
    in_2019 = meta["period_end"].dt.year == 2019
    assert in_2019.sum() == 4
    assert meta.loc[in_2019, "capex_usd"].sum() == 15_102 * MILLION
    assert _capex(meta, "2020-12-31") == 4_613 * MILLION  # FY2020 - 9M 2020
    assert _capex(meta, "2021-03-31") == 4_272 * MILLION
    # 2020Q4 is known once both the 9M and the FY fact were filed
    usd = json.loads("{" + META_FRAGMENT.read_text() + "}")[CAPEX_TAGS[0]]["units"]["USD"]
    needed = {("2020-01-01", "2020-09-30"), ("2020-01-01", "2020-12-31")}
    first_filed = [min(f["filed"] for f in usd if (f["start"], f["end"]) == p) for p in needed]
    assert _at(meta, "2020-12-31")["published"] == TS(max(first_filed))


def test_press_release_matches_sources_md():
    msft, meta = _press_release("microsoft"), _press_release("meta")
    fy2024 = msft["period_end"].between(TS("2023-07-01"), TS("2024-06-30"))
    assert fy2024.sum() == 4
    assert msft.loc[fy2024, "capex_usd"].sum() == 44_477 * MILLION
    assert meta.loc[meta["period_end"].dt.year == 2023, "capex_usd"].sum() == 27_266 * MILLION
    assert fiscal_quarter_end(2021, 1, 6) == TS("2020-09-30")  # MSFT FY2021 Q1
    assert _capex(msft, "2020-09-30") == 4_907 * MILLION


def test_press_release_is_published_on_the_8k_date_and_known_the_next_close():
    links = _json(RAW / "microsoft_press_release_links.json")
    link = next(x for x in links if x["fy"] == "FY2024" and x["q"] == "Q2")
    quarter = _at(_press_release("microsoft"), "2023-12-31")
    assert quarter["published"] == TS(link["date"]) == TS("2024-01-30")  # a Tuesday
    assert pd.isna(quarter["accepted_at"])  # no time: assumed after the close
    assert quarter["known_from"] == TS("2024-01-31")  # Wednesday's close


def test_press_release_without_links_uses_the_lag_and_skips_missing_quarters():
    alphabet = _press_release("alphabet")
    lag = alphabet["published"] - alphabet["period_end"]
    assert (lag == pd.Timedelta(days=PRESS_RELEASE_LAG_DAYS)).all()
    meta = _press_release("meta")  # 2024Q1-Q3 have no capitalExpenditures: skipped, not zero
    assert not meta["period_end"].isin(pd.to_datetime(["2024-03-31", "2024-06-30"])).any()
    assert (meta["capex_usd"] > 0).all()


def test_default_lag_is_not_earlier_than_any_known_release():
    for company in ("meta", "microsoft"):
        _, year_end_month, _ = PRESS_RELEASES[company]
        for link in _json(RAW / f"{company}_press_release_links.json"):
            end = fiscal_quarter_end(int(link["fy"][2:]), int(link["q"][1]), year_end_month)
            assert (TS(link["date"]) - end).days <= PRESS_RELEASE_LAG_DAYS


def test_sources_agree_where_they_overlap():
    frames = [
        parse_sec_partial_csv(CAPEX / "hyperscaler_capex_sec_partial.csv.gz"),
        _meta_facts(),
        *(_press_release(company) for company in PRESS_RELEASES),
    ]
    stacked = pd.concat(frames)
    spread = stacked.groupby(["ticker", "period_end"])["capex_usd"].agg(["size", "min", "max"])
    overlap = spread[spread["size"] > 1]
    assert len(overlap) >= 40  # META 2020Q4-2021Q1, MSFT and GOOGL 2020-2025
    assert (overlap["min"] == overlap["max"]).all()
    # a derived calendar Q4 (year - Q1..Q3) equals the press release's single quarter
    assert ("GOOGL", TS("2024-12-31")) in overlap.index


def test_bundled_folder_loads_one_row_per_quarter():
    quarters = _bundled()
    assert list(quarters.columns) == list(COLUMNS)
    assert set(quarters["ticker"]) == {"AMZN", "GOOGL", "META", "MSFT"}
    assert not quarters.duplicated(["ticker", "period_end"]).any()
    assert (quarters["known_from"] > quarters["period_end"]).all()
    assert (quarters["capex_usd"] > 0).all()
    assert quarters.equals(quarters.sort_values(["ticker", "period_end"], ignore_index=True))
    # the partial CSV's GOOG 2014Q3 is a nine-month total, not a quarter: dropped
    assert not ((quarters["ticker"] == "GOOGL") & (quarters["period_end"].dt.year == 2014)).any()


# --- synthetic companyfacts -----------------------------------------------------------------


def _fact(start, end, val, filed):
    return {"start": start, "end": end, "val": val, "filed": filed, "form": "10-Q"}


def _doc(*facts, tag="PaymentsToAcquirePropertyPlantAndEquipment"):
    return {tag: {"units": {"USD": list(facts)}}}


def test_synthetic_ytd_differencing_for_a_june_fiscal_year():
    doc = _doc(  # synthetic: fiscal year July 2020 - June 2021
        _fact("2020-07-01", "2020-09-30", 10, "2020-10-25"),
        _fact("2020-07-01", "2020-12-31", 25, "2021-01-26"),
        _fact("2020-07-01", "2021-03-31", 45, "2021-04-27"),
        _fact("2020-07-01", "2021-06-30", 70, "2021-07-29"),
    )
    quarters = parse_companyfacts(doc, "SYN")
    assert quarters["capex_usd"].tolist() == [10, 15, 20, 25]
    assert quarters["period_start"].dt.strftime("%m-%d").tolist() == [
        "07-01", "10-01", "01-01", "04-01"
    ]  # fmt: skip
    assert quarters["published"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-10-25", "2021-01-26", "2021-04-27", "2021-07-29"
    ]  # fmt: skip


def test_synthetic_restatements_keep_the_first_reported_value():
    facts = _doc(  # synthetic, with the AMZN tag, then wrapped in the full companyfacts form
        _fact("2020-01-01", "2020-03-31", 100, "2020-05-01"),
        _fact("2020-01-01", "2020-06-30", 250, "2020-08-01"),
        _fact("2020-01-01", "2020-03-31", 105, "2021-05-01"),  # restated comparative
        _fact("2020-01-01", "2020-06-30", 260, "2021-08-01"),  # restated comparative
        tag="PaymentsToAcquireProductiveAssets",
    )
    quarters = parse_companyfacts({"facts": {"us-gaap": facts}}, "amzn")
    assert quarters["ticker"].unique().tolist() == ["AMZN"]
    assert quarters["capex_usd"].tolist() == [100, 150]
    assert quarters["published"].tolist() == [TS("2020-05-01"), TS("2020-08-01")]


def test_synthetic_quarter_needing_a_later_comparative_is_known_from_that_filing():
    doc = _doc(  # synthetic: Q1 first appears as a comparative a year later (e.g. after an IPO)
        _fact("2012-01-01", "2012-06-30", 866, "2012-07-31"),
        _fact("2012-01-01", "2012-03-31", 453, "2013-05-02"),
    )
    q2 = _at(parse_companyfacts(doc, "SYN"), "2012-06-30")
    assert (q2["capex_usd"], q2["published"]) == (413, TS("2013-05-02"))


# --- partial CSV and combining --------------------------------------------------------------


def test_sec_partial_csv_derives_q4_only_when_three_quarters_exist():
    frame = pd.DataFrame(  # synthetic
        {
            "ticker": ["GOOG"] * 4 + ["AMZN"] * 3,
            "year": [2020] * 4 + [2021] * 3,
            "quarter": [0, 1, 2, 3, 0, 1, 3],
            "payments_usd": [100.0, 20.0, 25.0, 30.0, 90.0, 10.0, 10.0],
        }
    )
    quarters = parse_sec_partial_csv(frame, lag_days=40, annual_lag_days=60)
    googl = quarters[quarters["ticker"] == "GOOGL"]
    assert googl["capex_usd"].tolist() == [20, 25, 30, 25]
    assert googl["published"].iloc[-1] == TS("2020-12-31") + pd.Timedelta(days=60)
    assert googl["published"].iloc[0] == TS("2020-03-31") + pd.Timedelta(days=40)
    assert (quarters["ticker"] == "AMZN").sum() == 2  # no Q2, so no Q4


def _row(period_end, known_from, capex, source, ticker="SYN"):
    end = TS(period_end)
    return {
        "ticker": ticker,
        "period_start": end - pd.offsets.MonthBegin(3),
        "period_end": end,
        "published": TS(known_from),
        "accepted_at": pd.NaT,
        "known_from": TS(known_from),
        "capex_usd": capex,
        "source": source,
    }


def test_combine_keeps_the_earliest_known_then_source_priority():
    frames = [
        pd.DataFrame([_row("2020-12-27", "2021-02-01", 1.0, "companyfacts")]),
        pd.DataFrame([_row("2020-12-31", "2021-01-27", 2.0, "press_release")]),
        pd.DataFrame([_row("2021-03-31", "2021-05-10", 3.0, "sec_partial_csv")]),
        pd.DataFrame([_row("2021-04-03", "2021-05-10", 4.0, "press_release")]),
    ]
    combined = combine_sources(frames)
    assert combined["period_end"].tolist() == [TS("2020-12-31"), TS("2021-03-31")]
    assert combined["capex_usd"].tolist() == [2.0, 4.0]


# --- point-in-time growth -------------------------------------------------------------------


def test_yoy_is_hand_checked_and_waits_for_known_from():
    quarters = pd.DataFrame(  # synthetic
        [
            _row("2020-03-31", "2020-04-30", 10.0, "press_release", "A"),
            _row("2021-03-31", "2021-04-30", 15.0, "press_release", "A"),
            _row("2020-03-31", "2020-05-10", 20.0, "press_release", "B"),
            _row("2021-03-31", "2021-05-10", 30.0, "press_release", "B"),
            _row("2020-12-31", "2021-02-01", 40.0, "press_release", "B"),  # no year-ago quarter
        ]
    )
    dates = pd.to_datetime(["2021-04-29", "2021-04-30", "2021-05-10"])
    yoy = capex_yoy_known(quarters, dates)
    assert np.isnan(yoy.loc["2021-04-29", "A"])  # not known yet
    assert yoy.loc["2021-04-30", "A"] == pytest.approx(0.5)
    assert np.isnan(yoy.loc["2021-04-30", "B"])
    aggregate = aggregate_capex_yoy(quarters, dates)
    assert np.isnan(aggregate.iloc[0])
    assert aggregate.iloc[1] == pytest.approx(0.5)
    assert aggregate.iloc[2] == pytest.approx((15 + 30) / (10 + 20) - 1)


DATES = pd.date_range("2012-01-01", "2026-03-31", freq="W-FRI")


@settings(max_examples=25, deadline=None)
@given(cutoff=st.dates(min_value=DATES[0].date(), max_value=DATES[-1].date()))
def test_the_future_cannot_change_the_past(cutoff):
    cutoff, quarters = TS(cutoff), _bundled()
    changed = quarters.copy()
    changed.loc[changed["known_from"] > cutoff, "capex_usd"] *= 3.0  # rewrite the future
    for measure in (capex_yoy_known, aggregate_capex_yoy):
        before, after = measure(quarters, DATES), measure(changed, DATES)
        assert before.loc[:cutoff].equals(after.loc[:cutoff])


@pytest.mark.parametrize(
    ("release_day", "companies"),
    [("2024-10-30", {"MSFT"}), ("2026-01-28", {"META", "MSFT"})],  # Wednesdays, after the close
)
def test_bundled_capex_growth_moves_at_the_close_after_the_release_day(release_day, companies):
    quarters, day = _bundled(), TS(release_day)
    assert set(quarters.loc[quarters["published"] == day, "ticker"]) == companies
    days = pd.bdate_range(day - pd.Timedelta(days=7), day + pd.Timedelta(days=7))
    growth = aggregate_capex_yoy(quarters, days)
    next_day = day + pd.offsets.BDay(1)
    assert growth[day] == growth[day - pd.offsets.BDay(1)]  # not at the release day's close
    assert growth[next_day] != growth[day]  # but at the next one
    assert growth.loc[:day].nunique() == 1 and growth.loc[next_day:].nunique() == 1


def test_a_table_cached_before_release_times_is_read_with_its_day_after_the_close():
    old = _bundled().drop(columns=["published", "accepted_at"])  # the earlier cache layout
    old["known_from"] = _bundled()["published"]  # which held the filing day
    read = stored_quarters(old)
    assert read.equals(_bundled())


# --- malformed inputs -----------------------------------------------------------------------


def test_missing_folder_empty_folder_and_malformed_json_are_named(tmp_path):
    with pytest.raises(DataError, match="nowhere"):
        load_capex_folder(tmp_path / "nowhere")
    with pytest.raises(DataError, match=re.escape(str(tmp_path))):
        load_capex_folder(tmp_path)
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "META_companyfacts_X.json.fragment").write_text('"X": {"units": ')
    with pytest.raises(DataError, match=r"META_companyfacts_X\.json\.fragment"):
        load_capex_folder(tmp_path)


def test_missing_keys_name_the_file_and_key(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    links = _json(RAW / "meta_press_release_links.json")
    del links[3]["date"]
    (raw / "meta_press_release_links.json").write_text(json.dumps(links))
    (raw / "meta_press_release_cash_flows.json").write_text("{}")
    with pytest.raises(DataError, match=r"meta_press_release_links\.json.*'date'"):
        load_capex_folder(tmp_path)
    fact = {"start": "2020-01-01", "end": "2020-03-31", "val": 1}  # no 'filed'
    with pytest.raises(DataError, match="'filed'"):
        parse_companyfacts(_doc(fact), "SYN")
    with pytest.raises(DataError, match="PaymentsToAcquireProductiveAssets"):
        parse_companyfacts({"Other": {}}, "SYN")
    with pytest.raises(DataError, match="payments_usd"):
        parse_sec_partial_csv(pd.DataFrame({"ticker": ["X"], "year": [2020], "quarter": [1]}))
    with pytest.raises(DataError, match="Q1 -> 'capex'"):
        parse_press_release(
            {"FY2020": {"Q1": {"capex": "n/a"}}}, "X", fiscal_year_end_month=12, capex_key="capex"
        )
