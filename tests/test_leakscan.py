"""The static scan (``rotation.leakscan``): suspicious patterns, with file and line."""

from __future__ import annotations

from rotation.leakscan import scan

SOURCE = """\
import subprocess

import pandas as pd


def helper(prices):
    return prices.max()  # outside target_weights: not flagged as a whole-index reduction


def target_weights(batch, params):
    prices = batch.prices
    a = prices.shift(-1)
    b = prices.shift(periods=-5)
    c = prices.rolling(21, center=True).mean()
    d = prices.bfill()
    e = prices.fillna(method="backfill")
    f = prices.iloc[-1]
    g = prices.max()
    h = prices.mean(axis=1)
    i = pd.read_csv("prices.csv")
    j = prices.shift(1)
    return a, b, c, d, e, f, g, h, i, j
"""


def test_each_pattern_is_named_with_its_line(tmp_path):
    path = tmp_path / "suspect.py"
    path.write_text(SOURCE)
    findings = scan(path)
    by_line = {f.line: f.message for f in findings}
    assert "imports subprocess" in by_line[1]
    assert "negative shift" in by_line[12] and "negative shift" in by_line[13]
    assert "centred window" in by_line[14]
    assert "backward fill" in by_line[15] and "backward fill" in by_line[16]
    assert "last rows of the whole data" in by_line[17]
    assert "reduction over the whole index" in by_line[18]
    assert "reads outside the batch" in by_line[20]
    assert {7, 19, 21}.isdisjoint(by_line)  # helper, axis=1, shift(1): nothing to say
    assert all(f.describe().startswith(f"{path}:{f.line}: ") for f in findings)


def test_a_file_that_does_not_parse_gives_no_findings(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def target_weights(:\n")
    assert scan(path) == ()
