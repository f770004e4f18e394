"""Data files read back are not trusted: a link out of the data folder, a file whose text
must not be echoed, cached values that no provider would return, a manifest of the wrong shape.

Frames here are SYNTHETIC (made up, small, labelled); local-folder cases copy the bundled
snapshot (real data) and change one file. Every CLI case checks exit 1 and that neither a
traceback nor the last-resort "internal error" line is printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.data.cache import Cache, CacheCorruptError, CacheWarning
from rotation.data.sources import BUNDLED_DIR, FolderSource
from rotation.errors import DataError
from tests.helpers import STRATEGIES, base_config

SECRET = "root:$6$SECRETHASH:19000:0:99999:7:::"
NOW = dt.datetime(2026, 7, 11, 12, 0, tzinfo=dt.UTC)


def assert_clean_failure(out, status: int = 1) -> str:
    assert out.exit_code == status, out.output
    assert isinstance(out.exception, SystemExit), out.exception
    assert "Traceback" not in out.output and "internal error" not in out.output
    return out.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, root)
    return root


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the data folder, shaped like /etc/shadow (SYNTHETIC)."""
    path = tmp_path / "shadow"
    path.write_text(SECRET + "\ndaemon:*:19000:0:99999:7:::\n")
    return path


def link_price(folder: Path, symbol: str, target: Path) -> Path:
    for old in (folder / "prices").glob(f"{symbol}.*"):
        old.unlink()
    link = folder / "prices" / f"{symbol}.csv"
    os.symlink(target, link)
    return link


def test_a_price_file_linked_out_of_the_folder_is_refused_unread(folder, secret):
    link = link_price(folder, "MU", secret)
    with pytest.raises(DataError) as caught:
        FolderSource(folder).prices("MU")
    assert str(caught.value).startswith(f"{link}: a link to a file outside the data folder")
    assert "SECRET" not in str(caught.value)


def test_a_capex_file_linked_out_of_the_folder_is_refused(folder, secret):
    raw = folder / "capex" / "raw"
    target = next(raw.glob("*_companyfacts*"))
    target.unlink()
    os.symlink(secret, target)
    with pytest.raises(DataError, match="outside the data folder"):
        FolderSource(folder).capex_quarters()


def test_the_backtest_names_the_link_and_prints_nothing_of_its_target(folder, secret, tmp_path):
    link = link_price(folder, "MU", secret)
    config = tmp_path / "local.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(), "data": {"source": "local",
           "path": str(folder)}}  # fmt: skip
    config.write_text(json.dumps(raw))
    out = CliRunner().invoke(main, ["backtest", str(config), "--results", str(tmp_path / "r")])
    output = assert_clean_failure(out)
    assert str(link) in output and "SECRET" not in output and "root:" not in output


def test_a_file_that_fails_to_parse_is_not_quoted(folder):
    """A file in the folder whose first line is a secret: the message says what is wrong
    with it, not what it holds."""
    path = folder / "prices" / "MU.csv"
    for old in (folder / "prices").glob("MU.*"):
        old.unlink()
    path.write_text(SECRET + "\n" + "x:y\n")
    with pytest.raises(DataError) as caught:
        FolderSource(folder).prices("MU")
    assert str(caught.value) == f"{path}: missing column 'date' (the header has 1 column)"


# --- the live cache ------------------------------------------------------------------------


def synthetic_closes(values: list[float]) -> pd.DataFrame:
    """SYNTHETIC daily closes from 2026-07-01."""
    return pd.DataFrame({"date": pd.date_range("2026-07-01", periods=len(values)), "value": values})


def cached(tmp_path: Path, frame: pd.DataFrame, kind: str = "prices", key: str = "MU") -> Cache:
    cache = Cache(tmp_path / "cache")
    cache.write(kind, key, frame, source="yfinance", url="u", fetched_at=NOW)
    return cache


