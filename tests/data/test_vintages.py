"""ALFRED vintages: the FRED API's real-time periods from a local server, cached, read as first
published on each observation's publication day; bundled runs say they read the latest vintage."""

from __future__ import annotations

import pandas as pd
import pytest

from rotation.data.align import as_published, publication
from rotation.errors import ProviderError

API = "/fred/series/observations"
TS = pd.Timestamp
PAGES = (
    "fred_api_vintages_PNFI_page1_synthetic.json",
    "fred_api_vintages_PNFI_page2_synthetic.json",
)


@pytest.fixture
def alfred(tmp_path, server, recorded, monkeypatch):
    from rotation.data.live import LiveSource

    monkeypatch.setenv("FRED_API_KEY", "test-key-0123")
    server.route(API, recorded(PAGES[0]), query=("offset", "0"))
    server.route(API, recorded(PAGES[1]), query=("offset", "5"))
    return LiveSource(
        tmp_path / "cache", vintages=True, fred_api_url=server.url, fred_base_url=server.url
    )


def test_vintages_come_from_every_page_and_are_read_as_first_published(alfred, server):
    pnfi = alfred.macro("PNFI")
    # PNFI is read 120 days after its date: 2024-01-01 on 2024-04-30, when 3800.0 was the
    # published value (revised to 3815.5 later); 2024-04-01 on 2024-07-30: 3850.0
    assert pnfi.to_dict() == {
        TS("2023-10-01"): 3790.0,
        TS("2024-01-01"): 3800.0,
        TS("2024-04-01"): 3850.0,
    }
    asked = server.requests_to(API)
    assert [r.query["offset"] for r in asked] == ["0", "5"]
    for request in asked:
        assert request.query["series_id"] == "PNFI" and request.query["file_type"] == "json"
        assert request.query["realtime_start"] == "1776-07-04"
        assert request.query["realtime_end"] == "9999-12-31"
        assert request.query["api_key"] == "test-key-0123"
    entry = alfred.cache.entry("vintages", "PNFI")
    assert entry is not None and entry.rows == 7 and entry.source == "alfred"
    assert "api_key" not in entry.url
    alfred.macro("PNFI")  # once per LiveSource: no second request
    assert len(server.requests_to(API)) == 2


def test_latest_vintage_differs_from_first_release():
    frame = pd.DataFrame(
        {
            "date": [TS("2024-01-01")] * 2,
            "value": [1.0, 2.0],
            "realtime_start": [TS("2024-04-25"), TS("2024-06-27")],
            "realtime_end": [TS("2024-06-26"), pd.Timestamp.max.normalize()],
        }
    )  # synthetic
    rule = publication("PNFI")
    assert as_published(frame, rule).iloc[0] == 1.0
    later = publication("PNFI", {"PNFI": 200})  # read later: the revised value was out by then
    assert as_published(frame, later).iloc[0] == 2.0
    early = publication("PNFI", {"PNFI": 30})  # read before any release: not there at all
    assert as_published(frame, early).empty


def test_vintages_need_an_api_key_and_never_print_it(tmp_path, server, monkeypatch):
    from rotation.data.live import LiveSource

    monkeypatch.delenv("FRED_API_KEY", raising=False)
    live = LiveSource(tmp_path / "c", vintages=True, fred_api_url=server.url)
    with pytest.raises(ProviderError, match="need a FRED API key: set FRED_API_KEY"):
        live.update("alfred", "PNFI")
    assert server.requests_to(API) == []
    monkeypatch.setenv("FRED_API_KEY", "secret-key-987")
    server.route(API, b'{"error_code": 400}', status=400)
    with pytest.raises(ProviderError) as failed:
        live.update("alfred", "PNFI")
    assert "secret-key-987" not in str(failed.value) and "HTTP 400" in str(failed.value)


def test_vintages_are_refused_outside_live_data(write_config):
    from rotation.errors import ConfigError
    from rotation.validate import load_config
    from tests.helpers import base_config

    with pytest.raises(ConfigError, match="vintages: needs source 'live'"):
        load_config(write_config(base_config(data={"source": "bundled", "vintages": True})))


def test_regime_differences_are_the_runs_where_two_histories_disagree():
    from rotation.diagnose import regime_differences

    days = pd.bdate_range("2024-01-01", periods=8)
    first = pd.Series(
        ["neutral", "scarce", "scarce", "scarce", "neutral", "neutral", "abundant", "abundant"],
        index=days,
    )
    latest = pd.Series(
        ["neutral", "neutral", "neutral", "scarce", "neutral", "abundant", "abundant", "abundant"],
        index=days,
    )  # synthetic
    diff = regime_differences(first, latest)
    assert diff[["days", "first_release", "latest"]].values.tolist() == [
        [2, "scarce", "neutral"],
        [1, "neutral", "abundant"],
    ]
    assert str(diff["from"].iloc[0]) == "2024-01-02" and str(diff["to"].iloc[0]) == "2024-01-03"
    assert regime_differences(first, first).empty


def test_signals_vintages_needs_live_data():
    from click.testing import CliRunner

    from rotation.cli import main
    from tests.helpers import CONFIGS

    result = CliRunner().invoke(
        main, ["signals", str(CONFIGS / "capital_scarcity.yaml"), "--diagnose", "--vintages"]
    )
    assert result.exit_code == 2
    assert "--vintages needs data: live" in result.output and "Traceback" not in result.output
