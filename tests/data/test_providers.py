"""Providers against a local HTTP server serving recorded responses in each real wire format."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pandas as pd
import pytest

from rotation.data.providers.fred import FredClient, parse_fred_csv
from rotation.data.providers.sec import AcceptanceTimeWarning, SecClient, acceptance_instant
from rotation.errors import DataError, ProviderError

CHART = "/v8/finance/chart/"
FRED_CSV = "/graph/fredgraph.csv"
META_FACTS = "/api/xbrl/companyfacts/CIK0001326801.json"
META_SUBMISSIONS = "/submissions/CIK0001326801.json"
UA = "rotation-tests tests@example.com"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: the provider is 'offline'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def chart_as(body: bytes, symbol: str) -> dict:
    doc = json.loads(body)
    doc["chart"]["result"][0]["meta"]["symbol"] = symbol
    return doc


@pytest.fixture
def yahoo(server, yfinance_cache):
    from rotation.data.providers.yahoo import YahooClient

    return YahooClient(server.url, timeout=2)


# --- Yahoo (through yfinance) -------------------------------------------------------------------


def test_yahoo_returns_adjusted_closes_by_exchange_date(server, yahoo, recorded):
    server.route(CHART + "MSFT", recorded("yahoo_chart_MSFT.json"))
    fetched = yahoo.prices("MSFT")
    adjclose = json.loads(recorded("yahoo_chart_MSFT.json"))["chart"]["result"][0]["indicators"]
    expected = adjclose["adjclose"][0]["adjclose"]
    series = fetched.data
    assert series.name == "MSFT" and series.dtype == "float64"
    assert series.index.name == "date" and series.index.tz is None
    assert [d.date().isoformat() for d in series.index] == [
        "2026-07-06", "2026-07-07", "2026-07-08", "2026-07-09", "2026-07-10",
    ]  # fmt: skip
    assert series.tolist() == pytest.approx(expected)  # adjusted, not the raw close
    assert fetched.source == "yfinance" and fetched.url == f"{server.url}{CHART}MSFT"
    query = server.requests_to(CHART + "MSFT")[-1].query
    assert query["interval"] == "1d"


def test_yahoo_start_is_sent_as_period1(server, yahoo, recorded):
    server.route(CHART + "MSFT", recorded("yahoo_chart_MSFT.json"))
    yahoo.prices("MSFT", start=dt.date(2026, 7, 1))
    period1 = int(server.requests_to(CHART + "MSFT")[-1].query["period1"])
    midnight_new_york = pd.Timestamp("2026-07-01", tz="America/New_York")
    assert period1 == int(midnight_new_york.timestamp())


def test_yahoo_yield_index_may_quote_any_level(server, yahoo, recorded):
    server.route(CHART + "^TNX", recorded("yahoo_chart_TNX.json"))
    series = yahoo.prices("^TNX").data
    assert series.tolist() == pytest.approx(
        [4.539000034332275, 4.568999767303467, 4.609000205993652]
    )


def test_yahoo_unknown_symbol_names_symbol_status_and_reason(server, yahoo, recorded):
    server.route(CHART + "NOPE", recorded("yahoo_chart_not_found.json"), status=404)
    with pytest.raises(ProviderError) as caught:
        yahoo.prices("NOPE")
    message = str(caught.value)
    assert "'NOPE'" in message and "HTTP 404" in message
    assert "No data found, symbol may be delisted" in message
    assert f"{server.url}{CHART}NOPE" in message


def test_yahoo_empty_result_is_an_error(server, yahoo, recorded):
    server.route(CHART + "EMPTY", json.dumps(chart_as(recorded("yahoo_chart_empty.json"), "EMPTY")))
    with pytest.raises(ProviderError, match=r"'EMPTY'.*no price rows.*/v8/finance/chart/EMPTY"):
        yahoo.prices("EMPTY")


@pytest.mark.parametrize(
    ("symbol", "status", "expected"),
    [
        ("ERRFOUR", 404, "HTTP 404"),
        ("ERRRATE", 429, r"rate-limited \(HTTP 429\)"),
        ("ERRSERV", 500, "HTTP 500"),
    ],
)
def test_yahoo_http_errors(server, yahoo, symbol, status, expected):
    server.route(CHART + symbol, b"Something went wrong", status=status, content_type="text/plain")
    with pytest.raises(ProviderError, match=rf"'{symbol}'.*{expected}") as caught:
        yahoo.prices(symbol)
    assert f"/v8/finance/chart/{symbol}" in str(caught.value)


def test_yahoo_timeout(server, yfinance_cache, recorded):
    from rotation.data.providers.yahoo import YahooClient

    server.route(CHART + "SLOW", recorded("yahoo_chart_MSFT.json"), delay=2)
    with pytest.raises(
        ProviderError, match=r"'SLOW'.*timed out after 0.3 s.*/v8/finance/chart/SLOW"
    ):
        YahooClient(server.url, timeout=0.3).prices("SLOW")


def test_yahoo_malformed_body(server, yahoo):
    server.route(CHART + "GARBLED", b"<html>Will be right back</html>", content_type="text/html")
    with pytest.raises(ProviderError, match=r"'GARBLED'.*malformed response.*not chart JSON"):
        yahoo.prices("GARBLED")


def test_yahoo_offline(yfinance_cache):
    from rotation.data.providers.yahoo import YahooClient

    with pytest.raises(ProviderError, match=r"'OFFLINE'.*cannot reach http://127\.0\.0\.1"):
        YahooClient(closed_port_url(), timeout=1).prices("OFFLINE")


def test_yahoo_drops_the_session_still_in_progress(server, yahoo, recorded):
    server.route(CHART + "BTC-USD", recorded("yahoo_chart_BTC-USD.json"))
    during = yahoo.prices("BTC-USD", now=pd.Timestamp("2026-08-17 12:00", tz="UTC")).data
    assert during.index[-1] == pd.Timestamp("2026-08-16")
    after = yahoo.prices("BTC-USD", now=pd.Timestamp("2026-08-18 00:30", tz="UTC")).data
    assert after.index[-1] == pd.Timestamp("2026-08-17")
    assert len(after) == len(during) + 1


def test_yahoo_unsorted_and_duplicate_rows_come_back_sorted_and_unique(server, yahoo, recorded):
    doc = chart_as(recorded("yahoo_chart_MSFT.json"), "SHUFFLED")
    result = doc["chart"]["result"][0]
    order = [3, 0, 4, 1, 0, 2]  # unsorted, and row 0 twice
    result["timestamp"] = [result["timestamp"][i] for i in order]
    quote = result["indicators"]["quote"][0]
    for column in quote:
        quote[column] = [quote[column][i] for i in order]
    adjclose = result["indicators"]["adjclose"][0]["adjclose"]
    result["indicators"]["adjclose"][0]["adjclose"] = [adjclose[i] for i in order]
    server.route(CHART + "SHUFFLED", json.dumps(doc))
    series = yahoo.prices("SHUFFLED").data
    assert series.index.is_monotonic_increasing and series.index.is_unique
    assert series.tolist() == pytest.approx(adjclose)


def test_yahoo_rejects_a_symbol_it_could_not_know(yahoo):
    with pytest.raises(DataError, match="not a Yahoo symbol"):
        yahoo.prices("MS FT")


# --- FRED ----------------------------------------------------------------------------------------


def test_fred_success_drops_missing_observations(server, recorded):
    server.route(
        FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"), content_type="text/csv"
    )
    fetched = FredClient(server.url, timeout=2).series("DGS10")
    series = fetched.data
    assert series.name == "DGS10" and series.index.name == "date"
    assert len(series) == 7 and pd.Timestamp("2026-07-03") not in series.index  # holiday blank
    assert series["2026-07-10"] == 4.56
    assert fetched.url == f"{server.url}{FRED_CSV}?id=DGS10"


def test_fred_start_is_sent_as_cosd_and_dot_means_missing(server):
    body = "observation_date,DGS10\n2026-07-08,4.56\n2026-07-09,.\n2026-07-10,4.56\n"
    server.route(FRED_CSV, body, query=("id", "DGS10"), content_type="text/csv")
    series = FredClient(server.url, timeout=2).series("DGS10", dt.date(2026, 7, 8)).data
    assert server.requests_to(FRED_CSV)[-1].query["cosd"] == "2026-07-08"
    assert list(series.index.strftime("%Y-%m-%d")) == ["2026-07-08", "2026-07-10"]


def test_fred_old_date_header_is_accepted():
    series = parse_fred_csv("DATE,WALCL\n2026-07-01,6724564\n", "WALCL", "test")
    assert series.tolist() == [6724564.0]


def test_fred_unsorted_and_duplicate_rows(server):
    body = "observation_date,NFCI\n2026-07-10,-0.5\n2026-07-03,-0.4\n2026-07-10,-0.5\n"
    server.route(FRED_CSV, body, query=("id", "NFCI"), content_type="text/csv")
    series = FredClient(server.url, timeout=2).series("NFCI").data
    assert list(series.index.strftime("%Y-%m-%d")) == ["2026-07-03", "2026-07-10"]
    assert series.tolist() == [-0.4, -0.5]


def test_fred_conflicting_duplicate_is_an_error(server):
    body = "observation_date,NFCI\n2026-07-10,-0.5\n2026-07-10,-0.6\n"
    server.route(FRED_CSV, body, query=("id", "NFCI"), content_type="text/csv")
    with pytest.raises(ProviderError, match=r"two different values .* 2026-07-10 for 'NFCI'"):
        FredClient(server.url, timeout=2).series("NFCI")


def test_fred_empty_result_is_an_error(server):
    server.route(FRED_CSV, "observation_date,PNFI\n2026-07-01,.\n", query=("id", "PNFI"))
    with pytest.raises(ProviderError, match=r"no observations for 'PNFI'.*fredgraph\.csv\?id=PNFI"):
        FredClient(server.url, timeout=2).series("PNFI")


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (404, {}, "HTTP 404 Not Found"),
        (429, {"Retry-After": "30"}, r"rate-limited \(HTTP 429, retry after 30 s\)"),
        (500, {}, "HTTP 500 Internal Server Error"),
    ],
)
def test_fred_http_errors(server, status, headers, expected):
    server.route(FRED_CSV, b"<html>error</html>", status=status, headers=headers)
    with pytest.raises(ProviderError, match=rf"FRED series 'XYZ': {expected} from http://.*id=XYZ"):
        FredClient(server.url, timeout=2).series("XYZ")


def test_fred_timeout(server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), delay=2)
    with pytest.raises(ProviderError, match=r"FRED series 'DGS10': timed out after 0.3 s"):
        FredClient(server.url, timeout=0.3).series("DGS10")


def test_fred_malformed_body(server):
    server.route(FRED_CSV, "<!DOCTYPE html><html>maintenance</html>", content_type="text/html")
    with pytest.raises(
        ProviderError, match=r"'DGS10': malformed response .*expected the CSV header"
    ):
        FredClient(server.url, timeout=2).series("DGS10")


def test_fred_non_numeric_value_names_line_and_date(server):
    server.route(FRED_CSV, "observation_date,DGS10\n2026-07-01,4.4\n2026-07-02,n/a\n")
    with pytest.raises(ProviderError, match=r"non-numeric value 'n/a' on 2026-07-02 \(line 3\)"):
        FredClient(server.url, timeout=2).series("DGS10")


def test_fred_offline():
    with pytest.raises(ProviderError, match=r"FRED series 'DGS10': cannot reach 127\.0\.0\.1"):
        FredClient(closed_port_url(), timeout=1).series("DGS10")


def test_fred_rejects_a_malformed_id():
    with pytest.raises(DataError, match="not a FRED series id"):
        FredClient("http://127.0.0.1:9", timeout=1).series("DGS 10")


# --- SEC EDGAR -----------------------------------------------------------------------------------


def _meta_quarters(server) -> pd.DataFrame:
    fetched = SecClient(server.url, user_agent=UA, timeout=2).capex("META")
    return fetched.data.set_index("period_end")


def test_sec_quarters_are_known_from_the_close_after_their_acceptance(server, recorded):
    server.route(META_FACTS, recorded("sec_companyfacts_META.json"))
    server.route(META_SUBMISSIONS, recorded("sec_submissions_META_synthetic.json"))
    with pytest.warns(AcceptanceTimeWarning, match=r"META: the filings of 1 of 9 capex quarters"):
        quarters = _meta_quarters(server)
    assert len(quarters) == 9 and (quarters["ticker"] == "META").all()
    q2_2019 = quarters.loc[pd.Timestamp("2019-06-30")]
    assert q2_2019["capex_usd"] == 7_470_000_000 - 3_837_000_000  # H1 - Q1
    # the 10-Q accepted on Thursday 2019-07-25 at 10:12 New York time: before the close
    assert q2_2019["published"] == pd.Timestamp("2019-07-25")
    assert q2_2019["accepted_at"] == pd.Timestamp("2019-07-25 10:12:31", tz="America/New_York")
    assert q2_2019["known_from"] == pd.Timestamp("2019-07-25")
    # the 10-K accepted on Thursday 2021-01-28 at 16:10: after the close, so Friday's
    q4_2020 = quarters.loc[pd.Timestamp("2020-12-31")]
    assert q4_2020["capex_usd"] == 15_115_000_000 - 10_502_000_000  # FY - 9M
    assert q4_2020["known_from"] == pd.Timestamp("2021-01-29")
    # the 10-Q accepted on Friday 2020-07-31 at 16:20 counts at Monday's close
    assert quarters.loc[pd.Timestamp("2020-06-30"), "known_from"] == pd.Timestamp("2020-08-03")
    # the 10-Q the submissions answer lacks: after the close of its filing day (Thu 2021-04-29)
    q1_2021 = quarters.loc[pd.Timestamp("2021-03-31")]
    assert pd.isna(q1_2021["accepted_at"])
    assert q1_2021["known_from"] == pd.Timestamp("2021-04-30")
    assert server.requests_to(META_SUBMISSIONS)[-1].headers["User-Agent"] == UA


def test_sec_without_submissions_every_filing_counts_after_the_close(server, recorded):
    server.route(META_FACTS, recorded("sec_companyfacts_META.json"))
    server.route(META_SUBMISSIONS, b"busy", status=503, content_type="text/plain")
    with pytest.warns(AcceptanceTimeWarning, match=r"submissions for META: HTTP 503.*after"):
        quarters = _meta_quarters(server)
    assert quarters["accepted_at"].isna().all()
    assert quarters.loc[pd.Timestamp("2019-06-30"), "known_from"] == pd.Timestamp("2019-07-26")
    assert quarters.loc[pd.Timestamp("2020-06-30"), "known_from"] == pd.Timestamp("2020-08-03")


def test_sec_malformed_submissions_fall_back_with_a_warning(server, recorded):
    server.route(META_FACTS, recorded("sec_companyfacts_META.json"))
    server.route(META_SUBMISSIONS, json.dumps({"cik": "1326801", "filings": {}}))
    with pytest.warns(AcceptanceTimeWarning, match=r"missing key 'filings' -> 'recent'"):
        quarters = _meta_quarters(server)
    assert quarters["accepted_at"].isna().all()


def test_edgar_acceptance_clock_is_read_as_new_york_time():
    # "16:05:12.000Z" read as UTC would be 12:05 in New York, mid-session: it is not trusted
    accepted = acceptance_instant("2024-10-30T16:05:12.000Z")
    assert accepted == pd.Timestamp("2024-10-30 16:05:12", tz="America/New_York")
    assert acceptance_instant("2024-01-30T16:05:12.000Z").utcoffset() == dt.timedelta(hours=-5)


def test_sec_without_user_agent_sends_nothing(server):
    with pytest.raises(ProviderError, match=r"META.*ROTATION_SEC_USER_AGENT"):
        SecClient(server.url, user_agent=None, timeout=2).capex("META")
    assert server.requests_to(META_FACTS) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, "HTTP 403 Forbidden"),
        (404, "HTTP 404 Not Found"),
        (429, "rate-limited"),
        (500, "HTTP 500"),
    ],
)
def test_sec_http_errors(server, status, expected):
    server.route(META_FACTS, b"<html>no</html>", status=status, content_type="text/html")
    with pytest.raises(ProviderError, match=rf"company facts for META: {expected}.*CIK0001326801"):
        SecClient(server.url, user_agent=UA, timeout=2).capex("META")


def test_sec_timeout(server, recorded):
    server.route(META_FACTS, recorded("sec_companyfacts_META.json"), delay=2)
    with pytest.raises(ProviderError, match=r"META: timed out after 0.3 s"):
        SecClient(server.url, user_agent=UA, timeout=0.3).capex("META")


def test_sec_malformed_body(server, recorded):
    server.route(META_FACTS, recorded("sec_companyfacts_META.json")[:500])
    with pytest.raises(ProviderError, match=r"META: malformed response .*CIK0001326801.*not JSON"):
        SecClient(server.url, user_agent=UA, timeout=2).capex("META")


def test_sec_answer_for_another_company_is_an_error(server, recorded):
    doc = json.loads(recorded("sec_companyfacts_META.json"))
    doc["cik"] = 789019
    server.route(META_FACTS, json.dumps(doc))
    with pytest.raises(ProviderError, match="answered for CIK 789019, expected 1326801"):
        SecClient(server.url, user_agent=UA, timeout=2).capex("META")


def test_sec_without_capex_facts_is_an_error(server):
    doc = {"cik": 1326801, "entityName": "Meta Platforms, Inc.", "facts": {"us-gaap": {}}}
    server.route(META_FACTS, json.dumps(doc))
    with (
        pytest.raises(
            ProviderError, match=r"META \(http://.*CIK0001326801\.json\): .*none of the tags"
        ),
        pytest.warns(AcceptanceTimeWarning, match=r"submissions for META: HTTP 404"),
    ):
        SecClient(server.url, user_agent=UA, timeout=2).capex("META")


def test_sec_unknown_ticker():
    with pytest.raises(DataError, match="no SEC CIK known for 'NVDA'"):
        SecClient("http://127.0.0.1:9", user_agent=UA).capex("NVDA")
