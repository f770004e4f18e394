"""The Parquet cache: manifest, checksums, concurrent writers, incremental refresh, fallback."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from rotation.data.cache import (
    Cache,
    CacheCorruptError,
    CacheWarning,
    default_cache_dir,
    refresh,
    series_frame,
)
from rotation.data.live import LiveSource
from rotation.data.providers.sec import AcceptanceTimeWarning
from rotation.errors import ProviderError

FRED_CSV = "/graph/fredgraph.csv"
CHART = "/v8/finance/chart/"
NOW = dt.datetime(2026, 7, 11, 12, 0, tzinfo=dt.UTC)


def daily(values: list[float], start: str = "2026-07-01") -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(start, periods=len(values)), "value": values})


def fred_csv(series_id: str, rows: dict[str, float | None]) -> str:
    lines = [f"observation_date,{series_id}"]
    lines += [f"{day},{'' if value is None else value}" for day, value in rows.items()]
    return "\n".join(lines) + "\n"


# --- files and manifest ---------------------------------------------------------------------------


def test_write_then_read_with_provenance(tmp_path):
    cache = Cache(tmp_path)
    entry = cache.write(
        "macro", "DGS10", daily([4.4, 4.5, 4.6]), source="fred", url="http://x/y", fetched_at=NOW
    )
    frame, read_entry = cache.read("macro", "DGS10")
    assert frame["value"].tolist() == [4.4, 4.5, 4.6]
    assert read_entry == entry
    assert (entry.source, entry.url, entry.rows) == ("fred", "http://x/y", 3)
    assert (entry.first, entry.last) == ("2026-07-01", "2026-07-03")
    assert entry.fetched_at == "2026-07-11T12:00:00+00:00"
    assert len(entry.sha256) == 64
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["entries"]["macro/DGS10"]["file"] == "macro/DGS10.parquet"
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []  # written to a temporary file, then renamed


def test_symbol_with_caret_gets_its_own_file(tmp_path):
    cache = Cache(tmp_path)
    cache.write("prices", "^TNX", daily([4.5]), source="yfinance", url="u", fetched_at=NOW)
    assert (tmp_path / "prices" / "^TNX.parquet").is_file()
    assert cache.read("prices", "^TNX")[1].key == "^TNX"


def test_not_cached_is_none(tmp_path):
    assert Cache(tmp_path / "nowhere").read("macro", "DGS10") is None
    assert Cache(tmp_path / "nowhere").entries() == []


def test_bad_checksum_is_detected(tmp_path):
    cache = Cache(tmp_path)
    cache.write("macro", "DGS10", daily([4.4, 4.5]), source="fred", url="u", fetched_at=NOW)
    path = tmp_path / "macro" / "DGS10.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        CacheCorruptError, match=r"DGS10\.parquet for macro/DGS10 is corrupt: its SHA-256"
    ):
        cache.read("macro", "DGS10")


def test_unreadable_and_missing_files_are_detected(tmp_path):
    cache = Cache(tmp_path)
    cache.write("macro", "A", daily([1.0]), source="fred", url="u", fetched_at=NOW)
    cache.write("macro", "B", daily([1.0]), source="fred", url="u", fetched_at=NOW)
    garbage = b"not parquet at all"
    (tmp_path / "macro" / "A.parquet").write_bytes(garbage)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["entries"]["macro/A"]["sha256"] = __import__("hashlib").sha256(garbage).hexdigest()
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CacheCorruptError, match=r"A\.parquet for macro/A is not readable Parquet"):
        cache.read("macro", "A")
    (tmp_path / "macro" / "B.parquet").unlink()
    with pytest.raises(CacheCorruptError, match=r"B\.parquet for macro/B is missing"):
        cache.read("macro", "B")


def test_unreadable_manifest_is_reported_and_treated_as_empty(tmp_path):
    cache = Cache(tmp_path)
    cache.write("macro", "A", daily([1.0]), source="fred", url="u", fetched_at=NOW)
    (tmp_path / "manifest.json").write_text("{ not json")
    with pytest.warns(CacheWarning, match="manifest .* is unreadable"):
        assert cache.read("macro", "A") is None


def test_default_cache_dir_follows_rotation_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ROTATION_CACHE", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("ROTATION_CACHE")
    assert default_cache_dir().name == "rotation"


# --- concurrent writers ---------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    import pandas as pd
    from rotation.data.cache import Cache

    cache, tag = Cache(sys.argv[1]), sys.argv[2]
    for i in range(30):
        frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=20 + i),
                              "value": float(i)})
        now = dt.datetime.now(dt.UTC)
        for key in (f"{tag}-{i % 5}", "SHARED"):
            cache.write("macro", key, frame, source="fred", url=tag, fetched_at=now)
    """
)


