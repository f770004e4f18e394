"""``rotation data``: fetch, list, show, verify, run through click against the local server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rotation.cli.data import data
from rotation.data.providers.sec import AcceptanceTimeWarning

FRED_CSV = "/graph/fredgraph.csv"
CHART = "/v8/finance/chart/"
FUNDING_FIXTURE = "sec_companyfacts_META_funding_synthetic.json"


@pytest.fixture
def run(tmp_path, server, yfinance_cache):
    """Invoke ``rotation data ...`` with the cache in tmp_path and providers on the local server."""
    env = {
        "ROTATION_CACHE": str(tmp_path / "cache"),
        "ROTATION_YAHOO_URL": server.url,
        "ROTATION_FRED_URL": server.url,
        "ROTATION_SEC_URL": server.url,
    }

    def invoke(*args: str):
        return CliRunner().invoke(data, list(args), env=env, catch_exceptions=False)

    return invoke


def test_fetch_list_show_verify(run, server, recorded, tmp_path):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    server.route(FRED_CSV, recorded("fred_WALCL.csv"), query=("id", "WALCL"))
    fetched = run("fetch", "--symbols", "DGS10,WALCL", "--source", "fred")
    assert fetched.exit_code == 0, fetched.output
    assert "ok      fred     DGS10: fetched 7 rows (2026-07-01 to 2026-07-10)" in fetched.output
    assert "WALCL: fetched 4 rows" in fetched.output
    assert "fetching" not in fetched.output  # no progress bar when not on a terminal

    again = run("fetch", "--symbols", "DGS10", "--source", "fred")
    assert "DGS10: up to date, 7 rows" in again.output

    listed = run("list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == [
        "kind",
        "key",
        "source",
        "first",
        "last",
        "rows",
        "fetched",
        "(UTC)",
        "age",
    ]
    assert lines[1].split()[:6] == ["macro", "DGS10", "fred", "2026-07-01", "2026-07-10", "7"]
    assert f"2 files in {tmp_path / 'cache'}" in listed.output

    shown = run("show", "DGS10", "--rows", "2")
    assert shown.exit_code == 0
    assert "macro/DGS10" in shown.output and "fredgraph.csv?id=DGS10" in shown.output
    assert "2026-07-01" in shown.output and "2026-07-10" in shown.output
    assert "2026-07-06" not in shown.output  # only the ends

    verified = run("verify")
    assert verified.exit_code == 0
    assert "2 files checked" in verified.output and "0 errors, 0 warnings" in verified.output


def test_fetch_prices_from_yahoo_is_the_default(run, server, recorded):
    server.route(CHART + "MSFT", recorded("yahoo_chart_MSFT.json"))
    result = run("fetch", "--symbols", "MSFT", "--start", "2026-07-01")
    assert result.exit_code == 0, result.output
    assert "ok      yfinance MSFT: fetched 5 rows (2026-07-06 to 2026-07-10)" in result.output


def test_fetch_failure_names_the_url_and_exits_1(run, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    server.route(FRED_CSV, b"", status=500, query=("id", "BROKEN"))
    result = run("fetch", "--symbols", "DGS10,BROKEN", "--source", "fred")
    assert result.exit_code == 1
    assert "DGS10: fetched 7 rows" in result.output  # one failure does not stop the others
    assert "FAILED  fred     BROKEN: FRED series 'BROKEN': HTTP 500" in result.output
    assert "fredgraph.csv?id=BROKEN" in result.output
    assert "1 of 2 failed" in result.output


def test_fetch_sec_capex_needs_and_sends_a_user_agent(run, server, recorded):
    from rotation.data.providers.sec import HYPERSCALER_CIKS

    meta = json.loads(recorded("sec_companyfacts_META.json"))
    for cik in HYPERSCALER_CIKS.values():
        # synthetic: META's recorded facts served for every company, relabelled with its CIK
        server.route(f"/api/xbrl/companyfacts/CIK{cik:010d}.json", json.dumps({**meta, "cik": cik}))
    refused = run("fetch", "--source", "sec")
    assert refused.exit_code == 1 and "ROTATION_SEC_USER_AGENT" in refused.output
    assert server.seen == []
    # no submissions endpoint here: the filings count after the close, with a warning
    with pytest.warns(AcceptanceTimeWarning, match=r"submissions for \w+: HTTP 404"):
        done = run("fetch", "--source", "sec", "--sec-user-agent", "Jane Doe jane@example.com")
    assert done.exit_code == 0, done.output
    for ticker in HYPERSCALER_CIKS:
        assert f"ok      sec      {ticker}: fetched 9 rows" in done.output
    assert {s.headers["User-Agent"] for s in server.seen} == {"Jane Doe jane@example.com"}
    shown = run("show", "META")
    assert "capex/META" in shown.output and "companyfacts" in shown.output


def test_fetch_everything_a_config_needs(run, server, recorded, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "universe:\n  growth: [MSFT]\nstrategy: equal_weight\nbenchmark: MSFT\n"
        "signal:\n  liquidity: reverse_repo\n  capex: pnfi\n"
    )
    server.route(CHART + "MSFT", recorded("yahoo_chart_MSFT.json"))
    for series_id in ("DGS10", "BAA10Y", "RRPONTSYD", "PNFI", "DGS3MO"):
        # synthetic bodies: the DGS10 recording under each id
        body = recorded("fred_DGS10.csv").decode().replace("DGS10", series_id)
        server.route(FRED_CSV, body, query=("id", series_id))
    result = run("fetch", "--config", str(config))
    assert result.exit_code == 0, result.output
    fetched = [line.split()[1:3] for line in result.output.splitlines() if line.startswith("ok")]
    assert fetched == [
        ["yfinance", "MSFT:"],
        ["fred", "DGS10:"],
        ["fred", "BAA10Y:"],
        ["fred", "RRPONTSYD:"],
        ["fred", "PNFI:"],
        ["fred", "DGS3MO:"],  # the default risk_free
    ]


def test_verify_reports_a_corrupt_file_and_exits_1(run, server, recorded, tmp_path):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    run("fetch", "--symbols", "DGS10", "--source", "fred")
    (tmp_path / "cache" / "macro" / "DGS10.parquet").write_bytes(b"junk")
    result = run("verify")
    assert result.exit_code == 1
    assert "ERROR   macro/DGS10:" in result.output and "SHA-256 does not match" in result.output
    assert "1 errors" in result.output


def test_usage_errors_and_unknown_keys(run):
    neither = run("fetch")
    assert neither.exit_code == 2 and "give --symbols or --config" in neither.output
    missing = run("show", "NOPE")
    assert missing.exit_code == 1 and "'NOPE' is not cached in" in missing.output
    empty = run("list")
    assert empty.exit_code == 0 and "is empty" in empty.output
    bad_source = run("fetch", "--symbols", "X", "--source", "bloomberg")
    assert bad_source.exit_code == 2


def test_verify_reports_quarter_coverage_of_cached_capex_and_funding(run, server, recorded):
    # one company served (META, with the funding fixture); the others answer 404
    server.route("/api/xbrl/companyfacts/CIK0001326801.json", recorded(FUNDING_FIXTURE))
    server.route("/submissions/CIK0001326801.json", recorded("sec_submissions_META_synthetic.json"))
    agent = ("--sec-user-agent", "Jane Doe jane@example.com")
    # the fixture's 10-Q 0001326801-21-000033 is not in the submissions answer: said so
    with pytest.warns(AcceptanceTimeWarning, match="not among its recent filings"):
        done = run("fetch", "--symbols", "META,META.FUNDING", "--source", "sec", *agent)
    assert done.exit_code == 0, done.output
    assert "sec      META.FUNDING: fetched" in done.output
    verified = run("verify")
    assert verified.exit_code == 0, verified.output
    rows = {
        tuple(line.split()[:2]): line.split()[2:]
        for line in verified.output.splitlines()
        if line.split()[:1] == ["META"]
    }
    assert rows[("META", "capex")][:3] == ["2019Q1", "2021Q1", "9"]
    assert rows[("META", "operating_cash_flow")][:3] == ["2019Q1", "2021Q1", "9"]
    assert rows[("META", "cash")][:2] == ["2018Q4", "2021Q1"]
    assert "no capex quarters: MSFT, GOOGL, AMZN, ORCL" in verified.output


def test_verify_bundled_names_the_gaps_of_the_snapshot(run):
    verified = run("verify", "--bundled")
    assert verified.exit_code == 0, verified.output
    text = verified.output.split("quarter coverage of the bundled snapshot:")[1]
    meta = next(line for line in text.splitlines() if line.split()[:2] == ["META", "capex"])
    assert meta.split()[-3:] == ["2024Q1", "2024Q2", "2024Q3"]
    amzn = next(line for line in text.splitlines() if line.split()[:2] == ["AMZN", "capex"])
    assert amzn.split()[3] == "2025Q3"
    assert "no capex quarters: ORCL" in text
    assert "no operating_cash_flow quarters: AMZN, ORCL" in text
