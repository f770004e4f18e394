"""The bundled snapshot: what the manifest says is what ships, and the partial rows are gone."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from rotation.data.sources import BUNDLED_DIR, bundled
from rotation.errors import DataError

MANIFEST = json.loads((BUNDLED_DIR / "manifest.json").read_text())


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["file"])
def test_bundled_file_matches_its_manifest_checksum(entry):
    raw = (BUNDLED_DIR / entry["bundled_file"]).read_bytes()
    data = gzip.decompress(raw) if entry["bundled_file"].endswith(".gz") else raw
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    if "dropped_rows" not in entry:
        assert entry["sha256"] == entry["upstream_sha256"]  # unchanged from the shared dataset


def test_partial_day_rows_are_dropped():
    source = bundled()
    assert str(source.prices("SPY").index[-1].date()) == "2026-07-13"
    assert str(source.prices("BTC-USD").index[-1].date()) == "2026-08-17"
    assert (BUNDLED_DIR / "SOURCES.md").is_file()


def test_unknown_symbol_is_an_error_naming_it():
    with pytest.raises(DataError, match="no data for 'NOPE' in bundled snapshot"):
        bundled().prices("NOPE")
