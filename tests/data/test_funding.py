"""Hyperscaler funding items and the ``funding`` measures: bundled press releases, SEC company
facts (YTD flows, instant balances) from a local server, gaps re-weighted, no look-ahead."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rotation.data.capex import PRESS_RELEASES, load_capex_folder
from rotation.data.funding import (
    coverage_table,
    funding_measures,
    load_funding_folder,
    parse_companyfacts_items,
)
from rotation.data.providers.sec import AcceptanceTimeWarning
from rotation.data.sources import BUNDLED_DIR
from tests.data.conftest import RECORDED

CAPEX = BUNDLED_DIR / "capex"
RAW = CAPEX / "raw"
TS = pd.Timestamp
META_FACTS = "/api/xbrl/companyfacts/CIK0001326801.json"
META_SUBMISSIONS = "/submissions/CIK0001326801.json"
FUNDING_FIXTURE = "sec_companyfacts_META_funding_synthetic.json"
BN = 1e9


def _bundled():
    return load_funding_folder(CAPEX), load_capex_folder(CAPEX)


def test_bundled_operating_cash_flow_is_read_from_the_press_release_files_as_they_are():
    items, capex = _bundled()
    for company, (ticker, _, _) in PRESS_RELEASES.items():
        doc = json.loads((RAW / f"{company}_press_release_cash_flows.json").read_text())
        key = "operatingCashFlow" if company == "meta" else "operatingCF"
        in_file = sorted(q[key] * 1e6 for year in doc.values() for q in year.values() if key in q)
        mine = items[(items["ticker"] == ticker) & (items["item"] == "operating_cash_flow")]
        assert sorted(mine["value_usd"]) == in_file
        assert (mine["source"] == "press_release").all()
    # the same 8-K makes a quarter's capex and cash flow public: both count from the same close
    merged = items[items["item"] == "operating_cash_flow"].merge(
        capex[capex["source"] == "press_release"], on=["ticker", "period_end"]
    )
    assert len(merged) > 50
    assert (merged["known_from_x"] == merged["known_from_y"]).all()


def test_bundled_coverage_is_capex_over_operating_cash_flow_of_the_members_named():
    items, capex = _bundled()
    day = TS("2023-06-30")
    measures = funding_measures(items, capex, pd.DatetimeIndex([day]))
    row = measures.iloc[0]
    assert row["coverage_members"] == "GOOGL,META,MSFT"
    assert np.isnan(row["external_share"]) and row["external_members"] == ""
    # recompute from the tables: each member's four latest quarters known on the day
    capex_sum = ocf_sum = 0.0
    for ticker in ("GOOGL", "META", "MSFT"):
        ocf = items[(items["ticker"] == ticker) & (items["known_from"] <= day)]
        last = ocf["period_end"].max()
        window = pd.date_range(end=last, periods=4, freq="3ME")
        ocf_sum += ocf.set_index("period_end").loc[window, "value_usd"].sum()
        mine = capex[(capex["ticker"] == ticker)].set_index("period_end")
        capex_sum += mine.loc[window, "capex_usd"].sum()
    assert row["coverage"] == pytest.approx(capex_sum / ocf_sum, rel=1e-12)


def test_a_company_missing_a_quarter_drops_out_and_the_rest_are_reweighted():
    items, capex = _bundled()
    # META's capex lacks 2024Q1-Q3 in the bundled files: from mid-2024 it has no trailing year
    day = TS("2024-11-29")
    measures = funding_measures(items, capex, pd.DatetimeIndex([day]))
    assert measures.iloc[0]["coverage_members"] == "GOOGL,MSFT"
    alone = funding_measures(
        items[items["ticker"] != "META"], capex[capex["ticker"] != "META"], pd.DatetimeIndex([day])
    )
    assert measures.iloc[0]["coverage"] == alone.iloc[0]["coverage"]
    # zero-filling META's missing quarters would have given a different number
    meta_ocf = items[(items["ticker"] == "META") & (items["known_from"] <= day)]
    assert meta_ocf["value_usd"].tail(4).sum() > 0


def test_measures_are_point_in_time():
    items, capex = _bundled()
    dates = pd.bdate_range("2021-01-01", "2026-06-30")
    full = funding_measures(items, capex, dates)
    for cut in (TS("2022-02-02"), TS("2024-07-31"), TS("2025-10-30")):
        known = funding_measures(
            items[items["known_from"] <= cut], capex[capex["known_from"] <= cut], dates
        )
        pd.testing.assert_frame_equal(full.loc[:cut], known.loc[:cut])


def test_coverage_table_names_missing_quarters_and_absent_companies():
    items, capex = _bundled()
    table = coverage_table(items, capex)
    meta = table[(table["ticker"] == "META") & (table["series"] == "capex")].iloc[0]
    assert meta["missing"] == "2024Q1 2024Q2 2024Q3"
    amzn = table[(table["ticker"] == "AMZN") & (table["series"] == "capex")].iloc[0]
    assert amzn["last"] == "2025Q3"
    assert "ORCL" not in set(table["ticker"])
    assert not ((table["ticker"] == "AMZN") & (table["series"] == "operating_cash_flow")).any()


def _fixture_items(accepted=None):
    doc = json.loads((RECORDED / FUNDING_FIXTURE).read_text())
    return parse_companyfacts_items(doc, "META", accepted)


def test_companyfacts_year_to_date_flows_become_single_quarters():
    items = _fixture_items()
    ocf = items[items["item"] == "operating_cash_flow"].set_index("period_end")["value_usd"]
    # the fixture's YTD facts were built from quarters 8, 9, 10, 11 (2019) and 11, 4, 10, 14
    assert list(ocf.loc["2019-03-31":"2020-12-31"] / BN) == [8, 9, 10, 11, 11, 4, 10, 14]
    cash = items[items["item"] == "cash"].set_index("period_end")["value_usd"]
    # an instant fact restated in a later filing keeps its first-reported filing date
    first = items[(items["item"] == "cash") & (items["period_end"] == TS("2018-12-31"))]
    assert first["published"].iloc[0] == TS("2019-04-25")
    assert cash.loc[TS("2019-06-30")] == 9 * BN


def test_companyfacts_external_funding_is_debt_net_plus_savings_drawdown():
    from rotation.data.capex import parse_companyfacts

    doc = json.loads((RECORDED / FUNDING_FIXTURE).read_text())
    items = parse_companyfacts_items(doc, "META")
    capex = parse_companyfacts(doc, "META")
    day = TS("2021-06-30")
    row = funding_measures(items, capex, pd.DatetimeIndex([day])).iloc[0]
    assert row["external_members"] == "META" and row["coverage_members"] == "META"
    # 2020Q2..2021Q1: issued 2 (Q2), repaid 0.5 each quarter, cash 13 -> 10, securities 32 -> 32
    external = 2 - 4 * 0.5 + (13 - 10) + (32 - 32)
    window = capex.set_index("period_end").loc["2020-06-30":"2021-03-31", "capex_usd"]
    assert len(window) == 4
    assert row["external_share"] == pytest.approx(external * BN / window.sum(), rel=1e-12)
    assert row["coverage"] == pytest.approx(window.sum() / ((4 + 10 + 14 + 12) * BN), rel=1e-12)


def test_live_funding_from_a_local_sec_server_carries_acceptance_times(live, server, recorded):
    server.route(META_FACTS, recorded(FUNDING_FIXTURE))
    server.route(META_SUBMISSIONS, recorded("sec_submissions_META_synthetic.json"))
    # the fixture's 10-Q 0001326801-21-000033 is not in the submissions answer: said so
    with pytest.warns(AcceptanceTimeWarning, match="5 of 47 funding values"):
        done = live.update("sec", "META.FUNDING")
    items = done.frame
    untimed = items[items["accepted_at"].isna()]
    assert set(untimed["period_end"]) == {TS("2021-03-31")}
    assert (untimed["known_from"] == TS("2021-04-30")).all()  # filed 04-29, after the close
    assert set(items["item"]) == {
        "operating_cash_flow",
        "debt_issued",
        "debt_repaid",
        "cash",
        "securities",
    }
    q2 = items[(items["item"] == "operating_cash_flow") & (items["period_end"] == TS("2019-06-30"))]
    # the H1 10-Q was accepted 2019-07-25 10:12 New York time: known at that day's close
    assert q2["accepted_at"].iloc[0] == TS("2019-07-25 10:12:31", tz="America/New_York")
    assert q2["known_from"].iloc[0] == TS("2019-07-25")
    q1 = items[(items["item"] == "operating_cash_flow") & (items["period_end"] == TS("2019-03-31"))]
    assert q1["known_from"].iloc[0] == TS("2019-04-26")  # accepted 16:02: the next close
    assert [s.path for s in server.seen].count(META_FACTS) == 1
    assert live.cache.entry("capex", "META.FUNDING") is not None