def verify(cache: Cache, *args: str):
    return CliRunner().invoke(main, ["data", *args, "--cache-dir", str(cache.root)])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([10.0, -5.0, 11.0], "non-positive price -5.0 on 2026-07-02 for 'MU'"),
        ([10.0, 0.0, 11.0], "non-positive price 0.0 on 2026-07-02 for 'MU'"),
        ([10.0, float("inf"), 11.0], "non-finite value inf on 2026-07-02 for 'MU'"),
    ],
)
def test_cached_prices_are_checked_on_every_read_and_by_verify(values, message, tmp_path):
    cache = cached(tmp_path, synthetic_closes(values))
    with pytest.raises(CacheCorruptError, match=message):
        cache.read("prices", "MU")
    out = verify(cache, "verify")
    assert message in assert_clean_failure(out)
    assert "1 errors" in out.output
    # a yield (macro, or a Yahoo index among prices) may be 0 or below, never infinite
    for kind, key in (("macro", "T10Y2Y"), ("prices", "^TNX")):
        other = cached(tmp_path / key, synthetic_closes([v for v in values if v != 10]), kind, key)
        assert (other.verify() == []) == all(abs(v) < float("inf") for v in values)


def test_a_bad_cached_price_never_reaches_a_backtest(tmp_path, monkeypatch):
    """The live source reads the cache, finds -5, warns, and (offline) refuses, naming it."""
    from rotation.data.live import LiveSource

    cache = cached(tmp_path, synthetic_closes([10.0, -5.0, 11.0]))
    monkeypatch.setenv("ROTATION_YAHOO_URL", "http://127.0.0.1:9")  # nothing listens there
    live = LiveSource(cache.root, refresh=False, timeout=2)
    unusable = "cached copy is unusable.*non-positive price -5.0"
    with (
        pytest.warns(CacheWarning, match="non-positive price -5.0"),
        pytest.raises(DataError, match=unusable),
    ):
        live.prices("MU")


def test_a_checksum_valid_parquet_of_strings_is_an_error(tmp_path):
    frame = pd.DataFrame({"date": pd.date_range("2026-07-01", periods=3), "value": ["a", "b", "c"]})
    cache = cached(tmp_path, frame)
    message = "non-numeric value in column 'value' on 2026-07-01"
    assert message in assert_clean_failure(verify(cache, "verify"))
    assert message in assert_clean_failure(verify(cache, "show", "MU"))


def edit_manifest(cache: Cache, change) -> None:
    path = cache.root / "manifest.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def set_entry(**fields):
    return lambda doc: doc["entries"]["prices/MU"].update(fields)


MANIFESTS = {
    "entries a list": (lambda doc: doc.update(entries=[1, 2]), "holds no object of entries"),
    "no entries": (lambda doc: doc.pop("entries"), "holds no object of entries"),
    "a list of a manifest": (lambda doc: (doc.clear(), doc.update(x=[])), "no object of entries"),
    "entry not an object": (lambda doc: doc["entries"].update({"prices/MU": 3}), "not an object"),
    "fetched_at yesterday": (set_entry(fetched_at="yesterday"), "must be ISO dates"),
    "fetched_at without zone": (
        set_entry(fetched_at="2026-07-11T12:00:00"),
        "'fetched_at' has no time zone",
    ),
    "rows as text": (set_entry(rows="3"), "'rows' must be a whole number"),
    "unknown field": (set_entry(colour="red"), "unknown: colour"),
    "file elsewhere": (set_entry(file="../../etc/passwd"), "'file' is not where this cache keeps"),
    "mismatched entry": (set_entry(kind="macro", key="X"), "do not match its name"),
}


@pytest.mark.parametrize("case", sorted(MANIFESTS))
def test_a_manifest_of_the_wrong_shape_is_an_error_not_a_crash(case, tmp_path):
    change, message = MANIFESTS[case]
    cache = cached(tmp_path, synthetic_closes([10.0, 11.0, 12.0]))
    edit_manifest(cache, change)
    out = verify(cache, "verify")
    assert message in assert_clean_failure(out)
    assert "0 errors" not in out.output
    listed = verify(cache, "list")  # warns, lists what is well-formed, exits 0
    assert listed.exit_code == 0, listed.output
    assert "Traceback" not in listed.output and "internal error" not in listed.output
    shown = verify(cache, "show", "MU")
    assert shown.exit_code == 1 and "Traceback" not in shown.output
    with pytest.warns(CacheWarning, match=message.split("'")[0] or message):
        assert cache.read("prices", "MU") is None