def test_two_processes_writing_at_once_leave_a_consistent_cache(tmp_path):
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), tag], stderr=subprocess.PIPE)
        for tag in ("ONE", "TWO")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors.decode()
    cache = Cache(tmp_path)
    names = [e.name for e in cache.entries()]
    assert sorted(names) == sorted(
        ["macro/SHARED"] + [f"macro/{tag}-{i}" for tag in ("ONE", "TWO") for i in range(5)]
    )  # no entry lost to a concurrent read-modify-write of the manifest
    assert [p for p in cache.verify() if p.severity == "error"] == []
    for entry in cache.entries():
        frame, _ = cache.read(entry.kind, entry.key)  # every checksum matches its file
        assert len(frame) == entry.rows
    assert list(tmp_path.rglob("*.tmp")) == []


FETCHER = textwrap.dedent(
    """
    import sys
    from rotation.data.live import LiveSource

    live = LiveSource(sys.argv[1], fred_base_url=sys.argv[2], timeout=5)
    for _ in range(3):
        for series_id in ("DGS10", "WALCL", "NFCI"):
            live.update("fred", series_id, full=True)
    """
)


def test_two_rotation_processes_fetching_at_once(tmp_path, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    server.route(FRED_CSV, recorded("fred_WALCL.csv"), query=("id", "WALCL"))
    server.route(
        FRED_CSV, fred_csv("NFCI", {"2026-07-03": -0.5, "2026-07-10": -0.51}), query=("id", "NFCI")
    )
    fetchers = [
        subprocess.Popen(
            [sys.executable, "-c", FETCHER, str(tmp_path), server.url], stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for fetcher in fetchers:
        _, errors = fetcher.communicate(timeout=60)
        assert fetcher.returncode == 0, errors.decode()
    cache = Cache(tmp_path)
    assert [e.key for e in cache.entries()] == ["DGS10", "NFCI", "WALCL"]
    assert cache.verify() == []
    assert len(server.requests_to(FRED_CSV)) == 18


# --- refresh: incremental, revisions, fallback ----------------------------------------------------


def test_incremental_refresh_fetches_only_the_tail(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    first = live.update("fred", "DGS10")
    assert first.status == "fetched" and first.entry.rows == 7
    assert "cosd" not in server.requests_to(FRED_CSV)[-1].query  # all history the first time

    newer = recorded("fred_DGS10.csv").decode() + "2026-07-13,4.61\n2026-07-14,4.63\n"
    server.route(FRED_CSV, newer, query=("id", "DGS10"))
    second = live.update("fred", "DGS10")
    assert server.requests_to(FRED_CSV)[-1].query["cosd"] == "2026-07-03"  # last date - 7 days
    assert second.status == "updated" and second.new_rows == 2
    assert second.entry.rows == 9 and second.entry.last == "2026-07-14"
    frame = second.frame.set_index("date")
    old_stamp = frame.loc["2026-07-01", "fetched_at"]
    assert frame.loc["2026-07-10", "fetched_at"] == old_stamp  # unchanged rows keep their stamp
    assert frame.loc["2026-07-14", "fetched_at"] > old_stamp

    third = live.update("fred", "DGS10")
    assert third.status == "unchanged" and third.entry.rows == 9
    assert third.entry.fetched_at >= second.entry.fetched_at


def test_fred_revision_in_the_overlap_is_taken(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    live.update("fred", "DGS10")
    revised = recorded("fred_DGS10.csv").decode().replace("2026-07-10,4.56", "2026-07-10,4.57")
    server.route(FRED_CSV, revised, query=("id", "DGS10"))
    done = live.update("fred", "DGS10")
    assert done.status == "updated" and done.new_rows == 1
    assert done.frame.set_index("date").loc["2026-07-10", "value"] == 4.57
    assert len(server.requests_to(FRED_CSV)) == 2  # no full refetch for FRED


def test_changed_adjustment_refetches_all_yahoo_history(live, server, recorded):
    server.route(CHART + "MSFT", recorded("yahoo_chart_MSFT.json"))
    assert live.update("yfinance", "MSFT").status == "fetched"
    doc = json.loads(recorded("yahoo_chart_MSFT.json"))
    adjclose = doc["chart"]["result"][0]["indicators"]["adjclose"][0]
    adjclose["adjclose"] = [value * 0.99 for value in adjclose["adjclose"]]  # a new dividend
    server.route(CHART + "MSFT", json.dumps(doc))
    before = len(server.requests_to(CHART + "MSFT"))
    done = live.update("yfinance", "MSFT")
    asked = [
        int(s.query["period1"])
        for s in server.requests_to(CHART + "MSFT")[before:]
        if "period1" in s.query
    ]
    assert done.status == "fetched"  # whole history replaced, not spliced
    tail, everything = asked
    assert tail == int(pd.Timestamp("2026-07-03", tz="America/New_York").timestamp())
    assert everything < tail
    assert done.frame["value"].tolist() == pytest.approx(adjclose["adjclose"])


def test_provider_failure_falls_back_to_the_cache_with_its_age(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    three_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3, hours=1)
    refresh(
        live.cache,
        "macro",
        "DGS10",
        lambda start: live.fred.series("DGS10", start),
        now=three_days_ago,
    )
    server.route(FRED_CSV, b"oops", status=500, content_type="text/plain", query=("id", "DGS10"))
    with pytest.warns(CacheWarning) as warned:
        series = live.macro("DGS10")
    message = str(warned[0].message)
    assert "HTTP 500" in message and "fredgraph.csv?id=DGS10" in message
    assert "Using the cached copy of macro/DGS10" in message and "(3 days old;" in message
    assert len(series) == 7 and series.name == "DGS10"


def test_offline_with_cache_warns_and_without_cache_raises(tmp_path, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    LiveSource(tmp_path, fred_base_url=server.url, timeout=1).macro("DGS10")
    offline = LiveSource(tmp_path, fred_base_url="http://127.0.0.1:9", timeout=1)
    with pytest.warns(
        CacheWarning, match=r"cannot reach 127\.0\.0\.1:9.*cached copy of macro/DGS10"
    ):
        assert len(offline.macro("DGS10")) == 7
    with pytest.raises(
        ProviderError, match=r"'WALCL': cannot reach .*; no cached copy of macro/WALCL"
    ):
        offline.macro("WALCL")


def test_corrupt_cache_file_is_reported_and_refetched(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    live.update("fred", "DGS10")
    path = live.cache.root / "macro" / "DGS10.parquet"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.warns(
        CacheWarning, match=r"DGS10\.parquet for macro/DGS10 is corrupt.*fetching .* again"
    ):
        done = live.update("fred", "DGS10")
    assert done.status == "fetched" and "cosd" not in server.requests_to(FRED_CSV)[-1].query
    assert live.cache.read("macro", "DGS10")[1].rows == 7
    assert live.cache.verify() == []


def test_corrupt_cache_and_provider_down_is_a_clear_error(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    live.update("fred", "DGS10")
    (live.cache.root / "macro" / "DGS10.parquet").write_bytes(b"junk")
    server.route(FRED_CSV, b"", status=503, query=("id", "DGS10"))
    with (
        pytest.warns(CacheWarning),
        pytest.raises(ProviderError, match=r"HTTP 503.*cached copy is unusable"),
    ):
        live.macro("DGS10")


def test_without_refresh_a_cached_series_is_used_as_is(tmp_path, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    LiveSource(tmp_path, fred_base_url=server.url).macro("DGS10")
    LiveSource(tmp_path, fred_base_url=server.url, refresh=False).macro("DGS10")
    assert len(server.requests_to(FRED_CSV)) == 1


def test_a_live_source_refreshes_each_series_once(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    live.macro("DGS10")
    live.macro("DGS10")
    assert len(server.requests_to(FRED_CSV)) == 1


def test_an_earlier_start_than_cached_fetches_all_again(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    live.update("fred", "DGS10", start=dt.date(2026, 7, 6))
    assert live.cache.entry("macro", "DGS10").start == "2026-07-06"
    live.update("fred", "DGS10", start=dt.date(2026, 7, 8))  # inside what is cached: the tail
    assert "cosd" in server.requests_to(FRED_CSV)[-1].query
    done = live.update("fred", "DGS10")  # all history wanted now
    assert "cosd" not in server.requests_to(FRED_CSV)[-1].query
    assert done.status == "fetched" and done.entry.start is None and done.entry.rows == 7


def test_live_routes_keys_to_providers(live, server, recorded):
    server.route(FRED_CSV, recorded("fred_DGS10.csv"), query=("id", "DGS10"))
    server.route(CHART + "^TNX", recorded("yahoo_chart_TNX.json"))
    assert live.macro("DGS10").index[-1] == pd.Timestamp("2026-07-10")
    assert live.macro("^TNX").index[-1] == pd.Timestamp("2026-07-13")  # a Yahoo index
    assert {e.name: e.source for e in live.cache.entries()} == {
        "macro/DGS10": "fred",
        "prices/^TNX": "yfinance",
    }


def test_capex_quarters_from_all_hyperscalers(live, server, recorded):
    from rotation.data.providers.sec import HYPERSCALER_CIKS

    meta = json.loads(recorded("sec_companyfacts_META.json"))
    for cik in HYPERSCALER_CIKS.values():
        # synthetic: META's recorded facts served for every company, relabelled with its CIK
        server.route(f"/api/xbrl/companyfacts/CIK{cik:010d}.json", json.dumps({**meta, "cik": cik}))
    # no submissions endpoint here: every company's filings count after the close, and say so
    with pytest.warns(AcceptanceTimeWarning, match=r"submissions for \w+: HTTP 404"):
        quarters = live.capex_quarters()
    assert sorted(quarters["ticker"].unique()) == sorted(HYPERSCALER_CIKS)
    assert len(quarters) == 5 * 9
    assert quarters["known_from"].gt(quarters["period_end"]).all()
    live.capex_quarters()  # fresh enough: no second round of requests
    assert len([s for s in server.seen if s.path.startswith("/api/xbrl/")]) == 5


# --- verify ---------------------------------------------------------------------------------


def test_verify_reports_duplicates_order_gaps_and_orphans(tmp_path):
    cache = Cache(tmp_path)
    write = lambda key, frame: cache.write(  # noqa: E731
        "macro", key, frame, source="fred", url="u", fetched_at=NOW
    )
    write("GOOD", daily([1.0, 2.0, 3.0]))
    dup = pd.DataFrame(
        {"date": pd.to_datetime(["2026-07-01", "2026-07-02", "2026-07-02"]), "value": [1.0, 2, 3]}
    )
    write("DUP", dup)
    unsorted = pd.DataFrame(
        {"date": pd.to_datetime(["2026-07-02", "2026-07-01"]), "value": [1.0, 2]}
    )
    write("UNSORTED", unsorted)
    days = pd.to_datetime(
        ["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-06", "2026-03-02", "2026-03-03"]
    )
    write("GAPPY", pd.DataFrame({"date": days, "value": 1.0}))
    series_frame(pd.Series([1.0], index=pd.DatetimeIndex(["2026-07-01"]))).to_parquet(
        tmp_path / "macro" / "ORPHAN.parquet"
    )
    found = {(p.name, p.severity): p.message for p in cache.verify()}
    assert "duplicate date 2026-07-02" in found[("macro/DUP", "error")]
    assert "(2026-07-01 comes after 2026-07-02)" in found[("macro/UNSORTED", "error")]
    assert "gap of 55 days between 2026-01-06 and 2026-03-02" in found[("macro/GAPPY", "warning")]
    assert "not in the manifest" in found[("macro/ORPHAN.parquet", "warning")]
    assert not any(name == "macro/GOOD" for name, _ in found)
